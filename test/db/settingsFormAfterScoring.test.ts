import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText, formFieldNames } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * 第十七条: 修改设置 on an admin card drawn while the year ran, clicked once scoring has ended (结束评分并汇总) or the
 * results are out, is refused as its save would be, in the same words, and the current admin card is drawn in its
 * place (as 载入评分表 on the same card is): no editable form whose every save is refused.
 */
describe('修改设置 on an old admin card after the scores were summed', () => {
  let h: Harness;
  let cycleId: number;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    expect(opened.toast?.type).toBe('success');
    [{ id: cycleId }] = await h.db.db.select({ id: cycles.id }).from(cycles);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** 修改设置, and what the refused save answers on the same cycle. */
  async function settingsAndSave() {
    const form = await h.click(ADMIN, { action: 'cycle.settings', cycleId });
    const saved = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { awardThreshold: '80' });
    return { form, saved };
  }

  it('opens the form while experts score', async () => {
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    const form = await h.click(ADMIN, { action: 'cycle.settings', cycleId });
    expect(form.toast).toBeUndefined();
    expect(formFieldNames(form.card.data)).toContain('awardThreshold');
  });

  it('after 结束评分并汇总: refused in the words of the save, the admin card drawn again', async () => {
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success'); // nothing scored: the year ends
    const { form, saved } = await settingsAndSave();
    expect(form.toast?.content).toContain('2027年度评审已汇总专家评分，评审设置不能再修改');
    expect(form.toast?.content).toContain('第十七条');
    expect(form.toast?.content).toBe(saved.toast?.content);
    expect(formFieldNames(form.card.data)).not.toContain('awardThreshold');
    expect(cardText(form.card.data)).toContain('2027');
  });

  it('after 公布结果: the same, as the same card’s 载入评分表 is', async () => {
    expect((await h.click(ADMIN, { action: 'results.publish', cycleId })).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'cycle.sheetForm', cycleId })).toast?.type).toBe('info');
    const { form, saved } = await settingsAndSave();
    expect(form.toast?.content).toContain('2027年度评审结果已公布，评审设置不能再修改');
    expect(form.toast?.content).toBe(saved.toast?.content);
    expect(formFieldNames(form.card.data)).not.toContain('awardThreshold');
  });
});
