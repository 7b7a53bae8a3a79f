import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, complaints, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { titlesAwaitingDecision, titleStatus } from '../../src/complaints.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 第二十二条's alert is raised once per run. A complaint received before the run's first one, still being checked while
 * the later two were upheld and the alert went out, then upheld itself, made the run longer at its start: the alert
 * was raised a second time for the same pending 撤销 / 保留 (a second card, a second audit row, 撤销称号提醒已发出 again).
 * The run is the same one, its decision already awaited: no second alert, and the days it has been awaited (the
 * escalation's 撤销称号已 N 天未决定) still count from the first alert.
 */

let h: Harness;
let teamId: number;
let honourId: number;
const ids: number[] = [];
const clock = new ManualClock('2027-03-10T09:00:00+08:00');

beforeAll(async () => {
  h = await startHarness({ clock });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '韶关市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_grownback_leader00000000000000001' }, { openId: 'ou_grownback_contact0000000000000001', roles: ['org_contact'] }]);
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0711', name: '韶关道路养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_grownback_leader00000000000000001',
      phone: '0751-1234567', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: 'ou_grownback_contact0000000000000001', registeredAt: '2025-01-10',
    })
    .returning();
  teamId = t.id;
  const [ho] = await db.insert(honours).values({ teamId, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
  honourId = ho.id;
  for (const i of [1, 2, 3]) {
    const [c] = await db
      .insert(complaints)
      .values({ reference: `TS-2027-071${i}`, teamId, content: `路面沉陷（第 ${i} 处）`, channel: 'web', status: 'open', createdAt: new Date(`2027-02-0${i}T10:00:00+08:00`) })
      .returning();
    ids.push(c.id);
  }
});
afterAll(async () => {
  await h?.close();
});

const uphold = async (complaintId: number) => {
  clock.advance(60_000);
  const r = await h.click(ADMIN, { action: 'complaint.uphold', complaintId }, { note: '经核实属实' });
  await h.drain();
  return r.toast;
};
const alerts = async () => (await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `revocation:alert:${honourId}:%`))).map((o) => o.dedupeKey);
const audited = async () => (await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'honour.revocationAlert'))).length;

describe('a run grown at its start by an earlier complaint upheld late', () => {
  it('raises its alert once', async () => {
    expect(await uphold(ids[1])).toEqual({ type: 'success', content: '已认定投诉成立' });
    expect(await uphold(ids[2])).toEqual({ type: 'success', content: '已认定投诉成立，撤销称号提醒已发出' });
    const reached = clock.now();
    const first = await alerts();
    expect(first).toHaveLength(1);
    expect(await audited()).toBe(1);
    // the complaint received first, checked longer, upheld last: the same run, now of three, its decision awaited already
    expect(await uphold(ids[0])).toEqual({ type: 'success', content: '已认定投诉成立' });
    expect((await titleStatus(h.db.db, teamId))?.view.run).toBe(3);
    expect(await alerts()).toEqual(first);
    expect(await audited()).toBe(1);
    // awaited since the alert went out, not since the late uphold (the escalation counts its days from then)
    expect((await titlesAwaitingDecision(h.db.db)).map((t) => [t.honourId, t.run, t.dueAt.toISOString()])).toEqual([[honourId, 3, reached.toISOString()]]);
  });
});
