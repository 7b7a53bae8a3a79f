import { pickedValues } from '../../cards/forms.js';
import { contactNamedCard, membersCard, profileFormCard } from '../../cards/teams.js';
import { contactHandOverMessages } from '../../src/endorsementCards.js';
import { formLabels } from '../../src/forms.js';
import { AlreadyDone, formErrorOf, UserError } from '../../src/errors.js';
import type { Db } from '../../db/index.js';
import { formatDateZh, todayIn } from '../../src/dates.js';
import { fastAddMembers, fastRemoveMember, fastSaveProfile } from '../../src/fast/teams.js';
import type { Card } from '../../cards/kit.js';
import { type CardActionInput, type CardResponse, type CardRun, type FastContext, type FastOutcome, type HandlerContext, type IncomingText, type OnRefused, toastFor } from '../../src/handlers.js';
import { isPending } from '../../src/import/people.js';
import { announceRecusals } from '../../src/review/recusal.js';
import { type Actor, hasRole, pickerCandidates } from '../../src/people.js';
import { addMembers, getTeam, ledBy, parseProfile, profileForm, profileSchema, removeMember, teamLedBy, teamMembersOf, teamsOf, updateTeamProfile } from '../../src/teams.js';
import { needsLookup, personFromLookup } from '../lookup.js';
import { idFrom, idOrZero, pageFrom, raw, sendPrivately, today, typedCode } from '../respond.js';
import { statusCardFor, statusCardOf, workOf } from './status.js';
import { backFor, teamData, teamForCommand } from './view.js';

/** Who the contact picker offers: the people the bot knows, organisation contacts first. */
const contactCandidates = (ctx: Pick<HandlerContext, 'tx'>, current: string) => pickerCandidates(ctx.tx, { preferRole: 'org_contact', include: [isPending(current) ? undefined : current] });

/**
 * The team as its form shows it: a contact imported and not yet linked (or kept pending as the leader was named its
 * contact too) has no open_id a picker can show, so the picker starts empty, for the leader to choose one.
 */
const formTeam = (team: Parameters<typeof teamData>[0]) => ({ ...teamData(team), ...(isPending(team.contactOpenId) ? { contactOpenId: '' } : {}) });

/** 修改资料's form for a team the actor leads (or any, for an administrator). */
async function profileFormOf(ctx: Pick<HandlerContext, 'tx' | 'actor'>, teamId: number) {
  const team = await teamLedBy(ctx.tx, ctx.actor, teamId);
  return profileFormCard(formTeam(team), { descriptor: profileForm, candidates: await contactCandidates(ctx, team.contactOpenId), back: backFor(ctx.actor, team) });
}

/**
 * What a save answers an administrator who does not lead the team with: its form again, as saved (their 进度 holds no
 * such team); undefined for its leader, whose 进度 it is.
 */
async function savedFormForAdmin(db: Db, openId: string, teamId: number): Promise<Card | undefined> {
  const actor: Actor = { openId, name: null, roles: ['admin'] };
  const team = await getTeam(db, teamId);
  if (!team || backFor(actor, team) !== 'admin') return undefined;
  return profileFormOf({ tx: db, actor }, teamId);
}

export const openProfileForm: CardRun = async (ctx, input) => raw(await profileFormOf(ctx, idFrom(input.value, 'teamId')));

// a contact not found is told with the form's other problems, all in one round
const contactLookup = { picker: 'contact', lookup: 'contactLookup', label: '单位联系人', form: { schema: profileSchema, labels: formLabels(profileForm) } };
const savedToast = { type: 'success' as const, content: '资料已保存' };

