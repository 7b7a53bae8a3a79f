import type { BotRegistry } from '../../src/handlers.js';
import { id, values } from '../respond.js';
import { closeAndAggregate, closeAndAggregateFast, previewResults, resultsAgain } from './preview.js';
import { publish, publishFast, publishValue } from './publish.js';
import { sendResultsWorkbook } from './workbook.js';

const admin = ['admin'] as const;
const onCycle = values({ cycleId: id });

/** 评审结果 (第二十条、第二十一条): aggregate, preview, publish, and the workbook as the results stand now. */
export function register(bot: BotRegistry): void {
  bot.cardAction({ action: 'results.close', roles: admin, value: onCycle, run: closeAndAggregate, fast: closeAndAggregateFast, onRefused: resultsAgain });
  bot.cardAction({ action: 'results.preview', roles: admin, value: onCycle, run: previewResults, onRefused: resultsAgain, privateInGroup: '评审结果' });
  bot.cardAction({ action: 'results.workbook', roles: admin, value: onCycle, run: sendResultsWorkbook });
  bot.cardAction({ action: 'results.publish', roles: admin, value: publishValue, run: publish, fast: publishFast, onRefused: resultsAgain });
}
