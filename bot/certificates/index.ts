import type { BotRegistry } from '../../src/handlers.js';
import { notUnderstood, noValue } from '../respond.js';
import { certificateCheckOr, certificateCommand, checkFromCard } from './check.js';

/** The public's check of a certificate or a team's title (第二十一条, 第二十二条). */
export function register(bot: BotRegistry): void {
  bot.command({
    names: ['查询证书', '证书查询', '核实证书', '验证证书', '证书真伪', 'verify certificate', 'check certificate', 'certificate check'],
    takesArgument: true,
    argument: 'asTyped',
    glued: true,
    run: certificateCommand,
  });
  // anyone may check (第二十一条): a read of public facts, changing nothing
  bot.cardAction({ action: 'certificate.check', roles: ['public'], value: noValue, run: checkFromCard });
  bot.menuEntry({ action: 'certificate.check', label: '查询证书', roles: [], order: 87, command: ['查询证书', 'verify certificate'] });
  // a certificate's number or “养护一班是质量信得过班组吗” typed as a question: before the measures' answer
  bot.fallback = certificateCheckOr(bot.fallback ?? notUnderstood);
}
