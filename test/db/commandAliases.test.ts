import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardText } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A command as a team leader types it in the p2p chat (DESIGN.md: each command has its English alias): both its names
 * together, as the 帮助 card prints them (`进度` / `status`) or to be sure (help 帮助).
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

