import { and, asc, eq, notInArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 评分 (review.open) pressed, from an old task list or the 申报表 message, on a task the expert declined by declaring a
 * conflict (声明利益冲突, 第十七条) told them “…已由协会另行安排专家，无需再谢绝。”: they pressed no 谢绝, and nobody may
 * have taken the task. It says the task was declined for the conflict and is not theirs to score, and that another
 * expert was arranged only when one was. One who pressed 谢绝 was told “无需重复谢绝” though they pressed 评分: told they declined.
 */
const EXPERTS = ['ou_declinedopen000000000000000001', 'ou_declinedopen000000000000000002', 'ou_declinedopen000000000000000003', 'ou_declinedopen000000000000000004', 'ou_declinedopen000000000000000005'];

for (const mode of MODES_HERE) {
  describe(`评分 on a task declined by 声明利益冲突 (${mode})`, () => {
    let h: Harness;
    let tasks: { id: number; expertOpenId: string }[];
    let code: string;
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const { cycleId } = await seedLargeCycle(h.db.db, { applications: 1, experts: 0, organizations: 2, year: 2030 });
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id, expertOpenId: assignments.expertOpenId }).from(assignments).orderBy(asc(assignments.id));
      expect(tasks.length).toBeGreaterThanOrEqual(3);
      [{ code }] = await h.db.db.select({ code: teams.code }).from(teams).innerJoin(applications, eq(applications.teamId, teams.id));
    });
    afterAll(async () => h?.close());

    it('with another expert arranged: declined for the conflict, not theirs to score, another expert arranged', async () => {
      const [t] = tasks;
      const declared = await h.click(t.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: code, reason: '亲属在该班组' });
      expect(declared.toast.type, declared.toast.content).toBe('success');
      const opened = await h.click(t.expertOpenId, { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe('你已声明利益冲突（第十七条），这项评分任务已因此谢绝，无需你评分；协会已另行安排其他专家。');
    });

    it('one who pressed 谢绝 is told they declined it, not “无需重复谢绝”', async () => {
      const t = tasks[2];
      const declined = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '评审期间出差' });
      expect(declined.toast.type, declined.toast.content).toBe('success');
      const opened = await h.click(t.expertOpenId, { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe('你已谢绝这项评分任务，无需评分；协会已另行安排其他专家。');
    });

    it('with nobody to take it: no word of another expert', async () => {
      const t = tasks[1];
      // nobody off the panel may come
      const onPanel = (await h.db.db.select({ openId: assignments.expertOpenId }).from(assignments)).map((a) => a.openId);
      await h.db.db.update(people).set({ expertActive: false }).where(and(notInArray(people.openId, onPanel)));
      const declared = await h.click(t.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: code, reason: '曾在该班组任职' });
      expect(declared.toast.content).toContain('暂无专家可以接替');
      const opened = await h.click(t.expertOpenId, { action: 'review.open', assignmentId: t.id });
      expect(opened.toast.content).toBe('你已声明利益冲突（第十七条），这项评分任务已因此谢绝，无需你评分；暂无专家可以接替，已告知协会管理员另行安排。');
    });
  });
}
