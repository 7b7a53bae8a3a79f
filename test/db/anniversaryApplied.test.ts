import { eq, inArray, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { jobRuns, outbox, teams } from '../../db/schema.js';
import { runAnniversary } from '../../src/jobs/anniversary.js';
import { runReminders } from '../../src/jobs/reminders.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { BOOTSTRAP_ADMIN, type GeneratedCycle, generateCycle, type Scenario } from './jobsFixture.js';

/**
 * 第十六条's anniversary card while a cycle takes applications: a team that has applied is not called to apply, a
 * draft or a returned form is asked to be finished, and a leader who has the deadline's reminder the same day gets
 * that card alone.
 */

const at = (date: string, hour = '09:00') => ({ now: new Date(`${date}T${hour}:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });
const anniversaryRows = (d: Db) => d.select().from(outbox).where(like(outbox.dedupeKey, 'remind:anniversary:%'));

describe('the anniversary card and the team’s application in the open cycle', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  const first = (s: Scenario) => g.teams.find((t) => t.scenario === s)!;
  /** Gives a team its anniversary on `day` (registered a year before). */
  const yearOldOn = async (ids: number[], day: string) => db.db.update(teams).set({ registeredAt: `${Number(day.slice(0, 4)) - 1}${day.slice(4)}` }).where(inArray(teams.id, ids));

  beforeAll(async () => {
    db = await createTestDatabase();
    // the deadline is 31 May 2027; 20 May is no reminder's day
    g = await generateCycle(db.db, 47, { anniversaryOn: '2027-05-20' });
    // the cycle opened weeks ago, its notice went out then; the anniversary job ran to its end the day before
    await db.db.insert(jobRuns).values([
      { job: 'reminders', period: 'apply-open:2027', startedAt: at('2027-04-01').now, finishedAt: at('2027-04-01').now, status: 'done', details: {} },
      { job: 'anniversary', period: '2027-05-19', startedAt: at('2027-05-19').now, finishedAt: at('2027-05-19').now, status: 'done', details: {} },
    ]);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a team that submitted (or further) hears nothing; a draft or a returned form is asked to finish it; no application, to apply', async () => {
    const [submitted, recommended, draft, returned] = [first('eligibleSubmitted'), first('eligibleRecommended'), first('eligibleDraft'), first('eligibleReturned')];
    await yearOldOn([submitted.id, recommended.id, draft.id, returned.id], '2027-05-20');
    const [run] = await runAnniversary(db.db, at('2027-05-20'));
    expect(run.details).toMatchObject({ applied: 2, inDeadlineReminder: 0 });
    const rows = await anniversaryRows(db.db);
    expect(rows.map((r) => r.receiver).sort()).toEqual([g.anniversaryTeam.leader, draft.leader, returned.leader].sort());
    const cardOf = (leader: string) => rows.find((r) => r.receiver === leader)!.card;
    for (const r of rows) expectValidCard(r.card);
    expect(cardText(cardOf(draft.leader))).toContain('2027 年度申报表还是草稿，尚未提交，请在截止前提交。');
    expect(cardText(cardOf(returned.leader))).toContain('申报被退回，尚未重新提交');
    expect(cardText(cardOf(draft.leader))).toContain('继续填写');
    expect(cardActions(cardOf(draft.leader))).toEqual([{ action: 'application.open', teamId: draft.id }]);
    expect(cardText(cardOf(g.anniversaryTeam.leader))).toContain('立即申报');
  });

  it('a year old on the day of the deadline’s T-7 or T-1 reminder: that card alone, whether the reminders ran before or after', async () => {
    const none = g.teams.find((t) => t.scenario === 'eligibleNone' && t.id !== g.anniversaryTeam.id)!;
    const draft = first('eligibleDraft');
    await yearOldOn([none.id, draft.id], '2027-05-24');
    const before = (await anniversaryRows(db.db)).length;
    // the anniversary job first: the T-7 reminder is owed today, not yet sent
    const [run] = await runAnniversary(db.db, at('2027-05-24', '09:00'));
    expect(run.details).toMatchObject({ inDeadlineReminder: 2 });
    expect(await anniversaryRows(db.db)).toHaveLength(before);
    await runReminders(db.db, at('2027-05-24', '09:00'));

    // the day after a reminder's day (T-6): the reminder went yesterday and none goes today, so the anniversary card goes
    await yearOldOn([g.anniversaryTeam.id], '2027-05-25');
    await runAnniversary(db.db, at('2027-05-25'));
    expect((await anniversaryRows(db.db)).map((r) => r.dedupeKey)).toContain(`remind:anniversary:team-${g.anniversaryTeam.id}:2027-05-25`);

    // the reminders first, a team's anniversary falling on T-1 (30 May): still the reminder's card alone
    const other = first('eligibleReturned');
    await yearOldOn([other.id], '2027-05-30');
    await runReminders(db.db, at('2027-05-30', '09:00'));
    const count = (await anniversaryRows(db.db)).length;
    const [late] = await runAnniversary(db.db, at('2027-05-30', '10:00'));
    expect(late.details).toMatchObject({ inDeadlineReminder: 1 });
    expect(await anniversaryRows(db.db)).toHaveLength(count);
  });
});
