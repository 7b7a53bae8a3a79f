import { declinedCard, declinedPlaceText, declineFormCard, reassignedCard, scoringEndedCard } from '../../cards/review.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { type CardActionDecl, type CardActionInput, type CardResponse, type FastContext, type FastOutcome, type HandlerContext, type IncomingText, toastFor } from '../../src/handlers.js';
import { fastDecline } from '../../src/fast/replace.js';
import { fastTaskApplication } from '../../src/fast/requests.js';
import { queuedBefore } from '../../src/outbox.js';
import { notToScoreText, taskApplicationKeys, taskApplicationMessage } from '../../src/review/taskCards.js';
import { fastSubmitScores } from '../../src/review/fastSubmit.js';
import { alertOutliers } from '../../src/review/outlierAlert.js';
import { announceReopeningDone } from '../../src/review/reopeningDone.js';
import { hasRole } from '../../src/people.js';
import { alreadyDone, declinedHow, declinedOpenText, offPanelText, declineForm, declineTask, expertProgress, expertTasks, getTask, NO_DECLINE_AFTER_SUM, noNewExpertAfterSum, notToDecline, otherTasksOfOrganization, ownTask, parseScoreForm, type Progress, recusalReason, recusedTaskText, type ScoreSheetInput, scoreSheetForm, SheetChanged, shownSheet, submitScores, type SubmittedTask, type Task, TaskDeclined } from '../../src/review/scoring.js';
import type { Db } from '../../db/index.js';
import type { Config } from '../../src/config.js';
import { formText, idFrom, idOrZero, pageFrom, replyDestination, sendPrivately, today } from '../respond.js';
import { announceReplacement, LIST_PAGE, progressOf, submittedCard, taskApplication, taskCard, taskListFor } from './view.js';
import { cutText } from '../../cards/kit.js';
import { NO_YEAR_RUNNING_FOR_ADMIN } from '../../cards/strings.js';
import { cycleScoreSheet, getRunningCycle } from '../../src/cycles.js';
import { halfWidth, typedText } from '../../src/forms.js';
import { conflictTarget, teamCodesTyped } from '../../src/review/conflicts.js';
import { teamCodePattern } from '../../src/complaints.js';
import { withoutContacts } from '../../src/log.js';

/** 查看评分, 我的评分, my review: asking to see one's own (a team's) score, not for scoring tasks. */
const ASKS_OWN = /查看|查询|查一下|看看|看下|看一下|我的|我们的|本班组|班组|\b(?:my|our|show|check|team)\b/;

/** What 评分 says to someone who is no expert and has no task, by who they are and what they asked. */
async function notAnExpert(ctx: HandlerContext, msg: IncomingText): Promise<string> {
  // a team's own score is in 进度: 查看评分 / 我的评分 by someone of a team asks for that
  if (hasRole(ctx.actor, 'leader', 'member', 'org_contact') && ASKS_OWN.test(msg.text.toLowerCase())) {
    return '你的班组的申报、评审进度和得分，请发送“进度”查看（结果公布后显示得分和是否获得称号）。“评分”是评审专家给申报打分用的。';
  }
  // an administrator keeps the pool: told how to join it, not to ask an administrator
  if (hasRole(ctx.actor, 'admin')) {
    // 评审进度 is on the 管理 card only while a year runs
    const progress = (await getRunningCycle(ctx.tx)) ? '各申报的评审进度，在“管理”卡片中点“评审进度”查看。' : NO_YEAR_RUNNING_FOR_ADMIN;
    return `“评分”供评审专家使用：你不在协会的专家库中（第十一条）。你是协会管理员：要自己参加评审，发送“管理”，点“专家库”，在“添加专家”中选择自己；${progress}`;
  }
  return '“评分”供评审专家使用：你还不在协会的专家库中（第十一条）。如需加入，请联系协会管理员。想了解评审标准，发送“条款 18”；查看你的班组申报和得分，发送“进度”。';
}

/** 评分 / review: the expert's tasks with the progress. */
export async function showTasks(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  // an expert's tasks name the teams they score (第十七条): never in a group, where others would see and click them
  const { card, total } = await taskListFor(ctx);
  if (!total && !hasRole(ctx.actor, 'expert')) {
    await sendPrivately(ctx, msg, `review:list:${ctx.eventId}`, { text: await notAnExpert(ctx, msg) }, '回复');
    return;
  }
  await sendPrivately(ctx, msg, `review:list:${ctx.eventId}`, { card }, '评分任务');
}

