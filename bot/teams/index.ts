import { z } from 'zod';
import { type BotRegistry, formerLeaderOfTeam, leaderOfTeam } from '../../src/handlers.js';
import { changeLeader, teamLedBy } from '../../src/teams.js';
import { id, noValue, teamNowLedBy, values } from '../respond.js';
import { addTeamMembers, addTeamMembersFast, membersAgain, openProfileForm, profileFormAgain, removedAgain, removeTeamMember, removeTeamMemberFast, saveProfile, saveProfileFast, sendMembers, sendProfileForm, showMembers } from './profile.js';
import { openRegistrationForm, registrationFormAgain, sendRegistrationForm, submitRegistration, submitRegistrationFast } from './register.js';
import { changeTeamLeader, leaderFormAgain, openLeaderForm, sendLeaderEntry, showLeaderEntry } from './leader.js';
import { sendStatus, sendTeamCodes, showStatus } from './status.js';
import { sendTeamHistory } from './history.js';

// an administrator may correct any team's record; a leader only their own
const teamKeeper = ['admin', leaderOfTeam(teamLedBy)] as const;
const onTeam = values({ teamId: id });

export function register(bot: BotRegistry): void {
  // register my team and 注册新班组 are 注册, as 注册班组 (its button) is; status of my team and my team (我的班组) are 进度,
  // and so is 我的单位: a contact's are the teams they confirm for, with their applications; 查进度, 我的进度 and my status too
  bot.command({ names: ['注册', 'register'], objects: /^(?:(?:my|our|the|a|an|this)\s+)?(?:new\s+)?team$|^(?:我的|我们的?|本|一个|新的?)?班组$/, run: sendRegistrationForm });
  bot.command({ names: ['进度', 'status', 'my team', '我的单位', '查进度', '我的进度', 'my progress', 'progress', 'my status', 'our status', 'team status'], objects: /^(?:(?:of|for)\s+)?(?:(?:my|our|the)\s+)?team$/, run: sendStatus });
  // 班组编号, 我的班组编号是多少, my team code (what is our team code): the codes themselves, as 进度 shows them
  bot.command({
    names: ['班组编号', '我的班组编号', '我们的班组编号', '我们班组的编号', '我的班组的编号', '本班组编号', '班组的编号', 'team code', 'my team code', 'our team code', 'team number', 'my team number', 'our team number'],
    objects: /^(?:是多少|是什么|是啥|是几号|多少|呢|在哪|在哪里|在哪儿|在哪看|怎么查|怎么看)?$/,
    run: sendTeamCodes,
  });
  bot.cardAction({ action: 'team.registerForm', roles: ['public'], value: noValue, run: openRegistrationForm, privateInGroup: '班组注册表' });
  bot.cardAction({ action: 'team.register', label: '提交注册', roles: ['public'], value: noValue, run: submitRegistration, onRefused: registrationFormAgain, fast: submitRegistrationFast });
  bot.cardAction({ action: 'team.status', roles: ['public'], value: noValue, run: showStatus, privateInGroup: '班组进度' });
  // the 进度 card's buttons typed (修改资料, 班组成员, and the members card's 添加成员): that card for a leader; with a
  // team's code (班组成员 GDSZ-2025-0001, 修改资料GDSZ-2025-0001 glued), that team's, for its leader or an administrator
  const byCode = { takesArgument: true, argument: 'keyword', glued: true } as const;
  bot.command({ names: ['修改资料', 'edit team', '班组资料', '修改班组资料', 'edit team details', 'edit profile'], ...byCode, run: sendProfileForm });
  bot.command({ names: ['班组成员', 'team members', '添加成员', 'add members', 'add member', '成员名单', 'members'], ...byCode, run: sendMembers });
  // the leader who handed the team over, on a card they still hold, is told who leads it now (teamNowLedBy)
  bot.cardAction({ action: 'team.editForm', roles: teamKeeper, value: onTeam, run: openProfileForm, privateInGroup: '班组资料', refusalFor: teamNowLedBy });
  bot.cardAction({ action: 'team.editSave', label: '保存班组资料', roles: teamKeeper, value: onTeam, run: saveProfile, onRefused: profileFormAgain, fast: saveProfileFast, refusalFor: teamNowLedBy });
  bot.cardAction({ action: 'team.members', roles: teamKeeper, value: onTeam, run: showMembers, privateInGroup: '班组成员', refusalFor: teamNowLedBy });
  bot.cardAction({ action: 'team.memberAdd', label: '添加班组成员', roles: teamKeeper, value: onTeam, run: addTeamMembers, onRefused: membersAgain, fast: addTeamMembersFast, refusalFor: teamNowLedBy });
  bot.cardAction({ action: 'team.memberRemove', label: '移除班组成员', roles: teamKeeper, value: onTeam, run: removeTeamMember, onRefused: removedAgain, fast: removeTeamMemberFast, refusalFor: teamNowLedBy });
  // 更换班组长 GDSZ-2025-0001: an administrator names the team by its code; a leader may, or not
  // 更换班组长GDSZ-2025-0001 glued as Chinese is typed; glued to anything else (更换班组长需要什么手续) it is a question
  bot.command({ names: ['更换班组长', 'change leader', '换班组长', 'change team leader'], takesArgument: true, argument: 'keyword', glued: true, run: sendLeaderEntry });
  bot.cardAction({ action: 'team.leaderStart', roles: ['leader', 'admin'], value: noValue, run: showLeaderEntry, privateInGroup: '更换班组长' });
  // 更换班组长: the leader (or an administrator) hands the team to one of its members; `from` names the leader the card was drawn for
  bot.cardAction({ action: 'team.leaderForm', roles: teamKeeper, value: onTeam, run: openLeaderForm, privateInGroup: '更换班组长', refusalFor: teamNowLedBy });
  bot.cardAction({ action: 'team.leaderChange', label: '更换班组长', roles: [...teamKeeper, formerLeaderOfTeam(changeLeader)], value: values({ teamId: id, from: z.string().min(1).max(200) }), run: changeTeamLeader, onRefused: leaderFormAgain });
  // 变更记录 GDSZ-2025-0001 (第十七条): who changed a team's record, its applications, titles and complaints, and when
  bot.command({ names: ['变更记录', 'history', '操作记录', '修改记录', 'change history'], takesArgument: true, argument: 'keyword', glued: true, roles: ['admin'], run: sendTeamHistory });
  bot.menuEntry({ action: 'team.registerForm', label: '注册班组', roles: [], order: 10, command: ['注册', 'register'] });
  bot.menuEntry({ action: 'team.status', label: '我的班组', roles: [], order: 20, command: ['进度', 'status'] });
  bot.menuEntry({ action: 'team.leaderStart', label: '更换班组长', roles: ['leader'], order: 25, command: ['更换班组长', 'change leader'] });
}
