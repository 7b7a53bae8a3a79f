import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { auditLog, outbox } from '../../db/schema.js';
import { createLarkClient, LarkTransport } from '../../src/lark/client.js';
import { createLogger } from '../../src/log.js';
import { enqueue, OutboxDispatcher } from '../../src/outbox.js';
import { deadLetterAlert } from '../../src/notifications.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  h.fake.reset();
  await h.db.db.delete(outbox);
});

const card = (n: number) => ({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: `message ${n}` }] } });

async function queue(keys: string[], to: (i: number) => { openId: string } | { chatId: string }) {
  await h.db.db.transaction(async (tx) => {
    for (const [i, key] of keys.entries()) await enqueue(tx, { dedupeKey: key, to: to(i), card: card(i) });
  });
}

async function statusOf(key: string) {
  const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, key));
  return row;
}

describe('outbox', () => {
  it('queues a key once', async () => {
    const first = await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'once', to: { openId: 'ou_a' }, card: card(1) }));
    const second = await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'once', to: { openId: 'ou_a' }, card: card(2) }));
    expect([first, second]).toEqual([true, false]);
    await h.drain();
    expect(h.fake.messages).toHaveLength(1);
  });

  it('delivers after the platform answers 429 twice, backing off between attempts', async () => {
    h.fake.injectFaults([
      { status: 429, code: 99991400, msg: 'request trigger frequency limit' },
      { status: 429, code: 230020, msg: 'rate limited' },
    ]);
    await queue(['retry-429'], () => ({ openId: 'ou_retry' }));
    await h.drain();
    const row = await statusOf('retry-429');
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(3);
    expect(row.messageId).toMatch(/^om_/);
    const attempts = h.fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages').map((r) => r.at);
    expect(attempts).toHaveLength(3);
    // base delay 20 ms, doubling, ±20 % jitter
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(14);
    expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(30);
    expect(h.fake.messages).toHaveLength(1);
  });

  it('drains a burst to one receiver by waiting for its window, not by claiming every 10 ms, and an empty outbox without a claim', async () => {
    const dispatcher = h.app.dispatcher;
    let claims = 0;
    const runOnce = dispatcher.runOnce.bind(dispatcher);
    dispatcher.runOnce = () => {
      claims++;
      return runOnce();
    };
    try {
      await h.drain();
      expect(claims).toBe(0);
      await queue(Array.from({ length: 15 }, (_, i) => `window-${i}`), () => ({ openId: 'ou_window' }));
      await h.drain();
      expect(h.fake.messages.filter((m) => m.receiveId === 'ou_window')).toHaveLength(15);
      // three windows of a second: a claim at each opening and one every 250 ms at most between (polling every 10 ms
      // made it 150 or more)
      expect(claims).toBeLessThan(30);
    } finally {
      dispatcher.runOnce = runOnce;
    }
  });

  it('retries a 500 and a 230020 answered with HTTP 400', async () => {
    h.fake.injectFaults([{ status: 500, code: 1, msg: 'internal' }, { status: 400, code: 230020, msg: 'rate limited' }]);
    await queue(['retry-500'], () => ({ chatId: 'oc_retry' }));
    await h.drain();
    expect((await statusOf('retry-500')).status).toBe('sent');
  });

  it('never sends more than 5 a second to one receiver, and 50 a second in all', async () => {
    const keys = Array.from({ length: 15 }, (_, i) => `burst-${i}`);
    await queue(keys, () => ({ openId: 'ou_burst' }));
    const started = Date.now();
    await h.drain();
    const times = h.fake.messages.filter((m) => m.receiveId === 'ou_burst').map((m) => m.at).sort((a, b) => a - b);
    expect(times).toHaveLength(15);
    // in any window of one second, at most 5 (with 100 ms tolerance for the HTTP round trip)
    for (let i = 0; i + 5 < times.length; i++) expect(times[i + 5] - times[i]).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('keeps to the per-minute budget of the app (Feishu: 1000 a minute)', async () => {
    await queue(Array.from({ length: 15 }, (_, i) => `minute-${i}`), (i) => ({ openId: `ou_minute_${i}` }));
    const capped = new OutboxDispatcher({
      db: h.db.db,
      transport: { deliver: async () => ({ ok: true }) },
      log: createLogger('silent'),
      limits: { perApp: 1000, perReceiver: 1000, perMinute: 10, leaseMs: 3_600_000 },
    });
    const first = await capped.claim();
    const second = await capped.claim(new Date(Date.now() + 2000));
    expect(first).toHaveLength(10);
    expect(second).toHaveLength(0);
    // never answered: their requests may have reached Feishu as late as 40 s after the claim, so within the last minute
    expect(await capped.claim(new Date(Date.now() + 61_000))).toHaveLength(0);
    expect(await capped.claim(new Date(Date.now() + 101_000))).toHaveLength(5);
  });

  it('keeps sending to others while one receiver is undeliverable', async () => {
    h.fake.failReceiver('ou_blocked', { status: 400, code: 230053, msg: 'The user has stopped the bot from sending messages' });
    h.fake.failReceiver('oc_gone', { status: 400, code: 230002, msg: 'Bot/User can NOT be out of the chat.' });
    await queue(['blocked-1', 'gone-1', 'fine-1', 'fine-2'], (i) => [{ openId: 'ou_blocked' }, { chatId: 'oc_gone' }, { openId: 'ou_fine' }, { chatId: 'oc_fine' }][i]);
    await h.drain();
    expect((await statusOf('blocked-1')).status).toBe('undeliverable');
    expect((await statusOf('gone-1')).status).toBe('undeliverable');
    expect((await statusOf('fine-1')).status).toBe('sent');
    expect((await statusOf('fine-2')).status).toBe('sent');
    // undeliverable is final: one attempt each
    expect(h.fake.requests.filter((r) => r.body?.receive_id === 'ou_blocked')).toHaveLength(1);
    h.fake.clearFaults();
  });

  it('dead-letters after 8 attempts with a log line and an alert to the administrators', async () => {
    h.fake.failReceiver('ou_down', { status: 503, code: 1, msg: 'service unavailable' });
    await queue(['down-1'], () => ({ openId: 'ou_down' }));
    await h.drain();
    const row = await statusOf('down-1');
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(8);
    expect(h.fake.requests.filter((r) => r.body?.receive_id === 'ou_down')).toHaveLength(8);
    const alert = h.fake.messages.find((m) => m.receiveId === ADMIN);
    expect(JSON.stringify(alert?.content)).toContain('消息投递失败');
    const audits = await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'));
    expect(audits.length).toBeGreaterThanOrEqual(1);
    expect(h.logs.some((l) => l.includes('message dead-lettered') && l.includes('down-1'))).toBe(true);
    h.fake.clearFaults();
  });

  it('two dispatchers on one database never send a row twice', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `pair-${i}`);
    await queue(keys, (i) => ({ openId: `ou_pair_${i % 40}` }));
    const log = createLogger('silent');
    const make = () =>
      new OutboxDispatcher({
        db: h.db.db,
        transport: new LarkTransport(createLarkClient({ appId: 'cli_test', appSecret: 'test-secret', domain: h.fake.url, log })),
        log,
        onDeadLetter: deadLetterAlert([ADMIN], 'Asia/Shanghai'),
        limits: { baseDelayMs: 20, maxDelayMs: 200, batch: 10 },
      });
    const [a, b] = [make(), make()];
    await Promise.all([a.drain(20_000), b.drain(20_000)]);
    // count HTTP requests, not accepted messages: the fake would fold a resend with the same uuid
    const requests = h.fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages');
    expect(requests).toHaveLength(120);
    const sent = requests.map((r) => JSON.parse(r.body.content).body.elements[0].content);
    expect(new Set(sent).size).toBe(120);
    const [{ n }] = await h.db.db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(eq(outbox.status, 'sent'));
    expect(Number(n)).toBe(120);
  });
});

