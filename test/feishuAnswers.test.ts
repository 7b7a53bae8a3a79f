import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenPlatform, type FakeOpenPlatform } from '../src/local/fakeOpenPlatform.js';

/**
 * The simulated platform refuses what Feishu refuses in a message's content and in a card callback's answer:
 * - content is a JSON string of the msg_type's object (https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json);
 *   another is HTTP 400, 230001 "…ext=invalid message content"; a file uploaded as one type and sent as another is 230055
 *   (https://open.feishu.cn/document/server-docs/im-v1/message/create, error codes);
 * - a callback's answer is `{toast?: {type: info|success|error|warning, content}, card?: {type: raw|template, data}}`: another
 *   shape is 200672, a card Feishu cannot show 200673 (https://open.feishu.cn/document/feishu-cards/card-callback-communication, 错误码).
 */
let fake: FakeOpenPlatform;
let token: string;
beforeAll(async () => {
  fake = await startFakeOpenPlatform();
  const res = await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  token = ((await res.json()) as { tenant_access_token: string }).tenant_access_token;
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => fake.reset());

const auth = () => ({ authorization: `Bearer ${token}` });
const call = (method: string, path: string, body: unknown) =>
  fetch(fake.url + path, { method, headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { code: number; msg: string; data?: { message_id?: string; file_key?: string } },
  }));
let n = 0;
const send = (msgType: string, content: unknown) =>
  call('POST', '/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: `ou_content${++n}`, msg_type: msgType, content: typeof content === 'string' ? content : JSON.stringify(content) });
const card = (text: string) => ({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: text }] } });

describe('message content as its msg_type wants it', () => {
  it('refuses text whose content is not {"text": …} (a bare string, another key) with HTTP 400 230001, and takes {"text"}', async () => {
    for (const bad of ['你好', JSON.stringify('你好'), { content: '你好' }, { text: 12 }]) {
      const res = await send('text', bad);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(230001);
      expect(res.body.msg).toContain('invalid message content');
    }
    expect((await send('text', { text: '你好' })).body.code).toBe(0);
    expect(fake.messages).toHaveLength(1);
  });

  it('refuses a reply of the same kind alike', async () => {
    const parent = (await send('text', { text: 'x' })).body.data!.message_id!;
    const res = await call('POST', `/open-apis/im/v1/messages/${parent}/reply`, { msg_type: 'text', content: '"hello"' });
    expect([res.status, res.body.code]).toEqual([400, 230001]);
  });

  it('refuses image and file messages without their key, and a post without a language', async () => {
    expect((await send('image', { file_key: 'x' })).body.code).toBe(230001);
    expect((await send('file', { image_key: 'x' })).body.code).toBe(230001);
    expect((await send('post', { title: 't', content: [[{ tag: 'text', text: 'x' }]] })).body.code).toBe(230001);
    expect((await send('post', { zh_cn: { title: 't', content: [[{ tag: 'text', text: 'x' }]] } })).body.code).toBe(0);
  });

  it('refuses a file uploaded as mp4 sent as a file message (230055), and takes a pdf sent as one', async () => {
    const upload = async (fileType: string) => {
      const form = new FormData();
      form.append('file_type', fileType);
      form.append('file_name', `a.${fileType}`);
      form.append('file', new Blob([Buffer.from('bytes')]), `a.${fileType}`);
      const r = await fetch(`${fake.url}/open-apis/im/v1/files`, { method: 'POST', headers: auth(), body: form });
      return ((await r.json()) as { data: { file_key: string } }).data.file_key;
    };
    expect((await send('file', { file_key: await upload('mp4') })).body.code).toBe(230055);
    expect((await send('file', { file_key: await upload('pdf') })).body.code).toBe(0);
  });
});

