/**
 * A simulated Feishu/Lark Open Platform for tests and local mode.
 *
 * A plain node:http server on 127.0.0.1 (random port by default) that answers
 * the handful of Open API endpoints this bot uses, records every request, and
 * can be told to fail message sends the way Feishu does. Point the SDK at it
 * with `new lark.Client({ appId, appSecret, domain: fake.url, ... })`.
 *
 * What a caller of @larksuiteoapi/node-sdk (1.74) sees on a fault
 * ---------------------------------------------------------------
 * The SDK uses axios with the default `validateStatus` (2xx only), and the
 * generated methods (`client.im.v1.message.create`, `.reply`, ...) log the error
 * and re-throw it unchanged. So for an injected fault such as
 * `{ status: 429, code: 230020 }` the returned promise REJECTS with an
 * `AxiosError` (from the SDK's bundled axios, so compare with `err.isAxiosError`
 * or `axios.isAxiosError(err)` rather than `instanceof`):
 *
 *   err.name                  === 'AxiosError'
 *   err.isAxiosError          === true
 *   err.code                  === 'ERR_BAD_REQUEST' (4xx) | 'ERR_BAD_RESPONSE' (5xx)
 *   err.message               === 'Request failed with status code 429'
 *   err.status                === 429   (axios >= 1.x also copies it here)
 *   err.response.status       === 429   (statusText 'Too Many Requests')
 *   err.response.data         === { code: 230020, msg: '...' }   // parsed JSON
 *   err.response.headers      // AxiosHeaders; for 429 includes x-ogw-ratelimit-limit / -reset
 *   err.config.url            // full URL of the request
 *
 * NB: the Feishu error `code` is at `err.response.data.code`, NOT `err.code`
 * (that is axios' own string code).
 *
 * Conversely, an HTTP 200 answer whose JSON has `code !== 0` does NOT reject:
 * the SDK resolves with that body (`{code, msg}`) and the caller must check
 * `res.code`. The token endpoint is the exception: a 200 `{code:10014}` from
 * tenant_access_token/internal makes the SDK throw a plain `Error` whose message
 * reads "failed to get tenant_access_token, code: 10014, msg: app secret invalid",
 * before the real request is even sent.
 *
 * The SDK also logs every failed call itself (console, level error) unless the
 * Client gets a `logger` of its own. Beware: `loggerLevel: LoggerLevel.fatal`
 * (= 0) is falsy and the SDK's `loggerLevel || info` turns it into `info`.
 *
 * Dependency-free on purpose (node:http, node:crypto only).
 */
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { cardRuleViolations, findComponentByName, MAX_CARD_CONTENT_BYTES, taggedObjects } from './cardRules.js';
import { hostOfHeader, isLoopbackHost } from '../config.js';

/** The bot's own open_id, as /bot/v3/info answers it and as mentions of the bot carry it. */
export const FAKE_BOT_OPEN_ID = 'ou_bot0000000000000000000000000000';

export interface RecordedRequest {
  /** Date.now() (ms) when the request was received */
  at: number;
  method: string;
  /** pathname only */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /**
   * Parsed JSON body; `null` when empty; the raw string when it is not JSON.
   * For multipart uploads: `{ fields: Record<string,string>, files: {field, filename, size}[] }`.
   */
  body: any;
}

export interface SentMessage {
  messageId: string;
  at: number;
  /**
   * For create: the `receive_id_type` query param. For reply: inherited from the
   * replied-to message when the fake sent it, else `'message_id'` (and
   * `receiveId` is the replied-to message id).
   */
  receiveIdType: string;
  receiveId: string;
  msgType: string;
  /** JSON.parse of the content string when it parses, else the raw string */
  content: any;
  /** message_id this was a reply to (reply endpoint only) */
  replyTo?: string;
  /**
   * create: the receive_id for chat_id sends, else the user's deterministic p2p
   * chat (`p2pChatIdFor(receive_id)`). reply: the replied-to message's chat when
   * the fake sent that message, else undefined (the fake cannot know it).
   */
  chatId?: string;
  /** the request's uuid (idempotency key), if any */
  uuid?: string;
  /** when Feishu created it, by the fake's clock (`now`): the 14-day window of a card counts from here */
  createTime: number;
  /** reply endpoint's reply_in_thread flag, if given */
  replyInThread?: boolean;
  /**
   * the thread (话题) a reply landed in: the replied-to message's own, by default for a message already in one, or a new
   * thread when reply_in_thread is true (https://open.feishu.cn/document/server-docs/im-v1/message/reply)
   */
  threadId?: string;
}

/**
 * An injected failure. Rate-limit answers (HTTP 429 or code 99991400) carry `x-ogw-ratelimit-reset`
 * (`resetSeconds`, default 1) as Feishu's gateway does. `delayMs` holds the answer back, as a stalled gateway. `cut`
 * closes the connection with no answer at all (the caller sees ECONNRESET, "socket hang up"): a network blip. `gateway`
 * answers `status` as the gateway in front of the API does when the API is down (an HTML page, no `{code, msg}`).
 */
export type Fault = { status: number; code: number; msg?: string; resetSeconds?: number; delayMs?: number; cut?: boolean; gateway?: boolean };

/** What message/get-2 answers with the codes of the files it refuses (the codes its page lists; the words are the simulation's). */
const REFUSED_FILE_MESSAGES: Record<number, string> = {
  234004: 'App not in chat.',
  234037: 'Downloaded file size exceeds limit.',
  234038: "Message resources can't be downloaded because the chat is in confidential mode.",
  234040: 'Message is invisible to the operator.',
  234043: 'Unsupported message type.',
};

/** Someone in the simulated tenant's address book, found by contact/v3/users/batch_get_id. */
export interface DirectoryUser {
  openId: string;
  name: string;
  mobile?: string;
  /** the e-mail bound to the Feishu account: what batch_get_id finds */
  email?: string;
  /**
   * their Feishu Mail address (企业邮箱): batch_get_id never finds it ("使用企业邮箱查询将无法返回用户 ID",
   * https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id); user.get gives it as enterprise_email
   */
  enterpriseEmail?: string;
  /**
   * 离职: batch_get_id finds them only with include_resigned, and a message to them is refused, HTTP 400
   * `{code: 230029, msg: "User has resigned."}` (用户已离职, https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes)
   */
  resigned?: boolean;
  /**
   * Outside the app's 可用范围: a message to them is refused, HTTP 400 `{code: 230013, msg: "Bot has NO availability to this
   * user."}` (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes; the range is widened in the
   * developer console, 版本管理与发布, and takes effect with a published version)
   */
  outsideAvailability?: boolean;
}

/** What an accepted upload (im/v1/images or im/v1/files) carried, kept under the key it was answered with. */
export interface FakeUpload {
  at: number;
  kind: 'image' | 'file';
  /** image_key or file_key */
  key: string;
  bytes: Buffer;
  /** images: the format read from the bytes, and the size from the PNG/GIF/BMP header when it has one */
  format?: string;
  width?: number;
  height?: number;
  imageType?: string;
  fileType?: string;
  fileName?: string;
}

export interface FakeUpdate {
  at: number;
  /** PATCH /im/v1/messages/:message_id */
  messageId?: string;
  /** POST /interactive/v1/card/update */
  token?: string;
  /** parsed card JSON (raw string if it does not parse) */
  card: any;
}

/** Any one of them lets the app subscribe to 员工离职 (https://open.feishu.cn/document/server-docs/contact-v3/user/events/deleted). */
const USER_EVENT_SCOPES = ['contact:contact.base:readonly', 'contact:contact:readonly_as_app', 'contact:contact:access_as_app'];

/** Why the Feishu client or server would not let a click through; the callback never reaches the bot. */
export interface CardActionRefusal {
  ok: false;
  code: number;
  msg: string;
}

