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
 * built here), and behind trusted proxies (TRUST_PROXY) the one X-Forwarded-Host and X-Forwarded-Proto name. Each host
 * in https too: a proxy that ends TLS and keeps Host (nginx with `proxy_set_header Host $host`) passes our page's post
 * as plain HTTP, and a browser that sends its Origin without Sec-Fetch-Site (Safari before 16.4) names https; only a
 * page served from that host over https can send that Origin.
 */
export function ownOrigins(ctx: Context): Set<string> {
  const hosts = [ctx.get('host'), ctx.host];
  return new Set([...hosts.map((h) => originOf(`${ctx.protocol}://${h}`)), ...hosts.map((h) => originOf(`https://${h}`))].filter((o) => o !== ''));
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
