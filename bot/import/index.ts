import type { BotRegistry } from '../../src/handlers.js';
import { commandWithUserErrors, withUserErrors } from '../respond.js';
import { confirmImport, importFile, pageImport, sendTemplate, showImportGuide, showImportGuideCommand } from './importWorkbook.js';

/** 导入 (admins): teams, experts and past honours from a workbook, previewed before it is applied. */
export function register(bot: BotRegistry): void {
  bot.command({ names: ['导入', 'import'], run: commandWithUserErrors(showImportGuideCommand) });
  bot.cardAction({ action: 'import.guide', run: withUserErrors(showImportGuide) });
  bot.cardAction({ action: 'import.template', run: withUserErrors(sendTemplate) });
  bot.cardAction({ action: 'import.page', run: withUserErrors(pageImport) });
  bot.cardAction({ action: 'import.apply', run: withUserErrors(confirmImport) });
  bot.file = importFile(bot.file);
}

