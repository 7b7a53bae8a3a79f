import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';

/** The AES key of the last encrypt key seen: derived once, not per callback (the key is configuration). */
let derived: { encryptKey: string; key: Buffer } | undefined;

function aesKey(encryptKey: string): Buffer {
  if (derived?.encryptKey !== encryptKey) derived = { encryptKey, key: createHash('sha256').update(encryptKey).digest() };
  return derived.key;
}

/** Decrypts Feishu's `encrypt` field: AES-256-CBC, key sha256(encryptKey), IV the first 16 bytes. */
export function decryptEnvelope(encryptKey: string, encrypted: string): string {
  const key = aesKey(encryptKey);
  const buf = Buffer.from(encrypted, 'base64');
  if (buf.length < 32) throw new Error('encrypted payload too short');
  const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

/** sha256 hex of timestamp + nonce + encryptKey + the raw body, as Feishu signs callbacks. */
export function computeSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing_headers' | 'stale' | 'bad_signature' };

export function checkSignature(
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
  encryptKey: string,
  nowMs: number,
  maxSkewMs = 5 * 60_000,
): SignatureCheck {
  return checkSigned(headers, nowMs, maxSkewMs, (ts, nonce) => computeSignature(ts, nonce, encryptKey, rawBody));
}

/**
 * An old-style card callback (the retired 消息卡片请求网址, not the 卡片回传交互 callback) is signed otherwise: sha1 hex of
 * timestamp + nonce + the verification token + the raw body, never encrypted (the node SDK's
 * `RequestHandle.checkIsCardEventValidated`, which its `CardActionHandler` uses; https://open.feishu.cn/document/ukTMukTMukTM/uYzMxEjL2MTMx4iNzETM).
 */
export function checkLegacyCardSignature(
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
  verificationToken: string,
  nowMs: number,
  maxSkewMs = 5 * 60_000,
): SignatureCheck {
  return checkSigned(headers, nowMs, maxSkewMs, (ts, nonce) => createHash('sha1').update(ts + nonce + verificationToken + rawBody).digest('hex'));
}

function checkSigned(headers: Record<string, string | string[] | undefined>, nowMs: number, maxSkewMs: number, expectedFor: (ts: string, nonce: string) => string): SignatureCheck {
  const ts = header(headers, 'x-lark-request-timestamp');
  const nonce = header(headers, 'x-lark-request-nonce');
  const sig = header(headers, 'x-lark-signature');
  if (!ts || !nonce || !sig) return { ok: false, reason: 'missing_headers' };
  const seconds = Number(ts);
  if (!Number.isFinite(seconds) || Math.abs(nowMs - seconds * 1000) > maxSkewMs) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(expectedFor(ts, nonce), 'utf8');
  const given = Buffer.from(sig.toLowerCase(), 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The verification token sits in header.token (schema 2.0) or at the top (v1 and url_verification). */
export function tokenOf(payload: Record<string, unknown>): string | undefined {
  const headerToken = (payload.header as { token?: unknown } | undefined)?.token;
  if (typeof headerToken === 'string') return headerToken;
  return typeof payload.token === 'string' ? payload.token : undefined;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
