import type { Card } from '../../cards/kit.js';
import type { FormError } from '../../cards/forms.js';
import { replacementFailedCard, scoringTaskCard, type TaskApplication, taskApplicationCard } from '../../cards/review.js';
import type { Db } from '../../db/index.js';
import { applicationForm, recommendationOf } from '../applications.js';
import { cycleScoreSheet } from '../cycles.js';
import { addDays, formatDateZh, todayIn } from '../dates.js';
import type { Clock } from '../clock.js';
import { formDisplay } from '../forms.js';
import { sheetFingerprint } from '../scoreSheet.js';
import type { HandlerContext } from '../handlers.js';
import type { CardRenderer, CardSpec, OutboxRow, OutgoingMessage, RenderedCard } from '../outbox.js';
import type { NewAssignment } from './assignment.js';
import { DECLARED_CONFLICT, getTasks, reopenedCardKey, resultsPublishedText, reopenedCardKeys, type Replacement, type ScoreField, scoreFields, scoreSheetForm, type SubmittedTask, type Task, taskCardKey } from './scoring.js';
import { errorText } from '../log.js';

/**
 * 评分任务卡: the score sheet card an expert receives for each assignment. The outbox row holds only
 * `{ kind: 'reviewTask', assignmentId }` and the card is drawn when it is sent, from the task as it is then
 * (30 000 task cards of ~8 KB each stay out of the assignment job's transactions).
 */

/**
 * What an expert reads of an application: the form and its organisation's 推荐意见 (第十五条), never anyone's scores.
 * A stored sheet's answer reads back only the form's brief (`SubmittedTask`), which shows no recommendation.
 */
export function taskApplication(task: Pick<SubmittedTask, 'team' | 'organization'> & { application: SubmittedTask['application'] & { endorsement?: unknown } }): TaskApplication {
  const recommendation = recommendationOf(task.application.endorsement);
  return {
    code: task.team.code,
    team: task.team.name,
    organization: task.organization,
    display: formDisplay(applicationForm, task.application.form as Record<string, unknown> | null),
    ...(recommendation ? { recommendation } : {}),
  };
}

/** Feishu takes a card's clicks (and updates it) only within this many days of sending its message. */
export const CARD_CLICKABLE_DAYS = 14;

/**
 * When a task card stops taking 提交评分, for its note: the date its message can no longer be clicked when that comes
 * no later than the scoring deadline (on that day the card stops at the hour it was sent, before scoring ends);
 * `true` when the message's sending day is unknown (`sentOn` absent: a card answered in place of an earlier message).
 */
export function clickableUntil(scoringDeadline: string, sentOn: string | undefined): string | true | undefined {
  if (!sentOn) return true;
  const last = addDays(sentOn, CARD_CLICKABLE_DAYS);
  return last <= scoringDeadline ? formatDateZh(last) : undefined;
}

/**
 * The score sheet card of a task; `typed` are the strings typed (kept on a refusal), else a reopened sheet's scores.
 * `sentOn` is the day (in the bot's time zone) a message of its own carries the card out; without it the card answers
 * a click in place of an earlier message, sent on a day not known here.
 */
export function taskCard(task: Task, opts: { typed?: Record<string, string>; error?: FormError | string; fields?: ScoreField[]; sentOn?: string; today?: string } = {}): Card {
  const sheet = cycleScoreSheet(task.cycle);
  const fields = opts.fields ?? scoreFields(sheet);
  const stored = (task.assignment.scores ?? null) as Record<string, number> | null;
  const values = opts.typed ?? (stored ? Object.fromEntries(fields.map((f) => [f.field, stored[f.code] === undefined ? '' : String(stored[f.code])])) : undefined);
  return scoringTaskCard({
    assignmentId: task.assignment.id,
    year: task.cycle.year,
    application: taskApplication(task),
    form: scoreSheetForm(sheet),
    sheetFingerprint: sheetFingerprint(sheet),
    values,
    comment: opts.typed ? opts.typed.comment : (task.assignment.comment ?? undefined),
    error: opts.error,
    scoringDeadline: formatDateZh(task.cycle.scoringDeadline),
    deadlinePassed: (opts.today ?? opts.sentOn ?? '') > task.cycle.scoringDeadline,
    clickableUntil: clickableUntil(task.cycle.scoringDeadline, opts.sentOn),
    reopened: !opts.typed && !!stored,
  });
}

export const REVIEW_TASK_CARD = 'reviewTask';
export const TASK_APPLICATION_CARD = 'taskApplication';

/** How long a second press of 查看申报表全文 on the same task sends nothing new (a double tap, a press again while it arrives). */
export const TASK_APPLICATION_RESEND_MS = 10_000;

