import { describe, expect, it } from 'vitest';
import { toIncomingText } from '../src/events.js';

/** A message as im.message.receive_v1 brings it (https://open.feishu.cn/document/server-docs/im-v1/message/events/receive). */
const message = (type: 'text' | 'post', content: unknown) => ({
  message_id: 'om_incoming0000000000000000000001',
  chat_id: 'oc_incoming0000000000000000000001',
  chat_type: 'p2p',
  message_type: type,
  content: JSON.stringify(content),
  mentions: [],
});

describe('the text of a message', () => {
  it('a post reads as a text message of the same lines would: its paragraphs apart, its title a subject line', () => {
    const post = toIncomingText(message('post', { title: '', content: [[{ tag: 'text', text: '帮助' }], [{ tag: 'text', text: '谢谢' }]] }) as never);
    const text = toIncomingText(message('text', { text: '帮助\n谢谢' }) as never);
    expect(post.text).toBe(text.text);
    expect(post.text).toBe('帮助 谢谢');
    expect(toIncomingText(message('post', { title: '帮助', content: [] }) as never).text).toBe('帮助');
    // the title is kept apart when the body says something: the body is read as a command first (test/db/mentionedCommands.test.ts)
    expect(toIncomingText(message('post', { title: '条款', content: [[{ tag: 'text', text: '16' }]] }) as never)).toMatchObject({ text: '16', subject: '条款' });
    // nodes of one paragraph stay together, whatever their style
    expect(toIncomingText(message('post', { content: [[{ tag: 'text', text: '条款 ' }, { tag: 'text', text: '16', style: ['bold'] }]] }) as never).text).toBe('条款 16');
  });
});
