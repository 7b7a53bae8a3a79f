/**
 * An error Feishu gives by code fails a run of messages alike (the server's IP not in the allow-list, a kind of card
 * refused, retries spent through an outage): the administrators' group got one alert for each of them, hundreds after a
 * publishing. One alert an hour for each code now says it, with one example and that the rest are in the digest; an
 * error without a code is still alerted message by message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { deadLetterAlert } from '../../src/notifications.js';
import { enqueue, OutboxDispatcher } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const ADMIN = 'ou_admin_dead_letter_codes_000000001';
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('dead-letter alerts', () => {
  it('one an hour for each code Feishu gave, one each for an error without one', async () => {
    const clock = new ManualClock('2027-07-20T10:05:00+08:00');
    const errors: Record<string, string> = {
      ip: 'Feishu API error: code 99991401, msg: ip not allowed',
      card: 'Feishu API error: code 230099, msg: Failed to create card content',
      plain: 'socket hang up',
    };
    const d = new OutboxDispatcher({
      db: db.db,
      transport: { deliver: async (row) => ({ ok: false, retryable: false, undeliverable: false, error: errors[row.dedupeKey.split(':')[1]] }) },
      log: createLogger('silent'),
      onDeadLetter: deadLetterAlert([ADMIN], 'Asia/Shanghai', clock),
      limits: { perApp: 1000, perReceiver: 1000 },
    });
    const fail = async (keys: string[]) => {
      await db.db.transaction(async (tx) => {
        for (const key of keys) await enqueue(tx, { dedupeKey: key, to: { openId: `ou_leader_${key.replace(/\W/g, '_')}` }, text: '结果' });
      });
      await d.runOnce();
      return (await db.db.select({ key: outbox.dedupeKey, card: outbox.card }).from(outbox).where(sql`${outbox.dedupeKey} like 'alert:dead-letter:%'`)).sort((a, b) => a.key.localeCompare(b.key));
    };
    const first = await fail(['r:ip:1', 'r:ip:2', 'r:ip:3', 'r:card:1', 'r:card:2', 'r:plain:1', 'r:plain:2']);
    const codes = first.filter((a) => a.key.startsWith('alert:dead-letter:code:')).map((a) => a.key);
    expect(codes).toEqual([`alert:dead-letter:code:230099:2027年7月20日 10 +08:00:user:${ADMIN}`, `alert:dead-letter:code:99991401:2027年7月20日 10 +08:00:user:${ADMIN}`]);
    expect(first.filter((a) => !a.key.startsWith('alert:dead-letter:code:'))).toHaveLength(2);
    expect(JSON.stringify(first.find((a) => a.key.includes(':code:99991401:'))!.card)).toContain('同一错误码一小时内只提醒一次');
    // the same hour: nothing more; the next: one more for the code
    clock.advance(20 * 60_000);
    expect((await fail(['r:ip:4'])).length).toBe(first.length);
    clock.advance(60 * 60_000);
    const later = await fail(['r:ip:5']);
    expect(later.map((a) => a.key)).toContain(`alert:dead-letter:code:99991401:2027年7月20日 11 +08:00:user:${ADMIN}`);
    expect(later.length).toBe(first.length + 1);
  });
});
