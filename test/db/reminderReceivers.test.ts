import { Writable } from 'node:stream';
import { and, asc, eq, inArray, like } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { applyDeadlineCard, reviewMeetingCard, scoringDeadlineCard } from '../../cards/reminders.js';
import { applications, assignments, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scheduledJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import { SCORING_REMINDER, scoringReminderRenderer } from '../../src/jobs/reminderCards.js';
import { messageUuid } from '../../src/outbox.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * A reminder's receiver is fixed when its period is claimed and its rows queued; the card is drawn when it is sent. A
 * team's leader, a team's contact or a task's expert changed in between: the old person is not sent what is no longer
 * theirs, and the row ends `dropped` with the reason.
 */

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
let h: Harness;
const db = () => h.db.db;
afterEach(async () => {
  await h?.close();
});

async function remindNow() {
  await scheduledJob('reminders', { db: db(), now: () => h.clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS, log: quiet, nudge: () => {} })();
  await h.app.bulkJobs.drain();
}
const rowsLike = async (prefix: string) => db().select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`)).orderBy(asc(outbox.id));
const row = async (key: string) => (await db().select().from(outbox).where(eq(outbox.dedupeKey, key)))[0];
const sentTo = (key: string) => h.fake.messages.filter((m) => m.uuid === messageUuid(key));
const sendRequests = (key: string) => h.fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages' && r.body?.uuid === messageUuid(key));
const json = (card: object) => JSON.parse(JSON.stringify(card));

/** A new leader for a team, as 确认导入 writes one when a workbook names another leader: the team's row and its members. */
async function changeLeader(teamId: number, openId: string) {
  const [team] = await db().select().from(teams).where(eq(teams.id, teamId));
  await db().insert(people).values({ openId, name: '新班长' }).onConflictDoNothing();
  await db().update(teams).set({ leaderOpenId: openId }).where(eq(teams.id, teamId));
  await db().delete(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.openId, team.leaderOpenId)));
  await db().insert(teamMembers).values({ teamId, openId, role: 'leader' });
  return team;
}

/** An administrator clicks a button or saves a form through a signed, encrypted callback. */
async function adminClicks(value: Record<string, unknown>, formValue?: Record<string, unknown>) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, formValue }));
  expect(res.status).toBe(200);
  expect(res.body.toast?.type, JSON.stringify(res.body.toast)).toBe('success');
}

describe('application deadline reminders to a leader or a contact changed after the claim', () => {
  it('a team with another leader: the old leader’s reminder is dropped with the reason; the team moved to another contact is off its old contact’s card, and a contact left with none is not reminded', async () => {
    h = await startHarness({ clock: new ManualClock('2030-05-24T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: 12, experts: 4, organizations: 3, year: 2030 });
    const apps = await db().select({ id: applications.id, teamId: applications.teamId }).from(applications).orderBy(asc(applications.teamId));
    const allTeams = await db().select().from(teams).orderBy(asc(teams.id));
    const teamOf = (id: number) => allTeams.find((t) => t.id === id)!;
    // two teams have not applied: their leaders are reminded
    const [stays, changes] = apps.slice(0, 2).map((a) => teamOf(a.teamId));
    await db().delete(applications).where(inArray(applications.id, apps.slice(0, 2).map((a) => a.id)));
    // contact A waits for one application, contact B for two
    const [contactA, contactB] = ['ou_b2030_contact_a', 'ou_b2030_contact_b'];
    await db().insert(people).values([{ openId: contactA, name: '联系人甲', roles: ['org_contact'] }, { openId: contactB, name: '联系人乙', roles: ['org_contact'] }, { openId: 'ou_b2030_contact_c', name: '联系人丙', roles: ['org_contact'] }]);
    const [ofA, ofB1, ofB2] = apps.slice(2, 5);
    await db().update(teams).set({ contactOpenId: contactA }).where(eq(teams.id, ofA.teamId));
    await db().update(teams).set({ contactOpenId: contactB }).where(inArray(teams.id, [ofB1.teamId, ofB2.teamId]));
    await db().update(applications).set({ status: 'submitted' }).where(inArray(applications.id, [ofA.id, ofB1.id, ofB2.id]));

    await remindNow();
    const period = 'remind:apply-deadline:2030:T-7:';
    const leaderKey = (t: { leaderOpenId: string }) => `${period}person-${t.leaderOpenId}`;
    expect((await row(leaderKey(changes))).receiver).toBe(changes.leaderOpenId);
    expect((await row(`${period}person-${contactA}`)).receiver).toBe(contactA);

    // before they go out: a workbook names another leader for one team; both teams waiting for a contact get another
    await changeLeader(changes.id, 'ou_b2030_new_leader');
    await adminClicks({ action: 'team.editSave', teamId: ofA.teamId }, { contact: 'ou_b2030_contact_c' });
    await adminClicks({ action: 'team.editSave', teamId: ofB1.teamId }, { contact: 'ou_b2030_contact_c' });
    h.fake.reset();
    await h.app.dispatcher.drain(60_000);

    const dropped = await row(leaderKey(changes));
    expect(dropped).toMatchObject({ status: 'dropped', receiver: changes.leaderOpenId, lastError: `${changes.name}（${changes.code}）的班组长已更换，申报提醒不再发给原班组长` });
    expect(sendRequests(dropped.dedupeKey)).toHaveLength(0);
    expect(h.fake.messages.filter((m) => m.receiveId === changes.leaderOpenId)).toHaveLength(0);
    expect(await row(leaderKey(stays))).toMatchObject({ status: 'sent' });
    expect(sentTo(leaderKey(stays))[0].receiveId).toBe(stays.leaderOpenId);

    const aRow = await row(`${period}person-${contactA}`);
    expect(aRow).toMatchObject({ status: 'dropped', lastError: '所联系班组的单位联系人已更换，没有待其确认的申报，无需提醒' });
    expect(sendRequests(aRow.dedupeKey)).toHaveLength(0);
    const b2 = teamOf(ofB2.teamId);
    expect(sentTo(`${period}person-${contactB}`)[0].content).toEqual(
      json(applyDeadlineCard({ year: 2030, deadline: '2030-05-31', daysLeft: 7, teams: [], toConfirm: [{ id: b2.id, name: b2.name, code: b2.code }] })),
    );
    // the new contact was told by the change itself (请确认申报材料), not by this period's reminder
    expect(await rowsLike(`${period}person-ou_b2030_contact_c`)).toEqual([]);
    expect(fx.cycleId).toBeGreaterThan(0);
  });
});

describe('scoring deadline reminders to an expert whose tasks went to others after the claim', () => {
  it('an expert whose one task was swapped is not reminded, with the reason; the others are told of the tasks theirs when sent', async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-27T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: 4, experts: 8, organizations: 4, year: 2030, status: 'scoring' });
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'review.assign', cycleId: fx.cycleId }, messageId: 'om_reminder_receivers_admin' }));
    expect(res.status).toBe(200);
    await h.app.bulkJobs.drain();
    await db().delete(outbox);
    await remindNow();
    const period = 'remind:scoring-deadline:2030:T-3:';
    const queued = (await rowsLike(period)).map((r) => r.receiver);
    const tasksOf = async (openId: string) => db().select().from(assignments).where(and(eq(assignments.expertOpenId, openId), eq(assignments.status, 'assigned')));
    const swappedOut = (await Promise.all(queued.map(async (e) => ((await tasksOf(e)).length === 1 ? e : undefined)))).find((e) => e !== undefined)!;
    expect(swappedOut).toBeDefined();

    // before they go out: 更换专家 on that expert's one task; another expert takes it over
    await adminClicks({ action: 'review.swap', assignmentId: (await tasksOf(swappedOut))[0].id });
    h.fake.reset();
    await h.app.dispatcher.drain(60_000);

    const out = await row(`${period}expert-${swappedOut}`);
    expect(out).toMatchObject({ status: 'dropped', receiver: swappedOut, lastError: '评分任务已改由其他专家评分，无需提醒' });
    expect(sendRequests(out.dedupeKey)).toHaveLength(0);
    // what reaches that expert is the swap's own notice, not a reminder
    expect(h.fake.messages.filter((m) => m.receiveId === swappedOut).map((m) => m.content?.text)).toEqual([expect.stringMatching(/评分任务改派给其他专家，你无需再为它评分/)]);
    // every other reminder counts the tasks that are the expert's when it is sent (the one who took the task over included)
    for (const e of queued.filter((x) => x !== swappedOut)) {
      const card = scoringDeadlineCard({ year: 2030, cycleId: fx.cycleId, deadline: '2030-06-30', daysLeft: 3, pending: (await tasksOf(e)).length });
      expect(sentTo(`${period}expert-${e}`)[0].content).toEqual(json(card));
    }
  });

  it('the reason names what happened: scored, moved to others, or both', async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-27T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: 3, experts: 0, organizations: 1, year: 2030, status: 'scoring' });
    const apps = await db().select().from(applications).orderBy(asc(applications.id));
    const experts = ['ou_reason_scored', 'ou_reason_moved', 'ou_reason_both'];
    await db().insert(people).values(experts.map((openId) => ({ openId, name: openId, roles: ['expert'] })));
    await db().insert(assignments).values([
      { applicationId: apps[0].id, expertOpenId: experts[0], status: 'submitted' },
      { applicationId: apps[0].id, expertOpenId: experts[1], status: 'replaced' },
      { applicationId: apps[1].id, expertOpenId: experts[1], status: 'declined' },
      { applicationId: apps[1].id, expertOpenId: experts[2], status: 'submitted' },
      { applicationId: apps[2].id, expertOpenId: experts[2], status: 'replaced' },
    ]);
    const drawn = await scoringReminderRenderer(db(), { timezone: h.app.config.BOT_TIMEZONE, clock: h.clock })(experts.map((openId) => ({ kind: SCORING_REMINDER, cycleId: fx.cycleId, openId })));
    expect(drawn).toEqual([
      { drop: '评分任务已全部完成，无需提醒' },
      { drop: '评分任务已改由其他专家评分，无需提醒' },
      { drop: '评分任务已全部完成或改由其他专家评分，无需提醒' },
    ]);
  });
});

describe('review meeting reminders to an applicant whose team has another leader after the claim', () => {
  it('the old leader’s reminder is dropped with the reason; the other applicants get theirs', async () => {
    h = await startHarness({ clock: new ManualClock('2030-07-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
    const fx = await seedLargeCycle(db(), { applications: 3, experts: 4, organizations: 2, year: 2030, status: 'scoring' });
    await remindNow();
    const period = 'remind:review-meeting:2030:T-14:';
    const allTeams = await db().select().from(teams).orderBy(asc(teams.id));
    const [changes, ...others] = allTeams;
    expect((await row(`${period}person-${changes.leaderOpenId}`)).receiver).toBe(changes.leaderOpenId);

    await changeLeader(changes.id, 'ou_b2030_new_leader');
    await h.app.dispatcher.drain(60_000);
    const dropped = await row(`${period}person-${changes.leaderOpenId}`);
    expect(dropped).toMatchObject({ status: 'dropped', lastError: `${changes.name}（${changes.code}）的班组长已更换，评审会提醒不再发给原班组长` });
    expect(sendRequests(dropped.dedupeKey)).toHaveLength(0);
    const meeting = { year: 2030, date: '2030-07-15', daysLeft: 14 };
    for (const t of others) {
      const [sent] = sentTo(`${period}person-${t.leaderOpenId}`);
      expect(sent.receiveId).toBe(t.leaderOpenId);
      expect(sent.content).toEqual(json(reviewMeetingCard({ ...meeting, audience: 'applicant', team: { id: t.id, name: t.name, code: t.code } })));
    }
    expect(sentTo(`remind:review-meeting:2030:T-14:user:${ADMIN}`)).toHaveLength(1);
    expect(fx.cycleId).toBeGreaterThan(0);
  });
});
