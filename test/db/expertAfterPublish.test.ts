import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, cycles, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

// once 公布结果 is done, 重开评分 is refused (第十七条's panel is final): no card or answer tells the expert to ask for one
const EXPERTS = ['ou_publishedexpert000000000000000001', 'ou_publishedexpert000000000000000002', 'ou_publishedexpert000000000000000003'];
const fields = scoreFields(defaultScoreSheet);
const full = (): Record<string, string> => ({ ...Object.fromEntries(fields.map((f) => [f.field, String(f.max)])), comment: '' });

for (const mode of MODES_HERE) {
  describe(`an expert's sheet after the results are published (${mode})`, () => {
    let h: Harness;
    let cycleId: number;
    let taskId: number;
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2030 }));
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
      await h.drain();
      for (const x of EXPERTS) {
        for (const t of await h.db.db.select().from(assignments).where(eq(assignments.expertOpenId, x))) {
          expect((await h.click(x, { action: 'review.submit', assignmentId: t.id }, full())).toast.type).toBe('success');
        }
      }
      [{ id: taskId }] = await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.expertOpenId, EXPERTS[0])).orderBy(asc(assignments.id));
    });
    afterAll(async () => h?.close());

    it('while scoring, the submitted sheet still says a reopen is the way to change it', async () => {
      const open = await h.click(EXPERTS[0], { action: 'review.open', assignmentId: taskId });
      expect(cardText(open.card.data)).toContain('如需修改请联系协会管理员重开');
    });

    it('once published, the sheet, 谢绝, 查看申报表全文 and a second submit say the review is over', async () => {
      expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast.type).toBe('success');
      await h.click(ADMIN, { action: 'results.publish', cycleId });
      await h.drain();
      expect((await h.db.db.select().from(cycles).where(eq(cycles.id, cycleId)))[0].status).toBe('published');
      const x = EXPERTS[0];

      const open = await h.click(x, { action: 'review.open', assignmentId: taskId });
      expect(cardText(open.card.data)).toContain('2030年度评审结果已公布，本年度评审已结束');
      expect(cardText(open.card.data)).not.toContain('重开');

      const decline = await h.click(x, { action: 'review.declineForm', assignmentId: taskId });
      expect(decline.toast.content).toContain('2030年度评审结果已公布');
      expect(decline.toast.content).not.toContain('联系协会管理员');

      const whole = await h.click(x, { action: 'review.application', assignmentId: taskId });
      expect(whole.toast.content).toContain('申报表全文');
      expect(whole.toast.content).toContain('2030年度评审结果已公布');
      expect(whole.toast.content).not.toContain('可继续打分');

      const again = await h.click(x, { action: 'review.submit', assignmentId: taskId }, full());
      expect(again.toast.content).toContain('2030年度评审结果已公布');
      expect(again.toast.content).not.toContain('重开');

      // and 重开评分 is indeed refused
      const reopen = await h.click(ADMIN, { action: 'review.reopen', assignmentId: taskId });
      expect(reopen.toast.content).toContain('评分不能再重开');
    });
  });
}
