import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * Scores as a phone sends them: pasted with a character nobody sees, or ended by the keyboard's 。, are the numbers they
 * read as; a unit other than 分 (“5%”, “5人”, “5次”, which other forms take) is a slip the expert is told about, not 5 points.
 * On both paths of 提交评分: the one statement and the ordinary transaction read a sheet the same way.
 */
const EXPERTS = ['ou_scorenoise000000000000000000001', 'ou_scorenoise000000000000000000002', 'ou_scorenoise000000000000000000003'];
const E1 = EXPERTS[0];
const fields = scoreFields(defaultScoreSheet);
const full = (): Record<string, string> => ({ ...Object.fromEntries(fields.map((f) => [f.field, String(f.max)])), comment: '' });

for (const mode of MODES_HERE) {
  describe(`score values typed with noise (${mode})`, () => {
    let h: Harness;
    let taskId: number;
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const fx = await seedLargeCycle(h.db.db, { applications: 1, experts: 0, organizations: 1, year: 2030 });
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId });
      await h.drain();
      [{ id: taskId }] = await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.expertOpenId, E1)).orderBy(asc(assignments.id));
    });
    afterAll(async () => h?.close());

    it('“5%”, “5人” and “5次” in a score item are refused, naming what was typed, and nothing is stored', async () => {
      for (const typed of ['5%', '5人', '5次']) {
        const r = await h.click(E1, { action: 'review.submit', assignmentId: taskId }, { ...full(), i1_1: typed });
        expect(r.toast.type).toBe('error');
        expect(r.toast.content).toContain(`“${typed}”不是数字`);
      }
      const [row] = await h.db.db.select().from(assignments).where(eq(assignments.id, taskId));
      expect(row.status).not.toBe('submitted');
      expect(row.scores).toBeNull();
    });

    it('a score pasted with a zero-width space or a direction mark, or ended with 。, is stored as the number it reads as', async () => {
      const r = await h.click(E1, { action: 'review.submit', assignmentId: taskId }, { ...full(), i1_1: '4.5\u200b', i1_2: '\u200e4', i1_3: '3.5。', i1_4: '3分。' });
      expect(r.toast.type).toBe('success');
      const [row] = await h.db.db.select().from(assignments).where(eq(assignments.id, taskId));
      expect(row.status).toBe('submitted');
      expect(row.scores).toMatchObject({ '1.1': 4.5, '1.2': 4, '1.3': 3.5, '1.4': 3 });
    });
  });
}
