import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { complaintRateLimit } from '../../src/web/complaintForm.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * The public form's page, posted by its script as JSON, is one complaint however often it is posted (a phone whose
 * answer was lost retries): the repeat answers with the first's reference. The next complaint from the same page gets
 * the fresh token the first answer brought. And when the hourly cap on all public complaints is reached, the sender is
 * not told they sent too often, and the administrators hear of it once in that hour.
 */

let h: Harness;
const clock = new ManualClock('2027-03-01T10:00:00+08:00');
const saved = { ...complaintRateLimit };

beforeAll(async () => {
  h = await startHarness({ clock, env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '韶关市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_repeat00000000000000000001' }, { openId: 'ou_contact_repeat0000000000000000001', roles: ['org_contact'] }]);
  await db.insert(teams).values({
    code: 'GDSZ-2025-0051', name: '韶关道路养护组', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_leader_repeat00000000000000000001',
    phone: '0751-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: 'ou_contact_repeat0000000000000000001', registeredAt: '2025-02-01',
  });
});
afterEach(() => Object.assign(complaintRateLimit, saved));
afterAll(async () => {
  await h?.close();
});

async function drawnToken(): Promise<string> {
  const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
  return /name="form_token" value="([^"]+)"/.exec(page)![1];
}

async function postJson(body: Record<string, unknown>, ip = '203.0.113.9') {
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const stored = async () => (await h.db.db.select().from(complaints)).length;

describe('the page posted by its script', () => {
  it('twice with one token is one complaint: the repeat answers with the first reference; the fresh token takes the next', async () => {
    const before = await stored();
    const token = await drawnToken();
    const typed = { team: 'GDSZ-2025-0051', content: '人行道砖松动，雨后积水。', contact: '13800000000', form_token: token };
    const first = await postJson(typed);
    expect(first.status).toBe(201);
    expect(first.body.reference).toMatch(/^TS-2027-\d{4}$/);
    expect(first.body.form_token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(first.body.form_token).not.toBe(token);

    const again = await Promise.all([postJson(typed), postJson(typed)]);
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ msg: '这份投诉已经提交过，无需重复提交。', reference: first.body.reference, team: { name: '韶关道路养护组', code: 'GDSZ-2025-0051' } });
    }
    expect(await stored()).toBe(before + 1);

    const next = await postJson({ ...typed, content: '井盖缺失。', form_token: first.body.form_token });
    expect(next.status).toBe(201);
    expect(next.body.reference).not.toBe(first.body.reference);
    expect(await stored()).toBe(before + 2);
  });

  it('a different complaint sent from a page already used (Back, a second tab) is a complaint of its own, not the first one again', async () => {
    const before = await stored();
    const token = await drawnToken();
    const first = await postJson({ team: 'GDSZ-2025-0051', content: '人行道砖松动。', contact: '13800000001', form_token: token });
    expect(first.status).toBe(201);
    // the same page's token, another complaint: it was answered with the first's number and dropped
    const other = { team: 'GDSZ-2025-0051', content: '另一处：人行道砖松动，老人绊倒', contact: '13800000002', form_token: token };
    const second = await postJson(other);
    expect(second.status).toBe(201);
    expect(second.body.reference).toMatch(/^TS-2027-\d{4}$/);
    expect(second.body.reference).not.toBe(first.body.reference);
    expect(await stored()).toBe(before + 2);
    // and that one posted again is still one complaint, answered with its own number
    const again = await postJson(other);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ msg: '这份投诉已经提交过，无需重复提交。', reference: second.body.reference });
    // spaces around what was typed make no other complaint
    const spaced = await postJson({ ...other, content: ` ${other.content} ` });
    expect(spaced.body.reference).toBe(second.body.reference);
    expect(await stored()).toBe(before + 2);
  });

  it('without a token (another program calling the API) answers as it always did', async () => {
    const r = await postJson({ team: 'GDSZ-2025-0051', content: '路灯不亮。' }, '203.0.113.10');
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['reference', 'team']);
  });
});

describe('the hourly cap on all public complaints', () => {
  it('tells the sender it is not their doing, and the administrators once in the hour', async () => {
    clock.set('2027-03-01T12:10:00+08:00');
    complaintRateLimit.globalPerHour = 1;
    expect((await postJson({ team: 'GDSZ-2025-0051', content: '第一件。' }, '198.51.100.1')).status).toBe(201);
    const refused = [await postJson({ team: 'GDSZ-2025-0051', content: '第二件。' }, '198.51.100.2'), await postJson({ team: 'GDSZ-2025-0051', content: '第三件。' }, '198.51.100.3')];
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.body.msg).toMatch(/^网上投诉暂时较多，请 \d+ 分钟后再试，或直接联系广东省市政行业协会。/);
      expect(r.body.msg).not.toContain('频繁');
    }
    const told = (await h.db.db.select().from(outbox)).filter((o) => o.dedupeKey.startsWith('complaint:cap:'));
    expect(told.map((o) => [o.receiver, (o.card as { text: string }).text])).toEqual([[ADMIN, expect.stringContaining('网上投诉入口本小时已达上限（1 件）')]]);
  });
});

describe('a refusal for too many posts, once 协会联系方式 is set', () => {
  it('says how to reach the association it tells the sender to contact', async () => {
    const saved = await h.click(ADMIN, { action: 'association.contactSave' }, { contactName: '协会秘书处 张三', contactPhone: '020-12345678', contactEmail: '', contactHours: '' });
    expect(saved.toast.type).toBe('success');
    clock.set('2027-03-01T14:10:00+08:00');
    complaintRateLimit.globalPerHour = 1;
    expect((await postJson({ team: 'GDSZ-2025-0051', content: '第四件。' }, '198.51.100.4')).status).toBe(201);
    const capped = await postJson({ team: 'GDSZ-2025-0051', content: '第五件。' }, '198.51.100.5');
    expect(capped.status).toBe(429);
    expect(capped.body.msg).toContain('或直接联系广东省市政行业协会（协会秘书处 张三，电话 020-12345678）。');
  });
});
