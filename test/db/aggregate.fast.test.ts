import { and, asc, count, eq, gt, inArray, like, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, type Db, schema } from '../../db/index.js';
import { applications, assignments, auditLog, cycles, organizations, people, processedEvents, teams } from '../../db/schema.js';
import { rowsOf } from '../../src/outbox.js';
import { type FastCloseScoring, fastCloseScoring } from '../../src/fast/aggregate.js';
import { closeScoring } from '../../src/review/results.js';
import { defaultScoreSheet, type ScoreSheet } from '../../src/scoreSheet.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, inEachWorld, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { applicationForm, countedFixtureBot, type Fixture, NOW, OTHER_EXPERT, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 结束评分并汇总 in one statement (src/fast/aggregate.ts) against the ordinary transaction (`closeScoring`): on many
 * random cycles, every application row, cycle row and audit row written alike, to the digit; through signed callbacks,
 * the same answers, rows, audit trail, outbox and messages; every other answer still the ordinary path's with nothing
 * of the fast attempt kept; one round trip on a warm connection; two clicks, and a click against a 重开评分, ending as
 * the ordinary path ends them.
 */

const isPostgres = testDatabaseKind() === 'postgres';

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
/** Experts enough for a panel of seven and a declined task beside it. */
const EXPERTS = Array.from({ length: 8 }, (_, i) => `ou_aggexpert00000000000000000000${i + 10}`);

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** One sheet of a panel: its expert (an index into EXPERTS), total and item scores; submitted unless said. */
interface Sheet {
  expert: number;
  total: number | null;
  scores: unknown;
  status?: 'submitted' | 'declined' | 'replaced';
}

interface SeededCycle {
  year: number;
  sheet: unknown;
  awardThreshold: number;
  recommendShare: number;
  /** cycles.settings: the cycle's aggregation rule (aggregationRuleOf), now and then one the form would refuse. */
  settings?: Record<string, unknown>;
  /** Per application: its team and its panel. */
  apps: { teamId: number; sheets: Sheet[] }[];
}

/** The running cycle over (published), and `c` in scoring with its scored applications and their sheets. */
async function seedScoringCycle(db: Db, c: SeededCycle): Promise<number> {
  await db.update(cycles).set({ status: 'published' }).where(inArray(cycles.status, ['open', 'scoring', 'closed']));
  const [cycle] = await db
    .insert(cycles)
    .values({
      year: c.year, status: 'scoring', applicationDeadline: `${c.year}-05-31`, scoringDeadline: `${c.year}-06-30`, reviewMeetingDate: `${c.year}-07-15`,
      scoreSheet: c.sheet, awardThreshold: c.awardThreshold, recommendShare: c.recommendShare, settings: c.settings ?? {}, openedBy: ADMIN,
    })
    .returning();
  for (const a of c.apps) {
    const [app] = await db.insert(applications).values({ teamId: a.teamId, cycleId: cycle.id, status: 'scored', form: applicationForm(), submittedAt: new Date(`${c.year}-03-01T00:00:00Z`) }).returning();
    if (a.sheets.length) {
      await db.insert(assignments).values(
        a.sheets.map((s) => ({ applicationId: app.id, expertOpenId: EXPERTS[s.expert], status: s.status ?? 'submitted', total: s.total, scores: s.scores as never, submittedAt: new Date(`${c.year}-04-01T00:00:00Z`) })),
      );
    }
  }
  return cycle.id;
}

async function seedExperts(db: Db) {
  await db.insert(people).values([{ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] }, ...EXPERTS.map((openId, i) => ({ openId, name: `评审专家${i + 1}`, roles: ['expert' as const] }))]);
}

/** Item scores of the default sheet adding up to about `total` (a sheet as 提交评分 stores it). */
function defaultScores(total: number): Record<string, number> {
  const items = defaultScoreSheet.areas.flatMap((a) => a.items);
  const share = total / defaultScoreSheet.total;
  return Object.fromEntries(items.map((it) => [it.code, Math.round(it.max * share * 2) / 2]));
}

const panel = (totals: number[], from = 0): Sheet[] => totals.map((total, i) => ({ expert: from + i, total, scores: defaultScores(total) }));

// ---------------------------------------------------------------------------------------------------------------
// random cycles

/** mulberry32: a small seeded generator, so a failing cycle can be seeded again. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  return { next, int, pick };
}

type Random = ReturnType<typeof generator>;

function randomSheet(r: Random): ScoreSheet {
  const areas = Array.from({ length: r.int(1, 4) }, (_, a) => ({
    code: String(a + 1),
    name: `区域${a + 1}`,
    ...(r.next() < 0.5 ? { article: `第七条第${a + 1}款` } : {}),
    items: Array.from({ length: r.int(1, 4) }, (_, i) => ({ code: `${a + 1}.${i + 1}`, name: `评分项${a + 1}.${i + 1}`, max: r.pick([1, 2, 2.5, 3, 4, 5, 7.5, 10, 12.5]) })),
  }));
  const total = areas.flatMap((a) => a.items).reduce((s, it) => s + it.max, 0);
  return { title: '随机评分表', total, areas };
}

/** A total with one or two decimals, or a whole one. */
function randomTotal(r: Random, lo = 40, hi = 100): number {
  const cents = r.int(lo * 100, hi * 100);
  return r.pick([cents / 100, Math.round(cents / 10) / 10, Math.round(cents / 100)]);
}

function randomScores(r: Random, sheet: ScoreSheet): unknown {
  if (r.next() < 0.05) return null;
  const scores: Record<string, number | null> = {};
  for (const it of sheet.areas.flatMap((a) => a.items)) {
    const roll = r.next();
    if (roll < 0.08) continue; // not scored: counts 0
    if (roll < 0.12) scores[it.code] = null;
    else if (roll < 0.6) scores[it.code] = r.int(0, it.max * 2) / 2;
    // one or two decimals; now and then three, where Math.round of the cents and round2 part (1.005)
    else scores[it.code] = Math.min(it.max, r.pick([r.int(0, it.max * 10) / 10, r.int(0, it.max * 100) / 100, r.int(0, it.max * 100) / 100, r.int(0, it.max * 1000) / 1000]));
  }
  return scores;
}

