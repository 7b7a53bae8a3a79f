import * as lark from './sdk.js';
import { type Logger, withoutParams } from '../log.js';
import type { AttachmentSpec, MessageTransport, Outage, OutboxRow, OutgoingFile, OutgoingImage, RenderedAttachment, SendOutcome } from '../outbox.js';
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

// the SDK quotes errors in its own lines (`error: ${error}`): a database error's values are cut first
const clip = (v: unknown) => (typeof v === 'string' ? withoutParams(v).slice(0, 300) : undefined);

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
export function sdkLogger(log: Logger, secrets: (string | undefined)[] = [], opts: { keepNoAnswer?: boolean } = {}): lark.Logger {
  const known = secrets.filter((x): x is string => typeof x === 'string' && x.length >= 4);
  const mask = (text: string) => known.reduce((t, secret) => t.split(secret).join('[redacted]'), text);
  const line = (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') => (...args: unknown[]) => {
    const fields = args.flatMap(sdkLogFields).map((f) => JSON.parse(mask(JSON.stringify(f))) as SdkLogFields);
    const text = fields.map((f) => [f.message, f.status && `HTTP ${f.status}`, f.feishuCode !== undefined && `code ${f.feishuCode}: ${f.feishuMsg ?? ''}`].filter(Boolean).join(' · ')).join(' | ');
    // a call that got no answer is its caller's to report: the outbox logs an outage once, not a line per attempt; the
    // long connection has no other caller, and its line is the only one saying why it cannot connect (`keepNoAnswer`)
    log[level === 'error' && noAnswer(fields) ? (opts.keepNoAnswer ? 'warn' : 'debug') : level]({ component: 'lark-sdk', sdk: fields }, text || 'sdk log line');
  };
  return { error: line('error'), warn: line('warn'), info: line('debug'), debug: line('debug'), trace: line('trace') };
}

const NO_ANSWER = /\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|EPIPE)\b|socket hang up|timeout of \d+ms exceeded|^Network Error$/;

/** The SDK's line about a request that got no answer (no HTTP status, no Feishu code). */
function noAnswer(fields: SdkLogFields[]): boolean {
  return fields.length > 0 && fields.every((f) => f.status === undefined && f.feishuCode === undefined) && fields.some((f) => NO_ANSWER.test(String(f.code ?? '')) || NO_ANSWER.test(f.message ?? ''));
}

/**
 * Each SDK HTTP call gives up after this: an attempt (a token, an upload and the send, twice when the token was
 * refused) stays inside the outbox's lease (`defaultOutboxLimits.leaseMs`), so a hung request never outlives its claim.
 */
export const SDK_HTTP_TIMEOUT_MS = 20_000;

/** The SDK's shared axios instance with our timeout on every call (the SDK sets none). */
function withTimeout(http: lark.HttpInstance, timeoutMs: number): lark.HttpInstance {
  const o = <D>(opts?: lark.HttpRequestOptions<D>): lark.HttpRequestOptions<D> => ({ timeout: timeoutMs, ...opts });
  return {
    request: (opts) => http.request(o(opts)),
    get: (url, opts) => http.get(url, o(opts)),
    delete: (url, opts) => http.delete(url, o(opts)),
    head: (url, opts) => http.head(url, o(opts)),
    options: (url, opts) => http.options(url, o(opts)),
    post: (url, data, opts) => http.post(url, data, o(opts)),
    put: (url, data, opts) => http.put(url, data, o(opts)),
    patch: (url, data, opts) => http.patch(url, data, o(opts)),
  };
}

/** The SDK keeps the tenant token in the client's cache (TokenManager, key CTenantAccessToken); we keep a handle to empty it. */
const tokenCaches = new WeakMap<lark.Client, lark.DefaultCache>();

/** Forgets the cached tenant_access_token, so the client's next call fetches a new one. */
export function dropTenantToken(client: lark.Client): void {
  tokenCaches.get(client)?.values.clear();
}

/**
 * A call to Feishu (a read: an address-book look-up, a file's download) tried once more on a fresh token when Feishu
 * refused the cached one (TOKEN_INVALID_CODES), as `LarkTransport.deliver` does for sends; any other failure is the
 * call's own. The SDK throws on an HTTP error and returns `{ code }` otherwise.
 */
