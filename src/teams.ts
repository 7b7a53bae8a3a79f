import { and, asc, desc, eq, sql, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { applications, auditLog, certificates, codeSequences, cycles, honours, organizations, people, teamMembers, teams } from '../db/schema.js';
import { audit } from './audit.js';
import { DEFAULT_TIMEZONE, runningStatuses } from './cycles.js';
import { AlreadyDone, cite, UserError } from './errors.js';
import { numberField, openIdField, option, optionalText, parseForm, text, defineForm, formLabels, formSchema, type FormValues } from './forms.js';
import { organizationKey, upsertOrganization } from './organizations.js';
import { type Actor, ensurePerson, grantRole } from './people.js';
import { PHONE_MAX_LENGTH, phoneRule } from './phone.js';
import { lockRunningCyclesFirst, type Recusal, recuseInsiders } from './review/recusal.js';
import { StateMachine } from './stateMachine.js';

/** 第二条: an administrative team, a project team or a department. */
export const teamTypes = [
  { value: 'administrative', label: '行政班组' },
  { value: 'project', label: '项目团队' },
  { value: 'department', label: '部门' },
] as const;
export type TeamType = (typeof teamTypes)[number]['value'];
export const teamTypeLabel = (v: string) => teamTypes.find((t) => t.value === v)?.label ?? v;

/** 注册表 (第十二条): each field once; the card, the checks and the tests come from it. */
export const registrationForm = defineForm({
  name: 'registration',
  title: '注册表',
  fields: {
    teamName: { kind: 'text', label: '班组名称', maxLength: 50 },
    organization: { kind: 'text', label: '所属单位', maxLength: 100, placeholder: '单位全称' },
    department: { kind: 'text', label: '主管部门', maxLength: 100 },
    teamType: { kind: 'select', label: '班组类型', article: '第二条', options: teamTypes },
    leader: { kind: 'person', label: '班组长', help: '默认为你本人', required: false },
    phone: {
      kind: 'text',
      label: '联系电话',
      maxLength: PHONE_MAX_LENGTH,
      // shown: an example no data-loss prevention (DLP) takes for a number; `example` is a valid value, for tests
      placeholder: '如 020-××××××××',
      example: '020-12345678',
      // as 协会联系方式's 电话 takes one (an extension after 转), a mobile typed a digit short or long refused
      ...phoneRule('联系电话'),
    },
    memberCount: { kind: 'integer', label: '成员人数', min: 1, max: 500, unit: '人', placeholder: '例如 12' },
    functions: { kind: 'longText', label: '主要职能', maxLength: 500 },
    goals: { kind: 'longText', label: '创建目标', article: '第四条', maxLength: 1000 },
    plan: { kind: 'longText', label: '活动计划与实施措施', article: '第四条', maxLength: 1000 },
    contact: { kind: 'person', label: '单位联系人', article: '第十五条', help: '确认申报材料' },
    // one person: what is typed here wins over the picker (needsLookup, bot/lookup.ts)
    contactLookup: { kind: 'text', label: '列表中没有单位联系人？填其手机号或邮箱', maxLength: 500, required: false, placeholder: '飞书账号的手机号或邮箱（填了以此为准）' },
  },
});
export const registrationLabels = formLabels(registrationForm);
export const registrationSchema = formSchema(registrationForm);
export type RegistrationInput = FormValues<typeof registrationForm.fields>;

const { teamName, department, teamType, phone, memberCount, functions, goals, plan, contact, contactLookup } = registrationForm.fields;

/** 修改资料: the registration's changeable fields, each optional (what is left empty is kept). */
export const profileForm = defineForm({
  name: 'profile',
  title: '修改资料',
  fields: {
    // the rename migrations 0005 and 0007 leave to a team whose name they suffixed with its code
    teamName: { ...teamName, required: false, help: '申报待确认、审查或评审期间不能修改' },
    // a department reorganised, a type chosen wrongly at 注册: the leader corrects them here (neither is on an application)
    department: { ...department, required: false },
    teamType: { ...teamType, required: false },
    phone: { ...phone, required: false },
    memberCount: { ...memberCount, required: false },
    functions: { ...functions, required: false },
    goals: { ...goals, required: false },
    plan: { ...plan, required: false },
    contact: { ...contact, required: false },
    contactLookup: { ...contactLookup, label: '换成列表中没有的人？填其手机号或邮箱' },
  },
});
export const profileSchema = formSchema(profileForm);

export type TeamStatus = 'active' | 'withdrawn';
export type TeamTransition = 'update' | 'withdraw' | 'reinstate';

export const teamMachine = new StateMachine<TeamStatus, TeamTransition>(
  'team',
  {
    update: { from: ['active'], to: 'active', roles: ['leader', 'admin'] },
    withdraw: { from: ['active'], to: 'withdrawn', roles: ['leader', 'admin'] },
    reinstate: { from: ['withdrawn'], to: 'active', roles: ['admin'] },
  },
  { active: '正常', withdrawn: '已退出' },
);

export type Team = typeof teams.$inferSelect;

/** Next GDSZ-<year>-<serial>: one atomic upsert, so concurrent registrations never share a serial. */
export async function nextTeamCode(tx: Db, year: number): Promise<string> {
  const [row] = await tx
    .insert(codeSequences)
    .values({ scope: `team:${year}`, last: 1 })
    .onConflictDoUpdate({ target: codeSequences.scope, set: { last: sql`${codeSequences.last} + 1` } })
    .returning({ last: codeSequences.last });
  return `GDSZ-${year}-${String(row.last).padStart(4, '0')}`;
}

/** 第十五条: the organisation confirms, so its contact is neither the team's leader nor one of its members. */
async function checkContact(tx: Db, contact: string, leader: string, teamId?: number): Promise<void> {
  if (contact === leader) {
    throw new UserError(cite(15, '申报材料须由所在单位确认并填写推荐意见，单位联系人不能是班组长本人。请改选单位里负责确认推荐的其他人员（如质量负责人）。'), { field: 'contact' });
  }
  if (teamId === undefined) return;
  const [member] = await tx.select({ openId: teamMembers.openId }).from(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.openId, contact)));
  if (member) {
    throw new UserError(cite(15, '申报材料须由所在单位确认并填写推荐意见，单位联系人不能是本班组成员。请改选班组以外的单位人员，或先将其移出班组。'), { field: 'contact' });
  }
}

