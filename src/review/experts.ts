import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { applications, assignments, conflicts, cycles, organizations, people, teams } from '../../db/schema.js';
import { audit } from '../audit.js';
import { AlreadyDone, UserError } from '../errors.js';
import { defineForm, formLabels, formSchema, halfWidth, readForm, typedText } from '../forms.js';
import { isPending } from '../import/people.js';
import { findOrganization, upsertOrganization } from '../organizations.js';
import { type Actor, grantRole, hasRole } from '../people.js';
import { requireAdmin } from '../permissions.js';
import { conflictForm, conflictTarget, teamCodesTyped } from './conflicts.js';
import { findTeams } from '../complaints.js';
import { type ColleagueRecusal, lockRunningCyclesFirst, recuseColleagues } from './recusal.js';
import { DECLARED_CONFLICT, declineForm, declineTask, type PanelCompletion, type Replacement, type Task } from './scoring.js';
import { cutText } from '../../cards/kit.js';

/** 专家库 (第十一条): administrators keep the pool; experts declare their conflicts of interest (第十七条). */

/** 添加专家: whom (picked, or found by mobile or e-mail), their organisation (第十七条: never their own's teams), specialities and yearly limit. */
export const expertAddForm = defineForm({
  name: 'expert_form',
  title: '添加专家',
  fields: {
    experts: { kind: 'persons', label: '专家', article: '第十一条', help: '可多选', max: 50 },
    expertsLookup: { kind: 'text', label: '列表中没有？填专家的手机号或邮箱', maxLength: 500, required: false, placeholder: '飞书账号的手机号或邮箱；多人用逗号分隔' },
    organization: { kind: 'text', label: '所在单位', article: '第十七条', maxLength: 100, placeholder: '单位全称：同单位的申报不会分配给该专家' },
    specialities: { kind: 'text', label: '专业特长', help: '逗号分隔；已在库的专家留空则不变', maxLength: 200, required: false, placeholder: '如 道路养护, 桥梁检测；填“无”清空' },
    maxLoad: { kind: 'integer', label: '评审上限', help: '每年最多评审几份；已在库的专家留空则不变', min: 1, max: 500, required: false, placeholder: '1–500，如 20；填“不限”（或 0）取消上限' },
  },
});
const expertSchema = formSchema(expertAddForm);

/**
 * "道路, 桥梁、检测" → ["道路", "桥梁", "检测"]; a slash or a bar between them as Excel cells often have it (道路/桥梁) too,
 * but nothing inside brackets: 市政道路（含桥梁/隧道） or 给排水（含管网、泵站） is one speciality.
 */
export function splitSpecialities(s: string | undefined): string[] {
  if (!s) return [];
  const parts: string[] = [];
  let depth = 0;
  let part = '';
  for (const c of s) {
    if ('(（[【'.includes(c)) depth++;
    else if (')）]】'.includes(c)) depth = Math.max(0, depth - 1);
    if (depth === 0 && /[,，、;；/／|｜\s]/.test(c)) {
      parts.push(part);
      part = '';
    } else part += c;
  }
  parts.push(part);
  return [...new Set(parts.map((x) => x.trim()).filter(Boolean))].slice(0, 20);
}

/** A cell or field typed as the word only (“不限 ”, “ＮＯＮＥ”), as `noneTyped` compares it. */
const bare = (v: string) => halfWidth(typedText(v)).replace(/\s+/g, '').replace(/[。.!！]$/, '').toLowerCase();

/**
 * 评审上限 typed as no limit: it clears a stored limit, where a blank keeps it. 0 is no limit too (a limit is 1–500,
 * so 0 meant nothing before).
 */
export const noLimitTyped = (v: unknown): boolean => typeof v === 'string' && /^(不限|不限量|不限制|无|无上限|无限|无限量|无限制|没有|不设|不设上限|0+|none|unlimited|nolimit)$/.test(bare(v));

