import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bulkJobs } from '../../db/schema.js';
import { type BulkJobKind, BulkJobWorker } from '../../src/bulkJobs.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * A bulk job leaves the event loop between its batches. On PGlite the database runs in the bot's process and its
 * queries resolve without an I/O turn, so a job of many batches (确认导入 of 5 000 rows: 6 s, 21 s over 20 000 teams)
 * held every callback, message and timer until it ended, past Feishu's 3 s. Timers firing while the job runs show the
 * turns; on PostgreSQL they come with every query anyway.
 */
describe('a bulk job of many batches', () => {
  let base: TestDatabase;
  const config = { ADMIN_OPEN_IDS: [], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
  const log = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
  const BATCHES = 6;
  /** A kind whose batches read the database and keep the process busy a moment, as an import's planning does. */
  const busy: BulkJobKind = {
    kind: 'import',
    runBatch: async ({ tx, job }) => {
      await tx.execute(sql`select count(*) from bulk_jobs`);
      const until = Date.now() + 15;
      while (Date.now() < until);
      const done = job.done + 1;
      return { done, total: job.total, cursor: done, finished: done >= job.total };
    },
  };

  beforeEach(async () => {
    base = await createTestDatabase();
  });

  afterEach(async () => {
    await base?.close();
  });

  it('lets timers (and so callbacks) run between its batches', async () => {
    const [job] = await base.db.insert(bulkJobs).values({ kind: 'import', total: BATCHES, createdBy: 'system:test' }).returning();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const worker = new BulkJobWorker({ db: base.db, kinds: [busy], clock: systemClock, config, log });
      expect(await worker.runOnce()).toBe(true);
    } finally {
      clearInterval(timer);
    }
    const [after] = await base.db.select().from(bulkJobs);
    expect(after).toMatchObject({ id: job.id, status: 'done', done: BATCHES });
    // turns between the batches (each outlasts the timer's millisecond); none at all on PGlite before
    expect(ticks).toBeGreaterThanOrEqual(BATCHES / 2);
  });
});
