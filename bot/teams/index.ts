import type { BotRegistry } from '../../src/handlers.js';
import { addTeamMembers, openProfileForm, removeTeamMember, saveProfile, showMembers } from './profile.js';
import { openRegistrationForm, sendRegistrationForm, submitRegistration } from './register.js';
import { sendStatus, showStatus } from './status.js';

export function register(bot: BotRegistry): void {
  bot.command({ names: ['注册', 'register'], run: sendRegistrationForm });
  bot.command({ names: ['进度', 'status'], run: sendStatus });
  bot.cardAction({ action: 'team.registerForm', run: openRegistrationForm });
  bot.cardAction({ action: 'team.register', run: submitRegistration });
  bot.cardAction({ action: 'team.status', run: showStatus });
  bot.cardAction({ action: 'team.editForm', run: openProfileForm });
  bot.cardAction({ action: 'team.editSave', run: saveProfile });
  bot.cardAction({ action: 'team.members', run: showMembers });
  bot.cardAction({ action: 'team.memberAdd', run: addTeamMembers });
  bot.cardAction({ action: 'team.memberRemove', run: removeTeamMember });
  bot.menuEntry({ action: 'team.registerForm', label: '注册班组', roles: [], order: 10 });
  bot.menuEntry({ action: 'team.status', label: '我的班组', roles: [], order: 20 });
}
