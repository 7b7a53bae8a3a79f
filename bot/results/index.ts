import type { BotRegistry } from '../../src/handlers.js';
import { id, noValue, notUnderstood, values } from '../respond.js';
import { closeAndAggregate, closeAndAggregateFast, previewResults, resultsAgain } from './preview.js';
import { publish, publishFast, publishValue } from './publish.js';
import { sendResultsWorkbook } from './workbook.js';
import { showResultYears, yearResultsCommand, yearResultsOr } from './years.js';

const admin = ['admin'] as const;
const onCycle = values({ cycleId: id });

/** 评审结果 (第二十条、第二十一条): aggregate, preview, publish, and the workbook as the results stand now. */
export function register(bot: BotRegistry): void {
  bot.cardAction({ action: 'results.close', label: '结束评分并汇总', roles: admin, value: onCycle, run: closeAndAggregate, fast: closeAndAggregateFast, onRefused: resultsAgain });
  bot.cardAction({ action: 'results.preview', roles: admin, value: onCycle, run: previewResults, onRefused: resultsAgain, privateInGroup: '评审结果' });
  bot.cardAction({ action: 'results.workbook', roles: admin, value: onCycle, run: sendResultsWorkbook });
  bot.cardAction({ action: 'results.publish', label: '公布结果', roles: admin, value: publishValue, run: publish, fast: publishFast, onRefused: resultsAgain });
  // 历年评审结果: every published year (管理 has a button for the latest only), each to its 评审结果 card and workbook
  bot.cardAction({ action: 'results.years', roles: admin, value: noValue, run: showResultYears, privateInGroup: '历年评审结果' });
  // typed by an administrator: 历年评审结果, 评审结果 2026 / results 2026 (评审结果 or results alone is 管理's, where its buttons are);
  // for anyone else, and with anything but a year after it, a question for the measures as before
  bot.command({ names: ['历年评审结果', '往年评审结果', '评审结果', 'past results', 'results'], takesArgument: true, argument: 'keyword', roles: admin, run: yearResultsCommand });
  // 2026年度评审结果, 2026 results: the year first, as the card's title reads
  bot.fallback = yearResultsOr(bot.fallback ?? notUnderstood);
}
