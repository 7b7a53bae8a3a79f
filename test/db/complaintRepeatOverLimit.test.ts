import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { complaintRateLimit } from '../../src/web/complaintForm.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A complainant whose address had used its allowance sent again a complaint already received (the answer lost on a
 * phone's poor connection, a second tab, the page drawn again): they were told 提交过于频繁 and to wait, as if it had
 * not been taken, and some sent it again later as a second complaint. A repeat stores nothing and counts against no
 * allowance, so it is answered as one, with the first one's reference, whatever the allowance says.
 */

const TEAM = { name: '珠海排水管养三班', code: 'GDSZ-2026-0031' };
const CONTACT = '13800000009';

let h: Harness;
let teamId: number;
const clock = new ManualClock('2027-10-01T10:00:00+08:00');
const saved = { ...complaintRateLimit };
let addresses = 0;
const address = () => `198.51.100.${++addresses}`;

beforeAll(async () => {
  h = await startHarness({ clock, env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '珠海市排水有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_repeatlimit_leader0000000000001' }, { openId: 'ou_repeatlimit_contact000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      ...TEAM, organizationId: org.id, department: '管养部', type: 'project', leaderOpenId: 'ou_repeatlimit_leader0000000000001',
      phone: '0756-1234567', memberCount: 8, functions: '排水管养', goals: 'x', plan: 'y', contactOpenId: 'ou_repeatlimit_contact000000000001', registeredAt: '2025-02-01',
    })
    .returning();
  teamId = team.id;
});
afterEach(() => Object.assign(complaintRateLimit, saved));
afterAll(async () => {
  await h?.close();
});

async function postJson(body: Record<string, unknown>, ip: string) {
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function postPage(fields: Record<string, string>, ip: string) {
  const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
  const token = /name="form_token" value="([^"]+)"/.exec(page)![1];
  const res = await fetch(`${h.app.url}/api/complaints`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': ip },
    body: new URLSearchParams({ ...fields, form_token: token, website: '' }).toString(),
  });
  return { status: res.status, page: await res.text() };
}

const stored = async () => (await h.db.db.select().from(complaints).where(eq(complaints.teamId, teamId))).length;

describe('a complaint already received, sent again once the address used its allowance', () => {
  it('through the JSON API is answered with the first reference, not 提交过于频繁', async () => {
    clock.advance(86_400_000);
    complaintRateLimit.max = 2;
    const ip = address();
    const first = { team: TEAM.code, content: '雨水篦子缺失，行人易踩空。', contact: CONTACT };
    const a = await postJson(first, ip);
    expect(a.status).toBe(201);
    expect((await postJson({ ...first, content: '检查井周边路面下沉。' }, ip)).status).toBe(201);
    const before = await stored();
    const again = await postJson(first, ip);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ msg: '这份投诉已经提交过，无需重复提交。', reference: a.body.reference, team: TEAM });
    // a new complaint from the address is still held to its allowance
    const other = await postJson({ ...first, content: '管道疏通后淤泥堆在路边。' }, ip);
    expect(other.status).toBe(429);
    expect(other.body.msg).toContain('提交过于频繁');
    expect(await stored()).toBe(before);
  });

  it('from the page drawn again, without JavaScript, is answered with the page naming the first reference', async () => {
    clock.advance(86_400_000);
    complaintRateLimit.max = 1;
    const ip = address();
    const fields = { team: TEAM.name, content: '污水外溢，气味很大。', contact: CONTACT };
    const first = await postPage(fields, ip);
    expect(first.status).toBe(201);
    const reference = /<div class="reference" id="reference">([^<]+)<\/div>/.exec(first.page)![1];
    const again = await postPage(fields, ip);
    expect(again.status).toBe(200);
    expect(again.page).toContain(`这份投诉已经提交过，无需重复提交。被投诉班组：${TEAM.name}。投诉编号：<div class="reference" id="reference">${reference}</div>`);
    expect(again.page).not.toContain('提交过于频繁');
  });

  it('past the hourly cap on all public complaints is answered with the first reference too', async () => {
    clock.advance(86_400_000);
    complaintRateLimit.globalPerHour = 1;
    const fields = { team: TEAM.code, content: '路面修补处高出两厘米，电动车颠簸。', contact: CONTACT };
    const a = await postJson(fields, address());
    expect(a.status).toBe(201);
    const again = await postJson(fields, address());
    expect(again.status).toBe(200);
    expect(again.body.reference).toBe(a.body.reference);
  });
});
