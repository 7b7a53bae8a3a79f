import { and, count, eq, inArray, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, bulkJobs, cycles, people, processedEvents } from '../../db/schema.js';
import { type FastAssign, fastAssign } from '../../src/fast/jobSteps.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, declareJobCards, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { applicationForm, countedFixtureBot, type Fixture, NOW, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 分配专家 in one statement (src/fast/jobSteps.ts) against the ordinary transaction: the same answers, rows, audit
 * trail, jobs, outbox rows and messages sent (the jobs run to the end in both), on the same rows; every other answer
 * still the ordinary path's with nothing of the fast attempt kept; one round trip on a warm connection; a job recorded
 * under the statement; two clicks at once end as one job.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

async function seedMore(db: Db) {
  await db.insert(people).values([{ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] }]);
}

/**
 * The running cycle over (published), and a new one for `year` in `status` with `accepted` accepted applications of
 * the fixture's teams (`perApplication` experts each).
 */
async function nextCycle(db: Db, f: Fixture, year: number, status: 'open' | 'scoring' | 'closed', accepted: number, perApplication = 3): Promise<number> {
  await db.update(cycles).set({ status: 'published' }).where(inArray(cycles.status, ['open', 'scoring', 'closed']));
  const [c] = await db
    .insert(cycles)
    .values({ year, status, applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, scoreSheet: defaultScoreSheet, openedBy: ADMIN, expertsPerApplication: perApplication })
    .returning();
  const teams = [f.teamA.id, f.teamB.id, f.teamC.id, f.teamD.id].slice(0, accepted);
  if (teams.length) {
    await db.insert(applications).values(teams.map((teamId) => ({ teamId, cycleId: c.id, status: 'accepted', form: applicationForm(), submittedAt: new Date(`${year}-03-01T00:00:00Z`) })));
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
  after?: (db: Db, f: Fixture) => Promise<void>;
  /** The jobs run to the end after the click (both worlds). */
  drain?: boolean;
}

const fixtureCycle = async (_db: Db, f: Fixture) => f.cycleId;

const steps: Step[] = [
  { name: 'not an administrator', who: personas.leader, cycle: fixtureCycle, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: 'no such cycle', who: ADMIN, cycle: async () => 999_999, toast: 'error', says: /找不到这一年度的评审/, leftToOrdinary: true },
  { name: 'a 分配专家 job already waiting', who: ADMIN, cycle: fixtureCycle, toast: 'info', says: /^专家分配正在进行，卡片显示当前进度$/, leftToOrdinary: true,
    before: async (db, f) => void (await db.insert(bulkJobs).values({ kind: 'assign', cycleId: f.cycleId, params: { year: YEAR }, status: 'queued', total: 1, createdBy: ADMIN, messageId: 'om_assign_waiting' })),
    after: async (db) => void (await db.delete(bulkJobs).where(eq(bulkJobs.messageId, 'om_assign_waiting'))),
  },
  { name: '分配专家, the job recorded (the fixture’s open cycle)', who: ADMIN, cycle: fixtureCycle, eventId: 'evt_assign_fixture', toast: 'success', says: /^正在分配专家，完成后卡片会更新$/, drain: true,
    before: async (db, f) => void (await db.update(applications).set({ status: 'accepted' }).where(eq(applications.id, f.appC))),
  },
  { name: 'the same delivery again', who: ADMIN, cycle: fixtureCycle, eventId: 'evt_assign_fixture', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: 'the cycle past scoring', who: ADMIN, cycle: (db) => byYear(db, 2028), toast: 'info', says: /^2028年度评审已结束专家评分，不能再分配专家。$/, leftToOrdinary: true,
    before: async (db, f) => void (await nextCycle(db, f, 2028, 'closed', 2)),
  },
  { name: 'no accepted application', who: ADMIN, cycle: (db) => byYear(db, 2029), toast: 'info', says: /^没有已受理的申报需要分配专家/, leftToOrdinary: true,
    before: async (db, f) => void (await nextCycle(db, f, 2029, 'open', 0)),
  },
  { name: 'no expert in the pool', who: ADMIN, cycle: (db) => byYear(db, 2030), toast: 'info', says: /^专家库中没有可用的专家/, leftToOrdinary: true,
    before: async (db, f) => {
      await nextCycle(db, f, 2030, 'open', 2);
      await db.update(people).set({ expertActive: false }).where(sql`'expert' = any(${people.roles})`);
    },
    after: async (db) => void (await db.update(people).set({ expertActive: true }).where(sql`'expert' = any(${people.roles})`)),
  },
  { name: 'every panel full', who: ADMIN, cycle: (db) => byYear(db, 2031), toast: 'success', says: /^所有申报已配齐专家，无需再分配$/, leftToOrdinary: true,
    before: async (db, f) => {
      const id = await nextCycle(db, f, 2031, 'scoring', 1, 1);
      const [a] = await db.select().from(applications).where(eq(applications.cycleId, id));
      await db.insert(assignments).values({ applicationId: a.id, expertOpenId: personas.expert, status: 'assigned' });
    },
  },
  { name: '分配专家 by an administrator of the stored role, scoring, three applications', who: ROLE_ADMIN, cycle: (db) => byYear(db, 2032), eventId: 'evt_assign_2032', toast: 'success',
    says: /^正在分配专家，完成后卡片会更新$/, drain: true,
    before: async (db, f) => void (await nextCycle(db, f, 2032, 'scoring', 3)),
  },
];

/** What real time leaves in a row or a message (a job's seconds): compared as placeholders. */
const timeless = <T>(v: T): T => JSON.parse(JSON.stringify(v).replace(/用时 \d+ 秒/g, '用时 <n> 秒'));

/** What the database holds that an assignment (and its job, run by the drain) writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  const cycleRows = await db.select({ id: cycles.id, year: cycles.year, status: cycles.status }).from(cycles).orderBy(cycles.id);
  const apps = await db.select({ id: applications.id, status: applications.status }).from(applications).orderBy(applications.id);
  const tasks = await db.select({ applicationId: assignments.applicationId, expert: assignments.expertOpenId, status: assignments.status }).from(assignments).orderBy(assignments.id);
  const jobs = (await db.select().from(bulkJobs).orderBy(bulkJobs.id)).map(({ createdAt: _c, startedAt: _s, finishedAt: _f, leaseUntil: _l, progressAt: _p, claimedBy: _b, ...j }) => j);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, at, ...a }) => ({ ...a, at: at.getTime() === Date.parse(NOW) ? NOW : 'real time' }));
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_assign_%')).orderBy(processedEvents.eventId);
  return timeless({ cycleRows, apps, tasks, jobs, audits, out, events });
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  jobs: (await db.select({ id: bulkJobs.id, status: bulkJobs.status }).from(bulkJobs).orderBy(bulkJobs.id)).map((j) => `${j.id}:${j.status}`),
  cycles: (await db.select({ id: cycles.id, status: cycles.status }).from(cycles).orderBy(cycles.id)).map((c) => `${c.id}:${c.status}`),
});

describe('分配专家: the one statement answers and writes what the ordinary transaction does', () => {
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
      const cycleId = await step.cycle(db, f);
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        const direct: FastAssign = {
          eventId: step.eventId ?? `probe_${randomEventId()}`,
          eventType: 'card.action.trigger',
          openId: step.who,
          cycleId,
          messageId: undefined,
          now: h.clock.now(),
          bootstrapAdmins: [ADMIN],
        };
        await leavesToOrdinary(() => counts(db), () => fastAssign(h.db, direct));
      }
      const body: Body = await h.click(step.who, { action: 'review.assign', cycleId }, {}, { eventId: step.eventId ?? `evt_assign_step${i}`, messageId: `om_assign_${i}` });
      expectAnswer(body, step, mode);
      if (step.drain) await h.drain();
      await step.after?.(db, f);
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, timeless);
  });

  it('the jobs ran to the end, and the fake Open Platform received the same messages', async () => {
    const sent: Record<string, unknown> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h } = worlds[mode];
      const db = h.db.db;
      const started = await db.select().from(bulkJobs).where(and(eq(bulkJobs.kind, 'assign'), like(sql`${bulkJobs.messageId}`, 'om_assign_%'))).orderBy(bulkJobs.id);
      expect(started.map((j) => [j.messageId, j.status]), mode).toEqual([
        ['om_assign_3', 'done'],
        ['om_assign_9', 'done'],
      ]);
      sent[mode] = h.fake.messages.map((m) => JSON.stringify(timeless([m.receiveId, m.msgType, m.content]))).sort();
      expect((sent[mode] as unknown[]).length, mode).toBeGreaterThan(0);
    }
    expect(sent.fast).toEqual(sent.ordinary);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('分配专家 on PostgreSQL: one round trip, and a job recorded under the statement', () => {
  const bot = countedFixtureBot(seedMore);
  const click = (openId: string, cycleId: number, eventId?: string) => bot.click<Body>(openId, { action: 'review.assign', cycleId }, undefined, eventId);

  it('分配专家 costs one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    let year = 2040;
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (const step of ['warm', 'measured']) {
        const id = await nextCycle(bot.db, bot.f, year++, 'open', 2);
        const { body, trips } = await click(ADMIN, id);
        expect(body.toast, JSON.stringify(body.toast)).toMatchObject({ type: 'success', content: '正在分配专家，完成后卡片会更新' });
        expect((await bot.db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id))).map((j) => [j.kind, j.status, j.total])).toEqual([['assign', 'queued', 6]]);
        if (step === 'measured') figures[fast ? 'one statement' : 'ordinary path'] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`分配专家 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
    expect(figures['ordinary path']).toBeGreaterThan(1);
  });

  it('a job recorded under the statement leaves nothing of it: the ordinary path shows that job', async () => {
    const id = await nextCycle(bot.db, bot.f, 2050, 'open', 2);
    const eventId = randomEventId();
    // another administrator's 分配专家, not yet committed: the statement sees no job, then its insert waits on the index
    const other = await heldTransaction(bot.db, async (tx) => {
      await tx.insert(bulkJobs).values({ kind: 'assign', cycleId: id, params: { year: 2050 }, total: 6, createdBy: ROLE_ADMIN, messageId: 'om_other' });
    });
    let answered = false;
    const clicked = click(ADMIN, id, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const { body } = await clicked;
    // the ordinary path answered: the other's job is shown, nothing of the statement kept
    expect(body.toast).toEqual({ type: 'info', content: '专家分配正在进行，卡片显示当前进度' });
    expect((await bot.db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id))).map((j) => j.messageId)).toEqual(['om_other']);
    expect(await bot.db.select().from(auditLog).where(and(eq(auditLog.action, 'bulk.assign.start'), sql`(${auditLog.details} ->> 'cycleId')::int = ${id}`))).toEqual([]);
    expect(await bot.db.select({ type: processedEvents.eventType }).from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([{ type: 'card.action.trigger' }]);
  });
});

describe('分配专家 clicked twice at once, the fast paths on', () => {
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
      const id = await nextCycle(db, f, year, 'open', 2);
      const both = (await Promise.all(who.map((openId) => h.click(openId, { action: 'review.assign', cycleId: id })))) as Body[];
      // the ordinary path's second click: the job shown (info), or, met on the index, the job it found (success)
      for (const b of both) {
        expect([
          JSON.stringify({ type: 'success', content: '正在分配专家，完成后卡片会更新' }),
          JSON.stringify({ type: 'info', content: '专家分配正在进行，卡片显示当前进度' }),
        ]).toContain(JSON.stringify(b.toast));
      }
      expect(both.some((b) => b.toast?.type === 'success'), JSON.stringify(both.map((b) => b.toast))).toBe(true);
      await h.drain();
      // one job for the six tasks; a second only once the first had ended (the worker may finish it between the
      // clicks: the second then starts on what it could not fill), each with its audit row
      const jobs = await db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id)).orderBy(bulkJobs.id);
      expect(jobs[0]).toMatchObject({ kind: 'assign', total: 6, status: 'done' });
      expect(jobs.length).toBeLessThanOrEqual(2);
      // the second was recorded once the first had ended (bulk_jobs_active_uq allows one queued or running job of a kind
      // per cycle, and the first is done). Its created_at is its transaction's start, which may come before the first's
      // finished_at when the click waited for the lock the finishing batch held: the ids give the order
      if (jobs[1]) expect(jobs[1].id).toBeGreaterThan(jobs[0].id);
      expect(jobs.length).toBeLessThanOrEqual(both.filter((b) => b.toast?.type === 'success').length);
      expect(await db.select().from(auditLog).where(and(eq(auditLog.action, 'bulk.assign.start'), sql`(${auditLog.details} ->> 'cycleId')::int = ${id}`))).toHaveLength(jobs.length);
    }
  });
});
