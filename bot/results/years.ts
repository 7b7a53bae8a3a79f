import { resultsPreviewCard, resultYearsCard } from '../../cards/results.js';
import type { CardActionInput, CardResponse, CommandDef, HandlerContext, IncomingText } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { loadResults, withheldNow } from '../../src/review/results.js';
import { noResultsOf, publishedYears, yearFirstTyped, yearTyped } from '../../src/review/pastYears.js';
import { pageFrom, raw, sendPrivately, tellOwnResults } from '../respond.js';
import { resultsSummary } from './view.js';

/**
 * `results.years` (历年评审结果, on the 协会管理 card): every published year with its counts and a button to its 评审结果
 * card, five a page. A view: pressed twice, or from an older copy, it draws the years as they stand now; a page past
 * the last (fewer years than when it was drawn) is the last.
 */
export async function showResultYears(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  return raw(resultYearsCard({ years: await publishedYears(ctx.tx), page: pageFrom(input.value) }));
}

/**
 * An administrator's 历年评审结果 (past results) typed: the years; `评审结果 2026` (results 2026): that year's results card,
 * drawn from its own data as the 评审结果 button draws it, with 下载结果工作簿; a year with none published is told where
 * it stands and which years have them. Anyone else, and an argument that is no year (评审结果什么时候公布), is a
 * question for the measures, as before: results reach the teams as their own result cards, the workbook is the
 * association's.
 */
export async function yearResultsCommand(ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void | false> {
  if (!hasRole(ctx.actor, 'admin')) return tellOwnResults(ctx, msg, argument);
  if (!argument.trim()) {
    await sendPrivately(ctx, msg, `results:years:${ctx.eventId}`, { card: resultYearsCard({ years: await publishedYears(ctx.tx), page: 1 }) }, '历年评审结果');
    return;
  }
  const year = yearTyped(argument);
  if (year === undefined) return false;
  await sendYearResults(ctx, msg, year);
}

/** 2026年度评审结果, 2026 results: the year first, as the card's title and its button read. */
export function yearResultsOr(next: CommandDef['run']): CommandDef['run'] {
  return async (ctx, msg, argument, how) => {
    const year = hasRole(ctx.actor, 'admin') ? yearFirstTyped(msg.text) : undefined;
    if (year === undefined) return next(ctx, msg, argument, how);
    await sendYearResults(ctx, msg, year);
  };
}

async function sendYearResults(ctx: HandlerContext, msg: IncomingText, year: number): Promise<void> {
  const published = await publishedYears(ctx.tx);
  const found = published.find((y) => y.year === year);
  const key = `results:year:${ctx.eventId}`;
  if (!found) {
    await sendPrivately(ctx, msg, key, { text: await noResultsOf(ctx.tx, year, published) }, '回复');
    return;
  }
  const results = await loadResults(ctx.tx, found.cycleId);
  const card = resultsPreviewCard(resultsSummary(results, withheldNow(results, ctx.clock.now(), ctx.config.BOT_TIMEZONE)));
  await sendPrivately(ctx, msg, key, { card }, `${year}年度评审结果`);
}
