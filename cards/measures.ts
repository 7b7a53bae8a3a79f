import type { Article, Chapter, RankedArticle } from '../src/measures/index.js';
import { button, buttonRow, card, type Card, type Element, hr, markdown, type Md, note, md } from './kit.js';

const MEASURES = '《广东省市政工程质量信得过班组建设管理办法（暂行）》';
/** Longer articles are cut to this many characters in an answer, with a button for the whole text. */
export const EXCERPT_CHARS = 200;
const MAX_ANSWERS = 3;

const articleButton = (number: number, text: string, type: 'primary' | 'default' = 'default') =>
  button({ text, type, value: { action: 'measures.article', article: number } });

const browseButton = () => button({ text: '全部条款', value: { action: 'measures.browse' } });

/** The measures' own text as markdown: nothing in it may turn into formatting, nor `4. ` into a list renumbered from 1. */
const articleMarkdown = (text: string): Md => md`${text.replace(/^(\d+)\.\s+/gm, '$1.')}`;

/** One article, whole: 第十六条 with its chapter, and buttons to the neighbours. */
export function articleCard(article: Article, opts: { total?: number } = {}): Card {
  const total = opts.total ?? 22;
  const neighbours = [
    ...(article.number > 1 ? [articleButton(article.number - 1, '上一条')] : []),
    ...(article.number < total ? [articleButton(article.number + 1, '下一条')] : []),
    browseButton(),
  ];
  return card({
    title: article.numeral,
    subtitle: article.chapter,
    template: 'blue',
    summary: `${article.numeral} ${article.topic}`.trim(),
    elements: [markdown(articleMarkdown(article.text)), note(md`${MEASURES}${article.numeral}`), hr(), buttonRow(neighbours)],
  });
}

/** Nothing in the measures answers the question. */
export function notFoundCard(query: string): Card {
  return card({
    title: '没有找到相关条款',
    subtitle: quoted(query),
    template: 'grey',
    elements: [
      markdown(md`${MEASURES}中没有找到与这句话相关的条款。\n\n发送 \`条款 1\` … \`条款 22\` 查看某一条，或发送 \`帮助\` 查看可用的命令。`),
      buttonRow([browseButton()]),
    ],
  });
}

const cut = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars).trimEnd()}…` : text);

/** A long article's lead and the item that matched, or its first 200 characters. */
function excerpt({ article, bestLine }: Pick<RankedArticle, 'article' | 'bestLine'>): string {
  const [lead] = article.text.split('\n');
  if (!bestLine || bestLine === lead) return cut(article.text, EXCERPT_CHARS);
  return `${cut(lead, 60)}\n……\n${cut(bestLine, EXCERPT_CHARS)}`;
}

/**
 * The articles most relevant to a question: each whole, or (when longer than 200 characters) its lead
 * and the item that matched, with 查看全文.
 */
export function answerCard(query: string, ranked: readonly Pick<RankedArticle, 'article' | 'bestLine'>[]): Card {
  if (!ranked.length) return notFoundCard(query);
  const elements: Element[] = [];
  ranked.slice(0, MAX_ANSWERS).forEach((r, i) => {
    const { article } = r;
    if (i > 0) elements.push(hr());
    const long = article.text.length > EXCERPT_CHARS;
    const text = long ? excerpt(r) : article.text;
    elements.push(markdown(md`**${article.numeral}**（${article.chapter}）\n\n${articleMarkdown(text)}`));
    if (long) elements.push(buttonRow([articleButton(article.number, '查看全文')]));
  });
  elements.push(note(md`以上是${MEASURES}中与问题最相关的条款，按相关程度排列。发送 \`条款 16\` 查看某一条全文。`));
  elements.push(buttonRow([browseButton()]));
  return card({ title: '办法中的相关条款', subtitle: quoted(query), template: 'wathet', summary: '办法中的相关条款', elements });
}

/** The eight chapters, each with its articles as buttons. */
export function browseCard(chapters: readonly Chapter[], title = MEASURES): Card {
  const elements: Element[] = [];
  for (const chapter of chapters) {
    elements.push(markdown(md`**${chapter.title}**`));
    elements.push(
      chapter.articles.length
        ? buttonRow(chapter.articles.map((a) => articleButton(a.number, `${a.numeral} ${a.topic}`.trim())))
        : note('本章暂无条文'),
    );
  }
  elements.push(note('点击条款查看全文；也可以直接提问，例如“注册多久才能参加评选”。'));
  return card({ title: '办法条款', subtitle: title, template: 'blue', summary: '办法条款', elements });
}

function quoted(query: string): string {
  const q = query.trim();
  return `“${q.length > 40 ? `${q.slice(0, 40)}…` : q}”`;
}
