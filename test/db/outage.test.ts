import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, like, sql } from 'drizzle-orm';
import { auditLog, outbox } from '../../db/schema.js';
import { enqueue } from '../../src/outbox.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/waiting.js';

/**
 * The Open Platform out of reach (a network down, ECONNREFUSED) and the token endpoint refusing the app's secret
 * (10014): both fail every send of the app alike, so the outbox holds them all, spends no attempts, probes with one row
 * at a time and logs the trouble once; the real SDK against the simulated platform.
 */

/** Small pauses and few attempts: with the attempts of old, three failed tries would dead-letter every row. */
const LIMITS = { maxAttempts: 3, outagePauseMs: 10, outagePauseMaxMs: 80 };

const lines = (h: Harness) => h.logs.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; component?: string; error?: string });

async function queue(h: Harness, key: string, openId: string): Promise<void> {
  await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: key, to: { openId }, text: key }));
}

async function rows(h: Harness, prefix: string) {
  return h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`)).orderBy(outbox.id);
}

/**
 * Runs the dispatcher by hand until `probes` rows were claimed after the first batch (each one a failed send while the
 * platform is down), or no row of `prefix` is left to send; the largest claim after the first is returned, and nothing
 * waits on a timer of the test's own.
 */
async function probe(h: Harness, prefix: string, probes: number, stop?: () => Promise<boolean>): Promise<number> {
  // the first claim may come while an outage seen before (the start-up check's) still pauses the outbox, or while a
  // probe of its own loop is in flight: the outbox claims nothing then, by design, so the first batch is waited for
  await until(async () => (await h.app.dispatcher.runOnce()) > 0, 10_000);
  let claimed = 0;
  let largest = 0;
  await until(async () => {
    const n = await h.app.dispatcher.runOnce();
    claimed += n;
    largest = Math.max(largest, n);
    if (claimed >= probes || (stop && (await stop()))) return true;
    return (await rows(h, prefix)).every((r) => r.status !== 'pending' && r.status !== 'sending');
  }, 20_000);
  return largest;
}

describe('the Open Platform out of reach', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ outboxLimits: LIMITS });
  });
  afterAll(async () => {
    await h?.fake.setReachable(true);
    await h?.close();
  });

  it('holds every row without spending its attempts, probes one at a time, logs once, and sends all once it is back', async () => {
    // a token fetched before: the outage hits the sends themselves
    await queue(h, 'warm', 'ou_warm');
    await h.drain();
    const before = lines(h).length;
    await h.fake.setReachable(false);
    for (const i of [1, 2, 3]) await queue(h, `down:${i}`, `ou_down${i}`);

    const largest = await probe(h, 'down:', 10);
    expect(largest).toBe(1);
    expect(h.app.dispatcher.outageKind).toBe('network');
    // ten failed probes and no row has spent an attempt: none is dead
    expect((await rows(h, 'down:')).map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    expect((await rows(h, 'down:'))[0].lastError).toMatch(/^no answer: (ECONNREFUSED|ECONNRESET)/);
    const during = lines(h).slice(before);
    expect(during.filter((l) => l.msg.startsWith('Open Platform out of reach'))).toHaveLength(1);
    expect(during.filter((l) => l.msg.startsWith('Open Platform out of reach'))[0].level).toBe(40);
    // no error line per attempt from the SDK, no "will retry" per row
    expect(during.filter((l) => l.level >= 50)).toEqual([]);
    expect(during.filter((l) => l.msg.includes('will retry'))).toEqual([]);

    await h.fake.setReachable(true);
    await h.drain();
    expect((await rows(h, 'down:')).map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 1],
      ['sent', 1],
      ['sent', 1],
    ]);
    expect(h.fake.messages.filter((m) => m.receiveId.startsWith('ou_down')).map((m) => m.receiveId).sort()).toEqual(['ou_down1', 'ou_down2', 'ou_down3']);
    expect(h.app.dispatcher.outageKind).toBeUndefined();
    const after = lines(h).slice(before);
    expect(after.filter((l) => l.msg.startsWith('Open Platform reachable again'))).toHaveLength(1);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'))).toHaveLength(0);
  });

  it('passes a blip the first probe gets through without a warning', async () => {
    const before = lines(h).length;
    // one connection dropped with no answer
    h.fake.injectFaults([{ status: 0, code: 0, cut: true }], (r) => r.body?.receive_id === 'ou_blip1');
    await queue(h, 'blip:1', 'ou_blip1');
    expect(await h.app.dispatcher.runOnce()).toBe(1);
    expect(h.app.dispatcher.outageKind).toBe('network');
    expect((await rows(h, 'blip:'))[0].lastError).toMatch(/^no answer: ECONNRESET/);
    await h.drain();
    expect((await rows(h, 'blip:')).map((r) => [r.status, r.attempts])).toEqual([['sent', 1]]);
    expect(h.app.dispatcher.outageKind).toBeUndefined();
    expect(lines(h).slice(before).filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
  });

  it('takes the gateway answering for the API (HTTP 502/503/504, its own page, no code) as the platform out of reach: no attempt spent', async () => {
    const before = lines(h).length;
    // Feishu's API behind its gateway down for a while: every send is answered by the gateway's page
    h.fake.injectFaults([503, 502, 504, 503, 503, 503, 503, 503, 503, 503].map((status) => ({ status, code: 0, gateway: true })));
    for (const i of [1, 2, 3]) await queue(h, `gateway:${i}`, `ou_gateway${i}`);
    await probe(h, 'gateway:', 5);
    expect(h.app.dispatcher.outageKind).toBe('network');
    const held = await rows(h, 'gateway:');
    expect(held.map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(held.some((r) => /HTTP 50[234] from the Open Platform's gateway/.test(r.lastError ?? ''))).toBe(true);
    expect(lines(h).slice(before).filter((l) => l.msg.includes('will retry'))).toEqual([]);

    h.fake.clearFaults();
    await h.drain();
    expect((await rows(h, 'gateway:')).map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 1],
      ['sent', 1],
      ['sent', 1],
    ]);
    expect(h.app.dispatcher.outageKind).toBeUndefined();
  });

  it('still retries as the row’s own a 5xx the API answered with its code', async () => {
    h.fake.injectFaults([{ status: 500, code: 1000, msg: 'internal error' }], (r) => r.body?.receive_id === 'ou_api5xx');
    await queue(h, 'api5xx:1', 'ou_api5xx');
    expect(await h.app.dispatcher.runOnce()).toBe(1);
    expect(h.app.dispatcher.outageKind).toBeUndefined();
    const [row] = await rows(h, 'api5xx:');
    expect([row.status, row.attempts]).toEqual(['pending', 1]);
    expect(row.lastError).toMatch(/^HTTP 500 code 1000/);
  });

  it('takes tenant_access_token/internal answering 5xx, a code in its body or not, as the platform out of reach: no attempt spent', async () => {
    // the token the SDK holds refused (99991663): the client drops it and asks the token endpoint, which is down
    h.fake.revokeTokens();
    h.fake.failTokens(Array.from({ length: 10 }, (_, i) => (i % 2 ? { status: 500, code: 1000, msg: 'internal error' } : { status: 503, code: 0, gateway: true })));
    for (const i of [1, 2, 3]) await queue(h, `token5xx:${i}`, `ou_token5xx${i}`);
    await probe(h, 'token5xx:', 5);
    expect(h.app.dispatcher.outageKind).toBe('network');
    const held = await rows(h, 'token5xx:');
    expect(held.map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(held.some((r) => /^no token: HTTP 500 code 1000: internal error from tenant_access_token\/internal$/.test(r.lastError ?? ''))).toBe(true);

    h.fake.clearFaults();
    await h.drain();
    expect((await rows(h, 'token5xx:')).map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 1],
      ['sent', 1],
      ['sent', 1],
    ]);
    expect(h.app.dispatcher.outageKind).toBeUndefined();
  });

  it('dead-letters a row queued more than 24 h before, saying the platform stayed out of reach; the others wait', async () => {
    await h.fake.setReachable(false);
    await queue(h, 'old:1', 'ou_old1');
    await queue(h, 'old:2', 'ou_old2');
    await h.db.db.update(outbox).set({ createdAt: sql`now() - interval '25 hours'` }).where(eq(outbox.dedupeKey, 'old:1'));
    const oldRow = async () => (await rows(h, 'old:1'))[0];
    await probe(h, 'old:', 50, async () => (await oldRow()).status === 'dead');
    const [old, young] = await rows(h, 'old:');
    expect([old.status, young.status]).toEqual(['dead', 'pending']);
    expect(old.lastError).toMatch(/^not sent within 24 h of being queued: the Open Platform stayed out of reach \(no answer: (ECONNREFUSED|ECONNRESET)/);
    expect(young.attempts).toBe(0);
    const [letter] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'outbox.dead_letter'), eq(auditLog.entityId, String(old.id))));
    expect(letter).toBeDefined();

    await h.fake.setReachable(true);
    await h.drain();
    expect((await rows(h, 'old:2'))[0].status).toBe('sent');
  });
});

describe('the app’s bot ability off (230006: a version published without 机器人)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ outboxLimits: LIMITS });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('holds every row as an outage, says what to turn on in one error line, and sends all once Feishu takes them again', async () => {
    await queue(h, 'warm', 'ou_warm');
    await h.drain();
    const before = lines(h).length;
    h.fake.setBotAbility(false);
    for (const i of [1, 2, 3]) await queue(h, `noBot:${i}`, `ou_nobot${i}`);
    expect(await probe(h, 'noBot:', 10)).toBe(1);
    expect(h.app.dispatcher.outageKind).toBe('bot');
    // no row spent an attempt, none was given up as undeliverable (they used to be, at once, never sent)
    expect((await rows(h, 'noBot:')).map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    const named = lines(h).slice(before).filter((l) => l.level === 50 && l.msg.includes('机器人'));
    expect(named).toHaveLength(1);
    expect(named[0].error).toContain('code 230006');

    h.fake.setBotAbility(true);
    await h.drain();
    expect((await rows(h, 'noBot:')).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    expect(h.fake.messages.filter((m) => m.receiveId.startsWith('ou_nobot')).map((m) => m.receiveId).sort()).toEqual(['ou_nobot1', 'ou_nobot2', 'ou_nobot3']);
    expect(h.app.dispatcher.outageKind).toBeUndefined();
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'))).toHaveLength(0);
  });
});

describe('a wrong LARK_APP_SECRET', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ outboxLimits: LIMITS, env: { LARK_APP_SECRET: 'not-the-secret' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is named in one error line, at start-up; rows are held with their attempts, and /healthz still answers', async () => {
    const named = () => lines(h).filter((l) => l.level === 50 && l.msg.includes('LARK_APP_SECRET'));
    // the start-up check asks for a token before anything is sent, and is answered before the dispatcher is asked
    await until(() => named().length > 0, 2000).catch(() => undefined);
    expect(named().map((l) => l.error)).toEqual(['tenant_access_token refused, code 10014: app secret invalid (check LARK_APP_SECRET)']);
    expect(h.app.dispatcher.outageKind).toBe('credentials');

    for (const i of [1, 2, 3]) await queue(h, `secret:${i}`, `ou_secret${i}`);
    const tokenAsks = () => h.fake.requests.filter((r) => r.path === '/open-apis/auth/v3/tenant_access_token/internal').length;
    const asked = tokenAsks();
    const largest = await probe(h, 'secret:', 10);
    expect(largest).toBe(1);
    // every probe asked for a token again and was refused; no message reached the platform
    expect(tokenAsks()).toBeGreaterThanOrEqual(asked + 10);
    expect(h.fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages')).toHaveLength(0);
    expect((await rows(h, 'secret:')).map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(named()).toHaveLength(1);
    expect(lines(h).filter((l) => l.msg.includes('will retry'))).toEqual([]);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'))).toHaveLength(0);

    const health = await fetch(`${h.app.url}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe('the Open Platform out of reach at start-up (a mistyped LARK_DOMAIN, a network that blocks it)', () => {
  let h: Harness;
  beforeAll(async () => {
    // a port nothing listens on
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    h = await startHarness({ outboxLimits: { ...LIMITS, outagePauseMs: 200 }, env: { LARK_DOMAIN: `http://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is said in one warning soon after the start, before anything is queued: the token is asked again after the first pause', async () => {
    const warned = () => lines(h).filter((l) => l.msg.startsWith('Open Platform out of reach'));
    await until(() => warned().length > 0, 10_000);
    expect(warned()).toHaveLength(1);
    expect(warned()[0].level).toBe(40);
    expect(warned()[0].error).toMatch(/^no answer: ECONNREFUSED/);
    expect(h.app.dispatcher.outageKind).toBe('network');
    expect(await h.db.db.select().from(outbox)).toEqual([]);
  });
});
