import { areaSubtotals, type AreaSubtotal, type ScoreSheet } from '../scoreSheet.js';

/**
 * Aggregation of a panel's score sheets (第十八条) and the cycle's decision (第二十条): the mean of the
 * submitted totals, dropping the highest and lowest with five or more (the cycle's `dropExtremesFrom`); outliers far
 * from the median (its `outlierDistance`);
 * ranks shared on ties; the title at the threshold; the best share recommended to national associations.
 * Pure functions: same input, same result.
 */

export interface PanelScore {
  assignmentId: number;
  expertOpenId: string;
  total: number;
  scores: Readonly<Record<string, number>>;
}

export interface AggregationRule {
  /** From this many scores on, the highest and the lowest are dropped. */
  dropExtremesFrom: number;
  /** A total more than this far from the panel median is flagged. */
  outlierDistance: number;
}

export const defaultAggregationRule: AggregationRule = { dropExtremesFrom: 5, outlierDistance: 15 };

/** The limits of each rule as the settings form takes them (src/cycles.ts): a whole number of experts, whole or half points. */
export const aggregationRuleLimits = { dropExtremesFrom: { min: 3, max: 20 }, outlierDistance: { min: 1, max: 100 } } as const;

const storedNumber = (v: unknown, { min, max }: { min: number; max: number }, whole: number): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && Number.isInteger(v * whole) ? v : undefined;

/**
 * The cycle's rule from its `settings` (jsonb): `dropExtremesFrom` a whole number from 3 to 20, `outlierDistance` a
 * whole or half number from 1 to 100; each missing or otherwise the default. `aggregationRuleSql` (src/fast/sql.ts)
 * says the same in SQL.
 */
export function aggregationRuleOf(settings: unknown): AggregationRule {
  const s = settings && typeof settings === 'object' && !Array.isArray(settings) ? (settings as Record<string, unknown>) : {};
  return {
    dropExtremesFrom: storedNumber(s.dropExtremesFrom, aggregationRuleLimits.dropExtremesFrom, 1) ?? defaultAggregationRule.dropExtremesFrom,
    outlierDistance: storedNumber(s.outlierDistance, aggregationRuleLimits.outlierDistance, 2) ?? defaultAggregationRule.outlierDistance,
  };
}

export interface Outlier {
  assignmentId: number;
  expertOpenId: string;
  total: number;
  median: number;
  distance: number;
}

export interface PanelResult {
  /** Null when nobody has scored. */
  finalScore: number | null;
  rule: 'mean' | 'trimmedMean';
  median: number | null;
  counted: number[]; // assignment ids
  dropped: number[]; // assignment ids
  outliers: Outlier[];
  /** Per-area means over the counted score sheets. */
  areas: AreaSubtotal[];
}

export const round2 = (x: number): number => Math.round((x + Number.EPSILON * Math.sign(x)) * 100) / 100;

export function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Totals more than `outlierDistance` from the panel median. */
export function panelOutliers(panel: readonly PanelScore[], rule: AggregationRule = defaultAggregationRule): Outlier[] {
  const m = median(panel.map((p) => p.total));
  if (m === null) return [];
  return panel
    .filter((p) => Math.abs(p.total - m) > rule.outlierDistance)
    .map((p) => ({ assignmentId: p.assignmentId, expertOpenId: p.expertOpenId, total: p.total, median: m, distance: round2(Math.abs(p.total - m)) }));
}

/**
 * Each area's mean (`areas` holds the kept sheets' sums) rounded to cents so that they add up to the final score, by
 * largest remainder: the cents the rounding lost or gained, round2(final − Σ areas), given back one to an area, to the
 * areas rounded down the most first (or, when the areas come to more, taken from those rounded up the most), ties in
 * the sheet's order; never above an area's maximum nor below 0. `area_means` in src/fast/aggregate.ts does the same
 * in SQL.
 */
function areasToFinal(areas: AreaSubtotal[], k: number, finalScore: number): void {
  const rest = areas.map((a, i) => {
    const mean = a.score / k;
    a.score = round2(mean);
    return { a, i, remainder: mean - a.score };
  });
  const cents = Math.round(round2(finalScore - areas.reduce((s, a) => s + a.score, 0)) * 100);
  if (!cents) return;
  const step = cents > 0 ? 0.01 : -0.01;
  const order = rest
    .filter((r) => (cents > 0 ? round2(r.a.score + step) <= r.a.max : round2(r.a.score + step) >= 0))
    .sort((x, y) => (cents > 0 ? y.remainder - x.remainder : x.remainder - y.remainder) || x.i - y.i);
  for (const r of order.slice(0, Math.abs(cents))) r.a.score = round2(r.a.score + step);
}