export async function withFreshToken<T>(client: lark.Client, call: () => Promise<T>): Promise<T> {
  try {
    const res = await call();
    const code = (res as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'number' || !TOKEN_INVALID_CODES.has(code)) return res;
  } catch (err) {
    const code = await errorCode(err);
    if (code === undefined || !TOKEN_INVALID_CODES.has(code)) throw err;
  }
  dropTenantToken(client);
  return call();
}

/**
 * The Feishu code of a failed call: in its JSON body, or in the body of a streamed call (a file's download answers
 * its error as a stream, `{"code":99991663,…}` to be read).
 */
export async function errorCode(err: unknown): Promise<number | undefined> {
  const data = (err as { response?: { data?: unknown } })?.response?.data;
  if (data && typeof data === 'object' && typeof (data as { code?: unknown }).code === 'number') return (data as { code: number }).code;
  if (!data || typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') return undefined;
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of data as AsyncIterable<Buffer | string>) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += b.length;
      if (size > 64 * 1024) return undefined;
      chunks.push(b);
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: unknown };
    // the stream is spent: the body read stands in its place, for whoever reads the error next
    (err as { response: { data?: unknown } }).response.data = body;
    return typeof body.code === 'number' ? body.code : undefined;
  } catch {
    return undefined;
  }
}

export function createLarkClient(opts: { appId: string; appSecret: string; domain: string; log: Logger; timeoutMs?: number }): lark.Client {
  // each client keeps its own token cache: two apps (or tests) in one process must not share tokens
  const cache = new lark.DefaultCache();
  const client = new lark.Client({
    appId: opts.appId,
    appSecret: opts.appSecret,
    domain: larkDomain(opts.domain),
    appType: lark.AppType.SelfBuild,
    cache,
    httpInstance: withTimeout(lark.defaultHttpInstance as unknown as lark.HttpInstance, opts.timeoutMs ?? SDK_HTTP_TIMEOUT_MS),
    logger: sdkLogger(opts.log, [opts.appSecret]),
    loggerLevel: lark.LoggerLevel.warn,
  });
  tokenCaches.set(client, cache);
  return client;
}

// Error codes of send / reply / patch (https://open.feishu.cn/document/server-docs/im-v1/message/create,
// .../message/patch) and the generic ones (https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code).
/**
 * 230020 and 99991400 rate limited; 230049 the same message is still being sent; 1 an internal error; 232096 an upload
 * refused while the app's data is read-only for a while, "应用信息被停写，请稍后重试"
 * (https://open.feishu.cn/document/server-docs/im-v1/file/create and .../image/create, error codes); 11232
 * "create message trigger rate limit", the message service's frequency control, which Feishu integrations report for
 * sends in a burst though message/create's table does not list it: tried again later like 230020, never dropped.
 */
const RETRYABLE_CODES = new Set([230020, 99991400, 11232, 230049, 1, 232096]);
/**
 * Nobody can fix these by trying again, and they concern one receiver or one message, so they are marked
 * undeliverable with a warning and a metric, never an alert per message: 230002 bot not in the chat,
 * 230053 user stopped the bot, 230013 user outside the app's availability (an administrator can widen it), 230029 user
 * resigned (of those three the outbox tells the administrators once per person, `unreachablePerson`), 230035 no permission to send in that chat and 230018 the group's settings forbid it (see MAY_PASS_CODES), 230017 the
 * bot is not the owner of the resource, 230029 user resigned, 230034 the receive_id is invalid (a chat disbanded or
 * never known), 230038 receiver in another tenant without permission, 232009 chat disbanded, 230054 a connection
 * group (私有互通群) that takes no cards; patch only: 230031 the card is older than 14 days, 230110 message deleted,
 * 230011 message recalled.
 */
const UNDELIVERABLE_CODES = new Set([230002, 230053, 230013, 230035, 230018, 230017, 230029, 230034, 230038, 232009, 230054, 230031, 230110, 230011]);
/**
 * Of those, the ones that may pass in a group: 230035 is also what a muted group (禁言) answers, "没有发送消息的权限，请排查群是否已
 * 开启禁言、被对方屏蔽或受到租户维度沟通权限的管控", and 230018 a group where only some members may speak, "当前操作被群设置禁止，
 * 例如群聊设置了仅指定成员可以在此群发言" (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes).
 * A group's settings change back in time, so the outbox tries a row to a chat again later; to a person it stays undeliverable.
 */
