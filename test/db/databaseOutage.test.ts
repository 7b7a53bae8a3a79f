import { type ChildProcess, spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, processedEvents } from '../../db/schema.js';
import { type BotApp, startBot } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { CARD_ANSWER_MS } from '../../src/events.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import { createLogger } from '../../src/log.js';
import { CuttableProxy } from '../support/cuttableProxy.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { ADMIN, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent, messageEvent, p2pChatIdFor, signedRequest } from '../support/larkEvents.js';
import { START_MS } from '../support/timing.js';
import { lockWaits } from '../support/waiting.js';

/**
 * The database going away under a running bot, and a stop while a callback waits on it. Feishu wants a card
 * callback answered within 3 s, with HTTP 200 or a toast (https://open.larkoffice.com/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN).
 * The bot reaches PostgreSQL through a proxy the test cuts (connections dropped, new ones refused) and restores.
 */

const USER = 'ou_outageuser00000000000000000001';
/**
 * The wall-clock bound on an answer the test measures from outside (Feishu wants it within 3 s): the bot's own
 * deadline (CARD_ANSWER_MS, or the connect timeout below it) plus room for a loaded machine to get the request there
 * and the answer back. What shows the answer came in time is which answer it is (the toast of an unreachable
 * database, of work still running), given by the bot's own clock; this only catches a callback left waiting.
 */
const ANSWERED_MS = CARD_ANSWER_MS + 2000;
/** How long after it began stopping the bot's sockets used to be closed, whatever callback was still being handled (src/app.ts). */
const OLD_SOCKET_GRACE_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function logSink(lines: string[]) {
  return new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
}

async function post(url: string, path: '/lark/events' | '/lark/cards', payload: object): Promise<{ status: number; body: any; ms: number }> {
  const req = signedRequest(payload, { encryptKey: TEST_ENCRYPT_KEY, encrypt: true });
  const started = performance.now();
  const res = await fetch(url + path, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
}

/** What the bot sent to a user (a p2p answer goes to their open_id). */
const sentTo = (fake: FakeOpenPlatform, openId: string) => fake.messages.filter((m) => m.receiveId === openId || m.chatId === p2pChatIdFor(openId)).length;

let n = 0;
function helpClick(fake: FakeOpenPlatform, eventId = `evt_outage_card_${Date.now()}_${++n}`) {
  const messageId = `om_outagecard${Date.now()}x${++n}`;
  fake.earlierCard(messageId);
  return { eventId, messageId, payload: cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, value: { action: 'help.menu' }, messageId, eventId }) };
}

function helpMessage(fake: FakeOpenPlatform, text = '帮助') {
  const messageId = `om_outagemsg${Date.now()}x${++n}`;
  const chatId = p2pChatIdFor(USER);
  fake.userMessage(messageId, chatId);
  return { messageId, payload: messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: USER, text, messageId, chatId, eventId: `evt_outage_msg_${Date.now()}_${++n}` }) };
}

const botEnv = (fake: FakeOpenPlatform, databaseUrl: string) => ({
  DATABASE_URL: databaseUrl,
  LARK_APP_ID: 'cli_test',
  LARK_APP_SECRET: 'test-secret',
  LARK_DOMAIN: fake.url,
  LARK_EVENT_MODE: 'http',
  LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY,
  LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN,
  ADMIN_OPEN_IDS: ADMIN,
  PORT: '0',
  LOG_LEVEL: 'info',
});

