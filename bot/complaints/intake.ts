import { complaintFormCard, complaintReceivedCard, complaintTeamPickerCard } from '../../cards/complaints.js';
import type { Card } from '../../cards/kit.js';
import { complaintForm, complaintFormFor, complaintFromForm, complaintTeam, type ComplaintOptions, createComplaint, findTeams, getComplaint, teamNotFound } from '../../src/complaints.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionInput, CardRun, HandlerContext, IncomingText } from '../../src/handlers.js';
import { idFrom, idOrZero, raw, sendPrivately } from '../respond.js';

/** The complaint services' options from a handler's context: its clock, timezone, admins and outbox. */
export function complaintOptions(ctx: HandlerContext): ComplaintOptions {
  return { now: ctx.clock.now(), timezone: ctx.config.BOT_TIMEZONE, bootstrapAdmins: ctx.config.ADMIN_OPEN_IDS, send: ctx.send, sendIfNew: ctx.sendIfNew };
}

/** The form for a team given by id, name or code; several matches give a picker, none the empty form. */
async function startCard(ctx: HandlerContext, query: string, formKey: string): Promise<Card> {
  if (!query) return complaintFormCard({ descriptor: complaintForm, formKey });
  const found = await findTeams(ctx.tx, query, { partial: true });
  if (found.length === 1) return complaintFormCard({ descriptor: complaintFormFor(true), team: found[0], formKey });
  if (found.length > 1) return complaintTeamPickerCard({ query, teams: found.slice(0, 10) });
  const missing = teamNotFound(query);
  return complaintFormCard({ descriptor: complaintForm, formKey, values: { team: query }, error: { field: missing.opts.field, message: missing.message } });
}

/** 投诉 / complain [班组名称或编号]: the complaint form, sent privately even when asked in a group. */
export async function sendComplaintForm(ctx: HandlerContext, msg: IncomingText, argument: string): Promise<void> {
  await sendPrivately(ctx, msg, `complaint:form:${ctx.eventId}`, { card: await startCard(ctx, argument.trim(), ctx.eventId) }, '投诉表');
}

/** complaint.start {teamId?}: the form, for the picked team if any. */
export const startComplaint: CardRun = async (ctx, input) => {
  if (input.value.teamId === undefined) return raw(complaintFormCard({ descriptor: complaintForm, formKey: ctx.eventId }));
  const team = await complaintTeam(ctx.tx, idFrom(input.value, 'teamId'));
  if (!team) throw new UserError('找不到该班组，请重新发送“投诉”。');
  return raw(complaintFormCard({ descriptor: complaintFormFor(true), team, formKey: ctx.eventId }));
};

/** The complaint form again with what was typed and what is wrong. */
export async function complaintFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput) {
  // sent by the first click: the card shows its reference, as the first answer did
  if (err instanceof AlreadyDone) {
    const found = await getComplaint(ctx.tx, Number(err.record.entityId));
    if (found) return raw(complaintReceivedCard({ reference: found.complaint.reference, team: found.team }));
  }
  const team = await complaintTeam(ctx.tx, idOrZero(input.value, 'teamId'));
  const formKey = typeof input.value.formKey === 'string' ? input.value.formKey : undefined;
  return raw(complaintFormCard({ descriptor: complaintFormFor(team !== undefined), team, formKey, values: input.formValue, error: { field: err.opts.field, message: err.message } }));
}

/** complaint.submit: stores the complaint (the admin group is alerted at once) and shows its reference. */
export const submitComplaint: CardRun = async (ctx, input) => {
  const formKey = typeof input.value.formKey === 'string' && input.value.formKey ? input.value.formKey : undefined;
  const before = formKey ? await complaintFromForm(ctx.tx, formKey, ctx.actor.openId) : undefined;
  if (before) throw new AlreadyDone('提交', { action: 'complaint.create', entity: 'complaint', entityId: before.id }, `该投诉（编号 ${before.reference}）`);
  const { complaint, team } = await createComplaint(
    ctx.tx,
    {
      team: input.formValue.team,
      teamId: input.value.teamId === undefined ? undefined : idFrom(input.value, 'teamId'),
      content: input.formValue.content,
      contact: input.formValue.contact,
      channel: 'chat',
      complainantOpenId: ctx.actor.openId,
      formKey,
    },
    complaintOptions(ctx),
  );
  return raw(complaintReceivedCard({ reference: complaint.reference, team }), { type: 'success', content: `投诉已受理，编号 ${complaint.reference}` });
};
