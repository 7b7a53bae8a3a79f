import { describe, expect, it } from 'vitest';
import { answerCard, articleCard, browseCard, EXCERPT_CHARS, notFoundCard } from '../cards/measures.js';
import {
  articles,
  chapters,
  chineseNumeral,
  getArticle,
  measuresTitle,
  parseArticleArgument,
  parseArticleReference,
  parseNumeral,
  rankArticles,
} from '../src/measures/index.js';

/** Every button of a card, wherever it sits. */
function buttonsOf(node: unknown): any[] {
  if (Array.isArray(node)) return node.flatMap(buttonsOf);
  if (node && typeof node === 'object') {
    const n = node as Record<string, unknown>;
    return [...(n.tag === 'button' ? [n] : []), ...Object.values(n).flatMap(buttonsOf)];
  }
  return [];
}

function expectValidCard(c: object) {
  expect((c as { schema: string }).schema).toBe('2.0');
  expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThan(30 * 1024);
  for (const b of buttonsOf(c)) expect(typeof b.behaviors[0].value.action).toBe('string');
}

describe('parsing the measures', () => {
  it('finds the title, 8 chapters and 22 articles in order', () => {
    expect(measuresTitle).toBe('广东省市政工程质量信得过班组建设管理办法（暂行）');
    expect(chapters.map((c) => c.title)).toEqual([
      '第一章 总则',
      '第二章 组织管理',
      '第三章 创建',
      '第四章 推进',
      '第五章 申报',
      '第六章 评审表彰',
      '第七章 监督',
      '第八章 附则',
    ]);
    expect(articles).toHaveLength(22);
    expect(articles.map((a) => a.number)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(chapters.flatMap((c) => c.articles)).toEqual(articles);
  });

  it.each([
    [1, '第一条', '第一章 总则', '为贯彻落实质量强国新战略'],
    [2, '第二条', '第一章 总则', '质量信得过班组是以组织行政班组'],
    [3, '第三条', '第二章 组织管理', '广东省市政工程质量信得过班组建设活动工作由广东省市政行业协会'],
    [6, '第六条', '第三章 创建', '活动原则\n1.质量信得过班组建设与实施组织发展战略衔接一致。'],
    [7, '第七条', '第三章 创建', '活动要求\n1.加强班组基础建设。'],
    [12, '第十二条', '第五章 申报', '组织的各类班组可自愿'],
    [13, '第十三条', '第五章 申报', '申报广东省市政工程质量信得过班组建设成果应具备以下基本条件：\n1. 以提升产品'],
    [16, '第十六条', '第六章 评审表彰', '质量信得过班组注册一年后，方可参加质量信得过班组评选。'],
    [20, '第二十条', '第六章 评审表彰', '在广东省市政工程质量信得过班组建设活动中'],
    [22, '第二十二条', '第七章 监督', '获得“质量信得过班组”称号的班组'],
  ])('article %i is %s in %s and starts with its first words', (n, numeral, chapter, start) => {
    const a = getArticle(n)!;
    expect(a.numeral).toBe(numeral);
    expect(a.chapter).toBe(chapter);
    expect(a.text.startsWith(start)).toBe(true);
  });

  it('keeps every numbered item inside its article', () => {
    expect(getArticle(6)!.text.split('\n')).toHaveLength(6);
    expect(getArticle(7)!.text.split('\n')).toHaveLength(7);
    expect(getArticle(7)!.text).toContain('班组成员培训率和考试合格率达90%以上。');
    expect(getArticle(13)!.text).toMatch(/5\. 班组近三年无质量、安全、环保事故。$/);
    expect(getArticle(16)!.text).toBe('质量信得过班组注册一年后，方可参加质量信得过班组评选。');
    for (const a of articles) expect(a.text).not.toMatch(/^第.+条/);
  });

  it('has no article 0 or 23', () => {
    expect(getArticle(0)).toBeUndefined();
    expect(getArticle(23)).toBeUndefined();
    expect(getArticle(1.5)).toBeUndefined();
  });
});

describe('numerals', () => {
  it('writes and reads 一 to 二十二', () => {
    for (let n = 1; n <= 22; n++) {
      expect(parseNumeral(chineseNumeral(n))).toBe(n);
      expect(getArticle(n)!.numeral).toBe(`第${chineseNumeral(n)}条`);
    }
    expect(chineseNumeral(16)).toBe('十六');
    expect(chineseNumeral(20)).toBe('二十');
    expect(parseNumeral('１６')).toBe(16);
    expect(parseNumeral('两')).toBe(2);
    expect(parseNumeral('十十')).toBeUndefined();
    expect(parseNumeral('')).toBeUndefined();
    expect(parseNumeral('申报')).toBeUndefined();
  });

  it('reads the argument of 条款 and references in free text', () => {
    expect(parseArticleArgument('16')).toBe(16);
    expect(parseArticleArgument('十六')).toBe(16);
    expect(parseArticleArgument('第十六条')).toBe(16);
    expect(parseArticleArgument('第 16 条')).toBe(16);
    expect(parseArticleArgument('')).toBeUndefined();
    expect(parseArticleArgument('申报条件')).toBeUndefined();
    expect(parseArticleReference('第十六条')).toEqual({ number: 16 });
    expect(parseArticleReference('第16条说的是什么')).toEqual({ number: 16 });
    expect(parseArticleReference('条款十六')).toEqual({ number: 16 });
    expect(parseArticleReference('第二十三条')).toEqual({ number: 23 });
    expect(parseArticleReference('第一章')).toBeUndefined();
    expect(parseArticleReference('注册多久才能参加评选')).toBeUndefined();
  });
});

describe('ranking questions', () => {
  const top = (q: string) => rankArticles(q).map((r) => r.article.number);

  it.each([
    ['注册多久才能参加评选', [16]],
    ['投诉撤销称号', [22]],
    ['培训率要达到多少', [7]],
    ['申报需要什么条件', [13]],
    ['谁负责评审', [14, 3]],
    ['评审多久一次', [19]],
    ['评审标准是什么', [18]],
    ['评审原则', [17]],
    ['QC小组', [10]],
    ['班组可以自愿申请吗', [12]],
    ['申报表谁来推荐', [15]],
    ['近三年有安全事故能申报吗', [13]],
    ['质量信得过班组是什么', [2]],
    ['活动目的是什么', [5]],
  ])('%s → article %j first', (q, expected) => {
    expect(expected).toContain(top(q)[0]);
  });

  it('returns at most the limit, best first, with positive scores', () => {
    const ranked = rankArticles('申报评审', 3);
    expect(ranked.length).toBeGreaterThan(1);
    expect(ranked.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1].score).toBeGreaterThanOrEqual(ranked[i].score);
    expect(rankArticles('申报评审', 1)).toHaveLength(1);
  });

  it.each(['今天天气怎么样呀', '你好', '好的谢谢', 'hello world', '', '。。。！', '质量'])('finds nothing in %j', (q) => {
    expect(rankArticles(q)).toEqual([]);
  });

  it('ignores punctuation and full-width forms', () => {
    expect(top('注册，多久？才能参加评选！')[0]).toBe(16);
    expect(top('ＱＣ小组活动')[0]).toBe(10);
  });
});

