import type { ProgressView } from '../../cards/review.js';
import type { Db } from '../../db/index.js';
import { type ApplicationStatus, applicationStatusNames } from '../applications.js';
import { activeBulkJob } from '../bulkJobs.js';
import { aggregatedBefore, cycleStatusLabel } from '../cycles.js';
import { reviewProgress } from './results.js';

const reviewStatuses: ApplicationStatus[] = ['accepted', 'scoring', 'scored', 'decided'];

/** 评审进度 as the database has it now, for `progressCard` (cards/review.ts); `error` is shown above it. */
export async function progressView(tx: Db, cycleId: number, error?: string): Promise<ProgressView> {
  // the job is read beside the progress's first read, in its round trip
  const [p, job, summed] = await Promise.all([reviewProgress(tx, cycleId), activeBulkJob(tx, 'aggregate', cycleId), aggregatedBefore(tx, cycleId)]);
  return {
    cycleId,
    year: p.cycle.year,
    status: p.cycle.status,
    statusLabel: cycleStatusLabel(p.cycle.status),
    applications: reviewStatuses.map((s) => ({ label: applicationStatusNames[s], count: p.statusCounts[s] ?? 0 })),
    tasks: {
      assigned: p.taskCounts.assigned ?? 0,
      submitted: p.taskCounts.submitted ?? 0,
      declined: p.taskCounts.declined ?? 0,
      replaced: p.taskCounts.replaced ?? 0,
    },
    pending: p.pending,
    pendingTotal: p.pendingTotal,
    error,
    reopenedForSheets: p.cycle.status === 'scoring' && summed,
    ...(job ? { aggregating: { jobId: job.id, total: job.total } } : {}),
  };
}
