import { describe, expect, it } from 'vitest';
import { messageEventSchema, toIncomingText } from '../src/events.js';

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

  it('a post under its language (`{"zh_cn": {…}}`, as a post is sent) reads as the same post unwrapped, 中文 first', () => {
    const body = { title: '', content: [[{ tag: 'text', text: '帮助' }]] };
    expect(toIncomingText(message('post', { zh_cn: body }) as never).text).toBe('帮助');
    expect(toIncomingText(message('post', { en_us: { title: '', content: [[{ tag: 'text', text: 'help' }]] }, zh_cn: body }) as never).text).toBe('帮助');
    expect(toIncomingText(message('post', { en_us: { title: 'status', content: [] } }) as never).text).toBe('status');
    // not a post body under any key: nothing read, as before
    expect(toIncomingText(message('post', { zh_cn: 'x' }) as never).text).toBe('');
  });
});

describe('@所有人 in a group', () => {
  const BOT = 'ou_bot00000000000000000000000000001';
  const inGroup = (text: string, mentions: { key: string; id: { open_id: string }; name: string }[]) =>
    ({ ...message('text', { text }), chat_type: 'group', mentions }) as never;
  const bot = { key: '@_user_1', id: { open_id: BOT }, name: '质量信得过助手' };

  it('leaves the command alone when Feishu keeps @_all in the text but out of `mentions`', () => {
    // "@所有人 @助手 帮助": the mentions array names only the bot, the text still holds @_all
    for (const text of ['@_user_1 @_all 帮助', '@_all @_user_1 帮助', '@_all@_user_1 条款 16']) {
      const got = toIncomingText(inGroup(text, [bot]), BOT);
      expect(got.mentionedBot, text).toBe(true);
      expect(got.text, text).toBe(text.endsWith('16') ? '条款 16' : '帮助');
    }
    // listed in `mentions` as well: the same
    expect(toIncomingText(inGroup('@_all @_user_1 帮助', [{ key: '@_all', id: { open_id: '' }, name: '所有人' }, bot]), BOT).text).toBe('帮助');
  });

  it('a digit typed right after the bot’s mention is the text’s (@助手16 without its space)', () => {
    expect(toIncomingText(inGroup('@_user_116', [bot]), BOT)).toMatchObject({ text: '16', mentionedBot: true });
    // a longer key listed is that key: @_user_10 is not @_user_1 and a 0
    const other = { key: '@_user_10', id: { open_id: 'ou_other' }, name: '王工' };
    expect(toIncomingText(inGroup('@_user_1 @_user_10 帮助', [bot, other]), BOT).text).toBe('帮助');
    expect(toIncomingText(inGroup('@_user_10 @_user_116', [bot, other]), BOT).text).toBe('16');
  });

  it('is the placeholder only: a word typed after @_ is left alone', () => {
    for (const text of ['@_allen 帮助', '@_all_x 帮助', '@_all2 帮助']) expect(toIncomingText(inGroup(text, [bot]), BOT).text, text).toBe(text);
    expect(toIncomingText({ ...message('text', { text: '@_all：帮助' }) } as never).text).toBe('帮助');
  });

  it('listed without an id (or with a null one) leaves the event readable and the command found', () => {
    for (const all of [{ key: '@_all', name: '所有人' }, { key: '@_all', id: null, name: '所有人' }, { key: '@_all', id: {}, name: null }]) {
      const event = { event_id: 'ev_1', sender: { sender_id: { open_id: 'ou_someone' }, sender_type: 'user' }, message: inGroup('@_all @_user_1 帮助', [all as never, bot]) };
      const parsed = messageEventSchema.safeParse(event);
      expect(parsed.success, JSON.stringify(all)).toBe(true);
      expect(toIncomingText(parsed.data!.message, BOT)).toMatchObject({ text: '帮助', mentionedBot: true });
      expect(toIncomingText(messageEventSchema.parse({ ...event, message: inGroup('@_all 帮助', [all as never]) }).message, BOT).mentionedBot).toBe(false);
    }
  });

  it('is no call for the bot on its own', () => {
    expect(toIncomingText(inGroup('@_all 帮助', []), BOT).mentionedBot).toBe(false);
    expect(toIncomingText(inGroup('@_all 帮助', [{ key: '@_all', id: { open_id: '' }, name: '所有人' }]), BOT).mentionedBot).toBe(false);
  });

  it('a post: its @所有人 node has no text, and its placeholder in a text node is removed too', () => {
    const post = { ...message('post', { content: [[{ tag: 'at', user_id: 'all' }, { tag: 'at', user_id: BOT }, { tag: 'text', text: ' @_all 进度' }]] }), chat_type: 'group', mentions: [bot] };
    expect(toIncomingText(post as never, BOT).text).toBe('进度');
  });
});
