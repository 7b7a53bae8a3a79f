import { endorsementRequestCard } from '../../cards/applications.js';
import { contactNamedCard, membersCard, profileFormCard } from '../../cards/teams.js';
import { getApplication, summaryOf, endorsementForm } from '../../src/applications.js';
import { AlreadyDone, UserError } from '../../src/errors.js';
import type { CardActionInput, CardRun, HandlerContext, OnRefused } from '../../src/handlers.js';
import { pickerCandidates } from '../../src/people.js';
import { addMembers, profileForm, removeMember, teamLedBy, teamMembersOf, updateTeamProfile } from '../../src/teams.js';
import { needsLookup, personFromLookup } from '../lookup.js';
import { idFrom, idOrZero, pageFrom, raw } from '../respond.js';
import { statusCardFor } from './status.js';
import { teamData } from './view.js';

/** Who the contact picker offers: the people the bot knows, organisation contacts first. */
const contactCandidates = (ctx: HandlerContext, current: string) => pickerCandidates(ctx.tx, { preferRole: 'org_contact', include: [current] });

export const openProfileForm: CardRun = async (ctx, input) => {
  const team = await teamLedBy(ctx.tx, ctx.actor, idFrom(input.value, 'teamId'));
  return raw(profileFormCard(teamData(team), { descriptor: profileForm, candidates: await contactCandidates(ctx, team.contactOpenId) }));
};

export async function saveProfile(ctx: HandlerContext, input: CardActionInput) {
  const teamId = idFrom(input.value, 'teamId');
  const lookup = { picker: 'contact', lookup: 'contactLookup', label: '单位联系人' };
  // someone else's team is refused before the address book is asked; without a look-up, the save's locking read checks it
  if (needsLookup(input.formValue, lookup)) await teamLedBy(ctx.tx, ctx.actor, teamId);
  const formValue = await personFromLookup(ctx, input.formValue, lookup);
  const { team: updated, before, contactChange } = await updateTeamProfile(ctx.tx, ctx.actor, teamId, formValue, ctx.clock.now());
  if (contactChange) {
    const data = teamData({ ...updated, organization: before.organization });
    await ctx.send({ dedupeKey: `team:contact-named:${teamId}:${updated.contactOpenId}`, to: { openId: updated.contactOpenId }, card: contactNamedCard(data) });
    // an application waiting for confirmation (第十五条) follows the contact: the new one gets the request
    for (const applicationId of contactChange.pendingApplicationIds) {
      const row = await getApplication(ctx.tx, applicationId);
      if (!row) continue;
      const summary = summaryOf(row.application, row.team, row.organization, row.cycle.year);
        await ctx.send({ dedupeKey: `endorse:request:${applicationId}:contact:${contactChange.to}:${ctx.eventId}`, to: { openId: contactChange.to }, card: endorsementRequestCard(summary, { descriptor: endorsementForm }) });
    }
  }
  return ctx.afterCommit(async (read) => raw(await statusCardFor(read), { type: 'success', content: '资料已保存' }));
}

/** The profile form again with what was typed and what is wrong. */
export const profileFormAgain: OnRefused = async (error, ctx, input) => {
  if (error instanceof AlreadyDone) return raw(await statusCardFor(ctx));
  const team = await teamLedBy(ctx.tx, ctx.actor, idOrZero(input.value, 'teamId')).catch(() => undefined);
  return team ? raw(profileFormCard(teamData(team), { descriptor: profileForm, candidates: await contactCandidates(ctx, team.contactOpenId), values: input.formValue, error: { field: error.opts.field, message: error.message } })) : undefined;
};

async function membersView(ctx: HandlerContext, teamId: number, opts: { page?: number; error?: UserError; values?: Record<string, unknown> } = {}) {
  // issued together: one round trip (a refusal of the team discards the other two)
  const [team, members, known] = await Promise.all([teamLedBy(ctx.tx, ctx.actor, teamId), teamMembersOf(ctx.tx, teamId), pickerCandidates(ctx.tx)]);
  // the picker offers the people the bot knows who are not in the team yet
  const inTeam = new Set(members.map((m) => m.openId));
  const candidates = known.filter((id) => !inTeam.has(id));
  return membersCard(teamData(team), members, { candidates, page: opts.page, error: opts.error ? { message: opts.error.message } : undefined, values: opts.values });
}

export const showMembers: CardRun = async (ctx, input) => raw(await membersView(ctx, idFrom(input.value, 'teamId'), { page: pageFrom(input.value) }));

export const addTeamMembers: CardRun = async (ctx, input) => {
  const teamId = idFrom(input.value, 'teamId');
  const formValue = await personFromLookup(ctx, input.formValue, { picker: 'members', lookup: 'membersLookup', label: '成员', multiple: true });
  const raw0 = formValue.members;
  const ids = (Array.isArray(raw0) ? raw0 : typeof raw0 === 'string' && raw0 ? [raw0] : []).map(String);
  if (!ids.length) throw new UserError('请选择要添加的成员，或填写其手机号或邮箱。', { field: 'members' });
  if (ids.some((id) => !/^ou_[A-Za-z0-9_-]+$/.test(id))) throw new UserError('所选人员无效，请重新选择。', { field: 'members' });
  const added = await addMembers(ctx.tx, ctx.actor, teamId, ids);
  return ctx.afterCommit(async (read) => raw(await membersView(read, teamId), { type: 'success', content: `已添加 ${added.length} 名成员` }));
};

/** The members card again with who was picked and what is wrong. */
export const membersAgain: OnRefused = async (error, ctx, input) => {
  if (error instanceof AlreadyDone) return raw(await membersView(ctx, idOrZero(input.value, 'teamId')));
  const view = await membersView(ctx, idOrZero(input.value, 'teamId'), { error, values: input.formValue }).catch(() => undefined);
  return view ? raw(view) : undefined;
};

export const removeTeamMember: CardRun = async (ctx, input) => {
  const teamId = idFrom(input.value, 'teamId');
  const openId = String(input.value.openId ?? '');
  await removeMember(ctx.tx, ctx.actor, teamId, openId);
  return ctx.afterCommit(async (read) => raw(await membersView(read, teamId, { page: pageFrom(input.value) }), { type: 'success', content: '已移除' }));
};
