import { like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { cycles, honours, jobRuns, organizations, outbox, people, teams } from '../../db/schema.js';
import { addDays } from '../../src/dates.js';
import { runAnniversary } from '../../src/jobs/anniversary.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * 第十六条's 满一年 card after a long outage of the bot: a run tells every team whose anniversary fell since the job last
 * ran to its end (not only the last 7 days, as before), 60 days back when no run is on record, each team and year once;
 * not a team whose title was revoked since its anniversary (barred, 协会规定); and a team whose leader gets the notice
 * that applications opened the same day is left to that notice, which names it with 立即申报.
 */

const at = (date: string, hour = '09:00') => ({ now: new Date(`${date}T${hour}:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [] });
const keysOf = async (d: Db) => (await d.select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, 'remind:anniversary:%'))).map((r) => r.key).sort();

async function seedTeams(d: Db, anniversaries: string[]): Promise<Record<string, number>> {
  const [org] = await d.insert(organizations).values({ name: '测试市政工程公司长停' }).returning({ id: organizations.id });
  const out: Record<string, number> = {};
  for (const [i, day] of anniversaries.entries()) {
    const leader = `ou_anniversary_outage_${String(i).padStart(12, '0')}`;
    await d.insert(people).values({ openId: leader });
    const [row] = await d
      .insert(teams)
      .values({
        code: `GDSZ-2026-08${String(i).padStart(2, '0')}`, name: `长停测试班组${i}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader,
        phone: '020-12345678', memberCount: 10, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: leader, registeredAt: addDays(day, -365),
      })
      .returning({ id: teams.id });
    out[day] = row.id;
  }
  return out;
}
const key = (team: number, day: string) => `remind:anniversary:team-${team}:${day}`;

describe('anniversaries missed in a long outage', () => {
  let db: TestDatabase;
  let team: Record<string, number>;
  beforeAll(async () => {
    db = await createTestDatabase();
    // the job last ran to its end on 1 March; the bot then down until 28 May
    team = await seedTeams(db.db, ['2027-02-28', '2027-03-02', '2027-04-10', '2027-04-20', '2027-05-28']);
    await db.db.insert(jobRuns).values({ job: 'anniversary', period: '2027-03-01', startedAt: at('2027-03-01').now, finishedAt: at('2027-03-01').now, status: 'done', details: {} });
    // the 20 April team's imported title revoked on 5 May (第二十二条): barred from applying, it is not told it may
    await db.db.insert(honours).values({ teamId: team['2027-04-20'], year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00'), revokedAt: new Date('2027-05-05T10:00:00+08:00'), revokedReason: '连续投诉成立' });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('are all told by the next run, the late ones as late; never twice', async () => {
    const [run] = await runAnniversary(db.db, at('2027-05-28'));
    expect(run.status).toBe('done');
    expect(run.details).toMatchObject({ from: '2027-03-02', teams: 3, revokedSince: 1 });
    expect(await keysOf(db.db)).toEqual([key(team['2027-03-02'], '2027-03-02'), key(team['2027-04-10'], '2027-04-10'), key(team['2027-05-28'], '2027-05-28')].sort());
    const rows = await db.db.select().from(outbox).where(like(outbox.dedupeKey, `remind:anniversary:team-${team['2027-03-02']}:%`));
    expect(cardText(rows[0].card)).toContain('已满一年（2027年3月2日起）');
    // again the same day (a later tick), and the next day: nothing new
    expect((await runAnniversary(db.db, at('2027-05-28', '15:00')))[0].status).toBe('skipped');
    expect((await runAnniversary(db.db, at('2027-05-29')))[0].queued).toEqual([]);
    expect(await keysOf(db.db)).toHaveLength(3);
  });
});

describe('anniversaries with no run of the job on record', () => {
  let db: TestDatabase;
  afterAll(async () => {
    await db?.close();
  });

  it('are made up 60 days back', async () => {
    db = await createTestDatabase();
    const today = '2027-05-28';
    const team = await seedTeams(db.db, [addDays(today, -61), addDays(today, -60), addDays(today, -30)]);
    const [run] = await runAnniversary(db.db, at(today));
    expect(run.details).toMatchObject({ from: addDays(today, -60), teams: 2 });
    expect(await keysOf(db.db)).toEqual([key(team[addDays(today, -60)], addDays(today, -60)), key(team[addDays(today, -30)], addDays(today, -30))].sort());
  });
});

describe('an anniversary the day applications open', () => {
  let db: TestDatabase;
  let team: Record<string, number>;
  beforeAll(async () => {
    db = await createTestDatabase();
    team = await seedTeams(db.db, ['2027-04-01', '2027-04-02']);
    await db.db.insert(jobRuns).values({ job: 'anniversary', period: '2027-03-31', startedAt: at('2027-03-31').now, finishedAt: at('2027-03-31').now, status: 'done', details: {} });
    await db.db.insert(cycles).values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('is left to the notice that applications opened, when it goes out that day; after it, the card goes out', async () => {
    // the notice sent today (the reminders job runs first at each tick)
    await db.db.insert(jobRuns).values({ job: 'reminders', period: 'apply-open:2027', startedAt: at('2027-04-01').now, finishedAt: at('2027-04-01').now, status: 'done', details: {} });
    const [opening] = await runAnniversary(db.db, at('2027-04-01', '09:01'));
    expect(opening.details).toMatchObject({ teams: 1, inDeadlineReminder: 1 });
    expect(opening.queued).toEqual([]);
    const [next] = await runAnniversary(db.db, at('2027-04-02'));
    expect(next.queued).toEqual([key(team['2027-04-02'], '2027-04-02')]);
    const [row] = await db.db.select().from(outbox).where(like(outbox.dedupeKey, next.queued[0]));
    expect(cardText(row.card)).toContain('立即申报');
  });
});
