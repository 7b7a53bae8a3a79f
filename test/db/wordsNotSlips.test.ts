import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/** A real word one character from a command (注销 beside 注册) is no slip of the thumb for it. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

const USER = 'ou_user0000000000000000000000000079';

/** The one message `who` got for what they said, as text. */
async function answerTo(text: string, who = USER) {
  await h.say(who, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === who);
  expect(sent).toHaveLength(1);
  return JSON.stringify(sent[0].content);
}

describe('words that are no slip for a command', () => {
  it.each([
    ['注销班组', '注册'],
    ['注销', '注册'],
    ['退出班组', '注册'],
    ['投票', '投诉'],
    ['进入', '进度'],
  ])('does not offer %s the command %s, which means another thing', async (text, command) => {
    const out = await answerTo(text);
    expect(out).not.toContain(`你是不是想发送“${command}”`);
    expect(out).not.toContain('你要找的可能是这个');
  });

  it('does not offer an administrator 导入 (import) for 导出 (export)', async () => {
    expect(await answerTo('导出', ADMIN)).not.toContain('你是不是想发送“导入”');
  });

  it('still offers 注册 for the slip 注删', async () => {
    expect(await answerTo('注删')).toContain('你是不是想发送“注册”');
  });
});
