import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { complaintRateLimit } from '../../src/web/complaintForm.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

const LEADER = 'ou_leader_browser00000000000000000001';
const CONTACT = 'ou_contact_browser0000000000000000001';

let h: Harness;
let browser: Browser;
let page: Page;
let teamCode = '';

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
  await db.insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0007',
      name: '广州市政养护一班',
      organizationId: org.id,
      department: '养护事业部',
      type: 'project',
      leaderOpenId: LEADER,
      phone: '020-12345678',
      memberCount: 12,
      functions: '城市道路养护',
      goals: '道路完好率 98%',
      plan: '每月 QC 活动',
      contactOpenId: CONTACT,
      registeredAt: '2025-02-01',
    })
    .returning();
  teamCode = team.code;
  // a title holder: a slip in its name is answered with it
  await db.insert(honours).values({ teamId: team.id, year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await page.goto(`${h.app.url}/complaints/new`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const stored = async () => h.db.db.select().from(complaints);

async function submit(values: { team?: string; content?: string; contact?: string }): Promise<string> {
  await page.fill('#team', values.team ?? '');
  await page.fill('#content', values.content ?? '');
  await page.fill('#contact', values.contact ?? '');
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/complaints'));
  await page.click('#submit');
  await answered;
  await page.waitForFunction(() => !(document.getElementById('submit') as HTMLButtonElement).disabled);
  return (await page.textContent('#message')) ?? '';
}

describe('the public complaint form in a real browser (acceptance 4)', () => {
  it('is a plain form in Chinese that fits a phone', async () => {
    expect(await page.title()).toContain('质量投诉');
    expect(await page.locator('label[for=team]').textContent()).toContain('被投诉班组');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
  });

  it('empty content gets a clear message and stores nothing', async () => {
    const message = await submit({ team: teamCode, content: '' });
    expect(message).toContain('请填写投诉内容');
    expect(await page.getAttribute('#content', 'aria-invalid')).toBe('true');
    expect(await stored()).toEqual([]);
  });

  it('too long content gets a clear message and stores nothing', async () => {
    const message = await submit({ team: teamCode, content: '裂'.repeat(2001) });
    expect(message).toContain('投诉内容不能超过 2000 字');
    expect(await page.textContent('#content-count')).toBe('2001 / 2000');
    expect(await stored()).toEqual([]);
  });

  it('an unknown team gets a clear message and stores nothing', async () => {
    const message = await submit({ team: '不存在的班组', content: '路面破损' });
    expect(message).toContain('找不到班组“不存在的班组”');
    expect(await page.getAttribute('#team', 'aria-invalid')).toBe('true');
    expect(await stored()).toEqual([]);
  });

  it('a title holder’s name with a slip: the page names the team it may be under the field, and stores nothing', async () => {
    const message = await submit({ team: '广州市政养护一斑', content: '路面破损' });
    expect(message).toContain('找不到班组“广州市政养护一斑”。你要投诉的是不是“广州市政养护一班”（GDSZ-2025-0007）？');
    expect(await page.textContent('#team-error')).toContain('你要投诉的是不是“广州市政养护一班”（GDSZ-2025-0007）？');
    expect(await stored()).toEqual([]);
  });

  it('fill, submit, see the reference number; the admins are alerted', async () => {
    const message = await submit({ team: '广州市政养护一班', content: '中山五路人行道修补后一周即松动，老人险些绊倒。', contact: '13800000000' });
    expect(message).toContain('投诉已受理');
    // outside Feishu, the complainant learns the outcome at the contact they left
    expect(await page.textContent('#outcome')).toContain('协会核查后，将通过你留下的联系方式（13800000000）告知处理结果');
    const reference = (await page.textContent('#reference')) ?? '';
    expect(reference).toMatch(/^TS-2027-\d{4}$/);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/complaint-form.png', fullPage: true });
    const [row] = await h.db.db.select().from(complaints).where(eq(complaints.reference, reference));
    expect(row).toMatchObject({ channel: 'web', status: 'open', contact: '13800000000' });
    expect(await page.inputValue('#content')).toBe('');
    await h.drain();
    const alert = h.fake.messages.find((m) => m.receiveId === ADMIN && cardText(m.content).includes(reference));
    expect(alert).toBeDefined();
  });

  it('the rate limit answers 429 and the page says to wait', async () => {
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/api/complaints')) statuses.push(r.status());
    });
    let message = '';
    // only complaints taken count: the three mistakes above left four more to go
    for (let i = 0; i < complaintRateLimit.max + 1 && !message.includes('频繁'); i++) message = await submit({ team: teamCode, content: `第 ${i + 2} 次投诉` });
    expect(message).toContain('提交过于频繁');
    expect(statuses.at(-1)).toBe(429);
    expect((await stored()).length).toBe(complaintRateLimit.max);
  });

  it("another site's script posting here for its visitor (no-cors, text/plain) is refused with 403 and stores nothing", async () => {
    const before = (await stored()).length;
    // a page of another site: localhost is not the bot's 127.0.0.1, so the browser marks the post cross-site
    const other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>别的网站</title>'));
    const port = await new Promise<number>((resolve) => other.listen(0, '127.0.0.1', () => resolve((other.address() as AddressInfo).port)));
    try {
      const visitor = await browser.newPage();
      await visitor.goto(`http://localhost:${port}/`);
      const answered = visitor.waitForResponse((r) => r.url().endsWith('/api/complaints'));
      await visitor.evaluate(
        ([url, body]) => fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }).then(() => undefined),
        [`${h.app.url}/api/complaints`, JSON.stringify({ team: '广州市政养护一班', content: '别的网站替访客提交的投诉' })] as const,
      );
      expect((await answered).status()).toBe(403);
      await visitor.close();
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
    expect((await stored()).length).toBe(before);
  });
});
