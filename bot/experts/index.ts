import type { BotRegistry } from '../../src/handlers.js';
import { noValue } from '../respond.js';
import { addToPool, addToPoolFast, editExpert, poolFormAgain, showPool, toggleExpert, toggleExpertFast, togglePoolAgain } from './pool.js';

const admin = ['admin'] as const;

/** 专家库 (第十一条) for administrators; an expert's conflicts of interest are declared in bot/review (they re-assign tasks). */
export function register(bot: BotRegistry): void {
  bot.cardAction({ action: 'experts.list', roles: admin, value: noValue, run: showPool, privateInGroup: '专家库' });
  bot.cardAction({ action: 'experts.edit', label: '修改专家', roles: admin, value: noValue, run: editExpert, onRefused: togglePoolAgain, privateInGroup: '专家库' });
  bot.cardAction({ action: 'experts.add', label: '添加专家', roles: admin, value: noValue, run: addToPool, onRefused: poolFormAgain, fast: addToPoolFast });
  bot.cardAction({ action: 'experts.deactivate', label: '停用专家', roles: admin, value: noValue, run: toggleExpert(false), onRefused: togglePoolAgain, fast: toggleExpertFast(false) });
  bot.cardAction({ action: 'experts.activate', label: '启用专家', roles: admin, value: noValue, run: toggleExpert(true), onRefused: togglePoolAgain, fast: toggleExpertFast(true) });
}
