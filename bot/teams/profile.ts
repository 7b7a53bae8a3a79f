import { endorsementRequestCard } from '../../cards/applications.js';
import { contactNamedCard, membersCard, profileFormCard } from '../../cards/teams.js';
import { getApplication } from '../../src/applications.js';
import { UserError } from '../../src/errors.js';
import type { CardActionInput, HandlerContext } from '../../src/handlers.js';
import { addMembers, removeMember, teamLedBy, teamMembersOf, updateTeamProfile } from '../../src/teams.js';
import { idFrom, idOrZero, raw, withUserErrors } from '../respond.js';
import { summaryOf } from '../applications/view.js';
import { statusCardFor } from './status.js';
import { teamData } from './view.js';

export const openProfileForm = withUserErrors(async (ctx, input) => {
  const team = await teamLedBy(ctx.tx, ctx.actor, idFrom(input.value, 'teamId'));
  return raw(profileFormCard(teamData(team)));
});

export const saveProfile = withUserErrors(
  async (ctx: HandlerContext, input: CardActionInput) => {
    const teamId = idFrom(input.value, 'teamId');
    const before = await teamLedBy(ctx.tx, ctx.actor, teamId);
    const { team: updated, contactChange } = await updateTeamProfile(ctx.tx, ctx.actor, teamId, input.formValue, ctx.clock.now());
    if (contactChange) {
      const data = teamData({ ...updated, organization: before.organization });
      await ctx.send({ dedupeKey: `team:contact-named:${teamId}:${updated.contactOpenId}`, to: { openId: updated.contactOpenId }, card: contactNamedCard(data) });
      // an application waiting for confirmation (第十五条) follows the contact: the new one gets the request
      for (const applicationId of contactChange.pendingApplicationIds) {
        const row = await getApplication(ctx.tx, applicationId);
        if (!row) continue;
        const summary = summaryOf(row.application, row.team, row.organization, row.cycle.year);
        await ctx.send({ dedupeKey: `endorse:request:${applicationId}:contact:${contactChange.to}:${ctx.eventId}`, to: { openId: contactChange.to }, card: endorsementRequestCard(summary) });
      }
    }
    return raw(await statusCardFor(ctx), { type: 'success', content: '资料已保存' });
  },
  async (error, ctx, input) => {
    const team = await teamLedBy(ctx.tx, ctx.actor, idOrZero(input.value, 'teamId')).catch(() => undefined);
    return team ? raw(profileFormCard(teamData(team), { values: input.formValue, error: { field: error.opts.field, message: error.message } })) : undefined;
  },
);

async function membersView(ctx: HandlerContext, teamId: number, error?: UserError) {
  const team = await teamLedBy(ctx.tx, ctx.actor, teamId);
  return membersCard(teamData(team), await teamMembersOf(ctx.tx, teamId), error ? { message: error.message } : undefined);
}

export const showMembers = withUserErrors(async (ctx, input) => raw(await membersView(ctx, idFrom(input.value, 'teamId'))));

export const addTeamMembers = withUserErrors(
  async (ctx, input) => {
    const teamId = idFrom(input.value, 'teamId');
    const raw0 = input.formValue.members;
    const ids = (Array.isArray(raw0) ? raw0 : typeof raw0 === 'string' && raw0 ? [raw0] : []).map(String);
    if (!ids.length) throw new UserError('请选择要添加的成员。', { field: 'members' });
    if (ids.some((id) => !/^ou_[A-Za-z0-9_-]+$/.test(id))) throw new UserError('所选人员无效，请重新选择。', { field: 'members' });
    const added = await addMembers(ctx.tx, ctx.actor, teamId, ids);
    return raw(await membersView(ctx, teamId), { type: 'success', content: `已添加 ${added.length} 名成员` });
  },
  async (error, ctx, input) => {
    const view = await membersView(ctx, idOrZero(input.value, 'teamId'), error).catch(() => undefined);
    return view ? raw(view) : undefined;
  },
);

export const removeTeamMember = withUserErrors(async (ctx, input) => {
  const teamId = idFrom(input.value, 'teamId');
  const openId = String(input.value.openId ?? '');
  await removeMember(ctx.tx, ctx.actor, teamId, openId);
  return raw(await membersView(ctx, teamId), { type: 'success', content: '已移除' });
});
