import { bulkJobCard } from '../../cards/bulk.js';
import { activeBulkJob, jobCard, jobView } from '../../src/bulkJobs.js';
import { closeApplications, deadlineMovedSince, lockCycle } from '../../src/cycles.js';
import { UserError } from '../../src/errors.js';
import { fastCloseApplications } from '../../src/fast/cycleSteps.js';
import { type CardActionDecl, type CardActionInput, type CardResponse, type HandlerContext, inSharedChat } from '../../src/handlers.js';
import { startAssignmentJob } from '../../src/review/assignJob.js';
import { assignmentCounts } from '../../src/review/assignment.js';
import { idFrom, idOrZero } from '../respond.js';
import { adminCardFor } from './view.js';

/** What follows the year in the line that says the applications are closed. */
const CLOSED_AFTER_YEAR = '年度申报已截止，进入专家评分阶段。';
const closedLine = (year: number) => `${year}${CLOSED_AFTER_YEAR}`;

/** What the toast adds when applications still wait for their contact: the card (the job's lead) names them. */
const waitingLine = (unconfirmed: number) => (unconfirmed ? `另有 ${unconfirmed} 份申报仍待单位确认，见卡片。` : '');

/** What the toast adds when drafts and returned applications were cut off by an early close: the card names them. */
const cutOffLine = (count: number) => (count ? `${count} 份未提交的申报随之截止，见卡片。` : '');

/** The answer when the close started the experts' assignment: the job's progress card, its lead naming the applications still unconfirmed. */
function assigning(year: number, job: Parameters<typeof jobCard>[0], unconfirmed: number, cutOff = 0): CardResponse {
  return { toast: { type: 'success', content: `${closedLine(year)}${cutOffLine(cutOff)}${waitingLine(unconfirmed)}正在分配专家，完成后卡片会更新` }, card: { type: 'raw', data: jobCard(job) } };
}

/** The application deadline the button's card was drawn with (YYYY-MM-DD); none on a card drawn before buttons carried it. */
function drawnDeadline(value: Record<string, unknown>): string | undefined {
  const d = value.deadline;
  return typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : undefined;
}

/**
 * `cycle.closeApplications` (截止申报, after the confirm dialog): open → scoring, and the experts' assignment
 * recorded as a job; the answer is its progress card, the task cards are queued by the job's batches. The toast says
 * what happened in a line a phone shows whole; the card it answers with says it in full (who was cut off, who still
 * waits, why no expert was assigned).
 */
