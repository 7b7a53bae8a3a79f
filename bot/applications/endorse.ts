import { type ApplicationSummary, endorsementDoneCard, endorsementListCard, endorsementRequestCard, leaderNoticeCard } from '../../cards/applications.js';
import {
  applicationForContact,
  awaitingEndorsementBy,
  ContactReplaced,
  type EndorsementDecision,
  endorseApplication,
  endorsementForm,
  endorsementInput,
  getApplication,
  LateReturn,
  RecalledByLeader,
  ResubmittedSince,
  takenBack,
  resubmittable,
  returnBefore,
  returnNotes,
  ReviewTakesNoMore,
  reviewTakesNoMoreText,
  reviewClosedText,
  contactAfterReview,
  type SeenSubmission,
  submissionOf,
  summaryOf,
} from '../../src/applications.js';
import { todayIn } from '../../src/dates.js';
import { formalCheckRequestMessage, leaderNoticeMessage } from '../../src/endorsementCards.js';
import { AlreadyDone, cite, formErrorOf, UserError } from '../../src/errors.js';
import { fastEndorse } from '../../src/fast/endorse.js';
import type { CardActionInput, CardResponse, CardRun, FastContext, FastOutcome, HandlerContext, IncomingText, OnRefused } from '../../src/handlers.js';
import { adminDestinations } from '../../src/notifications.js';
import { hasRole } from '../../src/people.js';
import { idFrom, idOrZero, millisOrAbsent, pageFrom, raw, sendPrivately, today } from '../respond.js';

/** The applications waiting for the caller's confirmation, drawn as a list. */
async function endorsementList(ctx: HandlerContext, waiting?: Awaited<ReturnType<typeof awaitingEndorsementBy>>, page = 1) {
  const rows = waiting ?? (await awaitingEndorsementBy(ctx.tx, ctx.actor.openId));
  return endorsementListCard(rows.map((r) => summaryOf(r.application, r.team, r.organization, r.cycle.year)), page);
}

/** `endorse.list`: the page its button carries (上一页 / 下一页 / 刷新), the first otherwise. */
export const listEndorsements: CardRun = async (ctx, input) => raw(await endorsementList(ctx, undefined, pageFrom(input.value)));

/**
 * 待确认的申报 typed (the button's label, the list's title, 待确认, 确认申报…): an organisation contact's list, sent privately
 * as it names the teams; anyone else is told plainly whose list it is (第十五条) and where their own application stands.
 */
export async function endorsementListCommand(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  if (!hasRole(ctx.actor, 'org_contact')) {
    await sendPrivately(ctx, msg, `endorse:list:${ctx.eventId}`, { text: notAContact(ctx) }, '回复');
    return;
  }
  await sendPrivately(ctx, msg, `endorse:list:${ctx.eventId}`, { card: await endorsementList(ctx) }, '待确认的申报');
}

/**
 * 推荐, 同意推荐, 确认, 审核 typed by an organisation contact: the applications waiting for them, whose buttons open each
 * to recommend or return (typed, the words decide nothing); with none waiting the list says so, as its button does.
 * From anyone else they are questions for the measures (第十五条), as before.
 */
export async function endorsementWordCommand(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  if (!hasRole(ctx.actor, 'org_contact')) return false;
  await sendPrivately(ctx, msg, `endorse:list:${ctx.eventId}`, { card: await endorsementList(ctx) }, '待确认的申报');
}

/** What someone who is nobody's contact is told for 待确认的申报: whose it is, and what to send instead. */
function notAContact(ctx: HandlerContext): string {
  const said = cite(15, '只有班组登记的单位联系人可以查看待确认的申报：班组提交申报后，由单位联系人确认申报材料并填写推荐意见。');
  return hasRole(ctx.actor, 'leader', 'member') ? `${said}本班组的申报到了哪一步，请发送“进度”查看。` : `${said}发送“帮助”查看你可以使用的功能。`;
}

