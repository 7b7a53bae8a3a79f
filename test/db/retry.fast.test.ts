import { and, count, eq, inArray, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, bulkJobs, cycles, people, processedEvents } from '../../db/schema.js';
import { type FastRetry, fastRetry } from '../../src/fast/jobSteps.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, declareJobCards, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { claimProbe, heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { applicationForm, countedFixtureBot, type Fixture, NOW, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 重试任务 in one statement (src/fast/jobSteps.ts) against the ordinary transaction: the same answers, rows, audit
 * trail, jobs, outbox rows and messages sent (the jobs run to the end in both), on the same rows; every other answer
 * still the ordinary path's with nothing of the fast attempt kept; one round trip on a warm connection; a job queued
 * under the statement; two clicks at once end as one retry.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

async function seedMore(db: Db) {
  await db.insert(people).values([{ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] }]);
}

/** The running cycle over (published), and a new open one for `year` with `accepted` accepted applications of the fixture's teams. */
async function nextCycle(db: Db, f: Fixture, year: number, accepted: number): Promise<number> {
  await db.update(cycles).set({ status: 'published' }).where(inArray(cycles.status, ['open', 'scoring', 'closed']));
  const [c] = await db
    .insert(cycles)
    .values({ year, status: 'open', applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, scoreSheet: defaultScoreSheet, openedBy: ADMIN })
    .returning();
  const teams = [f.teamA.id, f.teamB.id, f.teamC.id, f.teamD.id].slice(0, accepted);
  if (teams.length) {
    await db.insert(applications).values(teams.map((teamId) => ({ teamId, cycleId: c.id, status: 'accepted', form: applicationForm(), submittedAt: new Date(`${year}-03-01T00:00:00Z`) })));
  }
  return c.id;
}

/** A 分配专家 job of the cycle that failed after `done` tasks. */
async function failedJob(db: Db, cycleId: number, year: number, opts: { createdBy?: string; messageId: string; done?: number; total?: number }): Promise<number> {
  const [j] = await db
    .insert(bulkJobs)
    .values({ kind: 'assign', cycleId, params: { year }, status: 'failed', done: opts.done ?? 0, total: opts.total ?? 3, createdBy: opts.createdBy ?? ADMIN, messageId: opts.messageId, error: '数据库连接中断', finishedAt: new Date('2027-03-09T09:00:00+08:00') })
    .returning();
  return j.id;
}

const jobByMessage = async (db: Db, messageId: string) => (await db.select({ id: bulkJobs.id }).from(bulkJobs).where(eq(bulkJobs.messageId, messageId)))[0]?.id ?? 0;

interface Step {
  name: string;
  who: string;
  /** The job clicked on. */
  job: (db: Db, f: Fixture) => Promise<number>;
  eventId?: string;
  /** The toast, or none (the card alone shows the job as it is). */
  toast?: 'success' | 'error' | 'info';
  says?: RegExp;
  leftToOrdinary?: boolean;
  before?: (db: Db, f: Fixture) => Promise<void>;
}

const fixtureJob = (db: Db) => jobByMessage(db, 'om_failed_fixture');

