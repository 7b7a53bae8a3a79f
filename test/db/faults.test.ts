import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { and, eq, inArray, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, chatBindings, outbox, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { FakeOpenPlatform, RecordedRequest } from '../../src/local/fakeOpenPlatform.js';
import { startFakeOpenPlatform } from '../../src/local/fakeOpenPlatform.js';
import { enqueue, messageUuid, rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { ADMIN, startHarness, TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { cardActionEvent, messageEvent, signedRequest } from '../support/larkEvents.js';
import { registrationForm } from './securityFixture.js';
import { LEASE_RUN_OUT_MS } from '../support/dispatchers.js';
import { START_MS } from '../support/timing.js';

/**
 * Faults (issue 7): Feishu delivering an event four times on its retry schedule; the Open Platform
 * answering 429 / 500 / 230020 in bursts and one receiver failing for good; the server killed with
 * SIGKILL in the middle of 200 submissions; two server processes sharing one database.
 */

const isSend = (r: RecordedRequest) => r.method === 'POST' && r.path === '/open-apis/im/v1/messages';

async function count(db: Db, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = rowsOf(await db.execute(query)) as { n: number }[];
  return Number(row?.n ?? 0);
}

describe('the same event delivered four times, as Feishu retries it (now, +15 s, +5 min, +1 h), each freshly signed', () => {
  const clock = new ManualClock('2026-03-01T09:00:00+08:00');
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await h?.close();
  });

  /** Posts the payload four times, moving this process's clock (and the signed timestamp) along the retry schedule. */
  async function deliverFourTimes(path: '/lark/events' | '/lark/cards', payload: object) {
    const start = Date.now();
    const answers: { status: number; body: any }[] = [];
    try {
      for (const offset of [0, 15_000, 300_000, 3_600_000]) {
        vi.setSystemTime(start + offset);
        clock.set(new Date(start + offset).toISOString());
        // a retry is signed anew: its own nonce, its own timestamp; only event_id stays
        const req = signedRequest(payload, { encryptKey: TEST_ENCRYPT_KEY, timestamp: Math.floor((start + offset) / 1000) });
        const res = await fetch(h.app.url + path, { method: 'POST', headers: req.headers, body: req.body });
        const text = await res.text();
        answers.push({ status: res.status, body: text ? JSON.parse(text) : undefined });
        await h.drain();
      }
    } finally {
      vi.useRealTimers();
    }
    return answers;
  }

  it('a message command (an administrator binding a group): one binding, one audit row, one reply', async () => {
    const chatId = 'oc_retrygroup000000000000000000001';
    const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, text: '绑定通知', chatType: 'group', chatId, mentionBot: true, messageId: 'om_retrybind00000000000000000001' });
    const eventId = (event as { header: { event_id: string } }).header.event_id;
    const answers = await deliverFourTimes('/lark/events', event);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(await h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, chatId))).toHaveLength(1);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.entityId, chatId))).toHaveLength(1);
    // a message is deduplicated by its message_id, which a redelivery under a new event_id keeps too
    expect(await h.db.db.select().from(processedEvents).where(eq(processedEvents.eventId, 'message:om_retrybind00000000000000000001'))).toHaveLength(1);
    expect(h.fake.messages.filter((m) => m.replyTo === 'om_retrybind00000000000000000001')).toHaveLength(1);
    expect(h.logs.filter((l) => l.includes('duplicate event ignored') && l.includes(eventId))).toHaveLength(3);
  });

  it('a card form submit (a registration): one team with its rows, one message to the contact, and “already done” to the retries', async () => {
    const contact = 'ou_retrycontact000000000000000001';
    const event = cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: 'ou_retryleader0000000000000000001', value: { action: 'team.register' }, formValue: registrationForm('重试', { contact }) });
    const answers = await deliverFourTimes('/lark/cards', event);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers[0].body.toast).toMatchObject({ type: 'success' });
    for (const retry of answers.slice(1)) expect(retry.body.toast.content).toContain('这次点击已收到');
    const rows = await h.db.db.select().from(teams).where(eq(teams.name, '测试养护重试班'));
    expect(rows).toHaveLength(1);
    expect(await h.db.db.select().from(teamMembers).where(eq(teamMembers.teamId, rows[0].id))).toHaveLength(1);
    expect(await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'team.register'), eq(auditLog.entityId, String(rows[0].id))))).toHaveLength(1);
    expect(await h.db.db.select().from(outbox).where(eq(outbox.receiver, contact))).toHaveLength(1);
    expect(h.fake.messages.filter((m) => m.receiveId === contact)).toHaveLength(1);
  });
});

