import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../db/index.js';
import { outbox } from '../../db/schema.js';
import { createLogger } from '../../src/log.js';
import { enqueue, OutboxDispatcher, rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * A message counts against the 50 a second until one second after Feishu answered it (src/outbox.ts, `claim`). The
 * moment written is the answer's, not the moment a connection was free to write it: while the database is busy, a row
 * written late would hold its slot longer than Feishu counts it.
 */
let database: TestDatabase;
/** One connection (PGlite has only one): what else runs on it holds the write back. */
let single: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  single = database.url ? await openDatabase({ databaseUrl: database.url, max: 1, migrate: false }) : database;
});
afterAll(async () => {
  if (single !== database) await single?.close();
  await database?.close();
});

it('writes a sent row’s sent_at as the moment Feishu answered, though the write waited 1.5 s for the connection', async () => {
  const { db } = single;
  await db.transaction((tx) => enqueue(tx, { dedupeKey: 'answer-moment', to: { openId: 'ou_answer_moment' }, text: '提醒' }));
  let answeredBy: Date | undefined;
  let busy: Promise<unknown> | undefined;
  const transport = {
    async deliver() {
      // the database's clock just before the answer: sent_at is never before it
      [answeredBy] = (rowsOf(await db.execute(sql`select clock_timestamp() as t`)) as { t: string | Date }[]).map((r) => new Date(r.t));
      // the connection busy for 1.5 s from the answer on: the row's write waits behind it
      // (a query runs once asked for its result: then, here, not when awaited below)
      busy = db.execute(sql`select pg_sleep(1.5)`).then((r) => r);
      return { ok: true as const, messageId: 'om_answer_moment' };
    },
  };
  const dispatcher = new OutboxDispatcher({ db, transport, log: createLogger('silent') });
  expect(await dispatcher.runOnce()).toBe(1);
  await busy;
  const [row] = await db.select().from(outbox).where(eq(outbox.dedupeKey, 'answer-moment'));
  expect(row.status).toBe('sent');
  expect(answeredBy).toBeDefined();
  // not before the answer (the rate window would let the next message out too early) …
  expect(row.sentAt!.getTime()).toBeGreaterThanOrEqual(answeredBy!.getTime());
  // … nor when the connection came free, 1.5 s later
  expect(row.sentAt!.getTime() - answeredBy!.getTime()).toBeLessThan(1000);
  expect(row.sentAt!.getTime()).toBeGreaterThanOrEqual(row.claimedAt!.getTime());
});