describe('measures cards', () => {
  it('shows one article whole, with its chapter and neighbours', () => {
    const c = articleCard(getArticle(16)!) as any;
    expectValidCard(c);
    expect(c.header.title.content).toBe('第十六条');
    expect(c.header.subtitle.content).toBe('第六章 评审表彰');
    expect(JSON.stringify(c)).toContain('注册一年后');
    const values = buttonsOf(c).map((b) => b.behaviors[0].value);
    expect(values).toContainEqual({ action: 'measures.article', article: 15 });
    expect(values).toContainEqual({ action: 'measures.article', article: 17 });
    expect(values).toContainEqual({ action: 'measures.browse' });
    expect(buttonsOf(articleCard(getArticle(1)!)).map((b) => b.behaviors[0].value.article)).not.toContain(0);
    expect(buttonsOf(articleCard(getArticle(22)!)).map((b) => b.behaviors[0].value.article)).not.toContain(23);
  });

  it('keeps numbered items from becoming markdown lists', () => {
    const c = articleCard(getArticle(13)!) as any;
    expect(c.body.elements[0].content).toContain('\n5.班组近三年无质量、安全、环保事故。');
    expect(c.body.elements[0].content).not.toMatch(/^\d+\.\s/m);
  });

  it('escapes markdown in the text', () => {
    const c = articleCard({ ...getArticle(2)!, text: 'a *b* [c](d) <at id=all></at>' }) as any;
    expect(c.body.elements[0].content).toBe('a &#42;b&#42; &#91;c&#93;&#40;d&#41; &#60;at id=all&#62;&#60;/at&#62;');
  });

  it('answers with the top articles, a long one by its lead and the matching item, with 查看全文', () => {
    const ranked = rankArticles('培训率要达到多少');
    const c = answerCard('培训率要达到多少', ranked) as any;
    expectValidCard(c);
    const json = JSON.stringify(c);
    expect(json).toContain('**第七条**');
    expect(json.indexOf('第七条')).toBeLessThan(json.indexOf(`**${ranked[1].article.numeral}**`));
    expect(buttonsOf(c).map((b) => b.behaviors[0].value)).toContainEqual({ action: 'measures.article', article: 7 });
    // 第七条 is long: its lead and item 4 (the training rate) are shown, not item 1
    const first = c.body.elements[0].content as string;
    expect(first).toContain('活动要求\n……\n4.加强班组技能建设。');
    expect(first).toContain('合格率达90%以上');
    expect(first).not.toContain('加强班组基础建设');
    expect(first.length).toBeLessThan(EXCERPT_CHARS + 100);
  });

  it('cuts a long article to its first 200 characters when its lead matched best', () => {
    const c = answerCard('x', [{ article: getArticle(7)!, bestLine: '活动要求' }]) as any;
    const first = c.body.elements[0].content as string;
    expect(first).toContain('1.加强班组基础建设');
    expect(first.endsWith('…')).toBe(true);
    expect(first.length).toBeLessThan(EXCERPT_CHARS + 40);
  });

  it('shows a short article whole without 查看全文', () => {
    const c = answerCard('注册多久才能参加评选', rankArticles('注册多久才能参加评选')) as any;
    expectValidCard(c);
    expect(c.body.elements[0].content).toContain('**第十六条**');
    expect(c.body.elements[0].content).toContain('质量信得过班组注册一年后，方可参加质量信得过班组评选。');
    expect(buttonsOf(c).filter((b) => b.text.content === '查看全文')).toHaveLength(0);
  });

  it('says what to send when nothing is found', () => {
    for (const c of [notFoundCard('天气'), answerCard('天气', [])] as any[]) {
      expectValidCard(c);
      const json = JSON.stringify(c);
      expect(json).toContain('条款 1');
      expect(json).toContain('条款 22');
      expect(json).toContain('帮助');
    }
  });

  it('lists the 8 chapters with every article as a button', () => {
    const c = browseCard(chapters, measuresTitle) as any;
    expectValidCard(c);
    const json = JSON.stringify(c);
    for (const ch of chapters) expect(json).toContain(ch.title);
    const numbers = buttonsOf(c).map((b) => b.behaviors[0].value);
    expect(numbers.every((v) => v.action === 'measures.article')).toBe(true);
    expect(numbers.map((v) => v.article)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
  });
});
