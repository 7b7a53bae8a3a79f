import { and, asc, desc, eq, gt, inArray, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, certificates, cycles, honours, organizations, people, teams } from '../../db/schema.js';
import { type ApplicationStatus, applicationMachine, barHolds, revocationsBarring } from '../applications.js';
import { audit } from '../audit.js';
import { type Cycle, cycleScoreSheet, cycleStatusLabel, transitionCycle } from '../cycles.js';
import { AlreadyDone, UserError } from '../errors.js';
import { readCode } from '../forms.js';
import type { Actor } from '../people.js';
import { requireAdmin } from '../permissions.js';
import { PENDING_PREFIX } from '../import/people.js';
import { LATE_RESULT_DAYS, revocationBarDays } from '../policy.js';
import type { AreaSubtotal, ScoreSheet } from '../scoreSheet.js';
import { mustRecuseSql } from './scoring.js';
import { aggregatePanel, aggregationRuleOf, decideResults, type Outlier, recommendedAmong, recommendPlaces, type PanelScore } from './aggregation.js';
import { formatDateZh } from '../dates.js';
import { scoringDeadlineOffsets } from '../jobs/reminders.js';
import { rowsOf } from '../outbox.js';

/** 评定与公布 (第二十条、第二十一条): close scoring and aggregate, preview, publish with honours. */

/** What aggregation stores in applications.review. */
export interface StoredReview {
  rule: 'mean' | 'trimmedMean';
  median: number | null;
  totals: { assignmentId: number; expertOpenId: string; total: number; counted: boolean; outlier: boolean }[];
  areas: AreaSubtotal[];
  outliers: Outlier[];
  awarded: boolean;
  recommended: boolean;
  aggregatedAt: string;
  /**
   * Set at 公布结果 when the score reached the line but the team's title of `year` was revoked at `revokedAt` (ISO)
   * after its application was accepted, and the bar of E5 (协会规定) still held: no title this year (第二十二条).
   */
  withheld?: { year: number; revokedAt: string; barDays: number | null };
}

export type Decision = 'awarded' | 'not_awarded';

const lockingCycle = (tx: Db, cycleId: number) => tx.select().from(cycles).where(eq(cycles.id, cycleId)).for('update');

function found(cycle: Cycle | undefined): Cycle {
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  return cycle;
}

async function lockCycle(tx: Db, cycleId: number): Promise<Cycle> {
  const [cycle] = await lockingCycle(tx, cycleId);
  return found(cycle);
}

/** Submitted score sheets of the cycle's scored applications. */
function submittedSheetsOfScored(tx: Db, cycleId: number) {
  return tx
    .select({ applicationId: assignments.applicationId, assignmentId: assignments.id, expertOpenId: assignments.expertOpenId, total: assignments.total, scores: assignments.scores })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .where(and(eq(applications.cycleId, cycleId), eq(applications.status, 'scored'), eq(assignments.status, 'submitted')))
    .orderBy(asc(assignments.id));
}

/** Score sheets grouped by application. */
function submittedPanels(rows: Awaited<ReturnType<typeof submittedSheetsOfScored>>): Map<number, PanelScore[]> {
  const panels = new Map<number, PanelScore[]>();
  for (const r of rows) {
    const list = panels.get(r.applicationId) ?? [];
    list.push({ assignmentId: r.assignmentId, expertOpenId: r.expertOpenId, total: Number(r.total), scores: (r.scores ?? {}) as Record<string, number> });
    panels.set(r.applicationId, list);
  }
  return panels;
}

/**
 * How many scored applications 结束评分并汇总 aggregates inside the callback; a larger cycle is aggregated by a job
 * (bot/results/aggregateJob.ts) and the callback answers with its progress card. A thousand take about 0.2 s on
 * PostgreSQL and on PGlite, well inside Feishu's 3 s for a card callback; ten thousand take 1.8 s on PostgreSQL's
 * one-statement path, 0.9 s on the ordinary one, 1.6 s on PGlite, with the machine otherwise idle. Tests lower it.
 */
export const aggregation = { inCallbackMax: 1000 };

/** What 结束评分并汇总 found when it checked the cycle, under the cycle's lock. */
export interface ScoringToClose {
  cycle: Cycle;
  /** The scored applications, with their team's code (decideResults' tie-break). */
  scored: { id: number; code: string }[];
}

/** The first five team codes of a list, and 等 when there are more. */
export const codesOf = (rows: { code: string }[]) => `${rows.slice(0, 5).map((r) => r.code).join('、')}${rows.length > 5 ? ' 等' : ''}`;

/** What keeps a year's scoring from being closed (`scoringToClose`), among its applications under review, in the order it names them. */
export interface ScoringLeft<R> {
  /** 已推荐: the formal check has yet to accept or return them. */
  unchecked: R[];
  /** 已受理 with no expert given (受理 after 分配专家). */
  unassigned: R[];
  /** Being scored: a sheet still assigned (its expert to submit, or to be replaced when they must step aside). */
  waiting: R[];
  /** Being scored, yet every expert of the panel declined or stepped aside: nobody will score it. */
  unstaffed: R[];
}

/**
 * 结束评分并汇总's checks of the applications under review (recommended, accepted, scoring), shared by the refusal
 * (`scoringToClose`) and the review meeting reminder (`scoringLeftOf`), so the two never disagree. `assigned`: each
 * scoring application's status and sheets still assigned, read again; without it none counts as unstaffed. One
 * scored since the first read (its last sheet submitted) is still waiting: a click again sums it.
 */
export function scoringLeft<R extends { id: number; status: string }>(underReview: R[], assigned?: ReadonlyMap<number, { status: string; n: number }>): ScoringLeft<R> {
  const scoring = underReview.filter((r) => r.status === 'scoring');
  const nobodyScores = (r: { id: number }) => assigned?.get(r.id)?.status === 'scoring' && !(Number(assigned.get(r.id)?.n) > 0);
  return {
    unchecked: underReview.filter((r) => r.status === 'recommended'),
    unassigned: underReview.filter((r) => r.status === 'accepted'),
    waiting: scoring.filter((r) => !nobodyScores(r)),
    unstaffed: scoring.filter(nobodyScores),
  };
}

