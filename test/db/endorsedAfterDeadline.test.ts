import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * 第十五条: a contact's 退回 once the year's applications are closed takes the application out of the year. The card a
 * second tap on 确认退回 answers with, and the one 待确认的申报 → the team opens later, say so as the first answer did,
 * never “已通知班组长修改后重新提交” (the team can no longer submit); a return made in time and looked at after the
 * close says the same.
 */

const C = 'ou_lateendorsecontact00000000000001';
const L1 = 'ou_lateendorseleader000000000000001';
const L2 = 'ou_lateendorseleader000000000000002';
const CLOSED = '本年度申报已截止，这份申报不能再修改提交，不参加本年度评审。';
const RESUBMIT = '已通知班组长修改后重新提交。';
const NOT_RESUBMITTED = '第十五条：班组长已撤回这份申报修改，未在 2027 年度申报截止（2027年4月30日）前重新提交，这份申报不参加本年度评审；你无需确认或填写推荐意见。';

describe('a returned application looked at again after the deadline', () => {
  it('the contact’s card says it cannot be submitted again, on a double tap and when opened', async () => {
    const h: Harness = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    try {
      expect((await h.click(L1, { action: 'team.register' }, registrationForm('截止退回一班', C))).toast.type).toBe('success');
      expect((await h.click(L2, { action: 'team.register' }, registrationForm('截止退回二班', C))).toast.type).toBe('success');
      h.clock.set('2027-03-10T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
      for (const [leader, teamId] of [[L1, 1], [L2, 2]] as const) {
        expect((await h.click(leader, { action: 'application.submit', teamId, year: 2027 }, applicationForm())).toast.type).toBe('success');
      }
      // team 2 returned in time
      const inTime = await h.click(C, { action: 'endorse.return', applicationId: 2 }, { opinion: '请补充 QC 记录' });
      expect(inTime.toast.type).toBe('success');
      expect(cardText(inTime.card.data)).toContain(RESUBMIT);

      h.clock.set('2027-05-01T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: 1 });
      // team 1: asked, then confirmed; then the confirmation tapped again
      const asked = await h.click(C, { action: 'endorse.return', applicationId: 1 }, { opinion: '材料不实' });
      expect(asked.toast.type).toBe('info');
      const confirmed = await h.click(C, { action: 'endorse.return', applicationId: 1, late: true }, { opinion: '材料不实' });
      expect(confirmed.toast.type).toBe('success');
      expect(cardText(confirmed.card.data)).toContain(CLOSED);
      const again = await h.click(C, { action: 'endorse.return', applicationId: 1, late: true }, { opinion: '材料不实' });
      expect(again.toast.content).toContain('无需重复退回');
      for (const body of [again, await h.click(C, { action: 'endorse.open', applicationId: 1 }), await h.click(C, { action: 'endorse.open', applicationId: 2 })]) {
        expectValidCard(body.card.data);
        expect(body.card.data.header.title.content).toMatch(/^已退回：截止退回[一二]班$/);
        expect(cardText(body.card.data)).toContain(CLOSED);
        expect(cardText(body.card.data)).not.toContain(RESUBMIT);
      }
    } finally {
      await h.close();
    }
  }, 120_000);

  it('a request still unsent when the contact returned it past the deadline goes out saying so', async () => {
    const h: Harness = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    // a click answered while nothing is sent (Feishu out of reach): its messages stay in the outbox
    const unsent = async (openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => {
      const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, formValue }));
      expect(res.status).toBe(200);
      return res.body as { toast: { type: string; content: string } };
    };
    try {
      expect((await h.click(L1, { action: 'team.register' }, registrationForm('迟发退回班', C))).toast.type).toBe('success');
      h.clock.set('2027-04-30T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
      h.fake.reset();
      expect((await unsent(L1, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
      h.clock.set('2027-05-01T09:00:00+08:00');
      await unsent(ADMIN, { action: 'cycle.closeApplications', cycleId: 1 });
      expect((await unsent(C, { action: 'endorse.return', applicationId: 1, late: true }, { opinion: '材料不实' })).toast.type).toBe('success');
      await h.drain();
      const request = h.fake.messages.filter((m) => m.receiveId === C && m.content?.header?.title?.content === '已退回：迟发退回班');
      expect(request).toHaveLength(1);
      expectValidCard(request[0].content);
      expect(cardText(request[0].content)).toContain(CLOSED);
      expect(cardText(request[0].content)).not.toContain(RESUBMIT);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('a request its leader took back and never submitted again: after the deadline no resubmission is promised', async () => {
    const h: Harness = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    try {
      expect((await h.click(L1, { action: 'team.register' }, registrationForm('撤回未交班', C))).toast.type).toBe('success');
      h.clock.set('2027-04-28T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
      expect((await h.click(L1, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
      const request = h.fake.messages.filter((m) => m.receiveId === C && m.content?.header?.title?.content === '请确认申报材料：撤回未交班').at(-1)!;
      const recommend = cardActions(request.content).find((v) => v.action === 'endorse.recommend')!;
      // in time, the contact is told the leader will submit it again
      expect((await h.click(L1, { action: 'application.recall', teamId: 1, year: 2027 })).toast.type).toBe('success');
      expect((await h.click(C, recommend, { truthful: true, opinion: '同意推荐' })).toast.content).toContain('班组长重新提交后，我会再发给你确认');

      h.clock.set('2027-05-01T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: 1 });
      const tapped = await h.click(C, recommend, { truthful: true, opinion: '同意推荐' });
      const opened = await h.click(C, { action: 'endorse.open', applicationId: 1 });
      for (const body of [tapped, opened]) {
        expect(body.toast.type).toBe('info');
        expect(body.toast.content).toBe(NOT_RESUBMITTED);
        expectValidCard(body.card.data);
        expect(cardText(body.card.data)).toContain(NOT_RESUBMITTED);
        expect(cardActions(body.card.data).filter((v) => v.action === 'endorse.recommend')).toEqual([]);
      }
    } finally {
      await h.close();
    }
  }, 120_000);
});
