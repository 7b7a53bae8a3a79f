import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { CardResponse } from '../../src/handlers.js';
import { cardActionEvent } from '../../src/local/feishuEvents.js';
import { cardActions, cardText } from '../support/cards.js';
import { type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { NO_SEND_LIMITS, NOW, personas, scoreForm, seedFixture, type Fixture } from './securityFixture.js';

/**
 * A click answered "still running" has its card queued as an update of the message once its work ends. A newer click
 * on the same card, answered meanwhile with its own card, is what the card must go on showing: the older click's card
 * is not sent over it (a submitted scoring card must not go back to its form with 提交).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type CardWork = (...args: unknown[]) => Promise<CardResponse>;

async function lateAnswerBot(fastPaths: boolean): Promise<{ h: Harness; f: Fixture; cardWork: ReturnType<typeof vi.spyOn>; original: CardWork }> {
  const h = await startHarness({ clock: new ManualClock(NOW), outboxLimits: NO_SEND_LIMITS, cardAnswerMs: 500 });
  const f = await seedFixture(h.db.db);
  h.app.processor.fastPaths = fastPaths;
  const processor = h.app.processor as unknown as { cardWork: CardWork };
  const original = processor.cardWork;
  const cardWork = vi.spyOn(processor, 'cardWork');
  return { h, f, cardWork, original };
}

const post = (h: Harness, openId: string, messageId: string, eventId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) =>
  h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, formValue, messageId, eventId }));

for (const mode of MODES_HERE) {
  describe(`a scoring card submitted while an older click on it is still running (${mode} path)`, () => {
    let bot: Awaited<ReturnType<typeof lateAnswerBot>>;
    beforeAll(async () => {
      bot = await lateAnswerBot(mode === 'fast');
    });
    afterAll(async () => {
      bot?.cardWork.mockRestore();
      await bot?.h.close();
    });

    it('keeps the submitted card: the older click’s form is not put back', { timeout: 60_000 }, async () => {
      const { h, f, cardWork, original } = bot;
      const MSG = `om_late_scoring_${mode}_000000000001`;
      const expert = personas.expert;
      // the first click (打开评分表) reads the form, then its answer is held up (a slow machine) past the answer time
      let firstDone!: () => void;
      const firstEnded = new Promise<void>((r) => (firstDone = r));
      cardWork.mockImplementationOnce(async function (this: unknown, ...args: unknown[]) {
        const answer = await original.apply(this, args);
        await sleep(1500);
        firstDone();
        return answer;
      });
      const first = await post(h, expert, MSG, `evt_late_open_${mode}`, { action: 'review.open', assignmentId: f.ownTask });
      expect(first.body.toast?.content).toContain('正在处理');
      // the second click submits the sheet and is answered at once with the submitted card, which Feishu shows
      const second = await post(h, expert, MSG, `evt_late_submit_${mode}`, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm());
      expect(second.body.card).toBeDefined();
      expect(h.fake.answerCallback(MSG, second.body).ok).toBe(true);
      const submitted = cardText(h.fake.currentCard(MSG));
      expect(cardActions(h.fake.currentCard(MSG)).some((a) => a.action === 'review.submit')).toBe(false);
      await firstEnded;
      await h.app.processor.settled(10_000);
      await h.drain();
      expect(cardText(h.fake.currentCard(MSG))).toBe(submitted);
      expect(cardActions(h.fake.currentCard(MSG)).some((a) => a.action === 'review.submit')).toBe(false);
      const late = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `late-answer:evt_late_open_${mode}`));
      expect(late.filter((r) => r.status === 'sent')).toEqual([]);
      expect(h.logs.some((l) => l.includes(`evt_late_open_${mode}`) && l.includes('a newer click on the card was answered since'))).toBe(true);
    });
  });
}

describe('a late card already queued when a newer click on the card is answered', () => {
  let bot: Awaited<ReturnType<typeof lateAnswerBot>>;
  beforeAll(async () => {
    bot = await lateAnswerBot(true);
  });
  afterAll(async () => {
    bot?.cardWork.mockRestore();
    await bot?.h.close();
  });
  const USER = 'ou_lateanswerqueued000000000000001';
  const cardOf = (text: string) => ({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: text }] } });

  it('is taken off the queue; with no newer click it goes as before', { timeout: 60_000 }, async () => {
    const { h, cardWork } = bot;
    const MSG = 'om_late_answer_queued_000000000001';
    cardWork.mockImplementationOnce(() => sleep(800).then(() => ({ card: { type: 'raw' as const, data: cardOf('第一次点击的结果（较旧）') } })));
    await post(h, USER, MSG, 'evt_queued_1', { action: 'help.menu' });
    // its work ends and its card is queued; the outbox has not sent it yet
    await vi.waitFor(
      async () => {
        const [r] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'late-answer:evt_queued_1'));
        if (r?.status !== 'pending') throw new Error('not queued yet');
      },
      { timeout: 10_000, interval: 50 },
    );
    cardWork.mockImplementationOnce(async () => ({ card: { type: 'raw' as const, data: cardOf('第二次点击的结果（较新）') } }));
    const second = await post(h, USER, MSG, 'evt_queued_2', { action: 'help.menu' });
    expect(h.fake.answerCallback(MSG, second.body).ok).toBe(true);
    await h.app.processor.settled(10_000);
    await h.drain();
    expect(cardText(h.fake.currentCard(MSG))).toContain('较新');
    const [older] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'late-answer:evt_queued_1'));
    expect(older).toMatchObject({ status: 'dropped', lastError: 'a newer click on the card was answered first' });

    // another card, clicked once: its late card lands
    const OTHER = 'om_late_answer_alone_0000000000001';
    cardWork.mockImplementationOnce(() => sleep(800).then(() => ({ card: { type: 'raw' as const, data: cardOf('唯一一次点击的结果') } })));
    await post(h, USER, OTHER, 'evt_alone_1', { action: 'help.menu' });
    await h.app.processor.settled(10_000);
    await h.drain();
    expect(cardText(h.fake.currentCard(OTHER))).toContain('唯一一次点击的结果');
  });
});