export async function saveProfile(ctx: HandlerContext, input: CardActionInput) {
  const teamId = idFrom(input.value, 'teamId');
  const lookup = contactLookup;
  // someone else's team is refused before the address book is asked; without a look-up, the save's locking read checks it
  if (needsLookup(input.formValue, lookup)) await teamLedBy(ctx.tx, ctx.actor, teamId);
  const formValue = await personFromLookup(ctx, input.formValue, lookup);
  const { team: updated, before, contactChange, recusals } = await updateTeamProfile(ctx.tx, ctx.actor, teamId, formValue, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  if (contactChange) {
    const data = teamData({ ...updated, organization: before.organization });
    // one notice per change (the event's id): someone named again, after another contact in between, is told again
    const card = contactNamedCard(data, { waiting: contactChange.pendingApplicationIds.length, ...(updated.leaderOpenId === ctx.actor.openId ? {} : { byAdmin: ctx.actor.openId }) });
    await ctx.send({ dedupeKey: `team:contact-named:${teamId}:${updated.contactOpenId}:${ctx.eventId}`, to: { openId: updated.contactOpenId }, card });
    // the contact replaced is told who replaced them and when; an application waiting for confirmation (第十五条)
    // follows the contact, the new one gets the request (an import changing a contact does the same)
    const by = { openId: ctx.actor.openId, byLeader: updated.leaderOpenId === ctx.actor.openId, on: formatDateZh(today(ctx)) };
    for (const message of await contactHandOverMessages(ctx.tx, updated, contactChange, ctx.eventId, by)) await ctx.send(message);
  }
  // a new contact who held the team's application to score has stepped aside (第十七条)
  await announceRecusals(ctx, recusals);
  return ctx.afterCommit(async (read) => raw((hasRole(read.actor, 'admin') && (await savedFormForAdmin(read.tx, read.actor.openId, teamId))) || (await statusCardFor(read)), savedToast));
}

/**
 * 班组资料 保存 in one round trip on PostgreSQL (src/fast/teams.ts), when it succeeds without a change of contact or
 * name; a look-up by mobile or e-mail (it asks Feishu), a new contact, a new name, a form that does not parse, or anything else the
 * statement leaves answers undefined having written nothing, and `saveProfile` runs.
 */
export async function saveProfileFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const teamId = idOrZero(input.value, 'teamId');
  if (!teamId || needsLookup(input.formValue, contactLookup)) return undefined;
  let patch;
  try {
    patch = parseProfile(input.formValue);
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  const event = { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, teamId, bootstrapAdmins: fx.config.ADMIN_OPEN_IDS };
  const now = fx.clock.now();
  const done = await fastSaveProfile(fx.database, event, patch, now, (db) =>
    statusCardOf(db, fx.openId, todayIn(fx.config.BOT_TIMEZONE, now), 1, fx.config.BOT_TIMEZONE, now, workOf(db, fx.openId, fx.config.ADMIN_OPEN_IDS)),
  );
  if (!done) return undefined;
  // an administrator's save of a team they do not lead: its form again, read after the COMMIT (rare: one more round trip)
  const form = done.admin ? await savedFormForAdmin(fx.database.db, fx.openId, teamId) : undefined;
  return { outcome: 'ok', answer: raw(form ?? done.read, savedToast) };
}

/** The profile form again with what was typed and what is wrong. */
export const profileFormAgain: OnRefused = async (error, ctx, input) => {
  if (error instanceof AlreadyDone) return raw(await statusCardFor(ctx));
  const team = await teamLedBy(ctx.tx, ctx.actor, idOrZero(input.value, 'teamId')).catch(() => undefined);
  return team ? raw(profileFormCard(formTeam(team), { descriptor: profileForm, candidates: await contactCandidates(ctx, team.contactOpenId), values: input.formValue, error: formErrorOf(error), back: backFor(ctx.actor, team) })) : undefined;
};

/** What the members card is drawn from, issued together: one round trip (`teamLedBy`'s refusal is made from the team read). */
function membersReads(db: Db, teamId: number) {
  return Promise.all([getTeam(db, teamId), teamMembersOf(db, teamId), pickerCandidates(db)]);
}

type MembersOpts = { page?: number; error?: UserError; values?: Record<string, unknown> };

/** The members card from its reads; refuses as `teamLedBy` does a team gone or not the actor's. */
function membersDrawn(actor: Actor, [team, members, known]: Awaited<ReturnType<typeof membersReads>>, opts: MembersOpts = {}) {
  const led = ledBy(actor, team);
  // the picker offers the people the bot knows who are not in the team yet
  const inTeam = new Set(members.map((m) => m.openId));
  const candidates = known.filter((id) => !inTeam.has(id));
  return membersCard(teamData(led), members, { candidates, page: opts.page, error: opts.error ? { message: opts.error.message } : undefined, values: opts.values, back: backFor(actor, led) });
}

async function membersView(ctx: HandlerContext, teamId: number, opts: MembersOpts = {}) {
  return membersDrawn(ctx.actor, await membersReads(ctx.tx, teamId), opts);
}

export const showMembers: CardRun = async (ctx, input) => raw(await membersView(ctx, idFrom(input.value, 'teamId'), { page: pageFrom(input.value) }));

/** Said to someone who leads no team and types 修改资料 or 班组成员. */
export const onlyLeadersEdit = '只有班组长可以修改班组资料和成员：请本班组的班组长发送“进度”，在班组下点“修改资料”或“班组成员”。';
/** Said to an administrator who leads no team and types 修改资料 or 班组成员 alone: any team's, named by its code. */
const adminsEdit = (command: string) =>
  `协会管理员可以修改任一班组的资料和成员：请在命令后写上班组编号，如“${command} GDSZ-2025-0001”（各班组的编号在名册中，发送“导出名册”获取）；更换班组长发送“更换班组长 班组编号”。`;

/**
 * 修改资料 / 班组成员 typed, the labels of the 进度 card's buttons: the leader of one team gets that card, a leader of
 * several their 进度 (each team with both buttons), anyone else who may. With a team's code or full name (修改资料
 * GDSZ-2025-0001, 班组成员 市政养护一班), that team's card, for its leader or an administrator (`teamForCommand`);
 * anything else after the name (班组成员有哪些) goes where it went before, to the measures.
 */
function typedTeamButton(cardOf: (ctx: HandlerContext, teamId: number) => Promise<Card>, what: string, command: string) {
  return async (ctx: HandlerContext, msg: IncomingText, argument = '', how?: { glued: boolean }): Promise<void | false> => {
    const key = `team:typed:${ctx.eventId}`;
    if (argument) {
      const found = await teamForCommand(ctx, typedCode(argument), { glued: how?.glued, command });
      if (!found) return false;
      if ('text' in found) return sendPrivately(ctx, msg, key, { text: found.text }, '说明');
      try {
        return await sendPrivately(ctx, msg, key, { card: await cardOf(ctx, found.team.id) }, what);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        return sendPrivately(ctx, msg, key, { text: err.message }, '说明');
      }
    }
    const led = (await teamsOf(ctx.tx, ctx.actor.openId)).filter((v) => v.myRole === 'leader');
    if (led.length === 1) return sendPrivately(ctx, msg, key, { card: await cardOf(ctx, led[0].team.id) }, what);
    if (led.length > 1) return sendPrivately(ctx, msg, key, { card: await statusCardFor(ctx) }, '进度卡片');
    await sendPrivately(ctx, msg, key, { text: hasRole(ctx.actor, 'admin') ? adminsEdit(command) : onlyLeadersEdit }, '说明');
  };
}

export const sendProfileForm = typedTeamButton(profileFormOf, '修改资料卡片', '修改资料');
export const sendMembers = typedTeamButton((ctx, teamId) => membersView(ctx, teamId), '班组成员卡片', '班组成员');

/** The members picked, as the form gives them (one or many). */
const pickedIds = (formValue: Record<string, unknown>) => pickedValues(formValue.members);

const validOpenId = (id: string) => /^ou_[A-Za-z0-9_-]+$/.test(id);
const membersLookup = { picker: 'members', lookup: 'membersLookup', label: '成员', multiple: true };
const addedToast = (n: number) => ({ type: 'success' as const, content: `已添加 ${n} 名成员` });
const removedToast = { type: 'success' as const, content: '已移除' };

export const addTeamMembers: CardRun = async (ctx, input) => {
  const teamId = idFrom(input.value, 'teamId');
  const formValue = await personFromLookup(ctx, input.formValue, membersLookup);
  const ids = pickedIds(formValue);
  if (!ids.length) throw new UserError('请选择要添加的成员，或填写其手机号或邮箱。', { field: 'members' });
  if (!ids.every(validOpenId)) throw new UserError('所选人员无效，请重新选择。', { field: 'members' });
  const { added, recusals } = await addMembers(ctx.tx, ctx.actor, teamId, ids, ctx.clock.now(), ctx.config.BOT_TIMEZONE);
  // a new member who held the team's application to score has stepped aside (第十七条)
  await announceRecusals(ctx, recusals);
  return ctx.afterCommit(async (read) => raw(await membersView(read, teamId), addedToast(added.length)));
};

/**
 * The members card after a fast path's COMMIT, as `ctx.afterCommit` answers it: a refusal of the team read then
 * (gone, or no longer the actor's) is told as a toast alone.
 */
function membersAnswer(fx: FastContext, admin: boolean, reads: Awaited<ReturnType<typeof membersReads>>, toast: NonNullable<CardResponse['toast']>, page?: number): CardResponse {
  try {
    return raw(membersDrawn({ openId: fx.openId, name: null, roles: admin ? ['admin'] : [] }, reads, { page }), toast);
  } catch (err) {
    if (err instanceof UserError) return { toast: toastFor(err) };
    throw err;
  }
}

/**
 * 添加成员 in one round trip on PostgreSQL (src/fast/teams.ts), when it succeeds as picked; a look-up by mobile or
 * e-mail (it asks Feishu), a pick that `addTeamMembers` refuses, or anything the statement leaves answers undefined
 * having written nothing, and `addTeamMembers` runs.
 */
export async function addTeamMembersFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const teamId = idOrZero(input.value, 'teamId');
  if (!teamId || needsLookup(input.formValue, membersLookup)) return undefined;
  const ids = pickedIds(input.formValue);
  if (!ids.length || !ids.every(validOpenId)) return undefined;
  const event = { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, teamId, bootstrapAdmins: fx.config.ADMIN_OPEN_IDS };
  // distinct, in the order picked, as addMembers takes them
  const done = await fastAddMembers(fx.database, event, [...new Set(ids)], fx.clock.now(), (db) => membersReads(db, teamId));
  return done && { outcome: 'ok', answer: membersAnswer(fx, done.admin, done.read, addedToast(done.added.length)) };
}

