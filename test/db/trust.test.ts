import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { count, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, outbox, people, rateLimitHits, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { PRIVATE_NOT_RECEIVED, PRIVATE_NOT_RECEIVED_ADMIN } from '../../bot/respond.js';
import { complaintRateLimit } from '../../src/web/complaintForm.js';
import { createTestDatabase } from '../support/db.js';
import { type Harness, startHarness, startTestBot, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent, randomMessageId, signedRequest } from '../support/larkEvents.js';
import { until } from '../support/waiting.js';
import { personas, startSecurityHarness } from './securityFixture.js';
import { cardActions, cardText } from '../support/cards.js';

const APP_SECRET = 'app-secret-Qm7vX2kP9wLr4TnB';
const SECRETS = { APP_SECRET, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN };
const USER = 'ou_trustuser0000000000000000000001';
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const listen = (s: Server) => new Promise<string>((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
const closeServer = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

/** A port nothing listens on: the token request fails at the network level (ECONNREFUSED). */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  const url = await listen(s);
  await closeServer(s);
  return url;
}

/** A reverse proxy in front of Feishu answering 502 to everything, the token endpoint included. */
async function badGatewayUrl(): Promise<string> {
  const s = createServer((req, res) => {
    req.resume();
    res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 502, msg: 'bad gateway' }));
  });
  cleanups.push(() => closeServer(s));
  return listen(s);
}

describe('no secret in the logs when the token endpoint fails (acceptance 2)', () => {
  it.each([
    ['at the network level (closed port)', closedPortUrl, /ECONNREFUSED/],
    ['at the HTTP level (502 from a proxy)', badGatewayUrl, /HTTP 502/],
  ])('%s', async (_name, domain, shown) => {
    const db = await createTestDatabase();
    const { app, logs } = await startTestBot({
      env: {
        LARK_APP_ID: 'cli_trust',
        LARK_APP_SECRET: APP_SECRET,
        LARK_DOMAIN: await domain(),
        LARK_EVENT_MODE: 'http',
        LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY,
        LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN,
        LOG_LEVEL: 'debug',
      },
      db,
      clock: new ManualClock('2026-03-01T09:00:00+08:00'),
    });
    try {
      const req = signedRequest(messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_trust', openId: USER, text: '帮助' }), { encryptKey: TEST_ENCRYPT_KEY });
      const res = await fetch(app.url + '/lark/events', { method: 'POST', headers: req.headers, body: req.body });
      expect(res.status).toBe(200);
      // one send attempt: the SDK asks for a token, fails, logs, and the outbox records a retryable failure (a closed
      // port is an outage the start-up check may already have seen: the send waits for its first pause, a second)
      await until(async () => (await app.dispatcher.runOnce()) > 0);
      // a call with no answer is logged once by the outbox as an outage (the SDK's own line goes to debug); an HTTP
      // failure by the SDK
      const sdkLines = logs.filter((l) => l.includes('"component":"lark-sdk"') || l.includes('Open Platform out of reach'));
      expect(sdkLines.length, 'the failure was logged').toBeGreaterThan(0);
      expect(sdkLines.join('\n')).toMatch(shown);
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(logs.filter((l) => l.includes(secret)), `${name} in a log line`).toEqual([]);
      }
    } finally {
      await app.stop();
      await db.close();
    }
  }, 120_000);
});

describe('answers that say no more than they must (issue 11, point 8)', () => {
  it('/healthz answers 503 without the database error, which goes to the log', async () => {
    const db = await createTestDatabase();
    const { app, logs } = await startTestBot({
      env: { LARK_APP_ID: 'cli_trust', LARK_APP_SECRET: APP_SECRET, LARK_DOMAIN: await closedPortUrl(), LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN },
      db,
      clock: new ManualClock('2026-03-01T09:00:00+08:00'),
    });
    try {
      expect((await fetch(app.url + '/healthz')).status).toBe(200);
      await db.close();
      const res = await fetch(app.url + '/healthz');
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body).toEqual({ status: 'unavailable', database: db.kind });
      const line = logs.find((l) => l.includes('health check failed'));
      expect(line).toBeDefined();
      expect(JSON.parse(line!).err).toBeTruthy();
    } finally {
      await app.stop();
    }
  }, 120_000);
});

