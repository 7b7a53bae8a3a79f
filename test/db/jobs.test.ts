import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, type Db, openDatabase } from '../../db/index.js';
import { bulkJobs, chatBindings, cycles, jobRuns, outbox } from '../../db/schema.js';
import { BulkJobWorker } from '../../src/bulkJobs.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { addDays } from '../../src/dates.js';
import { complaintEscalationSpec } from '../../src/complaints.js';
import { jobRun, runClaimed } from '../../src/jobs/claimRun.js';
import { jobNames, runJob } from '../../src/jobs/index.js';
import { previewJob } from '../../src/jobs/preview.js';
import { APPLY_REMINDER, REVIEW_MEETING_REMINDER, SCORING_GROUP_REMINDER, SCORING_REMINDER } from '../../src/jobs/reminderCards.js';
import { remindJob, runReminders } from '../../src/jobs/reminders.js';
import { createLogger } from '../../src/log.js';
import { cardSpecOf, type OutboxRow } from '../../src/outbox.js';
import { startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import { cardActions, expectValidCard } from '../support/cards.js';
import { createTestDatabase, TEST_CONNECT_TIMEOUT_S, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { ADMIN_CHAT, BOOTSTRAP_ADMIN, DEADLINE, type GeneratedCycle, generateCycle, MEETING, SCORING_DEADLINE, scenarios } from './jobsFixture.js';

const run = promisify(execFile);
const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const config = { ADMIN_OPEN_IDS: [BOOTSTRAP_ADMIN], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
/** A reminder period is a bulk job: the worker (the bot's, in production) queues its cards. */
const sendReminders = (d: Db) => new BulkJobWorker({ db: d, kinds: [remindJob], clock: systemClock, config, log: quiet }).drain();
const opts = (date: string) => ({ now: new Date(`${date}T09:00:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });

async function outboxRows(db: Database, prefix = '') {
  return db.db.select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`));
}

/** What the dispatcher would send for each row on `date`: its card, or the card drawn from its spec (or why it is dropped). */
async function drawOn(d: Db, date: string, rows: OutboxRow[]): Promise<Map<string, unknown>> {
  const renderers = cardRenderers(d, 'Asia/Shanghai', { now: () => opts(date).now });
  const out = new Map<string, unknown>();
  for (const row of rows) {
    const spec = cardSpecOf(row);
    if (!spec) {
      out.set(row.dedupeKey, row.card);
      continue;
    }
    const [drawn] = await renderers[spec.kind]([spec]);
    out.set(row.dedupeKey, 'card' in drawn ? drawn.card : drawn);
  }
  return out;
}

/** Who a set of outbox rows reaches, as "open_id <id>" / "chat_id <id>". */
const receivers = (rows: { receiveIdType: string; receiver: string }[]) => rows.map((r) => `${r.receiveIdType} ${r.receiver}`).sort();

/** A group an administrator bound for the experts (绑定通知 专家). */
const EXPERTS_CHAT = 'oc_experts_group_for_jobs_test_0001';

describe('reminders reach exactly the people they should, day by day through a generated cycle (acceptance 2)', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  /** Each reminder's card as drawn on the day it was queued (the application and scoring reminders are drawn when sent). */
  const drawn = new Map<string, unknown>();
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 7);
    await db.db.insert(chatBindings).values({ chatId: EXPERTS_CHAT, purpose: 'experts', boundBy: BOOTSTRAP_ADMIN });
  });
  afterAll(async () => {
    await db?.close();
  });

  const statusOn = (date: string) => (date <= DEADLINE ? 'open' : date < '2027-07-05' ? 'scoring' : 'closed');

  it('runs every day from 20 May to 25 July, twice a day, and sends each reminder once', async () => {
    const periods: string[] = [];
    for (let date = '2027-05-20'; date <= '2027-07-25'; date = addDays(date, 1)) {
      await db.db.update(cycles).set({ status: statusOn(date) }).where(eq(cycles.id, g.cycleId));
      const first = await runReminders(db.db, opts(date));
      const second = await runReminders(db.db, opts(date));
      expect(second.every((o) => o.status === 'skipped' && o.queued.length === 0)).toBe(true);
      expect(second.map((o) => o.period)).toEqual(first.map((o) => o.period));
      await sendReminders(db.db);
      const fresh = (await outboxRows(db, 'remind:')).filter((r) => !drawn.has(r.dedupeKey));
      for (const [key, card] of await drawOn(db.db, date, fresh)) drawn.set(key, card);
      // a period owed on several days (T-7 until T-3 is reached) runs on its first and is skipped after
      periods.push(...first.filter((o) => o.status === 'done').map((o) => o.period));
    }
    const overdue = ['2027-07-01', '2027-07-02', '2027-07-03', '2027-07-04'].map((d) => `scoring-deadline:2027:overdue:${d}`);
    expect(periods).toEqual([
      // the first run after the cycle opened: the notice that applications are open, once a year
      'apply-open:2027',
      'apply-deadline:2027:T-7',
      'apply-deadline:2027:T-3',
      'apply-deadline:2027:T-1',
      'scoring-deadline:2027:T-3',
      'scoring-deadline:2027:T-1',
      ...overdue,
      'review-meeting:2027:T-14',
      'review-meeting:2027:T-3',
    ]);
    const runs = await db.db.select().from(jobRuns).where(eq(jobRuns.job, 'reminders'));
    expect(runs.map((r) => r.period).sort()).toEqual([...periods].sort());
    expect(runs.every((r) => r.status === 'done')).toBe(true);
  });

  it('application deadline: eligible leaders with a draft, a returned form or nothing, and contacts with a confirmation pending', async () => {
    const leaders = g.teams.filter((t) => scenarios[t.scenario].remind === 'leader');
    const contacts = [...new Set(g.teams.filter((t) => scenarios[t.scenario].remind === 'contact').map((t) => t.contact))];
    expect(leaders.length).toBeGreaterThan(3);
    expect(contacts.length).toBeGreaterThan(0);
    for (const offset of [7, 3, 1]) {
      const rows = await outboxRows(db, `remind:apply-deadline:2027:T-${offset}:`);
      expect(receivers(rows)).toEqual([...leaders.map((t) => `open_id ${t.leader}`), ...contacts.map((c) => `open_id ${c}`)].sort());
      // one card a person: each leader here leads one team, no contact leads a team reminded
      for (const t of leaders) {
        const row = rows.find((r) => r.dedupeKey === `remind:apply-deadline:2027:T-${offset}:person-${t.leader}`)!;
        expect(row.receiver).toBe(t.leader);
        expect(row.card).toEqual({ render: { kind: APPLY_REMINDER, cycleId: g.cycleId, openId: t.leader, teamIds: [t.id], contact: false } });
        expectValidCard(drawn.get(row.dedupeKey));
        expect(cardActions(drawn.get(row.dedupeKey))).toContainEqual({ action: 'application.open', teamId: t.id });
      }
      for (const c of contacts) {
        const row = rows.find((r) => r.dedupeKey === `remind:apply-deadline:2027:T-${offset}:person-${c}`)!;
        expect(row.card).toEqual({ render: { kind: APPLY_REMINDER, cycleId: g.cycleId, openId: c, teamIds: [], contact: true } });
        expectValidCard(drawn.get(row.dedupeKey));
        expect(cardActions(drawn.get(row.dedupeKey))).toContainEqual({ action: 'endorse.list' });
      }
    }
    const notReminded = g.teams.filter((t) => scenarios[t.scenario].remind !== 'leader').map((t) => t.leader);
    const all = await outboxRows(db, 'remind:apply-deadline:');
    expect(all.filter((r) => notReminded.includes(r.receiver))).toEqual([]);
  });

  it('scoring deadline: each expert with unfinished tasks, with a button that opens the next one; the experts\' group, the count alone', async () => {
    const expected = Object.keys(g.experts).sort();
    expect(expected.length).toBeGreaterThan(0);
    for (const period of ['T-3', 'T-1', 'overdue:2027-07-01', 'overdue:2027-07-04']) {
      const rows = await outboxRows(db, `remind:scoring-deadline:2027:${period}:`);
      expect(receivers(rows)).toEqual([`chat_id ${EXPERTS_CHAT}`, ...expected.map((e) => `open_id ${e}`)].sort());
      const [group] = rows.filter((r) => r.receiveIdType === 'chat_id');
      expect(group.card).toEqual({ render: { kind: SCORING_GROUP_REMINDER, cycleId: g.cycleId } });
      const shown = JSON.stringify(drawn.get(group.dedupeKey));
      expectValidCard(drawn.get(group.dedupeKey));
      const pending = Object.values(g.experts).reduce((n, k) => n + Number(k), 0);
      expect(shown).toContain(`尚有 **${pending}** 份评分未提交，涉及 **${expected.length}** 位专家`);
      // blind to each other (第十七条): no expert, no button to anyone's task
      expect(cardActions(drawn.get(group.dedupeKey))).toEqual([]);
      for (const openId of expected) expect(shown).not.toContain(openId);
      for (const r of rows.filter((x) => x.receiveIdType === 'open_id')) {
        expect(r.card).toMatchObject({ render: { kind: SCORING_REMINDER, cycleId: g.cycleId, openId: r.receiver } });
        expectValidCard(drawn.get(r.dedupeKey));
        expect(cardActions(drawn.get(r.dedupeKey))).toContainEqual({ action: 'review.next', cycleId: g.cycleId });
        expect(JSON.stringify(drawn.get(r.dedupeKey))).toContain(`**${g.experts[r.receiver]}**`);
      }
    }
    expect(await outboxRows(db, 'remind:scoring-deadline:2027:overdue:2027-07-05')).toEqual([]);
  });

  it('review meeting (第十九条): the admin group and every accepted applicant, 14 and 3 days before', async () => {
    const accepted = g.teams.filter((t) => t.scenario === 'eligibleAccepted').map((t) => `open_id ${t.leader}`);
    for (const offset of [14, 3]) {
      const rows = await outboxRows(db, `remind:review-meeting:2027:T-${offset}:`);
      expect(receivers(rows)).toEqual([`chat_id ${ADMIN_CHAT}`, ...accepted].sort());
      for (const r of rows) {
        expect(r.card).toEqual({ render: r.receiver === ADMIN_CHAT ? { kind: REVIEW_MEETING_REMINDER, cycleId: g.cycleId, audience: 'admin' } : { kind: REVIEW_MEETING_REMINDER, cycleId: g.cycleId, audience: 'applicant', teamIds: [g.teams.find((t) => t.leader === r.receiver)!.id] } });
        expectValidCard(drawn.get(r.dedupeKey));
        expect(JSON.stringify(drawn.get(r.dedupeKey))).toContain(`评审会还有 ${offset} 天举行`);
      }
    }
    expect(addDays(MEETING, -14)).toBe('2027-07-06');
    expect(SCORING_DEADLINE).toBe('2027-06-30');
  });
});

