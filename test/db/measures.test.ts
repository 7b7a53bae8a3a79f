import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { cardText } from '../support/cards.js';
import { messageEvent } from '../support/larkEvents.js';
import { CARD_BYTES_BUDGET, cardBodyBytes } from '../../cards/kit.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

const USER = 'ou_user0000000000000000000000000002';

function buttonsOf(node: unknown): any[] {
  if (Array.isArray(node)) return node.flatMap(buttonsOf);
  if (node && typeof node === 'object') {
    const n = node as Record<string, unknown>;
    return [...(n.tag === 'button' ? [n] : []), ...Object.values(n).flatMap(buttonsOf)];
  }
  return [];
}

function expectValidCard(c: any) {
  expect(c.schema).toBe('2.0');
  expect(cardBodyBytes(c)).toBeLessThan(CARD_BYTES_BUDGET);
  for (const b of buttonsOf(c)) expect(typeof b.behaviors[0].value.action).toBe('string');
}

/** The one message the user got for what they said. */
async function answerTo(text: string) {
  await h.say(USER, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === USER);
  expect(sent).toHaveLength(1);
  return sent[0];
}

describe('questions about the measures', () => {
  it.each(['条款 16', '条款16', 'article 16', '条款 十六', '第十六条', '条款十六', 'ARTICLE16'])('answers %s with the card of 第十六条', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('interactive');
    expectValidCard(m.content);
    expect(m.content.header.title.content).toBe('第十六条');
    expect(JSON.stringify(m.content)).toContain('注册一年后');
  });

  it('answers a question with the most relevant articles, 第十六条 first', async () => {
    const m = await answerTo('注册多久才能参加评选');
    expect(m.msgType).toBe('interactive');
    expectValidCard(m.content);
    const firstBlock = m.content.body.elements[0].content as string;
    expect(firstBlock.startsWith('**第十六条**')).toBe(true);
    expect(firstBlock).toContain('注册一年后');
  });

  it.each([
    ['article 99', '第 99 条'],
    ['条款 0', '第 0 条'],
    ['第二十三条', '第 23 条'],
    ['条款', '条款 22'],
  ])('answers %s with the valid range', async (text, expected) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain(expected);
    expect(m.content.text).toContain('条款 1');
    expect(m.content.text).toContain('22');
  });

  it.each([
    ['article 30', 'no article 30'],
    ['article', 'The measures have 22 articles'],
    ['Article XXX', 'no article 30'],
  ])('answers %s with the valid range in both languages', async (text, english) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain('条款 1');
    expect(m.content.text).toContain(english);
    expect(m.content.text).toContain('“article 1” to “article 22”');
  });

  it.each(['article sixteen', 'Article XVI'])('opens 第十六条 for %s, with its English gist', async (text) => {
    const m = await answerTo(text);
    expect(m.content.header.title.content).toBe('第十六条');
    expect(JSON.stringify(m.content)).toContain('Article 16');
  });

  it('keeps the English on 上一条 and 下一条 of a card opened in English, and not on one opened in Chinese', async () => {
    const english = await answerTo('article 16');
    const next = buttonsOf(english.content).find((b) => b.text.content === '下一条');
    const res = await h.clickCard(USER, english.messageId, next.behaviors[0].value);
    expect(res.refused).toBeUndefined();
    const opened = res.body.card.data;
    expect(opened.header.title.content).toBe('第十七条');
    expectValidCard(opened);
    expect(JSON.stringify(opened)).toContain('Article 17');
    const previous = buttonsOf(opened).find((b) => b.text.content === '上一条');
    const back = (await h.clickCard(USER, english.messageId, previous.behaviors[0].value)).body.card.data;
    expect(back.header.title.content).toBe('第十六条');
    expect(JSON.stringify(back)).toContain('Article 16');

    h.fake.reset();
    const chinese = await answerTo('条款 16');
    const zhNext = buttonsOf(chinese.content).find((b) => b.text.content === '下一条');
    expect(zhNext.behaviors[0].value).toEqual({ action: 'measures.article', article: 17 });
    const zhOpened = (await h.clickCard(USER, chinese.messageId, zhNext.behaviors[0].value)).body.card.data;
    expect(JSON.stringify(zhOpened)).not.toContain('Article 17');
  });

  it('answers an English question in English, citing 第十九条 / Article 19, with the Chinese text', async () => {
    const m = await answerTo('How often is the review held?');
    expect(m.msgType).toBe('interactive');
    expectValidCard(m.content);
    const firstBlock = m.content.body.elements[0].content as string;
    expect(firstBlock.startsWith('**第十九条 / Article 19**')).toBe(true);
    expect(firstBlock).toContain('once a year');
    expect(firstBlock).toContain('评审交流活动每年一次');
    expect(JSON.stringify(m.content)).not.toContain('没有听懂');
  });

  it('finds the definition, 第二条, for 什么样的班组算质量信得过班组', async () => {
    const m = await answerTo('什么样的班组算质量信得过班组');
    expectValidCard(m.content);
    expect((m.content.body.elements[0].content as string).startsWith('**第二条**')).toBe(true);
    expect(JSON.stringify(m.content)).toContain('稳定提供顾客和其他相关方信赖产品和服务的班组');
  });

  it.each(['What does article 16 say?', 'article 16?'])('opens the article named in %s', async (text) => {
    const m = await answerTo(text);
    expect(m.content.header.title.content).toBe('第十六条');
  });

  it('searches with an `article` argument that is no number', async () => {
    const m = await answerTo('article about complaints');
    expectValidCard(m.content);
    expect((m.content.body.elements[0].content as string).startsWith('**第二十二条 / Article 22**')).toBe(true);
  });

  it('answers unrelated English in English and Chinese', async () => {
    const m = await answerTo('what time is it');
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain('article 1');
    expect(m.content.text).toContain('帮助');
  });

  it('still points unrelated text and non-questions to 帮助', async () => {
    const m = await answerTo('今天天气怎么样呀');
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain('帮助');
  });

  it.each(['请问第十六条是什么意思', '说一下第16条', '十六条', '16', '第十六條', '條款 16', 'article 16 please', 'Article #16'])('opens 第十六条 for %s', async (text) => {
    const m = await answerTo(text);
    expect(m.content.header.title.content).toBe('第十六条');
  });

  it.each(['what does article 16 say', 'what does 第十六条 mean'])('opens 第十六条 with its English gist for %s', async (text) => {
    const m = await answerTo(text);
    expect(m.content.header.title.content).toBe('第十六条');
    expect(JSON.stringify(m.content)).toContain('**第十六条 / Article 16**');
    expect(JSON.stringify(m.content)).toContain('one year after it registered');
  });

  it.each(['第十六条和第二十二条有什么区别', 'article 16 and 22', '条款 16 和 条款 22'])('shows both articles named in %s', async (text) => {
    const m = await answerTo(text);
    expectValidCard(m.content);
    const json = JSON.stringify(m.content);
    expect(json).toContain('第十六条');
    expect(json).toContain('第二十二条');
  });

  it.each([
    ['谢谢', '不客气'],
    ['好的', '好的。'],
    ['👍', '好的。'],
    ['thanks', 'You’re welcome'],
    ['ok', 'OK.'],
  ])('answers %s politely with the menu hint', async (text, expected) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain(expected);
    expect(m.content.text).toMatch(/帮助/);
    expect(m.content.text).not.toContain('没有听懂');
    expect(m.content.text).not.toContain('say nothing');
  });

  it.each(['good morning', '早上好', 'hi there'])('answers the greeting %s with the menu', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('interactive');
    expect(JSON.stringify(m.content)).toContain('查看办法条款');
  });

  it.each(['查看进度', '我要查看一下进度。', 'show my status', '我的进度', '查进度', 'what is my status', 'my status'])('runs 进度 when asked for it in the words of a request: %s', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('interactive');
    expect(JSON.stringify(m.content)).toContain('你还没有加入任何班组');
  });

  it('opens the complaint form for 我要投诉 and the team named after it', async () => {
    const m = await answerTo('我要投诉 市政养护一班');
    expect(JSON.stringify(m.content)).not.toContain('第一条');
    expect(JSON.stringify(m.content)).toContain('市政养护一班');
  });

  it.each([
    ['where is my application', '“进度” (status)'],
    ['截止日期', '发送“进度”查看本年度的截止日期'],
  ])('points %s to the command that does it', async (text, expected) => {
    const m = await answerTo(text);
    expect(JSON.stringify(m.content)).toContain(expected);
    expect(JSON.stringify(m.content)).not.toContain('没有听懂');
  });

  // a review of free-text questions: each was 没有听懂, “say nothing”, or led by the wrong article
  it.each([
    ['班组类型有哪些', '**第二条**', '行政班组、团队、部门'],
    ['部门可以参加吗', '**第二条**', '行政班组、团队、部门'],
    ['Can a department take part?', '**第二条 / Article 2**', '行政班组、团队、部门'],
    ['谁颁发称号', '**第二十条**', '广东省市政行业协会授予年度'],
    ['多少分能获得称号', '**第二十条**', '广东省市政行业协会授予年度'],
    ['What documents do I need?', '**第十五条 / Article 15**', '申报表'],
    ['What training rate is required?', '**第七条 / Article 7**', '培训率和考试合格率达90%以上'],
  ])('answers %s with %s first', async (text, lead, words) => {
    const m = await answerTo(text);
    expectValidCard(m.content);
    const first = m.content.body.elements[0].content as string;
    expect(first.startsWith(lead), first).toBe(true);
    expect(first).toContain(words);
  });

  it.each([
    ['需要交多少钱', '办法没有规定申报或评审要交费'],
    ['申报要交费吗', '办法没有规定申报或评审要交费'],
    ['How much does it cost to apply?', 'say nothing about any fee'],
    ['办法一共有多少条', '办法共二十二条'],
  ])('answers %s, which the measures say nothing on, with that and no article', async (text, line) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain(line);
    expect(m.content.text).not.toMatch(/第[一二三四五六七八九十]+条（|Article \d+ \(/);
  });

  // everyday wordings a leader types on a phone: the short 怎么撤回, the member before the verb, a member gone
  it.each([
    ['怎么撤回', '修改或撤回申报'],
    ['能不能撤回？', '修改或撤回申报'],
    ['班组成员怎么删', '修改班组资料'],
    ['组员怎么添加', '修改班组资料'],
    ['有个组员离职了', '修改班组资料'],
  ])('answers %s with the line that says what to do (%s), no article', async (text, line) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain(line);
  });

  it.each([
    ['申报要什么材料', '申报材料', '飞书云文档'],
    ['申报表在哪里填', '申报材料', '材料链接'],
    ['What documents do I need?', 'What an application takes', 'Feishu cloud document'],
  ])('answers %s with what the 申报表 asks and where the full materials go', async (text, title, words) => {
    const m = await answerTo(text);
    expectValidCard(m.content);
    const all = cardText(m.content);
    expect(all).toContain(title);
    expect(all).toContain(words);
    // the article that asks for the 申报表 still answers first
    expect((m.content.body.elements[0].content as string).startsWith('**第十五条')).toBe(true);
  });

  it('a question about members’ training is not taken for removing one', async () => {
    expect(cardText((await answerTo('班组成员要加强培训吗')).content)).not.toContain('修改班组资料');
  });

  it.each(['协会电话多少', '协会地址在哪里', "Where is the association's office?"])('answers %s as 联系协会 does: none is set, so the secretariat, and no article', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('interactive');
    expectValidCard(m.content);
    expect(cardText(m.content)).toContain('协会尚未设置联系方式');
    expect(cardText(m.content)).toContain('广东省市政行业协会秘书处');
    expect(cardText(m.content)).not.toMatch(/第[一二三四五六七八九十]+条（|Article \d+ \(/);
  });

  it('a question asking the conditions and the fee keeps the articles on the conditions, with the fee line on their card', async () => {
    const m = await answerTo('申报条件和收费标准是什么');
    expect(m.msgType).toBe('interactive');
    expect(cardText(m.content)).toContain('第十三条');
    expect(cardText(m.content)).toContain('办法没有规定申报或评审要交费');
  });

  it.each([
    ['我什么时候可以申报', '**第十六条**', '发送“进度”可查看你的班组还差几天满一年'],
    ['还差几天可以申报', '**第十六条**', '发送“进度”可查看你的班组还差几天满一年'],
    ['When can we apply?', '**第十六条 / Article 16**', 'how many days your team has left'],
  ])('answers %s (when a team may apply) with %s first and how to see the days left', async (text, lead, line) => {
    const m = await answerTo(text);
    expectValidCard(m.content);
    expect((m.content.body.elements[0].content as string).startsWith(lead)).toBe(true);
    expect(JSON.stringify(m.content)).toContain(line);
  });

  it.each([
    ['被撤销称号后还能申报吗', '协会规定：撤销称号后一年内不受理该班组的申报'],
    ['can a revoked team apply again', 'cannot apply for a year by default'],
    ['评审几个专家', '默认 3 人'],
    ['How many experts score each application?', '3 by default'],
  ])('tells %s the year’s setting the measures leave to the association', async (text, expected) => {
    const m = await answerTo(text);
    expectValidCard(m.content);
    expect(JSON.stringify(m.content)).toContain(expected);
  });

  it.each([
    ['推薦到哪裡', '推荐到哪里'],
    ['誰來評審', '谁来评审'],
    ['申報門檻是什麼', '申报门槛是什么'],
  ])('answers %s in traditional characters as %s', async (traditional, simple) => {
    const blocks = (c: any) => (c.body.elements as any[]).filter((e) => e.tag === 'markdown').map((e) => e.content);
    const expected = blocks((await answerTo(simple)).content);
    h.fake.reset();
    const got = await answerTo(traditional);
    expect(expected[0]).toMatch(/^\*\*第[一二三四五六七八九十]+条\*\*/);
    expect(blocks(got.content)).toEqual(expected);
  });

  it('answers a question in traditional characters, and its command', async () => {
    const q = await answerTo('稱號會被撤銷嗎');
    expect((q.content.body.elements[0].content as string).startsWith('**第二十二条**')).toBe(true);
    h.fake.reset();
    const help = await answerTo('幫助');
    expect(JSON.stringify(help.content)).toContain('查看办法条款');
  });

  it('replies in a group when mentioned', async () => {
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, text: '投诉撤销称号', chatType: 'group', chatId: 'oc_measures', mentionBot: true, messageId: 'om_measures1' }));
    await h.drain();
    const reply = h.fake.messages.find((m) => m.replyTo === 'om_measures1');
    expectValidCard(reply?.content);
    expect(reply?.content.body.elements[0].content.startsWith('**第二十二条**')).toBe(true);
  });

  it('opens an article from its button, and refuses a bad one with an error toast', async () => {
    const res = await h.click(USER, { action: 'measures.article', article: 16 });
    expect(res.card.type).toBe('raw');
    expectValidCard(res.card.data);
    expect(res.card.data.header.title.content).toBe('第十六条');
    expect(JSON.stringify(res.card.data)).toContain('注册一年后');
    for (const article of [23, 0, '16', 1.5, undefined]) {
      const bad = await h.click(USER, { action: 'measures.article', article });
      expect(bad.card).toBeUndefined();
      expect(bad.toast.type).toBe('error');
    }
  });

  it('browses the chapters from the menu', async () => {
    await h.say(USER, '帮助');
    const menu = h.fake.messages.find((m) => m.receiveId === USER)!;
    const browse = buttonsOf(menu.content).find((b) => b.behaviors[0].value.action === 'measures.browse');
    expect(browse?.text.content).toBe('查看办法条款');
    const res = await h.click(USER, browse.behaviors[0].value);
    expectValidCard(res.card.data);
    const json = JSON.stringify(res.card.data);
    expect(json).toContain('第六章 评审表彰');
    expect(json).toContain('第八章 附则');
    expect(buttonsOf(res.card.data).filter((b) => b.behaviors[0].value.action === 'measures.article')).toHaveLength(22);
  });
});
