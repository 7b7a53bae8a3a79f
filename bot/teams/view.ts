import type { TeamData } from '../../cards/teams.js';
import { formatDateZh, todayIn } from '../../src/dates.js';
import type { HandlerContext } from '../../src/handlers.js';
import { type Actor, hasRole } from '../../src/people.js';
import { type Team, teamMachine, type TeamStatus, teamTypeLabel } from '../../src/teams.js';

/** A team as stored, with its organisation's name (its timestamps are not shown). */
export type TeamRow = Omit<Team, 'createdAt' | 'updatedAt'> & { organization: string };

export function teamData(team: TeamRow): TeamData {
  return {
    id: team.id,
    code: team.code,
    name: team.name,
    organization: team.organization,
    department: team.department,
    typeLabel: teamTypeLabel(team.type),
    type: team.type,
    leaderOpenId: team.leaderOpenId,
    phone: team.phone,
    memberCount: team.memberCount,
    functions: team.functions,
    goals: team.goals,
    plan: team.plan,
    contactOpenId: team.contactOpenId,
    registeredAt: formatDateZh(team.registeredAt),
    statusLabel: teamMachine.label(team.status as TeamStatus),
  };
}

/**
 * Where a team's card (修改资料, 班组成员, 更换班组长) leads back to: its leader's 进度; an administrator who does not
 * lead the team to the 协会管理 card, their 进度 holding no such team.
 */
export const backFor = (actor: Pick<Actor, 'openId' | 'roles'>, team: { leaderOpenId: string }): 'status' | 'admin' =>
  team.leaderOpenId !== actor.openId && hasRole(actor as Actor, 'admin') ? 'admin' : 'status';

/** Today in the bot's timezone, from the injected clock. */
