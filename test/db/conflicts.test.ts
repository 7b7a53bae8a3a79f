import { and, asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, conflicts, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { SentMessage } from '../../src/local/fakeOpenPlatform.js';
import { cardActions, cardText, expectValidCard, formFieldNames } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * 声明利益冲突 (第十七条) through signed callbacks, drawn from its descriptor: the form, refusals that keep
 * what was typed, and a declaration that re-assigns the expert's pending task (or, with nobody left, tells
 * the administrators). Also 评审进度 as the results feature draws it after a refusal.
 */

const POOL_ORG = '广东省市政行业专家委员会';
const E = Array.from({ length: 3 }, (_, i) => `ou_conflictexpert00000000000000000${i + 1}`);

let h: Harness;
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const db = () => h.db.db;
const cardsTo = (id: string) => h.fake.messages.filter((m) => m.receiveId === id && m.msgType === 'interactive');
const isTaskCard = (m: SentMessage, assignmentId: number) => cardActions(m.content).some((a) => a.action === 'review.submit' && a.assignmentId === assignmentId);

async function seedAcceptedTeam(cycleId: number, n: number, org: string) {
  const leader = `ou_conflictleader000000000000000000${n}`;
  const [o] = await db().insert(organizations).values({ name: org }).returning();
  await db().insert(people).values({ openId: leader });
  const [team] = await db()
    .insert(teams)
    .values({
      code: `GDSZ-2025-010${n}`, name: `${org.slice(0, 2)}市政${n}班`, organizationId: o.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
      memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: leader, registeredAt: '2025-01-10',
    })
    .returning();
  await db().insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
  const [application] = await db()
    .insert(applications)
    .values({ teamId: team.id, cycleId, status: 'accepted', form: { title: `${org}成果`, category: 'engineering', summary: '成果简介', materialsUrl: 'https://example.feishu.cn/docx/x' }, submittedAt: new Date('2027-04-01T00:00:00Z') })
    .returning();
  return { team, application, organization: org };
}

const pendingOf = (applicationId: number) =>
  db().select().from(assignments).where(and(eq(assignments.applicationId, applicationId), eq(assignments.status, 'assigned'))).orderBy(asc(assignments.id));

