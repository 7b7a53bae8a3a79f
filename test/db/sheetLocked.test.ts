import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignments, cycles } from '../../db/schema.js';
import { cardActions, cardText } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, personas, scoreForm, securityBotForBlock } from './securityFixture.js';

/**
 * 第十八条: the score sheet is what experts score against. While applications are still open an administrator may
 * assign experts early, and an expert may score at once; from the first submitted sheet on, 载入评分表 is refused
 * on both paths, and the sheet in force, the stored scores and their totals stay as they were.
 */
const sheet = '评分表：正式评分表\n总分：100\n1 基础\n1.1 甲 50\n1.2 乙 49.5\n1.3 丙 0.5';

for (const mode of MODES_HERE) {
  describe(`载入评分表 once an expert has scored (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((b) => ({ h, f } = b), mode);

    it('is refused with the count; the sheet and the submitted scores stay', async () => {
      const [before] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect(before.status).toBe('open');
      const submitted = await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm());
      expect(submitted.toast?.type).toBe('success');
      const load = await h.click(personas.admin, { action: 'cycle.sheetLoad', cycleId: f.cycleId }, { sheet });
      expect(load.toast).toMatchObject({ type: 'error' });
      expect(load.toast.content).toContain('第十八条');
      expect(load.toast.content).toContain(`已有 1 份专家评分按现有评分表提交`);
      const [after] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect(after.scoreSheet).toEqual(before.scoreSheet);
      const [task] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.ownTask));
      expect(task.status).toBe('submitted');
    });

    it('stays refused once that sheet is reopened with its scores kept; the card fills them into the sheet they were given on', async () => {
      const [before] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      const reopened = await h.click(personas.admin, { action: 'review.reopen', assignmentId: f.ownTask });
      expect(reopened.toast?.type).toBe('success');
      const [task] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.ownTask));
      expect(task.status).toBe('assigned');
      expect(task.scores).not.toBeNull();
      const load = await h.click(personas.admin, { action: 'cycle.sheetLoad', cycleId: f.cycleId }, { sheet });
      expect(load.toast).toMatchObject({ type: 'error' });
      expect(load.toast.content).toContain('第十八条');
      expect(load.toast.content).toContain('已有 1 份专家评分按现有评分表提交（其中 1 份已重开，原分数仍保留待专家重新提交）');
      const [after] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect(after.scoreSheet).toEqual(before.scoreSheet);
      // the kept scores go back on the items they were given on, and submit as they were
      const opened = await h.click(personas.expert, { action: 'review.open', assignmentId: f.ownTask });
      expect(cardText(opened.card.data)).toContain('原分数已填入');
      const submit = cardActions(opened.card.data).find((a) => a.action === 'review.submit')!;
      const again = await h.click(personas.expert, submit, scoreForm());
      expect(again.toast?.type).toBe('success');
      const [resubmitted] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.ownTask));
      expect(resubmitted.status).toBe('submitted');
      expect(resubmitted.scores).toEqual(task.scores);
    });
  });
}
