import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 修改资料 naming another 单位联系人 (第十五条): the contact replaced is told they no longer are, by whom and when,
 * whether or not an application waited for them; the one named is told what to do if they are not the right person.
 */

const L = 'ou_replaceleader0000000000000000001';
const C = 'ou_replacecontact000000000000000001';
const C2 = 'ou_replacecontact000000000000000002';

async function registered(): Promise<Harness> {
  const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  expect((await h.click(L, { action: 'team.register' }, registrationForm('换联系人班', C))).toast.type).toBe('success');
  return h;
}

const to = (h: Harness, openId: string) => h.fake.messages.filter((m) => m.receiveId === openId);

describe('a contact replaced in 修改资料', () => {
  it('is told, with who replaced them and when; the new one is told what to do if they are not the right person', async () => {
    const h = await registered();
    try {
      h.clock.set('2026-06-18T15:00:00+08:00');
      h.fake.reset();
      expect((await h.click(L, { action: 'team.editSave', teamId: 1 }, { contact: C2 })).toast.type).toBe('success');
      await h.drain();
      const former = to(h, C);
      expect(former).toHaveLength(1);
      expectValidCard(former[0].content);
      expect(former[0].content.header.title.content).toBe('你已不再是该班组的单位联系人');
      const said = cardText(former[0].content);
      expect(said).toMatch(/你已不再是 \*\*换联系人班\*\*（GDSZ-2026-\d{4}）的单位联系人（班组长 <at id=ou_replaceleader0000000000000000001><\/at> 于 2026年6月18日 更换）。/);
      expect(said).toContain('此后该班组的申报不再发给你确认（第十五条）');
      const named = to(h, C2);
      expect(named).toHaveLength(1);
      expect(cardText(named[0].content)).toContain('如果你不是该班组所在单位负责确认申报的人员，请告知班组长在“进度”→“修改资料”中改选正确的单位联系人。');
    } finally {
      await h.close();
    }
  }, 120_000);

  it('with an application waiting for them: one card says it went to the new contact and their card is spent', async () => {
    const h = await registered();
    try {
      h.clock.set('2027-03-10T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
      expect((await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
      h.fake.reset();
      expect((await h.click(ADMIN, { action: 'team.editSave', teamId: 1 }, { contact: C2 })).toast.type).toBe('success');
      await h.drain();
      const former = to(h, C);
      expect(former).toHaveLength(1);
      const said = cardText(former[0].content);
      expect(said).toContain('（协会管理员 <at id=');
      expect(said).toContain('于 2027年3月10日 更换');
      expect(said).toContain('该班组待确认的 1 份申报已改由新的单位联系人确认并填写推荐意见（第十五条），之前发给你的确认卡片已失效，你无需再处理。');
      // the new contact: who they are, and the request
      expect(to(h, C2).map((m) => m.content.header.title.content)).toEqual(['你被登记为班组的单位联系人', '请确认申报材料：换联系人班']);
    } finally {
      await h.close();
    }
  }, 120_000);
});
