import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 第十八条: a cycle may load another score sheet, of another total. The award threshold follows the sheet: it may not be
 * set above the sheet's total, and a sheet totalling less than the threshold is refused (no team could reach it), on
 * both paths (the one-statement loads and saves, and the ordinary ones).
 */
const sheet = (title: string, total: number, items: number[]) =>
  [`评分表：${title}`, `总分：${total}`, ...items.flatMap((max, i) => [`${i + 1} 区域${i + 1}`, `${i + 1}.1 评分项${i + 1} ${max}`])].join('\n');

describe.each(MODES_HERE)('the award threshold against the score sheet\'s total (%s path)', (mode) => {
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

  const row = async () => (await h.db.db.select().from(cycles))[0];

  it('refuses a threshold above the default sheet\'s 100 and a 50-point sheet under the threshold of 85', async () => {
    const high = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { awardThreshold: '120' });
    expect(high.toast).toMatchObject({ type: 'error', content: '授予称号分数线：不能高于本年度评分表的总分（100 分），否则没有班组能达到' });
    const small = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: sheet('小表', 50, [50]) });
    expect(small.toast?.type).toBe('error');
    expect(small.toast?.content).toContain('评分表“小表”总分 50 分，低于本年度授予称号分数线 85 分');
    expect((await row()).awardThreshold).toBe(85);
    expect(((await row()).scoreSheet as { total: number }).total).toBe(100);
  });

  it('修改设置 tells every problem at once: the form’s own, the score line above the sheet, a date before today', async () => {
    const both = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { awardThreshold: '120', applicationDeadline: '2027-02-01', scoringDeadline: '2027-06-30' });
    expect(both.toast).toMatchObject({
      type: 'error',
      content: '2 处需修改：1. 申报截止日期：不能早于今天（2027年3月1日）；2. 授予称号分数线：不能高于本年度评分表的总分（100 分），否则没有班组能达到',
    });
    // with a problem of the form itself (0 experts): the rules' problems of the fields typed right come with it
    const three = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { awardThreshold: '120', applicationDeadline: '2027-02-01', expertsPerApplication: '0' });
    expect(three.toast?.type).toBe('error');
    expect(three.toast?.content).toMatch(/^3 处需修改：/);
    expect(three.toast?.content).toContain('申报截止日期：不能早于今天（2027年3月1日）');
    expect(three.toast?.content).toContain('授予称号分数线：不能高于本年度评分表的总分（100 分）');
    expect(three.toast?.content).toContain('每份申报的评审专家人数');
    expect((await row())).toMatchObject({ awardThreshold: 85, applicationDeadline: '2027-05-31', expertsPerApplication: 3 });
  });

  it('a 200-point sheet takes a threshold of 170; a 150-point sheet after it is refused', async () => {
    expect((await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: sheet('正式评分表', 200, [100, 100]) })).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { awardThreshold: '170' })).toast?.type).toBe('success');
    expect((await row()).awardThreshold).toBe(170);
    const under = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId }, { sheet: sheet('中表', 150, [75, 75]) });
    expect(under.toast?.content).toContain('低于本年度授予称号分数线 170 分');
    expect(((await row()).scoreSheet as { total: number }).total).toBe(200);
  });
});
