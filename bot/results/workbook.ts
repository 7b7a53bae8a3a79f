import { getCycle } from '../../src/cycles.js';
import { todayIn } from '../../src/dates.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { requireAdmin } from '../../src/permissions.js';
import { resultsWorkbookFile } from '../../src/workbook.js';
import { idFrom } from '../respond.js';
import { workbookFileName } from './view.js';

/**
 * `results.workbook` (下载结果工作簿, on the 评审结果 card): the review workbook as the results stand now, a title revoked
 * since publishing marked so (第二十二条), sent as a file to the clicker's own chat (made when the outbox sends it): it names the experts, for the
 * administrators alone. The answer is a toast; the card stays as it is.
 */
export async function sendResultsWorkbook(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  requireAdmin(ctx.actor);
  const cycle = await getCycle(ctx.tx, idFrom(input.value, 'cycleId'));
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  if (cycle.status !== 'closed' && cycle.status !== 'published') {
    throw new UserError(`${cycle.year}年度专家评分尚未汇总，还没有评审结果工作簿。`, { kind: 'info' });
  }
  const now = ctx.clock.now();
  const timeZone = ctx.config.BOT_TIMEZONE;
  const fileName = workbookFileName(cycle.year, todayIn(timeZone, now), cycle.status === 'closed');
  // made by the outbox when it sends it (src/workbook.ts): a year of thousands of applications takes seconds to write.
  // Keyed by the click: a redelivered event sends nothing twice, a later click sends one made then
  await ctx.send({ dedupeKey: `results:workbook:${ctx.eventId}`, to: { openId: ctx.actor.openId }, file: { fileName, fileType: 'xls', render: resultsWorkbookFile(cycle.id, now) } });
  return { toast: { type: 'success', content: `正在生成“${fileName}”，稍后私聊发给你` } };
}
