import { asc, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, outbox } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { MODES, type Mode } from '../support/worlds.js';

/**
 * 请确认申报材料 still in the outbox (Feishu out of reach, the contact's rate spent) when the application it asks about
 * changes: drawn when it goes out, it is never a live card for a submission that no longer waits, so the organisation
 * contact never holds two live requests for one application. Each step is posted without sending anything (the bot's
 * dispatcher is not running); the outbox is sent at the end, as it would be once Feishu answers again.
 */

const L = 'ou_sentlateleader000000000000000001';
const C = 'ou_sentlatecontact00000000000000001';
const C2 = 'ou_sentlatecontact00000000000000002';

async function openYear(mode: Mode): Promise<Harness> {
  const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  h.app.processor.fastPaths = mode === 'fast';
  expect((await h.click(L, { action: 'team.register' }, registrationForm('迟发测试班', C))).toast.type).toBe('success');
  h.clock.set('2027-03-10T09:00:00+08:00');
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
  h.fake.reset();
  return h;
}

/** A click answered while nothing is sent: its messages stay in the outbox. */
async function clickUnsent(h: Harness, openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, formValue }));
  expect(res.status).toBe(200);
  return res.body as { toast: { type: string; content: string } };
}

const submit = { action: 'application.submit', teamId: 1, year: 2027 };
const recall = { action: 'application.recall', teamId: 1, year: 2027 };
const decides = (content: unknown) => cardActions(content).filter((v) => v.action === 'endorse.recommend' || v.action === 'endorse.return');
/** What reached the contact once the outbox was sent, in order. */
const toContact = (h: Harness) => h.fake.messages.filter((m) => m.receiveId === C);
const requestRows = async (h: Harness) => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'endorse:request:%')).orderBy(asc(outbox.id));

