import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, cycles, jobRuns } from '../../db/schema.js';
import { runReminders } from '../../src/jobs/reminders.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { BOOTSTRAP_ADMIN, generateCycle, type GeneratedCycle } from './jobsFixture.js';

/**
 * A scoring deadline's T-3 can fall while applications are still open (an application deadline close to the scoring
 * one), before any expert has a task. Its reminder is not used up on nobody: the period stays unclaimed until a run
 * of the day finds tasks waiting, and is then sent once.
 */
const at = (date: string, hour = '09:00') => ({ now: new Date(`${date}T${hour}:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });

describe('the scoring deadline reminder before any task exists', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 11);
    // applications close two days before scoring does; nobody has a task waiting yet
    await db.db.update(cycles).set({ status: 'open', applicationDeadline: '2027-06-28' }).where(eq(cycles.id, g.cycleId));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('is not claimed on nobody, and goes out once the day\'s tasks exist', async () => {
    const waiting = await db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.status, 'assigned'));
    expect(waiting.length).toBeGreaterThan(0);
    await db.db.update(assignments).set({ status: 'submitted' }).where(eq(assignments.status, 'assigned'));

    const morning = await runReminders(db.db, at('2027-06-27'));
    expect(morning.map((o) => o.period)).not.toContain('scoring-deadline:2027:T-3');
    expect(await db.db.select().from(jobRuns).where(eq(jobRuns.period, 'scoring-deadline:2027:T-3'))).toEqual([]);

    await db.db.update(assignments).set({ status: 'assigned' }).where(eq(assignments.id, waiting[0].id));
    const noon = await runReminders(db.db, at('2027-06-27', '12:00'));
    expect(noon.filter((o) => o.period === 'scoring-deadline:2027:T-3').map((o) => o.status)).toEqual(['done']);
    const evening = await runReminders(db.db, at('2027-06-27', '18:00'));
    expect(evening.filter((o) => o.period === 'scoring-deadline:2027:T-3').map((o) => o.status)).toEqual(['skipped']);
  });
});
