import type { BulkJobKind } from '../../src/bulkJobs.js';
import { lockCycle } from '../../src/cycles.js';
import { closeScoring, standingTitles } from '../../src/review/results.js';
import { aggregatedOutcome } from './view.js';

/**
 * 结束评分并汇总 of a large cycle as a job (more than `aggregation.inCallbackMax` scored applications): one batch, one
 * transaction, does what the callback does for a small cycle: checks again under the cycle's lock, aggregates every
 * panel, decides, and closes the cycle. It is not split, because the ranking needs every final score and a cycle half
 * aggregated would be neither scoring nor closed. A 重开评分 that lands before the batch takes the lock makes it fail
 * with the reason (“还有 1 份申报未完成评分…”) on its card; 重试 runs it again.
 */
export const aggregateJob: BulkJobKind = {
  kind: 'aggregate',
  async runBatch({ tx, job, actor, clock, config }) {
    // 重试 of a job that failed (a 重开评分 came first) after the cycle was aggregated another way: nothing to do, and
    // nothing to alert the administrators of
    const cycle = await lockCycle(tx, job.cycleId!);
    if (cycle.status === 'closed' || cycle.status === 'published') {
      return { done: job.total, total: job.total, cursor: 0, finished: true, result: { outcome: `${cycle.year}年度评分已于此前汇总，这次没有重复汇总。请点“评审结果”查看。` } };
    }
    const now = clock.now();
    const summary = await closeScoring(tx, actor, job.cycleId!, now);
    // counted as the preview counts them: a title a revocation holds back (E5) is not among the titles
    const counts = await standingTitles(tx, summary.cycle, now, config.BOT_TIMEZONE);
    return { done: summary.applications, total: summary.applications, cursor: 0, finished: true, result: { outcome: aggregatedOutcome(counts) } };
  },
};
