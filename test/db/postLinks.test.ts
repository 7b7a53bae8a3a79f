import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feishuSheetLinkMessage } from '../../src/import/index.js';
import { type PostNode } from '../../src/local/feishuEvents.js';
import { messageEvent } from '../support/larkEvents.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';

/**
 * A link in a rich-text (post) message comes as an `a` node: the text shown and the `href`
 * (https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content). A link to a 飞书表格
 * pasted into the rich-text box shows the sheet's title, not its address: the post is read as the text message with the
 * same link is, so an administrator who sends the register's sheet this way is told how to download it as the .xlsx.
 */
const SHEET = 'https://gdsz.feishu.cn/sheets/shtcnQ2xV8pLk1m3N5b7R9tY0a';
let h: Harness;
let seq = 0;
beforeAll(async () => {
  h = await startHarness({ admins: [ADMIN] });
});
afterAll(async () => {
  await h?.close();
});

async function post(content: PostNode[][], opts: { group?: boolean; title?: string } = {}) {
  h.fake.reset();
  const messageId = `om_postlink${String(++seq).padStart(6, '0')}`;
  const event = messageEvent({
    token: TEST_VERIFICATION_TOKEN,
    openId: ADMIN,
    text: '',
    messageId,
    post: { title: opts.title, content },
    ...(opts.group ? { chatType: 'group' as const, chatId: 'oc_postlinkgroup0001', mentionBot: true } : {}),
  });
  expect((await h.post('/lark/events', event)).status).toBe(200);
  await h.drain();
  return h.fake.messages.map((m) => ({ replyTo: m.replyTo, receiveId: m.receiveId, text: m.msgType === 'text' ? String(m.content?.text) : `[${m.msgType}] ${m.content?.header?.title?.content ?? ''}` }));
}

describe('a link in a rich-text message', () => {
  it('the sheet shown by its title, alone in a p2p post: how to download it, as for the link typed', async () => {
    const typed = await (async () => {
      h.fake.reset();
      await h.say(ADMIN, SHEET);
      return h.fake.messages.map((m) => String(m.content?.text));
    })();
    expect(typed).toEqual([feishuSheetLinkMessage]);
    const sent = await post([[{ tag: 'a', text: '2027年班组名单', href: SHEET, style: [] }]]);
    expect(sent.map((m) => m.text)).toEqual([feishuSheetLinkMessage]);
  });

  it('after words, under a title, in a group with the bot mentioned: the same, as a reply', async () => {
    const sent = await post([[{ tag: 'text', text: '名单在这里：', style: [] }, { tag: 'a', text: '班组名单', href: SHEET, style: ['bold'] }]], { group: true, title: '导入' });
    expect(sent).toHaveLength(1);
    expect(sent[0].replyTo).toMatch(/^om_postlink/);
    expect(sent[0].text).toBe(feishuSheetLinkMessage);
  });

  it('a link whose text is its address is read once: 条款 16 beside it still opens the article', async () => {
    const sent = await post([[{ tag: 'text', text: '条款 16', style: [] }]]);
    expect(sent[0].text).toContain('第十六条');
    const linked = await post([[{ tag: 'a', text: SHEET, href: SHEET, style: [] }]]);
    expect(linked.map((m) => m.text)).toEqual([feishuSheetLinkMessage]);
  });
});
