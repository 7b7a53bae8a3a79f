import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, certificates, complaints, honours, organizations, people, teams } from '../../db/schema.js';
import { titlesOfTeams } from '../../src/certificates/check.js';
import { ManualClock } from '../../src/clock.js';
import { fastSubmitComplaint } from '../../src/fast/complaint.js';
import { testDatabaseKind } from '../support/db.js';
import { cardActions, cardText } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * 第二十一条 (supervision by the public): a customer holds the team's certificate, which prints the team's name as it was
 * then and the certificate's number, never the team's code. On the public form either finds the team, after a rename too.
 */

let h: Harness;
let teamId: number;
/** A team that never held the title, renamed by 修改资料 from 佛山排水二班. */
let renamedId: number;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-09-01T10:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '佛山市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_leader_cert00000000000000000000001' }, { openId: 'ou_contact_cert0000000000000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0061', name: '养护一班（东区）', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_leader_cert00000000000000000000001',
      phone: '0757-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: 'ou_contact_cert0000000000000000000001', registeredAt: '2025-02-01',
    })
    .returning();
  teamId = team.id;
  const [honour] = await db.insert(honours).values({ teamId, year: 2026, awardedAt: new Date('2026-07-20T10:00:00+08:00') }).returning();
  // issued before the team was renamed to 养护一班（东区）
  await db.insert(certificates).values({
    number: 'GDSZ-ZS-2026-0007', honourId: honour.id, teamId, year: 2026, association: '广东省市政行业协会', teamName: '佛山养护一班',
    organization: '佛山市政养护有限公司', title: '广东省市政工程质量信得过班组', issuedAt: new Date('2026-07-20T10:00:00+08:00'),
  });
  const [renamed] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0062', name: '排水管网二班', organizationId: org.id, department: '排水部', type: 'project', leaderOpenId: 'ou_leader_cert00000000000000000000001',
      phone: '0757-1234568', memberCount: 6, functions: '管网疏通', goals: '合格率 98%', plan: '每月巡查', contactOpenId: 'ou_contact_cert0000000000000000000001', registeredAt: '2025-03-01',
    })
    .returning();
  renamedId = renamed.id;
  // the row 修改资料 writes for a rename (src/teams.ts, updateTeam)
  await db.insert(auditLog).values({ actor: 'ou_leader_cert00000000000000000000001', action: 'team.rename', entity: 'team', entityId: String(renamed.id), details: { from: '佛山排水二班', to: '排水管网二班' }, at: new Date('2026-03-01T10:00:00+08:00') });
});

afterAll(async () => {
  await h?.close();
});

// each post a complaint of its own: the same words about the same team within a day are one complaint sent again
let posted = 0;
async function complain(team: string) {
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team, content: `井盖松动，多日未修（第 ${++posted} 处）` }) });
  return { status: res.status, body: await res.json() };
}

const latest = async () => (await h.db.db.select().from(complaints).orderBy(desc(complaints.id)).limit(1))[0];

describe('the public form finds a title holder by what its certificate prints', () => {
  it('the name the certificate was issued under, since renamed', async () => {
    const res = await complain('佛山养护一班');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await latest()).teamId).toBe(teamId);
  });

  it('the certificate’s number, in half and in full width', async () => {
    for (const typed of ['GDSZ-ZS-2026-0007', 'ＧＤＳＺ－ＺＳ－２０２６－０００７']) {
      const res = await complain(typed);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect((await latest()).teamId).toBe(teamId);
    }
  });

  it('a number no certificate has is not found, and the answer says what may be typed', async () => {
    const before = (await latest()).id;
    const res = await complain('GDSZ-ZS-2026-0999');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('或其荣誉证书编号（形如 GDSZ-ZS-2026-0001）');
    expect((await latest()).id).toBe(before);
  });
});

describe('a team that never held the title, renamed by 修改资料', () => {
  it('is found by the name it had, on the public form and in chat, whose form says it was renamed', async () => {
    const res = await complain('佛山排水二班');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await latest()).teamId).toBe(renamedId);
    const customer = 'ou_customer_cert00000000000000000001';
    await h.say(customer, '投诉 佛山排水二班');
    const form = h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === customer).at(-1)!.content;
    expect(cardText(form)).toContain('被投诉班组：**排水管网二班**（GDSZ-2025-0062，原名“佛山排水二班”）');
    expect(cardActions(form)).toContainEqual(expect.objectContaining({ action: 'complaint.submit', teamId: renamedId }));
  });

  it('typed into the chat form by the name it had, filed against it, on the one-statement path and off', async () => {
    for (const fast of [true, false]) {
      h.app.processor.fastPaths = fast;
      const customer = `ou_customer_cert0000000000000000000${fast ? 2 : 3}`;
      const res = await h.click(customer, { action: 'complaint.submit', formKey: `fk-renamed-${fast}` }, { team: '佛山排水二班', content: `雨水口堵塞（${fast ? '一' : '二'}）`, contact: '13800000000' });
      expect(res.toast?.type, JSON.stringify(res.toast)).toBe('success');
      expect((await latest()).teamId).toBe(renamedId);
    }
    h.app.processor.fastPaths = true;
  });

  it('is not found by the name it had on the public 查询证书: a name a team merely had is the association’s record, not a certificate', async () => {
    const found = await titlesOfTeams(h.db.db, '佛山排水二班', 'Asia/Shanghai');
    expect(found.map((t) => t.code)).not.toContain('GDSZ-2025-0062');
    // its name now finds it there, as before
    expect((await titlesOfTeams(h.db.db, '排水管网二班', 'Asia/Shanghai')).map((t) => t.code)).toEqual(['GDSZ-2025-0062']);
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('the one statement finds it by the name it had, as findTeams does', async () => {
    h.clock.advance(3_600_000);
    const done = await fastSubmitComplaint(h.db, {
      eventId: 'ev_renamed_fast_direct', eventType: 'card.action.trigger', openId: 'ou_customer_cert00000000000000000004', team: { name: '佛山排水二班' },
      content: '雨水口堵塞（三）', year: 2027, now: h.clock.now(), bootstrapAdmins: [],
    });
    expect(done?.team).toEqual({ name: '排水管网二班', code: 'GDSZ-2025-0062' });
    expect((await latest()).teamId).toBe(renamedId);
  });
});
