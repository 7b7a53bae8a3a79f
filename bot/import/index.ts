import type { BotRegistry } from '../../src/handlers.js';
import { id, noValue, values } from '../respond.js';
import { confirmImport, confirmImportFast, importFile, pageImport, sendTemplate, sendTemplateFast, showImportGuide, showImportGuideCommand } from './importWorkbook.js';

const admin = ['admin'] as const;
const onImport = values({ importId: id });

/** 导入 (admins): teams, experts and past honours from a workbook, previewed before it is applied. */
export function register(bot: BotRegistry): void {
  bot.command({ names: ['导入', 'import'], roles: admin, run: showImportGuideCommand });
  bot.cardAction({ action: 'import.guide', roles: admin, value: noValue, run: showImportGuide });
  bot.cardAction({ action: 'import.template', roles: admin, value: noValue, run: sendTemplate, fast: sendTemplateFast });
  bot.cardAction({ action: 'import.page', roles: admin, value: onImport, run: pageImport });
  bot.cardAction({ action: 'import.apply', roles: admin, value: onImport, run: confirmImport, fast: confirmImportFast });
  bot.file = importFile(bot.file);
}
