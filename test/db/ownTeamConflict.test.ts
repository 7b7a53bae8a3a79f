import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, cycles, organizations, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { fastDeclareConflict, fastDecline, fastSwap } from '../../src/fast/replace.js';
import { assignCycle } from '../../src/review/assignment.js';
import { cardText } from '../support/cards.js';
import { createTestDatabase, testDatabaseKind } from '../support/db.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';

/**
 * 回避 (第十七条): a team's own leader, its current members and its organisation contact never score its application,
 * though their expert record names another organisation (the pool's experts are filed under the committee): not
 * through 分配专家 (the job's batches and `assignCycle`), nor as the replacement a 更换专家, a 谢绝 or a 声明利益冲突
 * brings, on the one-statement path as on the ordinary one; a panel they cannot fill says why.
 */

const COMMITTEE = '广东省市政行业专家委员会';
const OWN_TEAM_REASON = '是该班组的班组长、成员或单位联系人（应回避）';
const cycleForm = { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '3' };
// the team's own people sort before the other experts: on equal loads the planner would take them first
const own = (tag: string) => ({ leader: `ou_ownteam${tag}leader0000000000000001`, member: `ou_ownteam${tag}member0000000000000001`, contact: `ou_ownteam${tag}contact000000000000001` });
const P = (n: number) => `ou_poolexpert${String(n).padStart(22, '0')}`;

/** A team of a new organisation with `leader`, `contact` and `members` (people created as needed), and its application. */
async function teamWithApplication(h: Harness, cycleId: number, n: number, who: { leader: string; contact: string; members?: string[] }, status = 'accepted') {
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: `回避测试单位${n}` }).returning();
  await db.insert(people).values([who.leader, who.contact, ...(who.members ?? [])].map((openId) => ({ openId }))).onConflictDoNothing();
  const [team] = await db
    .insert(teams)
    .values({
      code: `GDSZ-2025-${String(300 + n).padStart(4, '0')}`, name: `回避测试${n}班`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: who.leader, phone: '020-1234567',
      memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: who.contact, registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(teamMembers).values([{ teamId: team.id, openId: who.leader, role: 'leader' }, ...(who.members ?? []).map((openId) => ({ teamId: team.id, openId, role: 'member' }))]);
  const [application] = await db.insert(applications).values({ teamId: team.id, cycleId, status, form: { title: '成果', category: 'engineering' }, submittedAt: new Date('2027-04-01T00:00:00Z') }).returning();
  return { team, application };
}

async function openCycleWithPool(h: Harness, experts: string[]): Promise<number> {
  expect((await h.click(ADMIN, { action: 'cycle.open' }, cycleForm)).toast.type).toBe('success');
  expect((await h.click(ADMIN, { action: 'experts.add' }, { experts, organization: COMMITTEE })).toast.type).toBe('success');
  const [{ id }] = await h.db.db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  return id;
}

const panelOf = async (h: Harness, applicationId: number) =>
  (await h.db.db.select({ expert: assignments.expertOpenId }).from(assignments).where(and(eq(assignments.applicationId, applicationId), eq(assignments.status, 'assigned')))).map((a) => a.expert).sort();

describe('分配专家 leaves a team’s own people off its panel', () => {
  let h: Harness;
  let cycleId: number;
  const A = own('a');
  let appA: number;
  let appB: number;

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    cycleId = await openCycleWithPool(h, [A.leader, A.member, A.contact, P(1), P(2)]);
    appA = (await teamWithApplication(h, cycleId, 1, { leader: A.leader, contact: A.contact, members: [A.member] })).application.id;
    appB = (await teamWithApplication(h, cycleId, 2, { leader: 'ou_ownteamotherleader000000000000001', contact: 'ou_ownteamothercontact00000000000001' })).application.id;
  }, 120_000);
  afterAll(async () => h?.close());

  it('through the job (one batch per slice of applications): the team gets the two others and hears why it misses one; another team takes its people', async () => {
    expect((await h.click(ADMIN, { action: 'review.assign', cycleId })).toast.type).toBe('success');
    await h.app.bulkJobs.drain();
    expect(await panelOf(h, appA)).toEqual([P(1), P(2)]);
    // the same experts are no insiders of another team
    expect(await panelOf(h, appB)).toEqual([A.contact, A.leader, A.member].sort());
    const [final] = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'bulk:%:card:final'));
    expect(cardText(final.card)).toContain(`需要 3 位，缺 1 位。只有 2 位专家可用：其余 3 位${OWN_TEAM_REASON}。`);
    const [run] = await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'review.assign'));
    expect((run.details as { unfilled: unknown[] }).unfilled).toEqual([{ applicationId: appA, missing: 1, reason: expect.stringContaining(OWN_TEAM_REASON) }]);
  });

  it('through assignCycle: a team led by two of the pool’s experts gets neither, and team 1 still hears why it misses one', async () => {
    // team 3's leader is P(1), its contact P(2): of the pool, only team 1's people may score it
    const C = (await teamWithApplication(h, cycleId, 3, { leader: P(1), contact: P(2) })).application;
    const run = await h.db.db.transaction((tx) => assignCycle(tx, { openId: ADMIN, name: null, roles: ['admin'] }, cycleId, new Date('2027-03-05T01:00:00Z')));
    expect(run.created.filter((c) => c.applicationId === C.id).map((c) => c.expertOpenId).sort()).toEqual([A.contact, A.leader, A.member].sort());
    // team 1 still misses one, for the same reason
    expect(run.plan.unfilled.find((u) => u.applicationId === appA)?.reason).toBe(`需要 3 位，缺 1 位。只有 2 位专家可用：其余 3 位${OWN_TEAM_REASON}。`);
  });
});