export async function closeApplicationsNow(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const cycleId = idFrom(input.value, 'cycleId');
  // issued together (one round trip): the running job, then the cycle under its lock, which the close then changes
  const [running, locked] = await Promise.all([activeBulkJob(ctx.tx, 'assign', cycleId), lockCycle(ctx.tx, cycleId)]);
  // a second click while the assignment runs shows its progress
  if (running && locked.status !== 'open') {
    return { toast: { type: 'info', content: '申报已截止，专家分配正在进行' }, card: { type: 'raw', data: jobCard(running) } };
  }
  // a card drawn before the deadline was changed: its dialog spoke of the old date (how early, what it cuts off)
  const drawn = drawnDeadline(input.value);
  // the refusal says the card is drawn again only where `adminCardAgain` draws it (not on a card in a shared chat)
  if (drawn && locked.status === 'open' && locked.applicationDeadline !== drawn) {
    throw await deadlineMovedSince(ctx.tx, locked, drawn, ctx.config.BOT_TIMEZONE, { by: ctx.actor.openId, redrawn: !(await inSharedChat(ctx, input)) });
  }
  // issued together: the close and the counts the assignment needs (the close changes the cycle's status, which they do not read)
  const [cycle, counts] = await Promise.all([closeApplications(ctx.tx, ctx.actor, locked, ctx.clock.now(), ctx.config.BOT_TIMEZONE), assignmentCounts(ctx.tx, cycleId)]);
  // an application submitted in time and still unconfirmed is named: unconfirmed by 结束评分并汇总, it takes no part
  // closed early, the drafts and returned applications cut off are counted, their leaders told
  const closed = `${closedLine(cycle.year)}${cycle.cutOff.note}${cycle.unconfirmed.note}`;
  // the toast's own words: the notes' counts, the card names them
  const short = `${closedLine(cycle.year)}${cutOffLine(cycle.cutOff.count)}${waitingLine(cycle.unconfirmed.waiting)}`;
  // 分配专家 pressed while applications were open is still running: it goes on, the card shows it
  if (running) return { toast: { type: 'success', content: `${short}专家分配正在进行` }, card: { type: 'raw', data: bulkJobCard({ ...jobView(running), lead: closed }) } };
  // closing the application phase is when the accepted applications get their experts; if that cannot
  // happen yet (no expert in the pool), the close stands and the administrator is told why
  try {
    const started = await startAssignmentJob(ctx.tx, ctx.actor, cycle, { messageId: input.messageId, lead: closed, now: ctx.clock.now(), known: { running, counts } });
    if (started.state === 'nothing') return { toast: { type: 'success', content: `${short}所有申报已配齐专家，无需再分配` }, card: { type: 'raw', data: await adminCardFor(ctx, closed) } };
    if (started.state === 'started') return assigning(cycle.year, started.job, cycle.unconfirmed.waiting, cycle.cutOff.count);
    return { toast: { type: 'info', content: `${short}专家分配正在进行` }, card: { type: 'raw', data: jobCard(started.job) } };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    // nothing came to the review, nor may come: no expert to assign, and the year ends with 结束评分并汇总 then 公布结果 (the card says so)
    if (!counts.apps && !counts.unchecked && !cycle.unconfirmed.waiting) {
      return { toast: { type: 'success', content: `${cycle.year}年度申报已截止：本年度没有申报进入评审，无需分配专家，见卡片` }, card: { type: 'raw', data: await adminCardFor(ctx, closed) } };
    }
    // none accepted yet: those waiting for their contact or the formal check get experts once accepted
    const why = counts.apps ? `专家尚未分配：${err.message}` : '目前没有已受理的申报，专家尚未分配：待单位确认、待协会形式审查的申报经“形式审查”受理后，再点“分配专家”。';
    return { toast: { type: 'success', content: `${short}专家尚未分配，见卡片。` }, card: { type: 'raw', data: await adminCardFor(ctx, `${closed}${why}`) } };
  }
}

/**
 * The close that starts the assignment, in one round trip on PostgreSQL (src/fast/cycleSteps.ts); anything else (a
 * refusal, a second click, a job already running, nothing to assign, a close before the deadline cutting off drafts)
 * answers undefined having written nothing, and
 * `closeApplicationsNow` runs.
 */
export const closeApplicationsFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const cycleId = idOrZero(input.value, 'cycleId');
  if (!cycleId) return undefined;
  const done = await fastCloseApplications(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    cycleId,
    messageId: input.messageId,
    leadAfterYear: CLOSED_AFTER_YEAR,
    drawnDeadline: drawnDeadline(input.value),
    now: fx.clock.now(),
    timezone: fx.config.BOT_TIMEZONE,
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
  });
  if (!done) return undefined;
  const year = (done.job.params as { year: number }).year;
  return { outcome: 'ok', answer: assigning(year, done.job, done.unconfirmed), queued: done.queued };
};

/** Whatever was refused, the card shows the state as it is now. */
export async function adminCardAgain(_err: unknown, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  // the admin card is the clicker's: on a card in a group (a job card, the digest; bound now or unbound since) the refusal's toast is all
  if (!ctx.actor.roles.includes('admin') || (await inSharedChat(ctx, input))) return undefined;
  return { card: { type: 'raw', data: await adminCardFor(ctx) } };
}
