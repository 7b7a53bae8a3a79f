/**
 * A 互通群 (a connection group, with members of other tenants): Feishu refuses every card the bot sends or replies
 * there (230054) but takes text. Who added the bot, or @-mentioned it there, still gets the card they asked for,
 * privately, and the group hears in text why the bot shows nothing there and what to send privately: once per event,
 * through the outbox. An ordinary group is answered with its card as ever.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { cardsRefusedFallback } from '../../src/notifications.js';
import { enqueueMany } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { botAddedEvent, messageEvent, randomEventId, randomMessageId } from '../support/larkEvents.js';

const ASKER = 'ou_connasker0000000000000000000001';
const CONNECTION = 'oc_connectiongroup000000000000001';
const ORDINARY = 'oc_ordinarygroup00000000000000001';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
  h.fake.connectionGroup(CONNECTION);
});

/** `text` said in `chatId` by ASKER with the bot mentioned; the message's id. */
async function ask(chatId: string, text: string, ids: { messageId?: string; eventId?: string } = {}): Promise<string> {
  const messageId = ids.messageId ?? randomMessageId();
  const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ASKER, text, chatType: 'group', chatId, messageId, eventId: ids.eventId, mentionBot: true }));
  expect(res.status).toBe(200);
  await h.drain();
  return messageId;
}

const privately = () => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === ASKER);
const inGroup = (messageId: string) => h.fake.messages.filter((m) => m.replyTo === messageId || m.receiveId === messageId);

describe('a connection group (互通群) that takes no cards', () => {
  it('the bot added: its introduction goes to who added it, the group is told in text to ask privately', async () => {
    const res = await h.post('/lark/events', botAddedEvent({ token: TEST_VERIFICATION_TOKEN, chatId: CONNECTION, operatorOpenId: ASKER }));
    expect(res.status).toBe(200);
    await h.drain();
    const mine = privately();
    expect(mine).toHaveLength(1);
    expect(mine[0].msgType).toBe('interactive');
    expect(cardText(mine[0].content)).toContain('质量信得过班组助手');
    const texts = h.fake.messages.filter((m) => m.receiveIdType === 'chat_id' && m.receiveId === CONNECTION);
    expect(texts.map((m) => m.msgType)).toEqual(['text']);
    expect(texts[0].content.text).toMatch(/互通群.*卡片.*私聊机器人发送“帮助”/);
    expect(h.fake.messages).toHaveLength(2);
  });

  it('@bot 帮助: the asker gets their own menu privately, the group a text naming 帮助', async () => {
    const messageId = await ask(CONNECTION, '帮助');
    const mine = privately();
    expect(mine).toHaveLength(1);
    expect(mine[0].msgType).toBe('interactive');
    // their menu itself, not the group's card whose button would open it
    expect(cardText(mine[0].content)).not.toContain('在私聊中打开我的菜单');
    const replies = inGroup(messageId);
    expect(replies.map((m) => m.msgType)).toEqual(['text']);
    expect(replies[0].content.text).toContain('互通群');
    expect(replies[0].content.text).toContain('私聊机器人发送“帮助”');
    expect(h.fake.messages).toHaveLength(2);
  });

  it('@bot 条款 16: the article privately, the text names 条款 16', async () => {
    const messageId = await ask(CONNECTION, '条款 16');
    const mine = privately();
    expect(mine).toHaveLength(1);
    expect(cardText(mine[0].content)).toContain('第十六条');
    const replies = inGroup(messageId);
    expect(replies.map((m) => m.msgType)).toEqual(['text']);
    expect(replies[0].content.text).toContain('“条款 16”');
  });

  it('a question about the measures: the answer privately, the question quoted back in the text', async () => {
    const messageId = await ask(CONNECTION, '班组注册满几年可以申报');
    expect(privately().map((m) => m.msgType)).toEqual(['interactive']);
    const replies = inGroup(messageId);
    expect(replies.map((m) => m.msgType)).toEqual(['text']);
    expect(replies[0].content.text).toContain('“班组注册满几年可以申报”');
  });

  it('a long question is quoted cut by characters: an emoji at the cut stays whole', async () => {
    const said = `${'一'.repeat(29)}😀😀班组注册满几年可以申报`;
    const messageId = await ask(CONNECTION, said);
    const [reply] = inGroup(messageId);
    expect(reply.content.text).toContain(`“${'一'.repeat(29)}😀…”`);
    expect(reply.content.text).not.toContain('\ufffd');
  });

  it('once per event: a redelivery, or the refusal handled twice, sends nothing again; nothing is left to send', async () => {
    const messageId = randomMessageId();
    await ask(CONNECTION, '帮助', { messageId });
    // Feishu delivers the same message again under a new event id
    await ask(CONNECTION, '帮助', { messageId, eventId: randomEventId() });
    expect(privately()).toHaveLength(1);
    expect(inGroup(messageId)).toHaveLength(1);
    // the refused row's fallback queued again (a second replica finding the same refusal): the keys are taken
    const [refused] = await h.db.db.select().from(outbox).where(and(eq(outbox.receiver, messageId), eq(outbox.msgType, 'interactive')));
    expect(refused.status).toBe('undeliverable');
    expect(await h.db.db.transaction((tx) => enqueueMany(tx, cardsRefusedFallback(refused)))).toBe(0);
    const open = await h.db.db.select().from(outbox).where(inArray(outbox.status, ['pending', 'sending', 'held']));
    expect(open).toEqual([]);
  });
});

describe('an ordinary group', () => {
  it('@bot 帮助 is answered with the card in the group, nothing privately, no text', async () => {
    const messageId = await ask(ORDINARY, '帮助');
    const replies = inGroup(messageId);
    expect(replies.map((m) => m.msgType)).toEqual(['interactive']);
    expect(privately()).toEqual([]);
  });
});
