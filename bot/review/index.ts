import type { BotRegistry } from '../../src/handlers.js';
import { adminCardAgain } from '../admin/closeApplications.js';
import { commandWithUserErrors, withUserErrors } from '../respond.js';
import { assignExperts, panelAgain, progressAgain, reopenPanelScore, showPanel, showPanelByCode, showProgress, swapPanelExpert } from './panels.js';
import { declineFormAgain, declineTaskAction, listTasks, openNextTask, openTask, showDeclineForm, showTasks, submitTask, submitTaskAgain, submitTaskDuplicate, submitTaskFast } from './tasks.js';

/** 专家评审 (第十七条、第十八条): experts score inside cards; administrators assign and follow the panels. */
export function register(bot: BotRegistry): void {
  bot.command({ names: ['评分', 'review'], run: commandWithUserErrors(showTasks) });
  bot.menuEntry({ action: 'review.list', label: '评分任务', roles: ['expert'], order: 40 });
  bot.cardAction({ action: 'review.list', run: withUserErrors(listTasks) });
  bot.cardAction({ action: 'review.open', run: withUserErrors(openTask) });
  bot.cardAction({ action: 'review.next', run: withUserErrors(openNextTask) });
  bot.cardAction({ action: 'review.submit', run: withUserErrors(submitTask, submitTaskAgain), fast: submitTaskFast, duplicate: submitTaskDuplicate });
  bot.cardAction({ action: 'review.declineForm', run: withUserErrors(showDeclineForm) });
  bot.cardAction({ action: 'review.decline', run: withUserErrors(declineTaskAction, declineFormAgain) });
  bot.cardAction({ action: 'review.assign', run: withUserErrors(assignExperts, adminCardAgain) });
  bot.cardAction({ action: 'review.progress', run: withUserErrors(showProgress, adminCardAgain) });
  bot.cardAction({ action: 'review.panel', run: withUserErrors(showPanel) });
  bot.cardAction({ action: 'review.panelByCode', run: withUserErrors(showPanelByCode, progressAgain) });
  bot.cardAction({ action: 'review.swap', run: withUserErrors(swapPanelExpert, panelAgain) });
  bot.cardAction({ action: 'review.reopen', run: withUserErrors(reopenPanelScore, panelAgain) });
}
