import { getBulkJob, jobCard, retryBulkJob } from '../../src/bulkJobs.js';
import { UserError } from '../../src/errors.js';
import { fastRetry } from '../../src/fast/jobSteps.js';
import type { CardActionDecl, CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { idFrom, idOrZero, raw } from '../respond.js';

/** `bulk.show` (刷新进度): the job's card as the database has it now. */
export async function showBulkJob(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const job = await getBulkJob(ctx.tx, idFrom(input.value, 'jobId'));
  if (!job) throw new UserError('找不到这项后台任务，请发送“管理”查看当前状态。');
  return raw(jobCard(job));
}

/** `bulk.retry` (重试): a failed job resumes where it stopped; anything else just shows its state. */
export async function retryBulkJobAction(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const job = await retryBulkJob(ctx.tx, ctx.actor, idFrom(input.value, 'jobId'), ctx.clock.now(), input.messageId);
  return raw(jobCard(job), job.status === 'queued' ? RESTARTED : undefined);
}

const RESTARTED = { type: 'success', content: '已重新开始，从中断处继续' } as const;

/**
 * 重试 that queues the failed job again, in one round trip on PostgreSQL (src/fast/jobSteps.ts); anything else (no such
 * job, a job not failed, another of its kind running, a delivery seen before) answers undefined having written
 * nothing, and `retryBulkJobAction` runs.
 */
export const retryBulkJobFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const jobId = idOrZero(input.value, 'jobId');
  if (!jobId) return undefined;
  const done = await fastRetry(fx.database, { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, jobId, now: fx.clock.now(), bootstrapAdmins: fx.config.ADMIN_OPEN_IDS, messageId: input.messageId });
  if (!done) return undefined;
  return { outcome: 'ok', answer: raw(jobCard(done.job), RESTARTED), queued: 0 };
};
