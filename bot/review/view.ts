import { type Card, pageOf } from '../../cards/kit.js';
import {
  outlierAlertCard,
  progressCard,
  replacementFailedCard,
  scoredCard,
  scoringTaskCard,
  type TaskApplication,
  taskListCard,
} from '../../cards/review.js';
import { applicationForm } from '../../src/applications.js';
import { cycleScoreSheet } from '../../src/cycles.js';
import { formatDateTimeZh, formatDateZh } from '../../src/dates.js';
import { formDisplay } from '../../src/forms.js';
import type { HandlerContext } from '../../src/handlers.js';
import { adminDestinations, destinationKey } from '../../src/notifications.js';
import { defaultAggregationRule, type Outlier, type PanelScore } from '../../src/review/aggregation.js';
import { progressView } from '../../src/review/progress.js';
import { expertProgress, expertTasks, getTasks, type Replacement, type ScoreField, scoreFields, scoreSheetDisplay, scoreSheetForm, type Task } from '../../src/review/scoring.js';
import { areaSubtotals } from '../../src/scoreSheet.js';

/** What an expert reads of an application: the form, never anyone's scores. */
export function taskApplication(task: Pick<Task, 'application' | 'team' | 'organization'>): TaskApplication {
  return { code: task.team.code, team: task.team.name, organization: task.organization, display: formDisplay(applicationForm, task.application.form as Record<string, unknown> | null) };
}

/** The score sheet card of a task; `typed` are the strings typed (kept on a refusal), else a reopened sheet's scores. */
export function taskCard(task: Task, opts: { typed?: Record<string, string>; error?: string; fields?: ScoreField[] } = {}): Card {
  const fields = opts.fields ?? scoreFields(cycleScoreSheet(task.cycle));
  const stored = (task.assignment.scores ?? null) as Record<string, number> | null;
  const values = opts.typed ?? (stored ? Object.fromEntries(fields.map((f) => [f.field, stored[f.code] === undefined ? '' : String(stored[f.code])])) : undefined);
  return scoringTaskCard({
    assignmentId: task.assignment.id,
    year: task.cycle.year,
    application: taskApplication(task),
    form: scoreSheetForm(cycleScoreSheet(task.cycle)),
    values,
    comment: opts.typed ? opts.typed.comment : (task.assignment.comment ?? undefined),
    error: opts.error,
    scoringDeadline: formatDateZh(task.cycle.scoringDeadline),
    reopened: !opts.typed && !!stored,
  });
}

export function timeZh(ctx: Pick<HandlerContext, 'config'>, at: Date | string | null): string {
  if (!at) return '';
  return formatDateTimeZh(at, ctx.config.BOT_TIMEZONE);
}

/** The read-only card of a submitted sheet: the expert's own scores and total. */
export function submittedCard(ctx: Pick<HandlerContext, 'config'>, task: Task, progress?: { done: number; total: number }): Card {
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
  });
}

const LIST_PAGE = 20;

/** 评分 / review: the expert's tasks in the running cycle, a page at a time. */
export async function taskListFor(ctx: HandlerContext, page = 1): Promise<{ card: Card; total: number }> {
  const { cycle, tasks } = await expertTasks(ctx.tx, ctx.actor.openId);
  const done = tasks.filter((t) => t.status === 'submitted').length;
  const shown = pageOf(tasks, page, LIST_PAGE);
  return {
    total: tasks.length,
    card: taskListCard({
      year: cycle?.year,
      done,
      total: tasks.length,
      tasks: shown.items.map((t) => ({ assignmentId: t.assignmentId, code: t.team.code, team: t.team.name, title: t.title, status: t.status, total: t.total })),
      page: shown.page,
      pages: shown.pages,
    }),
  };
}

export async function progressOf(ctx: HandlerContext): Promise<{ done: number; total: number }> {
  return expertProgress(ctx.tx, ctx.actor.openId);
}

/**
 * Each new assignment's score sheet card to its expert, once per assignment. The sheet is read once per
 * cycle, and the rows are queued a batch at a time (postgres.js pipelines them), so hundreds of tasks
 * stay within the 3 s a callback has.
 */
export async function sendTaskCards(ctx: HandlerContext, assignmentIds: number[]): Promise<void> {
  const tasks = await getTasks(ctx.tx, assignmentIds);
  const fieldsByCycle = new Map<number, ScoreField[]>();
  for (let i = 0; i < tasks.length; i += 200) {
    await Promise.all(
      tasks.slice(i, i + 200).map((task) => {
        const fields = fieldsByCycle.get(task.cycle.id) ?? scoreFields(cycleScoreSheet(task.cycle));
        fieldsByCycle.set(task.cycle.id, fields);
        return ctx.send({ dedupeKey: `review:task:${task.assignment.id}`, to: { openId: task.assignment.expertOpenId }, card: taskCard(task, { fields }) });
      }),
    );
  }
}

/** After a decline or a swap: the new expert gets the task, or the administrators hear that nobody can take it. */
export async function announceReplacement(ctx: HandlerContext, task: Task, replacement: Replacement, cause: string): Promise<void> {
  if (replacement.created) {
    await sendTaskCards(ctx, [replacement.created.id]);
    return;
  }
  if (!replacement.unfilled) return;
  const alert = replacementFailedCard({
    year: task.cycle.year,
    applicationId: task.application.id,
    code: task.team.code,
    team: task.team.name,
    cause,
    reason: replacement.unfilled.reason,
  });
  for (const to of await adminDestinations(ctx.tx, ctx.config.ADMIN_OPEN_IDS)) {
    await ctx.send({ dedupeKey: `review:unfilled:${task.assignment.id}:${destinationKey(to)}`, to, card: alert });
  }
}

/** A completed panel with totals far from its median: the administrators get the numbers. */
export async function alertOutliers(ctx: HandlerContext, task: Task, panel: PanelScore[], outliers: Outlier[]): Promise<void> {
  if (!outliers.length) return;
  const alert = outlierAlertCard({
    year: task.cycle.year,
    applicationId: task.application.id,
    code: task.team.code,
    team: task.team.name,
    median: outliers[0].median,
    totals: panel.map((p) => p.total),
    outliers: outliers.map((o) => ({ expertOpenId: o.expertOpenId, total: o.total, distance: o.distance })),
    distance: defaultAggregationRule.outlierDistance,
  });
  // the totals are in the key: a reopened and changed panel alerts again, a retried event does not
  const totals = panel.map((p) => `${p.assignmentId}=${p.total}`).join(',');
  for (const to of await adminDestinations(ctx.tx, ctx.config.ADMIN_OPEN_IDS)) {
    await ctx.send({ dedupeKey: `review:outlier:${task.application.id}:${totals}:${destinationKey(to)}`, to, card: alert });
  }
}

/** 评审进度 as the database has it now. */
export async function progressCardFor(ctx: HandlerContext, cycleId: number, error?: string): Promise<Card> {
  return progressCard(await progressView(ctx.tx, cycleId, error));
}
