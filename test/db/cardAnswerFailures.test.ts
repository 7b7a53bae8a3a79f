import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import { CARD_ANSWER_MS } from '../../src/events.js';
import type { CardResponse } from '../../src/handlers.js';
import { cardActionEvent } from '../../src/local/feishuEvents.js';
import { type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';

/**
 * Feishu asks for HTTP 200 within 3 s, with `{}` or a toast, to every card callback
 * (https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN): a click whose work fails for a reason nobody
 * foresaw is answered with an error toast saying what to do, not a 500 (which Feishu shows as its own error code). A
 * click answered "still running" whose work then ends without a card to show (a refusal) tells the person by message.
 */

const USER = 'ou_cardfailure00000000000000000000001';

describe('card callbacks that fail or end late', () => {
  let h: Harness;
  /** The processor's work for one click: replaced here by a failure or a slow refusal. */
  let cardWork: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    // the bot's own answer time: these clicks are answered as still running
    h = await startHarness({ cardAnswerMs: CARD_ANSWER_MS });
    cardWork = vi.spyOn(h.app.processor as unknown as { cardWork(...args: unknown[]): Promise<CardResponse> }, 'cardWork');
  });

  afterAll(async () => {
    cardWork?.mockRestore();
    await h?.close();
  });

  it('answers a click whose work throws with HTTP 200 and an error toast, and logs the error', async () => {
    cardWork.mockRejectedValueOnce(new Error('unforeseen: a bug in a handler'));
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, value: { action: 'help.menu' } }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ toast: { type: 'error', content: expect.stringContaining('请稍后再试一次') } });
    expect(h.logs.some((l) => l.includes('card action failed') && l.includes('unforeseen: a bug in a handler') && l.includes('"level":50'))).toBe(true);
    // the next click is served as usual
    expect((await h.click(USER, { action: 'help.menu' })).card).toBeDefined();
  });

  it('sends a late refusal to the person who clicked, as the “still running” toast promised', { timeout: 120_000 }, async () => {
    const refusal: CardResponse = { toast: { type: 'error', content: '第十五条：申报材料须经所在单位确认，这份申报还在等单位确认。' } };
    cardWork.mockImplementationOnce(() => new Promise((resolve) => setTimeout(() => resolve(refusal), 3_000)));
    const body = await h.click(USER, { action: 'help.menu' }, undefined, { eventId: 'evt_late_refusal', messageId: 'om_late_refusal' });
    expect(body.toast?.content).toContain('发消息告诉你结果');
    expect(body.card).toBeUndefined();
    const row = await vi.waitFor(
      async () => {
        await h.drain();
        const [r] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'late-answer:evt_late_refusal:said'));
        if (r?.status !== 'sent') throw new Error('not sent yet');
        return r;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(row).toMatchObject({ receiveIdType: 'open_id', receiver: USER, msgType: 'text' });
    const sent = h.fake.messages.filter((m) => m.receiveId === USER && m.msgType === 'text').at(-1);
    expect(JSON.stringify(sent?.content)).toContain('你刚才在卡片上的操作没有完成：第十五条：申报材料须经所在单位确认');
  });

  it('a late refusal that redraws the card: the card replaces the clicked one, and the reason comes as a message', { timeout: 120_000 }, async () => {
    const clicked = await h.click(USER, { action: 'help.menu' });
    const messageId = h.fake.messages.find((m) => m.receiveId === USER && m.msgType === 'interactive')?.messageId ?? 'om_late_redraw';
    const refusal: CardResponse = { toast: { type: 'error', content: '第十九条：本年度评审已截止申报。' }, card: clicked.card };
    cardWork.mockImplementationOnce(() => new Promise((resolve) => setTimeout(() => resolve(refusal), 3_000)));
    await h.click(USER, { action: 'help.menu' }, undefined, { eventId: 'evt_late_redraw', messageId });
    await vi.waitFor(
      async () => {
        await h.drain();
        const rows = await h.db.db.select().from(outbox);
        const update = rows.find((r) => r.dedupeKey === 'late-answer:evt_late_redraw');
        const said = rows.find((r) => r.dedupeKey === 'late-answer:evt_late_redraw:said');
        if (update?.status !== 'sent' || said?.status !== 'sent') throw new Error('not both sent yet');
        expect(update).toMatchObject({ receiveIdType: 'message_id', receiver: messageId });
        expect(JSON.stringify(said.card)).toContain('你刚才在卡片上的操作没有完成：第十九条：本年度评审已截止申报。');
      },
      { timeout: 30_000, interval: 100 },
    );
  });

  it('and a late failure likewise', { timeout: 120_000 }, async () => {
    cardWork.mockImplementationOnce(() => new Promise((_, reject) => setTimeout(() => reject(new Error('unforeseen, late')), 3_000)));
    await h.click(USER, { action: 'help.menu' }, undefined, { eventId: 'evt_late_failure', messageId: 'om_late_failure' });
    await vi.waitFor(
      async () => {
        await h.drain();
        const [r] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'late-answer:evt_late_failure:said'));
        if (r?.status !== 'sent') throw new Error('not sent yet');
      },
      { timeout: 30_000, interval: 100 },
    );
    const sent = h.fake.messages.filter((m) => m.receiveId === USER && m.msgType === 'text').at(-1);
    expect(JSON.stringify(sent?.content)).toContain('你刚才在卡片上的操作出了问题，可能没有完成');
  });
});