/** A cycle of random panels (sizes 1–7, now and then none), with shared panels (ties), far-off totals, thresholds and shares. */
function randomCycle(r: Random, year: number, teamIds: number[]): SeededCycle {
  const sheet = r.next() < 0.3 ? defaultScoreSheet : randomSheet(r);
  const teamsOf = [...teamIds].sort(() => r.next() - 0.5).slice(0, r.int(1, teamIds.length));
  const pool = Array.from({ length: 3 }, () => randomTotal(r, 70, 95));
  const panels: Sheet[][] = [];
  const apps = teamsOf.map((teamId) => {
    let sheets: Sheet[];
    if (panels.length && r.next() < 0.2) {
      // the same totals as another panel: the same final score, a tie
      sheets = r.pick(panels).map((s) => ({ ...s, scores: randomScores(r, sheet) }));
    } else {
      const n = r.next() < 0.04 ? 0 : r.int(1, 7);
      const experts = [...EXPERTS.keys()].sort(() => r.next() - 0.5);
      sheets = Array.from({ length: n }, (_, i) => {
        const roll = r.next();
        const total = roll < 0.25 ? r.pick(pool) : roll < 0.35 ? randomTotal(r, 0, 60) : roll < 0.4 ? null : randomTotal(r);
        return { expert: experts[i], total, scores: randomScores(r, sheet) };
      });
      // a task declined or replaced beside the panel: not counted
      if (n < 7 && r.next() < 0.3) sheets.push({ expert: experts[n], total: randomTotal(r), scores: randomScores(r, sheet), status: r.pick(['declined', 'replaced'] as const) });
    }
    panels.push(sheets.filter((s) => !s.status));
    return { teamId, sheets };
  });
  const awardThreshold = r.pick([0, 60, 75.5, 80, 85, 85.55, randomTotal(r, 60, 95)]);
  const recommendShare = r.pick([0, 0.1, 0.2, 0.333, 0.5, 1, r.int(0, 1000) / 1000]);
  const settings = r.pick<Record<string, unknown>>([
    {},
    { dropExtremesFrom: r.int(3, 8), outlierDistance: r.pick([1, 2.5, 7.5, 10, 15, 30, 100]) },
    { dropExtremesFrom: 3 },
    { outlierDistance: r.int(2, 60) / 2 },
    // refused by the form, so the defaults: out of range, not whole or half, not a number
    { dropExtremesFrom: r.pick([2, 21, 4.5, '4', null]), outlierDistance: r.pick([0.5, 101, 7.25, '5', true]) },
  ]);
  return { year, sheet, awardThreshold, recommendShare, settings, apps };
}

/** What a close leaves in a cycle, every number as PostgreSQL stores it (text), times as instants. */
async function closedState(db: Db, cycleId: number, auditAfter: number) {
  const apps = await db.execute(
    sql`select id, status, final_score::text as final_score, rank, decision, review::text as review, updated_at::text as updated_at from applications where cycle_id = ${cycleId} order by id`,
  );
  const cycle = await db.execute(sql`select id, status, updated_at::text as updated_at from cycles where id = ${cycleId}`);
  const audits = await db.execute(sql`select actor, action, entity, entity_id, details::text as details, at::text as at from audit_log where id > ${auditAfter} order by id`);
  return { apps: rowsOf(apps), cycle: rowsOf(cycle), audits: rowsOf(audits) };
}

const lastAuditId = async (db: Db) => Number((rowsOf(await db.execute(sql`select coalesce(max(id), 0) as id from audit_log`))[0] as { id: number } | undefined)?.id ?? 0);

