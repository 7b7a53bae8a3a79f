/**
 * A reply into a group the bot is no longer in is answered as Feishu answers it (230002 "The bot can not be outside
 * the group"): the simulated platform knows the chat of every message a test posts, and the bot treats the lost reply
 * as it treats a lost send: a bound group is unbound and the administrators are told where their notifications go.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, chatBindings, outbox } from '../../db/schema.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent } from '../support/larkEvents.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** `text` said by the administrator in `chatId` with the bot mentioned, as message `messageId`. */
async function say(chatId: string, messageId: string, text: string) {
  const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, text, chatType: 'group', chatId, mentionBot: true, messageId }));
  expect(res.status).toBe(200);
  await h.drain();
}
const replyRow = (messageId: string) => h.db.db.select().from(outbox).where(and(eq(outbox.kind, 'reply'), eq(outbox.receiver, messageId)));
const noticesOf = (chatId: string) => h.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'text' && String(m.content.text).includes(chatId));

describe('a reply into a group the bot was removed from', () => {
  it('an unbound group: the reply fails with 230002 and is not delivered; nothing else follows', async () => {
    const group = 'oc_lostreplyunbound000001';
    h.fake.loseChat(group, 230002);
    await say(group, 'om_lostreply1', '帮助');
    expect(h.fake.messages.filter((m) => m.replyTo === 'om_lostreply1')).toEqual([]);
    const [row] = await replyRow('om_lostreply1');
    expect(row).toMatchObject({ status: 'undeliverable', rateKey: group, lastError: expect.stringContaining('230002') });
    expect(noticesOf(group)).toEqual([]);
  });

  it('the bound admin group: unbound, on record, and the administrators told privately, once', async () => {
    const group = 'oc_lostreplybound00000001';
    await say(group, 'om_lostreply2', '绑定通知');
    expect(await h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, group))).toHaveLength(1);
    h.fake.loseChat(group, 230002);
    await say(group, 'om_lostreply3', '帮助');

    expect(h.fake.messages.filter((m) => m.replyTo === 'om_lostreply3')).toEqual([]);
    expect(await h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, group))).toEqual([]);
    const lost = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'chat.unreachable'), eq(auditLog.entityId, group)));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ actor: 'system:outbox', details: { purposes: ['admin'], error: expect.stringContaining('230002') } });
    const [notice] = noticesOf(group);
    expect(notice.content.text).toContain('已自动解绑');
    // the reply answered someone in the group: it is not rerouted to the administrators
    expect(await h.db.db.select().from(outbox).where(eq(outbox.receiver, ADMIN))).toSatisfy((rows: { dedupeKey: string }[]) => rows.every((r) => !r.dedupeKey.includes('rerouted')));

    await say(group, 'om_lostreply4', '帮助');
    expect(noticesOf(group)).toHaveLength(1);
  });
});
