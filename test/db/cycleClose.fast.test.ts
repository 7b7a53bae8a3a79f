import { and, count, eq, inArray, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, bulkJobs, cycles, people, processedEvents } from '../../db/schema.js';
import { type FastCloseApplications, fastCloseApplications } from '../../src/fast/cycleSteps.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { claimProbe, heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { applicationForm, countedFixtureBot, type Fixture, NOW, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 截止申报 that starts the experts' assignment, in one statement (src/fast/cycleSteps.ts), against the ordinary
 * transaction: the same answers, rows, audit trail, jobs, outbox rows and cards sent, on the same rows; every other
 * answer still the ordinary path's with nothing of the fast attempt kept; one round trip on a warm connection; two
 * clicks at once end as one.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
const THIRD_EXPERT = 'ou_thirdexpert000000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** The time a done deed is named by, read from the audit row (real time): compared as a placeholder. */
const doneAt = /已于 ?\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));
/**
 * What real time leaves in a row or a message: a finished job's card says how long it took from the click (用时 0 秒 or
 * 用时 1 秒 as the machine is busy, grouped as the card prints them: 8 400 177), compared as a placeholder.
 */
const timeless = <T>(v: T): T => JSON.parse(JSON.stringify(v).replace(/用时 \d{1,3}(?: \d{3})* 秒/g, '用时 <n> 秒'));

async function seedMore(db: Db) {
  await db.insert(people).values([
    { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: THIRD_EXPERT, name: '第三位专家', roles: ['expert'] },
  ]);
}

/** The running cycle over (published), and a new one open for `year` with `accepted` applications of the fixture's teams. */
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
  { name: '截止申报, the assignment started', who: ADMIN, cycle: fixtureCycle, eventId: 'evt_close_fixture', toast: 'success', says: new RegExp(`^${YEAR}年度申报已截止，进入专家评分阶段。另有 2 份申报仍待单位确认，见卡片。正在分配专家，完成后卡片会更新$`) },
  { name: 'the same delivery again', who: ADMIN, cycle: fixtureCycle, eventId: 'evt_close_fixture', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: '截止申报 clicked again, the job done', who: ADMIN, cycle: fixtureCycle, toast: 'info', says: /^已于 \d{4}年\d+月\d+日 \d\d:\d\d 截止\d+年度申报，无需重复截止。$/, leftToOrdinary: true },
  {
    name: 'no application accepted: closed, nobody assigned',
    who: ADMIN,
    cycle: (db) => byYear(db, 2028),
    toast: 'success',
    says: /^2028年度申报已截止：本年度没有申报进入评审，无需分配专家，见卡片$/,
    leftToOrdinary: true,
    before: async (db, f) => void (await nextCycle(db, f, 2028, 0)),
  },
  {
    name: '分配专家 already running while applications were open',
    who: ADMIN,
    cycle: (db) => byYear(db, 2029),
    toast: 'success',
    says: /^2029年度申报已截止，进入专家评分阶段。专家分配正在进行$/,
    leftToOrdinary: true,
    before: async (db, f) => {
      const id = await nextCycle(db, f, 2029, 1);
      await db.insert(bulkJobs).values({ kind: 'assign', cycleId: id, params: { year: 2029 }, status: 'queued', total: 3, createdBy: ADMIN });
    },
  },
  {
    name: 'every panel full already',
    who: ADMIN,
    cycle: (db) => byYear(db, 2030),
    toast: 'success',
    says: /^2030年度申报已截止，进入专家评分阶段。所有申报已配齐专家，无需再分配$/,
    leftToOrdinary: true,
    before: async (db, f) => {
      const id = await nextCycle(db, f, 2030, 1);
      const [app] = await db.select().from(applications).where(eq(applications.cycleId, id));
      await db.update(applications).set({ status: 'scoring' }).where(eq(applications.id, app.id));
      await db.insert(assignments).values([personas.expert, THIRD_EXPERT, ROLE_ADMIN].map((expertOpenId) => ({ applicationId: app.id, expertOpenId, status: 'assigned' })));
    },
  },
  {
    name: 'no expert in the pool: closed, nobody assigned',
    who: ADMIN,
    cycle: (db) => byYear(db, 2032),
    toast: 'success',
    says: /^2032年度申报已截止，进入专家评分阶段。专家尚未分配，见卡片。$/,
    leftToOrdinary: true,
    before: async (db, f) => {
      await nextCycle(db, f, 2032, 1);
      await db.update(people).set({ expertActive: false });
    },
  },
  {
    name: '截止申报 by an administrator of the stored role, three applications',
    who: ROLE_ADMIN,
    cycle: (db) => byYear(db, 2031),
    eventId: 'evt_close_2031',
    toast: 'success',
    says: /^2031年度申报已截止，进入专家评分阶段。正在分配专家，完成后卡片会更新$/,
    before: async (db, f) => {
      await db.update(people).set({ expertActive: true });
      await nextCycle(db, f, 2031, 3);
    },
  },
  {
    // closed early with a draft: the ordinary path tells its leader the draft was cut off (noticeClosedEarly)
    name: '截止申报 before the deadline with a draft still unsubmitted',
    who: ADMIN,
    cycle: (db) => byYear(db, 2033),
    toast: 'success',
    says: /^2033年度申报已截止，进入专家评分阶段。1 份未提交的申报随之截止，见卡片。正在分配专家，完成后卡片会更新$/,
    leftToOrdinary: true,
    before: async (db, f) => {
      const id = await nextCycle(db, f, 2033, 1);
      await db.insert(applications).values({ teamId: f.teamB.id, cycleId: id, status: 'draft', form: applicationForm() });
    },
  },
];

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
  const out = timeless(await outboxRows(db));
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_close_%')).orderBy(processedEvents.eventId);
  return { cycleRows, apps, tasks, jobs, audits, out, events };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  jobs: (await db.select({ id: bulkJobs.id, status: bulkJobs.status }).from(bulkJobs).orderBy(bulkJobs.id)).map((j) => `${j.id}:${j.status}`),
  cycles: (await db.select({ id: cycles.id, status: cycles.status }).from(cycles).orderBy(cycles.id)).map((c) => `${c.id}:${c.status}`),
});

