import { and, asc, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, people, teamMembers, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { inEachWorld, type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';
import { type Fixture, OTHER_EXPERT, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 回避 (第十七条; RULES.md: no expert from the applicant's own organisation): an expert's organisations are their expert
 * record's and those of the teams they lead, belong to or are the 单位联系人 of, though the record names none or the
 * pool's (registration never sets it). 分配专家 and the replacement a 谢绝 brings leave them off the panels of every
 * team of those organisations; a task given before they took their place is 须回避 on opening, refused on 提交评分 on
 * the one-statement path (migration 0021) as on the ordinary one, and counted in 另有 N 项须回避; 重开评分 of a sheet of
 * theirs sends them nothing and tells the administrator to 更换专家.
 */

const LEADER_EXPERT = 'ou_expertleader000000000000000000001';
const CONTACT_EXPERT = 'ou_expertcontact00000000000000000001';
// sorts after both: on equal loads the planner took them first
const NEUTRAL = 'ou_neutralexpert00000000000000000001';
const NINTH_LEADER = 'ou_ninthteamleader000000000000000001';

interface PanelWorld {
  h: Harness;
  f: Fixture;
}

/** A team of organisation B like team B, under another code and name, led by `leader` with `contact`. */
async function teamOfB(h: Harness, f: Fixture, code: string, name: string, leader: string, contact: string) {
  const db = h.db.db;
  const [tb] = await db.select().from(teams).where(eq(teams.id, f.teamB.id));
  const [team] = await db.insert(teams).values({ ...tb, id: undefined, createdAt: undefined, updatedAt: undefined, code, name, leaderOpenId: leader, contactOpenId: contact }).returning();
  await db.insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
  return team;
}

async function startPanels(_mode: Mode): Promise<PanelWorld> {
  const { h, f } = await startSecurityHarness();
  const db = h.db.db;
  // two experts of no organisation on record: one leads a team of organisation B, one is the contact of another
  await db.insert(people).values([
    { openId: LEADER_EXPERT, name: '专家兼班组长', roles: ['expert'] },
    { openId: CONTACT_EXPERT, name: '专家兼单位联系人', roles: ['expert'] },
    { openId: NEUTRAL, name: '无关专家', roles: ['expert'] },
    { openId: NINTH_LEADER, name: '九班班组长' },
  ]);
  const [tb] = await db.select().from(teams).where(eq(teams.id, f.teamB.id));
  await teamOfB(h, f, 'GDSZ-2024-0888', '深圳建设八班', LEADER_EXPERT, tb.contactOpenId);
  await teamOfB(h, f, 'GDSZ-2024-0999', '深圳建设九班', NINTH_LEADER, CONTACT_EXPERT);
  await db.update(people).set({ expertActive: false }).where(eq(people.openId, OTHER_EXPERT));
  await db.update(applications).set({ status: 'accepted' }).where(eq(applications.id, f.appC));
  return { h, f };
}

/** An application's tasks as “expert status”, by expert. */
const panel = async (h: Harness, applicationId: number) =>
  (await h.db.db.select({ expert: assignments.expertOpenId, status: assignments.status }).from(assignments).where(eq(assignments.applicationId, applicationId)))
    .map((a) => `${a.expert} ${a.status}`)
    .sort();

describe('分配专家 and a replacement leave an expert off the panels of the organisation of a team they lead or are the contact of', () => {
  const worlds = twoWorlds(startPanels, { oneOnPglite: true });

  it('分配专家 gives organisation B’s applications neither, and says why the panel misses one', async () => {
    for (const mode of MODES_HERE) {
      const { h, f } = worlds[mode];
      expect((await h.click(ADMIN, { action: 'review.assign', cycleId: f.cycleId })).toast.type, mode).toBe('success');
      await h.drain();
      expect(await panel(h, f.appC), mode).toEqual([`${personas.expert} assigned`, `${NEUTRAL} assigned`]);
      expect(await panel(h, f.appD), mode).toEqual([`${personas.expert} assigned`, `${NEUTRAL} assigned`, `${OTHER_EXPERT} assigned`]);
      const runs = await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'review.assign'));
      const unfilled = runs.flatMap((r) => (r.details as { unfilled?: { applicationId: number; reason: string }[] }).unfilled ?? []);
      expect(unfilled.find((u) => u.applicationId === f.appC)?.reason, mode).toContain('2 位与申报单位同属一家单位');
    }
  });

  it('a 谢绝 on organisation B’s application brings neither as the replacement', async () => {
    for (const mode of MODES_HERE) {
      const { h, f } = worlds[mode];
      const declined = await h.click(personas.expert, { action: 'review.decline', assignmentId: f.ownTask }, { kind: 'unavailable', reason: '评审期间出差' });
      expect(declined.toast.type, mode).toBe('success');
      await h.drain();
      expect(await panel(h, f.appD), mode).toEqual([`${personas.expert} declined`, `${NEUTRAL} assigned`, `${OTHER_EXPERT} assigned`]);
    }
  });
});

// --- tasks given before the expert took their place in a team of the applicant's organisation ----------------------

const EXPERT = 'ou_teamorgexpert000000000000000001';
const MEMBER_EXPERT = 'ou_teamorgexpert000000000000000002';
const COLLEAGUE = 'ou_teamorgexpert000000000000000003';
const ASIDE = (n: number) => `另有 ${n} 项你须回避（第十七条），无需评分，协会管理员将改派其他专家。`;
const REFUSED = '你与该班组同属一个单位，须回避该班组的评审，这份评分不能提交';

interface TaskWorld {
  h: Harness;
  /** Each expert's tasks by team code: tasks[x][i] is team i + 1's, of organisation 1 + (i + 1) % 3 (seedLargeCycle). */
  tasks: Record<string, { id: number; teamId: number; code: string }[]>;
}

async function startTasks(_mode: Mode): Promise<TaskWorld> {
  const h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  const db = h.db.db;
  const fx = await seedLargeCycle(db, { applications: 3, experts: 0, organizations: 3, year: 2030 });
  await db.insert(people).values([EXPERT, MEMBER_EXPERT, COLLEAGUE].map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
  expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId })).toast.type).toBe('success');
  const tasks: TaskWorld['tasks'] = {};
  for (const openId of [EXPERT, MEMBER_EXPERT, COLLEAGUE]) {
    tasks[openId] = await db
      .select({ id: assignments.id, teamId: teams.id, code: teams.code })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(eq(assignments.expertOpenId, openId))
      .orderBy(asc(teams.code));
    expect(tasks[openId]).toHaveLength(3);
  }
  // since the panels were drawn: EXPERT leads a new team of team 1's organisation and is the contact of a new team of
  // team 2's; MEMBER_EXPERT joins a new team of team 1's organisation (none of these teams applied)
  const [first] = await db.select().from(teams).where(eq(teams.id, tasks[EXPERT][0].teamId));
  const [second] = await db.select().from(teams).where(eq(teams.id, tasks[EXPERT][1].teamId));
  const copy = (t: typeof first, code: string, leader: string, contact: string) => ({ ...t, id: undefined, createdAt: undefined, updatedAt: undefined, code, name: `${code}班`, leaderOpenId: leader, contactOpenId: contact });
  const [led, , joined] = await db
    .insert(teams)
    .values([copy(first, 'GDSZ-2030-0801', EXPERT, first.contactOpenId), copy(second, 'GDSZ-2030-0802', second.leaderOpenId, EXPERT), copy(first, 'GDSZ-2030-0803', first.leaderOpenId, first.contactOpenId)])
    .returning();
  await db.insert(teamMembers).values([
    { teamId: led.id, openId: EXPERT, role: 'leader' },
    { teamId: joined.id, openId: MEMBER_EXPERT, role: 'member' },
  ]);
  return { h, tasks };
}

