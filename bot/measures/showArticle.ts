import { z } from 'zod';
import { answerCard, articleCard } from '../../cards/measures.js';
import type { CardActionInput, CardResponse, HandlerContext, IncomingText } from '../../src/handlers.js';
import { ARTICLE_COUNT, articleReferences, getArticle, parseArticleArgument, questionLanguage, rankArticles } from '../../src/measures/index.js';
import { replyDestination } from '../respond.js';

/** The valid range (1–22), after what was asked for when that was a number; in both languages to an English question. */
export const articleRange = (asked?: number, language: 'zh' | 'en' = 'zh') => {
  const zh = `${asked === undefined ? '' : `办法中没有第 ${asked} 条。`}办法共 ${ARTICLE_COUNT} 条，请发送“条款 1”至“条款 ${ARTICLE_COUNT}”，例如“条款 16”。`;
  if (language === 'zh') return zh;
  // alone (`article`), the line says whose the 22 articles are
  const en = `${asked === undefined ? 'The measures have' : `The measures have no article ${asked}. They have`} ${ARTICLE_COUNT} articles: send “article 1” to “article ${ARTICLE_COUNT}”, for example “article 16”.`;
  return `${zh}\n${en}`;
};

/** Sends article n as a card, or the valid range when there is no such article. */
export async function sendArticle(ctx: HandlerContext, msg: IncomingText, n: number | undefined, language: 'zh' | 'en' = 'zh'): Promise<void> {
  const to = replyDestination(ctx, msg);
  const dedupeKey = `measures:${ctx.eventId}`;
  const article = n === undefined ? undefined : getArticle(n);
  if (!article) {
    await ctx.send({ dedupeKey, to, text: articleRange(n, language) });
    return;
  }
  await ctx.send({ dedupeKey, to, card: articleCard(article, { total: ARTICLE_COUNT, language }) });
}

/**
 * The articles a message names: one opens its card (or says the range when there is none such); two or more
 * (第十六条和第二十二条有什么区别, article 16 and 22) are shown together, each from its start.
 */
export async function sendArticles(ctx: HandlerContext, msg: IncomingText, numbers: readonly number[], language: 'zh' | 'en'): Promise<void> {
  const found = numbers.map((n) => getArticle(n)).filter((a) => a !== undefined);
  if (found.length < 2) return sendArticle(ctx, msg, found[0]?.number ?? numbers[0], language);
  const text = msg.text.trim();
  const shown = found.map((article) => ({ article, bestLine: '' }));
  await ctx.send({ dedupeKey: `measures:${ctx.eventId}`, to: replyDestination(ctx, msg), card: answerCard(text, shown, { language }) });
}

/** `条款 16` / `article 16` / `条款 十六`: the article's whole text; `条款 申报条件` / `article about complaints` searches instead. */
export async function showArticle(ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void> {
  const n = parseArticleArgument(argument);
  const language = questionLanguage(msg.text);
  // 条款 16 和 条款 22, article 16 please, Article #16: the numbers the argument names
  const named = n === undefined ? articleReferences(`条款 ${argument}`) : [];
  if (named.length) return sendArticles(ctx, msg, named, language);
  if (n === undefined && argument.trim()) {
    const ranked = rankArticles(argument);
    if (ranked.length) {
      await ctx.send({ dedupeKey: `measures:${ctx.eventId}`, to: replyDestination(ctx, msg), card: answerCard(argument, ranked, { language: questionLanguage(argument) }) });
      return;
    }
  }
  await sendArticle(ctx, msg, n, language);
}

// language: the card was opened from an English question, and its 上一条/下一条 keep the English gist
const articleActionSchema = z.object({ article: z.number().int().min(1).max(ARTICLE_COUNT), language: z.enum(['zh', 'en']).optional() });

/** 查看全文 / 上一条 / 下一条 / a browse button: the article's card in place of the clicked one. */
export async function openArticle(_ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const parsed = articleActionSchema.safeParse(input.value);
  const article = parsed.success ? getArticle(parsed.data.article) : undefined;
  if (!article) return { toast: { type: 'error', content: `没有这一条，办法共 ${ARTICLE_COUNT} 条（第一条至第二十二条）` } };
  return { card: { type: 'raw', data: articleCard(article, { total: ARTICLE_COUNT, language: parsed.success ? parsed.data.language : undefined }) } };
}