export const openEndorsement: CardRun = async (ctx, input) => {
  const row = await applicationForContact(ctx.tx, ctx.actor, idFrom(input.value, 'applicationId'));
  const summary = summaryOf(row.application, row.team, row.organization, row.cycle.year);
  // taken back by its leader (撤回申报): said so, with the materials as they stand and nothing to fill in
  if (takenBack(row.application)) {
    const recalled = RecalledByLeader.asOf(row.cycle, today(ctx)).message;
    return raw(endorsementRequestCard(summary, { descriptor: endorsementForm, closed: recalled }), { type: 'info', content: recalled });
  }
  if (row.application.status !== 'submitted') {
    const toast = { type: 'info', content: `这份申报当前为“${summary.statusLabel}”，无需确认` } as const;
    // the decision on record when there is one; else the list as it is now (others may still wait)
    const endorsement = row.application.endorsement as { decision?: EndorsementDecision; opinion?: string } | null;
    if (endorsement?.decision && endorsement.opinion) return raw(decisionOnRecord(ctx, row, endorsement.decision, endorsement.opinion), toast);
    const waiting = await awaitingEndorsementBy(ctx.tx, ctx.actor.openId);
    return raw(endorsementListCard(waiting.map((r) => summaryOf(r.application, r.team, r.organization, r.cycle.year))), toast);
  }
  // an old card of a year whose review takes no more: the materials without the form, and why
  const what = '不能再推荐或退回这份申报';
  // what to do then (a later year's applications waiting), read only once the year is over
  const after = reviewClosedText(row.cycle, what) ? await contactAfterReview(ctx.tx, ctx.actor.openId, row.cycle) : undefined;
  const closed = await reviewTakesNoMoreText(ctx.tx, row.cycle, what, after);
  if (closed) return raw(endorsementRequestCard(summary, { descriptor: endorsementForm, closed }), { type: 'info', content: closed });
  // submitted again after a return: the request says so, as the message that brought it did
  const returned = returnBefore((await returnNotes(ctx.tx, [row.application.id])).get(row.application.id), summary.submitted, ctx.config.BOT_TIMEZONE, row.application.form);
  return raw(endorsementRequestCard(summary, { descriptor: endorsementForm, ...(returned ? { returned } : {}) }));
};

/** The contact's answer once the decision is made: the read-only card and what happens next (`closed`: a return past the deadline). */
function endorsedAnswer(summary: ApplicationSummary, decision: EndorsementDecision, opinion: string, closed = false): CardResponse {
  const heard = summary.leaderPending ? '已退回；班组长尚未关联飞书，未收到你的意见' : '已退回，班组长会收到你的意见';
  const toast = decision === 'recommend' ? '已推荐，报协会形式审查' : closed ? `${heard}；申报已截止，这份申报不参加本年度评审` : heard;
  return raw(endorsementDoneCard(summary, decision, opinion, closed), { type: 'success', content: toast });
}

/**
 * The contact's decision on record, drawn again (a second tap, an old copy, the list): a return the team can no longer
 * submit again (the year's applications closed since, or before it) says so, as the answer to a return past the deadline does.
 */
function decisionOnRecord(ctx: HandlerContext, row: NonNullable<Awaited<ReturnType<typeof getApplication>>>, decision: EndorsementDecision, opinion: string) {
  const summary = summaryOf(row.application, row.team, row.organization, row.cycle.year);
  const closed = !resubmittable(row.cycle, today(ctx));
  // recommended, then returned by the association's formal check: the contact's copy of that return, not 已报协会形式审查
  const returnReason = (row.application.endorsement as { returnReason?: unknown } | null)?.returnReason;
  if (row.application.status === 'returned' && typeof returnReason === 'string' && returnReason) {
    return leaderNoticeCard(summary, 'returnedByAssociation', returnReason, closed ? { deadline: row.cycle.applicationDeadline } : undefined, 'contact');
  }
  return endorsementDoneCard(summary, decision, opinion, decision === 'return' && closed);
}

/** The submission the clicked card showed (its button's `submitted`, parsed by the value schema), if it says. */
export function seenSubmission(ctx: HandlerContext, input: CardActionInput): SeenSubmission | undefined {
  const at = input.value.submitted;
  return typeof at === 'number' ? { at, timezone: ctx.config.BOT_TIMEZONE } : undefined;
}

function endorse(decision: EndorsementDecision): CardRun {
  return async (ctx: HandlerContext, input: CardActionInput) => {
    const applicationId = idFrom(input.value, 'applicationId');
    // the administrators a recommendation goes to are read beside the application (one round trip fewer); a refusal discards them
    const [result, destinations] = await Promise.all([
      endorseApplication(ctx.tx, ctx.actor, applicationId, decision, input.formValue, ctx.clock.now(), { today: today(ctx), confirmed: input.value.late === true }, seenSubmission(ctx, input), ctx.config.BOT_TIMEZONE),
      decision === 'recommend' ? adminDestinations(ctx.tx, ctx.config.ADMIN_OPEN_IDS) : [],
    ]);
    const summary = summaryOf(result.application, result.team, result.organization, result.cycle.year);
    const opinion = (result.application.endorsement as { opinion: string }).opinion;
    // both notices are drawn when they are sent (src/endorsementCards.ts), as the one-statement path queues them
    await ctx.send(leaderNoticeMessage(applicationId, decision, opinion, result.team.leaderOpenId, ctx.eventId));
    if (decision === 'recommend') {
      for (const to of destinations) await ctx.send(formalCheckRequestMessage(applicationId, to, ctx.eventId));
    }
    return endorsedAnswer(summary, decision, opinion, decision === 'return' && !resubmittable(result.cycle, today(ctx)));
  };
}

