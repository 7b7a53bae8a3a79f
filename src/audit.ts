import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { auditLog } from '../db/schema.js';
import type { DoneRecord } from './errors.js';

export interface AuditEntry {
  actor: string; // an open_id, or system:<job>
  action: string; // e.g. team.register, application.submit
  entity: string;
  entityId: string | number;
  details?: Record<string, unknown>;
  /** The bot's clock, as the one-statement paths write it: never the database's now(), so a test's or the demo's clock holds. */
  at: Date;
}

/** Writes one audit row in the caller's transaction (第十七条: every change is on record). */
export async function audit(tx: Db, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    actor: entry.actor,
    action: entry.action,
    entity: entry.entity,
    entityId: String(entry.entityId),
    details: entry.details ?? {},
    ...(entry.at ? { at: entry.at } : {}),
  });
}

/** When a thing on record was last done: its latest audit row's time, or undefined. */
export async function lastDone(tx: Db, record: DoneRecord): Promise<Date | undefined> {
  const [row] = await tx
    .select({ at: auditLog.at })
    .from(auditLog)
    .where(
      and(
        typeof record.action === 'string' ? eq(auditLog.action, record.action) : inArray(auditLog.action, [...record.action]),
        eq(auditLog.entity, record.entity),
        eq(auditLog.entityId, String(record.entityId)),
        record.detail && sql`${auditLog.details} ->> ${record.detail.key} = ${record.detail.value}`,
      ),
    )
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(1);
  return row?.at ?? undefined;
}
