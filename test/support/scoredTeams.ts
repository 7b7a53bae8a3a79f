import type { Db } from '../../db/index.js';
import { applications, organizations, people, teamMembers, teams } from '../../db/schema.js';

/**
 * A team whose application is scored and ranked in `cycleId` (closed, ready for 公布结果): its organisation, its
 * leader and contact, the team, its leader's membership, and the application with `95 - n` points and rank `n`,
 * awarded; or, with `awarded: false`, 70 points and not awarded.
 */
export async function seedScoredTeam(
  db: Db,
  opts: { cycleId: number; n: number; code: string; name: string; leader: string; contact: string; aggregatedAt: Date; awarded?: boolean; recommended?: boolean },
) {
  const { n, awarded = true } = opts;
  const [org] = await db.insert(organizations).values({ name: `广东第${n}市政工程有限公司` }).returning();
  await db.insert(people).values([{ openId: opts.leader }, { openId: opts.contact, roles: ['org_contact'], organizationId: org.id }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: opts.code, name: opts.name, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: opts.leader, phone: '020-1234567',
      memberCount: 12, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: opts.contact, registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(teamMembers).values({ teamId: team.id, openId: opts.leader, role: 'leader' });
  await db.insert(applications).values({
    teamId: team.id, cycleId: opts.cycleId, status: 'scored', form: { title: `成果${n}` }, finalScore: awarded ? 95 - n : 70, rank: n, decision: awarded ? 'awarded' : 'not_awarded',
    review: { rule: 'mean', median: null, totals: [], areas: [], outliers: [], awarded, recommended: opts.recommended ?? false, aggregatedAt: opts.aggregatedAt.toISOString() },
  });
  return team;
}
