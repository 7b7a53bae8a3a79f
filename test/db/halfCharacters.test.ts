import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, jobRuns, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../../src/jobs/index.js';
import { enqueue } from '../../src/outbox.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A text cut for a card inside a character outside the BMP (an emoji, 𠮷) left half of it: PostgreSQL's json refuses
 * that, so the event failed (500), a public complaint was lost, and a job that queued a card naming it failed on
 * every run. Each such cut now keeps whole characters (`cutText`, cards/kit.ts) and the outbox stores U+FFFD for any
 * half left (`storable`).
 */

const LEADER = 'ou_halfleader00000000000000000000001';
const CONTACT = 'ou_halfcontact0000000000000000000001';
const ASKER = 'ou_halfasker000000000000000000000001';
/** Character 40 of the question, where its subtitle is cut, is the first half of an emoji. */
const QUESTION = `${'注册多久才能参加评选'.repeat(3)}请问一下这个问题吗${'😀'.repeat(6)}`;
/** Character 60 of the complaint, where its excerpt is cut, likewise. */
const COMPLAINT = `${'路'.repeat(59)}😀后面还有内容`;

const wellFormed = (v: unknown) => (JSON.stringify(v).match(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/gi) ?? []).length === 0;

describe('texts cut inside a character outside the BMP', () => {
  let h: Harness;
  const clock = new ManualClock('2027-03-01T10:00:00+08:00');

  beforeAll(async () => {
    h = await startHarness({ clock, env: { TRUST_PROXY: '1' } });
    const db = h.db.db;
    const [org] = await db.insert(organizations).values({ name: '某单位' }).returning();
    await db.insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'] }]).onConflictDoNothing();
    await db.insert(teams).values({
      code: 'GDSZ-2025-0001', name: '养护一班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER, phone: '020-12345678',
      memberCount: 8, functions: 'x', goals: 'x', plan: 'x', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('answers a question whose subtitle is cut inside an emoji, the emoji left out whole', async () => {
    expect(QUESTION.charCodeAt(39)).toBeGreaterThanOrEqual(0xd800);
    const before = h.fake.messages.length;
    const r = await h.say(ASKER, QUESTION);
    expect(r.status).toBe(200);
    await h.drain();
    const sent = h.fake.messages.slice(before).filter((m) => m.receiveId === ASKER);
    expect(sent).toHaveLength(1);
    expect(wellFormed(sent[0].content)).toBe(true);
    expect(JSON.stringify(sent[0].content)).toContain(`“${QUESTION.slice(0, 39)}…”`);
  });

  it('pre-fills the complaint form from 投诉 <team> <text> cut inside an emoji at the input’s length, the emoji left out whole', async () => {
    const before = h.fake.messages.length;
    const r = await h.say(ASKER, `投诉 GDSZ-2025-0001 ${'路'.repeat(999)}😀之后的内容`);
    expect(r.status).toBe(200);
    const sent = h.fake.messages.slice(before).filter((m) => m.receiveId === ASKER);
    expect(sent).toHaveLength(1);
    expect(wellFormed(sent[0].content)).toBe(true);
    expect(JSON.stringify(sent[0].content)).toContain(`"default_value":"${'路'.repeat(999)}"`);
  });

  async function post(content: string, ip: string) {
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ team: 'GDSZ-2025-0001', content }),
    });
    await h.drain();
    return res.status;
  }

  it('takes a public complaint whose excerpt is cut inside an emoji, and the week-old escalation naming it runs', async () => {
    // the first is alerted alone; a second within the minute is alerted with the first, each by its excerpt
    expect(await post(COMPLAINT, '198.51.100.7')).toBe(201);
    // other words after the excerpt: the same words again would be the first complaint sent twice
    expect(await post(`${COMPLAINT}另一处同样如此。`, '198.51.100.8')).toBe(201);
    expect(await h.db.db.select().from(complaints)).toHaveLength(2);
    clock.advanceDays(8);
    const run = await runJob('escalation', h.db.db, { now: clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS });
    expect(run).toMatchObject([{ job: 'escalation', status: 'done' }]);
    const [done] = (await h.db.db.select().from(jobRuns)).filter((j) => j.job === 'escalation');
    expect(done.status).toBe('done');
    const rows = await h.db.db.select().from(outbox);
    expect(rows.some((r) => r.dedupeKey.startsWith('complaint:escalate:'))).toBe(true);
    for (const row of rows) expect(wellFormed(row.card), row.dedupeKey).toBe(true);
    // the alerts are drawn when sent (the minute's batch, the escalation list): each excerpt cut whole, as sent
    await h.drain();
    const sent = h.fake.messages.filter((m) => m.msgType === 'interactive').map((m) => m.content);
    for (const card of sent) expect(wellFormed(card)).toBe(true);
    expect(JSON.stringify(sent)).toContain(`${'路'.repeat(59)}…`);
  });

  it('stores a queued card holding half a character with U+FFFD in its place, instead of failing the transaction', async () => {
    const text = `半个字符：\ud83d，孤立的后半：\ude00，NUL：\u0000。`;
    await h.db.db.transaction((tx) => enqueue(tx, { to: { openId: ASKER }, dedupeKey: 'half:card', card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: text }] } } }));
    const [row] = (await h.db.db.select().from(outbox)).filter((r) => r.dedupeKey === 'half:card');
    expect(JSON.stringify(row.card)).toContain('半个字符：\ufffd，孤立的后半：\ufffd，NUL：。');
  });
});
