/**
 * A scheduled job's period that keeps failing (its claim, its audience read): the next ticks retried it, but only the log
 * said so, and the application deadline's reminders could pass their day unsent with no administrator knowing. After
 * JOB_FAILURES_TOLD failed runs in a row the administrators are told, once a period; a failure the next tick gets past
 * tells nobody.
 */
import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles, jobRuns, outbox } from '../../db/schema.js';
import { addDays } from '../../src/dates.js';
import { scheduledJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ADMIN_CHAT, BOOTSTRAP_ADMIN, generateCycle, YEAR } from './jobsFixture.js';

const TODAY = `${YEAR}-05-20`;

describe('a scheduled job failing run after run', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await generateCycle(db.db, 13);
    // the application deadline tomorrow: its T-1 reminders are owed today
    await db.db.update(cycles).set({ applicationDeadline: addDays(TODAY, 1) });
    await db.db.execute(sql.raw(`create function fail_apply_claim() returns trigger language plpgsql as $$
      begin if new.period like 'apply-deadline:%' and new.status = 'running' then raise exception 'audience read timed out'; end if; return new; end $$`));
    await db.db.execute(sql.raw(`create trigger fail_apply_claim before insert or update on job_runs for each row execute function fail_apply_claim()`));
  });
  afterAll(async () => {
    await db?.close();
  });

  const tick = (hour: number) =>
    scheduledJob('reminders', { db: db.db, now: () => new Date(`${TODAY}T${String(hour).padStart(2, '0')}:00:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN], log: createLogger('silent'), nudge: () => {} })();
  const alerts = async () => (await db.db.select().from(outbox).where(like(outbox.dedupeKey, 'alert:job-failed:%'))).map((r) => [r.dedupeKey, String((r.card as { text?: string }).text)]);

  it('tells the administrators once, at the third failed run, what has not gone out and that it is tried again', async () => {
    await tick(9);
    await tick(10);
    expect(await alerts()).toEqual([]);
    await tick(11);
    const told = await alerts();
    expect(told.map(([k]) => k)).toEqual([`alert:job-failed:reminders:apply-deadline:${YEAR}:T-1:chat:${ADMIN_CHAT}`]);
    expect(told[0][1]).toContain(`定时任务“截止提醒”（reminders apply-deadline:${YEAR}:T-1）已连续 3 次运行失败`);
    expect(told[0][1]).toContain('接下来每个整点运行（每天 9–18 点）时会再试');
    await tick(12);
    expect(await alerts()).toHaveLength(1);
    // fixed: the next tick sends the period as it would have
    await db.db.execute(sql.raw('drop trigger fail_apply_claim on job_runs'));
    await tick(13);
    const [run] = await db.db.select().from(jobRuns).where(and(eq(jobRuns.job, 'reminders'), eq(jobRuns.period, `apply-deadline:${YEAR}:T-1`)));
    expect(run.status).toBe('done');
  });

  it('counts a tick two replicas both failed once: told at the third failed tick, as with one replica, not at the second', async () => {
    await db.db.execute(sql.raw(`create trigger fail_apply_claim before insert or update on job_runs for each row execute function fail_apply_claim()`));
    await db.db.delete(jobRuns);
    await db.db.delete(outbox);
    // every replica runs the job at the tick; the second a few seconds after the first
    const bothReplicas = async (hour: number) => {
      await tick(hour);
      await scheduledJob('reminders', { db: db.db, now: () => new Date(`${TODAY}T${String(hour).padStart(2, '0')}:00:04+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN], log: createLogger('silent'), nudge: () => {} })();
    };
    await bothReplicas(9);
    await bothReplicas(10);
    expect(await alerts()).toEqual([]);
    await bothReplicas(11);
    const told = await alerts();
    expect(told).toHaveLength(1);
    expect(told[0][1]).toContain('已连续 3 次运行失败');
    await db.db.execute(sql.raw('drop trigger fail_apply_claim on job_runs'));
  });

  it('counts the ticks between manual runs: runs every twenty minutes still tell the administrators after three failed ticks', async () => {
    await db.db.execute(sql.raw(`create trigger fail_apply_claim before insert or update on job_runs for each row execute function fail_apply_claim()`));
    await db.db.delete(jobRuns);
    await db.db.delete(outbox);
    // the 9:00 tick fails; someone runs the job by hand at :20 and :40 of every hour, and each tick between fails too
    const at = (time: string) =>
      scheduledJob('reminders', { db: db.db, now: () => new Date(`${TODAY}T${time}:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN], log: createLogger('silent'), nudge: () => {} })();
    for (const time of ['09:00', '09:20', '09:40', '10:00', '10:20', '10:40', '11:00', '11:20']) await at(time);
    const told = await alerts();
    expect(told).toHaveLength(1);
    expect(told[0][1]).toContain('已连续 3 次运行失败');
    await db.db.execute(sql.raw('drop trigger fail_apply_claim on job_runs'));
  });
});