/** 专业特长 typed as none: it clears the stored ones, where a blank keeps them. */
export const noSpecialitiesTyped = (v: unknown): boolean => typeof v === 'string' && /^(无|暂无|没有|清空|none)$/.test(bare(v));

/**
 * 专家库's form and 导入's 专家 sheet alike: a blank 专业特长 or 评审上限 is `undefined` (keep what is stored), 无 is
 * `[]` and 不限 `null` (clear it).
 */
export interface ExpertDetails {
  specialities: string[] | undefined;
  maxLoad: number | null | undefined;
}

/** 添加专家's form as readExpertForm reads it: 不限 and 无 typed are no problem of the schema's. */
const preparedExpertValues = (formValue: Record<string, unknown>): Record<string, unknown> => ({
  ...formValue,
  ...(noLimitTyped(formValue.maxLoad) ? { maxLoad: '' } : {}),
  ...(noSpecialitiesTyped(formValue.specialities) ? { specialities: '' } : {}),
});

/** What a look-up refused beside the form's other problems is told with (bot/lookup.ts personFromLookup's `form`). */
export const expertFormCheck = { schema: expertSchema, labels: formLabels(expertAddForm), prepare: preparedExpertValues };

/** 添加专家's form as `addExperts` reads it: whom, the organisation, the specialities split and the load limit (ExpertDetails); a UserError names what to fix. */
export function readExpertForm(formValue: Record<string, unknown>): { experts: string[]; organization: string } & ExpertDetails {
  const noLimit = noLimitTyped(formValue.maxLoad);
  const noSpecialities = noSpecialitiesTyped(formValue.specialities);
  const input = readForm(expertAddForm, preparedExpertValues(formValue), expertSchema);
  const specialities = splitSpecialities(input.specialities);
  return {
    experts: input.experts,
    organization: input.organization,
    specialities: noSpecialities ? [] : specialities.length ? specialities : undefined,
    maxLoad: noLimit ? null : input.maxLoad,
  };
}

/** What someone will have: `typed` over `stored` (someone new has none). */
export function keptDetails(typed: ExpertDetails, stored: { specialities: string[] | null; maxLoad: number | null } | undefined): { specialities: string[]; maxLoad: number | null } {
  return {
    specialities: typed.specialities ?? stored?.specialities ?? [],
    maxLoad: typed.maxLoad === undefined ? (stored?.maxLoad ?? null) : typed.maxLoad,
  };
}

/**
 * 添加专家: each picked person becomes an active expert of the organisation, with specialities and a load limit; for
 * someone already on record a field left blank keeps what is stored, a typed one replaces it, 无 (专业特长) and 不限
 * (评审上限) clear it. Someone whose
 * organisation changes steps aside from the new organisation's teams they hold to score (回避, 第十七条:
 * `recuseColleagues`); the caller tells what the recusals did (`announceColleagueRecusals`). `editing` (保存修改 of
 * 修改): saved unchanged, it says nothing changed.
 */