/** A scoring year's applications left to close (`scoringLeft`), with the sheets they wait for and the scored ones. */
export interface ScoringLeftOfCycle extends ScoringLeft<{ id: number; status: string; code: string }> {
  /** Sheets still assigned to an expert who may score them. */
  sheets: number;
  /** Sheets still assigned to an expert who must step aside (第十七条): they wait for 更换专家, not for the expert. */
  toReplace: number;
  /** Applications scored, ready to be summed. */
  scored: number;
}

/** For the reminders: each cycle's applications left to close (`scoringLeft`), as they stand now (no lock). */
export async function scoringLeftOf(db: Db, cycleIds: number[]): Promise<Map<number, ScoringLeftOfCycle>> {
  if (!cycleIds.length) return new Map();
  const recused = mustRecuseSql(assignments.expertOpenId);
  const rows = await db
    .select({
      cycleId: applications.cycleId,
      id: applications.id,
      status: applications.status,
      code: teams.code,
      n: sql<number>`(count(${assignments.id}))::int`,
      toReplace: sql<number>`(count(${assignments.id}) filter (where ${recused}))::int`,
    })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .leftJoin(assignments, and(eq(assignments.applicationId, applications.id), eq(assignments.status, 'assigned')))
    .where(and(inArray(applications.cycleId, cycleIds), inArray(applications.status, ['recommended', 'accepted', 'scoring', 'scored'])))
    .groupBy(applications.cycleId, applications.id, teams.id)
    .orderBy(asc(teams.code));
  return new Map(
    cycleIds.map((cycleId) => {
      const ofCycle = rows.filter((r) => r.cycleId === cycleId);
      const underReview = ofCycle.filter((r) => r.status !== 'scored');
      const left = scoringLeft(underReview, new Map(underReview.map((r) => [r.id, { status: r.status, n: Number(r.n) }])));
      const sum = (key: 'n' | 'toReplace') => left.waiting.reduce((n, r) => n + Number(r[key]), 0);
      return [cycleId, { ...left, sheets: sum('n') - sum('toReplace'), toReplace: sum('toReplace'), scored: ofCycle.length - underReview.length }];
    }),
  );
}

/**
 * When the experts with sheets left are reminded (src/jobs/reminders.ts: 3 days and 1 day before 评分截止, then each day of
 * the first week overdue and weekly after): said as it stands, not a daily reminder the deadline is weeks from.
 */
function scoringRemindersText(scoringDeadline: string): string {
  return `待评的专家会在评分截止（${formatDateZh(scoringDeadline)}）前 ${scoringDeadlineOffsets.join(' 天、前 ')} 天和逾期后收到提醒，`;
}

/**
 * 结束评分并汇总's checks: the cycle, locked, is scoring, no application waits for the formal check, and every one
 * under review is scored (none at all ends the year with no title). `alsoRead` is issued with the checks' reads, in
 * their round trip, and answered beside them.
 */
export async function scoringToClose<T = undefined>(tx: Db, actor: Actor, cycleId: number, alsoRead?: Promise<T>): Promise<ScoringToClose & { also: T }> {
  requireAdmin(actor);
  // issued together (one round trip): the reads run once the cycle's lock is granted; a refusal leaves them unused
  const [[locked], underReview, scored, also] = await Promise.all([
    lockingCycle(tx, cycleId),
    tx
      .select({ id: applications.id, status: applications.status, code: teams.code })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(applications.cycleId, cycleId), inArray(applications.status, ['recommended', 'accepted', 'scoring'])))
      .orderBy(asc(teams.code)),
    tx
      .select({ id: applications.id, code: teams.code })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(applications.cycleId, cycleId), eq(applications.status, 'scored'))),
    alsoRead as Promise<T>,
  ]);
  const cycle = found(locked);
  if (cycle.status === 'open') throw new UserError(`${cycle.year}年度评审仍在接受申报，请先“截止申报”，待专家评分完成后再汇总。`, { kind: 'info' });
  if (cycle.status === 'closed' || cycle.status === 'published') {
    // a second click: when it was done (what the cycle's transition recorded)
    // and, its results published since, that they are (the card answered with it shows 公布结果 while they are not)
    const now = cycle.status === 'published' ? `${cycle.year}年度评审结果已公布；要查看，请发送“评审结果 ${cycle.year}”。` : '';
    throw new AlreadyDone('汇总', { action: 'cycle.closeScoring', entity: 'cycle', entityId: cycle.id }, `${cycle.year}年度专家评分`, `${cycle.year}年度评审${cycleStatusLabel(cycle.status)}，不能再汇总评分。`, now);
  }
  if (cycle.status !== 'scoring') throw new UserError(`${cycle.year}年度评审${cycleStatusLabel(cycle.status)}，不能再汇总评分。`, { kind: 'info' });
  // an application the formal check has yet to accept or return would miss the review without a word: it is named first
  const { unchecked, unassigned, waiting: scoring } = scoringLeft(underReview);
  if (unchecked.length) {
    throw new UserError(`还有 ${unchecked.length} 份申报待形式审查（${codesOf(unchecked)}）：请先在“形式审查”中受理（再分配专家评分）或退回，之后再汇总。`);
  }
  if (unassigned.length) {
    throw new UserError(`还有 ${unassigned.length} 份已受理的申报尚未分配专家（${codesOf(unassigned)}），请先“分配专家”。`);
  }
  // experts still to score each (a refusal's read, apart: counted in the checks' read, its cost estimated over every
  // application of the year before the statistics caught up with their being scored, it was compiled (JIT) at each
  // 结束评分并汇总, 80–90 ms), with the application's status read again in the same statement: a 提交评分 holds no
  // lock of the cycle, so the last sheet of a panel may commit between the two reads, and its application, scored now,
  // is not one whose experts all declined
  const current = new Map(
    scoring.length
      ? (
          await tx
            .select({ id: applications.id, status: applications.status, n: sql<number>`count(${assignments.id})::int` })
            .from(applications)
            .leftJoin(assignments, and(eq(assignments.applicationId, applications.id), eq(assignments.status, 'assigned')))
            .where(inArray(applications.id, scoring.map((r) => r.id)))
            .groupBy(applications.id)
        ).map((r) => [r.id, r])
      : [],
  );
  // every expert of the panel declined or stepped aside (nobody will score it, the panel is to be filled again); the rest
  // are still being scored, or were completed by a sheet submitted since the checks' read (a click again sums them)
  const { waiting, unstaffed } = scoringLeft(scoring, current);
  if (waiting.length || unstaffed.length) {
    const parts = [
      ...(waiting.length ? [`还有 ${waiting.length} 份申报未完成评分（${codesOf(waiting)}）。${scoringRemindersText(cycle.scoringDeadline)}可等其提交，或在“评审进度”中打开该申报的专家组“更换专家”`] : []),
      ...(unstaffed.length
        ? [`${waiting.length ? '另有' : '还有'} ${unstaffed.length} 份申报的专家都已谢绝或回避，没有专家在评（${codesOf(unstaffed)}）：请在“专家库”中添加其他单位的专家（或提高评审上限），再点“分配专家”补足`]
        : []),
    ];
    throw new UserError(`${parts.join('；')}，之后再汇总。`);
  }
  // nothing scored and nothing left to score (nobody applied, or nothing was accepted): the year ends with no title, so
  // that it can be published and the next year opened (第十九条: one review a year; a year left in 专家评分中 would block it)
  return { cycle, scored, also };
}

