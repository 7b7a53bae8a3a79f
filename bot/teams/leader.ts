import { type LeaderChangeData, leaderChangedCard, leaderFormCard, leaderNamedCard, teamPickerCard } from '../../cards/teams.js';
import { applicationStatusNames, type ApplicationStatus } from '../../src/applications.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { readCode } from '../../src/forms.js';
import type { CardRun, HandlerContext, IncomingText, OnRefused } from '../../src/handlers.js';
import { isPending } from '../../src/import/people.js';
import { hasRole } from '../../src/people.js';
import { changeLeader, getTeam, lastLeaderChange, leaderCandidatesOf, teamByCode, teamLedBy, teamsOf } from '../../src/teams.js';
import { idFrom, idOrZero, pageFrom, raw, sendPrivately, typedCode } from '../respond.js';
import { statusCardFor } from './status.js';
import { backFor, teamData, teamForCommand, whereCodesAre } from './view.js';

/** 更换班组长's card: the team's registered members to choose from. */
async function leaderForm(ctx: HandlerContext, teamId: number, again?: { error: UserError; values: Record<string, unknown> }) {
  const [team, members] = await Promise.all([teamLedBy(ctx.tx, ctx.actor, teamId), leaderCandidatesOf(ctx.tx, teamId)]);
  return leaderFormCard(teamData(team), members, { ...(again ? { error: formErrorOf(again.error), values: again.values } : {}), back: backFor(ctx.actor, team) });
}

export const openLeaderForm: CardRun = async (ctx, input) => raw(await leaderForm(ctx, idFrom(input.value, 'teamId')));

/**
 * 确认更换 (更换班组长): the member chosen leads the team, the former leader stays a member; the new leader, the former
 * one and the team's 单位联系人 are told in the same transaction. The one who clicked sees the change in place of the form.
 */
export const changeTeamLeader: CardRun = async (ctx, input) => {
  const teamId = idFrom(input.value, 'teamId');
  const picked = input.formValue.leader;
  const to = typeof picked === 'string' ? picked : Array.isArray(picked) && typeof picked[0] === 'string' ? picked[0] : '';
  const change = await changeLeader(ctx.tx, ctx.actor, teamId, String(input.value.from ?? ''), to, ctx.clock.now());
  const d: LeaderChangeData = {
    team: { id: change.team.id, name: change.team.name, code: change.team.code, organization: change.team.organization },
    from: change.from,
    to: change.to,
    by: ctx.actor.openId,
    contactUnlinked: isPending(change.team.contactOpenId),
    running: change.running && { ...change.running, statusLabel: applicationStatusNames[change.running.status as ApplicationStatus] ?? change.running.status },
  };
  const key = `team:leader:${teamId}:${ctx.eventId}`;
  await ctx.send({ dedupeKey: `${key}:new`, to: { openId: change.to }, card: leaderNamedCard(d) });
  // the former leader who changed it sees it in place of the form; one replaced by an administrator is told by message
  if (change.from !== ctx.actor.openId && !isPending(change.from)) await ctx.send({ dedupeKey: `${key}:former`, to: { openId: change.from }, card: leaderChangedCard(d, 'former') });
  if (!isPending(change.team.contactOpenId)) await ctx.send({ dedupeKey: `${key}:contact`, to: { openId: change.team.contactOpenId }, card: leaderChangedCard(d, 'contact') });
  return raw(leaderChangedCard(d, change.from === ctx.actor.openId ? 'former' : 'admin'), { type: 'success', content: '班组长已更换' });
};

/**
 * 更换班组长 refused: the form again with the choice and what is wrong. A change already made shows the team's state: to
 * an administrator, who may be in no team, its 更换班组长 card as it is now (the new leader its 现任班组长); to the
 * former leader, their 进度.
 */
export const leaderFormAgain: OnRefused = async (error, ctx, input) => {
  if (error instanceof AlreadyDone) {
    const teamId = idOrZero(input.value, 'teamId');
    if (ctx.actor.roles.includes('admin') && teamId) return raw(await leaderForm(ctx, teamId));
    return raw((await changeAsMade(ctx, teamId)) ?? (await statusCardFor(ctx)));
  }
  const form = await leaderForm(ctx, idOrZero(input.value, 'teamId'), { error, values: input.formValue }).catch(() => undefined);
  return form ? raw(form) : undefined;
};

/** The former leader's card of the team's last 更换班组长, as its first 确认更换 showed it. */
async function changeAsMade(ctx: HandlerContext, teamId: number) {
  const [team, last] = await Promise.all([getTeam(ctx.tx, teamId), lastLeaderChange(ctx.tx, teamId)]);
  if (!team || !last?.to || last.from !== ctx.actor.openId) return undefined;
  return leaderChangedCard({ team: { name: team.name, code: team.code, organization: team.organization }, from: last.from, to: last.to, by: last.by }, 'former');
}

/** How an administrator names the team: its code, which every card of the team shows. */
const nameTheTeam = (admin: boolean) => `请在命令后写上班组编号，如“更换班组长 GDSZ-2025-0001”（${whereCodesAre(admin)}）。`;

/**
 * `更换班组长` / `change leader`: the card for the caller's team (a picker when they lead several); with a team's code,
 * that team's, for its leader or an administrator. Anyone else is told who may.
 */
async function leaderEntry(ctx: HandlerContext, code: string, page = 1) {
  if (code) {
    const team = await teamByCode(ctx.tx, readCode(code));
    if (!team) throw new UserError(`找不到编号为“${code}”的班组：${nameTheTeam(hasRole(ctx.actor, 'admin'))}`);
    return leaderForm(ctx, team.id);
  }
  const led = (await teamsOf(ctx.tx, ctx.actor.openId)).filter((v) => v.myRole === 'leader');
  if (led.length === 1) return leaderForm(ctx, led[0].team.id);
  if (led.length > 1) {
    return teamPickerCard({ title: '更换班组长', prompt: `你是 ${led.length} 个班组的班组长，请选择要更换班组长的班组：`, teams: led.map((v) => v.team), action: 'team.leaderForm', page, pageValue: { action: 'team.leaderStart' } });
  }
  if (ctx.actor.roles.includes('admin')) throw new UserError(`协会管理员可以更换任一班组的班组长：${nameTheTeam(true)}`, { kind: 'info' });
  throw new UserError('只有班组长（或协会管理员）可以更换班组长：新班组长须是本班组成员，请本班组的班组长发送“更换班组长”办理，或联系协会。');
}

export async function sendLeaderEntry(ctx: HandlerContext, msg: IncomingText, argument: string, how?: { glued: boolean }): Promise<void | false> {
  const code = typedCode(argument);
  // a team's code or full name (teamForCommand); glued to the name, anything else is a question for the measures
  const found = code ? await teamForCommand(ctx, code, { glued: how?.glued, command: '更换班组长' }) : undefined;
  if (how?.glued && !found) return false;
  if (found && 'text' in found) return sendPrivately(ctx, msg, `team:leader:${ctx.eventId}`, { text: found.text }, '说明');
  try {
    const card = found ? await leaderForm(ctx, found.team.id) : await leaderEntry(ctx, code);
    await sendPrivately(ctx, msg, `team:leader:${ctx.eventId}`, { card }, '更换班组长卡片');
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    await sendPrivately(ctx, msg, `team:leader:${ctx.eventId}`, { text: err.message }, '说明');
  }
}

/** The picker of a leader of several teams, page by page. */
export const showLeaderEntry: CardRun = async (ctx, input) => raw(await leaderEntry(ctx, '', pageFrom(input.value)));
