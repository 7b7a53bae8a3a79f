import type { BotRegistry } from '../../src/handlers.js';
import { notUnderstood, noValue } from '../respond.js';
import { answerQuestion } from './answerQuestion.js';
import { browseMeasures } from './browseMeasures.js';
import { openArticle, showArticle } from './showArticle.js';

/** Questions about the measures: `条款 N`, the browse menu, and every free text as a question. */
export function register(bot: BotRegistry): void {
  bot.command({ names: ['条款', 'article'], takesArgument: true, argument: 'keyword', run: showArticle });
  bot.cardAction({ action: 'measures.article', roles: ['public'], value: noValue, run: openArticle });
  bot.cardAction({ action: 'measures.browse', roles: ['public'], value: noValue, run: browseMeasures });
  bot.menuEntry({ action: 'measures.browse', label: '查看办法条款', roles: [], order: 90, command: ['条款 16', 'article 16'] });
  // free text is a question; what the measures cannot answer falls back to the previous reply
  bot.fallback = answerQuestion(bot.fallback ?? notUnderstood, bot);
}