export interface ScoringClosedSummary {
  cycle: Cycle;
  applications: number;
  awarded: number;
  recommended: number;
}

/**
 * 结束评分并汇总: every application under review must be complete; each gets its final score, rank and
 * decision (stored with the details in applications.review), and the cycle moves scoring → closed.
 */
export async function closeScoring(tx: Db, actor: Actor, cycleId: number, now: Date): Promise<ScoringClosedSummary> {
  // the sheets are read with the checks, in their round trip
  const checked = await scoringToClose(tx, actor, cycleId, submittedSheetsOfScored(tx, cycleId));
  return aggregateScoring(tx, actor, checked, checked.also, now);
}

/** The checks passed (`scoringToClose`): reads the sheets, then aggregates, decides and closes. */
export async function aggregateChecked(tx: Db, actor: Actor, checked: ScoringToClose, now: Date): Promise<ScoringClosedSummary> {
  return aggregateScoring(tx, actor, checked, await submittedSheetsOfScored(tx, checked.cycle.id), now);
}

async function aggregateScoring(
  tx: Db,
  actor: Actor,
  { cycle, scored }: ScoringToClose,
  sheets: Awaited<ReturnType<typeof submittedSheetsOfScored>>,
  now: Date,
): Promise<ScoringClosedSummary> {
  const cycleId = cycle.id;
  const sheet = cycleScoreSheet(cycle);
  // with no application pending, the scored ones and their sheets change only under the cycle's lock
  const panels = submittedPanels(sheets);
  const rule = aggregationRuleOf(cycle.settings);
  const results = scored.map((s) => ({ ...s, result: aggregatePanel(sheet, panels.get(s.id) ?? [], rule) }));
  const decisions = decideResults(
    results.filter((r) => r.result.finalScore !== null).map((r) => ({ applicationId: r.id, finalScore: r.result.finalScore!, tieBreak: r.code })),
    { awardThreshold: cycle.awardThreshold, recommendShare: cycle.recommendShare },
  );
  const byId = new Map(decisions.map((d) => [d.applicationId, d]));
  const rows: { id: number; final_score: string | null; rank: number | null; decision: Decision | null; review: StoredReview }[] = [];
  for (const r of results) {
    const d = byId.get(r.id);
    const outlierIds = new Set(r.result.outliers.map((o) => o.assignmentId));
    const counted = new Set(r.result.counted);
    const review: StoredReview = {
      rule: r.result.rule,
      median: r.result.median,
      totals: (panels.get(r.id) ?? []).map((p) => ({ assignmentId: p.assignmentId, expertOpenId: p.expertOpenId, total: p.total, counted: counted.has(p.assignmentId), outlier: outlierIds.has(p.assignmentId) })),
      areas: r.result.areas,
      outliers: r.result.outliers,
      awarded: d?.awarded ?? false,
      recommended: d?.recommended ?? false,
      aggregatedAt: now.toISOString(),
    };
    // the score as the numeric column's String(x) writes it
    rows.push({ id: r.id, final_score: r.result.finalScore === null ? null : String(r.result.finalScore), rank: d?.rank ?? null, decision: d ? (d.awarded ? 'awarded' : 'not_awarded') : null, review });
  }
  // one UPDATE for every application (ten thousand one at a time took seconds, the cycle's lock held throughout); the
  // rows go as one JSON parameter, which PostgreSQL and PGlite both unpack (jsonb_to_recordset)
  await tx.execute(sql`
    update ${applications} a set final_score = v.final_score::numeric, rank = v.rank, decision = v.decision, review = v.review, updated_at = ${now.toISOString()}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id int, final_score text, rank int, decision text, review jsonb)
    where a.id = v.id`);
  const awarded = decisions.filter((d) => d.awarded).length;
  const recommended = decisions.filter((d) => d.recommended).length;
  const updated = await transitionCycle(tx, actor, cycle, 'closeScoring', now, { applications: results.length, awarded, recommended });
  await audit(tx, {
    actor: actor.openId,
    action: 'review.aggregate',
    entity: 'cycle',
    entityId: cycleId,
    details: { results: decisions.map((d) => [d.applicationId, d.finalScore, d.rank, d.awarded, d.recommended]) },
    at: now,
  });
  return { cycle: updated, applications: results.length, awarded, recommended };
}

