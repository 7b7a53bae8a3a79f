import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardText } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A command as a team leader types it in the p2p chat (DESIGN.md: each command has its English alias): both its names
 * together, as the 帮助 card prints them (`进度` / `status`) or to be sure (help 帮助); an English command with what it
 * acts on (register my team); my team as 我的班组; art. 16 as article 16. Questions keep their answers from the
 * measures, and a text not understood that has English in it is answered in English too.
 */

let h: Harness;
const LEADER = 'ou_aliasleader000000000000000001';
const CONTACT = 'ou_aliascontact00000000000000001';

beforeAll(async () => {
  h = await startHarness();
  expect((await h.click(LEADER, { action: 'team.register' }, registrationForm('市政养护一班', CONTACT))).toast.type).toBe('success');
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

/** The one message the leader got for what they said: a text's text, or a card's title then its text. */
async function answerTo(text: string): Promise<string> {
  await h.say(LEADER, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === LEADER);
  expect(sent).toHaveLength(1);
  const [m] = sent;
  return m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`;
}

describe('a command’s Chinese and English names sent together are the command', () => {
  it.each(['help 帮助', '帮助 help', '帮助，help'])('%j opens the menu, not 没有听懂 and 发送“帮助”', async (text) => {
    expect(await answerTo(text)).toMatch(/^\[质量信得过班组助手\]/);
  });

  it.each(['进度 status', 'status 进度', '进度 / status', '`进度` / `status`', '“进度”（status）'])('%j shows the leader’s team, not a hint to send 进度', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toMatch(/^\[我的班组\]/);
    expect(answer).toContain('市政养护一班');
  });
});

describe('an English command with what it acts on', () => {
  it.each(['register my team', 'register team', 'register a team', '注册我的班组'])('%j opens the registration form, not 第十六条', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toMatch(/^\[注册质量信得过班组\]/);
    expect(answer).not.toContain('Article 16');
  });

  it.each(['my team', 'show my team', 'status of my team'])('%j shows the leader’s team, as 我的班组 does', async (text) => {
    expect(await answerTo(text)).toMatch(/^\[我的班组\]/);
  });

  it('apply for my team answers as 申报 does, not with 第十五条', async () => {
    const applied = await answerTo('申报');
    h.fake.reset();
    expect(await answerTo('apply for my team')).toBe(applied);
  });
});

describe('art. 16 is article 16', () => {
  it.each(['art 16', 'Art. 16', 'what does art. 16 say'])('%j opens 第十六条 in English', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toContain('第十六条 / Article 16');
    expect(answer).not.toContain('say nothing');
  });
});

describe('questions stay questions', () => {
  it.each([
    ['how do I register?', 'Article 16'],
    ['what is the status of complaints', 'Article 22'],
    ['注册多久才能参加评选', '第十六条'],
  ])('%j is answered from the measures (%s)', async (text, article) => {
    const answer = await answerTo(text);
    expect(answer).toContain(article);
    expect(answer).not.toMatch(/^\[(注册质量信得过班组|我的班组)\]/);
  });
});

describe('a text not understood', () => {
  it('with English words in it is answered in English too', async () => {
    const answer = await answerTo('随便说点什么 ok');
    expect(answer).toContain('没有听懂这句话');
    expect(answer).toContain('Send “help” for the menu');
  });

  it('in Chinese alone stays Chinese', async () => {
    expect(await answerTo('随便说点什么')).toBe('没有听懂这句话。发送“帮助”查看可用的命令。');
  });
});
