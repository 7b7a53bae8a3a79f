import { and, asc, eq, sql } from 'drizzle-orm';
import { unconfirmedUntoldCounts } from '../deadlineNotices.js';
import type { ProgressView } from '../../cards/review.js';
import type { Db } from '../../db/index.js';
import { applications, teams } from '../../db/schema.js';
import { type ApplicationStatus, applicationStatusNames } from '../applications.js';
import { activeBulkJob } from '../bulkJobs.js';
import { aggregatedBefore, cycleStatusLabel } from '../cycles.js';
import { reviewProgress } from './results.js';

const reviewStatuses: ApplicationStatus[] = ['accepted', 'scoring', 'scored', 'decided'];

/** Teams named of the applications still waiting for their contact (第十五条), the first by code; `total` counts them all. */
const UNCONFIRMED_NAMED = 5;

function unconfirmedOf(tx: Db, cycleId: number) {
  return tx
    // count(*) over () is taken before the limit
    .select({ code: teams.code, name: teams.name, total: sql<number>`count(*) over ()::int`.mapWith(Number) })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycleId), eq(applications.status, 'submitted')))
    .orderBy(asc(teams.code))
    .limit(UNCONFIRMED_NAMED);
}

/** 评审进度 as the database has it now, for `progressCard` (cards/review.ts); `error` is shown above it. */
export async function progressView(tx: Db, cycleId: number, error?: string): Promise<ProgressView> {
  // the job is read beside the progress's first read, in its round trip
  const [p, job, summed, unconfirmed, untold] = await Promise.all([reviewProgress(tx, cycleId), activeBulkJob(tx, 'aggregate', cycleId), aggregatedBefore(tx, cycleId), unconfirmedOf(tx, cycleId), unconfirmedUntoldCounts(tx, cycleId)]);
  return {
    cycleId,
    year: p.cycle.year,
    status: p.cycle.status,
    statusLabel: cycleStatusLabel(p.cycle.status),
    applications: reviewStatuses.map((s) => ({ label: applicationStatusNames[s], count: p.statusCounts[s] ?? 0 })),
    // 结束评分并汇总 waits for them: counted, with 形式审查, while there are any
    unchecked: p.statusCounts.recommended ?? 0,
    tasks: {
      assigned: p.taskCounts.assigned ?? 0,
      submitted: p.taskCounts.submitted ?? 0,
      declined: p.taskCounts.declined ?? 0,
      replaced: p.taskCounts.replaced ?? 0,
    },
    pending: p.pending,
    pendingTotal: p.pendingTotal,
    shortTotal: p.shortTotal,
    shortScored: p.shortScored,
    shortScoredTotal: p.shortScoredTotal,
    error,
    reopenedForSheets: p.cycle.status === 'scoring' && summed,
    // 结束评分并汇总 leaves them out of the year: said before it is clicked
    ...(p.cycle.status === 'scoring' && unconfirmed.length ? { unconfirmed: { total: unconfirmed[0].total, teams: unconfirmed.map(({ code, name }) => ({ code, name })), ...(untold.contacts || untold.leaders ? { untold } : {}) } } : {}),
    ...(job ? { aggregating: { jobId: job.id, total: job.total } } : {}),
  };
}