/**
 * The titles and recommendations that stand once the cycle is aggregated, as the preview counts them: a title a
 * revocation since 受理 holds back (E5, as publishResults decides it) is counted apart, and the 推荐 share is taken of
 * the rest. One read of the titles alone (no score sheets): the aggregation job's card ends with these counts.
 */
export async function standingTitles(tx: Db, cycle: Cycle, now: Date, timezone: string): Promise<{ awarded: number; recommended: number; places: number; withheld: number }> {
  const titled = await tx
    .select({ id: applications.id, teamId: applications.teamId, finalScore: applications.finalScore, review: applications.review })
    .from(applications)
    .where(and(eq(applications.cycleId, cycle.id), eq(applications.status, 'scored'), eq(applications.decision, 'awarded')));
  const barring = await revocationsBarring(tx, cycle, titled.map((a) => a.teamId), now, timezone);
  const standing = titled.filter((a) => !barring.has(a.teamId));
  const recommended = barring.size
    ? recommendedAmong(standing.filter((a) => a.finalScore !== null).map((a) => ({ applicationId: a.id, finalScore: Number(a.finalScore) })), cycle.recommendShare).size
    : standing.filter((a) => (a.review as Partial<StoredReview> | null)?.recommended).length;
  return { awarded: standing.length, recommended, places: recommendPlaces(standing.length, cycle.recommendShare), withheld: titled.length - standing.length };
}

export interface ResultRow {
  applicationId: number;
  teamId: number;
  code: string;
  team: string;
  organization: string;
  leaderOpenId: string;
  contactOpenId: string;
  title: string;
  category: string;
  /** The stored 申报表, for the workbook's columns. */
  form?: Record<string, unknown>;
  status: string;
  finalScore: number | null;
  rank: number | null;
  awarded: boolean;
  recommended: boolean;
  review: StoredReview | null;
  /** When its title was revoked after publishing (第二十二条); loadResults reads it, other reads leave it out. */
  revokedAt?: Date | null;
  /** The moment the team's latest title (of any year) was revoked; loadResults reads it, for the preview's E5. */
  teamRevokedAt?: Date | null;
  /** The 荣誉证书 number of the year's title, once published (第二十条); loadResults reads it, for the workbook. */
  certificate?: string | null;
  /** The team's name as that certificate was issued to it (a team renamed since keeps it there); loadResults reads it. */
  certificateTeamName?: string | null;
  /** The organisation as that certificate names it (a team moved to another since keeps its first one there); loadResults reads it. */
  certificateOrganization?: string | null;
}

export interface ScoreRow {
  assignmentId: number;
  applicationId: number;
  code: string;
  team: string;
  expertOpenId: string;
  expertName: string | null;
  /** The expert's organisation, as the association's secretary tells two experts apart. */
  expertOrganization: string | null;
  status: string;
  total: number | null;
  scores: Record<string, number>;
  comment: string | null;
}

export interface ResultsData {
  cycle: Cycle;
  /** The 结束评分并汇总 these results come from (none before the first): the preview's 公布结果 names it. */
  aggregation?: Aggregation;
  sheet: ScoreSheet;
  /** Every application that reached the review, best first (unranked last, by code). */
  rows: ResultRow[];
  /**
   * Every application of the year whatever its status (waiting for its organisation, returned, refused, reviewed…),
   * by code: the workbook's 申报 sheet, which counts as the admin card's 申报情况 does.
   */
  applications: ResultRow[];
  scores: ScoreRow[];
}

/** The statuses of an application that took part in the review. */
export const reviewedStatuses = ['accepted', 'scoring', 'scored', 'decided'];

/**
 * Before 公布结果: the teams whose title this year a revocation since 受理 holds back (the bar of E5 holding now, as
 * publishResults decides it); undefined before the sum and once published, when the stored review says so.
 */
export function withheldNow(results: ResultsData, now: Date, timezone: string): ReadonlySet<number> | undefined {
  if (results.cycle.status !== 'closed') return undefined;
  return new Set(results.rows.filter((r) => r.awarded && r.teamRevokedAt && barHolds({ revokedAt: r.teamRevokedAt }, results.cycle, now, timezone)).map((r) => r.teamId));
}

/**
 * Each result's title as the 评审结果 card and the workbook show it: held back (by `withheldTeams` before 公布结果, by
 * the stored review after), and recommended or not. A title held back leaves its 推荐 place to the titles that stand,
 * as publishResults decides it (第二十条).
 */
export function titlesAsTheyStand(data: ResultsData, withheldTeams?: ReadonlySet<number>): (r: ResultRow) => { withheld: boolean; recommended: boolean } {
  const standing = withheldTeams?.size
    ? recommendedAmong(
        data.rows.filter((r) => r.awarded && !withheldTeams.has(r.teamId) && r.finalScore !== null).map((r) => ({ applicationId: r.applicationId, finalScore: r.finalScore! })),
        data.cycle.recommendShare,
      )
    : undefined;
  return (r) => ({
    withheld: Boolean(r.review?.withheld || (r.awarded && withheldTeams?.has(r.teamId))),
    recommended: standing ? standing.has(r.applicationId) : r.recommended,
  });
}

