import { and, asc, eq, like, notInArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, organizations, outbox, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * What an expert is told, on their old buttons, of a task declined without their 谢绝:
 *
 * - A task the bot stepped its expert aside from (回避, 第十七条: they became a member of the team) answered 评分 and the
 *   old card's 提交评分, 谢绝此任务 and 查看申报表全文 with “你已谢绝这项评分任务…”, though they pressed no 谢绝. They are
 *   told they must step aside from that team's review and why, that nothing is theirs to score, and that another expert
 *   was arranged only when one was.
 * - 提交评分 / 谢绝 on an old card of a task declined by 声明利益冲突 said “这项评分任务已由协会另行安排专家” with nobody to
 *   take it; it says so only when another expert took the place.
 * - 谢绝此任务 on such an old card answered with a toast only and left the card live with its buttons (提交评分 redrew it):
 *   it redraws it read-only too, 须回避 with why, or 已谢绝 for a declared conflict.
 * - With nobody free, the old buttons ended “…无需你评分。” with no word that the administrators were told, though they
 *   were (无法自动改派专家) and a fresh 谢绝 says so: they say it as the 谢绝 does.
 */
const NOBODY = '暂无专家可以接替，已告知协会管理员另行安排';
const EXPERTS = ['ou_truthful00000000000000000000001', 'ou_truthful00000000000000000000002', 'ou_truthful00000000000000000000003', 'ou_truthful00000000000000000000004', 'ou_truthful00000000000000000000005'];

for (const mode of MODES_HERE) {
  describe(`old buttons of a task declined without the expert's 谢绝 (${mode})`, () => {
    let h: Harness;
    let cycleId: number;
    let tasks: { id: number; expertOpenId: string }[];
    let team: { id: number; code: string; name: string; leaderOpenId: string; contactOpenId: string | null };
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 1, experts: 0, organizations: 2, year: 2030 }));
      await h.db.db.insert(people).values([...EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] }))]);
      expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id, expertOpenId: assignments.expertOpenId }).from(assignments).orderBy(asc(assignments.id));
      expect(tasks.length).toBe(3);
      [team] = await h.db.db
        .select({ id: teams.id, code: teams.code, name: teams.name, leaderOpenId: teams.leaderOpenId, contactOpenId: teams.contactOpenId })
        .from(teams)
        .innerJoin(applications, eq(applications.teamId, teams.id));
    });
    afterAll(async () => h?.close());

    const join = async (expert: string) => {
      const added = await h.click(ADMIN, { action: 'team.memberAdd', teamId: team.id }, { members: [expert] });
      expect(added.toast.type, added.toast.content).toBe('success');
    };
    const stepAside = (tail: string) => `第十七条：评审坚持公开、公平和公正原则。你是该班组的成员，须回避该班组（${team.name}）的评审${tail}`;

    it('stepped aside by the bot, another expert arranged: told why, nothing to score, another expert arranged; never “你已谢绝”', async () => {
      const [t] = tasks;
      await join(t.expertOpenId);
      expect((await h.db.db.select({ status: assignments.status }).from(assignments).where(eq(assignments.id, t.id)))[0].status).toBe('declined');
      const opened = await h.click(t.expertOpenId, { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe(stepAside('，这项任务无需你评分；协会已另行安排其他专家。'));
      const submitted = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90));
      expect(submitted.toast.content).toBe(stepAside('，这项任务无需你评分，这份评分表无需提交；协会已另行安排其他专家。'));
      expect(cardText(submitted.card.data)).not.toContain('谢绝');
      expect(cardText(submitted.card.data)).toContain('须回避');
      const form = await h.click(t.expertOpenId, { action: 'review.declineForm', assignmentId: t.id });
      expect(form.toast.content).toBe(stepAside('，这项任务无需你评分，无需谢绝；协会已另行安排其他专家。'));
      // the old card is redrawn read-only, as 提交评分 redraws it: no 谢绝此任务 or 提交评分 left on it
      const redrawn = cardText(form.card?.data);
      expect(redrawn).toContain(`须回避：${team.name}`);
      expect(redrawn).toContain('你是该班组的成员，须回避该班组的评审（第十七条），这项任务无需你评分。');
      expect(redrawn).toContain('协会已另行安排其他专家评审。');
      expect(redrawn).not.toContain('谢绝');
      expect(redrawn).not.toContain('提交评分');
      const declined = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(declined.toast.content).toBe(stepAside('，这项任务无需你评分，无需谢绝；协会已另行安排其他专家。'));
      expect(cardText(declined.card?.data)).toContain(`须回避：${team.name}`);
      const application = await h.click(t.expertOpenId, { action: 'review.application', assignmentId: t.id });
      expect(application.toast.content).toBe(stepAside('，申报表全文不再发给你。'));
    });

    it('stepped aside by the bot with nobody to take the place: no word of another expert', async () => {
      const t = tasks[1];
      const onPanel = (await h.db.db.select({ openId: assignments.expertOpenId }).from(assignments)).map((a) => a.openId);
      await h.db.db.update(people).set({ expertActive: false }).where(and(notInArray(people.openId, onPanel)));
      await join(t.expertOpenId);
      const opened = await h.click(t.expertOpenId, { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe(stepAside(`，这项任务无需你评分；${NOBODY}。`));
      const submitted = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90));
      expect(submitted.toast.content).toBe(stepAside(`，这项任务无需你评分，这份评分表无需提交；${NOBODY}。`));
      expect(cardText(submitted.card.data)).toContain(`${NOBODY}。`);
      const form = await h.click(t.expertOpenId, { action: 'review.declineForm', assignmentId: t.id });
      expect(form.toast.content).toBe(stepAside(`，这项任务无需你评分，无需谢绝；${NOBODY}。`));
      const redrawn = cardText(form.card?.data);
      expect(redrawn).toContain(`须回避：${team.name}`);
      expect(redrawn).toContain(`${NOBODY}。`);
      expect(redrawn).not.toContain('其他专家');
      const declined = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(declined.toast.content).toBe(stepAside(`，这项任务无需你评分，无需谢绝；${NOBODY}。`));
      expect(declined.toast.content).not.toContain('其他专家');
    });

    it('declined by 声明利益冲突 with nobody to take the place: 提交评分 and 谢绝 say no other expert was arranged', async () => {
      const t = tasks[2];
      const declared = await h.click(t.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: team.code, reason: '亲属在该班组' });
      expect(declared.toast.content).toContain('暂无专家可以接替');
      const opened = await h.click(t.expertOpenId, { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe(`你已声明利益冲突（第十七条），这项评分任务已因此谢绝，无需你评分；${NOBODY}。`);
      const submitted = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90));
      expect(submitted.toast.content).toBe(`你已声明利益冲突（第十七条），这项评分任务已因此谢绝，${NOBODY}，这份评分表无需再提交。`);
      const declined = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(declined.toast.content).toBe(`你已声明利益冲突（第十七条），这项评分任务已因此谢绝，${NOBODY}，无需再谢绝。`);
      // 谢绝此任务 on the old card: redrawn as the declined sheet it is, not left live
      const form = await h.click(t.expertOpenId, { action: 'review.declineForm', assignmentId: t.id });
      expect(form.toast.content).toBe(`你已声明利益冲突（第十七条），这项评分任务已因此谢绝，${NOBODY}，无需再谢绝。`);
      const redrawn = cardText(form.card?.data);
      expect(redrawn).toContain(`已谢绝：${team.name}`);
      expect(redrawn).toContain('声明利益冲突：亲属在该班组');
      expect(redrawn).toContain(`${NOBODY}。`);
      expect(redrawn).not.toContain('提交评分');
    });

  });
}