const MAY_PASS_CODES = new Set([230035, 230018]);
/**
 * Of those, the ones that say the chat itself is gone for the bot: 230002 bot not in the chat, 230034 chat not found,
 * 232009 chat disbanded; and 230054, a connection group refusing cards, which is every message the bot sends a group.
 */
const CHAT_GONE_CODES = new Set([230002, 230034, 232009, 230054]);
/**
 * 230099 is a card Feishu could not take, which sending again does not change, but for one case: "card action is lock"
 * (sub-code 11310), a JSON 2.0 card being interacted with, "表示 JSON 2.0 结构的卡片正在交互中，无法进行更新"
 * (https://open.feishu.cn/document/server-docs/im-v1/message/create, 230099 子错误码). An update right after a click
 * (a late answer, a bulk job's progress) can meet it; it is tried again once the click is answered (`cardLocked`: the
 * outbox's cardLockedRetryMs later).
 */
const CARD_LOCKED = /card action is lock/i;
/**
 * 230006 "Bot ability is not activated": the app's 机器人 ability is off (a version published without it), so every send
 * of the app fails alike until an administrator turns it on and publishes a version ("Bot ability is not enabled… enable
 * and launch the bot", https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes). No receiver's
 * fault: every send is held as an outage (`bot`) and probed, and goes out once Feishu takes it, none lost.
 */
const BOT_ABILITY_OFF = 230006;
/**
 * 99991672 "Access denied. One of the following scopes is required: [im:message, im:message:send_as_bot]": the app lacks
 * the permission every send needs (an administrator removed it, or a version was published without it). Nobody's message
 * is at fault and every one fails alike until an administrator adds the scope in the developer console and publishes a
 * version ("步骤一：明确需要申请的权限 … error.permission_violations",
 * https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error): held as
 * an outage (`scope`), as 230006 is, not dead-lettered one by one with nobody told (the alert fails alike) and nothing
 * sent once the scope is back. A scope named that is not the messages' (im:resource for an upload) stays this row's.
 */
const SCOPE_MISSING = 99991672;
const messageScopeMissing = (msg: string): boolean => {
  const named = /\[([^\]]*)\]/.exec(msg)?.[1];
  return named === undefined || /\bim:message\b/.test(named);
};
/**
 * A person nothing the bot sends reaches any more, which only the administrators can mend: 230013 "Bot has NO availability
 * to this user" (outside the app's 可用范围, which an administrator widens), 230029 "User has resigned" (用户已离职: their
 * teams need another leader or contact, their tasks another expert), 230053 "The user has stopped the bot from sending
 * messages" (someone must ask them to let it again) (https://open.feishu.cn/document/server-docs/im-v1/message/create,
 * error codes).
 */
const UNREACHABLE_PERSON: Record<number, 'outside' | 'resigned' | 'stopped'> = { 230013: 'outside', 230029: 'resigned', 230053: 'stopped' };
/**
 * 230028 "The messages do NOT pass the audit.": the tenant's data-loss prevention refused the content, "消息DLP审查未通过，当消息
 * 内容中含有明文电话号码、明文个人邮箱等内容时可能会触发该错误" (https://open.feishu.cn/document/server-docs/im-v1/message/create,
 * error codes). The same content is refused again; the outbox sends it once more without the association's contact
 * and the phone numbers and e-mails users typed into it (`SendOutcome.dlpRefused`).
 */
const DLP_REFUSED = 230028;
/**
 * 99992361 "open_id cross app": the open_id is another app's (an open_id is per app; "Refer to the documentation to fix the
 * error: https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-obtain-openid"). Nothing
 * sent to it will pass (`SendOutcome.foreignOpenId`).
 */
const OPEN_ID_CROSS_APP = 99992361;
/** 99991401: the server's IP is not in the app's allow-list; every retry fails the same way until an admin fixes it. */
const PERMANENT_CODES = new Set([99991401]);
/**
 * A token missing (99991661), invalid or expired: the tenant's (99991663, and 99991665 "tenant_access_token 非法"), the
 * app's (99991664), or any (99991668). Drop the cached token and try once more
 * (https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code).
 */
