import { and, asc, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, cycles, organizations, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { fastAddExperts } from '../../src/fast/admin.js';
import { fastAddMembers } from '../../src/fast/teams.js';
import { applyImport, recordDryRun } from '../../src/import/apply.js';
import { linkPendingPerson } from '../../src/import/linking.js';
import type { ImportWorkbook } from '../../src/import/workbook.js';
import { cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { writtenCounts } from '../support/worlds.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';

/**
 * 回避 (第十七条) where teams change: an expert who becomes a team's member, leader or organisation contact after being
 * given its application steps aside in the same transaction, as a declaration of conflict with the team does it: the
 * task is declined, the planner brings the replacement (whose task card is queued), the expert is told why, the
 * administrators hear of a place nobody can take and of a sheet already submitted (kept). 添加成员's one statement
 * gives way to the ordinary path then. Likewise an expert whose 所在单位 添加专家 changes to a team's own: one message
 * for all the organisation's teams, and 添加专家's one statement gives way.
 */

const COMMITTEE = '广东省市政行业专家委员会';
const cycleForm = { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '3' };
const P = (n: number) => `ou_recusepool${String(n).padStart(22, '0')}`;
const pg = testDatabaseKind() === 'postgres';

async function teamWithApplication(h: Harness, cycleId: number, n: number, who: { leader: string; contact: string }, status = 'scoring') {
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: `回避变动单位${n}` }).returning();
  await db.insert(people).values([who.leader, who.contact].map((openId) => ({ openId }))).onConflictDoNothing();
  const [team] = await db
    .insert(teams)
    .values({
      code: `GDSZ-2025-${String(400 + n).padStart(4, '0')}`, name: `回避变动${n}班`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: who.leader, phone: '020-1234567',
      memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: who.contact, registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(teamMembers).values({ teamId: team.id, openId: who.leader, role: 'leader' });
  const [application] = await db.insert(applications).values({ teamId: team.id, cycleId, status, form: { title: '成果', category: 'engineering' }, submittedAt: new Date('2027-04-01T00:00:00Z') }).returning();
  return { team, application };
}

async function openCycleWithPool(h: Harness, experts: string[]): Promise<number> {
  expect((await h.click(ADMIN, { action: 'cycle.open' }, cycleForm)).toast.type).toBe('success');
  expect((await h.click(ADMIN, { action: 'experts.add' }, { experts, organization: COMMITTEE })).toast.type).toBe('success');
  const [{ id }] = await h.db.db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  return id;
}

/** The experts holding an unsubmitted task of the application, sorted. */
const panelOf = async (h: Harness, applicationId: number) =>
  (await h.db.db.select({ expert: assignments.expertOpenId }).from(assignments).where(and(eq(assignments.applicationId, applicationId), eq(assignments.status, 'assigned')))).map((a) => a.expert).sort();

const taskOf = async (h: Harness, applicationId: number, expert: string) =>
  (await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, applicationId), eq(assignments.expertOpenId, expert))))[0];

const outboxLike = (h: Harness, pattern: string) => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, pattern)).orderBy(asc(outbox.id));

/** The text the person who stepped aside got (one message per team). */
async function toldOf(h: Harness, teamId: number, openId: string): Promise<string[]> {
  return (await outboxLike(h, `review:recused:${teamId}:${openId}:%`)).map((r) => (r.card as { text: string }).text);
}

/** The new expert's task card, queued under the assignment's key. */
async function taskCardQueued(h: Harness, assignmentId: number, to: string): Promise<boolean> {
  const [row] = await outboxLike(h, `review:task:${assignmentId}`);
  return !!row && row.receiver === to && (row.card as { render?: { kind: string } }).render?.kind === 'reviewTask';
}

