import type { BotRegistry } from '../../src/handlers.js';
import { withUserErrors } from '../respond.js';
import { closeAndAggregate, previewResults, resultsAgain } from './preview.js';
import { publish } from './publish.js';

/** 评审结果 (第二十条、第二十一条): aggregate, preview, publish. */
export function register(bot: BotRegistry): void {
  bot.cardAction({ action: 'results.close', run: withUserErrors(closeAndAggregate, resultsAgain) });
  bot.cardAction({ action: 'results.preview', run: withUserErrors(previewResults, resultsAgain) });
  bot.cardAction({ action: 'results.publish', run: withUserErrors(publish, resultsAgain) });
}
