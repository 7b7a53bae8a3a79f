import { complaintFormCard, complaintOutcomeCard, complaintReceivedCard, complaintTeamPickerCard, PICKER_CONTACT_MAX, PICKER_CONTENT_MAX } from '../../cards/complaints.js';
import { INPUT_MAX_LENGTH } from '../../cards/forms.js';
import { type Card, cutText } from '../../cards/kit.js';
import { z } from 'zod';
import {
  complaintForm,
  complaintFormFor,
  complaintFromForm,
  complaintTeam,
  type ComplaintOptions,
  ComplaintRepeated,
  complaintSummary,
  complaintYear,
  createComplaint,
  findTeams,
  getComplaint,
  nearTeams,
  type OrganizationMeant,
  complaintTeamsNamed,
  organizationNamedExactly,
  organizationNamedPartly,
  OrganizationNamed,
  organizationNamed,
  readComplaintIntake,
  teamAtStart,
  TeamNotFound,
  teamNotFound,
  teamSought,
} from '../../src/complaints.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import { fastSubmitComplaint } from '../../src/fast/complaint.js';
import type { CardActionInput, CardRun, FastContext, FastOutcome, HandlerContext, IncomingText } from '../../src/handlers.js';
import { simplified } from '../../src/traditional.js';
import { id, idFrom, idOrZero, raw, sendPrivately, values } from '../respond.js';

/** The complaint services' options from a handler's context: its clock, timezone, admins and outbox. */
export function complaintOptions(ctx: HandlerContext): ComplaintOptions {
  return { now: ctx.clock.now(), timezone: ctx.config.BOT_TIMEZONE, bootstrapAdmins: ctx.config.ADMIN_OPEN_IDS, send: ctx.send, sendIfNew: ctx.sendIfNew };
}

/**
 * The form for a team given by id, name or code; several matches give a picker, none the empty form. The name followed
 * by the complaint itself (`市政养护一班，路面开裂`) is that team's form with the words after it as the content.
 */
async function startCard(ctx: HandlerContext, query: string, formKey: string): Promise<Card> {
  if (!query) return complaintFormCard({ descriptor: complaintForm, formKey });
  const { teams: found, exact } = await complaintTeamsNamed(ctx.tx, query, { partial: true });
  if (found.length === 1) return complaintFormCard({ descriptor: complaintFormFor(true), team: found[0], formKey });
  if (found.length > 1) return complaintTeamPickerCard({ query, teams: found });
  // an organisation's name (投诉 广州市政公司): its title holders to pick from; part of one, after a team's name or a slip
  const named = exact && (await organizationNamedExactly(ctx.tx, query, exact));
  if (named) return organizationCard(query, named);
  const started = await teamAtStart(ctx.tx, query) ?? (await slipAtStart(ctx, query));
  if (started) return cardOfStart(ctx, started, formKey);
  const org = await organizationNamedPartly(ctx.tx, query);
  if (org) return organizationCard(query, org);
  // a slip (广州市政养护三斑): the title holders it may mean, each a button; nothing is filed until one is named
  const missing = teamNotFound(query, await nearTeams(ctx.tx, query), { buttons: true });
  return complaintFormCard({ descriptor: complaintForm, formKey, values: { team: query }, error: formErrorOf(missing), suggested: missing.near });
}

/**
 * An organisation typed for the team: the picker of its title holders (a button each opening that team's form, as for a
 * name several teams share).
 */
function organizationCard(query: string, org: OrganizationMeant): Card {
  return complaintTeamPickerCard({ query, teams: org.teams, organization: { name: org.name, exact: org.exact } });
}

/**
 * A team's name typed with a slip at the start of the text, the complaint after it (广州市政养护三斑 人行道砖松动, or glued,
 * 投诉广州市政养护三斑): as a team not found, so cardOfStart offers the title holders it may mean with the words carried on.
 */
async function slipAtStart(ctx: HandlerContext, text: string): Promise<Started | undefined> {
  const m = /^(\S+?)(?:[\s,，、:：;；。]+([\s\S]*))?$/.exec(text.trim());
  const near = m ? await nearTeams(ctx.tx, m[1]) : [];
  return m && near.length ? { query: m[1], teams: [], rest: (m[2] ?? '').trim(), near } : undefined;
}

/** What a text starts with (teamAtStart), or a slip there with the title holders it may mean (slipAtStart, `near`). */
type Started = NonNullable<Awaited<ReturnType<typeof teamAtStart>>> & { near?: Awaited<ReturnType<typeof nearTeams>> };

