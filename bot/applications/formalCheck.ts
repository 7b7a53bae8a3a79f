import { formalCheckCard, formalCheckReasonField, leaderNoticeCard } from '../../cards/applications.js';
import { awaitingFormalCheck, formalCheck, opinionOf, summaryOf } from '../../src/applications.js';
import { getRunningCycle } from '../../src/cycles.js';
import { bindingsOf } from '../../src/groups.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionInput, CardRun, HandlerContext, OnRefused } from '../../src/handlers.js';
import { idFrom, raw } from '../respond.js';

const PAGE = 8;

async function checkListCard(ctx: HandlerContext, error?: UserError) {
  // issued together: one round trip
  const [cycle, rows] = await Promise.all([getRunningCycle(ctx.tx), awaitingFormalCheck(ctx.tx)]);
  if (!cycle) throw new UserError('当前没有进行中的年度评审。', { kind: 'info' });
  return formalCheckCard({
    year: cycle.year,
    total: rows.length,
    items: rows.slice(0, PAGE).map((r) => ({ ...summaryOf(r.application, r.team, r.organization, cycle.year), opinion: opinionOf(r.application) })),
    error: error ? { message: error.message, field: error.opts.field } : undefined,
  });
}

/**
 * 去审查: in the bound admin group the list goes to the administrator privately, so the group's shared
 * notification card stays as it is for everyone else.
 */
export const listFormalChecks: CardRun = async (ctx, input) => {
  const list = await checkListCard(ctx);
  if (input.chatId && (await bindingsOf(ctx.tx, input.chatId)).length) {
    await ctx.send({ dedupeKey: `check:list:${ctx.eventId}`, to: { openId: ctx.actor.openId }, card: list });
    return { toast: { type: 'info', content: '形式审查清单已私信发给你' } };
  }
  return raw(list);
};

function decide(decision: 'accept' | 'return'): CardRun {
  return async (ctx: HandlerContext, input: CardActionInput) => {
    const applicationId = idFrom(input.value, 'applicationId');
    const typed = input.formValue[formalCheckReasonField(applicationId)];
    const reason = typeof typed === 'string' ? typed : undefined;
    const result = await formalCheck(ctx.tx, ctx.actor, applicationId, decision, reason, ctx.clock.now());
    const summary = summaryOf(result.application, result.team, result.organization, result.cycle.year);
    const notice = leaderNoticeCard(summary, decision === 'accept' ? 'accepted' : 'returnedByAssociation', result.reason);
    for (const openId of new Set([result.team.leaderOpenId, result.team.contactOpenId])) {
      await ctx.send({ dedupeKey: `application:check-${decision}:${applicationId}:${ctx.eventId}:${openId}`, to: { openId }, card: notice });
    }
    return raw(await checkListCard(ctx), { type: 'success', content: decision === 'accept' ? `已受理：${summary.team.name}` : `已退回：${summary.team.name}` });
  };
}

/** The list again with what is wrong (a return without its reason). */
export const checkListAgain: OnRefused = async (error, ctx) => {
  // a second click once decided: the list as it is now, as the first answer showed it
  const list = await checkListCard(ctx, error instanceof AlreadyDone ? undefined : error).catch(() => undefined);
  return list ? raw(list) : undefined;
};

export const acceptApplication = decide('accept');
export const returnToTeam = decide('return');
