import type { Db } from '../../db/index.js';
import { activeBulkJob, type BulkJob, startBulkJob } from '../bulkJobs.js';
import { aggregatedBefore, type Cycle, getCycle } from '../cycles.js';
import { UserError } from '../errors.js';
import type { Actor } from '../people.js';
import { type AssignmentCounts, assignmentCounts, checkAssignable, tasksToMake } from './assignment.js';

export type AssignmentStart =
  /** a 分配专家 job already runs for the cycle: a second click shows it, starts nothing */
  | { state: 'running'; job: BulkJob }
  /** every accepted application has its experts */
  | { state: 'nothing' }
  | { state: 'started'; job: BulkJob };

/**
 * 分配专家 (and 截止申报) record the assignment as a job in the caller's transaction; the worker fills
 * the panels batch by batch. `cycle` is the row, or its id when the caller has not read it. `lead` is a
 * line the progress card shows above the counts. `known`: the running job and the counts, when the caller read
 * them in this transaction already (截止申报 reads them beside its own statements), so they are not read again.
 */
export async function startAssignmentJob(
  tx: Db,
  actor: Actor,
  cycle: Cycle | number,
  opts: { messageId?: string; lead?: string; now: Date; known?: { running: BulkJob | undefined; counts: AssignmentCounts } },
): Promise<AssignmentStart> {
  const cycleId = typeof cycle === 'number' ? cycle : cycle.id;
  // issued together (one round trip): none waits for another, and a refusal leaves the others unused
  const [found, running, counts, aggregated] = await Promise.all([
    typeof cycle === 'number' ? getCycle(tx, cycle) : cycle,
    opts.known ? opts.known.running : activeBulkJob(tx, 'assign', cycleId),
    opts.known?.counts ?? assignmentCounts(tx, cycleId),
    // 截止申报 (known) starts the first scoring, never summed before
    opts.known ? false : aggregatedBefore(tx, cycleId),
  ]);
  if (!found) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  if (running) return { state: 'running', job: running };
  await checkAssignable(tx, found, aggregated);
  const total = tasksToMake(counts);
  if (total === 0) return { state: 'nothing' };
  const { job, created } = await startBulkJob(tx, { kind: 'assign', cycleId, year: found.year, createdBy: actor.openId, messageId: opts.messageId, total, lead: opts.lead, now: opts.now });
  // recorded first by a click at the same time, whose job this one's look for a running job did not see
  return { state: created ? 'started' : 'running', job };
}
