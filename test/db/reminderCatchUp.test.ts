import { Writable } from 'node:stream';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { cycles, jobRuns, organizations, outbox, people, teams } from '../../db/schema.js';
import { BulkJobWorker } from '../../src/bulkJobs.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { addDays } from '../../src/dates.js';
import { runAnniversary } from '../../src/jobs/anniversary.js';
import { remindJob, runReminders } from '../../src/jobs/reminders.js';
import { createLogger } from '../../src/log.js';
import { cardSpecOf, type OutboxRow } from '../../src/outbox.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { BOOTSTRAP_ADMIN, DEADLINE, type GeneratedCycle, generateCycle, MEETING, scenarios } from './jobsFixture.js';

/**
 * A bot down for a whole day (09:00–18:00) does not lose that day's notices: the next run sends the latest
 * deadline reminder owed, with the days really left, and the anniversaries of the days it missed, each once.
 */

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const config = { ADMIN_OPEN_IDS: [BOOTSTRAP_ADMIN], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
const sendReminders = (d: Db) => new BulkJobWorker({ db: d, kinds: [remindJob], clock: systemClock, config, log: quiet }).drain();
const at = (date: string, hour = '09:00') => ({ now: new Date(`${date}T${hour}:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });
/** The deadline and meeting periods a run claimed or skipped (the notice that applications opened, claimed once a year, apart). */
const ran = (outcomes: { period: string; status: string }[]) => outcomes.filter((o) => !o.period.startsWith('apply-open:')).map((o) => [o.period, o.status]);

const rowsOf = (d: Db, prefix = '') => d.select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`));

/** Each row's card as the dispatcher would draw it on `date`. */
async function drawOn(d: Db, date: string, rows: OutboxRow[]): Promise<unknown[]> {
  const renderers = cardRenderers(d, 'Asia/Shanghai', { now: () => at(date).now });
  const out: unknown[] = [];
  for (const row of rows) {
    const spec = cardSpecOf(row)!;
    const [drawn] = await renderers[spec.kind]([spec]);
    out.push('card' in drawn ? drawn.card : drawn);
  }
  return out;
}

/** A person's deadline reminder that names teams they lead; one with applications for them to confirm. */
const leads = (r: OutboxRow) => (cardSpecOf(r)?.teamIds as unknown[] | undefined)?.length;
const confirms = (r: OutboxRow) => cardSpecOf(r)?.contact === true;
const leadersReminded = (g: GeneratedCycle) => g.teams.filter((t) => scenarios[t.scenario].remind === 'leader');

describe('a deadline reminder missed on its day is sent by the next run, once', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 21);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('down on T-3: the T-2 run sends the T-3 reminder saying 2 days are left; the same day again and the next day add nothing of it', async () => {
    expect(ran(await runReminders(db.db, at(addDays(DEADLINE, -7))))).toEqual([['apply-deadline:2027:T-7', 'done']]);
    await sendReminders(db.db);
    // T-6 … T-4: T-7 is still the latest reminder, and it ran
    for (const d of [-6, -5, -4]) expect(ran(await runReminders(db.db, at(addDays(DEADLINE, d))))).toEqual([['apply-deadline:2027:T-7', 'skipped']]);
    const t7 = (await rowsOf(db.db, 'remind:apply-deadline:2027:T-7:')).length;
    expect(t7).toBeGreaterThan(0);

    // the bot is down all of T-3 (2027-05-28); it is back on T-2
    const t2 = addDays(DEADLINE, -2);
    expect(ran(await runReminders(db.db, at(t2, '10:00')))).toEqual([['apply-deadline:2027:T-3', 'done']]);
    await sendReminders(db.db);
    const t3 = await rowsOf(db.db, 'remind:apply-deadline:2027:T-3:');
    const leaders = leadersReminded(g);
    expect(t3.filter(leads).map((r) => r.receiver).sort()).toEqual(leaders.map((t) => t.leader).sort());
    for (const card of await drawOn(db.db, t2, t3)) {
      expectValidCard(card);
      expect(cardText(card)).toContain('还有 2 天截止');
    }

    const total = (await rowsOf(db.db)).length;
    expect(ran(await runReminders(db.db, at(t2, '17:00')))).toEqual([['apply-deadline:2027:T-3', 'skipped']]);
    await sendReminders(db.db);
    expect((await rowsOf(db.db)).length).toBe(total);

    // the next day is T-1: its own reminder, and nothing more of T-3 or T-7
    expect(ran(await runReminders(db.db, at(addDays(DEADLINE, -1))))).toEqual([['apply-deadline:2027:T-1', 'done']]);
    await sendReminders(db.db);
    expect((await rowsOf(db.db, 'remind:apply-deadline:2027:T-3:')).length).toBe(t3.length);
    expect((await rowsOf(db.db, 'remind:apply-deadline:2027:T-7:')).length).toBe(t7);
    const runs = await db.db.select({ period: jobRuns.period }).from(jobRuns).where(eq(jobRuns.job, 'reminders'));
    expect(runs.map((r) => r.period).sort()).toEqual(['apply-deadline:2027:T-1', 'apply-deadline:2027:T-3', 'apply-deadline:2027:T-7', 'apply-open:2027']);
  });
});

