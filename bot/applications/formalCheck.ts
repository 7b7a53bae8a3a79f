import { formalCheckCard, formalCheckReasonField } from '../../cards/applications.js';
import { CARD_BYTES_BUDGET, cardBodyBytes } from '../../cards/kit.js';
import { awaitingFormalCheck, formalCheck, opinionOf, readReturnReason, recommenderOf, ResubmittedSince, summaryOf } from '../../src/applications.js';
import { getRunningCycle } from '../../src/cycles.js';
import { fastFormalCheck } from '../../src/fast/formalCheck.js';
import { formalCheckNotices } from '../../src/formalCheckNotices.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionDecl, CardActionInput, CardRun, HandlerContext, OnRefused } from '../../src/handlers.js';
import { idFrom, idOrZero, millisOrAbsent, raw } from '../respond.js';
import { seenSubmission } from './endorse.js';

/**
 * Applications on the list: six at their longest (titles of 100 escaped characters, 200 characters of opinion, a 500-character link)
 * stay under Feishu's 30 KB; eight came to 31.9 KB. Fewer are drawn when the page as sent would not fit (checkList).
 */
const PAGE = 6;

/**
 * The list as read: the running cycle's year, the applications waiting (the first page shown), each with who
 * recommended it. A refusal is shown as an error, or as a notice when a click came from an earlier submission's copy.
 */
export function checkList(year: number, rows: Awaited<ReturnType<typeof awaitingFormalCheck>>, error?: UserError) {
  const draw = (shown: number) =>
    formalCheckCard({
      year,
      total: rows.length,
      items: rows.slice(0, shown).map((r) => ({
        ...summaryOf(r.application, r.team, r.organization, year),
        opinion: opinionOf(r.application),
        recommendedBy: recommenderOf(r.application, r.recommenderName),
      })),
      error: error && !(error instanceof ResubmittedSince) ? { message: error.message, field: error.opts.field } : undefined,
      notice: error instanceof ResubmittedSince ? error.message : undefined,
    });
  // a link is sent percent-encoded, nine bytes for each Chinese character of its path: a page of such links is drawn
  // with fewer applications until it fits Feishu's 30 KB as the card is sent, escaped in the request body (the rest
  // are counted, and come up as these are decided)
  for (let shown = Math.min(PAGE, rows.length); ; shown--) {
    const card = draw(shown);
    if (shown <= 1 || cardBodyBytes(card) <= CARD_BYTES_BUDGET) return card;
  }
}

async function checkListCard(ctx: HandlerContext, error?: UserError) {
  // issued together: one round trip
  const [cycle, rows] = await Promise.all([getRunningCycle(ctx.tx), awaitingFormalCheck(ctx.tx)]);
  if (!cycle) throw new UserError('当前没有进行中的年度评审。', { kind: 'info' });
  return checkList(cycle.year, rows, error);
}

/** 去审查: the list (clicked in the bound admin group, it goes to the administrator privately: privateInGroup). */
export const listFormalChecks: CardRun = async (ctx) => raw(await checkListCard(ctx));

/** What was typed as this application's 退回原因, if anything. */
function typedReason(input: CardActionInput, applicationId: number): string | undefined {
  const typed = input.formValue[formalCheckReasonField(applicationId)];
  return typeof typed === 'string' ? typed : undefined;
}

const doneToast = (decision: 'accept' | 'return', teamName: string) => ({ type: 'success' as const, content: decision === 'accept' ? `已受理：${teamName}` : `已退回：${teamName}` });

function decide(decision: 'accept' | 'return'): CardRun {
  return async (ctx: HandlerContext, input: CardActionInput) => {
    const applicationId = idFrom(input.value, 'applicationId');
    const result = await formalCheck(ctx.tx, ctx.actor, applicationId, decision, typedReason(input, applicationId), ctx.clock.now(), ctx.config.BOT_TIMEZONE, seenSubmission(ctx, input));
    for (const message of formalCheckNotices(result.team, applicationId, decision, result.reason, ctx.eventId)) await ctx.send(message);
    return raw(await checkListCard(ctx), doneToast(decision, result.team.name));
  };
}

/**
 * The same decision in one round trip on PostgreSQL (src/fast/formalCheck.ts), when it succeeds; anything else
 * (a refusal, a second click, a reason missing) answers undefined having written nothing, and `decide` runs.
 */
function decideFast(decision: 'accept' | 'return'): NonNullable<CardActionDecl['fast']> {
  return async (fx, input) => {
    const applicationId = idOrZero(input.value, 'applicationId');
    // a submission the button names but that does not read: the value schema refuses it on the ordinary path
    const submitted = millisOrAbsent(input.value, 'submitted');
    if (!applicationId || submitted === null) return undefined;
    let reason: string | undefined;
    if (decision === 'return') {
      try {
        reason = readReturnReason(typedReason(input, applicationId));
      } catch (err) {
        if (err instanceof UserError) return undefined;
        throw err;
      }
    }
    const done = await fastFormalCheck(fx.database, {
      eventId: fx.eventId,
      eventType: fx.eventType,
      openId: fx.openId,
      applicationId,
      decision,
      reason,
      submitted,
      now: fx.clock.now(),
      bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
      timezone: fx.config.BOT_TIMEZONE,
    });
    if (!done) return undefined;
    return { outcome: 'ok', answer: raw(checkList(done.year, done.awaiting), doneToast(decision, done.teamName)), queued: done.queued };
  };
}

/** The list again with what is wrong (a return without its reason), or as it is now for a copy of an earlier submission. */
export const checkListAgain: OnRefused = async (error, ctx) => {
  // a second click once decided: the list as it is now, as the first answer showed it
  const list = await checkListCard(ctx, error instanceof AlreadyDone ? undefined : error).catch(() => undefined);
  return list ? raw(list) : undefined;
};

export const acceptApplication = decide('accept');
export const returnToTeam = decide('return');
export const acceptApplicationFast = decideFast('accept');
export const returnToTeamFast = decideFast('return');