export async function addExperts(
  tx: Db,
  actor: Actor,
  formValue: Record<string, unknown>,
  now: Date,
  timezone: string,
  opts: { editing?: boolean } = {},
): Promise<{ openIds: string[]; names: (string | null)[]; organization: string; recusals: ColleagueRecusal[]; joined: string[] }> {
  requireAdmin(actor);
  const input = readExpertForm(formValue);
  // 回避 below: the running cycles first, then the organisation and the people (the order of 注册's and 添加专家's one
  // statements, which take the cycles, then the rest)
  await lockRunningCyclesFirst(tx, input.experts, input.organization);
  // another spelling of a known organisation is that one, under the name first seen
  const { id: orgId, name: organization } = await upsertOrganization(tx, input.organization);
  // a second click waits for the first's rows, then finds every picked person in the pool as asked
  const current = await tx.select().from(people).where(inArray(people.openId, input.experts)).for('update');
  const stored = new Map(current.map((p) => [p.openId, p]));
  // a blank 专业特长 or 评审上限 keeps what is stored (someone new has none); a typed one replaces it, 无 / 不限 clear it
  const kept = (p: (typeof current)[number] | undefined) => keptDetails(input, p);
  const asAsked = (p: (typeof current)[number]) =>
    (p.roles ?? []).includes('expert') && p.expertActive && p.organizationId === orgId && (p.maxLoad ?? null) === kept(p).maxLoad && JSON.stringify(p.specialities ?? []) === JSON.stringify(kept(p).specialities);
  const names = input.experts.map((openId) => stored.get(openId)?.name ?? null);
  // 保存修改 on a form drawn before the expert was stopped (停用) saves nothing: it would start them again unasked
  const stopped = opts.editing ? current.filter((p) => (p.roles ?? []).includes('expert') && !p.expertActive) : [];
  if (stopped.length) {
    throw new UserError(`${stopped.map((p) => p.name ?? '该专家').join('、')} 已停用，本次没有保存：保存修改不会重新启用专家。如需修改，请先在专家库中点“启用”，再点“修改”。`, { kind: 'info' });
  }
  if (current.length === new Set(input.experts).size && current.every(asAsked)) {
    if (opts.editing) throw new UserError(`没有改动：${names.map((n) => n ?? '该专家').join('、')} 的专家信息与专家库中一致。`, { kind: 'info' });
    throw new AlreadyDone('添加', { action: 'expert.add', entity: 'person', entityId: input.experts[0] }, `${input.experts.length} 位专家（${organization}）`);
  }
  // the organisations the picked people were of, named in each audit row's `before` (第十七条: what a change overwrote)
  const formerOrgIds = [...new Set(current.map((p) => p.organizationId).filter((id): id is number => id !== null))];
  const orgNames = new Map(
    formerOrgIds.length ? (await tx.select({ id: organizations.id, name: organizations.name }).from(organizations).where(inArray(organizations.id, formerOrgIds))).map((o) => [o.id, o.name]) : [],
  );
  for (const openId of input.experts) {
    const was = stored.get(openId);
    const { specialities, maxLoad } = kept(was);
    await grantRole(tx, openId, 'expert');
    await tx
      .update(people)
      .set({ organizationId: orgId, specialities, maxLoad, expertActive: true, updatedAt: now })
      .where(eq(people.openId, openId));
    await audit(tx, {
      actor: actor.openId,
      action: 'expert.add',
      entity: 'person',
      entityId: openId,
      details: { organization, specialities, maxLoad, ...(was ? { before: expertBefore(was, orgNames) } : {}) },
      at: now,
    });
  }
  // someone already known whose organisation is now another (someone new holds no task)
  const moved = current.filter((p) => p.organizationId !== orgId).map((p) => p.openId);
  const recusals = await recuseColleagues(tx, actor, moved, { id: orgId, name: organization }, now, timezone, { cyclesLocked: true });
  // new to the pool (never an expert before: 启用 or 修改 of one is no joining), each once however often picked
  const joined = [...new Set(input.experts)].filter((openId) => !(stored.get(openId)?.roles ?? []).includes('expert'));
  return { openIds: input.experts, names, organization, recusals, joined };
}

/** What 添加专家 / 保存修改 writes over of someone already on record, for the audit row's `before`. */
function expertBefore(
  p: { roles: string[] | null; expertActive: boolean; organizationId: number | null; specialities: string[] | null; maxLoad: number | null },
  orgNames: Map<number, string>,
) {
  return {
    expert: (p.roles ?? []).includes('expert'),
    active: p.expertActive,
    organization: p.organizationId === null ? null : (orgNames.get(p.organizationId) ?? null),
    specialities: p.specialities ?? [],
    maxLoad: p.maxLoad ?? null,
  };
}