/**
 * 任务, 打分, 评审 (查看任务, 评审任务…) typed by an expert, or by someone still holding tasks: their tasks, as 评分 brings
 * them. From anyone else these are questions for the measures (评审 and 打分: 第十七条、第十八条), as before.
 */
export async function showTasksToExpert(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  const { card, total } = await taskListFor(ctx);
  if (!total && !hasRole(ctx.actor, 'expert')) return false;
  await sendPrivately(ctx, msg, `review:list:${ctx.eventId}`, { card }, '评分任务');
}

/**
 * What was typed on a task's sheet and not submitted, as 谢绝此任务 and 我的评分任务 bring it (they submit the sheet's
 * form) or a way back carries it: the sheet's items and 评审意见 that hold something, each cut to what its input
 * takes; undefined when nothing was typed, or the task is no longer to score.
 */
function typedOnSheet(task: Task | undefined, typed: unknown): Record<string, string> | undefined {
  if (!task || task.assignment.status !== 'assigned' || !typed || typeof typed !== 'object' || Array.isArray(typed)) return undefined;
  const form = scoreSheetForm(cycleScoreSheet(task.cycle));
  const values = formText(typed as Record<string, unknown>);
  const kept = Object.entries(form.fields).flatMap(([key, f]) => {
    const v = values[key]?.trim();
    return v ? [[key, cutText(v, 'maxLength' in f ? (f.maxLength ?? 1000) : 12)] as const] : [];
  });
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/**
 * 我的评分任务 / 开始下一份评分 pressed by someone who is no expert and has no task this year, none moved away either: the
 * card is an expert's, forwarded to them, and no task will come to them (not “暂未给你分配评分任务。分配后我会通知你”).
 */
const NOT_AN_EXPERTS_CARD = '这张卡片属于其他评审专家的评分任务。你不是评审专家，没有评分任务。';
/** 我的评分任务 on a score sheet of another expert's task (forwarded): said above the presser's own list. */
const ANOTHER_EXPERTS_TASK = '这张卡片上的评分任务属于其他评审专家，不是你的。';

/** Whether the clicker is no expert and has nothing of the year to list (`NOT_AN_EXPERTS_CARD`). */
const nothingForNonExpert = (ctx: HandlerContext, read: Awaited<ReturnType<typeof expertTasks>>) => !read.tasks.length && !read.movedAway && !hasRole(ctx.actor, 'expert');

/**
 * `review.list`: the same list, in place. From a score sheet (its 我的评分任务 submits the form: `from`), the scores
 * typed on it ride on that task's 评分 button, so going back draws the sheet with them.
 */
export async function listTasks(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const from = idOrZero(input.value, 'from');
  const task = from ? await getTask(ctx.tx, from) : undefined;
  const typed = task?.assignment.expertOpenId === ctx.actor.openId ? typedOnSheet(task, input.formValue) : undefined;
  const read = await expertTasks(ctx.tx, ctx.actor.openId);
  if (!typed) {
    // a card forwarded from an expert: whose it is, not a promise of tasks to someone who will get none
    if (nothingForNonExpert(ctx, read)) return { toast: { type: 'info', content: NOT_AN_EXPERTS_CARD } };
    const list: CardResponse = { card: { type: 'raw', data: (await taskListFor(ctx, pageFrom(input.value), read)).card } };
    return task && task.assignment.expertOpenId !== ctx.actor.openId ? { toast: { type: 'info', content: ANOTHER_EXPERTS_TASK }, ...list } : list;
  }
  // the page the sheet's task is on: on another, its 评分 button and the scores riding on it would not be shown
  const at = read.tasks.findIndex((t) => t.assignmentId === from);
  const page = at < 0 ? 1 : Math.floor(at / LIST_PAGE) + 1;
  return { card: { type: 'raw', data: (await taskListFor(ctx, page, read, { assignmentId: from, typed })).card } };
}

/** `review.open`: the score sheet of a pending task, or the read-only summary of a submitted one. */
export async function openTask(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const task = await ownTask(ctx.tx, ctx.actor, idFrom(input.value, 'assignmentId'));
  // the expert's progress is the running year's: a sheet of a year published shows none (it showed this year's under last year's title)
  if (task.assignment.status === 'submitted') return { card: { type: 'raw', data: submittedCard(ctx, task, task.cycle.status === 'published' ? undefined : await progressOf(ctx)) } };
  // declined (by 谢绝, by 声明利益冲突, or by the bot's 回避): nothing to score, whatever was pressed; not “无需再谢绝”
  if (task.assignment.status === 'declined') {
    return { toast: { type: 'info', content: declinedOpenText(task, await declinedHow(ctx.tx, task)) }, card: { type: 'raw', data: (await taskListFor(ctx)).card } };
  }
  const done = alreadyDone(task.assignment, ctx.config.BOT_TIMEZONE, task.cycle);
  if (done) return { toast: { type: 'info', content: done.message }, card: { type: 'raw', data: (await taskListFor(ctx)).card } };
  // 第十七条: a sheet its expert must step aside from (an old button) is not drawn, as its submit would be refused
  const recusal = await recusalReason(ctx.tx, task);
  if (recusal) return { toast: { type: 'info', content: recusedTaskText(recusal, task.team.name) }, card: { type: 'raw', data: (await taskListFor(ctx)).card } };
  // back from 谢绝此任务 or the list: the scores typed before, not yet submitted
  const typed = typedOnSheet(task, input.value.typed);
  return { card: { type: 'raw', data: taskCard(task, { ...(typed ? { typed: { comment: '', ...typed } } : {}), today: today(ctx) }) } };
}

/**
 * `review.application` (查看申报表全文): the whole 申报表 of one of the caller's tasks, as a message of its own, while
 * they are on its panel (submitted, or the year's scoring over, included). The score sheet it is pressed on stays as it
 * is: a card answered anew would lose the scores typed into it. A task given to another expert, declined, or of a team
 * the expert must step aside from (第十七条, offPanelText) is refused with the reason, nothing sent.
 */
export async function showTaskApplication(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const task = await ownTask(ctx.tx, ctx.actor, idFrom(input.value, 'assignmentId'));
  const off = await offPanelText(ctx.tx, task);
  if (off) throw new UserError(off, { kind: 'info', article: 17 });
  const now = ctx.clock.now();
  // a press just before (a double tap, or again while the message arrives) queued it: nothing new is sent
  const sent = !(await queuedBefore(ctx.tx, taskApplicationKeys(task.assignment.id, now).previous)) && (await ctx.sendIfNew(taskApplicationMessage(task.assignment, now)));
  if (task.assignment.status === 'assigned' && (task.cycle.status === 'open' || task.cycle.status === 'scoring')) return sent ? applicationSent : applicationSentAlready;
  // nothing left to score on this sheet: the toast says what became of it, not “可继续打分”
  const after = notToScoreText(task) ?? '';
  return { toast: { type: sent ? 'success' : 'info', content: `${sent ? '申报表全文已另发一条消息。' : '申报表全文已发送，请查看上一条消息。'}${after}` } };
}

/** The answers while the sheet is still to score: the card it is pressed on keeps what was typed. */
const applicationSent: CardResponse = { toast: { type: 'success', content: '申报表全文已另发一条消息；评分表中已填的分数保留，可继续打分。' } };
const applicationSentAlready: CardResponse = { toast: { type: 'info', content: '申报表全文已发送，请查看上一条消息；评分表中已填的分数保留，可继续打分。' } };

/** The same in one round trip on PostgreSQL (src/fast/requests.ts) when the task is the clicker's and still to score; anything else is left to `showTaskApplication`. */
export const showTaskApplicationFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const assignmentId = idOrZero(input.value, 'assignmentId');
  if (!assignmentId) return undefined;
  const now = fx.clock.now();
  const message = taskApplicationMessage({ id: assignmentId, expertOpenId: fx.openId }, now);
  const previousKey = taskApplicationKeys(assignmentId, now).previous;
  const done = await fastTaskApplication(fx.database, { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, bootstrapAdmins: fx.config.ADMIN_OPEN_IDS, assignmentId, dedupeKey: message.dedupeKey, previousKey });
  return done && { outcome: 'ok', answer: done.queued ? applicationSent : applicationSentAlready, queued: done.queued };
};

