import { describe, expect, it } from 'vitest';
import { cardActions, cardText } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { personas, securityBotForBlock } from './securityFixture.js';

/**
 * What a leader (and a contact, an expert, a visitor) types in English, or in English with the programme's Chinese words
 * in it, answered as the same thing asked in Chinese is: a status question with the 进度 line, how to apply with what to
 * send next, 第N条 named as a clause or a section, polite and greeted commands as the command. The fixture's team A is
 * led by the leader persona; 2027 is open.
 */
describe('English questions and commands, answered as their Chinese', () => {
  let h: Harness;
  securityBotForBlock((b) => ({ h } = b));

  /** The messages `openId` got for `text`, as sent. */
  async function messagesFor(openId: string, text: string) {
    h.fake.reset();
    await h.say(openId, text);
    return h.fake.messages.filter((m) => m.receiveId === openId);
  }
  /** The one message `openId` got for `text`: a text's text, or a card's title then its text. */
  async function answerTo(openId: string, text: string): Promise<string> {
    const sent = (await messagesFor(openId, text)).map((m) => (m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`));
    expect(sent, text).toHaveLength(1);
    return sent[0];
  }
  const leader = (text: string) => answerTo(personas.leader, text);
  /** The articles an answer shows, in order. */
  const articlesShown = (answer: string) => [...answer.matchAll(/\*\*(第[一二三四五六七八九十]+条)(?: \/ Article \d+)?\*\*（第/g)].map((m) => m[1]);

  it.each(['where is my application', 'how far has my application got', 'what stage is my application at', 'has the association received our application'])(
    '%s opens with the 进度 line, as 我的申报到哪一步了 does',
    async (q) => {
      expect(await leader(q)).toMatch(/^\[From the measures · 办法中的相关条款\] markdown\n\*\*Where your team is\*\*: send “进度” \(status\)/);
    },
  );

  it('how to apply tells a leader to send 申报 and 进度, never 注册', async () => {
    for (const [q, apply, status] of [
      ['How do I apply?', '“申报” (apply)', '“进度” (status)'],
      ['怎么申报', '发送“申报”', '发送“进度”'],
    ]) {
      const answer = await leader(q);
      expect(answer, q).toContain(apply);
      expect(answer, q).toContain(status);
      expect(answer, q).not.toMatch(/发送“注册”|“注册” \(register\)/);
    }
  });

  it('how to apply tells a contact and an expert to send 进度, never 注册; a visitor still gets 注册', async () => {
    for (const who of [personas.contact, personas.expert]) {
      const en = await answerTo(who, 'How do I apply?');
      expect(en, who).toContain('“进度” (status)');
      expect(en, who).not.toContain('“注册” (register)');
      const zh = await answerTo(who, '怎么申报');
      expect(zh, who).toContain('发送“进度”');
      expect(zh, who).not.toContain('发送“注册”');
    }
    expect(await answerTo(personas.public, 'How do I apply?')).toContain('**To take part**: send “注册” (register)');
  });

  it.each([
    ['what is a 质量信得过班组?', '第二条'],
    ['what does 质量信得过班组 mean', '第二条'],
    ['how do I 申报', '第十五条'],
  ])('%s, the programme’s Chinese words in an English question, is answered in English (%s)', async (q, article) => {
    const answer = await leader(q);
    expect(answer).toMatch(/^\[From the measures · 办法中的相关条款\]/);
    expect(articlesShown(answer)[0]).toBe(article);
  });

  it.each(['clause 16', 'section 16', 'Clause 16?'])('%s opens 第十六条 with its English line', async (q) => {
    const answer = await leader(q);
    expect(answer).toMatch(/^\[第十六条\]/);
    expect(answer).toContain('Article 16');
  });

  it.each(['how many complaints take a title', 'how many complaints before a title is revoked'])('%s says how many, and not how to complain', async (q) => {
    const answer = await leader(q);
    expect(answer).toContain('How many complaints take a title');
    expect(answer).not.toContain('To complain');
  });

  it('how can I report a bad team says how to complain', async () => {
    const answer = await leader('how can I report a bad team');
    expect(articlesShown(answer)[0]).toBe('第二十一条');
    expect(answer).toContain('**To complain**: send “投诉');
  });

  it('from an English article card, 全部条款 and the list it opens keep the English', async () => {
    const [card] = await messagesFor(personas.leader, 'article 16');
    const browse = cardActions(card.content).find((v) => v.action === 'measures.browse');
    expect(browse).toEqual({ action: 'measures.browse', language: 'en' });
    const list = (await h.click(personas.leader, browse!)).card.data;
    const opens = cardActions(list).filter((v) => v.action === 'measures.article');
    expect(opens).toHaveLength(22);
    for (const v of opens) expect(v.language).toBe('en');
    const opened = (await h.click(personas.leader, opens[1])).card.data;
    expect(cardText(opened)).toContain('第二条 / Article 2');
    // from a Chinese card, the list stays Chinese
    const [zh] = await messagesFor(personas.leader, '条款 16');
    expect(cardActions(zh.content).find((v) => v.action === 'measures.browse')).toEqual({ action: 'measures.browse' });
  });

  it.each([
    ['I’d like to apply', '申报'],
    ["I'd like to apply", '申报'],
    ['apply for 2027', '申报'],
    ['apply :)', '申报'],
    ["I'd like to register", '注册'],
    ['can you help me register', '注册'],
    ['register pls', '注册'],
    ['status pls', '进度'],
    ['I want to file a complaint', '投诉'],
    ['make a complaint', '投诉'],
    ['file a complaint', '投诉'],
  ])('%s, said politely, is %s', async (q, command) => {
    expect(await leader(q)).toBe(await leader(command));
  });

  it.each([
    ['你好，进度', '进度'],
    ['您好，注册', '注册'],
    ['hi bot, status', '进度'],
    ['Good morning, status', '进度'],
    ['my status', '进度'],
    ['what is my status', '进度'],
    ['team status', '进度'],
    ['!help', '帮助'],
    ['#help', '帮助'],
  ])('%s is %s', async (q, command) => {
    expect(await leader(q)).toBe(await leader(command));
  });

  it('how long does the title last says how long a title lasts', async () => {
    expect(await leader('how long does the title last')).toContain('**How long a title lasts**');
  });

  it.each(['who can be an expert', 'Can I be an expert?', 'how to be a reviewer', 'expert 怎么申请'])('%s says how experts are chosen, as 谁可以当专家 does', async (q) => {
    const answer = await leader(q);
    expect(answer).toMatch(/\*\*(?:Becoming an expert|加入专家库)\*\*/);
    if (/expert/.test(q)) expect(articlesShown(answer)[0]).toBe('第十一条');
  });

  it.each(['who is the organisation contact', 'what is the role of the organisation contact', 'what is an organisation contact', 'what does the unit contact do', 'organisation contact 要做什么'])(
    '%s says what the organisation contact does (第十五条), as 单位联系人要做什么 does',
    async (q) => {
      const answer = await leader(q);
      expect(answer).toMatch(/\*\*(?:Organisation contacts|单位联系人确认申报)\*\*/);
      expect(articlesShown(answer)[0]).toBe('第十五条');
    },
  );

  it.each(['单位联系人是谁', '单位联系人是什么'])('%s is told what the organisation contact does, not 没有听懂', async (q) => {
    expect(await leader(q)).toContain('单位联系人确认申报');
  });

  it('who organises the programme still opens 第三条', async () => {
    expect(articlesShown(await leader('who organises the programme'))[0]).toBe('第三条');
  });

  it('article alone says how many articles the measures have', async () => {
    const answer = await leader('article');
    expect(answer).toContain('The measures have 22 articles');
    expect(answer).not.toContain('They have');
  });
  // 我的投诉 (my complaints) lists the complaints someone made with where each is; 进度 is their team's
  it.each(['status of my complaint', 'what is the status of my complaint', 'where is my complaint', '我的投诉到哪一步了', '投诉处理得怎么样了'])(
    '%s points to 我的投诉 (my complaints), not to 进度',
    async (q) => {
      const answer = await leader(q);
      expect(answer).toMatch(/“my complaints” \(我的投诉\)|发送“我的投诉”/);
      expect(answer).not.toMatch(/“进度” \(status\)|发送“进度”/);
      expect(answer).not.toMatch(/To complain|怎么投诉/);
    },
  );

  // 联系协会 (contact) answers it: the contact the association left, not that the measures say nothing
  it.each(['what is the contact of the association', 'how to contact the association', "the association's contact", 'how do I contact the association'])(
    '%s gets the 协会联系方式 card',
    async (q) => {
      expect(await answerTo(personas.public, q)).toMatch(/^\[协会联系方式\]/);
    },
  );
});