describe('更换专家, 谢绝 and 声明利益冲突 never bring in the team’s own people, on either path', () => {
  let h: Harness;
  let cycleId: number;
  const T = own('t');
  let appT: number;
  /** The panel of team T: P(1)…P(3), each also on team U's panel so that the team's own people are the least loaded. */
  const task: Record<string, number> = {};
  const pg = testDatabaseKind() === 'postgres';
  const now = () => h.clock.now();

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    cycleId = await openCycleWithPool(h, [T.leader, T.member, T.contact, ...[1, 2, 3, 4, 5, 6, 7].map(P)]);
    appT = (await teamWithApplication(h, cycleId, 1, { leader: T.leader, contact: T.contact, members: [T.member] }, 'scoring')).application.id;
    const U = (await teamWithApplication(h, cycleId, 2, { leader: 'ou_ownteamuleader0000000000000000001', contact: 'ou_ownteamucontact000000000000000001' }, 'scoring')).application.id;
    // team T's contact is also a member of team V
    const V = (await teamWithApplication(h, cycleId, 3, { leader: 'ou_ownteamvleader0000000000000000001', contact: 'ou_ownteamvcontact000000000000000001', members: [T.contact] }, 'scoring')).application.id;
    const rows = await h.db.db
      .insert(assignments)
      .values([
        ...[1, 2, 3].map((n) => ({ applicationId: appT, expertOpenId: P(n), status: 'assigned' })),
        ...[4, 5, 6].map((n) => ({ applicationId: U, expertOpenId: P(n), status: 'assigned' })),
        ...[7, 1, 2].map((n) => ({ applicationId: V, expertOpenId: P(n), status: 'assigned' })),
      ])
      .returning();
    for (const r of rows) task[`${r.applicationId === appT ? 'T' : r.applicationId === U ? 'U' : 'V'}${r.expertOpenId.slice(-1)}`] = r.id;
  }, 120_000);
  afterAll(async () => h?.close());

  const newest = async (applicationId: number) =>
    (await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, applicationId), eq(assignments.status, 'assigned'))).orderBy(asc(assignments.id))).at(-1)!.expertOpenId;

  it('更换专家 in one statement: the replacement is the least loaded expert outside the team, not its contact (load 0)', async () => {
    h.app.processor.fastPaths = true;
    if (pg) {
      const done = await fastSwap(h.db, { eventId: randomEventId(), eventType: 'card.action.trigger', openId: ADMIN, assignmentId: task.T1, now: now(), bootstrapAdmins: [ADMIN] });
      expect(done, 'the one statement made the swap').toBeDefined();
    } else {
      expect((await h.click(ADMIN, { action: 'review.swap', assignmentId: task.T1 })).toast.content).toBe('已更换专家：回避测试1班');
    }
    expect(await panelOf(h, appT)).toEqual([P(2), P(3), P(4)]);
  });

  it('谢绝 in one statement: the next one outside the team', async () => {
    if (pg) {
      const done = await fastDecline(h.db, { eventId: randomEventId(), eventType: 'card.action.trigger', openId: P(2), assignmentId: task.T2, now: now(), formValue: { kind: 'unavailable', reason: '评审期间出差' } });
      expect(done, 'the one statement made the decline').toBeDefined();
    } else {
      expect((await h.click(P(2), { action: 'review.decline', assignmentId: task.T2 }, { kind: 'unavailable', reason: '评审期间出差' })).toast.type).toBe('success');
    }
    expect(await panelOf(h, appT)).toEqual([P(3), P(4), P(5)]);
  });

  it('谢绝 on the ordinary path: likewise', async () => {
    h.app.processor.fastPaths = false;
    try {
      expect((await h.click(P(3), { action: 'review.decline', assignmentId: task.T3 }, { kind: 'unavailable', reason: '评审期间出差' })).toast.type).toBe('success');
    } finally {
      h.app.processor.fastPaths = true;
    }
    expect(await newest(appT)).toBe(P(6));
    expect(await panelOf(h, appT)).toEqual([P(4), P(5), P(6)]);
  });

  it('声明利益冲突: the declined task’s replacement is no member of the team either', async () => {
    // P(7) declares a conflict with team V's organisation: its task on V goes to someone else; team T's leader may take it,
    // not T's contact, a member of V
    const form = { kind: 'organization', target: '回避测试单位3', reason: '亲属在该单位' };
    if (pg) expect(await fastDeclareConflict(h.db, { eventId: randomEventId(), eventType: 'card.action.trigger', openId: P(7), now: now(), formValue: form })).toBeDefined();
    else expect((await h.click(P(7), { action: 'experts.conflictAdd' }, form)).toast.type).toBe('success');
    const [v] = await h.db.db.select({ applicationId: assignments.applicationId }).from(assignments).where(eq(assignments.id, task.V7));
    // T's contact and leader have no task yet and come first by open_id: the contact is V's member, the leader is not
    expect(await newest(v.applicationId)).toBe(T.leader);
  });

  it('更换专家 with only the team’s own people left: the one statement leaves it, the ordinary path takes the expert off and says why nobody came', async () => {
    // P(4)'s task on T (the first replacement); P(7) declined T before: every expert outside team T is barred from it
    const [t4] = await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, appT), eq(assignments.expertOpenId, P(4))));
    task.T4 = t4.id;
    await h.db.db.insert(assignments).values({ applicationId: appT, expertOpenId: P(7), status: 'declined', declineReason: '时间无法安排：出差' });
    if (pg) {
      const before = await h.db.db.select().from(assignments).orderBy(asc(assignments.id));
      expect(await fastSwap(h.db, { eventId: randomEventId(), eventType: 'card.action.trigger', openId: ADMIN, assignmentId: task.T4, now: now(), bootstrapAdmins: [ADMIN] })).toBeUndefined();
      expect(await h.db.db.select().from(assignments).orderBy(asc(assignments.id))).toEqual(before);
    }
    const body = await h.click(ADMIN, { action: 'review.swap', assignmentId: task.T4 });
    expect(body.toast.type).toBe('warning');
    expect(body.toast.content).toBe(`已撤下原专家，但没有可接替的专家：需要 3 位，缺 1 位。只有 2 位专家可用：其余 8 位中，3 位${OWN_TEAM_REASON}，5 位已谢绝或被更换出该评审任务。专家到位后，点“分配专家”补齐。`);
    expect(await panelOf(h, appT)).toEqual([P(5), P(6)]);
  });
});