/**
 * `review.next` (the button of a scoring reminder): the first task still to score, or the list when none is left. A
 * task the expert must step aside from (第十七条) is not theirs to score: passed over, and told when it is all that is left.
 */
export async function openNextTask(ctx: HandlerContext): Promise<CardResponse> {
  const read = await expertTasks(ctx.tx, ctx.actor.openId);
  const next = read.tasks.find((t) => t.status === 'assigned' && !t.recused);
  // no task this year (none given yet, or all declined or moved away): the list says which; to someone who is no expert
  // (a reminder forwarded to them), whose card it is
  if (nothingForNonExpert(ctx, read)) return { toast: { type: 'info', content: NOT_AN_EXPERTS_CARD } };
  if (!read.tasks.length) return { card: { type: 'raw', data: (await taskListFor(ctx, 1, read)).card } };
  if (!next) {
    const recused = read.tasks.filter((t) => t.recused).length;
    const content = recused ? `你没有待评分的任务了：余下 ${recused} 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。` : '你的评分任务已全部完成，谢谢！';
    return { toast: { type: 'info', content }, card: { type: 'raw', data: (await taskListFor(ctx, 1, read)).card } };
  }
  return openTask(ctx, { value: { action: 'review.open', assignmentId: next.assignmentId }, formValue: {} });
}

