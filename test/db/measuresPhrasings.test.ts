import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/** Questions about the measures as people type them: in traditional characters, in other words, with a long paste. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

const USER = 'ou_user0000000000000000000000000077';

/** The one message the user got for what they said. */
async function answerTo(text: string) {
  await h.say(USER, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === USER);
  expect(sent).toHaveLength(1);
  return sent[0];
}

describe('questions phrased as people type them', () => {
  it.each(['申報要交費嗎', '參評要錢嗎', '報名要交費嗎'])('answers the fee question %s, in traditional characters, with the fee line alone', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain('办法没有规定申报或评审要交费');
    expect(m.content.text).not.toMatch(/第[一二三四五六七八九十]+条（/);
  });
});

describe('a team withdrawing', () => {
  it.each(['注销班组', '我们班组想退出', '怎么注销我们的班组', '退出班组'])('answers %s with the line on withdrawing alone: the measures say nothing, not applying is enough, the association closes a record', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain('注销或退出班组');
    expect(m.content.text).toContain('不申报即可');
    expect(m.content.text).toContain('请联系协会办理');
  });

  it('answers it in English too', async () => {
    const m = await answerTo('How do I withdraw our team?');
    expect(m.content.text).toContain('Withdrawing a team');
  });

  it('leaves a question on revoking a title to 第二十二条', async () => {
    const m = await answerTo('班组称号怎么撤销');
    expect(JSON.stringify(m.content)).not.toContain('注销或退出班组');
  });
});

describe('questions in other words than the measures’', () => {
  it.each([
    ['who can take part?', '**第十二条 / Article 12**'],
    ['Who can join?', '**第十二条 / Article 12**'],
    ['what are the criteria', '**第十三条 / Article 13**'],
    ['要提交哪些附件', '**第十五条**'],
    ['班组最少要几个人', '**第十三条**'],
  ])('answers %s with %s first', async (text, lead) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('interactive');
    expect((m.content.body.elements[0].content as string).startsWith(lead)).toBe(true);
  });

  it.each([
    ['班组最少要几个人', '办法没有规定班组的人数'],
    ['How many members does a team need?', 'the measures set no number of members'],
  ])('tells %s the measures set no number of members', async (text, line) => {
    expect(JSON.stringify((await answerTo(text)).content)).toContain(line);
  });

  it.each([
    ['How do I decline a task?', 'To decline a task'],
    ['How do I refuse a task?', 'To decline a task'],
    ['我不想评这个任务', '谢绝评分任务'],
    ['怎么谢绝任务', '谢绝评分任务'],
  ])('tells %s, which no article answers, where an expert declines a task (评分, 谢绝此任务)', async (text, line) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain(line);
    expect(m.content.text).toContain('谢绝此任务');
    expect(m.content.text).not.toContain('The measures say nothing about this');
  });

  it('opens 第十六条 for “What does article sixteen say?”', async () => {
    const m = await answerTo('What does article sixteen say?');
    expect(m.content.header.title.content).toBe('第十六条');
  });
});

describe('a very long text', () => {
  it.each([
    ['第 and 60 000 digits', `第${'1'.repeat(60_000)}`],
    ['第1和 repeated 60 000 characters long', '第1和'.repeat(20_000)],
  ])('is answered at once (%s), not after seconds that every other event waits', async (_, text) => {
    const started = performance.now();
    const m = await answerTo(text);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(m.receiveId).toBe(USER);
  });
});
