import { Writable } from 'node:stream';
import { bulkJobs } from '../../db/schema.js';
import { type BotApp, startBot } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import type { OutboxLimits } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { cardActionEvent, fileMessageEvent, messageEvent, signedRequest, userDeletedEvent } from './larkEvents.js';

export const TEST_ENCRYPT_KEY = 'test-encrypt-key-0123456789';
export const TEST_VERIFICATION_TOKEN = 'test-verification-token';
export const ADMIN = 'ou_admin000000000000000000000000001';
/**
 * How long a test bot's card action may take before it is answered as still running: the bot's 2.5 s (CARD_ANSWER_MS)
 * is Feishu's deadline, not a test's, and a click that waits behind a lock the test holds, on a starved CI machine,
 * took longer and got the "still running" toast instead of the answer the test checks. A test of that toast itself
 * passes `cardAnswerMs: CARD_ANSWER_MS`.
 */
export const TEST_CARD_ANSWER_MS = 60_000;

export interface Harness {
  app: BotApp;
  fake: FakeOpenPlatform;
  db: TestDatabase;
  clock: ManualClock;
  logs: string[];
  post(path: '/lark/events' | '/lark/cards', payload: object, opts?: { encrypt?: boolean; timestamp?: number }): Promise<{ status: number; body: any }>;
  /** Sends a p2p text message from a user and waits for the outbox to empty. */
  say(openId: string, text: string, opts?: { eventId?: string }): Promise<{ status: number; body: any }>;
  /** Clicks a card button or submits a form as a user. */
  click(openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>, opts?: { messageId?: string; chatId?: string; eventId?: string }): Promise<any>;
  /**
   * A click on a card message the fake sent, as a Feishu client makes it: the fake first judges it (14-day window,
   * what a person picker could offer); a refused click never reaches the bot. The answer's card replaces the
   * message's card only if Feishu would accept it; then, as at Feishu, the updates the click queued (a job's progress)
   * go out and land on the answer: the card being clicked takes none until it is answered.
   */
  clickCard(openId: string, messageId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>): Promise<{ refused?: { code: number; msg: string }; body?: any }>;
  /**
   * Someone leaves the company: the fake's address book marks them resigned and, as Feishu does for an app holding a
   * contact scope, 员工离职 (contact.user.deleted_v3) is posted signed and encrypted; waits for the outbox to empty.
   * Undefined when Feishu would send no event (the app without the scope).
   */
  leaves(openId: string, opts?: { eventId?: string; name?: string }): Promise<{ status: number; body: any } | undefined>;
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** The bot on a given test database with its logs captured; the start-up every harness shares. */
export async function startTestBot(opts: {
  env: Record<string, string>;
  db: TestDatabase;
  clock: ManualClock;
  admins?: string[];
  outboxLimits?: Partial<OutboxLimits>;
  runDispatcher?: boolean;
  wsDomain?: string;
  wsRestartMs?: number;
  /** default TEST_CARD_ANSWER_MS */
  cardAnswerMs?: number;
}): Promise<{ app: BotApp; logs: string[] }> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const config = parseConfig({ PORT: '0', ADMIN_OPEN_IDS: (opts.admins ?? [ADMIN]).join(','), LOG_LEVEL: 'info', ...opts.env });
  const app = await startBot({
    config,
    log: createLogger('info', sink),
    clock: opts.clock,
    database: opts.db,
    // a card update refused while its card is being clicked is tried again once the click is answered: the harness
    // answers at once, so a tenth of a second, not production's 3 s (Feishu's longest wait for the answer)
    outboxLimits: { baseDelayMs: 20, maxDelayMs: 200, cardLockedRetryMs: 100, ...opts.outboxLimits },
    outboxPollMs: 20,
    runDispatcher: opts.runDispatcher ?? false,
    schedules: false,
    wsDomain: opts.wsDomain,
    wsRestartMs: opts.wsRestartMs,
    cardAnswerMs: opts.cardAnswerMs ?? TEST_CARD_ANSWER_MS,
  });
  // the bot keeps an idle connection 65 s (src/app.ts): a test that waits on a job between requests never reuses a socket the server just closed
  return { app, logs };
}

