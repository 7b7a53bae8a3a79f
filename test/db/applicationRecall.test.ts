import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, auditLog } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard, inputValues } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { type Mode, MODES_HERE } from '../support/worlds.js';

/**
 * 撤回申报: a leader takes a submitted application back to correct it before the organisation contact confirms it;
 * the contact is told, and the request card they hold says so when clicked. Both worlds (the one-statement paths on
 * and off; PGlite has only the ordinary one) answer alike.
 */

const L = 'ou_recallleader00000000000000000001';
const C = 'ou_recallcontact0000000000000000001';

async function openYear(mode: Mode): Promise<Harness> {
  const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  h.app.processor.fastPaths = mode === 'fast';
  expect((await h.click(L, { action: 'team.register' }, registrationForm('撤回测试班', C))).toast.type).toBe('success');
  h.clock.set('2027-03-10T09:00:00+08:00');
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
  return h;
}

const lastTo = (h: Harness, openId: string) => h.fake.messages.filter((m) => m.receiveId === openId).at(-1)!;
const recall = { action: 'application.recall', teamId: 1, year: 2027 };

describe.each(MODES_HERE)('撤回申报 (%s)', (mode) => {
  it('the leader takes a submitted application back: a draft again, the form to edit, the contact told, their card spent', async () => {
    const h = await openYear(mode);
    try {
      const submitted = await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm({ title: '路面修补工艺改进' }));
      expect(submitted.toast.type).toBe('success');
      // the leader's card of the submitted application offers it, asked to confirm
      expect(cardActions(submitted.card.data)).toContainEqual(recall);
      expect(JSON.stringify(submitted.card.data)).toContain('撤回后申报回到草稿');
      const request = lastTo(h, C);
      const requestValue = cardActions(request.content).find((v) => v.action === 'endorse.recommend')!;
      // and so does 进度
      await h.say(L, '进度');
      expect(cardActions(lastTo(h, L).content)).toContainEqual(recall);
      expect(cardText(lastTo(h, L).content)).toContain('确认前如需修改，可点“撤回申报”');

      h.fake.reset();
      const taken = await h.click(L, recall);
      expect(taken.toast).toEqual({ type: 'success', content: '已撤回申报，修改后请重新提交' });
      expectValidCard(taken.card.data);
      expect(cardText(taken.card.data)).toContain('申报已撤回，单位联系人已收到通知');
      // the form to edit, with what was submitted
      expect(inputValues(taken.card.data).title).toBe('路面修补工艺改进');
      expect(cardActions(taken.card.data).map((v) => v.action)).toEqual(['application.submit', 'application.save']);
      const [row] = await h.db.db.select().from(applications);
      expect(row).toMatchObject({ status: 'draft', submittedAt: null });
      const audits = await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'application.recall'));
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({ actor: L, entity: 'application', entityId: String(row.id) });
      // the contact is told
      const told = h.fake.messages.filter((m) => m.receiveId === C);
      expect(told).toHaveLength(1);
      expect(told[0].content.header.title.content).toBe('班组长撤回了申报：撤回测试班');
      expect(cardText(told[0].content)).toContain('之前发给你的确认卡片已失效，你无需处理');

      // the leader's second click: already taken back, the form again
      const again = await h.click(L, recall);
      expect(again.toast.type).toBe('info');
      expect(again.toast.content).toMatch(/^已于 2027年3月10日 09:00 撤回，无需重复撤回。发送“申报”可继续修改并提交。$/);
      expect(inputValues(again.card.data).title).toBe('路面修补工艺改进');

      // the contact's request clicked now: told the leader took it back, the materials without the form
      const stale = await h.click(C, requestValue, { truthful: true, opinion: '同意推荐' });
      expect(stale.toast).toEqual({ type: 'info', content: '第十五条：班组长已撤回这份申报修改，你无需处理；班组长重新提交后，我会再发给你确认并填写推荐意见。' });
      expect(cardActions(stale.card.data).filter((v) => String(v.action).startsWith('endorse.'))).toEqual([]);
      const staleReturn = await h.click(C, { ...requestValue, action: 'endorse.return' }, { opinion: '请补充' });
      expect(staleReturn.toast.content).toContain('班组长已撤回这份申报修改');
      expect((await h.db.db.select().from(applications))[0].status).toBe('draft');
      // the contact's 进度 and list: nothing to confirm
      await h.say(C, '进度');
      expect(cardText(lastTo(h, C).content)).toContain('班组长正在填写，尚未提交');

      // edited and submitted again the next day: the contact gets a new request, which the old card cannot decide on
      h.clock.set('2027-03-11T10:00:00+08:00');
      const resubmitted = await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm({ title: '路面修补工艺改进（修订）' }));
      expect(resubmitted.toast.type).toBe('success');
      const old = await h.click(C, requestValue, { truthful: true, opinion: '同意推荐' });
      expect(old.toast.content).toMatch(/重新提交，内容可能已修改/);
      const fresh = cardActions(lastTo(h, C).content).find((v) => v.action === 'endorse.recommend')!;
      expect((await h.click(C, fresh, { truthful: true, opinion: '同意推荐' })).toast.type).toBe('success');

      // once recommended: not to be taken back, the association returns it
      const late = await h.click(L, recall);
      expect(late.toast).toEqual({ type: 'info', content: '第十五条：单位联系人已确认推荐，申报已报协会形式审查，不能再撤回；如需修改，请联系协会在形式审查时退回。' });
      expect((await h.db.db.select().from(applications))[0].status).toBe('recommended');
      expect(cardActions(late.card.data)).not.toContainEqual(recall);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('past the deadline it is refused: taken back, it could not be submitted again', async () => {
    const h = await openYear(mode);
    try {
      await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm());
      h.clock.set('2027-05-02T09:00:00+08:00');
      const late = await h.click(L, recall);
      expect(late.toast.content).toBe('2027 年度申报已于 2027年4月30日 截止：撤回后不能再提交，这份申报将不参加本年度评审，所以不能撤回；请提醒单位联系人尽快确认（第十五条）。');
      expect((await h.db.db.select().from(applications))[0].status).toBe('submitted');
      // its card no longer offers it
      expect(cardActions(late.card.data)).not.toContainEqual(recall);
      await h.say(L, '进度');
      expect(cardActions(lastTo(h, L).content)).not.toContainEqual(recall);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('typed 撤回申报 shows the button to confirm, takes nothing back by itself, and tells others who can', async () => {
    const h = await openYear(mode);
    try {
      await h.say(L, '撤回申报');
      expect(lastTo(h, L).content).toEqual({ text: '2027 年度还没有提交申报，无需撤回；发送“申报”填写。' });
      await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm({ title: '路面修补工艺改进' }));
      for (const typed of ['撤回申报', 'withdraw my application', 'recall']) {
        await h.say(L, typed);
        const shown = lastTo(h, L).content;
        expect(cardText(shown), typed).toContain('路面修补工艺改进');
        expect(cardActions(shown), typed).toEqual([recall]);
      }
      expect((await h.db.db.select().from(applications))[0].status).toBe('submitted');
      await h.say(C, '撤回申报');
      expect(lastTo(h, C).content).toEqual({ text: '只有班组长可以撤回本班组已提交的申报。你是单位联系人：申报需要修改时，请在确认卡片上填写意见后点“退回修改”（第十五条）。' });
      // the contact may not press it either
      const refused = await h.click(C, recall);
      expect(refused.toast.content).toMatch(/只有本班组的班组长/);
      expect((await h.db.db.select().from(applications))[0].status).toBe('submitted');
    } finally {
      await h.close();
    }
  }, 120_000);
});
