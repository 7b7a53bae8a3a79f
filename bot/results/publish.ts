import { resultsPreviewCard, resultsPublishedCard, teamResultCard } from '../../cards/results.js';
import type { CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { adminDestinations, destinationKey } from '../../src/notifications.js';
import { publishResults } from '../../src/review/results.js';
import { reviewWorkbook } from '../../src/workbook.js';
import { idFrom } from '../respond.js';
import { resultsSummary, workbookFileName } from './view.js';

/**
 * `results.publish` (公布结果, after the confirm dialog): honours recorded, each team leader and
 * organisation contact told their result, the admin group(s) given the results card and the workbook.
 */
export async function publish(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const data = await publishResults(ctx.tx, ctx.actor, idFrom(input.value, 'cycleId'), ctx.clock.now());
  const year = data.cycle.year;
  const ranked = data.rows.filter((r) => r.finalScore !== null && r.rank !== null);
  for (const r of ranked) {
    const base = {
      year,
      code: r.code,
      team: r.team,
      title: r.title,
      finalScore: r.finalScore!,
      rank: r.rank!,
      of: ranked.length,
      awarded: r.awarded,
      recommended: r.recommended,
      awardThreshold: data.cycle.awardThreshold,
      areas: r.review?.areas ?? [],
    };
    await ctx.send({ dedupeKey: `results:published:${year}:team-${r.teamId}:leader`, to: { openId: r.leaderOpenId }, card: teamResultCard({ ...base, audience: 'leader' }) });
    if (r.contactOpenId !== r.leaderOpenId) {
      await ctx.send({ dedupeKey: `results:published:${year}:team-${r.teamId}:contact`, to: { openId: r.contactOpenId }, card: teamResultCard({ ...base, audience: 'contact' }) });
    }
  }
  const summary = resultsSummary(data);
  const fileName = workbookFileName(year);
  const base64 = (await reviewWorkbook(data)).toString('base64');
  const published = resultsPublishedCard({ ...summary, fileName });
  for (const to of await adminDestinations(ctx.tx, ctx.config.ADMIN_OPEN_IDS)) {
    await ctx.send({ dedupeKey: `results:published:${year}:card:${destinationKey(to)}`, to, card: published });
    await ctx.send({ dedupeKey: `results:published:${year}:workbook:${destinationKey(to)}`, to, file: { fileName, fileType: 'xls', base64 } });
  }
  return {
    toast: { type: 'success', content: `${year}年度评审结果已公布：授予称号 ${ranked.filter((r) => r.awarded).length} 个，已通知各班组` },
    card: { type: 'raw', data: resultsPreviewCard(summary) },
  };
}