describe.skipIf(!isPostgres)('结束评分并汇总 on random cycles: the statement stores what closeScoring stores, to the digit', () => {
  const worlds: Record<'fast' | 'ordinary', TestDatabase> = {} as never;
  const teamIds: number[] = [];
  /** Fifty more teams, for a share whose product falls just below a whole number. */
  const moreTeamIds: number[] = [];

  beforeAll(async () => {
    for (const mode of ['fast', 'ordinary'] as const) {
      const database = await createTestDatabase();
      worlds[mode] = database;
      const db = database.db;
      await seedExperts(db);
      const [org] = await db.insert(organizations).values({ name: '广东随机市政工程有限公司' }).returning();
      await db.insert(people).values({ openId: 'ou_aggleader0000000000000000000001' });
      // codes out of id order, over several years, so the tie-break by code is not the order of the rows
      const codes = Array.from({ length: 12 }, (_, i) => `GDSZ-${2020 + ((i * 7) % 5)}-${String(1000 - i * 37).padStart(4, '0')}`);
      const rows = await db
        .insert(teams)
        .values(codes.map((code, i) => ({ code, name: `随机班组${i + 1}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: 'ou_aggleader0000000000000000000001', phone: '020-1234567', memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: 'QC', contactOpenId: 'ou_aggleader0000000000000000000001', registeredAt: '2025-01-10' })))
        .returning();
      const more = await db
        .insert(teams)
        .values(Array.from({ length: 50 }, (_, i) => ({ code: `GDSZ-2026-${String(i + 1).padStart(4, '0')}`, name: `班组${i + 1}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: 'ou_aggleader0000000000000000000001', phone: '020-1234567', memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: 'QC', contactOpenId: 'ou_aggleader0000000000000000000001', registeredAt: '2025-01-10' })))
        .returning();
      if (mode === 'fast') {
        teamIds.push(...rows.map((t) => t.id));
        moreTeamIds.push(...more.map((t) => t.id));
      }
    }
  });

  afterAll(async () => {
    for (const w of Object.values(worlds)) await w?.close();
  });

  // 400 closes (each cycle on both paths): about 15 s on a quiet machine, more than the default 30 s on a loaded one
  it('200 random cycles: every application, cycle and audit row equal', async () => {
    const r = generator(20261201);
    const now = new Date('2027-07-01T10:00:00+08:00');
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const seen = { trimmed: 0, outliers: 0, ties: 0, empty: 0, recommended: 0, unaligned: 0 };
    for (let k = 0; k < 200; k++) {
      const c = randomCycle(r, 3000 + k, teamIds);
      const ids: Record<string, number> = {};
      const audited: Record<string, number> = {};
      for (const mode of ['fast', 'ordinary'] as const) {
        const db = worlds[mode].db;
        ids[mode] = await seedScoringCycle(db, c);
        audited[mode] = await lastAuditId(db);
      }
      expect(ids.fast).toBe(ids.ordinary);
      const ordinary = await worlds.ordinary.db.transaction((tx) => closeScoring(tx, actor, ids.ordinary, now));
      const fast = await fastCloseScoring(worlds.fast, { eventId: `evt_random_${k}`, eventType: 'card.action.trigger', openId: ADMIN, cycleId: ids.fast, now, bootstrapAdmins: [ADMIN] }, async () => null);
      expect(fast, `cycle ${k}`).toBeDefined();
      expect({ applications: fast!.applications, awarded: fast!.awarded, recommended: fast!.recommended }).toEqual({
        applications: ordinary.applications, awarded: ordinary.awarded, recommended: ordinary.recommended,
      });
      const [a, b] = [await closedState(worlds.fast.db, ids.fast, audited.fast), await closedState(worlds.ordinary.db, ids.ordinary, audited.ordinary)];
      expect(a, `cycle ${k}: ${JSON.stringify(c)}`).toEqual(b);
      // what the cycles covered
      for (const row of b.apps as unknown as { review: string; rank: number | null }[]) {
        const review = JSON.parse(row.review) as { rule: string; outliers: unknown[]; totals: unknown[]; recommended: boolean; median: number | null };
        if (review.rule === 'trimmedMean') seen.trimmed++;
        if (review.outliers.length) seen.outliers++;
        if (!review.totals.length) seen.empty++;
        if (review.recommended) seen.recommended++;
        if (review.median !== null && String(review.median).length > 6) seen.unaligned++;
      }
      const ranks = (b.apps as unknown as { rank: number | null }[]).map((x) => x.rank).filter((x) => x !== null);
      if (new Set(ranks).size < ranks.length) seen.ties++;
    }
    console.log(`random cycles covered: ${JSON.stringify(seen)}`);
    expect(Object.values(seen).every((n) => n > 0), JSON.stringify(seen)).toBe(true);
  }, 120_000);

  it('the awkward doubles: (85.3 + 90.1) / 2 stored as JavaScript computes it, round2 on the half cent', async () => {
    const cases: number[][] = [[85.3, 90.1], [80.05, 80.1], [0.1, 0.2, 0.3, 0.4, 0.5], [99.99, 99.98, 99.97, 1.01, 1.02, 1.03], [85.125, 85.135], [70.01, 70.02, 70.03]];
    const now = new Date('2027-07-02T10:00:00+08:00');
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const c: SeededCycle = {
      year: 3999, sheet: defaultScoreSheet, awardThreshold: 85.01, recommendShare: 0.5,
      apps: cases.map((totals, i) => ({ teamId: teamIds[i], sheets: totals.map((total, j) => ({ expert: j, total: Math.round(total * 100) / 100, scores: { '1.1': 4.35, '1.2': 4.35, '1.3': 0.1, '1.4': 0.2 } })) })),
    };
    const ids: Record<string, number> = {};
    const audited: Record<string, number> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      ids[mode] = await seedScoringCycle(worlds[mode].db, c);
      audited[mode] = await lastAuditId(worlds[mode].db);
    }
    await worlds.ordinary.db.transaction((tx) => closeScoring(tx, actor, ids.ordinary, now));
    expect(await fastCloseScoring(worlds.fast, { eventId: 'evt_awkward', eventType: 'card.action.trigger', openId: ADMIN, cycleId: ids.fast, now, bootstrapAdmins: [ADMIN] }, async () => null)).toBeDefined();
    const [a, b] = [await closedState(worlds.fast.db, ids.fast, audited.fast), await closedState(worlds.ordinary.db, ids.ordinary, audited.ordinary)];
    expect(a).toEqual(b);
    expect((b.apps[0] as { review: string }).review).toContain('"median": 87.69999999999999');
  });

  it('the areas add up to the final score on both paths: 99 from three 99s, not 99.01, and 98 from three 98s, not 97.99', async () => {
    const less = (...codes: string[]) => {
      const s: Record<string, number> = Object.fromEntries(defaultScoreSheet.areas.flatMap((a) => a.items).map((it) => [it.code, it.max]));
      for (const code of codes) s[code] -= 1;
      return s;
    };
    const now = new Date('2027-07-02T11:00:00+08:00');
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const c: SeededCycle = {
      year: 3997, sheet: defaultScoreSheet, awardThreshold: 85, recommendShare: 0.5,
      apps: [
        { teamId: teamIds[0], sheets: [less('1.1'), less('2.1'), less('3.1')].map((scores, i) => ({ expert: i, total: 99, scores })) },
        { teamId: teamIds[1], sheets: [less('1.1', '2.1'), less('2.1', '3.1'), less('3.1', '1.1')].map((scores, i) => ({ expert: i, total: 98, scores })) },
        // five sheets, the highest and the lowest dropped: three 98s over six areas rounded up, 98.02, two cents off
        { teamId: teamIds[2], sheets: [less('1.1', '4.1'), less('2.1', '5.1'), less('3.1', '6.1'), less(), less('1.1', '1.2', '1.3', '1.4', '2.1')].map((scores, i) => ({ expert: i, total: [98, 98, 98, 100, 95][i], scores })) },
      ],
    };
    const ids: Record<string, number> = {};
    const audited: Record<string, number> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      ids[mode] = await seedScoringCycle(worlds[mode].db, c);
      audited[mode] = await lastAuditId(worlds[mode].db);
    }
    await worlds.ordinary.db.transaction((tx) => closeScoring(tx, actor, ids.ordinary, now));
    expect(await fastCloseScoring(worlds.fast, { eventId: 'evt_areas', eventType: 'card.action.trigger', openId: ADMIN, cycleId: ids.fast, now, bootstrapAdmins: [ADMIN] }, async () => null)).toBeDefined();
    const [a, b] = [await closedState(worlds.fast.db, ids.fast, audited.fast), await closedState(worlds.ordinary.db, ids.ordinary, audited.ordinary)];
    expect(a).toEqual(b);
    const stored = (a.apps as unknown as { final_score: string; review: string }[]).map((row) => {
      const areas = (JSON.parse(row.review) as { areas: { score: number }[] }).areas.map((x) => x.score);
      return { final: Number(row.final_score), added: areas.reduce((s, x) => Math.round((s + x) * 100) / 100, 0), areas };
    });
    expect(stored.map((x) => x.final)).toEqual([99, 98, 98]);
    for (const x of stored) expect(x.added, x.areas.join(' + ')).toBe(x.final);
    expect(stored[0].areas).toEqual([19.66, 9.67, 14.67, 15, 10, 15, 15]);
    expect(stored[2].areas).toEqual([19.66, 9.66, 14.67, 14.67, 9.67, 14.67, 15]);
  });

  it('fifty titled at a share of 0.58: 50 × 0.58 is 28.999999999999996 in doubles, and 29 are recommended, as the 1e-9 makes it', async () => {
    const now = new Date('2027-07-03T10:00:00+08:00');
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const c: SeededCycle = {
      year: 3998, sheet: defaultScoreSheet, awardThreshold: 0, recommendShare: 0.58,
      apps: moreTeamIds.map((teamId, i) => ({ teamId, sheets: [{ expert: 0, total: 99 - i / 2, scores: defaultScores(99 - i / 2) }] })),
    };
    const ids: Record<string, number> = {};
    const audited: Record<string, number> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      ids[mode] = await seedScoringCycle(worlds[mode].db, c);
      audited[mode] = await lastAuditId(worlds[mode].db);
    }
    const ordinary = await worlds.ordinary.db.transaction((tx) => closeScoring(tx, actor, ids.ordinary, now));
    expect(ordinary).toMatchObject({ applications: 50, awarded: 50, recommended: 29 });
    expect(await fastCloseScoring(worlds.fast, { eventId: 'evt_share', eventType: 'card.action.trigger', openId: ADMIN, cycleId: ids.fast, now, bootstrapAdmins: [ADMIN] }, async () => null)).toMatchObject({ recommended: 29 });
    expect(await closedState(worlds.fast.db, ids.fast, audited.fast)).toEqual(await closedState(worlds.ordinary.db, ids.ordinary, audited.ordinary));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// through signed callbacks

/** The time a done deed is named by, read from the audit row (real time): compared as a placeholder. */
const doneAt = /已于 ?\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

const byYear = async (db: Db, year: number) => (await db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, year)))[0]?.id ?? 0;
const fixtureCycle = async (_db: Db, f: Fixture) => f.cycleId;

