import { outlierAlertCard } from '../../cards/review.js';
import type { HandlerContext } from '../handlers.js';
import { aggregationRuleOf } from './aggregation.js';
import type { PanelCompletion, Task } from './scoring.js';

/**
 * A panel just completed with totals far from its median (the cycle's outlierDistance): the administrators get the
 * numbers. Every step that can complete a panel calls it with what `completeIfDone` returned: 提交评分, 谢绝评分任务,
 * 声明利益冲突, 回避 where teams change and 更换专家. Nothing is sent when the panel did not complete or has no outlier.
 */
export async function alertOutliers(
  sink: Pick<HandlerContext, 'sendToAdmins'>,
  task: Pick<Task, 'cycle' | 'application' | 'team'>,
  { completed, panel, outliers }: PanelCompletion,
): Promise<void> {
  if (!completed || !outliers.length) return;
  const alert = outlierAlertCard({
    year: task.cycle.year,
    applicationId: task.application.id,
    code: task.team.code,
    team: task.team.name,
    median: outliers[0].median,
    totals: panel.map((p) => p.total),
    outliers: outliers.map((o) => ({ expertOpenId: o.expertOpenId, total: o.total, distance: o.distance })),
    distance: aggregationRuleOf(task.cycle.settings).outlierDistance,
  });
  // the totals are in the key: a reopened and changed panel alerts again, a retried event (or a second path
  // completing the same panel with the same sheets) does not
  const totals = panel.map((p) => `${p.assignmentId}=${p.total}`).join(',');
  await sink.sendToAdmins({ dedupeKey: `review:outlier:${task.application.id}:${totals}`, card: alert });
}
