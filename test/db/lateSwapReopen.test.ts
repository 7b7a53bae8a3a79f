import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 更换专家 and 重开评分 give a sheet to an expert to score. Done after the year's 评分截止 (专家评分截止日期), the
 * administrator's answer says the deadline has passed and that it is moved in 修改设置 on the 管理 card: the expert's card
 * shows that date. On the deadline's day itself, or once the deadline is moved, nothing more is said. The one-statement
 * paths answer the same.
 */
const EXPERTS = Array.from({ length: 3 }, (_, i) => `ou_lateswapreopen0000000000000000${i + 1}`);
const LATE = '注意：本年度专家评分截止日期（2027年6月30日）已过，如需给专家留出评分时间，请在“管理”卡片点“修改设置”延后专家评分截止日期。';

describe.each(MODES_HERE)('更换专家 and 重开评分 after the 评分截止 (%s path)', (mode) => {
  let h: Harness;
  const clock = new ManualClock('2027-03-05T09:00:00+08:00');
  beforeEach(async () => {
    await h?.close();
    clock.set('2027-03-05T09:00:00+08:00');
    h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => h.db.db;

  /** The 2027 cycle (评分截止 2027-06-30), one accepted application, a panel of one from a pool of three experts. */
  async function seedYear() {
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '1' });
    expect(opened.toast?.type).toBe('success');
    const [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
    const leader = 'ou_lateswapreopenleader00000000001';
    const contact = 'ou_lateswapreopencontact0000000001';
    const [o] = await db().insert(organizations).values({ name: '广东逾期市政公司' }).returning();
    await db().insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'], organizationId: o.id }]);
    const [team] = await db()
      .insert(teams)
      .values({
        code: 'GDSZ-2025-0001', name: '逾期一班', organizationId: o.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
        memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
      })
      .returning();
    await db().insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
    await db()
      .insert(applications)
      .values({
        teamId: team.id, cycleId, status: 'accepted', form: { title: '成果1', category: 'engineering', summary: '成果简介', materialsUrl: 'https://example.feishu.cn/docx/x' },
        submittedAt: new Date('2027-03-04T00:00:00Z'), endorsement: { decision: 'recommend', truthful: true, opinion: '同意', by: contact, at: '2027-03-04T00:00:00Z' },
      });
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '', maxLoad: '20' })).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    return { cycleId };
  }

  const pending = async () => (await db().select().from(assignments).where(eq(assignments.status, 'assigned')).orderBy(asc(assignments.id)))[0];

  it('更换专家: on the deadline’s day as ever; the day after, the answer says the deadline has passed and where to move it', async () => {
    await seedYear();
    clock.set('2027-06-30T23:00:00+08:00');
    const onTheDay = await h.click(ADMIN, { action: 'review.swap', assignmentId: (await pending()).id });
    expect(onTheDay.toast).toEqual({ type: 'success', content: '已更换专家：逾期一班' });

    clock.set('2027-07-01T08:00:00+08:00');
    const late = await h.click(ADMIN, { action: 'review.swap', assignmentId: (await pending()).id });
    expect(late.toast).toEqual({ type: 'success', content: `已更换专家：逾期一班。${LATE}` });
    expect(cardActions(late.card.data).some((v) => v.action === 'review.swap')).toBe(true);
  });

  it('重开评分: after the deadline the answer says so; after 修改设置 moves it, nothing more is said', async () => {
    const { cycleId } = await seedYear();
    const task = await pending();
    expect((await h.click(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, scoreForm(90))).toast?.type).toBe('success');

    clock.set('2027-07-02T10:00:00+08:00');
    const late = await h.click(ADMIN, { action: 'review.reopen', assignmentId: task.id });
    expect(late.toast).toEqual({ type: 'success', content: `已重开评分并通知专家：逾期一班。${LATE}` });

    // the advice works: 修改设置 on the 管理 card moves the deadline, and the next reopen says nothing of it
    const admin = await h.click(ADMIN, { action: 'admin.menu' });
    expect(cardActions(admin.card.data)).toContainEqual({ action: 'cycle.settings', cycleId });
    expect((await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { scoringDeadline: '2027-07-10' })).toast?.type).toBe('success');
    expect((await h.click(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, scoreForm(92))).toast?.type).toBe('success');
    const moved = await h.click(ADMIN, { action: 'review.reopen', assignmentId: task.id });
    expect(moved.toast).toEqual({ type: 'success', content: '已重开评分并通知专家：逾期一班' });
  });

  it('重开评分 after 结束评分并汇总, past the deadline: the answer says so', async () => {
    const { cycleId } = await seedYear();
    const task = await pending();
    expect((await h.click(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, scoreForm(90))).toast?.type).toBe('success');
    clock.set('2027-07-05T10:00:00+08:00');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    const late = await h.click(ADMIN, { action: 'review.reopen', assignmentId: task.id });
    expect(late.toast).toEqual({ type: 'success', content: `已重开评分并通知专家：逾期一班。${LATE}` });
    expect((await db().select({ status: cycles.status }).from(cycles))[0].status).toBe('scoring');
  });
});
