import { activeBulkJob, jobCard } from '../../src/bulkJobs.js';
import { closeApplications, lockCycle } from '../../src/cycles.js';
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

/** The answer when the close started the experts' assignment: the job's progress card, its lead naming the applications still unconfirmed. */
function assigning(year: number, job: Parameters<typeof jobCard>[0], unconfirmed: number, cutOffNote = ''): CardResponse {
  return { toast: { type: 'success', content: `${closedLine(year)}${cutOffNote}${waitingLine(unconfirmed)}正在分配专家，完成后卡片会更新` }, card: { type: 'raw', data: jobCard(job) } };
}

/**
 * `cycle.closeApplications` (截止申报, after the confirm dialog): open → scoring, and the experts' assignment
 * recorded as a job; the answer is its progress card, the task cards are queued by the job's batches.
 */
export async function closeApplicationsNow(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const cycleId = idFrom(input.value, 'cycleId');
  // issued together (one round trip): the running job, then the cycle under its lock, which the close then changes
  const [running, locked] = await Promise.all([activeBulkJob(ctx.tx, 'assign', cycleId), lockCycle(ctx.tx, cycleId)]);
  // a second click while the assignment runs shows its progress
  if (running && locked.status !== 'open') {
    return { toast: { type: 'info', content: '申报已截止，专家分配正在进行' }, card: { type: 'raw', data: jobCard(running) } };
  }
  // issued together: the close and the counts the assignment needs (the close changes the cycle's status, which they do not read)
  const [cycle, counts] = await Promise.all([closeApplications(ctx.tx, ctx.actor, locked, ctx.clock.now(), ctx.config.BOT_TIMEZONE), assignmentCounts(ctx.tx, cycleId)]);
  // an application submitted in time and still unconfirmed is named: unconfirmed by 结束评分并汇总, it takes no part
  // closed early, the drafts and returned applications cut off are counted, their leaders told
  const closed = `${closedLine(cycle.year)}${cycle.cutOff.note}${cycle.unconfirmed.note}`;
  // 分配专家 pressed while applications were open is still running: it goes on, the card shows it
  if (running) return { toast: { type: 'success', content: `${closed}专家分配正在进行` }, card: { type: 'raw', data: jobCard(running) } };
  // closing the application phase is when the accepted applications get their experts; if that cannot
  // happen yet (no expert in the pool), the close stands and the administrator is told why
  try {
    const started = await startAssignmentJob(ctx.tx, ctx.actor, cycle, { messageId: input.messageId, lead: closed, now: ctx.clock.now(), known: { running, counts } });
    if (started.state === 'nothing') return { toast: { type: 'success', content: `${closed}所有申报已配齐专家，无需再分配` }, card: { type: 'raw', data: await adminCardFor(ctx) } };
    if (started.state === 'started') return assigning(cycle.year, started.job, cycle.unconfirmed.waiting, cycle.cutOff.note);
    return { toast: { type: 'info', content: `${closed}专家分配正在进行` }, card: { type: 'raw', data: jobCard(started.job) } };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { toast: { type: 'success', content: `${closed}专家尚未分配：${err.message}` }, card: { type: 'raw', data: await adminCardFor(ctx) } };
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
