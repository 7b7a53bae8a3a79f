/**
 * Certificates the bot cannot draw (no font installed) raise one alert a day, not one each: the day is the
 * administrators' (BOT_TIMEZONE), so certificates queued at 07:00 and 09:00 of one Shanghai day raise one alert, and one
 * queued at 23:30 the evening before (the same day in UTC as 07:00) raises its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import { createLogger } from '../../src/log.js';
import { deadLetterAlert } from '../../src/notifications.js';
import { enqueue, OutboxDispatcher } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const ADMIN = 'ou_admin_certificate_alert_day_00001';
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('the alert for certificates that cannot be drawn', () => {
  it('is one a day of BOT_TIMEZONE', async () => {
    const error = 'CERTIFICATE_FONT: font not found: /usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
    const d = new OutboxDispatcher({
      db: db.db,
      transport: { deliver: async (row) => (row.dedupeKey.startsWith('cert:') ? { ok: false, retryable: false, undeliverable: false, error } : { ok: true }) },
      log: createLogger('silent'),
      onDeadLetter: deadLetterAlert([ADMIN], 'Asia/Shanghai'),
      limits: { perApp: 1000, perReceiver: 1000 },
    });
    const fail = async (queuedAt: Record<string, string>) => {
      await db.db.transaction(async (tx) => {
        for (const key of Object.keys(queuedAt)) await enqueue(tx, { dedupeKey: key, to: { openId: `ou_leader_${key.slice(5)}` }, text: '证书' });
      });
      for (const [key, at] of Object.entries(queuedAt)) await db.db.update(outbox).set({ createdAt: new Date(at) }).where(eq(outbox.dedupeKey, key));
      await d.runOnce();
      return (await db.db.select({ key: outbox.dedupeKey }).from(outbox).where(sql`${outbox.dedupeKey} like 'alert:dead-letter:setup:%'`)).map((a) => a.key).sort();
    };
    // 07:00 in Shanghai is still 1 March in UTC, 09:00 is 2 March in both
    expect(await fail({ 'cert:early': '2027-03-02T07:00:00+08:00', 'cert:late': '2027-03-02T09:00:00+08:00' })).toEqual([`alert:dead-letter:setup:CERTIFICATE_FONT:2027-03-02:user:${ADMIN}`]);
    // the evening before is another day, though the same UTC day as 07:00
    expect(await fail({ 'cert:evening': '2027-03-01T23:30:00+08:00' })).toEqual([
      `alert:dead-letter:setup:CERTIFICATE_FONT:2027-03-01:user:${ADMIN}`,
      `alert:dead-letter:setup:CERTIFICATE_FONT:2027-03-02:user:${ADMIN}`,
    ]);
  });
});