describe('a member, a contact or a linked leader who holds the team’s application steps aside', () => {
  let h: Harness;
  let cycleId: number;
  const leader = 'ou_recuseleader00000000000000000001';
  const contact = 'ou_recusecontact0000000000000000001';
  let team: { id: number; code: string; name: string };
  let app: number;

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    cycleId = await openCycleWithPool(h, [1, 2, 3, 4, 5, 6, 7, 8].map(P));
    ({ team, application: { id: app } } = await teamWithApplication(h, cycleId, 1, { leader, contact }));
    await h.db.db.insert(assignments).values([1, 2, 3].map((n) => ({ applicationId: app, expertOpenId: P(n), status: 'assigned' })));
  }, 120_000);
  afterAll(async () => h?.close());

  it('添加成员 on the ordinary path: the new member’s task goes to the least loaded expert outside the team; both are told', async () => {
    h.app.processor.fastPaths = false;
    try {
      const body = await h.click(leader, { action: 'team.memberAdd', teamId: team.id }, { members: [P(1)] });
      expect(body.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
    } finally {
      h.app.processor.fastPaths = true;
    }
    const old = await taskOf(h, app, P(1));
    expect(old.status).toBe('declined');
    expect(old.declineReason).toBe('存在利益冲突：已成为该班组的班组成员，须回避');
    expect(await panelOf(h, app)).toEqual([P(2), P(3), P(4)]);
    const replacement = await taskOf(h, app, P(4));
    expect(await taskCardQueued(h, replacement.id, P(4))).toBe(true);
    const told = await toldOf(h, team.id, P(1));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('第十七条：评审坚持公开、公平和公正原则。');
    expect(told[0]).toContain(`你已成为“${team.name}（${team.code}）”的班组成员，须回避该班组的评审`);
    expect(told[0]).toContain('改派其他专家');
    // the old task card's 提交评分 no longer takes a sheet: the card says they must step aside and why (they pressed no 谢绝)
    const submitted = await h.click(P(1), { action: 'review.submit', assignmentId: old.id }, { comment: '' });
    expect(cardText(submitted.card.data)).toContain(`须回避：${team.name}`);
    expect(cardText(submitted.card.data)).toContain('你是该班组的成员，须回避该班组的评审（第十七条），这项任务无需你评分。');
    expect(cardText(submitted.card.data)).not.toContain('谢绝');
    const [recuse] = await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'review.recuse'));
    expect(recuse).toMatchObject({ actor: leader, entityId: String(team.id), details: { expert: P(1), role: 'member', declined: [old.id], scored: [] } });
  });

  it('添加成员 on the one-statement path: the statement gives way, writing nothing, and the click ends as on the ordinary path', async () => {
    if (pg) {
      const before = { tasks: await h.db.db.select().from(assignments).orderBy(asc(assignments.id)), members: await h.db.db.select().from(teamMembers).orderBy(asc(teamMembers.openId)) };
      const event = { eventId: randomEventId(), eventType: 'card.action.trigger', openId: leader, teamId: team.id, bootstrapAdmins: [ADMIN] };
      expect(await fastAddMembers(h.db, event, [P(2)], h.clock.now(), async () => undefined)).toBeUndefined();
      expect(await h.db.db.select().from(assignments).orderBy(asc(assignments.id))).toEqual(before.tasks);
      expect(await h.db.db.select().from(teamMembers).orderBy(asc(teamMembers.openId))).toEqual(before.members);
      // someone with no task of the team is still added by the one statement
      const plain = { ...event, eventId: randomEventId() };
      expect(await fastAddMembers(h.db, plain, ['ou_recuseplainmember000000000000001'], h.clock.now(), async () => undefined)).toBeDefined();
    }
    expect(h.app.processor.fastPaths).toBe(true);
    const body = await h.click(leader, { action: 'team.memberAdd', teamId: team.id }, { members: [P(2)] });
    expect(body.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
    expect((await taskOf(h, app, P(2))).status).toBe('declined');
    expect(await panelOf(h, app)).toEqual([P(3), P(4), P(5)]);
    expect(await taskCardQueued(h, (await taskOf(h, app, P(5))).id, P(5))).toBe(true);
    expect((await toldOf(h, team.id, P(2)))[0]).toContain('的班组成员，须回避该班组的评审');
  });

  it('修改资料 naming the expert as the team’s contact: likewise, told as its 单位联系人', async () => {
    const body = await h.click(leader, { action: 'team.editSave', teamId: team.id }, { contact: P(3) });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    expect((await taskOf(h, app, P(3))).status).toBe('declined');
    expect(await panelOf(h, app)).toEqual([P(4), P(5), P(6)]);
    expect(await taskCardQueued(h, (await taskOf(h, app, P(6))).id, P(6))).toBe(true);
    expect((await toldOf(h, team.id, P(3)))[0]).toContain('的单位联系人，须回避该班组的评审');
  });

  it('an imported leader and contact linked on their first message: the expert steps aside from both teams', async () => {
    const leaderKey = 'm:13900001111';
    const contactKey = 'e:recuse@example.com';
    const led = await teamWithApplication(h, cycleId, 2, { leader: `pending:${leaderKey}`, contact: 'ou_recusecontact0000000000000000002' });
    const confirmed = await teamWithApplication(h, cycleId, 3, { leader: 'ou_recuseleader00000000000000000003', contact: `pending:${contactKey}` });
    await h.db.db.insert(assignments).values([
      ...[7, 1, 2].map((n) => ({ applicationId: led.application.id, expertOpenId: P(n), status: 'assigned' })),
      ...[7, 3, 4].map((n) => ({ applicationId: confirmed.application.id, expertOpenId: P(n), status: 'assigned' })),
    ]);
    const linked = await h.db.db.transaction((tx) => linkPendingPerson(tx, P(7), [leaderKey, contactKey], h.clock.now(), '2027-03-05', { bootstrapAdmins: [ADMIN] }));
    expect(linked).toEqual([leaderKey, contactKey]);
    expect((await taskOf(h, led.application.id, P(7))).status).toBe('declined');
    expect((await taskOf(h, confirmed.application.id, P(7))).status).toBe('declined');
    // P(8) has no task yet: each panel takes it or the next least loaded
    expect(await panelOf(h, led.application.id)).not.toContain(P(7));
    expect(await panelOf(h, led.application.id)).toHaveLength(3);
    expect(await panelOf(h, confirmed.application.id)).not.toContain(P(7));
    expect(await panelOf(h, confirmed.application.id)).toHaveLength(3);
    expect((await toldOf(h, led.team.id, P(7)))[0]).toContain(`你已成为“${led.team.name}（${led.team.code}）”的班组长`);
    expect((await toldOf(h, confirmed.team.id, P(7)))[0]).toContain(`你已成为“${confirmed.team.name}（${confirmed.team.code}）”的单位联系人`);
  });
});

