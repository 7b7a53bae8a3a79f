import { sql } from 'drizzle-orm';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * The complaint page's own script, on answers the route does not give itself: a body over the server's limit (413)
 * and a fault (500). Both are told in Chinese, with what to do, and a fault with the request's number.
 */
let h: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_l1' }, { openId: 'ou_c1', roles: ['org_contact'] }]);
  await db.insert(teams).values({ code: 'GDSZ-2025-0007', name: '广州市政养护一班', organizationId: org.id, department: 'x', type: 'project', leaderOpenId: 'ou_l1', phone: '020-12345678', memberCount: 12, functions: 'x', goals: 'x', plan: 'x', contactOpenId: 'ou_c1', registeredAt: '2025-02-01' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'] });
  page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await page.goto(`${h.app.url}/complaints/new`);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function submit(values: { team: string; content: string }): Promise<{ status: number; message: string }> {
  await page.fill('#team', values.team);
  await page.fill('#content', values.content);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/complaints'));
  await page.click('#submit');
  const res = await answered;
  await page.waitForFunction(() => !(document.getElementById('submit') as HTMLButtonElement).disabled);
  return { status: res.status(), message: (await page.textContent('#message')) ?? '' };
}

describe('the complaint page, with its script, when the server refuses the body or fails', () => {
  it('a pasted text over the body limit (413): the page tells the complainant in Chinese what to fix', async () => {
    const r = await submit({ team: 'GDSZ-2025-0007', content: '路面开裂，'.repeat(80_000) });
    expect(r.status).toBe(413);
    expect(r.message).toMatch(/[\u4e00-\u9fff]/);
    expect(r.message).not.toMatch(/body larger than/);
    expect(r.message).toContain('删减到 2000 字以内');
    // nothing was stored
    expect(await h.db.db.select().from(complaints)).toEqual([]);
  }, 120_000);

  it('a fault (500): the page says in Chinese that nothing was taken and to try again', async () => {
    await h.db.db.execute(sql`create or replace function cw_fail() returns trigger language plpgsql as $$ begin raise exception 'simulated fault'; end $$`);
    await h.db.db.execute(sql`create trigger cw_fail before insert on complaints for each row execute function cw_fail()`);
    const r = await submit({ team: 'GDSZ-2025-0007', content: '井盖缺失' });
    await h.db.db.execute(sql`drop trigger cw_fail on complaints`);
    expect(await h.db.db.select().from(complaints)).toEqual([]);
    expect(r.status).toBe(500);
    expect(r.message).not.toBe('internal error');
    expect(r.message).toContain('服务器暂时出现故障，这份投诉没有受理');
    // the number the association can find in its log
    expect(r.message).toMatch(/错误编号：[0-9a-f-]{36}/);
  }, 120_000);
});
