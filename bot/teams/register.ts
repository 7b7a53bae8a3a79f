import { registeredCard, registrationFormCard } from '../../cards/teams.js';
import { oneYearAfter } from '../../src/applications.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { todayIn } from '../../src/dates.js';
import { fastRegister } from '../../src/fast/register.js';
import type { CardActionInput, CardResponse, FastContext, FastOutcome, HandlerContext, IncomingText, OnRefused } from '../../src/handlers.js';
import { hasRole, pickerCandidates } from '../../src/people.js';
import { eligibleFromOf, registrationNotices } from '../../src/registrationCards.js';
import { differsFromRegistered, getTeam, RegisteredBefore, registeredAlready, registeredFromCard, registerTeam, registrationCardKey, registrationForm as registrationDescriptor, registrationLabels, registrationSchema, teamsLedBy } from '../../src/teams.js';
import { announceRecusals } from '../../src/review/recusal.js';
import { personFromLookup } from '../lookup.js';
import { raw, sendPrivately, today } from '../respond.js';
import { teamData, type TeamRow } from './view.js';

/** `注册`: the registration form, always in the p2p chat (a form is personal). */
export async function sendRegistrationForm(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  await sendPrivately(ctx, msg, `team:form:${ctx.eventId}`, { card: await registrationForm(ctx) }, '注册表');
}

export async function openRegistrationForm(ctx: HandlerContext) {
  return raw(await registrationForm(ctx));
}

/**
 * The form, its pickers offering the people the bot knows, organisation contacts first; to a leader, the teams they
 * lead above it (修改资料 changes one; the form registers another). Its 提交注册 carries the click
 * that drew it (`form`, kept when it is drawn again with an error), which with the card's message names the card.
 */
async function registrationForm(ctx: HandlerContext, again?: { form?: unknown; values: Record<string, unknown>; error: { field?: string; message: string } }) {
  // a leader is told the teams they lead (read only for a leader, beside the pickers' people)
  const [candidates, led] = await Promise.all([
    pickerCandidates(ctx.tx, { preferRole: 'org_contact', include: [ctx.actor.openId] }),
    hasRole(ctx.actor, 'leader') ? teamsLedBy(ctx.tx, ctx.actor.openId) : [],
  ]);
  const form = typeof again?.form === 'string' && again.form ? again.form : ctx.eventId;
  return registrationFormCard({ descriptor: registrationDescriptor, leaderOpenId: ctx.actor.openId, candidates, form, values: again?.values, error: again?.error, led });
}

/** Submit of the registration form: one card registers one team; its second submit says which, and changes nothing. */
export async function submitRegistration(ctx: HandlerContext, input: CardActionInput) {
  const cardKey = registrationCardKey(input);
  const before = cardKey ? await registeredFromCard(ctx.tx, cardKey, ctx.actor.openId) : undefined;
  if (before) throw registeredAlready(before, differsFromRegistered(before, ctx.actor, await contactLookedUp(ctx, input.formValue)));
  // a contact not found is told with the form's other problems, all in one round
  const formValue = await personFromLookup(ctx, input.formValue, { picker: 'contact', lookup: 'contactLookup', label: '单位联系人', form: { schema: registrationSchema, labels: registrationLabels } });
  const { team: created, recusals } = await registerTeam(ctx.tx, ctx.actor, formValue, today(ctx), ctx.clock.now(), { cardKey, timezone: ctx.config.BOT_TIMEZONE });
  // the contact is told by message, and a leader named by an administrator too; the leader sees the confirmation in place of the form
  for (const notice of registrationNotices(created, ctx.actor.openId)) await ctx.send(notice);
  // 回避 (第十七条): a leader or contact who held a sister team to score stepped aside from it; the replacements and they are told
  await announceRecusals(ctx, recusals);
  return registeredAnswer(created);
}

/** The form with its contact looked up for comparing only: a look-up that fails leaves the form as it is (then it differs). */
async function contactLookedUp(ctx: HandlerContext, formValue: Record<string, unknown>): Promise<Record<string, unknown>> {
  try {
    return await personFromLookup(ctx, formValue, { picker: 'contact', lookup: 'contactLookup', label: '单位联系人' });
  } catch (err) {
    if (err instanceof UserError) return { ...formValue, contact: undefined };
    throw err;
  }
}

const atNow = (now: Date, timezone: string) => ({ now, today: todayIn(timezone, now) });

/** `team.register` on PostgreSQL: a new team in one round trip (src/fast/register.ts); anything else is left to `submitRegistration`. */
export async function submitRegistrationFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const r = await fastRegister(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    formValue: input.formValue,
    cardKey: registrationCardKey(input),
    ...atNow(fx.clock.now(), fx.config.BOT_TIMEZONE),
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
  });
  // the sender may be a leader now: their next event is claimed before it runs, not started on who they were
  return r && { outcome: 'ok', answer: registeredAnswer(r.team), queued: r.queued, changesSender: true };
}

/** The confirmation in place of the form. */
function registeredAnswer(created: TeamRow): CardResponse {
  return raw(registeredCard(teamData(created), eligibleFromOf(created.registeredAt)), { type: 'success', content: `注册成功，班组编号 ${created.code}` });
}

/** The registration form again with what was typed and what is wrong. */
export const registrationFormAgain: OnRefused = async (error, ctx, input) => {
  // registered by the first click: the second shows what the first showed
  if (error instanceof AlreadyDone) {
    const team = await getTeam(ctx.tx, Number(error.record.entityId));
    if (team) return raw(registeredCard(teamData(team), oneYearAfter(team.registeredAt), { before: error instanceof RegisteredBefore }));
  }
  return raw(await registrationForm(ctx, { form: input.value.form, values: input.formValue, error: formErrorOf(error) }));
};
