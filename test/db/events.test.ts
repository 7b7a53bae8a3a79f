import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { auditLog, outbox, processedEvents } from '../../db/schema.js';
import { ADMIN, startHarness, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { cardActionEvent, legacyCardRequest, messageEvent, p2pChatEnteredEvent, signature, signedRequest, urlVerification } from '../support/larkEvents.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

const USER = 'ou_user0000000000000000000000000001';

async function count(table: typeof processedEvents | typeof outbox | typeof auditLog): Promise<number> {
  const [row] = await h.db.db.select({ n: sql<number>`count(*)::int` }).from(table);
  return Number(row.n);
}

function interactiveTo(openId: string) {
  return h.fake.messages.filter((m) => m.msgType === 'interactive' && m.receiveId === openId);
}

describe('help through the whole path', () => {
  it('answers 帮助 with one JSON 2.0 menu card, and a retried delivery changes nothing', async () => {
    const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: USER, text: '帮助' });
    const first = await h.post('/lark/events', event);
    expect(first.status).toBe(200);
    await h.drain();
    const cards = interactiveTo(USER);
    expect(cards).toHaveLength(1);
    expect(cards[0].receiveIdType).toBe('open_id');
    expect(cards[0].content.schema).toBe('2.0');
    expect(cards[0].content.header.title.content).toContain('质量信得过班组');
    const token = h.fake.requests.find((r) => r.path.endsWith('/messages'))?.headers.authorization;
    expect(token).toMatch(/^Bearer t-/);

    const before = { events: await count(processedEvents), outbox: await count(outbox) };
    const again = await h.post('/lark/events', event);
    expect(again.status).toBe(200);
    await h.drain();
    expect(interactiveTo(USER)).toHaveLength(1);
    expect(await count(processedEvents)).toBe(before.events);
    expect(await count(outbox)).toBe(before.outbox);
  });

  it('takes a click whose optional fields come as null (option, name, tag, token, context) as one without them', async () => {
    const event = cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, value: { action: 'help.menu' } }) as { event: Record<string, any> };
    Object.assign(event.event.action, { option: null, name: null, tag: null });
    Object.assign(event.event, { token: null, context: null });
    const res = await h.post('/lark/cards', event);
    expect(res.status).toBe(200);
    expect(res.body.card?.data?.schema).toBe('2.0');
    expect(res.body.toast?.type).not.toBe('error');
  });

  it('ignores a message another app sent, with or without a sender open_id, quietly', async () => {
    const before = h.fake.messages.length;
    for (const senderId of [{}, { open_id: '' }, null]) {
      const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: USER, text: '帮助' }) as { event: Record<string, any> };
      event.event.sender = { sender_id: senderId, sender_type: 'app', tenant_key: 't' };
      expect((await h.post('/lark/events', event)).status).toBe(200);
    }
    await h.drain();
    expect(h.fake.messages.length).toBe(before);
    expect(h.logs.some((l) => l.includes('malformed message event'))).toBe(false);
  });

  it('answers the English alias and a group mention by replying in the group', async () => {
    await h.say(USER, 'HELP');
    expect(interactiveTo(USER)).toHaveLength(1);
    const group = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, text: 'help', chatType: 'group', chatId: 'oc_group1', mentionBot: true, messageId: 'om_groupmsg1' });
    await h.post('/lark/events', group);
    await h.drain();
    const reply = h.fake.messages.find((m) => m.replyTo === 'om_groupmsg1');
    expect(reply?.content.schema).toBe('2.0');
    // a group message that does not mention the bot is not for it
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, text: 'help', chatType: 'group', chatId: 'oc_group1' }));
    await h.drain();
    expect(h.fake.messages).toHaveLength(2);
  });

  it('answers in a group only when the bot itself is mentioned (not @所有人, not someone else)', async () => {
    const withMention = (messageId: string, key: string, openId: string) => {
      const ev = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, text: '帮助', chatType: 'group', chatId: 'oc_group4', mentionBot: true, messageId }) as any;
      ev.event.message.content = JSON.stringify({ text: `${key} 帮助` });
      ev.event.message.mentions = [{ key, id: { open_id: openId, union_id: 'on_x', user_id: 'u_x' }, name: 'Someone', tenant_key: 't' }];
      return ev;
    };
    await h.post('/lark/events', withMention('om_other', '@_user_1', 'ou_someoneelse000000000000000000001'));
    await h.post('/lark/events', withMention('om_all', '@_all', 'all'));
    await h.drain();
    expect(h.fake.messages.filter((m) => m.replyTo === 'om_other' || m.replyTo === 'om_all')).toHaveLength(0);
  });

  it('answers a bare mention in a group with the menu', async () => {
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, text: '', chatType: 'group', chatId: 'oc_group2', mentionBot: true, messageId: 'om_baremention' }));
    await h.drain();
    const reply = h.fake.messages.find((m) => m.replyTo === 'om_baremention');
    expect(reply?.content.header.title.content).toContain('质量信得过班组');
  });

  it('keeps personal cards out of a group: the shared menu opens each person\'s own privately', async () => {
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, text: '帮助', chatType: 'group', chatId: 'oc_group3', mentionBot: true, messageId: 'om_grouphelp' }));
    await h.drain();
    const shared = h.fake.messages.find((m) => m.replyTo === 'om_grouphelp')!;
    const buttons = JSON.stringify(shared.content).match(/"action":"[^"]+"/g);
    expect(buttons).toEqual(['"action":"help.private"']);
    // read by everyone in the group, administrators too: it names no one's roles
    expect(JSON.stringify(shared.content)).not.toContain('你的身份');
    const res = await h.click(USER, { action: 'help.private' }, undefined, { chatId: 'oc_group3', messageId: shared.messageId });
    expect(res.card).toBeUndefined();
    expect(interactiveTo(USER)).toHaveLength(1);
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, text: '注册', chatType: 'group', chatId: 'oc_group3', mentionBot: true, messageId: 'om_groupregister' }));
    await h.drain();
    expect(h.fake.messages.find((m) => m.replyTo === 'om_groupregister')?.content.text).toContain('私聊');
    expect(interactiveTo(USER)).toHaveLength(2);
  });

  it('shows administrators more than visitors', async () => {
    await h.say(USER, '帮助');
    await h.say(ADMIN, '帮助');
    const actions = (openId: string) =>
      JSON.stringify(interactiveTo(openId)[0].content)
        .match(/"action":"[^"]+"/g)
        ?.sort() ?? [];
    expect(actions(ADMIN).length).toBeGreaterThan(actions(USER).length);
    expect(JSON.stringify(interactiveTo(ADMIN)[0].content)).toContain('协会管理员');
  });

  it('greets a user who opens the chat, once per day', async () => {
    const ev = () => p2pChatEnteredEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER });
    expect((await h.post('/lark/events', ev())).status).toBe(200);
    await h.post('/lark/events', ev());
    await h.drain();
    expect(interactiveTo(USER)).toHaveLength(1);
  });

  it('points unknown text to 帮助', async () => {
    await h.say(USER, '今天天气怎么样呀');
    const text = h.fake.messages.find((m) => m.receiveId === USER && m.msgType === 'text');
    expect(text?.content.text).toContain('帮助');
  });

  it('routes menu buttons by value.action and answers the card callback with a raw card', async () => {
    const res = await h.click(USER, { action: 'help.menu' });
    expect(res.card.type).toBe('raw');
    expect(res.card.data.schema).toBe('2.0');
    const unknown = await h.click(USER, { action: 'no.such.action' });
    expect(unknown.toast.type).toBe('error');
  });

  it('answers a retried card callback with a toast and no second effect', async () => {
    const ev = cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, value: { action: 'help.menu' } });
    const a = await h.post('/lark/cards', ev);
    const b = await h.post('/lark/cards', ev);
    expect(a.body.card).toBeDefined();
    expect(b.body.card).toBeUndefined();
    expect(b.body.toast.content).toContain('这次点击已收到');
  });
});