/**
 * The keys of 查看申报表全文 on an assignment at `now`: this period's, which a press queues, and the one before, which
 * it looks for too, so that any press within TASK_APPLICATION_RESEND_MS of one queued is told to look above.
 */
export function taskApplicationKeys(assignmentId: number, now: Date): { key: string; previous: string } {
  const period = Math.floor(now.getTime() / TASK_APPLICATION_RESEND_MS);
  return { key: `review:application:${assignmentId}:${period}`, previous: `review:application:${assignmentId}:${period - 1}` };
}

/**
 * 查看申报表全文: the whole 申报表 of a task to its expert, as a message of its own beside the score sheet, drawn when
 * it is sent. Keyed by the assignment and the period of `now` (taskApplicationKeys): a press a while later sends it again.
 */
export function taskApplicationMessage(assignment: Pick<NewAssignment, 'id' | 'expertOpenId'>, now: Date): OutgoingMessage {
  return { dedupeKey: taskApplicationKeys(assignment.id, now).key, to: { openId: assignment.expertOpenId }, render: { kind: TASK_APPLICATION_CARD, assignmentId: assignment.id } };
}

/**
 * Draws the 申报表 of a batch of tasks with one read; a task gone since the click, or given to another expert or declined
 * since (第十七条: the materials are for the experts who review it, offPanelText), is not sent.
 */
export function taskApplicationRenderer(db: Db): CardRenderer {
  return async (specs: CardSpec[]): Promise<RenderedCard[]> => {
    const ids = specs.map((s) => Number(s.assignmentId));
    const tasks = new Map((await getTasks(db, ids.filter((id) => Number.isSafeInteger(id) && id > 0))).map((t) => [t.assignment.id, t]));
    return ids.map((id): RenderedCard => {
      const task = tasks.get(id);
      if (!task) return { drop: `评分任务 ${id} 已不存在` };
      if (task.assignment.status === 'declined' || task.assignment.status === 'replaced') return { drop: `评分任务 ${id} 已${ASSIGNMENT_STATUS_ZH[task.assignment.status]}，申报表不再发给该专家` };
      const after = notToScoreText(task);
      return { card: taskApplicationCard({ assignmentId: id, year: task.cycle.year, application: taskApplication(task), ...(after ? { after } : {}) }) };
    });
  };
}

/**
 * What became of a task no longer to score, as 查看申报表全文 says it (its toast and the 申报表 message): submitted,
 * declined, given to another expert, or the year's scoring over; undefined while it is to score.
 */
export function notToScoreText(task: Pick<Task, 'assignment' | 'cycle'>): string | undefined {
  const { assignment: a, cycle } = task;
  const published = cycle.status === 'published';
  const scoring = cycle.status === 'open' || cycle.status === 'scoring';
  const total = a.total === null ? '' : `（总分 ${Number(a.total)} 分）`;
  const what =
    a.status === 'submitted'
      ? `你已提交这份评分${total}${published ? '。' : '，如需修改，请联系协会管理员重开。'}`
      : a.status === 'declined'
        ? a.declineReason?.includes(DECLARED_CONFLICT)
          ? '你已声明利益冲突（第十七条），这项评分任务无需你评分。'
          : '你已谢绝这项评分任务，无需评分。'
        : a.status === 'replaced'
          ? '协会已将这项评分任务改派给其他专家，你无需再评分。'
          : scoring
            ? undefined
            : published
              ? ''
              : `${cycle.year}年度专家评分已结束，这份评分表不再提交。`;
  if (what === undefined) return undefined;
  return `${what}${published ? resultsPublishedText(cycle.year) : ''}`;
}

/** The new assignment's task card to its expert, drawn when it is sent; keyed by the assignment, so it is queued once. */
export function taskCardMessage(assignment: Pick<NewAssignment, 'id' | 'expertOpenId'>, priority?: OutgoingMessage['priority']): OutgoingMessage {
  return {
    dedupeKey: taskCardKey(assignment.id),
    to: { openId: assignment.expertOpenId },
    render: { kind: REVIEW_TASK_CARD, assignmentId: assignment.id },
    ...(priority ? { priority } : {}),
  };
}

/**
 * 重开评分: the reopened sheet back to its expert, drawn when it is sent like every task card (the stored scores
 * fill it in and its note says an administrator reopened it). Keyed per reopen event: a second reopen after a
 * resubmission is a new message, a retried event is not. Queued only when no card of the task is still waiting
 * to go out (`reopenScore` says which).
 */