describe('a card callback’s answer as Feishu reads it', () => {
  const sentCard = async () => (await send('interactive', card('原卡片'))).body.data!.message_id!;

  it('refuses a toast of another type (200672) and keeps the card', async () => {
    const id = await sentCard();
    expect(fake.answerCallback(id, { toast: { type: 'warn', content: '注意' } })).toMatchObject({ ok: false, code: 200672 });
    expect(fake.answerCallback(id, { toast: { type: 'info' } })).toMatchObject({ ok: false, code: 200672 });
    expect(fake.answerCallback(id, { toast: '已提交' })).toMatchObject({ ok: false, code: 200672 });
    for (const type of ['info', 'success', 'error', 'warning']) expect(fake.answerCallback(id, { toast: { type, content: '好' } })).toEqual({ ok: true });
    expect(fake.answerCallback(id, { toast: { type: 'info', i18n: { zh_cn: '好' } } })).toEqual({ ok: true });
    expect(fake.currentCard(id)).toEqual(card('原卡片'));
  });

  it('refuses a card that is not {type: raw | template, data} (200672): a bare card, another type', async () => {
    const id = await sentCard();
    expect(fake.answerCallback(id, { card: card('新') })).toMatchObject({ ok: false, code: 200672 });
    expect(fake.answerCallback(id, { card: { type: 'json', data: card('新') } })).toMatchObject({ ok: false, code: 200672 });
    expect(fake.answerCallback(id, { card: { type: 'raw', data: JSON.stringify(card('新')) } })).toMatchObject({ ok: false, code: 200672 });
    expect(fake.answerCallback(id, { card: { type: 'template', data: {} } })).toMatchObject({ ok: false, code: 200672 });
    expect(fake.answerCallback(id, [])).toMatchObject({ ok: false, code: 200672 });
    expect(fake.currentCard(id)).toEqual(card('原卡片'));
    expect(fake.answerCallback(id, { card: { type: 'raw', data: card('新') } })).toEqual({ ok: true });
    expect(fake.currentCard(id)).toEqual(card('新'));
  });

  it('refuses a raw card Feishu cannot show with 200673, and takes an empty answer (the card stays)', async () => {
    const id = await sentCard();
    const unknownTag = { schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'note', elements: [] }] } };
    expect(fake.answerCallback(id, { card: { type: 'raw', data: unknownTag } })).toMatchObject({ ok: false, code: 200673 });
    expect(fake.answerCallback(id, {})).toEqual({ ok: true });
    expect(fake.currentCard(id)).toEqual(card('原卡片'));
  });
});

describe('the 3 seconds Feishu waits for the answer', () => {
  it('refuses an answer that comes after Feishu stopped waiting (200341, here 200 ms): its card is not shown; an answer in time is', async () => {
    const brief = await startFakeOpenPlatform({ callbackTimeoutMs: 200 });
    try {
      const t = ((await (await fetch(`${brief.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { tenant_access_token: string }).tenant_access_token;
      const sent = await fetch(`${brief.url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
        body: JSON.stringify({ receive_id: 'ou_slow', msg_type: 'interactive', content: JSON.stringify(card('原卡片')) }),
      });
      const id = ((await sent.json()) as { data: { message_id: string } }).data.message_id;
      expect(brief.cardAction({ messageId: id, openId: 'ou_slow' })).toMatchObject({ ok: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(brief.answerCallback(id, { toast: { type: 'success', content: '已提交' }, card: { type: 'raw', data: card('已提交') } })).toMatchObject({ ok: false, code: 200341 });
      expect(brief.currentCard(id)).toEqual(card('原卡片'));
      expect(brief.cardAction({ messageId: id, openId: 'ou_slow' })).toMatchObject({ ok: true });
      expect(brief.answerCallback(id, { card: { type: 'raw', data: card('已提交') } })).toEqual({ ok: true });
      expect(brief.currentCard(id)).toEqual(card('已提交'));
    } finally {
      await brief.close();
    }
  });
});

describe('a tenant’s data-loss prevention (DLP)', () => {
  it('while on, refuses a text, a card or a card update holding a plain mobile number or personal e-mail with 230028; off, takes them', async () => {
    const sent = await send('interactive', card('联系电话 020-12345678'));
    const id = sent.body.data!.message_id!;
    fake.setDlp(true);
    try {
      for (const res of [await send('text', { text: '请联系 13800138000' }), await send('text', { text: '邮箱 someone@qq.com' }), await send('interactive', card('手机 13800138000'))]) {
        expect([res.status, res.body.code]).toEqual([400, 230028]);
      }
      expect((await call('PATCH', `/open-apis/im/v1/messages/${id}`, { content: JSON.stringify(card('手机 13800138000')) })).body.code).toBe(230028);
      // a landline and a work address pass
      expect((await send('text', { text: '电话 020-12345678，邮箱 office@assoc.org.cn' })).body.code).toBe(0);
    } finally {
      fake.setDlp(false);
    }
    expect((await send('text', { text: '请联系 13800138000' })).body.code).toBe(0);
  });
});
