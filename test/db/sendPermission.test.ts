import { like } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { enqueue } from '../../src/outbox.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/waiting.js';

/**
 * The app without the permission to send messages (im:message:send_as_bot, im:message or im:message:send): Feishu refuses
 * every send alike, HTTP 400 99991672 (https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code),
 * until an administrator adds it and publishes a version. The outbox holds them as in an outage, spends no attempts,
 * dead-letters none, says once what to add, and sends them all once Feishu takes them; they used to be dead-lettered at
 * the first refusal, lost.
 */
const LIMITS = { maxAttempts: 3, outagePauseMs: 10, outagePauseMaxMs: 80 };
const SEND_SCOPES = ['im:message', 'im:message:send_as_bot', 'im:message:send'];
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ outboxLimits: LIMITS });
});
afterAll(async () => {
  await h?.close();
});

const rows = () => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'scope:%')).orderBy(outbox.id);
const lines = () => h.logs.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });

it('holds every message while the app may not send, dead-letters none, and sends them once the permission is added', async () => {
  h.fake.revokeScopes(...SEND_SCOPES);
  for (const i of [1, 2, 3]) await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: `scope:${i}`, to: { openId: `ou_scope${i}` }, text: `消息 ${i}` }));
  // probes, one row at a time, well past the three attempts each row has
  let claimed = 0;
  await until(async () => {
    claimed += await h.app.dispatcher.runOnce();
    return claimed >= 8 || (await rows()).every((r) => r.status !== 'pending' && r.status !== 'sending');
  }, 20_000);
  expect(h.app.dispatcher.outageKind).toBe('scope');
  expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([
    ['pending', 0],
    ['pending', 0],
    ['pending', 0],
  ]);
  expect((await rows())[0].lastError).toContain('99991672');
  expect(lines().filter((l) => l.msg.startsWith('Feishu says the app lacks the permission to send messages'))).toHaveLength(1);
  expect(lines().filter((l) => l.msg === 'message dead-lettered')).toEqual([]);

  h.fake.grantScopes(...SEND_SCOPES);
  await h.drain();
  expect((await rows()).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
  expect(h.app.dispatcher.outageKind).toBeUndefined();
  expect(h.fake.messages.filter((m) => m.receiveId.startsWith('ou_scope')).map((m) => m.content.text).sort()).toEqual(['消息 1', '消息 2', '消息 3']);
});
