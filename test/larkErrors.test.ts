import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { botIdentity, classifyFailure, createLarkClient, inertText, LarkTransport, SDK_HTTP_TIMEOUT_MS } from '../src/lark/client.js';
import { createLogger } from '../src/log.js';
import { FAKE_BOT_OPEN_ID, type FakeOpenPlatform, startFakeOpenPlatform } from '../src/local/fakeOpenPlatform.js';
import { defaultOutboxLimits, type OutboxRow } from '../src/outbox.js';
import { CertificateSetupError, CertificateTooLargeError } from '../src/certificates/render.js';

const quiet = createLogger('fatal', new Writable({ write: (_c, _e, cb) => cb() }));

let fake: FakeOpenPlatform;
let transport: LarkTransport;
beforeAll(async () => {
  fake = await startFakeOpenPlatform({ appId: 'cli_errors', appSecret: 'errors-secret' });
  transport = new LarkTransport(createLarkClient({ appId: 'cli_errors', appSecret: 'errors-secret', domain: fake.url, log: quiet }));
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => fake.reset());

let n = 0;
function row(kind: 'send' | 'update'): OutboxRow {
  n++;
  return {
    id: n,
    dedupeKey: `errors:${n}`,
    kind,
    receiveIdType: kind === 'send' ? 'open_id' : 'message_id',
    receiver: kind === 'send' ? 'ou_errors' : `om_patched${n}`,
    rateKey: 'ou_errors',
    msgType: 'interactive',
    priority: 1,
    card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: `message ${n}` }] } },
    status: 'sending',
    attempts: 1,
    nextAttemptAt: new Date(),
    claimedAt: new Date(),
    sentAt: null,
    messageId: null,
    lastError: null,
    asked: null,
    afterKey: null,
    createdAt: new Date(),
  };
}

type Expected = 'retry' | 'undeliverable' | 'permanent';
const outcomeOf = (o: Awaited<ReturnType<LarkTransport['deliver']>>): Expected | 'sent' | 'dropped' =>
  o.ok ? 'sent' : 'drop' in o ? 'dropped' : o.undeliverable ? 'undeliverable' : o.retryable ? 'retry' : 'permanent';

// [code, HTTP status Feishu answers it with, what the outbox must do, which call it concerns]
const table: [number, number, Expected, 'send' | 'update'][] = [
  [99991401, 400, 'permanent', 'send'],
  [230049, 400, 'retry', 'send'],
  [230020, 400, 'retry', 'send'],
  [99991400, 400, 'retry', 'send'],
  // the message service's frequency control in a burst: "create message trigger rate limit"
  [11232, 400, 'retry', 'send'],
  [230002, 400, 'undeliverable', 'send'],
  [230053, 400, 'undeliverable', 'send'],
  [230029, 400, 'undeliverable', 'send'],
  [230034, 400, 'undeliverable', 'send'],
  [230038, 400, 'undeliverable', 'send'],
  [232009, 400, 'undeliverable', 'send'],
  // the group's settings forbid it (only some members may speak), retried later for a chat as a mute is
  [230018, 400, 'undeliverable', 'send'],
  // a connection group (私有互通群) takes no cards: that receiver only
  [230054, 400, 'undeliverable', 'send'],
  // an upload while the app's data is read-only for a while: 应用信息被停写，请稍后重试
  [232096, 400, 'retry', 'send'],
  [230031, 400, 'undeliverable', 'update'],
  [230110, 400, 'undeliverable', 'update'],
  [230011, 400, 'undeliverable', 'update'],
  [230099, 400, 'permanent', 'send'],
  // the app lacks the scope every send needs: held as an outage until an administrator adds it, never given up
  [99991672, 400, 'retry', 'send'],
  [1, 500, 'retry', 'send'],
];

