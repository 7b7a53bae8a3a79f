import net from 'node:net';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, expect } from 'vitest';
import { type Database, type Db, schema } from '../../db/index.js';
import type { BotApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import type { OutboxLimits } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { fakePerReceiver, startTestBot, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from './harness.js';
import { cardActionEvent, messageEvent, randomEventId, signedRequest } from './larkEvents.js';

/**
 * Database round trips counted on the wire: a round trip is a write to the PostgreSQL socket after the
 * server last answered (pipelined statements share one).
 */
export interface Wire {
  trips: number;
  statements: string[];
  /**
   * When present, the round trip (1-based, as `trips` counts) each statement of `statements` went out in, at
   * the same index: postgres.js builds a statement and then writes it, so the first socket write after it
   * carries it. Reset it with `statements` and `trips`.
   */
  tripOf?: number[];
}

/** postgres.js on one counted connection to the test database; its `debug` hook lists the statements. */
export function countedDatabase(url: string, wire: Wire): Database {
  const { hostname, port } = new URL(url);
  const client = postgres(url, {
    max: 1,
    onnotice: () => {},
    debug: (_conn, query) => {
      wire.statements.push(query.replace(/\s+/g, ' ').trim());
    },
    // postgres.js takes a connected socket from `socket`; its types omit the option
    ...({ socket: () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(Number(port), hostname);
        let answered = true;
        // registered before postgres.js's own listener, so an answer is seen before the writes it triggers
        socket.on('data', () => (answered = true));
        const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
        socket.write = ((...args: unknown[]) => {
          if (answered) wire.trips++;
          answered = false;
          const of = wire.tripOf;
          if (of) while (of.length < wire.statements.length) of.push(wire.trips);
          return write(...args);
        }) as typeof socket.write;
        socket.once('connect', () => resolve(socket));
        socket.once('error', reject);
      }) } as object),
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, kind: 'postgres', ping: async () => void (await client`select 1`), close: () => client.end({ timeout: 5 }) };
}

/** The bot over HTTP on the counted database (whose URL other processes open), against a fake Open Platform on the clock. */
export async function startCountedBot(counted: Database, url: string, clock: ManualClock, opts: { outboxLimits?: Partial<OutboxLimits> } = {}): Promise<{ fake: FakeOpenPlatform; app: BotApp }> {
  const fake = await startFakeOpenPlatform({ appId: 'cli_test', appSecret: 'test-secret', now: () => clock.now().getTime(), ...fakePerReceiver(opts.outboxLimits) });
  const { app } = await startTestBot({
    env: {
      LARK_APP_ID: 'cli_test', LARK_APP_SECRET: 'test-secret', LARK_DOMAIN: fake.url, LARK_EVENT_MODE: 'http',
      LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN,
    },
    db: { ...counted, url },
    clock,
    outboxLimits: opts.outboxLimits,
  });
  return { fake, app };
}

/** What a card callback answers: a toast, a card, or both. */
export type CardAnswer = { toast?: { type: string; content: string }; card?: { data?: any } };

/** One counted card callback: its answer, and the round trips and statements it cost from request to answer. */
export interface Counted<B = CardAnswer> {
  body: B;
  trips: number;
  statements: string[];
  /** The round trip each of `statements` went out in (see `Wire.tripOf`). */
  tripOf: number[];
  eventId: string;
}

export interface CountedBotOptions<F> {
  /** The bot's clock, or the instant a new manual clock stands at. */
  clock: ManualClock | string;
  outboxLimits?: Partial<OutboxLimits>;
  /** Rows written before the bot starts, on `db`; what it returns is `f`. */
  seed?: (db: Db) => Promise<F>;
  /**
   * Where `db` (and so the seed) runs: 'base', a pool of its own (the default), or 'counted', the bot's own counted
   * connection, which a test's reads then share.
   */
  db?: 'base' | 'counted';
  /**
   * When `click` reads the wire: 'body' (the default), once the answer's body has been read, so a write the bot
   * issues as it answers is counted; 'answer', as the answer arrives (the round-trip tables).
   */
  countUntil?: 'body' | 'answer';
}

/** The bot over HTTP on one counted connection (`startCountedBot`), with what a one-round-trip test needs of it. */
export interface CountedBot<F = undefined> {
  wire: Wire;
  base: TestDatabase;
  counted: Database;
  db: Db;
  f: F;
  clock: ManualClock;
  url: string;
  app: BotApp;
  fake: FakeOpenPlatform;
  /**
   * One signed, encrypted card callback (a fresh event id unless given), the wire reset just before it is posted;
   * the answer must be HTTP 200.
   */
  click<B = CardAnswer>(openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>, eventId?: string): Promise<Counted<B>>;
  /**
   * One signed, encrypted text message to the bot in the private chat (a fresh event id), the wire reset just before it
   * is posted and read as the event is answered (handled: its messages queued in the outbox, not yet sent).
   */
  say(openId: string, text: string): Promise<Counted<unknown>>;
  close(): Promise<void>;
}

/**
 * A counted bot for the describe block it is called in: a fresh test database, `opts.seed` on it, then the bot on one
 * counted connection (`countedDatabase`) against a fake Open Platform, started in the block's `beforeAll` and
 * stopped in its `afterAll`. The object returned is filled in when the `beforeAll` has run: read its fields in
 * hooks and tests, not at the top of the block.
 */
export function countedBot<F = undefined>(opts: CountedBotOptions<F>): CountedBot<F> {
  const bot = {} as CountedBot<F>;
  beforeAll(async () => Object.assign(bot, await startCounted(opts)));
  afterAll(async () => bot.close?.());
  return bot;
}

async function startCounted<F>(opts: CountedBotOptions<F>): Promise<CountedBot<F>> {
  const wire: Wire = { trips: 0, statements: [], tripOf: [] };
  const clock = typeof opts.clock === 'string' ? new ManualClock(opts.clock) : opts.clock;
  const base = await createTestDatabase();
  const counted = countedDatabase(base.url!, wire);
  const db = opts.db === 'counted' ? counted.db : base.db;
  const f = (await opts.seed?.(db)) as F;
  const { fake, app } = await startCountedBot(counted, base.url!, clock, { outboxLimits: opts.outboxLimits });
  return {
    wire, base, counted, db, f, clock, url: app.url, app, fake,
    async click<B>(openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>, eventId = randomEventId()) {
      const req = signedRequest(cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, formValue, eventId }), { encryptKey: TEST_ENCRYPT_KEY, encrypt: true });
      wire.trips = 0;
      wire.statements = [];
      wire.tripOf = [];
      const res = await fetch(app.url + '/lark/cards', { method: 'POST', headers: req.headers, body: req.body });
      const read = () => ({ trips: wire.trips, statements: [...wire.statements], tripOf: [...wire.tripOf!] });
      const atAnswer = read();
      expect(res.status).toBe(200);
      const body = (await res.json()) as B;
      return { body, ...(opts.countUntil === 'answer' ? atAnswer : read()), eventId };
    },
    async say(openId: string, text: string) {
      const eventId = randomEventId();
      const req = signedRequest(messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId, text, eventId }), { encryptKey: TEST_ENCRYPT_KEY, encrypt: true });
      wire.trips = 0;
      wire.statements = [];
      wire.tripOf = [];
      const res = await fetch(app.url + '/lark/events', { method: 'POST', headers: req.headers, body: req.body });
      const counted = { trips: wire.trips, statements: [...wire.statements], tripOf: [...wire.tripOf!] };
      expect(res.status).toBe(200);
      return { body: await res.json(), ...counted, eventId };
    },
    async close() {
      await app.stop();
      await fake.close();
      await counted.close();
      await base.close();
    },
  };
}