/**
 * A cycle of the fixture's four teams: panels of five (trimmed), three (an outlier), two and one with the same final
 * score (a tie, (85.3 + 90.1) / 2 = 87.7 against 87.7); two of three titled recommended, and the one tied with the second.
 */
const fourTeams = (f: Fixture, year: number, awardThreshold = 85, recommendShare = 0.667): SeededCycle => ({
  year, sheet: defaultScoreSheet, awardThreshold, recommendShare,
  apps: [
    { teamId: f.teamA.id, sheets: panel([88.5, 91.25, 86, 95.5, 70.1]) },
    { teamId: f.teamB.id, sheets: [...panel([85.3, 90.1, 60], 1), { expert: 0, total: 77, scores: defaultScores(77), status: 'declined' }] },
    { teamId: f.teamC.id, sheets: panel([90.1, 85.3], 2) },
    { teamId: f.teamD.id, sheets: panel([87.7]) },
  ],
});

interface Step {
  name: string;
  who: string;
  cycle: (db: Db, f: Fixture) => Promise<number>;
  eventId?: string;
  toast: 'success' | 'error' | 'info';
  says: RegExp;
  leftToOrdinary?: boolean;
  before?: (db: Db, f: Fixture) => Promise<void>;
}

const steps: Step[] = [
  { name: 'not an administrator', who: personas.leader, cycle: fixtureCycle, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: 'no such cycle', who: ADMIN, cycle: async () => 999_999, toast: 'error', says: /找不到这一年度的评审/, leftToOrdinary: true },
  { name: 'the cycle still takes applications', who: ADMIN, cycle: fixtureCycle, toast: 'info', says: new RegExp(`^${YEAR}年度评审仍在接受申报`), leftToOrdinary: true },
  {
    name: 'an application accepted but not assigned',
    who: ADMIN,
    cycle: fixtureCycle,
    toast: 'error',
    says: /^还有 1 份已受理的申报尚未分配专家（GDSZ-2025-0003）/,
    leftToOrdinary: true,
    before: async (db, f) => {
      await db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
      await db.update(applications).set({ status: 'accepted' }).where(eq(applications.id, f.appC));
    },
  },
  {
    name: 'an application still being scored',
    who: ADMIN,
    cycle: fixtureCycle,
    toast: 'error',
    says: /^还有 1 份申报未完成评分（GDSZ-2025-0004）/,
    leftToOrdinary: true,
    // team C scored with no sheet submitted: aggregated with no final score
    before: async (db, f) => void (await db.update(applications).set({ status: 'scored' }).where(eq(applications.id, f.appC))),
  },
  {
    name: '汇总 by ADMIN_OPEN_IDS: team D scored by two, team C by nobody',
    who: ADMIN,
    cycle: fixtureCycle,
    eventId: 'evt_close_fixture',
    toast: 'success',
    says: /^已汇总 2 份申报：授予称号 1 个，推荐 1 个。请核对后公布。$/,
    before: async (db, f) => {
      await db.update(assignments).set({ status: 'submitted', total: 85.3, scores: defaultScores(85.3), submittedAt: new Date(NOW) }).where(eq(assignments.id, f.ownTask));
      await db.update(assignments).set({ status: 'submitted', total: 90.1, scores: defaultScores(90.1), submittedAt: new Date(NOW) }).where(eq(assignments.id, f.foreignTask));
      await db.update(applications).set({ status: 'scored' }).where(eq(applications.id, f.appD));
    },
  },
  { name: 'the same delivery again', who: ADMIN, cycle: fixtureCycle, eventId: 'evt_close_fixture', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: '汇总 clicked again, the cycle closed', who: ADMIN, cycle: fixtureCycle, toast: 'info', says: new RegExp(`^已于 \\d{4}年\\d+月\\d+日 \\d\\d:\\d\\d 汇总${YEAR}年度专家评分，无需重复汇总。$`), leftToOrdinary: true },
  {
    // the year ends with no title (test/db/yearEnd.test.ts); the statement leaves it to the ordinary path
    name: 'nothing scored',
    who: ADMIN,
    cycle: (db) => byYear(db, 2028),
    toast: 'success',
    says: /^2028年度没有完成评分的申报，汇总已完成，不授予称号。/,
    leftToOrdinary: true,
    before: async (db) => void (await seedScoringCycle(db, { year: 2028, sheet: defaultScoreSheet, awardThreshold: 85, recommendShare: 0.1, apps: [] })),
  },
  {
    // it would miss the review without a word: the formal check accepts or returns it first
    name: 'three scored, one still waiting for the formal check',
    who: ADMIN,
    cycle: (db) => byYear(db, 2030),
    toast: 'error',
    says: /^还有 1 份申报待形式审查（GDSZ-2025-0004）：请先在“形式审查”中受理（再分配专家评分）或退回，之后再汇总。$/,
    leftToOrdinary: true,
    before: async (db, f) => {
      const c = fourTeams(f, 2030);
      const id = await seedScoringCycle(db, { ...c, apps: c.apps.slice(0, 3) });
      await db.insert(applications).values({ teamId: f.teamD.id, cycleId: id, status: 'recommended', form: applicationForm(), submittedAt: new Date('2030-03-01T00:00:00Z') });
    },
  },
  {
    name: '汇总 by an administrator of the stored role: four teams, trimmed, an outlier, a tie',
    who: ROLE_ADMIN,
    cycle: (db) => byYear(db, 2029),
    eventId: 'evt_close_2029',
    toast: 'success',
    says: /^已汇总 4 份申报：授予称号 3 个，推荐 3 个（2 个按推荐比例，另有 1 个与之同分并列）。请核对后公布。$/,
    before: async (db, f) => void (await seedScoringCycle(db, fourTeams(f, 2029))),
  },
];