describe.each(MODES)('a request to the contact still unsent when the application changes (%s)', (mode) => {
  it('taken back by its leader first: it goes out withdrawn, saying when, with nothing to decide', async () => {
    const h = await openYear(mode);
    try {
      expect((await clickUnsent(h, L, submit, applicationForm({ title: '路面修补工艺改进' }))).toast.type).toBe('success');
      h.clock.set('2027-03-10T11:30:00+08:00');
      expect((await clickUnsent(h, L, recall)).toast.type).toBe('success');
      expect((await requestRows(h)).map((r) => r.status)).toEqual(['pending']);

      await h.drain();
      const got = toContact(h);
      // the request (drawn as withdrawn) and the notice of the recall; not one live card
      expect(got).toHaveLength(2);
      for (const m of got) {
        expectValidCard(m.content);
        expect(decides(m.content)).toEqual([]);
      }
      const request = got.find((m) => m.content.header?.title?.content === '申报材料：迟发测试班')!;
      expect(cardText(request.content)).toContain('路面修补工艺改进');
      expect(cardText(request.content)).toContain('撤回时间：2027年3月10日 11:30。第十五条：班组长已撤回这份申报修改，你无需处理');
      expect(got.some((m) => m.content.header?.title?.content === '班组长撤回了申报：迟发测试班')).toBe(true);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('taken back and submitted again before either went out: only the later submission’s request is live', async () => {
    const h = await openYear(mode);
    try {
      await clickUnsent(h, L, submit, applicationForm({ title: '路面修补工艺改进' }));
      h.clock.set('2027-03-10T11:30:00+08:00');
      await clickUnsent(h, L, recall);
      h.clock.set('2027-03-11T10:00:00+08:00');
      expect((await clickUnsent(h, L, submit, applicationForm({ title: '路面修补工艺改进（修订）' }))).toast.type).toBe('success');
      expect((await requestRows(h)).map((r) => r.status)).toEqual(['pending', 'pending']);

      await h.drain();
      const live = toContact(h).filter((m) => decides(m.content).length);
      expect(live).toHaveLength(1);
      expect(cardText(live[0].content)).toContain('路面修补工艺改进（修订）');
      // the first went out withdrawn, with what it was about
      const first = toContact(h).find((m) => m.content.header?.title?.content === '申报材料：迟发测试班')!;
      expect(cardText(first.content)).toContain('撤回时间：2027年3月10日 11:30');
      expect(cardText(first.content)).not.toContain('（修订）');
      // the live one decides
      const ok = await h.click(C, decides(live[0].content).find((v) => v.action === 'endorse.recommend')!, { truthful: true, opinion: '同意推荐' });
      expect(ok.toast.type).toBe('success');
      expect((await h.db.db.select().from(applications))[0].status).toBe('recommended');
    } finally {
      await h.close();
    }
  }, 120_000);

  it('returned by the contact from their list and submitted again before it went out: not sent, the later one is', async () => {
    const h = await openYear(mode);
    try {
      await clickUnsent(h, L, submit, applicationForm({ title: '路面修补工艺改进' }));
      const [application] = await h.db.db.select().from(applications);
      // decided from 待确认的申报 (its card carries no submission time) before the request arrived
      expect((await clickUnsent(h, C, { action: 'endorse.return', applicationId: application.id }, { opinion: '请补充成果数据' })).toast.type).toBe('success');
      h.clock.set('2027-03-11T10:00:00+08:00');
      expect((await clickUnsent(h, L, submit, applicationForm({ title: '路面修补工艺改进（补充）' }))).toast.type).toBe('success');

      await h.drain();
      const requests = toContact(h).filter((m) => m.msgType === 'interactive');
      expect(requests).toHaveLength(1);
      expect(decides(requests[0].content).map((v) => v.action)).toEqual(['endorse.recommend', 'endorse.return']);
      expect(cardText(requests[0].content)).toContain('路面修补工艺改进（补充）');
      const rows = await requestRows(h);
      expect(rows.map((r) => r.status)).toEqual(['dropped', 'sent']);
      expect(rows[0].lastError).toContain('已重新提交');
      const [after] = await h.db.db.select().from(applications).where(eq(applications.id, application.id));
      expect(after.status).toBe('submitted');
    } finally {
      await h.close();
    }
  }, 120_000);
  it('to a contact replaced in 修改资料 before it went out: not sent to them; the new contact’s is live', async () => {
    const h = await openYear(mode);
    try {
      await clickUnsent(h, L, submit, applicationForm({ title: '路面修补工艺改进' }));
      expect((await clickUnsent(h, L, { action: 'team.editSave', teamId: 1 }, { contact: C2 })).toast.type).toBe('success');

      await h.drain();
      // the former contact: only the card saying they no longer are, and that their request is spent
      const former = toContact(h);
      expect(former).toHaveLength(1);
      expect(former[0].content.header.title.content).toBe('你已不再是该班组的单位联系人');
      expect(cardText(former[0].content)).toContain('之前发给你的确认卡片已失效');
      const [first] = await requestRows(h);
      expect(first).toMatchObject({ receiver: C, status: 'dropped' });
      const live = h.fake.messages.filter((m) => m.receiveId === C2 && decides(m.content).length);
      expect(live).toHaveLength(1);
      expect((await h.click(C2, decides(live[0].content).find((v) => v.action === 'endorse.recommend')!, { truthful: true, opinion: '同意推荐' })).toast.type).toBe('success');
    } finally {
      await h.close();
    }
  }, 120_000);
  it('to a contact replaced and then named again before it went out: they hold one live request, not two', async () => {
    const h = await openYear(mode);
    try {
      await clickUnsent(h, L, submit, applicationForm({ title: '路面修补工艺改进' }));
      expect((await clickUnsent(h, L, { action: 'team.editSave', teamId: 1 }, { contact: C2 })).toast.type).toBe('success');
      expect((await clickUnsent(h, L, { action: 'team.editSave', teamId: 1 }, { contact: C })).toast.type).toBe('success');

      await h.drain();
      const live = toContact(h).filter((m) => decides(m.content).length);
      expect(live).toHaveLength(1);
      expect(h.fake.messages.filter((m) => m.receiveId === C2 && decides(m.content).length)).toEqual([]);
      // the first request and the one handed to C2 were dropped when the contact changed; the one handed back to C went
      expect((await requestRows(h)).map((r) => [r.receiver, r.status])).toEqual([
        [C, 'dropped'],
        [C2, 'dropped'],
        [C, 'sent'],
      ]);
      expect((await h.click(C, decides(live[0].content).find((v) => v.action === 'endorse.recommend')!, { truthful: true, opinion: '同意推荐' })).toast.type).toBe('success');
    } finally {
      await h.close();
    }
  }, 120_000);
  it('recommended by the contact from their list before it went out: it goes out decided, with their opinion', async () => {
    const h = await openYear(mode);
    try {
      await clickUnsent(h, L, submit, applicationForm({ title: '路面修补工艺改进' }));
      const [application] = await h.db.db.select().from(applications);
      expect((await clickUnsent(h, C, { action: 'endorse.recommend', applicationId: application.id }, { truthful: true, opinion: '材料属实，同意推荐' })).toast.type).toBe('success');

      await h.drain();
      const got = toContact(h);
      expect(got).toHaveLength(1);
      expectValidCard(got[0].content);
      expect(got[0].content.header.title.content).toBe('已推荐：迟发测试班');
      expect(cardText(got[0].content)).toContain('材料属实，同意推荐');
      expect(decides(got[0].content)).toEqual([]);
    } finally {
      await h.close();
    }
  }, 120_000);
});
