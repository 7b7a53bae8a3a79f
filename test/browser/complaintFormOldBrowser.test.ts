import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * The public complaint page in an old phone browser that runs scripts but has no fetch (an Android 4.4 WebView, an old
 * in-app browser): the page's script stopped the form's own post, then failed at fetch, and 提交投诉 stayed greyed with
 * nothing sent and nothing said. Such a browser posts the form itself, as one without JavaScript does.
 */

let h: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '江门市政工程有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_oldbrowser0000000000000001' }, { openId: 'ou_contact_oldbrowser000000000000001', roles: ['org_contact'] }]);
  await db.insert(teams).values({
    code: 'GDSZ-2025-0041',
    name: '江门道路维修一班',
    organizationId: org.id,
    department: '维修部',
    type: 'project',
    leaderOpenId: 'ou_leader_oldbrowser0000000000000001',
    phone: '0750-1234567',
    memberCount: 9,
    functions: '道路维修',
    goals: '修补合格率 100%',
    plan: '每月复核',
    contactOpenId: 'ou_contact_oldbrowser000000000000001',
    registeredAt: '2025-02-01',
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
  // what such a browser lacks
  await context.addInitScript(() => {
    delete (window as { fetch?: unknown }).fetch;
    delete (Array as { from?: unknown }).from;
  });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the public complaint form in a browser without fetch', () => {
  it('typing in the description breaks nothing, and 提交投诉 posts the form: the page says it was taken, with the reference', async () => {
    await page.goto(`${h.app.url}/complaints/new`);
    expect(await page.evaluate(() => typeof (window as { fetch?: unknown }).fetch)).toBe('undefined');
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.fill('#team', 'GDSZ-2025-0041');
    await page.type('#content', '胜利路修补处又塌了。');
    expect(await page.textContent('#content-count')).toContain('10');
    const [response] = await Promise.all([page.waitForNavigation({ timeout: 10_000 }), page.click('#submit')]);
    expect(response?.status()).toBe(201);
    expect(await page.textContent('#message')).toContain('投诉已受理（被投诉班组：江门道路维修一班）');
    const stored = await h.db.db.select().from(complaints);
    expect(stored).toHaveLength(1);
    expect(await page.textContent('#reference')).toBe(stored[0].reference);
    expect(errors).toEqual([]);
  });
});
