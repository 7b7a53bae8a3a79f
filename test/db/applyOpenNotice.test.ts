import { Writable } from 'node:stream';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, cycles, outbox, teams } from '../../db/schema.js';
import { BulkJobWorker } from '../../src/bulkJobs.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { addDays } from '../../src/dates.js';
import { APPLY_OPEN_NOTICE } from '../../src/jobs/reminderCards.js';
import { remindJob, runReminders } from '../../src/jobs/reminders.js';
import { createLogger } from '../../src/log.js';
import { cardSpecOf, type OutboxRow } from '../../src/outbox.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { BOOTSTRAP_ADMIN, DEADLINE, type GeneratedCycle, generateCycle, type Scenario, scenarios } from './jobsFixture.js';

/**
 * 申报 before a cycle is open and the 满一年 card promise “开启后我会提醒你”: the first reminders run after a cycle opens
 * tells each leader of an active team that may still apply, once a cycle, with the deadline and a button per team a
 * year old by then; a team not a year old by the deadline is told 第十六条 leaves it to the next year.
 */

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const config = { ADMIN_OPEN_IDS: [BOOTSTRAP_ADMIN], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
const sendReminders = (d: Db) => new BulkJobWorker({ db: d, kinds: [remindJob], clock: systemClock, config, log: quiet }).drain();
const at = (date: string, hour = '09:00') => ({ now: new Date(`${date}T${hour}:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });
const noticeRows = (d: Db) => d.select().from(outbox).where(like(outbox.dedupeKey, 'remind:apply-open:%'));
const ran = (outcomes: { period: string; status: string }[]) => outcomes.map((o) => [o.period, o.status]);

async function draw(d: Db, date: string, row: OutboxRow): Promise<unknown> {
  const spec = cardSpecOf(row)!;
  const [drawn] = await cardRenderers(d, 'Asia/Shanghai', { now: () => at(date).now })[spec.kind]([spec], [row]);
  return 'card' in drawn ? drawn.card : drawn;
}

/** Leaders of active, unbarred teams with no application, a draft or a returned one. */
const mayApply: Scenario[] = ['eligibleNone', 'eligibleDraft', 'eligibleReturned', 'oneDayShortNone', 'youngDraft'];

describe('the notice that a year’s applications opened', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 53);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('goes once to each leader of a team that may apply, naming a team not a year old by the deadline as such; never again that year', async () => {
    // one person leads a team a year old by the deadline and one that is not
    const [old, young] = [g.teams.find((t) => t.scenario === 'eligibleNone')!, g.teams.find((t) => t.scenario === 'oneDayShortNone')!];
    await db.db.update(teams).set({ leaderOpenId: old.leader }).where(eq(teams.id, young.id));
    const day = '2027-05-10'; // three weeks before the deadline: no deadline reminder owed
    expect(ran(await runReminders(db.db, at(day)))).toEqual([['apply-open:2027', 'done']]);
    await sendReminders(db.db);
    const rows = await noticeRows(db.db);
    const expected = [...new Set(g.teams.filter((t) => mayApply.includes(t.scenario) && t.id !== young.id).map((t) => t.leader))].sort();
    expect(rows.map((r) => r.receiver).sort()).toEqual(expected);
    expect(g.teams.some((t) => !mayApply.includes(t.scenario) && scenarios[t.scenario].status === null)).toBe(true);

    const mine = rows.find((r) => r.receiver === old.leader)!;
    expect(mine.dedupeKey).toBe(`remind:apply-open:2027:person-${old.leader}`);
    expect(cardSpecOf(mine)).toEqual({ kind: APPLY_OPEN_NOTICE, cycleId: g.cycleId, openId: old.leader, teamIds: [old.id, young.id].sort((a, b) => a - b) });
    const card = await draw(db.db, day, mine);
    expectValidCard(card);
    const text = cardText(card);
    expect(text).toContain('2027 年度申报已开启');
    expect(text).toContain('2027年5月31日');
    expect(text).toContain('第十六条：班组注册满一年方可申报');
    // registered the day after the last that counts: a year old the day after the deadline
    expect(young.registeredAt).toBe('2026-06-01');
    expect(text).toContain('2027年6月1日 满一年');
    expect(text).toContain('本年度不能申报');
    // a button for the team that may apply, none for the other
    expect(cardActions(card)).toEqual([{ action: 'application.open', teamId: old.id }]);

    // later runs, that day and after, and a deadline moved since: no second notice
    expect(ran(await runReminders(db.db, at(day, '15:00')))).toEqual([['apply-open:2027', 'skipped']]);
    await db.db.update(cycles).set({ applicationDeadline: addDays(DEADLINE, 14) }).where(eq(cycles.id, g.cycleId));
    expect(ran(await runReminders(db.db, at('2027-05-12')))).toEqual([['apply-open:2027', 'skipped']]);
    await sendReminders(db.db);
    expect(await noticeRows(db.db)).toHaveLength(rows.length);
    // a team that has applied since it was queued is left off the card when it goes out
    const sole = g.teams.find((t) => t.scenario === 'eligibleDraft')!;
    await db.db.update(cycles).set({ applicationDeadline: DEADLINE }).where(eq(cycles.id, g.cycleId));
    await db.db.update(applications).set({ status: 'submitted' }).where(eq(applications.teamId, sole.id));
    const dropped = await draw(db.db, day, rows.find((r) => r.receiver === sole.leader)!);
    expect(dropped).toEqual({ drop: '所列班组已申报、已更换班组长或已不是在册班组，无需通知' });
  });

  it('opened within a week of the deadline: a team that may apply has the deadline’s reminder that day instead; one too young still hears of it', async () => {
    const other = await createTestDatabase();
    try {
      const h = await generateCycle(other.db, 59);
      const outcomes = await runReminders(other.db, at(addDays(DEADLINE, -5)));
      expect(ran(outcomes)).toEqual([
        ['apply-open:2027', 'done'],
        ['apply-deadline:2027:T-7', 'done'],
      ]);
      await sendReminders(other.db);
      const young = [...new Set(h.teams.filter((t) => t.scenario === 'oneDayShortNone' || t.scenario === 'youngDraft').map((t) => t.leader))].sort();
      expect((await noticeRows(other.db)).map((r) => r.receiver).sort()).toEqual(young);
    } finally {
      await other.close();
    }
  });
});
