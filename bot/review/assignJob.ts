import { teamsOfApplications } from '../../src/applications.js';
import { type BulkJob, type BulkJobKind, jobCard } from '../../src/bulkJobs.js';
import { type Cycle, lockCycle } from '../../src/cycles.js';
import { fastAssign } from '../../src/fast/jobSteps.js';
import type { CardActionDecl, CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { enqueue, enqueueMany } from '../../src/outbox.js';
import { assignBatch, checkAssignable, expertsWhoLeft, expertsWhoLeftNote } from '../../src/review/assignment.js';
import { startAssignmentJob } from '../../src/review/assignJob.js';
import { taskCardMessage } from '../../src/review/taskCards.js';
import { idOrZero } from '../respond.js';
import { progressCardFor } from './view.js';

/** Applications per batch: a few hundred rows of assignments and task cards per transaction. */
export const ASSIGN_BATCH = 200;
const REPORT_MAX = 15;

type AssignResult = {
  /** the experts passed by for having left the company, said on the finished card */
  outcome?: string;
  missing?: number;
  unfilled?: { code: string; team: string; reason: string }[];
  unfilledTotal?: number;
};

/** 分配专家 as a job: each batch fills the next applications' panels and queues each new task to its expert. */
export const assignJob: BulkJobKind = {
  kind: 'assign',
  async runBatch({ tx, job, actor, clock }) {
    // the cycle's lock, as 谢绝, 更换专家 and 重开评分 take it first: a batch and a replacement
    // on the same panel go one after the other, each planning on what the other committed (no panel filled twice)
    const cycle = await lockCycle(tx, job.cycleId!);
    await checkAssignable(tx, cycle);
    const now = clock.now();
    const batch = await assignBatch(tx, actor, cycle, job.cursor, ASSIGN_BATCH, now);
    const before = (job.result ?? {}) as AssignResult;
    // the pool is the same for every batch: the experts it passes by for having left are said once, at the end
    const left = async () => {
      const who = await expertsWhoLeft(tx);
      if (!who.length) return {};
      // the names privately, the card (perhaps a group's) counting them: expertsWhoLeftNote
      await enqueue(tx, { dedupeKey: `assign:left:${job.id}`, to: { openId: actor.openId }, text: expertsWhoLeftNote(who, 'message')! });
      return { outcome: expertsWhoLeftNote(who, 'card') };
    };
    if (!batch) return { done: job.done, total: job.done + missingOf(before), cursor: job.cursor, finished: true, result: { ...before, ...(await left()) } };
    // the key is the assignment: a batch replayed after a crash queues nothing twice; the card is drawn when it is sent
    await enqueueMany(tx, batch.created.map((assignment) => taskCardMessage(assignment, 'bulk')));
    const listed = before.unfilled ?? [];
    const room = REPORT_MAX - listed.length;
    const shown = room > 0 ? batch.unfilled.slice(0, room) : [];
    const byId = await teamsOfApplications(tx, shown.map((u) => u.applicationId));
    const missing = batch.unfilled.reduce((n, u) => n + u.missing, 0);
    const result: Omit<Required<AssignResult>, 'outcome'> & AssignResult = {
      unfilled: [...listed, ...shown.map((u) => ({ code: byId.get(u.applicationId)?.code ?? '', team: byId.get(u.applicationId)?.name ?? '', reason: u.reason }))],
      unfilledTotal: (before.unfilledTotal ?? 0) + batch.unfilled.length,
      missing: missingOf(before) + missing,
    };
    const done = job.done + batch.created.length;
    // a short batch was the last: the total becomes what was made plus what could not be
    const finished = batch.applications < ASSIGN_BATCH;
    return { done, total: finished ? done + result.missing : Math.max(job.total, done + result.missing), cursor: batch.lastApplicationId, finished, result: finished ? { ...result, ...(await left()) } : result };
  },
};

/** Tasks that could not be made so far (experts short), counted into the total. */
function missingOf(result: AssignResult & { missing?: number }): number {
  return Number(result.missing ?? 0);
}

/**
 * Records the 分配专家 job for the cycle (the row, or its id) and answers with its progress card; a job
 * already running is shown instead. `lead` is a line above the progress (截止申报 says the phase is closed).
 */
export async function startAssignment(ctx: HandlerContext, input: CardActionInput, cycle: Cycle | number, lead?: string): Promise<CardResponse> {
  const started = await startAssignmentJob(ctx.tx, ctx.actor, cycle, { messageId: input.messageId, lead, now: ctx.clock.now() });
  if (started.state === 'running') return { toast: { type: 'info', content: '专家分配正在进行，卡片显示当前进度' }, card: { type: 'raw', data: jobCard(started.job) } };
  if (started.state === 'nothing') return { toast: { type: 'success', content: `${lead ?? ''}所有申报已配齐专家，无需再分配` }, card: { type: 'raw', data: await progressCardFor(ctx, typeof cycle === 'number' ? cycle : cycle.id) } };
  // 分配专家 pressed (not 截止申报, whose card says it when the job ends): the experts passed by, at once
  return assignmentStarted(started.job, lead, lead ? undefined : expertsWhoLeftNote(await expertsWhoLeft(ctx.tx), 'toast'));
}

/** The answer when the assignment was recorded: the job's progress card. */
function assignmentStarted(job: BulkJob, lead?: string, passedBy?: string): CardResponse {
  return { toast: { type: 'success', content: `${lead ?? ''}正在分配专家，完成后卡片会更新${passedBy ? `；${passedBy}` : ''}` }, card: { type: 'raw', data: jobCard(job) } };
}

/**
 * 分配专家 that records the job, in one round trip on PostgreSQL (src/fast/jobSteps.ts); anything else (a refusal, a
 * job already running, nothing to assign, a delivery seen before) answers undefined having written nothing, and
 * `assignExperts` runs.
 */
export const assignExpertsFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const cycleId = idOrZero(input.value, 'cycleId');
  if (!cycleId) return undefined;
  const done = await fastAssign(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    cycleId,
    messageId: input.messageId,
    now: fx.clock.now(),
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
  });
  if (!done) return undefined;
  return { outcome: 'ok', answer: assignmentStarted(done.job, undefined, expertsWhoLeftNote(done.left, 'toast')), queued: 0 };
};
