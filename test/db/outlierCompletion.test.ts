import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { linkPendingPerson } from '../../src/import/linking.js';
import { cardText } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * A panel completes when its last pending task leaves and nobody can take the place: through 声明利益冲突, through
 * 回避 where teams change (添加成员, or an imported leader linked on their first message) or where an expert's
 * organisation does (添加专家 naming the team's), and through 更换专家, as
 * through 提交评分 and 谢绝评分任务. Totals far from the median (more than the default 15 points) alert the
 * administrators once, with the numbers; a panel without outliers completes silently.
 */

const cycleForm = { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '3' };
const P = (n: number) => `ou_outlierpool${String(n).padStart(21, '0')}`;
const LEADER = (n: number) => `ou_outlierleader${String(n).padStart(19, '0')}`;
const CONTACT = (n: number) => `ou_outliercontact${String(n).padStart(18, '0')}`;

interface Panel {
  team: { id: number; code: string; name: string };
  application: number;
  leader: string;
  /** The pending task of P(1), the panel's last. */
  pending: number;
}

/** A team with an application under review: P(1) still to score, P(2) and P(3) submitted with `totals`. */
async function panelOf(h: Harness, cycleId: number, n: number, totals: [number, number], leader = LEADER(n)): Promise<Panel> {
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: `偏差提醒单位${n}` }).returning();
  await db.insert(people).values([leader, CONTACT(n)].map((openId) => ({ openId }))).onConflictDoNothing();
  const [team] = await db
    .insert(teams)
    .values({
      code: `GDSZ-2025-${String(500 + n).padStart(4, '0')}`, name: `偏差提醒${n}班`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
      memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: CONTACT(n), registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
  const [application] = await db
    .insert(applications)
    .values({ teamId: team.id, cycleId, status: 'scoring', form: { title: '成果', category: 'engineering' }, submittedAt: new Date('2027-04-01T00:00:00Z') })
    .returning();
  const [pending] = await db.insert(assignments).values({ applicationId: application.id, expertOpenId: P(1), status: 'assigned' }).returning();
  await db.insert(assignments).values(
    totals.map((total, i) => ({ applicationId: application.id, expertOpenId: P(i + 2), status: 'submitted', scores: {}, total, submittedAt: new Date('2027-03-04T00:00:00Z') })),
  );
  return { team, application: application.id, leader, pending: pending.id };
}

const outlierAlerts = (h: Harness, applicationId: number) =>
  h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `review:outlier:${applicationId}:%`)).orderBy(asc(outbox.id));

/** The application completed with no task pending, the place unfilled (the administrators heard it). */
async function completedUnfilled(h: Harness, p: Panel): Promise<void> {
  const [app] = await h.db.db.select().from(applications).where(eq(applications.id, p.application));
  expect(app.status).toBe('scored');
  expect(await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, p.application), eq(assignments.status, 'assigned')))).toEqual([]);
  expect((await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `review:unfilled:${p.pending}:%`))).map((r) => r.receiver)).toEqual([ADMIN]);
}

/** Exactly one outlier alert, to the administrator, naming the totals 60 and 100, the median 80 and both experts. */
async function alertedOnce(h: Harness, p: Panel): Promise<void> {
  const alerts = await outlierAlerts(h, p.application);
  expect(alerts.map((a) => a.receiver)).toEqual([ADMIN]);
  const [p2, p3] = await h.db.db
    .select({ id: assignments.id })
    .from(assignments)
    .where(and(eq(assignments.applicationId, p.application), eq(assignments.status, 'submitted')))
    .orderBy(asc(assignments.id));
  expect(alerts[0].dedupeKey).toBe(`review:outlier:${p.application}:${p2.id}=60,${p3.id}=100:user:${ADMIN}`);
  const text = cardText(alerts[0].card);
  expect(text).toContain('评分偏差提醒');
  expect(text).toContain(`${p.team.code} ${p.team.name}`);
  expect(text).toContain('专家组评分已完成，以下评分与专家组中位数相差超过 15 分');
  expect(text).toContain('专家组各份总分：60、100；中位数 80');
  expect(text).toContain('60 分，与中位数 80 分相差 20 分');
  expect(text).toContain('100 分，与中位数 80 分相差 20 分');
  expect(JSON.stringify(alerts[0].card)).toContain(P(2));
  expect(JSON.stringify(alerts[0].card)).toContain(P(3));
}

