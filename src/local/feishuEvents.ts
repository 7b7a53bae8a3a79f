/**
 * Callbacks exactly as Feishu sends them to a bot's event / card-callback URL: schema 2.0 envelopes,
 * AES-encrypted into `{"encrypt": "..."}`, with the x-lark-request-timestamp / -nonce / -signature
 * headers. Local mode's console posts through these, and so do the tests (test/support/larkEvents.ts).
 *
 * Timestamps: event headers carry `create_time` in milliseconds, except card.action.trigger whose
 * header create_time is in MICROseconds (as the Feishu doc states: 微秒级时间戳).
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { p2pChatIdFor, FAKE_BOT_OPEN_ID } from './fakeOpenPlatform.js';
import { findComponentByName } from './cardRules.js';

export interface SignedRequest {
  headers: Record<string, string>;
  /** exact raw body string */
  body: string;
}

/** tenant_key used in every generated envelope */
export const FAKE_TENANT_KEY = '2ca1d211f64f6438';
/** default app_id in generated headers (matches the test SDK clients' appId) */
export const FAKE_APP_ID = 'cli_test';
/** the bot's open_id as it appears in @-mentions */
export { FAKE_BOT_OPEN_ID };

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

export const randomEventId = () => hex(16); // 32 hex chars
export const randomMessageId = () => `om_${hex(16)}`;
export const randomChatId = () => `oc_${hex(16)}`;

/** Deterministic union_id / user_id for an open_id, so one user always looks the same. */
export function userIdsFor(openId: string): { union_id: string; user_id: string; open_id: string } {
  const h = sha256hex('user:' + openId);
  return { union_id: `on_${h.slice(0, 32)}`, user_id: h.slice(32, 40), open_id: openId };
}

/**
 * AES-256-CBC, key = sha256(encryptKey), random 16-byte IV, PKCS7 padding;
 * output base64(iv + ciphertext). Inverse of the SDK's `AESCipher.decrypt`.
 */
export function encryptPayload(encryptKey: string, plaintext: string): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv); // PKCS7 padding is node's default
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ct]).toString('base64');
}

/** sha256 hex of timestamp + nonce + encryptKey + body (Feishu's x-lark-signature) */
export function signature(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + body).digest('hex');
}

export function signedRequest(
  payload: object,
  opts: { encryptKey: string; encrypt?: boolean; timestamp?: number; nonce?: string },
): SignedRequest {
  const body = (opts.encrypt ?? true) ? JSON.stringify({ encrypt: encryptPayload(opts.encryptKey, JSON.stringify(payload)) }) : JSON.stringify(payload);
  return signed(body, opts, (timestamp, nonce) => signature(timestamp, nonce, opts.encryptKey, body));
}

/**
 * An old-style card callback as the retired 消息卡片请求网址 receives it in plain: signed with sha1 of timestamp + nonce +
 * the verification token + the body (the node SDK's `RequestHandle.checkIsCardEventValidated`, which its `CardActionHandler`
 * uses). Encrypted, the SDK checks it as any encrypted callback: `signedRequest`.
 */
export function legacyCardRequest(payload: object, opts: { verificationToken: string; timestamp?: number; nonce?: string }): SignedRequest {
  const body = JSON.stringify(payload);
  return signed(body, opts, (timestamp, nonce) => createHash('sha1').update(timestamp + nonce + opts.verificationToken + body).digest('hex'));
}

