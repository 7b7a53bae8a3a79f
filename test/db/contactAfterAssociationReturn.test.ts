import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES, type Mode } from '../support/worlds.js';

/**
 * 第十五条: the contact recommended, then the association's formal check returned the application. The card the contact
 * is answered with when they tap 推荐 or 退回 again on their request, or open it from an old 待确认的申报, says what the
 * toast says: the association returned it (with its reason) and it comes back to them once the leader submits again —
 * not “已推荐 … 已报协会形式审查。”, which is no longer so.
 */

const L = 'ou_afterassocleader0000000000000001';
const C = 'ou_afterassoccontact000000000000001';
const REASON = '材料链接无法打开';

describe.each(MODES)('the contact’s card once the association returned what they recommended (%s)', (mode: Mode) => {
  it('says the association returned it, not that it waits for the formal check', async () => {
    const h: Harness = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    try {
      expect((await h.click(L, { action: 'team.register' }, registrationForm('协会退回班', C))).toast.type).toBe('success');
      h.clock.set('2027-03-10T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
      expect((await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
      const request = h.fake.messages.filter((m) => m.receiveId === C && cardActions(m.content).some((v) => v.action === 'endorse.recommend')).at(-1)!;
      const recommend = cardActions(request.content).find((v) => v.action === 'endorse.recommend')!;
      expect((await h.click(C, recommend, { truthful: true, opinion: '同意推荐' })).toast.type).toBe('success');
      const list = (await h.click(ADMIN, { action: 'check.list' })).card.data;
      const checkReturn = cardActions(list).find((v) => v.action === 'check.return')!;
      expect((await h.click(ADMIN, checkReturn, { reason_1: REASON })).toast.type).toBe('success');

      const again = await h.click(C, recommend, { truthful: true, opinion: '同意推荐' });
      expect(again.toast.content).toContain('协会形式审查已退回这份申报');
      const opened = await h.click(C, { action: 'endorse.open', applicationId: 1 });
      for (const body of [again, opened]) {
        expectValidCard(body.card.data);
        const said = cardText(body.card.data);
        expect(body.card.data.header.title.content).toBe('协会退回了申报');
        expect(said).toContain(REASON);
        expect(said).toContain('班组长按原因修改后重新提交时，我会把申报再发给你确认并填写推荐意见');
        expect(said).not.toContain('已报协会形式审查');
        expect(cardActions(body.card.data).filter((v) => String(v.action).startsWith('endorse.recommend'))).toEqual([]);
      }
    } finally {
      await h.close();
    }
  }, 120_000);
});
