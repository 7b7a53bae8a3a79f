import type { ResultLine, ResultsSummary } from '../../cards/results.js';
import { aggregationRuleOf, recommendPlaces } from '../../src/review/aggregation.js';
import { type ResultsData, titlesAsTheyStand } from '../../src/review/results.js';

/**
 * `withheldTeams`: before 公布结果, the teams whose title this year the bar of a revocation since 受理 holds back
 * (revocationsBarring); after it, the stored review says so.
 */
export function resultLines(data: ResultsData, withheldTeams?: ReadonlySet<number>): ResultLine[] {
  const titleOf = titlesAsTheyStand(data, withheldTeams);
  return data.rows.map((r) => ({
    code: r.code,
    team: r.team,
    organization: r.organization,
    finalScore: r.finalScore,
    rank: r.rank,
    awarded: r.awarded,
    recommended: titleOf(r).recommended,
    ...(r.awarded && r.revokedAt ? { revoked: true } : {}),
    ...(titleOf(r).withheld ? { withheld: true } : {}),
    outliers: r.review?.outliers.length ?? 0,
    rule: r.review?.rule ?? null,
    sheets: r.review?.totals.length ?? 0,
  }));
}

export function resultsSummary(data: ResultsData, withheldTeams?: ReadonlySet<number>): ResultsSummary {
  const c = data.cycle;
  const lines = resultLines(data, withheldTeams);
  const standing = lines.filter((l) => l.finalScore !== null && l.awarded && !l.revoked && !l.withheld).length;
  return {
    cycleId: c.id,
    year: c.year,
    status: c.status,
    awardThreshold: c.awardThreshold,
    recommendShare: c.recommendShare,
    expertsPerApplication: c.expertsPerApplication,
    ...aggregationRuleOf(c.settings),
    recommendPlaces: recommendPlaces(standing, c.recommendShare),
    lines,
    ...(data.aggregation ? { aggregationId: data.aggregation.id } : {}),
  };
}

/**
 * The workbook's file name; one made on a click carries the day it was made (2028-03-01), told from the one sent at
 * 公布结果, and one made before publishing says it is not the list published (待公布).
 */
export const workbookFileName = (year: number, day?: string, beforePublishing = false) =>
  `${year}年度质量信得过班组评审结果${beforePublishing ? '（待公布）' : ''}${day ? `（${day}）` : ''}.xlsx`;

/** What 结束评分并汇总 counts: the titles and recommendations that stand, as the preview counts them, and those held back. */
export interface AggregatedCounts {
  awarded: number;
  recommended: number;
  /** The places the year's 择优推荐比例 gives (recommendPlaces): fewer than `recommended` when teams tie with the last. */
  places: number;
  /** Over the line, but a revocation since 受理 holds the title back (第二十二条): not among `awarded`. */
  withheld: number;
}

/** The preview's counts: a title held back by a revocation (E5) is no title, and its 推荐 place passes on. */
export function standingCounts(s: ResultsSummary): AggregatedCounts {
  const scored = s.lines.filter((l) => l.finalScore !== null);
  const standing = scored.filter((l) => l.awarded && !l.revoked && !l.withheld);
  return { awarded: standing.length, recommended: standing.filter((l) => l.recommended).length, places: recommendPlaces(standing.length, s.recommendShare), withheld: scored.filter((l) => l.withheld).length };
}

/** The counts of 结束评分并汇总, in the answer's toast and on a job's card when it ends. */
export const aggregatedCounts = (s: AggregatedCounts) =>
  `授予称号 ${s.awarded} 个，推荐 ${s.recommended} 个${s.recommended > s.places ? `（${s.places} 个按推荐比例，另有 ${s.recommended - s.places} 个与之同分并列）` : ''}${s.withheld ? `（另有 ${s.withheld} 个达到分数线但其称号此前已撤销，不授予，第二十二条）` : ''}`;

/** The line under a finished 汇总评分 job's counts. */
export const aggregatedOutcome = (s: AggregatedCounts) => `${aggregatedCounts(s)}。请点“评审结果”核对后公布。`;
