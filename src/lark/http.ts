import type * as lark from '@larksuiteoapi/node-sdk';
import type { Context } from 'koa';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import { checkSignature, decryptEnvelope, safeEqual, tokenOf } from './verify.js';

export interface CallbackSecrets {
  encryptKey?: string;
  verificationToken?: string;
}

/**
 * Handles POST /lark/events and /lark/cards: decrypt, answer the URL challenge by token alone, check
 * signature and token of everything else on the exact raw body, then hand the payload to the dispatcher.
 * The SDK's own adapters answer a bad signature with an empty 204 and hash a re-serialised body.
 */
export function larkCallback(opts: { secrets: CallbackSecrets; dispatcher: lark.EventDispatcher; log: Logger; now?: () => number }) {
  // read at each request (not Date.now captured once), so a test moving the system clock moves this one
  const now = opts.now ?? (() => Date.now());
  const seen = new ReplayGuard();
  return async (ctx: Context): Promise<void> => {
    const { encryptKey, verificationToken } = opts.secrets;
    const raw = (ctx.state.rawBody as string | undefined) ?? '';
    if (!encryptKey || !verificationToken) return refuse(ctx, 'callbacks_not_configured', 'LARK_ENCRYPT_KEY and LARK_VERIFICATION_TOKEN are not set');
    let outer: Record<string, unknown>;
    try {
      outer = JSON.parse(raw) as Record<string, unknown>;
      if (!outer || typeof outer !== 'object' || Array.isArray(outer)) throw new Error('not an object');
    } catch {
      ctx.status = 400;
      ctx.body = { code: 400, msg: 'body is not a JSON object' };
      return;
    }
    let payload: Record<string, unknown> = outer;
    if (typeof outer.encrypt === 'string') {
      try {
        payload = JSON.parse(decryptEnvelope(encryptKey, outer.encrypt)) as Record<string, unknown>;
      } catch {
        return refuse(ctx, 'undecryptable', 'payload cannot be decrypted with the configured encrypt key');
      }
    }
    const token = tokenOf(payload);
    if (payload.type === 'url_verification') {
      if (!token || !safeEqual(token, verificationToken)) return refuse(ctx, 'bad_token', 'verification token mismatch');
      ctx.body = { challenge: payload.challenge };
      return;
    }
    const sig = checkSignature(ctx.headers, raw, encryptKey, now());
    if (!sig.ok) return refuse(ctx, sig.reason, signatureMessage[sig.reason]);
    if (!token || !safeEqual(token, verificationToken)) return refuse(ctx, 'bad_token', 'verification token mismatch');
    const replayKey = `${ctx.get('x-lark-request-timestamp')}:${ctx.get('x-lark-request-nonce')}`;
    if (seen.has(replayKey, now())) return refuse(ctx, 'replayed', 'this signed request was already processed');

    const result = await opts.dispatcher.invoke(payload, { needCheck: false });
    // remembered only once handled, so a delivery that failed may still be retried with the same headers
    seen.add(replayKey, now());
    // the SDK answers "no X event handle" for types nobody registered: acknowledge them with an empty object
    ctx.body = result && typeof result === 'object' ? result : {};
  };

  function refuse(ctx: Context, reason: string, msg: string): void {
    metrics.signatureRejected.inc({ reason });
    opts.log.warn({ reason, path: ctx.path }, 'callback refused');
    ctx.status = 401;
    ctx.body = { code: 401, error: reason, msg };
  }
}

const signatureMessage = {
  missing_headers: 'x-lark-request-timestamp, x-lark-request-nonce and x-lark-signature are required',
  stale: 'request timestamp is more than 5 minutes away',
  bad_signature: 'signature does not match',
} as const;

/**
 * Signed requests already answered, for the 5 minutes their timestamp stays valid. Per process: the
 * event_id dedupe in the database is what keeps a replay on another replica from having any effect.
 */
class ReplayGuard {
  private readonly entries = new Map<string, number>();
  constructor(private readonly windowMs = 10 * 60_000, private readonly max = 100_000) {}

  has(key: string, nowMs: number): boolean {
    const expires = this.entries.get(key);
    return expires !== undefined && expires > nowMs;
  }

  add(key: string, nowMs: number): void {
    if (this.entries.size >= this.max) {
      for (const [k, exp] of this.entries) {
        if (exp <= nowMs || this.entries.size >= this.max) this.entries.delete(k);
        if (this.entries.size < this.max * 0.9) break;
      }
    }
    this.entries.set(key, nowMs + this.windowMs);
  }
}