/** processed_events locked by another session until `release`: every event's claim waits behind it. */
async function lockEventClaims(url: string) {
  const locker = postgres(url, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const taken = new Promise<void>((r) => (locked = r));
  const holding = locker.begin(async (tx) => {
    await tx`lock table processed_events in exclusive mode`;
    locked();
    await released;
  });
  await taken;
  return { locker, release, holding };
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

describe.skipIf(testDatabaseKind() !== 'postgres')('PostgreSQL unreachable under a running bot', () => {
  let db: TestDatabase;
  let fake: FakeOpenPlatform;
  let proxy: CuttableProxy;
  let app: BotApp;
  const logs: string[] = [];
  const recorded = async (eventId: string) => (await db.db.select().from(processedEvents).where(eq(processedEvents.eventId, eventId))).length;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeOpenPlatform({ appId: 'cli_test', appSecret: 'test-secret' });
    const target = new URL(db.url!);
    proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.open();
    const viaProxy = new URL(db.url!);
    viaProxy.port = String(proxy.port);
    // the bot opens its own pool (openDatabase's options), as in production
    app = await startBot({ config: parseConfig(botEnv(fake, viaProxy.toString())), log: createLogger('info', logSink(logs)), schedules: false });
  }, 120_000);
  afterAll(async () => {
    await proxy?.open().catch(() => {});
    await app?.stop();
    await proxy?.cut();
    await db?.close();
    await fake?.close();
  });

  it('a card action is answered 200 with a toast within Feishu’s 3 s, not recorded; once the database is back the same event is done; the loops log the outage once', { timeout: 120_000 }, async () => {
    const warm = await post(app.url, '/lark/cards', helpClick(fake).payload);
    expect(warm.status).toBe(200);

    await proxy.cut();
    // the outbox and bulk-job loops fail meanwhile, each poll: postgres.js's own backoff would grow with every failure
    await sleep(3000);
    const click = helpClick(fake);
    const down = await post(app.url, '/lark/cards', click.payload);
    expect(down.status).toBe(200);
    expect(down.body.toast).toMatchObject({ type: 'error' });
    expect(down.body.toast.content).toContain('请稍后再试');
    expect(down.ms).toBeLessThan(ANSWERED_MS);

    // a message keeps failing as before: Feishu delivers it again later, deduplicated by its message_id
    const message = helpMessage(fake);
    const messageDown = await post(app.url, '/lark/events', message.payload);
    expect(messageDown.status).toBe(500);
    expect(messageDown.ms).toBeLessThan(ANSWERED_MS);
    await sleep(1500);

    await proxy.open();
    // the same event again (Feishu's retry, or the user's): nothing of the failed one stood in its way
    const again = await until('a card action answered after the outage', async () => {
      const r = await post(app.url, '/lark/cards', click.payload);
      return r.status === 200 && r.body?.toast?.content !== down.body.toast.content ? r : undefined;
    });
    expect(again.body.toast?.content).not.toBe('这次点击已收到，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作');
    expect(await recorded(click.eventId)).toBe(1);

    const drained = () => until('the outbox drained', () => app.dispatcher.drain().then(() => true, () => undefined));
    const before = sentTo(fake, USER);
    const redelivered = await post(app.url, '/lark/events', message.payload);
    expect(redelivered.status).toBe(200);
    await drained();
    const replies = sentTo(fake, USER) - before;
    expect(replies).toBeGreaterThan(0);
    expect(await post(app.url, '/lark/events', message.payload)).toMatchObject({ status: 200 });
    await drained();
    expect(sentTo(fake, USER) - before).toBe(replies);
    expect(await recorded(`message:${message.messageId}`)).toBe(1);

    // an outage is said once when it begins and once when it ends, not at every poll
    await until('the outbox saying the database answers again', () => logs.some((l) => l.includes('outbox dispatcher: database reachable again')));
    const said = (text: string) => logs.filter((l) => l.includes(text)).length;
    expect(said('outbox dispatcher failed')).toBe(0);
    expect(said('bulk job worker failed')).toBe(0);
    expect(said('outbox dispatcher: database unreachable')).toBe(1);
    expect(said('bulk job worker: database unreachable')).toBe(1);
    expect(said('outbox dispatcher: database reachable again')).toBe(1);
  });

  it('a card action waiting on a lock past 2.5 s is answered in time with a toast, its work done when the lock goes and its card sent as an update', { timeout: 120_000 }, async () => {
    const { locker, release, holding } = await lockEventClaims(db.url!);
    try {
      const click = helpClick(fake);
      const answer = await post(app.url, '/lark/cards', click.payload);
      release();
      await holding;
      expect(answer.status).toBe(200);
      expect(answer.body.toast).toMatchObject({ type: 'info', content: expect.stringContaining('完成后会更新这张卡片') });
      expect(answer.body.card).toBeUndefined();
      expect(answer.ms).toBeLessThan(ANSWERED_MS);
      // the work was not thrown away: the event is recorded once, and the card it answered replaces the clicked one
      await until('the late work recorded', async () => (await recorded(click.eventId)) === 1);
      const update = await until('the late card sent as an update', async () => {
        const [row] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, `late-answer:${click.eventId}`));
        return row?.status === 'sent' ? row : undefined;
      });
      expect(update).toMatchObject({ kind: 'update', receiveIdType: 'message_id', receiver: click.messageId });
      expect(JSON.stringify(update.card)).toContain('"schema":"2.0"');
      // Feishu's redelivery of the same event is a duplicate and queues nothing more
      const again = await post(app.url, '/lark/cards', click.payload);
      expect(again.status).toBe(200);
      expect(await recorded(click.eventId)).toBe(1);
    } finally {
      await locker.end();
    }
  });
  it('the database cut again and again while card actions arrive: the process lives on, and once it is back every action is answered as usual', { timeout: 120_000 }, async () => {
    // postgres.js wrote a query handed to a closed connection from a setImmediate, an exception no caller catches
    // (scripts/patchDependencies.mjs): before its fix, the bot process died in the first rounds here
    const clicks: ReturnType<typeof helpClick>[] = [];
    const send = () => {
      const click = helpClick(fake);
      clicks.push(click);
      return post(app.url, '/lark/cards', click.payload).catch(() => undefined);
    };
    for (let round = 0; round < 6; round++) {
      const inFlight = Array.from({ length: 20 }, send);
      await sleep(20 + round * 40);
      await proxy.cut();
      await Promise.all(inFlight);
      await Promise.all(Array.from({ length: 10 }, send));
      await sleep(1200);
      await proxy.open();
      await sleep(300);
    }
    // a burst after the outages is answered 200, none “unavailable”
    const answered = await until('a burst answered as usual after the outages', async () => {
      const burst = Array.from({ length: 12 }, () => helpClick(fake));
      const answers = await Promise.all(burst.map((c) => post(app.url, '/lark/cards', c.payload)));
      return answers.every((a) => a.status === 200 && !a.body?.toast?.content?.includes('请稍后再试')) ? { burst, answers } : undefined;
    });
    // each of the burst's actions is done once: none waits without end, neither on a connection the pool started again
    // while a transaction cut short still handed it statements, nor for a reserve dropped by the connection it started
    // (scripts/patchDependencies.mjs; the released postgres.js left every connection of the pool starting here)
    await until('every action of the burst recorded once', async () => {
      const done = await Promise.all(answered.burst.map((c) => recorded(c.eventId)));
      return done.every((n) => n === 1) || undefined;
    });
    expect(answered.answers.every((a) => a.ms < ANSWERED_MS)).toBe(true);
    // and a stop ends: no work is left waiting on a connection that will never answer
    const stopped = await Promise.race([app.stop().then(() => 'stopped'), sleep(20_000).then(() => 'still waiting')]);
    expect(stopped).toBe('stopped');
    // what was clicked during the outages is recorded at most once
    const counts = await Promise.all(clicks.map((c) => recorded(c.eventId)));
    expect(counts.every((n) => n <= 1)).toBe(true);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('SIGTERM while a callback waits on the database', () => {
  let db: TestDatabase;
  let fake: FakeOpenPlatform;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeOpenPlatform({ appId: 'cli_test', appSecret: 'test-secret' });
  }, 120_000);
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db?.close();
    await fake?.close();
  });

  it('the message being handled is answered and its reply sent before the bot exits 0', { timeout: START_MS + 60_000 }, async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
    const bot = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env, ...botEnv(fake, db.url!) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = bot;
    let output = '';
    bot.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    bot.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => bot.once('exit', (code) => resolve(code)));
    const url = await until('the bot listening', () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], START_MS);
    const warm = helpMessage(fake);
    expect((await post(url, '/lark/events', warm.payload)).status).toBe(200);
    await until('the warm-up reply', () => sentTo(fake, USER) > 0);
    const before = sentTo(fake, USER);

    const { locker, release, holding } = await lockEventClaims(db.url!);
    try {
      const message = helpMessage(fake);
      const answered = post(url, '/lark/events', message.payload).catch((err: unknown) => ({ status: 0, body: String(err), ms: 0 }));
      // the message has reached the bot and its claim waits on the lock
      await until('the message waiting on the lock', async () => (await lockWaits(db.db)) > 0 || undefined);
      bot.kill('SIGTERM');
      // the lock outlasts the sockets' old 1.5 s grace, counted from when the bot says it is stopping, and no more: the
      // rest of the callbacks' 3 s wait is the handler's, to finish its work and answer, and the reply's, to be sent
      await until('the bot stopping', () => output.includes('shutting down') || undefined);
      await sleep(OLD_SOCKET_GRACE_MS + 200);
      release();
      await holding;
      const answer = await answered;
      expect(answer.status, output.slice(-3000)).toBe(200);
      expect(await exited, output.slice(-3000)).toBe(0);
      // the reply the handler queued left before the exit
      expect(sentTo(fake, USER)).toBeGreaterThan(before);
      expect(await db.db.select().from(processedEvents).where(eq(processedEvents.eventId, `message:${message.messageId}`))).toHaveLength(1);
      const open = await db.db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(sql`${outbox.status} in ('pending', 'sending')`);
      expect(Number(open[0].n)).toBe(0);
    } finally {
      await locker.end();
    }
  });
});
