import { describe, expect, it } from 'vitest';
import { cardText } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { personas, securityBotForBlock } from './securityFixture.js';

/**
 * What an English-speaking administrator, contact or expert types for what the Chinese type: the 协会管理 card's buttons
 * named in English. The fixture's 2027 review takes applications; the leader persona leads team A.
 */
describe('commands typed in English, as their Chinese', () => {
  let h: Harness;
  securityBotForBlock((b) => ({ h } = b));

  /** The one message `openId` got for `text`: a text's text, or a card's title then its text. */
  async function answerTo(openId: string, text: string): Promise<string> {
    h.fake.reset();
    await h.say(openId, text);
    const sent = h.fake.messages.filter((m) => m.receiveId === openId).map((m) => (m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`));
    expect(sent, text).toHaveLength(1);
    return sent[0];
  }

  it.each(['assign experts', 'Publish results.', 'close applications', 'open the annual review', 'review progress', 'expert pool', 'administrators', 'end scoring', 'results workbook', 'load score sheet', 'formal check'])(
    '%j typed by an administrator opens the 协会管理 card, where that button is, as its Chinese does',
    async (text) => {
      expect(await answerTo(personas.admin, text)).toMatch(/^\[协会管理\]/);
    },
  );

  it.each(['verify certificate for 广州养护一班', 'check certificate of the team 广州养护一班', 'Verify certificate for GDSZ-2025-0001.'])(
    '%j shows team A’s 2026 title, as 查询证书 广州养护一班 does, not that no such team is registered',
    async (text) => {
      const answer = await answerTo(personas.public, text);
      expect(answer).toMatch(/^\[质量信得过班组称号查询：/);
      expect(answer).toContain('广州养护一班 (GDSZ-2025-0001): titles of 2026');
      expect(answer).not.toContain('No team named');
    },
  );

  it('verify certificate for a team not registered still says so, with the name as typed after for', async () => {
    expect(await answerTo(personas.public, 'verify certificate for 东区养护九班')).toMatch(/^\[未找到班组：东区养护九班\]/);
  });

  it.each(['assign experts', 'publish results', 'experts', 'review progress'])('%j typed by a leader is still a question for the measures, not 管理’s refusal', async (text) => {
    const answer = await answerTo(personas.leader, text);
    expect(answer).not.toMatch(/^\[协会管理\]/);
    expect(answer).not.toContain('只有协会管理员');
    expect(answer).toMatch(/^\[From the measures · 办法中的相关条款\]/);
  });
});
