/**
 * The digest's word on messages that failed in the last 7 days, each count with its own causes: given up on (dead: the
 * server's IP not in the app's allow-list, a card Feishu refused, retries spent), which the line names, and could not
 * reach their receiver (the bot stopped, out of the group), with what to check there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestCard } from '../../cards/reminders.js';
import { outbox } from '../../db/schema.js';
import { digestData } from '../../src/jobs/digest.js';
import { classifyFailure } from '../../src/lark/client.js';
import { createLogger } from '../../src/log.js';
import { enqueue, OutboxDispatcher } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const lines = (text: string) => text.split('\n').filter((l) => l.includes('近 7 天'));

describe('digest: 近 7 天 messages that failed', () => {
  it('counts what was given up on and what could not reach its receiver apart, each with its causes', async () => {
    const outcomes: Record<string, ReturnType<typeof classifyFailure>> = {
      blocked: classifyFailure(400, 230053, 'The user has stopped the bot from sending messages'),
      removed: classifyFailure(400, 230002, 'Bot/User can NOT be out of the chat'),
      ipNotAllowed: classifyFailure(400, 99991401, 'ip not allowed'),
      badCard: classifyFailure(400, 230099, 'Failed to create card content'),
      // a card update of a message older than 14 days: nobody's to check
      oldCard: classifyFailure(400, 230031, 'The message is too old to be updated'),
    };
    await db.db.transaction(async (tx) => {
      for (const k of ['blocked', 'ipNotAllowed', 'badCard']) await enqueue(tx, { dedupeKey: `failed:${k}`, to: { openId: `ou_failed_${k}` }, text: '通知' });
      await enqueue(tx, { dedupeKey: 'failed:removed', to: { chatId: 'oc_failed_removed' }, text: '通知' });
      await enqueue(tx, { dedupeKey: 'failed:oldCard', to: { updateMessage: 'om_failed_oldcard' }, card: { schema: '2.0', body: { elements: [] } } });
    });
    const d = new OutboxDispatcher({ db: db.db, transport: { deliver: async (row) => outcomes[row.dedupeKey.slice('failed:'.length)] }, log: createLogger('silent'), limits: { perApp: 1000, perReceiver: 1000 } });
    await d.runOnce();
    const statuses = Object.fromEntries((await db.db.select().from(outbox)).map((r) => [r.dedupeKey, r.status]));
    expect(statuses).toMatchObject({ 'failed:blocked': 'undeliverable', 'failed:removed': 'undeliverable', 'failed:oldCard': 'undeliverable', 'failed:ipNotAllowed': 'dead', 'failed:badCard': 'dead' });

    const { data, hasNews } = await digestData(db.db, { now: new Date(), timezone: 'Asia/Shanghai', bootstrapAdmins: [] }, 'weekly', '2026-W49');
    expect(data).toMatchObject({ deadLetters: 2, undeliverable: 2 });
    expect(hasNews).toBe(true);
    const [dead, unreached] = lines(cardText(digestCard(data)));
    expect(dead).toContain('近 7 天投递失败的消息 2 条');
    expect(dead).toContain('IP 白名单');
    expect(dead).toContain('卡片内容不被飞书接受');
    expect(dead).not.toContain('停用机器人');
    expect(unreached).toContain('近 7 天无法送达的消息 2 条');
    expect(unreached).toContain('请检查接收人是否已停用机器人或机器人是否已被移出群聊');
  });

  it('messages that could not reach their receiver alone are no news: no digest for them', async () => {
    await db.db.delete(outbox);
    await db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'failed:blocked:2', to: { openId: 'ou_failed_blocked' }, text: '通知' }));
    const d = new OutboxDispatcher({ db: db.db, transport: { deliver: async () => classifyFailure(400, 230053, 'The user has stopped the bot from sending messages') }, log: createLogger('silent') });
    await d.runOnce();
    const { data, hasNews } = await digestData(db.db, { now: new Date(), timezone: 'Asia/Shanghai', bootstrapAdmins: [] }, 'weekly', '2026-W49');
    expect(data).toMatchObject({ deadLetters: 0, undeliverable: 1 });
    expect(hasNews).toBe(false);
  });
});