for (const mode of MODES_HERE) {
  describe(`old buttons of a task the bot declined when the expert's organisation became the team's (${mode})`, () => {
    let h: Harness;
    let tasks: { id: number; expertOpenId: string }[];
    let team: { name: string; organization: string };
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const { cycleId } = await seedLargeCycle(h.db.db, { applications: 1, experts: 0, organizations: 2, year: 2030 });
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id, expertOpenId: assignments.expertOpenId }).from(assignments).orderBy(asc(assignments.id));
      [team] = await h.db.db
        .select({ name: teams.name, organization: organizations.name })
        .from(teams)
        .innerJoin(applications, eq(applications.teamId, teams.id))
        .innerJoin(organizations, eq(organizations.id, teams.organizationId));
    });
    afterAll(async () => h?.close());

    it('添加专家 moving the expert into the team’s organisation: told they must step aside as of the same organisation, not “你已谢绝”', async () => {
      const [t] = tasks;
      const moved = await h.click(ADMIN, { action: 'experts.add' }, { experts: [t.expertOpenId], organization: team.organization });
      expect(moved.toast.type, moved.toast.content).toBe('success');
      const opened = await h.click(t.expertOpenId, { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe(`第十七条：评审坚持公开、公平和公正原则。你与该班组同属一个单位，须回避该班组（${team.name}）的评审，这项任务无需你评分；协会已另行安排其他专家。`);
      const submitted = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90));
      expect(submitted.toast.content).not.toContain('谢绝');
      expect(cardText(submitted.card.data)).toContain('你与该班组同属一个单位，须回避该班组的评审（第十七条）');
    });

    it('添加专家 moving the expert into the team’s organisation with nobody free: told nobody could take the task and the administrators were told, not “已改派其他专家”', async () => {
      const t = tasks[1];
      // nobody off the panel is left to take a place
      const onPanel = (await h.db.db.select({ openId: assignments.expertOpenId }).from(assignments)).map((a) => a.openId);
      await h.db.db.update(people).set({ expertActive: false }).where(notInArray(people.openId, onPanel));
      const moved = await h.click(ADMIN, { action: 'experts.add' }, { experts: [t.expertOpenId], organization: team.organization });
      expect(moved.toast.type, moved.toast.content).toBe('success');
      expect((await h.db.db.select({ status: assignments.status }).from(assignments).where(eq(assignments.id, t.id)))[0].status).toBe('declined');
      const told = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `review:recused:org%:${t.expertOpenId}:%`));
      expect(told).toHaveLength(1);
      const text = (told[0].card as { text: string }).text;
      expect(text).toContain(`你的所在单位已改为“${team.organization}”`);
      expect(text).toContain(`你尚未提交的 1 项相关评分任务已不再由你评审，你无需再为其评分；${NOBODY}。`);
      expect(text).not.toContain('改派其他专家');
      // the administrators do hear the panel is short
      const alerts = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `review:unfilled:${t.id}%`));
      expect(alerts.map((a) => a.receiver)).toEqual([ADMIN]);
      expect(cardText(alerts[0].card)).toContain('无法自动改派专家');
      // and the old buttons say the same
      const opened = await h.click(t.expertOpenId, { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe(`第十七条：评审坚持公开、公平和公正原则。你与该班组同属一个单位，须回避该班组（${team.name}）的评审，这项任务无需你评分；${NOBODY}。`);
      const form = await h.click(t.expertOpenId, { action: 'review.declineForm', assignmentId: t.id });
      expect(form.toast.content).toContain(`无需谢绝；${NOBODY}。`);
      expect(cardText(form.card?.data)).toContain('你与该班组同属一个单位，须回避该班组的评审（第十七条）');
    });
  });
}
