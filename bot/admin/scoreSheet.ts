import { scoreSheetFormCard } from '../../cards/admin.js';
import type { Card } from '../../cards/kit.js';
import { type Cycle, cycleScoreSheet, getCycle, loadScoreSheet, sheetFixedText } from '../../src/cycles.js';
import { UserError } from '../../src/errors.js';
import { fastLoadSheet } from '../../src/fast/admin.js';
import type { CardActionDecl, CardActionInput, CardAnswer, CardResponse, HandlerContext } from '../../src/handlers.js';
import { areaSubtotals, parseScoreSheetBoxes, SHEET_INPUT, type ScoreSheet, scoreSheetToText, splitSheetText } from '../../src/scoreSheet.js';
import { idFrom, idOrZero } from '../respond.js';
import { adminCardFor, adminCardOn } from './view.js';
import { todayIn } from '../../src/dates.js';

/** The card's inputs filled: what was typed in each, or the sheet in force over as many as it takes. */
function sheetForm(cycle: Cycle, typed?: string[], error?: string): Card {
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
    boxes: typed ?? splitSheetText(scoreSheetToText(sheet)) ?? [],
    boxCount: SHEET_INPUT.boxes,
    boxMax: SHEET_INPUT.max,
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
  if (cycle.status !== 'open') throw new UserError(sheetFixedText(cycle), { kind: 'info', article: 18 });
  return { card: { type: 'raw', data: sheetForm(cycle) } };
}

/** `cycle.sheetLoad`: checks the sheet (items add up to the total) and makes it the cycle's. */
export async function submitSheet(ctx: HandlerContext, input: CardActionInput): Promise<CardAnswer> {
  // the service's locking read refuses a missing cycle in the same words as cycleOf
  const { sheet } = await loadScoreSheet(ctx.tx, ctx.actor, idFrom(input.value, 'cycleId'), sheetTexts(input), ctx.clock.now());
  return ctx.afterCommit(async (read) => ({ toast: loadedToast(sheet), card: { type: 'raw', data: await adminCardFor(read) } }));
}

/**
 * The texts of the card's inputs in order: `sheet` (the only one on cards sent before a sheet could take more), then
 * `sheet2`… (cards/admin.ts `sheetBoxName`).
 */
const sheetTexts = (input: CardActionInput): string[] =>
  Array.from({ length: SHEET_INPUT.boxes }, (_, i) => {
    const v = input.formValue[i === 0 ? 'sheet' : `sheet${i + 1}`];
    return typeof v === 'string' ? v : '';
  });

function loadedToast(sheet: ScoreSheet) {
  const items = sheet.areas.reduce((n, a) => n + a.items.length, 0);
  return { type: 'success' as const, content: `已载入评分表“${sheet.title}”：${sheet.areas.length} 个区域、${items} 项，共 ${sheet.total} 分` };
}

/**
 * The same in one round trip on PostgreSQL (src/fast/admin.ts) when it succeeds: the sheet is parsed here as
 * `loadScoreSheet` parses it (its text is a string); a sheet that does not parse, a refusal or the sheet already in
 * force answer undefined having written nothing, and `submitSheet` runs.
 */
export const submitSheetFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  // idFrom (the registry's value schema) refuses a button without its cycle
  const cycleId = idOrZero(input.value, 'cycleId');
  if (!cycleId) return undefined;
  let sheet: ScoreSheet;
  try {
    sheet = parseScoreSheetBoxes(sheetTexts(input));
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  const now = fx.clock.now();
  const day = todayIn(fx.config.BOT_TIMEZONE, now);
  const done = await fastLoadSheet(
    fx.database,
    { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, now, bootstrapAdmins: fx.config.ADMIN_OPEN_IDS, cycleId, sheet },
    (db) => adminCardOn(db, day),
  );
  if (!done) return undefined;
  return { outcome: 'ok', answer: { toast: loadedToast(sheet), card: { type: 'raw', data: done.answer } } };
};

export async function sheetFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput): Promise<CardResponse | undefined> {
  if (!ctx.actor.roles.includes('admin')) return undefined;
  const cycle = await getCycle(ctx.tx, idOrZero(input.value, 'cycleId'));
  if (!cycle || err.opts.field !== 'sheet') return { card: { type: 'raw', data: await adminCardFor(ctx) } };
  return { card: { type: 'raw', data: sheetForm(cycle, sheetTexts(input), err.message) } };
}
