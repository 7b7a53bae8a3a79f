import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestCard } from '../../cards/reminders.js';
import { applications, assignments, conflicts, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { digestData } from '../../src/jobs/digest.js';
import { scoringGroupReminderRenderer, scoringReminderRenderer } from '../../src/jobs/reminderCards.js';
import { runReminders } from '../../src/jobs/reminders.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A pending task whose expert must step aside from the team (回避, 第十七条): 重开评分 gave back a sheet scored before a
 * late conflict, and until 更换专家 the task is `assigned` to that expert. It is not theirs to score: the list says so
 * with no 评分 button, 评下一份 passes it over, an old button to it answers why, and the scoring reminders neither
 * count it nor remind an expert who has nothing else to score.
 */
const EXPERTS = ['ou_recusedtasks000000000000000001', 'ou_recusedtasks000000000000000002'];
const LEADER = 'ou_recusedtasksleader0000000000001';
const CONTACT = 'ou_recusedtaskscontact000000000001';
const RECUSED_NOTE = '须回避（第十七条），无需评分，等待协会改派其他专家';
const day = (h: Harness) => ({ timezone: 'Asia/Shanghai', clock: h.clock });

/** The list “评分” sends the expert now, as the card. */
async function listCard(h: Harness, openId: string): Promise<unknown> {
  const sent = h.fake.messages.length;
  await h.say(openId, '评分');
  const list = h.fake.messages.slice(sent).find((m) => m.receiveId === openId)!;
  expectValidCard(list.content);
  return list.content;
}

/** What on a card opens or submits a score sheet. */
const opens = (card: unknown) => cardActions(card).filter((a) => a.action === 'review.open' || a.action === 'review.submit');

describe('a reopened sheet whose expert must step aside (重开评分 after a late conflict, before 更换专家)', () => {
  let h: Harness;
  let cycleId: number;
  let conflicted: { id: number; expertOpenId: string };
  let other: { id: number; expertOpenId: string };
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const db = h.db.db;
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '2' });
    expect(opened.toast?.type).toBe('success');
    [{ id: cycleId }] = await db.select({ id: cycles.id }).from(cycles);
    const [o] = await db.insert(organizations).values({ name: '广东回避任务市政公司' }).returning();
    await db.insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'], organizationId: o.id }]);
    const [team] = await db
      .insert(teams)
      .values({
        code: 'GDSZ-2025-0001', name: '回避任务一班', organizationId: o.id, department: '工程部', type: 'project', leaderOpenId: LEADER, phone: '020-1234567',
        memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: CONTACT, registeredAt: '2025-01-10',
      })
      .returning();
    await db.insert(teamMembers).values({ teamId: team.id, openId: LEADER, role: 'leader' });
    await db.insert(applications).values({
      teamId: team.id, cycleId, status: 'accepted', form: { title: '成果1', category: 'engineering', summary: '成果简介', materialsUrl: 'https://example.feishu.cn/docx/x' },
      submittedAt: new Date('2027-03-04T00:00:00Z'), endorsement: { decision: 'recommend', truthful: true, opinion: '同意', by: CONTACT, at: '2027-03-04T00:00:00Z' },
    });
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '', maxLoad: '20' })).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    const tasks = await db.select().from(assignments).orderBy(asc(assignments.id));
    expect(tasks).toHaveLength(2);
    for (const t of tasks) expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90))).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    [conflicted, other] = tasks;
    expect((await h.click(conflicted.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: team.code, reason: '亲属在该班组' })).toast?.type).toBe('success');
    // the conflicted expert's sheet reopened (nothing sent to them), and the other's, which they are to score again
    expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: conflicted.id })).toast?.type).toBe('warning');
    expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: other.id })).toast?.type).toBe('success');
  });
  afterAll(async () => h?.close());

  it('评分 lists it as not theirs to score, with no 评分 button; the other expert’s reopened sheet keeps its button', async () => {
    const list = await listCard(h, conflicted.expertOpenId);
    expect(cardText(list)).toContain(RECUSED_NOTE);
    expect(cardText(list)).toContain('2027年度评审 · 没有需要你评分的任务（另 1 项须回避）');
    expect(cardText(list)).toContain('回避任务一班');
    expect(opens(list)).toEqual([]);
    const theirs = await listCard(h, other.expertOpenId);
    expect(cardText(theirs)).not.toContain(RECUSED_NOTE);
    expect(opens(theirs)).toEqual([{ action: 'review.open', assignmentId: other.id }]);
  });

  it('评下一份 passes it over and says why; an old 评分 button to it answers why with the list, not the score sheet', async () => {
    const next = await h.click(conflicted.expertOpenId, { action: 'review.next' });
    expect(next.toast).toEqual({ type: 'info', content: '你没有待评分的任务了：余下 1 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。' });
    expect(cardText(next.card.data)).toContain(RECUSED_NOTE);
    expect(opens(next.card.data)).toEqual([]);

    const open = await h.click(conflicted.expertOpenId, { action: 'review.open', assignmentId: conflicted.id });
    expect(open.toast).toEqual({
      type: 'info',
      content: '第十七条：评审坚持公开、公平和公正原则。你已声明与该班组存在利益冲突，须回避该班组（回避任务一班）的评审，这项任务无需你评分；协会管理员将改派其他专家。',
    });
    expect(cardText(open.card.data)).toContain(RECUSED_NOTE);
    expect(opens(open.card.data)).toEqual([]);

    // the other expert's 评下一份 opens their reopened sheet as before
    const theirs = await h.click(other.expertOpenId, { action: 'review.next' });
    expect(cardActions(theirs.card.data)).toContainEqual(expect.objectContaining({ action: 'review.submit', assignmentId: other.id }));
  });

  it('the scoring reminder goes to the expert with a sheet to score, not to the one whose only pending sheet they must step aside from', async () => {
    h.clock.set('2027-06-29T09:00:00+08:00');
    const sent = h.fake.messages.length;
    const outcomes = await runReminders(h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
    expect(outcomes.filter((o) => o.period === 'scoring-deadline:2027:T-1').map((o) => o.status)).toEqual(['done']);
    await h.drain();
    const to = h.fake.messages.slice(sent).map((m) => m.receiveId);
    expect(to).toContain(other.expertOpenId);
    expect(to).not.toContain(conflicted.expertOpenId);

    // a reminder queued for them before (claimed while the sheet was theirs to score) is dropped when drawn, saying why
    const [drawn] = await scoringReminderRenderer(h.db.db, day(h))([{ kind: 'scoringReminder', openId: conflicted.expertOpenId, cycleId }]);
    expect(drawn).toEqual({ drop: '余下的评分任务该专家须回避（第十七条），等待协会改派其他专家，无需提醒' });
    // the experts' group hears of the one sheet an expert can score
    const [group] = await scoringGroupReminderRenderer(h.db.db, day(h))([{ kind: 'scoringGroupReminder', cycleId }]);
    expect(cardText((group as { card: unknown }).card)).toContain('尚有 **1** 份评分未提交，涉及 **1** 位专家');
  });

  it('the administrators’ digest after the deadline: the expert with a sheet to score is overdue, the one who must step aside is named for 更换专家', async () => {
    h.clock.set('2027-07-02T09:00:00+08:00');
    const { data } = await digestData(h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] }, 'daily', '2027-07-02');
    const of = (openId: string) => data.overdueExperts.find((e) => e.openId === openId);
    expect(of(other.expertOpenId)).toEqual(expect.objectContaining({ pending: 1 }));
    expect(of(other.expertOpenId)?.recused).toBeUndefined();
    expect(of(conflicted.expertOpenId)).toEqual(expect.objectContaining({ pending: 0, recused: 1, recusedTeams: ['GDSZ-2025-0001'] }));
    const card = digestCard(data);
    expectValidCard(card);
    const text = cardText(card);
    // overdue: the expert with a sheet to score; to mend by 更换专家: the one who must step aside, apart
    const [overdue, aside] = text.split('须更换专家（第十七条）');
    expect(overdue).toContain('评分已逾期');
    expect(overdue).toContain('1 份未评');
    expect(overdue).not.toContain('0 份未评');
    expect(aside).toContain('以下专家须回避这些班组的评分，请在班组的“专家组”中点“更换专家”改派');
    expect(aside).toContain('：GDSZ-2025-0001（1 份）');
  });
});

