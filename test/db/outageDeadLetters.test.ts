/**
 * Feishu out of reach for more than a day while a reminder period's messages are queued: each message fixed when it
 * was queued and older than 24 h is given up at its try, with an error that carries no code of Feishu's. The
 * administrators got one "消息投递失败" card for each (300 for 300 reminders); now one card an hour says how many, to
 * whom, of what kinds and what to do, drawn once Feishu answers again. A card drawn at send time (a reminder) is not
 * given up for its age: sent late while it still holds, dropped by its renderer once its day has passed.
 */
import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, cycles, outbox, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { REVIEW_MEETING_REMINDER } from '../../src/jobs/reminderCards.js';
import { deadLetterAlert, outageDeadLettersRenderer } from '../../src/notifications.js';
import { type CardSpec, enqueue, type OutboxRow } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type Harness, startHarness } from '../support/harness.js';
import { until } from '../support/waiting.js';
import { ADMIN_CHAT, generateCycle } from './jobsFixture.js';

const outageError = 'not sent within 24 h of being queued: the Open Platform stayed out of reach (no answer: ECONNREFUSED 127.0.0.1:443)';

describe('the dead-letter hook, given messages of an outage', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('one alert an hour for all of them, whatever their number; an error without a code that is no outage still one each', async () => {
    const clock = new ManualClock('2030-05-30T10:05:00+08:00');
    await db.db.insert(chatBindings).values({ chatId: 'oc_outageadmins', purpose: 'admin', boundBy: 'ou_a' });
    const hook = deadLetterAlert(['ou_a'], 'Asia/Shanghai', clock);
    const fail = async (key: string, error: string) =>
      db.db.transaction(async (tx) => {
        await enqueue(tx, { dedupeKey: key, to: { openId: `ou_${key.replace(/\W/g, '_')}` }, text: 'x' });
        const [row] = await tx.select().from(outbox).where(eq(outbox.dedupeKey, key));
        await hook(tx, row as OutboxRow, error);
      });
    for (let i = 1; i <= 300; i++) {
      await fail(`remind:apply-deadline:2030:T-1:person-ou_l${i}`, outageError);
      if (i % 100 === 0) clock.advance(10 * 60_000);
    }
    const alerts = async () => (await db.db.select({ key: outbox.dedupeKey, card: outbox.card }).from(outbox).where(like(outbox.dedupeKey, 'alert:dead-letter:%'))).sort((a, b) => a.key.localeCompare(b.key));
    expect((await alerts()).map((a) => a.key)).toEqual(['alert:dead-letter:outage:2030年5月30日 10 +08:00:chat:oc_outageadmins']);
    // drawn when sent, for the hour of BOT_TIMEZONE it was raised in
    expect((await alerts())[0].card).toEqual({ render: { kind: 'outageDeadLetters', from: '2030-05-30T02:00:00.000Z', to: '2030-05-30T03:00:00.000Z' } });
    clock.advance(60 * 60_000);
    await fail('results:published:2030:team-1', outageError);
    expect((await alerts()).map((a) => a.key)).toContain('alert:dead-letter:outage:2030年5月30日 11 +08:00:chat:oc_outageadmins');
    await fail('results:published:2030:team-2', 'card teamResult not rendered: TypeError');
    expect(await alerts()).toHaveLength(3);
  });

  it('where the clocks go back, the hour that comes twice gets its alert each time', async () => {
    // 7 November 2027 in New York: 01:00–02:00 EDT, then 01:00–02:00 EST again
    const clock = new ManualClock('2027-11-07T01:20:00-04:00');
    await db.db.delete(outbox);
    await db.db.delete(chatBindings);
    await db.db.insert(chatBindings).values({ chatId: 'oc_fallbackadmins', purpose: 'admin', boundBy: 'ou_a' });
    const hook = deadLetterAlert(['ou_a'], 'America/New_York', clock);
    const fail = async (key: string) =>
      db.db.transaction(async (tx) => {
        await enqueue(tx, { dedupeKey: key, to: { openId: `ou_${key.replace(/\W/g, '_')}` }, text: 'x' });
        const [row] = await tx.select().from(outbox).where(eq(outbox.dedupeKey, key));
        await hook(tx, row as OutboxRow, outageError);
        await hook(tx, row as OutboxRow, 'Feishu API error: code 99991401, msg: ip not allowed');
      });
    await fail('remind:apply-deadline:2027:T-1:person-ou_fb1');
    clock.set('2027-11-07T01:20:00-05:00');
    await fail('remind:apply-deadline:2027:T-1:person-ou_fb2');
    const alerts = (await db.db.select({ key: outbox.dedupeKey, card: outbox.card }).from(outbox).where(like(outbox.dedupeKey, 'alert:dead-letter:%'))).sort((a, b) => a.key.localeCompare(b.key));
    expect(alerts.map((a) => a.key)).toEqual([
      'alert:dead-letter:code:99991401:2027年11月7日 01 -04:00:chat:oc_fallbackadmins',
      'alert:dead-letter:code:99991401:2027年11月7日 01 -05:00:chat:oc_fallbackadmins',
      'alert:dead-letter:outage:2027年11月7日 01 -04:00:chat:oc_fallbackadmins',
      'alert:dead-letter:outage:2027年11月7日 01 -05:00:chat:oc_fallbackadmins',
    ]);
    // each counts the dead letters of its own hour
    expect(alerts.filter((a) => a.key.includes(':outage:')).map((a) => a.card)).toEqual([
      { render: { kind: 'outageDeadLetters', from: '2027-11-07T05:00:00.000Z', to: '2027-11-07T06:00:00.000Z' } },
      { render: { kind: 'outageDeadLetters', from: '2027-11-07T06:00:00.000Z', to: '2027-11-07T07:00:00.000Z' } },
    ]);
    // and each says which of the two hours it is
    const drawn = await outageDeadLettersRenderer(db.db, 'America/New_York')(alerts.filter((a) => a.key.includes(':outage:')).map((a) => (a.card as { render: CardSpec }).render));
    expect(drawn.map((d) => ('card' in d ? cardText(d.card).match(/\*\*(.+?) 有 1 条消息未能送达/)?.[1] : d))).toEqual([
      '2027年11月7日 01:00（UTC-04:00）–01:00（UTC-05:00）',
      '2027年11月7日 01:00（UTC-05:00）–02:00（UTC-05:00）',
    ]);
  });
});

