import { progressCard } from '../../cards/review.js';
import { resultsPreviewCard } from '../../cards/results.js';
import { groupDigits } from '../../cards/bulk.js';
import { activeBulkJob, type BulkJob, jobCard, startBulkJob } from '../../src/bulkJobs.js';
import { getCycle } from '../../src/cycles.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import { fastCloseScoring } from '../../src/fast/aggregate.js';
import type { CardActionDecl, CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { progressView } from '../../src/review/progress.js';
import { aggregateChecked, aggregation, loadResults, PreviewOutdated, type ResultsData, scoringToClose, withheldNow } from '../../src/review/results.js';
import { idFrom, idOrZero } from '../respond.js';
import { aggregatedCounts, resultsSummary, standingCounts } from './view.js';

/**
 * `results.close` (结束评分并汇总, after the confirm dialog): aggregates and shows the preview. A cycle of more than
 * `aggregation.inCallbackMax` scored applications is aggregated by a job (./aggregateJob.ts): the answer is its progress
 * card, which ends with the counts and a 评审结果 button; a second click while it runs shows the progress.
 */
export async function closeAndAggregate(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const cycleId = idFrom(input.value, 'cycleId');
  // a job aggregating holds the cycle's lock until it is done: its progress is answered without waiting for it
  const running = await activeBulkJob(ctx.tx, 'aggregate', cycleId);
  if (running) return aggregating(running);
  const checked = await scoringToClose(ctx.tx, ctx.actor, cycleId);
  if (checked.scored.length > aggregation.inCallbackMax) {
    const { cycle, scored } = checked;
    const { job, created } = await startBulkJob(ctx.tx, { kind: 'aggregate', cycleId, year: cycle.year, createdBy: ctx.actor.openId, messageId: input.messageId, total: scored.length, now: ctx.clock.now() });
    if (!created) return aggregating(job);
    return { toast: { type: 'success', content: `${cycle.year}年度评审正在汇总 ${groupDigits(scored.length)} 份申报，完成后卡片会更新` }, card: { type: 'raw', data: jobCard(job) } };
  }
  const summary = await aggregateChecked(ctx.tx, ctx.actor, checked, ctx.clock.now());
  return ctx.afterCommit(async (read) => {
    const results = await loadResults(read.tx, summary.cycle.id);
    return aggregated(summary, results, withheldNow(results, ctx.clock.now(), ctx.config.BOT_TIMEZONE));
  });
}

/** The answer while the cycle's aggregation job is queued or running: its progress card. */
const aggregating = (job: BulkJob): CardResponse => ({ toast: { type: 'info', content: '正在汇总评分，卡片显示当前进度' }, card: { type: 'raw', data: jobCard(job) } });

/** The answer to 结束评分并汇总 done: the counts, and the preview of the results as committed. */
function aggregated(summary: { applications: number }, results: ResultsData, withheld: ReadonlySet<number> | undefined): CardResponse {
  // counted as the preview below counts them: a title a revocation holds back (E5) is not among the titles
  const shown = resultsSummary(results, withheld);
  // a year with nothing scored ends too: what is left to do is to publish it, which sends no certificate
  const toast = summary.applications
    ? `已汇总 ${summary.applications} 份申报：${aggregatedCounts(standingCounts(shown))}。请核对后公布。`
    : `${results.cycle.year}年度没有完成评分的申报，汇总已完成，不授予称号。请点“公布结果”结束本年度（不发送证书），之后即可开启下一年度评审。`;
  return {
    toast: { type: 'success', content: toast },
    card: { type: 'raw', data: resultsPreviewCard(shown) },
  };
}

/** The preview of a cycle's results as they stand, a title held back by a revocation marked. */
async function previewOf(ctx: HandlerContext, cycleId: number): Promise<CardResponse> {
  const results = await loadResults(ctx.tx, cycleId);
  return { card: { type: 'raw', data: resultsPreviewCard(resultsSummary(results, withheldNow(results, ctx.clock.now(), ctx.config.BOT_TIMEZONE))) } };
}

/**
 * The same in one round trip on PostgreSQL (src/fast/aggregate.ts), when the panels are aggregated and the cycle
 * closed; anything else (a refusal, a second click, a case the statement does not mirror) answers undefined having
 * written nothing, and `closeAndAggregate` runs.
 */
export const closeAndAggregateFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const cycleId = idOrZero(input.value, 'cycleId');
  if (!cycleId) return undefined;
  const done = await fastCloseScoring(
    fx.database,
    { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, cycleId, now: fx.clock.now(), bootstrapAdmins: fx.config.ADMIN_OPEN_IDS },
    (db, claimed) => loadResults(db, cycleId, claimed),
  );
  if (!done) return undefined;
  return { outcome: 'ok', answer: aggregated(done, done.read, withheldNow(done.read, fx.clock.now(), fx.config.BOT_TIMEZONE)), queued: 0 };
};

/** `results.preview` (评审结果): the ranking as aggregated, before or after publishing. */
export async function previewResults(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const cycle = await getCycle(ctx.tx, idFrom(input.value, 'cycleId'));
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  if (cycle.status !== 'closed' && cycle.status !== 'published') {
    // a job aggregating the cycle: its progress, rather than a request to do what was done
    const job = cycle.status === 'scoring' ? await activeBulkJob(ctx.tx, 'aggregate', cycle.id) : undefined;
    if (job) return aggregating(job);
    throw new UserError('专家评分尚未汇总：请在“评审进度”中点“结束评分并汇总”。', { kind: 'info' });
  }
  return previewOf(ctx, cycle.id);
}

/**
 * A refusal shows the progress card with the reason; 结束评分并汇总 clicked again, 公布结果 on a preview since
 * replaced, or on a year published already, the results as aggregated now.
 */
export async function resultsAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  const cycle = await getCycle(ctx.tx, idOrZero(input.value, 'cycleId'));
  if (!cycle) return undefined;
  // 公布结果 on a preview another administrator has published from: the results as published, not the progress card
  const publishedAlready = input.value.action === 'results.publish' && cycle.status === 'published';
  if ((err instanceof AlreadyDone || err instanceof PreviewOutdated || publishedAlready) && (cycle.status === 'closed' || cycle.status === 'published')) {
    return previewOf(ctx, cycle.id);
  }
  return { card: { type: 'raw', data: progressCard(await progressView(ctx.tx, cycle.id, err.message)) } };
}
