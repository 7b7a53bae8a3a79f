import type { BotRegistry } from '../../src/handlers.js';
import { withUserErrors } from '../respond.js';
import { addConflict, conflictFormAgain, showConflictForm } from './conflicts.js';
import { addToPool, poolFormAgain, showPool, toggleExpert } from './pool.js';

/** 专家库 (第十一条) for administrators; conflicts of interest (第十七条) for experts. */
export function register(bot: BotRegistry): void {
  bot.cardAction({ action: 'experts.list', run: withUserErrors(showPool) });
  bot.cardAction({ action: 'experts.add', run: withUserErrors(addToPool, poolFormAgain) });
  bot.cardAction({ action: 'experts.deactivate', run: withUserErrors(toggleExpert(false)) });
  bot.cardAction({ action: 'experts.activate', run: withUserErrors(toggleExpert(true)) });
  bot.cardAction({ action: 'experts.conflictForm', run: withUserErrors(showConflictForm) });
  bot.cardAction({ action: 'experts.conflictAdd', run: withUserErrors(addConflict, conflictFormAgain) });
}
