import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { auditLog, chatBindings } from '../db/schema.js';
import { audit } from './audit.js';
import { UserError } from './errors.js';
import { rowsOf } from './outbox.js';
import type { Actor } from './people.js';
import { requireAdmin } from './permissions.js';

/** Group chats bound to receive the association's notifications, by purpose. */

export type ChatPurpose = 'admin' | 'experts';

const purposeWords: Record<string, ChatPurpose> = {
  admin: 'admin',
  admins: 'admin',
  管理: 'admin',
  管理员: 'admin',
  协会: 'admin',
  experts: 'experts',
  expert: 'experts',
  专家: 'experts',
  评审专家: 'experts',
};

/** The purpose named after `绑定通知` / `解绑`, undefined when none; an unknown word is refused with the choices. */
export function parsePurpose(word: string): ChatPurpose | undefined {
  const w = word.trim().toLowerCase();
  if (!w) return undefined;
  const purpose = purposeWords[w];
  if (!purpose) throw new UserError(`不认识“${word.trim()}”这个用途。用途可以是“管理”（默认，协会管理通知）或“专家”（评审专家通知），例如：绑定通知 专家`);
  return purpose;
}

/**
 * Whether a chat is one many people share (a group the bot is bound to, or has posted or replied in), not someone's
 * p2p chat with the bot: a card there is one card for everyone, so what is personal is not drawn into it.
 */
export async function isSharedChat(tx: Db, chatId: string): Promise<boolean> {
  const [row] = rowsOf(
    await tx.execute(sql`
      select exists (select 1 from chat_bindings where chat_id = ${chatId})
        or exists (select 1 from outbox where rate_key = ${chatId} and (receive_id_type = 'chat_id' or kind = 'reply')) as shared`),
  ) as { shared?: boolean }[];
  return row?.shared === true;
}

export async function bindingsOf(tx: Db, chatId: string): Promise<ChatPurpose[]> {
  const rows = await tx.select({ purpose: chatBindings.purpose }).from(chatBindings).where(eq(chatBindings.chatId, chatId)).orderBy(asc(chatBindings.purpose));
  return rows.map((r) => r.purpose as ChatPurpose);
}

/** 绑定通知: administrators only; binding twice changes nothing. Returns whether it was new. */
export async function bindChat(tx: Db, actor: Actor, chatId: string, purpose: ChatPurpose, now: Date): Promise<boolean> {
  requireAdmin(actor);
  const rows = await tx.insert(chatBindings).values({ chatId, purpose, boundBy: actor.openId, createdAt: now }).onConflictDoNothing().returning({ chatId: chatBindings.chatId });
  if (rows.length) await audit(tx, { actor: actor.openId, action: 'chat.bind', entity: 'chat', entityId: chatId, details: { purpose }, at: now });
  return rows.length > 0;
}

/** 解绑: administrators only; one purpose, or every binding of the chat. Returns the purposes removed. */
export async function unbindChat(tx: Db, actor: Actor, chatId: string, purpose: ChatPurpose | undefined, now: Date): Promise<ChatPurpose[]> {
  requireAdmin(actor);
  const removed = await tx
    .delete(chatBindings)
    .where(and(eq(chatBindings.chatId, chatId), purpose ? eq(chatBindings.purpose, purpose) : undefined))
    .returning({ purpose: chatBindings.purpose });
  const purposes = removed.map((r) => r.purpose as ChatPurpose);
  if (purposes.length) await audit(tx, { actor: actor.openId, action: 'chat.unbind', entity: 'chat', entityId: chatId, details: { purposes }, at: now });
  return purposes;
}

