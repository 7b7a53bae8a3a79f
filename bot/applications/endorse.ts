import { endorsementDoneCard, endorsementListCard, endorsementRequestCard, leaderNoticeCard } from '../../cards/applications.js';
import { button, buttonRow, card, markdown, md } from '../../cards/kit.js';
import { awaitingEndorsementBy, endorseApplication, endorsementForm, getApplication } from '../../src/applications.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, HandlerContext } from '../../src/handlers.js';
import { adminDestinations, destinationKey } from '../../src/notifications.js';
import { idFrom, idOrZero, raw, withUserErrors } from '../respond.js';
import { summaryOf } from './view.js';

export const listEndorsements = withUserErrors(async (ctx) => {
  const rows = await awaitingEndorsementBy(ctx.tx, ctx.actor.openId);
  return raw(endorsementListCard(rows.map((r) => summaryOf(r.application, r.team, r.organization, r.cycle.year))));
});

export const openEndorsement = withUserErrors(async (ctx, input) => {
  const row = await getApplication(ctx.tx, idFrom(input.value, 'applicationId'));
  if (!row || row.team.contactOpenId !== ctx.actor.openId) throw new UserError('只有该班组登记的单位联系人可以查看和确认这份申报（第十五条）。');
  const summary = summaryOf(row.application, row.team, row.organization, row.cycle.year);
  if (row.application.status !== 'submitted') return raw(endorsementListCard([]), { type: 'info', content: `这份申报当前为“${summary.statusLabel}”，无需确认` });
  return raw(endorsementRequestCard(summary, { descriptor: endorsementForm }));
});

function endorse(decision: 'recommend' | 'return') {
  return withUserErrors(
    async (ctx: HandlerContext, input: CardActionInput) => {
      const applicationId = idFrom(input.value, 'applicationId');
      const result = await endorseApplication(ctx.tx, ctx.actor, applicationId, decision, input.formValue, ctx.clock.now());
      const summary = summaryOf(result.application, result.team, result.organization, result.cycle.year);
      const opinion = (result.application.endorsement as { opinion: string }).opinion;
      await ctx.send({
        dedupeKey: `application:${decision}:${applicationId}:${ctx.eventId}`,
        to: { openId: result.team.leaderOpenId },
        card: leaderNoticeCard(summary, decision === 'recommend' ? 'recommended' : 'returnedByOrganization', opinion),
      });
      if (decision === 'recommend') {
        const notice = card({
          title: '新的申报待形式审查',
          template: 'violet',
          elements: [
            markdown(md`**${summary.team.name}**（${summary.team.organization}）的 ${summary.year} 年度申报已经单位推荐，等待协会形式审查。`),
            buttonRow([button({ text: '去审查', type: 'primary', value: { action: 'check.list' } })]),
          ],
        });
        for (const to of await adminDestinations(ctx.tx, ctx.config.ADMIN_OPEN_IDS)) {
          await ctx.send({ dedupeKey: `check:request:${applicationId}:${ctx.eventId}:${destinationKey(to)}`, to, card: notice });
        }
      }
      return raw(endorsementDoneCard(summary, decision, opinion), { type: 'success', content: decision === 'recommend' ? '已推荐，报协会形式审查' : '已退回，班组长会收到你的意见' });
    },
    async (error, ctx, input) => {
      const row = await getApplication(ctx.tx, idOrZero(input.value, 'applicationId'));
      if (!row || row.team.contactOpenId !== ctx.actor.openId || row.application.status !== 'submitted') return undefined;
      return raw(endorsementRequestCard(summaryOf(row.application, row.team, row.organization, row.cycle.year), { descriptor: endorsementForm, values: input.formValue, error: { field: error.opts.field, message: error.message } }));
    },
  );
}

export const recommendApplication = endorse('recommend');
export const returnApplication = endorse('return');
