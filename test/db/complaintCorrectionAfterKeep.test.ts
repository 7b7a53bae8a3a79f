import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, complaints, cycles, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { titlesAwaitingDecision, titleStatus } from '../../src/complaints.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 保留称号 (第二十二条) sets aside the run of upheld complaints it answered: they do not count again. 更正认定 of one of
 * them (成立 → 不成立 → 成立, each a new decision time) leaves it set aside, so the correction raises no alert the
 * administrator already answered, and the next upheld complaint starts a run of one, not two. A complaint that was
 * 不成立 when the title was kept and is corrected to 成立 afterwards was not weighed by that 保留: it counts.
 */

const LEADER = 'ou_keptcorrectleader0000000000000001';
const CONTACT = 'ou_keptcorrectcontact000000000000001';

interface Seeded {
  team: number;
  honour: number;
  /** c[0], c[1] upheld (the run kept), c[2] dismissed before the 保留, c[3] open, received after it. */
  c: number[];
}

async function seed(db: Db): Promise<Seeded> {
  await db.insert(cycles).values({
    year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { revocationRun: 2 },
  });
  const [org] = await db.insert(organizations).values({ name: '保留更正测试单位' }).returning();
  await db.insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'] }]);
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0711', name: '韶关道路养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
  const rows = [
    { reference: 'TS-2027-0901', status: 'dismissed', day: 1 },
    { reference: 'TS-2027-0902', status: 'upheld', day: 2 },
    { reference: 'TS-2027-0903', status: 'upheld', day: 3 },
  ];
  const c: number[] = [];
  for (const r of rows) {
    const [x] = await db
      .insert(complaints)
      .values({
        reference: r.reference, teamId: t.id, content: `井盖松动（${r.day} 日）`, channel: 'web', status: r.status, note: '核实', decidedBy: ADMIN,
        decidedAt: new Date(`2027-02-${10 + r.day}T10:00:00+08:00`), createdAt: new Date(`2027-02-0${r.day}T10:00:00+08:00`),
      })
      .returning();
    c.push(x.id);
  }
  const [later] = await db.insert(complaints).values({ reference: 'TS-2027-0904', teamId: t.id, content: '路灯不亮', channel: 'web', status: 'open', createdAt: new Date('2027-03-05T10:00:00+08:00') }).returning();
  // c[1], c[2] the run kept; c[0] dismissed before it
  return { team: t.id, honour: ho.id, c: [c[1], c[2], c[0], later.id] };
}

describe.each(MODES_HERE)('更正认定 of a complaint a 保留称号 set aside (%s)', (mode) => {
  let h: Harness;
  let s: Seeded;
  const clock = new ManualClock('2027-03-01T09:00:00+08:00');
  beforeAll(async () => {
    h = await startHarness({ clock });
    h.app.processor.fastPaths = mode === 'fast';
    s = await seed(h.db.db);
  });
  afterAll(() => h?.close());

  const alerts = () => h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'honour.revocationAlert'), eq(auditLog.entityId, String(s.honour))));

  it('the run kept: 保留称号 sets both upheld complaints aside', async () => {
    expect((await titleStatus(h.db.db, s.team))?.view).toMatchObject({ run: 2, required: 2 });
    const kept = await h.click(ADMIN, { action: 'revocation.keep', honourId: s.honour }, { reason: '已整改到位' });
    expect(kept.toast).toEqual({ type: 'success', content: '已保留称号' });
    expect((await titleStatus(h.db.db, s.team))?.view.run).toBe(0);
  });

  it('成立 → 不成立 → 成立 of a kept complaint: still set aside, no alert, nothing awaiting a decision', async () => {
    clock.set(new Date('2027-03-02T09:00:00+08:00'));
    const off = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[0], to: 'dismissed' }, { note: '误点成立' });
    expect(off.toast?.type).toBe('success');
    clock.set(new Date('2027-03-03T09:00:00+08:00'));
    const back = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[0], to: 'upheld' }, { note: '复核后确认成立' });
    expect(back.toast).toEqual({ type: 'success', content: '已将投诉 TS-2027-0902 由“不成立”更正为“成立”' });
    expect((await titleStatus(h.db.db, s.team))?.view.run).toBe(0);
    expect(await titlesAwaitingDecision(h.db.db)).toEqual([]);
  });

  it('the next upheld complaint starts a run of one: the kept run raises no alert again', async () => {
    clock.set(new Date('2027-03-06T09:00:00+08:00'));
    const r = await h.click(ADMIN, { action: 'complaint.uphold', complaintId: s.c[3] }, { note: '核实成立' });
    expect(r.toast).toEqual({ type: 'success', content: '已认定投诉成立' });
    expect((await titleStatus(h.db.db, s.team))?.view).toMatchObject({ run: 1, required: 2 });
    expect(await alerts()).toEqual([]);
    const [honour] = await h.db.db.select().from(honours).where(eq(honours.id, s.honour));
    expect(honour.revokedAt).toBeNull();
  });

  it('a complaint 不成立 when the title was kept, corrected to 成立 after: not weighed by that 保留, it counts', async () => {
    clock.set(new Date('2027-03-07T09:00:00+08:00'));
    // c[2] (received 2 月 1 日) and c[3] (3 月 5 日) upheld in a row, the kept c[0], c[1] between them set aside
    const r = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[2], to: 'upheld' }, { note: '复核属实' });
    expect(r.toast).toEqual({ type: 'success', content: '已将投诉 TS-2027-0901 由“不成立”更正为“成立”，撤销称号提醒已发出' });
    expect((await titleStatus(h.db.db, s.team))?.view).toMatchObject({ run: 2, required: 2 });
    expect(await alerts()).toHaveLength(1);
  });
});
