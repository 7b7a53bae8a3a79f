import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../log.js';
import type { MessageTransport, OutboxRow, OutgoingFile, SendOutcome } from '../outbox.js';
import { messageUuid } from '../outbox.js';

export function larkDomain(domain: string): lark.Domain | string {
  if (domain === 'feishu') return lark.Domain.Feishu;
  if (domain === 'lark') return lark.Domain.Lark;
  return domain.replace(/\/+$/, '');
}

/** What may leave an SDK log argument: never its request config, whose body carries app_secret. */
export interface SdkLogFields {
  message?: string;
  code?: string | number;
  status?: number;
  feishuCode?: number;
  feishuMsg?: string;
}

const clip = (v: unknown) => (typeof v === 'string' ? v.slice(0, 300) : undefined);

/** Picks the allowed fields from one SDK log argument (a string, an axios error, the SDK's formatted error list). */
export function sdkLogFields(arg: unknown): SdkLogFields[] {
  if (arg === null || arg === undefined) return [];
  if (typeof arg === 'string') return [{ message: clip(arg) }];
  if (typeof arg === 'number' || typeof arg === 'boolean') return [{ message: String(arg) }];
  if (Array.isArray(arg)) return arg.flatMap(sdkLogFields);
  if (typeof arg !== 'object') return [];
  const e = arg as { message?: unknown; code?: unknown; msg?: unknown; status?: unknown; response?: { status?: unknown; data?: unknown } };
  const data = e.response?.data && typeof e.response.data === 'object' ? (e.response.data as { code?: unknown; msg?: unknown }) : undefined;
  const fields: SdkLogFields = {
    message: clip(e.message),
    code: typeof e.code === 'string' || typeof e.code === 'number' ? e.code : undefined,
    status: typeof e.status === 'number' ? e.status : typeof e.response?.status === 'number' ? e.response.status : undefined,
    feishuCode: typeof data?.code === 'number' ? data.code : undefined,
    feishuMsg: clip(data?.msg) ?? clip(e.msg),
  };
  const kept = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as SdkLogFields;
  return Object.keys(kept).length ? [kept] : [];
}

/**
 * The SDK's logger, routed into pino at a level no louder than warn unless debugging. Its arguments
 * (raw axios errors with the token request's body) pass an allow-list, and any known secret left in
 * the kept text is masked: pino's redaction sees only keys, never a secret inside a message.
 */
export function sdkLogger(log: Logger, secrets: (string | undefined)[] = []): lark.Logger {
  const known = secrets.filter((x): x is string => typeof x === 'string' && x.length >= 4);
  const mask = (text: string) => known.reduce((t, secret) => t.split(secret).join('[redacted]'), text);
  const line = (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') => (...args: unknown[]) => {
    const fields = args.flatMap(sdkLogFields).map((f) => JSON.parse(mask(JSON.stringify(f))) as SdkLogFields);
    const text = fields.map((f) => [f.message, f.status && `HTTP ${f.status}`, f.feishuCode !== undefined && `code ${f.feishuCode}: ${f.feishuMsg ?? ''}`].filter(Boolean).join(' · ')).join(' | ');
    log[level]({ component: 'lark-sdk', sdk: fields }, text || 'sdk log line');
  };
  return { error: line('error'), warn: line('warn'), info: line('debug'), debug: line('debug'), trace: line('trace') };
}

export function createLarkClient(opts: { appId: string; appSecret: string; domain: string; log: Logger }): lark.Client {
  return new lark.Client({
    appId: opts.appId,
    appSecret: opts.appSecret,
    domain: larkDomain(opts.domain),
    appType: lark.AppType.SelfBuild,
    // each client keeps its own token cache: two apps (or tests) in one process must not share tokens
    cache: new lark.DefaultCache(),
    logger: sdkLogger(opts.log, [opts.appSecret]),
    loggerLevel: lark.LoggerLevel.warn,
  });
}

// Feishu error codes: 230020 rate limited, 99991400 request frequency limit; 230002 bot not in the chat,
// 230053 user stopped the bot, 230013 user outside the bot's availability, 230006 bot ability off;
// 230099 (card content refused) is permanent: the same card will never send.
const RETRYABLE_CODES = new Set([230020, 99991400, 99991401, 1]);
const UNDELIVERABLE_CODES = new Set([230002, 230053, 230013, 230006, 230035, 230017]);

