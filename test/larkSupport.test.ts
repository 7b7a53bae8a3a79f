import { request as httpRequest } from 'node:http';
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createHash } from 'node:crypto';
import * as lark from '@larksuiteoapi/node-sdk';
import { AESCipher } from '@larksuiteoapi/node-sdk';
import { startFakeOpenPlatform, p2pChatIdFor, type FakeOpenPlatform, type SentMessage } from '../src/local/fakeOpenPlatform.js';
import {
  encryptPayload,
  decryptPayload,
  signature,
  signedRequest,
  messageEvent,
  cardActionEvent,
  botAddedEvent,
  p2pChatEnteredEvent,
  urlVerification,
  FAKE_BOT_OPEN_ID,
} from './support/larkEvents.js';

const ENCRYPT_KEY = 'test-encrypt-key';
const VERIFICATION_TOKEN = 'test-verification-token';

/** What the SDK's adapters hand to dispatcher.invoke: the parsed body with headers on the prototype. */
function asSdkRequestData(req: { headers: Record<string, string>; body: string }) {
  return Object.assign(Object.create({ headers: req.headers }), JSON.parse(req.body));
}

function newClient(fake: FakeOpenPlatform, appSecret = 'secret') {
  return new lark.Client({
    appId: 'cli_test',
    appSecret,
    domain: fake.url,
    cache: new lark.DefaultCache(),
    loggerLevel: lark.LoggerLevel.error,
  });
}

/** A shared card (update_multi): Feishu updates a card by its message id only when it and the new one declare it. */
const emptyCard = JSON.stringify({ schema: '2.0', config: { update_multi: true }, body: { elements: [] } });

