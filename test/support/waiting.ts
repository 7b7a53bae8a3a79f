import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { rowsOf } from '../../src/outbox.js';

/** Polls every 10 ms until `done` holds; fails after `timeoutMs`. */
export async function until(done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sessions of this database waiting for a lock (PostgreSQL). */
export async function lockWaits(db: Db): Promise<number> {
  const rows = await db.execute(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
  return Number((rowsOf(rows)[0] as { n: number }).n);
}
