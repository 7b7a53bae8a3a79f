import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A web complainant gets no Feishu notice: the public page says how, and whether, they will learn the outcome — the
 * association tells it at the contact left (phone or e-mail); with none left they will not hear, and may ask the
 * association quoting the reference. Said by the contact field's hint, the footer, the answer to the form posted without
 * JavaScript, and the JSON answer the page's script shows.
 */

let h: Harness;
let ip = 0;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-01T10:00:00+08:00'), env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '汕头市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_outcome00000000000000000001' }, { openId: 'ou_contact_outcome0000000000000000001', roles: ['org_contact'] }]);
  await db.insert(teams).values({
    code: 'GDSZ-2025-0081', name: '汕头道路养护组', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_leader_outcome00000000000000000001',
    phone: '0754-1234567', memberCount: 8, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: 'ou_contact_outcome0000000000000000001', registeredAt: '2025-02-01',
  });
});
afterAll(async () => {
  await h?.close();
});

const words = (html: string) => html.replace(/<style[\s\S]*?<\/style>/, '').replace(/<script[\s\S]*?<\/script>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

async function postPage(contact: string) {
  const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
  const token = /name="form_token" value="([^"]+)"/.exec(page)![1];
  const res = await fetch(`${h.app.url}/api/complaints`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,*/*;q=0.8', 'x-forwarded-for': `198.51.100.${++ip}` },
    body: new URLSearchParams({ team: 'GDSZ-2025-0081', content: `井盖松动（${ip}）`, contact, website: '', form_token: token }).toString(),
  });
  return { status: res.status, said: words(await res.text()) };
}

async function postJson(contact: string) {
  const res = await fetch(`${h.app.url}/api/complaints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${++ip}` },
    // as the page's script posts it: with the page's token
    body: JSON.stringify({ team: 'GDSZ-2025-0081', content: `井盖松动（${ip}）`, contact, form_token: randomBytes(18).toString('base64url') }),
  });
  return { status: res.status, body: (await res.json()) as { reference?: string; outcome?: string } };
}

describe('how a web complainant learns the outcome', () => {
  it('the form says it beside the contact field and in the footer', async () => {
    const said = words(await (await fetch(`${h.app.url}/complaints/new`)).text());
    expect(said).toContain('选填，电话或邮箱，仅协会可见，便于协会回访并告知处理结果；不留则无法告知，可凭投诉编号联系协会询问');
    expect(said).toContain('处理结果由协会通过你留下的联系方式告知；未留联系方式的无法告知，可凭投诉编号联系协会询问');
  });

  it('without JavaScript, a complaint with a contact is told the result will come there', async () => {
    const r = await postPage('13800000000');
    expect(r.status).toBe(201);
    expect(r.said).toMatch(/投诉已受理（被投诉班组：汕头道路养护组）。投诉编号： TS-2027-\d{4} 协会核查后，将通过你留下的联系方式（13800000000）告知处理结果/);
  });

  it('without JavaScript, a complaint with no contact is told it will not hear, and how to ask', async () => {
    const r = await postPage('');
    expect(r.status).toBe(201);
    expect(r.said).toContain('你没有留下联系方式，协会核查后无法告知你处理结果；如想了解结果，请联系广东省市政行业协会并提供投诉编号。');
  });

  it('the JSON answer (what the page\'s script shows under the reference) says the same', async () => {
    const withContact = await postJson('name@example.com');
    expect(withContact.status).toBe(201);
    expect(withContact.body.outcome).toBe('协会核查后，将通过你留下的联系方式（name@example.com）告知处理结果；如需询问，请联系广东省市政行业协会并提供投诉编号。');
    const without = await postJson('');
    expect(without.status).toBe(201);
    expect(without.body.outcome).toContain('你没有留下联系方式');
    const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
    expect(page).toContain("r.data.reference, r.data.outcome)");
  });
});
