import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { p2pChatIdFor } from '../../src/local/fakeOpenPlatform.js';
import { createLogger } from '../../src/log.js';
import { enqueue, OutboxDispatcher } from '../../src/outbox.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * 向同一用户发送消息的限频为 5 QPS (https://open.feishu.cn/document/server-docs/im-v1/message/create): a message to one
 * person counts against one budget, whether it goes to their open_id or as a reply in their p2p chat with the bot.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.db.db.delete(outbox);
  h.fake.reset();
});

const card = (n: number) => ({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: `message ${n}` }] } });

it('claims at most 5 messages a second for one person, sends to their open_id and replies in their p2p chat together', async () => {
  const user = 'ou_sendrateperson0000000000000001';
  await h.db.db.transaction(async (tx) => {
    for (let i = 0; i < 5; i++) await enqueue(tx, { dedupeKey: `send-${i}`, to: { openId: user }, card: card(i) });
    for (let i = 0; i < 5; i++) await enqueue(tx, { dedupeKey: `reply-${i}`, to: { replyTo: `om_asked${i}`, chatId: p2pChatIdFor(user), p2pOpenId: user }, card: card(i) });
  });
  const d = new OutboxDispatcher({ db: h.db.db, transport: { deliver: async () => ({ ok: true }) }, log: createLogger('silent') });
  const claimed = await d.claim();
  expect(claimed).toHaveLength(5);
  expect(new Set(claimed.map((r) => r.rateKey))).toEqual(new Set([user]));
  // a reply in a group stays the group's
  await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'group-reply', to: { replyTo: 'om_ingroup', chatId: 'oc_sendrategroup' }, card: card(0) }));
  expect((await d.claim()).map((r) => r.rateKey)).toEqual(['oc_sendrategroup']);
});

it('delivers ten messages to one person through the platform without one refused for the rate (230020)', async () => {
  const user = 'ou_sendrateperson0000000000000002';
  for (let i = 0; i < 5; i++) h.fake.userMessage(`om_userasked${i}`, p2pChatIdFor(user));
  await h.db.db.transaction(async (tx) => {
    for (let i = 0; i < 5; i++) await enqueue(tx, { dedupeKey: `send-${i}`, to: { openId: user }, card: card(i) });
    for (let i = 0; i < 5; i++) await enqueue(tx, { dedupeKey: `reply-${i}`, to: { replyTo: `om_userasked${i}`, chatId: p2pChatIdFor(user), p2pOpenId: user }, card: card(i) });
  });
  await h.drain();
  const sent = await h.db.db.select().from(outbox).where(eq(outbox.status, 'sent'));
  expect(sent).toHaveLength(10);
  expect(sent.every((r) => r.attempts === 1)).toBe(true);
  expect(h.fake.messages).toHaveLength(10);
});