describe('a panel completed by a task leaving with nobody to take it alerts its outliers', () => {
  let h: Harness;
  let cycleId: number;
  let n = 0;
  /** Two panels: totals 60 and 100 (both 20 from the median 80), and 80 and 90 (5 from 85). */
  const twoPanels = async (leaders?: [string, string]) => [await panelOf(h, cycleId, ++n, [60, 100], leaders?.[0]), await panelOf(h, cycleId, ++n, [80, 90], leaders?.[1])];

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    expect((await h.click(ADMIN, { action: 'cycle.open' }, cycleForm)).toast.type).toBe('success');
    // the whole pool sits on every panel: nobody is left to take P(1)'s place
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [1, 2, 3].map(P), organization: '广东省市政行业专家委员会' })).toast.type).toBe('success');
    [{ id: cycleId }] = await h.db.db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  }, 120_000);
  afterAll(async () => h?.close());

  it('声明利益冲突: the panel far apart alerts once; the close one does not', async () => {
    const [far, close] = await twoPanels();
    for (const p of [far, close]) {
      const res = await h.click(P(1), { action: 'experts.conflictAdd' }, { kind: 'team', target: p.team.code, reason: '曾任该班组技术顾问' });
      expect(res.toast.type).toBe('success');
      expect(res.toast.content).toContain('1 项暂无专家可以接替');
      await completedUnfilled(h, p);
    }
    await alertedOnce(h, far);
    expect(await outlierAlerts(h, close.application)).toEqual([]);
  });

  it('回避 on 添加成员: the panel far apart alerts once; the close one does not', async () => {
    const [far, close] = await twoPanels();
    for (const p of [far, close]) {
      const res = await h.click(p.leader, { action: 'team.memberAdd', teamId: p.team.id }, { members: [P(1)] });
      expect(res.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
      expect((await h.db.db.select().from(assignments).where(eq(assignments.id, p.pending)))[0].status).toBe('declined');
      await completedUnfilled(h, p);
    }
    await alertedOnce(h, far);
    expect(await outlierAlerts(h, close.application)).toEqual([]);
  });

  it('回避 of an imported leader linked on their first message: the outbox of the linking carries the alert', async () => {
    const keys = ['m:13900005551', 'm:13900005552'];
    const [far, close] = await twoPanels([`pending:${keys[0]}`, `pending:${keys[1]}`]);
    const linked = await h.db.db.transaction((tx) => linkPendingPerson(tx, P(1), keys, h.clock.now(), '2027-03-05', { bootstrapAdmins: [ADMIN] }));
    expect(linked).toEqual(keys);
    for (const p of [far, close]) await completedUnfilled(h, p);
    await alertedOnce(h, far);
    expect(await outlierAlerts(h, close.application)).toEqual([]);
  });

  it('更换专家: the panel far apart alerts once; the close one does not', async () => {
    const [far, close] = await twoPanels();
    for (const p of [far, close]) {
      const res = await h.click(ADMIN, { action: 'review.swap', assignmentId: p.pending });
      expect(res.toast.type).toBe('warning');
      expect(res.toast.content).toContain('没有可接替的专家');
      expect((await h.db.db.select().from(assignments).where(eq(assignments.id, p.pending)))[0].status).toBe('replaced');
      await completedUnfilled(h, p);
    }
    await alertedOnce(h, far);
    expect(await outlierAlerts(h, close.application)).toEqual([]);
  });

  it('回避 on 添加专家 moving the expert into the team’s organisation: the panel far apart alerts once; the close one does not', async () => {
    const [far, close] = await twoPanels();
    for (const p of [far, close]) {
      const [{ name }] = await h.db.db.select({ name: organizations.name }).from(organizations).innerJoin(teams, eq(teams.organizationId, organizations.id)).where(eq(teams.id, p.team.id));
      const res = await h.click(ADMIN, { action: 'experts.add' }, { experts: [P(1)], organization: name });
      expect(res.toast.type).toBe('success');
      expect((await h.db.db.select().from(assignments).where(eq(assignments.id, p.pending)))[0].status).toBe('declined');
      await completedUnfilled(h, p);
    }
    await alertedOnce(h, far);
    expect(await outlierAlerts(h, close.application)).toEqual([]);
  });
});