/** 停用 / 启用: an inactive expert gets no new tasks; tasks already given stay until swapped. A second click changes nothing. */
export async function setExpertActive(tx: Db, actor: Actor, openId: string, activeNow: boolean, now: Date): Promise<{ pending: number }> {
  requireAdmin(actor);
  const inPool = and(eq(people.openId, openId), sql`'expert' = any(${people.roles})`);
  // issued together: one round trip (the count of tasks does not depend on the flag; a refusal discards it)
  const [[row], [pending]] = await Promise.all([
    tx
      .update(people)
      .set({ expertActive: activeNow, updatedAt: now })
      // only a change: a click committed meanwhile is waited for and then finds nothing to change
      .where(and(inPool, sql`${people.expertActive} <> ${activeNow}`))
      .returning({ openId: people.openId }),
    tx
      .select({ n: sql<number>`count(*)::int` })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(and(eq(assignments.expertOpenId, openId), eq(assignments.status, 'assigned'), inArray(cycles.status, ['open', 'scoring', 'closed']))),
  ]);
  const action = activeNow ? 'expert.activate' : 'expert.deactivate';
  if (!row) {
    const [person] = await tx.select({ openId: people.openId }).from(people).where(inPool);
    if (!person) throw new UserError('找不到这位专家，请刷新专家库。');
    // an expert is made active by 启用 and by 添加专家 alike: the later of the two is when
    throw new AlreadyDone(activeNow ? '启用' : '停用', { action: activeNow ? [action, 'expert.add'] : action, entity: 'person', entityId: openId }, '该专家');
  }
  await audit(tx, { actor: actor.openId, action, entity: 'person', entityId: openId, at: now });
  return { pending: Number(pending.n) };
}

export interface PoolEntry {
  openId: string;
  name: string | null;
  organization: string | null;
  specialities: string[];
  maxLoad: number | null;
  active: boolean;
  load: number; // assigned + submitted in the running cycle
  pending: number;
  /**
   * Imported by a mobile or e-mail not yet in the Feishu address book (a `pending:` id, src/import/people.ts): no
   * expert for assignment, nor to 启用 or 停用, until they first message the bot and are linked.
   */
  unlinked?: boolean;
}

/** The pool with each expert's load in the running cycle; active first. */
export async function listExperts(tx: Db): Promise<PoolEntry[]> {
  // issued together: one round trip; the loads are of the running cycle (one at most, 第十九条), none when no cycle runs
  const running = tx.select({ id: cycles.id }).from(cycles).where(inArray(cycles.status, ['open', 'scoring', 'closed']));
  const [rows, counts] = await Promise.all([
    tx
      .select({
        openId: people.openId,
        name: people.name,
        organization: organizations.name,
        specialities: people.specialities,
        maxLoad: people.maxLoad,
        active: people.expertActive,
      })
      .from(people)
      .leftJoin(organizations, eq(organizations.id, people.organizationId))
      .where(sql`'expert' = any(${people.roles})`)
      .orderBy(sql`${people.expertActive} desc`, asc(people.openId)),
    tx
      .select({
        openId: assignments.expertOpenId,
        load: sql<number>`count(*) filter (where ${assignments.status} in ('assigned', 'submitted'))::int`,
        pending: sql<number>`count(*) filter (where ${assignments.status} = 'assigned')::int`,
      })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .where(inArray(applications.cycleId, running))
      .groupBy(assignments.expertOpenId),
  ]);
  const loads = new Map<string, { load: number; pending: number }>();
  for (const c of counts) loads.set(c.openId, { load: Number(c.load), pending: Number(c.pending) });
  return rows.map((r) => ({
    ...r,
    specialities: r.specialities ?? [],
    ...(loads.get(r.openId) ?? { load: 0, pending: 0 }),
    ...(isPending(r.openId) ? { active: false, unlinked: true } : {}),
  }));
}

export interface DeclaredConflictView {
  id: number;
  kind: 'team' | 'organization';
  label: string;
  reason: string | null;
}

