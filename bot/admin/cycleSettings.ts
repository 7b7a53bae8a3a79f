import { cycleFieldLabels, getCycle, parseGivenSettings, requireSettingsEditable, updateCycleSettings } from '../../src/cycles.js';
import { formatDateZh, todayIn } from '../../src/dates.js';
import { formErrorOf, UserError } from '../../src/errors.js';
import { halfWidth, readNumber, shareTypedAsPercentWithoutSign } from '../../src/forms.js';
import { fastSaveSettings } from '../../src/fast/admin.js';
import { expertsWithOpenTasks } from '../../src/review/scoring.js';
import type { CardActionDecl, CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { formText, idFrom, idOrZero } from '../respond.js';
import { adminCardFor, adminCardOn, changedOnForm, cycleValues, drawnOfChanged, settingsFormCard, typedValues } from './view.js';

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
  const cycleId = idFrom(input.value, 'cycleId');
  const before = changesScoringDeadline(given) ? await getCycle(ctx.tx, cycleId) : undefined;
  const { cycle: saved, changes } = await updateCycleSettings(ctx.tx, ctx.actor, cycleId, given, ctx.clock.now(), ctx.config.BOT_TIMEZONE, drawnOfChanged(given, input.value));
  // an expert's task cards name the scoring deadline: one moved is told to each expert with sheets still to submit
  if (before && changes.includes('scoringDeadline')) {
    for (const { openId, open } of await expertsWithOpenTasks(ctx.tx, cycleId)) {
      const text = `${saved.year}年度专家评分截止日期已由协会从${formatDateZh(before.scoringDeadline)}改为${formatDateZh(saved.scoringDeadline)}（评分任务卡片上的“评分截止”仍是原日期，以本消息为准）。你还有 ${open} 份评分未提交，请在${formatDateZh(saved.scoringDeadline)}当天结束前提交；发送“评分”查看你的评分任务。`;
      await ctx.send({ dedupeKey: `cycle:scoringDeadline:${cycleId}:${ctx.eventId}:${openId}`, to: { openId }, text });
    }
  }
  return ctx.afterCommit(async (read) => ({ toast: savedToast(saved.year, changes, given), card: { type: 'raw', data: await adminCardFor(read) } }));
}

/** Whether the settings form changes 专家评分截止日期 (the experts with sheets to submit are told: the ordinary path). */
const changesScoringDeadline = (given: Record<string, unknown>) => given.scoringDeadline !== undefined && String(given.scoringDeadline).trim() !== '';

/** 已保存 and what; a 择优推荐比例 typed as a percentage without its sign (10) says how it was read (前 10%). */
const savedToast = (year: number, changes: readonly (keyof typeof cycleFieldLabels)[], given: Record<string, unknown>) => {
  // the number as read (10分 is 10), and 1, which reads either way, said to be the whole
  const n = readNumber(given.recommendShare);
  const typed = shareTypedAsPercentWithoutSign(given.recommendShare) && n !== undefined ? `${n} 按前 ${n}% 保存` : n === 1 && !/%|％/.test(halfWidth(String(given.recommendShare))) ? '1 即全部，前 100%' : undefined;
  const said = (f: (typeof changes)[number]) => (f === 'recommendShare' && typed ? `${cycleFieldLabels[f]}（${typed}）` : cycleFieldLabels[f]);
  return { type: 'success' as const, content: `已保存${year}年度评审设置：${changes.map(said).join('、')}` };
};

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
  const given = changedOnForm(input.formValue, input.value);
  // a moved scoring deadline is told to the experts (saveSettings): the ordinary path, a few times a year
  if (changesScoringDeadline(given)) return undefined;
  let values;
  try {
    values = parseGivenSettings(given);
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  const now = fx.clock.now();
  const today = todayIn(fx.config.BOT_TIMEZONE, now);
  const done = await fastSaveSettings(
    fx.database,
    { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, now, bootstrapAdmins: fx.config.ADMIN_OPEN_IDS, cycleId, values, today, drawn: drawnOfChanged(given, input.value) },
    (db) => adminCardOn(db, today),
  );
  if (!done) return undefined;
  return { outcome: 'ok', answer: { toast: savedToast(done.year, done.changes, given), card: { type: 'raw', data: done.answer } } };
};

export async function settingsFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  const cycle = await getCycle(ctx.tx, idOrZero(input.value, 'cycleId'));
  if (!cycle || !err.opts.field) return { card: { type: 'raw', data: await adminCardFor(ctx) } };
  const values = { ...cycleValues(cycle), ...typedValues(formText(input.formValue)) };
  return { card: { type: 'raw', data: settingsFormCard(cycle, values, formErrorOf(err)) } };
}