/** What the database holds that a close writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  const cycleRows = (await db.select({ id: cycles.id, year: cycles.year, status: cycles.status, updatedAt: cycles.updatedAt }).from(cycles).orderBy(cycles.id)).map((c) => ({
    ...c,
    updatedAt: c.updatedAt.getTime() === Date.parse(NOW) ? NOW : 'seeded',
  }));
  const apps = (await db.select().from(applications).orderBy(applications.id)).map(({ createdAt: _c, updatedAt, ...a }) => ({ ...a, updatedAt: updatedAt.getTime() === Date.parse(NOW) ? NOW : 'seeded' }));
  const reviews = rowsOf(await db.execute(sql`select id, final_score::text as final_score, review::text as review from applications order by id`));
  const tasks = await db.select({ applicationId: assignments.applicationId, expert: assignments.expertOpenId, status: assignments.status }).from(assignments).orderBy(assignments.id);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, at, ...a }) => ({ ...a, at: at.getTime() === Date.parse(NOW) ? NOW : 'real time' }));
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_close_%')).orderBy(processedEvents.eventId);
  return { cycleRows, apps, reviews, tasks, audits, out, events };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  cycles: (await db.select({ id: cycles.id, status: cycles.status, at: cycles.updatedAt }).from(cycles).orderBy(cycles.id)).map((c) => `${c.id}:${c.status}:${c.at.toISOString()}`),
  apps: rowsOf(await db.execute(sql`select id, status, final_score::text, rank, decision, review::text, updated_at::text from applications order by id`)).map((a) => JSON.stringify(a)),
});

const probe = (step: { eventId?: string; who: string }, cycleId: number, now: Date): FastCloseScoring => ({
  eventId: step.eventId ?? `probe_${randomEventId()}`,
  eventType: 'card.action.trigger',
  openId: step.who,
  cycleId,
  now,
  bootstrapAdmins: [ADMIN],
});

describe('结束评分并汇总 through signed callbacks: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    await seedExperts(h.db.db);
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
        await leavesToOrdinary(() => counts(db), () => fastCloseScoring(h.db, probe(step, cycleId, h.clock.now()), async () => null));
      }
      const body: Body = await h.click(step.who, { action: 'results.close', cycleId }, {}, { eventId: step.eventId ?? `evt_close_step${i}`, messageId: `om_close_${i}` });
      expectAnswer(body, step, mode);
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('the preview shows the ranks the statement stored, and the fake Open Platform received the same messages', async () => {
    const preview = JSON.stringify(worlds.fast.answers[steps.length - 1].card?.data);
    for (const code of ['GDSZ-2025-0001', 'GDSZ-2025-0002', 'GDSZ-2025-0003', 'GDSZ-2025-0004']) expect(preview).toContain(code);
    const stored = await worlds.fast.h.db.db
      .select({ code: teams.code, rank: applications.rank, decision: applications.decision })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(eq(applications.cycleId, await byYear(worlds.fast.h.db.db, 2029)))
      .orderBy(asc(teams.code));
    // A: 86, 88.5, 91.25 kept (88.58); B: 78.47; C and D: 87.7, ranked 2 both
    expect(stored).toEqual([
      { code: 'GDSZ-2025-0001', rank: 1, decision: 'awarded' },
      { code: 'GDSZ-2025-0002', rank: 4, decision: 'not_awarded' },
      { code: 'GDSZ-2025-0003', rank: 2, decision: 'awarded' },
      { code: 'GDSZ-2025-0004', rank: 2, decision: 'awarded' },
    ]);
    const sent = await inEachWorld(worlds, async (w) => w.h.fake.messages.map((m) => JSON.stringify([m.receiveId, m.msgType, m.content])).sort());
    expect(sent.fast).toEqual(sent.ordinary);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// what the statement leaves to the ordinary path, round trips, a cycle changed under it (PostgreSQL)

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
/** The default sheet changed by `change` (a copy). */
const sheetWith = (change: (s: any) => void): unknown => {
  const s = clone(defaultScoreSheet) as any;
  change(s);
  return s;
};

