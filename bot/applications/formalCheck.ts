import { formalCheckCard, formalCheckPageSize, formalCheckReasonField } from '../../cards/applications.js';
import { checkApplicationCard } from '../../cards/review.js';
import {
  type ApplicationStatus,
  applicationStatusNames,
  awaitingFormalCheckPage,
  formalCheck,
  type FormalCheckPage,
  getApplication,
  LateReturn,
  opinionOf,
  OwnTeamAtFormalCheck,
  readReturnReason,
  recommenderOf,
  resubmittable,
  ResubmittedSince,
  summaryOf,
} from '../../src/applications.js';
import { getRunningCycle } from '../../src/cycles.js';
import { fastFormalCheck } from '../../src/fast/formalCheck.js';
import { queuedBefore } from '../../src/outbox.js';
import { taskApplication } from '../../src/review/taskCards.js';
import { formalCheckNotices } from '../../src/formalCheckNotices.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { todayIn } from '../../src/dates.js';
import type { CardActionDecl, CardActionInput, CardRun, HandlerContext, OnRefused } from '../../src/handlers.js';
import { idFrom, idOrZero, millisOrAbsent, pageFrom, raw, today } from '../respond.js';
import { seenSubmission } from './endorse.js';

/** A 退回 past the deadline asked to confirm (LateReturn): the application, and the reason typed, kept on its form. */
export interface ReturnToConfirm {
  applicationId: number;
  reason: string | undefined;
}

/**
 * The list as read: the running cycle's year and one page of the applications waiting, each with who recommended it.
 * A refusal is shown as an error; as a notice when a click came from an earlier submission's copy or from an
 * administrator of the team (第十七条); as a question when a return past the deadline is to be confirmed (`confirm`).
 */
export function checkList(year: number, read: FormalCheckPage, error?: UserError, confirm?: ReturnToConfirm) {
  const late = error instanceof LateReturn && confirm ? { ...confirm, message: error.message } : undefined;
  // a decision another click made first (其他管理员…已于…受理该申报，无需再退回) is nothing to correct: no red 请修改
  const notice = error instanceof ResubmittedSince || error instanceof OwnTeamAtFormalCheck || (!late && error?.opts.kind === 'info');
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
    error: error && !notice && !late ? formErrorOf(error) : undefined,
    notice: notice ? error?.message : undefined,
    confirmReturn: late,
  });
}

/** The page `asked` of the list (the last one when it is past the end). */
async function checkListCard(ctx: HandlerContext, asked: number, error?: UserError, confirm?: ReturnToConfirm) {
  // issued together: one round trip
  const [cycle, read] = await Promise.all([getRunningCycle(ctx.tx), awaitingFormalCheckPage(ctx.tx, asked, formalCheckPageSize)]);
  if (!cycle) throw new UserError('当前没有进行中的年度评审。', { kind: 'info' });
  return checkList(cycle.year, read, error, confirm);
}

/** A second press within this long sends no second message: the first is on its way, or just above. */
const FULL_TEXT_RESEND_MS = 10_000;

/**
 * check.application {applicationId} (查看申报表全文 on the 形式审查 card): the whole 申报表 of an application, with its
 * organisation's recommendation, sent to the administrator who pressed it as a message of its own; the list stays as
 * it is, with any 退回原因 typed into it. Any application past its draft, whatever became of it since the list was drawn
 * (the card says its state). A press again within FULL_TEXT_RESEND_MS sends nothing more.
 */
