/**
 * The reminders owed on one day are claimed one period after another: one that fails (here its claim is made to fail)
 * leaves a `failed` row for the next run, and does not hold back the others owed that day (第十九条's review meeting
 * reminder behind a failing application reminder was never tried).
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles, jobRuns } from '../../db/schema.js';
import { addDays } from '../../src/dates.js';
import { runReminders } from '../../src/jobs/reminders.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { BOOTSTRAP_ADMIN, generateCycle, YEAR } from './jobsFixture.js';

const TODAY = `${YEAR}-05-20`;
const opts = { now: new Date(`${TODAY}T09:00:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] };

describe('a reminder period that fails', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const g = await generateCycle(db.db, 11);
    // the application deadline tomorrow (its T-1) and the review meeting in three days (its T-3): both owed today
    await db.db.update(cycles).set({ applicationDeadline: addDays(TODAY, 1), reviewMeetingDate: addDays(TODAY, 3) }).where(eq(cycles.id, g.cycleId));
    // the application reminder's claim fails, as a statement timeout on its audience would fail it
    await db.db.execute(sql.raw(`create function fail_apply_claim() returns trigger language plpgsql as $$
      begin if new.period like 'apply-deadline:%' and new.status = 'running' then raise exception 'audience read timed out'; end if; return new; end $$`));
    await db.db.execute(sql.raw(`create trigger fail_apply_claim before insert or update on job_runs for each row execute function fail_apply_claim()`));
  });
  afterAll(async () => {
    await db?.close();
  });
  const status = async (period: string) =>
    (await db.db.select({ status: jobRuns.status }).from(jobRuns).where(and(eq(jobRuns.job, 'reminders'), eq(jobRuns.period, period))))[0]?.status;

  it('is recorded failed and thrown, the other period owed that day done; the next run takes the failed one', async () => {
    const thrown = (await runReminders(db.db, opts).then(() => undefined, (e: unknown) => e)) as Error & { cause?: unknown };
    expect(`${thrown?.message} ${String(thrown?.cause)}`).toContain('audience read timed out');
    expect(await status(`review-meeting:${YEAR}:T-3`)).toBe('done');
    expect(await status(`apply-deadline:${YEAR}:T-1`)).toBe('failed');
    await db.db.execute(sql.raw('drop trigger fail_apply_claim on job_runs'));
    const again = await runReminders(db.db, { ...opts, now: new Date(`${TODAY}T10:00:00+08:00`) });
    expect(again.map((o) => [o.period, o.status])).toEqual([
      // the notice that applications are open went out on the first run
      [`apply-open:${YEAR}`, 'skipped'],
      [`apply-deadline:${YEAR}:T-1`, 'done'],
      [`review-meeting:${YEAR}:T-3`, 'skipped'],
    ]);
  });
});
