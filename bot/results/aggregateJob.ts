import type { BulkJobKind } from '../../src/bulkJobs.js';
import { closeScoring } from '../../src/review/results.js';
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
  async runBatch({ tx, job, actor, clock }) {
    const summary = await closeScoring(tx, actor, job.cycleId!, clock.now());
    return { done: summary.applications, total: summary.applications, cursor: 0, finished: true, result: { outcome: aggregatedOutcome(summary) } };
  },
};