/** One application's final score from its panel. */
export function aggregatePanel(sheet: ScoreSheet, panel: readonly PanelScore[], rule: AggregationRule = defaultAggregationRule): PanelResult {
  const sorted = [...panel].sort((a, b) => a.total - b.total || a.assignmentId - b.assignmentId);
  const trim = sorted.length >= rule.dropExtremesFrom;
  const kept = trim ? sorted.slice(1, -1) : sorted;
  const dropped = trim ? [sorted[0], sorted[sorted.length - 1]] : [];
  const areas = areaSubtotals(sheet, {}).map((a) => ({ ...a, score: 0 }));
  for (const p of kept) {
    areaSubtotals(sheet, p.scores).forEach((a, i) => {
      areas[i].score += a.score;
    });
  }
  const finalScore = kept.length ? round2(kept.reduce((s, p) => s + p.total, 0) / kept.length) : null;
  if (finalScore !== null) areasToFinal(areas, kept.length, finalScore);
  else for (const a of areas) a.score = 0;
  return {
    finalScore,
    rule: trim ? 'trimmedMean' : 'mean',
    median: median(panel.map((p) => p.total)),
    counted: kept.map((p) => p.assignmentId).sort((a, b) => a - b),
    dropped: dropped.map((p) => p.assignmentId),
    outliers: panelOutliers(panel, rule),
    areas,
  };
}

export interface Ranked {
  applicationId: number;
  finalScore: number;
  /** Orders equal scores for display (the team code); ties still share their rank. */
  tieBreak: string;
}

export interface Decision {
  applicationId: number;
  finalScore: number;
  rank: number;
  awarded: boolean; // 授予称号
  recommended: boolean; // 推荐至全国性协会 (第二十条)
}

/**
 * Ranks by final score (1, 2, 2, 4 on ties), awards the title at or above the threshold and
 * recommends the top `recommendShare` of the titled teams: at least one when anyone has the title and
 * the share is not zero; a team tied with the last recommended one is recommended too.
 */
export function decideResults(results: readonly Ranked[], settings: { awardThreshold: number; recommendShare: number }): Decision[] {
  const sorted = [...results].sort((a, b) => b.finalScore - a.finalScore || (a.tieBreak < b.tieBreak ? -1 : a.tieBreak > b.tieBreak ? 1 : a.applicationId - b.applicationId));
  const threshold = round2(settings.awardThreshold);
  const decisions: Decision[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i];
    const rank = i > 0 && sorted[i - 1].finalScore === r.finalScore ? decisions[i - 1].rank : i + 1;
    decisions.push({ applicationId: r.applicationId, finalScore: r.finalScore, rank, awarded: round2(r.finalScore) >= threshold, recommended: false });
  }
  const titled = decisions.filter((d) => d.awarded);
  const k = recommendPlaces(titled.length, settings.recommendShare);
  if (k) {
    const cutoff = titled[k - 1].finalScore;
    for (const d of titled) d.recommended = d.finalScore >= cutoff;
  }
  return decisions;
}

/**
 * The places `recommendShare` gives among `titled` titles (第二十条 择优推荐): at least one when anyone has the title and
 * the share is not zero. More are recommended only when teams tie with the last place (`decideResults`), and the
 * cards say how many of those there are.
 */
export function recommendPlaces(titled: number, recommendShare: number): number {
  if (!titled || !(recommendShare > 0)) return 0;
  return Math.min(titled, Math.max(1, Math.floor(titled * recommendShare + 1e-9)));
}

/**
 * The recommended among the titles that stand at 公布结果 (第二十条 择优推荐), by application: the titles a revocation's
 * bar holds back (E5) leave, and the share is taken of the rest as `decideResults` takes it, so a title withheld
 * does not take a 推荐 place with it.
 */
export function recommendedAmong(titled: readonly { applicationId: number; finalScore: number }[], recommendShare: number): Set<number> {
  const decided = decideResults(
    titled.map((t) => ({ ...t, tieBreak: '' })),
    { awardThreshold: Number.NEGATIVE_INFINITY, recommendShare },
  );
  return new Set(decided.filter((d) => d.recommended).map((d) => d.applicationId));
}