describe('larkEvents: crypto and signing', () => {
  it('encryptPayload is decrypted by the SDK AESCipher', () => {
    const plaintext = JSON.stringify({ hello: '世界', n: 1, long: 'x'.repeat(1000) });
    const enc = encryptPayload(ENCRYPT_KEY, plaintext);
    expect(new AESCipher(ENCRYPT_KEY).decrypt(enc)).toBe(plaintext);
    expect(decryptPayload(ENCRYPT_KEY, enc)).toBe(plaintext);
    // random IV: same plaintext encrypts differently
    expect(encryptPayload(ENCRYPT_KEY, plaintext)).not.toBe(enc);
    // exact block multiple still round-trips (PKCS7 adds a full padding block)
    const sixteen = '0123456789abcdef';
    expect(new AESCipher(ENCRYPT_KEY).decrypt(encryptPayload(ENCRYPT_KEY, sixteen))).toBe(sixteen);
  });

  it('signature is sha256(timestamp + nonce + encryptKey + body)', () => {
    const body = '{"encrypt":"abc"}';
    const expected = createHash('sha256').update('1700000000' + 'nonce1' + ENCRYPT_KEY + body).digest('hex');
    expect(signature('1700000000', 'nonce1', ENCRYPT_KEY, body)).toBe(expected);

    const req = signedRequest({ a: 1 }, { encryptKey: ENCRYPT_KEY, timestamp: 1700000000, nonce: 'nonce1' });
    expect(req.headers['x-lark-request-timestamp']).toBe('1700000000');
    expect(req.headers['x-lark-request-nonce']).toBe('nonce1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-lark-signature']).toBe(signature('1700000000', 'nonce1', ENCRYPT_KEY, req.body));
    expect(JSON.parse(decryptPayload(ENCRYPT_KEY, JSON.parse(req.body).encrypt))).toEqual({ a: 1 });

    const plain = signedRequest({ a: 1 }, { encryptKey: ENCRYPT_KEY, encrypt: false });
    expect(plain.body).toBe('{"a":1}');
  });

  it('a signed, encrypted message event is accepted by the SDK EventDispatcher', async () => {
    let got: any;
    const dispatcher = new lark.EventDispatcher({
      encryptKey: ENCRYPT_KEY,
      verificationToken: VERIFICATION_TOKEN,
      loggerLevel: lark.LoggerLevel.error,
    }).register({
      'im.message.receive_v1': async (data) => {
        got = data;
        return 'handled';
      },
    });
    const ev = messageEvent({ token: VERIFICATION_TOKEN, openId: 'ou_alice', text: 'hi', chatType: 'group', mentionBot: true });
    const req = signedRequest(ev, { encryptKey: ENCRYPT_KEY });
    expect(await dispatcher.invoke(asSdkRequestData(req))).toBe('handled');
    expect(got.event_type).toBe('im.message.receive_v1');
    expect(got.sender.sender_id.open_id).toBe('ou_alice');
    expect(got.message.chat_type).toBe('group');
    expect(JSON.parse(got.message.content)).toEqual({ text: '@_user_1 hi' });
    expect(got.message.mentions[0]).toMatchObject({ key: '@_user_1', name: 'Bot', id: { open_id: FAKE_BOT_OPEN_ID } });

    // tampered signature -> SDK rejects (returns undefined, handler not called)
    got = undefined;
    const bad = { ...req, headers: { ...req.headers, 'x-lark-signature': '0'.repeat(64) } };
    expect(await dispatcher.invoke(asSdkRequestData(bad))).toBeUndefined();
    expect(got).toBeUndefined();
  });

  it('a signed card.action.trigger is accepted by the SDK CardActionHandler', async () => {
    let got: any;
    const handler = new lark.CardActionHandler(
      { encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, loggerLevel: lark.LoggerLevel.error },
      async (data: any) => {
        got = data;
        return { toast: { type: 'success', content: 'ok' } };
      },
    );
    const ev = cardActionEvent({
      token: VERIFICATION_TOKEN,
      openId: 'ou_bob',
      value: { action: 'approve', id: 7 },
      formValue: { note: 'fine' },
      name: 'approve_btn',
      messageId: 'om_card',
      chatId: 'oc_chat',
    });
    for (const encrypt of [true, false]) {
      got = undefined;
      const res = await handler.invoke(asSdkRequestData(signedRequest(ev, { encryptKey: ENCRYPT_KEY, encrypt })));
      expect(res).toEqual({ toast: { type: 'success', content: 'ok' } });
      expect(got.operator.open_id).toBe('ou_bob');
      expect(got.action).toEqual({ value: { action: 'approve', id: 7 }, tag: 'button', name: 'approve_btn', form_value: { note: 'fine' }, timezone: 'Asia/Shanghai' });
      expect(got.context).toEqual({ open_message_id: 'om_card', open_chat_id: 'oc_chat' });
      expect(got.token).toMatch(/^c-[0-9a-f]{40}$/);
    }
  });

  it('envelopes have Feishu field names and id formats', () => {
    const m: any = messageEvent({ token: 't', openId: 'ou_x', text: 'hello' });
    expect(m.schema).toBe('2.0');
    expect(m.header.event_id).toMatch(/^[0-9a-f]{32}$/);
    expect(m.header.create_time).toMatch(/^\d{13}$/);
    expect(m.event.message.message_id).toMatch(/^om_[0-9a-f]{32}$/);
    expect(m.event.message.chat_id).toBe(p2pChatIdFor('ou_x'));
    expect(m.event.message.chat_type).toBe('p2p');
    expect(m.event.message.mentions).toBeUndefined();
    expect(m.event.sender.sender_id.open_id).toBe('ou_x');

    const c: any = cardActionEvent({ token: 't', openId: 'ou_x', value: {} });
    expect(c.header.create_time).toMatch(/^\d{16}$/); // microseconds, as Feishu sends for card callbacks

    const g: any = messageEvent({ token: 't', openId: 'ou_x', text: 'hi', chatType: 'group' });
    expect(g.event.message.chat_id).toMatch(/^oc_[0-9a-f]{32}$/);

    const e: any = p2pChatEnteredEvent({ token: 't', openId: 'ou_x' });
    expect(e.header.event_type).toBe('im.chat.access_event.bot_p2p_chat_entered_v1');
    expect(e.event.chat_id).toBe(p2pChatIdFor('ou_x'));
    const b: any = botAddedEvent({ token: 't', chatId: 'oc_g', operatorOpenId: 'ou_y', name: 'QC team' });
    expect(b.header.event_type).toBe('im.chat.member.bot.added_v1');
    expect(b.event).toMatchObject({ chat_id: 'oc_g', external: false, name: 'QC team', operator_id: { open_id: 'ou_y' } });
    expect(urlVerification({ token: 't', challenge: 'abc' })).toEqual({ challenge: 'abc', token: 't', type: 'url_verification' });
  });
});

