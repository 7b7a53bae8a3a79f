import { adminCard, cycleFormCard, cycleOpenedCard } from '../../cards/admin.js';
import { adminOverview } from '../../src/adminOverview.js';
import { type CycleInput, cycleForm, getRunningCycle, openCycle, runningYearText } from '../../src/cycles.js';
import { formatDateZh, todayIn } from '../../src/dates.js';
import { cite, formErrorOf, UserError } from '../../src/errors.js';
import { fastOpenCycle, openCycleInput } from '../../src/fast/cycleSteps.js';
import type { CardActionDecl, CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { formText } from '../respond.js';
import { adminCardFor, newCycleDefaults, typedValues } from './view.js';

/** `cycle.form` (开启年度评审): the form of a new cycle, defaults filled. */
export async function showCycleForm(ctx: HandlerContext): Promise<CardResponse> {
  const running = await getRunningCycle(ctx.tx);
  if (running) {
    throw new UserError(cite(19, runningYearText(running)), { article: 19, kind: 'info' });
  }
  return { card: { type: 'raw', data: cycleFormCard({ descriptor: cycleForm, mode: 'open', values: await newCycleDefaults(ctx) }) } };
}

/** The administrators' notice of an opened cycle: all it shows is what the form set (the row holds the same). */
function openedNotice(cycle: Pick<CycleInput, 'year' | 'applicationDeadline' | 'scoringDeadline' | 'reviewMeetingDate' | 'awardThreshold' | 'expertsPerApplication' | 'recommendShare'>, openedBy: string) {
  const card = cycleOpenedCard({
    year: cycle.year,
    applicationDeadline: formatDateZh(cycle.applicationDeadline),
    scoringDeadline: formatDateZh(cycle.scoringDeadline),
    reviewMeetingDate: formatDateZh(cycle.reviewMeetingDate),
    awardThreshold: cycle.awardThreshold,
    expertsPerApplication: cycle.expertsPerApplication,
    recommendShare: cycle.recommendShare,
    openedBy,
  });
  return { dedupeKey: `cycle:opened:${cycle.year}`, card };
}

const openedToast = (cycle: Pick<CycleInput, 'year' | 'applicationDeadline'>) => ({
  type: 'success' as const,
  content: `已开启${cycle.year}年度评审，申报截止${formatDateZh(cycle.applicationDeadline)}`,
});

/** `cycle.open` (the form's submit): opens the cycle and tells the administrators. */
export async function submitCycleForm(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const cycle = await openCycle(ctx.tx, ctx.actor, input.formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  await ctx.sendToAdmins(openedNotice(cycle, ctx.actor.openId));
  return ctx.afterCommit(async (read) => ({ toast: openedToast(cycle), card: { type: 'raw', data: await adminCardFor(read) } }));
}

/**
 * The same open in one round trip on PostgreSQL (src/fast/cycleSteps.ts), when it succeeds; anything else (a
 * refusal, a form to fix, a second click) answers undefined having written nothing, and `submitCycleForm` runs.
 */
export const submitCycleFormFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const now = fx.clock.now();
  const values = openCycleInput(input.formValue, now, fx.config.BOT_TIMEZONE);
  if (!values) return undefined;
  const today = todayIn(fx.config.BOT_TIMEZONE, now);
  const done = await fastOpenCycle(
    fx.database,
    { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, values, now, bootstrapAdmins: fx.config.ADMIN_OPEN_IDS, notice: openedNotice(values, fx.openId) },
    (db) => adminOverview(db, today),
  );
  if (!done) return undefined;
  return { outcome: 'ok', answer: { toast: openedToast(values), card: { type: 'raw', data: adminCard(done.read) } }, queued: done.queued };
};

/** A refused submission: the same form, with what was typed and why it was refused. */
export async function cycleFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  // a visitor gets no form; a cycle opened meanwhile gets the admin card
  if (!ctx.actor.roles.includes('admin')) return undefined;
  if (!err.opts.field && (await getRunningCycle(ctx.tx))) return { card: { type: 'raw', data: await adminCardFor(ctx) } };
  const values = { ...(await newCycleDefaults(ctx)), ...typedValues(formText(input.formValue)) };
  return { card: { type: 'raw', data: cycleFormCard({ descriptor: cycleForm, mode: 'open', values, error: formErrorOf(err) }) } };
}