const steps: Step[] = [
  { name: 'not an administrator', who: personas.leader, job: fixtureJob, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true,
    before: async (db, f) => void (await failedJob(db, f.cycleId, YEAR, { messageId: 'om_failed_fixture', done: 1 })),
  },
  { name: 'no such job', who: ADMIN, job: async () => 999_999, toast: 'error', says: /^找不到这项后台任务/, leftToOrdinary: true },
  { name: 'a job that did not fail: shown as it is', who: ADMIN, job: (db) => jobByMessage(db, 'om_done'), leftToOrdinary: true,
    before: async (db, f) => void (await db.insert(bulkJobs).values({ kind: 'publish', cycleId: f.cycleId, params: { year: YEAR }, status: 'done', done: 1, total: 1, createdBy: ADMIN, messageId: 'om_done', finishedAt: new Date('2027-03-09T09:00:00+08:00') })),
  },
  { name: '重试 by an administrator of the stored role: queued in their name', who: ROLE_ADMIN, job: fixtureJob, eventId: 'evt_retry_fixture', toast: 'success', says: /^已重新开始，从中断处继续$/,
    before: async (db, f) => void (await db.update(applications).set({ status: 'accepted' }).where(eq(applications.id, f.appC))),
  },
  { name: 'the same delivery again', who: ROLE_ADMIN, job: fixtureJob, eventId: 'evt_retry_fixture', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: '重试 clicked again, the job done: shown as it is', who: ADMIN, job: fixtureJob, leftToOrdinary: true },
  // retryBulkJob answers with the other job, and the toast since that one is queued
  { name: 'another job of the kind waits for the cycle: that one is shown', who: ADMIN, job: (db) => jobByMessage(db, 'om_failed_2028'), toast: 'success', says: /^已重新开始，从中断处继续$/, leftToOrdinary: true,
    before: async (db, f) => {
      const id = await nextCycle(db, f, 2028, 1);
      await failedJob(db, id, 2028, { messageId: 'om_failed_2028' });
      await db.insert(bulkJobs).values({ kind: 'assign', cycleId: id, params: { year: 2028 }, status: 'queued', total: 3, createdBy: ADMIN, messageId: 'om_queued_2028' });
    },
  },
  { name: '重试 of a job the system started: it keeps its name', who: ADMIN, job: (db) => jobByMessage(db, 'om_failed_2029'), eventId: 'evt_retry_2029', toast: 'success', says: /^已重新开始，从中断处继续$/,
    before: async (db, f) => {
      const id = await nextCycle(db, f, 2029, 2);
      await failedJob(db, id, 2029, { createdBy: 'system:scheduler', messageId: 'om_failed_2029', done: 0, total: 6 });
    },
  },
];

/** What real time leaves in a row or a message (a job's seconds, grouped as the card prints them: 8 400 177): compared as placeholders. */
const timeless = <T>(v: T): T => JSON.parse(JSON.stringify(v).replace(/用时 \d{1,3}(?: \d{3})* 秒/g, '用时 <n> 秒'));