describe.skipIf(!pg)('a 分配专家 batch that read the team before the member joined', () => {
  let h: Harness;
  let cycleId: number;
  const leader = 'ou_recuseleader00000000000000000005';
  const contact = 'ou_recusecontact0000000000000000005';

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    cycleId = await openCycleWithPool(h, [1, 2, 3, 4].map(P));
  }, 120_000);
  afterAll(async () => h?.close());

  it('commits its task first: the member’s addition waits for the cycle, then finds the task and steps aside', async () => {
    const { team, application } = await teamWithApplication(h, cycleId, 5, { leader, contact }, 'accepted');
    // the batch holds the cycle's lock, as every batch takes it, and gives P(1) the task (it read no member P(1))
    const batch = await heldTransaction(h.db.db, async (tx) => {
      await tx.execute(sql`select id from cycles where id = ${cycleId} for update`);
      await tx.insert(assignments).values([1, 2, 3].map((n) => ({ applicationId: application.id, expertOpenId: P(n), status: 'assigned' })));
      await tx.update(applications).set({ status: 'scoring' }).where(eq(applications.id, application.id));
    });
    const before = await lockWaits(h.db.db);
    const click = h.click(leader, { action: 'team.memberAdd', teamId: team.id }, { members: [P(1)] });
    await until(async () => (await lockWaits(h.db.db)) > before);
    batch.release();
    await batch.ended;
    expect((await click).toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
    expect((await taskOf(h, application.id, P(1))).status).toBe('declined');
    expect(await panelOf(h, application.id)).toEqual([P(2), P(3), P(4)]);
  });
});

