import type { Context } from 'koa';

/**
 * Whether a browser sent this request from another site's page (cross-site request forgery): its Sec-Fetch-Site says
 * `cross-site`, or it carries an Origin that is not this server's own. A page of ours posting to us and a client that
 * sends neither header (curl, a script on a server) pass. Shared by the local console and the public complaint form.
 */
export function fromAnotherSite(ctx: Context): boolean {
  const site = ctx.get('sec-fetch-site');
  if (site === 'cross-site') return true;
  const origin = ctx.get('origin');
  if (!origin) return false;
  // the browser vouches for it: a proxy that rewrites Host (nginx's default) must not turn our own page away
  if (site === 'same-origin') return false;
  return !ownOrigins(ctx).has(originOf(origin));
}

/**
 * The origins this server answers as: the Host header's (Koa 3's ctx.origin echoes the request's Origin header, so it is
 * built here), and behind trusted proxies (TRUST_PROXY) the one X-Forwarded-Host and X-Forwarded-Proto name.
 */
export function ownOrigins(ctx: Context): Set<string> {
  return new Set([originOf(`${ctx.protocol}://${ctx.get('host')}`), originOf(`${ctx.protocol}://${ctx.host}`)].filter((o) => o !== ''));
}

/** An origin as a browser writes it (lower case, no default port); '' for `null` and what is not a URL. */
function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host ? parsed.origin : '';
  } catch {
    return '';
  }
}