/** Stored sheets the schema would not take as they are, each breaking one of its rules (cycleScoreSheet fails on them, or trims). */
const oddSheets: [string, unknown, 'ordinary succeeds' | 'ordinary fails'][] = [
  ['a title with a leading space (trimmed)', sheetWith((s) => (s.title = ' 评分表')), 'ordinary succeeds'],
  ['a title not text', sheetWith((s) => (s.title = 123)), 'ordinary fails'],
  ['items adding up to another total', sheetWith((s) => (s.total = 101)), 'ordinary fails'],
  ['a total not in half points', sheetWith((s) => { s.total = 99.3; s.areas[0].items[0].max = 4.3; }), 'ordinary fails'],
  ['items in quarter points adding up', sheetWith((s) => { s.areas[0].items[0].max = 4.75; s.areas[0].items[1].max = 5.25; }), 'ordinary fails'],
  ['no area', sheetWith((s) => { s.areas = []; s.total = 0.5; }), 'ordinary fails'],
  ['areas not a list', sheetWith((s) => (s.areas = { a: 1 })), 'ordinary fails'],
  ['an area not an object', sheetWith((s) => s.areas.push('x')), 'ordinary fails'],
  ['an area code not text', sheetWith((s) => (s.areas[0].code = 1)), 'ordinary fails'],
  ['an area code with a trailing space (trimmed)', sheetWith((s) => (s.areas[0].code = '1 ')), 'ordinary succeeds'],
  ['an area name empty', sheetWith((s) => (s.areas[1].name = '')), 'ordinary fails'],
  ['an area name not text', sheetWith((s) => (s.areas[1].name = 7)), 'ordinary fails'],
  ['an article null', sheetWith((s) => (s.areas[2].article = null)), 'ordinary fails'],
  ['an area without items', sheetWith((s) => s.areas.push({ code: '8', name: '空区域', items: [] })), 'ordinary fails'],
  ['items not a list', sheetWith((s) => s.areas.push({ code: '8', name: '空区域', items: {} })), 'ordinary fails'],
  ['an item not an object', sheetWith((s) => s.areas[0].items.push(5)), 'ordinary fails'],
  ['an item code with a leading tab (trimmed)', sheetWith((s) => (s.areas[0].items[0].code = '\t1.1')), 'ordinary succeeds'],
  ['an item code not text', sheetWith((s) => (s.areas[0].items[0].code = 11)), 'ordinary fails'],
  ['an item name with an ideographic space (trimmed)', sheetWith((s) => (s.areas[0].items[0].name = '目标分解\u3000')), 'ordinary succeeds'],
  ['an item of 0 points', sheetWith((s) => s.areas[0].items.push({ code: '1.9', name: '零分项', max: 0 })), 'ordinary fails'],
  ['an item of "5" points (text)', sheetWith((s) => s.areas[0].items.push({ code: '1.9', name: '文字分值', max: '5' })), 'ordinary fails'],
  ['two items of one code', sheetWith((s) => { s.areas[0].items.push({ code: '1.1', name: '重复', max: 0.5 }); s.total = 100.5; }), 'ordinary fails'],
  ['an item coded as a property of every object', sheetWith((s) => { s.areas[0].items.push({ code: 'constructor', name: '构造', max: 0.5 }); s.total = 100.5; }), 'ordinary succeeds'],
  ['an item of more points than the statement adds exactly', sheetWith((s) => { s.areas[0].items.push({ code: '1.9', name: '大分值', max: 200000 }); s.total = 200100; }), 'ordinary succeeds'],
  ['a sheet not an object', ['评分表'], 'ordinary fails'],
];

/** Score sheets of a panel the statement does not read as Number(scores[code] ?? 0) reads them. */
const oddScores: [string, unknown][] = [
  ['a score typed as text', { ...defaultScores(88), '1.1': '5' }],
  ['a score as a boolean', { ...defaultScores(88), '1.2': true }],
  ['scores as a list', [5, 5, 5]],
  ['scores as a number', 88],
  ['a score too large to add exactly', { ...defaultScores(88), '1.3': 10_000_000 }],
];