export const sendApplicationFullText: CardRun = async (ctx, input) => {
  const id = idFrom(input.value, 'applicationId');
  const period = Math.floor(ctx.clock.now().getTime() / FULL_TEXT_RESEND_MS);
  const key = (p: number) => `check:application:${id}:${ctx.actor.openId}:${p}`;
  // issued together: the application, and whether a press just before (a double tap across the period's edge) queued it
  const [row, pressedBefore] = await Promise.all([getApplication(ctx.tx, id), queuedBefore(ctx.tx, key(period - 1))]);
  if (!row || row.application.status === 'draft') throw new UserError('找不到这份申报，或它还是草稿，没有可查看的申报表。', { kind: 'info' });
  // still waiting for the check: the list it was pressed on can still 受理 or 退回 it
  const checking = row.application.status === 'recommended';
  const card = checkApplicationCard({ year: row.cycle.year, application: taskApplication(row), status: applicationStatusNames[row.application.status as ApplicationStatus] ?? row.application.status, checking });
  const sent = !pressedBefore && (await ctx.sendIfNew({ dedupeKey: key(period), to: { openId: ctx.actor.openId }, card }));
  if (!sent) return { toast: { type: 'info', content: '申报表全文已发送，请查看上一条消息。' } };
  return { toast: { type: 'success', content: checking ? '申报表全文已另发一条消息；这里填的退回原因保留。' : '申报表全文已另发一条消息。' } };
};

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
 * experts yet: 分配专家 again gives it its panel (结束评分并汇总 refuses while one has none); for one returned once the
 * year's applications are closed (confirmed: LateReturn), that it is out of this year's review.
 */
const doneToast = (decision: 'accept' | 'return', teamName: string, scoring: boolean, closed = false) => ({
  type: 'success' as const,
  content:
    decision === 'return'
      ? closed
        ? `已退回：${teamName}；申报已截止，这份申报不参加本年度评审`
        : `已退回：${teamName}`
      : scoring
        ? `已受理：${teamName}。评审已开始，请再点“分配专家”为这份申报分配专家`
        : `已受理：${teamName}`,
});

function decide(decision: 'accept' | 'return'): CardRun {
  return async (ctx: HandlerContext, input: CardActionInput) => {
    const applicationId = idFrom(input.value, 'applicationId');
    // a return past the deadline is made only from its 确认退回 (`late: true`), the list having said what it means
    const result = await formalCheck(ctx.tx, ctx.actor, applicationId, decision, typedReason(input, applicationId), ctx.clock.now(), ctx.config.BOT_TIMEZONE, seenSubmission(ctx, input), input.value.late === true);
    for (const message of formalCheckNotices(result.team, applicationId, decision, result.reason, ctx.eventId)) await ctx.send(message);
    const closed = decision === 'return' && !resubmittable(result.cycle, today(ctx));
    return raw(await checkListCard(ctx, pageFrom(input.value)), doneToast(decision, result.team.name, result.cycle.status === 'scoring', closed));
  };
}

/**
 * The same decision in one round trip on PostgreSQL (src/fast/formalCheck.ts), when it succeeds; anything else
 * (a refusal, a second click, a reason missing, a return past the deadline, asked or confirmed) answers undefined
 * having written nothing, and `decide` runs.
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
      today: todayIn(fx.config.BOT_TIMEZONE, fx.clock.now()),
    });
    if (!done) return undefined;
    return { outcome: 'ok', answer: raw(checkList(done.year, done.awaiting), doneToast(decision, done.teamName, done.scoring)), queued: done.queued };
  };
}

/**
 * The list again with what is wrong (a return without its reason), as it is now for a copy of an earlier submission,
 * or asking to confirm a return past the deadline (its reason kept, its 退回 now 确认退回).
 */
export const checkListAgain: OnRefused = async (error, ctx, input) => {
  const applicationId = idOrZero(input.value, 'applicationId');
  const confirm = error instanceof LateReturn ? { applicationId, reason: typedReason(input, applicationId) } : undefined;
  // a second click once decided: the list as it is now, as the first answer showed it, at the page it was clicked on
  const list = await checkListCard(ctx, pageFrom(input.value), error instanceof AlreadyDone ? undefined : error, confirm).catch(() => undefined);
  return list ? raw(list) : undefined;
};

export const acceptApplication = decide('accept');
export const returnToTeam = decide('return');
export const acceptApplicationFast = decideFast('accept');
export const returnToTeamFast = decideFast('return');
