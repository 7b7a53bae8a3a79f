/**
 * The group bound for the experts (绑定通知 专家) lost: the bot removed by someone there, the group disbanded, or Feishu
 * refusing a send to it (230002 / 232009). Its binding goes, and the administrators are told, once per loss, in their
 * group or privately when they have none, that the experts' group reminders stopped and how to bind another group.
 */
import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, cycles, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { SCORING_GROUP_REMINDER } from '../../src/jobs/reminderCards.js';
import { enqueue } from '../../src/outbox.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { botDeletedEvent, messageEvent, randomMessageId } from '../support/larkEvents.js';
import { generateCycle } from './jobsFixture.js';

const EXPERT = 'ou_lostexperts00000000000000000001';
const ADMIN_GROUP = 'oc_lostexpertsadmin00000000000000001';
const experts = (n: number) => `oc_lostexperts${String(n).padStart(21, '0')}`;
const clock = new ManualClock('2027-06-29T10:00:00+08:00');
let h: Harness;
let cycleId = 0;

beforeAll(async () => {
  h = await startHarness({ clock });
  await generateCycle(h.db.db, 3);
  await h.db.db.delete(chatBindings);
  await h.db.db.insert(people).values({ openId: EXPERT, name: '赵专家', roles: ['expert'] }).onConflictDoNothing();
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

/** The texts sent to a destination that speak of the experts' group lost. */
const told = (kind: 'chat_id' | 'open_id', id: string, chatId: string) =>
  h.fake.messages.filter((m) => m.receiveIdType === kind && m.receiveId === id && m.msgType === 'text' && String(m.content.text).includes(chatId)).map((m) => String(m.content.text));

function expectTheWord(texts: string[], chatId: string) {
  expect(texts).toHaveLength(1);
  expect(texts[0]).toContain(`评审专家通知群（${chatId}）已自动解绑`);
  expect(texts[0]).toContain('评分截止提醒不再发到专家群');
  expect(texts[0]).toContain('绑定通知 专家');
  // not the administrators' group's word: their notifications still go where they went
  expect(texts[0]).not.toContain('协会管理通知群（');
}

describe('the experts’ group is lost', () => {
  it('the bot removed by an expert: the admin group is told once, a reminder refused there afterwards brings no second word', async () => {
    const chatId = experts(1);
    await say(ADMIN_GROUP, '绑定通知');
    await say(chatId, '绑定通知 专家');
    const removal = botDeletedEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', chatId, operatorOpenId: EXPERT });
    expect((await h.post('/lark/events', removal)).status).toBe(200);
    await h.drain();
    expect(await h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, chatId))).toEqual([]);
    expectTheWord(told('chat_id', ADMIN_GROUP, chatId), chatId);
    expect(told('open_id', ADMIN, chatId)).toEqual([]);
    // a scoring reminder queued to it before the removal reached Feishu fails there: the same loss, no second word
    h.fake.loseChat(chatId, 230002);
    await h.db.db.transaction(async (tx) => {
      await enqueue(tx, { dedupeKey: `remind:scoring-deadline:2027:T-1:chat:${chatId}`, to: { chatId }, render: { kind: SCORING_GROUP_REMINDER, cycleId } });
    });
    await h.drain();
    expect(told('chat_id', ADMIN_GROUP, chatId)).toHaveLength(1);
    await say(ADMIN_GROUP, '解绑');
  });

  it.each([
    [232009, 2, 'disbanded'],
    [230002, 3, 'the bot removed'],
  ])('Feishu refuses the scoring reminder with %i (%s): unbound, the administrators told privately once, nothing of it rerouted to them', async (code, n) => {
    const chatId = experts(n);
    await say(chatId, '绑定通知 专家');
    h.fake.loseChat(chatId, code as 232009 | 230002);
    const before = h.fake.messages.filter((m) => m.receiveId === ADMIN).length;
    await h.db.db.transaction(async (tx) => {
      await enqueue(tx, { dedupeKey: `remind:scoring-deadline:2027:T-3:chat:${chatId}`, to: { chatId }, render: { kind: SCORING_GROUP_REMINDER, cycleId } });
    });
    await h.drain();
    expect(await h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, chatId))).toEqual([]);
    expectTheWord(told('open_id', ADMIN, chatId), chatId);
    // the word is all the administrators get: the reminder was the experts'
    expect(h.fake.messages.filter((m) => m.receiveId === ADMIN).length).toBe(before + 1);
  });

  it('disbanded (im.chat.disbanded_v1): told once', async () => {
    const chatId = experts(4);
    await say(chatId, '绑定通知 专家');
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/feishu/im.chat.disbanded_v1.json', import.meta.url), 'utf8'));
    fixture.header.token = TEST_VERIFICATION_TOKEN;
    fixture.header.event_id = 'disbanded-experts-4';
    fixture.event.chat_id = chatId;
    expect((await h.post('/lark/events', fixture)).status).toBe(200);
    await h.drain();
    expectTheWord(told('open_id', ADMIN, chatId), chatId);
  });
});
