import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Database } from '../db/index.js';
import type { Clock } from './clock.js';
import { type Config, hostOfHeader, isLoopbackHost } from './config.js';
import type { EventProcessor } from './events.js';
import type { AttachmentRenderer } from './lark/client.js';
import type { Logger } from './log.js';
import type { FakeOpenPlatform } from './local/fakeOpenPlatform.js';
import { mountConsole } from './local/console.js';
import type { OutboxDispatcher } from './outbox.js';
import { complaintErrorPage, mountComplaintRoutes } from './web/complaintForm.js';
import { fromAnotherSite } from './web/crossSite.js';

/** What the extra HTTP routes (complaint intake, the local console) may use. */
export interface RouteDeps {
  database: Database;
  config: Config;
  clock: Clock;
  log: Logger;
  processor: EventProcessor;
  dispatcher: OutboxDispatcher;
  secrets: { encryptKey: string; verificationToken: string };
  /** Draws the attachments the outbox describes (certificates); the local console draws them again after a restart. */
  attachments?: AttachmentRenderer;
  /** The simulated Open Platform, in local mode only. */
  platform?: FakeOpenPlatform;
  /** This server's own base URL, known once it listens. */
  baseUrl: () => string;
}

/** Mounts every route beyond the Feishu callbacks, /healthz and /metrics. */
export function mountRoutes(router: Router, deps: RouteDeps): void {
  // features add their routes here
  mountComplaintRoutes(router, deps);
  if (deps.platform) {
    router.use('/dev', consoleRequestGuard);
    mountConsole(router, { ...deps, platform: deps.platform });
  }
}

/** An error on one of these routes answered as a page, when a browser asked (the complaint form); false leaves it to JSON. */
export function routeErrorPage(ctx: Context, status: number): boolean {
  return complaintErrorPage(ctx, status);
}

/**
 * The console acts as anyone, so only its own page may call it. Every request must be addressed to a loopback
 * name: a page on another site whose name is made to resolve to 127.0.0.1 (DNS rebinding) is same-origin with
 * itself, not with us, and its requests carry its own name in Host. A POST must also be JSON (a cross-site form
 * can only send text/plain, urlencoded or multipart without a CORS preflight) and carry no foreign Origin.
 */
export async function consoleRequestGuard(ctx: Context, next: Next): Promise<void> {
  // its own Host header, never X-Forwarded-Host
  const host = hostOfHeader(ctx.get('host'));
  if (!isLoopbackHost(host)) {
    ctx.status = 403;
    ctx.body = { code: 403, msg: `the local console answers only at 127.0.0.1, localhost or [::1], not at ${JSON.stringify(host || ctx.get('host'))}` };
    return;
  }
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    if (fromAnotherSite(ctx)) {
      ctx.status = 403;
      ctx.body = { code: 403, msg: 'the local console accepts requests from its own page only' };
      return;
    }
    if (!ctx.is('application/json')) {
      ctx.status = 415;
      ctx.body = { code: 415, msg: 'the local console accepts JSON bodies only (content-type: application/json)' };
      return;
    }
  }
  await next();
}