describe('nobody may take over, or the sheet is already in', () => {
  let h: Harness;
  let cycleId: number;
  const leader = 'ou_recuseleader00000000000000000009';
  const contact = 'ou_recusecontact0000000000000000009';
  let team: { id: number; code: string; name: string };
  let app: number;

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    // the whole pool is on the panel: nobody is left to take a place
    cycleId = await openCycleWithPool(h, [1, 2, 3].map(P));
    ({ team, application: { id: app } } = await teamWithApplication(h, cycleId, 9, { leader, contact }));
    await h.db.db.insert(assignments).values([
      { applicationId: app, expertOpenId: P(1), status: 'assigned' },
      { applicationId: app, expertOpenId: P(2), status: 'submitted', scores: {}, total: 85, submittedAt: new Date('2027-03-04T00:00:00Z') },
      { applicationId: app, expertOpenId: P(3), status: 'assigned' },
    ]);
  }, 120_000);
  afterAll(async () => h?.close());

  it('no replacement: the task no longer belongs to the new member, the administrators hear nobody can take it', async () => {
    const body = await h.click(leader, { action: 'team.memberAdd', teamId: team.id }, { members: [P(1)] });
    expect(body.toast.type).toBe('success');
    const old = await taskOf(h, app, P(1));
    expect(old.status).toBe('declined');
    expect(await panelOf(h, app)).toEqual([P(3)]);
    const alerts = await outboxLike(h, `review:unfilled:${old.id}:%`);
    expect(alerts.map((a) => a.receiver)).toEqual([ADMIN]);
    const text = cardText(alerts[0].card);
    expect(text).toContain('无法自动改派专家');
    expect(text).toContain('原评审专家已成为该班组的班组成员，须回避，但没有符合条件的专家可以接替');
    expect((await toldOf(h, team.id, P(1)))[0]).toContain('须回避该班组的评审');
  });

  it('a sheet already submitted: kept and counted, the administrators hear of it, the expert too', async () => {
    const body = await h.click(leader, { action: 'team.editSave', teamId: team.id }, { contact: P(2) });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    const sheet = await taskOf(h, app, P(2));
    expect(sheet).toMatchObject({ status: 'submitted', total: 85 });
    const alerts = await outboxLike(h, `review:recusedScored:${team.id}:${P(2)}:%`);
    expect(alerts.map((a) => a.receiver)).toEqual([ADMIN]);
    const text = cardText(alerts[0].card);
    expect(text).toContain('专家须回避：已提交的评分待处理');
    expect(text).toContain(`已成为“${team.code} ${team.name}”的单位联系人，须回避该班组的评审，此前已提交 1 份相关评分`);
    expect((await toldOf(h, team.id, P(2)))[0]).toContain('你此前已提交的 1 份该班组评分已报协会管理员处理');
  });

  it('an import naming the expert the team’s leader: the expert steps aside in the import’s transaction', async () => {
    // P(3) holds the last pending task; the workbook makes them the team's leader, its contact staying P(2)
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const wb = {
      organizations: [],
      teams: [
        {
          row: 2, code: team.code, name: team.name, organization: '回避变动单位9', type: '项目团队', leader: '13900003333', leaderName: '', contact: '13900002222', contactName: '',
          registeredAt: '2025-01-10', memberCount: '8', department: '工程部',
        },
      ],
      experts: [],
      honours: [],
    } as ImportWorkbook;
    const resolved = { 'm:13900003333': P(3), 'm:13900002222': P(2) };
    const now = h.clock.now();
    const preview = await h.db.db.transaction((tx) => recordDryRun(tx, actor, { name: '回避.xlsx', bytes: Buffer.from('recusal') }, wb, resolved, '2027-03-05', now));
    expect((preview.summary as { update: unknown[]; refused: unknown[] }).refused).toEqual([]);
    await h.db.db.transaction((tx) => applyImport(tx, actor, preview.id, now, '2027-03-05', { bootstrapAdmins: [ADMIN] }));
    expect((await h.db.db.select().from(teams).where(eq(teams.id, team.id)))[0].leaderOpenId).toBe(P(3));
    const old = await taskOf(h, app, P(3));
    expect(old.status).toBe('declined');
    // nobody is left in the pool: no task is pending on the application any more, and the administrators hear it
    expect(await panelOf(h, app)).toEqual([]);
    expect((await outboxLike(h, `review:unfilled:${old.id}:%`)).map((a) => a.receiver)).toEqual([ADMIN]);
    expect((await toldOf(h, team.id, P(3)))[0]).toContain('的班组长，须回避该班组的评审');
    const [recuse] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'review.recuse'), eq(auditLog.actor, ADMIN)));
    expect(recuse.details).toMatchObject({ expert: P(3), role: 'leader', declined: [old.id] });
  });
});