/** The team a text starts with: its form, the rest of the text as the content; a name several teams share, the picker. */
async function cardOfStart(ctx: HandlerContext, started: Started, formKey: string): Promise<Card> {
  // the card's input holds less than the words a message can carry: what it cannot hold is said, not dropped unseen
  const kept = Math.min(complaintForm.fields.content.maxLength, INPUT_MAX_LENGTH);
  const content = cutText(started.rest, kept);
  const cut =
    started.rest.length > kept
      ? `你发送的投诉内容有 ${started.rest.length} 字，表单只能保留前 ${kept} 字，后面的内容没有填入。请精简到 ${kept} 字以内再提交。`
      : undefined;
  const [only, ...others] = started.teams;
  if (only && !others.length) {
    return complaintFormCard({ descriptor: complaintFormFor(true), team: only, formKey, values: content ? { content } : undefined, ...(cut ? { error: { field: 'content', message: cut } } : {}) });
  }
  if (others.length) return complaintTeamPickerCard({ query: started.query, teams: started.teams, content: started.rest || undefined });
  // a code no team has: the title holders' codes one slip from it
  const missing = teamNotFound(started.query, started.near ?? (await nearTeams(ctx.tx, started.query)), { buttons: true });
  return complaintFormCard({
    descriptor: complaintForm,
    formKey,
    values: { team: started.query, ...(content ? { content } : {}) },
    error: { field: missing.opts.field, message: cut ? `${missing.message}${cut}` : missing.message },
    suggested: missing.near,
  });
}

/** Words that make what follows 投诉 a question (怎么、如何、什么、流程…; how, what, process…) rather than a team's name. */
const asksAbout = (text: string) => /怎么|怎样|如何|什么|哪里|是否|能否|可以吗|流程|程序|规定|[吗呢][？?]?$|[？?]|^(?:how|what|where|when|why|can|is|does|do)\b|\b(?:process|procedure|rules?)\b/i.test(text.trim());

/** A team named only in general (`complain about a team`, `投诉 某个班组`): no team, so the empty form rather than 找不到班组“a team”. */
const ANY_TEAM = /^(?:(?:a|an|the|one|some|this|that|my)\s+)?(?:team|group|crew|work\s*team)s?$|^(?:一个|某个|某一?个?|这个|那个|一)?(?:班组|团队|队伍|施工队)$/i;

/** What names the team in `投诉 对市政养护一班` or `complain about …`: the words before the name left out. */
const teamQuery = (argument: string) => {
  // complain about, complain against (nothing after): the form, not a team named about
  const query = argument.trim().replace(/^(?:对|关于|(?:about|against)(?:\s+|$))/i, '').trim();
  return ANY_TEAM.test(query) ? '' : query;
};

/**
 * 投诉 / complain [班组名称或编号]: the complaint form, sent privately even when asked in a group. Typed with no space
 * (投诉市政养护一班，路面开裂), it is a complaint only when the rest starts with a team's name or a code; otherwise a
 * question (投诉处理、投诉怎么处理) for the measures.
 */
export async function sendComplaintForm(ctx: HandlerContext, msg: IncomingText, argument: string, how?: { glued: boolean }): Promise<void | false> {
  const query = teamQuery(argument);
  let card: Card;
  if (how?.glued) {
    const started = (await teamAtStart(ctx.tx, query)) ?? (await slipAtStart(ctx, query));
    // 投诉广州市政公司: an organisation's whole name glued on (part of one may be a question: 投诉处理)
    const org = started ? undefined : await organizationNamedExactly(ctx.tx, query);
    if (org) card = organizationCard(query, org);
    else if (!started) return false;
    else card = await cardOfStart(ctx, started, ctx.eventId);
  } else {
    // `投诉 怎么处理`, `complain how does it work`: a question about complaints, not a team, when no team is named
    if (asksAbout(query) && !(await findTeams(ctx.tx, query, { partial: true })).length && !(await teamAtStart(ctx.tx, query))) return false;
    card = await startCard(ctx, query, ctx.eventId);
  }
  await sendPrivately(ctx, msg, `complaint:form:${ctx.eventId}`, { card }, '投诉表');
}

/** complaint.start {teamId?, content?}: the form, for the picked team if any, with what was typed after its name. */
export const startComplaint: CardRun = async (ctx, input) => {
  if (input.value.teamId === undefined) return raw(complaintFormCard({ descriptor: complaintForm, formKey: ctx.eventId }));
  const team = await complaintTeam(ctx.tx, idFrom(input.value, 'teamId'));
  if (!team) throw new UserError('找不到该班组，请重新发送“投诉”。');
  const content = typeof input.value.content === 'string' ? input.value.content : '';
  const contact = typeof input.value.contact === 'string' ? input.value.contact : '';
  return raw(complaintFormCard({ descriptor: complaintFormFor(true), team, formKey: ctx.eventId, values: content || contact ? { ...(content ? { content } : {}), ...(contact ? { contact } : {}) } : undefined }));
};

