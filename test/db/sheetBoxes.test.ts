import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog, cycles } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { findComponentByName } from '../../src/local/cardRules.js';
import { defaultScoreSheet, type ScoreSheet, SHEET_LIMITS, scoreSheetToText } from '../../src/scoreSheet.js';
import { cardText, expectValidCard, formFieldNames, inputValues } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 第十八条: the association loads its own score sheet through 载入评分表, whose inputs take at most 1 000 characters
 * each (Feishu's max_length). A sheet of the bot's item limit goes over several, read in order as one sheet, on both
 * paths (the one-statement load and the ordinary one); an input filled to its limit is said to be probably cut off;
 * the one input of cards sent before still loads a sheet alone.
 */
const bigSheet: ScoreSheet = {
  title: '质量信得过班组建设评分表',
  total: 100,
  areas: Array.from({ length: SHEET_LIMITS.areas }, (_, a) => ({
    code: String(a + 1),
    name: '班组基础建设与管理',
    items: Array.from({ length: SHEET_LIMITS.items / SHEET_LIMITS.areas }, (_, i) => ({ code: `${a + 1}.${i + 1}`, name: '质量安全管理制度健全并严格执行', max: 2 })),
  })),
};
const bigText = scoreSheetToText(bigSheet);
// split by area: areas 1–6 in the first input, 7–10 in the second
const at = bigText.indexOf('\n7 ');
const [first, second] = [bigText.slice(0, at), bigText.slice(at + 1)];

describe.each(MODES_HERE)('载入评分表 over several inputs (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
    h.app.processor.fastPaths = mode === 'fast';
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    [{ id: cycleId }] = await h.db.db.select().from(cycles);
  });
  afterAll(async () => {
    await h?.close();
  });
  const sheetNow = async () => (await h.db.db.select().from(cycles))[0].scoreSheet as ScoreSheet;
  const loads = async () => (await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'cycle.loadScoreSheet'))).length;

  it('offers five inputs of 1 000 characters, saying so and how to split a sheet by area', async () => {
    const form = await h.click(ADMIN, { action: 'cycle.sheetForm', cycleId });
    expectValidCard(form.card.data);
    expect(formFieldNames(form.card.data)).toEqual(['sheet', 'sheet2', 'sheet3', 'sheet4', 'sheet5']);
    for (const name of formFieldNames(form.card.data)) expect(findComponentByName(form.card.data, name)?.max_length).toBe(1000);
    expect(cardText(form.card.data)).toContain('每框最多 1000 字');
    expect(cardText(form.card.data)).toContain('请按评分区域分开');
    // the default sheet fits the first input
    expect(inputValues(form.card.data)).toMatchObject({ sheet: scoreSheetToText(defaultScoreSheet), sheet2: undefined });
  });

  it('refuses a sheet cut at an input\'s 1 000 characters as cut off there, keeping what was typed in each input', async () => {
    const cut = bigText.slice(0, 1000);
    const res = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: cut });
    expect(res.toast?.type).toBe('error');
    expect(res.toast?.content).toContain('第 1 框正好 1000 字，可能在 1000 字处被截断了');
    expect(res.toast?.content).not.toContain('不一致');
    expect(inputValues(res.card.data)).toMatchObject({ sheet: cut, sheet2: undefined });
    expect(await loads()).toBe(0);
  });

  it('loads a sheet of 50 items typed over two inputs, and draws it again over two', async () => {
    expect(bigText.length).toBeGreaterThan(1000);
    const res = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: first, sheet2: second, sheet3: '', sheet4: '', sheet5: '' });
    expect(res.toast).toMatchObject({ type: 'success', content: '已载入评分表“质量信得过班组建设评分表”：10 个区域、50 项，共 100 分' });
    expect(await sheetNow()).toEqual(bigSheet);
    expect(await loads()).toBe(1);
    const form = await h.click(ADMIN, { action: 'cycle.sheetForm', cycleId });
    expectValidCard(form.card.data);
    const shown = inputValues(form.card.data);
    expect(shown.sheet!.length).toBeLessThan(1000);
    expect(shown.sheet2!.length).toBeLessThan(1000);
    expect(`${shown.sheet}\n${shown.sheet2}`).toBe(bigText);
    expect(shown.sheet3).toBeUndefined();
  });

  it('a card sent before, with its one input, still loads a sheet that fits', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: scoreSheetToText(defaultScoreSheet) });
    expect(res.toast?.type).toBe('success');
    expect(await sheetNow()).toEqual(defaultScoreSheet);
  });

  it('refuses an area whose subtotal differs from its items, naming both numbers', async () => {
    const pasted = ['评分表：官方', '总分：100', '1\t班组基础建设\t20分', '1.1\t目标分解与职能明确\t5', '1.2\t制度\t5', '2\t建设成效\t90分', '2.1\t成效\t90'].join('\n');
    const res = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: pasted });
    expect(res.toast?.content).toContain('第 3 行：评分区域 1 班组基础建设 标明 20 分，其下各评分项满分合计 10 分，两者不一致');
    expect(await sheetNow()).toEqual(defaultScoreSheet);
  });
});