describe('rows a dead process left sending', () => {
  it('are given back at once where this process is the database’s only one (PGlite at start), and sent', async () => {
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'abandoned:1', to: { openId: 'ou_abandoned' }, card: card(1) }));
    // as a process that claimed it and died before Feishu answered leaves it: sending, claimed a moment ago
    await h.db.db.update(outbox).set({ status: 'sending', claimedAt: new Date(), attempts: 1 }).where(eq(outbox.dedupeKey, 'abandoned:1'));
    expect(await h.app.dispatcher.releaseAbandoned()).toBe(1);
    const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'abandoned:1'));
    expect(row.status).toBe('pending');
    await h.drain();
    expect(h.fake.messages.filter((m) => m.receiveId === 'ou_abandoned')).toHaveLength(1);
    expect(await h.app.dispatcher.releaseAbandoned()).toBe(0);
  });
});

describe('a send that outlives its claim', () => {
  it('leaves the row to the replica that took it over: no retry, no dead letter, no false alert', async () => {
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'outlived:1', to: { openId: 'ou_outlived' }, card: card(1) }));
    let release!: () => void;
    const answered = new Promise<void>((r) => (release = r));
    let delivering!: () => void;
    const started = new Promise<void>((r) => (delivering = r));
    const slow = new OutboxDispatcher({
      db: h.db.db,
      // a file upload that took longer than the lease, then failed for good
      transport: {
        deliver: async () => {
          delivering();
          await answered;
          return { ok: false, retryable: false, undeliverable: false, error: 'HTTP 400 code 230001: invalid param' };
        },
      },
      log: createLogger('silent'),
      onDeadLetter: deadLetterAlert([ADMIN], 'Asia/Shanghai'),
      limits: { perApp: 1000, perReceiver: 1000, leaseMs: 60_000 },
    });
    const run = slow.runOnce();
    await started;
    // meanwhile the lease ran out and another replica claimed the row (a claim of its own time)
    const takenOver = new Date(Date.now() + 61_000);
    await h.db.db.update(outbox).set({ claimedAt: takenOver, attempts: sql`${outbox.attempts} + 1` }).where(eq(outbox.dedupeKey, 'outlived:1'));
    release();
    await run;
    const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'outlived:1'));
    expect(row.status).toBe('sending');
    expect(row.claimedAt).toEqual(takenOver);
    expect(await h.db.db.select().from(auditLog).where(sql`${auditLog.action} = 'outbox.dead_letter' and ${auditLog.details} ->> 'dedupeKey' = 'outlived:1'`)).toEqual([]);
    expect(await h.db.db.select().from(outbox).where(sql`${outbox.dedupeKey} like 'alert:dead-letter:' || ${row.id}::text || ':%'`)).toEqual([]);
  });
});