/** The complaint form again with what was typed and what is wrong. */
export async function complaintFormAgain(err: UserError, ctx: HandlerContext, input: CardActionInput) {
  // sent by the first click: the card shows its reference, as the first answer did; decided since, the outcome sent
  if (err instanceof AlreadyDone) {
    const found = await getComplaint(ctx.tx, Number(err.record.entityId));
    if (found?.complaint.status !== 'open' && found) return decidedAgain(ctx, found);
    if (found) return raw(complaintReceivedCard({ reference: found.complaint.reference, team: found.team }));
  }
  // the same words about the same team sent again from a new form: the first complaint's card, nothing filed twice
  if (err instanceof ComplaintRepeated) {
    const found = err.first.status !== 'open' ? await getComplaint(ctx.tx, err.first.id) : undefined;
    if (found) return decidedAgain(ctx, found);
    return raw(complaintReceivedCard({ reference: err.first.reference, team: err.first.team }), { type: 'info', content: err.message });
  }
  const team = await complaintTeam(ctx.tx, idOrZero(input.value, 'teamId'));
  const formKey = typeof input.value.formKey === 'string' ? input.value.formKey : undefined;
  // a team typed with a slip, or an organisation: the teams it may mean, as buttons carrying what was typed
  const suggested = err instanceof TeamNotFound && err.near.length ? err.near : undefined;
  const error =
    err instanceof OrganizationNamed
      ? formErrorOf(organizationNamed(err.typed, err.organization, { buttons: true }))
      : suggested
        ? formErrorOf(teamNotFound(String(input.formValue.team ?? ''), suggested, { buttons: true }))
        : formErrorOf(err);
  return raw(complaintFormCard({ descriptor: complaintFormFor(team !== undefined), team, formKey, values: input.formValue, error, suggested }));
}

/**
 * A complaint sent again once decided: not “协会将核查处理”, but that it was handled, with the outcome card its
 * complainant was sent (the same one 投诉 <编号> shows them).
 */
function decidedAgain(ctx: HandlerContext, found: NonNullable<Awaited<ReturnType<typeof getComplaint>>>) {
  const c = found.complaint;
  return raw(complaintOutcomeCard(complaintSummary(c, found.team, ctx.config.BOT_TIMEZONE)), {
    type: 'info',
    content: `这份投诉已经提交过（投诉编号 ${c.reference}），协会已处理，处理结果已通知你，无需重复提交。`,
  });
}

/** What a team picked from several (or suggested for a slip) carries: the team, and what was typed after its name or on the refused form when the button kept it (a forged longer one is a stale button, not a form of it). */
export const complaintStartValue = values({ teamId: id.optional(), content: z.string().max(PICKER_CONTENT_MAX).optional(), contact: z.string().max(PICKER_CONTACT_MAX).optional() });

/** What a 提交 button of the complaint form carries: the team when it was picked, and the form's key. */
export const complaintSubmitValue = values({ teamId: id.optional(), formKey: z.string().max(200).optional() });

const formKeyOf = (value: Record<string, unknown>) => (typeof value.formKey === 'string' && value.formKey ? value.formKey : undefined);

/** The answer to a complaint taken: its reference, to keep. */
const receivedAnswer = (reference: string, team: { name: string; code: string }) =>
  raw(complaintReceivedCard({ reference, team }), { type: 'success', content: `投诉已受理，编号 ${reference}` });

/** complaint.submit: stores the complaint (the admin group is alerted at once) and shows its reference. */
export const submitComplaint: CardRun = async (ctx, input) => {
  const formKey = formKeyOf(input.value);
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
  return receivedAnswer(complaint.reference, team);
};

/**
 * `complaint.submit` on PostgreSQL, in one round trip (src/fast/complaint.ts): a complaint taken, answered as
 * `submitComplaint` answers it. Undefined for everything else, which `submitComplaint` then does as it always did:
 * a button whose value does not parse (the registry's refusal), what was typed refused by the form (the same
 * parser, before anything is sent), a team not found or ambiguous, a form sent before, an event seen before.
 */
export async function submitComplaintFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const value = complaintSubmitValue.safeParse(input.value);
  if (!value.success) return undefined;
  const { teamId } = value.data;
  let typed: ReturnType<typeof readComplaintIntake>;
  try {
    typed = readComplaintIntake({ team: input.formValue.team, teamId, content: input.formValue.content, contact: input.formValue.contact });
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  const sought = teamId !== undefined ? { id: teamId } : teamSought(typed.team ?? '');
  // a certificate's number, and a name in traditional characters (廣州養護一班), are looked up by the ordinary path
  if (!sought || ('certificate' in sought && sought.certificate !== undefined)) return undefined;
  if ('q' in sought && sought.q !== undefined && simplified(sought.q) !== sought.q) return undefined;
  const now = fx.clock.now();
  const done = await fastSubmitComplaint(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    team: 'id' in sought ? sought : sought.code !== undefined ? { code: sought.code } : { name: sought.q! },
    formKey: formKeyOf(value.data),
    content: typed.content,
    contact: typed.contact,
    year: complaintYear({ now, timezone: fx.config.BOT_TIMEZONE }),
    now,
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
  });
  if (!done) return undefined;
  return { outcome: 'ok', answer: receivedAnswer(done.reference, done.team), queued: done.queued };
}