describe('a pending task whose expert must step aside however it arose (a conflict on record, no reopen), among tasks to score', () => {
  const EXPERT = 'ou_recusedtasksmixed00000000000001';
  const COLLEAGUES = ['ou_recusedtasksmixed00000000000002', 'ou_recusedtasksmixed00000000000003'];
  let h: Harness;
  let cycleId: number;
  let tasks: { id: number; teamId: number; code: string }[];
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const fx = await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2030 });
    cycleId = fx.cycleId;
    await h.db.db.insert(people).values([EXPERT, ...COLLEAGUES].map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
    tasks = await h.db.db
      .select({ id: assignments.id, teamId: teams.id, code: teams.code })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(eq(assignments.expertOpenId, EXPERT))
      .orderBy(asc(teams.code));
    expect(tasks).toHaveLength(2);
    // a conflict with the first team on record while its task is pending
    await h.db.db.insert(conflicts).values({ expertOpenId: EXPERT, teamId: tasks[0].teamId, reason: '亲属在该班组' });
  });
  afterAll(async () => h?.close());

  it('the list shows one task to score and one to step aside from; 评下一份 opens the one to score; the reminder counts one', async () => {
    const list = await listCard(h, EXPERT);
    expect(cardText(list)).toContain(RECUSED_NOTE);
    expect(cardText(list)).toContain('已完成 0 / 1（另 1 项须回避）');
    expect(opens(list)).toEqual([{ action: 'review.open', assignmentId: tasks[1].id }]);
    const next = await h.click(EXPERT, { action: 'review.next' });
    expect(cardActions(next.card.data)).toContainEqual(expect.objectContaining({ action: 'review.submit', assignmentId: tasks[1].id }));
    const [drawn] = await scoringReminderRenderer(h.db.db, day(h))([{ kind: 'scoringReminder', openId: EXPERT, cycleId }]);
    const text = cardText((drawn as { card: unknown }).card);
    expect(text).toContain('你还有 **1** 份申报未完成评分');
  });

  it('once the other is scored: 评下一份 says what is left, and the scoring reminder passes the expert over', async () => {
    const scored = await h.click(EXPERT, { action: 'review.submit', assignmentId: tasks[1].id }, scoreForm(90));

    expect(scored.toast?.type).toBe('success');
    // the scored card: nothing left to score, so no 评下一份, and the task left is named as not theirs
    const left = '你可评的 1 项评分任务已全部完成，谢谢！另有 1 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。';
    expect(cardText(scored.card.data)).toContain(left);
    expect(cardActions(scored.card.data).map((a) => a.action)).toEqual(['review.list']);
    // the same card opened again from the list (the ordinary path's progress)
    const again = await h.click(EXPERT, { action: 'review.open', assignmentId: tasks[1].id });
    expect(cardText(again.card.data)).toContain(left);
    expect(cardActions(again.card.data).map((a) => a.action)).toEqual(['review.list']);
    const next = await h.click(EXPERT, { action: 'review.next' });
    expect(next.toast?.content).toBe('你没有待评分的任务了：余下 1 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。');
    h.clock.set('2030-06-29T09:00:00+08:00');
    const sent = h.fake.messages.length;
    await runReminders(h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
    await h.drain();
    const to = h.fake.messages.slice(sent).map((m) => m.receiveId);
    expect(to).toContain(COLLEAGUES[0]);
    expect(to).not.toContain(EXPERT);
  });
});

