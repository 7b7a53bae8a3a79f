import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * An expert who declares a conflict (声明利益冲突, 第十七条) has the tasks it touches declined. Their reason was stored
 * “存在利益冲突：声明利益冲突：曾在该单位任职”, the words doubled on the 已谢绝 card and on the administrators' panel; it
 * reads once, and a row stored the old way is shown the same.
 */
const EXPERTS = ['ou_declinereason00000000000000001', 'ou_declinereason00000000000000002', 'ou_declinereason00000000000000003', 'ou_declinereason00000000000000004', 'ou_declinereason00000000000000005'];

for (const mode of MODES_HERE) {
  describe(`the reason of a task declined by 声明利益冲突 (${mode})`, () => {
    let h: Harness;
    let tasks: { id: number; expertOpenId: string; applicationId: number }[];
    let code: string;
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const { cycleId } = await seedLargeCycle(h.db.db, { applications: 1, experts: 0, organizations: 2, year: 2030 });
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id, expertOpenId: assignments.expertOpenId, applicationId: assignments.applicationId }).from(assignments).orderBy(asc(assignments.id));
      expect(tasks.length).toBeGreaterThanOrEqual(2);
      [{ code }] = await h.db.db.select({ code: teams.code }).from(teams).innerJoin(applications, eq(applications.teamId, teams.id));
    });
    afterAll(async () => h?.close());

    it('reads once where it is stored, on the 已谢绝 card and on the panel', async () => {
      const [t] = tasks;
      const declared = await h.click(t.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: code, reason: '曾在该单位任职' });
      expect(declared.toast.type, declared.toast.content).toBe('success');
      const [row] = await h.db.db.select({ status: assignments.status, declineReason: assignments.declineReason }).from(assignments).where(eq(assignments.id, t.id));
      expect(row).toEqual({ status: 'declined', declineReason: '声明利益冲突：曾在该单位任职' });
      // an old copy of the task card: 提交评分 shows the 已谢绝 card
      const submitted = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90));
      const shown = cardText(submitted.card.data);
      expect(shown).toContain('声明利益冲突：曾在该单位任职');
      expect(shown).not.toContain('存在利益冲突：声明利益冲突');
      const panel = cardText((await h.click(ADMIN, { action: 'review.panel', applicationId: t.applicationId })).card.data);
      expect(panel).toContain('已谢绝（声明利益冲突：曾在该单位任职）');
      expect(panel).not.toContain('存在利益冲突：声明利益冲突');
    });

    it('a reason stored the old way is shown once too', async () => {
      const t = tasks[1];
      await h.db.db.update(assignments).set({ status: 'declined', declineReason: '存在利益冲突：声明利益冲突：亲属在该班组' }).where(eq(assignments.id, t.id));
      const submitted = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90));
      expect(submitted.toast.content).toContain('你已声明利益冲突（第十七条）');
      const shown = cardText(submitted.card.data);
      expect(shown).toContain('声明利益冲突：亲属在该班组');
      expect(shown).not.toContain('存在利益冲突：声明利益冲突');
      const panel = cardText((await h.click(ADMIN, { action: 'review.panel', applicationId: t.applicationId })).card.data);
      expect(panel).toContain('已谢绝（声明利益冲突：亲属在该班组）');
      expect(panel).not.toContain('存在利益冲突：声明利益冲突');
    });
  });
}
