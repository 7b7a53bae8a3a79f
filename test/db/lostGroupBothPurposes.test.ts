/**
 * A group bound for the administrators and the experts both (绑定通知, then 绑定通知 专家) that the bot can no longer post
 * to (disbanded, the bot removed): the administrators' messages queued to it reach them as they are now, but the
 * experts' scoring reminder (评分截止) is the experts', and is dropped saying why, as 解绑 and the bot's removal drop it.
 */
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, cycles, outbox } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { SCORING_GROUP_REMINDER } from '../../src/jobs/reminderCards.js';
import { enqueue } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent, randomMessageId } from '../support/larkEvents.js';
import { generateCycle } from './jobsFixture.js';

const clock = new ManualClock('2027-06-29T10:00:00+08:00');
const chat = (n: number) => `oc_lostboth${String(n).padStart(24, '0')}`;
let h: Harness;
let cycleId = 0;

beforeAll(async () => {
  h = await startHarness({ clock });
  await generateCycle(h.db.db, 5);
  // no other admin group: the administrators' notifications go to each of them privately
  await h.db.db.delete(chatBindings);
  [{ id: cycleId }] = await h.db.db.update(cycles).set({ status: 'scoring' }).returning({ id: cycles.id });
});
afterAll(async () => {
  await h?.close();
});

async function say(chatId: string, text: string) {
  const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: ADMIN, text, chatType: 'group', chatId, messageId: randomMessageId(), mentionBot: true }));
  expect(res.status).toBe(200);
  await h.drain();
}

const toAdmin = () => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === ADMIN);

describe('a group bound for both purposes is lost', () => {
  it.each([
    [232009, 1, 'disbanded'],
    [230002, 2, 'the bot removed'],
  ])('%i (%s, %s): the scoring reminder queued to it is dropped, the administrators’ notice goes to them privately', async (code, n) => {
    const chatId = chat(n);
    await say(chatId, '绑定通知');
    await say(chatId, '绑定通知 专家');
    expect((await h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, chatId))).map((b) => b.purpose).sort()).toEqual(['admin', 'experts']);
    h.fake.loseChat(chatId, code as 232009 | 230002);
    const before = toAdmin().length;
    await h.db.db.transaction(async (tx) => {
      await enqueue(tx, { dedupeKey: `remind:scoring-deadline:2027:T-1:chat:${chatId}`, to: { chatId }, render: { kind: SCORING_GROUP_REMINDER, cycleId } });
      await enqueue(tx, { dedupeKey: `alert:lostboth:${n}:chat:${chatId}`, to: { chatId }, card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: `管理通知 ${n}` }] } } });
    });
    await h.drain();

    const [reminder] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `remind:scoring-deadline:2027:T-1:chat:${chatId}`));
    expect(reminder.status).toBe('dropped');
    expect(reminder.lastError).toContain('评分提醒是发给专家的，不改发给管理员');
    expect(reminder.lastError).toContain(`code ${code}`);
    expect(await h.db.db.select().from(outbox).where(and(like(outbox.dedupeKey, 'remind:scoring-deadline:%'), eq(outbox.receiveIdType, 'open_id')))).toEqual([]);
    const got = toAdmin().slice(before);
    expect(got.filter((m) => m.msgType === 'interactive' && cardText(m.content).includes('请各位专家私聊我发送“评分”'))).toEqual([]);
    // what was the administrators' still reaches them, with the word on the lost group
    expect(got.filter((m) => m.msgType === 'interactive' && cardText(m.content).includes(`管理通知 ${n}`))).toHaveLength(1);
    expect(got.filter((m) => m.msgType === 'text' && String(m.content.text).includes(chatId) && String(m.content.text).includes('已自动解绑'))).toHaveLength(1);
  });
});