describe('callback security', () => {
  async function rowsNow() {
    return { events: await count(processedEvents), outbox: await count(outbox), audit: await count(auditLog) };
  }

  async function postRaw(headers: Record<string, string>, body: string, path = '/lark/events') {
    const res = await fetch(h.app.url + path, { method: 'POST', headers, body });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
  }

  const helpEvent = () => messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, text: '帮助' });

  it.each([
    ['a bad signature', () => {
      const r = signedRequest(helpEvent(), { encryptKey: TEST_ENCRYPT_KEY });
      return { headers: { ...r.headers, 'x-lark-signature': 'f'.repeat(64) }, body: r.body };
    }],
    ['a signature over another body', () => {
      const r = signedRequest(helpEvent(), { encryptKey: TEST_ENCRYPT_KEY });
      return { headers: r.headers, body: r.body.replace('{"encrypt"', '{ "encrypt"') };
    }],
    ['missing headers', () => {
      const r = signedRequest(helpEvent(), { encryptKey: TEST_ENCRYPT_KEY });
      return { headers: { 'content-type': 'application/json' }, body: r.body };
    }],
    ['a timestamp 10 minutes old', () => signedRequest(helpEvent(), { encryptKey: TEST_ENCRYPT_KEY, timestamp: Math.floor(Date.now() / 1000) - 600 })],
    ['a wrong verification token', () =>
      signedRequest(messageEvent({ token: 'wrong-token', openId: USER, text: '帮助' }), { encryptKey: TEST_ENCRYPT_KEY })],
    ['a signature made with another key', () => signedRequest(helpEvent(), { encryptKey: 'other-key' })],
    // signed and encrypted with the right key, but `null` (or a number) is no event: it was a 500
    ['an encrypted payload that is no JSON object', () => signedRequest(null as unknown as object, { encryptKey: TEST_ENCRYPT_KEY })],
    ['an encrypted number', () => signedRequest(123 as unknown as object, { encryptKey: TEST_ENCRYPT_KEY })],
  ])('refuses %s with 401 JSON and writes nothing', async (_name, build) => {
    const before = await rowsNow();
    const req = build();
    for (const path of ['/lark/events', '/lark/cards']) {
      const res = await postRaw(req.headers, req.body, path);
      expect(res.status).toBe(401);
      expect(res.type).toContain('application/json');
      expect(res.body).toEqual({ code: 401, msg: 'unauthorised' });
    }
    expect(h.logs.filter((l) => l.includes('callback refused')).at(-1)).toMatch(/"reason":"(bad_signature|missing_headers|stale|bad_token|undecryptable)"/);
    await h.drain();
    expect(await rowsNow()).toEqual(before);
    expect(h.fake.messages).toHaveLength(0);
  });

  it('answers another method on the callback addresses with 405 JSON, naming POST', async () => {
    for (const path of ['/lark/events', '/lark/cards']) {
      for (const method of ['GET', 'PUT']) {
        const res = await fetch(h.app.url + path, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(res.headers.get('allow')).toContain('POST');
        expect(await res.json()).toEqual({ code: 405, msg: 'method not allowed' });
      }
    }
  });

  it('answers a replayed request (same nonce and timestamp) without a second effect', async () => {
    const req = signedRequest(helpEvent(), { encryptKey: TEST_ENCRYPT_KEY });
    const first = await postRaw(req.headers, req.body);
    expect(first.status).toBe(200);
    await h.drain();
    const before = await rowsNow();
    const sent = h.fake.messages.length;
    const replay = await postRaw(req.headers, req.body);
    expect(replay.status).toBe(200);
    await h.drain();
    expect(await rowsNow()).toEqual(before);
    expect(h.fake.messages).toHaveLength(sent);
    const card = signedRequest(cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: USER, value: { action: 'help.menu' } }), { encryptKey: TEST_ENCRYPT_KEY });
    expect((await postRaw(card.headers, card.body, '/lark/cards')).body.card).toBeDefined();
    expect((await postRaw(card.headers, card.body, '/lark/cards')).body.toast.content).toContain('这次点击已收到');
  });

  it('acknowledges an old-style (v1) card callback, signed as Feishu signs those, without acting on it, and says what to change', async () => {
    const before = await rowsNow();
    const click = { open_id: USER, open_message_id: 'om_v1', tenant_key: 't', token: 'c-updatetoken', action: { value: { action: 'help.menu' }, tag: 'button' } };
    // the retired 消息卡片请求网址 signs with sha1 and the verification token, not sha256 and the encrypt key
    const v1 = legacyCardRequest(click, { verificationToken: TEST_VERIFICATION_TOKEN });
    const res = await postRaw(v1.headers, v1.body, '/lark/cards');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(await rowsNow()).toEqual(before);
    expect(h.logs.filter((l) => l.includes('old-style card callback')).at(-1)).toContain('卡片回传交互 (card.action.trigger)');
    // encrypted, it is signed as every encrypted callback (the SDK's checkIsCardEventValidated), its top-level token the card's
    const encrypted = signedRequest(click, { encryptKey: TEST_ENCRYPT_KEY });
    const warned = h.logs.filter((l) => l.includes('old-style card callback')).length;
    const answer = await postRaw(encrypted.headers, encrypted.body, '/lark/cards');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({});
    expect(h.logs.filter((l) => l.includes('old-style card callback'))).toHaveLength(warned + 1);
    // signed with another token, signed the 2.0 way, unsigned or stale: refused as any forgery is
    const forged = [
      legacyCardRequest(click, { verificationToken: 'not-the-token' }),
      signedRequest(click, { encryptKey: TEST_ENCRYPT_KEY, encrypt: false }),
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(click) },
      legacyCardRequest(click, { verificationToken: TEST_VERIFICATION_TOKEN, timestamp: Math.floor(Date.now() / 1000) - 600 }),
      signedRequest(click, { encryptKey: 'another-encrypt-key' }),
      { headers: { ...encrypted.headers, 'x-lark-signature': legacyCardRequest(click, { verificationToken: TEST_VERIFICATION_TOKEN }).headers['x-lark-signature'] }, body: encrypted.body },
    ];
    for (const f of forged) expect((await postRaw(f.headers, f.body, '/lark/cards')).status).toBe(401);
    expect(await rowsNow()).toEqual(before);
  });

  it('answers URL verification, plain and encrypted, by token alone', async () => {
    for (const encrypt of [false, true]) {
      const body = JSON.stringify(
        encrypt
          ? { encrypt: (await import('../support/larkEvents.js')).encryptPayload(TEST_ENCRYPT_KEY, JSON.stringify(urlVerification({ token: TEST_VERIFICATION_TOKEN, challenge: `ch-${encrypt}` }))) }
          : urlVerification({ token: TEST_VERIFICATION_TOKEN, challenge: `ch-${encrypt}` }),
      );
      const res = await postRaw({ 'content-type': 'application/json' }, body);
      expect(res.status).toBe(200);
      expect(res.type).toContain('application/json');
      expect(res.body).toEqual({ challenge: `ch-${encrypt}` });
    }
    const wrong = await postRaw({ 'content-type': 'application/json' }, JSON.stringify(urlVerification({ token: 'nope', challenge: 'x' })));
    expect(wrong.status).toBe(401);
  });

  it('answers what Node refuses before the routes (headers too large, an unknown method) in JSON too', async () => {
    const big = await fetch(`${h.app.url}/healthz`, { headers: { cookie: `a=${'x'.repeat(20_000)}` } });
    expect(big.status).toBe(431);
    expect(big.headers.get('content-type')).toContain('application/json');
    expect(await big.json()).toEqual({ code: 431, msg: 'request header fields too large' });
    const odd = await fetch(`${h.app.url}/lark/events`, { method: 'FOO' });
    expect(odd.status).toBe(400);
    expect(await odd.json()).toEqual({ code: 400, msg: 'bad request' });
    // the server still answers after them
    expect((await fetch(`${h.app.url}/healthz`)).status).toBe(200);
  });

  it('answers malformed JSON with 401 unsigned (a callback without a valid signature) and 400 signed, and an oversized body with 413', async () => {
    for (const body of ['{not json', '', 'a=1&b=2']) {
      const unsigned = await fetch(h.app.url + '/lark/cards', { method: 'POST', body });
      expect(unsigned.status, body).toBe(401);
      expect(await unsigned.json()).toEqual({ code: 401, msg: 'unauthorised' });
    }
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = 'nonce-malformed';
    const bad = await fetch(h.app.url + '/lark/events', {
      method: 'POST',
      headers: { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signature(timestamp, nonce, TEST_ENCRYPT_KEY, '{not json') },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    const big = await fetch(h.app.url + '/lark/events', { method: 'POST', body: 'x'.repeat(2_000_000) });
    expect(big.status).toBe(413);
  });

  it('a chunked body over the limit on a keep-alive connection: the 413 closes the connection, so the next request is not left waiting for the unread rest', async () => {
    const { port } = new URL(h.app.url);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      let got = '';
      socket.on('data', (d) => (got += d.toString()));
      socket.on('error', () => {});
      socket.on('close', () => resolve(got));
      socket.write('POST /lark/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = 'y'.repeat(100_000);
      for (let i = 0; i < 12; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      // without the close the server would read this as the body's rest and never answer it, nor end the connection
      setTimeout(() => socket.write('0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 300);
      setTimeout(() => socket.destroy(), 15_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain('{"code":413,"msg":"body larger than 1048576 bytes"');
  });

  it('an oversized body counts in /metrics under the endpoint it was sent to, not as unmatched, so operators see which one receives them', async () => {
    const count = async (route: string, status: string) => {
      const text = await (await fetch(h.app.url + '/metrics')).text();
      const line = text.split('\n').find((l) => l.startsWith(`bot_http_requests_total{route="${route}",status="${status}"}`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const before = { cards: await count('/lark/cards', '413'), events: await count('/lark/events', '413'), unmatched: await count('unmatched', '413') };
    expect((await fetch(h.app.url + '/lark/cards', { method: 'POST', body: 'x'.repeat(2_000_000) })).status).toBe(413);
    expect((await fetch(h.app.url + '/lark/cards', { method: 'POST', body: 'x'.repeat(2_000_000) })).status).toBe(413);
    expect((await fetch(h.app.url + '/lark/events', { method: 'POST', body: 'x'.repeat(2_000_000) })).status).toBe(413);
    // a path the bot has no endpoint for is still unmatched
    expect((await fetch(h.app.url + '/no/such/endpoint', { method: 'POST', body: 'x'.repeat(2_000_000) })).status).toBe(413);
    expect(await count('/lark/cards', '413')).toBe(before.cards + 2);
    expect(await count('/lark/events', '413')).toBe(before.events + 1);
    expect(await count('unmatched', '413')).toBe(before.unmatched + 1);
  });

  it('acknowledges an unencrypted signed event and an unknown event type', async () => {
    const res = await h.post('/lark/events', helpEvent(), { encrypt: false });
    expect(res.status).toBe(200);
    const other = await h.post('/lark/events', { schema: '2.0', header: { event_id: 'evt-unknown-1', token: TEST_VERIFICATION_TOKEN, event_type: 'im.message.reaction.created_v1' }, event: {} });
    expect(other.status).toBe(200);
    expect(other.body).toEqual({});
  });

  it('an event type the bot has no handler for is acknowledged and logged once per type, at info, not as a warning each time it arrives', async () => {
    const unknown = (id: string, type: string) => h.post('/lark/events', { schema: '2.0', header: { event_id: id, token: TEST_VERIFICATION_TOKEN, event_type: type }, event: {} });
    const from = h.logs.length;
    for (const [id, type] of [
      ['evt-read-1', 'im.message.message_read_v1'],
      ['evt-read-2', 'im.message.message_read_v1'],
      ['evt-read-3', 'im.message.message_read_v1'],
      ['evt-react-1', 'im.message.reaction.deleted_v1'],
      ['evt-react-2', 'im.message.reaction.deleted_v1'],
    ]) {
      const res = await unknown(id, type);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
    }
    const lines = h.logs.slice(from).map((l) => JSON.parse(l) as { level: number; msg: string; eventType?: string });
    const about = (type: string) => lines.filter((l) => JSON.stringify(l).includes(type));
    // pino levels: 30 info, 40 warn
    for (const type of ['im.message.message_read_v1', 'im.message.reaction.deleted_v1']) {
      expect(about(type).map((l) => ({ level: l.level, eventType: l.eventType })), type).toEqual([{ level: 30, eventType: type }]);
    }
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('a handler that fails is still logged as a failure: the quiet line is only for types with no handler', async () => {
    const processor = h.app.processor as unknown as { onOtherEvent: (type: string, d: unknown) => Promise<void> };
    const real = processor.onOtherEvent;
    processor.onOtherEvent = async () => {
      throw new Error('the group handler failed');
    };
    const from = h.logs.length;
    try {
      const res = await h.post('/lark/events', { schema: '2.0', header: { event_id: 'evt-added-fails-1', token: TEST_VERIFICATION_TOKEN, event_type: 'im.chat.member.bot.added_v1' }, event: {} });
      expect(res.status).toBe(500);
    } finally {
      processor.onOtherEvent = real;
    }
    const lines = h.logs.slice(from).map((l) => JSON.parse(l) as { level: number; msg: string });
    // pino: 50 error
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual(['request failed']);
    expect(JSON.stringify(lines)).toContain('the group handler failed');
    expect(JSON.stringify(lines)).not.toContain('no handler');
  });

  it('serves health and metrics', async () => {
    const health = await fetch(h.app.url + '/healthz');
    expect(health.status).toBe(200);
    // an idle connection is kept longer than a TLS terminator keeps its own (nginx: 60 s)
    expect(health.headers.get('keep-alive')).toBe('timeout=65');
    const metrics = await (await fetch(h.app.url + '/metrics')).text();
    expect(metrics).toContain('bot_events_total');
  });

  it('never logs the secrets', () => {
    const all = h.logs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN, 'test-secret']) expect(all).not.toContain(secret);
  });
});
