import { Writable } from 'node:stream';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignJob } from '../../bot/review/assignJob.js';
import { assignments, bulkJobs, cycles, people } from '../../db/schema.js';
import { BulkJobWorker } from '../../src/bulkJobs.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { rowsOf } from '../../src/outbox.js';
import { declineTask } from '../../src/review/scoring.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { ADMIN } from '../support/harness.js';
import { heldTransaction, until } from '../support/waiting.js';
import { type Fixture, OTHER_EXPERT, personas, seedFixture } from './securityFixture.js';

/**
 * 分配专家's batches take the cycle's lock first, as 谢绝, 更换专家 and 重开评分 do: a batch that would fill a panel
 * waits for a decline holding the cycle, then plans on what the decline committed, so the panel is filled once.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')("分配专家's batches wait for a decline holding the cycle (PostgreSQL)", () => {
  const now = new Date('2027-03-10T02:00:00Z');
  const config = { ADMIN_OPEN_IDS: [ADMIN], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
  const log = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
  const R = (n: number) => `ou_assignlockexpert00000000000000${n}`;
  let base: TestDatabase;
  let f: Fixture;

  beforeAll(async () => {
    base = await createTestDatabase();
    f = await seedFixture(base.db);
    // appD's panel of three has two (the expert persona and OTHER_EXPERT): one place to fill
    await base.db.update(cycles).set({ expertsPerApplication: 3, status: 'scoring' }).where(eq(cycles.id, f.cycleId));
    const [pool] = await base.db.select({ organizationId: people.organizationId }).from(people).where(eq(people.openId, personas.expert));
    await base.db.insert(people).values([1, 2, 3].map((n) => ({ openId: R(n), name: `分配专家${n}`, roles: ['expert'], organizationId: pool.organizationId })));
  });

  afterAll(async () => {
    await base?.close();
  });

  /** What the sessions of this database waiting for a lock are running. */
  const waiting = async () =>
    rowsOf(await base.db.execute(sql`select query from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).map((r) =>
      String((r as { query: string }).query),
    );

  it('the batch waits on the cycle, then fills only what the decline left', async () => {
    const db = base.db;
    await db.insert(bulkJobs).values({ kind: 'assign', cycleId: f.cycleId, total: 1, createdBy: ADMIN });
    // the expert persona declines appD's task; its replacements (two places now) are written, not yet committed
    const expert = { openId: personas.expert, name: '专家', roles: ['expert' as const] };
    const decline = await heldTransaction(db, (tx) => declineTask(tx, expert, f.ownTask, { kind: 'unavailable', reason: '评审期间出差' }, now, 'Asia/Shanghai'));
    const worker = new BulkJobWorker({ db, kinds: [assignJob], clock: { now: () => now }, config, log });
    const ran = worker.runOnce();
    await until(async () => (await waiting()).length >= 1);
    expect((await waiting()).some((q) => /from "cycles" .*for update/.test(q)), (await waiting()).join('\n')).toBe(true);
    decline.release();
    await decline.ended;
    expect(await ran).toBe(true);
    const panel = await db
      .select({ expert: assignments.expertOpenId })
      .from(assignments)
      .where(and(eq(assignments.applicationId, f.appD), inArray(assignments.status, ['assigned', 'submitted'])));
    expect(panel).toHaveLength(3);
    expect(panel.map((p) => p.expert)).toContain(OTHER_EXPERT);
    const [job] = await db.select({ status: bulkJobs.status }).from(bulkJobs).where(eq(bulkJobs.kind, 'assign'));
    expect(job.status).toBe('done');
  });
});
