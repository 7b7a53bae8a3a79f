import type { FormError } from '../../cards/forms.js';
import { conflictFormCard } from '../../cards/experts.js';
import { conflictAfterScoringCard } from '../../cards/review.js';
import type { Card } from '../../cards/kit.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { fastDeclareConflict } from '../../src/fast/replace.js';
import type { CardActionInput, CardAnswer, CardResponse, FastContext, FastOutcome, HandlerContext, IncomingText } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { conflictDisplay, conflictForm } from '../../src/review/conflicts.js';
import { conflictsOf, declareConflict } from '../../src/review/experts.js';
import { alertOutliers } from '../../src/review/outlierAlert.js';
import { announceReopeningDone } from '../../src/review/reopeningDone.js';
import { announceReplacement } from '../../src/review/taskCards.js';
import { formText, pageFrom, sendPrivately } from '../respond.js';

async function conflictCard(ctx: HandlerContext, opts: { values?: Record<string, string>; error?: FormError | string; done?: string; page?: number } = {}): Promise<Card> {
  return conflictFormCard({ descriptor: conflictForm, declared: (await conflictsOf(ctx.tx, ctx.actor.openId)).map(conflictDisplay), ...opts });
}

/** `experts.conflictForm` (声明利益冲突), and 上一页 / 下一页 of what was declared. */
export async function showConflictForm(ctx: HandlerContext, input?: CardActionInput): Promise<CardResponse> {
  return { card: { type: 'raw', data: await conflictCard(ctx, { page: input ? pageFrom(input.value) : 1 }) } };
}

/** 声明利益冲突 typed by an expert: the form, sent privately as its button opens it; anyone else is asking the measures. */
export async function sendConflictForm(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  if (!hasRole(ctx.actor, 'expert')) return false;
  await sendPrivately(ctx, msg, `experts:conflictForm:${ctx.eventId}`, { card: await conflictCard(ctx) }, '利益冲突声明表');
}

/** `experts.conflictAdd`: recorded; pending tasks it touches go to other experts. */
export async function addConflict(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const { label, reason, declined, conflictId, scored } = await declareConflict(ctx.tx, ctx.actor, input.formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  for (const d of declined) {
    await announceReplacement(ctx, d.task, d.replacement, '专家声明了利益冲突');
    // a place nobody takes may leave the panel with no task pending: it completed, and its outliers are told
    await alertOutliers(ctx, d.task, d);
    await announceReopeningDone(ctx, d.task, d);
  }
  // sheets submitted before the declaration still count: the administrators decide whether to take them out (第十七条)
  if (scored.length) {
    await ctx.sendToAdmins({ dedupeKey: `review:conflictScored:${conflictId}`, card: conflictAfterScoringCard({ expertOpenId: ctx.actor.openId, label, reason, scored }) });
  }
  // a task whose panel is still short after its replacement (it was short before) counts as not filled: the
  // administrators are told what it misses
  const replaced = declined.filter((d) => d.replacement.created && !d.replacement.unfilled).length;
  const unfilled = declined.filter((d) => d.replacement.unfilled).length;
  const done = `${declaredText(label, replaced, unfilled)}${scored.length ? `你此前已提交的 ${scored.length} 份相关评分已报协会管理员处理。` : ''}`;
  return ctx.afterCommit(async (read) => ({ toast: { type: 'success', content: done }, card: { type: 'raw', data: await conflictCard(read, { done }) } }));
}

const declaredText = (label: string, replaced: number, unfilled: number) =>
  `已声明与“${label}”存在利益冲突${replaced ? `，其 ${replaced} 项未完成的评分任务已改派其他专家` : ''}${unfilled ? `${replaced ? '；' : '，'}${unfilled} 项暂无专家可以接替，已告知协会管理员` : ''}。`;

/**
 * `experts.conflictAdd` on PostgreSQL: the same declaration in one round trip (src/fast/replace.ts) when it succeeds and
 * every pending task it touches (a few at most) gets a replacement for each place its panel misses; anything else
 * answers undefined having kept nothing, and `addConflict` runs.
 */
export async function addConflictFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const done = await fastDeclareConflict(fx.database, { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, formValue: input.formValue, now: fx.clock.now() });
  if (!done) return undefined;
  const text = declaredText(done.label, done.replaced, 0);
  const card = conflictFormCard({ descriptor: conflictForm, declared: done.declared.map(conflictDisplay), done: text });
  return { outcome: 'ok', answer: { toast: { type: 'success', content: text }, card: { type: 'raw', data: card } }, queued: done.queued };
}

export async function conflictFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  // declared by the first click: the form with the declarations, as the first answer showed it
  if (err instanceof AlreadyDone) return { card: { type: 'raw', data: await conflictCard(ctx, { done: err.message }) } };
  if (!err.opts.field) return undefined;
  return { card: { type: 'raw', data: await conflictCard(ctx, { values: formText(input.formValue), error: formErrorOf(err) }) } };
}
