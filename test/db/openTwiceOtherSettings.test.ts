import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, cycles, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 开启年度评审 submitted for a year already open (第十九条: one review a year): a second click on the same form is told it
 * was done; another administrator's form with other settings is told that his settings were not saved, each one with
 * the value in force, and that 修改设置 (on the admin card it answers with) changes them. Nothing is written either way.
 */

const ADMIN2 = 'ou_openadmin2000000000000000000000002';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), admins: [ADMIN, ADMIN2] });
  await h.db.db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: ADMIN2, name: '赵干事' }]);
});
afterAll(async () => {
  await h?.close();
});

const form = { year: '2027', applicationDeadline: '2027-05-31 +0800', scoringDeadline: '2027-08-31', reviewMeetingDate: '2027-09-15', awardThreshold: '', expertsPerApplication: '5', recommendShare: '' };
const opens = async () => h.db.db.select().from(auditLog).where(eq(auditLog.action, 'cycle.open'));

describe('开启年度评审 for a year already open', () => {
  it('the first opens the year', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.open' }, form);
    expect(res.toast).toMatchObject({ type: 'success', content: '已开启2027年度评审，申报截止2027年5月31日' });
  });

  it('another administrator’s settings: not saved, each named with the value in force, and 修改设置 pointed to', async () => {
    const res = await h.click(ADMIN2, { action: 'cycle.open' }, { ...form, applicationDeadline: '2027-06-30 +0800', awardThreshold: '90', expertsPerApplication: '3' });
    expect(res.toast.type).toBe('info');
    expect(res.toast.content).toMatch(/^已于 2027年3月10日 09:00 开启2027年度评审，无需重复开启。/);
    expect(res.toast.content).toContain(
      '你这次填写的设置与已开启的不同，没有保存：申报截止日期填的是2027年6月30日（现为2027年5月31日）、授予称号分数线填的是90分（现为85分）、每份申报的评审专家人数填的是3人（现为5人）。',
    );
    expect(res.toast.content).toContain('如需修改，请点卡片上的“修改设置”');
    // the card it answers with is the admin card, with the settings in force and 修改设置
    expect(cardActions(res.card.data)).toContainEqual(expect.objectContaining({ action: 'cycle.settings' }));
    const rows = await h.db.db.select().from(cycles);
    expect(rows.map((r) => [r.applicationDeadline, r.awardThreshold, r.expertsPerApplication])).toEqual([['2027-05-31', 85, 5]]);
    expect(await opens()).toHaveLength(1);
  });

  it('a setting typed that does not read is named as typed', async () => {
    const res = await h.click(ADMIN2, { action: 'cycle.open' }, { ...form, recommendShare: '一成' });
    expect(res.toast.content).toContain('没有保存：择优推荐比例填的是一成（现为10%）。');
  });

  it('the same form again (a second click) is only told it was done', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.open' }, form);
    expect(res.toast).toMatchObject({ type: 'info', content: '已于 2027年3月10日 09:00 开启2027年度评审，无需重复开启。' });
    expect(await opens()).toHaveLength(1);
  });
});
