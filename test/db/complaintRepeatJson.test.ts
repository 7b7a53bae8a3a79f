import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { complaints, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { titleStatus } from '../../src/complaints.js';
import { complaintRateLimit } from '../../src/web/complaintForm.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * The same complaint posted twice through the JSON API without the page's token (another program retrying, a second
 * tab, a page drawn again) was two complaints: the second said nothing of the first, and both upheld made a run of two
 * towards 第二十二条. Now an identical repeat (the same team, content and contact, spaces and widths aside, within a
 * day) is answered with the first one's reference, as the page's token is; nothing is stored, nor counted against the
 * address's allowance, and the run counts the complaint once.
 */

const TEAM = { name: '佛山道路养护二班', code: 'GDSZ-2026-0012' };
const CONTENT = '人行道砖松动，雨后积水。';
const CONTACT = '13800000000';

let h: Harness;
let teamId: number;
const clock = new ManualClock('2027-09-01T10:00:00+08:00');
const saved = { ...complaintRateLimit };
let addresses = 0;
const address = () => `198.51.100.${++addresses}`;

beforeAll(async () => {
  h = await startHarness({ clock, env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '佛山市市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_repeatjson_leader000000000000001' }, { openId: 'ou_repeatjson_contact00000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      ...TEAM, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_repeatjson_leader000000000000001',
      phone: '0757-1234567', memberCount: 8, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: 'ou_repeatjson_contact00000000000001', registeredAt: '2025-02-01',
    })
    .returning();
  teamId = team.id;
  await db.insert(honours).values({ teamId, year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') });
});
afterEach(() => Object.assign(complaintRateLimit, saved));
afterAll(async () => {
  await h?.close();
});

async function postJson(body: Record<string, unknown>, ip = address()) {
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const stored = async () => (await h.db.db.select().from(complaints).where(eq(complaints.teamId, teamId))).length;

describe('the same complaint through the JSON API without a token', () => {
  it('posted again is answered with the first reference and stored once, however its team, spaces and widths were typed', async () => {
    clock.advance(3 * 86_400_000);
    const before = await stored();
    const first = await postJson({ team: TEAM.code, content: CONTENT, contact: CONTACT });
    expect(first.status).toBe(201);
    for (const again of [
      { team: TEAM.code, content: CONTENT, contact: CONTACT },
      { team: TEAM.name, content: ` ${CONTENT} `, contact: CONTACT },
      { team: TEAM.code, content: '人行道砖松动， 雨后积水。', contact: '138 0000 0000' },
      { team: TEAM.code, content: CONTENT, contact: '１３８００００００００' },
      // the same mobile as people write it: with +86, dashes or brackets
      { team: TEAM.code, content: CONTENT, contact: '+86 138-0000-0000' },
      { team: TEAM.code, content: CONTENT, contact: '(86)138 0000 0000' },
    ]) {
      clock.advance(60_000);
      const r = await postJson(again);
      expect(r.status, JSON.stringify(again)).toBe(200);
      expect(r.body).toEqual({ msg: '这份投诉已经提交过，无需重复提交。', reference: first.body.reference, team: TEAM });
    }
    expect(await stored()).toBe(before + 1);
  });

  it('posted several times at once is one complaint', async () => {
    clock.advance(3 * 86_400_000);
    const before = await stored();
    const answers = await Promise.all([1, 2, 3].map(() => postJson({ team: TEAM.code, content: '井盖缺失，夜间危险。', contact: CONTACT })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.reference)).size).toBe(1);
    expect(await stored()).toBe(before + 1);
  });

  it('another content, another contact, or a day later is a complaint of its own', async () => {
    clock.advance(3 * 86_400_000);
    const before = await stored();
    const base = { team: TEAM.code, content: '路灯不亮。', contact: CONTACT };
    const refs = [(await postJson(base)).body.reference];
    for (const other of [{ ...base, content: '路灯不亮，已三天。' }, { ...base, contact: '13900000000' }, { ...base, contact: '' }]) {
      const r = await postJson(other);
      expect(r.status, JSON.stringify(other)).toBe(201);
      refs.push(r.body.reference);
    }
    clock.advance(24 * 3_600_000 + 60_000);
    const later = await postJson(base);
    expect(later.status).toBe(201);
    refs.push(later.body.reference);
    expect(new Set(refs).size).toBe(5);
    expect(await stored()).toBe(before + 5);
  });

  it('a repeat counts against no allowance: the address may still send its next complaint', async () => {
    clock.advance(3 * 86_400_000);
    complaintRateLimit.max = 2;
    const ip = address();
    const typed = { team: TEAM.code, content: '检查井盖板破损。', contact: CONTACT };
    expect((await postJson(typed, ip)).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await postJson(typed, ip)).status).toBe(200);
    expect((await postJson({ ...typed, content: '另一处检查井盖板破损。' }, ip)).status).toBe(201);
  });
});

describe('the same complaint from the page drawn again (another token), posted without JavaScript', () => {
  it('is answered with the page saying it was sent, with the first reference', async () => {
    clock.advance(3 * 86_400_000);
    const before = await stored();
    const post = async () => {
      const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
      const token = /name="form_token" value="([^"]+)"/.exec(page)![1];
      const res = await fetch(`${h.app.url}/api/complaints`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': address() },
        body: new URLSearchParams({ team: TEAM.code, content: '雨水口堵塞。', contact: CONTACT, form_token: token, website: '' }).toString(),
      });
      return { status: res.status, page: await res.text() };
    };
    const first = await post();
    expect(first.status).toBe(201);
    const reference = /<div class="reference" id="reference">([^<]+)<\/div>/.exec(first.page)![1];
    const again = await post();
    expect(again.status).toBe(200);
    expect(again.page).toContain(`这份投诉已经提交过，无需重复提交。被投诉班组：${TEAM.name}。投诉编号：<div class="reference" id="reference">${reference}</div>`);
    expect(await stored()).toBe(before + 1);
  });
});

describe('第二十二条 counts a complaint posted twice once', () => {
  it('every complaint stored upheld makes a run of one, and no revocation alert', async () => {
    clock.advance(3 * 86_400_000);
    await h.db.db.update(complaints).set({ status: 'dismissed', decidedAt: clock.now(), note: '不成立' }).where(eq(complaints.status, 'open'));
    const typed = { team: TEAM.code, content: '沥青路面修补后一周即开裂。', contact: CONTACT };
    expect((await postJson(typed)).status).toBe(201);
    clock.advance(60_000);
    await postJson(typed);
    clock.advance(60_000);
    const open = await h.db.db.select().from(complaints).where(eq(complaints.status, 'open'));
    for (const c of open) expect((await h.click(ADMIN, { action: 'complaint.uphold', complaintId: c.id }, { note: '经核实属实' })).toast.type).toBe('success');
    expect((await titleStatus(h.db.db, teamId))?.view.run).toBe(1);
    expect((await h.db.db.select().from(outbox)).filter((o) => o.dedupeKey.startsWith('revocation:alert:'))).toEqual([]);
  });
});