describe('Feishu error codes, as the SDK reports them from the simulated Open Platform', () => {
  it.each(table)('code %i (HTTP %i) is %s', async (code, status, expected, kind) => {
    fake.injectFaults([{ status, code }], (req) => (kind === 'update' ? req.method === 'PATCH' : req.method === 'POST'));
    const outcome = await transport.deliver(row(kind));
    expect(outcomeOf(outcome)).toBe(expected);
    expect(outcome).toMatchObject({ error: expect.stringContaining(`code ${code}`) });
    // one call only: none of these is retried inside the transport
    expect(fake.requests.filter((r) => r.path.startsWith('/open-apis/im/'))).toHaveLength(1);
  });

  it('code 230099 "card action is lock" (a 2.0 card being clicked) is tried again once the click is answered (the outbox\'s cardLockedRetryMs, 3 s); any other 230099 is permanent', async () => {
    fake.injectFaults([{ status: 400, code: 230099, msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: card action is lock; ErrorValue: ; ' }], (req) => req.method === 'PATCH');
    const locked = await transport.deliver(row('update'));
    expect(locked).toMatchObject({ ok: false, retryable: true, undeliverable: false, cardLocked: true });
    expect(defaultOutboxLimits.cardLockedRetryMs).toBe(3_000);
    fake.injectFaults([{ status: 400, code: 230099, msg: 'Failed to create card content, ext=ErrCode: 200621; ErrMsg: parse card json err' }], (req) => req.method === 'PATCH');
    expect(outcomeOf(await transport.deliver(row('update')))).toBe('permanent');
  });

  it.each(table.filter(([, , expected]) => expected === 'undeliverable'))('code %i (HTTP %i) says whether the chat itself is gone for the bot', async (code, status, _expected, kind) => {
    fake.injectFaults([{ status, code }], (req) => (kind === 'update' ? req.method === 'PATCH' : req.method === 'POST'));
    const outcome = await transport.deliver(row(kind));
    // 230002 bot not in the chat, 230034 chat not found, 232009 chat disbanded: its bindings no longer hold
    expect(!outcome.ok && 'chatGone' in outcome && outcome.chatGone === true).toBe([230002, 230034, 232009, 230054].includes(code));
  });

  it.each([
    [429, 230020, 3],
    [400, 99991400, 2],
  ])('HTTP %i code %i waits for x-ogw-ratelimit-reset (%i s)', async (status, code, resetSeconds) => {
    fake.injectFaults([{ status, code, resetSeconds }]);
    const outcome = await transport.deliver(row('send'));
    expect(outcome).toMatchObject({ ok: false, retryable: true, retryAfterMs: resetSeconds * 1000 });
  });

  it.each([99991661, 99991663, 99991664, 99991665, 99991668])('token code %i drops the cached token and tries once more', async (code) => {
    expect(outcomeOf(await transport.deliver(row('send')))).toBe('sent');
    const tokensBefore = fake.issuedTokens.length;
    fake.revokeTokens(code);
    const outcome = await transport.deliver(row('send'));
    expect(outcomeOf(outcome)).toBe('sent');
    expect(fake.issuedTokens.length).toBe(tokensBefore + 1);
    const sends = fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages');
    expect(sends.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${fake.issuedTokens.at(-2)}`,
      `Bearer ${fake.issuedTokens.at(-2)}`,
      `Bearer ${fake.issuedTokens.at(-1)}`,
    ]);
  });

  it('the bot’s own open_id is asked again on a fresh token when Feishu refuses the cached one, not given up for ten minutes', async () => {
    const client = createLarkClient({ appId: 'cli_errors', appSecret: 'errors-secret', domain: fake.url, log: quiet });
    expect(outcomeOf(await new LarkTransport(client).deliver(row('send')))).toBe('sent');
    const tokensBefore = fake.issuedTokens.length;
    fake.revokeTokens(99991663);
    expect(await botIdentity(client, quiet)()).toBe(FAKE_BOT_OPEN_ID);
    expect(fake.issuedTokens.length).toBe(tokensBefore + 1);
  });

  it('a token refused twice is retried later, not dead-lettered and not refreshed in a loop', async () => {
    fake.injectFaults([
      { status: 400, code: 99991663 },
      { status: 400, code: 99991663 },
    ]);
    const outcome = await transport.deliver(row('send'));
    expect(outcomeOf(outcome)).toBe('retry');
    expect(fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages')).toHaveLength(2);
  });

  it('classifies without a response: a network failure or timeout is retried', () => {
    expect(outcomeOf(classifyFailure(undefined, undefined, 'timeout of 20000ms exceeded'))).toBe('retry');
    expect(outcomeOf(classifyFailure(503, undefined, 'Service Unavailable'))).toBe('retry');
    expect(outcomeOf(classifyFailure(400, 230001, 'invalid param'))).toBe('permanent');
  });

  it('230028 (the tenant’s DLP) and 99992361 (another app’s open_id) are permanent, each marked for the outbox to act on', () => {
    expect(classifyFailure(400, 230028, 'The messages do NOT pass the audit.')).toMatchObject({ ok: false, retryable: false, undeliverable: false, dlpRefused: true });
    expect(classifyFailure(400, 99992361, 'open_id cross app')).toMatchObject({ ok: false, retryable: false, undeliverable: false, foreignOpenId: true });
  });

  it('gives every SDK call a timeout, short enough that a whole delivery stays inside the outbox lease', async () => {
    // the longest delivery: a token, an upload and the send, then all three again after a refused token, and the attachment drawn
    expect(2 * 3 * SDK_HTTP_TIMEOUT_MS).toBeLessThanOrEqual(defaultOutboxLimits.leaseMs - 30_000);
    const impatient = new LarkTransport(createLarkClient({ appId: 'cli_errors', appSecret: 'errors-secret', domain: fake.url, log: quiet, timeoutMs: 300 }));
    fake.injectFaults([{ status: 200, code: 0, delayMs: 3000 }]);
    const started = Date.now();
    const outcome = await impatient.deliver(row('send'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(outcome).toMatchObject({ error: expect.stringContaining('timeout') });
  });
});

describe('an attachment that cannot be drawn', () => {
  it('a certificate with no font installed is tried again in an hour, its line kept; one too heavy for Feishu is given up; any other drawing failure is tried again soon', async () => {
    const rows = (kind: string) => ({ ...row('send'), msgType: 'image', card: { render: { kind } } }) as OutboxRow;
    const drawing = Object.assign(async (spec: { kind: string }) => {
      if (spec.kind === 'certificate') throw new CertificateSetupError('CERTIFICATE_FONT: font not found: /usr/share/fonts/x.ttc (Debian/Ubuntu: apt-get install fonts-wqy-microhei, …)');
      throw new Error('socket hang up');
    }, {});
    const drawer = new LarkTransport(createLarkClient({ appId: 'cli_errors', appSecret: 'errors-secret', domain: fake.url, log: quiet }), drawing as never);
    const noFont = await drawer.deliver(rows('certificate'));
    expect(outcomeOf(noFont)).toBe('retry');
    expect(noFont).toMatchObject({ retryAfterMs: 3_600_000, error: expect.stringMatching(/^CERTIFICATE_FONT: font not found/) });
    // a zip of one certificate past Feishu's 30 MB is drawn the same at every attempt: given up at the first
    const tooLarge = 'CERTIFICATE_TEMPLATE: 证书 GDSZ-ZS-2027-0001 的图片和 PDF 压缩后 31.2 MB，超过飞书文件上限 30 MB：请缩小证书模板中嵌入的图片';
    const heavy = new LarkTransport(createLarkClient({ appId: 'cli_errors', appSecret: 'errors-secret', domain: fake.url, log: quiet }), Object.assign(async () => Promise.reject(new CertificateTooLargeError(tooLarge)), {}));
    const given = await heavy.deliver({ ...row('send'), msgType: 'file', card: { fileType: 'stream', fileName: '2027年度质量信得过班组荣誉证书.zip', render: { kind: 'certificateZip', cycleId: 1 } } } as OutboxRow);
    expect(outcomeOf(given)).toBe('permanent');
    expect(given).toMatchObject({ error: tooLarge });
    const other = await drawer.deliver(rows('other'));
    expect(outcomeOf(other)).toBe('retry');
    expect(other).not.toHaveProperty('retryAfterMs');
    expect(fake.messages).toHaveLength(0);
  });
});

describe('a text message', () => {
  it('goes out with nothing Feishu reads as a mention, a style or a link, however a quoted name was typed', async () => {
    const text = '协会已将“<at user_id="all"></at>[点此查看](https://phish.example)<b>班</b>（GDSZ-2026-0001）”的评分任务改派给其他专家。分数 < 60';
    const sent = await transport.deliver({ ...row('send'), msgType: 'text', card: { text } } as OutboxRow);
    expect(sent.ok).toBe(true);
    const got = String(fake.messages.at(-1)!.content.text);
    expect(got).toBe('协会已将“＜at user_id="all">＜/at>［点此查看］(https://phish.example)＜b>班＜/b>（GDSZ-2026-0001）”的评分任务改派给其他专家。分数 < 60');
    expect(inertText('第十五条：请填写单位联系人。')).toBe('第十五条：请填写单位联系人。');
    // a JSON example in a refusal keeps its brackets
    expect(inertText('例如：[{"code": "1", "items": [1, 2]}]')).toBe('例如：[{"code": "1", "items": [1, 2]}]');
  });
});