/**
 * 评下一份 / next / 打开评分表 typed by an expert (the button of a submitted sheet and of a reminder): what the button
 * opens, sent privately: the sheet of the first task still to score, or the list (its count says none is left, and
 * which to step aside from). Anyone else is asking the measures.
 */
export async function sendNextTask(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  if (!hasRole(ctx.actor, 'expert')) return false;
  const answer = await openNextTask(ctx);
  await sendPrivately(ctx, msg, `review:next:${ctx.eventId}`, { card: answer.card!.data }, answer.toast ? '评分任务' : '评分表');
}

/**
 * 评分表 from an administrator who is also an expert, with a sheet still to score: that sheet, as an expert's 评分表
 * opens it (an administrator scoring twenty applications types it for the next one). With none left, false: the
 * 协会管理 card (载入评分表) answers, as to any administrator.
 */
export async function sendSheetToAdminExpert(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  if (!hasRole(ctx.actor, 'admin') || !hasRole(ctx.actor, 'expert')) return false;
  const read = await expertTasks(ctx.tx, ctx.actor.openId);
  if (!read.tasks.some((t) => t.status === 'assigned' && !t.recused)) return false;
  return sendNextTask(ctx, msg);
}

/**
 * 评分 GDSZ-2026-0006 (评分 测试班组02, review GDSZ-…) typed by an expert: that team's sheet among their tasks, sent
 * privately as 评下一份 sends one (its scores when submitted). A code of no task of theirs is told so, with 评分 for the
 * list; words that are no task's team (评分 标准是什么) are left to the measures.
 */
