import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, bulkJobs, cycles, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, expectValidCard, formFieldNames } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/** Closing the application phase assigns the experts, and a scoring reminder's button opens the next task. */

const EXPERTS = ['ou_closeexpert000000000000000000001', 'ou_closeexpert000000000000000000002', 'ou_closeexpert000000000000000000003'];

let h: Harness;
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const db = () => h.db.db;

async function seedAccepted(cycleId: number, n: number, on: Harness = h) {
  const db = () => on.db.db;
  const [org] = await db().insert(organizations).values({ name: `单位${n}` }).returning();
  const leader = `ou_closeleader00000000000000000000${n}`;
  await db().insert(people).values([{ openId: leader }, { openId: `ou_closecontact0000000000000000000${n}`, roles: ['org_contact'] }]);
  const [team] = await db()
    .insert(teams)
    .values({
      code: `GDSZ-2025-010${n}`, name: `班组${n}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
      memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: 'QC 活动', contactOpenId: `ou_closecontact0000000000000000000${n}`, registeredAt: '2025-01-10',
    })
    .returning();
  await db().insert(applications).values({ teamId: team.id, cycleId, status: 'accepted', form: { title: `成果${n}` } });
}

describe('closing the application phase', () => {
  it('closes even with an empty pool, and says the experts are not assigned yet', async () => {
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    const [cycle] = await db().select().from(cycles);
    await seedAccepted(cycle.id, 1);
    await seedAccepted(cycle.id, 2);
    const res = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: cycle.id });
    expect(res.toast.type).toBe('success');
    expect(res.toast.content).toContain('专家尚未分配');
    expect((await db().select().from(cycles))[0].status).toBe('scoring');
    expect(await db().select().from(assignments)).toHaveLength(0);
  });

  it('assigns every accepted application when experts exist', async () => {
    await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '道路', maxLoad: '10' });
    // the phase is closed already: the administrator presses 分配专家 once the pool has experts
    const [cycle] = await db().select().from(cycles);
    const res = await h.click(ADMIN, { action: 'review.assign', cycleId: cycle.id });
    expect(res.toast.content).toContain('正在分配专家');
    expect(JSON.stringify(res.card.data)).toContain('已分配 0 / 6');
    const [job] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'assign'));
    expect(job).toMatchObject({ status: 'done', done: 6, total: 6 });
    const [{ n }] = await db().select({ n: sql<number>`count(*)::int` }).from(assignments);
    expect(Number(n)).toBe(6);
  });

  it('opens the next task to score from a reminder button, and the list once all are done', async () => {
    const expert = EXPERTS[0];
    const first = await h.click(expert, { action: 'review.next', cycleId: 1 });
    expectValidCard(first.card.data);
    const fields = scoreFields(defaultScoreSheet);
    expect(formFieldNames(first.card.data)).toEqual(expect.arrayContaining(fields.map((f) => f.field)));
    const submit = cardActions(first.card.data).find((a) => a.action === 'review.submit')!;
    const full = Object.fromEntries(fields.map((f) => [f.field, String(f.max)]));
    expect((await h.click(expert, submit, full)).toast.type).toBe('success');
    const second = await h.click(expert, { action: 'review.next' });
    const submit2 = cardActions(second.card.data).find((a) => a.action === 'review.submit')!;
    expect(submit2.assignmentId).not.toBe(submit.assignmentId);
    expect((await h.click(expert, submit2, full)).toast.type).toBe('success');
    const done = await h.click(expert, { action: 'review.next' });
    expect(done.toast.content).toContain('全部完成');
    const mine = await db().select().from(assignments).where(eq(assignments.expertOpenId, expert));
    expect(mine.every((a) => a.status === 'submitted')).toBe(true);
  });
});

describe('closing with experts in the pool', () => {
  it('assigns at once', async () => {
    const h2 = await startHarness({ clock: new ManualClock('2028-03-05T09:00:00+08:00') });
    try {
      await h2.click(ADMIN, { action: 'cycle.open' }, { year: '2028', applicationDeadline: '2028-05-31', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15' });
      await h2.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', maxLoad: '10' });
      await h2.drain(); // each expert's welcome to the pool
      const welcomed = h2.fake.messages.filter((m) => EXPERTS.includes(m.receiveId)).length;
      const [cycle] = await h2.db.db.select().from(cycles);
      await seedAccepted(cycle.id, 3, h2);
      const res = await h2.click(ADMIN, { action: 'cycle.closeApplications', cycleId: cycle.id });
      expect(res.toast.content).toContain('正在分配专家');
      const [job] = await h2.db.db.select().from(bulkJobs);
      expect(job).toMatchObject({ status: 'done', done: 3, total: 3 });
      expect(await h2.db.db.select().from(assignments)).toHaveLength(3);
      expect(h2.fake.messages.filter((m) => EXPERTS.includes(m.receiveId))).toHaveLength(welcomed + 3);
    } finally {
      await h2.close();
    }
  });
});