describe('a sheet stored while one task left is theirs to score and one they must step aside from', () => {
  const EXPERT = 'ou_recusedtasksthree00000000000001';
  const COLLEAGUES = ['ou_recusedtasksthree00000000000002', 'ou_recusedtasksthree00000000000003'];
  let h: Harness;
  let tasks: { id: number; teamId: number; code: string }[];
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const fx = await seedLargeCycle(h.db.db, { applications: 3, experts: 0, organizations: 3, year: 2030 });
    await h.db.db.insert(people).values([EXPERT, ...COLLEAGUES].map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId })).toast.type).toBe('success');
    tasks = await h.db.db
      .select({ id: assignments.id, teamId: teams.id, code: teams.code })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(eq(assignments.expertOpenId, EXPERT))
      .orderBy(asc(teams.code));
    expect(tasks).toHaveLength(3);
    await h.db.db.insert(conflicts).values({ expertOpenId: EXPERT, teamId: tasks[0].teamId, reason: '亲属在该班组' });
  });
  afterAll(async () => h?.close());

  it('the scored card counts the one left to score apart from the one to step aside from, and offers 评下一份', async () => {
    // on PostgreSQL the one-statement submit answers (migration 0018), on PGlite the ordinary path: the same words
    const scored = await h.click(EXPERT, { action: 'review.submit', assignmentId: tasks[1].id }, scoreForm(90));
    expect(scored.toast?.type).toBe('success');
    const progress = '你已完成 1 / 2 项，还有 1 项待评。另有 1 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。';
    expect(cardText(scored.card.data)).toContain(progress);
    expect(cardActions(scored.card.data).map((a) => a.action)).toContain('review.next');
    const again = await h.click(EXPERT, { action: 'review.open', assignmentId: tasks[1].id });
    expect(cardText(again.card.data)).toContain(progress);
    const next = await h.click(EXPERT, { action: 'review.next' });
    expect(cardActions(next.card.data)).toContainEqual(expect.objectContaining({ action: 'review.submit', assignmentId: tasks[2].id }));
  });
});
