import { eq, sql } from 'drizzle-orm';
import { deadLetterCard } from '../cards/help.js';
import type { Db } from '../db/index.js';
import { chatBindings, people } from '../db/schema.js';
import { audit } from './audit.js';
import { type Destination, enqueue, type OutboxRow } from './outbox.js';

/** Where administrators are told things: the bound admin groups, else each administrator in p2p. */
export async function adminDestinations(tx: Db, bootstrapAdmins: readonly string[]): Promise<Destination[]> {
  // issued together: one round trip (the administrators are read even when a group is bound, and then unused)
  const [chats, admins] = await Promise.all([
    tx.select({ chatId: chatBindings.chatId }).from(chatBindings).where(eq(chatBindings.purpose, 'admin')),
    tx.select({ openId: people.openId }).from(people).where(sql`'admin' = any(${people.roles})`),
  ]);
  if (chats.length) return chats.map((c) => ({ chatId: c.chatId }));
  const ids = new Set([...bootstrapAdmins, ...admins.map((a) => a.openId)]);
  return [...ids].sort().map((openId) => ({ openId }));
}

export function destinationKey(d: Destination): string {
  if ('chatId' in d && !('replyTo' in d)) return `chat:${d.chatId}`;
  if ('openId' in d) return `user:${d.openId}`;
  if ('replyTo' in d) return `reply:${d.replyTo}`;
  return `update:${d.updateMessage}`;
}

/** The dead-letter hook of the outbox: an audit row and an alert to the administrators. */
export function deadLetterAlert(bootstrapAdmins: readonly string[]) {
  return async (tx: Db, row: OutboxRow, error: string): Promise<void> => {
    await audit(tx, { actor: 'system:outbox', action: 'outbox.dead_letter', entity: 'outbox', entityId: row.id, details: { dedupeKey: row.dedupeKey, receiver: row.receiver, error } });
    // an alert that itself cannot be delivered raises no further alert
    if (row.dedupeKey.startsWith('alert:dead-letter:')) return;
    const cardJson = deadLetterCard({ receiver: `${row.receiveIdType} ${row.receiver}`, attempts: row.attempts, error, dedupeKey: row.dedupeKey });
    for (const to of await adminDestinations(tx, bootstrapAdmins)) {
      await enqueue(tx, { dedupeKey: `alert:dead-letter:${row.id}:${destinationKey(to)}`, to, card: cardJson });
    }
  };
}
