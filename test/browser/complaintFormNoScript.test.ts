import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/** The public complaint page in a browser with JavaScript off: the form posts itself and the server answers with the page. */

let h: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '佛山市政建设有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_noscript000000000000000001' }, { openId: 'ou_contact_noscript00000000000000001', roles: ['org_contact'] }]);
  await db.insert(teams).values({
    code: 'GDSZ-2025-0031',
    name: '佛山桥梁检测组',
    organizationId: org.id,
    department: '检测部',
    type: 'project',
    leaderOpenId: 'ou_leader_noscript000000000000000001',
    phone: '0757-1234567',
    memberCount: 9,
    functions: '桥梁检测',
    goals: '检测报告差错率 0',
    plan: '每月复核',
    contactOpenId: 'ou_contact_noscript00000000000000001',
    registeredAt: '2025-02-01',
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function post(values: { team: string; content: string }): Promise<number> {
  await page.goto(`${h.app.url}/complaints/new`);
  await page.fill('#team', values.team);
  await page.fill('#content', values.content);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  return response?.status() ?? 0;
}

describe('the public complaint form without JavaScript', () => {
  it('bad input: the page again, with what was typed, the field marked and what to fix; nothing stored', async () => {
    const status = await post({ team: 'GDSZ-2025-0031', content: '' });
    expect(status).toBe(400);
    expect(await page.inputValue('#team')).toBe('GDSZ-2025-0031');
    expect(await page.getAttribute('#content', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#message')).toMatch(/投诉内容/);
    expect(await page.isVisible('#message')).toBe(true);
    expect(await h.db.db.select().from(complaints)).toEqual([]);
  });

  it('a team typed with markup is kept as text, not markup', async () => {
    const status = await post({ team: '<b>不存在</b>的班组', content: '路面破损' });
    expect(status).toBe(400);
    expect(await page.inputValue('#team')).toBe('<b>不存在</b>的班组');
    expect(await page.$('form b')).toBeNull();
  });

  it('filled: the page says it was taken, with the reference number; the complaint is stored once', async () => {
    const status = await post({ team: '佛山桥梁检测组', content: '季华路高架桥伸缩缝异响，已持续一周。' });
    expect(status).toBe(201);
    const message = (await page.textContent('#message')) ?? '';
    expect(message).toContain('投诉已受理（被投诉班组：佛山桥梁检测组）');
    // no contact left: the complainant is told they will not hear, and how to ask
    expect(message).toContain('你没有留下联系方式，协会核查后无法告知你处理结果；如想了解结果，请联系广东省市政行业协会并提供投诉编号。');
    const stored = await h.db.db.select().from(complaints);
    expect(stored).toHaveLength(1);
    expect(await page.textContent('#reference')).toBe(stored[0].reference);
    expect(stored[0]).toMatchObject({ channel: 'web', content: '季华路高架桥伸缩缝异响，已持续一周。' });
    // the form is empty again
    expect(await page.inputValue('#content')).toBe('');

    // reloaded, the browser posts the same form again: it is not a second complaint
    const again = await page.reload();
    expect(again?.status()).toBe(200);
    expect(await page.textContent('#message')).toContain('这份投诉已经提交过，无需重复提交');
    expect(await h.db.db.select().from(complaints)).toHaveLength(1);
    // the address the answer was drawn at leads back to the form
    const back = await page.goto(`${h.app.url}/api/complaints`);
    expect(back?.url()).toBe(`${h.app.url}/complaints/new`);
    expect(await page.isVisible('#submit')).toBe(true);
  });

  it('a form corrected after a refusal is taken with the same page', async () => {
    await page.goto(`${h.app.url}/complaints/new`);
    await page.fill('#team', 'GDSZ-2025-0031');
    await page.fill('#content', '');
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    expect(await page.textContent('#message')).toMatch(/投诉内容/);
    await page.fill('#content', '人行道砖松动');
    const [response] = await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    expect(response?.status()).toBe(201);
    expect(await page.textContent('#message')).toContain('投诉已受理');
  });

  it('a description over the body limit: the browser shows the page that says so, and leads back to the form', async () => {
    await page.goto(`${h.app.url}/complaints/new`);
    await page.fill('#team', 'GDSZ-2025-0031');
    // the textarea counts instead of cutting, so a pasted text this long is sent as it is
    await page.fill('#content', '伸缩缝'.repeat(150_000));
    const [response] = await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    expect(response?.status()).toBe(413);
    expect(await page.textContent('#title')).toBe('投诉内容过长');
    expect(await page.textContent('#message')).toContain('删减到 2000 字以内');
    await Promise.all([page.waitForNavigation(), page.click('#back')]);
    expect(page.url()).toBe(`${h.app.url}/complaints/new`);
    expect(await page.isVisible('#submit')).toBe(true);
  });

  it("a form on another site's page, posted here by its visitor, is refused with a page that says so and leads to the real form", async () => {
    const before = (await h.db.db.select().from(complaints)).length;
    // localhost is not the bot's 127.0.0.1: the browser posts the form cross-site, with that page's Origin
    const form = `<!doctype html><meta charset="utf-8"><title>别的网站</title><form method="post" action="${h.app.url}/api/complaints"><input name="team" value="GDSZ-2025-0031"><input name="content" value="别的网站的表单提交的投诉"><button id="go">领取礼品</button></form>`;
    const other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(form));
    const port = await new Promise<number>((resolve) => other.listen(0, '127.0.0.1', () => resolve((other.address() as AddressInfo).port)));
    try {
      await page.goto(`http://localhost:${port}/`);
      const [response] = await Promise.all([page.waitForNavigation(), page.click('#go')]);
      expect(response?.status()).toBe(403);
      expect(await page.textContent('#title')).toBe('投诉未能提交');
      expect(await page.textContent('#message')).toContain('其他网站的页面提交的，未被受理');
      await Promise.all([page.waitForNavigation(), page.click('#back')]);
      expect(page.url()).toBe(`${h.app.url}/complaints/new`);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
    expect((await h.db.db.select().from(complaints)).length).toBe(before);
  });

  it('a JSON object sent with the form type (curl -d without a header) is still read as JSON', async () => {
    const res = await fetch(`${h.app.url}/api/complaints`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ team: 'GDSZ-2025-0031', content: '井盖缺失' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect((await res.json()).team).toEqual({ name: '佛山桥梁检测组', code: 'GDSZ-2025-0031' });
  });

  it('on a small phone the answer is in view: what to fix under the field it names, the reference where the page lands', async () => {
    const small = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
    const phone = await small.newPage();
    const inView = (selector: string) =>
      phone.$eval(selector, (el) => {
        const r = el.getBoundingClientRect();
        return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
      });
    try {
      const send = async (team: string, content: string) => {
        await phone.goto(`${h.app.url}/complaints/new`);
        await phone.fill('#team', team);
        await phone.fill('#content', content);
        await Promise.all([phone.waitForNavigation(), phone.click('#submit')]);
      };
      await send('GDSZ-2025-0031', '');
      expect(await phone.textContent('#content-error')).toMatch(/投诉内容/);
      expect(await phone.getAttribute('#content', 'aria-errormessage')).toBe('content-error');
      expect(await inView('#content-error')).toBe(true);
      await send('GDSZ-2025-0031', '桂城街道污水管道堵塞，雨后积水。');
      expect(await phone.textContent('#message')).toContain('投诉已受理');
      expect(await inView('#reference')).toBe(true);
    } finally {
      await small.close();
    }
  });
});
