import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A complaint sent again after the association decided it (成立 / 不成立 / 重复 / 已撤回) was answered as if it were still
 * to be checked: “协会核查后…告知处理结果” on the public page and in the JSON API's outcome, “协会将核查处理，认定结果会通
 * 知你” on the 投诉 card in Feishu. It says the complaint was received and has been handled, with its reference; in
 * Feishu the outcome card the complainant was sent, and on the web no more than that it was handled.
 */

const CUSTOMER = 'ou_repeatdecided0000000000000000001';
const TEAM = { name: '江门路灯维护班', code: 'GDSZ-2025-0081' };
let h: Harness;
let teamId: number;
let forms = 0;
let addresses = 0;
const address = () => `198.51.100.${++addresses}`;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-05-01T10:00:00+08:00'), env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '江门市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_repeatdecided_leader0000000000001' }, { openId: 'ou_repeatdecided_contact000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      ...TEAM, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_repeatdecided_leader0000000000001',
      phone: '0750-1234567', memberCount: 8, functions: '路灯维护', goals: 'x', plan: 'y', contactOpenId: 'ou_repeatdecided_contact000000000001', registeredAt: '2025-02-01',
    })
    .returning();
  teamId = team.id;
});
afterAll(async () => {
  await h?.close();
});

const byReference = async (reference: string) => (await h.db.db.select().from(complaints).where(eq(complaints.reference, reference)))[0];
async function dismiss(reference: string) {
  const c = await byReference(reference);
  const r = await h.click(ADMIN, { action: 'complaint.dismiss', complaintId: c.id }, { note: '经核查不属实' });
  expect(r.toast.type, r.toast.content).toBe('success');
  h.clock.advance(10 * 60_000);
}
async function drawnToken(): Promise<string> {
  const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
  return /name="form_token" value="([^"]+)"/.exec(page)![1];
}
async function postJson(body: Record<string, unknown>) {
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address() }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
async function postPage(body: Record<string, string>) {
  const res = await fetch(`${h.app.url}/api/complaints`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': address() },
    body: new URLSearchParams(body).toString(),
  });
  return { status: res.status, text: await res.text() };
}

describe('a complaint sent again once decided', () => {
  it('in Feishu, from a new form or the same one: handled, with the outcome card the complainant was sent', async () => {
    const formKey = `fk-decided-${++forms}`;
    const first = await h.click(CUSTOMER, { action: 'complaint.submit', teamId, formKey }, { content: '路灯夜间不亮。', contact: '' });
    expect(first.toast.type).toBe('success');
    const reference = /TS-\d{4}-\d{4}/.exec(first.toast.content)![0];
    await dismiss(reference);
    for (const again of [
      await h.click(CUSTOMER, { action: 'complaint.submit', teamId, formKey: `fk-decided-${++forms}` }, { content: '路灯夜间不亮。', contact: '' }),
      await h.click(CUSTOMER, { action: 'complaint.submit', teamId, formKey }, { content: '路灯夜间不亮。', contact: '' }),
    ]) {
      const text = cardText(again.card.data);
      expect(text).toContain(reference);
      expect(text).toContain('投诉处理结果');
      expect(text).not.toContain('协会将核查处理');
      expect(again.toast.content).toContain(reference);
      expect(again.toast.content).toContain('协会已处理');
    }
  });

  it('through the JSON API from the page (its token): handled, not “协会核查后…告知处理结果”', async () => {
    const token = await drawnToken();
    const typed = { team: TEAM.code, content: '井盖松动，车辆经过有响声。', contact: '13800000081', form_token: token };
    const first = await postJson(typed);
    expect(first.status).toBe(201);
    expect(first.body.outcome).toContain('协会核查后');
    await dismiss(first.body.reference);
    // the same page's post again (its token spent), and the same complaint from a new page
    for (const again of [await postJson(typed), await postJson({ ...typed, form_token: await drawnToken() })]) {
      expect(again.status).toBe(200);
      expect(again.body.reference).toBe(first.body.reference);
      expect(again.body.outcome).toBe('协会已处理这件投诉，处理结果由协会通过你留下的联系方式（13800000081）告知；如需询问，请联系广东省市政行业协会并提供投诉编号。');
    }
  });

  it('on the page posted without its script: handled, without a contact left', async () => {
    const typed = { team: TEAM.code, content: '人行道护栏缺失。', contact: '', form_token: await drawnToken() };
    const first = await postPage(typed);
    expect(first.status).toBe(201);
    const reference = /TS-\d{4}-\d{4}/.exec(first.text)![0];
    await dismiss(reference);
    for (const again of [await postPage(typed), await postPage({ ...typed, form_token: await drawnToken() })]) {
      expect(again.status).toBe(200);
      expect(again.text).toContain(reference);
      expect(again.text).toContain('协会已处理这件投诉；你没有留下联系方式，如想了解处理结果，请联系广东省市政行业协会并提供投诉编号。');
      expect(again.text).not.toContain('协会核查后无法告知你处理结果');
    }
  });
});
