import { formalCheckCard, formalCheckPageSize, formalCheckReasonField } from '../../cards/applications.js';
import { awaitingFormalCheckPage, formalCheck, type FormalCheckPage, opinionOf, readReturnReason, recommenderOf, ResubmittedSince, summaryOf } from '../../src/applications.js';
import { getRunningCycle } from '../../src/cycles.js';
import { fastFormalCheck } from '../../src/fast/formalCheck.js';
import { formalCheckNotices } from '../../src/formalCheckNotices.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionDecl, CardActionInput, CardRun, HandlerContext, OnRefused } from '../../src/handlers.js';
import { idFrom, idOrZero, millisOrAbsent, pageFrom, raw } from '../respond.js';
import { seenSubmission } from './endorse.js';

/**
 * The list as read: the running cycle's year and one page of the applications waiting, each with who recommended it.
 * A refusal is shown as an error, or as a notice when a click came from an earlier submission's copy.
 */
export function checkList(year: number, read: FormalCheckPage, error?: UserError) {
  return formalCheckCard({
    year,
    total: read.total,
    items: read.rows.map((r) => ({
      ...summaryOf(r.application, r.team, r.organization, year),
      opinion: opinionOf(r.application),
      recommendedBy: recommenderOf(r.application, r.recommenderName),
    })),
    first: (read.page - 1) * formalCheckPageSize + 1,
    page: read.page,
    pages: read.pages,
    asked: read.asked,
    error: error && !(error instanceof ResubmittedSince) ? { message: error.message, field: error.opts.field } : undefined,
    notice: error instanceof ResubmittedSince ? error.message : undefined,
  });
}

/** The page `asked` of the list (the last one when it is past the end). */
async function checkListCard(ctx: HandlerContext, asked: number, error?: UserError) {
  // issued together: one round trip
  const [cycle, read] = await Promise.all([getRunningCycle(ctx.tx), awaitingFormalCheckPage(ctx.tx, asked, formalCheckPageSize)]);
  if (!cycle) throw new UserError('当前没有进行中的年度评审。', { kind: 'info' });
  return checkList(cycle.year, read, error);
}

/**
 * check.list {page?}: 去审查, a page at a time (clicked in the bound admin group, it goes to the administrator privately:
 * privateInGroup). A page past the end (applications checked since the button was drawn) shows the last page.
 */
export const listFormalChecks: CardRun = async (ctx, input) => raw(await checkListCard(ctx, pageFrom(input.value)));

/** What was typed as this application's 退回原因, if anything. */
function typedReason(input: CardActionInput, applicationId: number): string | undefined {
  const typed = input.formValue[formalCheckReasonField(applicationId)];
  return typeof typed === 'string' ? typed : undefined;
}

/**
 * 已受理 / 已退回, and for one accepted once the year's experts are scoring (截止申报 done, 分配专家 run) that it has no
 * experts yet: 分配专家 again gives it its panel (结束评分并汇总 refuses while one has none).
 */
const doneToast = (decision: 'accept' | 'return', teamName: string, scoring: boolean) => ({
  type: 'success' as const,
  content: decision === 'return' ? `已退回：${teamName}` : scoring ? `已受理：${teamName}。评审已开始，请再点“分配专家”为这份申报分配专家` : `已受理：${teamName}`,
});

function decide(decision: 'accept' | 'return'): CardRun {
  return async (ctx: HandlerContext, input: CardActionInput) => {
    const applicationId = idFrom(input.value, 'applicationId');
    const result = await formalCheck(ctx.tx, ctx.actor, applicationId, decision, typedReason(input, applicationId), ctx.clock.now(), ctx.config.BOT_TIMEZONE, seenSubmission(ctx, input));
    for (const message of formalCheckNotices(result.team, applicationId, decision, result.reason, ctx.eventId)) await ctx.send(message);
    return raw(await checkListCard(ctx, pageFrom(input.value)), doneToast(decision, result.team.name, result.cycle.status === 'scoring'));
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
      page: pageFrom(input.value),
      now: fx.clock.now(),
      bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
      timezone: fx.config.BOT_TIMEZONE,
    });
    if (!done) return undefined;
    return { outcome: 'ok', answer: raw(checkList(done.year, done.awaiting), doneToast(decision, done.teamName, done.scoring)), queued: done.queued };
  };
}

/** The list again with what is wrong (a return without its reason), or as it is now for a copy of an earlier submission. */
export const checkListAgain: OnRefused = async (error, ctx, input) => {
  // a second click once decided: the list as it is now, as the first answer showed it, at the page it was clicked on
  const list = await checkListCard(ctx, pageFrom(input.value), error instanceof AlreadyDone ? undefined : error).catch(() => undefined);
  return list ? raw(list) : undefined;
};

export const acceptApplication = decide('accept');
export const returnToTeam = decide('return');
export const acceptApplicationFast = decideFast('accept');
export const returnToTeamFast = decideFast('return');