/** One application's result as the notices and the workbook show it. */
function resultRow({ application: a, team, organization }: { application: typeof applications.$inferSelect; team: typeof teams.$inferSelect; organization: string }): ResultRow {
    const review = (a.review ?? null) as StoredReview | null;
    const form = (a.form ?? {}) as Record<string, unknown>;
    return {
      applicationId: a.id,
      teamId: team.id,
      code: team.code,
      team: team.name,
      organization,
      leaderOpenId: team.leaderOpenId,
      contactOpenId: team.contactOpenId,
      title: String(form.title ?? ''),
      category: String(form.category ?? ''),
      form,
      status: a.status,
      finalScore: a.finalScore === null ? null : Number(a.finalScore),
      rank: a.rank,
      awarded: a.decision === 'awarded',
      recommended: review?.recommended ?? false,
      review,
    };
}

/** Ranked results of the cycle after an application id, by id: one batch of the notices of 公布结果. */
export async function rankedResultsAfter(tx: Db, cycleId: number, afterId: number, limit: number): Promise<ResultRow[]> {
  const apps = await tx
    .select({ application: applications, team: teams, organization: organizations.name })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(and(eq(applications.cycleId, cycleId), inArray(applications.status, reviewedStatuses), isNotNull(applications.finalScore), isNotNull(applications.rank), gt(applications.id, afterId)))
    .orderBy(asc(applications.id))
    .limit(limit);
  return apps.map(resultRow);
}

/** Published results by application id, each with the moment its title was revoked (if it was): the result cards drawn at send time. */
export async function publishedResults(tx: Db, applicationIds: number[]): Promise<(ResultRow & { cycleId: number; revokedAt: Date | null; certificate: string | null })[]> {
  if (!applicationIds.length) return [];
  const apps = await tx
    .select({ application: applications, team: teams, organization: organizations.name, revokedAt: honours.revokedAt, certificate: certificates.number })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .leftJoin(honours, and(eq(honours.teamId, applications.teamId), eq(honours.cycleId, applications.cycleId)))
    .leftJoin(certificates, eq(certificates.honourId, honours.id))
    .where(and(inArray(applications.id, applicationIds), inArray(applications.status, reviewedStatuses), isNotNull(applications.finalScore), isNotNull(applications.rank)));
  return apps.map((a) => ({ ...resultRow(a), cycleId: a.application.cycleId, revokedAt: a.revokedAt, certificate: a.certificate }));
}

/** How many results of the cycle are ranked (each team told its rank among them). */
export async function rankedCount(tx: Db, cycleId: number): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(applications)
    .where(and(eq(applications.cycleId, cycleId), inArray(applications.status, reviewedStatuses), isNotNull(applications.finalScore), isNotNull(applications.rank)));
  return Number(row?.n ?? 0);
}

/**
 * An application of the year that never reached the review although its team applied: submitted and never confirmed
 * by its organisation, or returned and not submitted again (left returned, or saved back as a draft). A draft never
 * submitted is no application. Its team is told, when the results are published, that it took no part (RULES row 21).
 */
const unreviewed = () =>
  or(inArray(applications.status, ['submitted', 'returned']), and(eq(applications.status, 'draft'), isNotNull(applications.submittedAt)))!;

/** A team whose application never reached the review, and why: its organisation never confirmed it, or it was returned. */
export interface UnreviewedApplicant {
  applicationId: number;
  teamId: number;
  code: string;
  team: string;
  leaderOpenId: string;
  contactOpenId: string;
  reason: 'unconfirmed' | 'returned';
}

/** The unreviewed applications of the cycle after an application id, by id: one batch of the notices of 公布结果. */
export async function unreviewedApplicantsAfter(tx: Db, cycleId: number, afterId: number, limit: number): Promise<UnreviewedApplicant[]> {
  const rows = await tx
    .select({ applicationId: applications.id, status: applications.status, teamId: teams.id, code: teams.code, team: teams.name, leaderOpenId: teams.leaderOpenId, contactOpenId: teams.contactOpenId })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycleId), unreviewed(), gt(applications.id, afterId)))
    .orderBy(asc(applications.id))
    .limit(limit);
  return rows.map(({ status, ...r }) => ({ ...r, reason: status === 'submitted' ? 'unconfirmed' : 'returned' }));
}

/** A leader or contact 公布结果 tells but cannot reach: imported and not yet linked to Feishu (pending:…). */
export interface UnlinkedRecipient {
  /** Their placeholder: `pending:m:<mobile>` or `pending:e:<e-mail>`. */
  openId: string;
  name: string | null;
  /** The mobile or e-mail they were imported by, to be checked. */
  reach: string;
  /** The teams told, by name, as whose leader or contact. */
  teams: { team: string; role: 'leader' | 'contact' }[];
}

/**
 * The leaders and contacts of the teams 公布结果 tells (ranked, or never reviewed) who are not linked to Feishu yet: the
 * outbox drops every message to a pending receiver (no open_id to send to); linking within LATE_RESULT_DAYS sends it
 * then (latePublishedMessages, src/review/resultCards.ts). In the order of the applications.
 */
export async function unlinkedRecipients(tx: Db, cycleId: number): Promise<UnlinkedRecipient[]> {
  const told = or(and(inArray(applications.status, reviewedStatuses), isNotNull(applications.finalScore), isNotNull(applications.rank)), unreviewed());
  const pending = (c: SQL | typeof teams.leaderOpenId | typeof teams.contactOpenId) => sql`${c} like ${PENDING_PREFIX + '%'}`;
  const rows = await tx
    .select({ team: teams.name, leaderOpenId: teams.leaderOpenId, contactOpenId: teams.contactOpenId })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycleId), told, or(pending(teams.leaderOpenId), pending(teams.contactOpenId))))
    .orderBy(asc(applications.id));
  const byId = new Map<string, UnlinkedRecipient>();
  for (const r of rows) {
    for (const [role, openId] of [['leader', r.leaderOpenId], ['contact', r.contactOpenId]] as const) {
      if (!openId.startsWith(PENDING_PREFIX) || (role === 'contact' && openId === r.leaderOpenId)) continue;
      const p = byId.get(openId) ?? { openId, name: null, reach: openId.slice(PENDING_PREFIX.length).replace(/^[me]:/, ''), teams: [] };
      p.teams.push({ team: r.team, role });
      byId.set(openId, p);
    }
  }
  if (!byId.size) return [];
  for (const p of await tx.select({ openId: people.openId, name: people.name }).from(people).where(inArray(people.openId, [...byId.keys()]))) byId.get(p.openId)!.name = p.name;
  return [...byId.values()];
}

