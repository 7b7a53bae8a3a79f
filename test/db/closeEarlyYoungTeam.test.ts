import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, auditLog, cycles, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * 第十六条 (E1, counted at the application deadline) and 截止申报 clicked before the deadline: the applications close that
 * day, so a team in the review not a year old by it is refused, as bringing the deadline forward in 评审设置 is; a close
 * that passes moves the deadline to the day it closed (the cards show it, the audit row says from what). On PostgreSQL
 * with experts in the pool the one-statement path decides (src/fast/cycleSteps.ts), else the ordinary one.
 */

const EXPERTS = ['ou_earlyexpert000000000000000000001', 'ou_earlyexpert000000000000000000002', 'ou_earlyexpert000000000000000000003'];

let h: Harness;
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const db = () => h.db.db;

async function seedTeam(cycleId: number, n: number, registeredAt: string) {
  const [org] = await db().insert(organizations).values({ name: `早截单位${n}` }).returning();
  const leader = `ou_earlyleader00000000000000000000${n}`;
  const contact = `ou_earlycontact0000000000000000000${n}`;
  await db().insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'] }]);
  const [team] = await db()
    .insert(teams)
    .values({
      code: `GDSZ-2026-020${n}`, name: `早截班组${n}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
      memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: 'QC 活动', contactOpenId: contact, registeredAt,
    })
    .returning();
  const [app] = await db().insert(applications).values({ teamId: team.id, cycleId, status: 'accepted', form: { title: `成果${n}` } }).returning();
  return app;
}

describe('截止申报 before the application deadline', () => {
  it('is refused while a team in the review would not be a year old that day, naming it and what to do', async () => {
    await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '道路', maxLoad: '10' });
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    const [cycle] = await db().select().from(cycles);
    await seedTeam(cycle.id, 1, '2025-01-10');
    // a year old on 2027-04-15: before the deadline, so it could apply; not by today
    await seedTeam(cycle.id, 2, '2026-04-15');
    const res = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: cycle.id });
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('第十六条');
    expect(res.toast.content).toContain('早截班组2（GDSZ-2026-0202，2027年4月15日满一年）');
    expect(res.toast.content).toContain('请于2027年4月15日或之后再截止，或先将这些申报退回');
    const [after] = await db().select().from(cycles);
    expect(after).toMatchObject({ status: 'open', applicationDeadline: '2027-05-31' });
    expect(await db().select().from(auditLog).where(eq(auditLog.action, 'cycle.closeApplications'))).toHaveLength(0);
  });

  it('closes once every team is a year old by the day, and the deadline becomes that day', async () => {
    clock.set('2027-04-15T09:00:00+08:00');
    const [cycle] = await db().select().from(cycles);
    const res = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: cycle.id });
    expect(res.toast.type).toBe('success');
    expect(res.toast.content).toContain('2027年度申报已截止');
    const [after] = await db().select().from(cycles);
    expect(after).toMatchObject({ status: 'scoring', applicationDeadline: '2027-04-15' });
    const [row] = await db().select().from(auditLog).where(and(eq(auditLog.action, 'cycle.closeApplications'), eq(auditLog.entityId, String(cycle.id))));
    expect(row.details).toMatchObject({ from: 'open', to: 'scoring', applicationDeadline: { from: '2027-05-31', to: '2027-04-15' } });
    // the admin card says when the applications closed
    const menu = await h.click(ADMIN, { action: 'admin.menu' });
    expect(JSON.stringify(menu.card.data)).toContain('2027年4月15日（已截止）');
  });

  it('on or after the deadline, closes as before: the deadline stays', async () => {
    await db().update(cycles).set({ status: 'published' });
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2028', applicationDeadline: '2028-04-30', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15' });
    const [cycle] = await db().select().from(cycles).where(eq(cycles.year, 2028));
    await seedTeam(cycle.id, 3, '2025-02-01');
    clock.set('2028-05-02T09:00:00+08:00');
    const res = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: cycle.id });
    expect(res.toast.type).toBe('success');
    const [after] = await db().select().from(cycles).where(eq(cycles.id, cycle.id));
    expect(after).toMatchObject({ status: 'scoring', applicationDeadline: '2028-04-30' });
    const [row] = await db().select().from(auditLog).where(and(eq(auditLog.action, 'cycle.closeApplications'), eq(auditLog.entityId, String(cycle.id))));
    expect(row.details).toEqual({ from: 'open', to: 'scoring' });
  });
});
