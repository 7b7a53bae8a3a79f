import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { p2pChatIdFor, startFakeOpenPlatform, type FakeOpenPlatform } from '../src/local/fakeOpenPlatform.js';

/**
 * The simulated platform refuses what Feishu refuses for sending too fast:
 * 向同一用户发送消息的限频为 5 QPS、向同一群组发送消息的限频为群内机器人共享 5 QPS (https://open.feishu.cn/document/server-docs/im-v1/message/create)
 * and 单条消息更新频控为 5 QPS (https://open.feishu.cn/document/server-docs/im-v1/message-card/patch): HTTP 400, code 230020.
 */
let fake: FakeOpenPlatform;
let token: string;
/**
 * The fake's rate clock, held still: a burst lands within one window however slowly the machine gets its requests
 * there, and a test moves it past the window instead of sleeping through one.
 */
let rateAt = 1_000_000_000;
beforeAll(async () => {
  fake = await startFakeOpenPlatform({ rateNow: () => rateAt });
  const res = await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  token = ((await res.json()) as { tenant_access_token: string }).tenant_access_token;
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => fake.reset());

const card = (n: number) => ({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: `n ${n}` }] } });
const call = (method: string, path: string, body: unknown) =>
  fetch(fake.url + path, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { code: number; data?: { message_id?: string } },
  }));
const sendTo = (type: 'open_id' | 'chat_id', id: string, n: number) =>
  call('POST', `/open-apis/im/v1/messages?receive_id_type=${type}`, { receive_id: id, msg_type: 'interactive', content: JSON.stringify(card(n)) });
const replyTo = (messageId: string, n: number) => call('POST', `/open-apis/im/v1/messages/${messageId}/reply`, { msg_type: 'interactive', content: JSON.stringify(card(n)) });
const codes = (answers: { status: number; body: { code: number } }[]) => answers.map((a) => a.body.code);

describe('5 messages a second per receiver', () => {
  it('refuses the sixth message to one user within a second with 230020 (HTTP 400), and takes another user’s', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => sendTo('open_id', 'ou_burst', i)));
    expect(codes(answers).filter((c) => c === 0)).toHaveLength(5);
    expect(answers.filter((a) => a.body.code === 230020).every((a) => a.status === 400)).toBe(true);
    expect(codes(answers).filter((c) => c === 230020)).toHaveLength(3);
    expect((await sendTo('open_id', 'ou_other', 0)).body.code).toBe(0);
    expect(fake.messages.filter((m) => m.receiveId === 'ou_burst')).toHaveLength(5);
  });

  it('counts a user and their p2p chat as one receiver, replies included', async () => {
    const user = 'ou_p2pperson';
    const first = await sendTo('open_id', user, 0);
    const parent = first.body.data!.message_id!;
    const byChat = await Promise.all([1, 2].map((n) => sendTo('chat_id', p2pChatIdFor(user), n)));
    const replies = await Promise.all([3, 4].map((n) => replyTo(parent, n)));
    expect(codes([first, ...byChat, ...replies])).toEqual([0, 0, 0, 0, 0]);
    // the sixth, whichever way it goes
    expect((await replyTo(parent, 5)).body.code).toBe(230020);
    expect((await sendTo('chat_id', p2pChatIdFor(user), 6)).body.code).toBe(230020);
    expect((await sendTo('open_id', user, 7)).body.code).toBe(230020);
  });

  it('counts a group chat as one receiver, and takes its messages again once the second is over', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => sendTo('chat_id', 'oc_group', i)));
    expect(codes(answers).filter((c) => c === 230020)).toHaveLength(1);
    rateAt += 999;
    expect((await sendTo('chat_id', 'oc_group', 8)).body.code).toBe(230020);
    rateAt += 1;
    expect((await sendTo('chat_id', 'oc_group', 9)).body.code).toBe(0);
  });
});

it('refuses the sixth update of one message within a second with 230020, and takes an update of another message', async () => {
  const one = (await sendTo('open_id', 'ou_upd1', 0)).body.data!.message_id!;
  const two = (await sendTo('open_id', 'ou_upd2', 0)).body.data!.message_id!;
  const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => call('PATCH', `/open-apis/im/v1/messages/${one}`, { content: JSON.stringify(card(i)) })));
  expect(codes(answers).filter((c) => c === 0)).toHaveLength(5);
  expect(answers.filter((a) => a.body.code !== 0).every((a) => a.status === 400 && a.body.code === 230020)).toBe(true);
  expect((await call('PATCH', `/open-apis/im/v1/messages/${two}`, { content: JSON.stringify(card(1)) })).body.code).toBe(0);
});

