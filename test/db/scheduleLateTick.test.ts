/**
 * The four jobs share one tick (09:00, 10:00 … 18:00 in BOT_TIMEZONE) and one event loop: node-cron runs a task only if
 * its timer fires within a second of the hour, and gives it up as "missed" otherwise. The loop busy over the hour (a
 * reminder period's audience read on PGlite, which computes on the main thread, an import being read, a pause of the
 * machine) dropped the others' run of that hour, and at 18:00 the day's last one: the escalation and the digest came a
 * day late. A tick up to half an hour late still runs now.
 */
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { jobRuns } from '../../db/schema.js';
import { startSchedules } from '../../jobs/index.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { OutboxDispatcher } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { until } from '../support/waiting.js';

describe('a tick that fires late', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('still runs the jobs of the hour when the loop was busy three seconds over it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // 17:59:59.5 in Shanghai, the day's last tick half a second away
    vi.setSystemTime(new Date('2027-05-20T17:59:59.500+08:00'));
    const schedules = startSchedules({
      database: { db: db.db } as never,
      dispatcher: { nudge: () => {} } as unknown as OutboxDispatcher,
      config: { BOT_TIMEZONE: 'Asia/Shanghai', ADMIN_OPEN_IDS: [] } as unknown as Config,
      clock: { now: () => new Date() },
      log: createLogger('silent'),
    });
    try {
      // the loop is held for three seconds over 18:00:00: the timers fire at 18:00:03
      vi.setSystemTime(new Date('2027-05-20T18:00:03+08:00'));
      await vi.advanceTimersByTimeAsync(600);
      vi.useRealTimers();
      await until(async () => (await db.db.select().from(jobRuns).where(eq(jobRuns.job, 'escalation'))).length > 0, 10_000);
      expect((await db.db.select({ period: jobRuns.period }).from(jobRuns).where(eq(jobRuns.job, 'escalation'))).map((r) => r.period)).toEqual(['2027-05-20']);
    } finally {
      await schedules.stop();
    }
  });
});
