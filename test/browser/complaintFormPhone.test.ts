import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * The complaint page on a small phone (360 × 640): the answer to 提交投诉 sits below the button, out of view. It is
 * brought into view (the reference of a complaint taken; a field to fix is said under its label and shown), a long
 * unbroken code quoted by a refusal does not widen the page, and the counter counts an emoji as the server does (one).
 */
let h: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_phone000000000000000000001' }, { openId: 'ou_contact_phone00000000000000000001', roles: ['org_contact'] }]);
  await db.insert(teams).values({
    code: 'GDSZ-2025-0008', name: '广州市政养护二班', organizationId: org.id, department: '养护事业部', type: 'project', leaderOpenId: 'ou_leader_phone000000000000000000001',
    phone: '020-12345678', memberCount: 12, functions: '城市道路养护', goals: '道路完好率 98%', plan: '每月 QC 活动', contactOpenId: 'ou_contact_phone00000000000000000001', registeredAt: '2025-02-01',
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 360, height: 640 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  await page.goto(`${h.app.url}/complaints/new`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function submit(values: { team: string; content: string; contact?: string }): Promise<void> {
  await page.fill('#team', values.team);
  await page.fill('#content', values.content);
  await page.fill('#contact', values.contact ?? '');
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/complaints'));
  await page.tap('#submit');
  await answered;
  await page.waitForFunction(() => !(document.getElementById('submit') as HTMLButtonElement).disabled);
}

/** Whether the element is wholly inside the viewport now. */
const inView = (selector: string) =>
  page.evaluate((s) => {
    const r = document.querySelector(s)!.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  }, selector);

const content = '人行道修补后一周即松动，老人险些绊倒。'.repeat(12);

describe('the complaint page on a 360 × 640 phone', () => {
  it('says what to fix under the field, in view', async () => {
    await submit({ team: '广州市政养护二班', content, contact: 'abc' });
    expect(await page.textContent('#contact-error')).toContain('联系方式');
    expect(await inView('#contact-error')).toBe(true);
    expect(await page.getAttribute('#contact', 'aria-invalid')).toBe('true');
  });

  it('shows the reference of a complaint taken, in view, and the field errors are gone', async () => {
    await submit({ team: '广州市政养护二班', content, contact: '13800000000' });
    expect(await page.textContent('#reference')).toMatch(/^TS-2027-\d{4}$/);
    expect(await inView('#reference')).toBe(true);
    expect(await page.$('#contact-error')).toBeNull();
  });

  it('keeps a refusal quoting a long unbroken code inside the screen', async () => {
    await submit({ team: `GDSZ${'2026000100000000'.repeat(4)}`, content });
    expect(await page.textContent('#team-error')).toContain('找不到班组');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  });

  it('counts an emoji as one character, as the server does', async () => {
    await page.fill('#content', '😀'.repeat(1001));
    expect(await page.textContent('#content-count')).toBe('1001 / 2000');
    expect(await page.getAttribute('#content-count', 'class')).toBe('count');
  });
});
