import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, people, teamMembers, teams } from '../../db/schema.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { MODES, type Mode, twoWorlds } from '../support/worlds.js';
import { type Fixture, OTHER_EXPERT, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 回避 (第十七条; RULES.md: no expert from the applicant's own organisation): an expert's organisations are their expert
 * record's and those of the teams they lead, belong to or are the 单位联系人 of, though the record names none or the
 * pool's (registration never sets it). 分配专家 and the replacement a 谢绝 brings leave them off the panels of every
 * team of those organisations.
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
  const worlds = twoWorlds(startPanels);

  it('分配专家 gives organisation B’s applications neither, and says why the panel misses one', async () => {
    for (const mode of MODES) {
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
    for (const mode of MODES) {
      const { h, f } = worlds[mode];
      const declined = await h.click(personas.expert, { action: 'review.decline', assignmentId: f.ownTask }, { kind: 'unavailable', reason: '评审期间出差' });
      expect(declined.toast.type, mode).toBe('success');
      await h.drain();
      expect(await panel(h, f.appD), mode).toEqual([`${personas.expert} declined`, `${NEUTRAL} assigned`, `${OTHER_EXPERT} assigned`]);
    }
  });
});
