import type * as lark from '@larksuiteoapi/node-sdk';
import type { Context } from 'koa';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import { checkLegacyCardSignature, checkSignature, decryptEnvelope, safeEqual, tokenOf } from './verify.js';

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
  return async (ctx: Context): Promise<void> => {
    const { encryptKey, verificationToken } = opts.secrets;
    const raw = (ctx.state.rawBody as string | undefined) ?? '';
    if (!encryptKey || !verificationToken) return refuse(ctx, 'callbacks_not_configured', 'LARK_ENCRYPT_KEY and LARK_VERIFICATION_TOKEN are not set');
    let outer: Record<string, unknown>;
    try {
      outer = JSON.parse(raw) as Record<string, unknown>;
      if (!outer || typeof outer !== 'object' || Array.isArray(outer)) throw new Error('not an object');
    } catch {
      // junk from anyone is a callback without a valid signature (401, counted with the others refused); only a body
      // Feishu's signature vouches for is told it is malformed
      const sig = checkSignature(ctx.headers, raw, encryptKey, now());
      if (!sig.ok) return refuse(ctx, sig.reason, signatureMessage[sig.reason]);
      ctx.status = 400;
      ctx.body = { code: 400, msg: 'body is not a JSON object' };
      return;
    }
    let payload: Record<string, unknown> = outer;
    if (typeof outer.encrypt === 'string') {
      try {
        payload = JSON.parse(decryptEnvelope(encryptKey, outer.encrypt)) as Record<string, unknown>;
        // `null`, a number or a string decrypts and parses, and is no event
        if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new Error('not an object');
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
    // an old-style card callback (the app still has a 消息卡片请求网址) carries the card's update token at the top, not the
    // verification token: plain, it is signed with the verification token (sha1); encrypted, the node SDK's
    // `checkIsCardEventValidated` takes it as any encrypted callback, signed with the encrypt key (sha256), which only
    // Feishu holds. Checked its own way, acknowledged, not acted on, and the operator told what to change
    if (!('schema' in payload) && !('header' in payload) && 'open_message_id' in payload && 'action' in payload) {
      const legacy =
        typeof outer.encrypt === 'string' ? checkSignature(ctx.headers, raw, encryptKey, now()) : checkLegacyCardSignature(ctx.headers, raw, verificationToken, now());
      if (!legacy.ok) return refuse(ctx, legacy.reason, signatureMessage[legacy.reason]);
      opts.log.warn(
        { path: ctx.path, requestId: ctx.state.requestId },
        'an old-style card callback (消息卡片请求网址) was not acted on: in the developer console clear 机器人 > 消息卡片请求网址 and subscribe 事件与回调 > 回调配置 > 卡片回传交互 (card.action.trigger) instead',
      );
      ctx.body = {};
      return;
    }
    const sig = checkSignature(ctx.headers, raw, encryptKey, now());
    if (!sig.ok) return refuse(ctx, sig.reason, signatureMessage[sig.reason]);
    if (!token || !safeEqual(token, verificationToken)) return refuse(ctx, 'bad_token', 'verification token mismatch');

    const result = await opts.dispatcher.invoke(payload, { needCheck: false });
    // the SDK answers "no X event handle" for types nobody registered: acknowledge them with an empty object
    ctx.body = result && typeof result === 'object' ? result : {};
  };

  function refuse(ctx: Context, reason: string, detail: string): void {
    metrics.signatureRejected.inc({ reason });
    opts.log.warn({ reason, detail, path: ctx.path, requestId: ctx.state.requestId }, 'callback refused');
    // which check failed goes to the log only: the answer must not teach a forger what to fix
    ctx.status = 401;
    ctx.body = { code: 401, msg: 'unauthorised' };
  }
}

const signatureMessage = {
  missing_headers: 'x-lark-request-timestamp, x-lark-request-nonce and x-lark-signature are required',
  stale: 'request timestamp is more than 5 minutes away',
  bad_signature: 'signature does not match',
} as const;
