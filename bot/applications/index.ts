import type { BotRegistry } from '../../src/handlers.js';
import { openApplication, saveApplicationDraft, sendApplyEntry, startApplication, submitApplicationForm } from './apply.js';
import { listEndorsements, openEndorsement, recommendApplication, returnApplication } from './endorse.js';
import { acceptApplication, listFormalChecks, returnToTeam } from './formalCheck.js';

export function register(bot: BotRegistry): void {
  bot.command({ names: ['申报', 'apply'], run: sendApplyEntry });
  bot.cardAction({ action: 'application.start', run: startApplication });
  bot.cardAction({ action: 'application.open', run: openApplication });
  bot.cardAction({ action: 'application.save', run: saveApplicationDraft });
  bot.cardAction({ action: 'application.submit', run: submitApplicationForm });
  bot.cardAction({ action: 'endorse.list', run: listEndorsements });
  bot.cardAction({ action: 'endorse.open', run: openEndorsement });
  bot.cardAction({ action: 'endorse.recommend', run: recommendApplication });
  bot.cardAction({ action: 'endorse.return', run: returnApplication });
  bot.cardAction({ action: 'check.list', run: listFormalChecks });
  bot.cardAction({ action: 'check.accept', run: acceptApplication });
  bot.cardAction({ action: 'check.return', run: returnToTeam });
  bot.menuEntry({ action: 'application.start', label: '年度申报', roles: ['leader'], order: 15 });
  bot.menuEntry({ action: 'endorse.list', label: '待确认申报', roles: ['org_contact'], order: 30 });
  bot.menuEntry({ action: 'check.list', label: '形式审查', roles: ['admin'], order: 70 });
}