export function reopenedTaskMessage(assignment: Pick<NewAssignment, 'id' | 'expertOpenId'>, eventId: string): OutgoingMessage {
  return { ...taskCardMessage(assignment), dedupeKey: reopenedCardKey(assignment.id, eventId) };
}

/**
 * Draws the task cards of a claimed batch with one read. Only a task still waiting for its expert's scores,
 * in a cycle still open to scoring, becomes a card. A task declined, replaced (the expert was swapped or
 * declared a conflict), already submitted from the 评分 list, or whose scoring has ended before its card
 * went out is not sent: the expert never saw it, so there is nothing to withdraw, and a live score sheet
 * for it would be untrue. A reopened sheet goes out only in the row its reopen chose (`reopenScore`): another
 * card of the task claimed before the reopen, but drawn after it, is dropped, so the expert gets it once; a sheet
 * reopened for an expert who must step aside goes out in none.
 */
export function reviewTaskRenderer(db: Db, day?: { timezone: string; clock: Clock }): CardRenderer {
  return async (specs: CardSpec[], rows?: readonly OutboxRow[]): Promise<RenderedCard[]> => {
    // drawn as it is sent: its message is sent today, and can be clicked for 14 days from now
    const sentOn = day && todayIn(day.timezone, day.clock.now());
    const ids = specs.map((s) => Number(s.assignmentId));
    const tasks = new Map((await getTasks(db, ids.filter((id) => Number.isSafeInteger(id) && id > 0))).map((t) => [t.assignment.id, t]));
    const reopened = [...tasks.values()].filter((t) => t.assignment.status === 'assigned' && t.assignment.scores !== null).map((t) => t.assignment.id);
    const chosen = rows && reopened.length ? await reopenedCardKeys(db, reopened) : new Map<number, string | null>();
    const fieldsByCycle = new Map<number, ScoreField[]>();
    return ids.map((id, i): RenderedCard => {
      const task = tasks.get(id);
      if (!task) return { drop: `评分任务 ${id} 已不存在` };
      if (task.assignment.status !== 'assigned') return { drop: `评分任务 ${id} 已${ASSIGNMENT_STATUS_ZH[task.assignment.status] ?? task.assignment.status}` };
      const carrier = chosen.get(id);
      // reopened for 更换专家 alone: its expert must step aside, and no card of the task goes to them
      if (carrier === null && rows?.[i]) return { drop: `评分任务 ${id} 已重开待更换专家（该专家须回避），不再发给该专家` };
      if (carrier && rows?.[i] && rows[i].dedupeKey !== carrier) return { drop: `评分任务 ${id} 已重开，重开的评分表由另一条消息发送` };
      if (task.cycle.status !== 'open' && task.cycle.status !== 'scoring') return { drop: `${task.cycle.year}年度评审已结束专家评分` };
      try {
        const fields = fieldsByCycle.get(task.cycle.id) ?? scoreFields(cycleScoreSheet(task.cycle));
        fieldsByCycle.set(task.cycle.id, fields);
        return { card: taskCard(task, { fields, sentOn }) };
      } catch (err) {
        return { error: `评分任务 ${id} 的卡片无法生成：${errorText(err)}` };
      }
    });
  };
}

const ASSIGNMENT_STATUS_ZH: Record<string, string> = { submitted: '提交', declined: '谢绝', replaced: '改派' };

/** Each new assignment's task card to its expert, once per assignment (drawn when it is sent). */
export async function sendTaskCards(ctx: Pick<HandlerContext, 'send'>, created: Pick<NewAssignment, 'id' | 'expertOpenId'>[]): Promise<void> {
  for (const assignment of created) await ctx.send(taskCardMessage(assignment));
}

/** After a decline or a swap: the new expert gets the task, or the administrators hear that nobody can take it. */
export async function announceReplacement(ctx: Pick<HandlerContext, 'tx' | 'send' | 'sendToAdmins'>, task: Task, replacement: Replacement, cause: string): Promise<void> {
  const came = replacement.created ? (replacement.all?.length ? replacement.all : [replacement.created]) : [];
  // every expert who came gets the task: a panel that missed two gets two
  if (came.length) await sendTaskCards(ctx, came);
  // nobody came, or fewer than the panel misses: the administrators hear what is still missing and why
  if (!replacement.unfilled) return;
  const alert = replacementFailedCard({
    year: task.cycle.year,
    cycleId: task.cycle.id,
    applicationId: task.application.id,
    code: task.team.code,
    team: task.team.name,
    cause,
    reason: replacement.unfilled.reason,
    placed: came.length,
  });
  await ctx.sendToAdmins({ dedupeKey: `review:unfilled:${task.assignment.id}`, card: alert });
}