/** The members card again with who was picked and what is wrong. */
export const membersAgain: OnRefused = async (error, ctx, input) => {
  if (error instanceof AlreadyDone) return raw(await membersView(ctx, idOrZero(input.value, 'teamId')));
  const view = await membersView(ctx, idOrZero(input.value, 'teamId'), { error, values: input.formValue }).catch(() => undefined);
  return view ? raw(view) : undefined;
};

/** 移除 clicked again: the members as they are, on the page clicked. */
export const removedAgain: OnRefused = async (error, ctx, input) => {
  if (!(error instanceof AlreadyDone)) return undefined;
  return raw(await membersView(ctx, idOrZero(input.value, 'teamId'), { page: pageFrom(input.value) }));
};

export const removeTeamMember: CardRun = async (ctx, input) => {
  const teamId = idFrom(input.value, 'teamId');
  const openId = String(input.value.openId ?? '');
  await removeMember(ctx.tx, ctx.actor, teamId, openId, ctx.clock.now());
  return ctx.afterCommit(async (read) => raw(await membersView(read, teamId, { page: pageFrom(input.value) }), removedToast));
};

/** 移除成员 in one round trip on PostgreSQL (src/fast/teams.ts), when it succeeds; anything else is left to `removeTeamMember`. */
export async function removeTeamMemberFast(fx: FastContext, input: CardActionInput): Promise<FastOutcome | undefined> {
  const teamId = idOrZero(input.value, 'teamId');
  if (!teamId) return undefined;
  const event = { eventId: fx.eventId, eventType: fx.eventType, openId: fx.openId, teamId, bootstrapAdmins: fx.config.ADMIN_OPEN_IDS };
  const done = await fastRemoveMember(fx.database, event, String(input.value.openId ?? ''), fx.clock.now(), (db) => membersReads(db, teamId));
  return done && { outcome: 'ok', answer: membersAnswer(fx, done.admin, done.read, removedToast, pageFrom(input.value)) };
}

