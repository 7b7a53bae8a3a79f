import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { rowsOf } from '../../src/outbox.js';

/** Polls every 10 ms until `done` holds; fails after `timeoutMs`. */
export async function until(done: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
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

/**
 * Tries to claim `eventId` as another session would, waiting at most 100 ms for a lock, and keeps nothing: '55P03' (lock
 * not available) when a transaction still open holds that claim, 'probe: not kept' when the claim went through.
 */
export async function claimProbe(db: Db, eventId: string): Promise<string> {
  return db
    .transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '100ms'`);
      await tx.execute(sql`insert into processed_events (event_id, event_type) values (${eventId}, 'probe') on conflict do nothing`);
      throw new Error('probe: not kept');
    })
    .catch((err: Error & { cause?: { code?: string } }) => err.cause?.code ?? (err as { code?: string }).code ?? err.message);
}

/** Another session's transaction, kept open: `release()` lets it end; `ended` settles once it has. */
export interface HeldTransaction {
  release(): void;
  ended: Promise<void>;
}

/**
 * Runs `work` in a transaction of its own on `db` and holds it open, its locks kept, until `release()`; answers once
 * `work` is done. It then commits, or with `{ rollback: true }` rolls back (nothing of it kept).
 */
export async function heldTransaction(db: Db, work: (tx: Parameters<Parameters<Db['transaction']>[0]>[0]) => Promise<unknown>, opts: { rollback?: boolean } = {}): Promise<HeldTransaction> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let done!: () => void;
  const isDone = new Promise<void>((resolve) => (done = resolve));
  const run = db.transaction(async (tx) => {
    await work(tx);
    done();
    await held;
    if (opts.rollback) throw new Error('held: not kept');
  });
  const ended = opts.rollback ? run.catch(() => undefined) : run;
  await Promise.race([isDone, ended]);
  return { release, ended };
}