/** The bot was removed from a chat: its bindings go, or every notification to it would dead-letter. */
export async function forgetChat(tx: Db, chatId: string, operator: string, now: Date): Promise<ChatPurpose[]> {
  const removed = await tx.delete(chatBindings).where(eq(chatBindings.chatId, chatId)).returning({ purpose: chatBindings.purpose });
  const purposes = removed.map((r) => r.purpose as ChatPurpose);
  if (purposes.length) await audit(tx, { actor: operator || 'system:feishu', action: 'chat.botRemoved', entity: 'chat', entityId: chatId, details: { purposes }, at: now });
  return purposes;
}

/**
 * Feishu delivers an event at least once, retries a failed delivery for hours and keeps no order: a removal of the bot
 * retried late can arrive after the bot was added back. An addition goes on record with the event's create_time (ms)
 * so such a removal is told apart (`addedSince`); the chat's advisory lock orders an addition and a removal handled at once.
 */
export async function noteBotAdded(tx: Db, chatId: string, operator: string, createTime: number | undefined, now: Date): Promise<void> {
  await lockChatMembership(tx, chatId);
  await audit(tx, { actor: operator || 'system:feishu', action: 'chat.botAdded', entity: 'chat', entityId: chatId, details: createTime === undefined ? {} : { createTime }, at: now });
}

/** Whether the bot was added to the chat by an event created after `removedAt` (ms): a removal that old is stale. */
export async function addedSince(tx: Db, chatId: string, removedAt: number): Promise<boolean> {
  await lockChatMembership(tx, chatId);
  const [row] = rowsOf(
    await tx.execute(sql`
      select exists (select 1 from audit_log where entity = 'chat' and entity_id = ${chatId} and action = 'chat.botAdded'
        and jsonb_typeof(details -> 'createTime') = 'number' and (details ->> 'createTime')::numeric > ${removedAt}) as added`),
  ) as { added?: boolean }[];
  return row?.added === true;
}

const lockChatMembership = (tx: Db, chatId: string) => tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`chat:membership:${chatId}`}, 0))`);

/** How a chat's bindings go without an administrator's 解绑: the bot removed (`forgetChat`), the chat disbanded, Feishu refusing sends to it. */
const chatLosses = ['chat.botRemoved', 'chat.disbanded', 'chat.unreachable'];

/**
 * The chat is gone for the bot: disbanded (im.chat.disbanded_v1), or Feishu answers a send that the bot cannot post
 * there (`chat.unreachable`). Its bindings go, on record with who or what found out; returns the purposes removed.
 */
export async function forgetLostChat(
  tx: Db,
  chatId: string,
  loss: { actor: string; action: 'chat.disbanded' | 'chat.unreachable'; details?: Record<string, unknown> },
  now: Date,
): Promise<ChatPurpose[]> {
  const removed = await tx.delete(chatBindings).where(eq(chatBindings.chatId, chatId)).returning({ purpose: chatBindings.purpose });
  const purposes = removed.map((r) => r.purpose as ChatPurpose).sort();
  if (purposes.length) await audit(tx, { actor: loss.actor, action: loss.action, entity: 'chat', entityId: chatId, details: { purposes, ...loss.details }, at: now });
  return purposes;
}

/**
 * The chat's last loss (its audit row and what it was bound for then), unless it has been bound or unbound since: a
 * message queued to it before its bindings went (by an event, or by another message that failed first) was meant for those purposes.
 */
export async function lastLoss(tx: Db, chatId: string): Promise<{ auditId: number; purposes: ChatPurpose[] } | undefined> {
  const [last] = await tx
    .select({ id: auditLog.id, action: auditLog.action, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'chat'), eq(auditLog.entityId, chatId), inArray(auditLog.action, ['chat.bind', 'chat.unbind', ...chatLosses])))
    .orderBy(desc(auditLog.id))
    .limit(1);
  if (!last || !chatLosses.includes(last.action)) return undefined;
  const purposes = (last.details as { purposes?: unknown }).purposes;
  return { auditId: last.id, purposes: Array.isArray(purposes) ? (purposes.filter((p) => p === 'admin' || p === 'experts') as ChatPurpose[]) : [] };
}