describe('the deadline day makes up a missed T-1', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 22);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('down on T-1: the deadline day sends the T-1 period, saying it closes today; the day after sends nothing', async () => {
    expect(ran(await runReminders(db.db, at(addDays(DEADLINE, -3))))).toEqual([['apply-deadline:2027:T-3', 'done']]);
    expect(ran(await runReminders(db.db, at(addDays(DEADLINE, -2))))).toEqual([['apply-deadline:2027:T-3', 'skipped']]);
    await sendReminders(db.db);
    // down all of T-1 (2027-05-30)
    expect(ran(await runReminders(db.db, at(DEADLINE)))).toEqual([['apply-deadline:2027:T-1', 'done']]);
    expect(ran(await runReminders(db.db, at(DEADLINE, '18:00')))).toEqual([['apply-deadline:2027:T-1', 'skipped']]);
    await sendReminders(db.db);
    const t1 = await rowsOf(db.db, 'remind:apply-deadline:2027:T-1:');
    expect(t1.filter(leads).map((r) => r.receiver).sort()).toEqual(leadersReminded(g).map((t) => t.leader).sort());
    expect(t1.some(confirms)).toBe(true);
    for (const card of await drawOn(db.db, DEADLINE, t1)) {
      expectValidCard(card);
      expect(cardText(card)).toContain('今天截止');
    }
    const total = (await rowsOf(db.db)).length;
    expect(ran(await runReminders(db.db, at(addDays(DEADLINE, 1))))).toEqual([]);
    expect((await rowsOf(db.db)).length).toBe(total);
  });

  it('a T-3 claimed on its day before this release (no date recorded) is not sent again on T-2', async () => {
    const other = await createTestDatabase();
    try {
      await generateCycle(other.db, 23);
      await other.db.insert(jobRuns).values({ job: 'reminders', period: 'apply-deadline:2027:T-3', startedAt: at(addDays(DEADLINE, -3)).now, finishedAt: at(addDays(DEADLINE, -3)).now, status: 'done', details: { audience: 4, queued: 0 } });
      expect(ran(await runReminders(other.db, at(addDays(DEADLINE, -2))))).toEqual([['apply-deadline:2027:T-3', 'skipped']]);
      await sendReminders(other.db);
      expect(await rowsOf(other.db, 'remind:apply-deadline:')).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('the review meeting: down on T-3, the next day sends it with 2 days left, not the T-14 again', async () => {
    await db.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, g.cycleId));
    expect(ran(await runReminders(db.db, at(addDays(MEETING, -14))))).toEqual([['review-meeting:2027:T-14', 'done']]);
    const t2 = addDays(MEETING, -2);
    expect(ran(await runReminders(db.db, at(t2)))).toEqual([['review-meeting:2027:T-3', 'done']]);
    await sendReminders(db.db);
    const rows = await rowsOf(db.db, 'remind:review-meeting:2027:T-3:');
    expect(rows.length).toBeGreaterThan(1);
    for (const card of await drawOn(db.db, t2, rows)) expect(cardText(card)).toContain('评审会还有 2 天举行');
    expect(ran(await runReminders(db.db, at(addDays(MEETING, 1))))).toEqual([]);
  });
});

