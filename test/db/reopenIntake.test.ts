import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { applications, assignments, bulkJobs, cycles, honours, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText, formFieldNames } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 第十七条: 结束评分并汇总 ends the year's intake. An application its contact never confirmed is out of the year, and
 * the panels are as summed. Reopening ONE expert's sheet to correct it takes the cycle back to scoring for that sheet
 * alone: 推荐, 受理 and 分配专家 stay refused (on the one-statement paths and the ordinary ones), the reopened sheet is
 * submitted again and the second 汇总 and 公布结果 decide on the applications the first one summed.
 */
const EXPERTS = Array.from({ length: 3 }, (_, i) => `ou_reopenintake0000000000000000000${i + 1}`);
const REFUSAL = '评分已汇总过一次，重开期间只能重新提交已重开的评分';

describe.each(MODES_HERE)('a reopened sheet does not reopen the intake (%s path)', (mode) => {
  let h: Harness;
  const clock = new ManualClock('2027-03-05T09:00:00+08:00');
  beforeEach(async () => {
    await h?.close();
    h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => h.db.db;

  /** A team of its own organisation and its 2027 application in `status` (recommended and later carry the contact's 推荐). */
  async function seedTeam(cycleId: number, n: number, status: string) {
    const leader = `ou_reopenleader0000000000000000000${n}`;
    const contact = `ou_reopencontact000000000000000000${n}`;
    const [o] = await db().insert(organizations).values({ name: `广东第${n}市政公司` }).returning();
    await db().insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'], organizationId: o.id }]);
    const [team] = await db()
      .insert(teams)
      .values({
        code: `GDSZ-2025-000${n}`, name: `市政${n}班`, organizationId: o.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
        memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
      })
      .returning();
    await db().insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
    const [application] = await db()
      .insert(applications)
      .values({
        teamId: team.id, cycleId, status, form: { title: `成果${n}`, category: 'engineering', summary: '成果简介', materialsUrl: 'https://example.feishu.cn/docx/x' },
        submittedAt: new Date('2027-03-04T00:00:00Z'),
        endorsement: status === 'submitted' ? null : { decision: 'recommend', truthful: true, opinion: '同意', by: contact, at: '2027-03-04T00:00:00Z' },
      })
      .returning();
    return { team, application, leader, contact };
  }

  async function openCycle(expertsPerApplication: number) {
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: String(expertsPerApplication) });
    expect(opened.toast?.type).toBe('success');
    const [{ id }] = await db().select({ id: cycles.id }).from(cycles);
    return id;
  }

  async function addExperts(openIds: string[]) {
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: openIds, organization: '专家委员会', specialities: '', maxLoad: '20' })).toast?.type).toBe('success');
  }

  /** Every task scored, summed by 结束评分并汇总, then the first task's sheet reopened: the cycle is back to scoring. */
  async function sumThenReopen(cycleId: number, reopenOf?: number) {
    for (const t of await db().select().from(assignments)) expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90))).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    const [task] = await db()
      .select()
      .from(assignments)
      .where(reopenOf ? eq(assignments.applicationId, reopenOf) : undefined)
      .orderBy(asc(assignments.id))
      .limit(1);
    expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: task.id })).toast?.type).toBe('success');
    expect((await db().select({ status: cycles.status }).from(cycles))[0].status).toBe('scoring');
    return task;
  }

  const applicationOf = async (id: number) => (await db().select().from(applications).where(eq(applications.id, id)))[0];

  it('推荐 and 受理 stay refused, the reopened sheet is submitted again, and the second 汇总 awards no team that was out of the year', async () => {
    const cycleId = await openCycle(1);
    const scored = await seedTeam(cycleId, 1, 'accepted');
    const lapsed = await seedTeam(cycleId, 2, 'submitted'); // its contact never confirmed it
    await addExperts(EXPERTS);
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    const reopened = await sumThenReopen(cycleId);
    expect(reopened.applicationId).toBe(scored.application.id);
    const tasksBefore = await db().select().from(assignments);

    // the contact's 推荐 and the card it is on: refused, the materials shown without the form
    const recommend = await h.click(lapsed.contact, { action: 'endorse.recommend', applicationId: lapsed.application.id }, { truthful: true, opinion: '同意' });
    expect(recommend.toast).toMatchObject({ type: 'info', content: expect.stringContaining(REFUSAL) });
    expect(recommend.toast?.content).toContain('第十七条');
    expect(recommend.toast?.content).toContain('不能再推荐这份申报');
    expect(formFieldNames(recommend.card.data)).toEqual([]);
    const card = await h.click(lapsed.contact, { action: 'endorse.open', applicationId: lapsed.application.id });
    expect(card.toast).toMatchObject({ type: 'info', content: expect.stringContaining(REFUSAL) });
    expect(formFieldNames(card.card.data)).toEqual([]);
    expect(cardText(card.card.data)).toContain('成果2');
    expect((await applicationOf(lapsed.application.id)).status).toBe('submitted');
    // nor is it waiting for its contact, and the leader's 进度 still says it is out of the year
    const waiting = await h.click(lapsed.contact, { action: 'endorse.list' });
    expect(cardText(waiting.card.data)).toContain('目前没有等待你确认的申报');
    const before = h.fake.messages.length;
    await h.say(lapsed.leader, '进度');
    const status = h.fake.messages.slice(before).find((m) => m.receiveId === lapsed.leader);
    expect(cardText(status?.content)).toContain('未参加本年度评审');

    // 受理 of one recommended during the reopen (as the 推荐 refused above once let through), and of the lapsed one
    const unchecked = await seedTeam(cycleId, 3, 'recommended');
    const accept = await h.click(ADMIN, { action: 'check.accept', applicationId: unchecked.application.id });
    expect(accept.toast).toMatchObject({ type: 'info', content: expect.stringContaining(REFUSAL) });
    expect(accept.toast?.content).toContain('不能再受理申报');
    expect((await applicationOf(unchecked.application.id)).status).toBe('recommended');
    expect((await h.click(ADMIN, { action: 'check.accept', applicationId: lapsed.application.id })).toast?.type).not.toBe('success');

    // 分配专家: refused, no task added
    const assign = await h.click(ADMIN, { action: 'review.assign', cycleId });
    expect(assign.toast).toMatchObject({ type: 'info', content: expect.stringContaining(`2027年度${REFUSAL}，不能再分配专家`) });
    expect(await db().select().from(assignments)).toHaveLength(tasksBefore.length);

    // 退回 still takes it out, or the second 汇总 would wait for its formal check; out of the year, it is confirmed first
    const typed = { [`reason_${unchecked.application.id}`]: '评分已汇总，本年度不再受理' };
    const asked = await h.click(ADMIN, { action: 'check.return', applicationId: unchecked.application.id }, typed);
    expect(asked.toast?.content).toContain('这份申报将不参加');
    const back = await h.click(ADMIN, { action: 'check.return', applicationId: unchecked.application.id, late: true }, typed);
    expect(back.toast?.type).toBe('success');
    expect((await applicationOf(unchecked.application.id)).status).toBe('returned');

    // what the reopen is for still works: the sheet submitted again, summed again, published
    expect((await h.click(reopened.expertOpenId, { action: 'review.submit', assignmentId: reopened.id }, scoreForm(95))).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.publish', cycleId })).toast?.type).toBe('success');
    expect(Number((await applicationOf(scored.application.id)).finalScore)).toBe(95);
    expect((await applicationOf(lapsed.application.id)).status).toBe('submitted');
    expect(await db().select().from(honours).where(eq(honours.teamId, lapsed.team.id))).toHaveLength(0);
    expect(await db().select().from(honours).where(eq(honours.teamId, unchecked.team.id))).toHaveLength(0);
  });

  it('分配专家 during the reopen gives no summed application a new place on its panel', async () => {
    const cycleId = await openCycle(2);
    const a = await seedTeam(cycleId, 1, 'accepted');
    const b = await seedTeam(cycleId, 2, 'accepted');
    await addExperts([EXPERTS[0]]); // one expert: panels of one of two
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    await sumThenReopen(cycleId, a.application.id);
    const bSummed = await applicationOf(b.application.id);
    expect(bSummed.status).toBe('scored');

    // the admin card and 评审进度 no longer offer 分配专家, and say why
    for (const view of [await h.click(ADMIN, { action: 'admin.menu' }), await h.click(ADMIN, { action: 'review.progress', cycleId })]) {
      expect(JSON.stringify(view.card)).not.toContain('"review.assign"');
      expect(cardText(view.card!.data)).toContain('不再分配专家');
    }

    await addExperts([EXPERTS[1]]); // a second expert joins the pool while the sheet is reopened
    const assign = await h.click(ADMIN, { action: 'review.assign', cycleId });
    expect(assign.toast).toMatchObject({ type: 'info', content: expect.stringContaining(REFUSAL) });
    expect(await db().select().from(assignments).where(eq(assignments.applicationId, b.application.id))).toHaveLength(1);
    expect(await db().select().from(assignments).where(eq(assignments.applicationId, a.application.id))).toHaveLength(1);

    // 重试 on the 截止申报 job's card, the job failed: refused up front as well, the job left failed
    const [job] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'assign'));
    await db().update(bulkJobs).set({ status: 'failed', error: '网络超时', finishedAt: new Date() }).where(eq(bulkJobs.id, job.id));
    const retry = await h.click(ADMIN, { action: 'bulk.retry', jobId: job.id });
    await h.drain();
    expect(retry.toast).toMatchObject({ type: 'info', content: expect.stringContaining(REFUSAL) });
    expect((await db().select().from(bulkJobs).where(eq(bulkJobs.id, job.id)))[0].status).toBe('failed');
    expect(await db().select().from(assignments).where(eq(assignments.applicationId, b.application.id))).toHaveLength(1);
    const bAfter = await applicationOf(b.application.id);
    expect([bAfter.status, bAfter.finalScore]).toEqual(['scored', bSummed.finalScore]);
  });

  it('谢绝 and 更换专家 of the reopened sheet are refused: no expert who never scored joins a summed panel', async () => {
    const cycleId = await openCycle(2);
    const a = await seedTeam(cycleId, 1, 'accepted');
    await addExperts(EXPERTS.slice(0, 2));
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    const reopened = await sumThenReopen(cycleId, a.application.id);
    await addExperts([EXPERTS[2]]); // free to replace anyone, had the panel not been summed
    await h.drain(); // their welcome to the pool (你已加入评审专家库) is all they hear
    const toNewExpert = h.fake.messages.filter((m) => m.receiveId === EXPERTS[2]).length;
    const tasksBefore = await db().select().from(assignments).orderBy(asc(assignments.id));

    // the expert's 谢绝: refused before the reason is asked for, and its form (an old copy) refused too
    const form = await h.click(reopened.expertOpenId, { action: 'review.declineForm', assignmentId: reopened.id });
    expect(form.toast).toMatchObject({ type: 'info', content: expect.stringContaining(`2027年度${REFUSAL}，不能谢绝`) });
    expect(formFieldNames(form.card?.data ?? {})).not.toContain('reason');
    const decline = await h.click(reopened.expertOpenId, { action: 'review.decline', assignmentId: reopened.id }, { kind: 'unavailable', reason: '出差' });
    expect(decline.toast).toMatchObject({ type: 'info', content: expect.stringContaining(`${REFUSAL}，不能谢绝`) });
    // the administrator's 更换专家
    const swap = await h.click(ADMIN, { action: 'review.swap', assignmentId: reopened.id });
    expect(swap.toast).toMatchObject({ type: 'info', content: expect.stringContaining(`${REFUSAL}，不能更换专家`) });
    await h.drain();
    expect(await db().select().from(assignments).orderBy(asc(assignments.id))).toEqual(tasksBefore);
    expect(h.fake.messages.filter((m) => m.receiveId === EXPERTS[2])).toHaveLength(toNewExpert);

    // what the reopen is for still works
    expect((await h.click(reopened.expertOpenId, { action: 'review.submit', assignmentId: reopened.id }, scoreForm(95))).toast?.type).toBe('success');
  });

  it('a conflict declared after 汇总: the administrator reopens that sheet and 更换专家 takes the expert off (回避), and the year closes again', async () => {
    const cycleId = await openCycle(2);
    const a = await seedTeam(cycleId, 1, 'accepted');
    await addExperts(EXPERTS.slice(0, 2));
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    for (const t of await db().select().from(assignments)) expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90))).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    await addExperts([EXPERTS[2]]);
    const [conflicted] = await db().select().from(assignments).where(eq(assignments.applicationId, a.application.id)).orderBy(asc(assignments.id)).limit(1);

    // the expert declares the conflict; the administrators' alert says: 重开评分, then 更换专家
    const declared = await h.click(conflicted.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: a.team.code, reason: '亲属在该班组' });
    expect(declared.toast?.type).toBe('success');
    await h.drain();
    const alert = h.fake.messages.find((m) => m.receiveId === ADMIN && cardText(m.content).includes('声明与'));
    expect(cardText(alert?.content)).toContain('先“重开评分”，再“更换专家”');
    // reopened for 更换专家: the expert who must step aside is not sent the sheet, and the answer says what is left to do
    expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: conflicted.id })).toast).toMatchObject({ type: 'warning', content: expect.stringContaining('未通知其重新评分，请接着点该专家的“更换专家”') });
    const swap = await h.click(ADMIN, { action: 'review.swap', assignmentId: conflicted.id });
    expect(swap.toast?.type, JSON.stringify(swap.toast)).toBe('success');
    const [replacement] = await db().select().from(assignments).where(eq(assignments.expertOpenId, EXPERTS[2]));
    expect(replacement).toMatchObject({ applicationId: a.application.id, status: 'assigned' });
    expect((await db().select().from(assignments).where(eq(assignments.id, conflicted.id)))[0].status).toBe('replaced');
    // the expert's 评分任务 says where the task went, not that none was ever given
    const list = await h.click(conflicted.expertOpenId, { action: 'review.list' });
    expect(cardText(list.card?.data)).toContain('你在2027年度的评分任务：1 项已由协会改派；目前没有待评任务。');

    // the new expert scores it, and the year is summed again without the conflicted sheet
    expect((await h.click(EXPERTS[2], { action: 'review.submit', assignmentId: replacement.id }, scoreForm(95))).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    expect((await db().select({ status: cycles.status }).from(cycles))[0].status).toBe('closed');

    // an expert with no conflict still cannot be swapped off a summed panel (the case above)
    const [other] = await db().select().from(assignments).where(eq(assignments.expertOpenId, EXPERTS[1]));
    expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: other.id })).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'review.swap', assignmentId: other.id })).toast).toMatchObject({ type: 'info', content: expect.stringContaining(`${REFUSAL}，不能更换专家`) });
  });
});
