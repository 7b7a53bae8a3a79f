import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * What an expert is told became of a place they left, through the card callbacks:
 * - the bot stepping an expert aside from a team (第十七条, 添加成员) told them “…评分任务已改派其他专家” even when no
 *   expert was free to take the place; they are now told nobody could and the administrators were told (who are:
 *   无法自动改派专家), or that the panel, one expert too large, needed nobody.
 * - on a panel that held one expert too many, old buttons of a declined task (评分, 提交评分, a second 谢绝) said
 *   “协会已另行安排其他专家” though nobody was arranged: the panel count alone was read. They now say the panel needed nobody.
 * - with nobody free, the old buttons ended “…无需评分。” with no word that the administrators were told, as a fresh 谢绝 says.
 * - a task declined from such a panel (it needed nobody) was said to be taken by “另行安排其他专家” once another expert's
 *   谢绝 brought one to the panel: that expert came for the other place. The decline's own replacement row says the
 *   panel needed nobody then, and that stands while the panel is full; once another expert's 谢绝 with nobody free left
 *   it short, they kept saying “该申报的专家组人数已足”: they now say it of the time they left (你谢绝时 / 你回避时).
 * - a 谢绝 with nobody free was said to be taken in part (“已有专家接替，但专家组仍未配齐”) once an administrator's
 *   更换专家 of another expert brought one who filled only the place the swap opened; it still says nobody could.
 */

const COMMITTEE = '广东省市政行业专家委员会';
const cycleForm = { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '3' };
const P = (n: number) => `ou_placetruth${String(n).padStart(22, '0')}`;
const NOBODY = '暂无专家可以接替，已告知协会管理员另行安排。';
const UNNEEDED = '该申报的专家组人数已足，无需其他专家接替。';
const UNNEEDED_THEN = '你谢绝时该申报的专家组人数已足，无需其他专家接替。';

async function teamWithApplication(h: Harness, cycleId: number, n: number, leader: string) {
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: `接替说明单位${n}` }).returning();
  await db.insert(people).values({ openId: leader }).onConflictDoNothing();
  const [team] = await db
    .insert(teams)
    .values({
      code: `GDSZ-2025-${String(600 + n).padStart(4, '0')}`, name: `接替说明${n}班`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
      memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: leader, registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
  const [application] = await db.insert(applications).values({ teamId: team.id, cycleId, status: 'scoring', form: { title: '成果', category: 'engineering' }, submittedAt: new Date('2027-04-01T00:00:00Z') }).returning();
  return { team, app: application.id };
}

const taskOf = async (h: Harness, applicationId: number, expert: string) =>
  (await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, applicationId), eq(assignments.expertOpenId, expert))))[0];
const outboxLike = (h: Harness, pattern: string) => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, pattern)).orderBy(asc(outbox.id));
const toldOf = async (h: Harness, teamId: number, openId: string) => (await outboxLike(h, `review:recused:${teamId}:${openId}:%`)).map((r) => (r.card as { text: string }).text);

