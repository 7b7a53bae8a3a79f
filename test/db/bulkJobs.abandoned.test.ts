import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bulkJobKinds } from '../../bot/bulkJobs.js';
import { bulkJobs } from '../../db/schema.js';
import { BulkJobWorker } from '../../src/bulkJobs.js';
import { createLogger } from '../../src/log.js';
import { testDatabaseKind } from '../support/db.js';
import { type Harness, startHarness, startTestBot, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from '../support/harness.js';

/** A bulk job a killed run held: on PGlite (one process per DATA_DIR) it resumes at the next start, not after its lease. */

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h?.close();
});

const inAMinute = () => new Date(Date.now() + 60_000);

/** 导入 of 4 001 rows, 3 000 done, as a run killed mid-job leaves it: running, its worker's lease still a minute long. */
async function abandonedImport(): Promise<number> {
  const [job] = await h.db.db
    .insert(bulkJobs)
    .values({ kind: 'import', status: 'running', done: 3000, total: 4001, cursor: 3000, createdBy: 'ou_admin', claimedBy: 'dead-run', leaseUntil: inAMinute(), attempts: 1 })
    .returning({ id: bulkJobs.id });
  return job.id;
}

describe('bulk jobs left running by a killed run', () => {
  it('are given back to the queue at their cursor with one line each; a job waiting to be tried again keeps its wait', async () => {
    const id = await abandonedImport();
    // 定时提醒 waiting to be tried again: no worker holds it, its lease is the wait
    const [waiting] = await h.db.db
      .insert(bulkJobs)
      .values({ kind: 'remind', status: 'running', done: 0, total: 10, createdBy: 'schedule', claimedBy: null, leaseUntil: inAMinute() })
      .returning();
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const worker = new BulkJobWorker({ db: h.db.db, kinds: bulkJobKinds, clock: h.clock, config: h.app.config, log });
    expect(await worker.releaseAbandoned()).toBe(1);
    const [job] = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.id, id));
    expect(job).toMatchObject({ status: 'queued', claimedBy: null, leaseUntil: null, done: 3000, cursor: 3000, total: 4001 });
    const [still] = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.id, waiting.id));
    expect(still).toMatchObject({ status: 'running', claimedBy: null, leaseUntil: waiting.leaseUntil });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).msg).toBe(`bulk job ${id} (导入) left running by the last run given back: resumes at 3000 / 4001`);
    // taken at once, not a minute later
    expect((await worker.claim())?.id).toBe(id);
  });

  it('at start: given back on PGlite, the only process on its data; left to its lease on PostgreSQL, where another replica may hold it', async () => {
    const id = await abandonedImport();
    const { app, logs } = await startTestBot({ env: { LARK_APP_ID: 'cli_test', LARK_APP_SECRET: 'test-secret', LARK_DOMAIN: h.fake.url, LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN }, db: h.db, clock: h.clock, runDispatcher: true });
    try {
      const [job] = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.id, id));
      const said = logs.filter((l) => l.includes('left running by the last run given back'));
      if (testDatabaseKind() === 'pglite') {
        expect(job.claimedBy).not.toBe('dead-run');
        expect(said).toHaveLength(1);
        expect(said[0]).toContain(`bulk job ${id} (导入)`);
        expect(said[0]).toContain('resumes at 3000 / 4001');
      } else {
        expect(job).toMatchObject({ status: 'running', claimedBy: 'dead-run' });
        expect(said).toEqual([]);
      }
    } finally {
      await app.stop();
    }
  });
});