/** `body` with the headers Feishu sends it with; `sign` makes x-lark-signature from the timestamp and nonce. */
function signed(body: string, opts: { timestamp?: number; nonce?: string }, sign: (timestamp: string, nonce: string) => string): SignedRequest {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? hex(8);
  return {
    headers: { 'content-type': 'application/json', 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': sign(timestamp, nonce) },
    body,
  };
}

/** The schema 2.0 header every envelope carries. */
export function eventHeader(p: { token: string; eventId?: string; appId?: string }, eventType: string, createTime: string) {
  return {
    event_id: p.eventId ?? randomEventId(),
    token: p.token,
    create_time: createTime,
    event_type: eventType,
    tenant_key: FAKE_TENANT_KEY,
    app_id: p.appId ?? FAKE_APP_ID,
  };
}

export function messageEvent(p: {
  token: string;
  appId?: string;
  eventId?: string;
  openId: string;
  text: string;
  /** `topic_group`: a 话题模式 group, whose every message is in a thread of its own */
  chatType?: 'p2p' | 'group' | 'topic_group';
  chatId?: string;
  messageId?: string;
  mentionBot?: boolean;
  /** ms; default now */
  createTime?: number;
  /** optional thread fields (a reply in a thread): the thread's first message, the message replied to, the thread */
  rootId?: string;
  parentId?: string;
  threadId?: string;
  /** a file message instead of text: message_type "file", content {"file_key","file_name"} (`text` unused) */
  file?: { fileKey: string; fileName: string };
  /**
   * a rich-text message instead of text: message_type "post", content {"title","content"} with its paragraphs as the
   * client sent them (`text` unused); a mention of the bot comes first, as an `at` node keyed `@_user_1`
   */
  post?: { title?: string; content: PostNode[][] };
}): object {
  const chatType = p.chatType ?? 'p2p';
  const createTime = String(p.createTime ?? Date.now());
  const chatId = p.chatId ?? (chatType === 'p2p' ? p2pChatIdFor(p.openId) : randomChatId());
  const mention = chatType !== 'p2p' && p.mentionBot === true;
  const text = mention ? `@_user_1 ${p.text}` : p.text;
  const [type, content] = p.file
    ? ['file', { file_key: p.file.fileKey, file_name: p.file.fileName }]
    : p.post
      ? ['post', { title: p.post.title ?? '', content: mention ? withBotMention(p.post.content) : p.post.content }]
      : ['text', { text }];
  return {
    schema: '2.0',
    header: eventHeader(p, 'im.message.receive_v1', createTime),
    event: {
      sender: {
        sender_id: userIdsFor(p.openId),
        sender_type: 'user',
        tenant_key: FAKE_TENANT_KEY,
      },
      message: {
        message_id: p.messageId ?? randomMessageId(),
        ...(p.rootId ? { root_id: p.rootId } : {}),
        ...(p.parentId ? { parent_id: p.parentId } : {}),
        ...(p.threadId ? { thread_id: p.threadId } : {}),
        create_time: createTime,
        update_time: createTime,
        chat_id: chatId,
        chat_type: chatType,
        message_type: type,
        content: JSON.stringify(content),
        ...(mention
          ? {
              mentions: [
                {
                  key: '@_user_1',
                  id: { open_id: FAKE_BOT_OPEN_ID, union_id: `on_${sha256hex('bot').slice(0, 32)}`, user_id: '' },
                  name: 'Bot',
                  tenant_key: FAKE_TENANT_KEY,
                },
              ],
            }
          : {}),
      },
    },
  };
}

/**
 * A node of a received rich-text (post) message, as https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content
 * lists them: `text`, `a` (a link: the text shown and its `href`), `at` (`user_id` is the mention's key, @_user_1), `img`,
 * `media`, `emotion`, `code_block`, `hr`; each may carry a `style` list.
 */
export type PostNode =
  | { tag: 'text'; text: string; style?: string[] }
  | { tag: 'a'; text: string; href: string; style?: string[] }
  | { tag: 'at'; user_id: string; user_name?: string; style?: string[] }
  | { tag: 'img'; image_key: string; width?: number; height?: number }
  | { tag: 'media'; file_key: string; image_key?: string }
  | { tag: 'emotion'; emoji_type: string }
  | { tag: 'code_block'; language?: string; text: string }
  | { tag: 'hr' };

/** A post's paragraphs with the bot's mention first, as the client puts it where the sender typed @ first. */
function withBotMention(content: PostNode[][]): PostNode[][] {
  const at: PostNode = { tag: 'at', user_id: '@_user_1', user_name: 'Bot', style: [] };
  const [first = [], ...rest] = content;
  return [[at, { tag: 'text', text: ' ', style: [] }, ...first], ...rest];
}

/**
 * A click on an item of the bot's custom menu (机器人自定义菜单) whose action is to push an event, as Feishu sends it:
 * https://open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/application-v6/bot/events/menu
 */
export function botMenuEvent(p: { token: string; openId: string; eventKey: string; eventId?: string; appId?: string; operatorName?: string }): object {
  const ids = userIdsFor(p.openId);
  const now = Date.now();
  return {
    schema: '2.0',
    header: eventHeader(p, 'application.bot.menu_v6', String(now)),
    event: {
      operator: { operator_name: p.operatorName ?? '用户', operator_id: { union_id: ids.union_id, user_id: ids.user_id, open_id: ids.open_id } },
      event_key: p.eventKey,
      timestamp: Math.floor(now / 1000),
    },
  };
}

/**
 * 员工离职 as Feishu sends it to an app subscribed to contact.user.deleted_v3 (holding contact:contact.base:readonly or
 * contact:contact:readonly_as_app, the person within its address-book range): the person as they were under `object`,
 * their departments under `old_object` (https://open.feishu.cn/document/server-docs/contact-v3/user/events/deleted).
 */
export function userDeletedEvent(p: { token: string; openId: string; name?: string; eventId?: string; appId?: string }): object {
  const ids = userIdsFor(p.openId);
  return {
    schema: '2.0',
    header: eventHeader(p, 'contact.user.deleted_v3', String(Date.now())),
    event: {
      object: {
        ...ids,
        name: p.name ?? '',
        status: { is_frozen: false, is_resigned: true, is_activated: false, is_exited: false, is_unjoin: false },
        department_ids: [],
      },
      old_object: { open_id: p.openId, department_ids: ['od-fake-department'] },
    },
  };
}

export function cardActionEvent(p: {
  token: string;
  openId: string;
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  name?: string;
  /** default "button" */
  tag?: string;
  /** the chosen option of a select outside a form */
  option?: string;
  messageId?: string;
  chatId?: string;
  eventId?: string;
  /** the card-update token (event.token); default "c-" + 40 hex */
  cardToken?: string;
  appId?: string;
}): object {
  const ids = userIdsFor(p.openId);
  return {
    schema: '2.0',
    // card callbacks stamp create_time in microseconds
    header: eventHeader(p, 'card.action.trigger', String(Date.now() * 1000)),
    event: {
      operator: { tenant_key: FAKE_TENANT_KEY, user_id: ids.user_id, open_id: ids.open_id, union_id: ids.union_id },
      token: p.cardToken ?? `c-${hex(20)}`,
      action: {
        value: p.value,
        tag: p.tag ?? 'button',
        ...(p.name !== undefined ? { name: p.name } : {}),
        ...(p.option !== undefined ? { option: p.option } : {}),
        ...(p.formValue !== undefined ? { form_value: p.formValue } : {}),
        // a form's submit carries the user's time zone (the callback sample of
        // https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container); the bot reads none
        ...(p.formValue !== undefined ? { timezone: 'Asia/Shanghai' } : {}),
      },
      host: 'im_message',
      context: {
        open_message_id: p.messageId ?? randomMessageId(),
        open_chat_id: p.chatId ?? p2pChatIdFor(p.openId),
      },
    },
  };
}

/** The UTC offset of the people of local mode, who are in Asia/Shanghai as each form's callback says (`timezone`). */
const LOCAL_OFFSET = '+0800';

/**
 * A form's picker values as Feishu's client sends them in `form_value`: the date, time, or date and time chosen, then
 * the chooser's UTC offset, "2024-04-01 +0800", "00:00 +0800", "2024-04-29 07:07 +0800" (the callback sample of
 * https://open.feishu.cn/document/feishu-cards/card-callback-communication). What a browser's inputs give ("2024-04-01",
 * "07:07", "2024-04-29T07:07") is written so; a value that already carries an offset, and every other field, as it is.
 */
export function asFeishuPickerValues(card: unknown, formValue: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(formValue)) {
    const tag = findComponentByName(card, name)?.tag;
    const bare = typeof value === 'string' && value !== '' && !/[+-]\d{4}$/.test(value.trim());
    if (bare && tag === 'date_picker' && /^\d{4}-\d{2}-\d{2}$/.test(value)) out[name] = `${value} ${LOCAL_OFFSET}`;
    else if (bare && tag === 'picker_time' && /^\d{2}:\d{2}$/.test(value)) out[name] = `${value} ${LOCAL_OFFSET}`;
    else if (bare && tag === 'picker_datetime' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$/.test(value)) out[name] = `${value.replace('T', ' ')} ${LOCAL_OFFSET}`;
    else out[name] = value;
  }
  return out;
}