it('refuses a callback answer that turns a JSON 2.0 card into a JSON 1.0 card (200830), and takes a 2.0 one', async () => {
  const id = (await sendTo('open_id', 'ou_callback', 0)).body.data!.message_id!;
  const old = { config: { update_multi: true }, elements: [{ tag: 'div', text: { tag: 'plain_text', content: '旧版卡片' } }] };
  expect(fake.answerCallback(id, { card: { type: 'raw', data: old } })).toMatchObject({ ok: false, code: 200830 });
  expect(fake.currentCard(id)).toEqual(card(0));
  expect(fake.answerCallback(id, { card: { type: 'raw', data: card(1) } })).toEqual({ ok: true });
  expect(fake.currentCard(id)).toEqual(card(1));
});

describe('50 messages a second and 1 000 a minute per app', () => {
  it('refuses the 51st message within a second, to anyone, with HTTP 429 99991400 and the seconds until the window reopens', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => sendTo('open_id', `ou_many${Math.floor(i / 5)}`, i)));
    expect(codes(answers).filter((c) => c === 0)).toHaveLength(50);
    const refused = answers.filter((a) => a.body.code === 99991400);
    expect(refused).toHaveLength(10);
    expect(refused.every((a) => a.status === 429)).toBe(true);
    const raw = await fetch(`${fake.url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ receive_id: 'ou_onemore', msg_type: 'text', content: JSON.stringify({ text: 'x' }) }),
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('x-ogw-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    rateAt += 999;
    expect((await sendTo('open_id', 'ou_onemore', 0)).body.code).toBe(99991400);
    rateAt += 1;
    expect((await sendTo('open_id', 'ou_onemore', 0)).body.code).toBe(0);
  });

  it('refuses past the minute’s count though no second holds 50 (here a minute of 100, lifted as a test lifts it)', async () => {
    const small = await startFakeOpenPlatform({ perAppPerMinute: 100, rateNow: () => rateAt });
    try {
      const t = ((await (await fetch(`${small.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { tenant_access_token: string }).tenant_access_token;
      const sendSmall = (id: string) =>
        fetch(`${small.url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
          body: JSON.stringify({ receive_id: id, msg_type: 'text', content: JSON.stringify({ text: 'x' }) }),
        }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { code: number }).code }));
      let taken = 0;
      for (let s = 0; s < 3; s++) {
        const answers = await Promise.all(Array.from({ length: 45 }, (_, i) => sendSmall(`ou_minute${s}_${Math.floor(i / 5)}`)));
        taken += answers.filter((a) => a.code === 0).length;
        expect(answers.filter((a) => a.code !== 0).every((a) => a.status === 429 && a.code === 99991400)).toBe(true);
        rateAt += 1005;
      }
      expect(taken).toBe(100);
    } finally {
      await small.close();
    }
  });
});

it('refuses the 51st card update within a second, of any messages, with HTTP 429 99991400: PATCH has its own 50/s, apart from sends', async () => {
  // 接口频率限制 1000 次/分钟、50 次/秒 (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch)
  const ids: string[] = [];
  for (let i = 0; i < 11; i++) {
    ids.push((await sendTo('open_id', `ou_patchmany${i}`, 0)).body.data!.message_id!);
    rateAt += 1000;
  }
  // 55 updates, five of each of 11 cards: none over its card's 5 a second, the app over its 50
  const answers = await Promise.all(Array.from({ length: 55 }, (_, i) => call('PATCH', `/open-apis/im/v1/messages/${ids[i % 11]}`, { content: JSON.stringify(card(i)) })));
  expect(codes(answers).filter((c) => c === 0)).toHaveLength(50);
  expect(answers.filter((a) => a.body.code !== 0).every((a) => a.status === 429 && a.body.code === 99991400)).toBe(true);
  // the sends' own limit is untouched by the updates
  expect((await sendTo('open_id', 'ou_patchother', 0)).body.code).toBe(0);
  rateAt += 1000;
  expect((await call('PATCH', `/open-apis/im/v1/messages/${ids[0]}`, { content: JSON.stringify(card(99)) })).body.code).toBe(0);
});
