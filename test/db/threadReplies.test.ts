import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostNode } from '../../src/local/feishuEvents.js';
import { messageEvent } from '../support/larkEvents.js';
import { startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';

/**
 * A command typed in a thread (话题) of a group, or in a 话题模式 group (chat_type topic_group, every message in a
 * thread of its own), comes with root_id, parent_id and thread_id
 * (https://open.feishu.cn/document/server-docs/im-v1/message/events/receive). The bot answers it as a reply to the
 * message, which Feishu puts in the message's thread (https://open.feishu.cn/document/server-docs/im-v1/message/reply:
 * a reply to a message already in a thread is in it by default): the answer is where the question was, not in the
 * group's main flow; what is personal goes to the p2p chat, and the note saying so into the thread.
 */
const USER = 'ou_thread_user000000000000000000001';
const GROUP = 'oc_threadgroup000000000000000001';
let h: Harness;
let seq = 0;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function ask(p: { text?: string; post?: PostNode[][]; chatType: 'group' | 'topic_group'; thread?: { root: string; thread: string } }) {
  h.fake.reset();
  const messageId = `om_thread${String(++seq).padStart(6, '0')}`;
  const event = messageEvent({
    token: TEST_VERIFICATION_TOKEN,
    openId: USER,
    text: p.text ?? '',
    ...(p.post ? { post: { content: p.post } } : {}),
    chatType: p.chatType,
    chatId: GROUP,
    mentionBot: true,
    messageId,
    ...(p.thread ? { rootId: p.thread.root, parentId: p.thread.root, threadId: p.thread.thread } : {}),
  });
  expect((await h.post('/lark/events', event)).status).toBe(200);
  await h.drain();
  return { messageId, sent: h.fake.messages };
}

describe('a command typed in a thread', () => {
  it('条款 16 in a group’s thread: the article, as a reply in that thread', async () => {
    const { messageId, sent } = await ask({ text: '条款 16', chatType: 'group', thread: { root: 'om_threadroot000001', thread: 'omt_1a2b3c4d5e6f70' } });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ replyTo: messageId, chatId: GROUP, threadId: 'omt_1a2b3c4d5e6f70' });
    expect(JSON.stringify(sent[0].content)).toContain('第十六条');
  });

  it('进度 as rich text in a thread: the card privately, the note saying so in the thread', async () => {
    const { messageId, sent } = await ask({ post: [[{ tag: 'text', text: '进度', style: [] }]], chatType: 'group', thread: { root: 'om_threadroot000002', thread: 'omt_2a2b3c4d5e6f70' } });
    const card = sent.find((m) => m.receiveId === USER && m.msgType === 'interactive');
    expect(card?.threadId).toBeUndefined();
    const note = sent.find((m) => m.replyTo === messageId);
    expect(note).toMatchObject({ msgType: 'text', threadId: 'omt_2a2b3c4d5e6f70' });
    expect(String(note?.content?.text)).toContain('私聊');
    expect(sent).toHaveLength(2);
  });

  it('帮助 in a topic group’s new topic: the menu in that topic', async () => {
    const { messageId, sent } = await ask({ text: '帮助', chatType: 'topic_group', thread: { root: '', thread: 'omt_3a2b3c4d5e6f70' } });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ replyTo: messageId, msgType: 'interactive', threadId: 'omt_3a2b3c4d5e6f70' });
    expect(sent[0].content?.header?.title?.content).toMatch(/助手/);
  });

  it('outside a thread the answer is a reply in the group’s flow: the bot starts no thread of its own', async () => {
    const { messageId, sent } = await ask({ text: '条款 16', chatType: 'group' });
    expect(sent).toHaveLength(1);
    expect(sent[0].replyTo).toBe(messageId);
    expect(sent[0].threadId).toBeUndefined();
  });
});
