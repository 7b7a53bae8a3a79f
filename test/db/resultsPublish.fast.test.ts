import { and, count, eq, inArray, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, bulkJobs, cycles, people, processedEvents } from '../../db/schema.js';
import { type FastPublish, fastPublish } from '../../src/fast/cycleSteps.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { claimProbe, heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { applicationForm, countedFixtureBot, type Fixture, NOW, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 公布结果 in one statement (src/fast/cycleSteps.ts) against the ordinary transaction: the same answers, rows, audit
 * trail, jobs, outbox rows and messages sent (the job runs to the end in both), on the same rows; every other answer
 * still the ordinary path's with nothing of the fast attempt kept; one round trip on a warm connection; a cycle
 * changed under the statement; two clicks at once end as one.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** The time a done deed is named by, read from the audit row (real time): compared as a placeholder. */
const doneAt = /已于 ?\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

async function seedMore(db: Db) {
  await db.insert(people).values([{ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] }]);
}

/** The running cycle over (published), and a new one closed for `year` with `ranked` scored and ranked applications of the fixture's teams. */
async function nextCycle(db: Db, f: Fixture, year: number, ranked: number): Promise<number> {
  await db.update(cycles).set({ status: 'published' }).where(inArray(cycles.status, ['open', 'scoring', 'closed']));
  const [c] = await db
    .insert(cycles)
    .values({ year, status: 'closed', applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, scoreSheet: defaultScoreSheet, openedBy: ADMIN })
    .returning();
  const teams = [f.teamA.id, f.teamB.id, f.teamC.id, f.teamD.id].slice(0, ranked);
  if (teams.length) {
    await db.insert(applications).values(
      teams.map((teamId, k) => ({ teamId, cycleId: c.id, status: 'scored', finalScore: 80 - k, rank: k + 1, form: applicationForm(), submittedAt: new Date(`${year}-03-01T00:00:00Z`) })),
    );
  }
  return c.id;
}

const byYear = async (db: Db, year: number) => (await db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, year)))[0]?.id ?? 0;

interface Step {
  name: string;
  who: string;
  /** The cycle clicked on. */
  cycle: (db: Db, f: Fixture) => Promise<number>;
  eventId?: string;
  toast: 'success' | 'error' | 'info';
  says: RegExp;
  leftToOrdinary?: boolean;
  before?: (db: Db, f: Fixture) => Promise<void>;
}

const fixtureCycle = async (_db: Db, f: Fixture) => f.cycleId;

const steps: Step[] = [
  { name: 'not an administrator', who: personas.leader, cycle: fixtureCycle, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: 'no such cycle', who: ADMIN, cycle: async () => 999_999, toast: 'error', says: /找不到这一年度的评审/, leftToOrdinary: true },
  { name: 'the cycle still takes applications', who: ADMIN, cycle: fixtureCycle, toast: 'info', says: new RegExp(`^${YEAR}年度评审申报中：请先“结束评分并汇总”`), leftToOrdinary: true },
  {
    name: '公布, the job recorded',
    who: ADMIN,
    cycle: fixtureCycle,
    eventId: 'evt_publish_fixture',
    toast: 'success',
    says: new RegExp(`^${YEAR}年度评审结果正在公布，完成后卡片会更新$`),
    before: async (db, f) => {
      await db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, f.cycleId));
      await db.update(applications).set({ status: 'scored', finalScore: 88, rank: 1 }).where(eq(applications.id, f.appD));
    },
  },
  { name: 'the same delivery again', who: ADMIN, cycle: fixtureCycle, eventId: 'evt_publish_fixture', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: '公布 clicked again, the job done', who: ADMIN, cycle: fixtureCycle, toast: 'info', says: new RegExp(`^${YEAR}年度评审结果已于此前公布`), leftToOrdinary: true },
  {
    name: 'a 公布 job already waiting',
    who: ADMIN,
    cycle: (db) => byYear(db, 2028),
    toast: 'info',
    says: /^结果正在公布，卡片显示当前进度$/,
    leftToOrdinary: true,
    before: async (db, f) => {
      const id = await nextCycle(db, f, 2028, 1);
      await db.insert(bulkJobs).values({ kind: 'publish', cycleId: id, params: { year: 2028 }, status: 'queued', total: 1, createdBy: ADMIN });
    },
  },
  {
    name: '公布 by an administrator of the stored role, three teams ranked',
    who: ROLE_ADMIN,
    cycle: (db) => byYear(db, 2029),
    eventId: 'evt_publish_2029',
    toast: 'success',
    says: /^2029年度评审结果正在公布，完成后卡片会更新$/,
    before: async (db, f) => void (await nextCycle(db, f, 2029, 3)),
  },
];

