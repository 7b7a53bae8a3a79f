import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema.js';
import { MODES_HERE } from '../support/worlds.js';
import { personas, scoreForm, startSecurityHarness } from './securityFixture.js';

/**
 * An expert's score sheet submitted twice with other scores: from a second device, or corrected after a first tap that
 * seemed lost on a bad connection. The first stands (第十八条: a submitted sheet changes only by 重开评分); the second used
 * to read only “这份评分已于 … 提交（总分 90 分），无需重复提交”, as if what it sent were that sheet. It now says the sheet
 * it sent, with its own total, was not saved. The same sheet sent again still reads as before. Both paths alike.
 */
const submitted = /^这份评分已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 提交（总分 90 分），无需重复提交/;

describe.each(MODES_HERE)('提交评分 again with other scores (%s)', (mode) => {
  it.each(['one after the other', 'together'] as const)('%s: the later sheet is said not to be saved, with its total', async (order) => {
    const { h, f } = await startSecurityHarness();
    h.app.processor.fastPaths = mode === 'fast';
    try {
      const phone = () => h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(10), { messageId: 'om_sheet_phone' });
      const desk = () => h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(20), { messageId: 'om_sheet_desk' });
      const answers = order === 'together' ? await Promise.all([phone(), desk()]) : [await phone(), await desk()];
      const [row] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.ownTask));
      const [kept, other] = row.total === 90 ? answers : [answers[1], answers[0]];
      const otherTotal = row.total === 90 ? 80 : 90;
      expect(kept.toast.type).toBe('success');
      expect(other.toast.type).toBe('info');
      expect(other.toast.content).toMatch(new RegExp(submitted.source.replace('90', String(row.total))));
      expect(other.toast.content).toContain(`这次提交的评分表（合计 ${otherTotal} 分）与已提交的不同，没有保存；如需修改，请联系协会管理员重开。`);
      // the same sheet sent again is only told it was submitted
      const same = await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(row.total === 90 ? 10 : 20), { messageId: 'om_sheet_third' });
      expect(same.toast.content).toMatch(/无需重复提交；如需修改，请联系协会管理员重开。$/);
      expect(same.toast.content).not.toContain('没有保存');
    } finally {
      await h.close();
    }
  });
});
