import net from 'node:net';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { type Database, type Db, schema } from '../../db/index.js';
import type { BotApp } from '../../src/app.js';
import type { ManualClock } from '../../src/clock.js';
import { type FakeOpenPlatform, startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import type { OutboxLimits } from '../../src/outbox.js';
import { startTestBot, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from './harness.js';

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
  const fake = await startFakeOpenPlatform({ appId: 'cli_test', appSecret: 'test-secret', now: () => clock.now().getTime() });
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
