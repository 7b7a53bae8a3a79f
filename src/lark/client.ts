import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../log.js';
import type { AttachmentSpec, MessageTransport, OutboxRow, OutgoingFile, OutgoingImage, SendOutcome } from '../outbox.js';
import { messageUuid } from '../outbox.js';

export function larkDomain(domain: string): lark.Domain | string {
  if (domain === 'feishu') return lark.Domain.Feishu;
  if (domain === 'lark') return lark.Domain.Lark;
  return domain.replace(/\/+$/, '');
}

/** The SDK's logger, routed into pino at a level no louder than warn unless debugging. */
export function sdkLogger(log: Logger): lark.Logger {
  const line = (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') => (...msg: unknown[]) =>
    log[level]({ component: 'lark-sdk' }, msg.flat().map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' '));
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
    logger: sdkLogger(opts.log),
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

const IMAGE_MAX_BYTES = 10 * 1024 * 1024;

/** Sends outbox rows through the real SDK. */
/** Makes the bytes of an attachment described by an outbox row (certificates are drawn here, not in the callback). */
export type AttachmentRenderer = (spec: AttachmentSpec) => Promise<Buffer>;

export class LarkTransport implements MessageTransport {
  constructor(
    private readonly client: lark.Client,
    private readonly renderAttachment?: AttachmentRenderer,
  ) {}

  async deliver(row: OutboxRow): Promise<SendOutcome> {
    let content = JSON.stringify(row.card);
    try {
      if (row.msgType === 'file') {
        const uploaded = await this.uploadFile(row.card as OutgoingFile);
        if (!uploaded.ok) return uploaded.outcome;
        content = JSON.stringify({ file_key: uploaded.fileKey });
      } else if (row.msgType === 'image') {
        const uploaded = await this.uploadImage(row.card as OutgoingImage);
        if (!uploaded.ok) return uploaded.outcome;
        content = JSON.stringify({ image_key: uploaded.imageKey });
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
    const bytes = await this.bytesOf(file);
    const res = await this.client.im.v1.file.create({ data: { file_type: file.fileType, file_name: file.fileName, file: bytes } });
    if (!res?.file_key) return { ok: false, outcome: { ok: false, retryable: true, undeliverable: false, error: 'file upload returned no file_key' } };
    return { ok: true, fileKey: res.file_key };
  }

  /** im/v1/images with image_type message: at most 10 MB, never empty (open.feishu.cn/document/server-docs/im-v1/image/create). */
  private async uploadImage(image: OutgoingImage): Promise<{ ok: true; imageKey: string } | { ok: false; outcome: SendOutcome }> {
    const bytes = await this.bytesOf(image);
    if (bytes.length === 0 || bytes.length > IMAGE_MAX_BYTES) {
      return { ok: false, outcome: { ok: false, retryable: false, undeliverable: false, error: `image of ${bytes.length} bytes: Feishu takes 1 byte to 10 MB` } };
    }
    const res = await this.client.im.v1.image.create({ data: { image_type: 'message', image: bytes } });
    if (!res?.image_key) return { ok: false, outcome: { ok: false, retryable: true, undeliverable: false, error: 'image upload returned no image_key' } };
    return { ok: true, imageKey: res.image_key };
  }

  private async bytesOf(attachment: { base64?: string; render?: AttachmentSpec }): Promise<Buffer> {
    if (attachment.base64 !== undefined) return Buffer.from(attachment.base64, 'base64');
    if (!attachment.render) throw new Error('attachment has neither bytes nor a render description');
    if (!this.renderAttachment) throw new Error(`no renderer for attachment kind ${attachment.render.kind}`);
    return this.renderAttachment(attachment.render);
  }
}
