import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * One complaint from anyone with 100 000 characters in 联系方式 (no @) held the bot 10–22 s: its pattern was tried
 * from every character, after the length had already refused it, and /healthz, every event and click waited. It is
 * told at once what to fix, on the web and in chat.
 */
const CUSTOMER = 'ou_customer000000000000000000000001';
const CODE = 'GDSZ-2025-0001';
const contact = 'a'.repeat(100_000);
/** 10–22 s before; generous for a busy machine (a short refused complaint takes a few hundred ms here). */
const BOUND_MS = 3_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const [org] = await h.db.db.insert(organizations).values({ name: '东莞市政公司' }).returning();
  await h.db.db.insert(people).values([{ openId: 'ou_l1' }, { openId: 'ou_c1', roles: ['org_contact'] }]);
  await h.db.db.insert(teams).values({ code: CODE, name: '东莞排水巡查班', organizationId: org.id, department: '排水所', type: 'project', leaderOpenId: 'ou_l1', phone: '020-12345678', memberCount: 8, functions: '排水巡查', goals: '零事故', plan: '每月巡查', contactOpenId: 'ou_c1', registeredAt: '2025-01-10' });
  // the first request compiles what every later one uses: not what is measured
  await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.1' }, body: JSON.stringify({ team: CODE, content: '' }) });
});
afterAll(async () => {
  await h?.close();
});

const stored = async () => (await h.db.db.select().from(complaints)).length;

describe('联系方式 of 100 000 characters', () => {
  it('POST /api/complaints: 400 联系方式不能超过 100 字 at once, /healthz answering meanwhile, nothing stored', async () => {
    const started = performance.now();
    const posted = fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' }, body: JSON.stringify({ team: CODE, content: '井盖缺失', contact }) });
    const health = await fetch(`${h.app.url}/healthz`);
    const healthMs = performance.now() - started;
    const res = await posted;
    const body = await res.json();
    const ms = performance.now() - started;
    expect(health.status).toBe(200);
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ msg: expect.stringMatching(/^联系方式不能超过 100 字（现为 \d+ 字）$/), field: 'contact' });
    expect(ms).toBeLessThan(BOUND_MS);
    expect(healthMs).toBeLessThan(BOUND_MS);
    expect(await stored()).toBe(0);
  });

  it('the form posted from the page: the page says the same', async () => {
    const started = performance.now();
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.8', accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
      body: new URLSearchParams({ team: CODE, content: '井盖缺失', contact }).toString(),
    });
    const page = await res.text();
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expect(res.status).toBe(400);
    expect(page).toContain('联系方式不能超过 100 字');
    expect(await stored()).toBe(0);
  });

  it('提交投诉 on the card in chat: the toast says the same', async () => {
    const started = performance.now();
    const body = await h.click(CUSTOMER, { action: 'complaint.submit' }, { team: CODE, content: '井盖缺失', contact });
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expect(body.toast).toMatchObject({ type: 'error', content: expect.stringMatching(/^联系方式不能超过 100 字（现为 \d+ 字）$/) });
    expect(await stored()).toBe(0);
  });
});