/** Reads status and Feishu code from what the SDK throws (an axios error) or returns (a non-zero code). */
export function classifyFailure(status: number | undefined, code: number | undefined, msg: string): SendOutcome {
  const error = `HTTP ${status ?? '-'} code ${code ?? '-'}: ${msg}`.slice(0, 500);
  if (code !== undefined && UNDELIVERABLE_CODES.has(code)) return { ok: false, retryable: false, undeliverable: true, error };
  if (status === 429 || (status !== undefined && status >= 500) || (code !== undefined && RETRYABLE_CODES.has(code)))
    return { ok: false, retryable: true, undeliverable: false, error };
  if (status === undefined && code === undefined) return { ok: false, retryable: true, undeliverable: false, error }; // network
  return { ok: false, retryable: false, undeliverable: false, error };
}

function failureFromError(err: unknown): SendOutcome {
  const e = err as { response?: { status?: number; data?: { code?: number; msg?: string } }; message?: string; code?: string };
  const data = e?.response?.data;
  return classifyFailure(e?.response?.status, typeof data?.code === 'number' ? data.code : undefined, data?.msg ?? e?.message ?? String(err));
}

/**
 * The bot's own open_id (GET /bot/v3/info), asked once and remembered; after a failure it is asked
 * again ten minutes later, and meanwhile undefined, so callers fall back to a looser rule.
 */
export function botIdentity(client: lark.Client, log: Logger): () => Promise<string | undefined> {
  let known: string | undefined;
  let pending: Promise<string | undefined> | undefined;
  let failedAt = 0;
  return async () => {
    if (known) return known;
    if (Date.now() - failedAt < 600_000) return undefined;
    pending ??= client
      .request<{ code?: number; bot?: { open_id?: string } }>({ method: 'GET', url: '/open-apis/bot/v3/info' })
      .then((res) => {
        if (res?.code === 0 && res.bot?.open_id) return (known = res.bot.open_id);
        throw new Error(`bot info answered code ${res?.code}`);
      })
      .catch((err) => {
        failedAt = Date.now();
        log.warn({ err: String((err as Error)?.message ?? err) }, 'bot open_id unknown; any mention in a group counts as one of the bot');
        return undefined;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/** Sends outbox rows through the real SDK. */
export class LarkTransport implements MessageTransport {
  constructor(private readonly client: lark.Client) {}

  async deliver(row: OutboxRow): Promise<SendOutcome> {
    let content = JSON.stringify(row.card);
    try {
      if (row.msgType === 'file') {
        const uploaded = await this.uploadFile(row.card as OutgoingFile);
        if (!uploaded.ok) return uploaded.outcome;
        content = JSON.stringify({ file_key: uploaded.fileKey });
      }
      let res: { code?: number; msg?: string; data?: { message_id?: string } } | undefined;
      if (row.kind === 'send') {
        res = await this.client.im.v1.message.create({
          params: { receive_id_type: row.receiveIdType as 'open_id' | 'chat_id' },
          data: { receive_id: row.receiver, msg_type: row.msgType, content, uuid: messageUuid(row.dedupeKey) },
        });
      } else if (row.kind === 'reply') {
        res = await this.client.im.v1.message.reply({
          path: { message_id: row.receiver },
          data: { msg_type: row.msgType, content, uuid: messageUuid(row.dedupeKey) },
        });
      } else {
        res = await this.client.im.v1.message.patch({ path: { message_id: row.receiver }, data: { content } });
      }
      if (res && typeof res.code === 'number' && res.code !== 0) return classifyFailure(200, res.code, res.msg ?? '');
      return { ok: true, messageId: res?.data?.message_id };
    } catch (err) {
      return failureFromError(err);
    }
  }

  /** im/v1/files: the bytes of a file message, uploaded before each attempt (a file_key is not reused across retries). */
  private async uploadFile(file: OutgoingFile): Promise<{ ok: true; fileKey: string } | { ok: false; outcome: SendOutcome }> {
    const res = await this.client.im.v1.file.create({
      data: { file_type: file.fileType, file_name: file.fileName, file: Buffer.from(file.base64, 'base64') },
    });
    if (!res?.file_key) return { ok: false, outcome: { ok: false, retryable: true, undeliverable: false, error: 'file upload returned no file_key' } };
    return { ok: true, fileKey: res.file_key };
  }
}
