import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationForm } from '../../src/applications.js';
import { fileMessageEvent, messageEvent } from '../support/larkEvents.js';
import { startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';

/**
 * A file or an image sent to the bot in its p2p chat (a leader's application materials, most often): the answer says
 * where the materials go — a 飞书云文档 whose link is pasted in the 申报表's 材料链接, the permission its help asks
 * for — in the form's own words, and still points to 帮助; short enough for a phone screen.
 */
const LEADER = 'ou_nontext_leader00000000000000001';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const lastText = () => {
  const c = h.fake.messages.at(-1)!.content as unknown;
  return (typeof c === 'string' ? JSON.parse(c) : c).text as string;
};

function expectMaterialsLine(text: string) {
  const { label, help } = applicationForm.fields.materialsUrl;
  expect(text).toContain(`${applicationForm.title}的“${label}”`);
  expect(text).toContain('飞书云文档');
  // the permission the field's help asks for, in its words
  const permission = /“([^”]+)”/.exec(help!)![1];
  expect(text).toContain(`“${permission}”`);
  expect(text).toContain('发送“帮助”查看可用的命令。');
  expect(text.length).toBeLessThanOrEqual(100);
}

describe('a file or an image sent to the bot', () => {
  it('a file: where application materials go, and 帮助', async () => {
    h.fake.addMessageFile('om_nontext_file1', 'fk_nontext1', Buffer.from('x'));
    await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: LEADER, messageId: 'om_nontext_file1', fileKey: 'fk_nontext1', fileName: '2027申报材料.docx' }));
    await h.drain();
    expect(h.fake.messages.at(-1)!.receiveId).toBe(LEADER);
    expectMaterialsLine(lastText());
  });

  it('an image: the same', async () => {
    const event = fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: LEADER, messageId: 'om_nontext_image1', fileKey: 'img_nontext1', fileName: '' }) as { event: { message: Record<string, unknown> } };
    event.event.message.message_type = 'image';
    event.event.message.content = JSON.stringify({ image_key: 'img_nontext1' });
    const before = h.fake.messages.length;
    await h.post('/lark/events', event);
    await h.drain();
    expect(h.fake.messages.length).toBe(before + 1);
    expectMaterialsLine(lastText());
  });
});

/**
 * What else a person can send the bot instead of text (https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content):
 * a voice message, a sticker, a shared group, a forwarded chat record. None is taken for a command, and none is
 * application material: the answer says what the bot reads and how to ask, without the materials line a document or a
 * picture gets; a shared group is told how a group is bound for notifications.
 */
describe('a voice message, a sticker, a shared group sent to the bot', () => {
  let n = 0;
  async function send(type: string, content: object): Promise<string[]> {
    const messageId = `om_nontext_other${++n}`;
    const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: LEADER, text: '', messageId }) as { event: { message: Record<string, unknown> } };
    event.event.message.message_type = type;
    event.event.message.content = JSON.stringify(content);
    const before = h.fake.messages.length;
    expect((await h.post('/lark/events', event)).status).toBe(200);
    await h.drain();
    return h.fake.messages.slice(before).map((m) => String((typeof m.content === 'string' ? JSON.parse(m.content) : m.content).text));
  }
  const noMaterials = (text: string) => {
    expect(text).not.toContain('材料');
    expect(text).not.toMatch(/没有听懂/);
    expect(text).toContain('发送“帮助”查看可用的命令。');
  };

  it('a voice message: to type the question instead', async () => {
    const [answer, ...more] = await send('audio', { file_key: 'file_v3_voice1', duration: 3200 });
    expect(more).toHaveLength(0);
    expect(answer).toContain('语音');
    expect(answer).toContain('文字');
    noMaterials(answer);
  });

  it.each([
    ['sticker', { file_key: 'file_v3_sticker1' }],
    ['merge_forward', { content: 'Merged and Forwarded Message' }],
    ['share_user', { user_id: 'ou_someone00000000000000000000001' }],
    ['location', { name: '广州塔', longitude: '113.32', latitude: '23.10' }],
  ])('%s: only text is read, and how to ask', async (type, content) => {
    const [answer, ...more] = await send(type, content);
    expect(more).toHaveLength(0);
    expect(answer).toContain('文字');
    noMaterials(answer);
  });

  it('a shared group: how a group gets the notifications', async () => {
    const [answer] = await send('share_chat', { chat_id: 'oc_shared0000000000000000000001' });
    expect(answer).toContain('拉进');
    expect(answer).toContain('绑定通知');
    noMaterials(answer);
  });
});