/**
 * Another leader's team already has the name in the organisation: either it is the same team (its leader adds the
 * member), or another one, which needs a name that tells the two apart.
 */
function takenName(organization: string, teamName: string, code?: string): string {
  return `“${organization}”已有名为“${teamName}”的班组${code ? `（编号 ${code}）` : ''}，由另一位班组长注册。如是同一个班组，请其班组长在“班组成员”中添加你；如是另一个班组，请改用能区分的名称（如加上项目部或工区）后再提交。`;
}

/**
 * Which registration card a submit comes from: the card's message (open_message_id) and the click that drew the form
 * in it (the 提交注册 button's `form`), as far as known. A second submit of the same card registers nothing (one card,
 * one team); a form drawn anew, in a new message or in place of the menu in the same one, may register another team.
 */
export function registrationCardKey(input: { value: Record<string, unknown>; messageId?: string }): string | undefined {
  const form = typeof input.value.form === 'string' && input.value.form ? input.value.form : undefined;
  if (!input.messageId && !form) return undefined;
  return `${input.messageId ?? ''}/${form ?? ''}`.slice(0, 400);
}

/**
 * The team this person registered from this card, if they did (the audit row of 注册 keeps the card's key). Taken
 * under a lock on the card, so a second submit waits for the first and then finds its team.
 */