/** A team's application of the year 公布结果 told: ranked (its result card), or never reviewed (the notice it took no part). */
export interface PublishedOfTeam extends Omit<UnreviewedApplicant, 'reason'> {
  /** Null for a ranked result. */
  reason: UnreviewedApplicant['reason'] | null;
}

/**
 * The latest published year, if 公布结果 ran within LATE_RESULT_DAYS of `now`, and what it told of these teams: their
 * ranked results and applications that never reached the review, a title revoked since left out (its notice went
 * separately). A year published before (or imported as published, with no 公布结果 of its own) gives nothing.
 */
export async function publishedOfTeams(tx: Db, teamIds: number[], now: Date): Promise<{ cycleId: number; year: number; rows: PublishedOfTeam[] } | null> {
  if (!teamIds.length) return null;
  const [latest] = await tx
    .select({ id: cycles.id, year: cycles.year })
    .from(cycles)
    .where(eq(cycles.status, 'published'))
    .orderBy(desc(cycles.year))
    .limit(1);
  if (!latest) return null;
  const [published] = await tx
    .select({ at: auditLog.at })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(latest.id)), eq(auditLog.action, 'results.publish')))
    .orderBy(desc(auditLog.at))
    .limit(1);
  if (!published || now.getTime() - published.at.getTime() > LATE_RESULT_DAYS * 86_400_000) return null;
  const ranked = and(inArray(applications.status, reviewedStatuses), isNotNull(applications.finalScore), isNotNull(applications.rank));
  const rows = await tx
    .select({ application: applications, team: teams })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .leftJoin(honours, and(eq(honours.teamId, applications.teamId), eq(honours.cycleId, applications.cycleId)))
    .where(and(eq(applications.cycleId, latest.id), inArray(applications.teamId, teamIds), or(ranked, unreviewed()), sql`${honours.revokedAt} is null`))
    .orderBy(asc(applications.id));
  return {
    cycleId: latest.id,
    year: latest.year,
    rows: rows.map(({ application: a, team: t }) => ({
      applicationId: a.id,
      teamId: t.id,
      code: t.code,
      team: t.name,
      leaderOpenId: t.leaderOpenId,
      contactOpenId: t.contactOpenId,
      reason: reviewedStatuses.includes(a.status) ? null : a.status === 'submitted' ? 'unconfirmed' : 'returned',
    })),
  };
}

/** The teams 公布结果 tells: the ranked results, and the applications that never reached the review; one statement. */
export async function publishCounts(tx: Db, cycleId: number): Promise<{ ranked: number; unreviewed: number }> {
  const ranked = and(inArray(applications.status, reviewedStatuses), isNotNull(applications.finalScore), isNotNull(applications.rank));
  const [row] = await tx
    .select({ ranked: sql<number>`count(*) filter (where ${ranked})::int`, unreviewed: sql<number>`count(*) filter (where ${unreviewed()})::int` })
    .from(applications)
    .where(eq(applications.cycleId, cycleId));
  return { ranked: Number(row?.ranked ?? 0), unreviewed: Number(row?.unreviewed ?? 0) };
}

/**
 * One 结束评分并汇总 of a cycle: its `cycle.closeScoring` audit row, whose id no other aggregation has (a 重开评分 and a
 * second 汇总 write a new one, even within the same millisecond), and when it ran.
 */
export interface Aggregation {
  id: number;
  at: Date;
}

/** The cycle's latest 结束评分并汇总 (its audit row), or undefined when it was never aggregated. */
export async function latestAggregation(tx: Db, cycleId: number, onlyIf?: SQL): Promise<Aggregation | undefined> {
  const [row] = await tx
    .select({ id: auditLog.id, at: auditLog.at })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(cycleId)), eq(auditLog.action, 'cycle.closeScoring'), onlyIf))
    .orderBy(desc(auditLog.id))
    .limit(1);
  return row;
}

/** What 公布结果 refuses when its preview is of an aggregation since replaced (a sheet reopened, changed, 汇总 again). */
export class PreviewOutdated extends UserError {
  constructor(year: number, when: string | undefined) {
    super(`${year}年度评审结果已${when ? `于 ${when} ` : ''}重新汇总，与本预览不同：请看下面的最新结果后再公布。`, { kind: 'warning' });
    this.name = 'PreviewOutdated';
  }
}

/** A row of loadResults: the result and, for a title revoked since publishing, when. */
const revokedRow = (
  a: Parameters<typeof resultRow>[0] & { revokedAt: Date | null; teamRevokedAt: Date | null; certificate: string | null; certificateTeamName: string | null; certificateOrganization: string | null },
): ResultRow => ({
  ...resultRow(a),
  revokedAt: a.revokedAt,
  teamRevokedAt: a.teamRevokedAt,
  certificate: a.certificate,
  certificateTeamName: a.certificateTeamName,
  certificateOrganization: a.certificateOrganization,
});

