import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * An expert who declares a conflict with a team (声明利益冲突, 第十七条) after its task came to them has the task moved to
 * another expert. Pressing 提交评分 on the old task card then told them “你已谢绝这项评分任务” though they pressed no 谢绝;
 * it says what they did. An expert who did press 谢绝 is told so, as before.
 */
const EXPERTS = ['ou_declaredwords000000000000000001', 'ou_declaredwords000000000000000002', 'ou_declaredwords000000000000000003', 'ou_declaredwords000000000000000004', 'ou_declaredwords000000000000000005'];

for (const mode of MODES_HERE) {
  describe(`an old task card after 声明利益冲突 (${mode})`, () => {
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
      expect(tasks.length).toBeGreaterThanOrEqual(2);
      [{ code }] = await h.db.db.select({ code: teams.code }).from(teams).innerJoin(applications, eq(applications.teamId, teams.id));
    });
    afterAll(async () => h?.close());

    it('says the expert declared a conflict, not that they declined', async () => {
      const [t] = tasks;
      const declared = await h.click(t.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: code, reason: '亲属在该班组' });
      expect(declared.toast.type, declared.toast.content).toBe('success');
      const submitted = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90));
      expect(submitted.toast.content).toBe('你已声明利益冲突（第十七条），这项评分任务已由协会另行安排专家，这份评分表无需再提交。');
      const again = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(again.toast.content).toBe('你已声明利益冲突（第十七条），这项评分任务已由协会另行安排专家，无需再谢绝。');
      expect(again.toast.content).not.toContain('谢绝这项');
    });

    it('one who pressed 谢绝 is told they declined', async () => {
      const t = tasks[1];
      const declined = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '评审期间出差' });
      expect(declined.toast.type, declined.toast.content).toBe('success');
      const submitted = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90));
      expect(submitted.toast.content).toBe('你已谢绝这项评分任务，协会已另行安排专家，这份评分表无需再提交。');
    });
  });
}
