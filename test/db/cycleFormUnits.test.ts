import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * The cycle form as typed on a phone, the unit after the number: “2027年” for the year and “2次” for 连续成立投诉提醒次数
 * (第二十二条) are read as 2027 and 2, as “3人” and “85分” are, where both were refused as “须为数字”; on 开启年度评审 (the
 * ordinary path on PGlite, the one statement on PostgreSQL), on 保存设置 (both paths too) and on a second click.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), admins: [ADMIN] });
  await h.db.db.insert(people).values([{ openId: ADMIN, name: '王管理员' }]);
});
afterAll(async () => {
  await h?.close();
});

const form = { year: '2027年', applicationDeadline: '2027-05-31 +0800', scoringDeadline: '2027-08-31 +0800', reviewMeetingDate: '2027-09-15 +0800', expertsPerApplication: '3人', awardThreshold: '85分', revocationRun: '2次' };
const theCycle = async () => (await h.db.db.select().from(cycles))[0];

describe('the cycle form reads a number with its unit', () => {
  it('开启年度评审 takes “2027年” and “2次”', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.open' }, form);
    expect(res.toast).toMatchObject({ type: 'success', content: '已开启2027年度评审，申报截止2027年5月31日' });
    const cycle = await theCycle();
    expect(cycle).toMatchObject({ year: 2027, expertsPerApplication: 3, awardThreshold: 85 });
    expect((cycle.settings as Record<string, unknown>).revocationRun).toBe(2);
  });

  it('the same form clicked again is the same open, done', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.open' }, form);
    expect(res.toast).toMatchObject({ type: 'info', content: '已于 2027年3月10日 09:00 开启2027年度评审，无需重复开启。' });
  });

  it('保存设置 takes “3次”', async () => {
    const cycle = await theCycle();
    const res = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId: cycle.id }, { revocationRun: '3次', dropExtremesFrom: '6位' });
    expect(res.toast.type).toBe('success');
    const after = await theCycle();
    expect(after.settings).toMatchObject({ revocationRun: 3, dropExtremesFrom: 6 });
  });
});