describe('anniversaries (第十六条) of the days the bot was down', () => {
  let db: TestDatabase;
  const team: Record<string, { id: number; leader: string }> = {};
  beforeAll(async () => {
    db = await createTestDatabase();
    const [org] = await db.db.insert(organizations).values({ name: '测试市政工程公司周年' }).returning({ id: organizations.id });
    // each team named by its anniversary in 2027
    for (const [i, day] of ['2027-05-20', '2027-05-21', '2027-05-25', '2027-05-28', '2027-05-29'].entries()) {
      const leader = `ou_anniversary_leader_${String(i).padStart(12, '0')}`;
      await db.db.insert(people).values({ openId: leader });
      const [row] = await db.db
        .insert(teams)
        .values({
          code: `GDSZ-2026-09${String(i).padStart(2, '0')}`,
          name: `周年测试班组${i}`,
          organizationId: org.id,
          department: '工程部',
          type: 'project',
          leaderOpenId: leader,
          phone: '020-12345678',
          memberCount: 10,
          functions: '道路养护',
          goals: '零缺陷',
          plan: '每月 QC 活动',
          contactOpenId: leader,
          registeredAt: addDays(day, -365),
        })
        .returning({ id: teams.id });
      team[day] = { id: row.id, leader };
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a run tells the teams whose anniversary fell since the job last ran (8 days back too), each once, the late ones as late', async () => {
    expect(ran(await runAnniversary(db.db, at('2027-05-15')))).toEqual([['2027-05-15', 'done']]);
    // down from 16 to 27 May
    const [today] = await runAnniversary(db.db, at('2027-05-28', '11:00'));
    expect(today.status).toBe('done');
    expect(today.queued.sort()).toEqual([`remind:anniversary:team-${team['2027-05-20'].id}:2027-05-20`, `remind:anniversary:team-${team['2027-05-21'].id}:2027-05-21`, `remind:anniversary:team-${team['2027-05-25'].id}:2027-05-25`, `remind:anniversary:team-${team['2027-05-28'].id}:2027-05-28`].sort());
    const rows = await rowsOf(db.db, 'remind:anniversary:');
    const cardFor = (day: string) => rows.find((r) => r.receiver === team[day].leader)!.card;
    expectValidCard(cardFor('2027-05-25'));
    expect(cardText(cardFor('2027-05-25'))).toContain('已满一年（2027年5月25日起）');
    expect(cardText(cardFor('2027-05-25'))).not.toContain('今天');
    expect(cardText(cardFor('2027-05-28'))).toContain('今天已满一年');
    // eight days back, after the last run done: made up too (before, a run made up 7 days at most)
    expect(cardText(cardFor('2027-05-20'))).toContain('已满一年（2027年5月20日起）');

    expect(ran(await runAnniversary(db.db, at('2027-05-28', '17:00')))).toEqual([['2027-05-28', 'skipped']]);
    const next = await runAnniversary(db.db, at('2027-05-29'));
    expect(next[0].queued).toEqual([`remind:anniversary:team-${team['2027-05-29'].id}:2027-05-29`]);
    const all = await rowsOf(db.db, 'remind:anniversary:');
    expect(all).toHaveLength(5);
    expect(new Set(all.map((r) => r.receiver)).size).toBe(5);
  });

  it('an anniversary 3 days ago, the job down since: sent today, once, even when the day of it had a failed run', async () => {
    const other = await createTestDatabase();
    try {
      const [org] = await other.db.insert(organizations).values({ name: '测试市政工程公司补发' }).returning({ id: organizations.id });
      const leader = 'ou_anniversary_late_000000000000001';
      await other.db.insert(people).values({ openId: leader });
      const [row] = await other.db
        .insert(teams)
        .values({ code: 'GDSZ-2026-0999', name: '补发测试班组', organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: leader, registeredAt: '2026-05-25' })
        .returning({ id: teams.id });
      await runAnniversary(other.db, at('2027-05-24'));
      await other.db.insert(jobRuns).values({ job: 'anniversary', period: '2027-05-25', startedAt: at('2027-05-25').now, finishedAt: at('2027-05-25').now, status: 'failed', details: { error: 'connection refused' } });
      const [late] = await runAnniversary(other.db, at('2027-05-28'));
      expect(late.queued).toEqual([`remind:anniversary:team-${row.id}:2027-05-25`]);
      expect(ran(await runAnniversary(other.db, at('2027-05-28', '15:00')))).toEqual([['2027-05-28', 'skipped']]);
      expect((await runAnniversary(other.db, at('2027-05-29')))[0].queued).toEqual([]);
      const rows = await rowsOf(other.db, 'remind:anniversary:');
      expect(rows.map((r) => r.receiver)).toEqual([leader]);
    } finally {
      await other.close();
    }
  });
});
