import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, complaints, honours, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { upheldRun } from '../support/upheldRun.js';
import { inEachWorld, outboxRows, twoWorlds } from '../support/worlds.js';
import { snapshot } from './securityFixture.js';

/**
 * 第十七条 (公开、公平、公正): an administrator who leads a team, is its 单位联系人 or one of its members does not clear a
 * complaint against it (不成立, 重复, 已撤回) nor keep its title after a run of upheld complaints (保留称号, 第二十二条):
 * refused, nothing written, another administrator decides. 成立 stands, and another administrator decides as before.
 * With and without the one-statement paths (src/fast/decisions.ts): the same answers and the same rows.
 */

const LEADER = 'ou_ownteamleaderadmin000000000000001';
const MEMBER = 'ou_ownteammemberadmin000000000000001';
const CONTACT = 'ou_ownteamcontactadmin00000000000001';

interface Seeded {
  team: number;
  honour: number;
  open: number[];
}

async function seed(db: Db): Promise<Seeded> {
  const [org] = await db.insert(organizations).values({ name: '广州市政集团' }).returning();
  await db.insert(people).values([
    { openId: ADMIN, name: '王管理员' },
    { openId: LEADER, name: '赵班长', roles: ['admin'] },
    { openId: MEMBER, name: '钱组员', roles: ['admin'] },
    { openId: CONTACT, name: '孙联系人', roles: ['admin', 'org_contact'] },
  ]);
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0009', name: '市政养护九班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(teamMembers).values([{ teamId: t.id, openId: LEADER, role: 'leader' }, { teamId: t.id, openId: MEMBER, role: 'member' }]);
  const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
  // two upheld in a row since the award: 撤销 / 保留 awaits a decision; then two open complaints
  await upheldRun(db, t.id, 2);
  const open: number[] = [];
  for (const n of [1, 2]) {
    const [c] = await db
      .insert(complaints)
      .values({ reference: `TS-2027-000${n}`, teamId: t.id, content: `人行道修补后松动（第 ${n} 处）`, channel: 'web', status: 'open', createdAt: new Date(`2027-03-0${n}T10:00:00+08:00`) })
      .returning();
    open.push(c.id);
  }
  return { team: t.id, honour: ho.id, open };
}

