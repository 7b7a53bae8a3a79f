import { BotRegistry } from '../src/handlers.js';
import { register as registerAdmin } from './admin/index.js';
import { register as registerApplications } from './applications/index.js';
import { register as registerCertificates } from './certificates/index.js';
import { register as registerComplaints } from './complaints/index.js';
import { register as registerExperts } from './experts/index.js';
import { register as registerGroups } from './groups/index.js';
import { register as registerHelp } from './help/index.js';
import { register as registerImport } from './import/index.js';
import { register as registerMeasures } from './measures/index.js';
import { register as registerResults } from './results/index.js';
import { register as registerReview } from './review/index.js';
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
  return bot;
}
