import { Writable } from 'node:stream';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { outbox } from '../../db/schema.js';
import { createLogger } from '../../src/log.js';
import { enqueue, type MessageTransport, OutboxDispatcher, type OutboxLimits, rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';

/**
 * The send budgets with several replicas on one database (Feishu: 1 000 a minute and 50 a second per app, 5 a second per
 * user or group, https://open.feishu.cn/document/server-docs/im-v1/message/create): each replica is a dispatcher of its
 * own on the same database.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.db.delete(outbox);
});
afterEach(() => {
  vi.useRealTimers();
});

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const answered: MessageTransport = { deliver: async () => ({ ok: true }) };
const replica = (limits: Partial<OutboxLimits> = {}, transport = answered) => new OutboxDispatcher({ db: db.db, transport, log: quiet, limits });

async function queue(n: number, to: (i: number) => { openId: string } | { chatId: string }, prefix = 'm') {
  await db.db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) await enqueue(tx, { dedupeKey: `${prefix}:${i}`, to: to(i), text: `消息 ${i}` });
  });
}

/** The database's time now. */
async function databaseNow(): Promise<number> {
  const [row] = rowsOf(await db.db.execute(sql`select extract(epoch from clock_timestamp())::float8 * 1000 as t`)) as { t: number | string }[];
  return Number(row.t);
}

describe('the per-minute budget', () => {
  it('counts a message from when it was sent, not from its claim: a run of more than 1 000 stays within any minute', async () => {
    const d = replica({ perApp: 1000, perReceiver: 1000, perMinute: 100, batch: 100 });
    await queue(300, (i) => ({ openId: `ou_m_${i}` }));
    const t0 = Date.now();
    const first = await d.claim(new Date(t0));
    expect(first).toHaveLength(100);
    // answered half a second after the claim (a token fetched first, a slow upload): Feishu counted them then
    await db.db.update(outbox).set({ status: 'sent', sentAt: new Date(t0 + 500) }).where(inArray(outbox.id, first.map((r) => r.id)));
    expect(await d.claim(new Date(t0 + 59_000))).toHaveLength(0);
    // a minute after the claims, not yet a minute after the answers
    expect(await d.claim(new Date(t0 + 60_100))).toHaveLength(0);
    expect(await d.claim(new Date(t0 + 60_600))).toHaveLength(100);
  });
});

describe('a replica killed with sends in flight', () => {
  it('holds the others’ budgets only while its requests could still reach Feishu, and its rows stay its own until their lease runs out', async () => {
    // ten messages to one group first, then one each to 290 people
    await queue(10, () => ({ chatId: 'oc_busy' }), 'group');
    await queue(290, (i) => ({ openId: `ou_p_${i}` }), 'person');
    const killed = await replica({ batch: 100 }).claim();
    // 50 a second in all, 5 of them to the group: then the process dies, its rows left `sending`
    expect(killed).toHaveLength(50);
    expect(killed.filter((r) => r.rateKey === 'oc_busy')).toHaveLength(5);
    const survivor = replica({ batch: 100 });
    const now = Date.now();
    // their requests may still be on their way (a token and an upload first): nothing more yet
    expect(await survivor.claim(new Date(now + 10_000))).toHaveLength(0);
    // past that: the survivor sends at the full rate again, the group's five a second included
    const taken = await survivor.claim(new Date(now + 42_000));
    expect(taken).toHaveLength(50);
    expect(taken.filter((r) => r.rateKey === 'oc_busy')).toHaveLength(5);
    // and none of the dead replica's rows, sent perhaps: they wait for their three-minute lease
    expect(taken.filter((r) => killed.some((k) => k.id === r.id))).toHaveLength(0);
    const stillSending = await db.db.select({ id: outbox.id }).from(outbox).where(and(eq(outbox.status, 'sending'), inArray(outbox.id, killed.map((r) => r.id))));
    expect(stillSending).toHaveLength(50);
  });
});

/**
 * A replica whose clock is off: PostgreSQL only, where replicas are processes of their own. PGlite is one process
 * (one per DATA_DIR), whose database reads the process's own clock, so the two cannot disagree there.
 */
describe.skipIf(testDatabaseKind() === 'pglite')('a replica whose clock is off', () => {
  it('counts the others’ answers in the database’s second: 1.5 s ahead, it claims nothing in the second they filled', async () => {
    await queue(100, (i) => ({ openId: `ou_c_${i}` }));
    expect(await replica({ batch: 100 }).claim()).toHaveLength(50);
    // the honest replica's fifty are answered this moment, by the database's clock
    await db.db.update(outbox).set({ status: 'sent', sentAt: sql`clock_timestamp()` }).where(eq(outbox.status, 'sending'));
    const skewed = replica({ batch: 100 });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 1500 });
    expect(await skewed.claim()).toHaveLength(0);
  });

  it('writes when a message was claimed and answered in the database’s time, so a clock behind frees no slot early', async () => {
    await queue(1, () => ({ openId: 'ou_behind' }));
    const skewed = replica();
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 5000 });
    expect(await skewed.runOnce()).toBe(1);
    vi.useRealTimers();
    const [row] = await db.db.select().from(outbox);
    const now = await databaseNow();
    expect(row.status).toBe('sent');
    expect(now - row.claimedAt!.getTime()).toBeLessThan(2000);
    expect(now - row.sentAt!.getTime()).toBeLessThan(2000);
    expect(row.sentAt!.getTime()).toBeGreaterThanOrEqual(row.claimedAt!.getTime());
  });
});
