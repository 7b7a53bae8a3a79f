import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import { createLogger } from '../../src/log.js';
import { enqueue, OutboxDispatcher, type OutboxRow } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * A card update (PATCH) is the whole card: of two updates of one message in flight together, the slower lands last. A
 * bulk job's progress card (进行中 500 / 1000) must never end over its final card, whatever the network's jitter, with
 * one dispatcher or two replicas claiming.
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

const card = (text: string) => ({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: text }] } });
const textOf = (row: OutboxRow) => (row.card as { body: { elements: { content: string }[] } }).body.elements[0].content;
const queue = (dedupeKey: string, message: string, text: string) => db.db.transaction((tx) => enqueue(tx, { dedupeKey, to: { updateMessage: message }, card: card(text), priority: 'interactive' }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake Open Platform: what each message shows now, the order PATCHes landed in, the most ever in flight for one message. */
function platform(latencyMs: (row: OutboxRow) => number) {
  const shown = new Map<string, string>();
  const inFlight = new Map<string, number>();
  const order: string[] = [];
  let most = 0;
  const transport = {
    deliver: async (row: OutboxRow) => {
      const now = (inFlight.get(row.receiver) ?? 0) + 1;
      inFlight.set(row.receiver, now);
      most = Math.max(most, now);
      await sleep(latencyMs(row));
      shown.set(row.receiver, textOf(row));
      order.push(row.dedupeKey);
      inFlight.set(row.receiver, (inFlight.get(row.receiver) ?? 1) - 1);
      return { ok: true as const, messageId: row.receiver };
    },
  };
  return { shown, order, transport, most: () => most };
}

const dispatcher = (transport: ReturnType<typeof platform>['transport']) =>
  new OutboxDispatcher({ db: db.db, transport, log: createLogger('silent'), pollMs: 20, limits: { perApp: 1000, perReceiver: 1000 } });

describe('two updates of one card', () => {
  it('the final card queued while the progress card is on the wire is sent after it, and stays', async () => {
    let progressOut!: () => void;
    const started = new Promise<void>((r) => (progressOut = r));
    const fake = platform((row) => {
      if (row.dedupeKey.endsWith('progress:500')) {
        progressOut();
        return 400; // slower on the wire than the final one
      }
      return 30;
    });
    const d = dispatcher(fake.transport);
    await queue('bulk:7:card:progress:500', 'om_job7', '进行中 500 / 1000');
    d.start();
    await started;
    await sleep(100);
    await queue('bulk:7:card:final', 'om_job7', '已完成 1000 / 1000');
    d.nudge();
    await sleep(150);
    // not claimed while the progress card's PATCH is out
    const [waiting] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'bulk:7:card:final'));
    expect(waiting.status).toBe('pending');
    await d.drain();
    await d.stop();
    expect(fake.most()).toBe(1);
    expect(fake.order).toEqual(['bulk:7:card:progress:500', 'bulk:7:card:final']);
    expect(fake.shown.get('om_job7')).toBe('已完成 1000 / 1000');
  });

  it('updates queued together go one at a time in the order queued; other messages are not held back', async () => {
    const fake = platform(() => 5);
    await queue('bulk:8:card:progress:1', 'om_job8', '进行中 1 / 3');
    await queue('bulk:8:card:progress:2', 'om_job8', '进行中 2 / 3');
    await queue('bulk:8:card:final', 'om_job8', '已完成 3 / 3');
    await queue('bulk:9:card:final', 'om_job9', '已完成');
    const d = dispatcher(fake.transport);
    expect((await d.claim()).map((r) => r.dedupeKey)).toEqual(['bulk:8:card:progress:1', 'bulk:9:card:final']);
    // nothing more of om_job8 while its first update is out
    expect(await d.claim()).toEqual([]);
    await db.db.update(outbox).set({ status: 'sent', sentAt: new Date() }).where(eq(outbox.status, 'sending'));
    expect((await d.claim()).map((r) => r.dedupeKey)).toEqual(['bulk:8:card:progress:2']);
    await db.db.update(outbox).set({ status: 'sent', sentAt: new Date() }).where(eq(outbox.status, 'sending'));
    await d.drain();
    expect(fake.order).toEqual(['bulk:8:card:final']);
    expect(fake.shown.get('om_job8')).toBe('已完成 3 / 3');
  });

  it('two replicas claiming never have two updates of one card on the wire, and the last queued stays', async () => {
    const fake = platform((row) => 20 + ((row.id * 37) % 7) * 15);
    const replicas = [dispatcher(fake.transport), dispatcher(fake.transport)];
    for (const r of replicas) r.start();
    for (let i = 1; i <= 12; i++) {
      for (const m of ['om_jobA', 'om_jobB']) await queue(`bulk:${m}:card:progress:${i}`, m, `${m} ${i} / 12`);
      for (const r of replicas) r.nudge();
      await sleep(15);
    }
    await replicas[0].drain();
    await Promise.all(replicas.map((r) => r.stop()));
    expect(fake.most()).toBe(1);
    expect(fake.shown.get('om_jobA')).toBe('om_jobA 12 / 12');
    expect(fake.shown.get('om_jobB')).toBe('om_jobB 12 / 12');
    const [open] = await db.db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(sql`${outbox.status} <> 'sent'`);
    expect(Number(open.n)).toBe(0);
  });

  it('one left on the wire by a replica that died is taken again past its lease, alone, before the update queued after it', async () => {
    const fake = platform(() => 5);
    await queue('bulk:11:card:progress:1', 'om_job11', '进行中 1 / 2');
    await queue('bulk:11:card:final', 'om_job11', '已完成 2 / 2');
    await db.db.update(outbox).set({ status: 'sending', claimedAt: new Date(Date.now() - 10 * 60_000), attempts: 1 }).where(eq(outbox.dedupeKey, 'bulk:11:card:progress:1'));
    const d = dispatcher(fake.transport);
    // taken again alone; the final card waits for it
    expect((await d.claim()).map((r) => r.dedupeKey)).toEqual(['bulk:11:card:progress:1']);
    expect(await d.claim()).toEqual([]);
    await db.db.update(outbox).set({ status: 'sent', sentAt: new Date() }).where(eq(outbox.dedupeKey, 'bulk:11:card:progress:1'));
    await d.drain();
    expect(fake.order).toEqual(['bulk:11:card:final']);
    expect(fake.shown.get('om_job11')).toBe('已完成 2 / 2');
  });

  it('an older update tried again after its backoff, once a later one was sent, is dropped', async () => {
    const fake = platform(() => 5);
    await queue('bulk:12:card:progress:1', 'om_job12', '进行中 1 / 2');
    const failing = new OutboxDispatcher({
      db: db.db,
      transport: { deliver: async () => ({ ok: false, retryable: true, undeliverable: false, error: 'HTTP 503 code -: timeout' }) },
      log: createLogger('silent'),
      limits: { perApp: 1000, perReceiver: 1000, baseDelayMs: 60_000 },
    });
    await failing.runOnce();
    await queue('bulk:12:card:final', 'om_job12', '已完成 2 / 2');
    const d = dispatcher(fake.transport);
    await d.runOnce();
    expect(fake.order).toEqual(['bulk:12:card:final']);
    // its backoff ends
    await db.db.update(outbox).set({ nextAttemptAt: new Date(Date.now() - 1000) }).where(eq(outbox.dedupeKey, 'bulk:12:card:progress:1'));
    await d.drain();
    expect(fake.order).toEqual(['bulk:12:card:final']);
    expect(fake.shown.get('om_job12')).toBe('已完成 2 / 2');
    const [older] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'bulk:12:card:progress:1'));
    expect(older.status).toBe('dropped');
    expect(older.lastError).toMatch(/^superseded by a later update/);
  });
});