/**
 * 推荐 / 退回 in one round trip on PostgreSQL (src/fast/endorse.ts): only a decision the ordinary path would make
 * is made there; anything else (what was typed does not read, a refusal, a second click, an event seen before)
 * answers undefined having written nothing, and `endorse` runs and answers as it always has.
 */
function endorseFast(decision: EndorsementDecision) {
  return async (fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> => {
    const applicationId = idOrZero(input.value, 'applicationId');
    // a submission the button names but that does not read: the value schema refuses it on the ordinary path
    const submitted = millisOrAbsent(input.value, 'submitted');
    if (!applicationId || submitted === null) return undefined;
    let typed: { truthful: boolean; opinion: string };
    try {
      typed = endorsementInput(decision, input.formValue);
    } catch (err) {
      if (err instanceof UserError) return undefined;
      throw err;
    }
    // a return past the deadline (asked to confirm, LateReturn) is the ordinary path's: the statement takes only one in time
    const done = await fastEndorse(fx.database, {
      eventId: fx.eventId,
      eventType: fx.eventType,
      openId: fx.openId,
      applicationId,
      decision,
      input: typed,
      submitted,
      now: fx.clock.now(),
      bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
      today: todayIn(fx.config.BOT_TIMEZONE, fx.clock.now()),
    });
    if (!done) return undefined;
    const summary = summaryOf(done.application, done.team, done.organization, done.year);
    return { outcome: 'ok', answer: endorsedAnswer(summary, decision, typed.opinion), queued: done.queued };
  };
}

/**
 * The request again with what was typed and what is wrong, for the contact it waits for. A click on a copy of an earlier
 * submission gets the latest one, with the opinion typed kept but the materials to confirm again.
 */
export const endorsementAgain: OnRefused = async (error, ctx, input) => {
  const row = await getApplication(ctx.tx, idOrZero(input.value, 'applicationId'));
  // taken back by its leader since the request was sent (撤回申报): the materials as the contact had them, nothing to fill in
  if (error instanceof RecalledByLeader && row && row.team.contactOpenId === ctx.actor.openId) {
    return raw(endorsementRequestCard(summaryOf(row.application, row.team, row.organization, row.cycle.year), { descriptor: endorsementForm, closed: error.message }));
  }
  // a contact replaced since, on the request they still hold: the card spent, as they were told when replaced; the
  // materials only as that card showed them (a later submission is the new contact's to see)
  if (error instanceof ContactReplaced && row) {
    if (submissionOf(row.application) !== seenSubmission(ctx, input)?.at) return undefined;
    return raw(endorsementRequestCard(summaryOf(row.application, row.team, row.organization, row.cycle.year), { descriptor: endorsementForm, closed: error.message }));
  }
  const endorsement = row?.application.endorsement as { decision?: 'recommend' | 'return'; opinion?: string } | null | undefined;
  // a second click once decided: the card shows the decision the first made
  // or an old copy clicked after the other decision was made (推荐 after 退回, 退回 after 推荐): the decision on record, whose answer says why
  const decidedOnRecord = row?.team.contactOpenId === ctx.actor.openId && row.application.status !== 'submitted';
  if ((error instanceof AlreadyDone || decidedOnRecord) && row && endorsement?.decision && endorsement.opinion) {
    return raw(decisionOnRecord(ctx, row, endorsement.decision, endorsement.opinion));
  }
  if (!row || row.team.contactOpenId !== ctx.actor.openId || row.application.status !== 'submitted') return undefined;
  const summary = summaryOf(row.application, row.team, row.organization, row.cycle.year);
  // the year's review takes no more applications (reviewStillTakes): the materials without the form, the refusal as a note
  if (error instanceof ReviewTakesNoMore || (row.cycle.status !== 'open' && row.cycle.status !== 'scoring')) return raw(endorsementRequestCard(summary, { descriptor: endorsementForm, closed: error.message }));
  const resubmitted = error instanceof ResubmittedSince;
  return raw(
    endorsementRequestCard(summary, {
      descriptor: endorsementForm,
      values: resubmitted ? { opinion: input.formValue.opinion } : input.formValue,
      error: formErrorOf(error),
      lateReturn: error instanceof LateReturn,
      resubmitted,
    }),
  );
};

export const recommendApplication = endorse('recommend');
export const returnApplication = endorse('return');
export const recommendApplicationFast = endorseFast('recommend');
export const returnApplicationFast = endorseFast('return');