describe('an expert whose organisation becomes a team’s own steps aside (添加专家)', () => {
  let h: Harness;
  let cycleId: number;
  const ORG = '回避同单位市政公司';
  const UNRELATED = '回避无关设计院';
  const expert = P(11);
  let T: { team: { id: number; code: string; name: string }; application: { id: number } };
  let U: { team: { id: number; code: string; name: string }; application: { id: number } };

  /** A second team of the first's organisation, with an application scoring in the cycle. */
  async function colleagueTeam(orgId: number, n: number, status = 'scoring') {
    const db = h.db.db;
    const leader = `ou_recusecolleague${String(n).padStart(17, '0')}`;
    await db.insert(people).values({ openId: leader }).onConflictDoNothing();
    const [team] = await db
      .insert(teams)
      .values({
        code: `GDSZ-2025-${String(400 + n).padStart(4, '0')}`, name: `回避同单位${n}班`, organizationId: orgId, department: '养护部', type: 'project', leaderOpenId: leader, phone: '020-7654321',
        memberCount: 8, functions: '桥梁检测', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: leader, registeredAt: '2025-01-10',
      })
      .returning();
    await db.insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
    const [application] = await db.insert(applications).values({ teamId: team.id, cycleId, status, form: { title: '成果', category: 'engineering' }, submittedAt: new Date('2027-04-01T00:00:00Z') }).returning();
    return { team, application };
  }

  let orgId: number;
  const addForm = (organization: string) => ({ experts: [expert], organization, specialities: '', maxLoad: '' });

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    cycleId = await openCycleWithPool(h, [11, 12, 13, 14, 15, 16].map(P));
    T = await teamWithApplication(h, cycleId, 21, { leader: 'ou_recuseleader00000000000000000021', contact: 'ou_recusecontact0000000000000000021' });
    [{ organizationId: orgId }] = await h.db.db.select({ organizationId: teams.organizationId }).from(teams).where(eq(teams.id, T.team.id));
    await h.db.db.update(organizations).set({ name: ORG }).where(eq(organizations.id, orgId));
    U = await colleagueTeam(orgId, 22);
    await h.db.db.insert(assignments).values([
      ...[11, 12, 13].map((n) => ({ applicationId: T.application.id, expertOpenId: P(n), status: 'assigned' })),
      { applicationId: U.application.id, expertOpenId: expert, status: 'submitted', scores: {}, total: 85, submittedAt: new Date('2027-03-04T00:00:00Z') },
      ...[14, 15].map((n) => ({ applicationId: U.application.id, expertOpenId: P(n), status: 'assigned' })),
    ]);
  }, 120_000);
  afterAll(async () => h?.close());

  const recusedNotices = async () => [...(await outboxLike(h, 'review:recused%')), ...(await outboxLike(h, 'review:unfilled:%'))];
  const recuseAudits = () => h.db.db.select().from(auditLog).where(eq(auditLog.action, 'review.recuse')).orderBy(asc(auditLog.id));
  const organizationOf = async (openId: string) =>
    (await h.db.db.select({ name: organizations.name }).from(people).innerJoin(organizations, eq(organizations.id, people.organizationId)).where(eq(people.openId, openId)))[0]?.name;

  it('re-added with an unrelated organisation: nothing is recused; the one statement gives way only for the teams’ own', async () => {
    if (pg) {
      // the teams' organisation: the statement writes nothing, not even the event's claim, and leaves it to the ordinary path
      const before = { counts: await writtenCounts(h.db.db), person: await h.db.db.select().from(people).where(eq(people.openId, expert)) };
      const event = { eventId: randomEventId(), eventType: 'card.action.trigger', openId: ADMIN, now: h.clock.now(), bootstrapAdmins: [ADMIN] };
      const input = { experts: [expert], organization: ORG, specialities: [], maxLoad: null };
      expect(await fastAddExperts(h.db, { ...event, input }, async () => undefined)).toBeUndefined();
      expect(await writtenCounts(h.db.db)).toEqual(before.counts);
      expect(await h.db.db.select().from(people).where(eq(people.openId, expert))).toEqual(before.person);
    }
    const tasks = await h.db.db.select().from(assignments).orderBy(asc(assignments.id));
    const body = await h.click(ADMIN, { action: 'experts.add' }, addForm(UNRELATED));
    expect(body.toast).toEqual({ type: 'success', content: `已添加 1 位专家（${UNRELATED}）` });
    expect(await organizationOf(expert)).toBe(UNRELATED);
    expect(await h.db.db.select().from(assignments).orderBy(asc(assignments.id))).toEqual(tasks);
    expect(await recusedNotices()).toEqual([]);
    expect(await recuseAudits()).toEqual([]);
  });

  it('re-added with the teams’ organisation: the pending task is declined and replaced, the sheet reported, the expert told once', async () => {
    expect(h.app.processor.fastPaths).toBe(true);
    const body = await h.click(ADMIN, { action: 'experts.add' }, addForm(ORG));
    expect(body.toast).toEqual({ type: 'success', content: `已添加 1 位专家（${ORG}）` });
    expect(await organizationOf(expert)).toBe(ORG);
    // T's pending task: declined with the reason, and the least loaded expert outside the organisation takes it
    const old = await taskOf(h, T.application.id, expert);
    expect(old.status).toBe('declined');
    expect(old.declineReason).toBe(`存在利益冲突：所在单位已改为“${ORG}”，与该班组同属一个单位，须回避`);
    expect(await panelOf(h, T.application.id)).toEqual([P(12), P(13), P(16)]);
    expect(await taskCardQueued(h, (await taskOf(h, T.application.id, P(16))).id, P(16))).toBe(true);
    // U's sheet: kept and counted, the administrators hear of it
    expect(await taskOf(h, U.application.id, expert)).toMatchObject({ status: 'submitted', total: 85 });
    const alerts = await outboxLike(h, `review:recusedScored:%:${expert}:%`);
    expect(alerts.map((a) => a.receiver)).toEqual([ADMIN]);
    const alert = cardText(alerts[0].card);
    expect(alert).toContain('专家须回避：已提交的评分待处理');
    expect(alert).toContain(`的所在单位已改为“${ORG}”，与下列班组同属一个单位，须回避其评审，此前已提交 1 份相关评分`);
    expect(alert).toContain(`${U.team.code} ${U.team.name}`);
    // one message to the expert, citing 第十七条, naming both teams and why
    const told = (await outboxLike(h, 'review:recused:%')).filter((r) => r.receiver === expert);
    expect(told).toHaveLength(1);
    const text = (told[0].card as { text: string }).text;
    expect(text).toContain('第十七条：评审坚持公开、公平和公正原则。');
    expect(text).toContain(`你的所在单位已改为“${ORG}”，与“${T.team.name}（${T.team.code}）”、“${U.team.name}（${U.team.code}）”同属一个单位，须回避这些班组的评审`);
    expect(text).toContain('你尚未提交的 1 项相关评分任务已改派其他专家');
    expect(text).toContain('你此前已提交的 1 份相关评分已报协会管理员处理');
    expect(text).not.toContain('已成为');
    // audited per team, by the administrator
    const audits = await recuseAudits();
    expect(audits.map((a) => [a.actor, a.entityId, a.details])).toEqual([
      [ADMIN, String(T.team.id), { expert, organization: ORG, declined: [old.id], scored: [] }],
      [ADMIN, String(U.team.id), { expert, organization: ORG, declined: [], scored: [U.application.id] }],
    ]);
    // the old task card's 提交评分 no longer takes a sheet: the card says why
    const submitted = await h.click(expert, { action: 'review.submit', assignmentId: old.id }, { comment: '' });
    expect(cardText(submitted.card.data)).toContain('与该班组同属一个单位，须回避');
  });

  it.skipIf(!pg)('a 分配专家 batch that read the old organisation: the one statement gives way, the ordinary path waits and steps the expert aside', async () => {
    const V = await colleagueTeam(orgId, 23, 'accepted');
    const mover = P(16);
    // the batch holds the cycle's lock, as every batch takes it, and gives P(16) the task (it read P(16) of the committee)
    const batch = await heldTransaction(h.db.db, async (tx) => {
      await tx.execute(sql`select id from cycles where id = ${cycleId} for update`);
      await tx.insert(assignments).values([16, 12, 13].map((n) => ({ applicationId: V.application.id, expertOpenId: P(n), status: 'assigned' })));
      await tx.update(applications).set({ status: 'scoring' }).where(eq(applications.id, V.application.id));
    });
    const before = await lockWaits(h.db.db);
    const click = h.click(ADMIN, { action: 'experts.add' }, { experts: [mover], organization: ORG, specialities: '', maxLoad: '' });
    await until(async () => (await lockWaits(h.db.db)) > before);
    batch.release();
    await batch.ended;
    expect((await click).toast).toEqual({ type: 'success', content: `已添加 1 位专家（${ORG}）` });
    expect(await organizationOf(mover)).toBe(ORG);
    expect((await taskOf(h, V.application.id, mover)).status).toBe('declined');
    expect(await panelOf(h, V.application.id)).not.toContain(mover);
    expect(await panelOf(h, V.application.id)).toHaveLength(3);
    expect(await panelOf(h, T.application.id)).not.toContain(mover);
  });
});
