import { contactNamedCard, registeredCard, registrationFormCard } from '../../cards/teams.js';
import { oneYearAfter } from '../../src/applications.js';
import { AlreadyDone } from '../../src/errors.js';
import type { CardActionInput, HandlerContext, IncomingText, OnRefused } from '../../src/handlers.js';
import { formatDateZh } from '../../src/dates.js';
import { pickerCandidates } from '../../src/people.js';
import { getTeam, registerTeam, registrationForm as registrationDescriptor } from '../../src/teams.js';
import { personFromLookup } from '../lookup.js';
import { raw, sendPrivately, today } from '../respond.js';
import { teamData } from './view.js';

/** `注册`: the registration form, always in the p2p chat (a form is personal). */
export async function sendRegistrationForm(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  await sendPrivately(ctx, msg, `team:form:${ctx.eventId}`, { card: await registrationForm(ctx) }, '注册表');
}

export async function openRegistrationForm(ctx: HandlerContext) {
  return raw(await registrationForm(ctx));
}

/** The form, its pickers offering the people the bot knows, organisation contacts first. */
async function registrationForm(ctx: HandlerContext, again?: { values: Record<string, unknown>; error: { field?: string; message: string } }) {
  const candidates = await pickerCandidates(ctx.tx, { preferRole: 'org_contact', include: [ctx.actor.openId] });
  return registrationFormCard({ descriptor: registrationDescriptor, leaderOpenId: ctx.actor.openId, candidates, ...again });
}

/** Submit of the registration form. */
export async function submitRegistration(ctx: HandlerContext, input: CardActionInput) {
  const formValue = await personFromLookup(ctx, input.formValue, { picker: 'contact', lookup: 'contactLookup', label: '单位联系人' });
  const created = await registerTeam(ctx.tx, ctx.actor, formValue, today(ctx));
  const team = teamData(created);
    const eligibleFrom = formatDateZh(oneYearAfter(created.registeredAt));
  // the leader sees the confirmation in place of the form; a leader named by an administrator is told by message
  if (team.leaderOpenId !== ctx.actor.openId) {
    await ctx.send({ dedupeKey: `team:registered:${team.id}`, to: { openId: team.leaderOpenId }, card: registeredCard(team, eligibleFrom) });
  }
  await ctx.send({ dedupeKey: `team:contact-named:${team.id}:${team.contactOpenId}`, to: { openId: team.contactOpenId }, card: contactNamedCard(team) });
  return raw(registeredCard(team, eligibleFrom), { type: 'success', content: `注册成功，班组编号 ${team.code}` });
}

/** The registration form again with what was typed and what is wrong. */
export const registrationFormAgain: OnRefused = async (error, ctx, input) => {
  // registered by the first click: the second shows what the first showed
  if (error instanceof AlreadyDone) {
    const team = await getTeam(ctx.tx, Number(error.record.entityId));
    if (team) return raw(registeredCard(teamData(team), oneYearAfter(team.registeredAt)));
  }
  return raw(await registrationForm(ctx, { values: input.formValue, error: { field: error.opts.field, message: error.message } }));
};