/** What real time leaves in a row or a message (the workbook's creation time, a job's seconds): compared as placeholders. */
const timeless = <T>(v: T): T =>
  JSON.parse(JSON.stringify(v).replace(/"base64":"[^"]*"/g, '"base64":"<workbook>"').replace(/用时 \d+ 秒/g, '用时 <n> 秒'));

/** What the database holds that a close (and its job, run by the drain) writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  const cycleRows = (await db.select({ id: cycles.id, year: cycles.year, status: cycles.status, updatedAt: cycles.updatedAt }).from(cycles).orderBy(cycles.id)).map((c) => ({
    ...c,
    updatedAt: c.updatedAt.getTime() === Date.parse(NOW) ? NOW : 'seeded',
  }));
  const apps = await db.select({ id: applications.id, status: applications.status }).from(applications).orderBy(applications.id);
  const tasks = await db.select({ applicationId: assignments.applicationId, expert: assignments.expertOpenId, status: assignments.status }).from(assignments).orderBy(assignments.id);
  const jobs = (await db.select().from(bulkJobs).orderBy(bulkJobs.id)).map(({ createdAt: _c, startedAt: _s, finishedAt: _f, leaseUntil: _l, progressAt: _p, claimedBy: _b, ...j }) => j);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, at, ...a }) => ({ ...a, at: at.getTime() === Date.parse(NOW) ? NOW : 'real time' }));
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_publish_%')).orderBy(processedEvents.eventId);
  return timeless({ cycleRows, apps, tasks, jobs, audits, out, events });
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  jobs: (await db.select({ id: bulkJobs.id, status: bulkJobs.status }).from(bulkJobs).orderBy(bulkJobs.id)).map((j) => `${j.id}:${j.status}`),
  cycles: (await db.select({ id: cycles.id, status: cycles.status }).from(cycles).orderBy(cycles.id)).map((c) => `${c.id}:${c.status}`),
});

describe('公布结果: the one statement answers and writes what the ordinary transaction does', () => {
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
      const cycleId = await step.cycle(db, f);
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        const direct: FastPublish = {
          eventId: step.eventId ?? `probe_${randomEventId()}`,
          eventType: 'card.action.trigger',
          openId: step.who,
          cycleId,
          messageId: undefined,
          now: h.clock.now(),
          bootstrapAdmins: [ADMIN],
        };
        await leavesToOrdinary(() => counts(db), () => fastPublish(h.db, direct));
      }
      const body: Body = await h.click(step.who, { action: 'results.publish', cycleId }, {}, { eventId: step.eventId ?? `evt_publish_step${i}`, messageId: `om_publish_${i}` });
      expectAnswer(body, step, mode);
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, (b) => timeless(comparable(b)));
  });

  it('the jobs ran to the end, and the fake Open Platform received the same messages', async () => {
    const sent: Record<string, unknown> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h } = worlds[mode];
      const db = h.db.db;
      const started = await db.select().from(bulkJobs).where(and(eq(bulkJobs.kind, 'publish'), like(sql`${bulkJobs.messageId}`, 'om_publish_%'))).orderBy(bulkJobs.id);
      // the fixture's year (one team ranked, and two whose organisation never confirmed them, told they took no part)
      // and 2029's three: both ran
      expect(started.map((j) => [j.messageId, j.status, j.done, j.total]), mode).toEqual([
        ['om_publish_3', 'done', 3, 3],
        ['om_publish_7', 'done', 3, 3],
      ]);
      expect((await db.select().from(cycles).where(inArray(cycles.year, [YEAR, 2029]))).map((c) => c.status), mode).toEqual(['published', 'published']);
      // an uploaded file's key is its content's (the workbook's creation time in it), and uploads finish in any order
      sent[mode] = h.fake.messages.map((m) => JSON.stringify(timeless([m.receiveId, m.msgType, m.content])).replace(/"file_key":"[^"]*"/g, '"file_key":"<file>"')).sort();
      expect((sent[mode] as unknown[]).length, mode).toBeGreaterThan(0);
    }
    expect(sent.fast).toEqual(sent.ordinary);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('公布结果 on PostgreSQL: one round trip, and a cycle changed under the statement', () => {
  const bot = countedFixtureBot(seedMore);
  const click = (openId: string, cycleId: number, eventId?: string) => bot.click<Body>(openId, { action: 'results.publish', cycleId }, undefined, eventId);

  it('公布结果 costs one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    let year = 2040;
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (const step of ['warm', 'measured']) {
        const id = await nextCycle(bot.db, bot.f, year++, 2);
        const { body, trips } = await click(ADMIN, id);
        expect(body.toast, JSON.stringify(body.toast)).toMatchObject({ type: 'success', content: expect.stringMatching(/结果正在公布/) });
        expect((await bot.db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id))).map((j) => [j.kind, j.status, j.total])).toEqual([['publish', 'queued', 2]]);
        if (step === 'measured') figures[fast ? 'one statement' : 'ordinary path'] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`公布结果 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
    expect(figures['ordinary path']).toBeGreaterThan(1);
  });

  it('a cycle not closed takes no claim: the statement does not wait for the event’s row', async () => {
    const id = await nextCycle(bot.db, bot.f, 2051, 2);
    await bot.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, id));
    const eventId = randomEventId();
    // the same event id claimed by a transaction not yet committed: a claim of it would wait
    const other = await heldTransaction(bot.db, (tx) => tx.insert(processedEvents).values({ eventId, eventType: 'probe' }), { rollback: true });
    let answered = false;
    const direct = fastPublish(bot.base, { eventId, eventType: 'card.action.trigger', openId: ADMIN, cycleId: id, messageId: undefined, now: bot.clock.now(), bootstrapAdmins: [ADMIN] }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    const waited = !answered;
    other.release();
    await other.ended;
    expect(await direct).toBeUndefined();
    expect(waited).toBe(false);
  });

  it('the claim comes before the cycle lock; a reopen that committed meanwhile leaves nothing of the statement', async () => {
    const id = await nextCycle(bot.db, bot.f, 2050, 2);
    const eventId = randomEventId();
    // another administrator's 重开评分, not yet committed: the statement reads the cycle as closed, then waits for its row
    const other = await heldTransaction(bot.db, async (tx) => {
      await tx.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, id));
    });
    let answered = false;
    const clicked = click(ROLE_ADMIN, id, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    // waiting for the cycle's row, the statement has already claimed the event: a claim of the same id waits for it
    const probe = await claimProbe(bot.db, eventId);
    expect(probe).toBe('55P03');
    other.release();
    await other.ended;
    const { body } = await clicked;
    // the ordinary path answered: the cycle is no longer closed, nothing started
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    expect(body.toast?.content).toMatch(/^2050年度评审专家评分中：请先“结束评分并汇总”/);
    expect(await bot.db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id))).toEqual([]);
    expect(await bot.db.select().from(auditLog).where(and(eq(auditLog.action, 'bulk.publish.start'), sql`(${auditLog.details} ->> 'cycleId')::int = ${id}`))).toEqual([]);
    expect(await bot.db.select({ type: processedEvents.eventType }).from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([{ type: 'card.action.trigger' }]);
  });
});

describe('公布结果 clicked twice at once, the fast paths on', () => {
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
  ] as const)('by %s: one job; the other answered as the ordinary path answers a second click', async (_name, who) => {
    for (let round = 0; round < 3; round++) {
      const db = h.db.db;
      const year = 2060 + (await db.select({ n: count() }).from(cycles))[0].n;
      const id = await nextCycle(db, f, year, 2);
      const both = (await Promise.all(who.map((openId) => h.click(openId, { action: 'results.publish', cycleId: id })))) as Body[];
      const winner = both.findIndex((b) => b.toast?.type === 'success');
      expect(winner, JSON.stringify(both.map((b) => b.toast))).toBeGreaterThanOrEqual(0);
      expect(both[winner].toast?.content).toBe(`${year}年度评审结果正在公布，完成后卡片会更新`);
      const loser = both[1 - winner];
      // under the lock the second finds the job: its card while it waits or runs, else that the results are out
      expect(loser.toast?.type, JSON.stringify(loser.toast)).toBe('info');
      expect(loser.toast?.content).toMatch(new RegExp(`^(结果正在公布，卡片显示当前进度|${year}年度评审结果已于此前公布)`));
      expect((await db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id))).map((j) => [j.kind, j.total])).toEqual([['publish', 2]]);
      expect((await db.select().from(cycles).where(eq(cycles.id, id)))[0].status).toBe('published');
    }
  });
});