export async function conflictsOf(tx: Db, openId: string): Promise<DeclaredConflictView[]> {
  const rows = await tx
    .select({ id: conflicts.id, teamCode: teams.code, teamName: teams.name, organization: organizations.name, reason: conflicts.reason })
    .from(conflicts)
    .leftJoin(teams, eq(teams.id, conflicts.teamId))
    .leftJoin(organizations, eq(organizations.id, conflicts.organizationId))
    .where(eq(conflicts.expertOpenId, openId))
    .orderBy(asc(conflicts.id));
  return rows.map((r) => ({
    id: r.id,
    kind: r.teamCode ? 'team' : 'organization',
    label: r.teamCode ? `${r.teamCode} ${r.teamName}` : (r.organization ?? ''),
    reason: r.reason,
  }));
}

/** A sheet the expert submitted before declaring a conflict with its team or organisation, in a year not yet published. */
export interface ScoredBeforeConflict {
  applicationId: number;
  year: number;
  code: string;
  team: string;
  total: number | null;
}

/**
 * 声明利益冲突 (第十七条): against a team (by code) or an organisation (by name). A pending task of
 * the running cycle that the conflict touches is declined and goes to another expert.
 */
export async function declareConflict(
  tx: Db,
  actor: Actor,
  formValue: Record<string, unknown>,
  now: Date,
  timezone: string,
): Promise<{ label: string; reason: string; declined: ({ task: Task; replacement: Replacement } & PanelCompletion)[]; conflictId: number; scored: ScoredBeforeConflict[] }> {
  if (!hasRole(actor, 'expert')) throw new UserError('只有专家库中的评审专家可以声明利益冲突。');
  const input = readForm(conflictForm, formValue);
  let teamId: number | null = null;
  let orgId: number | null = null;
  let label: string;
  // a second click waits on this lock for the first, then finds its declaration; the target is read beside it (one round trip)
  // no key update: a replacement that picks this expert meanwhile still takes the key-share lock its foreign key needs
  const lock = tx.select({ openId: people.openId }).from(people).where(eq(people.openId, actor.openId)).for('no key update');
  if (input.kind === 'team') {
    // the code wherever it stands in what was typed: the task card prints the team as 班组名（GDSZ-2026-0001）
    const codes = teamCodesTyped(input.target);
    // no code in it: the team's full name, as 修改资料 and 投诉 take it (however its width or brackets are typed)
    const byName = () => findTeams(tx, conflictTarget(input.target), { partial: false, renamedFrom: false });
    let [found] = await Promise.all([codes.length ? tx.select({ id: teams.id, name: teams.name, code: teams.code }).from(teams).where(inArray(teams.code, codes)).orderBy(asc(teams.code)) : byName(), lock]);
    // what looked like a code in brackets may be part of a name (广州养护（1）班): that name, when no team has the code
    if (codes.length && !found.length) found = await byName();
    const named = found.length > 0 && 'organization' in found[0];
    if (found.length > 1 && named) {
      const which = found.slice(0, 10).map((t) => `${t.name}（${'organization' in t ? `${t.organization}，` : ''}${t.code}）`);
      throw new UserError(`有 ${found.length} 个名为“${conflictTarget(input.target)}”的班组，请填写其中一个的班组编号：${which.join('；')}。`, { field: 'target' });
    }
    if (found.length > 1) throw new UserError(`“${input.target}”中有 ${found.length} 个班组编号（${found.map((t) => t.code).join('、')}），请一次只填写一个班组编号。`, { field: 'target' });
    const [team] = found;
    if (!team && codes.length) throw new UserError(`找不到编号或名称为“${conflictTarget(input.target)}”的班组，请填写班组编号（如 GDSZ-2026-0001，见评分任务卡片上班组名后的括号）或班组全称。`, { field: 'target' });
    if (!team) throw new UserError(`找不到名为“${conflictTarget(input.target)}”的班组，请填写班组全称或班组编号（如 GDSZ-2026-0001，见评分任务卡片上班组名后的括号）。`, { field: 'target' });
    teamId = team.id;
    label = `${team.code} ${team.name}`;
  } else {
    // the organisation however its name is typed: a declaration against one spelling covers every other
    const [org] = await Promise.all([findOrganization(tx, conflictTarget(input.target)), lock]);
    if (!org) throw new UserError(`找不到名为“${conflictTarget(input.target)}”的单位，请填写单位全称（与班组注册时一致）。`, { field: 'target' });
    orgId = org.id;
    label = org.name;
  }
  const ofTarget = teamId ? eq(teams.id, teamId) : eq(teams.organizationId, orgId!);
  // every running cycle's lock, beside the check for the same declaration (one round trip), whether or not a task is
  // touched now: a 谢绝 or a 分配专家 batch that would give this expert a task of the target meanwhile commits before
  // (the read of the touched tasks below, after the lock, finds it) or waits and then sees the declaration.
  // Then the applications of the tasks pending now, in the order of their tasks (as each declineTask takes them): a 提交评分
  // of one of them holds its application, so it commits before (the reads below find the sheet submitted: reported, not
  // declined) or waits and then finds the declaration (回避)
  const [[dup]] = await Promise.all([
    tx
      .select({ id: conflicts.id })
      .from(conflicts)
      .where(and(eq(conflicts.expertOpenId, actor.openId), teamId ? eq(conflicts.teamId, teamId) : eq(conflicts.organizationId, orgId!))),
    tx.select({ id: cycles.id }).from(cycles).where(inArray(cycles.status, ['open', 'scoring'])).orderBy(asc(cycles.id)).for('update'),
    tx
      .select({ id: applications.id })
      .from(applications)
      .innerJoin(assignments, eq(assignments.applicationId, applications.id))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(and(eq(assignments.expertOpenId, actor.openId), eq(assignments.status, 'assigned'), inArray(cycles.status, ['open', 'scoring']), ofTarget))
      .orderBy(asc(assignments.id))
      .for('update', { of: applications }),
  ]);
  if (dup) throw new AlreadyDone('声明', { action: 'expert.declareConflict', entity: 'conflict', entityId: dup.id }, `与“${label}”存在利益冲突`);
  // issued together: one round trip (the tasks the conflict touches do not depend on the declaration's row)
  const [[row], touched, scored] = await Promise.all([
    tx.insert(conflicts).values({ expertOpenId: actor.openId, teamId, organizationId: orgId, reason: input.reason }).returning({ id: conflicts.id }),
    tx
      .select({ id: assignments.id })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(
        and(
          eq(assignments.expertOpenId, actor.openId),
          eq(assignments.status, 'assigned'),
          inArray(cycles.status, ['open', 'scoring']),
          ofTarget,
        ),
      )
      .orderBy(asc(assignments.id)),
    // sheets already submitted for the target in a year not yet published: they still count, so the administrators hear of them
    tx
      .select({ applicationId: applications.id, year: cycles.year, code: teams.code, team: teams.name, total: assignments.total })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(and(eq(assignments.expertOpenId, actor.openId), eq(assignments.status, 'submitted'), inArray(cycles.status, ['open', 'scoring', 'closed']), ofTarget))
      .orderBy(asc(teams.code)),
  ]);
  await audit(tx, { actor: actor.openId, action: 'expert.declareConflict', entity: 'conflict', entityId: row.id, details: { kind: input.kind, target: label, reason: input.reason }, at: now });
  // the decline records why under its own form's limit: a reason the conflict form allowed is cut there, not refused
  // (the declaration above keeps it whole)
  const max = declineForm.fields.reason.maxLength;
  const because = `${DECLARED_CONFLICT}${input.reason}`;
  const declineReason = because.length > max ? `${cutText(because, max - 1)}…` : because;
  const declined = [];
  for (const t of touched) {
    declined.push(await declineTask(tx, actor, t.id, { kind: 'conflict', reason: declineReason }, now, timezone, { recordConflict: false, recusal: true, declared: true }));
  }
  return { label, reason: input.reason, declined, conflictId: row.id, scored };
}