/** Small pauses: the dispatcher probes every few milliseconds while the platform is down. */
const LIMITS = { maxAttempts: 3, outagePauseMs: 5, outagePauseMaxMs: 20 };
const clock = new ManualClock('2027-06-01T10:05:00+08:00');
const leader = (i: number) => `ou_outageleader${String(i).padStart(19, '0')}`;

describe('a day-long outage through a reminder period', () => {
  let h: Harness;
  let cycleId = 0;
  beforeAll(async () => {
    h = await startHarness({ outboxLimits: LIMITS, clock });
    await generateCycle(h.db.db, 7);
    [{ id: cycleId }] = await h.db.db.update(cycles).set({ reviewMeetingDate: '2027-06-20' }).returning({ id: cycles.id });
    await h.db.db.insert(people).values([1, 2, 3].map((i) => ({ openId: leader(i), name: `王班长${i}` })));
  });
  afterAll(async () => {
    await h?.fake.setReachable(true);
    await h?.close();
  });

  const rowsOf = (prefix: string) => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`)).orderBy(outbox.id);
  const aged = (prefix: string) => h.db.db.update(outbox).set({ createdAt: sql`now() - interval '25 hours'` }).where(like(outbox.dedupeKey, `${prefix}%`));
  /** Runs the dispatcher by hand, as the platform stays down, until `done`. */
  const probeUntil = (done: () => Promise<boolean>) =>
    until(async () => {
      await h.app.dispatcher.runOnce();
      return done();
    }, 20_000);

  it('the administrators get one card for the hour with the count, whom and what; a reminder still ahead is sent late', async () => {
    await h.drain();
    await h.fake.setReachable(false);
    await h.db.db.transaction(async (tx) => {
      for (let i = 1; i <= 30; i++) await enqueue(tx, { dedupeKey: `old:notice:${i}:person-${leader(i)}`, to: { openId: leader(i) }, text: `通知 ${i}` });
      await enqueue(tx, { dedupeKey: 'old:group:1', to: { chatId: 'oc_outagesomegroup0000000000000001' }, text: '群通知' });
      await enqueue(tx, { dedupeKey: 'aged:remind:review-meeting:2027:T-14:user:ou_x', to: { openId: leader(1) }, render: { kind: REVIEW_MEETING_REMINDER, cycleId, audience: 'admin' } });
    });
    await aged('old:');
    await aged('aged:');
    await probeUntil(async () => (await rowsOf('old:')).every((r) => r.status === 'dead'));
    const [reminder] = await rowsOf('aged:');
    expect([reminder.status, reminder.attempts]).toEqual(['pending', 0]);

    const alerts = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'alert:dead-letter:%'));
    expect(alerts.map((a) => a.dedupeKey)).toEqual([`alert:dead-letter:outage:2027年6月1日 10 +08:00:chat:${ADMIN_CHAT}`]);

    await h.fake.setReachable(true);
    await h.drain();
    const [sent] = h.fake.messages.filter((m) => m.receiveId === ADMIN_CHAT && m.msgType === 'interactive' && cardText(m.content).includes('消息投递失败'));
    const text = cardText(sent.content);
    expect(text).toContain('2027年6月1日 10:00–11:00 有 31 条消息未能送达');
    expect(text).toContain('30 人、1 个群');
    // those known by name first (in the order they were given up), ten in all, the rest counted
    expect(text).toMatch(/，包括 王班长\d、王班长\d、王班长\d、ou/);
    expect(text).toMatch(/ 等\n/);
    expect(text).toMatch(/old:notice.{0,4}30 条/);
    expect(text).toContain('请另行告知收件人');
    expect(h.fake.messages.filter((m) => m.receiveId === ADMIN_CHAT && cardText(m.content).includes('消息投递失败'))).toHaveLength(1);
    // the reminder, a day late, drawn as it is now: the meeting still ahead
    expect((await rowsOf('aged:'))[0].status).toBe('sent');
    expect(h.fake.messages.filter((m) => m.receiveId === leader(1) && m.msgType === 'interactive' && cardText(m.content).includes('评审会'))).toHaveLength(1);
  });

  it('a reminder whose day has passed by then is dropped, with no alert', async () => {
    await h.db.db.update(cycles).set({ reviewMeetingDate: '2027-05-31' }).where(eq(cycles.id, cycleId));
    await h.fake.setReachable(false);
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'stale:remind:review-meeting:2027:T-3:user:ou_x', to: { openId: leader(2) }, render: { kind: REVIEW_MEETING_REMINDER, cycleId, audience: 'admin' } }));
    await aged('stale:');
    const alertsBefore = (await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'alert:%'))).length;
    await probeUntil(async () => (await rowsOf('stale:'))[0].status !== 'pending');
    expect((await rowsOf('stale:'))[0]).toMatchObject({ status: 'dropped', lastError: expect.stringContaining('评审会已于') });
    expect((await h.db.db.select().from(outbox).where(and(like(outbox.dedupeKey, 'alert:%')))).length).toBe(alertsBefore);
  });
});
