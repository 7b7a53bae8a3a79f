import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 第十八条: a score sheet whose two areas share one code (a typo in the line form) is refused at 载入评分表, naming the
 * code, on both paths: taken, every expert's score card showed the two areas under one heading with both their points.
 */
const typo = ['评分表：区域编号重复', '总分：100', '1 基础建设', '1.1 甲 25', '1.2 乙 25', '1 组织建设', '2.1 丙 25', '2.2 丁 25'].join('\n');

describe.each(MODES_HERE)('a score sheet with two areas under one code (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
    h.app.processor.fastPaths = mode === 'fast';
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    expect(opened.toast?.type).toBe('success');
    [{ id: cycleId }] = await h.db.db.select().from(cycles);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is refused naming the code, the form kept with what was typed, the sheet in force unchanged', async () => {
    const load = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: typo });
    expect(load.toast?.type).toBe('error');
    expect(load.toast?.content).toContain('评分区域编号 1 重复（“基础建设”和“组织建设”）');
    expect(cardText(load.card.data)).toContain('1 组织建设');
    expect((await h.db.db.select().from(cycles))[0].scoreSheet).toEqual(defaultScoreSheet);
    // corrected, it loads
    const fixed = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: typo.replace('1 组织建设', '2 组织建设') });
    expect(fixed.toast).toEqual({ type: 'success', content: '已载入评分表“区域编号重复”：2 个区域、4 项，共 100 分' });
  });
});
