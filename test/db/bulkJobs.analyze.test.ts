import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bulkJobs, organizations } from '../../db/schema.js';
import { type BulkJobKind, BulkJobWorker } from '../../src/bulkJobs.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * A large bulk job leaves the tables it filled without planner statistics (PGlite never gathers them; PostgreSQL's
 * autovacuum within a minute or so): the worker refreshes them once such a job is done. Checked by pg_class.reltuples,
 * -1 until a table is first analysed, on PostgreSQL and PGlite.
 */
describe('a finished bulk job refreshes the planner statistics', () => {
  let base: TestDatabase;
  const config = { ADMIN_OPEN_IDS: [], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
  const log = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
  /** A kind that finishes in one batch of `total` items, writing nothing of its own. */
  const oneBatch: BulkJobKind = { kind: 'import', runBatch: async ({ job }) => ({ done: job.total, total: job.total, cursor: 1, finished: true }) };

  beforeEach(async () => {
    base = await createTestDatabase();
    await base.db.insert(organizations).values([{ name: '统计一单位' }, { name: '统计二单位' }, { name: '统计三单位' }]);
  });

  afterEach(async () => {
    await base?.close();
  });

  const reltuples = async () =>
    Number((rowsOf(await base.db.execute(sql`select reltuples::int as n from pg_class where relname = 'organizations'`))[0] as { n: number }).n);

  async function runJob(total: number, analyzeFrom?: number) {
    await base.db.insert(bulkJobs).values({ kind: 'import', total, createdBy: 'system:test' });
    await new BulkJobWorker({ db: base.db, kinds: [oneBatch], clock: systemClock, config, log, analyzeFrom }).drain();
  }

  it('a job of at least `analyzeFrom` items: the tables are analysed', async () => {
    expect(await reltuples()).toBe(-1);
    await runJob(3, 3);
    expect(await reltuples()).toBe(3);
  });

  it('a smaller job leaves them as they were', async () => {
    await runJob(3);
    expect(await reltuples()).toBe(-1);
  });
});