export async function loadResults(tx: Db, cycleId: number, onlyIf?: SQL): Promise<ResultsData> {
  // `onlyIf`: a condition every read also needs (a one-statement path's claim), so a read issued before its statement's
  // verdict was known reads nothing when it went the other way
  const when = (condition: SQL) => (onlyIf ? and(condition, onlyIf)! : condition);
  // issued together: one round trip
  const [[cycle], apps, scoreRows, aggregated] = await Promise.all([
    tx.select().from(cycles).where(when(eq(cycles.id, cycleId))),
    tx
      .select({
        application: applications,
        team: teams,
        organization: organizations.name,
        revokedAt: honours.revokedAt,
        // the team's latest title revoked, of any year: before 公布结果 its bar may hold this year's title back (E5)
        teamRevokedAt: sql<Date | null>`(select max(r.revoked_at) from ${honours} r where r.team_id = ${applications.teamId})`.mapWith(honours.revokedAt),
        certificate: certificates.number,
        certificateTeamName: certificates.teamName,
        certificateOrganization: certificates.organization,
      })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .innerJoin(organizations, eq(organizations.id, teams.organizationId))
      // the title of the year, revoked since (第二十二条): the results say so
      .leftJoin(honours, and(eq(honours.teamId, applications.teamId), eq(honours.cycleId, applications.cycleId)))
      // its certificate (issued at 公布结果): the workbook lists the numbers
      .leftJoin(certificates, eq(certificates.honourId, honours.id))
      // every application of the year (the workbook's 申报 sheet); the reviewed ones are the results
      .where(when(eq(applications.cycleId, cycleId)))
      .orderBy(sql`${applications.rank} asc nulls last`, asc(teams.code)),
    tx
      .select({
        assignmentId: assignments.id,
        applicationId: assignments.applicationId,
        code: teams.code,
        team: teams.name,
        expertOpenId: assignments.expertOpenId,
        expertName: people.name,
        expertOrganization: organizations.name,
        status: assignments.status,
        total: assignments.total,
        scores: assignments.scores,
        comment: assignments.comment,
      })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .leftJoin(people, eq(people.openId, assignments.expertOpenId))
      .leftJoin(organizations, eq(organizations.id, people.organizationId))
      .where(when(and(eq(applications.cycleId, cycleId), eq(assignments.status, 'submitted'))!))
      .orderBy(asc(teams.code), asc(assignments.id)),
    latestAggregation(tx, cycleId, onlyIf),
  ]);
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  return {
    cycle,
    ...(aggregated ? { aggregation: aggregated } : {}),
    sheet: cycleScoreSheet(cycle),
    rows: apps.filter((a) => reviewedStatuses.includes(a.application.status)).map(revokedRow),
    applications: apps.map(revokedRow).sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
    scores: scoreRows.map((s) => ({ ...s, total: s.total === null ? null : Number(s.total), scores: (s.scores ?? {}) as Record<string, number> })),
  };
}

/**
 * 公布结果: cycle closed → published, each aggregated application decided, an honour for each title
 * (第二十条). Returns the results for the notices.
 */
export async function publishResults(tx: Db, actor: Actor, cycleId: number, now: Date, timezone: string): Promise<ResultsData> {
  requireAdmin(actor);
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.status === 'published') throw new UserError(`${cycle.year}年度评审结果已于此前公布，无需重复公布。`, { kind: 'info' });
  if (cycle.status !== 'closed') throw new UserError(`${cycle.year}年度评审${cycleStatusLabel(cycle.status)}：请先“结束评分并汇总”，预览结果后再公布。`, { kind: 'info' });
  await transitionCycle(tx, actor, cycle, 'publishResults', now);
  const scored = await tx.select().from(applications).where(and(eq(applications.cycleId, cycleId), eq(applications.status, 'scored')));
  for (const a of scored) applicationMachine.check('decide', a.status as ApplicationStatus, actor);
  if (scored.length) {
    await tx.update(applications).set({ status: 'decided', updatedAt: now }).where(inArray(applications.id, scored.map((a) => a.id)));
  }
  // E5 once more: a title revoked since 受理 whose bar still holds leaves this year's title ungiven (the preview said so)
  const barring = await revocationsBarring(tx, cycle, scored.filter((a) => a.decision === 'awarded').map((a) => a.teamId), now, timezone);
  const withheld = scored.filter((a) => a.decision === 'awarded' && barring.has(a.teamId));
  if (withheld.length) {
    const rows = withheld.map((a) => {
      const r = barring.get(a.teamId)!;
      return { id: a.id, withheld: { year: r.year, revokedAt: r.revokedAt!.toISOString(), barDays: revocationBarDays(cycle) } };
    });
    await tx.execute(sql`
      update ${applications} a set decision = 'not_awarded',
        review = coalesce(a.review, '{}'::jsonb) || jsonb_build_object('awarded', false, 'recommended', false, 'withheld', v.withheld)
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id int, withheld jsonb)
      where a.id = v.id`);
  }
  const titled = scored.filter((a) => a.decision === 'awarded' && !barring.has(a.teamId));
  const wasRecommended = (a: (typeof scored)[number]) => ((a.review ?? {}) as Partial<StoredReview>).recommended ?? false;
  // a title withheld leaves its 推荐 place to the titles that stand (第二十条): the share is taken of them again
  const recommended = withheld.length
    ? recommendedAmong(titled.filter((a) => a.finalScore !== null).map((a) => ({ applicationId: a.id, finalScore: Number(a.finalScore) })), cycle.recommendShare)
    : new Set(titled.filter(wasRecommended).map((a) => a.id));
  const moved = titled.filter((a) => recommended.has(a.id) !== wasRecommended(a));
  if (moved.length) {
    const rows = moved.map((a) => ({ id: a.id, recommended: recommended.has(a.id) }));
    await tx.execute(sql`
      update ${applications} a set review = coalesce(a.review, '{}'::jsonb) || jsonb_build_object('recommended', v.recommended)
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id int, recommended boolean)
      where a.id = v.id`);
  }
  if (titled.length) {
    await tx
      .insert(honours)
      .values(
        titled.map((a) => ({
          teamId: a.teamId,
          cycleId,
          year: cycle.year,
          score: a.finalScore,
          recommended: recommended.has(a.id),
          awardedAt: now,
        })),
      )
      .onConflictDoNothing({ target: [honours.teamId, honours.year] });
  }
  await audit(tx, {
    actor: actor.openId,
    action: 'results.publish',
    entity: 'cycle',
    entityId: cycleId,
    details: {
      decided: scored.length,
      awarded: titled.map((a) => a.teamId),
      recommended: titled.filter((a) => recommended.has(a.id)).map((a) => a.teamId),
      ...(withheld.length ? { withheld: withheld.map((a) => a.teamId) } : {}),
    },
    at: now,
  });
  return loadResults(tx, cycleId);
}

