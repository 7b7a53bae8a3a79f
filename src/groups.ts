import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { auditLog, chatBindings, outbox, people } from '../db/schema.js';
import { audit } from './audit.js';
import { UserError } from './errors.js';
import { halfWidth } from './forms.js';
import { type Destination, enqueueMany, messageOf, type OutboxRow, type OutgoingMessage, rowsOf } from './outbox.js';
import type { Actor } from './people.js';
import { requireAdmin } from './permissions.js';
import { simplified } from './traditional.js';

/** Group chats bound to receive the association's notifications, by purpose. */

export type ChatPurpose = 'admin' | 'experts';

const purposeWords: Record<string, ChatPurpose> = {
  admin: 'admin',
  admins: 'admin',
  administrator: 'admin',
  administrators: 'admin',
  association: 'admin',
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
  // read as the command's name is: 綁定通知 專家 and ＥＸＰＥＲＴＳ are 绑定通知 专家 and experts
  const w = simplified(halfWidth(word)).trim().toLowerCase();
  if (!w) return undefined;
  // bind the association / bind the experts: English names the group with its article
  const purpose = purposeWords[w] ?? purposeWords[w.replace(/^the\s+/, '')];
  if (!purpose)
    throw new UserError(
      `不认识“${word.trim()}”这个用途。用途可以是“管理”（admin，默认，协会管理通知）或“专家”（experts，评审专家通知），例如：绑定通知 专家 / bind experts`,
    );
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

/** Whether any group is bound for the administrators now: else their notifications go to each of them privately. */
export async function adminGroupBound(tx: Db): Promise<boolean> {
  const [row] = await tx.select({ chatId: chatBindings.chatId }).from(chatBindings).where(eq(chatBindings.purpose, 'admin')).limit(1);
  return !!row;
}

/** Which of these chats are bound for the purpose now. */
export async function boundFor(tx: Db, chatIds: readonly string[], purpose: ChatPurpose): Promise<Set<string>> {
  if (!chatIds.length) return new Set();
  const rows = await tx
    .select({ chatId: chatBindings.chatId })
    .from(chatBindings)
    .where(and(inArray(chatBindings.chatId, [...new Set(chatIds)]), eq(chatBindings.purpose, purpose)));
  return new Set(rows.map((r) => r.chatId));
}

/** 绑定通知: administrators only; binding twice changes nothing. Returns whether it was new. */
export async function bindChat(tx: Db, actor: Actor, chatId: string, purpose: ChatPurpose, now: Date): Promise<boolean> {
  requireAdmin(actor);
  const rows = await tx.insert(chatBindings).values({ chatId, purpose, boundBy: actor.openId, createdAt: now }).onConflictDoNothing().returning({ chatId: chatBindings.chatId });
  if (rows.length) await audit(tx, { actor: actor.openId, action: 'chat.bind', entity: 'chat', entityId: chatId, details: { purpose }, at: now });
  return rows.length > 0;
}

/**
 * 解绑: administrators only; one purpose, or every binding of the chat. Returns the purposes removed. What is still
 * queued to the chat for them goes no more (`retireQueued`): the experts' reminders are dropped, the administrators'
 * messages go where theirs go now.
 */
export async function unbindChat(
  tx: Db,
  actor: Actor,
  chatId: string,
  purpose: ChatPurpose | undefined,
  now: Date,
  bootstrapAdmins: readonly string[],
): Promise<ChatPurpose[]> {
  requireAdmin(actor);
  const removed = await tx
    .delete(chatBindings)
    .where(and(eq(chatBindings.chatId, chatId), purpose ? eq(chatBindings.purpose, purpose) : undefined))
    .returning({ purpose: chatBindings.purpose });
  const purposes = removed.map((r) => r.purpose as ChatPurpose);
  if (purposes.length) await audit(tx, { actor: actor.openId, action: 'chat.unbind', entity: 'chat', entityId: chatId, details: { purposes }, at: now });
  await retireQueued(tx, chatId, purposes, '群已解绑', bootstrapAdmins);
  return purposes;
}

/**
 * The bot was removed from a chat: its bindings go, or every notification to it would dead-letter. What was queued to
 * it for them goes no more (`retireQueued`), so a group the bot is added back to before a try gets none of it.
 */
export async function forgetChat(tx: Db, chatId: string, operator: string, now: Date, bootstrapAdmins: readonly string[]): Promise<ChatPurpose[]> {
  const removed = await tx.delete(chatBindings).where(eq(chatBindings.chatId, chatId)).returning({ purpose: chatBindings.purpose });
  const purposes = removed.map((r) => r.purpose as ChatPurpose);
  if (purposes.length) await audit(tx, { actor: operator || 'system:feishu', action: 'chat.botRemoved', entity: 'chat', entityId: chatId, details: { purposes }, at: now });
  await retireQueued(tx, chatId, purposes, '机器人已被移出群', bootstrapAdmins);
  return purposes;
}

/** The spec kind of the experts groups' one message, the scoring reminder (src/jobs/reminderCards.ts). */
const EXPERTS_GROUP_KIND = 'scoringGroupReminder';

/** Whether a message queued to a group is the experts' one (the scoring reminder): never for the administrators. */
export function forExpertsGroup(row: Pick<OutboxRow, 'card'>): boolean {
  return (row.card as { render?: { kind?: unknown } } | null)?.render?.kind === EXPERTS_GROUP_KIND;
}

/**
 * The messages still waiting to go to a chat (pending, retried after a failure such as a muted group, or held to grow)
 * that were queued for purposes it has just lost: those for the experts (the scoring reminder) are dropped; those for
 * the administrators (every other message sent to the chat, but the bot's introduction, which is for whoever is in it)
 * are dropped there and queued again where the administrators' notifications go now (`reroutedMessages`), as a lost
 * group's are. A reply or a card update in the chat answers what someone did there and stays.
 */
async function retireQueued(tx: Db, chatId: string, purposes: readonly ChatPurpose[], reason: string, bootstrapAdmins: readonly string[]): Promise<void> {
  if (!purposes.length) return;
  const experts = sql`coalesce(${outbox.card} -> 'render' ->> 'kind', '') = ${EXPERTS_GROUP_KIND}`;
  const forPurposes = purposes.includes('admin') && purposes.includes('experts') ? undefined : purposes.includes('experts') ? experts : sql`not ${experts}`;
  const toAdmins = purposes.includes('admin') ? await adminDestinations(tx, bootstrapAdmins) : [];
  const adminReason = `${reason}，已改发${toAdmins.some((d) => 'chatId' in d) ? '到协会管理通知群' : '给每位管理员'}`;
  const retired = await tx
    .update(outbox)
    .set({ status: 'dropped', lastError: sql`case when ${experts} then ${reason} else ${adminReason} end` })
    .where(
      and(
        // the chat's sends: on the partial index isSharedChat reads
        eq(outbox.rateKey, chatId),
        eq(outbox.receiveIdType, 'chat_id'),
        eq(outbox.kind, 'send'),
        inArray(outbox.status, ['pending', 'held']),
        sql`not starts_with(${outbox.dedupeKey}, ${`group:intro:${chatId}:`})`,
        forPurposes,
      ),
    )
    .returning();
  const rerouted = retired.filter((row) => !forExpertsGroup(row));
  if (rerouted.length) await enqueueMany(tx, rerouted.flatMap((row) => reroutedMessages(row, chatId, toAdmins)));
}

/**
 * A message meant for a group, queued again to other destinations under the key it would have had there, so a
 * destination that had its own copy, or the same message moved from a second group, gets it once.
 */
export function reroutedMessages(row: OutboxRow, chatId: string, destinations: readonly Destination[]): OutgoingMessage[] {
  const lostSuffix = `:${destinationKey({ chatId })}`;
  const base = row.dedupeKey.endsWith(lostSuffix) ? row.dedupeKey.slice(0, -lostSuffix.length) : `${row.dedupeKey}:rerouted`;
  return destinations.map((to) => ({ ...messageOf(row), dedupeKey: `${base}:${destinationKey(to)}`, to }));
}

/** Where administrators are told things: the bound admin groups, else each administrator in p2p. */
export async function adminDestinations(tx: Db, bootstrapAdmins: readonly string[], exceptChat?: string): Promise<Destination[]> {
  // issued together: one round trip (the administrators are read even when a group is bound, and then unused)
  const [chats, admins] = await Promise.all([
    tx.select({ chatId: chatBindings.chatId }).from(chatBindings).where(eq(chatBindings.purpose, 'admin')),
    tx.select({ openId: people.openId }).from(people).where(sql`'admin' = any(${people.roles})`),
  ]);
  // a group the bot could not post to (exceptChat) is no way to tell them so
  const open = chats.filter((c) => c.chatId !== exceptChat);
  if (open.length) return open.map((c) => ({ chatId: c.chatId }));
  const ids = new Set([...bootstrapAdmins, ...admins.map((a) => a.openId)]);
  return [...ids].sort().map((openId) => ({ openId }));
}

export function destinationKey(d: Destination): string {
  if ('chatId' in d && !('replyTo' in d)) return `chat:${d.chatId}`;
  if ('openId' in d) return `user:${d.openId}`;
  if ('replyTo' in d) return `reply:${d.replyTo}`;
  return `update:${d.updateMessage}`;
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
export async function lastLoss(tx: Db, chatId: string): Promise<{ auditId: number; purposes: ChatPurpose[]; error?: string } | undefined> {
  const [last] = await tx
    .select({ id: auditLog.id, action: auditLog.action, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'chat'), eq(auditLog.entityId, chatId), inArray(auditLog.action, ['chat.bind', 'chat.unbind', ...chatLosses])))
    .orderBy(desc(auditLog.id))
    .limit(1);
  if (!last || !chatLosses.includes(last.action)) return undefined;
  const purposes = (last.details as { purposes?: unknown }).purposes;
  const error = (last.details as { error?: unknown }).error;
  return {
    auditId: last.id,
    purposes: Array.isArray(purposes) ? (purposes.filter((p) => p === 'admin' || p === 'experts') as ChatPurpose[]) : [],
    ...(typeof error === 'string' ? { error } : {}),
  };
}
