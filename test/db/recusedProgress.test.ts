import { and, asc, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, conflicts, people, teamMembers, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { inEachWorld, type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';

/**
 * The progress an expert is shown after 提交评分 (and on a second tap) counts the pending tasks they must step aside
 * from (回避, 第十七条) apart, however many tasks are left and whatever the reason: on PostgreSQL the one-statement
 * submit answers in the fast world (migration 0020), the ordinary path in the other, and the 评分 list says the same.
 */
const EXPERT = 'ou_recusedprogress000000000000001';
const COLLEAGUES = ['ou_recusedprogress000000000000002', 'ou_recusedprogress000000000000003'];
const ASIDE = '另有 6 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。';

interface World {
  h: Harness;
  /** The expert's tasks by team code: tasks[i] is team i + 1's, of organisation 1 + (i + 1) % 10 (seedLargeCycle). */
  tasks: { id: number; applicationId: number; teamId: number; code: string; organizationId: number }[];
}

async function start(_mode: Mode): Promise<World> {
  const h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  const fx = await seedLargeCycle(h.db.db, { applications: 20, experts: 0, organizations: 10, year: 2030 });
  await h.db.db.insert(people).values([EXPERT, ...COLLEAGUES].map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
  expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId })).toast.type).toBe('success');
  const tasks = await h.db.db
    .select({ id: assignments.id, applicationId: assignments.applicationId, teamId: teams.id, code: teams.code, organizationId: teams.organizationId })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(eq(assignments.expertOpenId, EXPERT))
    .orderBy(asc(teams.code));
  expect(tasks).toHaveLength(20);
  return { h, tasks };
}

/** The scored card's line of progress (progressText, cards/review.ts). */
const progressLine = (card: unknown) => cardText(card).match(/你(已完成|可评的|的 \d+ 项).*/)?.[0];

describe('the progress after 提交评分 with pending tasks the expert must step aside from, for every reason', () => {
  const worlds = twoWorlds(start, { oneOnPglite: true });

  it('the scored card, a second tap and the 评分 list count them apart, on both paths', async () => {
    const lines = await inEachWorld(worlds, async ({ h, tasks }) => {
      const db = h.db.db;
      // team 1: scored, then a conflict declared with it and the sheet reopened (重开评分)
      expect((await h.click(EXPERT, { action: 'review.submit', assignmentId: tasks[0].id }, scoreForm(90))).toast.type).toBe('success');
      expect((await h.click(EXPERT, { action: 'experts.conflictAdd' }, { kind: 'team', target: tasks[0].code, reason: '亲属在该班组' })).toast.type).toBe('success');
      expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: tasks[0].id })).toast.content).toContain('已重开评分');
      // teams 16 and 17 scored: a scored task is not counted
      expect((await h.click(EXPERT, { action: 'review.submit', assignmentId: tasks[15].id }, scoreForm(88))).toast.type).toBe('success');
      expect((await h.click(EXPERT, { action: 'review.submit', assignmentId: tasks[16].id }, scoreForm(88))).toast.type).toBe('success');
      // places taken since the panels were drawn: a member of team 11, leader (and member) of team 7, contact of team 6,
      // a conflict with team 5's organisation (teams 5 and 15). A place makes the team's organisation theirs too, so
      // each is in an organisation whose other team is counted already (team 1) or scored (17, 16): their own
      // organisations are counted by the one-statement submit with four or fewer tasks left only, as
      // test/db/recusedTasks.test.ts and test/db/expertTeamOrganisation.test.ts have it (migrations 0020, 0021).
      await db.insert(teamMembers).values([
        { teamId: tasks[10].teamId, openId: EXPERT, role: 'member' },
        { teamId: tasks[6].teamId, openId: EXPERT, role: 'leader' },
      ]);
      await db.update(teams).set({ leaderOpenId: EXPERT }).where(eq(teams.id, tasks[6].teamId));
      await db.update(teams).set({ contactOpenId: EXPERT }).where(eq(teams.id, tasks[5].teamId));
      await db.insert(conflicts).values({ expertOpenId: EXPERT, organizationId: tasks[4].organizationId, reason: '曾在该单位任职' });

      const scored = await h.click(EXPERT, { action: 'review.submit', assignmentId: tasks[19].id }, scoreForm(86));
      expect(scored.toast.type).toBe('success');
      const seen: unknown[] = [progressLine(scored.card.data)];
      const again = await h.click(EXPERT, { action: 'review.submit', assignmentId: tasks[19].id }, scoreForm(86));
      expect(again.toast.content).toContain('无需重复提交');
      seen.push(progressLine(again.card.data));
      const sent = h.fake.messages.length;
      await h.say(EXPERT, '评分');
      const list = h.fake.messages.slice(sent).find((m) => m.receiveId === EXPERT)!.content as { config: { summary?: { content: string } } };
      seen.push(cardText(list).split('\n').find((l) => l.includes('年度评审')), list.config.summary?.content);
      return seen;
    });
    const expected = [
      `你已完成 3 / 14 项，还有 11 项待评。${ASIDE}`,
      `你已完成 3 / 14 项，还有 11 项待评。${ASIDE}`,
      '**2030年度评审 · 已完成 3 / 14（另 6 项须回避） · 评分截止 2030年6月30日**',
      '评分任务：已完成 3 / 14（另 6 项须回避）',
    ];
    expect(lines.fast).toEqual(expected);
    expect(lines.ordinary).toEqual(expected);
  });

  it('a colleague with no reason to step aside is told the plain count', async () => {
    for (const mode of MODES_HERE) {
      const { h, tasks } = worlds[mode];
      const [task] = await h.db.db
        .select()
        .from(assignments)
        .where(and(eq(assignments.applicationId, tasks[9].applicationId), eq(assignments.expertOpenId, COLLEAGUES[0])));
      const scored = await h.click(COLLEAGUES[0], { action: 'review.submit', assignmentId: task.id }, scoreForm(90));
      expect(progressLine(scored.card.data), mode).toBe('你已完成 1 / 20 项，还有 19 项待评。');
    }
  });

  it('the last sheet of a panel is audited before the panel’s completion, on both paths', async () => {
    const trails = await inEachWorld(worlds, async ({ h, tasks }, mode) => {
      const panel = await h.db.db.select().from(assignments).where(eq(assignments.applicationId, tasks[19].applicationId)).orderBy(asc(assignments.id));
      const since = (await h.db.db.select({ id: auditLog.id }).from(auditLog).orderBy(asc(auditLog.id))).at(-1)!.id;
      for (const a of panel.filter((p) => p.status === 'assigned')) {
        expect((await h.click(a.expertOpenId, { action: 'review.submit', assignmentId: a.id }, scoreForm(87))).toast.type, mode).toBe('success');
      }
      const rows = await h.db.db.select().from(auditLog).where(inArray(auditLog.action, ['review.submit', 'application.completePanel'])).orderBy(asc(auditLog.id));
      return rows.filter((r) => r.id > since).map((r) => `${r.action} ${r.actor}`);
    });
    const expected = [`review.submit ${COLLEAGUES[0]}`, `review.submit ${COLLEAGUES[1]}`, `application.completePanel ${COLLEAGUES[1]}`];
    expect(trails.fast).toEqual(expected);
    expect(trails.ordinary).toEqual(expected);
  });
});