describe('fake open platform with the real SDK client', () => {
  let fake: FakeOpenPlatform;
  beforeAll(async () => {
    fake = await startFakeOpenPlatform({ appId: 'cli_test', appSecret: 'secret' });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('records a message sent with client.im.v1.message.create', async () => {
    const client = newClient(fake);
    const seen: SentMessage[] = [];
    fake.on('message', (m) => seen.push(m));
    const res = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: 'ou_x', msg_type: 'interactive', content: emptyCard },
    });
    expect(res.code).toBe(0);
    expect(res.data?.message_id).toMatch(/^om_[0-9a-f]{32}$/);
    expect(res.data?.chat_id).toBe(p2pChatIdFor('ou_x'));

    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({
      messageId: res.data?.message_id,
      receiveIdType: 'open_id',
      receiveId: 'ou_x',
      msgType: 'interactive',
      content: { schema: '2.0', body: { elements: [] } },
    });
    expect(seen).toEqual(fake.messages);

    const paths = fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(['POST /open-apis/auth/v3/tenant_access_token/internal', 'POST /open-apis/im/v1/messages']);
    const send = fake.requests[1];
    expect(send.query).toEqual({ receive_id_type: 'open_id' });
    expect(send.headers.authorization).toMatch(/^Bearer t-fake-/);
    expect(send.body).toEqual({ receive_id: 'ou_x', msg_type: 'interactive', content: emptyCard });
  });

  it('an injected 429/230020 fault rejects the SDK call with an AxiosError; the next call succeeds', async () => {
    const client = newClient(fake);
    fake.injectFaults([{ status: 429, code: 230020 }]);
    const payload = {
      params: { receive_id_type: 'open_id' as const },
      data: { receive_id: 'ou_x', msg_type: 'interactive', content: emptyCard },
    };
    const err: any = await client.im.v1.message.create(payload).then(
      () => {
        throw new Error('expected rejection');
      },
      (e: unknown) => e,
    );
    expect(err.isAxiosError).toBe(true);
    expect(err.name).toBe('AxiosError');
    expect(err.code).toBe('ERR_BAD_REQUEST');
    expect(err.message).toBe('Request failed with status code 429');
    expect(err.response.status).toBe(429);
    expect(err.response.data).toEqual({ code: 230020, msg: 'This operation triggers the frequency limit.' });
    expect(err.response.headers['x-ogw-ratelimit-reset']).toBe('1');
    expect(fake.messages).toHaveLength(0);

    const ok = await client.im.v1.message.create(payload);
    expect(ok.code).toBe(0);
    expect(fake.messages).toHaveLength(1);
    // both sends recorded, faulted one included
    expect(fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages')).toHaveLength(2);
  });

  it('5xx faults surface as ERR_BAD_RESPONSE; faults never hit the token endpoint; match filters', async () => {
    const client = newClient(fake);
    fake.injectFaults([{ status: 503, code: 1 }], (r) => r.body?.receive_id === 'ou_b');
    // ou_a is unaffected (first call also fetches the token)
    expect((await client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_a', msg_type: 'text', content: '{"text":"a"}' } })).code).toBe(0);
    const err: any = await client.im.v1.message
      .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_b', msg_type: 'text', content: '{"text":"b"}' } })
      .catch((e: unknown) => e);
    expect(err.code).toBe('ERR_BAD_RESPONSE');
    expect(err.response.status).toBe(503);
    expect(err.response.data.code).toBe(1);
  });

  it('failReceiver fails every send to that receiver until cleared', async () => {
    const client = newClient(fake);
    fake.failReceiver('ou_gone', { status: 400, code: 230053 });
    for (let i = 0; i < 2; i++) {
      const err: any = await client.im.v1.message
        .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_gone', msg_type: 'text', content: '{"text":"x"}' } })
        .catch((e: unknown) => e);
      expect(err.response.status).toBe(400);
      expect(err.response.data.code).toBe(230053);
    }
    fake.clearFaults();
    const ok = await client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_gone', msg_type: 'text', content: '{"text":"x"}' } });
    expect(ok.code).toBe(0);
  });

  it('loseChat answers every send to the chat, and every reply in it, with HTTP 400 and {code, msg}, as Feishu does', async () => {
    const client = newClient(fake);
    const sent = await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_lost', msg_type: 'text', content: '{"text":"x"}' } });
    const cases: [number | undefined, number, string][] = [
      [undefined, 232009, 'Your operation is not allowed because the group has been disbanded.'],
      [230002, 230002, 'The bot can not be outside the group.'],
      [230034, 230034, 'The receive_id is invalid.'],
    ];
    for (const [given, code, msg] of cases) {
      fake.loseChat('oc_lost', given as 230002 | undefined);
      const send: any = await client.im.v1.message
        .create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_lost', msg_type: 'text', content: '{"text":"x"}' } })
        .catch((e: unknown) => e);
      const reply: any = await client.im.v1.message.reply({ path: { message_id: sent.data!.message_id! }, data: { msg_type: 'text', content: '{"text":"x"}' } }).catch((e: unknown) => e);
      for (const err of [send, reply]) {
        expect(err.response.status).toBe(400);
        expect(err.response.data).toEqual({ code, msg });
      }
    }
    fake.clearFaults();
    expect((await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_lost', msg_type: 'text', content: '{"text":"x"}' } })).code).toBe(0);
  });

  it('uuid makes sends idempotent (same message back, recorded once)', async () => {
    const client = newClient(fake);
    const payload = {
      params: { receive_id_type: 'chat_id' as const },
      data: { receive_id: 'oc_group', msg_type: 'text', content: '{"text":"once"}', uuid: 'dedupe-1' },
    };
    const a = await client.im.v1.message.create(payload);
    const b = await client.im.v1.message.create(payload);
    expect(a.code).toBe(0);
    expect(b.data).toEqual(a.data);
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({ chatId: 'oc_group', uuid: 'dedupe-1', content: { text: 'once' } });
    const c = await client.im.v1.message.create({ ...payload, data: { ...payload.data, uuid: 'dedupe-2' } });
    expect(c.data?.message_id).not.toBe(a.data?.message_id);
    expect(fake.messages).toHaveLength(2);
  });

  it('reply, PATCH, card update, file upload, lookups and 404', async () => {
    const client = newClient(fake);
    const first = await client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_r', msg_type: 'interactive', content: emptyCard } });
    const parentId = first.data!.message_id!;
    const reply = await client.im.v1.message.reply({ path: { message_id: parentId }, data: { msg_type: 'text', content: '{"text":"re"}', reply_in_thread: true } });
    expect(reply.code).toBe(0);
    expect(fake.messages[1]).toMatchObject({ replyTo: parentId, receiveId: 'ou_r', chatId: p2pChatIdFor('ou_r'), replyInThread: true });

    const patched = await client.im.v1.message.patch({ path: { message_id: parentId }, data: { content: JSON.stringify({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'hr' }] } }) } });
    expect(patched.code).toBe(0);
    // SDK 1.74 has no typed method for the delayed card update; the generic request() is the way
    const upd = await client.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token: 'c-abc', card: { elements: [] } } });
    expect(upd).toEqual({ code: 0, msg: 'success' });
    expect(fake.updates).toHaveLength(2);
    expect(fake.updates[0]).toMatchObject({ messageId: parentId, card: { schema: '2.0' } });
    expect(fake.updates[1]).toMatchObject({ token: 'c-abc', card: { elements: [] } });

    const file = await client.im.v1.file.create({ data: { file_type: 'stream', file_name: 'report.xlsx', file: Buffer.from('0123456789') } });
    expect(file?.file_key).toMatch(/^file_v2_[0-9a-f]{32}$/);
    const upload = fake.requests.find((r) => r.path === '/open-apis/im/v1/files')!;
    expect(upload.body.fields).toMatchObject({ file_type: 'stream', file_name: 'report.xlsx' });
    // axios/form-data sends a Buffer part with no filename, hence ''
    expect(upload.body.files).toEqual([{ field: 'file', filename: '', size: 10 }]);

    const chat = await client.im.v1.chat.get({ path: { chat_id: 'oc_123' } });
    expect(chat.data?.name).toBe('Chat oc_123');
    fake.addUser({ openId: 'ou_abcd1234', name: '张班长' });
    const user = await client.contact.v3.user.get({ path: { user_id: 'ou_abcd1234' } });
    expect(user.data?.user?.name).toBe('张班长');

    const res = await fetch(`${fake.url}/open-apis/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 404, msg: 'not found in fake open platform' });
  });

  it('validates like Feishu: token, params, card size', async () => {
    const issued = await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'cli_test', app_secret: 'secret' }),
    });
    const { tenant_access_token: token } = (await issued.json()) as { tenant_access_token: string };
    const post = (path: string, body: unknown, auth: boolean | string = true) =>
      fetch(`${fake.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth === true ? token : auth}` } : {}) },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    expect(await post('/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: 'ou', msg_type: 'text', content: '{}' }, false)).toEqual({
      status: 400,
      body: { code: 99991661, msg: 'Missing access token' },
    });
    // a token it did not issue (guessed, or from another run) is refused as Feishu refuses an invalid one
    expect(await post('/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: 'ou', msg_type: 'text', content: '{}' }, 't-fake-guessed')).toMatchObject({ status: 400, body: { code: 99991663 } });
    expect((await post('/open-apis/im/v1/messages', { receive_id: 'ou', msg_type: 'text', content: '{}' })).body.code).toBe(230001);
    expect((await post('/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: 'ou', msg_type: 'audio', content: '{}' })).body.code).toBe(230001);
    expect((await post('/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: 'ou', msg_type: 'text', content: {} })).body.code).toBe(230001);
    expect((await post('/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: 'ou', msg_type: 'interactive', content: 'not json' })).body.code).toBe(230001);
    const big = JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'x'.repeat(31 * 1024) }] } });
    expect(await post('/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: 'ou', msg_type: 'interactive', content: big })).toEqual({
      status: 400,
      body: { code: 230025, msg: 'The length of the message content reaches its limit.' },
    });
    // a uuid over 50 characters (最大长度：50 字符)
    expect((await post('/open-apis/im/v1/messages?receive_id_type=open_id', { receive_id: 'ou', msg_type: 'text', content: '{"text":"x"}', uuid: 'u'.repeat(51) })).body).toEqual({ code: 230001, msg: 'invalid param: uuid' });
    expect(fake.messages).toHaveLength(0);
    // the token request, the guessed token and the seven refused sends: each recorded, none delivered
    expect(fake.requests).toHaveLength(9);
    // a file over what the multipart body may carry is answered as the upload page documents it, 234006
    const form = new FormData();
    form.set('file_type', 'stream');
    form.set('file_name', 'big.bin');
    form.set('file', new Blob([new Uint8Array(32 * 1024 * 1024)]), 'big.bin');
    const upload = await fetch(`${fake.url}/open-apis/im/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect({ status: upload.status, body: await upload.json() }).toEqual({ status: 400, body: { code: 234006, msg: 'The file size exceed the max value.' } });
  });

  it('answers only requests addressed to a loopback name: a foreign name resolved to this machine gets 403, its token or not', async () => {
    const port = new URL(fake.url).port;
    const asked = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${fake.url}/open-apis/contact/v3/users/ou_abcd1234`, { headers: { host, authorization: 'Bearer t-fake-guessed' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await asked(`rebind.evil.example:${port}`)).toBe(403);
    // loopback names reach it, and the guessed token is what it refuses then
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) expect(await asked(host)).toBe(400);
  });

  it('rejects wrong app credentials with code 10014 (SDK throws before sending)', async () => {
    const client = newClient(fake, 'wrong-secret');
    const err: any = await client.im.v1.message
      .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_x', msg_type: 'text', content: '{"text":"x"}' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).toMatch(/10014|app secret invalid/);
    expect(fake.requests.map((r) => r.path)).toEqual(['/open-apis/auth/v3/tenant_access_token/internal']);
  });
});