/** A request with a Host header of our choosing (fetch would send the URL's own). */
function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('the local console refuses what a foreign page could send (issue 11, point 7)', () => {
  it('answers 415 to a non-JSON body and 403 to a foreign Origin, changing nothing; its own page still works', async () => {
    const db = await createTestDatabase();
    const { app } = await startTestBot({ env: {}, db, clock: new ManualClock('2026-03-01T09:00:00+08:00') });
    try {
      expect(app.config.localMode).toBe(true);
      const people = async () => ((await (await fetch(app.url + '/dev/api/people')).json()) as { people: unknown[] }).people.length;
      const before = await people();
      const body = JSON.stringify({ name: '跨站来客', roles: ['admin'] });
      const plain = await fetch(app.url + '/dev/api/people', { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      expect(plain.status).toBe(415);
      const foreign = await fetch(app.url + '/dev/api/people', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body });
      expect(foreign.status).toBe(403);
      const crossSite = await fetch(app.url + '/dev/api/say', { method: 'POST', headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, body: '{}' });
      expect(crossSite.status).toBe(403);
      expect(await people()).toBe(before);
      // DNS rebinding: a foreign name resolved to 127.0.0.1 reads nothing, and writes nothing even with its own Origin
      const rebound = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
        request(app.url + path, { ...init, headers: { ...init.headers, host: 'rebind.evil.example:' + new URL(app.url).port } });
      for (const path of ['/dev', '/dev/api/people', '/dev/api/messages', '/dev/api/chats']) expect((await rebound(path)).status).toBe(403);
      const reboundWrite = await rebound('/dev/api/people', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://rebind.evil.example:' + new URL(app.url).port }, body });
      expect(reboundWrite.status).toBe(403);
      expect(reboundWrite.body).not.toContain('本地新人');
      expect(await people()).toBe(before);
      for (const host of ['localhost', '127.0.0.1', '[::1]']) expect((await request(app.url + '/dev/api/people', { headers: { host: `${host}:${new URL(app.url).port}` } })).status).toBe(200);
      const own = await fetch(app.url + '/dev/api/people', { method: 'POST', headers: { 'content-type': 'application/json', origin: app.url }, body: JSON.stringify({ name: '本地新人' }) });
      expect(own.status).toBe(200);
      expect(await people()).toBe(before + 1);
    } finally {
      await app.stop();
      await db.close();
    }
  }, 120_000);
});

describe('the public complaint form refuses what another site\'s page posts (the local console\'s check)', () => {
  let h: Harness;
  let code = '';
  let visitor = 0;
  const FORM = 'application/x-www-form-urlencoded';
  const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  beforeAll(async () => {
    // one reverse proxy in front: each post below comes from a visitor of its own, so no limit is what refuses it
    h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00'), env: { TRUST_PROXY: '1' } });
    cleanups.push(() => h.close());
    const [org] = await h.db.db.insert(organizations).values({ name: '清远市政公司' }).returning();
    await h.db.db.insert(people).values([{ openId: 'ou_cs_leader' }, { openId: 'ou_cs_contact' }]);
    const [team] = await h.db.db
      .insert(teams)
      .values({ code: 'GDSZ-2025-0201', name: '清远排水养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_cs_leader', phone: '0763-1234567', memberCount: 6, functions: '排水养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: 'ou_cs_contact', registeredAt: '2025-01-10' })
      .returning();
    code = team.code;
  }, 120_000);

  const stored = async () => (await h.db.db.select({ n: count() }).from(complaints))[0].n;
  const counted = async () => (await h.db.db.select({ n: count() }).from(rateLimitHits))[0].n;
  async function post(body: string, headers: Record<string, string>) {
    const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'x-forwarded-for': `198.51.100.${++visitor}`, ...headers }, body });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  }
  const json = (content: string) => JSON.stringify({ team: code, content });
  const form = (content: string) => new URLSearchParams({ team: code, content }).toString();

  it('a cross-site post is refused with 403 and a Chinese answer, stores nothing and uses none of the hourly cap', async () => {
    const [before, hits] = [await stored(), await counted()];
    const foreign = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    // fetch(…, {mode: 'no-cors'}) from another site: text/plain needs no preflight
    const plain = await post(json('别的网站替访客提交的投诉'), { ...foreign, 'content-type': 'text/plain' });
    expect(plain.status).toBe(403);
    expect(JSON.parse(plain.text)).toEqual({ code: 403, msg: expect.stringContaining('其他网站的页面提交的，未被受理') });
    // an HTML form on another site, posted by the visitor's browser: the refusal is a page, with the way to the real form
    const page = await post(form('别的网站的表单提交的投诉'), { ...foreign, 'content-type': FORM, accept: BROWSER_ACCEPT });
    expect(page.status).toBe(403);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.text).toContain('投诉未能提交');
    expect(page.text).toContain('其他网站的页面提交的');
    expect(page.text).toContain('href="/complaints/new"');
    // a browser that sends no Sec-Fetch-Site: its foreign Origin is enough; JSON too (a preflight would stop it, this checks the server alone)
    for (const type of ['application/json', FORM, 'text/plain']) expect((await post(json('旧浏览器'), { origin: 'https://evil.example', 'content-type': type })).status, type).toBe(403);
    // an opaque origin (a sandboxed frame) is not ours either; a same-site page of another host is not our page
    expect((await post(json('沙箱'), { origin: 'null', 'content-type': 'application/json' })).status).toBe(403);
    expect((await post(json('兄弟站点'), { origin: 'https://www.evil.example', 'sec-fetch-site': 'same-site', 'content-type': FORM })).status).toBe(403);
    expect(await stored()).toBe(before);
    expect(await counted()).toBe(hits);
  });

  it('a body that is neither JSON nor the form is refused with 415 naming what to send', async () => {
    const before = await stored();
    const plain = await post(json('纯文本'), { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.text).msg).toBe('请求内容须为 JSON（content-type: application/json）：{"team":"被投诉班组","content":"投诉内容","contact":"联系方式（选填）"}');
    expect((await post(json('无类型'), {})).status).toBe(415);
    expect(await stored()).toBe(before);
  });

  it('the page itself, curl and a proxy that rewrites Host still file complaints', async () => {
    const before = await stored();
    const own = new URL(h.app.url).origin;
    // the page's script, and its form without JavaScript, as Chromium posts them
    expect((await post(json('页面脚本提交'), { origin: own, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' })).status).toBe(201);
    const noScript = await post(form('页面表单提交'), { origin: own, 'sec-fetch-site': 'same-origin', 'content-type': FORM, accept: BROWSER_ACCEPT });
    expect(noScript.status).toBe(201);
    expect(noScript.text).toContain('投诉已受理');
    // a browser that sends its Origin alone
    expect((await post(json('只带 Origin'), { origin: own, 'content-type': 'application/json' })).status).toBe(201);
    // curl: no Origin, JSON, or a JSON object sent with the form type (curl -d)
    expect((await post(json('curl --json'), { 'content-type': 'application/json' })).status).toBe(201);
    expect((await post(json('curl -d'), { 'content-type': FORM })).status).toBe(201);
    // behind a proxy that passes the public name in X-Forwarded-Host and X-Forwarded-Proto, Host being the bot's own address
    const proxied = { origin: 'https://tousu.example.org', 'x-forwarded-host': 'tousu.example.org', 'x-forwarded-proto': 'https', 'content-type': 'application/json' };
    expect((await post(json('经代理提交'), proxied)).status).toBe(201);
    // a proxy that passes neither: the browser's Sec-Fetch-Site says it is the page's own
    expect((await post(json('代理改写了 Host'), { origin: 'https://tousu.example.org', 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' })).status).toBe(201);
    expect((await post(json('代理改写了 Host，旧浏览器'), { origin: 'https://tousu.example.org', 'content-type': 'application/json' })).status).toBe(403);
    // a proxy that ends TLS and keeps Host, passing no X-Forwarded-Proto: an old Safari's https Origin of that host is ours
    const keptHost = { host: 'tousu.example.org', origin: 'https://tousu.example.org', 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.240' };
    const viaProxy = (body: string, headers: Record<string, string>) => request(`${h.app.url}/api/complaints`, { method: 'POST', headers, body });
    expect((await viaProxy(json('代理保留 Host，旧浏览器'), keptHost)).status).toBe(201);
    expect((await viaProxy(json('代理保留 Host，别的网站'), { ...keptHost, origin: 'https://evil.example' })).status).toBe(403);
    expect(await stored()).toBe(before + 8);
  });

  it('a port the proxy writes after the address, or another /64 of one IPv6 /48, is the same sender to the refused-posts gate', async () => {
    const before = await stored();
    const probe = (i: number, from: string) => post(JSON.stringify({ team: `GDSZ-2025-${String(8000 + i)}`, content: '试探班组编号' }), { 'content-type': 'application/json', 'x-forwarded-for': from });
    for (const [label, from] of [
      ['ip:port', (i: number) => `198.51.100.250:${40000 + i}`],
      ['/64s of a /48', (i: number) => `2001:db8:4c:${(i + 1).toString(16)}::1`],
    ] as const) {
      const statuses = [];
      for (let i = 0; i < complaintRateLimit.refusedMax; i++) statuses.push((await probe(i, from(i))).status);
      expect(statuses, label).toEqual(Array(complaintRateLimit.refusedMax).fill(400));
      // one more, from yet another port or /64: the sender is turned away, a team that exists included
      const next = await post(json('换个端口再试'), { 'content-type': 'application/json', 'x-forwarded-for': from(complaintRateLimit.refusedMax + 5) });
      expect(next.status, label).toBe(429);
    }
    expect(await stored()).toBe(before);
  });

  it('a JSON array where a text belongs is refused, not read as its first element; a form post asking for JSON is answered in JSON', async () => {
    const before = await stored();
    const array = await post(JSON.stringify({ team: code, content: ['第一段', '第二段'] }), { 'content-type': 'application/json' });
    expect(array.status).toBe(400);
    expect(JSON.parse(array.text)).toMatchObject({ code: 400, msg: expect.stringContaining('投诉内容'), field: 'content' });
    expect((await post(JSON.stringify({ team: [code], content: '路面破损' }), { 'content-type': 'application/json' })).status).toBe(400);
    expect(await stored()).toBe(before);
    const asked = await post(form('表单提交，要 JSON 回答'), { 'content-type': FORM, accept: 'application/json' });
    expect(asked.status).toBe(201);
    expect(asked.type).toMatch(/^application\/json/);
    expect(JSON.parse(asked.text)).toMatchObject({ reference: expect.stringMatching(/^TS-/), team: { code } });
    // a browser's form post is still answered with the page
    const page = await post(form('浏览器表单提交'), { 'content-type': FORM, accept: BROWSER_ACCEPT });
    expect(page.type).toMatch(/^text\/html/);
    expect(await stored()).toBe(before + 2);
  });
});

describe('the public complaint limit cannot be bypassed (acceptance 4)', () => {
  const clock = new ManualClock('2027-03-01T10:00:00+08:00');
  let code = '';
  let urls: string[] = [];
  let database: Harness['db'] | undefined;

  async function complain(url: string, body: Record<string, unknown>, forwardedFor: string) {
    const res = await fetch(`${url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify(body) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { msg?: string } };
  }

  it('twelve requests with rotating X-Forwarded-For, TRUST_PROXY off, spread over two bot processes on one database: the configured five are taken, then 429', async () => {
    const h = await startHarness({ clock });
    cleanups.push(() => h.close());
    database = h.db;
    // a second process of the bot on the same database, as a second replica behind a load balancer
    const second = await startTestBot({ env: { LARK_APP_ID: 'cli_test', LARK_APP_SECRET: 'test-secret', LARK_DOMAIN: h.fake.url, LARK_EVENT_MODE: 'http', LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN }, db: h.db, clock });
    cleanups.push(() => second.app.stop());
    expect(h.app.config.TRUST_PROXY).toBe(0);
    urls = [h.app.url, second.app.url];
    const [org] = await h.db.db.insert(organizations).values({ name: '韶关市政工程公司' }).returning();
    await h.db.db.insert(people).values([{ openId: 'ou_rl_leader' }, { openId: 'ou_rl_contact' }]);
    const [team] = await h.db.db
      .insert(teams)
      .values({ code: 'GDSZ-2025-0101', name: '韶关道路养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_rl_leader', phone: '0751-1234567', memberCount: 6, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: 'ou_rl_contact', registeredAt: '2025-01-10' })
      .returning();
    code = team.code;

    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await complain(urls[i % 2], { team: code, content: `第 ${i + 1} 次：井盖缺失` }, `198.51.100.${i + 1}`));
    const max = complaintRateLimit.max;
    expect(answers.map((a) => a.status)).toEqual([...Array(max).fill(201), ...Array(12 - max).fill(429)]);
    expect(answers[max].body.msg).toContain('提交过于频繁');
    expect(Number(answers[max].retryAfter)).toBeGreaterThan(0);
    expect((await h.db.db.select({ n: count() }).from(complaints))[0].n).toBe(max);
    // the first is alerted at once; the other four, within its minute, wait for one batch card naming each
    const alerts = await h.db.db.select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, 'complaint:new:%'));
    expect(new Set(alerts.map((a) => a.key.split(':')[2])).size).toBe(1);
    const batches = await h.db.db.select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, 'complaint:web-batch:%'));
    expect(batches).toHaveLength(1);
    // drawn when its minute is over and it is sent
    clock.advance(60_000);
    await h.drain();
    const sent = h.fake.messages.filter((m) => m.msgType === 'interactive' && cardText(m.content).includes('件网上投诉'));
    expect(sent).toHaveLength(1);
    const taken = await h.db.db.select({ id: complaints.id }).from(complaints).orderBy(complaints.id);
    expect(cardActions(sent[0].content).filter((a) => a.action === 'complaint.open').map((a) => a.complaintId)).toEqual(taken.slice(1).map((c) => c.id));
    expect(cardText(sent[0].content)).toContain(`1 分钟内收到 ${max - 1} 件网上投诉`);
  }, 120_000);

  it('a refused request does not count: not a mistake, not the honeypot, not a 429', async () => {
    clock.advance(complaintRateLimit.windowMs + 1);
    const statuses: number[] = [];
    for (let i = 0; i < complaintRateLimit.max - 1; i++) statuses.push((await complain(urls[i % 2], { team: code, content: `又一次 ${i}` }, '203.0.113.9')).status);
    statuses.push((await complain(urls[0], { team: code, content: '' }, '203.0.113.9')).status);
    statuses.push((await complain(urls[1], { team: '没有这个班组', content: '路面破损' }, '203.0.113.9')).status);
    statuses.push((await complain(urls[0], { team: code, content: '脚本填写', website: 'http://spam.example' }, '203.0.113.9')).status);
    statuses.push((await complain(urls[1], { team: code, content: '最后一次' }, '203.0.113.9')).status);
    statuses.push((await complain(urls[0], { team: code, content: '超出' }, '203.0.113.9')).status);
    expect(statuses).toEqual([...Array(complaintRateLimit.max - 1).fill(201), 400, 400, 400, 201, 429]);
    // refusals half-way through the window would keep the address limited past its end if they counted
    clock.advance(complaintRateLimit.windowMs / 2);
    for (let i = 0; i < 3; i++) expect((await complain(urls[i % 2], { team: code, content: '仍在限制中' }, '203.0.113.9')).status).toBe(429);
    clock.advance(complaintRateLimit.windowMs / 2 + 1);
    expect((await complain(urls[1], { team: code, content: '窗口已过' }, '203.0.113.9')).status).toBe(201);
  });

  it('an address whose posts keep being refused (trying team names) is turned away, a valid complaint too, until the window moves on', async () => {
    clock.advance(complaintRateLimit.windowMs + 1);
    // TRUST_PROXY is off: the address is the socket's, whatever X-Forwarded-For says
    const prober = '203.0.113.77';
    const refused = [];
    for (let i = 0; i < complaintRateLimit.refusedMax; i++) refused.push((await complain(urls[i % 2], { team: `GDSZ-2025-${String(9000 + i)}`, content: '路面破损' }, prober)).status);
    expect(refused).toEqual(Array(complaintRateLimit.refusedMax).fill(400));
    // past the allowance nothing from the address is read: a name that exists is not told apart from one that does not
    const next = await complain(urls[0], { team: code, content: '路面破损' }, prober);
    expect(next.status).toBe(429);
    expect(next.body.msg).toContain('提交过于频繁');
    expect(Number(next.retryAfter)).toBeGreaterThan(0);
    expect((await complain(urls[1], { team: 'GDSZ-2025-9999', content: '路面破损' }, prober)).status).toBe(429);
    expect((await database!.db.select({ n: count() }).from(complaints).where(eq(complaints.content, '路面破损')))[0].n).toBe(0);
    clock.advance(complaintRateLimit.windowMs + 1);
    expect((await complain(urls[0], { team: code, content: '窗口已过，路面破损' }, prober)).status).toBe(201);
  });

  it('twelve requests at once on the two processes: the check and the count are atomic, exactly five are taken', async () => {
    clock.advance(complaintRateLimit.windowMs + 1);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => complain(urls[i % 2], { team: code, content: `同时 ${i}` }, `192.0.2.${i + 1}`)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(complaintRateLimit.max).fill(201), ...Array(12 - complaintRateLimit.max).fill(429)]);
  });

  it('one address takes at most perDay complaints a day, so a few cannot hold the hourly cap reached for everyone', async () => {
    // every request of this block comes from one address (no proxy is trusted): a new day for it first
    clock.advance(86_400_000 + 1);
    const ip = '192.0.2.77';
    const statuses: number[] = [];
    for (let round = 0; round * complaintRateLimit.max < complaintRateLimit.perDay; round++) {
      clock.advance(complaintRateLimit.windowMs + 1);
      for (let i = 0; i < complaintRateLimit.max; i++) statuses.push((await complain(urls[i % 2], { team: code, content: `第 ${round}-${i} 件：路灯不亮` }, ip)).status);
    }
    expect(statuses).toEqual(Array(complaintRateLimit.perDay).fill(201));
    clock.advance(complaintRateLimit.windowMs + 1);
    const refused = await complain(urls[0], { team: code, content: '又一件' }, ip);
    expect(refused.status).toBe(429);
    expect(refused.body.msg).toMatch(/^提交过于频繁，请 \d+ 小时后再试，或直接联系广东省市政行业协会。$/);
    clock.advance(86_400_000);
    expect((await complain(urls[0], { team: code, content: '第二天' }, ip)).status).toBe(201);
  });

  it('a refused post, counted under the 10-minute refusal rule alone, clears no count of another rule: the day’s limit holds', async () => {
    clock.advance(86_400_000 + 1);
    const ip = '192.0.2.78';
    const rounds = complaintRateLimit.perDay / complaintRateLimit.max;
    const round = async (r: number) => {
      clock.advance(complaintRateLimit.windowMs + 1);
      for (let i = 0; i < complaintRateLimit.max; i++) expect((await complain(urls[i % 2], { team: code, content: `第 ${r}-${i} 件：井盖松动` }, ip)).status).toBe(201);
    };
    for (let r = 0; r < rounds - 1; r++) await round(r);
    clock.advance(complaintRateLimit.windowMs + 1);
    // names that are no team's, from this address and another: refused, each counted under the refusal rule only
    expect((await complain(urls[0], { team: '没有这个班组', content: '井盖松动' }, ip)).status).toBe(400);
    expect((await complain(urls[1], { team: '也没有这个班组', content: '井盖松动' }, '192.0.2.79')).status).toBe(400);
    await round(rounds - 1);
    clock.advance(complaintRateLimit.windowMs + 1);
    expect((await complain(urls[1], { team: code, content: '今天第二十一件' }, ip)).status).toBe(429);
  });
});

describe('personal cards asked in a group go privately (acceptance 5)', () => {
  const GROUP = 'oc_worksite00000000000000000000001';
  let h: Harness;
  beforeAll(async () => {
    ({ h } = await startSecurityHarness());
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['进度', 'leader', '进度卡片', 'team.'],
    ['status', 'member', '进度卡片', ''],
    ['评分', 'expert', '评分任务', 'review.'],
    ['管理', 'admin', '管理卡片', ''],
    ['导入', 'admin', '导入卡片', 'import.'],
    ['下载导入模板', 'admin', '导入卡片', 'import.'],
    ['admin', 'leader', '回复', ''],
    ['评分', 'contact', '回复', ''],
    // someone who leads no team is sent what 申报 is for them, not a form: the note names it so
    ['申报', 'contact', '申报说明', ''],
    ['申报', 'member', '申报说明', ''],
  ] as const)('%s by the %s persona: the answer reaches the asker privately; the group gets one line', async (command, persona, what, actionPrefix) => {
    {
      const openId = personas[persona];
      const messageId = randomMessageId();
      const sentBefore = { [openId]: h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId).length };
      const groupBefore = h.fake.messages.filter((m) => m.chatId === GROUP || m.receiveId === GROUP).length;
      const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId, text: command, chatType: 'group', chatId: GROUP, mentionBot: true, messageId }));
      expect(res.status).toBe(200);
      await h.drain();
      // the note replies to the asker's message; nothing else reaches the group, as a reply or a send
      const inGroup = h.fake.messages.filter((m) => m.replyTo === messageId);
      expect(inGroup.map((m) => m.msgType)).toEqual(['text']);
      // (the platform knows the note's chat: it is a reply to a message posted there)
      expect(h.fake.messages.filter((m) => m.chatId === GROUP || m.receiveId === GROUP)).toHaveLength(groupBefore + inGroup.length);
      // an administrator is the one others are sent to: told who widens the app's 可用范围 instead
      expect(inGroup[0].content.text).toBe(`已通过私聊把${what}发给你，请在与我的单聊中查看。${persona === 'admin' ? PRIVATE_NOT_RECEIVED_ADMIN : PRIVATE_NOT_RECEIVED}`);
      if (persona === 'admin') expect(inGroup[0].content.text).not.toContain('请联系协会管理员');
      const privately = h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId).slice(sentBefore[openId] ?? 0);
      expect(privately).toHaveLength(1);
      if (what === '回复') {
        expect(privately[0].content.text).toMatch(/只有|专家库/);
      } else {
        expect(privately[0].msgType).toBe('interactive');
        expect(cardText(privately[0].content).length).toBeGreaterThan(0);
        if (actionPrefix) expect(cardActions(privately[0].content).some((a) => String(a.action).startsWith(actionPrefix))).toBe(true);
      }
    }
  });
});
