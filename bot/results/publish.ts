import { certificateFileName, certificateImage, certificatePdf, certificateZip, certificateZipName, issueCertificates } from '../../src/certificates/index.js';
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
 * Each title gets a numbered 荣誉证书 (第二十条): image and PDF to the leader and the contact, all of
 * them zipped to the admin group(s). Only numbers are written here; the outbox draws the files when it
 * sends them, so this callback stays within Feishu's 3 seconds.
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
  const issued = await issueCertificates(ctx.tx, { actor: ctx.actor.openId, cycleId: data.cycle.id, now: ctx.clock.now() });
  for (const c of issued) {
    for (const openId of new Set([c.leaderOpenId, c.contactOpenId])) {
      await ctx.send({ dedupeKey: `certificate:${c.number}:png:${openId}`, to: { openId }, image: { render: certificateImage(c.id) } });
      await ctx.send({ dedupeKey: `certificate:${c.number}:pdf:${openId}`, to: { openId }, file: { fileName: certificateFileName(c, 'pdf'), fileType: 'pdf', render: certificatePdf(c.id) } });
    }
  }
  const summary = resultsSummary(data);
  const fileName = workbookFileName(year);
  const base64 = (await reviewWorkbook(data)).toString('base64');
  const published = resultsPublishedCard({ ...summary, fileName });
  for (const to of await adminDestinations(ctx.tx, ctx.config.ADMIN_OPEN_IDS)) {
    await ctx.send({ dedupeKey: `results:published:${year}:card:${destinationKey(to)}`, to, card: published });
    await ctx.send({ dedupeKey: `results:published:${year}:workbook:${destinationKey(to)}`, to, file: { fileName, fileType: 'xls', base64 } });
    if (issued.length) {
      await ctx.send({ dedupeKey: `results:published:${year}:certificates:${destinationKey(to)}`, to, file: { fileName: certificateZipName(year), fileType: 'stream', render: certificateZip(data.cycle.id) } });
    }
  }
  return {
    toast: { type: 'success', content: `${year}年度评审结果已公布：授予称号 ${ranked.filter((r) => r.awarded).length} 个，已通知各班组` },
    card: { type: 'raw', data: resultsPreviewCard(summary) },
  };
}
