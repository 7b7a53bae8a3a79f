import { cycleFieldLabels, getCycle, updateCycleSettings } from '../../src/cycles.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { formText, idFrom, idOrZero } from '../respond.js';
import { adminCardFor, cycleValues, settingsFormCard, typedValues } from './view.js';

async function cycleOf(ctx: HandlerContext, input: CardActionInput) {
  const cycle = await getCycle(ctx.tx, idFrom(input.value, 'cycleId'));
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  return cycle;
}

/** `cycle.settings` (修改设置): the cycle's form with its current values. */
export async function showSettingsForm(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const cycle = await cycleOf(ctx, input);
  return { card: { type: 'raw', data: settingsFormCard(cycle, cycleValues(cycle)) } };
}

/** `cycle.settingsSave`: a field left empty or missing keeps its current value (updateCycleSettings). */
export async function saveSettings(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  // the service's locking read refuses a missing cycle in the same words as cycleOf
  const { cycle: saved, changes } = await updateCycleSettings(ctx.tx, ctx.actor, idFrom(input.value, 'cycleId'), input.formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  const toast = { type: 'success' as const, content: `已保存${saved.year}年度评审设置：${changes.map((f) => cycleFieldLabels[f]).join('、')}` };
  return ctx.afterCommit(async (read) => ({ toast, card: { type: 'raw', data: await adminCardFor(read) } }));
}

export async function settingsFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  const cycle = await getCycle(ctx.tx, idOrZero(input.value, 'cycleId'));
  if (!cycle || !err.opts.field) return { card: { type: 'raw', data: await adminCardFor(ctx) } };
  const values = { ...cycleValues(cycle), ...typedValues(formText(input.formValue)) };
  return { card: { type: 'raw', data: settingsFormCard(cycle, values, err.message) } };
}