export interface FakeOpenPlatform {
  /** e.g. http://127.0.0.1:43211 — usable as the SDK's `domain` */
  url: string;
  requests: RecordedRequest[];
  /** every message accepted by create or reply, in order */
  messages: SentMessage[];
  /** PATCH /im/v1/messages/:id and POST /interactive/v1/card/update */
  updates: FakeUpdate[];
  /**
   * The PATCHes refused because their card was being interacted with (230099, "card action is lock"): a click judged
   * by `cardAction` and not yet answered (`answerCallback`), nor past Feishu's time for the answer. The card is what
   * the PATCH carried.
   */
  lockedUpdates: FakeUpdate[];
  /** every accepted image and file upload, in order */
  uploads: FakeUpload[];
  /** the upload behind an image_key or file_key */
  upload(key: string): FakeUpload | undefined;
  /**
   * Queue faults: each matching message-send request (create / reply) consumes
   * the next queued fault and is answered with it instead of success. Faults
   * queued by separate calls stay in FIFO order; a request takes the first
   * queued fault whose `match` accepts it (no `match` = any send). A card update
   * (PATCH) takes only a fault whose `match` accepts it.
   */
  injectFaults(faults: Fault[], match?: (req: RecordedRequest) => boolean): void;
  /** every send to this receive_id (or reply to a message the fake sent to it) answers this fault until cleared */
  failReceiver(receiveId: string, fault: Fault): void;
  /**
   * The app's 机器人 ability off (a version published without it): every send, reply and card update is refused, HTTP 400
   * `{code: 230006, msg: "Bot ability is not activated."}` (https://open.feishu.cn/document/server-docs/im-v1/message/create,
   * error codes), until it is turned on again or the fake is reset.
   */
  setBotAbility(on: boolean): void;
  /**
   * The tenant's data-loss prevention (DLP) on or off: while on, a message or card update whose content holds a mobile
   * number or a personal e-mail address in plain text is refused, HTTP 400 230028 "The messages do NOT pass the audit."
   * ("消息DLP审查未通过，当消息内容中含有明文电话号码、明文个人邮箱等内容时可能会触发该错误", the error tables of
   * https://open.feishu.cn/document/server-docs/im-v1/message/create and .../message/patch). Off unless turned on.
   * `patterns`: what the tenant's rules refuse instead of those (a tenant's rules are its own).
   */
  setDlp(on: boolean, patterns?: RegExp[]): void;
  /**
   * This open_id is another app's (copied from another app or tool): a message sent to it is refused, HTTP 400
   * `{code: 99992361, msg: "open_id cross app"}` (an open_id is per app,
   * https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-obtain-openid), until the fake is reset.
   */
  foreignOpenId(openId: string): void;
  /**
   * The chat is gone for the bot: every send to it (or reply in it) is answered as Feishu answers it, HTTP 400 with
   * `{code, msg}`: 232009 the chat was disbanded (the default), 230002 the bot was removed, 230034 no such chat. Until cleared.
   */
  loseChat(chatId: string, code?: 230002 | 230034 | 232009): void;
  /**
   * The chat is a connection group (私有互通群, with members of other tenants): a card sent or replied into it is refused,
   * HTTP 400 `{code: 230054}`, "私有互通群不支持发送特定的消息类型。如卡片消息"
   * (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes); text still goes.
   */
  connectionGroup(chatId: string): void;
  /** The token endpoints (tenant_access_token / app_access_token) answer these faults, one a request, before granting again. */
  failTokens(faults: Fault[]): void;
  /**
   * Holds back the answer to every request `match` accepts (method and pathname) by `delayMs`, until cleared: an API
   * that answers, slowly (a gateway under load). Unlike a fault's `delayMs` it applies to any request, reads too.
   */
  stall(match: (req: { method: string; path: string }) => boolean, delayMs: number): void;
  /**
   * Holds back the answer to every request `match` accepts until the returned function is called (or clearFaults or
   * reset): an API that has not answered yet, for as long as the test needs, however slowly the machine runs. A
   * request held is recorded once it is answered.
   */
  hold(match: (req: { method: string; path: string }) => boolean): () => void;
  /** drops queued faults, receiver faults, token faults and stalls; held requests are answered */
  clearFaults(): void;
  /**
   * Revokes every tenant token issued so far, as a secret reset or a re-published app does: calls with
   * one are answered 400 / `code` (99991663 by default, or 99991661 / 99991664 / 99991668) until a new token is fetched.
   */
  revokeTokens(code?: number): void;
  /**
   * The app without these permissions (权限, not yet requested or not yet published in a version): each API that needs one
   * of them and has no other granted answers HTTP 400 99991672 naming the scopes it wants, as Feishu does; a profile
   * (contact/v3/users/:user_id) leaves out the fields whose field permission is missing. Until `grantScopes` or reset.
   */
  revokeScopes(...scopes: string[]): void;
  grantScopes(...scopes: string[]): void;
  /** tenant tokens issued so far, oldest first */
  issuedTokens: string[];
  /** adds (or replaces, by open_id) someone in the tenant's address book; an open_id is made up when none is given */
  addUser(user: Omit<DirectoryUser, 'openId'> & { openId?: string }): DirectoryUser;
  /**
   * Someone of the address book leaves (离职): marked resigned (sends to them refused with 230029 from now on). True when
   * Feishu would tell the app of it with contact.user.deleted_v3 (`userDeletedEvent`, src/local/feishuEvents.ts): the
   * app holds contact:contact.base:readonly or contact:contact:readonly_as_app (or the older access_as_app),
   * https://open.feishu.cn/document/server-docs/contact-v3/user/events/deleted
   */
  resign(openId: string): boolean;
  /** the tenant's address book */
  directory(): DirectoryUser[];
  /** a file a user sent in a message, downloadable through im/v1/messages/:message_id/resources/:file_key */
  addMessageFile(messageId: string, fileKey: string, bytes: Buffer): void;
  /**
   * a file in a message Feishu will not give the bot, answered with `code` of message/get-2 (234038 a chat in 保密/防泄密
   * mode, 234043 a file inside a 合并转发 or a card, 234037 over 100 MB, 234040 not visible, 234004 a chat the app is not in)
   */
  refuseMessageFile(messageId: string, fileKey: string, code: 234004 | 234037 | 234038 | 234040 | 234043): void;
  /** who is in a group chat (a p2p chat holds its user); the operator of a click is always in its chat */
  setChatMembers(chatId: string, openIds: string[]): void;
  /** a user's message in a chat, as Feishu stores it: a reply to it lands in that chat, and in its thread when it is in one */
  userMessage(messageId: string, chatId: string, threadId?: string): void;
  /** whether the fake sent this message (and so can judge clicks on it) */
  knows(messageId: string): boolean;
  /**
   * A card this app sent before the fake's memory begins (another run, or a test's click on a card it did not draw):
   * a PATCH takes it as a shared interactive card, `card` (default an empty one declaring update_multi) until updated.
   */
  earlierCard(messageId: string, card?: unknown, sentAt?: number): void;
  /**
   * A click on (or form submit in) a card message, judged as Feishu does before any callback is sent: the
   * card must be under 14 days old, and a person picker's value must be one it could offer (its options, or
   * with none, the chat's members). `{ ok: true, chatId }` means Feishu would deliver the callback; from then on a
   * JSON 2.0 card is being interacted with and a PATCH of it is refused (`lockedUpdates`) until `answerCallback` for
   * it, or until `callbackTimeoutMs` has passed without one.
   */
  cardAction(a: { messageId: string; openId: string; value?: Record<string, unknown>; formValue?: Record<string, unknown> }): { ok: true; chatId?: string } | CardActionRefusal;
  /**
   * The card a callback answered with replaces the message's card, if Feishu accepts it: an answer later than Feishu
   * waits for a click `cardAction` let through (3 s, `answerTimeoutMs`) is 200341, one of another shape than
   * the page gives is 200672, a card Feishu cannot show 200673, a JSON 1.0 card for a JSON 2.0 one 200830. Any answer,
   * with a card or without, ends the interaction the click began: the card takes updates again.
   */
  answerCallback(messageId: string, body: unknown): { ok: true } | CardActionRefusal;
  /** the card a message shows now (after updates and callback answers) */
  currentCard(messageId: string): unknown;
  /**
   * Listeners for local mode, called synchronously after a message is accepted. A listener that returns a promise holds
   * the answer to the send until it settles, as Feishu answers a send only once it holds the message (local mode's
   * console stores it first); if it rejects, the message is taken back and the send is answered as Feishu's internal
   * error (HTTP 500, code 1), which a sender tries again.
   */
  on(event: 'message', fn: (m: SentMessage) => unknown): void;
  /** called synchronously after a card update (PATCH or delayed update by token) is accepted; a promise returned holds the answer as for a message */
  on(event: 'update', fn: (u: FakeUpdate) => unknown): void;
  /** clears requests/messages/updates/faults (and the uuid idempotency memory); listeners stay */
  reset(): void;
  /**
   * The platform out of reach (`false`): the port stops listening and open connections are cut, so a call fails as
   * with a network down, ECONNREFUSED (no HTTP answer, nothing recorded); `true` listens again on the same port.
   * What was sent and issued before is kept.
   */
  setReachable(reachable: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface FakeOpenPlatformOptions {
  /** default 0 (random) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** when given (with appSecret), token requests with other credentials get {code:10014} */
  appId?: string;
  appSecret?: string;
  /** the fake's clock (ms), for message create times and the 14-day window; default Date.now */
  now?: () => number;
  /**
   * Messages one receiver takes in a second before 230020: Feishu's 5 unless a test lifts it, together with the bot's
   * own per-receiver budget, to send bursts without waiting on the pace (the rule itself is tested at 5)
   */
  perReceiverPerSecond?: number;
  /**
   * Messages (sends and replies) the app may send in a second and in a minute before HTTP 429 99991400: Feishu's 50 and
   * 1 000 ("单应用调用频率上限为 1000 次/分钟、50 次/秒", https://open.feishu.cn/document/server-docs/im-v1/message/create)
   * unless a test lifts them, together with the bot's own budgets. Card updates (PATCH) have a limit of the same numbers,
   * counted apart.
   */
  perAppPerSecond?: number;
  perAppPerMinute?: number;
  /**
   * The clock (ms) the rate windows above are counted by; default Date.now (real time, whatever `now` says). A test
   * that checks a window's edges holds it still and moves it, so a slow machine cannot spread a burst over two windows.
   */
  rateNow?: () => number;
  /**
   * How long Feishu waits for a callback's answer, 3 s by default (see CALLBACK_TIMEOUT_MS): a card clicked and not
   * answered is locked this long at most (real time)
   */
  callbackTimeoutMs?: number;
  /**
   * How late an answer to a click may come and still be shown: Feishu's 3 s (callbackTimeoutMs) unless a test lifts it
   * together with the bot's own time for answering (a test harness on a busy machine); later, `answerCallback` refuses it
   * with 200341 as Feishu does
   */
  answerTimeoutMs?: number;
}

/** Feishu takes files up to 30 MB (im/v1/files) and images up to 10 MB (im/v1/images); a little room for the multipart framing */
const MAX_BODY_BYTES = 31 * 1024 * 1024;
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_FILE_BYTES = 30 * 1024 * 1024;
const FILE_TYPES = new Set(['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream']);
export { MAX_CARD_CONTENT_BYTES } from './cardRules.js';
/** JSON 2.0 cards can be clicked and updated for 14 days (https://open.feishu.cn/document/feishu-cards/update-feishu-card). */
export const CARD_ACTIVE_MS = 14 * 86_400_000;
const CARD_EXPIRED = { code: 230031, msg: 'Message can only be modified within 14 days after sending.' };
/**
 * 230025: 文本消息请求体最大不能超过150KB；卡片及富文本消息请求体最大不能超过30KB (the error tables of
 * https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/create and .../message/patch).
 * The request body is what is counted, the card escaped inside its `content` string, not the card's own JSON.
 */
const CONTENT_TOO_LONG = { code: 230025, msg: 'The length of the message content reaches its limit.' };
const MAX_TEXT_BODY_BYTES = 150 * 1024;
const bodyTooLong = (msgType: unknown, bodyBytes: number) =>
  bodyBytes > (msgType === 'interactive' || msgType === 'post' ? MAX_CARD_CONTENT_BYTES : msgType === 'text' ? MAX_TEXT_BODY_BYTES : Infinity);
/**
 * PATCH im/v1/messages/:message_id (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch):
 * 仅支持更新消息卡片(interactive类型), refused as any operation a message type does not support (230054,
 * https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/breaking-change/unsupported-message-type-verification);
 * a message id that names no message is 230001 "invalid message_id"
 * (https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-resolve-error-230001).
 */
const NOT_A_CARD = { code: 230054, msg: 'This operation is not supported for this message type.' };
/**
 * A JSON 2.0 card being interacted with (a click whose callback is not answered yet) cannot be updated: 230099 with the
 * sub-code 11310, "Failed to create card content, ext=ErrCode: 11310; ErrMsg: %v; code:230099" where ErrMsg "card action
 * is lock" means "JSON 2.0 结构的卡片正在交互中，无法进行更新" (https://open.feishu.cn/document/server-docs/im-v1/message/create,
 * 230099 子错误码). Feishu asks for an update only after the callback is answered: "延时更新卡片必须在响应回调之后进行，
 * 并行执行或提前执行会出现更新失败或更新后立即复原的情况" (https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN).
 */
const CARD_ACTION_LOCKED = { code: 230099, msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: card action is lock; code:230099' };
/** Feishu wants a card callback answered within 3 s (https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN), as CARD_ANSWER_MS in src/events.ts. */
const CALLBACK_TIMEOUT_MS = 3_000;
const NO_SUCH_MESSAGE = (messageId: string) => ({ code: 230001, msg: `Your request contains an invalid request parameter, ext=invalid message_id: ${messageId}.` });
const PERSON_PICKERS = new Set(['select_person', 'multi_select_person']);
const UUID_TTL_MS = 60 * 60 * 1000;
/**
 * 向同一用户发送消息的限频为 5 QPS、向同一群组发送消息的限频为群内机器人共享 5 QPS: the sixth message to one user or
 * chat within a second is refused, HTTP 400 / 230020 (https://open.feishu.cn/document/server-docs/im-v1/message/create;
 * the reply page says the same). A user and their p2p chat with the bot are one receiver, whichever id names them.
 */
const PER_RECEIVER_PER_SECOND = 5;
/** 单条消息更新频控为 5 QPS (https://open.feishu.cn/document/server-docs/im-v1/message-card/patch), refused alike with 230020. */
const PER_MESSAGE_UPDATES_PER_SECOND = 5;
const RATE_LIMITED = { code: 230020, msg: 'This operation triggers the frequency limit.' };
/** The app's own limit on an API, answered HTTP 429 with the window's reset (https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control). */
const APP_RATE_LIMITED = { code: 99991400, msg: 'request trigger frequency limit' };
const MSG_TYPES = new Set(['text', 'interactive', 'post', 'image', 'file', 'share_chat']);
const RECEIVE_ID_TYPES = new Set(['open_id', 'chat_id', 'user_id', 'union_id', 'email']);
/**
 * A send or update local mode's console could not store (its database refused the write): Feishu's own failure to
 * keep a message, HTTP 500 with code 1, which the outbox tries again (RETRYABLE_CODES in src/lark/client.ts).
 */
const NOT_KEPT = { code: 1, msg: 'internal error: the local console could not store this message (see the bot log: "local console could not store a message")' };

const DEFAULT_FAULT_MSG: Record<number, string> = {
  99991400: 'request trigger frequency limit',
  99991401: 'The IP address is not in the allow list of the app.',
  99991661: 'Missing access token for authorization.',
  99991663: 'Invalid access token for authorization. Please make a request with token attached.',
  99991664: 'Invalid app access token.',
  99991668: 'Invalid access token for authorization. Please make a request with token attached.',
  230049: 'The message is being sent, please do not resend it.',
  230013: 'Bot has NO availability to this user.',
  230029: 'User has resigned.',
  230034: 'The receive_id is invalid.',
  230038: 'Cross-tenant messages are not allowed for this receiver.',
  232009: 'Your operation is not allowed because the group has been disbanded.',
  230031: 'Message can only be modified within 14 days after sending.',
  230110: 'The message has been deleted.',
  230011: 'The message has been recalled.',
  230020: 'This operation triggers the frequency limit.',
  230002: 'The bot can not be outside the group.',
  230053: 'The user has stopped the bot from sending messages.',
  1: 'internal error',
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Deep equality of two JSON values, keys in any order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * The p2p chat id the fake assigns to a user's one-to-one chat with the bot:
 * deterministic so the same user always lands in the same chat, and the same
 * formula the test event builders use for p2p events.
 */
export function p2pChatIdFor(userId: string): string {
  return 'oc_' + createHash('sha256').update('p2p:' + userId).digest('hex').slice(0, 32);
}

interface ParsedMultipart {
  fields: Record<string, string>;
  files: { field: string; filename: string; size: number }[];
}

/** Image formats im/v1/images accepts (JPEG, PNG, WEBP, GIF, TIFF, BMP, ICO), read from the leading bytes. */
export function sniffImage(bytes: Buffer): { format: string; width?: number; height?: number } | undefined {
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    // the first chunk of a PNG must be IHDR: width and height, big-endian
    if (bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    return width > 0 && height > 0 ? { format: 'png', width, height } : undefined;
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { format: 'jpeg' };
  if (bytes.length >= 10 && /^GIF8[79]a$/.test(bytes.toString('latin1', 0, 6))) return { format: 'gif', width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return { format: 'webp' };
  if (bytes.length >= 26 && bytes.toString('latin1', 0, 2) === 'BM') return { format: 'bmp', width: bytes.readInt32LE(18), height: Math.abs(bytes.readInt32LE(22)) };
  if (bytes.length >= 4 && (bytes.toString('latin1', 0, 4) === 'II*\0' || bytes.toString('latin1', 0, 4) === 'MM\0*')) return { format: 'tiff' };
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x00000100) return { format: 'ico' };
  return undefined;
}

/** Minimal multipart/form-data parser: split on the boundary, read Content-Disposition. */
function parseMultipart(buf: Buffer, contentType: string, blobs: Map<string, Buffer> = new Map()): ParsedMultipart {
  const out: ParsedMultipart = { fields: {}, files: [] };
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) return out;
  const delimiter = Buffer.from('--' + (m[1] ?? m[2]).trim());
  const positions: number[] = [];
  for (let i = buf.indexOf(delimiter); i !== -1; i = buf.indexOf(delimiter, i + delimiter.length)) {
    positions.push(i);
  }
  for (let k = 0; k + 1 < positions.length; k++) {
    let part = buf.subarray(positions[k] + delimiter.length, positions[k + 1]);
    // each part starts with CRLF and ends with CRLF before the next delimiter
    if (part[0] === 0x0d && part[1] === 0x0a) part = part.subarray(2);
    if (part.length >= 2 && part[part.length - 2] === 0x0d && part[part.length - 1] === 0x0a) {
      part = part.subarray(0, part.length - 2);
    }
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const head = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const disposition = /content-disposition:([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    // The SDK (axios + form-data) sends a Buffer `file` WITHOUT a filename, only
    // `Content-Type: application/octet-stream`; so a part with either counts as a file.
    const hasContentType = /^content-type:/im.test(head);
    if (filename !== undefined || hasContentType) {
      out.files.push({ field: name, filename: filename ?? '', size: content.length });
      blobs.set(name, Buffer.from(content));
    }
    else out.fields[name] = content.toString('utf8');
  }
  return out;
}

function tryJson(s: string): { ok: true; value: any } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch {
    return { ok: false };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * What is wrong with a message's content for its msg_type, or undefined: the content is a JSON string of the type's
 * object (https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json): text `{"text"}`,
 * post one language or more `{"zh_cn": {"title"?, "content": [[…]]}}`, image `{"image_key"}`, file `{"file_key"}`,
 * share_chat `{"chat_id"}`. Feishu refuses another with HTTP 400, 230001 "…ext=invalid message content".
 */
export function contentShapeProblem(msgType: string, content: unknown): string | undefined {
  if (msgType === 'interactive') return undefined;
  if (!isObject(content)) return `${msgType} content is not a JSON object`;
  const stringField = (field: string) => (typeof content[field] === 'string' && content[field] !== '' ? undefined : `${msgType} content needs a non-empty string "${field}"`);
  if (msgType === 'text') return typeof content.text === 'string' ? undefined : 'text content needs a string "text"';
  if (msgType === 'image') return stringField('image_key');
  if (msgType === 'file') return stringField('file_key');
  if (msgType === 'share_chat') return stringField('chat_id');
  if (msgType === 'post') {
    const bodies = Object.values(content);
    if (!bodies.length) return 'post content names no language';
    const bad = bodies.find((b) => !isObject(b) || !Array.isArray(b.content) || !b.content.every((line) => Array.isArray(line) && line.every((n) => isObject(n) && typeof n.tag === 'string')));
    return bad === undefined ? undefined : 'post content needs {"<language>": {"content": [[{"tag": …}]]}}, one language or more';
  }
  return undefined;
}

/**
 * The permissions each API the bot calls asks for, any one of them (权限要求 on each API's page: message/create and
 * reply, message/patch, image/create and file/create, message/get-2, contact-v3/user/batch_get_id and user/get). An
 * API missing from here needs none the fake checks.
 */
const API_SCOPES: { method: string; path: RegExp; scopes: string[] }[] = [
  { method: 'POST', path: /^\/open-apis\/im\/v1\/messages(?:\/[^/]+\/reply)?$/, scopes: ['im:message', 'im:message:send_as_bot', 'im:message:send'] },
  { method: 'PATCH', path: /^\/open-apis\/im\/v1\/messages\/[^/]+$/, scopes: ['im:message', 'im:message:send_as_bot', 'im:message:update'] },
  { method: 'POST', path: /^\/open-apis\/im\/v1\/(?:images|files)$/, scopes: ['im:resource', 'im:resource:upload'] },
  { method: 'GET', path: /^\/open-apis\/im\/v1\/messages\/[^/]+\/resources\/[^/]+$/, scopes: ['im:message', 'im:message:readonly'] },
  { method: 'POST', path: /^\/open-apis\/contact\/v3\/users\/batch_get_id$/, scopes: ['contact:user.id:readonly'] },
  { method: 'GET', path: /^\/open-apis\/contact\/v3\/users\/[^/]+$/, scopes: ['contact:contact.base:readonly', 'contact:contact:readonly_as_app', 'contact:contact:readonly'] },
];

/** The toast types a card callback's answer may carry (https://open.feishu.cn/document/feishu-cards/card-callback-communication). */
const TOAST_TYPES = new Set(['info', 'success', 'error', 'warning']);

/** What is wrong with the shape of a card callback's answer (not its card's content), or undefined. */
function answerFormatProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'the body is not a JSON object';
  const { toast, card } = body;
  if (toast !== undefined) {
    if (!isObject(toast)) return 'toast is not an object';
    if (typeof toast.type !== 'string' || !TOAST_TYPES.has(toast.type)) return `toast.type ${JSON.stringify(toast.type)} is none of info, success, error, warning`;
    const i18n = toast.i18n;
    const hasI18n = isObject(i18n) && Object.values(i18n).some((v) => typeof v === 'string' && v !== '');
    if (!(typeof toast.content === 'string' && toast.content !== '') && !hasI18n) return 'toast has neither content nor i18n text';
  }
  if (card !== undefined) {
    if (!isObject(card)) return 'card is not an object';
    if (card.type !== 'raw' && card.type !== 'template') return `card.type ${JSON.stringify(card.type)} is neither raw nor template`;
    if (!isObject(card.data)) return 'card.data is not an object';
    if (card.type === 'template' && (typeof card.data.template_id !== 'string' || card.data.template_id === '')) return 'a template card names no template_id';
  }
  return undefined;
}

/** What a tenant's DLP answers a message it will not let through (`setDlp`). */
const DLP_REFUSED = { code: 230028, msg: 'The messages do NOT pass the audit.' };
/**
 * What the simulated DLP takes for a plain mobile number (a mainland one, 11 digits from 13 to 19, standing alone) or a
 * personal e-mail address (a public mail service's); Feishu's own rules are the tenant's and are not published.
 */
const DLP_PATTERNS = [/(?<![\d])1[3-9]\d{9}(?![\d])/, /[A-Za-z0-9._%+-]+@(?:qq|163|126|gmail|hotmail|outlook|yahoo|foxmail|sina|sohu|139)\.(?:com|cn|com\.cn)\b/i];

/** What every send gets while the app's bot ability is off (`setBotAbility`). */
const BOT_ABILITY_OFF: Fault = { status: 400, code: 230006, msg: 'Bot ability is not activated.' };

export async function startFakeOpenPlatform(opts: FakeOpenPlatformOptions = {}): Promise<FakeOpenPlatform> {
  const host = opts.host ?? '127.0.0.1';
  const requests: RecordedRequest[] = [];
  const messages: SentMessage[] = [];
  const updates: FakeUpdate[] = [];
  const lockedUpdates: FakeUpdate[] = [];
  const uploads: FakeUpload[] = [];
  const uploadsByKey = new Map<string, FakeUpload>();
  const faultQueue: { fault: Fault; match?: (req: RecordedRequest) => boolean }[] = [];
  const receiverFaults = new Map<string, Fault>();
  /** `setBotAbility(false)`: the app's 机器人 ability is off, and every send, reply and update is refused with 230006. */
  let botAbilityOff = false;
  /** `setDlp(true)`: the tenant's DLP refuses content with a plain mobile number or personal e-mail (230028). */
  let dlpOn = false;
  let dlpPatterns: RegExp[] = DLP_PATTERNS;
  const dlpRefuses = (content: string) => dlpOn && dlpPatterns.some((p) => new RegExp(p.source, p.flags.replace('g', '')).test(content));
  /** `foreignOpenId`: open_ids of another app, which every send refuses with 99992361 */
  const foreignOpenIds = new Set<string>();
  const connectionGroups = new Set<string>();
  const CARD_IN_CONNECTION_GROUP = { code: 230054, msg: 'This type of message is unavailable in the connection group.' };
  const stalls: { match: (req: { method: string; path: string }) => boolean; delayMs: number }[] = [];
  /** each `hold`'s match and the answers it holds back */
  const holds = new Set<{ match: (req: { method: string; path: string }) => boolean; held: (() => void)[] }>();
  const releaseHolds = () => {
    for (const h of [...holds]) {
      holds.delete(h);
      for (const answer of h.held.splice(0)) answer();
    }
  };
  const tokenFaults: Fault[] = [];
  const listeners: ((m: SentMessage) => unknown)[] = [];
  const updateListeners: ((u: FakeUpdate) => unknown)[] = [];
  /**
   * uuid -> first successful answer's data, for Feishu's 1-hour idempotency; `pending` while the message is not yet
   * answered (a listener still storing it)
   */
  const byUuid = new Map<string, { at: number; data: Record<string, unknown>; pending?: boolean }>();
  const byMessageId = new Map<string, SentMessage>();
  const issuedTokens: string[] = [];
  const revokedTokens = new Map<string, number>();
  const people = new Map<string, DirectoryUser>();
  /** the permissions the app lacks (revokeScopes); every other one is granted */
  const revokedScopes = new Set<string>();
  const granted = (scope: string) => !revokedScopes.has(scope);
  const messageFiles = new Map<string, Buffer>();
  const refusedFiles = new Map<string, number>();
  const chatMembers = new Map<string, Set<string>>();
  const inboundChats = new Map<string, string>();
  /** the thread (话题) of each user's message that is in one (userMessage) */
  const inboundThreads = new Map<string, string>();
  /** cards this app sent before the fake's memory begins (earlierCard): what each shows, and when it was sent if known */
  const earlierCards = new Map<string, { card: unknown; sentAt?: number }>();
  /** message_id → the card it shows now */
  const cards = new Map<string, unknown>();
  /** message_id → until when (real time) each click on it not yet answered keeps it locked, oldest first */
  const interactions = new Map<string, number[]>();
  const callbackTimeoutMs = opts.callbackTimeoutMs ?? CALLBACK_TIMEOUT_MS;
  const answerTimeoutMs = opts.answerTimeoutMs ?? callbackTimeoutMs;
  /** message_id → when (real time) each click on it let through and not yet answered was sent to the bot, oldest first, whatever the card's schema */
  const awaitingAnswer = new Map<string, number[]>();
  const clickSent = (messageId: string) => awaitingAnswer.set(messageId, [...(awaitingAnswer.get(messageId) ?? []), Date.now()]);
  /**
   * Whether the answer now arriving is one Feishu still waits for: the oldest click still within answerTimeoutMs is the one
   * answered; with only late ones waiting, the oldest of them is, too late ("所请求的卡片回调服务未在规定时间内响应", 200341). An
   * answer to no click the fake judged is taken as it comes.
   */
  const answerInTime = (messageId: string): boolean => {
    const waiting = awaitingAnswer.get(messageId);
    if (!waiting?.length) return true;
    const live = waiting.findIndex((at) => Date.now() - at <= answerTimeoutMs);
    waiting.splice(live === -1 ? 0 : live, 1);
    if (!waiting.length) awaitingAnswer.delete(messageId);
    return live !== -1;
  };
  /** Whether a click on this message waits for its answer now; the clicks whose time ran out are forgotten. */
  const beingInteracted = (messageId: string): boolean => {
    const open = (interactions.get(messageId) ?? []).filter((until) => until > Date.now());
    if (open.length) interactions.set(messageId, open);
    else interactions.delete(messageId);
    return open.length > 0;
  };
  /** A click let through on a JSON 2.0 card: the card is locked until the callback is answered, or its time runs out. */
  const interactionBegins = (messageId: string, card: unknown) => {
    if ((card as { schema?: unknown } | null | undefined)?.schema !== '2.0') return;
    interactions.set(messageId, [...(interactions.get(messageId) ?? []), Date.now() + callbackTimeoutMs]);
  };
  const now = opts.now ?? Date.now;
  const perReceiver = opts.perReceiverPerSecond ?? PER_RECEIVER_PER_SECOND;
  const perAppSecond = opts.perAppPerSecond ?? 50;
  const perAppMinute = opts.perAppPerMinute ?? 1000;
  const rateNow = opts.rateNow ?? Date.now;
  /** when the app's sends and replies were accepted, by the rate clock (real time unless a test gives one), for its own limits */
  const appSends: number[] = [];
  /**
   * when the app's card updates (PATCH) were accepted: that API has its own limit, the same numbers ("接口频率限制 1000 次/分钟、
   * 50 次/秒", https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch), counted apart from
   * the sends' (each API's limit is its own, https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control)
   */
  const appPatches: number[] = [];
  /** Whether the app is over its limit for one more call of an API now: the seconds until the window that is full reopens; else counted now. */
  const overAppRate = (calls: number[] = appSends): number | undefined => {
    const at = rateNow();
    while (calls.length && at - calls[0] >= 60_000) calls.shift();
    const lastSecond = calls.filter((t) => at - t < 1000);
    if (lastSecond.length >= perAppSecond) return Math.max(1, Math.ceil((lastSecond[0] + 1000 - at) / 1000));
    if (calls.length >= perAppMinute) return Math.max(1, Math.ceil((calls[0] + 60_000 - at) / 1000));
    calls.push(at);
    return undefined;
  };
  const appRateLimited = (res: ServerResponse, resetSeconds: number) =>
    send(res, 429, APP_RATE_LIMITED, { 'x-ogw-ratelimit-limit': String(perAppSecond), 'x-ogw-ratelimit-reset': String(resetSeconds) });
  /** when each receiver's (a chat's, a p2p chat standing for its user) and each message's updates were last accepted, by the rate clock */
  const recentSends = new Map<string, number[]>();
  const recentUpdates = new Map<string, number[]>();
  /** Whether one more within the last second would exceed `limit`; if not, it is counted now. */
  const overRate = (recent: Map<string, number[]>, key: string, limit: number): boolean => {
    const at = rateNow();
    const kept = (recent.get(key) ?? []).filter((t) => at - t < 1000);
    if (kept.length >= limit) {
      recent.set(key, kept);
      return true;
    }
    kept.push(at);
    recent.set(key, kept);
    return false;
  };
  // a refusal with a documented sub-code reads as Feishu writes it: "Failed to create card content, ext=ErrCode: 100290; …"
  // (230099 子错误码, https://open.feishu.cn/document/server-docs/im-v1/message/create), the others follow
  const cardRefusal = (problems: string[]) => {
    const sub = problems.map((p) => /ext=ErrCode: \d+;.*$/.exec(p)?.[0]).find((p) => p !== undefined);
    return { code: 230099, msg: `Failed to create card content${sub ? `, ${sub}; ` : '. '}${problems.join('; ')}`.slice(0, 1000) };
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'x-tt-logid': hex(16),
      ...headers,
    });
    res.end(text);
  };
  const sendFault = (res: ServerResponse, f: Fault) => {
    const headers: Record<string, string> = {};
    if (f.status === 429 || f.code === 99991400) {
      headers['x-ogw-ratelimit-limit'] = '5';
      headers['x-ogw-ratelimit-reset'] = String(f.resetSeconds ?? 1);
    }
    const answer = () => {
      if (f.cut) res.socket?.destroy();
      else if (f.gateway && !res.destroyed) {
        const page = `<html>\r\n<head><title>${f.status} ${STATUS_CODES[f.status] ?? ''}</title></head>\r\n<body>\r\n<center><h1>${f.status} ${STATUS_CODES[f.status] ?? ''}</h1></center>\r\n</body>\r\n</html>\r\n`;
        res.writeHead(f.status, { 'content-type': 'text/html', 'content-length': String(Buffer.byteLength(page)) });
        res.end(page);
      } else if (!res.destroyed) send(res, f.status, { code: f.code, msg: f.msg ?? DEFAULT_FAULT_MSG[f.code] ?? 'fault injected by fake open platform' }, headers);
    };
    if (f.delayMs) setTimeout(answer, f.delayMs).unref();
    else answer();
  };
  const invalidParam = (res: ServerResponse, detail?: string) =>
    send(res, 400, { code: 230001, msg: detail ? `invalid param: ${detail}` : 'invalid param' });

  /** A send's or reply's uuid: at most 50 characters ("最大长度：50 字符", https://open.feishu.cn/document/server-docs/im-v1/message/create). */
  const badUuid = (res: ServerResponse, body: any): boolean => {
    if (body && typeof body === 'object' && body.uuid !== undefined && (typeof body.uuid !== 'string' || body.uuid.length > 50)) {
      invalidParam(res, 'uuid');
      return true;
    }
    return false;
  };

  /** Someone of the address book a message cannot reach: resigned (230029), or outside the app's 可用范围 (230013). */
  const personUnreachable = (openId: string): { code: number; msg: string } | undefined => {
    const p = people.get(openId);
    if (p?.resigned) return { code: 230029, msg: DEFAULT_FAULT_MSG[230029] };
    if (p?.outsideAvailability) return { code: 230013, msg: DEFAULT_FAULT_MSG[230013] };
    return undefined;
  };

  const hasToken = (req: IncomingMessage) => /^Bearer t-fake-\S+$/.test(String(req.headers.authorization ?? ''));

  /** first queued fault matching this request, else a receiver fault */
  const takeFault = (rec: RecordedRequest, receiverIds: (string | undefined)[]): Fault | undefined => {
    if (botAbilityOff) return BOT_ABILITY_OFF;
    const i = faultQueue.findIndex((q) => !q.match || q.match(rec));
    if (i !== -1) return faultQueue.splice(i, 1)[0].fault;
    for (const id of receiverIds) {
      if (id !== undefined && receiverFaults.has(id)) return receiverFaults.get(id);
    }
    return undefined;
  };

  /**
   * Calls the listeners; what those that return a promise are doing (local mode's console storing the message), as one
   * promise that rejects if any of them failed; undefined when none returned one.
   */
  const tell = <T>(fns: ((x: T) => unknown)[], x: T): Promise<void> | undefined => {
    const holding: Promise<unknown>[] = [];
    for (const fn of fns) {
      try {
        const out = fn(x);
        if (out && typeof (out as Promise<unknown>).then === 'function') holding.push(out as Promise<unknown>);
      } catch {
        /* a listener's failure must not break the fake server */
      }
    }
    return holding.length ? Promise.all(holding).then(() => undefined) : undefined;
  };

  /**
   * Answers a send or an update once the listeners hold it (`kept`), as Feishu answers only once it has the message:
   * `ok` then; if they could not keep it, `undo` takes it back and the request is answered as Feishu's internal error
   * (HTTP 500, code 1), which the bot's outbox tries again, so nothing is answered as sent that was not stored.
   * `settled` runs either way, the caller's connection gone or not.
   */
  const whenKept = (res: ServerResponse, kept: Promise<void> | undefined, ok: () => void, undo: () => void, settled?: () => void) => {
    if (!kept) {
      settled?.();
      return ok();
    }
    kept.then(
      () => {
        settled?.();
        if (!res.destroyed) ok();
      },
      () => {
        settled?.();
        undo();
        if (!res.destroyed) send(res, 500, NOT_KEPT);
      },
    );
  };

  const accept = (m: SentMessage): Promise<void> | undefined => {
    messages.push(m);
    byMessageId.set(m.messageId, m);
    if (m.msgType === 'interactive') cards.set(m.messageId, m.content);
    return tell(listeners, m);
  };

  /** A message its listeners could not keep: as if it had never been sent (a send with its uuid is new again). */
  const unaccept = (m: SentMessage) => {
    const i = messages.lastIndexOf(m);
    if (i !== -1) messages.splice(i, 1);
    if (byMessageId.get(m.messageId) === m) byMessageId.delete(m.messageId);
    cards.delete(m.messageId);
    if (m.uuid && byUuid.get(m.uuid)?.data.message_id === m.messageId) byUuid.delete(m.uuid);
  };

  /** Sends (or replies) `m`, answered with `data` once its listeners hold it. */
  const acceptAndAnswer = (res: ServerResponse, m: SentMessage, data: Record<string, unknown>) => {
    const entry = m.uuid ? { at: m.at, data, pending: true } : undefined;
    if (m.uuid && entry) byUuid.set(m.uuid, entry);
    whenKept(
      res,
      accept(m),
      () => send(res, 200, { code: 0, msg: 'success', data }),
      () => unaccept(m),
      () => {
        if (entry) entry.pending = false;
      },
    );
  };

  const acceptUpdate = (u: FakeUpdate): Promise<void> | undefined => {
    updates.push(u);
    if (u.messageId) cards.set(u.messageId, u.card);
    return tell(updateListeners, u);
  };

  /** An update its listeners could not keep: the card shows what it showed before. */
  const unacceptUpdate = (u: FakeUpdate, before: { card: unknown } | undefined) => {
    const i = updates.lastIndexOf(u);
    if (i !== -1) updates.splice(i, 1);
    if (!u.messageId || cards.get(u.messageId) !== u.card) return;
    if (before) cards.set(u.messageId, before.card);
    else cards.delete(u.messageId);
  };

  /**
   * shared by create and reply: validate msg_type/content; returns parsed content or undefined after answering.
   * `bodyBytes` is the request body's size as posted: Feishu's limit is on the body (see bodyTooLong).
   */
  const validateContent = (res: ServerResponse, body: any, bodyBytes: number): { content: any } | undefined => {
    if (!body || typeof body !== 'object') return void invalidParam(res, 'body');
    if (typeof body.msg_type !== 'string' || !MSG_TYPES.has(body.msg_type)) return void invalidParam(res, 'msg_type');
    if (typeof body.content !== 'string') return void invalidParam(res, 'content');
    const parsed = tryJson(body.content);
    if (body.msg_type === 'interactive' && (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object')) return void invalidParam(res, 'content is not a JSON card');
    if (dlpRefuses(body.content)) return void send(res, 400, DLP_REFUSED);
    const wrong = contentShapeProblem(body.msg_type, parsed.ok ? parsed.value : undefined);
    if (wrong) return void send(res, 400, { code: 230001, msg: `Your request contains an invalid request parameter, ext=invalid message content: ${wrong}` });
    const uploaded = wrongUpload(body.msg_type, parsed.ok ? parsed.value : undefined);
    if (uploaded) return void send(res, 400, uploaded);
    if (bodyTooLong(body.msg_type, bodyBytes)) return void send(res, 400, CONTENT_TOO_LONG);
    if (body.msg_type === 'interactive') {
      const problems = cardRuleViolations(parsed.ok ? parsed.value : null, { bodyBytes });
      if (problems.length) return void send(res, 400, cardRefusal(problems));
    }
    return { content: parsed.ok ? parsed.value : body.content };
  };

  /**
   * An image or file message names what this app uploaded, as what it was uploaded as: an image_key from im/v1/images, a
   * file_key from im/v1/files whose file_type fits the message (opus is sent as audio, mp4 as media, the others as
   * file): 230055 "The type of file upload does not match the type of message being sent"
   * (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes). A key this fake never issued is
   * taken as uploaded before its memory began.
   */
  const wrongUpload = (msgType: string, content: unknown): { code: number; msg: string } | undefined => {
    const c = content as { image_key?: string; file_key?: string } | undefined;
    const key = msgType === 'image' ? c?.image_key : msgType === 'file' || msgType === 'audio' || msgType === 'media' ? c?.file_key : undefined;
    const up = key === undefined ? undefined : uploadsByKey.get(key);
    if (!up) return undefined;
    const fits = msgType === 'image' ? up.kind === 'image' : up.kind === 'file' && (up.fileType === 'opus' ? 'audio' : up.fileType === 'mp4' ? 'media' : 'file') === msgType;
    return fits ? undefined : { code: 230055, msg: 'The type of file upload does not match the type of message being sent.' };
  };

  const replayIfDuplicate = (res: ServerResponse, uuid: unknown): boolean => {
    if (typeof uuid !== 'string' || uuid === '') return false;
    const hit = byUuid.get(uuid);
    if (!hit) return false;
    // the first send with this uuid is not answered yet
    if (hit.pending) {
      send(res, 400, { code: 230049, msg: DEFAULT_FAULT_MSG[230049] });
      return true;
    }
    if (Date.now() - hit.at > UUID_TTL_MS) {
      byUuid.delete(uuid);
      return false;
    }
    send(res, 200, { code: 0, msg: 'success', data: hit.data });
    return true;
  };

  const successData = (m: SentMessage, contentString: string, parentId?: string) => ({
    message_id: m.messageId,
    ...(parentId ? { root_id: parentId, parent_id: parentId } : {}),
    ...(m.threadId ? { thread_id: m.threadId } : {}),
    msg_type: m.msgType,
    create_time: String(m.at),
    update_time: String(m.at),
    deleted: false,
    updated: false,
    chat_id: m.chatId,
    sender: { id: opts.appId ?? 'cli_fake_app', id_type: 'app_id', sender_type: 'app', tenant_key: 'fake_tenant' },
    body: { content: contentString },
  });

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer, tooLarge: boolean) => {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const contentType = String(req.headers['content-type'] ?? '');
    let body: any = null;
    // the bytes of uploaded parts, by field name: kept apart so the recorded request stays small and printable
    const blobs = new Map<string, Buffer>();
    if (!tooLarge && raw.length > 0) {
      if (/multipart\/form-data/i.test(contentType)) body = parseMultipart(raw, contentType, blobs);
      else {
        const text = raw.toString('utf8');
        const parsed = tryJson(text);
        body = parsed.ok ? parsed.value : text;
      }
    }
    const rec: RecordedRequest = {
      at: Date.now(),
      method,
      path,
      query: Object.fromEntries(url.searchParams.entries()),
      headers: { ...req.headers },
      body,
    };
    requests.push(rec);

    if (tooLarge) {
      // an upload over the limit is answered as the upload pages document it; any other body that large is no request of Feishu's
      if (method === 'POST' && (path === '/open-apis/im/v1/files' || path === '/open-apis/im/v1/images')) return send(res, 400, { code: 234006, msg: 'The file size exceed the max value.' });
      return send(res, 413, { code: 413, msg: 'request body too large (fake open platform caps at 31 MB)' });
    }

    // ---- auth -------------------------------------------------------------
    if (method === 'POST' && (path === '/open-apis/auth/v3/tenant_access_token/internal' || path === '/open-apis/auth/v3/app_access_token/internal')) {
      // faults queued for the token endpoints by failTokens, one a request (those for sends never reach here)
      const tokenFault = tokenFaults.shift();
      if (tokenFault) return sendFault(res, tokenFault);
      if (opts.appId !== undefined || opts.appSecret !== undefined) {
        const ok = body && typeof body === 'object' &&
          (opts.appId === undefined || body.app_id === opts.appId) &&
          (opts.appSecret === undefined || body.app_secret === opts.appSecret);
        if (!ok) return send(res, 200, { code: 10014, msg: 'app secret invalid' });
      }
      const token = `t-fake-${hex(16)}`;
      issuedTokens.push(token);
      return send(res, 200, {
        code: 0,
        msg: 'ok',
        tenant_access_token: token,
        app_access_token: `a-fake-${hex(16)}`,
        expire: 7200,
      });
    }

    if (path.startsWith('/open-apis/') && !hasToken(req)) {
      // Everything except the token endpoints needs a tenant token.
      const known = /^\/open-apis\/(im\/v1\/(messages|files|images|chats)|interactive\/v1\/card\/update|contact\/v3\/users|bot\/v3\/info)/.test(path);
      if (known) return send(res, 400, { code: 99991661, msg: 'Missing access token' });
    }
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    // a token this platform did not issue is refused as Feishu refuses a forged or expired one
    const revokedWith = revokedTokens.get(bearer) ?? (hasToken(req) && !issuedTokens.includes(bearer) ? 99991663 : undefined);
    if (path.startsWith('/open-apis/') && revokedWith !== undefined) {
      return send(res, 400, { code: revokedWith, msg: DEFAULT_FAULT_MSG[revokedWith] ?? 'Invalid access token for authorization.' });
    }

    const wanted = API_SCOPES.find((a) => a.method === method && a.path.test(path));
    if (wanted && !wanted.scopes.some(granted)) {
      const list = `[${wanted.scopes.join(', ')}]`;
      return send(res, 400, {
        code: 99991672,
        msg: `Access denied. One of the following scopes is required: ${list}.应用尚未开通所需的应用身份权限：${list}，点击链接申请并开通任一权限即可：https://open.feishu.cn/app/${opts.appId ?? 'cli_fake_app'}/auth?q=${encodeURIComponent(wanted.scopes.join(','))}&op_from=openapi&token_type=tenant`,
        error: { permission_violations: wanted.scopes.map((subject) => ({ type: 'action_scope_required', subject })) },
      });
    }

    // ---- send message -----------------------------------------------------
    if (method === 'POST' && path === '/open-apis/im/v1/messages') {
      const receiveIdType = url.searchParams.get('receive_id_type');
      if (!receiveIdType || !RECEIVE_ID_TYPES.has(receiveIdType)) return invalidParam(res, 'receive_id_type');
      if (!body || typeof body !== 'object' || typeof body.receive_id !== 'string' || body.receive_id === '') {
        return invalidParam(res, 'receive_id');
      }
      if (badUuid(res, body)) return;
      const v = validateContent(res, body, raw.length);
      if (!v) return;
      const fault = takeFault(rec, [body.receive_id]);
      if (!fault && body.msg_type === 'interactive' && connectionGroups.has(body.receive_id)) return send(res, 400, CARD_IN_CONNECTION_GROUP);
      if (fault) return sendFault(res, fault);
      if (receiveIdType === 'open_id' && foreignOpenIds.has(body.receive_id)) return send(res, 400, { code: 99992361, msg: 'open_id cross app' });
      const unreachable = receiveIdType === 'open_id' ? personUnreachable(body.receive_id) : undefined;
      if (unreachable) return send(res, 400, unreachable);
      if (replayIfDuplicate(res, body.uuid)) return;
      const chatId = receiveIdType === 'chat_id' ? body.receive_id : p2pChatIdFor(body.receive_id);
      if (overRate(recentSends, chatId, perReceiver)) return send(res, 400, RATE_LIMITED);
      const appReset = overAppRate();
      if (appReset !== undefined) return appRateLimited(res, appReset);
      const at = Date.now();
      const m: SentMessage = {
        messageId: `om_${hex(16)}`,
        at,
        createTime: now(),
        receiveIdType,
        receiveId: body.receive_id,
        msgType: body.msg_type,
        content: v.content,
        chatId,
        ...(typeof body.uuid === 'string' && body.uuid ? { uuid: body.uuid } : {}),
      };
      return acceptAndAnswer(res, m, successData(m, body.content));
    }

    // ---- reply ------------------------------------------------------------
    const replyMatch = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
    if (method === 'POST' && replyMatch) {
      const parentId = decodeURIComponent(replyMatch[1]);
      if (badUuid(res, body)) return;
      const v = validateContent(res, body, raw.length);
      if (!v) return;
      const parent = byMessageId.get(parentId);
      // a reply into a chat the bot left fails as a send to it does: the chat of a user's message is known from userMessage
      const fault = takeFault(rec, [parent?.receiveId, parent?.chatId ?? inboundChats.get(parentId), parentId]);
      if (fault) return sendFault(res, fault);
      if (body.msg_type === 'interactive' && connectionGroups.has(parent?.chatId ?? inboundChats.get(parentId) ?? '')) return send(res, 400, CARD_IN_CONNECTION_GROUP);
      if (replayIfDuplicate(res, body.uuid)) return;
      // a reply lands in the replied-to message's chat: it counts against that chat (a p2p chat: its user)
      if (overRate(recentSends, parent?.chatId ?? inboundChats.get(parentId) ?? parentId, perReceiver)) return send(res, 400, RATE_LIMITED);
      const replyAppReset = overAppRate();
      if (replyAppReset !== undefined) return appRateLimited(res, replyAppReset);
      const at = Date.now();
      const m: SentMessage = {
        messageId: `om_${hex(16)}`,
        at,
        createTime: now(),
        receiveIdType: parent ? parent.receiveIdType : 'message_id',
        receiveId: parent ? parent.receiveId : parentId,
        msgType: body.msg_type,
        content: v.content,
        replyTo: parentId,
        // The fake knows chats of messages it sent and of user messages it was told of (userMessage);
        // for any other inbound message the chat is unknown and chatId stays undefined.
        ...(parent?.chatId ? { chatId: parent.chatId } : inboundChats.has(parentId) ? { chatId: inboundChats.get(parentId) } : {}),
        ...(typeof body.uuid === 'string' && body.uuid ? { uuid: body.uuid } : {}),
        ...(typeof body.reply_in_thread === 'boolean' ? { replyInThread: body.reply_in_thread } : {}),
      };
      // a reply to a message in a thread lands in that thread whatever reply_in_thread says; true starts one on any other
      const thread = parent?.threadId ?? inboundThreads.get(parentId) ?? (body.reply_in_thread === true ? `omt_${hex(14)}` : undefined);
      if (thread) m.threadId = thread;
      return acceptAndAnswer(res, m, successData(m, body.content, parentId));
    }

    // ---- card updates -----------------------------------------------------
    const patchMatch = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(path);
    if (method === 'PATCH' && patchMatch) {
      if (!body || typeof body !== 'object' || typeof body.content !== 'string') return invalidParam(res, 'content');
      if (botAbilityOff) return sendFault(res, BOT_ABILITY_OFF);
      // an update takes only a fault whose match names it, so faults meant for sends stay queued for them
      const i = faultQueue.findIndex((q) => q.match?.(rec));
      if (i !== -1) return sendFault(res, faultQueue.splice(i, 1)[0].fault);
      const parsed = tryJson(body.content);
      const messageId = decodeURIComponent(patchMatch[1]);
      // https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch: a card this app sent
      // (a user's message is never one), in the last 14 days
      const sent = byMessageId.get(messageId);
      const earlier = sent ? undefined : earlierCards.get(messageId);
      if (!sent && !earlier) return send(res, 400, inboundChats.has(messageId) ? NOT_A_CARD : NO_SUCH_MESSAGE(messageId));
      if (earlier?.sentAt !== undefined && now() - earlier.sentAt > CARD_ACTIVE_MS) return send(res, 400, CARD_EXPIRED);
      if (sent && sent.msgType !== 'interactive') return send(res, 400, NOT_A_CARD);
      if (sent && now() - sent.createTime > CARD_ACTIVE_MS) return send(res, 400, CARD_EXPIRED);
      const card = parsed.ok ? parsed.value : null;
      if (beingInteracted(messageId)) {
        lockedUpdates.push({ at: Date.now(), messageId, card });
        return send(res, 400, CARD_ACTION_LOCKED);
      }
      if (bodyTooLong('interactive', raw.length)) return send(res, 400, CONTENT_TOO_LONG);
      if (dlpRefuses(body.content)) return send(res, 400, DLP_REFUSED);
      const problems = cardRuleViolations(card, { bodyBytes: raw.length });
      // 你需在更新前后卡片的 config 属性中，均显式声明 "update_multi":true (the same page). The page names no code of
      // its own for this; it is refused here as a card Feishu cannot take, 230099 of the page's table.
      const shared = (c: unknown) => (c as { config?: { update_multi?: unknown } } | null)?.config?.update_multi === true;
      if (!shared(cards.get(messageId) ?? earlier?.card)) problems.push('the card sent does not declare config.update_multi: true, so it cannot be updated');
      if (card && typeof card === 'object' && !shared(card)) problems.push('the new card does not declare config.update_multi: true');
      if (problems.length) return send(res, 400, cardRefusal(problems));
      if (overRate(recentUpdates, messageId, PER_MESSAGE_UPDATES_PER_SECOND)) return send(res, 400, RATE_LIMITED);
      const patchAppReset = overAppRate(appPatches);
      if (patchAppReset !== undefined) return appRateLimited(res, patchAppReset);
      const before = cards.has(messageId) ? { card: cards.get(messageId) } : undefined;
      const update: FakeUpdate = { at: Date.now(), messageId, card };
      return whenKept(res, acceptUpdate(update), () => send(res, 200, { code: 0, msg: 'success', data: {} }), () => unacceptUpdate(update, before));
    }

    if (method === 'POST' && path === '/open-apis/interactive/v1/card/update') {
      if (!body || typeof body !== 'object' || typeof body.token !== 'string' || body.card === undefined) {
        return invalidParam(res, 'token/card');
      }
      let card = body.card;
      if (typeof card === 'string') {
        const parsed = tryJson(card);
        if (parsed.ok) card = parsed.value;
      }
      const problems = cardRuleViolations(card);
      if (problems.length) return send(res, 400, cardRefusal(problems));
      const update: FakeUpdate = { at: Date.now(), token: body.token, card };
      return whenKept(res, acceptUpdate(update), () => send(res, 200, { code: 0, msg: 'success' }), () => unacceptUpdate(update, undefined));
    }

    // ---- uploads ----------------------------------------------------------
    // Limits and codes as documented: open.feishu.cn/document/server-docs/im-v1/image/create and .../im-v1/file/create
    const uploadFault = (code: number, msg: string) => send(res, 400, { code, msg });
    const keep = (u: FakeUpload) => {
      uploads.push(u);
      uploadsByKey.set(u.key, u);
    };
    if (method === 'POST' && path === '/open-apis/im/v1/files') {
      const fields = (body?.fields ?? {}) as Record<string, string>;
      const bytes = blobs.get('file');
      if (!bytes || !FILE_TYPES.has(fields.file_type ?? '') || !fields.file_name) return uploadFault(234001, 'Invalid request param.');
      if (bytes.length === 0) return uploadFault(234010, "File's size can't be 0.");
      if (bytes.length > MAX_FILE_BYTES) return uploadFault(234006, 'The file size exceed the max value.');
      const key = `file_v2_${hex(16)}`;
      keep({ at: Date.now(), kind: 'file', key, bytes, fileType: fields.file_type, fileName: fields.file_name });
      return send(res, 200, { code: 0, msg: 'success', data: { file_key: key } });
    }
    if (method === 'POST' && path === '/open-apis/im/v1/images') {
      const fields = (body?.fields ?? {}) as Record<string, string>;
      const bytes = blobs.get('image');
      if (!bytes || !['message', 'avatar'].includes(fields.image_type ?? '')) return uploadFault(234001, 'Invalid request param.');
      if (bytes.length === 0) return uploadFault(234010, "File's size can't be 0.");
      if (bytes.length > MAX_IMAGE_BYTES) return uploadFault(234006, 'The file size exceed the max value.');
      const image = sniffImage(bytes);
      if (!image) return uploadFault(234011, "Can't recognize the image format.");
      const key = `img_v2_${hex(16)}`;
      keep({ at: Date.now(), kind: 'image', key, bytes, imageType: fields.image_type, ...image });
      return send(res, 200, { code: 0, msg: 'success', data: { image_key: key } });
    }

    // ---- lookups ----------------------------------------------------------
    if (method === 'GET' && path === '/open-apis/bot/v3/info') {
      return send(res, 200, { code: 0, msg: 'ok', bot: { activate_status: 2, app_name: '质量信得过班组助手', avatar_url: '', ip_white_list: [], open_id: FAKE_BOT_OPEN_ID } });
    }
    const chatMatch = /^\/open-apis\/im\/v1\/chats\/([^/]+)$/.exec(path);
    if (method === 'GET' && chatMatch) {
      const chatId = decodeURIComponent(chatMatch[1]);
      return send(res, 200, { code: 0, msg: 'success', data: { chat_id: chatId, name: 'Chat ' + chatId } });
    }
    // https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id: at most 50 of each, unknown ones come back without user_id
    if (method === 'POST' && path === '/open-apis/contact/v3/users/batch_get_id') {
      const idType = url.searchParams.get('user_id_type') ?? 'open_id';
      if (!['open_id', 'union_id', 'user_id'].includes(idType)) return invalidParam(res, 'user_id_type');
      const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
      const mobiles = list(body?.mobiles);
      const emails = list(body?.emails);
      if (!mobiles || !emails) return send(res, 400, { code: 99992402, msg: 'field validation failed: mobiles/emails must be arrays of strings' });
      if (mobiles.length > 50 || emails.length > 50) return send(res, 400, { code: 99992402, msg: 'field validation failed: at most 50 mobiles and 50 emails' });
      const digits = (m: string) => m.replace(/^\+86/, '');
      const visible = [...people.values()].filter((p) => !p.resigned || body?.include_resigned === true);
      const idOf = (p: DirectoryUser) => (idType === 'open_id' ? p.openId : `${idType === 'user_id' ? 'u' : 'on'}_${p.openId.slice(3)}`);
      const status = { is_frozen: false, is_resigned: false, is_activated: true, is_exited: false, is_unjoin: false };
      const userList = [
        ...mobiles.map((m) => {
          const p = visible.find((x) => x.mobile !== undefined && digits(x.mobile) === digits(m));
          return p ? { user_id: idOf(p), mobile: m, status: { ...status, is_resigned: !!p.resigned } } : { mobile: m };
        }),
        ...emails.map((e) => {
          const p = visible.find((x) => x.email !== undefined && x.email.toLowerCase() === e.toLowerCase());
          return p ? { user_id: idOf(p), email: e, status: { ...status, is_resigned: !!p.resigned } } : { email: e };
        }),
      ];
      return send(res, 200, { code: 0, msg: 'success', data: { user_list: userList } });
    }
    const userMatch = /^\/open-apis\/contact\/v3\/users\/([^/]+)$/.exec(path);
    if (method === 'GET' && userMatch) {
      const userId = decodeURIComponent(userMatch[1]);
      const known = people.get(userId);
      // https://open.feishu.cn/document/server-docs/contact-v3/user/get: someone outside the app's contact range (or of
      // another tenant) is refused, HTTP 400 code 41050
      if (!known) return send(res, 400, { code: 41050, msg: 'no user authority' });
      // the name comes only with contact:user.base:readonly, mobile and email with contact:user.phone:readonly /
      // contact:user.email:readonly, enterprise_email with contact:user.employee:readonly (字段权限要求 of each field)
      const reach = {
        ...(granted('contact:user.base:readonly') ? { name: known.name } : {}),
        ...(known.mobile && granted('contact:user.phone:readonly') ? { mobile: known.mobile.startsWith('+') ? known.mobile : `+86${known.mobile}` } : {}),
        ...(known.email && granted('contact:user.email:readonly') ? { email: known.email } : {}),
        ...(known.enterpriseEmail && granted('contact:user.employee:readonly') ? { enterprise_email: known.enterpriseEmail } : {}),
      };
      return send(res, 200, { code: 0, msg: 'success', data: { user: { open_id: userId, ...reach } } });
    }
    // https://open.feishu.cn/document/server-docs/im-v1/message/get-2: the bytes of a file or image in a message the bot can see
    const resourceMatch = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/resources\/([^/]+)$/.exec(path);
    if (method === 'GET' && resourceMatch) {
      const type = url.searchParams.get('type');
      if (type !== 'file' && type !== 'image') return invalidParam(res, 'type');
      const key = `${decodeURIComponent(resourceMatch[1])}/${decodeURIComponent(resourceMatch[2])}`;
      const refused = refusedFiles.get(key);
      if (refused) return send(res, 400, { code: refused, msg: REFUSED_FILE_MESSAGES[refused] });
      const bytes = messageFiles.get(key);
      if (!bytes) return send(res, 400, { code: 234003, msg: 'File not in msg.' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
      return res.end(bytes);
    }

    return send(res, 404, { code: 404, msg: 'not found in fake open platform' });
  };

  const server = createServer((req, res) => {
    // in local mode this server holds the address book and every message: like the console, it answers only requests
    // addressed to a loopback name (another site's name resolved to this machine reads nothing)
    if (!isLoopbackHost(hostOfHeader(req.headers.host))) {
      req.resume();
      return send(res, 403, { code: 403, msg: 'the simulated open platform answers only at 127.0.0.1, localhost or [::1]' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0; // keep draining, stop buffering
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      const answer = () => {
        try {
          handle(req, res, tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge);
        } catch (e) {
          if (!res.headersSent) send(res, 500, { code: 1, msg: `fake open platform crashed: ${(e as Error).message}` });
          else res.end();
        }
      };
      const path = (req.url ?? '/').split('?')[0];
      const holding = [...holds].find((h) => h.match({ method: req.method ?? 'GET', path }));
      if (holding) return void holding.held.push(() => (res.destroyed ? undefined : answer()));
      const stalled = stalls.find((s) => s.match({ method: req.method ?? 'GET', path }));
      if (stalled) setTimeout(() => (res.destroyed ? undefined : answer()), stalled.delayMs).unref();
      else answer();
    });
    req.on('error', () => {
      if (!res.headersSent) res.destroy();
    });
  });

  // Node's client agent drops an idle kept-alive socket after 5 s, and Node's server closed one after 5 s too: a request
  // sent on a socket as the server closed it failed with ECONNRESET (seen under load, in the crawl). The client lets go
  // first now, as it would of Feishu's gateway.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    requests,
    messages,
    updates,
    lockedUpdates,
    uploads,
    upload(key) {
      return uploadsByKey.get(key);
    },
    injectFaults(faults, match) {
      for (const fault of faults) faultQueue.push({ fault, match });
    },
    failReceiver(receiveId, fault) {
      receiverFaults.set(receiveId, fault);
    },
    setDlp(on, patterns) {
      dlpOn = on;
      dlpPatterns = patterns ?? DLP_PATTERNS;
    },
    foreignOpenId(openId) {
      foreignOpenIds.add(openId);
    },
    setBotAbility(on) {
      botAbilityOff = !on;
    },
    loseChat(chatId, code = 232009) {
      receiverFaults.set(chatId, { status: 400, code });
    },
    connectionGroup(chatId) {
      connectionGroups.add(chatId);
    },
    stall(match, delayMs) {
      stalls.push({ match, delayMs });
    },
    hold(match) {
      const h = { match, held: [] as (() => void)[] };
      holds.add(h);
      return () => {
        if (!holds.delete(h)) return;
        for (const answer of h.held.splice(0)) answer();
      };
    },
    failTokens(faults) {
      tokenFaults.push(...faults);
    },
    clearFaults() {
      faultQueue.length = 0;
      receiverFaults.clear();
      stalls.length = 0;
      tokenFaults.length = 0;
      releaseHolds();
    },
    revokeScopes(...scopes) {
      for (const scope of scopes) revokedScopes.add(scope);
    },
    grantScopes(...scopes) {
      for (const scope of scopes) revokedScopes.delete(scope);
    },
    revokeTokens(code = 99991663) {
      for (const token of issuedTokens) revokedTokens.set(token, code);
    },
    issuedTokens,
    addUser(user) {
      const added: DirectoryUser = { ...user, openId: user.openId ?? `ou_${hex(16)}` };
      people.set(added.openId, added);
      return added;
    },
    resign(openId) {
      const p = people.get(openId);
      people.set(openId, { ...(p ?? { openId, name: '' }), resigned: true });
      return USER_EVENT_SCOPES.some(granted);
    },
    directory() {
      return [...people.values()];
    },
    addMessageFile(messageId, fileKey, bytes) {
      messageFiles.set(`${messageId}/${fileKey}`, bytes);
    },
    refuseMessageFile(messageId, fileKey, code) {
      refusedFiles.set(`${messageId}/${fileKey}`, code);
    },
    setChatMembers(chatId, openIds) {
      chatMembers.set(chatId, new Set(openIds));
    },
    userMessage(messageId, chatId, threadId) {
      inboundChats.set(messageId, chatId);
      if (threadId) inboundThreads.set(messageId, threadId);
    },
    knows(messageId) {
      return byMessageId.has(messageId);
    },
    earlierCard(messageId, card = { schema: '2.0', config: { update_multi: true }, body: { elements: [] } }, sentAt) {
      earlierCards.set(messageId, { card, ...(sentAt !== undefined ? { sentAt } : {}) });
    },
    cardAction({ messageId, openId, value, formValue }) {
      const m = byMessageId.get(messageId);
      if (!m) {
        // a card sent before this fake's memory began (a local restart): its 14 days are judged when its sending time is
        // known; what it shows now and its chat's members are not, so its values and pickers are taken as they come
        const earlier = earlierCards.get(messageId);
        if (!earlier) return { ok: false, code: 230001, msg: `invalid param: message ${messageId} was not sent by this app` };
        if (earlier.sentAt !== undefined && now() - earlier.sentAt > CARD_ACTIVE_MS) return { ok: false, ...CARD_EXPIRED };
        interactionBegins(messageId, cards.get(messageId) ?? earlier.card);
        clickSent(messageId);
        return { ok: true };
      }
      if (now() - m.createTime > CARD_ACTIVE_MS) return { ok: false, ...CARD_EXPIRED };
      const card = cards.get(messageId);
      // a click carries the value of a component the card shows now, nothing else
      if (value && !taggedObjects(card).some((t) => Array.isArray(t.node.behaviors) && (t.node.behaviors as { value?: unknown }[]).some((b) => sameJson(b.value, value)))) {
        return { ok: false, code: 230001, msg: `invalid param: the card shows no component with value ${JSON.stringify(value)}` };
      }
      const inChat = new Set(chatMembers.get(m.chatId ?? '') ?? []);
      if (m.receiveIdType === 'open_id') inChat.add(m.receiveId);
      inChat.add(openId);
      for (const [name, value] of Object.entries(formValue ?? {})) {
        const field = findComponentByName(card, name);
        if (!field) return { ok: false, code: 230001, msg: `invalid param: the card has no field named ${name}` };
        if (!PERSON_PICKERS.has(field.tag as string)) continue;
        // a picker with empty options offers the chat's members only (select_person in card JSON 2.0; larksuite/cli skills/lark-im/references/card/components/select_person.md)
        const options = Array.isArray(field.options) ? (field.options as { value?: unknown }[]).map((o) => o.value) : [];
        const offered = options.length ? new Set(options) : inChat;
        const picked = Array.isArray(value) ? value : value === '' || value === undefined || value === null ? [] : [value];
        const outside = picked.filter((v) => !offered.has(v as string));
        if (outside.length) return { ok: false, code: 230001, msg: `invalid param: ${name} cannot offer ${outside.join(', ')}` };
      }
      interactionBegins(messageId, card);
      clickSent(messageId);
      return { ok: true, chatId: m.chatId };
    },
    answerCallback(messageId, body) {
      // the oldest click on it waiting is answered, whatever the answer: the card takes updates again (unless another waits)
      interactions.get(messageId)?.shift();
      beingInteracted(messageId);
      // Feishu waits 3 s for the answer, then shows the user its own error and drops what comes after, card and toast alike
      // (200341, https://open.feishu.cn/document/feishu-cards/card-callback-communication, 错误码)
      if (!answerInTime(messageId)) return { ok: false, code: 200341, msg: `The callback was not answered within ${answerTimeoutMs} ms: Feishu showed the user its error and ignored the answer.` };
      if (body === undefined || body === null) return { ok: true };
      // the answer's shape, as https://open.feishu.cn/document/feishu-cards/card-callback-communication (响应回调的结构体)
      // gives it: a JSON object, an optional toast {type: info | success | error | warning, content or i18n} and an optional
      // card {type: raw, data: a card} or {type: template, data: {template_id, …}}; another shape is 200672 "返回了错误的
      // 响应体格式", a card Feishu cannot show 200673 "返回了错误的卡片" (the page's 错误码)
      const malformed = answerFormatProblem(body);
      if (malformed) return { ok: false, code: 200672, msg: `The callback response body is malformed: ${malformed}` };
      const answer = body as { card?: { type?: string; data?: unknown } };
      if (!answer.card || answer.card.type === 'template') return { ok: true };
      // a JSON 2.0 card cannot be answered with a JSON 1.0 one: 200830
      // (https://open.feishu.cn/document/feishu-cards/card-callback-communication)
      const isV2 = (c: unknown) => (c as { schema?: unknown } | null | undefined)?.schema === '2.0';
      const shown = cards.get(messageId) ?? earlierCards.get(messageId)?.card;
      if (isV2(shown) && !isV2(answer.card.data)) return { ok: false, code: 200830, msg: 'The card in the callback response is a JSON 1.0 card; a JSON 2.0 card can only be updated to a JSON 2.0 card.' };
      const problems = cardRuleViolations(answer.card.data);
      if (problems.length) return { ok: false, code: 200673, msg: `The card in the callback response is invalid: ${problems.join('; ')}`.slice(0, 1000) };
      cards.set(messageId, answer.card.data);
      return { ok: true };
    },
    currentCard(messageId) {
      return cards.get(messageId);
    },
    on(event: 'message' | 'update', fn: (x: any) => void) {
      if (event === 'message') listeners.push(fn);
      else if (event === 'update') updateListeners.push(fn);
    },
    reset() {
      // what was held is answered first, and forgotten with the rest
      releaseHolds();
      connectionGroups.clear();
      appSends.length = 0;
      appPatches.length = 0;
      requests.length = 0;
      messages.length = 0;
      updates.length = 0;
      lockedUpdates.length = 0;
      interactions.clear();
      awaitingAnswer.clear();
      uploads.length = 0;
      uploadsByKey.clear();
      faultQueue.length = 0;
      receiverFaults.clear();
      botAbilityOff = false;
      dlpOn = false;
      dlpPatterns = DLP_PATTERNS;
      foreignOpenIds.clear();
      stalls.length = 0;
      tokenFaults.length = 0;
      byUuid.clear();
      byMessageId.clear();
      earlierCards.clear();
      revokedScopes.clear();
      cards.clear();
      recentSends.clear();
      recentUpdates.clear();
    },
    async setReachable(reachable) {
      if (reachable === server.listening) return;
      if (!reachable) {
        await new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeAllConnections();
        });
        return;
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    close() {
      holds.clear();
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // keep-alive sockets (Node 20's global agent keeps them) would hold close() open
        server.closeAllConnections();
      });
    },
  };
}