describe.skipIf(!isPostgres)('结束评分并汇总 on PostgreSQL: what the statement leaves, one round trip, a cycle changed under it', () => {
  const bot = countedFixtureBot(seedExperts);
  const click = (openId: string, value: Record<string, unknown>, eventId?: string) => bot.click<Body>(openId, value, undefined, eventId);
  let year = 2100;

  const direct = (cycleId: number, on: Database = bot.base, eventId = `probe_${randomEventId()}`, openId = ADMIN) =>
    fastCloseScoring(on, { eventId, eventType: 'card.action.trigger', openId, cycleId, now: bot.clock.now(), bootstrapAdmins: [ADMIN] }, async () => null);

  it('an administrator by the stored role or by ADMIN_OPEN_IDS closes in the statement; nobody else does', async () => {
    for (const [who, closes] of [[personas.expert, false], [OTHER_EXPERT, false], [ROLE_ADMIN, true], [ADMIN, true]] as const) {
      const id = await seedScoringCycle(bot.db, fourTeams(bot.f, year++));
      const before = await counts(bot.db);
      const done = await direct(id, bot.base, undefined, who);
      if (closes) expect(done, who).toMatchObject({ applications: 4, awarded: 3, recommended: 3, read: null });
      else {
        expect(done, who).toBeUndefined();
        expect(await counts(bot.db)).toEqual(before);
      }
    }
  });

  it('结束评分并汇总 costs one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    // the fast path last, so that the bot's one connection last ran its transaction
    for (const fast of [false, true]) {
      bot.app.processor.fastPaths = fast;
      for (const step of ['warm', 'measured']) {
        const id = await seedScoringCycle(bot.db, fourTeams(bot.f, year++));
        const { body, trips } = await click(ADMIN, { action: 'results.close', cycleId: id });
        expect(body.toast, JSON.stringify(body.toast)).toMatchObject({ type: 'success', content: '已汇总 4 份申报：授予称号 3 个，推荐 3 个（2 个按推荐比例，另有 1 个与之同分并列）。请核对后公布。' });
        expect((await bot.db.select().from(cycles).where(eq(cycles.id, id)))[0].status).toBe('closed');
        if (step === 'measured') figures[fast ? 'one statement' : 'ordinary path'] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    // the planner settings the statement ran with ended with its transaction: the bot's one connection is as before
    const settings = rowsOf(await bot.counted.db.execute(sql`select current_setting('jit') as jit, current_setting('enable_nestloop') as nestloop`));
    expect(settings).toEqual([{ jit: expect.not.stringMatching(/^off$/), nestloop: 'on' }]);
    console.log(`结束评分并汇总 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
    expect(figures['ordinary path']).toBeGreaterThan(1);
  });

  it.each(oddSheets)('a stored sheet with %s is the ordinary path’s', async (_name, sheet, ordinary) => {
    const c = fourTeams(bot.f, year++);
    const id = await seedScoringCycle(bot.db, { ...c, sheet });
    const before = await counts(bot.db);
    expect(await direct(id)).toBeUndefined();
    expect(await counts(bot.db)).toEqual(before);
    if (ordinary === 'ordinary succeeds') {
      const { body } = await click(ADMIN, { action: 'results.close', cycleId: id });
      expect(body.toast?.type, JSON.stringify(body.toast)).toBe('success');
      expect((await bot.db.select().from(cycles).where(eq(cycles.id, id)))[0].status).toBe('closed');
    }
  });

  it.each(oddScores)('a panel with %s is the ordinary path’s', async (_name, scores) => {
    const c = fourTeams(bot.f, year++);
    c.apps[1].sheets[0] = { ...c.apps[1].sheets[0], scores };
    const id = await seedScoringCycle(bot.db, c);
    const before = await counts(bot.db);
    expect(await direct(id)).toBeUndefined();
    expect(await counts(bot.db)).toEqual(before);
    const { body } = await click(ADMIN, { action: 'results.close', cycleId: id });
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('success');
  });

  it('a team code beyond ASCII is the ordinary path’s (its tie-break is JavaScript’s <)', async () => {
    await bot.db.update(teams).set({ code: 'GDSZ-2025-０００２' }).where(eq(teams.id, bot.f.teamB.id));
    try {
      const id = await seedScoringCycle(bot.db, fourTeams(bot.f, year++));
      const before = await counts(bot.db);
      expect(await direct(id)).toBeUndefined();
      expect(await counts(bot.db)).toEqual(before);
    } finally {
      await bot.db.update(teams).set({ code: bot.f.teamB.code }).where(eq(teams.id, bot.f.teamB.id));
    }
  });

  it('a session whose float8 text is not the shortest round trip is the ordinary path’s', async () => {
    // '0' as text: postgres.js leaves out a start-up parameter whose value is falsy
    const client = postgres(bot.base.url!, { max: 1, onnotice: () => {}, connection: { extra_float_digits: '0' } as never });
    const short: Database = { db: drizzle(client, { schema }) as unknown as Db, kind: 'postgres', ping: async () => void (await client`select 1`), close: () => client.end({ timeout: 5 }) };
    try {
      const id = await seedScoringCycle(bot.db, fourTeams(bot.f, year++));
      const before = await counts(bot.db);
      expect(await direct(id, short)).toBeUndefined();
      expect(await counts(bot.db)).toEqual(before);
      // the same cycle on an ordinary session: closed
      expect(await direct(id)).toMatchObject({ applications: 4, awarded: 3, recommended: 3 });
    } finally {
      await short.close();
    }
  });

  it('a cycle already closed takes no claim: the statement does not wait for the event’s row', async () => {
    const id = await seedScoringCycle(bot.db, fourTeams(bot.f, year++));
    await bot.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, id));
    const eventId = randomEventId();
    // the same event id claimed by a transaction not yet committed: a claim of it would wait
    const other = await heldTransaction(bot.db, (tx) => tx.insert(processedEvents).values({ eventId, eventType: 'probe' }), { rollback: true });
    let answered = false;
    const attempt = direct(id, bot.base, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    const waited = !answered;
    other.release();
    await other.ended;
    expect(await attempt).toBeUndefined();
    expect(waited).toBe(false);
  });

  it('a 重开评分 holding the cycle: the statement reads what it committed, and the ordinary path refuses', async () => {
    const id = await seedScoringCycle(bot.db, fourTeams(bot.f, year++));
    const [task] = await bot.db
      .select({ id: assignments.id, applicationId: assignments.applicationId })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .where(and(eq(applications.cycleId, id), eq(applications.teamId, bot.f.teamD.id)));
    // what reopenScore does under the cycle's lock: the sheet back to its expert, the application back to scoring
    const other = await heldTransaction(bot.db, async (tx) => {
      await tx.execute(sql`select 1 from cycles where id = ${id} for update`);
      await tx.update(assignments).set({ status: 'assigned', submittedAt: null }).where(eq(assignments.id, task.id));
      await tx.update(applications).set({ status: 'scoring' }).where(eq(applications.id, task.applicationId));
    });
    let answered = false;
    const clicked = click(ADMIN, { action: 'results.close', cycleId: id }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(bot.db)) > 0);
    expect(answered).toBe(false);
    const before = await counts(bot.db);
    other.release();
    await other.ended;
    const { body } = await clicked;
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('error');
    expect(body.toast?.content).toMatch(/^还有 1 份申报未完成评分（GDSZ-2025-0004）/);
    // what to do, with what exists: the reminders as they come (not a daily one weeks before the deadline), or 更换专家 on
    // the application's panel (there is no 催办 button)
    expect(body.toast?.content).toMatch(/待评的专家会在评分截止（\d{4}年\d{1,2}月\d{1,2}日）前 3 天、前 1 天和逾期后收到提醒，可等其提交，或在“评审进度”中打开该申报的专家组“更换专家”，之后再汇总。$/);
    expect(body.toast?.content).not.toContain('每天');
    expect((await bot.db.select().from(cycles).where(eq(cycles.id, id)))[0].status).toBe('scoring');
    expect((await bot.db.select().from(applications).where(eq(applications.cycleId, id))).every((a) => a.finalScore === null && a.review === null)).toBe(true);
    expect((await counts(bot.db)).audits).toBe(before.audits);
  });

  it('结束评分并汇总 and 重开评分 clicked at once end as one of them after the other', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await seedScoringCycle(bot.db, fourTeams(bot.f, year++));
      const [task] = await bot.db
        .select({ id: assignments.id })
        .from(assignments)
        .innerJoin(applications, eq(applications.id, assignments.applicationId))
        .where(and(eq(applications.cycleId, id), eq(applications.teamId, bot.f.teamD.id)));
      const [closing, reopening] = await Promise.all([click(ADMIN, { action: 'results.close', cycleId: id }), click(ROLE_ADMIN, { action: 'review.reopen', assignmentId: task.id })]);
      expect(reopening.body.toast?.type, JSON.stringify(reopening.body.toast)).toBe('success');
      const apps = await bot.db.select().from(applications).innerJoin(teams, eq(teams.id, applications.teamId)).where(eq(applications.cycleId, id)).orderBy(asc(teams.code));
      const [cycle] = await bot.db.select().from(cycles).where(eq(cycles.id, id));
      // either order leaves the cycle scoring and team D's application waiting for its sheet
      expect(cycle.status).toBe('scoring');
      expect(apps.map((a) => a.applications.status)).toEqual(['scored', 'scored', 'scored', 'scoring']);
      if (closing.body.toast?.type === 'success') {
        // closed first, then reopened: everything aggregated, the cycle put back to scoring by the reopen
        expect(apps.every((a) => a.applications.finalScore !== null)).toBe(true);
        expect(await bot.db.select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(id))))).toEqual([
          { action: 'cycle.closeScoring' },
          { action: 'review.aggregate' },
          { action: 'cycle.reopenScoring' },
        ]);
      } else {
        // reopened first: the close refused, nothing aggregated
        expect(closing.body.toast?.content).toMatch(/^还有 1 份申报未完成评分/);
        expect(apps.every((a) => a.applications.finalScore === null)).toBe(true);
        expect(await bot.db.select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(id))))).toEqual([]);
      }
    }
  });
});

describe('结束评分并汇总 clicked twice at once, the fast paths on', () => {
  let h: Harness;
  let f: Fixture;

  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    await seedExperts(h.db.db);
  });

  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['two administrators', [ADMIN, ROLE_ADMIN]],
    ['one administrator, the click delivered twice under two event ids', [ADMIN, ADMIN]],
  ] as const)('by %s: aggregated once; the other answered as the ordinary path answers a second click', async (_name, who) => {
    for (let round = 0; round < 3; round++) {
      const db = h.db.db;
      const year = 2200 + (await db.select({ n: count() }).from(cycles))[0].n;
      const id = await seedScoringCycle(db, fourTeams(f, year));
      const before = await lastAuditId(db);
      const both = (await Promise.all(who.map((openId) => h.click(openId, { action: 'results.close', cycleId: id })))) as Body[];
      const winner = both.findIndex((b) => b.toast?.type === 'success');
      expect(winner, JSON.stringify(both.map((b) => b.toast))).toBeGreaterThanOrEqual(0);
      expect(both[winner].toast?.content).toBe('已汇总 4 份申报：授予称号 3 个，推荐 3 个（2 个按推荐比例，另有 1 个与之同分并列）。请核对后公布。');
      const loser = both[1 - winner];
      // a second click, told when the first was done
      expect(loser.toast?.type, JSON.stringify(loser.toast)).toBe('info');
      expect(loser.toast?.content).toMatch(new RegExp(`^已于 \\d{4}年\\d+月\\d+日 \\d\\d:\\d\\d 汇总${year}年度专家评分，无需重复汇总。$`));
      expect((await db.select({ action: auditLog.action }).from(auditLog).where(gt(auditLog.id, before)).orderBy(auditLog.id)).map((a) => a.action)).toEqual(['cycle.closeScoring', 'review.aggregate']);
      expect((await db.select().from(cycles).where(eq(cycles.id, id)))[0].status).toBe('closed');
    }
  });
});
