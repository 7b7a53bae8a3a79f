import { Writable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bulkJobs } from '../../db/schema.js';
import { type BulkJobKind, BulkJobWorker } from '../../src/bulkJobs.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';

/**
 * A job's lease is set and read by the database's clock: a replica whose own clock is off neither takes a job another
 * worker holds nor gives the one it takes a lease of its own reckoning. PostgreSQL only, where replicas are processes of
 * their own: PGlite is one process (one per DATA_DIR), whose database reads the process's own clock.
 */
describe.skipIf(testDatabaseKind() === 'pglite')('a worker whose clock is off', () => {
  let base: TestDatabase;
  const config = { ADMIN_OPEN_IDS: [], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
  const log = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
  const oneBatch: BulkJobKind = { kind: 'import', runBatch: async ({ job }) => ({ done: job.total, total: job.total, cursor: 1, finished: true }) };
  const worker = (id: string) => new BulkJobWorker({ db: base.db, kinds: [oneBatch], clock: systemClock, config, log, id, leaseMs: 60_000 });

  beforeEach(async () => {
    base = await createTestDatabase();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await base?.close();
  });

  /** How far a job's lease lies ahead of the database's now, in ms. */
  async function leaseLeft(id: number): Promise<number> {
    const [row] = rowsOf(await base.db.execute(sql`select extract(epoch from lease_until - clock_timestamp())::float8 * 1000 as ms from bulk_jobs where id = ${id}`)) as { ms: number | string }[];
    return Number(row.ms);
  }

  it('two minutes ahead, it leaves a running job whose lease holds to the worker that holds it', async () => {
    const [job] = await base.db.insert(bulkJobs).values({ kind: 'import', total: 3, createdBy: 'system:test' }).returning();
    const holder = worker('holder');
    expect((await holder.claim())?.id).toBe(job.id);
    const ahead = worker('ahead');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 120_000 });
    expect(await ahead.claim()).toBeUndefined();
    vi.useRealTimers();
    const [held] = await base.db.select().from(bulkJobs).where(eq(bulkJobs.id, job.id));
    expect(held).toMatchObject({ status: 'running', claimedBy: 'holder', attempts: 1 });
  });

  it('two minutes behind, the job it takes has a lease of a minute by the database’s clock, not one already run out', async () => {
    const [job] = await base.db.insert(bulkJobs).values({ kind: 'import', total: 3, createdBy: 'system:test' }).returning();
    const behind = worker('behind');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 120_000 });
    expect((await behind.claim())?.id).toBe(job.id);
    vi.useRealTimers();
    expect(await leaseLeft(job.id)).toBeGreaterThan(50_000);
    // so another worker does not take it
    expect(await worker('other').claim()).toBeUndefined();
  });
});
