import type { BotRegistry } from '../../src/handlers.js';
import { dismissComplaint, keepHonour, listComplaints, openComplaint, openRevocation, revokeHonour, upholdComplaint } from './decide.js';
import { sendComplaintForm, startComplaint, submitComplaint } from './intake.js';

/** Complaints (第二十一条) and revocation of a title (第二十二条). */
export function register(bot: BotRegistry): void {
  bot.command({ names: ['投诉', 'complain', 'complaint'], takesArgument: true, run: sendComplaintForm });
  bot.cardAction({ action: 'complaint.start', run: startComplaint });
  bot.cardAction({ action: 'complaint.submit', run: submitComplaint });
  bot.cardAction({ action: 'complaint.uphold', run: upholdComplaint });
  bot.cardAction({ action: 'complaint.dismiss', run: dismissComplaint });
  bot.cardAction({ action: 'complaint.list', run: listComplaints });
  bot.cardAction({ action: 'complaint.open', run: openComplaint });
  bot.cardAction({ action: 'revocation.revoke', run: revokeHonour });
  bot.cardAction({ action: 'revocation.keep', run: keepHonour });
  bot.cardAction({ action: 'revocation.open', run: openRevocation });
  bot.menuEntry({ action: 'complaint.start', label: '质量投诉', roles: [], order: 85 });
  bot.menuEntry({ action: 'complaint.list', label: '投诉处理', roles: ['admin'], order: 75 });
}
