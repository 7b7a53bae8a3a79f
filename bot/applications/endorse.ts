import { endorsementDoneCard, endorsementListCard, endorsementRequestCard, formalCheckRequestCard, leaderNoticeCard } from '../../cards/applications.js';
import { applicationForContact, awaitingEndorsementBy, endorseApplication, getApplication, summaryOf, endorsementForm } from '../../src/applications.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionInput, CardRun, HandlerContext, OnRefused } from '../../src/handlers.js';
import { button, buttonRow, card, markdown, md } from '../../cards/kit.js';
import { adminDestinations, destinationKey } from '../../src/notifications.js';
import { idFrom, idOrZero, raw } from '../respond.js';

export const listEndorsements: CardRun = async (ctx) => {
  const rows = await awaitingEndorsementBy(ctx.tx, ctx.actor.openId);
  return raw(endorsementListCard(rows.map((r) => summaryOf(r.application, r.team, r.organization, r.cycle.year))));
};

export const openEndorsement: CardRun = async (ctx, input) => {
  const row = await applicationForContact(ctx.tx, ctx.actor, idFrom(input.value, 'applicationId'));
  const summary = summaryOf(row.application, row.team, row.organization, row.cycle.year);
  if (row.application.status !== 'submitted') return raw(endorsementListCard([]), { type: 'info', content: `这份申报当前为“${summary.statusLabel}”，无需确认` });
  return raw(endorsementRequestCard(summary, { descriptor: endorsementForm }));
};

function endorse(decision: 'recommend' | 'return'): CardRun {
  return async (ctx: HandlerContext, input: CardActionInput) => {
    const applicationId = idFrom(input.value, 'applicationId');
    // the administrators a recommendation goes to are read beside the application (one round trip fewer); a refusal discards them
    const [result, destinations] = await Promise.all([
      endorseApplication(ctx.tx, ctx.actor, applicationId, decision, input.formValue, ctx.clock.now()),
      decision === 'recommend' ? adminDestinations(ctx.tx, ctx.config.ADMIN_OPEN_IDS) : [],
    ]);
    const summary = summaryOf(result.application, result.team, result.organization, result.cycle.year);
    const opinion = (result.application.endorsement as { opinion: string }).opinion;
    await ctx.send({
      dedupeKey: `application:${decision}:${applicationId}:${ctx.eventId}`,
      to: { openId: result.team.leaderOpenId },
      card: leaderNoticeCard(summary, decision === 'recommend' ? 'recommended' : 'returnedByOrganization', opinion),
    });
    if (decision === 'recommend') {
      const notice = formalCheckRequestCard(summary);
      for (const to of destinations) {
        await ctx.send({ dedupeKey: `check:request:${applicationId}:${ctx.eventId}:${destinationKey(to)}`, to, card: notice });
      }
    }
    return raw(endorsementDoneCard(summary, decision, opinion), { type: 'success', content: decision === 'recommend' ? '已推荐，报协会形式审查' : '已退回，班组长会收到你的意见' });
  };
}

/** The request again with what was typed and what is wrong, for the contact it waits for. */
export const endorsementAgain: OnRefused = async (error, ctx, input) => {
  const row = await getApplication(ctx.tx, idOrZero(input.value, 'applicationId'));
  const endorsement = row?.application.endorsement as { decision?: 'recommend' | 'return'; opinion?: string } | null | undefined;
  // a second click once decided: the card shows the decision the first made
  if (error instanceof AlreadyDone && row && endorsement?.decision && endorsement.opinion) {
    return raw(endorsementDoneCard(summaryOf(row.application, row.team, row.organization, row.cycle.year), endorsement.decision, endorsement.opinion));
  }
  if (!row || row.team.contactOpenId !== ctx.actor.openId || row.application.status !== 'submitted') return undefined;
  return raw(endorsementRequestCard(summaryOf(row.application, row.team, row.organization, row.cycle.year), { descriptor: endorsementForm, values: input.formValue, error: { field: error.opts.field, message: error.message } }));
};

export const recommendApplication = endorse('recommend');
export const returnApplication = endorse('return');
