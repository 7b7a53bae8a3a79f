import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignments, auditLog, cycles } from '../../db/schema.js';
import { cycleScoreSheet } from '../../src/cycles.js';
import { fastSubmitScores } from '../../src/review/fastSubmit.js';
import { type ScoreSheet, defaultScoreSheet, scoreSheetToText, sheetFingerprint } from '../../src/scoreSheet.js';
import { cardActions, cardText, inputValues } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, NOW, OTHER_EXPERT, personas, scoreForm, securityBotForBlock } from './securityFixture.js';

/**
 * 第十八条: an expert scores the items of the sheet their card shows. A 载入评分表 before the first sheet is submitted
 * may keep the item codes and change what they mean (wording, maxima); a card drawn before it carries the old sheet's
 * fingerprint, and its submit is refused whole and the card drawn again on the sheet in force, though its values fit.
 */

/** The default sheet with the same item codes: other wording, and two maxima moved so the old card's values still fit. */
const revised: ScoreSheet = {
  ...defaultScoreSheet,
  title: '质量信得过班组建设评分表（修订）',
  areas: defaultScoreSheet.areas.map((a) => ({
    ...a,
    items: a.items.map((i) => ({ ...i, name: `${i.name}（修订）`, max: i.code === '1.1' ? 6 : i.code === '1.2' ? 4 : i.max })),
  })),
};

const submitOf = (card: unknown) => cardActions(card).find((v) => v.action === 'review.submit')!;

describe('sheetFingerprint', () => {
  it('is the same for the same sheet whatever the key order, and another for other wording or maxima', () => {
    const reordered = JSON.parse(JSON.stringify(defaultScoreSheet, Object.keys(defaultScoreSheet).reverse().concat(['code', 'name', 'article', 'items', 'max'])));
    expect(sheetFingerprint(cycleScoreSheet({ scoreSheet: reordered }))).toBe(sheetFingerprint(defaultScoreSheet));
    expect(sheetFingerprint(defaultScoreSheet)).toMatch(/^[0-9a-f]{12}$/);
    expect(sheetFingerprint(revised)).not.toBe(sheetFingerprint(defaultScoreSheet));
    const moved = { ...defaultScoreSheet, areas: defaultScoreSheet.areas.map((a, i) => (i ? a : { ...a, items: a.items.map((x, j) => ({ ...x, max: j === 0 ? 6 : j === 1 ? 4 : x.max })) })) };
    expect(sheetFingerprint(moved)).not.toBe(sheetFingerprint(defaultScoreSheet));
  });
});

for (const mode of MODES_HERE) {
  describe(`a score card drawn before 载入评分表 (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((b) => ({ h, f } = b), mode);

    it('is refused whole with nothing stored, and drawn again on the sheet in force keeping what was typed', async () => {
      const old = await h.click(personas.expert, { action: 'review.open', assignmentId: f.ownTask });
      const oldSubmit = submitOf(old.card.data);
      expect(oldSubmit).toEqual({ action: 'review.submit', assignmentId: f.ownTask, sheet: sheetFingerprint(defaultScoreSheet) });

      const load = await h.click(personas.admin, { action: 'cycle.sheetLoad', cycleId: f.cycleId }, { sheet: scoreSheetToText(revised) });
      expect(load.toast).toMatchObject({ type: 'success' });

      const typed = scoreForm();
      const answer = await h.click(personas.expert, oldSubmit, typed);
      expect(answer.toast.type).toBe('warning');
      expect(answer.toast.content).toContain('评分表已更新');
      expect(answer.toast.content).toContain('第十八条');
      expect(answer.toast.content).toContain('请按新的评分表重新评分');

      const [task] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.ownTask));
      expect(task).toMatchObject({ status: 'assigned', scores: null, total: null, submittedAt: null });
      expect(await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'review.submit'), eq(auditLog.entityId, String(f.ownTask))))).toEqual([]);

      const redrawn = answer.card.data;
      const text = cardText(redrawn);
      expect(text).toContain('1.1 目标分解与职能明确（修订）');
      expect(text).toContain('满分 6 分');
      expect(text).toContain('评分表已更新');
      expect(submitOf(redrawn)).toEqual({ action: 'review.submit', assignmentId: f.ownTask, sheet: sheetFingerprint(revised) });
      const shown = inputValues(redrawn);
      for (const [field, value] of Object.entries(typed)) if (field !== 'comment') expect(shown[field], field).toBe(value);
    });

    it.skipIf(mode === 'ordinary' || testDatabaseKind() !== 'postgres')('the one statement leaves an old card to the ordinary path, having written nothing', async () => {
      const r = await fastSubmitScores(h.db, {
        eventId: 'ev_sheet_fast_old',
        eventType: 'card.action.trigger',
        openId: personas.expert,
        assignmentId: f.ownTask,
        formValue: scoreForm(),
        shownSheet: sheetFingerprint(defaultScoreSheet),
        now: new Date(NOW),
        timezone: 'Asia/Shanghai',
      });
      expect(r).toEqual({ kind: 'ordinary' });
      const [task] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.ownTask));
      expect(task.status).toBe('assigned');
    });

    it('the card drawn again on the new sheet submits, stored under the new sheet', async () => {
      const open = await h.click(personas.expert, { action: 'review.open', assignmentId: f.ownTask });
      const answer = await h.click(personas.expert, submitOf(open.card.data), { ...scoreForm(), i1_1: '6' });
      expect(answer.toast).toMatchObject({ type: 'success' });
      const [task] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.ownTask));
      expect(task.status).toBe('submitted');
      expect((task.scores as Record<string, number>)['1.1']).toBe(6);
      const [cycle] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect(sheetFingerprint(cycleScoreSheet(cycle))).toBe(sheetFingerprint(revised));
    });

    it('a card drawn before cards carried the fingerprint submits as before', async () => {
      const answer = await h.click(OTHER_EXPERT, { action: 'review.submit', assignmentId: f.foreignTask }, scoreForm());
      expect(answer.toast).toMatchObject({ type: 'success' });
      const [task] = await h.db.db.select().from(assignments).where(eq(assignments.id, f.foreignTask));
      expect(task).toMatchObject({ status: 'submitted', total: 90 });
    });
  });
}
