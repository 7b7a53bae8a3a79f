import { answerCard } from '../../cards/measures.js';
import type { CommandDef, HandlerContext, IncomingText } from '../../src/handlers.js';
import { parseArticleReference, questionLanguage, rankArticles } from '../../src/measures/index.js';
import { replyDestination } from '../respond.js';
import { sendArticle } from './showArticle.js';

/** An English question the measures do not touch: said in English, with the Chinese reply after it. */
export const NOT_IN_MEASURES_EN =
  'The measures say nothing about this. Send “article 1” to “article 22” to read an article, or “help” for the menu.\n没有在办法中找到相关内容。发送“条款 1”至“条款 22”查看条款，或发送“帮助”查看可用的命令。';

/**
 * Any text that is no command: 第十六条 / 条款十六 / “what does article 16 say” opens that article; anything
 * else is answered with the most relevant articles, in English when asked in English. Empty (non-text)
 * messages and Chinese questions the measures do not touch go to `notUnderstood` (the short 发送“帮助” reply).
 */
export function answerQuestion(notUnderstood: CommandDef['run']): CommandDef['run'] {
  return async (ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void> => {
    const text = msg.text.trim();
    if (!text) {
      await notUnderstood(ctx, msg, argument);
      return;
    }
    const reference = parseArticleReference(text);
    if (reference) return sendArticle(ctx, msg, reference.number);
    const language = questionLanguage(text);
    const ranked = rankArticles(text);
    const to = replyDestination(ctx, msg);
    const dedupeKey = `measures:${ctx.eventId}`;
    if (ranked.length) await ctx.send({ dedupeKey, to, card: answerCard(text, ranked, { language }) });
    else if (language === 'en') await ctx.send({ dedupeKey, to, text: NOT_IN_MEASURES_EN });
    else await notUnderstood(ctx, msg, argument);
  };
}
