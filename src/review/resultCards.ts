import { teamResultCard, type TeamResultData, unreviewedNoticeCard } from '../../cards/results.js';
import type { Db } from '../../db/index.js';
import { getCycle } from '../cycles.js';
import { formatDateZh, todayIn } from '../dates.js';
import type { CardRenderer, CardSpec, OutgoingMessage, RenderedCard } from '../outbox.js';
import { certificateFileName, certificateImage, certificatePdf, certificatesOfTeams } from '../certificates/index.js';
import { publishedOfTeams, publishedResults, rankedCount, type ResultRow } from './results.js';
import { errorText } from '../log.js';

/**
 * 评审结果卡: each team's result, to its leader and its contact. 公布结果 queues only
 * `{ kind: 'teamResult', applicationId, audience }` (20 000 cards of a few KB stay out of the job's
 * transactions) and the card is drawn when it is sent, from the published results, which do not change
 * after publishing.
 *
 * A title revoked after publishing (第二十二条, a separate notice) while its result card still waited in
 * the outbox: the card still gives the published score, rank and areas, and its conclusion says the title
 * was awarded at publishing and has since been revoked, with the date, so it stays true when it arrives.
 */

export const TEAM_RESULT_CARD = 'teamResult';

export type ResultAudience = TeamResultData['audience'];

/** The result card of one team to one of its people, drawn when it is sent; keyed as it always was. */
export function teamResultMessage(r: Pick<ResultRow, 'applicationId' | 'teamId'>, year: number, audience: ResultAudience, openId: string): OutgoingMessage {
  return {
    dedupeKey: `results:published:${year}:team-${r.teamId}:${audience}`,
    to: { openId },
    render: { kind: TEAM_RESULT_CARD, applicationId: r.applicationId, audience },
    priority: 'bulk',
  };
}

/**
 * A title's 荣誉证书 to one of its people, drawn when sent; keyed by certificate and person. They arrive after `resultCard`
 * (the key of the result card that names it and says they follow), image then printable PDF: each waits for the one
 * before (`OutgoingMessage.after`), and still goes if that one could not be sent.
 */
export function certificateMessages(c: { id: number; number: string; teamName: string }, openId: string, resultCard: string): OutgoingMessage[] {
  const png = `certificate:${c.number}:png:${openId}`;
  return [
    { dedupeKey: png, to: { openId }, image: { render: certificateImage(c.id) }, priority: 'bulk', after: resultCard },
    { dedupeKey: `certificate:${c.number}:pdf:${openId}`, to: { openId }, file: { fileName: certificateFileName(c, 'pdf'), fileType: 'pdf', render: certificatePdf(c.id) }, priority: 'bulk', after: png },
  ];
}

/**
 * 关联后补发: what 公布结果 would have queued to `openId` as the leader or contact of `teamIds`, had they been linked to
 * Feishu then (the outbox dropped it, a pending id has nowhere to go): of the latest year published within
 * LATE_RESULT_DAYS, each ranked team's result card and a title's certificate image and PDF, or the notice that an
 * unreviewed team took no part. Keyed as publishing keys them, so a link run twice, or a 公布结果 still running
 * that reaches the team after, queues nothing twice.
 */
export async function latePublishedMessages(tx: Db, openId: string, teamIds: number[], now: Date): Promise<OutgoingMessage[]> {
  const published = await publishedOfTeams(tx, teamIds, now);
  if (!published?.rows.length) return [];
  const { cycleId, year, rows } = published;
  const byTeam = await certificatesOfTeams(tx, cycleId, rows.map((r) => r.teamId));
  const messages: OutgoingMessage[] = [];
  for (const r of rows) {
    const audience: ResultAudience | null = r.leaderOpenId === openId ? 'leader' : r.contactOpenId === openId ? 'contact' : null;
    if (!audience) continue;
    if (r.reason) {
      const card = unreviewedNoticeCard({ year, code: r.code, team: r.team, reason: r.reason, audience });
      messages.push({ dedupeKey: `results:published:${year}:team-${r.teamId}:${audience}`, to: { openId }, card, priority: 'bulk' });
      continue;
    }
    const card = teamResultMessage(r, year, audience, openId);
    messages.push(card);
    const c = byTeam.get(r.teamId);
    if (c) messages.push(...certificateMessages(c, openId, card.dedupeKey));
  }
  return messages;
}

/** What the card shows of a published result (`of`: the ranked results of the cycle). */
export function teamResultData(
  r: ResultRow,
  cycle: { year: number; awardThreshold: number },
  of: number,
  audience: ResultAudience,
  revokedOn?: string,
  /** The day the title that held this year's back was revoked (StoredReview.withheld), in the bot's timezone. */
  withheldOn?: string,
): TeamResultData {
  return {
    year: cycle.year,
    code: r.code,
    team: r.team,
    title: r.title,
    finalScore: r.finalScore!,
    rank: r.rank!,
    of,
    awarded: r.awarded,
    recommended: r.recommended,
    awardThreshold: cycle.awardThreshold,
    areas: r.review?.areas ?? [],
    audience,
    ...(revokedOn ? { revokedOn } : {}),
    // the certificate sent after the card (公布结果 queues it behind), named by its number; a revoked title's is not sent
    ...(r.awarded && !revokedOn && r.certificate ? { certificate: r.certificate } : {}),
    ...(r.review?.withheld && withheldOn ? { withheld: { year: r.review.withheld.year, revokedOn: withheldOn, barDays: r.review.withheld.barDays ?? null } } : {}),
  };
}

/**
 * Draws the result cards of a claimed batch: one read of the results, one of each cycle and its ranked
 * count. A result that is not (or no longer) a ranked result of a published cycle is not sent.
 */
export function teamResultRenderer(db: Db, timezone: string): CardRenderer {
  return async (specs: CardSpec[]): Promise<RenderedCard[]> => {
    const ids = specs.map((s) => Number(s.applicationId));
    const rows = new Map((await publishedResults(db, [...new Set(ids.filter((id) => Number.isSafeInteger(id) && id > 0))])).map((r) => [r.applicationId, r]));
    const cycles = new Map<number, { year: number; awardThreshold: number; status: string; of: number }>();
    for (const cycleId of new Set([...rows.values()].map((r) => r.cycleId))) {
      const cycle = await getCycle(db, cycleId);
      if (cycle) cycles.set(cycleId, { year: cycle.year, awardThreshold: cycle.awardThreshold, status: cycle.status, of: await rankedCount(db, cycleId) });
    }
    return specs.map((spec, i): RenderedCard => {
      const id = ids[i];
      const audience = spec.audience === 'contact' ? 'contact' : 'leader';
      const r = rows.get(id);
      const cycle = r && cycles.get(r.cycleId);
      if (!r || !cycle) return { drop: `申报 ${id} 没有已评定的结果` };
      if (cycle.status !== 'published') return { drop: `${cycle.year}年度评审结果尚未公布` };
      try {
        const revokedOn = r.revokedAt ? formatDateZh(todayIn(timezone, r.revokedAt)) : undefined;
        const withheld = r.review?.withheld;
        const withheldOn = withheld ? formatDateZh(todayIn(timezone, new Date(withheld.revokedAt))) : undefined;
        return { card: teamResultCard(teamResultData(r, cycle, cycle.of, audience, revokedOn, withheldOn)) };
      } catch (err) {
        return { error: `申报 ${id} 的结果卡片无法生成：${errorText(err)}` };
      }
    });
  };
}