describe('截止申报: the one statement answers and writes what the ordinary transaction does', () => {
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
        const direct: FastCloseApplications = {
          eventId: step.eventId ?? `probe_${randomEventId()}`,
          eventType: 'card.action.trigger',
          openId: step.who,
          cycleId,
          messageId: undefined,
          leadAfterYear: '年度申报已截止，进入专家评分阶段。',
          now: h.clock.now(),
          timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN],
        };
        await leavesToOrdinary(() => counts(db), () => fastCloseApplications(h.db, direct));
      }
      const body: Body = await h.click(step.who, { action: 'cycle.closeApplications', cycleId }, {}, { eventId: step.eventId ?? `evt_close_step${i}`, messageId: `om_close_${i}` });
      expectAnswer(body, step, mode);
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('the jobs ran to the end, and the fake Open Platform received the same messages', async () => {
    const sent: Record<string, unknown> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h } = worlds[mode];
      const db = h.db.db;
      const started = await db.select().from(bulkJobs).where(and(eq(bulkJobs.kind, 'assign'), like(sql`${bulkJobs.messageId}`, 'om_close_%'))).orderBy(bulkJobs.id);
      // the fixture's year (one panel short of one expert), 2031's three applications and 2033's one: all ran
      expect(started.map((j) => [j.messageId, j.status, j.done, j.total]), mode).toEqual([
        ['om_close_2', 'done', 1, 1],
        ['om_close_9', 'done', 9, 9],
        ['om_close_10', 'done', 3, 3],
      ]);
      // by receiver, each one's in the order sent: the notices of the applications still unconfirmed (bulk) go out
      // beside the job's cards in whichever order the dispatcher claims them
      sent[mode] = timeless(h.fake.messages.map((m) => [m.receiveId, m.msgType, m.content])).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      expect((sent[mode] as unknown[]).length, mode).toBeGreaterThan(0);
    }
    expect(sent.fast).toEqual(sent.ordinary);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('截止申报 on PostgreSQL: one round trip, and a cycle changed under the statement', () => {
  const bot = countedFixtureBot(seedMore);
  const click = (openId: string, cycleId: number, eventId?: string) => bot.click<Body>(openId, { action: 'cycle.closeApplications', cycleId }, undefined, eventId);

  it('截止申报 costs one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    let year = 2040;
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (const step of ['warm', 'measured']) {
        const id = await nextCycle(bot.db, bot.f, year++, 2);
        const { body, trips } = await click(ADMIN, id);
        expect(body.toast, JSON.stringify(body.toast)).toMatchObject({ type: 'success', content: expect.stringMatching(/正在分配专家/) });
        expect((await bot.db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id))).map((j) => [j.status, j.total])).toEqual([['queued', 6]]);
        if (step === 'measured') figures[fast ? 'one statement' : 'ordinary path'] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`截止申报 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
    expect(figures['ordinary path']).toBeGreaterThan(1);
  });

  it('a cycle no longer open takes no claim: the statement does not wait for the event’s row', async () => {
    const id = await nextCycle(bot.db, bot.f, 2051, 2);
    await bot.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, id));
    const eventId = randomEventId();
    // the same event id claimed by a transaction not yet committed: a claim of it would wait
    const other = await heldTransaction(bot.db, (tx) => tx.insert(processedEvents).values({ eventId, eventType: 'probe' }), { rollback: true });
    let answered = false;
    const direct = fastCloseApplications(bot.base, {
      eventId, eventType: 'card.action.trigger', openId: ADMIN, cycleId: id, messageId: undefined, leadAfterYear: '年度申报已截止，进入专家评分阶段。', now: bot.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN],
    }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    const waited = !answered;
    other.release();
    await other.ended;
    expect(await direct).toBeUndefined();
    expect(waited).toBe(false);
  });

  it('the cycle lock comes first: a close that committed meanwhile is what the statement reads, and it writes nothing', async () => {
    const id = await nextCycle(bot.db, bot.f, 2050, 2);
    const eventId = randomEventId();
    // another administrator's 截止申报, not yet committed: the statement reads the cycle as open, then waits for its row
    const other = await heldTransaction(bot.db, async (tx) => {
      await tx.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, id));
    });
    let answered = false;
    const clicked = click(ROLE_ADMIN, id, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    // waiting for the cycle's row, the statement has not claimed the event yet: a claim of the same id does not wait
    const probe = await claimProbe(bot.db, eventId);
    expect(probe).toBe('probe: not kept');
    other.release();
    await other.ended;
    const { body } = await clicked;
    // the ordinary path answered: the cycle is no longer open, nothing started
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    // closed meanwhile with nothing on record: that it is closed, and at which stage
    expect(body.toast?.content).toMatch(/^\d+年度申报已截止（专家评分中）。$/);
    expect(await bot.db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id))).toEqual([]);
    expect(await bot.db.select().from(auditLog).where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(id))))).toEqual([]);
    expect(await bot.db.select({ type: processedEvents.eventType }).from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([{ type: 'card.action.trigger' }]);
  });

  it('the counts are read once the cycle lock is granted: a settings save committed meanwhile is what the job counts', async () => {
    const id = await nextCycle(bot.db, bot.f, 2052, 2);
    // 评审设置 saved by another administrator, not yet committed: three experts per application become one
    const other = await heldTransaction(bot.db, async (tx) => {
      await tx.update(cycles).set({ expertsPerApplication: 1 }).where(eq(cycles.id, id));
    });
    let answered = false;
    const clicked = click(ROLE_ADMIN, id, randomEventId()).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const { body } = await clicked;
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('success');
    // two applications, one expert each: what the ordinary path counts after the lock (read before it: six)
    expect((await bot.db.select({ total: bulkJobs.total }).from(bulkJobs).where(eq(bulkJobs.cycleId, id))).map((j) => j.total)).toEqual([2]);
  });
});

describe('截止申报 clicked twice at once, the fast paths on', () => {
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
  ] as const)('by %s: one close and one job; the other answered as the ordinary path answers a second click', async (_name, who) => {
    for (let round = 0; round < 3; round++) {
      const db = h.db.db;
      const year = 2060 + (await db.select({ n: count() }).from(cycles))[0].n;
      const id = await nextCycle(db, f, year, 2);
      const both = (await Promise.all(who.map((openId) => h.click(openId, { action: 'cycle.closeApplications', cycleId: id })))) as Body[];
      const winner = both.findIndex((b) => b.toast?.type === 'success');
      expect(winner, JSON.stringify(both.map((b) => b.toast))).toBeGreaterThanOrEqual(0);
      expect(both[winner].toast?.content).toMatch(/正在分配专家，完成后卡片会更新$/);
      const loser = both[1 - winner];
      // under the lock the second finds the cycle closed: its job's card while the job waits or runs, else that the cycle is past it
      expect(loser.toast?.type, JSON.stringify(loser.toast)).toBe('info');
      expect(loser.toast?.content).toMatch(/^(申报已截止，专家分配正在进行|已于 \d{4}年\d+月\d+日 \d\d:\d\d 截止\d+年度申报，无需重复截止。$)/);
      expect((await db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, id))).map((j) => [j.kind, j.total])).toEqual([['assign', 6]]);
      expect((await db.select().from(auditLog).where(and(eq(auditLog.action, 'cycle.closeApplications'), eq(auditLog.entityId, String(id))))).length).toBe(1);
      expect((await db.select().from(cycles).where(eq(cycles.id, id)))[0].status).toBe('scoring');
    }
  });
});