export const TOKEN_INVALID_CODES = new Set([99991661, 99991663, 99991664, 99991665, 99991668]);

/** Seconds until Feishu's rate-limit window reopens (https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control). */
function rateLimitResetMs(headers: Record<string, unknown> | undefined): number | undefined {
  const raw = headers?.['x-ogw-ratelimit-reset'];
  const seconds = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds * 1000) : undefined;
}

/** Reads status and Feishu code from what the SDK throws (an axios error) or returns (a non-zero code). */
export function classifyFailure(status: number | undefined, code: number | undefined, msg: string, headers?: Record<string, unknown>): SendOutcome {
  const error = `HTTP ${status ?? '-'} code ${code ?? '-'}: ${msg}`.slice(0, 500);
  const permanent: SendOutcome = { ok: false, retryable: false, undeliverable: false, error };
  const retry = (retryAfterMs?: number): SendOutcome => ({ ok: false, retryable: true, undeliverable: false, error, ...(retryAfterMs ? { retryAfterMs } : {}) });
  if (code !== undefined && PERMANENT_CODES.has(code)) return permanent;
  if (code === DLP_REFUSED) return { ...permanent, dlpRefused: true };
  if (code === OPEN_ID_CROSS_APP) return { ...permanent, foreignOpenId: true };
  if (code === BOT_ABILITY_OFF) return { ok: false, retryable: true, undeliverable: false, error, appWide: true, outage: 'bot' };
  if (code === SCOPE_MISSING && messageScopeMissing(msg)) return { ok: false, retryable: true, undeliverable: false, error, appWide: true, outage: 'scope' };
  if (code !== undefined && UNDELIVERABLE_CODES.has(code)) {
    return {
      ok: false,
      retryable: false,
      undeliverable: true,
      error,
      ...(CHAT_GONE_CODES.has(code) ? { chatGone: true } : {}),
      ...(MAY_PASS_CODES.has(code) ? { mayPassInChat: true } : {}),
      ...(UNREACHABLE_PERSON[code] ? { unreachablePerson: UNREACHABLE_PERSON[code] } : {}),
    };
  }
  // the app's own frequency limit, for every send alike: the dispatcher holds all of them until the window reopens
  if (status === 429 || code === 99991400) {
    const retryAfterMs = rateLimitResetMs(headers);
    return { ok: false, retryable: true, undeliverable: false, error, appWide: true, ...(retryAfterMs ? { retryAfterMs } : {}) };
  }
  if (code !== undefined && (RETRYABLE_CODES.has(code) || TOKEN_INVALID_CODES.has(code))) return retry();
  if (code === 230099 && CARD_LOCKED.test(msg)) return { ok: false, retryable: true, undeliverable: false, error, cardLocked: true };
  if (status !== undefined && status >= 500) return retry();
  if (status === undefined && code === undefined) return retry(); // network or timeout
  return permanent;
}

interface Attempt {
  outcome: SendOutcome;
  code?: number;
}

/**
 * What the SDK throws when tenant_access_token/internal answers a non-zero code (HTTP 200 `{ code, msg }`): a plain
 * Error, "failed to get tenant_access_token, code: 10014, msg: app secret invalid", before the call itself is sent.
 * The endpoint's page (https://open.feishu.cn/document/ukTMukTMukTM/ukDNz4SO0MjL5QzM/auth-v3/auth/tenant_access_token_internal)
 * refers to the generic error codes; 10014 "app secret invalid" is a wrong LARK_APP_SECRET, 10003 an app_id Feishu does
 * not know (LARK_APP_ID).
 */
const TOKEN_REFUSED = /^failed to get (?:tenant|app)_access_token, code: (-?\d+|unknown), msg: (.*)$/s;

/** The setting an operator fixes for a refused token: by its code, else both. */
function credentialHint(code: string): string {
  if (code === '10014') return 'check LARK_APP_SECRET';
  if (code === '10003') return 'check LARK_APP_ID';
  return 'check LARK_APP_ID and LARK_APP_SECRET';
}

