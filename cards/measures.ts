import type { Article, Chapter, RankedArticle } from '../src/measures/index.js';
import { button, buttonRow, card, type Card, type Element, hr, markdown, type Md, note, md, raw } from './kit.js';

const MEASURES = '《广东省市政工程质量信得过班组建设管理办法（暂行）》';
/** Longer articles are cut to this many characters in an answer, with a button for the whole text. */
export const EXCERPT_CHARS = 200;

const articleButton = (number: number, text: string, type: 'primary' | 'default' = 'default') =>
  button({ text, type, value: { action: 'measures.article', article: number } });

const browseButton = () => button({ text: '全部条款', value: { action: 'measures.browse' } });

/** The measures' own text as markdown: nothing in it may turn into formatting, nor `4. ` into a list renumbered from 1. */
const articleMarkdown = (text: string): Md => md`${text.replace(/^(\d+)\.\s+/gm, '$1.')}`;
/** The same, as a string to cut and bold sentences in. */
const articleText = (text: string): string => articleMarkdown(text).text;

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

/** The sentences of a line: each ends with 。 or ；, the last may end with nothing. */
const sentencesOf = (line: string) => line.match(/[^。；;]+[。；;]?/g) ?? [line];

/** A line shown whole, with the sentence that answers in bold when the line has more than one. */
function lineWithAnswer(line: string, sentence: string | undefined): string {
  const md = articleText(line);
  if (!sentence || sentencesOf(line).length < 2) return md;
  const target = articleText(sentence);
  const at = md.indexOf(target);
  return at < 0 ? md : `${md.slice(0, at)}**${target}**${md.slice(at + target.length)}`;
}

/** A long line cut down to the sentence that answers, keeping an item's number and heading (`4.加强班组技能建设。`). */
function answeringPart(line: string, sentence: string | undefined): string {
  if (line.length <= EXCERPT_CHARS) return lineWithAnswer(line, sentence);
  if (!sentence || !line.includes(sentence)) return articleText(cut(line, EXCERPT_CHARS));
  const [head] = sentencesOf(line);
  const answer = `**${articleText(cut(sentence, EXCERPT_CHARS))}**`;
  if (line.startsWith(sentence)) return `${answer}……`;
  return /^\d+[.、．]/.test(line) && !head.includes(sentence) ? `${articleText(head)}……${answer}` : `……${answer}`;
}

/**
 * What an answer shows of an article: a short one whole, a long one by its lead and the item that matched,
 * or the sentence that answers; the answering sentence in bold. Without a best line: its first 200 characters.
 */
function excerpt({ article, bestLine, bestSentence }: AnswerItem): string {
  const lines = article.text.split('\n');
  if (article.text.length <= EXCERPT_CHARS) {
    return lines.map((l) => (l === bestLine ? lineWithAnswer(l, bestSentence) : articleText(l))).join('\n');
  }
  const [lead] = lines;
  // a line that announces a list (…应具备以下基本条件：) answers with the list: each item's first words
  if (bestLine && /[：:]$/.test(bestLine)) {
    const items = lines.slice(lines.indexOf(bestLine) + 1).filter((l, i, all) => all.slice(0, i + 1).every((x) => /^\d+[.、．]/.test(x)));
    if (items.length) return [lineWithAnswer(bestLine, bestSentence), ...items.map((l) => articleText(cut(l, LIST_ITEM_CHARS)))].join('\n');
  }
  if (!bestLine || (bestLine === lead && !bestSentence)) return articleText(cut(article.text, EXCERPT_CHARS));
  if (bestLine === lead) return answeringPart(lead, bestSentence);
  return `${articleText(cut(lead, 60))}\n……\n${answeringPart(bestLine, bestSentence)}`;
}

/** Each item of a list an answer shows (第十三条's five conditions), cut to its first words; 查看全文 has them whole. */
const LIST_ITEM_CHARS = 48;

/** A question about complaining (第二十一、二十二条), and what to send to make one. */
const COMPLAINING_ASKED = /投诉|举报|complain/i;
const COMPLAINING_ZH = '**怎么投诉**：发送“投诉 班组名称或编号”填写投诉表（也可使用协会的网上投诉页面）；协会核查后认定是否成立，在飞书中投诉的会收到处理结果（第二十一条）。';
const COMPLAINING_EN = '**To complain**: send “投诉 <team name or code>” (complain) and fill in the form, or use the association’s web form; the association checks it and decides whether it is upheld.';
/** A question about the score a title takes: the threshold is the year's setting, not an article. */
const SCORE_ASKED = /多少分|几分|分数线|分数|得分|points?\b|score (?:to|for|needed)|pass mark/i;
const SCORE_ZH = '**授予称号分数线**：不在办法条文中，由协会在每年的评审设置中规定（默认 85 分，满分按本年度评分表，第十八条）；结果公布后发送“进度”可查看本班组得分。';
const SCORE_EN = '**The score for a title** is not in the measures: the association sets it for each year’s review (85 by default, out of the year’s score sheet); after results are published, “进度” (status) shows your team’s score.';

