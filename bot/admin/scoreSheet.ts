import { scoreSheetFormCard } from '../../cards/admin.js';
import type { Card } from '../../cards/kit.js';
import { type Cycle, cycleScoreSheet, getCycle, loadScoreSheet } from '../../src/cycles.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { areaSubtotals, scoreSheetToText } from '../../src/scoreSheet.js';
import { idFrom, idOrZero } from '../respond.js';
import { adminCardFor } from './view.js';

function sheetForm(cycle: Cycle, text?: string, error?: string): Card {
  const sheet = cycleScoreSheet(cycle);
  const subtotals = areaSubtotals(sheet, {});
  return scoreSheetFormCard({
    cycleId: cycle.id,
    year: cycle.year,
    current: {
      title: sheet.title,
      total: sheet.total,
      areas: sheet.areas.map((a, i) => ({ code: a.code, name: a.name, max: subtotals[i].max, items: a.items.length })),
    },
    text: text ?? scoreSheetToText(sheet),
    error,
  });
}

async function cycleOf(ctx: HandlerContext, input: CardActionInput): Promise<Cycle> {
  const cycle = await getCycle(ctx.tx, idFrom(input.value, 'cycleId'));
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  return cycle;
}

/** `cycle.sheetForm` (载入评分表): the sheet in force, and an input for a new one. */
export async function showSheetForm(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const cycle = await cycleOf(ctx, input);
  if (cycle.status !== 'open') throw new UserError('专家评分开始后不能再更换评分表（第十八条：评审依据《质量信得过班组建设评分表》）。', { kind: 'info' });
  return { card: { type: 'raw', data: sheetForm(cycle) } };
}

/** `cycle.sheetLoad`: checks the sheet (items add up to the total) and makes it the cycle's. */
export async function submitSheet(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  const text = typeof input.formValue.sheet === 'string' ? input.formValue.sheet : '';
  // the service's locking read refuses a missing cycle in the same words as cycleOf
  const { sheet } = await loadScoreSheet(ctx.tx, ctx.actor, idFrom(input.value, 'cycleId'), text, ctx.clock.now());
  const items = sheet.areas.reduce((n, a) => n + a.items.length, 0);
  return ctx.afterCommit(async (read) => ({
    toast: { type: 'success', content: `已载入评分表“${sheet.title}”：${sheet.areas.length} 个区域、${items} 项，共 ${sheet.total} 分` },
    card: { type: 'raw', data: await adminCardFor(read) },
  }));
}

export async function sheetFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  const cycle = await getCycle(ctx.tx, idOrZero(input.value, 'cycleId'));
  if (!cycle || err.opts.field !== 'sheet') return { card: { type: 'raw', data: await adminCardFor(ctx) } };
  const text = typeof input.formValue.sheet === 'string' ? input.formValue.sheet : '';
  return { card: { type: 'raw', data: sheetForm(cycle, text, err.message) } };
}
