import type { Db } from '../db/index.js';
import { auditLog } from '../db/schema.js';

export interface AuditEntry {
  actor: string; // an open_id, or system:<job>
  action: string; // e.g. team.register, application.submit
  entity: string;
  entityId: string | number;
  details?: Record<string, unknown>;
  at?: Date;
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
