import { type BotRegistry, type CommandRun } from '../../src/handlers.js';
import { hasRole } from '../../src/people.js';
import { id, noValue, tellOwnResults, values } from '../respond.js';
import { addAdministratorsAction, administratorsAgain, removeAdministratorAction, showAdministrators } from './administrators.js';
import { retryBulkJobAction, retryBulkJobFast, showBulkJob } from './bulkJob.js';
import { contactFormAgain, saveContact, showContactForm } from './contact.js';
import { adminCardAgain, closeApplicationsFast, closeApplicationsNow } from './closeApplications.js';
import { saveSettings, saveSettingsFast, settingsFormAgain, showSettingsForm } from './cycleSettings.js';
import { cycleFormAgain, showCycleForm, submitCycleForm, submitCycleFormFast } from './openCycle.js';
import { onPersonLeft } from './peopleWhoLeft.js';
import { sheetFormAgain, showSheetForm, submitSheet, submitSheetFast } from './scoreSheet.js';
import { refreshAdmin, showAdmin } from './showAdmin.js';

const admin = ['admin'] as const;

/** The labels of the association's buttons, as an administrator types them (分配专家, 评审进度, 公布结果). */
const ADMIN_BUTTONS_TYPED = [
  '管理菜单', '开启年度评审', '开启评审', '年度评审', '评审设置', '修改设置', '载入评分表', '截止申报', '专家库', '分配专家',
  '评审进度', '汇总进度', '结束评分并汇总', '下载结果工作簿', '结果工作簿', '公布结果', '管理员', '添加管理员', '移除管理员',
  // 下载结果工作簿 as said for short
  '下载工作簿',
] as const;

/**
 * The same buttons named in English, as an English-speaking administrator types them (assign experts, publish results,
 * close applications; formal check, the 形式审查 button beside them): that card too. From anyone else these are questions
 * for the measures, as before (publish results: 第二十条), not 管理's refusal.
 */
const ADMIN_BUTTONS_TYPED_EN = [
  'open review', 'open the review', 'open annual review', 'open the annual review', 'open the year', 'review settings', 'edit settings',
  'settings', 'load score sheet', 'close applications', 'expert pool', 'experts', 'assign experts', 'review progress',
  'scoring progress', 'end scoring', 'results workbook', 'download results workbook', 'download workbook', 'publish results',
  'administrators', 'add administrator', 'add administrators', 'remove administrator', 'formal check', 'formal checks',
] as const;
const onCycle = values({ cycleId: id });

/**
 * 评分表 (the year's sheet, 载入评分表 on the card) typed by an administrator: that card; false for anyone else (an
 * expert's is the next sheet, bot/index.ts; anyone else's a question for the measures, 第十八条 names the sheet).
 */
export const scoreSheetTypedByAdmin: CommandRun = async (ctx, msg) => (hasRole(ctx.actor, 'admin') ? showAdmin(ctx, msg) : false);

/** 协会管理: the annual cycle (第十九条) and its settings, for association administrators (第十四条). */
export function register(bot: BotRegistry): void {
  // 员工离职: someone who left is told of to the administrators (and their teams' leaders) before anything is sent to them
  bot.event({ eventType: 'contact.user.deleted_v3', run: onPersonLeft });
  bot.command({ names: ['管理', 'admin', 'admin menu', 'administration'], run: showAdmin });
  // a button of the 协会管理 card (or of a card it opens) typed by an administrator: that card, where the button is; a
  // typed word never does what the button does. For anyone else these are questions for the measures.
  bot.command({ names: [...ADMIN_BUTTONS_TYPED], roles: admin, run: showAdmin });
  bot.command({ names: [...ADMIN_BUTTONS_TYPED_EN], roles: admin, run: async (ctx, msg) => (hasRole(ctx.actor, 'admin') ? showAdmin(ctx, msg) : false) });
  // 评审结果 (results) alone, one of 管理's buttons: the card for an administrator (`past results` is 历年评审结果, results 2026
  // that year's card: bot/results); someone of a team is told where their own result is (进度); anyone else (a visitor,
  // an expert of no team) asks the measures when results come
  bot.command({ names: ['评审结果', 'results'], roles: admin, run: async (ctx, msg) => (hasRole(ctx.actor, 'admin') ? showAdmin(ctx, msg) : tellOwnResults(ctx, msg)) });
  bot.menuEntry({ action: 'admin.menu', label: '协会管理', roles: ['admin'], order: 80, command: ['管理', 'admin'] });
  bot.cardAction({ action: 'admin.menu', roles: admin, value: noValue, run: refreshAdmin, privateInGroup: '协会管理卡片' });
  bot.cardAction({ action: 'cycle.form', roles: admin, value: noValue, run: showCycleForm, onRefused: adminCardAgain });
  bot.cardAction({ action: 'cycle.open', label: '开启评审', roles: admin, value: noValue, run: submitCycleForm, fast: submitCycleFormFast, onRefused: cycleFormAgain });
  bot.cardAction({ action: 'cycle.settings', roles: admin, value: onCycle, run: showSettingsForm, onRefused: adminCardAgain });
  bot.cardAction({ action: 'cycle.settingsSave', label: '保存设置', roles: admin, value: onCycle, run: saveSettings, onRefused: settingsFormAgain, fast: saveSettingsFast });
  bot.cardAction({ action: 'cycle.sheetForm', roles: admin, value: onCycle, run: showSheetForm, onRefused: adminCardAgain });
  bot.cardAction({ action: 'cycle.sheetLoad', label: '载入评分表', roles: admin, value: onCycle, run: submitSheet, onRefused: sheetFormAgain, fast: submitSheetFast });
  bot.cardAction({ action: 'cycle.closeApplications', label: '截止申报', roles: admin, value: onCycle, run: closeApplicationsNow, fast: closeApplicationsFast, onRefused: adminCardAgain });
  // 管理员 (第十四条): who runs the review, beside ADMIN_OPEN_IDS
  bot.cardAction({ action: 'admins.list', roles: admin, value: noValue, run: showAdministrators, privateInGroup: '管理员名单' });
  bot.cardAction({ action: 'admins.add', label: '添加管理员', roles: admin, value: noValue, run: addAdministratorsAction, onRefused: administratorsAgain });
  bot.cardAction({ action: 'admins.remove', label: '移除管理员', roles: admin, value: noValue, run: removeAdministratorAction, onRefused: administratorsAgain });
  // 协会联系方式: said once here, appended wherever a text says 请联系协会
  bot.cardAction({ action: 'association.contactForm', roles: admin, value: noValue, run: showContactForm, onRefused: adminCardAgain });
  bot.cardAction({ action: 'association.contactSave', label: '保存联系方式', roles: admin, value: noValue, run: saveContact, onRefused: contactFormAgain });
  bot.cardAction({ action: 'bulk.show', roles: admin, value: values({ jobId: id }), run: showBulkJob, onRefused: adminCardAgain });
  bot.cardAction({ action: 'bulk.retry', label: '重试', roles: admin, value: values({ jobId: id }), run: retryBulkJobAction, onRefused: adminCardAgain, fast: retryBulkJobFast });
}
