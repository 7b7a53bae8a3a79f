import { Writable } from 'node:stream';
import { and, asc, eq, inArray, like, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { applyDeadlineCard, reviewMeetingCard, scoringDeadlineCard } from '../../cards/reminders.js';
import { applications, assignments, auditLog, conflicts, cycles, outbox, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scheduledJob } from '../../src/jobs/index.js';
import {
  APPLY_REMINDER,
  CONTACT_APPLY_REMINDER,
  contactApplyReminderRenderer,
  LEADER_APPLY_REMINDER,
  leaderApplyReminderRenderer,
  REVIEW_MEETING_REMINDER,
  reviewMeetingReminderRenderer,
  SCORING_REMINDER,
  scoringReminderRenderer,
} from '../../src/jobs/reminderCards.js';
import { createLogger } from '../../src/log.js';
import { messageUuid } from '../../src/outbox.js';
import { testDispatcher } from '../support/dispatchers.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { cardActions, cardText } from '../support/cards.js';

/**
 * The application and scoring reminders queue `{ kind, cycleId, … }` and are drawn when they are sent: a
 * reminder no longer true by then (the application confirmed, every task scored) is dropped, and the days left
 * are counted from the cycle's date then to the day of sending.
 */

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
let h: Harness;
const db = () => h.db.db;
/** The day a reminder is drawn: the bot's clock in its timezone. */
const sendDay = () => ({ timezone: h.app.config.BOT_TIMEZONE, clock: h.clock });
afterEach(async () => {
  await h?.close();
});

/** What node-cron calls each hour, with the bot's clock; then the bulk-job worker queues the period's reminders. */
async function remindNow() {
  await scheduledJob('reminders', { db: db(), now: () => h.clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS, log: quiet, nudge: () => {} })();
  await h.app.bulkJobs.drain();
}
const rowsLike = (prefix: string) => db().select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`)).orderBy(asc(outbox.id));
const sentTo = (key: string) => h.fake.messages.filter((m) => m.uuid === messageUuid(key));
const sendRequests = (key: string) => h.fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages' && r.body?.uuid === messageUuid(key));
const json = (card: object) => JSON.parse(JSON.stringify(card));
const maxBytes = async (prefix: string) =>
  Number((await db().select({ n: sql<number>`max(octet_length(${outbox.card}::text))::int` }).from(outbox).where(like(outbox.dedupeKey, `${prefix}%`)))[0].n);

describe('application deadline reminders drawn when they are sent', () => {
  it('queues small rows; sends the cards as they were, and drops a leader’s and a contact’s reminder no longer due', async () => {
    h = await startHarness({ clock: new ManualClock('2030-05-24T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: 24, experts: 4, organizations: 4, year: 2030 });
    const apps = await db().select({ id: applications.id, teamId: applications.teamId }).from(applications).orderBy(asc(applications.teamId));
    const allTeams = await db().select().from(teams).orderBy(asc(teams.id));
    const contactOf = (teamId: number) => allTeams.find((t) => t.id === teamId)!.contactOpenId;
    const leaderOf = (teamId: number) => allTeams.find((t) => t.id === teamId)!.leaderOpenId;
    // six teams have not applied (their leaders are reminded); two applications each of three contacts wait for them
    const missing = apps.slice(0, 6);
    await db().delete(applications).where(inArray(applications.id, missing.map((a) => a.id)));
    const byContact = new Map<string, typeof apps>();
    for (const a of apps.slice(6)) byContact.set(contactOf(a.teamId), [...(byContact.get(contactOf(a.teamId)) ?? []), a]);
    const submitted = [...byContact.values()].slice(0, 3).flatMap((list) => list.slice(0, 2));
    await db().update(applications).set({ status: 'submitted' }).where(inArray(applications.id, submitted.map((a) => a.id)));
    const waiting = allTeams.filter((t) => submitted.some((a) => a.teamId === t.id));
    const contacts = [...new Set(waiting.map((t) => t.contactOpenId))].sort();
    expect(contacts).toHaveLength(3);

    await remindNow();
    const period = 'remind:apply-deadline:2030:T-7:';
    const rows = await rowsLike(period);
    expect(rows).toHaveLength(6 + contacts.length);
    for (const a of missing) {
      const row = rows.find((r) => r.dedupeKey === `${period}person-${leaderOf(a.teamId)}`)!;
      expect(row.card).toEqual({ render: { kind: APPLY_REMINDER, cycleId: fx.cycleId, openId: leaderOf(a.teamId), teamIds: [a.teamId], contact: false } });
    }
    for (const c of contacts) expect(rows.find((r) => r.dedupeKey === `${period}person-${c}`)!.card).toEqual({ render: { kind: APPLY_REMINDER, cycleId: fx.cycleId, openId: c, teamIds: [], contact: true } });
    expect(await maxBytes(period)).toBeLessThan(120);

    // before the reminders go out: one team applies and its contact confirms at once, another saves a draft,
    // and the first contact confirms every application waiting for them
    const [confirmedTeam, draftTeam, ...untouched] = missing.map((a) => allTeams.find((t) => t.id === a.teamId)!);
    await db().insert(applications).values({ teamId: confirmedTeam.id, cycleId: fx.cycleId, status: 'recommended', form: {} });
    await db().insert(applications).values({ teamId: draftTeam.id, cycleId: fx.cycleId, status: 'draft', form: {} });
    const [doneContact, ...otherContacts] = contacts;
    const doneTeams = waiting.filter((t) => t.contactOpenId === doneContact).map((t) => t.id);
    await db().update(applications).set({ status: 'recommended' }).where(and(eq(applications.cycleId, fx.cycleId), inArray(applications.teamId, doneTeams)));

    await h.app.dispatcher.drain(60_000);
    const after = new Map((await rowsLike(period)).map((r) => [r.dedupeKey, r]));
    const cycle = { year: 2030, deadline: '2030-05-31', daysLeft: 7 };
    const confirmed = after.get(`${period}person-${confirmedTeam.leaderOpenId}`)!;
    expect(confirmed).toMatchObject({ status: 'dropped', attempts: 1 });
    expect(confirmed.lastError).toBe(`${confirmedTeam.name}（${confirmedTeam.code}）的申报已经单位确认，无需提醒`);
    expect(sendRequests(confirmed.dedupeKey)).toHaveLength(0);
    const doneRow = after.get(`${period}person-${doneContact}`)!;
    expect(doneRow).toMatchObject({ status: 'dropped', lastError: '待确认的申报已全部确认，无需提醒' });
    expect(sendRequests(doneRow.dedupeKey)).toHaveLength(0);
    // the draft's leader is told what is true now; everyone else gets the card the job built before
    const teamOf = (t: (typeof allTeams)[number]) => ({ id: t.id, name: t.name, code: t.code });
    expect(sentTo(`${period}person-${draftTeam.leaderOpenId}`)[0].content).toEqual(json(applyDeadlineCard({ ...cycle, teams: [{ ...teamOf(draftTeam), state: 'draft' }], toConfirm: [] })));
    for (const t of untouched) expect(sentTo(`${period}person-${t.leaderOpenId}`)[0].content).toEqual(json(applyDeadlineCard({ ...cycle, teams: [{ ...teamOf(t), state: 'none' }], toConfirm: [] })));
    for (const c of otherContacts) {
      const list = waiting.filter((t) => t.contactOpenId === c).map(teamOf);
      expect(sentTo(`${period}person-${c}`)[0].content).toEqual(json(applyDeadlineCard({ ...cycle, teams: [], toConfirm: list })));
    }

    // once applications have closed, no application reminder is true any more
    await db().update(cycles).set({ status: 'scoring' });
    expect(await leaderApplyReminderRenderer(db(), sendDay())([{ kind: LEADER_APPLY_REMINDER, cycleId: fx.cycleId, teamId: untouched[0].id }])).toEqual([{ drop: '2030年度申报已截止' }]);
    expect(await contactApplyReminderRenderer(db(), sendDay())([{ kind: CONTACT_APPLY_REMINDER, cycleId: fx.cycleId, openId: otherContacts[0] }])).toEqual([{ drop: '2030年度申报已截止' }]);
  });
});

/** An administrator changes the cycle's dates (修改设置) through a signed callback; nothing is sent meanwhile. */
async function changeDates(cycleId: number, dates: Record<string, string>) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'cycle.settingsSave', cycleId }, formValue: dates }));
  expect(res.status).toBe(200);
  expect(res.body.toast).toMatchObject({ type: 'success' });
}

/**
 * 27 June 2030, three days before the scoring deadline: six applications in scoring assigned to six experts
 * (分配专家 through a signed callback), then the period's scoring reminders claimed and queued; nothing sent yet.
 */
async function claimScoringReminders() {
  h = await startHarness({ clock: new ManualClock('2030-06-27T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
  const fx = await seedLargeCycle(db(), { applications: 6, experts: 6, organizations: 2, year: 2030, status: 'scoring' });
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'review.assign', cycleId: fx.cycleId }, messageId: 'om_scoring_reminders_admin' }));
  expect(res.status).toBe(200);
  await h.app.bulkJobs.drain();
  await db().delete(outbox);
  await remindNow();
  const rows = await rowsLike('remind:scoring-deadline:2030:T-3:');
  expect(rows.length).toBeGreaterThan(1);
  return { fx, rows };
}

describe('the days left of a reminder are counted when it is sent', () => {
  it('a deadline moved after the claim, sent after midnight: the card gives the new date and the days from the day it is sent', async () => {
    h = await startHarness({ clock: new ManualClock('2030-05-24T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: 8, experts: 4, organizations: 2, year: 2030 });
    const apps = await db().select({ id: applications.id, teamId: applications.teamId }).from(applications).orderBy(asc(applications.teamId));
    const [missing, submitted] = [apps.slice(0, 3), apps.slice(3, 5)];
    await db().delete(applications).where(inArray(applications.id, missing.map((a) => a.id)));
    await db().update(applications).set({ status: 'submitted' }).where(inArray(applications.id, submitted.map((a) => a.id)));
    const allTeams = await db().select().from(teams).orderBy(asc(teams.id));
    await remindNow();
    const period = 'remind:apply-deadline:2030:T-7:';
    expect(await rowsLike(period)).not.toHaveLength(0);

    // the deadline is put back three days (to 3 June) before they go out, and the outbox sends them at 00:30 the next day
    await changeDates(fx.cycleId, { applicationDeadline: '2030-06-03' });
    h.clock.set('2030-05-25T00:30:00+08:00');
    await h.app.dispatcher.drain(60_000);
    const now = { year: 2030, deadline: '2030-06-03', daysLeft: 9 };
    for (const a of missing) {
      const t = allTeams.find((x) => x.id === a.teamId)!;
      expect(sentTo(`${period}person-${t.leaderOpenId}`)[0].content).toEqual(json(applyDeadlineCard({ ...now, teams: [{ id: t.id, name: t.name, code: t.code, state: 'none' }], toConfirm: [] })));
    }
    const waiting = allTeams.filter((t) => submitted.some((a) => a.teamId === t.id));
    for (const contact of new Set(waiting.map((t) => t.contactOpenId))) {
      const list = waiting.filter((t) => t.contactOpenId === contact).map((t) => ({ id: t.id, name: t.name, code: t.code }));
      expect(sentTo(`${period}person-${contact}`)[0].content).toEqual(json(applyDeadlineCard({ ...now, teams: [], toConfirm: list })));
    }
    expect((await rowsLike(period)).every((r) => r.status === 'sent')).toBe(true);

    // one drawn on the deadline says “today”; one drawn after it, while applications are not yet closed, is dropped
    const team = missing[0].teamId;
    const leader = (at: string) => {
      h.clock.set(at);
      return leaderApplyReminderRenderer(db(), sendDay())([{ kind: LEADER_APPLY_REMINDER, cycleId: fx.cycleId, teamId: team }]);
    };
    const [onTheDay] = await leader('2030-06-03T23:00:00+08:00');
    expect(JSON.stringify(onTheDay)).toContain('2030 年度申报今天截止');
    expect(await leader('2030-06-04T08:00:00+08:00')).toEqual([{ drop: '2030年度申报已于 2030年6月3日 截止' }]);
    const contact = waiting[0].contactOpenId;
    expect(await contactApplyReminderRenderer(db(), sendDay())([{ kind: CONTACT_APPLY_REMINDER, cycleId: fx.cycleId, openId: contact }])).toEqual([{ drop: '2030年度申报已于 2030年6月3日 截止' }]);
    // a row queued before this change still carries its claim's daysLeft (7): it is not read, the days are counted on the 29th
    h.clock.set('2030-05-29T09:00:00+08:00');
    const [old] = await leaderApplyReminderRenderer(db(), sendDay())([{ kind: LEADER_APPLY_REMINDER, cycleId: fx.cycleId, daysLeft: 7, teamId: team }]);
    expect(JSON.stringify(old)).toContain('2030 年度申报还有 5 天截止');
    expect(JSON.stringify(old)).not.toContain('7 天');
  });

  it('a scoring deadline moved before the reminders go out: the new date and count; past it, how long overdue', async () => {
    const { fx, rows } = await claimScoringReminders();
    const pending = async (openId: string) => (await db().select().from(assignments).where(and(eq(assignments.expertOpenId, openId), eq(assignments.status, 'assigned')))).length;

    await changeDates(fx.cycleId, { scoringDeadline: '2030-07-05' });
    await h.app.dispatcher.drain(60_000);
    for (const r of rows) {
      const card = scoringDeadlineCard({ year: 2030, cycleId: fx.cycleId, deadline: '2030-07-05', daysLeft: 8, pending: await pending(r.receiver) });
      expect(sentTo(r.dedupeKey)[0].content).toEqual(json(card));
    }
    h.clock.set('2030-07-07T09:00:00+08:00');
    const [overdue] = await scoringReminderRenderer(db(), sendDay())([{ kind: SCORING_REMINDER, cycleId: fx.cycleId, openId: rows[0].receiver }]);
    expect(overdue).toEqual({ card: scoringDeadlineCard({ year: 2030, cycleId: fx.cycleId, deadline: '2030-07-05', daysLeft: -2, pending: await pending(rows[0].receiver) }) });
  });
});

describe('scoring deadline reminders drawn when they are sent', () => {
  it('queues small rows; counts the tasks still waiting when sent, and drops the reminder of an expert who has scored them all', async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-27T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: 12, experts: 9, organizations: 4, year: 2030, status: 'scoring' });
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'review.assign', cycleId: fx.cycleId }, messageId: 'om_scoring_reminders_admin' }));
    expect(res.status).toBe(200);
    await h.app.bulkJobs.drain();
    await db().delete(outbox);

    await remindNow();
    const period = 'remind:scoring-deadline:2030:T-3:';
    const rows = await rowsLike(period);
    const tasks = await db().select().from(assignments).orderBy(asc(assignments.id));
    const pendingAtClaim = new Map<string, number>();
    for (const t of tasks) pendingAtClaim.set(t.expertOpenId, (pendingAtClaim.get(t.expertOpenId) ?? 0) + 1);
    expect(rows.map((r) => r.receiver).sort()).toEqual([...pendingAtClaim.keys()].sort());
    for (const r of rows) expect(r.card).toEqual({ render: { kind: SCORING_REMINDER, cycleId: fx.cycleId, openId: r.receiver } });
    expect(await maxBytes(period)).toBeLessThan(120);

    // before they go out: one expert submits every task, another one of theirs
    const [allDone, oneDone, ...others] = [...pendingAtClaim.keys()].sort();
    await db().update(assignments).set({ status: 'submitted' }).where(eq(assignments.expertOpenId, allDone));
    await db().update(assignments).set({ status: 'submitted' }).where(eq(assignments.id, tasks.find((t) => t.expertOpenId === oneDone)!.id));

    await h.app.dispatcher.drain(60_000);
    const after = new Map((await rowsLike(period)).map((r) => [r.receiver, r]));
    expect(after.get(allDone)).toMatchObject({ status: 'dropped', lastError: '评分任务已全部完成，无需提醒' });
    expect(sendRequests(after.get(allDone)!.dedupeKey)).toHaveLength(0);
    const card = (pending: number) => json(scoringDeadlineCard({ year: 2030, cycleId: fx.cycleId, deadline: '2030-06-30', daysLeft: 3, pending }));
    expect(sentTo(after.get(oneDone)!.dedupeKey)[0].content).toEqual(card(pendingAtClaim.get(oneDone)! - 1));
    for (const e of others) expect(sentTo(after.get(e)!.dedupeKey)[0].content).toEqual(card(pendingAtClaim.get(e)!));

    // 结束评分: no scoring reminder is true any more
    await db().update(cycles).set({ status: 'closed' });
    expect(await scoringReminderRenderer(db(), sendDay())([{ kind: SCORING_REMINDER, cycleId: fx.cycleId, openId: others[0] }])).toEqual([{ drop: '2030年度评审已结束专家评分' }]);
  });
});

describe('review meeting reminders (第十九条) drawn when they are sent', () => {
  const APPS = 8;
  /** 14 days before the meeting (15 July): the cycle scoring, every application but the last accepted; the period claimed and queued. */
  async function claimMeetingReminders(at = '2030-07-01T09:00:00+08:00') {
    h = await startHarness({ clock: new ManualClock(at), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: APPS, experts: 4, organizations: 2, year: 2030, status: 'scoring' });
    const apps = await db().select({ id: applications.id, teamId: applications.teamId }).from(applications).orderBy(asc(applications.teamId));
    const notYet = apps.at(-1)!;
    await db().update(applications).set({ status: 'recommended' }).where(eq(applications.id, notYet.id));
    await remindNow();
    const allTeams = await db().select().from(teams).orderBy(asc(teams.id));
    const teamOf = (id: number) => {
      const t = allTeams.find((x) => x.id === id)!;
      return { id: t.id, name: t.name, code: t.code };
    };
    const leaders = apps.slice(0, -1).map((a) => allTeams.find((t) => t.id === a.teamId)!.leaderOpenId);
    return { fx, accepted: apps.slice(0, -1).map((a) => teamOf(a.teamId)), leaders, notYet: { ...notYet, code: teamOf(notYet.teamId).code } };
  }
  const adminKey = (offset: number) => `remind:review-meeting:2030:T-${offset}:user:${ADMIN}`;
  /** What the administrators' card says is still due in the seeded scoring year (no expert given yet; `unchecked`: the code of the one awaiting 形式审查). */
  const expertsDue = (accepted: number, unchecked?: string) =>
    `${unchecked ? `1 份申报待形式审查（${unchecked}）：请在“形式审查”中受理（再分配专家）或退回；` : ''}已受理的 ${accepted} 份申报尚未分配专家：请在“管理”中点“分配专家”。`;

  it('queues small rows; when nothing changed, sends the cards the job used to queue whole', async () => {
    const { fx, accepted, leaders, notYet } = await claimMeetingReminders();
    const period = 'remind:review-meeting:2030:T-14:';
    const rows = await rowsLike(period);
    expect(rows.map((r) => r.receiver).sort()).toEqual([ADMIN, ...leaders].sort());
    expect(rows.find((r) => r.receiver === ADMIN)).toMatchObject({ dedupeKey: adminKey(14), card: { render: { kind: REVIEW_MEETING_REMINDER, cycleId: fx.cycleId, audience: 'admin' } } });
    accepted.forEach((t, i) => expect(rows.find((r) => r.dedupeKey === `${period}person-${leaders[i]}`)!.card).toEqual({ render: { kind: REVIEW_MEETING_REMINDER, cycleId: fx.cycleId, audience: 'applicant', teamIds: [t.id] } }));
    expect(await maxBytes(period)).toBeLessThan(120);

    await h.app.dispatcher.drain(60_000);
    const meeting = { year: 2030, date: '2030-07-15', daysLeft: 14 };
    expect(sentTo(adminKey(14))[0].content).toEqual(json(reviewMeetingCard({ ...meeting, audience: 'admin', accepted: APPS - 1, due: expertsDue(APPS - 1, notYet.code) })));
    accepted.forEach((t, i) => expect(sentTo(`${period}person-${leaders[i]}`)[0].content).toEqual(json(reviewMeetingCard({ ...meeting, audience: 'applicant', team: t }))));
    expect((await rowsLike(period)).every((r) => r.status === 'sent')).toBe(true);
  });

  it('the meeting moved and one more application accepted before they go out: the new date, its days left and the count then', async () => {
    const { fx, accepted, leaders, notYet } = await claimMeetingReminders();
    await changeDates(fx.cycleId, { reviewMeetingDate: '2030-07-22' });
    await db().update(applications).set({ status: 'accepted' }).where(eq(applications.id, notYet.id));
    await h.app.dispatcher.drain(60_000);
    const meeting = { year: 2030, date: '2030-07-22', daysLeft: 21 };
    expect(sentTo(adminKey(14))[0].content).toEqual(json(reviewMeetingCard({ ...meeting, audience: 'admin', accepted: APPS, due: expertsDue(APPS) })));
    accepted.forEach((t, i) => expect(sentTo(`remind:review-meeting:2030:T-14:person-${leaders[i]}`)[0].content).toEqual(json(reviewMeetingCard({ ...meeting, audience: 'applicant', team: t }))));
  });

  it('to the administrators, what the year still waits for from them: 截止申报 in a year left 申报中, 分配专家, the sheets, 汇总; nothing once summed', async () => {
    const { fx, notYet } = await claimMeetingReminders();
    const render = reviewMeetingReminderRenderer(db(), sendDay());
    const admin = [{ kind: REVIEW_MEETING_REMINDER, cycleId: fx.cycleId, audience: 'admin' }];
    const shown = async () => {
      const [drawn] = await render(admin);
      expect(drawn).toHaveProperty('card');
      return cardText((drawn as { card: object }).card);
    };
    // scoring, no expert given yet, one application still awaiting the formal check
    expect(await shown()).toContain(expertsDue(APPS - 1, notYet.code));
    expect(cardActions((await render(admin))[0] as never)).toContainEqual({ action: 'admin.menu' });
    // that one returned, every accepted application given to an expert, none scored
    await db().update(applications).set({ status: 'returned' }).where(eq(applications.id, notYet.id));
    expect(await shown()).toContain(expertsDue(APPS - 1));
    // each to an expert of another organisation (第十七条)
    const experts = await db().select({ openId: people.openId, organizationId: people.organizationId }).from(people).where(sql`'expert' = any(${people.roles})`);
    const given = await db()
      .select({ id: applications.id, organizationId: teams.organizationId })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(applications.cycleId, fx.cycleId), eq(applications.status, 'accepted')));
    expect(given).toHaveLength(APPS - 1);
    await db().insert(assignments).values(given.map((a) => ({ applicationId: a.id, expertOpenId: experts.find((e) => e.organizationId !== a.organizationId)!.openId, status: 'assigned' })));
    await db().update(applications).set({ status: 'scoring' }).where(inArray(applications.id, given.map((a) => a.id)));
    expect(await shown()).toContain(`**评审会前尚需**：尚有 ${APPS - 1} 份评分未提交（评分截止 2030年6月30日）。`);
    // every sheet in: 汇总 is what is due
    await db().update(assignments).set({ status: 'submitted' });
    await db().update(applications).set({ status: 'scored' }).where(inArray(applications.id, given.map((a) => a.id)));
    expect(await shown()).toContain('评分已全部提交：请在“管理”中点“结束评分并汇总”。');
    // a year whose deadline passed without 截止申报: no expert can score, so the meeting has nothing to meet over
    await db().update(cycles).set({ status: 'open' }).where(eq(cycles.id, fx.cycleId));
    const [c] = await db().select().from(cycles).where(eq(cycles.id, fx.cycleId));
    expect(c.applicationDeadline < '2030-07-01').toBe(true);
    expect(await shown()).toContain('尚未点“截止申报”，专家还不能评分：请在“管理”中点“截止申报”，随后分配专家。');
    // summed: only the meeting, no button
    await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, fx.cycleId));
    expect(await shown()).not.toContain('评审会前尚需');
    expect(cardActions((await render(admin))[0] as never)).toEqual([]);
  });

  it('to the administrators, 结束评分并汇总 only once it would be taken: what it would refuse over is what is due', async () => {
    h = await startHarness({ clock: new ManualClock('2030-07-01T09:00:00+08:00'), runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: 5, experts: 4, organizations: 2, year: 2030, status: 'scoring' });
    const apps = await db()
      .select({ id: applications.id, teamId: teams.id, code: teams.code, organizationId: teams.organizationId })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .orderBy(asc(teams.id));
    const experts = await db().select({ openId: people.openId, organizationId: people.organizationId }).from(people).where(sql`'expert' = any(${people.roles})`);
    const outsider = (app: (typeof apps)[number], nth = 0) => experts.filter((e) => e.organizationId !== app.organizationId)[nth].openId;
    const status = (i: number[], to: string) => db().update(applications).set({ status: to }).where(inArray(applications.id, i.map((n) => apps[n].id)));
    // 0 and 1 scored; 2 accepted after 分配专家, no expert; 3 scoring, its expert declined; 4 still awaiting the formal check
    await status([0, 1], 'scored');
    await db().insert(assignments).values([0, 1].map((i) => ({ applicationId: apps[i].id, expertOpenId: outsider(apps[i]), status: 'submitted' })));
    await status([2], 'accepted');
    await status([3], 'scoring');
    await db().insert(assignments).values({ applicationId: apps[3].id, expertOpenId: outsider(apps[3]), status: 'declined' });
    await status([4], 'recommended');

    const render = reviewMeetingReminderRenderer(db(), sendDay());
    /** The reminder's 评审会前尚需, and whether 结束评分并汇总 clicked then is taken: they must agree. */
    const both = async () => {
      const [drawn] = await render([{ kind: REVIEW_MEETING_REMINDER, cycleId: fx.cycleId, audience: 'admin' }]);
      const due = cardText((drawn as { card: object }).card).split('\n').find((l) => l.startsWith('**评审会前尚需**：')) ?? '';
      const closed = await h.click(ADMIN, { action: 'results.close', cycleId: fx.cycleId });
      expect(due.includes('结束评分并汇总'), `${due} / ${JSON.stringify(closed.toast)}`).toBe(closed.toast?.type === 'success');
      return { due, closed: closed.toast?.content ?? '' };
    };

    const first = await both();
    expect(first.due).toContain(`1 份申报待形式审查（${apps[4].code}）：请在“形式审查”中受理（再分配专家）或退回`);
    expect(first.due).toContain('已受理的 1 份申报尚未分配专家：请在“管理”中点“分配专家”');
    expect(first.due).toContain(`1 份申报的专家都已谢绝或回避，没有专家在评（${apps[3].code}）`);
    expect(first.due).not.toContain('份评分未提交');
    expect(first.closed).toContain('待形式审查');

    // 4 returned; 2 given to an expert who must step aside (a conflict declared), 3 to another expert
    await status([4], 'returned');
    const stepsAside = outsider(apps[2]);
    await db().insert(conflicts).values({ expertOpenId: stepsAside, teamId: apps[2].teamId, reason: '亲属' });
    await db().insert(assignments).values([
      { applicationId: apps[2].id, expertOpenId: stepsAside, status: 'assigned' },
      { applicationId: apps[3].id, expertOpenId: outsider(apps[3], 1), status: 'assigned' },
    ]);
    await status([2], 'scoring');
    const second = await both();
    expect(second.due).toBe('**评审会前尚需**：尚有 1 份评分未提交（评分截止 2030年6月30日）；1 份评分的专家须回避（第十七条）：请在“评审进度”中打开该申报的专家组“更换专家”。');
    expect(second.closed).toContain('还有 2 份申报未完成评分');

    // every sheet in
    await db().update(assignments).set({ status: 'submitted' }).where(eq(assignments.status, 'assigned'));
    await status([2, 3], 'scored');
    const last = await both();
    expect(last.due).toBe('**评审会前尚需**：评分已全部提交：请在“管理”中点“结束评分并汇总”。');
  });

  it('results published before they go out: every row is dropped with the reason; a meeting already held is not announced', async () => {
    const { fx, accepted } = await claimMeetingReminders('2030-07-12T09:00:00+08:00');
    const period = 'remind:review-meeting:2030:T-3:';
    expect(await rowsLike(period)).toHaveLength(APPS);
    await db().update(cycles).set({ status: 'published' }).where(eq(cycles.id, fx.cycleId));
    await h.app.dispatcher.drain(60_000);
    for (const r of await rowsLike(period)) {
      expect(r).toMatchObject({ status: 'dropped', attempts: 1, lastError: '2030年度评审结果已公布，评审会提醒不再发送' });
      expect(sendRequests(r.dedupeKey)).toHaveLength(0);
    }

    const render = reviewMeetingReminderRenderer(db(), sendDay());
    const specs = [
      { kind: REVIEW_MEETING_REMINDER, cycleId: fx.cycleId, audience: 'admin' },
      { kind: REVIEW_MEETING_REMINDER, cycleId: fx.cycleId, audience: 'applicant', teamId: accepted[0].id },
    ];
    await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, fx.cycleId));
    h.clock.set('2030-07-15T18:00:00+08:00');
    expect(JSON.stringify(await render(specs))).toContain('评审会今天举行');
    h.clock.set('2030-07-16T08:00:00+08:00');
    expect(await render(specs)).toEqual([{ drop: '2030年度评审会已于 2030年7月15日 举行' }, { drop: '2030年度评审会已于 2030年7月15日 举行' }]);
    expect(await render([{ kind: REVIEW_MEETING_REMINDER, cycleId: 999_999, audience: 'admin' }])).toEqual([{ drop: '年度评审 999999 已不存在' }]);
  });
});

describe('a reminder that cannot be drawn', () => {
  it('is a failed send: retried with backoff, then dead-lettered with an alert, while the other reminders go out', async () => {
    const { rows } = await claimScoringReminders();
    const [broken, ...fine] = rows;
    const real = scoringReminderRenderer(db(), sendDay());
    const failing = testDispatcher(db(), h.app.larkClient, { [SCORING_REMINDER]: async (specs) => (await real(specs)).map((r, i) => (specs[i].openId === broken.receiver ? { error: '评分任务读取失败' } : r)) }, { admins: [ADMIN] });
    await failing.drain(20_000);
    const [dead] = await db().select().from(outbox).where(eq(outbox.id, broken.id));
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, lastError: '评分任务读取失败' });
    expect(sendRequests(broken.dedupeKey)).toHaveLength(0);
    const audits = await db().select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'));
    expect(audits.filter((a) => (a.details as { dedupeKey?: string }).dedupeKey === broken.dedupeKey)).toHaveLength(1);
    expect(await rowsLike(`alert:dead-letter:${broken.id}:`)).toHaveLength(1);
    for (const r of fine) expect(sentTo(r.dedupeKey)).toHaveLength(1);
  });
});
