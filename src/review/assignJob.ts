import type { Db } from '../../db/index.js';
import { activeBulkJob, type BulkJob, startBulkJob } from '../bulkJobs.js';
import type { Cycle } from '../cycles.js';
import type { Actor } from '../people.js';
import { assignmentsToMake } from './assignment.js';

export type AssignmentStart =
  /** a 分配专家 job already runs for the cycle: a second click shows it, starts nothing */
  | { state: 'running'; job: BulkJob }
  /** every accepted application has its experts */
  | { state: 'nothing' }
  | { state: 'started'; job: BulkJob };

/**
 * 分配专家 (and 截止申报) record the assignment as a job in the caller's transaction; the worker fills
 * the panels batch by batch. `lead` is a line the progress card shows above the counts.
 */
export async function startAssignmentJob(tx: Db, actor: Actor, cycle: Cycle, opts: { messageId?: string; lead?: string; now: Date }): Promise<AssignmentStart> {
  const running = await activeBulkJob(tx, 'assign', cycle.id);
  if (running) return { state: 'running', job: running };
  const total = await assignmentsToMake(tx, cycle);
  if (total === 0) return { state: 'nothing' };
  const { job } = await startBulkJob(tx, { kind: 'assign', cycleId: cycle.id, year: cycle.year, createdBy: actor.openId, messageId: opts.messageId, total, lead: opts.lead, now: opts.now });
  return { state: 'started', job };
}
