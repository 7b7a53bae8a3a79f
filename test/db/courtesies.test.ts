import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/** Thanks and greetings as people say them to the bot: with whom they are said to, in traditional characters, in English. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

const USER = 'ou_user0000000000000000000000000078';

/** The one message the user got for what they said. */
async function answerTo(text: string) {
  await h.say(USER, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === USER);
  expect(sent).toHaveLength(1);
  return sent[0];
}

describe('thanks and greetings', () => {
  it.each(['謝謝', '好的，謝謝', '谢谢老师', '谢谢你的帮助', '感谢您'])('answers the thanks %s with the polite line, not 没有听懂', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toBe('不客气。需要办理或查询时，发送“帮助”查看可用的命令。');
  });

  it.each(['ok thanks', 'Ok, thank you'])('answers the thanks %s in English', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain('You’re welcome');
  });

  it.each(['请问一下', '您好，请问', '你好，机器人', '老师好', 'hello bot', '請問一下'])('answers the greeting %s with the menu', async (text) => {
    const m = await answerTo(text);
    expect(m.msgType).toBe('interactive');
    expect(m.content.header.title.content).toBe('质量信得过班组助手');
  });

  it.each(['老师', '你好吗？我想问注册的事'])('takes %s for no thanks', async (text) => {
    const m = await answerTo(text);
    expect(JSON.stringify(m.content)).not.toContain('不客气');
  });
});
