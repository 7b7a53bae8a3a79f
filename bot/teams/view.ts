import type { TeamData } from '../../cards/teams.js';
import { formatDateZh, todayIn } from '../../src/dates.js';
import { findTeams, teamCodePattern } from '../../src/complaints.js';
import type { Db } from '../../db/index.js';
import { readCode } from '../../src/forms.js';
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

/**
 * The teams a command's argument names (修改资料, 班组成员, 更换班组长, 变更记录 followed by it): a team's code however
 * typed (`code` set, whether or not a team has it), else a team's full name as its cards show it, or a name it had
 * (src/complaints.ts `findTeams`: 养护一班(东区) is 养护一班（东区）); teams of one name in several organisations all come.
 * An association secretary working from a workbook types the name as often as the code.
 */
export async function teamsNamed(tx: Db, typed: string): Promise<{ code?: string; teams: { id: number; name: string; code: string; organization: string }[] }> {
  const code = readCode(typed);
  if (teamCodePattern.test(code)) return { code, teams: await findTeams(tx, code, { partial: false }) };
  return { teams: await findTeams(tx, typed, { partial: false }) };
}

/** The first ten of some teams, one a line: 名称（单位）：编号. */
const teamLines = (found: { name: string; code: string; organization: string }[]) => found.slice(0, 10).map((t) => `${t.name}（${t.organization}）：${t.code}`);

/** Several teams of the name typed: which is which, by code, for the command to be sent again with one. */
function whichTeam(command: string, name: string, found: { name: string; code: string; organization: string }[]): string {
  return [`有 ${found.length} 个名为“${name}”的班组，请在命令后写上其中一个的班组编号，如“${command} ${found[0].code}”：`, ...teamLines(found)].join('\n');
}

/** Where an administrator finds a team's code; where anyone else does. */
export const whereCodesAre = (admin: boolean) => (admin ? '各班组的编号在名册中，发送“导出名册”获取' : '编号见班组的卡片或“进度”');

/**
 * The one team a command's argument names (teamsNamed), or what to tell instead: several of that name (which is which),
 * a code no team has, and to an administrator a name no team has (with the teams whose names contain it). Undefined
 * when the argument is no team's and the text may be a question (glued to the command: 修改资料需要什么手续; or typed by
 * someone who is no administrator), for the command to go on as it would.
 */
export async function teamForCommand(
  ctx: Pick<HandlerContext, 'tx' | 'actor'>,
  typed: string,
  how: { glued?: boolean; command: string },
): Promise<{ team: { id: number; name: string; code: string } } | { text: string } | undefined> {
  const admin = hasRole(ctx.actor as Actor, 'admin');
  const named = await teamsNamed(ctx.tx, typed);
  if (named.teams.length === 1) return { team: named.teams[0] };
  if (named.teams.length > 1) return { text: whichTeam(how.command, typed, named.teams) };
  if (named.code) return { text: `找不到编号为“${named.code}”的班组：请核对编号（${whereCodesAre(admin)}）。` };
  if (how.glued || !admin) return undefined;
  const partly = await findTeams(ctx.tx, typed, { partial: true });
  const example = `如“${how.command} ${partly[0]?.code ?? 'GDSZ-2025-0001'}”`;
  if (!partly.length) return { text: `找不到名为“${typed}”的班组：请在命令后写上班组全称或班组编号，${example}（${whereCodesAre(true)}）。` };
  return { text: [`没有名为“${typed}”的班组。名称含“${typed}”的班组${partly.length > 10 ? '（前 10 个）' : ''}：`, ...teamLines(partly), `请在命令后写上其中一个的班组编号，${example}。`].join('\n') };
}

/** Today in the bot's timezone, from the injected clock. */
