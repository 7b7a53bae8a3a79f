import { answerCard } from '../../cards/measures.js';
import type { CommandDef, HandlerContext, IncomingText } from '../../src/handlers.js';
import { parseArticleReference, rankArticles } from '../../src/measures/index.js';
import { replyDestination } from '../respond.js';
import { sendArticle } from './showArticle.js';

/**
 * Any text that is no command: 第十六条 / 条款十六 opens that article; anything else is answered with
 * the most relevant articles. Empty (non-text) messages and questions the measures do not touch go
 * to `notUnderstood` (the short 发送“帮助” reply).
 */
export function answerQuestion(notUnderstood: CommandDef['run']): CommandDef['run'] {
  return async (ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void> => {
    const text = msg.text.trim();
    if (!text) return notUnderstood(ctx, msg, argument);
    const reference = parseArticleReference(text);
    if (reference) return sendArticle(ctx, msg, reference.number);
    const ranked = rankArticles(text);
    if (!ranked.length) return notUnderstood(ctx, msg, argument);
    await ctx.send({ dedupeKey: `measures:${ctx.eventId}`, to: replyDestination(ctx, msg), card: answerCard(text, ranked) });
  };
}