/** What the database holds that a retry (and its job, run by the drain) writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  const cycleRows = await db.select({ id: cycles.id, year: cycles.year, status: cycles.status }).from(cycles).orderBy(cycles.id);
  const apps = await db.select({ id: applications.id, status: applications.status }).from(applications).orderBy(applications.id);
  const tasks = await db.select({ applicationId: assignments.applicationId, expert: assignments.expertOpenId, status: assignments.status }).from(assignments).orderBy(assignments.id);
  const jobs = (await db.select().from(bulkJobs).orderBy(bulkJobs.id)).map(({ createdAt: _c, startedAt: _s, finishedAt: _f, leaseUntil: _l, progressAt: _p, claimedBy: _b, ...j }) => j);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, at, ...a }) => ({ ...a, at: at.getTime() === Date.parse(NOW) ? NOW : 'real time' }));
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_retry_%')).orderBy(processedEvents.eventId);
  return timeless({ cycleRows, apps, tasks, jobs, audits, out, events });
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  jobs: (await db.select().from(bulkJobs).orderBy(bulkJobs.id)).map((j) => `${j.id}:${j.status}:${j.createdBy}:${j.error}`),
});

describe('重试任务: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    await seedMore(h.db.db);
    return { h, f, answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h, f } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db, f);
      await declareJobCards(h);
      const jobId = await step.job(db, f);
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        const direct: FastRetry = { eventId: step.eventId ?? `probe_${randomEventId()}`, eventType: 'card.action.trigger', openId: step.who, jobId, now: h.clock.now(), bootstrapAdmins: [ADMIN] };
        await leavesToOrdinary(() => counts(db), () => fastRetry(h.db, direct));
      }
      const body: Body = await h.click(step.who, { action: 'bulk.retry', jobId }, {}, { eventId: step.eventId ?? `evt_retry_step${i}`, messageId: `om_retry_${i}` });
      expect(body.toast?.type, `${mode}: ${JSON.stringify(body.toast)}`).toBe(step.toast);
      if (step.says) expect(body.toast?.content).toMatch(step.says);
      // a refusal to a non-administrator has no card (adminCardAgain); every other answer shows one
      if (!body.toast || body.toast.type === 'success') expect(body.card?.data, mode).toBeTruthy();
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, timeless);
  });

  it('the retried jobs carried on in the right names, and the fake Open Platform received the same messages', async () => {
    const sent: Record<string, unknown> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h } = worlds[mode];
      const db = h.db.db;
      const retried = await db.select().from(bulkJobs).where(inArray(bulkJobs.messageId, ['om_failed_fixture', 'om_failed_2029'])).orderBy(bulkJobs.id);
      // the fixture's ran to the end; the system's kept its name (what its run ends as is compared with the rows above)
      expect(retried.map((j) => [j.messageId, j.createdBy]), mode).toEqual([
        ['om_failed_fixture', ROLE_ADMIN],
        ['om_failed_2029', 'system:scheduler'],
      ]);
      expect(retried[0].status, mode).toBe('done');
      expect((await db.select({ action: auditLog.action, actor: auditLog.actor }).from(auditLog).where(like(auditLog.action, '%.retry')).orderBy(auditLog.id)), mode).toEqual([
        { action: 'bulk.assign.retry', actor: ROLE_ADMIN },
        { action: 'bulk.assign.retry', actor: ADMIN },
      ]);
      sent[mode] = h.fake.messages.map((m) => JSON.stringify(timeless([m.receiveId, m.msgType, m.content]))).sort();
      expect((sent[mode] as unknown[]).length, mode).toBeGreaterThan(0);
    }
    expect(sent.fast).toEqual(sent.ordinary);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('重试任务 on PostgreSQL: one round trip, and a job queued under the statement', () => {
  const bot = countedFixtureBot(seedMore);
  const click = (openId: string, jobId: number, eventId?: string) => bot.click<Body>(openId, { action: 'bulk.retry', jobId }, undefined, eventId);

  const retryAudits = async (jobId: number) => bot.db.select({ actor: auditLog.actor }).from(auditLog).where(and(like(auditLog.action, '%.retry'), eq(auditLog.entityId, String(jobId))));

  it('重试任务 costs one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    let year = 2040;
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (const step of ['warm', 'measured']) {
        const id = await nextCycle(bot.db, bot.f, year, 2);
        const jobId = await failedJob(bot.db, id, year++, { messageId: `om_trips_${year}` });
        const { body, trips } = await click(ADMIN, jobId);
        expect(body.toast, JSON.stringify(body.toast)).toEqual({ type: 'success', content: '已重新开始，从中断处继续' });
        expect(await retryAudits(jobId)).toEqual([{ actor: ADMIN }]);
        if (step === 'measured') figures[fast ? 'one statement' : 'ordinary path'] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`重试任务 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
    expect(figures['ordinary path']).toBeGreaterThan(1);
  });

  it.each([
    ['a job not failed', 'done' as const],
    ['a failed job while another of its kind is queued for the cycle', 'other' as const],
  ])('%s takes no claim: the statement does not wait for the event’s row', async (_name, kind) => {
    const year = kind === 'done' ? 2052 : 2053;
    const id = await nextCycle(bot.db, bot.f, year, 2);
    const jobId = await failedJob(bot.db, id, year, { messageId: `om_noclaim_${year}` });
    if (kind === 'done') await bot.db.update(bulkJobs).set({ status: 'done' }).where(eq(bulkJobs.id, jobId));
    else await bot.db.insert(bulkJobs).values({ kind: 'assign', cycleId: id, params: { year }, status: 'queued', total: 6, createdBy: ADMIN, messageId: `om_noclaim_other_${year}` });
    const eventId = randomEventId();
    // the same event id claimed by a transaction not yet committed: a claim of it would wait
    const other = await heldTransaction(bot.db, (tx) => tx.insert(processedEvents).values({ eventId, eventType: 'probe' }), { rollback: true });
    let answered = false;
    const direct = fastRetry(bot.base, { eventId, eventType: 'card.action.trigger', openId: ADMIN, jobId, now: bot.clock.now(), bootstrapAdmins: [ADMIN] }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    const waited = !answered;
    other.release();
    await other.ended;
    expect(await direct).toBeUndefined();
    expect(waited).toBe(false);
  });

  it('the claim comes before the job’s lock; a job queued meanwhile leaves nothing of the statement', async () => {
    const id = await nextCycle(bot.db, bot.f, 2050, 2);
    const jobId = await failedJob(bot.db, id, 2050, { messageId: 'om_raced' });
    const eventId = randomEventId();
    // another 重试, not yet committed: the statement reads the job as failed, then waits for its row
    const other = await heldTransaction(bot.db, async (tx) => {
      await tx.update(bulkJobs).set({ status: 'queued', error: null, finishedAt: null, createdBy: ROLE_ADMIN }).where(eq(bulkJobs.id, jobId));
    });
    let answered = false;
    const clicked = click(ADMIN, jobId, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    // waiting for the job's row, the statement has already claimed the event: a claim of the same id waits for it
    const probe = await claimProbe(bot.db, eventId);
    expect(probe).toBe('55P03');
    other.release();
    await other.ended;
    const { body } = await clicked;
    // the ordinary path answered: the job no longer failed, it is shown as it is (the toast while it is still queued), in the other's name
    expect([undefined, '已重新开始，从中断处继续']).toContain(body.toast?.content);
    expect(body.card?.data).toBeTruthy();
    expect((await bot.db.select().from(bulkJobs).where(eq(bulkJobs.id, jobId)))[0].createdBy).toBe(ROLE_ADMIN);
    expect(await retryAudits(jobId)).toEqual([]);
    expect(await bot.db.select({ type: processedEvents.eventType }).from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([{ type: 'card.action.trigger' }]);
  });

  it('another job of the kind queued for the cycle meanwhile: the index fails the statement, the ordinary path shows that job', async () => {
    const id = await nextCycle(bot.db, bot.f, 2051, 2);
    const jobId = await failedJob(bot.db, id, 2051, { messageId: 'om_raced_index' });
    const other = await heldTransaction(bot.db, async (tx) => {
      await tx.insert(bulkJobs).values({ kind: 'assign', cycleId: id, params: { year: 2051 }, total: 6, createdBy: ROLE_ADMIN, messageId: 'om_other_2051' });
    });
    let answered = false;
    const clicked = click(ADMIN, jobId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const { body } = await clicked;
    // the ordinary path shows the other job (the toast while it is still queued)
    expect([undefined, '已重新开始，从中断处继续']).toContain(body.toast?.content);
    expect((await bot.db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id)).orderBy(bulkJobs.id)).map((j) => [j.messageId, j.status === 'failed'])).toEqual([
      ['om_raced_index', true],
      ['om_other_2051', false],
    ]);
    expect(await retryAudits(jobId)).toEqual([]);
  });
});

describe('重试任务 clicked twice at once, the fast paths on', () => {
  let h: Harness;
  let f: Fixture;

  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    await seedMore(h.db.db);
  });

  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['two administrators', [ADMIN, ROLE_ADMIN]],
    ['one administrator, the click delivered twice under two event ids', [ADMIN, ADMIN]],
  ] as const)('by %s: one retry; the other shown the job as it is', async (_name, who) => {
    for (let round = 0; round < 3; round++) {
      const db = h.db.db;
      const year = 2060 + (await db.select({ n: count() }).from(cycles))[0].n;
      const id = await nextCycle(db, f, year, 2);
      const jobId = await failedJob(db, id, year, { messageId: `om_twice_${year}` });
      await declareJobCards(h);
      const both = (await Promise.all(who.map((openId) => h.click(openId, { action: 'bulk.retry', jobId })))) as Body[];
      const toasts = JSON.stringify(both.map((b) => b.toast));
      // one retried it; the other, under the lock, finds the job no longer failed and is shown it as it is, with the same
      // toast while it is still queued (so the toasts alone do not say which click won: the audit row does)
      expect(both.some((b) => b.toast?.content === '已重新开始，从中断处继续'), toasts).toBe(true);
      for (const b of both) expect([undefined, '已重新开始，从中断处继续'], toasts).toContain(b.toast?.content);
      const retried = await db.select({ actor: auditLog.actor }).from(auditLog).where(and(like(auditLog.action, '%.retry'), eq(auditLog.entityId, String(jobId))));
      expect(retried).toHaveLength(1);
      expect(who).toContain(retried[0].actor);
      await h.drain();
      expect((await db.select().from(bulkJobs).where(eq(bulkJobs.id, jobId)))[0]).toMatchObject({ status: 'done', createdBy: retried[0].actor });
    }
  });
});