export async function registeredFromCard(tx: Db, cardKey: string, openId: string): Promise<(Team & { organization: string }) | undefined> {
  // awaited first: issued together, the select (a query builder) reached the server before this raw execute's lock
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`team:register:card:${cardKey}`}, 0))`);
  const [row] = await tx
    .select({ team: teams, organization: organizations.name })
    .from(auditLog)
    .innerJoin(teams, sql`${teams.id}::text = ${auditLog.entityId}`)
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(and(eq(auditLog.actor, openId), eq(auditLog.action, 'team.register'), sql`${auditLog.details}->>'card' = ${cardKey}`))
    .limit(1);
  return row && { ...row.team, organization: row.organization };
}

/** Whether a form sent again differs from the team it registered (a form that no longer parses differs). */
export function differsFromRegistered(team: Team & { organization: string }, actor: Actor, values: Record<string, unknown>): boolean {
  let input: RegistrationInput;
  try {
    input = parseForm(registrationSchema, values, registrationLabels);
  } catch (err) {
    if (err instanceof UserError) return true;
    throw err;
  }
  return (
    organizationKey(input.teamName) !== organizationKey(team.name) ||
    organizationKey(input.organization) !== organizationKey(team.organization) ||
    (input.leader ?? actor.openId) !== team.leaderOpenId ||
    changedOnFile(team, input).length > 0
  );
}

/** The labels of the fields 修改资料 changes whose value as typed in `input` is not the team's (its name and organisation read alike). */
function changedOnFile(team: Team, input: RegistrationInput): string[] {
  const typed: [keyof typeof profileForm.fields, unknown, unknown][] = [
    ['department', input.department, team.department],
    ['teamType', input.teamType, team.type],
    ['phone', input.phone, team.phone],
    ['memberCount', input.memberCount, team.memberCount],
    ['functions', input.functions, team.functions],
    ['goals', input.goals, team.goals],
    ['plan', input.plan, team.plan],
    ['contact', input.contact, team.contactOpenId],
  ];
  return typed.filter(([, value, stored]) => value !== stored).map(([key]) => registrationLabels[key]);
}

const changeInProfile = '如需修改，请点“查看进度”（或发送“进度”），在该班组下点“修改资料”。';

/** A second submit of a registration card: the team it registered, and whether this one's values were left unsaved. */
export function registeredAlready(team: Team, differs: boolean): AlreadyDone {
  return new AlreadyDone(
    '注册',
    { action: 'team.register', entity: 'team', entityId: team.id },
    `“${team.name}”（班组编号 ${team.code}）`,
    undefined,
    differs ? `这次填写的内容与注册时不同，没有保存；${changeInProfile}` : '',
  );
}

/** A new registration card naming a team its leader registered before (or an import did): its answer is no 注册成功. */
export class RegisteredBefore extends AlreadyDone {}

/**
 * A new registration card naming a team its leader registered before: nothing is registered, and what was typed
 * other than the team holds (联系电话, 成员人数…) is said not saved, with where to change it.
 */
function registeredBefore(team: Team, input: RegistrationInput): AlreadyDone {
  const changed = changedOnFile(team, input);
  return new RegisteredBefore(
    '注册',
    { action: 'team.register', entity: 'team', entityId: team.id },
    `，班组编号 ${team.code}`,
    undefined,
    changed.length ? `这次填写的${changed.join('、')}与该班组的资料不同，没有保存；${changeInProfile}` : '',
  );
}

/**
 * 注册 (第十二条): stores the team, its leader and its organisation contact; `cardKey` (`registrationCardKey`) goes to the
 * audit row. A leader or contact who holds another team of the organisation to score steps aside from it in the same
 * transaction (回避, 第十七条: `recuseInsiders`); the caller tells what the recusals did (`announceRecusals`).
 */
export async function registerTeam(
  tx: Db,
  actor: Actor,
  values: Record<string, unknown>,
  today: string,
  now: Date,
  opts: { cardKey?: string; timezone?: string } = {},
): Promise<{ team: Team & { organization: string }; recusals: Recusal[] }> {
  const input = parseForm(registrationSchema, values, registrationLabels);
  const leader = input.leader ?? actor.openId;
  if (leader !== actor.openId && !actor.roles.includes('admin')) {
    throw new UserError('班组长须为注册人本人；如需代为注册，请由协会管理员操作。', { field: 'leader' });
  }
  await checkContact(tx, input.contact, leader);
  // 回避 below: the running cycles first, then the organisation, the people and the code (the one statement's order)
  await lockRunningCyclesFirst(tx, [leader, input.contact], input.organization);
  // another spelling of an organisation already known is that organisation, under the name first seen
  const org = await upsertOrganization(tx, input.organization);
  // the organisation's row, locked by the upsert above, makes a second registration wait for the first.
  // The people's rows are written (and locked) before the year's code serial is drawn, the order an import batch
  // takes them in: the other way round, the two deadlock over a shared person. A refusal below rolls all back.
  await ensurePerson(tx, leader);
  await grantRole(tx, input.contact, 'org_contact');
  await tx.update(people).set({ organizationId: org.id }).where(and(eq(people.openId, input.contact), sql`${people.organizationId} is null`));
  // the writes above wait for no answer: they reach the server first, and the check and the code share their round trip
  const [[existing], code] = await Promise.all([
    tx
      .select()
      .from(teams)
      // one team however its name is typed (养护(四)班 is 养护（四）班), as organisations are (organization_key)
      .where(and(eq(teams.organizationId, org.id), sql`organization_key(${teams.name}) = organization_key(${input.teamName})`)),
    nextTeamCode(tx, Number(today.slice(0, 4))),
  ]);
  if (existing?.leaderOpenId === leader) throw registeredBefore(existing, input);
  if (existing) throw new UserError(takenName(org.name, existing.name, existing.code), { field: 'teamName', kind: 'info' });

  const inserted = tx
    .insert(teams)
    .values({
      code,
      name: input.teamName,
      organizationId: org.id,
      department: input.department,
      type: input.teamType,
      leaderOpenId: leader,
      phone: input.phone,
      memberCount: input.memberCount,
      functions: input.functions,
      goals: input.goals,
      plan: input.plan,
      contactOpenId: input.contact,
      registeredAt: today,
    })
    .returning();
  const [team] = await insertTeam(tx, org.name, input.teamName, inserted);
  await tx.insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
  await audit(tx, { actor: actor.openId, action: 'team.register', entity: 'team', entityId: team.id, at: now, details: { code, name: team.name, organization: org.name, contact: input.contact, ...(opts.cardKey ? { card: opts.cardKey } : {}) } });
  const joining = [
    { teamId: team.id, openId: leader, role: 'leader' as const },
    { teamId: team.id, openId: input.contact, role: 'contact' as const },
  ];
  const recusals = await recuseInsiders(tx, actor, joining, now, opts.timezone ?? DEFAULT_TIMEZONE, [], { cyclesLocked: true });
  return { team: { ...team, organization: org.name }, recusals };
}

/**
 * The team's insert. The organisation's lock orders registrations in it and the name check reads after it, so the
 * unique index of the name's key refuses only a name taken in another spelling meanwhile: answered as the check
 * answers it. Any other conflict (a code) is no user's doing and fails as it is.
 */
async function insertTeam<T>(tx: Db, organization: string, teamName: string, insert: Promise<T>): Promise<T> {
  try {
    return await insert;
  } catch (err) {
    if (violates(err, 'teams_org_name_key_uq')) throw new UserError(takenName(organization, teamName), { field: 'teamName', kind: 'info' });
    throw err;
  }
}

/** A unique violation of this index, as postgres.js (constraint_name) or PGlite (constraint) reports it, however wrapped. */
function violates(err: unknown, index: string): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    if (x.code === '23505' && (x.constraint_name === index || x.constraint === index)) return true;
  }
  return false;
}

export interface TeamView {
  team: Team;
  organization: string;
  myRole: 'leader' | 'member' | 'contact' | 'admin';
}

/** Whose teams `teamsOf` finds: those with a membership of `openId` (joined as in teamsOf), or `openId` their contact. */
const ofPerson = (openId: string) => sql`${teamMembers.openId} is not null or ${teams.contactOpenId} = ${openId}`;

/** The teams a person leads, belongs to, or confirms for as organisation contact. */
export async function teamsOf(tx: Db, openId: string): Promise<TeamView[]> {
  const rows = await tx
    .select({ team: teams, organization: organizations.name, memberRole: teamMembers.role })
    .from(teams)
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .leftJoin(teamMembers, and(eq(teamMembers.teamId, teams.id), eq(teamMembers.openId, openId)))
    .where(ofPerson(openId))
    .orderBy(asc(teams.id));
  return rows.map((r) => ({
    team: r.team,
    organization: r.organization,
    myRole: r.memberRole === 'leader' ? 'leader' : r.memberRole === 'member' ? 'member' : 'contact',
  }));
}

/** The names and codes of the teams `openId` leads, oldest first (a leader may lead several). */
export async function teamsLedBy(tx: Db, openId: string): Promise<{ name: string; code: string }[]> {
  return tx.select({ name: teams.name, code: teams.code }).from(teams).where(eq(teams.leaderOpenId, openId)).orderBy(asc(teams.id));
}

/** A team with its organisation's name; `lock` takes the team row's lock in the same read. */
export async function getTeam(tx: Db, teamId: number, opts: { lock?: boolean } = {}): Promise<(Team & { organization: string }) | undefined> {
  const query = teamRow(tx, teamId);
  return teamOf(opts.lock ? await query.for('update', { of: teams }) : await query);
}

/** `getTeam`'s query, not yet sent: in a `Promise.all` it goes out in its place, after the queries before it. */
const teamRow = (tx: Db, teamId: number) =>
  tx
    .select({ team: teams, organization: organizations.name })
    .from(teams)
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(teams.id, teamId));

/** `getTeam`'s answer from its query's rows. */
const teamOf = ([row]: { team: Team; organization: string }[]): (Team & { organization: string }) | undefined => (row ? { ...row.team, organization: row.organization } : undefined);

/** Loads a team the actor leads (or any team for an admin); refuses otherwise. */
export async function teamLedBy(tx: Db, actor: Actor, teamId: number, opts: { lock?: boolean } = {}): Promise<Team & { organization: string }> {
  return ledBy(actor, await getTeam(tx, teamId, opts));
}

/** `teamLedBy`'s refusal of someone who neither leads the team nor administers: whose the team's record is. */
export const notTheirTeam = '只有本班组的班组长（或协会管理员）可以查看和修改本班组的资料和成员。';

/** `teamLedBy`'s refusal, of a team already read. */
export function ledBy<T extends Team>(actor: Actor, team: T | undefined): T {
  if (!team) throw new UserError('找不到该班组，请发送“进度”重新查看。');
  if (team.leaderOpenId !== actor.openId && !actor.roles.includes('admin')) throw new UserError(notTheirTeam);
  return team;
}

/** A change of organisation contact, with the applications that wait for a contact's confirmation and now go to the new one. */
export interface ContactChange {
  from: string;
  to: string;
  pendingApplicationIds: number[];
}

/** 修改资料 as typed, read (refused by field as `parseForm` refuses): what is left empty is undefined. */
export function parseProfile(values: Record<string, unknown>) {
  return parseForm(profileSchema, values, formLabels(profileForm));
}

/**
 * `before`: the team as the save found it under its lock (with its organisation's name). A new contact who holds the
 * team's application to score steps aside in the same transaction (回避, 第十七条: `recusals`, for the caller to tell).
 */
export async function updateTeamProfile(
  tx: Db,
  actor: Actor,
  teamId: number,
  values: Record<string, unknown>,
  now: Date,
  timezone: string,
): Promise<{ team: Team; before: Team & { organization: string }; contactChange?: ContactChange; recusals: Recusal[] }> {
  // 回避 below (a new contact): the running cycles first, before the team's row and the contact's (the order of 注册's
  // one statement, which takes the cycles, then the people); a form that does not parse is refused below, after the team's checks
  const named = contactTyped(values);
  if (named !== undefined) await lockRunningCyclesFirst(tx, [named], undefined, teamId);
  // issued together (one round trip), in this order: the contact named, made sure of and locked (its row is written
  // below, its role granted), then the team's row, in the global order (cycle → organisation → people → team → code):
  // a linking of the person whose pending id is the team's contact writes their row, then waits on the team's; taken
  // after the team, the contact's row waited on the linking, and PostgreSQL aborted one. Refused, nothing is kept.
  // A second save of the same form waits here for the first, then finds nothing to change
  const [, rows] = await Promise.all([
    named === undefined || named === '' ? undefined : tx.insert(people).values({ openId: named }).onConflictDoUpdate({ target: people.openId, set: { name: sql`${people.name}` } }),
    teamRow(tx, teamId).for('update', { of: teams }),
  ]);
  const team = ledBy(actor, teamOf(rows));
  teamMachine.check('update', team.status as TeamStatus, actor, team.leaderOpenId === actor.openId ? ['leader'] : []);
  const patch = parseProfile(values);
  const changes: Partial<typeof teams.$inferInsert> = {};
  if (patch.phone !== undefined) changes.phone = patch.phone;
  if (patch.memberCount !== undefined) changes.memberCount = patch.memberCount;
  if (patch.functions !== undefined) changes.functions = patch.functions;
  if (patch.goals !== undefined) changes.goals = patch.goals;
  if (patch.plan !== undefined) changes.plan = patch.plan;
  if (patch.department !== undefined) changes.department = patch.department;
  if (patch.teamType !== undefined) changes.type = patch.teamType;
  let contactChange: ContactChange | undefined;
  if (patch.contact !== undefined && patch.contact !== team.contactOpenId) {
    await checkContact(tx, patch.contact, team.leaderOpenId, teamId);
    changes.contactOpenId = patch.contact;
    await grantRole(tx, patch.contact, 'org_contact');
    const pending = await tx
      .select({ id: applications.id })
      .from(applications)
      .where(and(eq(applications.teamId, teamId), eq(applications.status, 'submitted')));
    contactChange = { from: team.contactOpenId, to: patch.contact, pendingApplicationIds: pending.map((a) => a.id) };
  }
  const changed = Object.keys(changes).filter((k) => (changes as Record<string, unknown>)[k] !== (team as Record<string, unknown>)[k]);
  let rename: { from: string; to: string } | undefined;
  if (patch.teamName !== undefined && patch.teamName !== team.name) {
    await checkRename(tx, team, patch.teamName);
    rename = { from: team.name, to: patch.teamName };
  }
  if (!changed.length && !rename) throw new AlreadyDone('保存', { action: ['team.update', 'team.rename'], entity: 'team', entityId: teamId }, '', '没有需要保存的修改。');
  const saved = tx.update(teams).set({ ...changes, ...(rename ? { name: rename.to } : {}), updatedAt: now }).where(eq(teams.id, teamId)).returning();
  const [updated] = await renamed(saved, team.organization, patch.teamName ?? team.name);
  // 第十七条: each field changed, from what it was to what it is, so that who changed it and from what can be told later
  const fieldChanges = Object.fromEntries(changed.map((k) => [k, { from: (team as Record<string, unknown>)[k] ?? null, to: (changes as Record<string, unknown>)[k] ?? null }]));
  if (changed.length) await audit(tx, { actor: actor.openId, action: 'team.update', entity: 'team', entityId: teamId, at: now, details: { changed, changes: fieldChanges, ...(contactChange ? { contact: contactChange } : {}) } });
  // the name's own record, as migrations 0005 and 0007 wrote theirs
  if (rename) await audit(tx, { actor: actor.openId, action: 'team.rename', entity: 'team', entityId: teamId, at: now, details: rename });
  const recusals = contactChange ? await recuseInsiders(tx, actor, [{ teamId, openId: contactChange.to, role: 'contact' }], now, timezone, [], { cyclesLocked: true }) : [];
  return { team: updated, before: team, contactChange, recusals };
}

/** The contact 修改资料's form names, when it parses: undefined otherwise (the save's own parse refuses it in its turn). */
function contactTyped(values: Record<string, unknown>): string | undefined {
  try {
    return parseProfile(values).contact;
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
}

/** Who an application of the running year waits for, by its status: while it does, the team keeps the name it applied under. */
const applicationUnderWay: Record<string, string> = {
  submitted: '正在等待单位联系人确认',
  recommended: '正在等待协会形式审查',
  accepted: '已受理，正在等待专家评审',
  scoring: '正在专家评审中',
  scored: '评审已完成，正在等待协会公布结果',
};

/** An application of the running year that waits on someone else: its year, and whom it waits for (“正在等待单位联系人确认”). */
export interface ApplicationUnderWay {
  year: number;
  waits: string;
}

/**
 * The teams' applications of the running year that are with their organisation, the association or the experts, by
 * team: what they confirm, check, score and publish carries the team's name and organisation as applied. Every
 * running application of the teams is read under its share lock, so a submit committing meanwhile is seen submitted
 * (and a later one waits); a caller that renames takes the team's row lock first, which a first submit's insert waits for.
 */
export async function applicationsUnderWay(tx: Db, teamIds: number[]): Promise<Map<number, ApplicationUnderWay>> {
  const out = new Map<number, ApplicationUnderWay>();
  if (!teamIds.length) return out;
  const running = await tx
    .select({ teamId: applications.teamId, status: applications.status, year: cycles.year })
    .from(applications)
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .where(and(inArray(applications.teamId, teamIds), inArray(cycles.status, [...runningStatuses])))
    .for('share', { of: applications });
  for (const a of running) if (applicationUnderWay[a.status] && !out.has(a.teamId)) out.set(a.teamId, { year: a.year, waits: applicationUnderWay[a.status] });
  return out;
}

/**
 * A rename (修改资料's 班组名称) is refused while the team's application of the running year is with its organisation,
 * the association or the experts (`applicationsUnderWay`; an import's rename or move is refused alike, src/import/plan.ts).
 * A certificate keeps the name it was issued under (certificates.team_name), so a title already published needs no bar.
 * The name is also unique in the organisation by its key, as at 注册 (teams_org_name_key_uq).
 */
async function checkRename(tx: Db, team: Team & { organization: string }, name: string): Promise<void> {
  const [running, [taken]] = await Promise.all([
    applicationsUnderWay(tx, [team.id]),
    tx
      .select({ name: teams.name, code: teams.code })
      .from(teams)
      .where(and(eq(teams.organizationId, team.organizationId), sql`organization_key(${teams.name}) = organization_key(${name})`, sql`${teams.id} <> ${team.id}`)),
  ]);
  const underWay = running.get(team.id);
  if (underWay) {
    throw new UserError(
      `班组名称暂不能修改：本班组${underWay.year}年度申报${underWay.waits}，申报材料以申报时的名称确认、审查和评审。申报为草稿或退回修改时、或本年度评审结果公布后，可以修改班组名称（已颁发的荣誉证书保留颁发时的名称）。如只修改其他资料，请清空或改回班组名称后再保存。`,
      { field: 'teamName' },
    );
  }
  if (taken) throw new UserError(nameTakenByOther(team.organization, taken.name, taken.code), { field: 'teamName' });
}

/** A rename to a name another team of the organisation has, however it is typed. */
function nameTakenByOther(organization: string, teamName: string, code?: string): string {
  return `“${organization}”已有名为“${teamName}”的班组${code ? `（编号 ${code}）` : ''}：同一单位的班组名称不能相同（全角半角、大小写、空格不同也视为同一名称）。请改用能区分的名称（如加上项目部或工区）后再保存，本次修改均未保存。`;
}

/** The team's update: a name taken in another spelling meanwhile (the unique index of its key) is refused as the check refuses it. */
async function renamed<T>(update: Promise<T>, organization: string, teamName: string): Promise<T> {
  try {
    return await update;
  } catch (err) {
    if (violates(err, 'teams_org_name_key_uq')) throw new UserError(nameTakenByOther(organization, teamName), { field: 'teamName' });
    throw err;
  }
}

export async function teamMembersOf(tx: Db, teamId: number) {
  return tx
    .select({ openId: teamMembers.openId, role: teamMembers.role, name: people.name })
    .from(teamMembers)
    .leftJoin(people, eq(people.openId, teamMembers.openId))
    .where(eq(teamMembers.teamId, teamId))
    .orderBy(desc(teamMembers.role), asc(teamMembers.createdAt));
}

/**
 * 添加成员: the people picked join the team. One of them who holds the team's application to score steps aside in the
 * same transaction (回避, 第十七条: `recuseInsiders`); the caller tells what the recusals did (`announceRecusals`).
 */
export async function addMembers(tx: Db, actor: Actor, teamId: number, openIds: string[], now: Date, timezone: string): Promise<{ added: string[]; recusals: Recusal[] }> {
  const team = await teamLedBy(tx, actor, teamId);
  teamMachine.check('update', team.status as TeamStatus, actor, ['leader']);
  if (openIds.includes(team.contactOpenId)) {
    throw new UserError(cite(15, '申报材料须由所在单位确认并填写推荐意见，所选人员是本班组的单位联系人，不能同时是班组成员。请先在“修改资料”中更换单位联系人。'), { field: 'members' });
  }
  const unique = [...new Set(openIds)];
  // 回避 below: the running cycles first, then the people's rows (the order of 添加成员's and 注册's one statements)
  await lockRunningCyclesFirst(tx, unique, team.organization);
  // each person's writes issued together (one round trip for all), in the order picked
  const inserted = await Promise.all(
    unique.map(async (openId) => {
      await ensurePerson(tx, openId);
      return tx.insert(teamMembers).values({ teamId, openId, role: 'member' }).onConflictDoNothing().returning({ openId: teamMembers.openId });
    }),
  );
  const added = unique.filter((_openId, i) => inserted[i].length > 0);
  if (!added.length) {
    // a second click of the same 添加 is told when it was done; people in the team before that are only said to be in
    const [last] = await tx
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.action, 'team.members.add'), eq(auditLog.entity, 'team'), eq(auditLog.entityId, String(teamId))))
      .orderBy(desc(auditLog.id))
      .limit(1);
    const lastAdded = new Set((last?.details as { added?: string[] } | null)?.added ?? []);
    if (unique.every((openId) => lastAdded.has(openId))) throw new AlreadyDone('添加', { action: 'team.members.add', entity: 'team', entityId: teamId }, '所选成员');
    const leader = unique.includes(team.leaderOpenId) ? '（班组长本人已在班组中）' : '';
    throw new UserError(`所选人员都已在本班组中${leader}，无需添加。`, { kind: 'info', field: 'members' });
  }
  await audit(tx, { actor: actor.openId, action: 'team.members.add', entity: 'team', entityId: teamId, at: now, details: { added } });
  const recusals = await recuseInsiders(tx, actor, added.map((openId) => ({ teamId, openId, role: 'member' as const })), now, timezone, [], { cyclesLocked: true });
  return { added, recusals };
}

export async function removeMember(tx: Db, actor: Actor, teamId: number, openId: string, now: Date): Promise<void> {
  const team = await teamLedBy(tx, actor, teamId);
  if (openId === team.leaderOpenId) throw new UserError('不能移除班组长本人。');
  const removed = await tx
    .delete(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.openId, openId), eq(teamMembers.role, 'member')))
    .returning({ openId: teamMembers.openId });
  if (!removed.length) {
    // a second click: when this member was removed, if they ever were
    throw new AlreadyDone('移除', { action: 'team.members.remove', entity: 'team', entityId: teamId, detail: { key: 'removed', value: openId } }, '该成员', '该成员已不在班组中。');
  }
  await audit(tx, { actor: actor.openId, action: 'team.members.remove', entity: 'team', entityId: teamId, at: now, details: { removed: openId } });
}

/** What the 进度 card shows of an application. */
const statusColumns = { id: applications.id, status: applications.status, year: cycles.year, cycleStatus: cycles.status, finalScore: applications.finalScore, decision: applications.decision, title: sql<string | null>`${applications.form}->>'title'` };

/** Everything the 进度 card shows for one team: its applications (latest year first), its honours (likewise) and their certificates' numbers by honour. */
export interface TeamStatusRows {
  applications: { id: number; status: string; year: number; cycleStatus: string; finalScore: number | null; decision: string | null; title: string | null }[];
  honours: (typeof honours.$inferSelect)[];
  certificates: Map<number, string>;
}

/**
 * The rows of the 进度 card (`TeamStatusRows`, the certificates as `certificateNumbersOfTeam` reads them) of every team `teamsOf` finds for
 * `openId`, by team id: three reads that name the teams by subquery, so they go out with `teamsOf` in one round trip.
 */
export async function teamStatusesOf(tx: Db, openId: string): Promise<Map<number, TeamStatusRows>> {
  const ids = () =>
    tx.select({ id: teams.id }).from(teams).leftJoin(teamMembers, and(eq(teamMembers.teamId, teams.id), eq(teamMembers.openId, openId))).where(ofPerson(openId));
  const [apps, titles, numbers] = await Promise.all([
    tx
      .select({ teamId: applications.teamId, row: statusColumns })
      .from(applications)
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(inArray(applications.teamId, ids()))
      .orderBy(asc(applications.teamId), desc(cycles.year)),
    tx.select().from(honours).where(inArray(honours.teamId, ids())).orderBy(asc(honours.teamId), desc(honours.year)),
    tx.select({ teamId: certificates.teamId, honourId: certificates.honourId, number: certificates.number }).from(certificates).where(inArray(certificates.teamId, ids())),
  ]);
  const byTeam = new Map<number, TeamStatusRows>();
  const of = (teamId: number) => byTeam.get(teamId) ?? byTeam.set(teamId, { applications: [], honours: [], certificates: new Map() }).get(teamId)!;
  for (const a of apps) of(a.teamId).applications.push(a.row);
  for (const h of titles) of(h.teamId).honours.push(h);
  for (const c of numbers) of(c.teamId).certificates.set(c.honourId, c.number);
  return byTeam;
}


/** The team's members a leader may hand over to: registered in Feishu (not an imported placeholder), the leader left out. */
export async function leaderCandidatesOf(tx: Db, teamId: number) {
  const members = await teamMembersOf(tx, teamId);
  return members.filter((m) => m.role === 'member' && !m.openId.startsWith('pending:'));
}

/** What 更换班组长 did: the team as it is now, who led it and who leads it, and its application of the running year. */
export interface LeaderChange {
  team: Team & { organization: string };
  from: string;
  to: string;
  /** the team's application of the running year, if any: from now on it is the new leader's to fill, submit or correct */
  running?: { year: number; status: string };
}

/**
 * 更换班组长: the team's leader hands the team over to one of its members (or an administrator does). `from` is the
 * leader the card was drawn for: a card drawn before another change is refused, never applied over it. The former
 * leader stays a member (移除 on the members card takes them out); one audit row; the caller tells the people.
 * Every application of the team reads its leader from the team's row (申报, 修改, notices), so the running year's
 * application is the new leader's from this commit on.
 */
export async function changeLeader(tx: Db, actor: Actor, teamId: number, from: string, to: string, now: Date): Promise<LeaderChange> {
  // issued together (one round trip), in this order, each once the lock before it is held: the people the change
  // touches (the former leader's membership and the new leader's name on the team take their rows for key share, by
  // the foreign keys), then the team's row, in the global order (cycle → organisation → people → team → code): a
  // linking of a pending former leader locks its row, then the team's; taken after the team, the change's membership
  // insert waited on that row, and PostgreSQL aborted one (a `from` gone stale is refused below). Then the membership
  // chosen: locked too, as 移除 takes it without the team's lock, and one committed meanwhile leaves no member to lead it
  const [, teamRows, [member]] = await Promise.all([
    tx
      .select({ openId: people.openId })
      .from(people)
      .where(inArray(people.openId, [...new Set([from, to].filter(Boolean))]))
      .orderBy(asc(people.openId))
      .for('key share'),
    teamRow(tx, teamId).for('update', { of: teams }),
    tx
      .select({ role: teamMembers.role })
      .from(teamMembers)
      .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.openId, to || '')))
      .for('update'),
  ]);
  const team = teamOf(teamRows);
  if (!team) throw new UserError('找不到该班组，请发送“进度”重新查看。');
  const admin = actor.roles.includes('admin');
  const mine = admin || team.leaderOpenId === actor.openId;
  if (team.leaderOpenId !== from || !mine) {
    const done = await lastLeaderChange(tx, teamId);
    // the leader who handed the team over may still be told what became of their card; anyone else is not theirs
    if (!mine && !(done?.from === actor.openId && from === actor.openId)) throw new UserError(notTheirTeam);
    if (done?.from === from && done.to === to && team.leaderOpenId === to) {
      throw new AlreadyDone('更换班组长', { action: 'team.leader.change', entity: 'team', entityId: teamId });
    }
    throw new UserError('这张卡片已过期：本班组的班组长在卡片发出后已经更换，本次没有更换。请发送“进度”查看班组现在的情况。');
  }
  teamMachine.check('update', team.status as TeamStatus, actor, team.leaderOpenId === actor.openId ? ['leader'] : []);
  if (!to) throw new UserError('请选择新的班组长。', { field: 'leader' });
  if (to === team.leaderOpenId) throw new UserError('所选成员已是本班组的班组长，无需更换。请选择其他成员。', { field: 'leader' });
  if (!member) throw new UserError('所选人员不是本班组的成员：新的班组长须从本班组成员中选择，请先在“班组成员”中添加其为成员，再更换班组长。', { field: 'leader' });
  if (to.startsWith('pending:')) throw new UserError('所选成员尚未关联飞书账号（导入后还没有给机器人发过消息），暂不能担任班组长：请其先给机器人发一条消息，再更换。', { field: 'leader' });
  // the former leader stays in the team as a member, the new one leads it: the team's row and both memberships together
  const [[updated], , , running] = await Promise.all([
    tx.update(teams).set({ leaderOpenId: to, updatedAt: now }).where(eq(teams.id, teamId)).returning(),
    // a leader registered before memberships were kept for leaders has no row of their own: they get one
    tx.insert(teamMembers).values({ teamId, openId: team.leaderOpenId, role: 'member' }).onConflictDoUpdate({ target: [teamMembers.teamId, teamMembers.openId], set: { role: 'member' } }),
    tx.update(teamMembers).set({ role: 'leader' }).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.openId, to))),
    tx
      .select({ year: cycles.year, status: applications.status })
      .from(applications)
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(and(eq(applications.teamId, teamId), inArray(cycles.status, [...runningStatuses])))
      .limit(1),
    audit(tx, { actor: actor.openId, action: 'team.leader.change', entity: 'team', entityId: teamId, at: now, details: { from: team.leaderOpenId, to } }),
  ]);
  return { team: { ...updated, organization: team.organization }, from: team.leaderOpenId, to, running: running[0] };
}

/** The team's last 更换班组长 as its audit row keeps it: who led, who leads, who changed it. */
export async function lastLeaderChange(tx: Db, teamId: number): Promise<{ from?: string; to?: string; by: string } | undefined> {
  const [last] = await tx
    .select({ by: auditLog.actor, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.action, 'team.leader.change'), eq(auditLog.entity, 'team'), eq(auditLog.entityId, String(teamId))))
    .orderBy(desc(auditLog.id))
    .limit(1);
  return last && { ...(last.details as { from?: string; to?: string }), by: last.by };
}

/**
 * Who leads the team now, for someone of it who does not (a member, or the leader who handed it over, 更换班组长) and
 * presses its leader's button: the team's name, whether they led it, and the leader's name (people.name, when known).
 * Undefined for its leader and for anyone outside the team.
 */
export async function leaderForInsider(tx: Db, openId: string, teamId: number): Promise<{ team: string; formerLeader: boolean; leader?: string } | undefined> {
  const [[row], [membership], last] = await Promise.all([
    tx.select({ team: teams.name, leaderOpenId: teams.leaderOpenId, leader: people.name }).from(teams).leftJoin(people, eq(people.openId, teams.leaderOpenId)).where(eq(teams.id, teamId)),
    tx.select({ role: teamMembers.role }).from(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.openId, openId))),
    lastLeaderChange(tx, teamId),
  ]);
  if (!row || row.leaderOpenId === openId) return undefined;
  const formerLeader = last?.from === openId;
  if (!membership && !formerLeader) return undefined;
  return { team: row.team, formerLeader, leader: row.leader?.trim() || undefined };
}

/** A team by its code (as `readCode` reads it), or undefined. */
export async function teamByCode(tx: Db, code: string): Promise<Team | undefined> {
  const [team] = await tx.select().from(teams).where(eq(teams.code, code));
  return team;
}
