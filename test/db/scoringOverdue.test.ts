import { Writable } from 'node:stream';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { cycles, outbox } from '../../db/schema.js';
import { BulkJobWorker } from '../../src/bulkJobs.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { addDays } from '../../src/dates.js';
import { remindJob, runReminders } from '../../src/jobs/reminders.js';
import { createLogger } from '../../src/log.js';
import { cardSpecOf, type OutboxRow } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { BOOTSTRAP_ADMIN, generateCycle, type GeneratedCycle } from './jobsFixture.js';

/**
 * Scoring overdue (评分截止 2027-06-30) with the review meeting on 2027-07-15: the experts with sheets left are reminded
 * every day of the first week overdue, then once a week, a week missed made up by the next run; from the meeting day
 * on, the reminder says the meeting is today or was held and the association waits for the sheets, not that a late
 * sheet will delay it.
 */
const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const config = { ADMIN_OPEN_IDS: [BOOTSTRAP_ADMIN], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
const sendReminders = (d: Db) => new BulkJobWorker({ db: d, kinds: [remindJob], clock: systemClock, config, log: quiet }).drain();
const at = (date: string) => ({ now: new Date(`${date}T09:00:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });
const MEETING = '2027-07-15';

async function draw(d: Db, date: string, row: OutboxRow): Promise<string> {
  const spec = cardSpecOf(row)!;
  const [drawn] = await cardRenderers(d, 'Asia/Shanghai', { now: () => at(date).now })[spec.kind]([spec], [row]);
  return 'card' in drawn ? cardText(drawn.card) : JSON.stringify(drawn);
}

describe('overdue scoring reminders', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  let expert: string;
  const sentTo = async (openId: string) =>
    (await db.db.select().from(outbox).where(like(outbox.dedupeKey, 'remind:scoring-deadline:2027:overdue:%'))).filter((r) => r.receiver === openId);
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 29);
    await db.db.update(cycles).set({ status: 'scoring', reviewMeetingDate: MEETING }).where(eq(cycles.id, g.cycleId));
    expert = Object.keys(g.experts)[0];
  });
  afterAll(async () => {
    await db?.close();
  });

  it('run every day for a month: daily in the first week overdue, then weekly', async () => {
    const days = Array.from({ length: 31 }, (_, i) => addDays('2027-07-01', i));
    const texts = new Map<string, string>();
    for (const day of days) {
      await runReminders(db.db, at(day));
      await sendReminders(db.db);
      for (const r of await sentTo(expert)) if (![...texts.keys()].includes(r.dedupeKey)) texts.set(r.dedupeKey, await draw(db.db, day, r));
    }
    const sentOn = [...texts.keys()].map((k) => /overdue:(\d{4}-\d{2}-\d{2}):/.exec(k)![1]);
    expect(sentOn).toEqual(['2027-07-01', '2027-07-02', '2027-07-03', '2027-07-04', '2027-07-05', '2027-07-06', '2027-07-07', '2027-07-14', '2027-07-21', '2027-07-28']);
    const [first, , , , , , , week2, week3] = [...texts.values()];
    expect(first).toContain('评分已逾期 1 天');
    // before the meeting a late sheet still delays it
    expect(week2).toContain('评分逾期会推迟评审会（第十九条）');
    expect(week3).toContain('评分已逾期 21 天');
    expect(week3).toContain('评审会已于 2027年7月15日 召开，协会正在等你的评分表，请尽快完成（第十九条）');
    expect(week3).not.toContain('推迟评审会');
  });
});

describe('overdue scoring reminders on the meeting day and after', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 31);
    await db.db.update(cycles).set({ status: 'scoring', reviewMeetingDate: MEETING }).where(eq(cycles.id, g.cycleId));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('the run of the meeting day makes up the week’s reminder, says the meeting is today, and the next day sends none', async () => {
    const expert = Object.keys(g.experts)[0];
    await runReminders(db.db, at(MEETING));
    await sendReminders(db.db);
    const rows = (await db.db.select().from(outbox).where(like(outbox.dedupeKey, 'remind:scoring-deadline:%'))).filter((r) => r.receiver === expert);
    expect(rows).toHaveLength(1);
    const text = await draw(db.db, MEETING, rows[0]);
    expect(text).toContain('评分已逾期 15 天');
    expect(text).toContain('评审会今天（2027年7月15日）召开，协会正在等你的评分表，请尽快完成（第十九条）');
    expect(text).not.toContain('推迟评审会');

    await runReminders(db.db, at('2027-07-16'));
    await sendReminders(db.db);
    expect((await db.db.select().from(outbox).where(like(outbox.dedupeKey, 'remind:scoring-deadline:%'))).filter((r) => r.receiver === expert)).toHaveLength(1);
  });
});
