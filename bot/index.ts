import { BotRegistry, type CommandRun } from '../src/handlers.js';
import { register as registerAdmin, scoreSheetTypedByAdmin } from './admin/index.js';
import { register as registerApplications } from './applications/index.js';
import { register as registerCertificates } from './certificates/index.js';
import { register as registerComplaints } from './complaints/index.js';
import { register as registerExperts } from './experts/index.js';
import { register as registerGroups } from './groups/index.js';
import { register as registerHelp } from './help/index.js';
import { register as registerImport } from './import/index.js';
import { register as registerMeasures } from './measures/index.js';
import { register as registerResults } from './results/index.js';
import { register as registerReview, scoreSheetTypedByExpert, sendSheetToAdminExpert } from './review/index.js';
import { register as registerTeams } from './teams/index.js';

/** Every feature registers its commands, card actions and menu entries here. */
export function createBot(): BotRegistry {
  const bot = new BotRegistry();
  registerHelp(bot);
  registerAdmin(bot);
  registerMeasures(bot);
  registerCertificates(bot);
  registerTeams(bot);
  registerApplications(bot);
  registerGroups(bot);
  registerComplaints(bot);
  registerExperts(bot);
  registerReview(bot);
  registerResults(bot);
  registerImport(bot);
  // 评分表 typed, a word of two features: an administrator's 协会管理 card (载入评分表), an expert's next sheet to score
  // (an administrator who is also an expert gets theirs while one is left); from anyone else a question for the
  // measures (第十八条 names the sheet), as before
  bot.command({ names: ['评分表', 'score sheet'], roles: ['admin', 'expert'], run: firstAnswer(sendSheetToAdminExpert, scoreSheetTypedByAdmin, scoreSheetTypedByExpert) });
  return bot;
}

/** The first of `runs` that answers (does not return false); false when none does. */
function firstAnswer(...runs: CommandRun[]): CommandRun {
  return async (ctx, msg, argument, how) => {
    for (const run of runs) if ((await run(ctx, msg, argument, how)) !== false) return;
    return false;
  };
}