describe('声明利益冲突 through signed callbacks', () => {
  let cycleId: number;
  let teamB: Awaited<ReturnType<typeof seedAcceptedTeam>>;

  it('sets up: a cycle of two experts a panel, two accepted teams, three experts, tasks assigned', async () => {
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, {
      year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '2',
    });
    expect(opened.toast.type).toBe('success');
    [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
    await seedAcceptedTeam(cycleId, 1, '广州市市政工程维修有限公司');
    teamB = await seedAcceptedTeam(cycleId, 2, '深圳市政建设集团');
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: E, organization: POOL_ORG })).toast.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'review.assign', cycleId })).toast.type).toBe('success');
    expect(await pendingOf(teamB.application.id)).toHaveLength(2);
  });

  it('the form is drawn from its descriptor; a refusal names the field and keeps what was typed, storing nothing', async () => {
    const formCard = await h.click(E[0], { action: 'experts.conflictForm' });
    expectValidCard(formCard.card.data);
    expect(formFieldNames(formCard.card.data)).toEqual(['kind', 'target', 'reason']);
    // the label above the select (markdown, its * escaped); the select's placeholder names the field alone
    expect(cardText(formCard.card.data)).toContain('**冲突对象 &#42;（第十七条）**');

    const unknown = await h.click(E[0], { action: 'experts.conflictAdd' }, { kind: 'team', target: 'GDSZ-1999-0001', reason: '曾任该班组技术顾问' });
    expect(unknown.toast).toMatchObject({ type: 'error', content: expect.stringContaining('找不到编号或名称为“GDSZ-1999-0001”的班组') });
    expectValidCard(unknown.card.data);
    const json = JSON.stringify(unknown.card.data);
    expect(json).toContain('"initial_option":"team"');
    expect(json).toContain('"default_value":"GDSZ-1999-0001"');
    expect(json).toContain('"default_value":"曾任该班组技术顾问"');

    const noReason = await h.click(E[0], { action: 'experts.conflictAdd' }, { kind: 'organization', target: teamB.organization, reason: '  ' });
    expect(noReason.toast.content).toContain('请填写冲突原因');
    expect(JSON.stringify(noReason.card.data)).toContain(`"default_value":"${teamB.organization}"`);
    expect(await db().select().from(conflicts)).toEqual([]);
  });

  it('a declaration re-assigns the pending task it touches: the replacement gets the task card', async () => {
    const [task] = await pendingOf(teamB.application.id);
    const onPanel = new Set((await pendingOf(teamB.application.id)).map((a) => a.expertOpenId));
    const res = await h.click(task.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: teamB.team.code.toLowerCase(), reason: '曾任该班组技术顾问' });
    expect(res.toast).toEqual({ type: 'success', content: `已声明与“${teamB.team.code} ${teamB.team.name}”存在利益冲突，其 1 项未完成的评分任务已改派其他专家。` });
    expectValidCard(res.card.data);
    expect(cardText(res.card.data)).toContain(`班组：${teamB.team.code} ${teamB.team.name}（曾任该班组技术顾问）`);
    expect((await db().select().from(assignments).where(eq(assignments.id, task.id)))[0].status).toBe('declined');
    const now = await pendingOf(teamB.application.id);
    expect(now).toHaveLength(2);
    const replacement = now.find((a) => !onPanel.has(a.expertOpenId))!;
    expect(replacement.expertOpenId).not.toBe(task.expertOpenId);
    const sent = cardsTo(replacement.expertOpenId).filter((m) => isTaskCard(m, replacement.id));
    expect(sent).toHaveLength(1);
    expectValidCard(sent[0].content);
  });

  it('with nobody left to take the task, the administrators are told why', async () => {
    const before = cardsTo(ADMIN).length;
    const [task] = await pendingOf(teamB.application.id);
    // typed with the stop a phone's keyboard adds: the organisation all the same
    const res = await h.click(task.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'organization', target: `${teamB.organization}。`, reason: '亲属在该单位' });
    expect(res.toast).toEqual({ type: 'success', content: `已声明与“${teamB.organization}”存在利益冲突，1 项暂无专家可以接替，已告知协会管理员。` });
    const alerts = cardsTo(ADMIN).slice(before).filter((m) => cardText(m.content).includes('无法自动改派专家'));
    expect(alerts).toHaveLength(1);
    expect(cardText(alerts[0].content)).toContain(`${teamB.team.code} ${teamB.team.name}`);
    expect(cardText(alerts[0].content)).toContain('专家声明了利益冲突');
    expect(cardActions(alerts[0].content)).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'review.panel', applicationId: teamB.application.id })]));
    const declared = await db().select().from(conflicts).where(inArray(conflicts.expertOpenId, E));
    expect(declared).toHaveLength(2);
  });

  it('评审结果 asked for while experts still score: the results feature answers with 评审进度 and the reason', async () => {
    const res = await h.click(ADMIN, { action: 'results.preview', cycleId });
    expect(res.toast).toEqual({ type: 'info', content: '专家评分尚未汇总：请在“评审进度”中点“结束评分并汇总”。' });
    expectValidCard(res.card.data);
    const text = cardText(res.card.data);
    expect(text).toContain('专家评分尚未汇总');
    expect(text).toContain('2027年度评审');
    expect(text).toContain('评分任务');
    // the same card as 评审进度 itself, but for the reason on top
    const progress = await h.click(ADMIN, { action: 'review.progress', cycleId });
    expect(cardActions(res.card.data)).toEqual(cardActions(progress.card.data));
    expect(text).toContain('**评分任务**：已提交 0 / 3 · 谢绝 2');
    expect(cardText(progress.card.data)).toContain('**评分任务**：已提交 0 / 3 · 谢绝 2');
    expect(cardText(progress.card.data)).not.toContain('专家评分尚未汇总');
  });

  it('a reason as long as the form allows declares the conflict; the task it touches is declined with the reason, not refused', async () => {
    const [teamA] = await db().select().from(teams).where(eq(teams.code, 'GDSZ-2025-0101'));
    const [app] = await db().select().from(applications).where(eq(applications.teamId, teamA.id));
    const [task] = await pendingOf(app.id);
    const reason = '曾在该班组任技术顾问'.repeat(50);
    expect(reason).toHaveLength(500);
    const res = await h.click(task.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: teamA.code, reason });
    expect(res.toast.type).toBe('success');
    expect(res.toast.content).toContain(`已声明与“${teamA.code} ${teamA.name}”存在利益冲突`);
    const [declined] = await db().select().from(assignments).where(eq(assignments.id, task.id));
    expect(declined.status).toBe('declined');
    expect(declined.declineReason).toMatch(/^声明利益冲突：曾在该班组任技术顾问/);
    const [declared] = await db().select().from(conflicts).where(and(eq(conflicts.expertOpenId, task.expertOpenId), eq(conflicts.teamId, teamA.id)));
    expect(declared.reason).toBe(reason);
  });

  it('a panel short before the declaration gets the one expert who may come; the toast and the administrators say it is still short', async () => {
    const teamC = await seedAcceptedTeam(cycleId, 3, '佛山市政建设公司');
    // a panel of two with one member; of the other experts only E[1] may come (E[2] is no longer active)
    await db().update(applications).set({ status: 'scoring' }).where(eq(applications.id, teamC.application.id));
    await db().insert(assignments).values({ applicationId: teamC.application.id, expertOpenId: E[0], status: 'assigned' });
    await db().update(people).set({ expertActive: false }).where(eq(people.openId, E[2]));
    const before = cardsTo(ADMIN).length;
    const res = await h.click(E[0], { action: 'experts.conflictAdd' }, { kind: 'team', target: teamC.team.code, reason: '曾任该班组技术顾问' });
    expect(res.toast).toEqual({ type: 'success', content: `已声明与“${teamC.team.code} ${teamC.team.name}”存在利益冲突，1 项暂无专家可以接替，已告知协会管理员。` });
    const now = await pendingOf(teamC.application.id);
    expect(now.map((a) => a.expertOpenId)).toEqual([E[1]]);
    expect(cardsTo(E[1]).filter((m) => isTaskCard(m, now[0].id))).toHaveLength(1);
    const alerts = cardsTo(ADMIN).slice(before).filter((m) => cardText(m.content).includes('专家组仍未配齐'));
    expect(alerts).toHaveLength(1);
    expect(cardText(alerts[0].content)).toContain('已有 1 位专家接替，其余没有符合条件的专家可以接替');
    expectValidCard(alerts[0].content);
  });
});
