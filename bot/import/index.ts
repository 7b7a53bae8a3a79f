import type { BotRegistry } from '../../src/handlers.js';
import { id, noValue, values } from '../respond.js';
import { confirmImport, confirmImportFast, feishuSheetLinkOr, importFile, pageImport, sendRegister, sendRegisterCommand, sendRegisterTyped, sendTemplate, sendTemplateFast, showImportGuide, showImportGuideCommand, showImportGuideTyped } from './importWorkbook.js';

const admin = ['admin'] as const;
const onImport = values({ importId: id });

/** The labels of 导入's buttons and card, and how an administrator asks for it (下载导入模板, 批量导入, 怎么导入). */
const IMPORT_TYPED = ['下载导入模板', '导入模板', '下载导入模版', '导入模版', '下载模板', '下载模版', '批量导入', '怎么导入', '如何导入', '导入班组、专家和荣誉', 'import template', 'download import template', 'download template'];
/** What 导入 may name as what is imported (导入班组名单, 导入 专家, import teams): the guide all the same. */
const IMPORT_OBJECTS =
  /^(?:(?:班组|专家|荣誉|单位)(?:[、，,和及与]?(?:班组|专家|荣誉|单位))*)?(?:的)?(?:名单|数据|信息|资料|工作簿|表格?|excel|文件)?$|^(?:the\s+)?(?:template|teams?|experts?|honou?rs?|workbook|list|data)$/;

/** What 导出 may name as what is exported (导出当前名册, 导出 名单, export the register): the register all the same. */
const EXPORT_OBJECTS = /^(?:当前)?(?:的)?(?:名册|名单|数据|班组(?:名单|名册)?|工作簿|excel)?$|^(?:the\s+)?(?:current\s+)?(?:register|list|data|workbook)?$/;

/**
 * 导出 with the register's sheets named (导出专家名单, 导出班组和专家, 导出所有班组, 导出全部数据, export experts): the register
 * all the same, which holds them; 荣誉 alone is not (the titles awarded here are the results workbook's, not the
 * register's). For anyone else no command: what the text says otherwise, as before.
 */
const EXPORT_SHEETS =
  /^(?:所有|全部|当前)?(?:的)?(?:(?:班组|专家|单位)(?:[、，,和及与]?(?:班组|专家|荣誉|单位))*(?:的)?(?:名单|名册|数据|信息|资料|工作簿|表格?|excel|文件)?|(?:名单|名册|数据|信息|资料))$|^(?:all\s+)?(?:the\s+)?(?:teams?|experts?|organi[sz]ations?|data)$/;

/** 导入 (admins): teams, experts and past honours from a workbook, previewed before it is applied. */
export function register(bot: BotRegistry): void {
  bot.command({ names: ['导入', 'import'], roles: admin, run: showImportGuideCommand });
  // a label of 导入's card or a request for it typed by an administrator: that card, where the template button is; a typed
  // word never sends the template. For anyone else what it was before: a question for the measures
  bot.command({ names: [...IMPORT_TYPED, '导入', 'import'], objects: IMPORT_OBJECTS, roles: admin, run: showImportGuideTyped });
  bot.cardAction({ action: 'import.guide', roles: admin, value: noValue, run: showImportGuide });
  bot.cardAction({ action: 'import.template', roles: admin, value: noValue, run: sendTemplate, fast: sendTemplateFast });
  // 导出当前名册: the register in the template's form, to edit and send back (a double tap sends one file)
  bot.command({ names: ['导出名册', '名册导出', 'export register'], objects: EXPORT_OBJECTS, roles: admin, run: sendRegisterCommand });
  bot.command({ names: ['导出', 'export'], objects: EXPORT_OBJECTS, roles: admin, run: sendRegisterCommand });
  bot.command({ names: ['导出', 'export'], objects: EXPORT_SHEETS, roles: admin, run: sendRegisterTyped });
  bot.cardAction({ action: 'import.export', roles: admin, value: noValue, run: sendRegister });
  bot.cardAction({ action: 'import.page', roles: admin, value: onImport, run: pageImport });
  bot.cardAction({ action: 'import.apply', label: '确认导入', roles: admin, value: onImport, run: confirmImport, fast: confirmImportFast });
  bot.file = importFile(bot.file);
  // a link to the sheet on Feishu, sent for the file: how to download it as the workbook
  bot.fallback = feishuSheetLinkOr(bot.fallback);
}
