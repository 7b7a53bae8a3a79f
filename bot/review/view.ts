import { type Card, pageOf } from '../../cards/kit.js';
import { progressCard, scoredCard, taskListCard } from '../../cards/review.js';
import { cycleScoreSheet } from '../../src/cycles.js';
import { daysBetween, formatDateTimeZh, formatDateZh, todayIn } from '../../src/dates.js';
import type { HandlerContext } from '../../src/handlers.js';
import { progressView } from '../../src/review/progress.js';
import { expertProgress, expertTasks, type Progress, scoreSheetDisplay, type SubmittedTask } from '../../src/review/scoring.js';
import { taskApplication } from '../../src/review/taskCards.js';

// the task card is drawn in src/ (the outbox draws it again when a queued task card is sent); the review handlers take it from here
export { announceReplacement, reopenedTaskMessage, taskApplication, taskCard } from '../../src/review/taskCards.js';
import { areaSubtotals } from '../../src/scoreSheet.js';

export function timeZh(ctx: Pick<HandlerContext, 'config'>, at: Date | string | null): string {
  if (!at) return '';
  return formatDateTimeZh(at, ctx.config.BOT_TIMEZONE);
}

/** The read-only card of a submitted sheet: the expert's own scores and total. */
export function submittedCard(ctx: Pick<HandlerContext, 'config'>, task: SubmittedTask, progress?: Progress): Card {
  const sheet = cycleScoreSheet(task.cycle);
  const scores = (task.assignment.scores ?? {}) as Record<string, number>;
  return scoredCard({
    assignmentId: task.assignment.id,
    year: task.cycle.year,
    application: taskApplication(task),
    total: Number(task.assignment.total),
    max: sheet.total,
    areas: areaSubtotals(sheet, scores),
    display: scoreSheetDisplay(sheet, scores, task.assignment.comment),
    submittedAt: timeZh(ctx, task.assignment.submittedAt),
    progress,
    published: task.cycle.status === 'published',
  });
}

export const LIST_PAGE = 20;

/** 评分 / review: the expert's tasks in the running cycle, a page at a time. */
export async function taskListFor(
  ctx: HandlerContext,
  page = 1,
  read?: Awaited<ReturnType<typeof expertTasks>>,
  /** Scores typed on one task's sheet and not submitted: its 评分 button brings them back. */
  typedOn?: { assignmentId: number; typed: Record<string, string> },
): Promise<{ card: Card; total: number }> {
  const { cycle, tasks, movedAway, moved, inactive } = read ?? (await expertTasks(ctx.tx, ctx.actor.openId));
  const done = tasks.filter((t) => t.status === 'submitted').length;
  const shown = pageOf(tasks, page, LIST_PAGE);
  // past the 评分截止 with tasks still to score, while the year is still scoring (the bot's day, in its time zone)
  const today = todayIn(ctx.config.BOT_TIMEZONE, ctx.clock.now());
  const scoring = cycle?.status === 'open' || cycle?.status === 'scoring';
  // overdue only by a sheet given by the deadline: one given after it (更换专家, 重开评分 then) is no fault of the expert's
  const givenByDeadline = (t: (typeof tasks)[number]) => !t.assignedAt || todayIn(ctx.config.BOT_TIMEZONE, t.assignedAt) <= (cycle?.scoringDeadline ?? '');
  // nor by a sheet the expert must step aside from (第十七条): it waits for the association, not for them
  const lateSheet = tasks.some((t) => t.status === 'assigned' && !t.recused && givenByDeadline(t));
  const overdueDays = cycle && scoring && lateSheet && today > cycle.scoringDeadline ? daysBetween(cycle.scoringDeadline, today) : 0;
  return {
    total: tasks.length,
    card: taskListCard({
      year: cycle?.year,
      done,
      total: tasks.length,
      tasks: shown.items.map((t) => ({ assignmentId: t.assignmentId, code: t.team.code, team: t.team.name, title: t.title, status: t.status, total: t.total, recused: t.recused, ...(typedOn?.assignmentId === t.assignmentId ? { typed: typedOn.typed } : {}) })),
      page: shown.page,
      pages: shown.pages,
      scoringDeadline: cycle && formatDateZh(cycle.scoringDeadline),
      overdueDays,
      movedAway,
      moved,
      inactive,
      recused: tasks.filter((t) => t.recused).length,
    }),
  };
}

export async function progressOf(ctx: HandlerContext): Promise<Progress> {
  return expertProgress(ctx.tx, ctx.actor.openId);
}

/** 评审进度 as the database has it now. */
export async function progressCardFor(ctx: HandlerContext, cycleId: number, error?: string): Promise<Card> {
  return progressCard(await progressView(ctx.tx, cycleId, error));
}
