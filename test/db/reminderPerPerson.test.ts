import { Writable } from 'node:stream';
import { eq, inArray, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { cycles, outbox, teams } from '../../db/schema.js';
import { BulkJobWorker, startBulkJob } from '../../src/bulkJobs.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { addDays } from '../../src/dates.js';
import { APPLY_REMINDER, CONTACT_APPLY_REMINDER, LEADER_APPLY_REMINDER, REVIEW_MEETING_REMINDER } from '../../src/jobs/reminderCards.js';
import { remindJob, runReminders } from '../../src/jobs/reminders.js';
import { createLogger } from '../../src/log.js';
import { cardSpecOf, type OutboxRow } from '../../src/outbox.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { BOOTSTRAP_ADMIN, DEADLINE, type GeneratedCycle, generateCycle, MEETING } from './jobsFixture.js';

/**
 * One reminder card a person a period: someone who leads two teams and is the contact of a third hears of all three
 * in one card, not one card each; a leader of two accepted teams gets one review-meeting card naming both.
 */

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const config = { ADMIN_OPEN_IDS: [BOOTSTRAP_ADMIN], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
const sendReminders = (d: Db) => new BulkJobWorker({ db: d, kinds: [remindJob], clock: systemClock, config, log: quiet }).drain();
const at = (date: string) => ({ now: new Date(`${date}T09:00:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });
const rowsOf = (d: Db, prefix: string) => d.select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`));

async function draw(d: Db, date: string, row: OutboxRow): Promise<unknown> {
  const spec = cardSpecOf(row)!;
  const [drawn] = await cardRenderers(d, 'Asia/Shanghai', { now: () => at(date).now })[spec.kind]([spec], [row]);
  return 'card' in drawn ? drawn.card : drawn;
}

describe('one reminder card a person a period', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  let person: string;
  let led: GeneratedCycle['teams'];
  let confirmTeam: GeneratedCycle['teams'][number];
  let applicant: string;
  let accepted: GeneratedCycle['teams'];
  const name = async (id: number) => (await db.db.select({ name: teams.name }).from(teams).where(eq(teams.id, id)))[0].name;

  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 31);
    // one person leads a team without an application and one with a draft, and is the contact of a team that submitted
    led = [g.teams.find((t) => t.scenario === 'eligibleNone')!, g.teams.find((t) => t.scenario === 'eligibleDraft')!];
    person = led[0].leader;
    confirmTeam = g.teams.find((t) => t.scenario === 'eligibleSubmitted')!;
    await db.db.update(teams).set({ leaderOpenId: person }).where(eq(teams.id, led[1].id));
    await db.db.update(teams).set({ contactOpenId: person }).where(eq(teams.id, confirmTeam.id));
    // one leader of two accepted applications
    accepted = g.teams.filter((t) => t.scenario === 'eligibleAccepted').slice(0, 2);
    expect(accepted).toHaveLength(2);
    applicant = accepted[0].leader;
    await db.db.update(teams).set({ leaderOpenId: applicant }).where(inArray(teams.id, accepted.map((t) => t.id)));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('application deadline: a leader of two teams who is a contact too gets one card naming both teams and the application to confirm', async () => {
    const day = addDays(DEADLINE, -7);
    await runReminders(db.db, at(day));
    await sendReminders(db.db);
    const rows = (await rowsOf(db.db, 'remind:apply-deadline:2027:T-7:')).filter((r) => r.receiver === person);
    expect(rows.map((r) => r.dedupeKey)).toEqual([`remind:apply-deadline:2027:T-7:person-${person}`]);
    expect(rows[0].card).toEqual({ render: { kind: APPLY_REMINDER, cycleId: g.cycleId, openId: person, teamIds: led.map((t) => t.id), contact: true } });
    const card = await draw(db.db, day, rows[0]);
    expectValidCard(card);
    const text = cardText(card);
    for (const t of [...led, confirmTeam]) expect(text).toContain(await name(t.id));
    expect(text).toContain('尚未填写申报表');
    expect(text).toContain('申报表还是草稿');
    expect(text).toContain('**1** 份申报待你以单位联系人身份确认');
    expect(cardActions(card)).toEqual([...led.map((t) => ({ action: 'application.open', teamId: t.id })), { action: 'endorse.list' }]);

    // one of the teams withdrawn before it goes out: the card names only what is left
    await db.db.update(teams).set({ status: 'withdrawn' }).where(eq(teams.id, led[0].id));
    const later = cardText(await draw(db.db, day, rows[0]));
    expect(later).not.toContain(await name(led[0].id));
    expect(later).toContain(await name(led[1].id));
    await db.db.update(teams).set({ status: 'active' }).where(eq(teams.id, led[0].id));
  });

  it('review meeting (第十九条): a leader of two accepted applications gets one card naming both', async () => {
    await db.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, g.cycleId));
    const day = addDays(MEETING, -14);
    await runReminders(db.db, at(day));
    await sendReminders(db.db);
    const rows = (await rowsOf(db.db, 'remind:review-meeting:2027:T-14:')).filter((r) => r.receiver === applicant);
    expect(rows.map((r) => r.dedupeKey)).toEqual([`remind:review-meeting:2027:T-14:person-${applicant}`]);
    expect(cardSpecOf(rows[0])).toEqual({ kind: REVIEW_MEETING_REMINDER, cycleId: g.cycleId, audience: 'applicant', teamIds: accepted.map((t) => t.id).sort((a, b) => a - b) });
    const text = cardText(await draw(db.db, day, rows[0]));
    for (const t of accepted) expect(text).toContain(await name(t.id));
  });

  it('a period claimed before one card went to a person, resumed now, queues its reminders under the keys it began with', async () => {
    const team = { id: led[1].id, name: '旧班组', code: 'OLD', leaderOpenId: person };
    const period = 'apply-deadline:2027:T-3';
    await db.db.transaction(async (tx) => {
      await startBulkJob(tx, {
        kind: 'remind',
        cycleId: null,
        year: 2027,
        createdBy: 'system:reminders',
        total: 2,
        params: { period, daysLeft: 3, cycle: { id: g.cycleId, year: 2027 }, audience: [{ t: 'leader', team }, { t: 'contact', openId: person }], announce: [], heading: '旧' },
        now: new Date(),
      });
    });
    await sendReminders(db.db);
    const rows = await rowsOf(db.db, `remind:${period}:`);
    expect(rows.map((r) => r.dedupeKey).sort()).toEqual([`remind:${period}:contact-${person}`, `remind:${period}:team-${team.id}`]);
    expect(rows.map((r) => cardSpecOf(r)!.kind).sort()).toEqual([CONTACT_APPLY_REMINDER, LEADER_APPLY_REMINDER].sort());
  });
});
