import { describe, expect, it } from 'vitest';
import { answerCard, answersOutsideMeasures, articleCard, browseCard, EXCERPT_CHARS, nextSteps, notFoundCard } from '../cards/measures.js';
import { createBot } from '../bot/index.js';
import { smallTalkReply } from '../bot/measures/smallTalk.js';
import { simplified } from '../src/traditional.js';
import { cycleDefaults } from '../src/cycles.js';
import { revocationBarDays, revocationBarText } from '../src/policy.js';
import {
  articleReferences,
  articles,
  chapters,
  chineseNumeral,
  getArticle,
  measuresTitle,
  parseArticleArgument,
  parseArticleReference,
  parseNumeral,
  questionLanguage,
  expandQuestion,
  rankArticles,
  corrected,
} from '../src/measures/index.js';
import { HELD_OUT_QUESTIONS, QUESTIONS, USER_QUESTIONS } from './support/measureQuestions.js';
import { CARD_BYTES_BUDGET, cardBodyBytes } from '../cards/kit.js';

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
  expect(cardBodyBytes(c)).toBeLessThan(CARD_BYTES_BUDGET);
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

  it('reads hundreds and thousands as what they are, not their first digit', () => {
    const read: [string, number | undefined][] = [
      ['一百', 100], ['一百零一', 101], ['两百', 200], ['一百一十', 110], ['一百十', 110], ['一百五', 150], ['三千零五十', 3050], ['两千零二十六', 2026],
      ['百', undefined], ['二二', undefined], ['十百', undefined],
    ];
    for (const [text, n] of read) expect(parseNumeral(text), text).toBe(n);
    expect(parseArticleArgument('一百')).toBe(100);
    expect(articleReferences('条款 两百')).toEqual([200]);
    expect(articleReferences('article 一百零一 and 16')).toEqual([101, 16]);
  });

  it('reads the argument of 条款 and references in free text', () => {
    expect(parseArticleArgument('16')).toBe(16);
    expect(parseArticleArgument('十六')).toBe(16);
    expect(parseArticleArgument('第十六条')).toBe(16);
    expect(parseArticleArgument('第 16 条')).toBe(16);
    expect(parseArticleArgument('')).toBeUndefined();
    expect(parseArticleArgument('申报条件')).toBeUndefined();
    // as an English reader writes the number
    const english: [string, number | undefined][] = [
      ['sixteen', 16], ['Sixteenth', 16], ['twenty-two', 22], ['twenty one', 21], ['twentieth', 20], ['XVI', 16], ['xxii', 22], ['I', 1], ['iv', 4],
      ['No. 16', 16], ['#16', 16], ['ill', undefined], ['iiii', undefined], ['twenty-eleven', undefined], ['about complaints', undefined],
    ];
    for (const [text, n] of english) expect(parseArticleArgument(text), text).toBe(n);
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
    // when the review is held, not how it is scored (第十八条 came first)
    ['评审会什么时候开', [19]],
    ['评审交流活动什么时候举行', [19]],
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

/** How many questions get the expected article first, and which do not. */
function hitRate(table: readonly (readonly [string, number])[]) {
  const misses = table
    .map(([q, expected]) => ({ q, expected, got: rankArticles(q).map((r) => r.article.number) }))
    .filter((x) => x.got[0] !== x.expected);
  return { hits: table.length - misses.length, total: table.length, misses };
}

describe('questions a team leader or secretary asks, in Chinese and English', () => {
  it('has 30 questions in both languages, among them the two of the issue', () => {
    expect(QUESTIONS).toHaveLength(30);
    expect(QUESTIONS.filter(([q]) => questionLanguage(q) === 'en').length).toBeGreaterThanOrEqual(10);
    expect(QUESTIONS.filter(([q]) => questionLanguage(q) === 'zh').length).toBeGreaterThanOrEqual(10);
    expect(QUESTIONS).toContainEqual(['How often is the review held?', 19]);
    expect(QUESTIONS).toContainEqual(['什么样的班组算质量信得过班组', 2]);
  });

  it.each(QUESTIONS)('%s → 第 %i 条 first', (q, expected) => {
    expect(rankArticles(q)[0]?.article.number).toBe(expected);
  });

  it('reports the hit rate of the table, and every one is right', () => {
    const { hits, total, misses } = hitRate(QUESTIONS);
    console.info(`measures questions: ${hits}/${total} answered with the right article first`, misses);
    expect(misses).toEqual([]);
  });

  it('reports the hit rate of the held-out questions, never tuned on', () => {
    const { hits, total, misses } = hitRate(HELD_OUT_QUESTIONS);
    console.info(`held-out measures questions: ${hits}/${total} answered with the right article first`, misses);
    // a floor, not a target: these questions were written after tuning and are kept as written
    expect(hits / total).toBeGreaterThanOrEqual(0.8);
  });
});

describe('English questions', () => {
  it('tells English from Chinese', () => {
    expect(questionLanguage('How often is the review held?')).toBe('en');
    expect(questionLanguage('QC小组')).toBe('zh');
    expect(questionLanguage('注册多久')).toBe('zh');
    expect(questionLanguage('？？')).toBe('zh');
  });

  it('reads a pasted link as no words: a Chinese question with a link is answered in Chinese', () => {
    const doc = 'https://example.feishu.cn/docx/AbCdEfGhIjKlMnOp';
    // Feishu delivers a text message's hyperlink as [text](address), a bare one as its address
    for (const q of [`注册多久才能参加评选 ${doc}`, `${doc}注册多久才能参加评选`, `注册多久才能参加评选 [材料](${doc})`, `注册多久才能参加评选 www.example.com/AbCdEfGh`]) {
      expect(questionLanguage(q), q).toBe('zh');
      expect(rankArticles(q)[0].article.number, q).toBe(16);
    }
    expect(articleReferences('[条款 16](https://x.example/)')).toEqual([16]);
    expect(questionLanguage(`How often is the review held? ${doc}`)).toBe('en');
  });

  it('finds articles by meaning, not by shared characters', () => {
    // none of these words occurs in the Chinese text; the concept table carries them to it
    expect(rankArticles('How often is the review held?')[0].article.number).toBe(19);
    expect(rankArticles('Can a team lose its title after customer complaints?')[0].article.number).toBe(22);
    expect(rankArticles('What is the definition of a quality trustworthy team?')[0].article.number).toBe(2);
  });

  it('finds the answering sentence of a long article', () => {
    const [first] = rankArticles('这个办法是依据什么制定的');
    expect(first.article.number).toBe(1);
    expect(first.bestSentence).toBe('根据中国质量协会发布的《质量信得过班组建设准则》制定本办法。');
  });

  it.each(['hello world', 'thank you', 'good morning', 'open the door', 'what time is it'])('finds nothing in %j', (q) => {
    expect(rankArticles(q)).toEqual([]);
  });

  it('reads an article named inside an English question, and ignores a trailing question mark', () => {
    expect(parseArticleReference('What does article 16 say?')).toEqual({ number: 16 });
    expect(parseArticleReference('article 16?')).toEqual({ number: 16 });
    expect(parseArticleArgument('16？')).toBe(16);
    expect(parseArticleReference('注册一年后参加评选的规定在article里吗')).toBeUndefined();
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

  it('answers “申报条件是什么” with the five conditions, not only the line announcing them', () => {
    const c = answerCard('申报条件是什么', rankArticles('申报条件是什么')) as any;
    expectValidCard(c);
    const first = c.body.elements[0].content as string;
    expect(first).toContain('**第十三条**');
    for (const n of [1, 2, 3, 4, 5]) expect(first).toMatch(new RegExp(`\\n${n}[.．]`));
    expect(first).toContain('班组近三年无质量、安全、环保事故');
  });

  it('says how to complain, and where the score for a title is set, when asked', () => {
    for (const [q, language] of [['怎么投诉', 'zh'], ['投诉怎么处理', 'zh'], ['How do I complain about a team?', 'en']] as const) {
      const json = JSON.stringify(answerCard(q, rankArticles(q), { language }));
      expect(json, q).toContain(language === 'en' ? 'To complain' : '怎么投诉');
      expect(json, q).toContain('投诉 ');
    }
    for (const [q, language] of [['获奖要多少分', 'zh'], ['How many points does a team need for the title?', 'en']] as const) {
      const c = answerCard(q, rankArticles(q), { language });
      expectValidCard(c);
      expect(JSON.stringify(c), q).toContain(language === 'en' ? '85 by default' : '默认 85 分');
    }
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

  it('answers an English question with an English lead line, the Chinese text, and 第N条 / Article N', () => {
    const q = 'How often is the review held?';
    const c = answerCard(q, rankArticles(q), { language: 'en' }) as any;
    expectValidCard(c);
    const first = c.body.elements[0].content as string;
    expect(first.startsWith('**第十九条 / Article 19**')).toBe(true);
    expect(first).toContain('held once a year');
    expect(first).toContain('评审交流活动每年一次。');
    expect(JSON.stringify(c)).toContain('article 1');
  });

  it('shows at most two articles and names the others with how to open them', () => {
    const ranked = rankArticles('申报评审', 3);
    expect(ranked).toHaveLength(3);
    const c = answerCard('申报评审', ranked) as any;
    const blocks = c.body.elements.filter((e: any) => e.tag === 'markdown').map((e: any) => e.content as string);
    const headed = blocks.filter((b: string) => /^\*\*第.+条\*\*/.test(b));
    expect(headed.length).toBeGreaterThanOrEqual(1);
    expect(headed.length).toBeLessThanOrEqual(2);
    const json = JSON.stringify(c);
    expect(json).toContain(`其他相关条款：${ranked.slice(headed.length).map((r) => r.article.numeral).join('、')}`);
    expect(json).toContain(`条款 ${ranked[headed.length].article.number}`);
  });

  it('leaves out a second article that scores far below the first', () => {
    const [a, b] = [getArticle(16)!, getArticle(19)!];
    const weak = answerCard('q', [{ article: a, bestLine: a.text, score: 10 }, { article: b, bestLine: b.text, score: 2 }]) as any;
    expect(JSON.stringify(weak)).not.toContain('**第十九条**');
    expect(JSON.stringify(weak)).toContain('其他相关条款：第十九条');
    const close = answerCard('q', [{ article: a, bestLine: a.text, score: 10 }, { article: b, bestLine: b.text, score: 8 }]) as any;
    expect(JSON.stringify(close)).toContain('**第十九条**');
  });

  it('shows the sentence that answers from a long article, in bold', () => {
    const q = '这个办法是依据什么制定的';
    const c = answerCard(q, rankArticles(q)) as any;
    const first = c.body.elements[0].content as string;
    expect(first).toContain('**根据中国质量协会发布的《质量信得过班组建设准则》制定本办法。**');
    expect(first).not.toContain('为贯彻落实质量强国新战略');
    expect(buttonsOf(c).map((b) => b.behaviors[0].value)).toContainEqual({ action: 'measures.article', article: 1 });
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

describe('questions users ask in the chat', () => {
  it.each(USER_QUESTIONS)('%s → 第 %i 条 first', (q, expected) => {
    expect(rankArticles(q)[0]?.article.number).toBe(expected);
  });

  it('does not answer “change my team leader” with 第八条 (the organisation’s leadership)', () => {
    expect(rankArticles('how do I change my team leader').map((r) => r.article.number)).not.toContain(8);
    expect(nextSteps('how do I change my team leader', 'en').join()).toContain('the leader sends “更换班组长” (change leader)');
  });

  const cardOf = (q: string) => JSON.stringify(answerCard(q, rankArticles(q), { language: questionLanguage(q) }));

  it.each([
    ['when is the deadline', /“进度” \(status\)/],
    ['申报截止是哪天', /发送“进度”查看本年度的截止日期/],
    ['我怎么评分', /发送“评分”/],
    ['how do I score an application', /“评分” \(review\)/],
    ['怎么分配专家', /发送“管理”/],
    ['怎么开启年度评审', /发送“管理”/],
    ['how do I assign experts', /“管理” \(admin\)/],
    ['利益冲突要回避吗', /声明利益冲突/],
    ['证书在哪里下载', /证书（图片和 PDF）会发到这个聊天中/],
    ['where can I download the certificate', /as an image and a PDF/],
    ['什么时候出结果', /发送“进度”可查看得分/],
    ['称号有效期几年', /年度称号/],
    ['我要怎么确认申报', /确认申报/],
    ['申诉', /联系协会/],
    ['被撤销称号后还能申报吗', /协会规定：撤销称号后一年内不受理该班组的申报/],
    ['称号被取消了还能再评吗', /协会规定：撤销称号后一年内不受理该班组的申报/],
    ['can a revoked team apply again', /cannot apply for a year by default/],
    ['评审几个专家', /每份申报的评审专家人数.*默认 3 人/],
    ['How many experts score each application?', /Experts per application.*3 by default/],
  ])('%s names the command that does it', (q, re) => {
    expect(cardOf(q)).toMatch(re);
  });

  it.each(['what score do I need', 'what is the passing score', 'what is the minimum score', '85分能评上吗', '及格线', '最低分', '满分多少', '总分多少'])(
    '%s gets the 85-point line',
    (q) => expect(cardOf(q)).toMatch(/默认 85 分|85 by default/),
  );

  it('names the defaults of the year’s settings as the settings have them, and no article for the association’s bar', () => {
    expect(cardOf('多少分能获得称号')).toContain(`默认 ${cycleDefaults.awardThreshold} 分`);
    expect(cardOf('评审几个专家')).toContain(`默认 ${cycleDefaults.expertsPerApplication} 人`);
    expect(cardOf('How many experts score each application?')).toContain(`${cycleDefaults.expertsPerApplication} by default`);
    const bar = nextSteps('被撤销称号后还能申报吗').join();
    expect(bar).toContain(`协会规定：${revocationBarText(revocationBarDays(undefined))}`);
    // the bar is the association's rule (RULES E5): 第二十二条 only allows the revocation
    expect(bar).not.toMatch(/第[一二三四五六七八九十]+条/);
  });

  it.each(['投诉撤销称号', '被客户投诉了会不会被取消称号', '称号会被撤销吗', '怎么取消申报', '专家会不会是我们单位的', '协会会组织培训吗', 'can I withdraw my application'])('%s gets neither the bar nor the number of experts', (q) => {
    expect(nextSteps(q, questionLanguage(q)).join()).not.toMatch(/不受理|评审专家人数/);
  });

  it('answers the training rate with 第七条’s 90% sentence, the phrase read before its word (training → 培训)', () => {
    const [first] = rankArticles('What training rate is required?');
    expect(first.article.number).toBe(7);
    expect(first.bestSentence).toContain('培训率和考试合格率达90%以上');
    expect(expandQuestion('What training rate is required?')).toContain('培训率');
    // training alone is still 第十一条's training
    expect(rankArticles('Does the association run training courses?')[0].article.number).toBe(11);
  });

  it('shows 第二条 (行政班组、团队、部门) for a kind of team, and not for a team asking what to do', () => {
    const shown = (q: string) => rankArticles(q).slice(0, 2).map((r) => r.article.number);
    expect(shown('项目团队能注册吗')).toContain(2);
    for (const q of ['团队怎么申报', '专家团队有哪些人', 'department in charge', '这个活动由哪个部门负责']) expect(rankArticles(q)[0].article.number, q).not.toBe(2);
  });

  it('answers who may complain from 第二十一条 (anyone: 接受社会各界的监督), not from 第二十二条’s revocation', () => {
    for (const q of ['Who can complain?', 'Who may file a complaint?', 'Can anyone complain about a team?', '谁可以投诉', '普通市民能举报吗']) {
      expect(rankArticles(q)[0]?.article.number, q).toBe(21);
    }
    // asking who handles a complaint, or about revocation, is not asking who may make one
    for (const q of ['投诉撤销称号', '被客户投诉了会不会被取消称号', 'Who handles complaints?']) expect(rankArticles(q)[0]?.article.number, q).toBe(22);
  });

  it('answers who awards the title from 第二十条 and a revocation from 第二十二条', () => {
    for (const q of ['谁颁发称号', '多少分能获得称号', '评上称号有什么用']) expect(rankArticles(q)[0].article.number, q).toBe(20);
    for (const q of ['撤销称号', '被撤销称号后还能申报吗', '评上的称号会被撤销吗', '获得称号后还会被取消吗']) expect(rankArticles(q)[0].article.number, q).toBe(22);
  });

  it.each([
    '我什么时候可以申报',
    '多久可以申报',
    '还差几天可以申报',
    '我们班组什么时候才能参评',
    'When can we apply?',
    'Can a new team apply?',
    'How soon can a team apply?',
    // how long the team must have existed (第十五条 came first, 第十六条 not even among the three)
    'how many years must a team exist before it can apply?',
    'How long must a team exist before it can apply?',
    'How old must a team be to apply?',
    'Our team was set up last month, can we apply?',
    'Can we apply if our team was founded last year?',
    '班组要成立几年才能申报？',
    '班组存在多少年才可以申报',
    '成立不满一年的班组能申报吗',
    '刚成立的班组能申报吗',
    '上个月成立的班组可以参评吗',
    '班组上个月刚成立，可以申报吗？',
    '申报需要班组成立满一年吗',
  ])(
    '%s (when a team may apply) is 第十六条 first, with the line saying 进度 counts the days left',
    (q) => {
      expect(rankArticles(q)[0]?.article.number).toBe(16);
      expect(cardOf(q)).toMatch(/注册满一年后方可参加评选（第十六条）.*发送“进度”可查看你的班组还差几天满一年|one year after it registered \(Article 16\).*how many days your team has left/);
    },
  );

  it.each([
    ['需要交多少钱', '办法没有规定申报或评审要交费'],
    ['申报要交费吗', '办法没有规定申报或评审要交费'],
    ['How much does it cost to apply?', 'say nothing about any fee'],
    ['协会电话多少', '请向广东省市政行业协会秘书处咨询'],
    ['协会地址在哪里', '请向广东省市政行业协会秘书处咨询'],
    ['怎么联系协会', '请向广东省市政行业协会秘书处咨询'],
    ["Where is the association's office?", 'ask the secretariat'],
    ['办法一共有多少条', '办法共二十二条'],
  ])('%s, which the measures say nothing on, is answered by the line alone: %s', (q, line) => {
    expect(answersOutsideMeasures(q, questionLanguage(q)).join()).toContain(line);
  });

  it.each(['需要', '多少', '协会', '办法', '通知', '需要多少', '协会通知', '需要交多少钱', '协会电话多少', '办法一共有多少条'])('%s: a common word alone picks no article', (q) => {
    expect(rankArticles(q)).toEqual([]);
  });

  it('a common word beside a word of the measures still counts, and the lines alone keep to what they are about', () => {
    expect(rankArticles('协会会组织培训吗')[0]?.article.number).toBe(11);
    expect(rankArticles('单位要投入多少费用')[0]?.article.number).toBe(9);
    expect(rankArticles('申报条件有几条')[0]?.article.number).toBe(13);
    expect(rankArticles('申报条件一共有几条')[0]?.article.number).toBe(13);
    expect(answersOutsideMeasures('一共有几条')).not.toEqual([]);
    for (const q of ['单位要投入多少费用', '申报条件有几条', '申报条件一共有几条', 'Who is in charge of the programme?', '协会会组织培训吗', '申报材料要交给谁']) {
      expect(answersOutsideMeasures(q, questionLanguage(q)), q).toEqual([]);
    }
    for (const [q] of [...QUESTIONS, ...HELD_OUT_QUESTIONS, ...USER_QUESTIONS]) expect(answersOutsideMeasures(q, questionLanguage(q)), q).toEqual([]);
  });

  it('什么时候截止申报 is still the deadline, and When do I enter the scores? no question of applying', () => {
    expect(rankArticles('什么时候截止申报')[0]?.article.number).toBe(15);
    expect(nextSteps('什么时候截止申报').join()).not.toContain('什么时候可以申报');
    expect(nextSteps('When do I enter the scores?', 'en').join()).not.toContain('When a team may apply');
    expect(expandQuestion('When do I enter the scores?')).not.toContain('注册一年后');
  });

  it.each([['查看进度', '发送“进度”'], ['我的进度', '发送“进度”'], ['what is my status', '“进度” (status)']])('%s points to 进度 though no article answers it', (q, expected) => {
    expect(nextSteps(q, questionLanguage(q)).join()).toContain(expected);
  });
});

describe('article references and the language of a question', () => {
  it.each(['I want to complain about 市政养护一班', 'what does 第十六条 mean', 'how do I register 市政养护一班', 'is the title of 市政养护一班 still valid'])(
    '%s is English though it names a team or an article in Chinese',
    (q) => expect(questionLanguage(q)).toBe('en'),
  );

  it.each(['QC小组', '注册一年后参加评选的规定在article里吗', '市政养护一班', '第十六条'])('%s stays Chinese', (q) => expect(questionLanguage(q)).toBe('zh'));

  it.each([
    ['what does 第十六条 mean', [16]],
    ['请问第十六条是什么意思', [16]],
    ['说一下第16条', [16]],
    ['看看第十六条', [16]],
    ['十六条', [16]],
    ['16', [16]],
    ['十六', [16]],
    ['第十六条和第二十二条有什么区别', [16, 22]],
    ["what's the difference between article 16 and article 22", [16, 22]],
    ['article 16 and 22', [16, 22]],
    ['条款 16 和 条款 22', [16, 22]],
    ['Article #16', [16]],
    ['article 16 please', [16]],
    ['第十六條', [16]],
    ['條款16', [16]],
    // several named as Chinese names them: one 条 after the list, or after each
    ['第十六、十七条', [16, 17]],
    ['第16、17条', [16, 17]],
    ['第十二、十三、十五条', [12, 13, 15]],
    ['第十六条和十七条', [16, 17]],
    ['第三条、第四条的区别', [3, 4]],
    ['第十三条第5款', [13]],
    ['第1、2款是什么', []],
    // art. as English abbreviates article
    ['art 16', [16]],
    ['Art. 16', [16]],
    ['art.16', [16]],
    ['what does art. 16 say', [16]],
    ['Art. sixteen', [16]],
  ])('%s names %j', (q, expected) => expect(articleReferences(q)).toEqual(expected));

  it.each(['2026', '注册一年后参加评选的规定在article里吗', '第一次申报要什么条件', '第一章', 'GDSZ-2026-0001', 'the arts 16 teams', 'state of the art'])('%s names no article', (q) =>
    expect(articleReferences(q)).toEqual([]),
  );

  it('shows the English gist on an article opened in English', () => {
    const c = JSON.stringify(articleCard(getArticle(16)!, { language: 'en' }));
    expect(c).toContain('Article 16');
    expect(c).toContain('one year after it registered');
    expect(JSON.stringify(articleCard(getArticle(16)!))).not.toContain('Article 16');
  });
});

describe('traditional characters', () => {
  const bot = createBot();
  it.each([
    ['註冊', '注册'],
    ['申報', '申报'],
    ['進度', '进度'],
    ['幫助', '帮助'],
    ['投訴', '投诉'],
    ['評分', '评分'],
    ['條款 16', '条款'],
    ['怎么注冊', undefined],
  ])('%s reads as %s', (t, name) => {
    const m = bot.matchCommand(t);
    if (name === undefined) expect(m).toBeUndefined();
    else expect(m?.def.names).toContain(name);
  });

  it('keeps the argument as typed', () => {
    expect(bot.matchCommand('投訴 市政養護一班')?.argument).toBe('市政養護一班');
    expect(bot.matchCommand('投訴市政養護一班')).toMatchObject({ argument: '市政養護一班', glued: true });
  });

  it('simplifies one character for one', () => {
    expect(simplified('怎麼註冊 申報條件是甚麼 稱號會被撤銷嗎 甚至')).toBe('怎么注册 申报条件是什么 称号会被撤销吗 甚至');
    expect(simplified('市政养护一班 GDSZ-2026-0001')).toBe('市政养护一班 GDSZ-2026-0001');
  });

  it.each(['怎麼註冊', '申報條件是什麼', '稱號會被撤銷嗎', '怎么注冊'])('%s is answered', (q) => expect(rankArticles(q).length).toBeGreaterThan(0));

  it('reads the characters of common questions: 誰來評審, 推薦到哪裡, 申報門檻是什麼, 聯絡電話', () => {
    const traditional = '誰來薦須別關將費論賽織絡電話職營養競爭備檻議讀識頭領';
    expect(simplified(traditional)).toBe('谁来荐须别关将费论赛织络电话职营养竞争备槛议读识头领');
    expect(simplified('貫徹質量強省戰略，採取有效措施，班組成員積極參與')).toBe('贯彻质量强省战略，采取有效措施，班组成员积极参与');
  });

  it.each([
    ['推薦到哪裡', '推荐到哪里'],
    ['誰來評審', '谁来评审'],
    ['申報門檻是什麼', '申报门槛是什么'],
    ['需要準備什麼文件', '需要准备什么文件'],
  ])('%s is ranked as %s', (traditional, simple) => {
    const numbers = (q: string) => rankArticles(q).map((r) => r.article.number);
    expect(numbers(simple).length).toBeGreaterThan(0);
    expect(numbers(traditional)).toEqual(numbers(simple));
  });
});

describe('a command copied with the quotes the cards print it in, or typed with a slash', () => {
  const bot = createBot();
  it.each([
    ['“进度”', '进度', ''],
    ['【进度】', '进度', ''],
    ['"status"', '进度', ''],
    ['“注册”', '注册', ''],
    ['“申报”', '申报', ''],
    ['「帮助」。', '帮助', ''],
    ['/status', '进度', ''],
    ['／注册', '注册', ''],
    ['/条款 16', '条款', '16'],
    ['“条款 16”', '条款', '16'],
    ['“投诉 市政养护一班”', '投诉', '市政养护一班'],
    ['查看“进度”', '进度', ''],
  ])('%s is %s', (t, name, argument) => {
    const m = bot.matchCommand(t);
    expect(m?.def.names).toContain(name);
    expect(m?.argument).toBe(argument);
  });

  // a phone's keyboard ends a line with a comma too, and a paste brings a zero-width space, a word joiner or a BOM
  it.each([
    ['帮助，', '帮助', ''],
    ['help,', '帮助', ''],
    ['进度；', '进度', ''],
    ['status;', '进度', ''],
    ['注册、', '注册', ''],
    ['帮助\u200b', '帮助', ''],
    ['进度\u2060', '进度', ''],
    ['申报\ufeff', '申报', ''],
    ['“进度”，', '进度', ''],
    ['条款 16，', '条款', '16'],
    ['投诉 市政养护一班；', '投诉', '市政养护一班'],
  ])('%j is %s', (t, name, argument) => {
    const m = bot.matchCommand(t);
    expect(m?.def.names).toContain(name);
    expect(m?.argument).toBe(argument);
  });

  it.each(['“怎么注册”', '【我的班组】', '“”', '/'])('%s stays what it was', (t) => {
    expect(bot.matchCommand(t)?.def.names ?? []).not.toContain('注册');
  });
});

describe('a command wrapped in the words of a request', () => {
  const bot = createBot();
  it.each([
    ['查看进度', '进度', ''],
    ['查看一下进度', '进度', ''],
    ['我要注册', '注册', ''],
    ['注册 。', '注册', ''],
    ['注册一下', '注册', ''],
    ['请帮我注册一下。', '注册', ''],
    ['我想申报', '申报', ''],
    ['我要投诉 市政养护一班', '投诉', '市政养护一班'],
    ['我要投訴市政養護一班', '投诉', '市政養護一班'],
    ['查看条款 16', '条款', '16'],
    ['打开菜单', '帮助', ''],
    ['please help', '帮助', ''],
    ['I want to register', '注册', ''],
    ['show my status', '进度', ''],
    ['I want to complain about 市政养护一班', '投诉', 'about 市政养护一班'],
    ['查一下进度', '进度', ''],
    ['帮我查下进度', '进度', ''],
    ['看一下评分任务', '评分', ''],
    ['请给我帮助', '帮助', ''],
    ['投诉一下', '投诉', ''],
    ['我要投诉吧', '投诉', ''],
    ['apply please', '申报', ''],
    ['list complaints', '投诉处理', ''],
    ['show my tasks', '评分', ''],
    // request words run together or with an emoji after a command taking an argument are no argument
    ['投诉一下吧', '投诉', ''],
    ['我要投诉一下吧', '投诉', ''],
    ['投诉一下[微笑]', '投诉', ''],
    ['投诉 一下 吧', '投诉', ''],
    ['投诉一下, please', '投诉', ''],
    ['申报一下吧', '申报', ''],
    ['注册一下吧', '注册', ''],
    ['帮助吧[微笑]', '帮助', ''],
    ['show my tasks please', '评分', ''],
    ['list my tasks please', '评分', ''],
    ['check my tasks pls', '评分', ''],
    // …while a team's name that starts with one of them stays the team
    ['投诉 吧台班', '投诉', '吧台班'],
    ['投诉吧台班', '投诉', '吧台班'],
    ['投诉 下水道养护班', '投诉', '下水道养护班'],
    ['投诉 一下午班', '投诉', '一下午班'],
  ])('%s is %s', (t, name, argument) => {
    const m = bot.matchCommand(t);
    expect(m?.def.names).toContain(name);
    expect(m?.argument).toBe(argument);
  });

  it.each(['help me', 'Can you help?', 'What can you do?', 'how do I use this', '你能做什么？', '怎么用', '请问有什么功能', 'get started'])('%s asks for the menu', (t) => {
    expect(bot.matchCommand(t)?.def.names).toContain('帮助');
  });

  it.each(['hi-vis vest', 'hello, 申报需要什么条件', '你好，请问怎么申报', 'can you tell me the deadline', 'highlights', 'happy :)'])(
    '%s, a greeting or a request before no command, stays a question',
    (t) => {
      const m = bot.matchCommand(t);
      expect(m?.def.names ?? []).not.toContain('申报');
      expect(m === undefined || m.def.names.includes('帮助')).toBe(true);
    },
  );

  it.each(['我要申报需要什么条件', '请问怎么注册', '查看', '我要', '请', '注册多久才能参加评选', '我的班组'])('%s stays what it was', (t) => {
    const m = bot.matchCommand(t);
    // 请问 alone is a greeting and opens the menu, as before
    if (t === '请') expect(m).toBeUndefined();
    else expect(m === undefined || m.def.names.includes('帮助')).toBe(true);
    expect(m?.def.names ?? []).not.toContain('注册');
  });
});

describe('thanks, okays and goodbyes', () => {
  it.each(['谢谢', '好的', '好', '收到', '明白了', '嗯', '👍', '🙂', '好的，谢谢！', '谢谢[抱拳]', '[赞]', '[微笑][OK]', '[THUMBSUP]', '收到[强]'])('%s gets a polite Chinese line with the menu hint', (t) => {
    expect(smallTalkReply(t)).toMatch(/^(不客气|好的)。.*发送“帮助”/);
  });
  it('再见', () => expect(smallTalkReply('再见')).toMatch(/^再见。/));
  it.each(['thanks', 'thank you', 'Thanks a lot 🙏', 'ok', 'OK', 'bye'])('%s gets a polite English line with the menu hint', (t) => {
    expect(smallTalkReply(t)).toMatch(/“help” \(帮助\)/);
  });
  it.each(['注册多久才能参加评选', '好多问题', '。。。！', 'ok 我知道了 注册', 'how do I apply'])('%s is no small talk', (t) => expect(smallTalkReply(t)).toBeUndefined());
  it.each(['早上好', 'good morning', 'hi there', '有人吗', '请问'])('%s opens the menu', (t) => {
    expect(createBot().matchCommand(t)?.def.names).toContain('帮助');
  });
});

describe('questions a check of everyday wording answered with the wrong article or line', () => {
  const first = (q: string) => rankArticles(q)[0]?.article.number;
  const shown = (q: string) => rankArticles(q).slice(0, 2).map((r) => r.article.number);
  const steps = (q: string) => nextSteps(q, 'zh').join('\n') + nextSteps(q, 'en').join('\n');
  const cardOf = (q: string) => JSON.stringify(answerCard(q, rankArticles(q), { language: questionLanguage(q) }));
  const TAKING_PART = /怎么办理|To take part/;

  it.each([
    ['连续投诉是指几次', 22],
    ['投诉几次会被摘牌', 22],
    ['几次投诉会取消称号', 22],
    ['一年能投诉几次', 21],
    ['一年评几次', 19],
    ['评审是一年搞几次？', 19],
  ])('reads 几次 by what is counted: %s → 第 %i 条 first', (q, expected) => {
    expect(first(q)).toBe(expected);
    // a count of complaints is no question of the yearly review (第十九条)
    if (/投诉/.test(q)) expect(shown(q)).not.toContain(19);
  });

  it.each(['连续投诉是指几次', '投诉几次会被摘牌', '几次投诉会取消称号', 'How many complaints before a title is revoked?'])('%s is told the year’s setting of the run of complaints', (q) => {
    expect(steps(q)).toContain(`“连续成立投诉提醒次数”（默认 ${cycleDefaults.revocationRun} 次）`);
    expect(steps(q)).toContain(`${cycleDefaults.revocationRun} by default`);
  });

  it.each(['称号管几年', '称号能用几年😊', '称号有几年', '称号保留几年', '称号到期了怎么办', '荣誉称号多长时间'])('%s → 第二十条 and how long a title lasts', (q) => {
    expect(first(q)).toBe(20);
    expect(steps(q)).toMatch(/称号有效期/);
    expect(steps(q)).toMatch(/How long a title lasts/);
  });

  it.each([
    '明年还能再报吗',
    '落选了能再报吗',
    'can we reapply next year',
    'We didn’t win this year, can we try again?',
    "We didn't win this year, can we try again?",
    '今年没评上明年可以再申报吗',
    '没评上明年还能报吗',
    '可以重复申报吗',
    '去年报过了今年还能报吗',
    'Can we apply again next year?',
    'How many times can we apply?',
  ])('applying again: %s → 第十九条 (每年一次) first', (q) => {
    expect(first(q)).toBe(19);
  });

  it.each(['班组成立半年能报不', '班组成立三个月可以申报吗', '班组成立半年能不能参评', '班组成立两周能申报吗'])('a team’s age as a duration: %s → 第十六条 and the days left', (q) => {
    expect(first(q)).toBe(16);
    expect(steps(q)).toContain('什么时候可以申报');
  });

  it.each([
    '我和这个班组是一个公司的要回避吗',
    '班组长是我亲戚能评吗',
    '评审的班组组长是我以前的同事',
    '我以前在这个公司工作过',
    '申报的是我们公司的班组',
    'I used to work for that company, can I score it?',
    'The team leader is my friend',
    'I know the team leader personally, should I review it?',
  ])('a conflict in everyday words: %s → 第十七条 and the conflict line', (q) => {
    expect(first(q)).toBe(17);
    expect(steps(q)).toMatch(/利益冲突|Conflicts of interest/);
  });

  it.each(['协会收到我们的申报没有', '我的申报提交成功了吗', '申报审核通过了没', 'Was our application received?', 'Did the association get our application?', 'Has our application been approved?'])(
    'asking where an application is: %s → 进度, not how to take part',
    (q) => {
      expect(steps(q)).toMatch(/查看进度|Where your team is/);
      expect(cardOf(q)).not.toMatch(TAKING_PART);
    },
  );

  it.each(['评分截止是什么时候', '专家评分的截止日期', 'When is the scoring deadline?'])('the scoring deadline: %s → 评分, not the application’s deadline', (q) => {
    expect(steps(q)).toMatch(/评分截止日期|scoring deadline/);
    expect(steps(q)).not.toMatch(/申报截止日期|The deadline\*\*/);
    expect(cardOf(q)).not.toMatch(TAKING_PART);
  });

  it.each(['85分是怎么定的', '达到85分就能评上吗', '90 分够吗'])('%s gets the 85-point line', (q) => {
    expect(steps(q)).toMatch(/默认 85 分/);
  });

  it.each(['推荐比例是多少', '推荐名额', '择优推荐多少', 'What share of teams is recommended?'])('the share recommended: %s → 第二十条 and the year’s setting', (q) => {
    expect(first(q)).toBe(20);
    expect(steps(q)).toContain(`择优推荐比例`);
    expect(steps(q)).toContain(`默认 ${cycleDefaults.recommendShare * 100}%`);
    expect(cardOf(q)).not.toMatch(TAKING_PART);
  });

  it.each(['我要举报某个班组质量问题', '我想反映某个班组施工质量差', '施工队质量太差了找谁'])('a complaint without 投诉: %s → 第二十一条 and how to complain', (q) => {
    expect(first(q)).toBe(21);
    expect(steps(q)).toContain('怎么投诉');
  });

  it.each(["how do we report the team's achievements", 'where is my application form', 'did we get the title last year'])(
    '%s is told neither how to complain nor where a team is, nor how long a title lasts',
    (q) => {
      expect(nextSteps(q, 'en').join()).not.toMatch(/To complain|Where your team is|How long a title lasts/);
    },
  );

  it('reads 反映 as a complaint only about a team or its quality', () => {
    expect(first('QC小组活动能反映班组的水平吗')).not.toBe(21);
    expect(steps('QC小组活动能反映班组的水平吗')).not.toContain('怎么投诉');
  });

  it.each([
    ['What is the target completion rate?', 13],
    ['Does the form need a chop', 15],
    ['Does the form need a company stamp', 15],
    ['Does the application need a seal?', 15],
    ['What should the recommendation say?', 15],
    ['单位联系人要做什么', 15],
    ['我是单位联系人要做啥', 15],
    ['这个活动谁搞的', 3],
    ['是谁办的', 3],
    ['顾客满意度有要求吗', 13],
    ['顾客满意度要怎么证明', 13],
    ['培训要做到什么程度', 7],
  ])('%s → 第 %i 条 first', (q, expected) => {
    expect(first(q)).toBe(expected);
  });

  it.each(['单位联系人要做什么', '我是单位联系人要做啥'])('%s is told how a contact confirms', (q) => {
    expect(steps(q)).toContain('单位联系人确认申报');
  });

  it('没评上可以申诉吗 gets the appeal line with 第十七条 or 第二十一条', () => {
    expect(steps('没评上可以申诉吗')).toContain('对结果有异议');
    expect([17, 21]).toContain(first('没评上可以申诉吗'));
  });
});

describe('answers a review of everyday wording found wrong, by what is asked and who asks', () => {
  const first = (q: string) => rankArticles(q)[0]?.article.number;
  const leader = { admin: false, leader: true };
  const visitor = { admin: false, leader: false };

  it('项目部能不能参加 is 第二条 (团队、部门), and 这个办法的依据是什么 第一条', () => {
    expect(first('项目部能不能参加')).toBe(2);
    expect(first('这个办法的依据是什么')).toBe(1);
    // the review's 依据 is still 第十八条's
    expect(first('评审的依据是什么')).toBe(18);
  });

  it.each(['联系方式', '联系电话', '你们的联系方式是什么', '协会联系电话'])('%s alone is the association’s contact line', (q) => {
    expect(answersOutsideMeasures(q).join()).toContain('请向广东省市政行业协会秘书处咨询');
  });

  it.each([
    ['评分表在哪里下载', '评分表不在这里公开下载，本年度的评分表请联系协会索取'],
    ['where can I download the score sheet', 'not published here'],
    ['怎么加入专家库', '不公开报名；有意参加评审的，请联系协会咨询'],
    ['我想成为评审专家', '不公开报名'],
    ['How can I become an expert?', 'no public sign-up'],
  ])('%s says it is not public and to ask the association', (q, line) => {
    expect(nextSteps(q, questionLanguage(q)).join()).toContain(line);
  });

  it('the administrators’ line (管理) is shown to administrators only, and to a card drawn for no one', () => {
    const q = '怎么公布结果';
    expect(nextSteps(q, 'zh', visitor).join()).not.toContain('发送“管理”');
    expect(nextSteps(q, 'zh', { admin: true, leader: false }).join()).toContain('发送“管理”');
    expect(nextSteps(q).join()).toContain('发送“管理”');
    expect(JSON.stringify(answerCard(q, rankArticles(q), { asker: leader }))).not.toContain('发送“管理”');
  });

  it('a leader is not told to register a team', () => {
    const q = '申报需要什么材料';
    expect(JSON.stringify(answerCard(q, rankArticles(q), { asker: leader }))).not.toContain('发送“注册”登记班组');
    expect(JSON.stringify(answerCard(q, rankArticles(q), { asker: visitor }))).toContain('发送“注册”登记班组');
  });

  it('a leader’s own applications answer how to change one, the team’s name escaped in a card and as typed in text', () => {
    const asker = { ...leader, applications: [{ team: '养护**一**班', year: 2027, state: '申报还是草稿：请班组长填写完整后点“提交申报”。' }] };
    // as text, without our bold: the name keeps its own
    expect(answersOutsideMeasures('怎么修改申报', 'zh', asker)).toEqual(['修改或撤回申报：养护**一**班 2027 年度申报：申报还是草稿：请班组长填写完整后点“提交申报”。']);
    const q = '申报材料填错了还能修改吗';
    const card = JSON.stringify(answerCard(q, rankArticles(q), { asker }));
    expect(card).toContain('养护&#42;&#42;一&#42;&#42;班 2027 年度申报');
  });

  it.each(['班组长换人了怎么办', '怎么更换班组长', '班组长离职了', 'How do I change the team leader?'])('%s is told 更换班组长, not to ask the association', (q) => {
    const line = answersOutsideMeasures(q, questionLanguage(q)).join();
    expect(line).toMatch(/发送“更换班组长”|sends “更换班组长”/);
    expect(line).not.toMatch(/请联系协会办理|ask the association/);
  });

  it.each(['怎么修改班组信息', '怎么修改班组名称', '怎么更换单位联系人', '怎么修改单位联系人', '怎么添加班组成员', '班组成员', '修改资料'])('%s is told 进度 → 修改资料 / 班组成员, no article', (q) => {
    expect(answersOutsideMeasures(q).join()).toContain('点“修改资料”');
  });

  it.each(['更换所属单位', '修改所属单位', '我们班组调到另一个单位了怎么办', '单位合并了怎么办', '公司改名了', 'Our team moved to another company, what now?'])(
    '%s is told 所属单位 is the association’s to correct (联系协会), not 修改资料 nor an article',
    (q) => {
      const line = answersOutsideMeasures(q, questionLanguage(q)).join();
      expect(line).toMatch(/发送“联系协会”|send “联系协会”/);
      expect(line).not.toContain('点“修改资料”');
    },
  );

  it.each(['我们去年评上了今年还能申报吗', '获得称号的班组今年还能参评吗', '落选了明年还能报吗', '去年被退回了今年还能申报吗', 'Can we reapply next year?', 'We won the title last year, can we apply again?'])(
    '%s is told yes: a holder and a team not awarded apply in the next year, from last year’s form',
    (q) => {
      const line = nextSteps(q, questionLanguage(q)).join();
      expect(line).toMatch(/都可以参加下一年度评审|may apply in the next year’s review/);
      expect(line).toMatch(/沿用 某年度内容|沿用 … 年度内容/);
    },
  );

  it.each(['被撤销称号后还能申报吗', '称号撤销了明年还能报吗', '有事故还能再申报吗', '申报需要什么材料'])('%s is no question of applying again as usual', (q) => {
    expect(nextSteps(q, questionLanguage(q)).join()).not.toMatch(/再次申报|Applying again/);
  });

  it.each(['怎么更换单位联系人', '修改单位联系人', 'How do I change the organisation contact?', '单位有几个班组可以申报'])('%s is no question of changing the organisation', (q) => {
    expect(answersOutsideMeasures(q, questionLanguage(q)).join()).not.toContain('所属单位变更');
    expect(answersOutsideMeasures(q, questionLanguage(q)).join()).not.toContain('A change of organisation');
  });

  it.each(['我们班组参加人员有要求吗', '修改申报', '班组长是我亲戚能评吗'])('%s is no question of changing the team’s details', (q) => {
    expect(answersOutsideMeasures(q).join()).not.toContain('修改班组资料');
  });

  it.each(['取消', '撤销', '取消。', '取消一下', 'cancel', 'Cancel?', 'undo'])('%s alone says what may be taken back (撤回申报), not 第二十二条’s revoking of a title', (q) => {
    const line = answersOutsideMeasures(q, questionLanguage(q)).join();
    expect(line).toMatch(/发送“撤回申报”|with “撤回申报”/);
    expect(line).toMatch(/“条款 22”|“article 22”/);
  });

  it('取消 alone from a leader is their own applications’ states, as 撤回 is', () => {
    const asker = { ...leader, applications: [{ team: '养护一班', year: 2027, state: '申报已提交，等待单位联系人确认；如需修改，班组长可发送“撤回申报”取回后修改，或请单位联系人点“退回修改”。' }] };
    expect(answersOutsideMeasures('取消', 'zh', asker)).toEqual(['取消或撤回：养护一班 2027 年度申报：申报已提交，等待单位联系人确认；如需修改，班组长可发送“撤回申报”取回后修改，或请单位联系人点“退回修改”。']);
  });

  it.each(['取消称号', '称号会被撤销吗', '什么情况下撤销称号', 'can the title be cancelled'])('%s is still 第二十二条’s, not what may be taken back', (q) => {
    expect(answersOutsideMeasures(q, questionLanguage(q)).join()).not.toContain('取消或撤回');
    expect(answersOutsideMeasures(q, questionLanguage(q)).join()).not.toContain('Cancelling or taking back');
    expect(first(q)).toBe(22);
  });

  it.each(['申报条件可以改吗', '申报截止时间能改吗', '被撤销称号后还能申报吗'])('%s is no question of changing one’s application', (q) => {
    expect(answersOutsideMeasures(q).join()).not.toContain('修改或撤回申报');
  });

  it.each(['查询证书 GDSZ-ZS-2026-0001', 'GDSZ-2025-0001', 'GDSZ-2025-0001 是哪个班组', '投诉 TS-2027-0005 处理了吗'])('%s is Chinese: a code’s letters are no English words', (q) => {
    expect(questionLanguage(q)).toBe('zh');
  });

  it.each(['complain about GDSZ-2025-0001', 'what is certificate GDSZ-ZS-2026-0001'])('%s stays English', (q) => {
    expect(questionLanguage(q)).toBe('en');
  });

  it('a space between two numbers lists them (条款 15 16), a year after one does not, and 条款-16 is 16', () => {
    expect(articleReferences('条款 15 16')).toEqual([15, 16]);
    expect(articleReferences('article 16 22')).toEqual([16, 22]);
    expect(articleReferences('条款 16 2025年')).toEqual([16]);
    const dashed = createBot().matchCommand('条款-16');
    expect(dashed && parseArticleArgument(dashed.argument)).toBe(16);
  });

  it.each([
    ['你是谁', /^我是质量信得过班组助手/],
    ['Who are you?', /^I am 质量信得过班组助手/],
    ['how are you', /^Fine, thank you/],
    ['人工客服', /没有人工客服.*广东省市政行业协会秘书处（发送“联系协会”查看协会的联系方式）/],
    ['转人工', /没有人工客服/],
    ['talk to a human', /no person answers here/],
    ['不懂', /^发送“帮助”打开菜单/],
    ["I don't understand", /^Send “help”/],
  ])('%s is answered about the bot', (q, re) => {
    expect(smallTalkReply(q)).toMatch(re);
  });

  it.each([['帮　助', '帮助'], ['进 度', '进度'], ['注 册', '注册']])('%s, a short command with a space inside, is %s', (t, name) => {
    const m = createBot().matchCommand(t);
    expect(m?.def.names).toContain(name);
    expect(m?.argument).toBe('');
  });

  it.each(['投诉 市政养护一班', '条款 十六'])('%s keeps its argument, not folded into the name', (t) => {
    expect(createBot().matchCommand(t)?.argument).not.toBe('');
  });
});

describe('common misspellings read as meant', () => {
  it.each([
    ['申抱截至时间', '申报截止时间'],
    ['申报什么时候截至', '申报什么时候截止'],
    ['报明要什么条件', '报名要什么条件'],
    ['when is the dealine', 'when is the deadline'],
    ['when is the dead line', 'when is the deadline'],
    ['application dead-line?', 'application deadline?'],
    ['how many memebrs in a team', 'how many members in a team'],
    ['what are the requirments to apply', 'what are the requirements to apply'],
  ])('%s → %s', (typed, meant) => expect(corrected(typed)).toBe(meant));

  it.each([
    '截至目前有多少班组申报',
    '截至今天',
    'is the title still valid',
    'are you aware of the rules',
    'how do I change my team leader',
    'what was typed in the preview',
    'regster',
  ])('%s keeps its words: a slip only inside a word of five letters or more, to a key beside it, in a sentence', (q) => expect(corrected(q)).toBe(q));

  it('changes no question of the tables', () => {
    for (const [q] of [...QUESTIONS, ...HELD_OUT_QUESTIONS, ...USER_QUESTIONS]) expect(corrected(simplified(q)), q).toBe(simplified(q));
  });
});
