import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * The public complaint form's errors that no route answers itself — a body over the limit (413), a fault (500) — as a
 * browser meets them: the form posted without JavaScript, or a page asked for with Accept: text/html, gets a short
 * Chinese page with the status, what happened, what to do and the way back to the form. JSON callers keep JSON.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '江门市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_pages0000000000000000000001' }, { openId: 'ou_contact_pages000000000000000000001', roles: ['org_contact'] }]);
  await db.insert(teams).values({
    code: 'GDSZ-2025-0041',
    name: '江门道路养护组',
    organizationId: org.id,
    department: '养护部',
    type: 'project',
    leaderOpenId: 'ou_leader_pages0000000000000000000001',
    phone: '0750-1234567',
    memberCount: 8,
    functions: '道路养护',
    goals: '合格率 98%',
    plan: '每月巡查',
    contactOpenId: 'ou_contact_pages000000000000000000001',
    registeredAt: '2025-02-01',
  });
});

afterAll(async () => {
  await h?.close();
});

const FORM = 'application/x-www-form-urlencoded';
/** What Chromium sends when a page's form is posted or a page is opened. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

/** The form's hidden token, as a browser gets it with the page. */
async function drawnToken(): Promise<string> {
  const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
  const token = /name="form_token" value="([^"]+)"/.exec(page)?.[1];
  expect(token).toBeTruthy();
  return token!;
}

async function post(body: string, headers: Record<string, string>) {
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', requestId: res.headers.get('x-request-id'), text: await res.text() };
}

const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const stored = async () => (await h.db.db.select().from(complaints)).length;

/** The page's text without its markup, for reading what it says. */
const words = (html: string) => html.replace(/<style[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('a body over the limit (413)', () => {
  const tooLong = '路面开裂'.repeat(100_000);

  it('the form posted without JavaScript gets a Chinese page: too long, shorten the description, back to the form', async () => {
    const token = await drawnToken();
    const res = await post(formBody({ team: '江门道路养护组', content: tooLong, contact: '', website: '', form_token: token }), { 'content-type': FORM, accept: BROWSER_ACCEPT });
    expect(res.status).toBe(413);
    expect(res.type).toBe('text/html; charset=utf-8');
    expect(words(res.text)).toContain('投诉内容过长');
    expect(words(res.text)).toContain('请返回投诉页面，将投诉内容删减到 2000 字以内后重新提交。');
    expect(res.text).toContain('<a class="back" id="back" href="/complaints/new">返回投诉页面</a>');
    expect(res.text).not.toMatch(/"code"\s*:/);
    expect(await stored()).toBe(0);
  });

  it('a form post with no Accept at all is still the page (its type says a browser sent it)', async () => {
    const res = await post(formBody({ team: '江门道路养护组', content: tooLong }), { 'content-type': FORM });
    expect(res.status).toBe(413);
    expect(res.type).toMatch(/^text\/html/);
    expect(words(res.text)).toContain('投诉内容过长');
  });

  it('a browser asking for HTML gets the page whatever the body', async () => {
    const res = await post('x'.repeat(1_100_000), { 'content-type': 'text/plain', accept: BROWSER_ACCEPT });
    expect(res.status).toBe(413);
    expect(res.type).toMatch(/^text\/html/);
  });

  it('JSON callers keep JSON: a JSON body, and a form post that asks for JSON', async () => {
    const body = JSON.stringify({ team: '江门道路养护组', content: tooLong });
    const asked: Record<string, string>[] = [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', accept: 'application/json' }, { 'content-type': FORM, accept: 'application/json' }];
    for (const headers of asked) {
      const res = await post(body, headers);
      expect(res.status).toBe(413);
      expect(res.type).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toMatchObject({ code: 413 });
    }
  });

  it('the Feishu callbacks keep JSON, whatever they are sent with', async () => {
    const res = await fetch(`${h.app.url}/lark/events`, { method: 'POST', headers: { 'content-type': FORM, accept: BROWSER_ACCEPT }, body: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('a fault (500)', () => {
  // the complaints' table out of the way: the intake's transaction fails on its insert, as on a database fault
  const fault = async <T>(run: () => Promise<T>): Promise<T> => {
    await h.db.db.execute(sql`alter table complaints rename to complaints_away`);
    try {
      return await run();
    } finally {
      await h.db.db.execute(sql`alter table complaints_away rename to complaints`);
    }
  };
  const typed = { team: '江门道路养护组', content: '江华路人行道修补后一周即松动 <b>两处</b>', contact: '13800000000', website: '' };

  it('the form posted without JavaScript gets a Chinese page: try again later, what was typed, back to the form with the team; the same form goes later', async () => {
    const token = await drawnToken();
    const body = formBody({ ...typed, form_token: token });
    const res = await fault(() => post(body, { 'content-type': FORM, accept: BROWSER_ACCEPT }));
    expect(res.status).toBe(500);
    expect(res.type).toBe('text/html; charset=utf-8');
    const said = words(res.text);
    expect(said).toContain('投诉未能提交');
    expect(said).toContain('服务器暂时出现故障，这份投诉没有受理。');
    expect(said).toContain('请稍后返回投诉页面重新提交。');
    expect(res.requestId).toBeTruthy();
    expect(said).toContain(`错误编号：${res.requestId}`);
    // what was typed, as text: the page is all that is left of it
    expect(res.text).toContain('<textarea id="typed" readonly>江华路人行道修补后一周即松动 &lt;b&gt;两处&lt;/b&gt;</textarea>');
    expect(res.text).toContain(`href="/complaints/new?team=${encodeURIComponent('江门道路养护组')}"`);
    expect(res.text).not.toMatch(/internal error|relation|complaints_away/);
    expect(await stored()).toBe(0);
    // nothing was kept, the page's token included: the same form is taken once the fault is gone
    const again = await post(body, { 'content-type': FORM, accept: BROWSER_ACCEPT });
    expect(again.status).toBe(201);
    expect(words(again.text)).toContain('投诉已受理（被投诉班组：江门道路养护组）');
    expect(await stored()).toBe(1);
  });

  it('the form page asked for through the back link names the team again', async () => {
    const res = await fetch(`${h.app.url}/complaints/new?team=${encodeURIComponent('江门道路养护组')}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/id="team"[^>]*value="江门道路养护组"/);
  });

  it('a link fills in the team only: not the complaint, nor a phone number', async () => {
    const res = await fetch(`${h.app.url}/complaints/new?team=${encodeURIComponent('江门道路养护组')}&content=${encodeURIComponent('该班组收受贿赂')}&contact=13900000000`);
    const text = await res.text();
    expect(text).toMatch(/id="team"[^>]*value="江门道路养护组"/);
    expect(text).not.toContain('该班组收受贿赂');
    expect(text).not.toContain('13900000000');
  });

  it('a JSON caller keeps JSON, in Chinese as the page says it, with no detail of the fault: a JSON body, and a JSON object sent with the form type (curl -d)', async () => {
    for (const headers of [{ 'content-type': 'application/json' }, { 'content-type': FORM }]) {
      const res = await fault(() => post(JSON.stringify(typed), headers));
      expect(res.status).toBe(500);
      expect(res.type).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toEqual({ code: 500, msg: `服务器暂时出现故障，这份投诉没有受理。请稍后重新提交。错误编号：${res.requestId}（向协会反映时请提供）`, requestId: res.requestId });
    }
  });
});