describe('the Open Platform failing in bursts', () => {
  let h: Harness;
  const base = 50;
  beforeAll(async () => {
    h = await startHarness({ outboxLimits: { baseDelayMs: base, maxDelayMs: 8 * base } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('60 messages through 20 faults (429, 500, 230020) in two bursts, and a receiver that never answers: nothing lost, each delivered once, backoff between attempts, dead letters alerted', async () => {
    const faults = [
      { status: 429, code: 99991400 },
      { status: 500, code: 1 },
      { status: 400, code: 230020 },
      { status: 429, code: 230020 },
    ];
    // faults answer the 3rd–12th and the 25th–34th send of a good message
    const goodSends: RecordedRequest[] = [];
    const faulted = new Map<string, number>();
    const inBurst = (req: RecordedRequest) => {
      if (!isSend(req) || req.body?.receive_id === 'ou_down') return false;
      if (!goodSends.includes(req)) goodSends.push(req);
      const i = goodSends.indexOf(req);
      if (!((i >= 2 && i < 12) || (i >= 24 && i < 34))) return false;
      faulted.set(req.body.uuid, (faulted.get(req.body.uuid) ?? 0) + 1);
      return true;
    };
    h.fake.injectFaults(Array.from({ length: 20 }, (_, i) => faults[i % faults.length]), inBurst);
    h.fake.failReceiver('ou_down', { status: 503, code: 1, msg: 'service unavailable' });

    const keys = Array.from({ length: 60 }, (_, i) => `burst:${i}`);
    await h.db.db.transaction(async (tx) => {
      for (const [i, key] of keys.entries()) await enqueue(tx, { dedupeKey: key, to: { openId: `ou_burst_${i % 12}` }, card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: key }] } } });
      for (const key of ['down:1', 'down:2']) await enqueue(tx, { dedupeKey: key, to: { openId: 'ou_down' }, text: key });
    });
    await h.drain();

    expect([...faulted.values()].reduce((a, b) => a + b, 0)).toBe(20);
    const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'burst:%'));
    expect(rows.map((r) => r.status)).toEqual(keys.map(() => 'sent'));
    for (const key of keys) {
      const uuid = messageUuid(key);
      const sends = h.fake.requests.filter((r) => isSend(r) && r.body.uuid === uuid);
      expect(sends.length - (faulted.get(uuid) ?? 0), key).toBe(1);
      const accepted = h.fake.messages.filter((m) => m.uuid === uuid);
      expect(accepted, key).toHaveLength(1);
      expect(JSON.stringify(accepted[0].content)).toContain(key);
      // each retry waited at least its backoff: base × 2^(attempt−1), less the 20 % jitter
      for (let k = 1; k < sends.length; k++) expect(sends[k].at - sends[k - 1].at, `${key} attempt ${k + 1}`).toBeGreaterThanOrEqual(0.8 * base * 2 ** (k - 1) - 2);
    }
    // the retries are in the log with their delay: 20 burst faults, and 7 for each of the two dead letters
    expect(h.logs.filter((l) => l.includes('will retry') && l.includes('retryInMs')).length).toBe(20 + 14);

    const dead = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'down:%'));
    expect(dead.map((r) => [r.status, r.attempts])).toEqual([
      ['dead', 8],
      ['dead', 8],
    ]);
    // both failed with Feishu's code 1 within the hour: one alert says it (notifications.ts), each has its audit row
    const alerts = h.fake.messages.filter((m) => m.receiveId === ADMIN && JSON.stringify(m.content).includes('消息投递失败'));
    expect(alerts).toHaveLength(1);
    expect(JSON.stringify(alerts[0].content)).toContain('同一错误码一小时内只提醒一次');
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'))).toHaveLength(2);
    h.fake.clearFaults();
  });
});

// ---- real processes on a real PostgreSQL ---------------------------------------------------------
// PGlite is embedded in one process and cannot be shared, so on PGlite these two tests do not run:
// the crash and the two replicas are properties of `node src/main.ts` on PostgreSQL.

interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

const APP = { id: 'cli_faults_app', secret: 'faults-secret' };