export async function sendNamedTask(ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void | false> {
  if (!hasRole(ctx.actor, 'expert') || !argument.trim()) return false;
  // any code typed (an imported team's too), and the words as a team's name
  const codes = teamCodesTyped(argument);
  const name = halfWidth(conflictTarget(argument));
  const read = await expertTasks(ctx.tx, ctx.actor.openId);
  const byCode = read.tasks.filter((t) => codes.includes(t.team.code));
  const found = byCode.length ? byCode : read.tasks.filter((t) => halfWidth(t.team.name) === name);
  const key = `review:named:${ctx.eventId}`;
  if (!found.length) {
    // a code as the bot issues them, of no task of theirs: told so; other words (评分 标准是什么) are the measures'
    const issued = codes.filter((c) => teamCodePattern.test(c));
    if (!issued.length) return false;
    return sendPrivately(ctx, msg, key, { text: `你本年度的评分任务中没有 ${issued.join('、')}（可能已谢绝、改派或不属于你）。发送“评分”查看你的评分任务。` }, '回复');
  }
  // two tasks of teams of one name: the list, where each has its code
  if (found.length > 1) return sendPrivately(ctx, msg, key, { card: (await taskListFor(ctx, 1, read)).card }, '评分任务');
  const answer = await openTask(ctx, { value: { action: 'review.open', assignmentId: found[0].assignmentId }, formValue: {} });
  // not opened (declined, to step aside from, past the year's scoring): why, in words; the list is a 评分 away
  if (answer.toast) return sendPrivately(ctx, msg, key, { text: `${answer.toast.content}发送“评分”查看你的评分任务。` }, '回复');
  await sendPrivately(ctx, msg, key, { card: answer.card!.data }, '评分表');
}

/** 查看申报表全文 typed by an expert: the button is on each score sheet, which says whose 申报表 it is. */
const SEE_APPLICATION_HOW = '查看申报表全文：发送“评分”打开你的评分任务，点任务旁的“评分”打开评分表，再点评分表上的“查看申报表全文”，申报表全文会另发一条消息，评分表中已填的分数保留。';
/** 谢绝此任务 / decline typed by an expert: the button is on each task's sheet, with the form asking why (第十七条). */
const DECLINE_HOW =
  '谢绝评分任务：发送“评分”打开你的评分任务，点任务旁的“评分”打开评分表，在评分表上点“谢绝此任务”并写明原因，协会会改派其他专家；与申报班组或其单位存在利益关系的，选择“存在利益冲突”或点“声明利益冲突”（第十七条）。';

/** A button of a score sheet typed by an expert, which needs the sheet it is on: how to press it. Anyone else is asking the measures. */
export function howToPress(what: 'application' | 'decline') {
  return async (ctx: HandlerContext, msg: IncomingText): Promise<void | false> => {
    if (!hasRole(ctx.actor, 'expert')) return false;
    await ctx.send({ dedupeKey: `review:how:${ctx.eventId}`, to: replyDestination(ctx, msg), text: what === 'application' ? SEE_APPLICATION_HOW : DECLINE_HOW });
  };
}

/** `review.submit`: stores the score sheet and turns the card read-only with the total. */
export async function submitTask(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const result = await submitScores(ctx.tx, ctx.actor, idFrom(input.value, 'assignmentId'), input.formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE, shownSheet(input.value));
  await alertOutliers(ctx, result.task, result);
  await announceReopeningDone(ctx, result.task, result);
  return submittedAnswer(ctx, { ...result.task, assignment: result.assignment }, result.input.total, await progressOf(ctx));
}

function submittedAnswer(ctx: Pick<HandlerContext, 'config'>, task: SubmittedTask, total: number, progress: Progress): CardResponse {
  return {
    toast: { type: 'success', content: `已提交评分：${task.team.name}，总分 ${total} 分` },
    card: { type: 'raw', data: submittedCard(ctx, task, progress) },
  };
}

/** A refused submission keeps what was typed; a task already submitted shows its summary. */
export async function submitTaskAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  const task = await getTask(ctx.tx, idOrZero(input.value, 'assignmentId'));
  return refusedSubmitCard(err, ctx, ctx.tx, ctx.actor.openId, task, input, () => progressOf(ctx));
}

async function refusedSubmitCard(
  err: UserError,
  ctx: Pick<HandlerContext, 'config' | 'clock'>,
  tx: Db,
  openId: string,
  task: Task | undefined,
  input: CardActionInput,
  progress: () => Promise<Progress>,
): Promise<CardResponse | undefined> {
  if (!task || task.assignment.expertOpenId !== openId) return undefined;
  // a second submit is told with the sheet's own time and what to do, as the one statement and a redelivery tell it
  if (task.assignment.status === 'submitted' && err instanceof AlreadyDone) return submittedAgain(ctx, openId, task, await progress(), input.formValue);
  if (task.assignment.status === 'submitted') return { card: { type: 'raw', data: submittedCard(ctx, task, await progress()) } };
  // an old copy of a task declined or given to someone else: the sheet is no longer live, so the card says so instead
  // one the bot stepped its expert aside from (回避) says why, not 已谢绝
  if (task.assignment.status === 'declined') return { card: { type: 'raw', data: declinedCard({ application: taskApplication(task), reason: task.assignment.declineReason ?? '', ...(await declinedHow(tx, task)) }) } };
  if (task.assignment.status === 'replaced') return { card: { type: 'raw', data: reassignedCard({ application: taskApplication(task) }) } };
  // the year's scoring has ended: the sheet stops being live, as the refusal says
  if (task.assignment.status === 'assigned' && task.cycle.status !== 'open' && task.cycle.status !== 'scoring') {
    return { card: { type: 'raw', data: scoringEndedCard({ application: taskApplication(task), year: task.cycle.year, published: task.cycle.status === 'published' }) } };
  }
  // a sheet loaded since the card was drawn (第十八条) redraws it on the sheet in force, keeping what was typed where its item still is
  if (task.assignment.status !== 'assigned' || !(err.opts.field || err instanceof SheetChanged)) return undefined;
  return { card: { type: 'raw', data: taskCard(task, { typed: formText(input.formValue), error: formErrorOf(err), today: today(ctx) }) } };
}

