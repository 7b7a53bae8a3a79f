import { type BotRegistry, leaderOfTeam } from '../../src/handlers.js';
import { teamLedBy } from '../../src/teams.js';
import { id, noValue, values } from '../respond.js';
import { addTeamMembers, addTeamMembersFast, membersAgain, openProfileForm, profileFormAgain, removedAgain, removeTeamMember, removeTeamMemberFast, saveProfile, saveProfileFast, showMembers } from './profile.js';
import { openRegistrationForm, registrationFormAgain, sendRegistrationForm, submitRegistration, submitRegistrationFast } from './register.js';
import { sendStatus, showStatus } from './status.js';

// an administrator may correct any team's record; a leader only their own
const teamKeeper = ['admin', leaderOfTeam(teamLedBy)] as const;
const onTeam = values({ teamId: id });

export function register(bot: BotRegistry): void {
  // register my team and 注册新班组 are 注册, as 注册班组 (its button) is; status of my team and my team (我的班组) are 进度,
  // and so is 我的单位: a contact's are the teams they confirm for, with their applications
  bot.command({ names: ['注册', 'register'], objects: /^(?:(?:my|our|the|a|an|this)\s+)?(?:new\s+)?team$|^(?:我的|我们的?|本|一个|新的?)?班组$/, run: sendRegistrationForm });
  bot.command({ names: ['进度', 'status', 'my team', '我的单位'], objects: /^(?:(?:of|for)\s+)?(?:(?:my|our|the)\s+)?team$/, run: sendStatus });
  bot.cardAction({ action: 'team.registerForm', roles: ['public'], value: noValue, run: openRegistrationForm });
  bot.cardAction({ action: 'team.register', roles: ['public'], value: noValue, run: submitRegistration, onRefused: registrationFormAgain, fast: submitRegistrationFast });
  bot.cardAction({ action: 'team.status', roles: ['public'], value: noValue, run: showStatus });
  bot.cardAction({ action: 'team.editForm', roles: teamKeeper, value: onTeam, run: openProfileForm });
  bot.cardAction({ action: 'team.editSave', roles: teamKeeper, value: onTeam, run: saveProfile, onRefused: profileFormAgain, fast: saveProfileFast });
  bot.cardAction({ action: 'team.members', roles: teamKeeper, value: onTeam, run: showMembers });
  bot.cardAction({ action: 'team.memberAdd', roles: teamKeeper, value: onTeam, run: addTeamMembers, onRefused: membersAgain, fast: addTeamMembersFast });
  bot.cardAction({ action: 'team.memberRemove', roles: teamKeeper, value: onTeam, run: removeTeamMember, onRefused: removedAgain, fast: removeTeamMemberFast });
  bot.menuEntry({ action: 'team.registerForm', label: '注册班组', roles: [], order: 10, command: ['注册', 'register'] });
  bot.menuEntry({ action: 'team.status', label: '我的班组', roles: [], order: 20, command: ['进度', 'status'] });
}
