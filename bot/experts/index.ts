import type { BotRegistry } from '../../src/handlers.js';
import { noValue } from '../respond.js';
import { addConflict, conflictFormAgain, showConflictForm } from './conflicts.js';
import { addToPool, poolFormAgain, showPool, toggleExpert } from './pool.js';

const admin = ['admin'] as const;

/** 专家库 (第十一条) for administrators; conflicts of interest (第十七条) for experts. */
export function register(bot: BotRegistry): void {
  bot.cardAction({ action: 'experts.list', roles: admin, value: noValue, run: showPool });
  bot.cardAction({ action: 'experts.add', roles: admin, value: noValue, run: addToPool, onRefused: poolFormAgain });
  bot.cardAction({ action: 'experts.deactivate', roles: admin, value: noValue, run: toggleExpert(false) });
  bot.cardAction({ action: 'experts.activate', roles: admin, value: noValue, run: toggleExpert(true) });
  // the form lists only the caller's own declarations; declaring is for experts
  bot.cardAction({ action: 'experts.conflictForm', roles: ['public'], value: noValue, run: showConflictForm });
  bot.cardAction({ action: 'experts.conflictAdd', roles: ['expert'], value: noValue, run: addConflict, onRefused: conflictFormAgain });
}