/** The articles of taking part: creating a team, the conditions, the application, the year before it (第十二、十三、十五、十六条). */
const TAKING_PART = new Set([12, 13, 15, 16]);
const TAKING_PART_ZH = '**怎么办理**：发送“注册”登记班组（第十二条）；注册满一年后，协会开启年度评审时发送“申报”（第十六条）；发送“进度”查看你的班组到了哪一步。';
const TAKING_PART_EN = '**To take part**: send “注册” (register) to register your team; a year later, when the association opens the year’s review, send “申报” (apply); “进度” (status) shows where your team is.';

type AnswerItem = Pick<RankedArticle, 'article' | 'bestLine' | 'bestSentence'> & { score?: number };

/** At most this many articles are shown; the others are named with how to open them. */
const MAX_ANSWERS = 2;
/** A second article is shown only when it scores at least this share of the first; else it is only named. */
const SECOND_ANSWER_SHARE = 0.6;

/**
 * The one or two articles that answer a question, each with the sentence that answers (and 查看全文 when
 * more of it is left out), then the other related articles by number. An English question gets each
 * article's gist in English above its Chinese text, cited as 第N条 / Article N.
 */
export function answerCard(query: string, ranked: readonly AnswerItem[], opts: { language?: 'zh' | 'en' } = {}): Card {
  if (!ranked.length) return notFoundCard(query);
  const english = opts.language === 'en';
  const elements: Element[] = [];
  const first = ranked[0].score;
  const shown = ranked.slice(0, MAX_ANSWERS).filter((r, i) => i === 0 || first === undefined || (r.score ?? 0) >= first * SECOND_ANSWER_SHARE);
  shown.forEach((r, i) => {
    const { article } = r;
    if (i > 0) elements.push(hr());
    const heading = english ? md`**${article.numeral} / Article ${article.number}**` : md`**${article.numeral}**`;
    const gist = english && article.english ? md`${article.english}\n\n` : md``;
    // the excerpt is the article's own text, escaped by articleText
    elements.push(markdown(md`${heading}（${article.chapter}）\n\n${gist}${raw(excerpt(r))}`));
    if (article.text.length > EXCERPT_CHARS) elements.push(buttonRow([articleButton(article.number, english ? '查看全文 Full text' : '查看全文')]));
  });
  const others = ranked.slice(shown.length).map((r) => r.article);
  const example = others[0]?.number ?? shown[0].article.number;
  elements.push(
    note(
      // only our own article numbers, numerals and fixed words
      raw(
        english
          ? `${others.length ? `Also related: ${others.map((a) => `Article ${a.number} (${a.numeral})`).join(', ')}. ` : ''}` +
              `The measures are in Chinese; the English lines are a summary. Send \`article ${example}\` for the whole text of an article.`
          : `${others.length ? `其他相关条款：${others.map((a) => a.numeral).join('、')}。` : ''}` +
              `以上摘自${MEASURES}，按相关程度排列。发送 \`条款 ${example}\` 查看某一条全文。`,
      ),
    ),
  );
  // a question about taking part (第五章 申报) is answered with what to send next, not only with the articles
  if (shown.some((r) => TAKING_PART.has(r.article.number))) elements.push(markdown(raw(english ? TAKING_PART_EN : TAKING_PART_ZH)));
  if (COMPLAINING_ASKED.test(query)) elements.push(markdown(raw(english ? COMPLAINING_EN : COMPLAINING_ZH)));
  if (SCORE_ASKED.test(query)) elements.push(markdown(raw(english ? SCORE_EN : SCORE_ZH)));
  elements.push(buttonRow([browseButton()]));
  const title = english ? 'From the measures · 办法中的相关条款' : '办法中的相关条款';
  return card({ title, subtitle: quoted(query), template: 'wathet', summary: title, elements });
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
  elements.push(note('点击条款查看全文；也可以直接提问，例如“注册多久才能参加评选”，或用英文提问（How often is the review held?）。'));
  return card({ title: '办法条款', subtitle: title, template: 'blue', summary: '办法条款', elements });
}

function quoted(query: string): string {
  const q = query.trim();
  return `“${q.length > 40 ? `${q.slice(0, 40)}…` : q}”`;
}
