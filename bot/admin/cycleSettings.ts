import { cycleFieldLabels, getCycle, parseGivenSettings, requireSettingsEditable, updateCycleSettings } from '../../src/cycles.js';
import { todayIn } from '../../src/dates.js';
import { UserError } from '../../src/errors.js';
import { fastSaveSettings } from '../../src/fast/admin.js';
import type { CardActionDecl, CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { formText, idFrom, idOrZero } from '../respond.js';
import { adminCardFor, adminCardOn, changedOnForm, cycleValues, settingsFormCard, typedValues } from './view.js';

async function cycleOf(ctx: HandlerContext, input: CardActionInput) {
  const cycle = await getCycle(ctx.tx, idFrom(input.value, 'cycleId'));
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  return cycle;
}

/**
 * `cycle.settings` (修改设置): the cycle's form with its current values. An old card's button, clicked once scoring
 * ended or the results are out, is refused as the save would be (onRefused draws the current card).
 */
export async function showSettingsForm(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const cycle = await cycleOf(ctx, input);
  requireSettingsEditable(cycle);
  return { card: { type: 'raw', data: settingsFormCard(cycle, cycleValues(cycle)) } };
}

/** `cycle.settingsSave`: a field left empty or missing keeps its current value (updateCycleSettings). */
export async function saveSettings(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  // the service's locking read refuses a missing cycle in the same words as cycleOf
  const given = changedOnForm(input.formValue, input.value);
  const { cycle: saved, changes } = await updateCycleSettings(ctx.tx, ctx.actor, idFrom(input.value, 'cycleId'), given, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  return ctx.afterCommit(async (read) => ({ toast: savedToast(saved.year, changes), card: { type: 'raw', data: await adminCardFor(read) } }));
}

const savedToast = (year: number, changes: readonly (keyof typeof cycleFieldLabels)[]) => ({
  type: 'success' as const,
  content: `已保存${year}年度评审设置：${changes.map((f) => cycleFieldLabels[f]).join('、')}`,
});

/**
 * The same in one round trip on PostgreSQL (src/fast/admin.ts) when the save succeeds: the settings given are read
 * here as `updateCycleSettings` reads them, and the statement checks them merged with the cycle's. A setting that
 * does not parse, a refusal or a save with nothing to change answer undefined having written nothing, and
 * `saveSettings` runs.
 */
export const saveSettingsFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  // idFrom (the registry's value schema) refuses a button without its cycle
  const cycleId = idOrZero(input.value, 'cycleId');
  if (!cycleId) return undefined;
  let values;
  try {
    values = parseGivenSettings(changedOnForm(input.formValue, input.value));
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  const now = fx.clock.now();
  const today = todayIn(fx.config.BOT_TIMEZONE, now);
  const done = await fastSaveSettings(
    fx.database,
    { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, now, bootstrapAdmins: fx.config.ADMIN_OPEN_IDS, cycleId, values, today },
    (db) => adminCardOn(db, today),
  );
  if (!done) return undefined;
  return { outcome: 'ok', answer: { toast: savedToast(done.year, done.changes), card: { type: 'raw', data: done.answer } } };
};

export async function settingsFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  const cycle = await getCycle(ctx.tx, idOrZero(input.value, 'cycleId'));
  if (!cycle || !err.opts.field) return { card: { type: 'raw', data: await adminCardFor(ctx) } };
  const values = { ...cycleValues(cycle), ...typedValues(formText(input.formValue)) };
  return { card: { type: 'raw', data: settingsFormCard(cycle, values, err.message) } };
}