describe('a date moved after its reminder went out (申报截止延期) gets its own reminders', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 11);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('the new deadline’s T-3 is claimed under the period with its date, once, and its cards count down to the new date', async () => {
    const before = await runReminders(db.db, opts(addDays(DEADLINE, -3)));
    expect(before.map((o) => [o.period, o.status])).toEqual([
      ['apply-open:2027', 'done'],
      ['apply-deadline:2027:T-3', 'done'],
    ]);
    // the same day again: the same date's reminder, taken
    expect((await runReminders(db.db, opts(addDays(DEADLINE, -3)))).map((o) => [o.period, o.status])).toEqual([
      ['apply-open:2027', 'skipped'],
      ['apply-deadline:2027:T-3', 'skipped'],
    ]);
    await sendReminders(db.db);
    const first = await outboxRows(db, 'remind:apply-deadline:2027:T-3:');
    expect(first.length).toBeGreaterThan(0);

    // the association extends the deadline by 15 days
    const moved = addDays(DEADLINE, 15);
    await db.db.update(cycles).set({ applicationDeadline: moved }).where(eq(cycles.id, g.cycleId));
    const after = await runReminders(db.db, opts(addDays(moved, -3)));
    // the notice that applications opened is not sent again for the moved date
    expect(after.map((o) => [o.period, o.status])).toEqual([
      ['apply-open:2027', 'skipped'],
      [`apply-deadline:2027:T-3:${moved}`, 'done'],
    ]);
    expect((await runReminders(db.db, opts(addDays(moved, -3)))).map((o) => o.status)).toEqual(['skipped', 'skipped']);
    await sendReminders(db.db);
    const second = await outboxRows(db, `remind:apply-deadline:2027:T-3:${moved}:`);
    // everyone reminded for the old date still has something to do (a team that turns one year old before the new date joins them)
    expect(second.map((r) => r.receiver)).toEqual(expect.arrayContaining(first.map((r) => r.receiver)));
    const cards = await drawOn(db.db, addDays(moved, -3), second);
    for (const card of cards.values()) {
      expectValidCard(card);
      expect(JSON.stringify(card)).toContain('还有 3 天截止');
      expect(JSON.stringify(card)).toContain('2027年6月15日');
    }
    const runs = await db.db.select().from(jobRuns).where(eq(jobRuns.job, 'reminders'));
    expect(runs.map((r) => r.period).sort()).toEqual(['apply-deadline:2027:T-3', `apply-deadline:2027:T-3:${moved}`, 'apply-open:2027']);
  });
});