describe('what an expert is told became of the place they left', () => {
  let h: Harness;
  let cycleId: number;

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    expect((await h.click(ADMIN, { action: 'cycle.open' }, cycleForm)).toast.type).toBe('success');
    // the pool is exactly the experts on the panels below: nobody is free to take a place
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [1, 2, 3, 4].map(P), organization: COMMITTEE })).toast.type).toBe('success');
    [{ id: cycleId }] = await h.db.db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  }, 120_000);
  afterAll(async () => h?.close());

  it('stepped aside by the bot with nobody free: not “已改派其他专家”; nobody could, and the administrators are told', async () => {
    const { team, app } = await teamWithApplication(h, cycleId, 1, 'ou_placetruthleader0000000000000001');
    await h.db.db.insert(assignments).values([1, 2, 3].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    // P(4) would be free: it is on the panel's team as a member already, so no replacement can be it
    await h.db.db.insert(teamMembers).values({ teamId: team.id, openId: P(4), role: 'member' });
    const added = await h.click(team.leaderOpenId, { action: 'team.memberAdd', teamId: team.id }, { members: [P(1)] });
    expect(added.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
    const old = await taskOf(h, app, P(1));
    expect(old.status).toBe('declined');
    const told = await toldOf(h, team.id, P(1));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('第十七条：评审坚持公开、公平和公正原则。');
    expect(told[0]).not.toContain('改派其他专家');
    expect(told[0]).toContain(`你尚未提交的 1 项该班组申报的评分任务已不再由你评审，你无需再为它评分；${NOBODY}`);
    // the administrators do learn the panel is short
    const alerts = await outboxLike(h, `review:unfilled:${old.id}%`);
    expect(alerts.map((a) => a.receiver)).toEqual([ADMIN]);
    expect(cardText(alerts[0].card)).toContain('无法自动改派专家');
    expect(cardText(alerts[0].card)).toContain(team.name);
    // the old card's 评分 says no word of another expert, and that the administrators were told
    const opened = await h.click(P(1), { action: 'review.open', assignmentId: old.id });
    expect(opened.toast.content).not.toContain('其他专家');
    expect(opened.toast.content).toContain(`这项任务无需你评分；${NOBODY}`);
  });

  describe('a panel that held one expert too many', () => {
    let team: { id: number; name: string; leaderOpenId: string };
    let app: number;
    beforeAll(async () => {
      ({ team, app } = await teamWithApplication(h, cycleId, 2, 'ou_placetruthleader0000000000000002'));
      await h.db.db.insert(assignments).values([1, 2, 3, 4].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    });

    it('stepped aside by the bot: told the panel needed nobody, not “已改派其他专家”; no alert of a short panel', async () => {
      const added = await h.click(team.leaderOpenId, { action: 'team.memberAdd', teamId: team.id }, { members: [P(4)] });
      expect(added.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
      const old = await taskOf(h, app, P(4));
      expect(old.status).toBe('declined');
      const told = await toldOf(h, team.id, P(4));
      expect(told[0]).not.toContain('改派其他专家');
      expect(told[0]).toContain(`你尚未提交的 1 项该班组申报的评分任务已不再由你评审，你无需再为它评分；${UNNEEDED}`);
      expect(await outboxLike(h, `review:unfilled:${old.id}%`)).toEqual([]);
      // its old 评分 button: the panel needed nobody, not “协会已另行安排其他专家”
      const opened = await h.click(P(4), { action: 'review.open', assignmentId: old.id });
      expect(opened.toast.content).not.toContain('另行安排');
      expect(opened.toast.content).toContain(`；${UNNEEDED}`);
    });
  });

  describe('谢绝 on a panel that held one expert too many', () => {
    let app: number;
    beforeAll(async () => {
      ({ app } = await teamWithApplication(h, cycleId, 3, 'ou_placetruthleader0000000000000003'));
      await h.db.db.insert(assignments).values([1, 2, 3, 4].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    });

    it('the 谢绝 says the panel needed nobody, and so do the old card’s 评分, 提交评分 and a second 谢绝', async () => {
      const t = await taskOf(h, app, P(2));
      const declined = await h.click(P(2), { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(declined.toast.content).toContain(UNNEEDED);
      const opened = await h.click(P(2), { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe(`你已谢绝这项评分任务，无需评分；${UNNEEDED}`);
      const submitted = await h.click(P(2), { action: 'review.submit', assignmentId: t.id }, { comment: '' });
      expect(submitted.toast.content).not.toContain('另行安排');
      expect(submitted.toast.content).toContain('你已谢绝这项评分任务，该申报的专家组人数已足，无需其他专家接替，这份评分表无需再提交。');
      expect(cardText(submitted.card.data)).not.toContain('另行安排');
      const again = await h.click(P(2), { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(again.toast.content).not.toContain('另行安排');
      expect(again.toast.content).toContain('谢绝这项评分任务，该申报的专家组人数已足，无需其他专家接替，无需重复谢绝。');
      expect(cardText(again.card.data)).toContain(UNNEEDED);
    });
  });

  it('谢绝 with nobody free, then 分配专家 brings an expert to the panel: the old 评分 says another expert was arranged', async () => {
    const { team, app } = await teamWithApplication(h, cycleId, 4, 'ou_placetruthleader0000000000000004');
    await h.db.db.insert(assignments).values([1, 2, 3].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    await h.db.db.insert(teamMembers).values({ teamId: team.id, openId: P(4), role: 'member' });
    const t = await taskOf(h, app, P(3));
    const declined = await h.click(P(3), { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
    expect(declined.toast.content).toContain(NOBODY);
    expect((await h.click(P(3), { action: 'review.open', assignmentId: t.id })).toast.content).toBe(`你已谢绝这项评分任务，无需评分；${NOBODY}`);
    const submitted = await h.click(P(3), { action: 'review.submit', assignmentId: t.id }, { comment: '' });
    expect(submitted.toast.content).toBe(`你已谢绝这项评分任务，${NOBODY.replace(/。$/, '')}，这份评分表无需再提交。`);
    // a new expert joins the pool and 分配专家 fills the panel
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [P(5)], organization: COMMITTEE })).toast.type).toBe('success');
    const assigned = await h.click(ADMIN, { action: 'review.assign', cycleId });
    expect(assigned.toast.type, assigned.toast.content).not.toBe('error');
    await h.drain();
    expect((await taskOf(h, app, P(5)))?.status).toBe('assigned');
    expect((await h.click(P(3), { action: 'review.open', assignmentId: t.id })).toast.content).toBe('你已谢绝这项评分任务，无需评分；协会已另行安排其他专家。');
  });

  it('谢绝 with nobody free, then another expert’s 谢绝 brings two experts, one to each place: the first one’s old 评分 says another expert was arranged', async () => {
    // a replacement fills every place its panel lacks, the earlier decline's too
    const { team, app } = await teamWithApplication(h, cycleId, 5, 'ou_placetruthleader0000000000000005');
    await h.db.db.insert(assignments).values([1, 2, 3].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    await h.db.db.insert(teamMembers).values([4, 5].map((n) => ({ teamId: team.id, openId: P(n), role: 'member' })));
    const first = await taskOf(h, app, P(1));
    const declined = await h.click(P(1), { action: 'review.decline', assignmentId: first.id }, { kind: 'unavailable', reason: '出差' });
    expect(declined.toast.content).toContain(NOBODY);
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [P(6), P(7)], organization: COMMITTEE })).toast.type).toBe('success');
    const second = await taskOf(h, app, P(2));
    expect((await h.click(P(2), { action: 'review.decline', assignmentId: second.id }, { kind: 'unavailable', reason: '生病' })).toast.type).toBe('success');
    expect((await taskOf(h, app, P(6)))?.status).toBe('assigned');
    expect((await taskOf(h, app, P(7)))?.status).toBe('assigned');
    expect((await h.click(P(1), { action: 'review.open', assignmentId: first.id })).toast.content).toBe('你已谢绝这项评分任务，无需评分；协会已另行安排其他专家。');
  });

  it('谢绝 on a panel that needed nobody, then another expert’s 谢绝 brings one for their place: the first one’s old buttons still say the panel needed nobody', async () => {
    const { app } = await teamWithApplication(h, cycleId, 6, 'ou_placetruthleader0000000000000006');
    await h.db.db.insert(assignments).values([1, 2, 3, 4].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    const first = await taskOf(h, app, P(2));
    expect((await h.click(P(2), { action: 'review.decline', assignmentId: first.id }, { kind: 'unavailable', reason: '出差' })).toast.content).toContain(UNNEEDED);
    // an expert free for this panel joins the pool: the second 谢绝 brings one, for its own place
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [P(8)], organization: COMMITTEE })).toast.type).toBe('success');
    const second = await taskOf(h, app, P(3));
    const declined = await h.click(P(3), { action: 'review.decline', assignmentId: second.id }, { kind: 'unavailable', reason: '生病' });
    expect(declined.toast.content).toContain('协会已另行安排其他专家评审。');
    const panel = await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, app), eq(assignments.status, 'assigned')));
    expect(panel).toHaveLength(3);
    const opened = await h.click(P(2), { action: 'review.open', assignmentId: first.id });
    expect(opened.toast.content).toBe(`你已谢绝这项评分任务，无需评分；${UNNEEDED}`);
    const submitted = await h.click(P(2), { action: 'review.submit', assignmentId: first.id }, { comment: '' });
    expect(submitted.toast.content).not.toContain('另行安排');
    expect(cardText(submitted.card.data)).toContain(UNNEEDED);
    const again = await h.click(P(2), { action: 'review.decline', assignmentId: first.id }, { kind: 'unavailable', reason: '出差' });
    expect(again.toast.content).toContain('谢绝这项评分任务，该申报的专家组人数已足，无需其他专家接替，无需重复谢绝。');
  });

  /** Every pool expert off the panel is made a member of its team: nobody is free to take a place on it. */
  async function nobodyFreeFor(teamId: number, panel: number[]) {
    const others = [4, 5, 6, 7, 8, 9].filter((n) => !panel.includes(n)).map(P);
    await h.db.db.insert(people).values(others.map((openId) => ({ openId }))).onConflictDoNothing();
    await h.db.db.insert(teamMembers).values(others.map((openId) => ({ teamId, openId, role: 'member' })));
  }

  it('谢绝 on a panel that needed nobody, then another expert’s 谢绝 with nobody free leaves it short: the first one’s old buttons say it was full when they declined, not that it is', async () => {
    const { team, app } = await teamWithApplication(h, cycleId, 7, 'ou_placetruthleader0000000000000007');
    await h.db.db.insert(assignments).values([1, 2, 3, 4].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    await nobodyFreeFor(team.id, [1, 2, 3, 4]);
    const first = await taskOf(h, app, P(2));
    expect((await h.click(P(2), { action: 'review.decline', assignmentId: first.id }, { kind: 'unavailable', reason: '出差' })).toast.content).toContain(UNNEEDED);
    const second = await taskOf(h, app, P(3));
    expect((await h.click(P(3), { action: 'review.decline', assignmentId: second.id }, { kind: 'unavailable', reason: '生病' })).toast.content).toContain(NOBODY);
    const panel = await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, app), eq(assignments.status, 'assigned')));
    expect(panel).toHaveLength(2);
    const opened = await h.click(P(2), { action: 'review.open', assignmentId: first.id });
    expect(opened.toast.content).toBe(`你已谢绝这项评分任务，无需评分；${UNNEEDED_THEN}`);
    const submitted = await h.click(P(2), { action: 'review.submit', assignmentId: first.id }, { comment: '' });
    expect(submitted.toast.content).toBe(`你已谢绝这项评分任务，${UNNEEDED_THEN.replace(/。$/, '')}，这份评分表无需再提交。`);
    // the card redrawn says what its toast says
    expect(cardText(submitted.card.data)).toContain(UNNEEDED_THEN);
    const again = await h.click(P(2), { action: 'review.decline', assignmentId: first.id }, { kind: 'unavailable', reason: '出差' });
    expect(again.toast.content).toContain(`谢绝这项评分任务，${UNNEEDED_THEN.replace(/。$/, '')}，无需重复谢绝。`);
    expect(cardText(again.card.data)).toContain(UNNEEDED_THEN);
  });

  it('stepped aside from a panel that needed nobody, then another expert’s 谢绝 with nobody free leaves it short: the old 评分 and the 须回避 card say it was full when they stepped aside', async () => {
    const { team, app } = await teamWithApplication(h, cycleId, 8, 'ou_placetruthleader0000000000000008');
    await h.db.db.insert(assignments).values([1, 2, 3, 4].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    await nobodyFreeFor(team.id, [1, 2, 3, 4]);
    expect((await h.click(team.leaderOpenId, { action: 'team.memberAdd', teamId: team.id }, { members: [P(4)] })).toast.type).toBe('success');
    const old = await taskOf(h, app, P(4));
    expect(old.status).toBe('declined');
    expect((await toldOf(h, team.id, P(4)))[0]).toContain(UNNEEDED);
    const other = await taskOf(h, app, P(1));
    expect((await h.click(P(1), { action: 'review.decline', assignmentId: other.id }, { kind: 'unavailable', reason: '出差' })).toast.content).toContain(NOBODY);
    const then = '你回避时该申报的专家组人数已足，无需其他专家接替。';
    const opened = await h.click(P(4), { action: 'review.open', assignmentId: old.id });
    expect(opened.toast.content).toContain(`这项任务无需你评分；${then}`);
    const again = await h.click(P(4), { action: 'review.decline', assignmentId: old.id }, { kind: 'unavailable', reason: '出差' });
    expect(again.toast.content).toContain(then);
    expect(cardText(again.card.data)).toContain('须回避');
    expect(cardText(again.card.data)).toContain(then);
  });

  it('谢绝 with nobody free, then 更换专家 of another expert brings one who fills only the place the swap opened: the old 评分 still says nobody could take it', async () => {
    const { team, app } = await teamWithApplication(h, cycleId, 9, 'ou_placetruthleader0000000000000009');
    await h.db.db.insert(assignments).values([1, 2, 3].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
    await nobodyFreeFor(team.id, [1, 2, 3]);
    const first = await taskOf(h, app, P(1));
    expect((await h.click(P(1), { action: 'review.decline', assignmentId: first.id }, { kind: 'unavailable', reason: '出差' })).toast.content).toContain(NOBODY);
    // one expert free for this panel joins the pool; the administrator swaps another expert out
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [P(10)], organization: COMMITTEE })).toast.type).toBe('success');
    const swapped = await h.click(ADMIN, { action: 'review.swap', assignmentId: (await taskOf(h, app, P(2))).id });
    expect(swapped.toast.content).toContain('专家组仍未配齐');
    expect((await taskOf(h, app, P(10)))?.status).toBe('assigned');
    const panel = await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, app), eq(assignments.status, 'assigned')));
    expect(panel.map((t) => t.expertOpenId).sort()).toEqual([P(10), P(3)].sort());
    const opened = await h.click(P(1), { action: 'review.open', assignmentId: first.id });
    expect(opened.toast.content).toBe(`你已谢绝这项评分任务，无需评分；${NOBODY}`);
    const submitted = await h.click(P(1), { action: 'review.submit', assignmentId: first.id }, { comment: '' });
    expect(cardText(submitted.card.data)).toContain(NOBODY);
    expect(cardText(submitted.card.data)).not.toContain('已有专家接替');
  });
});
