import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type * as lark from '@larksuiteoapi/node-sdk';
import Koa, { type Context, type Next } from 'koa';
import type { Database } from '../db/index.js';
import { type CallbackSecrets, larkCallback } from './lark/http.js';
import { errorText, type Logger } from './log.js';
import { metrics, registry } from './metrics.js';

export interface ServerDeps {
  database: Database;
  dispatcher: lark.EventDispatcher;
  secrets: CallbackSecrets;
  log: Logger;
  /** Extra routes (local mode's /dev console, complaint intake). */
  extend?: (router: Router) => void;
  bodyLimitBytes?: number;
  /** TRUST_PROXY: reverse proxies in front of the bot (0: the socket's address is the client's). */
  trustProxy?: number;
  /** Answers an error as a page when a browser made the request (the complaint form); false leaves it to JSON. */
  errorPage?: (ctx: Context, status: number) => boolean;
}

export function createServer(deps: ServerDeps): Koa {
  const app = new Koa();
  // X-Forwarded-For is believed only behind configured proxies, and only as many entries as there are hops:
  // the client's address is the one the outermost proxy saw, whatever a client writes in front of it
  app.proxy = (deps.trustProxy ?? 0) > 0;
  app.maxIpsCount = deps.trustProxy ?? 0;
  const router = new Router();
  const callback = larkCallback({ secrets: deps.secrets, dispatcher: deps.dispatcher, log: deps.log });

  app.use(requestId(deps.log, (ctx) => routeOf(router, ctx)));
  // every answer is what its Content-Type says: a JSON answer quoting what a client sent (<script>…) is never sniffed as a page
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    await next();
  });
  app.use(errorsAsJson(deps.errorPage));
  app.use(rawBody(deps.bodyLimitBytes ?? 1_048_576));

  router.post('/lark/events', callback);
  router.post('/lark/cards', callback);
  router.get('/healthz', async (ctx) => {
    try {
      // an unreachable database answers 503 within 2 s rather than hanging the probe
      await Promise.race([deps.database.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('database did not answer within 2 s')), 2000).unref())]);
      ctx.body = { status: 'ok', database: deps.database.kind };
    } catch (err) {
      // the driver's message can name hosts, users and databases: it goes to the log, not to the probe
      (ctx.state.log as Logger).warn({ err: errorText(err) }, 'health check failed: database');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', database: deps.database.kind };
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  deps.extend?.(router);

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/**
 * The route a request was for when it was answered before the router saw it (a body refused with 413 is refused while it
 * is read): the endpoint the router would have matched, its path as the router names it, else none.
 */
function routeOf(router: Router, ctx: Context): string | undefined {
  const layer = [...router.match(ctx.path, ctx.method).pathAndMethod].reverse().find((l) => l.methods.length > 0);
  return layer ? String(layer.path) : undefined;
}

/** A request id on every log line and response; `routeOf` names the route of one the router did not reach, for /metrics. */
function requestId(log: Logger, routeOf: (ctx: Context) => string | undefined) {
  return async (ctx: Context, next: Next) => {
    const id = (ctx.get('x-request-id') || randomUUID()).slice(0, 64);
    ctx.state.requestId = id;
    // the child logger is made when a line is written, not for every request (most write none)
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (child ??= log.child({ requestId: id })), enumerable: true, configurable: true });
    ctx.set('x-request-id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      // a route's path, never the request's: one label per endpoint, whatever paths are asked for
      const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? routeOf(ctx) ?? 'unmatched';
      metrics.httpRequests.inc({ route: String(route), status: String(ctx.status) });
      if (log.isLevelEnabled('debug')) (ctx.state.log as Logger).debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

/** Every error leaves as JSON (or as the page a browser's route draws); nothing internal leaks past the message of an expected error. */
function errorsAsJson(errorPage?: ServerDeps['errorPage']) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { code: 404, msg: 'not found' };
      } else if (ctx.status >= 400 && (ctx.body === undefined || ctx.body === null)) {
        // the router's 405 (GET /lark/events) and 501, JSON like every other answer; its Allow header stays
        const status = ctx.status;
        ctx.body = { code: status, msg: (ctx.message || 'error').toLowerCase() };
        ctx.status = status;
      }
    } catch (err) {
      const e = err as { status?: number; expose?: boolean; message?: string };
      const status = e.status && e.status >= 400 && e.status < 600 ? e.status : 500;
      if (status >= 500) (ctx.state.log as Logger).error({ err }, 'request failed');
      if (errorPage?.(ctx, status)) return;
      ctx.status = status;
      ctx.body = { code: status, msg: status < 500 || e.expose ? e.message : 'internal error', requestId: ctx.state.requestId };
    }
  };
}

/** Reads the body once as the exact string Feishu signed; 413 past the limit. */
function rawBody(limit: number) {
  return async (ctx: Context, next: Next) => {
    if (ctx.method === 'POST' || ctx.method === 'PUT' || ctx.method === 'PATCH') {
      const declared = Number(ctx.get('content-length') || 0);
      const tooLarge = () => {
        // the rest of the body is left unread: a keep-alive connection would wait for it before its next request, so
        // it is closed once the 413 is sent (a chunked body has no length to refuse it by before it is read)
        ctx.set('Connection', 'close');
        return ctx.throw(413, `body larger than ${limit} bytes`);
      };
      if (declared > limit) tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of ctx.req) {
        size += (chunk as Buffer).length;
        if (size > limit) tooLarge();
        chunks.push(chunk as Buffer);
      }
      const bytes = Buffer.concat(chunks);
      // the bytes too: a route that reads a body in another declared charset (the public complaint form) decodes them itself
      ctx.state.rawBytes = bytes;
      ctx.state.rawBody = bytes.toString('utf8');
    }
    await next();
  };
}