describe('running a job twice for a period, and in two processes at once, sends each message exactly once (acceptance 1)', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 11);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('two runs of every job at once on one database: one claims each period, the other skips it', async () => {
    const date = '2027-05-28'; // T-3 of the deadline, a team's anniversary, an 18-day-old complaint, a running cycle
    // the anniversary job ran to its end yesterday: today's anniversaries alone are owed (with none on record it makes up 60 days)
    await db.db.insert(jobRuns).values({ job: 'anniversary', period: addDays(date, -1), startedAt: opts(addDays(date, -1)).now, finishedAt: opts(addDays(date, -1)).now, status: 'done', details: {} });
    for (const name of jobNames) {
      const [a, b] = await Promise.all([runJob(name, db.db, opts(date)), runJob(name, db.db, opts(date))]);
      // reminders: the notice that applications are open (its first run) and the T-3; every other job one period
      expect(a.map((o) => o.period), name).toEqual(name === 'reminders' ? ['apply-open:2027', 'apply-deadline:2027:T-3'] : [a[0].period]);
      for (const [i, o] of a.entries()) expect([o.status, b[i].status].sort(), `${name} ${o.period}`).toEqual(['done', 'skipped']);
      const done = a.at(-1)!.status === 'done' ? a.at(-1)! : b.at(-1)!;
      if (name === 'reminders') expect(done.details?.audience, name).toBeGreaterThan(0);
      // the teams a year old today that may apply have the deadline's T-3 reminder today: that card alone
      else if (name === 'anniversary') expect(done.details?.inDeadlineReminder, name).toBeGreaterThan(0);
      else expect(done.queued.length, name).toBeGreaterThan(0);
    }
    await sendReminders(db.db);
    expect((await outboxRows(db, 'remind:apply-deadline:2027:T-3:')).length).toBeGreaterThan(0);
    const rows = await outboxRows(db);
    expect(new Set(rows.map((r) => r.dedupeKey)).size).toBe(rows.length);
    // one message per receiver and period: the same person never gets the same reminder twice
    const perReceiver = rows.map((r) => `${r.dedupeKey.split(':').slice(0, -1).join(':')}|${r.receiver}`);
    expect(new Set(perReceiver).size).toBe(perReceiver.length);
    const anniversary = rows.filter((r) => r.dedupeKey.startsWith('remind:anniversary:'));
    // a year old today: a team barred from applying still hears it; one that applied, or whose leader has the deadline's
    // reminder today, does not
    const expected = g.teams.filter((t) => t.registeredAt === '2026-05-28' && t.scenario === 'revokedNone').map((t) => `open_id ${t.leader}`);
    expect(receivers(anniversary)).toEqual(expected.sort());
    expect(receivers(rows.filter((r) => r.dedupeKey.startsWith('remind:apply-deadline:2027:T-3:')))).toContain(`open_id ${g.anniversaryTeam.leader}`);
    const escalated = rows.filter((r) => r.dedupeKey.startsWith(`complaint:escalate:${date}:`));
    expect(receivers(escalated)).toEqual([`chat_id ${ADMIN_CHAT}`]);
    // drawn when it is sent, with its 成立 / 不成立 form (test/db/escalationCardDecided.test.ts)
    expect(escalated[0].card).toEqual({ render: complaintEscalationSpec(g.oldComplaintId) });
    expect(rows.filter((r) => r.dedupeKey.startsWith('digest:2027-05-28:')).map((r) => r.receiver)).toEqual([ADMIN_CHAT]);
  });

  it('run again later the same day: nothing more is queued', async () => {
    const before = (await outboxRows(db)).length;
    for (const name of jobNames) {
      const again = await runJob(name, db.db, { ...opts('2027-05-28'), now: new Date('2027-05-28T17:00:00+08:00') });
      expect(again.every((o) => o.status === 'skipped'), name).toBe(true);
    }
    expect((await outboxRows(db)).length).toBe(before);
  });

  it.runIf(testDatabaseKind() === 'postgres')('two connections (as two replicas would have) racing on every job of a new day', async () => {
    const other = await openDatabase({ databaseUrl: db.url!, max: 5, migrate: false, connectTimeout: TEST_CONNECT_TIMEOUT_S });
    try {
      const date = '2027-05-30'; // T-1
      const before = await outboxRows(db);
      const results = await Promise.all(jobNames.flatMap((name) => [runJob(name, db.db, opts(date)), runJob(name, other.db, opts(date))]));
      const outcomes = results.flat();
      const byPeriod = new Map<string, string[]>();
      for (const o of outcomes) byPeriod.set(`${o.job}|${o.period}`, [...(byPeriod.get(`${o.job}|${o.period}`) ?? []), o.status]);
      // the notice that applications are open went on an earlier day: both skip it
      for (const [period, statuses] of byPeriod) expect(statuses.sort(), period).toEqual(period === 'reminders|apply-open:2027' ? ['skipped', 'skipped'] : ['done', 'skipped']);
      await Promise.all([sendReminders(db.db), sendReminders(other.db)]);
      const added = (await outboxRows(db)).length - before.length;
      // each reminder of the new period is queued once, by whichever replica's worker took the batch
      expect(added).toBe(outcomes.reduce((n, o) => n + o.queued.length + Number(o.details?.audience ?? 0), 0));
      expect(added).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it.runIf(testDatabaseKind() === 'postgres')('two processes of `npm run job` at once, sending through the SDK to the fake Open Platform: each reminder arrives once', async () => {
    const fake = await startFakeOpenPlatform({ appId: 'cli_0123456789abcdef', appSecret: 'test-jobs-secret' });
    try {
      const env = {
        ...process.env,
        DATABASE_URL: db.url!,
        LARK_APP_ID: 'cli_0123456789abcdef',
        LARK_APP_SECRET: 'test-jobs-secret',
        LARK_DOMAIN: fake.url,
        LARK_EVENT_MODE: 'ws',
        ADMIN_OPEN_IDS: BOOTSTRAP_ADMIN,
        LOG_LEVEL: 'warn',
      };
      const job = () => run(process.execPath, ['--import', 'tsx', 'scripts/job.ts', 'reminders', '--at', '2027-05-24T09:00:00+08:00', '--send'], { env, cwd: process.cwd(), timeout: 60_000 });
      const [a, b] = await Promise.all([job(), job()]);
      const out = a.stdout + b.stdout;
      expect(out).toContain('apply-deadline:2027:T-7: ran');
      expect(out).toContain('apply-deadline:2027:T-7: already ran');
      const t7 = await outboxRows(db, 'remind:apply-deadline:2027:T-7:');
      expect(t7.length).toBeGreaterThan(3);
      // both processes drained the whole outbox (earlier tests' rows too): every row went out once
      const all = await outboxRows(db);
      expect(all.every((r) => r.status === 'sent')).toBe(true);
      expect(fake.messages.length).toBe(all.length);
      expect(fake.messages.map((m) => `${m.receiveIdType} ${m.receiveId}`).sort()).toEqual(receivers(all));
      for (const r of t7) expect(fake.messages.filter((m) => m.messageId === r.messageId)).toHaveLength(1);
    } finally {
      await fake.close();
    }
  }, 120_000);
});

describe('a hand run for another day (npm run job --at) only shows what that day would send', () => {
  let db: TestDatabase;
  let g: GeneratedCycle;
  beforeAll(async () => {
    db = await createTestDatabase();
    g = await generateCycle(db.db, 13);
  });
  afterAll(async () => {
    await db?.close();
  });

  const nothingKept = async () => {
    expect(await db.db.select().from(jobRuns)).toEqual([]);
    expect(await db.db.select().from(outbox)).toEqual([]);
    expect(await db.db.select().from(bulkJobs)).toEqual([]);
  };

  it('the last-day reminders are shown as drawn that day, and nothing is claimed, queued or recorded: the real run of that day sends them', async () => {
    const lastDay = addDays(DEADLINE, -1);
    const shown = await previewJob('reminders', db.db, opts(lastDay), config);
    // the year's opening notice (never sent yet) and the last-day reminder
    expect(shown.outcomes.map((o) => [o.period, o.status])).toEqual([['apply-open:2027', 'done'], ['apply-deadline:2027:T-1', 'done']]);
    const lastDayShown = shown.messages.filter((m) => m.dedupeKey.startsWith('remind:apply-deadline:2027:T-1:'));
    const leaders = g.teams.filter((t) => lastDayShown.some((m) => m.receiver === `open_id ${t.leader}`));
    expect(leaders.length).toBeGreaterThan(3);
    expect(lastDayShown.length).toBe(Number(shown.outcomes[1].details?.audience));
    // drawn as on that day (明天截止), not as today's send would draw them
    for (const m of lastDayShown.filter((m) => leaders.some((t) => m.receiver === `open_id ${t.leader}`))) expect(m.summary).toMatch(/^卡片：2027 年度申报明天截止 · /);
    await nothingKept();

    const real = await runJob('reminders', db.db, opts(lastDay));
    expect(real.map((o) => [o.period, o.status])).toEqual([['apply-open:2027', 'done'], ['apply-deadline:2027:T-1', 'done']]);
    await sendReminders(db.db);
    expect(receivers(await outboxRows(db, 'remind:apply-deadline:2027:T-1:'))).toEqual(lastDayShown.map((m) => m.receiver).sort());
    expect(receivers(await outboxRows(db, 'remind:apply-open:2027:'))).toEqual(shown.messages.filter((m) => m.dedupeKey.startsWith('remind:apply-open:2027:')).map((m) => m.receiver).sort());
  });

  it.runIf(testDatabaseKind() === 'postgres')('npm run job -- digest --at another day prints whom it would tell and keeps nothing; --send runs it', async () => {
    await db.db.delete(outbox);
    await db.db.delete(jobRuns);
    await db.db.delete(bulkJobs);
    const env = { ...process.env, DATABASE_URL: db.url!, ADMIN_OPEN_IDS: BOOTSTRAP_ADMIN, LOG_LEVEL: 'warn', BOT_TIMEZONE: 'Asia/Shanghai' };
    for (const k of Object.keys(env)) if (k.startsWith('LARK_')) delete env[k as keyof typeof env];
    const job = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/job.ts', 'digest', '--at', '2027-05-28T09:00:00+08:00', ...args], { env, cwd: process.cwd(), timeout: 60_000 });
    const shown = await job();
    expect(shown.stdout).toContain('digest 2027-05-28: would run, 1 message(s)');
    expect(shown.stdout).toContain(`  would queue digest:2027-05-28:chat:${ADMIN_CHAT} → chat_id ${ADMIN_CHAT}: 卡片：`);
    expect(shown.stdout.trim().split('\n').at(-1)).toMatch(/^preview only: 2027-05-28 is not today \(\d{4}-\d{2}-\d{2}, Asia\/Shanghai\); nothing was claimed, queued or sent/);
    await nothingKept();
    const sent = await job('--send');
    expect(sent.stdout).toContain('digest 2027-05-28: ran, 1 message(s) queued');
    expect((await db.db.select().from(jobRuns)).map((r) => [r.job, r.period, r.status])).toEqual([['digest', '2027-05-28', 'done']]);
  }, 120_000);

  it('on a DATA_DIR: the digest of a quiet Monday is not spent by looking at it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'job-at-'));
    try {
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
      const shown = await run(process.execPath, ['--import', 'tsx', 'scripts/job.ts', 'digest', '--at', '2027-09-06T09:00:00+08:00'], {
        env: { ...env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', BOT_TIMEZONE: 'Asia/Shanghai' },
        cwd: process.cwd(),
        timeout: 60_000,
      });
      expect(shown.stdout).toContain('digest 2027-09-06: would run, 0 message(s)');
      expect(shown.stdout).toContain('preview only: 2027-09-06 is not today');
      const folder = await openDatabase({ dataDir, migrate: false });
      try {
        expect(await folder.db.select().from(jobRuns)).toEqual([]);
      } finally {
        await folder.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the digest speaks only when there is something to say', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('no cycle running: a silent weekly run on a quiet Monday, nothing on its Tuesday, a weekly digest to each admin once a letter died', async () => {
    const quiet = await runJob('digest', db.db, opts('2027-09-06'));
    expect(quiet).toMatchObject([{ period: '2027-09-06', status: 'done', queued: [], details: { sent: false } }]);
    expect(await runJob('digest', db.db, opts('2027-09-07'))).toEqual([]);
    await db.db.insert(outbox).values({ dedupeKey: 'dead-one', receiveIdType: 'open_id', receiver: 'ou_gone', rateKey: 'ou_gone', card: {}, status: 'dead', createdAt: new Date('2027-09-10T10:00:00+08:00') });
    const next = await runJob('digest', db.db, { ...opts('2027-09-13'), bootstrapAdmins: ['ou_admin_b', 'ou_admin_a'] });
    expect(next[0]).toMatchObject({ period: '2027-09-13', status: 'done', queued: ['digest:2027-W37:user:ou_admin_a', 'digest:2027-W37:user:ou_admin_b'] });
    const [row] = await outboxRows(db, 'digest:2027-W37:user:ou_admin_a');
    expectValidCard(row.card);
    expect(JSON.stringify(row.card)).toContain('投递失败的消息 1 条');
  });

  it('the anniversary without a cycle taking applications has no button to apply', async () => {
    await generateCycle(db.db, 3, { anniversaryOn: '2027-09-14' });
    await db.db.update(cycles).set({ status: 'published' });
    const [outcome] = await runJob('anniversary', db.db, opts('2027-09-14'));
    expect(outcome.queued.length).toBeGreaterThan(0);
    const rows = await outboxRows(db, 'remind:anniversary:');
    for (const r of rows) expect(cardActions(r.card)).toEqual([]);
  });
});

describe('the (job, period) claim', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });
  const now = new Date('2027-05-24T09:00:00+08:00');

  it('a failed run queues nothing, is recorded as failed, and the next run of the period takes it over', async () => {
    await expect(
      runClaimed(db.db, 'test', 'p1', now, async (_tx, messages) => {
        await messages.send({ dedupeKey: 'claim-test:1', to: { openId: 'ou_x' }, text: 'x' });
        throw new Error('Feishu is down');
      }),
    ).rejects.toThrow('Feishu is down');
    expect((await jobRun(db.db, 'test', 'p1'))?.status).toBe('failed');
    expect(await outboxRows(db, 'claim-test:')).toEqual([]);

    const retried = await runClaimed(db.db, 'test', 'p1', now, async (_tx, messages) => {
      await messages.send({ dedupeKey: 'claim-test:1', to: { openId: 'ou_x' }, text: 'x' });
      return { note: 'second try' };
    });
    expect(retried.status).toBe('done');
    expect(retried.queued).toEqual(['claim-test:1']);
    expect((await jobRun(db.db, 'test', 'p1'))?.details).toMatchObject({ note: 'second try', queued: 1 });

    const third = await runClaimed(db.db, 'test', 'p1', now, async () => {
      throw new Error('must not run');
    });
    expect(third).toMatchObject({ status: 'skipped', queued: [] });
    expect((await outboxRows(db, 'claim-test:')).length).toBe(1);
  });
});