/** `node --import tsx src/main.ts` as production starts it, talking to the fake Open Platform; resolves once it listens. */
async function startServer(db: TestDatabase, fake: FakeOpenPlatform): Promise<ServerProcess> {
  const env = {
    ...process.env,
    DATABASE_URL: db.url!,
    LARK_APP_ID: APP.id,
    LARK_APP_SECRET: APP.secret,
    LARK_DOMAIN: fake.url,
    LARK_EVENT_MODE: 'http',
    LARK_ENCRYPT_KEY: TEST_ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TEST_VERIFICATION_TOKEN,
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_OPEN_IDS: ADMIN,
    LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${START_MS / 1000} s:\n${output.join('\n')}`)), START_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /"url":"(http:\/\/[^"]+)"/.exec(line);
      if (m && line.includes('listening')) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
    void exited.then((code) => reject(new Error(`server exited with ${code}:\n${output.join('\n')}`)));
  });
  return { url, child, output, exited };
}

async function stopServer(s: ServerProcess | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  await s.exited;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(testDatabaseKind() === 'postgres')('server processes on PostgreSQL', () => {
  let fake: FakeOpenPlatform;
  beforeAll(async () => {
    fake = await startFakeOpenPlatform({ appId: APP.id, appSecret: APP.secret });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('SIGKILL in the middle of 200 registrations, then a restart and Feishu’s retries: every acknowledged one stored whole, nothing half-stored, every message sent once', { timeout: 2 * START_MS + 120_000 }, async () => {
    const db = await createTestDatabase();
    let server: ServerProcess | undefined;
    try {
      server = await startServer(db, fake);
      const N = 200;
      const submissions = Array.from({ length: N }, (_, i) => ({
        i,
        leader: `ou_killleader${String(i).padStart(20, '0')}`,
        contact: `ou_killcontact${String(i).padStart(20, '0')}`,
        eventId: `kill-${i}-${Date.now().toString(36)}`,
      }));
      const eventOf = (s: (typeof submissions)[number]) =>
        cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: s.leader, eventId: s.eventId, value: { action: 'team.register' }, formValue: registrationForm(`崩溃${s.i}`, { contact: s.contact, organization: `测试单位${s.i % 10}` }) });
      const post = async (url: string, s: (typeof submissions)[number]) => {
        // every delivery is signed anew, as Feishu signs each retry
        const req = signedRequest(eventOf(s), { encryptKey: TEST_ENCRYPT_KEY });
        const res = await fetch(url + '/lark/cards', { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(15_000) });
        return { status: res.status, body: await res.json() };
      };

      const acked = new Map<number, any>();
      const first = server;
      let next = 0;
      let killedAt = -1;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < N) {
            const s = submissions[next++];
            try {
              const res = await post(first.url, s);
              if (res.status === 200) acked.set(s.i, res.body);
            } catch {
              // the connection died with the server: Feishu saw no answer and will retry
            }
            if (acked.size >= N / 2 && killedAt < 0) {
              killedAt = acked.size;
              first.child.kill('SIGKILL');
            }
          }
        }),
      );
      await first.exited;
      expect(first.child.signalCode).toBe('SIGKILL');
      const unacked = submissions.filter((s) => !acked.has(s.i));
      expect(unacked.length, 'the kill happened in the middle').toBeGreaterThan(0);
      expect(acked.size).toBeGreaterThanOrEqual(N / 2);
      for (const body of acked.values()) expect(body.toast?.type).toBe('success');

      /** Every team stored has all its rows: leader membership, audit row, the message to its contact, the event's dedupe row. */
      const halfStored = async () =>
        count(
          db.db,
          sql`select count(*)::int as n from teams t where t.name like '测试养护崩溃%' and (
            not exists (select 1 from team_members m where m.team_id = t.id and m.role = 'leader' and m.open_id = t.leader_open_id)
            or (select count(*) from audit_log a where a.action = 'team.register' and a.entity_id = t.id::text) <> 1
            or (select count(*) from outbox o where o.dedupe_key = 'team:contact-named:' || t.id || ':' || t.contact_open_id) <> 1)`,
        );
      const storedLeaders = async () => new Set((await db.db.select({ leader: teams.leaderOpenId }).from(teams).where(like(teams.name, '测试养护崩溃%'))).map((r) => r.leader));

      // right after the crash: what was acknowledged is there, whole
      const afterCrash = await storedLeaders();
      for (const i of acked.keys()) expect(afterCrash.has(submissions[i].leader), `acknowledged #${i}`).toBe(true);
      expect(await halfStored()).toBe(0);
      // the killed process's claims on the outbox are aged past their lease instead of waited for
      await db.db.execute(sql`update outbox set claimed_at = claimed_at - ${LEASE_RUN_OUT_MS / 1000}::int * interval '1 second' where status = 'sending'`);

      server = await startServer(db, fake);
      const second = server;
      const retried = await Promise.all(unacked.map((s) => post(second.url, s)));
      for (const res of retried) {
        expect(res.status).toBe(200);
        // committed before the kill but never answered: the retry is recognised and changes nothing
        expect(res.body.toast.type === 'success' || res.body.toast.content.includes('这次点击已收到'), JSON.stringify(res.body)).toBe(true);
      }

      const stored = await db.db.select().from(teams).where(like(teams.name, '测试养护崩溃%'));
      expect(stored).toHaveLength(N);
      expect(new Set(stored.map((t) => t.leaderOpenId)).size).toBe(N);
      expect(stored.every((t) => /^GDSZ-\d{4}-\d{4}$/.test(t.code))).toBe(true);
      expect(new Set(stored.map((t) => t.code)).size).toBe(N);
      expect(await halfStored()).toBe(0);
      expect(await db.db.select().from(processedEvents).where(inArray(processedEvents.eventId, submissions.map((s) => s.eventId)))).toHaveLength(N);

      await waitFor('the outbox to drain', async () => (await count(db.db, sql`select count(*)::int as n from outbox where status <> 'sent'`)) === 0);
      const sent = await db.db.select().from(outbox);
      expect(sent.length).toBeGreaterThanOrEqual(N);
      for (const row of sent) expect(fake.messages.filter((m) => m.uuid === messageUuid(row.dedupeKey)), row.dedupeKey).toHaveLength(1);
      for (const s of submissions) expect(fake.messages.filter((m) => m.receiveId === s.contact), s.contact).toHaveLength(1);
    } finally {
      await stopServer(server);
      await db.close();
    }
  });

  it('two server processes on one database, both dispatching: each of 200 messages sent exactly once, by one or the other', { timeout: 2 * START_MS + 90_000 }, async () => {
    const db = await createTestDatabase();
    // each process talks to an Open Platform of its own, so what each one sent can be told apart
    const fakes = [fake, await startFakeOpenPlatform({ appId: APP.id, appSecret: APP.secret })];
    fake.reset();
    const servers: ServerProcess[] = [];
    try {
      servers.push(await startServer(db, fakes[0]), await startServer(db, fakes[1]));
      // 100 messages queued directly, and 100 answers queued by the two processes themselves (each nudges its own dispatcher)
      await db.db.transaction(async (tx) => {
        for (let i = 0; i < 100; i++) await enqueue(tx, { dedupeKey: `pair:${i}`, to: { openId: `ou_pair_${i % 25}` }, text: `pair ${i}` });
      });
      const users = Array.from({ length: 100 }, (_, i) => `ou_pairuser${String(i).padStart(20, '0')}`);
      await Promise.all(
        users.map(async (openId, i) => {
          const req = signedRequest(messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: APP.id, openId, text: '帮助' }), { encryptKey: TEST_ENCRYPT_KEY });
          const res = await fetch(servers[i % 2].url + '/lark/events', { method: 'POST', headers: req.headers, body: req.body });
          expect(res.status).toBe(200);
        }),
      );
      await waitFor('the outbox to drain', async () => (await count(db.db, sql`select count(*)::int as n from outbox where status <> 'sent'`)) === 0);
      const rows = await db.db.select().from(outbox);
      expect(rows).toHaveLength(200);
      // count requests, not accepted messages: the fake would fold a second send of the same uuid into the first
      const sends = fakes.flatMap((f) => f.requests.filter(isSend));
      expect(sends).toHaveLength(200);
      expect(new Set(sends.map((r) => r.body.uuid)).size).toBe(200);
      expect(new Set(rows.map((r) => messageUuid(r.dedupeKey)))).toEqual(new Set(sends.map((r) => r.body.uuid)));
      for (const f of fakes) expect(f.requests.filter(isSend).length, 'both processes sent a share').toBeGreaterThan(0);
    } finally {
      for (const s of servers) await stopServer(s);
      await fakes[1].close();
      await db.close();
    }
  });
});