describe('an administrator deciding on his own team', () => {
  const { fast, ordinary } = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), admins: [ADMIN] });
    return { h, s: await seed(h.db.db) };
  }, { oneOnPglite: true });

  /** What the decisions write, as both bots must leave them (an audit row's id and an outbox row's times are each database's own). */
  const decided = async (db: Db) => ({
    complaints: await db.select().from(complaints).orderBy(asc(complaints.id)),
    honours: await db.select().from(honours).orderBy(asc(honours.id)),
    audit: (await db.select().from(auditLog).orderBy(asc(auditLog.id))).map(({ id: _i, ...a }) => a),
    outbox: await outboxRows(db),
  });

  /**
   * The same click, with the same event id, on both bots (on PGlite the one bot standing for both): the same answer and
   * rows; each bot's tables before and after it.
   */
  async function both(openId: string, value: Record<string, unknown>, form: Record<string, unknown>) {
    const eventId = randomEventId();
    const out = await inEachWorld({ fast, ordinary }, async ({ h }) => {
      const before = await snapshot(h.db.db);
      const body = await h.click(openId, value, form, { eventId });
      return { body, before, after: await snapshot(h.db.db), rows: await decided(h.db.db) };
    });
    expect(out.fast.body).toEqual(out.ordinary.body);
    expect(out.fast.rows).toEqual(out.ordinary.rows);
    return [out.fast, out.ordinary];
  }

  const refusals: [string, string, (s: Seeded) => Record<string, unknown>, Record<string, unknown>, RegExp][] = [
    ['the leader: 不成立', LEADER, (s) => ({ action: 'complaint.dismiss', complaintId: s.open[0] }), { note: '经核查不属实' }, /^第十七条：.*你是市政养护九班的班组长，不能认定针对本班组的投诉为“不成立”，请其他管理员处理/],
    ['a member: 不成立', MEMBER, (s) => ({ action: 'complaint.dismiss', complaintId: s.open[0] }), { note: '经核查不属实' }, /你是市政养护九班的班组成员，不能认定针对本班组的投诉为“不成立”/],
    ['the contact: 不成立', CONTACT, (s) => ({ action: 'complaint.dismiss', complaintId: s.open[0] }), { note: '经核查不属实' }, /你是市政养护九班的单位联系人，不能认定/],
    ['the leader: 不成立 with no note', LEADER, (s) => ({ action: 'complaint.dismiss', complaintId: s.open[0] }), { note: '' }, /第十七条/],
    ['the contact: 已撤回', CONTACT, (s) => ({ action: 'complaint.withdraw', complaintId: s.open[0] }), { note: '投诉人要求撤回' }, /单位联系人，不能认定针对本班组的投诉为“已撤回”/],
    ['a member: 重复', MEMBER, (s) => ({ action: 'complaint.duplicate', complaintId: s.open[1] }), { note: '同一处', duplicateOf: 'TS-2027-0001' }, /班组成员，不能认定针对本班组的投诉为“重复”/],
    ['the leader: 保留称号', LEADER, (s) => ({ action: 'revocation.keep', honourId: s.honour }), { reason: '已整改' }, /^第十七条：.*你是市政养护九班的班组长，不能决定保留本班组的称号，请其他管理员处理/],
    ['a member: 保留称号', MEMBER, (s) => ({ action: 'revocation.keep', honourId: s.honour }), { reason: '已整改' }, /班组成员，不能决定保留本班组的称号/],
    ['the contact: 保留称号', CONTACT, (s) => ({ action: 'revocation.keep', honourId: s.honour }), { reason: '已整改' }, /单位联系人，不能决定保留本班组的称号/],
  ];

  for (const [name, who, value, form, says] of refusals) {
    it(`is refused, nothing written: ${name}`, async () => {
      const [f, o] = await both(who, value(fast.s), form);
      expect(f.body.toast?.type, JSON.stringify(f.body.toast)).toBe('error');
      expect(f.body.toast?.content).toMatch(says);
      expect(f.after, 'the fast bot').toEqual(f.before);
      expect(o.after, 'the ordinary bot').toEqual(o.before);
    });
  }

  it('another administrator decides: 不成立 and 保留称号', async () => {
    const [d] = await both(ADMIN, { action: 'complaint.dismiss', complaintId: fast.s.open[0] }, { note: '经核查不属实' });
    expect(d.body.toast).toEqual({ type: 'success', content: '已认定投诉不成立' });
    const [k] = await both(ADMIN, { action: 'revocation.keep', honourId: fast.s.honour }, { reason: '已整改' });
    expect(k.body.toast).toEqual({ type: 'success', content: '已保留称号' });
    for (const w of new Set([fast, ordinary])) {
      const [c] = await w.h.db.db.select().from(complaints).where(eq(complaints.id, w.s.open[0]));
      expect([c.status, c.decidedBy]).toEqual(['dismissed', ADMIN]);
      const [ho] = await w.h.db.db.select().from(honours).where(eq(honours.id, w.s.honour));
      expect(ho.keptReason).toBe('已整改');
    }
  });

  it('成立 against his own team stands', async () => {
    const [u] = await both(LEADER, { action: 'complaint.uphold', complaintId: fast.s.open[1] }, { note: '经核实属实' });
    expect(u.body.toast?.type).toBe('success');
    const [c] = await ordinary.h.db.db.select().from(complaints).where(eq(complaints.id, ordinary.s.open[1]));
    expect([c.status, c.decidedBy]).toEqual(['upheld', LEADER]);
  });
});
