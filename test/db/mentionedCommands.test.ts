import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { chatBindings } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent } from '../support/larkEvents.js';
import { personas, securityBotForBlock } from './securityFixture.js';

/**
 * Commands as people type them in a group (https://open.feishu.cn/document/server-docs/im-v1/message/events/receive:
 * the mention comes as `@_user_1` in the text, the bot in `mentions`): the separator typed after the mention
 * (@助手：帮助, @Bot, status) belongs to the mention; a post's title is a subject line, read before its body only
 * when the body alone is no command; 绑定通知专家 typed without a space is 绑定通知 专家.
 */

const GROUP = 'oc_mentioned0000001';
let seq = 0;

type Content = { text: string } | { title?: string; content: { tag: string; text?: string; user_id?: string }[][] };

async function say(h: Harness, openId: string, content: Content, chatType: 'p2p' | 'group' = 'group') {
  h.fake.reset();
  const messageId = `om_mentioned${String(++seq).padStart(6, '0')}`;
  const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId, text: '', messageId, ...(chatType === 'group' ? { chatType, chatId: GROUP, mentionBot: true } : {}) }) as {
    event: { message: Record<string, unknown> };
  };
  event.event.message.message_type = 'text' in content ? 'text' : 'post';
  event.event.message.content = JSON.stringify(content);
  expect((await h.post('/lark/events', event)).status).toBe(200);
  await h.drain();
  return h.fake.messages
    .filter((m) => m.replyTo === messageId || m.receiveId === openId)
    .map((m) => (m.msgType === 'interactive' ? `${m.content?.header?.title?.content ?? ''}|${JSON.stringify(m.content)}` : String(m.content?.text ?? '')));
}

describe('commands right after the mention, in posts and glued', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));
  const bindings = async () => (await h.db.db.select({ purpose: chatBindings.purpose }).from(chatBindings).where(eq(chatBindings.chatId, GROUP))).map((b) => b.purpose).sort();
  beforeEach(async () => {
    await h.db.db.delete(chatBindings).where(eq(chatBindings.chatId, GROUP));
  });

  it.each(['@_user_1：帮助', '@_user_1，帮助', '@_user_1: help', '@_user_1 , help', '@_user_1、帮助'])('%s is the menu', async (text) => {
    const [answer, ...more] = await say(h, personas.leader, { text });
    expect(more).toHaveLength(0);
    expect(answer).not.toMatch(/没有听懂|say nothing/);
    expect(answer.split('|')[0]).toMatch(/菜单|助手/);
  });

  it('@_user_1, status answers with the caller’s progress, as 进度 does', async () => {
    const typed = await say(h, personas.leader, { text: '@_user_1, status' });
    const plain = await say(h, personas.leader, { text: '@_user_1 进度' });
    expect(typed.map((a) => a.split('|')[0])).toEqual(plain.map((a) => a.split('|')[0]));
    expect(typed[0]).not.toMatch(/没有听懂|say nothing/);
  });

  it('a post titled 请教 whose body is 条款 16 opens 第十六条; a title and body that make one command still do', async () => {
    const [article] = await say(h, personas.leader, { title: '请教', content: [[{ tag: 'at', user_id: '@_user_1' }, { tag: 'text', text: ' 条款 16' }]] });
    expect(article).toContain('第十六条');
    const [split] = await say(h, personas.leader, { title: '条款', content: [[{ tag: 'text', text: '16' }]] }, 'p2p');
    expect(split).toContain('第十六条');
    // neither a command: the measures answer the title with the body
    const [asked] = await say(h, personas.leader, { title: '注册一年', content: [[{ tag: 'text', text: '多久以后可以参加评选' }]] }, 'p2p');
    expect(asked).toContain('第十六条');
  });

  it('绑定通知专家 binds the group for experts; 绑定通知书在哪里 is a question, not a binding', async () => {
    const bound = await say(h, personas.admin, { text: '@_user_1 绑定通知专家' });
    expect(bound.join()).not.toMatch(/不认识|第十一条/);
    expect(await bindings()).toEqual(['experts']);
    await say(h, personas.admin, { text: '@_user_1 解绑专家' });
    expect(await bindings()).toEqual([]);
    const asked = await say(h, personas.admin, { text: '@_user_1 绑定通知书在哪里' });
    expect(asked.join()).not.toMatch(/不认识“书在哪里”/);
    expect(await bindings()).toEqual([]);
  });
});

describe('a card in the administrators’ group', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  it('返回菜单 on it sends the clicker’s menu privately instead of drawing it over the card everyone sees', async () => {
    await say(h, personas.admin, { text: '@_user_1 绑定通知' });
    h.fake.reset();
    const inGroup = await h.click(personas.admin, { action: 'help.menu' }, undefined, { messageId: 'om_group_admin_card', chatId: GROUP });
    expect(inGroup.card).toBeUndefined();
    expect(inGroup.toast).toMatchObject({ type: 'info', content: '菜单已通过私聊发给你' });
    await h.drain();
    expect(h.fake.messages.filter((m) => m.receiveId === personas.admin && m.msgType === 'interactive')).toHaveLength(1);
    // in the clicker's own chat it is redrawn in place, as before
    const own = await h.click(personas.admin, { action: 'help.menu' }, undefined, { messageId: 'om_p2p_admin_card', chatId: 'oc_p2p_admin_own_chat' });
    expect(own.card?.data).toBeDefined();
  });
});
