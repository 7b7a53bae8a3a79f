import { reopenedSheetsBackCard } from '../../cards/review.js';
import type { HandlerContext } from '../handlers.js';
import type { PanelCompletion, Task } from './scoring.js';

/**
 * A year summed before (结束评分并汇总) and reopened (重开评分) has its last panel complete again: the administrators are
 * told, once, that it can be summed again. Every step that can complete a panel calls it with what `completeIfDone`
 * returned, beside `alertOutliers`: 提交评分, 谢绝评分任务, 声明利益冲突, 回避 where teams change and 更换专家. Nothing is
 * sent for any other completion. Keyed by the reopening's last 重开评分: a later reopening of the same year tells again.
 */
export async function announceReopeningDone(sink: Pick<HandlerContext, 'sendToAdmins'>, task: Pick<Task, 'team'>, { reopeningDone }: Pick<PanelCompletion, 'reopeningDone'>): Promise<void> {
  if (!reopeningDone) return;
  const { cycleId, year, lastReopenId } = reopeningDone;
  await sink.sendToAdmins({
    dedupeKey: `review:reopeningDone:${cycleId}:${lastReopenId}`,
    card: reopenedSheetsBackCard({ year, cycleId, code: task.team.code, team: task.team.name }),
  });
}