/** `review.submit` delivered again: the sheet it stored, with when and what total; undefined when it stored nothing. */
export async function submitTaskDuplicate(tx: Db, who: { openId: string; config: Config }, input: CardActionInput): Promise<CardResponse | undefined> {
  const task = await getTask(tx, idOrZero(input.value, 'assignmentId'));
  if (task?.assignment.status !== 'submitted') return undefined;
  return submittedAgain(who, who.openId, task, await expertProgress(tx, who.openId), input.formValue);
}

/** The sheet a submit sent, read against the task's sheet; undefined when it does not read (it was never a whole sheet). */
function typedSheet(task: Task, formValue: Record<string, unknown>): ScoreSheetInput | undefined {
  try {
    return parseScoreForm(cycleScoreSheet(task.cycle), formValue);
  } catch {
    return undefined;
  }
}

function submittedAgain(ctx: Pick<HandlerContext, 'config'>, openId: string, task: Task | undefined, progress: Progress, formValue?: Record<string, unknown>): CardResponse | undefined {
  if (!task || task.assignment.expertOpenId !== openId || task.assignment.status !== 'submitted') return undefined;
  const done = alreadyDone(task.assignment, ctx.config.BOT_TIMEZONE, task.cycle, formValue && typedSheet(task, formValue))!;
  // the sheet's own submitted_at names the time: 这份评分已于 2026年12月1日 08:22 提交（总分 88 分）
  const toast = done instanceof AlreadyDone ? { type: 'info' as const, content: done.at(undefined) } : toastFor(done);
  return { toast, card: { type: 'raw', data: submittedCard(ctx, task, progress) } };
}

/** `review.submit` on PostgreSQL: the same answers in one round trip; a panel whose completion alerts (outliers, a reopened year summed before) is left to `submitTask`. */
export async function submitTaskFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const assignmentId = idOrZero(input.value, 'assignmentId');
  if (!assignmentId) return undefined;
  const r = await fastSubmitScores(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    assignmentId,
    formValue: input.formValue,
    shownSheet: shownSheet(input.value),
    now: fx.clock.now(),
    timezone: fx.config.BOT_TIMEZONE,
  });
  if (!r || r.kind === 'ordinary') return undefined;
  if (r.kind === 'duplicate') return { outcome: 'duplicate', answer: submittedAgain(fx, fx.openId, r.task, r.progress, input.formValue) };
  if (r.kind === 'submitted') return { outcome: 'ok', answer: submittedAnswer(fx, r.task, r.input.total, r.progress) };
  fx.log.info({ reason: withoutContacts(r.error.message), field: r.error.opts.field }, 'card action refused');
  const card = await refusedSubmitCard(r.error, fx, fx.database.db, fx.openId, r.task, input, async () => r.progress);
  return { outcome: 'refused', answer: { toast: toastFor(r.error), ...(card ?? {}) } };
}

/** `review.declineForm`: why the expert declines. */
export async function showDeclineForm(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const task = await ownTask(ctx.tx, ctx.actor, idFrom(input.value, 'assignmentId'));
  const done = await notToDecline(ctx.tx, task, ctx.config.BOT_TIMEZONE);
  if (done) throw done;
  // refused before the reason is asked for, as the decline would be
  await noNewExpertAfterSum(ctx.tx, task.cycle, NO_DECLINE_AFTER_SUM);
  // 谢绝此任务 submits the sheet's form: what was typed rides on 返回评分
  const typed = typedOnSheet(task, input.formValue);
  const sameOrganization = { name: task.organization, tasks: await otherTasksOfOrganization(ctx.tx, task) };
  return { card: { type: 'raw', data: declineFormCard({ assignmentId: task.assignment.id, application: taskApplication(task), descriptor: declineForm, typed, sameOrganization }) } };
}

