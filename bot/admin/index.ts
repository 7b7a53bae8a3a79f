import type { BotRegistry } from '../../src/handlers.js';
import { commandWithUserErrors, withUserErrors } from '../respond.js';
import { retryBulkJobAction, showBulkJob } from './bulkJob.js';
import { adminCardAgain, closeApplicationsNow } from './closeApplications.js';
import { saveSettings, settingsFormAgain, showSettingsForm } from './cycleSettings.js';
import { cycleFormAgain, showCycleForm, submitCycleForm } from './openCycle.js';
import { sheetFormAgain, showSheetForm, submitSheet } from './scoreSheet.js';
import { refreshAdmin, showAdmin } from './showAdmin.js';

/** 协会管理: the annual cycle (第十九条) and its settings, for association administrators (第十四条). */
export function register(bot: BotRegistry): void {
  bot.command({ names: ['管理', 'admin'], run: commandWithUserErrors(showAdmin) });
  bot.menuEntry({ action: 'admin.menu', label: '协会管理', roles: ['admin'], order: 80 });
  bot.cardAction({ action: 'admin.menu', run: withUserErrors(refreshAdmin) });
  bot.cardAction({ action: 'cycle.form', run: withUserErrors(showCycleForm, adminCardAgain) });
  bot.cardAction({ action: 'cycle.open', run: withUserErrors(submitCycleForm, cycleFormAgain) });
  bot.cardAction({ action: 'cycle.settings', run: withUserErrors(showSettingsForm, adminCardAgain) });
  bot.cardAction({ action: 'cycle.settingsSave', run: withUserErrors(saveSettings, settingsFormAgain) });
  bot.cardAction({ action: 'cycle.sheetForm', run: withUserErrors(showSheetForm, adminCardAgain) });
  bot.cardAction({ action: 'cycle.sheetLoad', run: withUserErrors(submitSheet, sheetFormAgain) });
  bot.cardAction({ action: 'cycle.closeApplications', run: withUserErrors(closeApplicationsNow, adminCardAgain) });
  bot.cardAction({ action: 'bulk.show', run: withUserErrors(showBulkJob, adminCardAgain) });
  bot.cardAction({ action: 'bulk.retry', run: withUserErrors(retryBulkJobAction, adminCardAgain) });
}