/** The scored card's line of progress (progressText, cards/review.ts). */
const progressLine = (card: unknown) => cardText(card).match(/你(已完成|可评的|的 \d+ 项).*/)?.[0];

describe('a task given before its expert led, joined or became the contact of a team of the applicant’s organisation', () => {
  const worlds = twoWorlds(startTasks, { oneOnPglite: true });
  const asideTasks = (tasks: TaskWorld['tasks']) =>
    [
      [EXPERT, tasks[EXPERT][0]],
      [EXPERT, tasks[EXPERT][1]],
      [MEMBER_EXPERT, tasks[MEMBER_EXPERT][0]],
    ] as const;

  it('opening it says 须回避 for their organisation', async () => {
    for (const mode of MODES_HERE) {
      const { h, tasks } = worlds[mode];
      for (const [openId, task] of asideTasks(tasks)) {
        const opened = await h.click(openId, { action: 'review.open', assignmentId: task.id });
        expect(opened.toast?.content, `${mode} ${openId} ${task.code}`).toContain('你与该班组同属一个单位，须回避该班组');
      }
    }
  });

  it('提交评分 of it is refused on both paths, and nothing is stored', async () => {
    for (const mode of MODES_HERE) {
      const { h, tasks } = worlds[mode];
      for (const [openId, task] of asideTasks(tasks)) {
        const refused = await h.click(openId, { action: 'review.submit', assignmentId: task.id }, scoreForm(90));
        expect(refused.toast.content, `${mode} ${openId} ${task.code}`).toContain(REFUSED);
      }
      const stored = await h.db.db
        .select({ id: assignments.id })
        .from(assignments)
        .where(and(inArray(assignments.expertOpenId, [EXPERT, MEMBER_EXPERT]), eq(assignments.status, 'submitted')));
      expect(stored, mode).toEqual([]);
    }
  });

  it('the sheet of a task left to score is stored, and the answer counts the ones to step aside from apart', async () => {
    const lines = await inEachWorld(worlds, async ({ h, tasks }, mode) => {
      const seen: unknown[] = [];
      for (const [openId, task] of [[EXPERT, tasks[EXPERT][2]], [MEMBER_EXPERT, tasks[MEMBER_EXPERT][1]]] as const) {
        const scored = await h.click(openId, { action: 'review.submit', assignmentId: task.id }, scoreForm(90));
        expect(scored.toast.type, `${mode} ${openId}`).toBe('success');
        seen.push(progressLine(scored.card.data));
      }
      const sent = h.fake.messages.length;
      await h.say(EXPERT, '评分');
      const list = h.fake.messages.slice(sent).find((m) => m.receiveId === EXPERT)!.content as { config: { summary?: { content: string } } };
      seen.push(list.config.summary?.content);
      return seen;
    });
    const expected = [`你可评的 1 项评分任务已全部完成，谢谢！${ASIDE(2)}`, `你已完成 1 / 2 项，还有 1 项待评。${ASIDE(1)}`, '评分任务：已完成 1 / 1（另 2 项须回避）'];
    expect(lines.fast).toEqual(expected);
    expect(lines.ordinary).toEqual(expected);
  });

  it('a colleague of none of these organisations scores as before', async () => {
    for (const mode of MODES_HERE) {
      const { h, tasks } = worlds[mode];
      const scored = await h.click(COLLEAGUE, { action: 'review.submit', assignmentId: tasks[COLLEAGUE][0].id }, scoreForm(90));
      expect(progressLine(scored.card.data), mode).toBe('你已完成 1 / 3 项，还有 2 项待评。');
    }
  });

  it('重开评分 of a sheet whose expert has since joined a team of the applicant’s organisation sends them nothing and says 更换专家', async () => {
    for (const mode of MODES_HERE) {
      const { h, tasks } = worlds[mode];
      const task = tasks[COLLEAGUE][0];
      const [team] = await h.db.db.select().from(teams).where(eq(teams.id, task.teamId));
      const [joined] = await h.db.db.insert(teams).values({ ...team, id: undefined, createdAt: undefined, updatedAt: undefined, code: 'GDSZ-2030-0804', name: '新成立班' }).returning();
      await h.db.db.insert(teamMembers).values({ teamId: joined.id, openId: COLLEAGUE, role: 'member' });
      const sent = h.fake.messages.length;
      const reopened = await h.click(ADMIN, { action: 'review.reopen', assignmentId: task.id });
      expect(reopened.toast?.type, `${mode}: ${JSON.stringify(reopened.toast)}`).toBe('warning');
      expect(reopened.toast?.content).toContain('该专家与该班组同属一个单位，须回避该班组的评审：未通知其重新评分，请接着点该专家的“更换专家”');
      await h.drain();
      expect(h.fake.messages.slice(sent).filter((m) => m.receiveId === COLLEAGUE), mode).toEqual([]);
    }
  });
});
