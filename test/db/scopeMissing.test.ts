import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, outbox } from '../../db/schema.js';
import { enqueue } from '../../src/outbox.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/waiting.js';

/**
 * The app without the permission to send messages (99991672, "Access denied. One of the following scopes is required:
 * [im:message, im:message:send_as_bot]"): an administrator took the scope away, or a version was published without it.
 * Every reminder, digest and alert of the morning was dead-lettered at its first try, the dead-letter alert failed alike,
 * so nobody was told, and nothing went out once the scope was back. Now every send is held as an outage (as 230006 is),
 * one error line says what to add, and everything goes out, once, when Feishu takes it again.
 */

const LIMITS = { maxAttempts: 3, outagePauseMs: 10, outagePauseMaxMs: 80 };
const NO_SCOPE = { status: 400, code: 99991672, msg: 'Access denied. One of the following scopes is required: [im:message, im:message:send_as_bot].' };

const lines = (h: Harness) => h.logs.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; error?: string });
const queue = (h: Harness, key: string, openId: string) => h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: key, to: { openId }, text: key }));
const rows = (h: Harness, prefix: string) => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`)).orderBy(outbox.id);

describe('the app without the scope to send messages (99991672)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ outboxLimits: LIMITS });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('holds every message without spending its attempts, says once which scope to add, and sends all once it is granted', async () => {
    await queue(h, 'warm', 'ou_warm');
    await h.drain();
    const before = lines(h).length;
    // every send refused until the scope is added again
    h.fake.injectFaults(Array.from({ length: 40 }, () => NO_SCOPE));
    for (const i of [1, 2, 3]) await queue(h, `scope:${i}`, `ou_scope${i}`);
    let probes = 0;
    await until(async () => {
      probes += await h.app.dispatcher.runOnce();
      return probes >= 8;
    }, 20_000);
    expect(h.app.dispatcher.outageKind).toBe('scope');
    // none dead-lettered, none spent an attempt (before: dead at the first try, with the alert itself dead too)
    expect((await rows(h, 'scope:')).map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    const said = lines(h).slice(before).filter((l) => l.level === 50 && l.msg.startsWith('Feishu says the app lacks'));
    expect(said).toHaveLength(1);
    expect(said[0].msg).toContain('im:message');

    h.fake.clearFaults();
    await h.drain();
    expect((await rows(h, 'scope:')).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    expect(h.fake.messages.filter((m) => m.receiveId.startsWith('ou_scope')).map((m) => m.receiveId).sort()).toEqual(['ou_scope1', 'ou_scope2', 'ou_scope3']);
    expect(h.app.dispatcher.outageKind).toBeUndefined();
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'))).toHaveLength(0);
  });

  it('a scope that is not the messages’ (an upload’s im:resource) stays that message’s failure: the others go on', async () => {
    h.fake.clearFaults();
    h.fake.injectFaults([{ status: 400, code: 99991672, msg: 'Access denied. One of the following scopes is required: [im:resource].' }], (r) => r.body?.receive_id === 'ou_res1');
    await queue(h, 'res:1', 'ou_res1');
    await queue(h, 'res:2', 'ou_res2');
    await h.drain();
    expect((await rows(h, 'res:')).map((r) => r.status)).toEqual(['dead', 'sent']);
    expect(h.app.dispatcher.outageKind).toBeUndefined();
  });
});
