import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * The labels of 导入's buttons and card, and an administrator's way of asking for it (下载导入模板, 导入 班组名单, 批量导入,
 * 怎么导入, import template), were answered 没有听懂这句话 or with 第二十条; 下载结果工作簿 (on 评审结果) with 第十三条. Typed by
 * an administrator they open the card where that button is, and do nothing themselves; anyone else gets what they got.
 */
let h: Harness;
const LEADER = 'ou_importtypedleader000000000001';
const CONTACT = 'ou_importtypedcontact00000000001';

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
  expect((await h.click(LEADER, { action: 'team.register' }, registrationForm('市政养护一班', CONTACT))).toast.type).toBe('success');
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

/** The one message `who` got for what they said: a text's text, or a card's title then its text. */
async function answerOf(who: string, text: string): Promise<string> {
  await h.say(who, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === who);
  expect(sent).toHaveLength(1);
  const [m] = sent;
  return m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`;
}

const IMPORT_ASKED = ['下载导入模板', '导入模板', '导入模版', '下载模板', '下载模版', '导入班组', '批量导入', '怎么导入', '导入 班组名单', '我要导入班组名单', '导入专家名单', 'import template', '导入班组、专家和荣誉'];

describe('导入 typed in other words', () => {
  it.each(IMPORT_ASKED)('%j typed by an administrator opens 导入’s card, where 下载导入模板 is, and sends no template', async (text) => {
    const answer = await answerOf(ADMIN, text);
    expect(answer).toMatch(/^\[导入班组、专家和荣誉\]/);
    expect(answer).toContain('下载导入模板');
    expect(h.fake.messages.some((m) => m.msgType === 'file')).toBe(false);
  });

  it.each(['下载导入模板', '导入模板', '导入 班组名单', '我要导入班组名单'])('%j typed by a team leader is not the administrators’ card: answered as before', async (text) => {
    const answer = await answerOf(LEADER, text);
    expect(answer).not.toMatch(/^\[导入班组、专家和荣誉\]/);
    expect(answer).not.toContain('只有协会管理员');
  });

  it('导入 still answers a team leader that it is the administrators’', async () => {
    expect(await answerOf(LEADER, '导入')).toMatch(/管理员/);
  });

  it('a question that starts with 导入 is still a question', async () => {
    expect(await answerOf(ADMIN, '导入以后班组长会收到通知吗')).not.toMatch(/^\[导入班组、专家和荣誉\]/);
  });

  it.each(['下载结果工作簿', '结果工作簿'])('%j typed by an administrator opens the 协会管理 card, where 评审结果 is', async (text) => {
    expect(await answerOf(ADMIN, text)).toMatch(/^\[协会管理\]/);
  });
});
