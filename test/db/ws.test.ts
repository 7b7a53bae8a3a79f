import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { processedEvents } from '../../db/schema.js';
import type { BotApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { type FakeWsGateway, startFakeWsGateway } from '../support/fakeWsGateway.js';
import { startTestBot } from '../support/harness.js';
import { cardActionEvent, messageEvent, randomEventId, randomMessageId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';

// the SDK's WSClient.start() silently refuses an app id that is not cli_ + 16 hex digits
const APP_ID = 'cli_a1b2c3d4e5f60718';
const APP_SECRET = 'ws-test-secret';
// the long connection skips the verification token; events still carry one as Feishu sends them
const TOKEN = 'unused-over-ws';
const USER = 'ou_wsuser00000000000000000000000001';
const OTHER = 'ou_wsuser00000000000000000000000002';

let fake: FakeOpenPlatform;
let gateway: FakeWsGateway;
let db: TestDatabase;
let app: BotApp;
let logs: string[];

beforeAll(async () => {
  fake = await startFakeOpenPlatform({ appId: APP_ID, appSecret: APP_SECRET });
  gateway = await startFakeWsGateway({ appId: APP_ID, appSecret: APP_SECRET });
  db = await createTestDatabase();
  ({ app, logs } = await startTestBot({
    env: { LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET, LARK_DOMAIN: fake.url, LARK_EVENT_MODE: 'ws' },
    db,
    clock: new ManualClock('2026-03-01T09:00:00+08:00'),
    wsDomain: gateway.url,
  }));
  await gateway.connected();
});
afterAll(async () => {
  await app?.stop();
  await db?.close();
  await gateway?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const drain = () => app.dispatcher.drain(15_000);
const cardsTo = (openId: string) => fake.messages.filter((m) => m.msgType === 'interactive' && m.receiveId === openId);

async function processedCount(): Promise<number> {
  const [row] = await db.db.select({ n: sql<number>`count(*)::int` }).from(processedEvents);
  return Number(row.n);
}

describe('events over the long connection', () => {
  it('answers 帮助 with one menu card, and a redelivered event changes nothing', async () => {
    const event = messageEvent({ token: TOKEN, appId: APP_ID, openId: USER, text: '帮助' });
    expect(await gateway.sendEvent(event)).toEqual({ code: 200 });
    await drain();
    expect(cardsTo(USER)).toHaveLength(1);
    expect(cardsTo(USER)[0].content.schema).toBe('2.0');

    const before = await processedCount();
    expect((await gateway.sendEvent(event)).code).toBe(200);
    await drain();
    expect(cardsTo(USER)).toHaveLength(1);
    expect(await processedCount()).toBe(before);
  });

  it('answers a card callback in the response frame with a raw card', async () => {
    const res = await gateway.sendEvent(cardActionEvent({ token: TOKEN, appId: APP_ID, openId: USER, value: { action: 'help.menu' } }));
    expect(res.code).toBe(200);
    expect(res.data.card.type).toBe('raw');
    expect(res.data.card.data.schema).toBe('2.0');
    const response = gateway.received.filter((f) => f.method === 1).at(-1)!;
    expect(response.headers.map((h) => h.key)).toContain('biz_rt');
  });

  it('acknowledges an event type nobody handles and keeps the connection for the next one', async () => {
    const before = await processedCount();
    const from = logs.length;
    const unknown = () => ({ schema: '2.0', header: { event_id: randomEventId(), token: TOKEN, event_type: 'im.message.reaction.created_v1', app_id: APP_ID }, event: {} });
    expect((await gateway.sendEvent(unknown())).code).toBe(200);
    expect((await gateway.sendEvent(unknown())).code).toBe(200);
    expect(await processedCount()).toBe(before);
    // said once, at info (pino 30), not as an SDK warning on each arrival
    const said = logs.slice(from).map((l) => JSON.parse(l) as { level: number; eventType?: string }).filter((l) => JSON.stringify(l).includes('im.message.reaction.created_v1'));
    expect(said.map((l) => [l.level, l.eventType])).toEqual([[30, 'im.message.reaction.created_v1']]);

    await gateway.sendEvent(messageEvent({ token: TOKEN, appId: APP_ID, openId: OTHER, text: '帮助' }));
    await drain();
    expect(cardsTo(OTHER)).toHaveLength(1);
    expect(gateway.connections()).toBe(1);
  });

  it('reassembles an event the gateway splits into fragments', async () => {
    await gateway.sendEvent(messageEvent({ token: TOKEN, appId: APP_ID, openId: USER, text: '帮助' }), { fragments: 3 });
    await drain();
    expect(cardsTo(USER)).toHaveLength(1);
  });
});

describe('an event Feishu pushes again (not answered within 3 s, or answered with an error)', () => {
  const claimsOf = async (messageId: string) => (await db.db.select().from(processedEvents).where(eq(processedEvents.eventId, `message:${messageId}`))).length;
  const errorsSince = (from: number) => logs.slice(from).map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);

  it('is handled once when the re-push arrives while the first is still running', { timeout: 30_000 }, async () => {
    const messageId = randomMessageId();
    const event = messageEvent({ token: TOKEN, appId: APP_ID, eventId: randomEventId(), openId: USER, text: '帮助', messageId });
    const from = gateway.pushes.length;
    const logsFrom = logs.length;
    // PostgreSQL: the outbox locked by another session, so the handler, its claim made, waits to queue its reply past
    // the 3 s; PGlite (one connection, one transaction at a time): a transaction held open, which the handler waits for
    const onPostgres = testDatabaseKind() === 'postgres';
    const held = await heldTransaction(db.db, (tx) => (onPostgres ? tx.execute(sql`lock table outbox in exclusive mode`) : tx.execute(sql`select 1`)));
    const answered = gateway.sendEvent(event);
    // the re-push has come (on PostgreSQL its claim waits behind the first one's, itself waiting on the lock)
    await until(async () => gateway.pushes.length - from >= 2 && (!onPostgres || (await lockWaits(db.db)) >= 2));
    held.release();
    await held.ended;
    expect(await answered).toEqual({ code: 200 });
    const pushes = gateway.pushes.slice(from);
    expect(new Set(pushes.map((p) => p.eventId)).size).toBe(1);
    expect(new Set(pushes.map((p) => p.seqId)).size).toBe(pushes.length);
    expect(pushes.map((p) => p.code)).toEqual(pushes.map(() => 200));
    await drain();
    expect(cardsTo(USER)).toHaveLength(1);
    expect(await claimsOf(messageId)).toBe(1);
    expect(errorsSince(logsFrom)).toEqual([]);
  });

  it('redoes once, on the re-push, the work of a handler that failed, and replies once', async () => {
    const messageId = randomMessageId();
    const event = messageEvent({ token: TOKEN, appId: APP_ID, eventId: randomEventId(), openId: USER, text: '帮助', messageId });
    const from = gateway.pushes.length;
    const logsFrom = logs.length;
    // the first reply queued fails (a sequence is not rolled back with the transaction: only the first insert fails)
    await db.db.execute(sql`create sequence ws_fail_once`);
    await db.db.execute(
      sql.raw(`create function ws_fail_once() returns trigger language plpgsql as $$ begin if nextval('ws_fail_once') = 1 then raise exception 'outbox refused (test)'; end if; return new; end $$`),
    );
    await db.db.execute(sql`create trigger ws_fail_once before insert on outbox for each row execute function ws_fail_once()`);
    try {
      expect(await gateway.sendEvent(event)).toEqual({ code: 200 });
    } finally {
      await db.db.execute(sql`drop trigger ws_fail_once on outbox`);
      await db.db.execute(sql`drop function ws_fail_once()`);
      await db.db.execute(sql`drop sequence ws_fail_once`);
    }
    expect(gateway.pushes.slice(from).map((p) => p.code)).toEqual([500, 200]);
    await drain();
    expect(cardsTo(USER)).toHaveLength(1);
    expect(await claimsOf(messageId)).toBe(1);
    // the failure is said once, with why, and the re-push that did the work says nothing
    expect(errorsSince(logsFrom).map((l) => [l.msg.includes('invoke event failed'), l.msg.includes('outbox refused (test)')])).toEqual([[true, true]]);
  });
});
