import { cycleFormCard, cycleOpenedCard } from '../../cards/admin.js';
import { cycleForm, getRunningCycle, openCycle } from '../../src/cycles.js';
import { formatDateZh } from '../../src/dates.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { formText } from '../respond.js';
import { adminCardFor, newCycleDefaults, typedValues } from './view.js';

/** `cycle.form` (开启年度评审): the form of a new cycle, defaults filled. */
export async function showCycleForm(ctx: HandlerContext): Promise<CardResponse> {
  const running = await getRunningCycle(ctx.tx);
  if (running) {
    throw new UserError(`${running.year}年度评审仍在进行，结果公布后才能开启新的年度评审（第十九条：评审每年一次）。`, { kind: 'info' });
  }
  return { card: { type: 'raw', data: cycleFormCard({ descriptor: cycleForm, mode: 'open', values: await newCycleDefaults(ctx) }) } };
}

/** `cycle.open` (the form's submit): opens the cycle and tells the administrators. */
export async function submitCycleForm(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const cycle = await openCycle(ctx.tx, ctx.actor, input.formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  const notice = cycleOpenedCard({
    year: cycle.year,
    applicationDeadline: formatDateZh(cycle.applicationDeadline),
    scoringDeadline: formatDateZh(cycle.scoringDeadline),
    reviewMeetingDate: formatDateZh(cycle.reviewMeetingDate),
    awardThreshold: cycle.awardThreshold,
    expertsPerApplication: cycle.expertsPerApplication,
    recommendShare: cycle.recommendShare,
    openedBy: ctx.actor.openId,
  });
  await ctx.sendToAdmins({ dedupeKey: `cycle:opened:${cycle.year}`, card: notice });
  return ctx.afterCommit(async (read) => ({
    toast: { type: 'success', content: `已开启${cycle.year}年度评审，申报截止${formatDateZh(cycle.applicationDeadline)}` },
    card: { type: 'raw', data: await adminCardFor(read) },
  }));
}

/** A refused submission: the same form, with what was typed and why it was refused. */
export async function cycleFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  // a visitor gets no form; a cycle opened meanwhile gets the admin card
  if (!ctx.actor.roles.includes('admin')) return undefined;
  if (!err.opts.field && (await getRunningCycle(ctx.tx))) return { card: { type: 'raw', data: await adminCardFor(ctx) } };
  const values = { ...(await newCycleDefaults(ctx)), ...typedValues(formText(input.formValue)) };
  return { card: { type: 'raw', data: cycleFormCard({ descriptor: cycleForm, mode: 'open', values, error: err.message }) } };
}