describe('a card update that fails after a later one was queued', () => {
  it('is dropped, not sent again over the newer card', async () => {
    await h.db.db.transaction(async (tx) => {
      await enqueue(tx, { dedupeKey: 'job:9:card:progress:500', to: { updateMessage: 'om_jobcard9' }, card: card(500) });
    });
    let release!: () => void;
    const answered = new Promise<void>((r) => (release = r));
    let delivering!: () => void;
    const started = new Promise<void>((r) => (delivering = r));
    const flaky = new OutboxDispatcher({
      db: h.db.db,
      transport: {
        deliver: async (row) => {
          if (row.dedupeKey !== 'job:9:card:progress:500') return { ok: true };
          delivering();
          await answered;
          return { ok: false, retryable: true, undeliverable: false, error: 'HTTP 503 code -: timeout' };
        },
      },
      log: createLogger('silent'),
      limits: { perApp: 1000, perReceiver: 1000 },
    });
    const run = flaky.runOnce();
    await started;
    // the job ends meanwhile: its final card is queued after the progress in flight
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'job:9:card:final', to: { updateMessage: 'om_jobcard9' }, card: card(1000) }));
    release();
    await run;
    const [progress] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'job:9:card:progress:500'));
    expect(progress.status).toBe('dropped');
    expect(progress.lastError).toMatch(/^superseded by a later update/);
    // an update with nothing after it is tried again as before
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'job:10:card:progress:1', to: { updateMessage: 'om_jobcard10' }, card: card(1) }));
    const lone = new OutboxDispatcher({ db: h.db.db, transport: { deliver: async () => ({ ok: false, retryable: true, undeliverable: false, error: 'HTTP 503' }) }, log: createLogger('silent'), limits: { perApp: 1000, perReceiver: 1000 } });
    await lone.runOnce();
    const [retried] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'job:10:card:progress:1'));
    expect(retried.status).toBe('pending');
  });
});

describe('certificates the bot cannot draw (no font installed)', () => {
  it('give the administrators one alert a day, not one for each certificate', async () => {
    const keys = ['nofont:png:1', 'nofont:pdf:1', 'nofont:png:2', 'nofont:pdf:2'];
    await h.db.db.transaction(async (tx) => {
      for (const [i, k] of keys.entries()) await enqueue(tx, { dedupeKey: k, to: { openId: `ou_nofont_${i}` }, card: card(i) });
    });
    const error = 'CERTIFICATE_FONT: font not found: /usr/share/fonts/truetype/wqy/wqy-microhei.ttc (Debian/Ubuntu: apt-get install fonts-wqy-microhei, …)';
    const noFont = new OutboxDispatcher({
      db: h.db.db,
      transport: { deliver: async (row) => (row.dedupeKey.startsWith('nofont:') ? { ok: false, retryable: false, undeliverable: false, error } : { ok: true }) },
      log: createLogger('silent'),
      onDeadLetter: deadLetterAlert([ADMIN], 'Asia/Shanghai'),
      limits: { perApp: 1000, perReceiver: 1000 },
    });
    await noFont.runOnce();
    for (const k of keys) expect((await statusOf(k)).status).toBe('dead');
    const alerts = await h.db.db.select({ key: outbox.dedupeKey }).from(outbox).where(sql`${outbox.dedupeKey} like 'alert:dead-letter:setup:CERTIFICATE_FONT:%'`);
    expect(alerts).toHaveLength(1);
  });
});