/** `review.decline`: declined with a reason; a replacement is picked and told, or the administrators are. */
export async function declineTaskAction(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const result = await declineTask(ctx.tx, ctx.actor, idFrom(input.value, 'assignmentId'), input.formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  await announceReplacement(ctx, result.task, result.replacement, `专家谢绝了评分任务（${cutText(typedText(String(input.formValue.reason ?? '')), 100)}）`);
  await alertOutliers(ctx, result.task, result);
  await announceReopeningDone(ctx, result.task, result);
  // a place nobody took is told to the administrators above (announceReplacement): the expert is told that, not of another expert
  const { unfilled, created } = result.replacement;
  return declinedAnswer(result.task, result.declineReason, { arranged: !!created && !unfilled, partly: !!unfilled && !!created, unneeded: !created && !unfilled });
}

/**
 * What a 谢绝 answers: another expert arranged when one came and every place the panel missed was taken; else that
 * nobody could (or, `partly`, that one came and the panel is still short) and the administrators were told, or that the
 * panel needs nobody more (`unneeded`).
 */
function declinedAnswer(task: Pick<Task, 'application' | 'team' | 'organization'>, declineReason: string, place: { arranged: boolean; partly?: boolean; unneeded?: boolean }): CardResponse {
  return {
    toast: { type: 'success', content: `已谢绝：${task.team.name}。${declinedPlaceText(place)}` },
    card: { type: 'raw', data: declinedCard({ application: taskApplication(task), reason: declineReason, ...place }) },
  };
}

/**
 * `review.decline` on PostgreSQL: the same decline in one round trip (src/fast/replace.ts) when it succeeds and a
 * replacement takes every place the panel misses; anything else answers undefined having written nothing, and
 * `declineTaskAction` runs.
 */
export async function declineTaskFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const assignmentId = idOrZero(input.value, 'assignmentId');
  if (!assignmentId) return undefined;
  const done = await fastDecline(fx.database, { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, assignmentId, formValue: input.formValue, now: fx.clock.now() });
  if (!done) return undefined;
  // taken here only when a replacement took every place the panel misses
  return { outcome: 'ok', answer: declinedAnswer(done.task, done.declineReason, { arranged: true }), queued: done.queued };
}

export async function declineFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  const task = await getTask(ctx.tx, idOrZero(input.value, 'assignmentId'));
  // declined already (by the first click, by 声明利益冲突, or by the bot's 回避): the card says what became of it
  const declined = await declinedSheet(ctx.tx, ctx.actor.openId, task);
  if (declined) return declined;
  if (!task || task.assignment.expertOpenId !== ctx.actor.openId || task.assignment.status !== 'assigned' || !err.opts.field) return undefined;
  const sameOrganization = { name: task.organization, tasks: await otherTasksOfOrganization(ctx.tx, task) };
  return { card: { type: 'raw', data: declineFormCard({ assignmentId: task.assignment.id, application: taskApplication(task), descriptor: declineForm, values: input.formValue, error: formErrorOf(err), sameOrganization }) } };
}

/** A declined task's card, for its expert: the 谢绝's own answer, or (回避, 声明利益冲突) why it is no longer theirs. */
async function declinedSheet(tx: Db, openId: string, task: Task | undefined): Promise<CardResponse | undefined> {
  if (task?.assignment.expertOpenId !== openId || task.assignment.status !== 'declined') return undefined;
  return { card: { type: 'raw', data: declinedCard({ application: taskApplication(task), reason: task.assignment.declineReason ?? '', ...(await declinedHow(tx, task)) }) } };
}

/**
 * 谢绝此任务 refused (`notToDecline`) on an old card of a task declined already: the card is redrawn read-only as
 * 提交评分 redraws it (`refusedSubmitCard`), not left live with its buttons. Other refusals redraw nothing, and read nothing.
 */
export async function declineButtonAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!(err instanceof TaskDeclined || (err instanceof AlreadyDone && err.record.action === 'review.decline'))) return undefined;
  return declinedSheet(ctx.tx, ctx.actor.openId, await getTask(ctx.tx, idOrZero(input.value, 'assignmentId')));
}