/** The token endpoint's refusal of the app's credentials, as an error line naming the setting; undefined for any other error. */
export function tokenRefusal(err: unknown): string | undefined {
  const m = TOKEN_REFUSED.exec(String((err as { message?: unknown })?.message ?? ''));
  return m ? `tenant_access_token refused, code ${m[1]}: ${m[2].slice(0, 200)} (${credentialHint(m[1])})` : undefined;
}

/** axios' codes for a request that got no answer: refused, reset, timed out, a name not resolved, a network down. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EPIPE', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/** An axios error without a response: the Open Platform was not reached (or did not answer in time). */
export function isNetworkError(err: unknown): boolean {
  const e = err as { isAxiosError?: unknown; response?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  if (!e || typeof e !== 'object' || e.response) return false;
  return e.isAxiosError === true || NETWORK_CODES.has(String(e.code)) || NETWORK_CODES.has(String(e.cause?.code));
}

/**
 * The gateway in front of the Open Platform's API answered for it (502, 503, 504 with its own page, no `{ code, msg }`):
 * the API was not reached, for this send as for every other, as when no answer came at all. A 5xx that carries a code is
 * the API's own answer about this call, tried again as the row's.
 */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

function gatewayAnswer(err: unknown): string | undefined {
  const response = (err as { response?: { status?: unknown; data?: unknown } } | null)?.response;
  if (!response || typeof response.status !== 'number' || !GATEWAY_STATUSES.has(response.status)) return undefined;
  const data = response.data as { code?: unknown } | null | undefined;
  if (data && typeof data === 'object' && typeof data.code === 'number') return undefined;
  return `no answer from the API: HTTP ${response.status} from the Open Platform's gateway`;
}

const TOKEN_ENDPOINT = /\/open-apis\/auth\/v3\/(?:tenant|app)_access_token\/internal(?:$|[?#])/;

/**
 * tenant_access_token/internal answering 5xx, with a `{ code, msg }` or not: no send of the app gets a token until it
 * answers again, so it is every send's failure (held as an outage) and not this row's to spend its attempts on.
 */
function tokenEndpointDown(err: unknown): string | undefined {
  const e = err as { config?: { url?: unknown }; response?: { status?: unknown; data?: unknown } } | null;
  const status = e?.response?.status;
  if (typeof status !== 'number' || status < 500 || !TOKEN_ENDPOINT.test(String(e?.config?.url ?? ''))) return undefined;
  const data = e?.response?.data as { code?: unknown; msg?: unknown } | null | undefined;
  const said = data && typeof data === 'object' && typeof data.code === 'number' ? ` code ${data.code}: ${String(data.msg ?? '')}` : '';
  return `no token: HTTP ${status}${said} from tenant_access_token/internal`.slice(0, 500);
}

function failureFromError(err: unknown): Attempt {
  // what the bot's setup must fix (a certificate font not installed): tried again when it says, its line kept
  const setupRetryMs = (err as { setupRetryMs?: unknown })?.setupRetryMs;
  if (typeof setupRetryMs === 'number') return { outcome: { ok: false, retryable: true, undeliverable: false, error: String((err as Error).message).slice(0, 500), retryAfterMs: setupRetryMs } };
  // what drawing again cannot change (a certificate too heavy for Feishu, CertificateTooLargeError): given up at once,
  // dead-lettered (logged at error, the administrators alerted) with its line saying what to fix
  if ((err as { setupFinal?: unknown })?.setupFinal === true) return { outcome: { ok: false, retryable: false, undeliverable: false, error: String((err as Error).message).slice(0, 500) } };
  // every send of the app fails alike until the secret is fixed or the platform answers: the outbox holds them all
  const refused = tokenRefusal(err);
  if (refused) return { outcome: { ok: false, retryable: true, undeliverable: false, error: refused, appWide: true, outage: 'credentials' } };
  const e = err as { response?: { status?: number; headers?: Record<string, unknown>; data?: { code?: number; msg?: string } }; message?: string; code?: string };
  if (isNetworkError(err)) {
    return { outcome: { ok: false, retryable: true, undeliverable: false, error: `no answer: ${[e.code, e.message].filter(Boolean).join(' ')}`.slice(0, 500), appWide: true, outage: 'network' } };
  }
  const gateway = gatewayAnswer(err) ?? tokenEndpointDown(err);
  if (gateway) return { outcome: { ok: false, retryable: true, undeliverable: false, error: gateway, appWide: true, outage: 'network' } };
  const data = e?.response?.data;
  const code = typeof data?.code === 'number' ? data.code : undefined;
  return { code, outcome: classifyFailure(e?.response?.status, code, data?.msg ?? e?.message ?? String(err), headersOf(e?.response?.headers)) };
}

/** axios headers as a plain object (AxiosHeaders has toJSON). */
function headersOf(headers: unknown): Record<string, unknown> | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { toJSON?: () => Record<string, unknown> };
  return typeof h.toJSON === 'function' ? h.toJSON() : (headers as Record<string, unknown>);
}

/**
 * Asks for the tenant token once (the start-up check): what kept it back, a refusal of the app's credentials (naming
 * the setting) or no answer; undefined when Feishu grants it or answered otherwise. The SDK keeps the token it gets for the first send.
 */
export async function credentialsProblem(client: lark.Client): Promise<{ kind: Outage; error: string } | undefined> {
  try {
    await (client as unknown as { tokenManager: { getTenantAccessToken(): Promise<unknown> } }).tokenManager.getTenantAccessToken();
    return undefined;
  } catch (err) {
    const refused = tokenRefusal(err);
    if (refused) return { kind: 'credentials', error: refused };
    const e = err as { code?: unknown; message?: unknown };
    if (isNetworkError(err)) return { kind: 'network', error: `no answer: ${[e?.code, e?.message].filter(Boolean).join(' ')}`.slice(0, 500) };
    const gateway = gatewayAnswer(err) ?? tokenEndpointDown(err);
    if (gateway) return { kind: 'network', error: gateway };
    // another HTTP answer: the SDK has logged it, and the sends will say how they fare
    return undefined;
  }
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
    pending ??= withFreshToken(client, () => client.request<{ code?: number; bot?: { open_id?: string } }>({ method: 'GET', url: '/open-apis/bot/v3/info' }))
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

/**
 * Makes the bytes of an attachment described by an outbox row (certificates are drawn here, not in the
 * callback), or says to drop the message (`RenderedAttachment`); it runs at each attempt, just before the upload.
 */
export type AttachmentRenderer = ((spec: AttachmentSpec) => Promise<RenderedAttachment>) & {
  /**
   * Asked again once the bytes are uploaded, just before the message goes out: `drop` when it must no longer (a title
   * revoked while its certificate was being drawn and uploaded). What is uploaded and not sent stays unseen.
   */
  recheck?: (spec: AttachmentSpec) => Promise<{ drop: string } | undefined>;
};

/**
 * A text message's text with nothing Feishu would read as markup: a text message turns `<at user_id="all"></at>`
 * into @所有人, `<b>`/`<i>`/`<u>` into styles and `[文字](https://…)` into a link
 * (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/im-v1/message/create_json, 文本 text). The bot's texts
 * use none; a name or a refusal quoting what someone typed might, so `<` before a tag and a link's brackets are
 * sent in their full-width forms, which read the same.
 */
export function inertText(text: string): string {
  // only a link's brackets: a JSON example in a refusal ([{"code": …}]) keeps its own
  return text.replace(/<(?=\/?[A-Za-z])/g, '＜').replace(/\[([^\]\n]*)\]\(/g, '［$1］(');
}

/** Sends outbox rows through the real SDK. */
export class LarkTransport implements MessageTransport {
  constructor(
    private readonly client: lark.Client,
    private readonly renderAttachment?: AttachmentRenderer,
  ) {}

  async deliver(row: OutboxRow, uuidKey: string = row.dedupeKey): Promise<SendOutcome> {
    const first = await this.attempt(row, uuidKey);
    if (first.code === undefined || !TOKEN_INVALID_CODES.has(first.code)) return first.outcome;
    // a revoked or expired tenant token: the SDK would keep using its cached one until it expires
    dropTenantToken(this.client);
    return (await this.attempt(row, uuidKey)).outcome;
  }

  private async attempt(row: OutboxRow, uuidKey: string): Promise<Attempt> {
    let content = row.msgType === 'text' ? JSON.stringify({ text: inertText(String((row.card as { text?: unknown }).text ?? '')) }) : JSON.stringify(row.card);
    try {
      if (row.msgType === 'file') {
        const uploaded = await this.uploadFile(row.card as OutgoingFile);
        if (!uploaded.ok) return { outcome: uploaded.outcome };
        content = JSON.stringify({ file_key: uploaded.fileKey });
      } else if (row.msgType === 'image') {
        const uploaded = await this.uploadImage(row.card as OutgoingImage);
        if (!uploaded.ok) return { outcome: uploaded.outcome };
        content = JSON.stringify({ image_key: uploaded.imageKey });
      }
      const drawn = row.msgType === 'file' || row.msgType === 'image' ? (row.card as OutgoingFile | OutgoingImage).render : undefined;
      const late = drawn && this.renderAttachment?.recheck ? await this.renderAttachment.recheck(drawn) : undefined;
      if (late) return { outcome: { ok: false, drop: late.drop } };
      let res: { code?: number; msg?: string; data?: { message_id?: string } } | undefined;
      if (row.kind === 'send') {
        res = await this.client.im.v1.message.create({
          params: { receive_id_type: row.receiveIdType as 'open_id' | 'chat_id' },
          data: { receive_id: row.receiver, msg_type: row.msgType, content, uuid: messageUuid(uuidKey) },
        });
      } else if (row.kind === 'reply') {
        res = await this.client.im.v1.message.reply({
          path: { message_id: row.receiver },
          data: { msg_type: row.msgType, content, uuid: messageUuid(uuidKey) },
        });
      } else {
        res = await this.client.im.v1.message.patch({ path: { message_id: row.receiver }, data: { content } });
      }
      if (res && typeof res.code === 'number' && res.code !== 0) return { code: res.code, outcome: classifyFailure(200, res.code, res.msg ?? '') };
      return { outcome: { ok: true, messageId: res?.data?.message_id } };
    } catch (err) {
      return failureFromError(err);
    }
  }

  /** im/v1/files: the bytes of a file message, uploaded before each attempt (a file_key is not reused across retries). */
  private async uploadFile(file: OutgoingFile): Promise<{ ok: true; fileKey: string } | { ok: false; outcome: SendOutcome }> {
    const rendered = await this.bytesOf(file);
    if ('drop' in rendered) return { ok: false, outcome: { ok: false, drop: rendered.drop } };
    const { bytes } = rendered;
    const res = await this.client.im.v1.file.create({ data: { file_type: file.fileType, file_name: file.fileName, file: bytes } });
    if (!res?.file_key) return { ok: false, outcome: { ok: false, retryable: true, undeliverable: false, error: 'file upload returned no file_key' } };
    return { ok: true, fileKey: res.file_key };
  }

  /** im/v1/images with image_type message: at most 10 MB, never empty (open.feishu.cn/document/server-docs/im-v1/image/create). */
  private async uploadImage(image: OutgoingImage): Promise<{ ok: true; imageKey: string } | { ok: false; outcome: SendOutcome }> {
    const rendered = await this.bytesOf(image);
    if ('drop' in rendered) return { ok: false, outcome: { ok: false, drop: rendered.drop } };
    const { bytes } = rendered;
    if (bytes.length === 0 || bytes.length > IMAGE_MAX_BYTES) {
      return { ok: false, outcome: { ok: false, retryable: false, undeliverable: false, error: `image of ${bytes.length} bytes: Feishu takes 1 byte to 10 MB` } };
    }
    const res = await this.client.im.v1.image.create({ data: { image_type: 'message', image: bytes } });
    if (!res?.image_key) return { ok: false, outcome: { ok: false, retryable: true, undeliverable: false, error: 'image upload returned no image_key' } };
    return { ok: true, imageKey: res.image_key };
  }

  /** The bytes in the row, or those its renderer draws now; a renderer's `drop` means nothing is uploaded or sent. */
  private async bytesOf(attachment: { base64?: string; render?: AttachmentSpec }): Promise<RenderedAttachment> {
    if (attachment.base64 !== undefined) return { bytes: Buffer.from(attachment.base64, 'base64') };
    if (!attachment.render) throw new Error('attachment has neither bytes nor a render description');
    if (!this.renderAttachment) throw new Error(`no renderer for attachment kind ${attachment.render.kind}`);
    return this.renderAttachment(attachment.render);
  }
}
