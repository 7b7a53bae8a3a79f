/**
 * Builders for HTTP callbacks exactly as Feishu sends them to a bot's event /
 * card-callback URL: schema 2.0 envelopes, optionally AES-encrypted into
 * `{"encrypt": "..."}`, with the x-lark-request-timestamp / -nonce / -signature
 * headers the SDK's EventDispatcher and CardActionHandler verify.
 *
 * Shapes follow the Feishu docs samples (im.message.receive_v1 event body,
 * 卡片回传交互 card.action.trigger) and the SDK's handler typings.
 *
 * Timestamps: event headers carry `create_time` in milliseconds, except
 * card.action.trigger whose header create_time is in MICROseconds (as the
 * Feishu doc states: 微秒级时间戳).
 */
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { p2pChatIdFor } from '../../src/local/fakeOpenPlatform.js';
import { eventHeader as header, FAKE_TENANT_KEY, messageEvent, userIdsFor } from '../../src/local/feishuEvents.js';

// The signing and the two envelopes local mode's console posts live in src/local/feishuEvents.ts.
export {
  botMenuEvent,
  cardActionEvent,
  encryptPayload,
  FAKE_APP_ID,
  FAKE_BOT_OPEN_ID,
  FAKE_TENANT_KEY,
  legacyCardRequest,
  messageEvent,
  randomChatId,
  randomEventId,
  randomMessageId,
  signature,
  type SignedRequest,
  signedRequest,
  userDeletedEvent,
  userIdsFor,
} from '../../src/local/feishuEvents.js';
export { p2pChatIdFor };

export function decryptPayload(encryptKey: string, encrypted: string): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const buf = Buffer.from(encrypted, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

export function p2pChatEnteredEvent(p: { token: string; openId: string; chatId?: string; eventId?: string; appId?: string }): object {
  return {
    schema: '2.0',
    header: header(p, 'im.chat.access_event.bot_p2p_chat_entered_v1', String(Date.now())),
    event: {
      chat_id: p.chatId ?? p2pChatIdFor(p.openId),
      operator_id: userIdsFor(p.openId),
      last_message_id: '',
      last_message_create_time: '',
    },
  };
}

/** im.chat.member.bot.added_v1; `createTime` (ms) stamps the header, now unless given. */
export function botAddedEvent(p: BotMembershipEvent): object {
  return botMembershipEvent(p, 'im.chat.member.bot.added_v1');
}

/** im.chat.member.bot.deleted_v1, the same body as bot.added_v1. */
export function botDeletedEvent(p: BotMembershipEvent): object {
  return botMembershipEvent(p, 'im.chat.member.bot.deleted_v1');
}

interface BotMembershipEvent {
  token: string;
  chatId: string;
  operatorOpenId: string;
  eventId?: string;
  name?: string;
  appId?: string;
  createTime?: number;
}

function botMembershipEvent(p: BotMembershipEvent, eventType: string): object {
  const name = p.name ?? `Chat ${p.chatId}`;
  return {
    schema: '2.0',
    header: header(p, eventType, String(p.createTime ?? Date.now())),
    event: {
      chat_id: p.chatId,
      operator_id: userIdsFor(p.operatorOpenId),
      external: false,
      operator_tenant_key: FAKE_TENANT_KEY,
      name,
      i18n_names: { zh_cn: name, en_us: name },
    },
  };
}

export function urlVerification(p: { token: string; challenge?: string }): object {
  return { challenge: p.challenge ?? randomBytes(16).toString('hex'), token: p.token, type: 'url_verification' };
}

/** A file message as Feishu delivers it: message_type "file", content {"file_key","file_name"}. */
export function fileMessageEvent(p: { token: string; openId: string; messageId: string; fileKey: string; fileName: string; eventId?: string }): object {
  const base = messageEvent({ token: p.token, openId: p.openId, text: '', messageId: p.messageId, eventId: p.eventId }) as { event: { message: Record<string, unknown> } };
  base.event.message.message_type = 'file';
  base.event.message.content = JSON.stringify({ file_key: p.fileKey, file_name: p.fileName });
  return base;
}
