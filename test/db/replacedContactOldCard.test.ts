import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, auditLog } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES, type Mode } from '../support/worlds.js';

/**
 * 第十五条: a contact replaced in 修改资料 while an application waited for them taps 推荐 or 退回 on the request they still
 * hold, or opens it from an old 待确认的申报. They are told they are no longer the team's contact and need do nothing (not
 * that “只有该班组登记的单位联系人可以确认”, as to a stranger), the card they hold loses its form, and nothing changes; the
 * contact named in their place decides. The same for the one in between once the first is named again (A, B, A).
 */

const L = 'ou_replacedoldleader000000000000001';
const A = 'ou_replacedoldcontact00000000000001';
const B = 'ou_replacedoldcontact00000000000002';
const REPLACED = '第十五条：你已不再是该班组的单位联系人，这份申报已改由新的单位联系人确认并填写推荐意见，你无需处理。';

const decides = (card: unknown) => cardActions(card).filter((v) => v.action === 'endorse.recommend' || v.action === 'endorse.return');

describe.each(MODES)('a replaced contact’s old request (%s)', (mode: Mode) => {
  it('is answered with why, spent, and changes nothing', async () => {
    const h: Harness = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    try {
      expect((await h.click(L, { action: 'team.register' }, registrationForm('换人旧卡班', A))).toast.type).toBe('success');
      h.clock.set('2027-03-10T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
      expect((await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
      const requestTo = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && decides(m.content).length).at(-1)!;
      const held = requestTo(A);
      expect((await h.click(L, { action: 'team.editSave', teamId: 1 }, { contact: B })).toast.type).toBe('success');
      const audits = async () => (await h.db.db.select({ n: count() }).from(auditLog))[0].n;
      const before = await audits();

      // 推荐 on the request in p2p (Feishu judges the click and the card it is answered with), 退回 on another copy of it
      const recommended = await h.clickCard(A, held.messageId, decides(held.content).find((v) => v.action === 'endorse.recommend')!, { truthful: true, opinion: '同意推荐' });
      expect(recommended.refused).toBeUndefined();
      const returned = await h.click(A, decides(held.content).find((v) => v.action === 'endorse.return')!, { opinion: '请补充' });
      for (const body of [recommended.body, returned]) {
        expect(body.toast).toEqual({ type: 'info', content: REPLACED });
        expectValidCard(body.card.data);
        expect(decides(body.card.data)).toEqual([]);
        expect(cardText(body.card.data)).toContain(REPLACED);
      }
      // the card in p2p is spent: Feishu takes no more decisions from it
      expect((await h.clickCard(A, held.messageId, decides(held.content)[0], { truthful: true, opinion: '同意推荐' })).refused?.code).toBe(230001);
      const opened = await h.click(A, { action: 'endorse.open', applicationId: 1 });
      expect(opened.toast).toEqual({ type: 'info', content: REPLACED });
      expect((await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.id, 1)))[0].status).toBe('submitted');
      expect(await audits()).toBe(before);

      // A named again: B's request is spent the same way; A decides
      const heldByB = requestTo(B);
      expect((await h.click(L, { action: 'team.editSave', teamId: 1 }, { contact: A })).toast.type).toBe('success');
      const late = await h.clickCard(B, heldByB.messageId, decides(heldByB.content).find((v) => v.action === 'endorse.recommend')!, { truthful: true, opinion: '同意推荐' });
      expect(late.body.toast).toEqual({ type: 'info', content: REPLACED });
      const done = await h.click(A, decides(requestTo(A).content).find((v) => v.action === 'endorse.recommend')!, { truthful: true, opinion: '材料属实，同意推荐' });
      expect(done.toast.type).toBe('success');

      // someone who never was the team's contact is still told only whose it is, and shown nothing
      const stranger = await h.click(ADMIN, { action: 'endorse.open', applicationId: 1 });
      expect(stranger.toast.content).not.toContain('你已不再是');
    } finally {
      await h.close();
    }
  }, 120_000);
});
