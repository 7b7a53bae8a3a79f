import { getBulkJob, jobCard, retryBulkJob } from '../../src/bulkJobs.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { idFrom, raw } from '../respond.js';

/** `bulk.show` (刷新进度): the job's card as the database has it now. */
export async function showBulkJob(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const job = await getBulkJob(ctx.tx, idFrom(input.value, 'jobId'));
  if (!job) throw new UserError('找不到这项后台任务，请发送“管理”查看当前状态。');
  return raw(jobCard(job));
}

/** `bulk.retry` (重试): a failed job resumes where it stopped; anything else just shows its state. */
export async function retryBulkJobAction(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const job = await retryBulkJob(ctx.tx, ctx.actor, idFrom(input.value, 'jobId'), ctx.clock.now());
  return raw(jobCard(job), job.status === 'queued' ? { type: 'success', content: '已重新开始，从中断处继续' } : undefined);
}