/**
 * The simulated platform's per-receiver limit for a bot given `limits`: Feishu's 5 a second (向同一用户发送消息的限频为
 * 5 QPS, https://open.feishu.cn/document/server-docs/im-v1/message/create), refused with 230020 past it, unless the test
 * lifts the bot's own per-receiver budget to send bursts without waiting on the pace; then both are lifted alike. The
 * rule itself is held at 5 in test/feishuRates.test.ts and test/db/sendRate.test.ts, and in every test that lifts nothing.
 */
export function fakePerReceiver(limits?: Partial<OutboxLimits>): { perReceiverPerSecond?: number; perAppPerSecond?: number; perAppPerMinute?: number } {
  return {
    ...(limits?.perReceiver !== undefined && limits.perReceiver > 5 ? { perReceiverPerSecond: limits.perReceiver } : {}),
    ...(limits?.perApp !== undefined && limits.perApp > 50 ? { perAppPerSecond: limits.perApp } : {}),
    ...(limits?.perMinute !== undefined && limits.perMinute > 1000 ? { perAppPerMinute: limits.perMinute } : {}),
  };
}

/** The whole bot on a fresh database, with the real SDK talking to a fake Open Platform on 127.0.0.1. */
export async function startHarness(
  opts: {
    clock?: ManualClock;
    outboxLimits?: Partial<OutboxLimits>;
    runDispatcher?: boolean;
    admins?: string[];
    env?: Record<string, string>;
    cardAnswerMs?: number;
    /** the fake's wait for a callback's answer, Feishu's 3 s unless a test that holds a click open longer lifts it */
    callbackTimeoutMs?: number;
  } = {},
): Promise<Harness> {
  const clock = opts.clock ?? new ManualClock('2026-03-01T09:00:00+08:00');
  const fake = await startFakeOpenPlatform({
    appId: 'cli_test',
    appSecret: 'test-secret',
    now: () => clock.now().getTime(),
    callbackTimeoutMs: opts.callbackTimeoutMs,
    // the bot here answers a click when its work is done (TEST_CARD_ANSWER_MS, not production's 2.5 s, so a busy machine
    // does not turn answers into 正在处理): the fake waits for the answer as long, as the rate limits are lifted together
    answerTimeoutMs: Math.max(opts.callbackTimeoutMs ?? 0, (opts.cardAnswerMs ?? TEST_CARD_ANSWER_MS) + 5_000),
    ...fakePerReceiver(opts.outboxLimits),
  });
  const db = await createTestDatabase();
  const { app, logs } = await startTestBot({
    env: {
      LARK_APP_ID: 'cli_test',
      LARK_APP_SECRET: 'test-secret',
      LARK_DOMAIN: fake.url,
      LARK_EVENT_MODE: 'http',
      LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY,
      LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN,
      ...opts.env,
    },
    db,
    clock,
    admins: opts.admins,
    outboxLimits: opts.outboxLimits,
    runDispatcher: opts.runDispatcher,
    cardAnswerMs: opts.cardAnswerMs,
  });

  async function post(path: string, payload: object, o: { encrypt?: boolean; timestamp?: number } = {}) {
    // a click comes from a card the bot sent: one the fake did not see sending is declared, so the bot's updates of it
    // are judged as Feishu judges a shared card's (clickCard, on a card the fake holds, judges the click itself too)
    const clicked = (payload as { event?: { context?: { open_message_id?: unknown } } }).event?.context?.open_message_id;
    if (path === '/lark/cards' && typeof clicked === 'string' && !fake.knows(clicked)) fake.earlierCard(clicked);
    // a user's message is stored by Feishu in its chat: a reply to it lands there (and fails there once the bot is out of it)
    const received = payload as { header?: { event_type?: unknown }; event?: { message?: { message_id?: unknown; chat_id?: unknown; thread_id?: unknown } } };
    const { message_id: messageId, chat_id: chatId, thread_id: threadId } = received.event?.message ?? {};
    if (path === '/lark/events' && received.header?.event_type === 'im.message.receive_v1' && typeof messageId === 'string' && typeof chatId === 'string') {
      fake.userMessage(messageId, chatId, typeof threadId === 'string' && threadId ? threadId : undefined);
    }
    const req = signedRequest(payload, { encryptKey: TEST_ENCRYPT_KEY, encrypt: o.encrypt ?? true, timestamp: o.timestamp });
    const res = await fetch(app.url + path, { method: 'POST', headers: req.headers, body: req.body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Posts a card callback as Feishu does, without waiting for what it queued. */
  function callback(openId: string, value: Record<string, unknown>, formValue: Record<string, unknown> | undefined, o: { messageId?: string; chatId?: string; eventId?: string }) {
    // an event id given names the card too: the same callback sent to two bots comes from the same card (注册 keeps it)
    const messageId = o.messageId ?? (o.eventId === undefined ? undefined : `om_${o.eventId}`);
    return post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, formValue, messageId, chatId: o.chatId, eventId: o.eventId }));
  }

  const h: Harness = {
    app,
    fake,
    db,
    clock,
    logs,
    post,
    async leaves(openId, o = {}) {
      if (!fake.resign(openId)) return undefined;
      const res = await post('/lark/events', userDeletedEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId, name: o.name, eventId: o.eventId }));
      await h.drain();
      return res;
    },
    async say(openId, text, o = {}) {
      const res = await post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId, text, eventId: o.eventId }));
      await h.drain();
      return res;
    },
    async click(openId, value, formValue, o = {}) {
      const res = await callback(openId, value, formValue, o);
      await h.drain();
      if (res.status !== 200) throw new Error(`card callback answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async clickCard(openId, messageId, value, formValue) {
      const judged = fake.cardAction({ messageId, openId, value, formValue });
      if (!judged.ok) return { refused: { code: judged.code, msg: judged.msg } };
      const res = await callback(openId, value, formValue, { messageId, chatId: judged.chatId });
      // Feishu shows the answer, and only then takes the card's updates ("延时更新卡片必须在响应回调之后进行",
      // https://open.feishu.cn/document/ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN): what the click queued is sent after it
      const answered = fake.answerCallback(messageId, res.status === 200 ? res.body : undefined);
      await h.drain();
      if (res.status !== 200) throw new Error(`card callback answered ${res.status}: ${JSON.stringify(res.body)}`);
      if (!answered.ok) throw new Error(`Feishu would refuse the callback's answer: ${answered.code} ${answered.msg}`);
      return { body: res.body };
    },
    // generous: publishing results draws certificates (PNG and PDF) while the outbox drains
    async drain() {
      await app.bulkJobs.drain();
      await app.dispatcher.drain(60_000);
    },
    async close() {
      await app.stop();
      await db.close();
      await fake.close();
    },
  };
  return h;
}

/** The cards a fixture's bulk jobs were started from, as the bot sent them: a job updates its card by that message id. */
export async function declareJobCards(h: Harness): Promise<void> {
  for (const { messageId } of await h.db.db.select({ messageId: bulkJobs.messageId }).from(bulkJobs)) {
    if (messageId && !h.fake.knows(messageId)) h.fake.earlierCard(messageId);
  }
}

/**
 * Sends a workbook to the bot as the administrator's file message (under ids made from `tag`), lets the import's
 * preview job run, and returns the last message the administrator got: the preview card, or the file's problem.
 */
export function workbookSender(h: () => Harness, tag: string): (bytes: Buffer) => Promise<Harness['fake']['messages'][number]> {
  let n = 0;
  return async (bytes) => {
    n++;
    h().fake.addMessageFile(`om_${tag}${n}`, `fk_${tag}${n}`, bytes);
    await h().post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: `om_${tag}${n}`, fileKey: `fk_${tag}${n}`, fileName: '班组名单.xlsx' }));
    await h().drain();
    return [...h().fake.messages].reverse().find((m) => m.receiveId === ADMIN)!;
  };
}
