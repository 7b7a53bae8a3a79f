import { certificateCheckCard, certificateCheckFormCard, teamTitlesCard } from '../../cards/certificates.js';
import { CERTIFICATES_CHECKED_AT_ONCE, certificateNumberProblem, certificateNumbersIn, checkCertificate, mayNameTeam, teamAskedAbout, teamQueryProblem, titlesOfTeams } from '../../src/certificates/check.js';
import type { CardActionInput, CardResponse, CommandDef, HandlerContext, IncomingText } from '../../src/handlers.js';
import { questionLanguage } from '../../src/measures/index.js';
import { raw, replyDestination } from '../respond.js';

/** The certificate a number names, checked: its team, year and title and whether it stands, or that none was issued. Public facts only, so the answer may go to a group. */
/** The answer's language: the command typed in Chinese (查询证书 GDSZ-…) is answered in Chinese, whatever follows it. */
const languageOf = (msg: IncomingText) => (/^\s*(?:查询证书|证书查询|核实证书|验证证书|证书真伪)/.test(msg.text) ? 'zh' : questionLanguage(msg.text));

/**
 * Each certificate a message names (two numbers in one message, each checked), one card apiece, up to
 * CERTIFICATES_CHECKED_AT_ONCE; the numbers after them are named, with how to check them.
 */
async function sendCertificateChecks(ctx: HandlerContext, msg: IncomingText, numbers: string[]): Promise<void> {
  const to = replyDestination(ctx, msg);
  const checked = numbers.slice(0, CERTIFICATES_CHECKED_AT_ONCE);
  for (const [i, number] of checked.entries()) {
    const found = await checkCertificate(ctx.tx, number, ctx.config.BOT_TIMEZONE);
    const card = certificateCheckCard({ number, found, language: languageOf(msg) });
    await ctx.send({ dedupeKey: `certificate:check:${ctx.eventId}${i ? `:${i}` : ''}`, to, card });
  }
  const rest = numbers.slice(CERTIFICATES_CHECKED_AT_ONCE);
  if (rest.length) {
    const text = `这条消息中有 ${numbers.length} 个证书编号，一次最多查询 ${CERTIFICATES_CHECKED_AT_ONCE} 个，已查询前 ${CERTIFICATES_CHECKED_AT_ONCE} 个。其余 ${rest.join('、')} 请再发送“查询证书 证书编号”查询。`;
    await ctx.send({ dedupeKey: `certificate:check:${ctx.eventId}:rest`, to, text });
  }
}

async function sendTeamTitles(ctx: HandlerContext, msg: IncomingText, asked: string): Promise<void> {
  const teams = await titlesOfTeams(ctx.tx, asked, ctx.config.BOT_TIMEZONE);
  const card = teamTitlesCard({ asked, teams, language: languageOf(msg) });
  await ctx.send({ dedupeKey: `certificate:team:${ctx.eventId}`, to: replyDestination(ctx, msg), card });
}

/** The English words that come between verify certificate and the team it names (for, of the team): no part of its name. */
const NAMED_AFTER = /^\s*(?:for|of|from|about)\s+(?:the\s+)?(?:team\s+)?/i;

/**
 * `查询证书 GDSZ-ZS-2026-0007` / `verify certificate …`: that certificate; `查询证书 养护一班`: that team's titles; alone or
 * with a question after it, the form to fill (the menu's 查询证书). Glued (查询证书GDSZ-ZS-2026-0007) it reads the same,
 * and declines anything else for the measures.
 */
export async function certificateCommand(ctx: HandlerContext, msg: IncomingText, typed: string, how?: { glued: boolean }): Promise<void | false> {
  // verify certificate for 养护一班, check certificate of the team GDSZ-2025-0003: the team is what follows the word
  const argument = typed.replace(NAMED_AFTER, '');
  const numbers = certificateNumbersIn(argument);
  if (numbers.length) return sendCertificateChecks(ctx, msg, numbers);
  if (how?.glued) return false;
  // GDSZ-ZS-2026 with its serial left out, or GDSZ-ZS-2026-O001: a number cut short or mistyped, not a team's name
  const problem = certificateNumberProblem(argument);
  if (problem) {
    await ctx.send({ dedupeKey: `certificate:check:${ctx.eventId}`, to: replyDestination(ctx, msg), card: certificateCheckFormCard({ value: argument.trim(), error: problem }) });
    return;
  }
  // longer than any team's name: said so (the form's field takes no more, so what was typed is not put back in it)
  const tooLong = teamQueryProblem(argument);
  if (tooLong) {
    await ctx.send({ dedupeKey: `certificate:check:${ctx.eventId}`, to: replyDestination(ctx, msg), card: certificateCheckFormCard({ error: tooLong }) });
    return;
  }
  if (!mayNameTeam(argument)) {
    await ctx.send({ dedupeKey: `certificate:check:${ctx.eventId}`, to: replyDestination(ctx, msg), card: certificateCheckFormCard() });
    return;
  }
  await sendTeamTitles(ctx, msg, argument.trim());
}

/**
 * Free text naming a certificate's number (GDSZ-ZS-2026-0007 alone, 这张证书是真的吗 GDSZ-ZS-2026-0007, Is certificate …
 * genuine?) checks that certificate; a question whether a team is a 质量信得过班组 (养护一班是质量信得过班组吗, is
 * GDSZ-2025-0003 a trusted team?) answers its titles. Read before the measures, which have no such facts: anything else goes on.
 */
export function certificateCheckOr(next: CommandDef['run']): CommandDef['run'] {
  return async (ctx, msg, argument, how) => {
    const numbers = certificateNumbersIn(msg.text);
    if (numbers.length) return sendCertificateChecks(ctx, msg, numbers);
    const team = teamAskedAbout(msg.text);
    if (team) return sendTeamTitles(ctx, msg, team);
    return next(ctx, msg, argument, how);
  };
}

/**
 * `certificate.check` (the 帮助 menu's 查询证书): pressed, the form in place of the menu; submitted, the answer in place
 * of the form, as the command answers it (what was typed is no number and no name: the form again, saying what to fill).
 */
export async function checkFromCard(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const typed = input.formValue.query;
  if (typed === undefined) return raw(certificateCheckFormCard());
  const text = typeof typed === 'string' ? typed.trim() : '';
  // one answer replaces the form: the first number is checked, the others named with how to check them
  const [number, ...unchecked] = certificateNumbersIn(text);
  const timezone = ctx.config.BOT_TIMEZONE;
  if (number) return raw(certificateCheckCard({ number, found: await checkCertificate(ctx.tx, number, timezone), unchecked }));
  const problem = certificateNumberProblem(text);
  if (problem) return raw(certificateCheckFormCard({ value: text, error: problem }));
  const tooLong = teamQueryProblem(text);
  if (tooLong) return raw(certificateCheckFormCard({ error: tooLong }));
  if (!mayNameTeam(text)) return raw(certificateCheckFormCard({ value: text, error: '请填写荣誉证书编号（形如 GDSZ-ZS-2026-0001），或班组全称、班组编号（形如 GDSZ-2026-0001）。' }));
  return raw(teamTitlesCard({ asked: text, teams: await titlesOfTeams(ctx.tx, text, timezone) }));
}