export interface ProgressData {
  cycle: Cycle;
  statusCounts: Record<string, number>;
  taskCounts: Record<string, number>;
  /** Applications with pending tasks, those short of an expert first, then by team code; `short`: places of the panel no expert holds (the cycle's panel size less those assigned or submitted). */
  pending: { applicationId: number; code: string; team: string; submitted: number; pending: number; short: number }[];
  pendingTotal: number;
  /** How many of them are short of an expert: listed first. */
  shortTotal: number;
  /**
   * Applications scored, not yet summed, by fewer experts than the year's panel size: an expert declined or stepped aside
   * and nobody took the place (the administrators were told, 无法自动改派专家), so the panel completed with the sheets it
   * had. 分配专家 can still fill it (its experts' sheets then count too); the first few, and how many.
   */
  shortScored: { applicationId: number; code: string; team: string; submitted: number; short: number }[];
  shortScoredTotal: number;
}

/** 评审进度: how far the panels are. */
export async function reviewProgress(tx: Db, cycleId: number, limit = 12): Promise<ProgressData> {
  const [cycle] = await tx.select().from(cycles).where(eq(cycles.id, cycleId));
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  const statuses = await tx
    .select({ status: applications.status, n: sql<number>`count(*)::int` })
    .from(applications)
    // with those waiting for the formal check (待协会形式审查), which 结束评分并汇总 waits for
    .where(and(eq(applications.cycleId, cycleId), inArray(applications.status, ['recommended', ...reviewedStatuses])))
    .groupBy(applications.status);
  const tasks = await tx
    .select({ status: assignments.status, n: sql<number>`count(*)::int` })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .where(eq(applications.cycleId, cycleId))
    .groupBy(assignments.status);
  const pendingRows = await tx
    .select({
      applicationId: applications.id,
      code: teams.code,
      team: teams.name,
      submitted: sql<number>`count(*) filter (where ${assignments.status} = 'submitted')::int`,
      pending: sql<number>`count(*) filter (where ${assignments.status} = 'assigned')::int`,
      tasks: sql<number>`count(${assignments.id})::int`,
    })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .leftJoin(assignments, eq(assignments.applicationId, applications.id))
    .where(and(eq(applications.cycleId, cycleId), inArray(applications.status, ['accepted', 'scoring'])))
    .groupBy(applications.id, teams.code, teams.name)
    .orderBy(asc(teams.code));
  // short as its panel card counts it (bot/review/panels.ts): declined or stepped aside, and nobody in their place; an
  // application given no expert yet while applications are still taken (分配专家 comes with 截止申报) is not short
  const rows = pendingRows.map(({ tasks, ...r }) => ({
    ...r,
    submitted: Number(r.submitted),
    pending: Number(r.pending),
    short: cycle.status === 'open' && Number(tasks) === 0 ? 0 : Math.max(0, cycle.expertsPerApplication - Number(r.submitted) - Number(r.pending)),
  }));
  // the panels short of an expert first (the ones to act on: 更换专家), then by code: among 3 000 by code alone, one
  // short panel past the first page was nowhere to be seen
  const short = rows.filter((r) => r.short > 0);
  return {
    cycle,
    statusCounts: Object.fromEntries(statuses.map((s) => [s.status, Number(s.n)])),
    taskCounts: Object.fromEntries(tasks.map((t) => [t.status, Number(t.n)])),
    pending: [...short, ...rows.filter((r) => r.short === 0)].slice(0, limit),
    pendingTotal: rows.length,
    shortTotal: short.length,
    ...(await shortScoredPanels(tx, cycle, limit)),
  };
}

/** Scored panels short of experts listed on 评审进度 at most. */
export const SHORT_SCORED_SHOWN = 5;

/**
 * ProgressData's shortScored: while the experts score and before the first 汇总 (after it, no expert is added: 第十七条),
 * the scored applications whose panels hold fewer submitted sheets than the year's panel size.
 */
async function shortScoredPanels(tx: Db, cycle: Cycle, limit: number): Promise<Pick<ProgressData, 'shortScored' | 'shortScoredTotal'>> {
  if (cycle.status !== 'scoring') return { shortScored: [], shortScoredTotal: 0 };
  const rows = rowsOf(
    await tx.execute(sql`
      select a.id as "applicationId", t.code, t.name as team, count(*) filter (where s.status = 'submitted')::int as submitted
      from ${applications} a
      join ${teams} t on t.id = a.team_id
      join ${assignments} s on s.application_id = a.id
      where a.cycle_id = ${cycle.id} and a.status = 'scored' and a.review is null
      group by a.id, t.code, t.name
      having count(*) filter (where s.status = 'submitted') < ${cycle.expertsPerApplication}
      order by t.code`),
  ) as { applicationId: number; code: string; team: string; submitted: number }[];
  const shortScored = rows.map((r) => ({ ...r, applicationId: Number(r.applicationId), submitted: Number(r.submitted), short: cycle.expertsPerApplication - Number(r.submitted) }));
  // a few, with 评审进度's pending rows on one card (Feishu's 200 tagged objects): the rest counted, found by code
  return { shortScored: shortScored.slice(0, Math.min(limit, SHORT_SCORED_SHOWN)), shortScoredTotal: shortScored.length };
}

/** An application of the cycle by its team code, for the admin's lookup. */
export async function applicationByTeamCode(tx: Db, cycleId: number, code: string): Promise<number | undefined> {
  const [row] = await tx
    .select({ id: applications.id })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycleId), eq(teams.code, readCode(code))));
  return row?.id;
}
