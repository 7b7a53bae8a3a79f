import { and, asc, desc, eq, getTableColumns, inArray, ne, or, type Placeholder, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, conflicts, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { type ApplicationStatus, applicationMachine } from '../applications.js';
import { audit } from '../audit.js';
import { activeBulkJob } from '../bulkJobs.js';
import { formatDateTimeZh } from '../dates.js';
import { aggregatedBefore, cycleScoreSheet, DEFAULT_TIMEZONE, reopenedForSheetsText, transitionCycle } from '../cycles.js';
import { lockWaiting } from '../outbox.js';
import { AlreadyDone, cite, UserError } from '../errors.js';
import { type DisplayRow, defineForm, type FieldSpec, fieldName, fieldText, type FormDescriptor, formDisplay, formSchema, optionalText, readForm, readNumber, SCORE_UNIT, typedText } from '../forms.js';
import type { Actor } from '../people.js';
import { requireAdmin } from '../permissions.js';
import { type ScoreSheet, type SheetItem, sheetFingerprint, sheetItems } from '../scoreSheet.js';
import { aggregationRuleOf, panelOutliers, type Outlier, type PanelScore } from './aggregation.js';
import { type NewAssignment, replaceOnApplication, type UnfilledApplication } from './assignment.js';
import { cutText } from '../../cards/kit.js';
import { unneededThenText } from '../../cards/review.js';

/** 专家评分: one score sheet per assignment, item by item, inside a card (第十八条). */

export interface ScoreField extends SheetItem {
  /** The card's field name: a simple identifier from the item code ("1.2" → "i1_2"). */
  field: string;
}

/** The form fields of a sheet, one per item, named by item code and unique. */
export function scoreFields(sheet: ScoreSheet): ScoreField[] {
  const seen = new Set<string>();
  return sheetItems(sheet).map((item, index) => {
    const base = `i${item.code.replace(/[^A-Za-z0-9]/g, '_')}`;
    // "1.1" and "1-1" make one name, and that name with its place may be a third item's ("1.1.2" after "1.1", "1-1"):
    // two inputs of one name would store one score under both items
    let field = base;
    for (let n = index; seen.has(field); n++) field = `${base}_${n}`;
    seen.add(field);
    return { ...item, field };
  });
}

export const itemLabel = (item: Pick<SheetItem, 'code' | 'name'>) => `${item.code} ${item.name}`;

export interface ScoreSheetInput {
  scores: Record<string, number>; // by item code
  total: number;
  comment: string | null;
}

/** The score form of a sheet: one number field per item (named by `scoreFields`), then the comment; with the areas that group them. */
export interface ScoreSheetForm extends FormDescriptor {
  /** The sheet's areas in order: heading, subtotal and the names of their fields. */
  areas: { code: string; name: string; article?: string; max: number; fields: string[] }[];
  /** Each item's field, in the sheet's order. */
  items: ScoreField[];
}

interface CompiledSheet {
  form: ScoreSheetForm;
  schema: z.ZodType<ScoreSheetInput, unknown>;
}

/** Built once per sheet: a cycle's sheet is one frozen object (`cycleScoreSheet`), so its identity is its version. */
const compiledSheets = new WeakMap<ScoreSheet, CompiledSheet>();

function compiled(sheet: ScoreSheet): CompiledSheet {
  let c = compiledSheets.get(sheet);
  if (!c) {
    const form = buildScoreSheetForm(sheet);
    c = { form, schema: scoreSchema(form) };
    compiledSheets.set(sheet, c);
  }
  return c;
}

/**
 * The score sheet an expert fills (第十八条), as a form descriptor: each item a number from 0 to its max in
 * whole or half points, labelled “1.2 质量安全管理制度健全并严格执行” with its max, under its area (with the
 * area's article); then the optional comment. The submit's schema, the task card's inputs and the read-only display come from it.
 */
export function scoreSheetForm(sheet: ScoreSheet): ScoreSheetForm {
  return compiled(sheet).form;
}

function buildScoreSheetForm(sheet: ScoreSheet): ScoreSheetForm {
  const items = scoreFields(sheet);
  const fields: Record<string, FieldSpec> = {};
  // the article belongs to the area (第七条第1款…): its heading names it once, not each of its items
  for (const item of items) fields[item.field] = { kind: 'number', label: itemLabel(item), help: `满分 ${item.max} 分`, min: 0, max: item.max, step: 0.5, unit: '分' };
  fields.comment = { kind: 'longText', label: '评审意见', help: '可选', required: false, maxLength: 1000 };
  const areas = sheet.areas.map((a) => {
    const own = items.filter((i) => i.areaCode === a.code);
    return { code: a.code, name: a.name, article: a.article, max: Math.round(own.reduce((n, i) => n + i.max, 0) * 100) / 100, fields: own.map((i) => i.field) };
  });
  return { name: 'score_form', title: sheet.title, fields, areas, items };
}

const isHalfPoint = (n: number) => Number.isInteger(n * 2);

/** One item's check, from its field: read by `readNumber` (“４．５”, “4.5分”; no other unit), within its limits, whole or half points. */
function itemSchema(f: Extract<FieldSpec, { min: number }>) {
  return z.unknown().transform((raw, ctx) => {
    const n = itemScore(f, raw);
    if (typeof n === 'number') return n;
    ctx.addIssue({ code: 'custom', message: `${f.label}：${wrongItem(f, raw, n)}` });
    return z.NEVER;
  });
}

/** One item as typed: its score, or which rule it breaks (`wrongItem` words it). */
function itemScore(f: Extract<FieldSpec, { min: number }>, raw: unknown): number | 'blank' | 'notNumber' | 'outOfRange' {
  const n = readNumber(raw, SCORE_UNIT);
  if (n === undefined) return 'blank';
  if (Number.isNaN(n)) return 'notNumber';
  if (n < f.min || n > f.max || (f.step === 0.5 && !isHalfPoint(n))) return 'outOfRange';
  return n;
}

function wrongItem(f: Extract<FieldSpec, { min: number }>, raw: unknown, why: 'blank' | 'notNumber' | 'outOfRange'): string {
  const rule = `须在 ${f.min} 到 ${f.max} 分之间，且为整分或半分`;
  if (why === 'blank') return `请填写分数（${rule.slice(1)}）`;
  // what was typed, quoted; a value no text input sends (an object, a list) is not echoed as [object Object]
  if (why === 'notNumber') {
    if (typeof raw !== 'string') return `请填写数字，${rule}`;
    // 7,5 is a decimal in much of the world, but a comma also groups thousands: refused, with the point shown
    const comma = /^\s*([0-9０-９]{1,3})[,，]([0-9０-９]{1,2})\s*$/.exec(raw);
    const ascii = (d: string) => d.replace(/[０-９]/g, (c) => String(c.charCodeAt(0) - 0xff10));
    return `“${cutText(raw.trim(), 20)}”不是数字，${rule}${comma ? `；小数请用小数点，如 ${ascii(comma[1])}.${ascii(comma[2])}` : ''}`;
  }
  return rule;
}

function scoreSchema(form: ScoreSheetForm): z.ZodType<ScoreSheetInput, unknown> {
  const comment = form.fields.comment as Extract<FieldSpec, { maxLength: number }>;
  const shape: Record<string, z.ZodType> = {};
  for (const item of form.items) shape[item.field] = itemSchema(form.fields[item.field] as Extract<FieldSpec, { min: number }>);
  shape.comment = optionalText(fieldName(comment), comment.maxLength);
  return z.object(shape).transform((v) => {
    const scores: Record<string, number> = {};
    let total = 0;
    for (const item of form.items) {
      const n = v[item.field] as number;
      scores[item.code] = n;
      total += n;
    }
    return { scores, total: Math.round(total * 100) / 100, comment: (v.comment as string | undefined) ?? null };
  });
}

/**
 * The schema's answer for a sheet it accepts, read without it: every item read by `readNumber` within its limits in
 * whole or half points, the comment a string within its length or absent. Undefined for anything else, which the
 * schema then reads and names (a refusal, or a comment of another type). The schema's transforms cost a 提交评分
 * several times what this loop does, on the path every sheet takes; `test/review.scoreForm.test.ts` holds the two to
 * the same answers.
 */
function readAsIs(form: ScoreSheetForm, formValue: Record<string, unknown>): ScoreSheetInput | undefined {
  const scores: Record<string, number> = {};
  let total = 0;
  for (const item of form.items) {
    const n = itemScore(form.fields[item.field] as Extract<FieldSpec, { min: number }>, formValue[item.field]);
    if (typeof n !== 'number') return undefined;
    scores[item.code] = n;
    total += n;
  }
  const raw = formValue.comment;
  let comment: string | null = null;
  if (typeof raw === 'string') {
    // as the schema's optionalText reads it: controls, zero-width and direction marks out, \r\n as \n (typedText)
    const trimmed = typedText(raw);
    if (trimmed.length > (form.fields.comment as Extract<FieldSpec, { maxLength: number }>).maxLength) return undefined;
    comment = trimmed || null;
  } else if (raw !== undefined && raw !== null) return undefined;
  return { scores, total: Math.round(total * 100) / 100, comment };
}

/** The schema `parseScoreForm` reads a sheet with when `readAsIs` does not: for the test that holds the two together. */
export function scoreFormSchema(sheet: ScoreSheet): z.ZodType<ScoreSheetInput, unknown> {
  return compiled(sheet).schema;
}

/** Wrong items a refusal names at most; the rest are counted. */
const WRONG_ITEMS_NAMED = 5;

/**
 * Reads a submitted score form (pure: the submit's one parse, on either path) against the sheet's cached
 * schema. A wrong item becomes a UserError naming it: "1.2 质量安全管理制度健全并严格执行：须在 0 到 5 分之间，
 * 且为整分或半分"; several are named together, in the sheet's order, so that one refusal says all there is to fix
 * (an expert on a phone scrolls the whole sheet for each). `field` is the first.
 */
export function parseScoreForm(sheet: ScoreSheet, formValue: Record<string, unknown>): ScoreSheetInput {
  const { form, schema } = compiled(sheet);
  const read = readAsIs(form, formValue);
  if (read) return read;
  const result = schema.safeParse(formValue);
  if (result.success) return result.data;
  const issues = result.error.issues;
  // items left blank are named by their codes in one part (an untouched sheet is 19 of them: the same words nineteen
  // times do not fit a phone's toast); the rest each with what is wrong, as before
  const blank = form.items.filter((item) => itemScore(form.fields[item.field] as Extract<FieldSpec, { min: number }>, formValue[item.field]) === 'blank');
  const grouped = blank.length > 1 ? new Set(blank.map((item) => item.field)) : new Set<string>();
  const others = issues.filter((i) => !grouped.has(String(i.path[0])));
  const blanks = grouped.size ? [`未填写 ${blank.map((item) => item.code).join('、')} 的分数（每项不超过该项满分，整分或半分）`] : [];
  const named = [...blanks, ...others.slice(0, WRONG_ITEMS_NAMED).map((i) => i.message)];
  const message =
    issues.length === 1 ? issues[0].message : `${issues.length} 处需修改：${named.join('；')}${others.length > WRONG_ITEMS_NAMED ? `；另有 ${others.length - WRONG_ITEMS_NAMED} 处` : ''}`;
  // the toast names the first few; the sheet's card lists every one on its own line (refusalBanner)
  const problems = [...blanks, ...others.map((i) => i.message)];
  throw new UserError(message, { field: String(issues[0].path[0] ?? ''), article: 18, ...(problems.length > 1 ? { problems } : {}) });
}

/** A stored sheet as people read it, item by item and then the comment (the expert's own view after submit). */
export function scoreSheetDisplay(sheet: ScoreSheet, scores: Readonly<Record<string, number | null | undefined>> | null, comment: string | null): DisplayRow[] {
  const form = scoreSheetForm(sheet);
  const values: Record<string, unknown> = { comment };
  for (const item of form.items) values[item.field] = scores?.[item.code];
  return formDisplay(form, values);
}

// --- tasks ---------------------------------------------------------------------------------------

export type Assignment = typeof assignments.$inferSelect;

export interface Task {
  assignment: Assignment;
  application: typeof applications.$inferSelect;
  team: typeof teams.$inferSelect;
  organization: string;
  cycle: typeof cycles.$inferSelect;
}

/**
 * What the answer to a stored sheet draws (submittedCard, bot/review/view.ts): the sheet, the team's code and name, its
 * organisation, the form's summary and the cycle. The one-statement path answers from these alone (src/review/fastSubmit.ts).
 */
export interface SubmittedTask {
  assignment: Pick<Assignment, 'id' | 'scores' | 'total' | 'comment' | 'submittedAt'>;
  application: Pick<Task['application'], 'form'>;
  team: Pick<Task['team'], 'code' | 'name'>;
  organization: string;
  cycle: Task['cycle'];
}

export function tasksQuery(tx: Db) {
  return tx
    .select({ assignment: assignments, application: applications, team: teams, organization: organizations.name, cycle: cycles })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId));
}

/** The cycle's columns but its score sheet, with the row's version: what a hot read selects (the row by version: `knownCycle`). */
const { scoreSheet: _sheet, ...cycleColumnsButSheet } = getTableColumns(cycles);

/**
 * `tasksQuery` without the cycle's score sheet (several KB of JSON sent and parsed on every read): the cycle
 * carries `sheetVersion`, its row's xmin, for a reader that needs the sheet to take it from the process's cache (`knownCycle`).
 */
export function tasksWithoutSheetQuery(tx: Db) {
  return tx
    .select({
      assignment: assignments,
      application: applications,
      team: teams,
      organization: organizations.name,
      cycle: { ...cycleColumnsButSheet, sheetVersion: sql<string>`${cycles}.xmin::text` },
    })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId));
}

export type TaskWithoutSheet = Awaited<ReturnType<ReturnType<typeof tasksWithoutSheetQuery>['execute']>>[number];

export async function getTask(tx: Db, assignmentId: number): Promise<Task | undefined> {
  const [row] = await tasksQuery(tx).where(eq(assignments.id, assignmentId));
  return row;
}

/** Many tasks in one query (the cards sent after an assignment run), in id order. */
export async function getTasks(tx: Db, assignmentIds: number[]): Promise<Task[]> {
  const out: Task[] = [];
  for (let i = 0; i < assignmentIds.length; i += 1000) {
    out.push(...(await tasksQuery(tx).where(inArray(assignments.id, assignmentIds.slice(i, i + 1000))).orderBy(asc(assignments.id))));
  }
  return out;
}

/** The assigned expert only: an expert never opens another's task (第十七条). */
export async function ownTask(tx: Db, actor: Actor, assignmentId: number): Promise<Task> {
  return ownedBy(actor, await getTask(tx, assignmentId));
}

function ownedBy(actor: Pick<Actor, 'openId'>, task: Task | undefined): Task {
  if (!task || task.assignment.expertOpenId !== actor.openId) {
    throw new UserError(cite(17, '评审坚持公开、公平和公正原则。这不是你的评分任务：评分任务只能由被分配的专家本人打开和提交。发送“评分”查看你的任务。'), { article: 17 });
  }
  return task;
}

/** The application a task belongs to, as a subquery: the rows a task's locks take are found from its id alone. */
const applicationOfTask = (tx: Db, assignmentId: number) => tx.select({ id: assignments.applicationId }).from(assignments).where(eq(assignments.id, assignmentId));

/**
 * The task read under locks. Whatever plans a replacement also locks the cycle first, in the order
 * 分配专家 takes them (cycle, then applications), so the two never deadlock nor overfill a panel;
 * submits, declines and reopens on one panel happen one after another under the application's lock.
 */
async function taskUnderLocks<T = undefined>(tx: Db, assignmentId: number, also?: () => PromiseLike<T>): Promise<[Task | undefined, T]> {
  // issued together (one round trip), in this order: the server runs each once the lock before it is granted,
  // so the task, and what `also` reads behind it, are read as the last holder of the locks left them
  const locked = Promise.all([
    tx
      .select({ id: cycles.id })
      .from(cycles)
      .where(inArray(cycles.id, tx.select({ id: applications.cycleId }).from(applications).where(inArray(applications.id, applicationOfTask(tx, assignmentId)))))
      .for('update'),
    tx.select({ id: applications.id }).from(applications).where(inArray(applications.id, applicationOfTask(tx, assignmentId))).for('update'),
    tasksQuery(tx).where(eq(assignments.id, assignmentId)),
  ]);
  const [[, , [task]], read] = await Promise.all([locked, also?.() as T]);
  return [task, read];
}

async function lockedTask(tx: Db, actor: Actor, assignmentId: number, opts: { cycle: boolean }): Promise<Task> {
  if (opts.cycle) return ownedBy(actor, (await taskUnderLocks(tx, assignmentId))[0]);
  // without the cycle lock, the task is read and its application locked in one round trip
  const [task] = await tasksQuery(tx).where(eq(assignments.id, assignmentId)).for('update', { of: applications });
  return ownedBy(actor, task);
}

function scoringOpen(cycle: Task['cycle']): void {
  if (cycle.status === 'published') throw new UserError(`${cycle.year}年度评审结果已公布，本年度评审已结束，不能再提交或谢绝。`, { kind: 'info' });
  if (cycle.status !== 'open' && cycle.status !== 'scoring') {
    throw new UserError(`${cycle.year}年度专家评分已结束，不能再提交或谢绝；如需更改，请联系协会管理员。`, { kind: 'info' });
  }
}

/** Said instead of “ask for 重开” once the year's results are published: `reopenScore` refuses every sheet then. */
export function resultsPublishedText(year: number): string {
  return `${year}年度评审结果已公布，本年度评审已结束，评分不再更改。`;
}

/**
 * After 结束评分并汇总, a sheet reopened is for its expert to submit again, nothing more (第十七条): a 谢绝 or an 更换专家
 * would bring an expert who never scored onto a summed panel, as 分配专家 would (checkAssignable). A recusal for a
 * conflict of interest (声明利益冲突, a change of organisation) still declines.
 */
export async function noNewExpertAfterSum(tx: Db, cycle: Pick<Task['cycle'], 'id' | 'year' | 'status'>, what: string): Promise<void> {
  if (cycle.status === 'scoring' && (await aggregatedBefore(tx, cycle.id))) throw new UserError(reopenedForSheetsText(cycle.year, what), { kind: 'info', article: 17 });
}

/**
 * Whether the task's expert must step aside from its team (回避, 第十七条): a conflict they declared with the team or its
 * organisation, the team's organisation their own (their expert record's, or that of a team they lead, belong to or
 * are the contact of: RULES.md, no expert from the applicant's own organisation), or a place in the team (its leader,
 * contact or a member).
 */
export async function mustRecuse(tx: Db, task: Pick<Task, 'assignment' | 'team'>): Promise<boolean> {
  return (await recusalReason(tx, task)) !== undefined;
}

/** Why the task's expert must step aside from its team (`mustRecuse`), in the words an administrator reads; undefined when they need not. */
export async function recusalReason(tx: Db, task: Pick<Task, 'assignment' | 'team'>): Promise<string | undefined> {
  const expert = task.assignment.expertOpenId;
  const { team } = task;
  if (team.leaderOpenId === expert) return '是该班组的班组长';
  if (team.contactOpenId === expert) return '是该班组的单位联系人';
  // issued together: one round trip
  const [declared, [person], member] = await Promise.all([
    tx
      .select({ id: conflicts.id })
      .from(conflicts)
      .where(and(eq(conflicts.expertOpenId, expert), or(eq(conflicts.teamId, team.id), eq(conflicts.organizationId, team.organizationId))))
      .limit(1),
    tx.select({ organizationId: people.organizationId, teamOfIt: leadsOrBelongsIn(sql`${expert}`, sql`${team.organizationId}`) }).from(people).where(eq(people.openId, expert)),
    tx.select({ openId: teamMembers.openId }).from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.openId, expert))).limit(1),
  ]);
  if (member.length > 0) return '是该班组的成员';
  if (declared.length > 0) return '已声明与该班组存在利益冲突';
  if (person?.organizationId === team.organizationId || person?.teamOfIt) return '与该班组同属一个单位';
  return undefined;
}

/**
 * Whether `expert` leads, belongs to or is the 单位联系人 of a team of `organization`: that organisation is theirs
 * (第十七条), whatever their expert record names (registration never sets it). Index probes on the expert
 * (teams_leader_idx, teams_contact_idx, team_members_open_id_idx), never a scan of the organisation's teams.
 */
export function leadsOrBelongsIn(expert: SQLWrapper, organization: SQLWrapper): SQL<boolean> {
  return sql<boolean>`(exists (select 1 from ${teams} as own where own.leader_open_id = ${expert} and own.organization_id = ${organization})
    or exists (select 1 from ${teams} as own where own.contact_open_id = ${expert} and own.organization_id = ${organization})
    or exists (select 1 from ${teamMembers} as own_member join ${teams} as own on own.id = own_member.team_id
      where own_member.open_id = ${expert} and own.organization_id = ${organization}))`;
}

/**
 * `mustRecuse` as SQL, for a statement that reads tasks with their team (`teams` joined by its name): whether `expert`
 * is the team's leader, contact or member, declared a conflict with it or its organisation, or belongs to that
 * organisation (by their expert record, or a team of it they lead, belong to or are the contact of). The checks of
 * `recusalReason` and the one-statement submit (migrations 0016, 0017, 0021, 0022): index look-ups on the expert.
 */
export function mustRecuseSql(expert: SQLWrapper): SQL<boolean> {
  return sql<boolean>`(${expert} in (${teams.leaderOpenId}, ${teams.contactOpenId})
    or exists (select 1 from ${teamMembers} where ${teamMembers.teamId} = ${teams.id} and ${teamMembers.openId} = ${expert})
    or exists (select 1 from ${conflicts} where ${conflicts.expertOpenId} = ${expert} and (${conflicts.teamId} = ${teams.id} or ${conflicts.organizationId} = ${teams.organizationId}))
    or exists (select 1 from ${people} where ${people.openId} = ${expert} and ${people.organizationId} = ${teams.organizationId})
    or ${leadsOrBelongsIn(expert, teams.organizationId)})`;
}

/**
 * The experts linked to Feishu with tasks of the cycle still to score, with how many: assigned, not submitted, declined
 * or replaced, and not one they must step aside from (第十七条, `mustRecuseSql`: their list says 无需评分).
 */
export async function expertsWithOpenTasks(tx: Db, cycleId: number): Promise<{ openId: string; open: number }[]> {
  return tx
    .select({ openId: assignments.expertOpenId, open: sql<number>`count(*)::int` })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(
      and(
        eq(assignments.cycleId, cycleId),
        eq(assignments.status, 'assigned'),
        sql`${assignments.expertOpenId} not like 'pending:%'`,
        sql`not ${mustRecuseSql(assignments.expertOpenId)}`,
      ),
    )
    .groupBy(assignments.expertOpenId)
    .orderBy(assignments.expertOpenId);
}

/** What an expert who must step aside (`recusalReason`'s `why`) is told on opening the task: nothing for them to score. */
export function recusedTaskText(why: string, teamName: string): string {
  return cite(17, `评审坚持公开、公平和公正原则。你${why}，须回避该班组（${teamName}）的评审，这项任务无需你评分；协会管理员将改派其他专家。`);
}

/**
 * 第十七条: why 查看申报表全文 sends an expert no 申报表 of a task, undefined while it is theirs to read. The materials are
 * for the experts who review the application: not one whose task was given to another expert (更换专家) or declined
 * (谢绝, 声明利益冲突), nor one who must step aside from the team (recusalReason), whatever became of their sheet.
 */
export async function offPanelText(tx: Db, task: Pick<Task, 'assignment' | 'team'>): Promise<string | undefined> {
  const a = task.assignment;
  if (a.status === 'replaced') return cite(17, `评审坚持公开、公平和公正原则，申报材料只供评审该申报的专家查看。协会已将这项评分任务改派给其他专家，申报表全文不再发给你。`);
  if (a.status === 'declined' && declaredConflict(a)) return cite(17, `评审坚持公开、公平和公正原则。你已声明利益冲突，须回避该班组（${task.team.name}）的评审，申报表全文不再发给你。`);
  // a task the bot stepped its expert aside from (回避) was not declined by them: why they must step aside, as below
  const why = a.status === 'declined' ? await steppedAsideWhy(tx, task) : await recusalReason(tx, task);
  if (a.status === 'declined' && !why) return cite(17, `评审坚持公开、公平和公正原则，申报材料只供评审该申报的专家查看。你已谢绝这项评分任务，申报表全文不再发给你。`);
  return why && cite(17, `评审坚持公开、公平和公正原则。你${why}，须回避该班组（${task.team.name}）的评审，申报表全文不再发给你。`);
}

/** What `noNewExpertAfterSum` refuses of an expert's 谢绝. */
export const NO_DECLINE_AFTER_SUM = '不能谢绝；如需回避，请联系协会管理员';

/** A task's year as the refusals below read it: published, no sheet of it is reopened (`reopenScore`). */
type TaskYear = Pick<Task['cycle'], 'year' | 'status'>;

/** What to do about a submitted sheet: ask for 重开, or, once the year's results are published, nothing (`resultsPublishedText`). */
const changeSubmitted = (cycle: TaskYear | undefined, ask: string) => (cycle?.status === 'published' ? resultsPublishedText(cycle.year) : ask);

/**
 * Why a task can no longer be declined (谢绝此任务 on an old copy of its card, or its form sent again), if so; a declined
 * task says what became of it (`declinedHow`: stepped aside by the bot, another expert arranged or not).
 */
export async function notToDecline(tx: Db, task: Task, timezone: string): Promise<UserError | undefined> {
  const { assignment: a, cycle } = task;
  if (a.status === 'submitted') return new UserError(`这份评分已提交，不能再谢绝；${changeSubmitted(cycle, '如需更改，请联系协会管理员。')}`, { kind: 'info' });
  if (a.status === 'declined') return declinedAgain(task, await declinedHow(tx, task));
  return alreadyDone(a, timezone, cycle);
}

/**
 * How 声明利益冲突 marks the reason of the tasks it declines (src/review/experts.ts): stored “声明利益冲突：曾在该单位任职”
 * (rows of before: “存在利益冲突：声明利益冲突：…”, shown without the first label: cards/review.ts `declineReasonShown`).
 */
export const DECLARED_CONFLICT = '声明利益冲突：';

/**
 * A declined task as its expert left it: by 谢绝此任务, or by 声明利益冲突, which declines the tasks it touches
 * (src/review/experts.ts, its reason marked so): that expert pressed no 谢绝, and is told what they did.
 */
const declaredConflict = (a: Pick<Assignment, 'declineReason'>) => !!a.declineReason?.includes(DECLARED_CONFLICT);
/**
 * A declined task as its expert's old buttons speak of it (`declinedHow`): another expert arranged only when one came to
 * its panel after the decline and the panel is full (`placeTaken`); `partly`, one came yet the panel is still short;
 * `unneeded`, the panel needed nobody (it held one expert too many); `unneededThen`, it needed nobody when the expert left
 * it and has fallen short since; `nobody`, nobody could take the place and the administrators were told (无法自动改派专家);
 * `recused`, when the bot stepped the expert aside (回避, `steppedAsideWhy`), why.
 */
export interface DeclinedHow {
  arranged: boolean;
  partly?: boolean;
  unneeded?: boolean;
  unneededThen?: boolean;
  nobody?: boolean;
  recused?: string;
}

/** What became of a declined task (`DeclinedHow`), read once for the answer of an old button. */
export async function declinedHow(tx: Db, task: Pick<Task, 'assignment' | 'team' | 'cycle'>): Promise<DeclinedHow> {
  // issued together: one round trip
  const [place, recused] = await Promise.all([placeTaken(tx, task), steppedAsideWhy(tx, task)]);
  return recused ? { ...place, recused } : place;
}

/**
 * Why the bot stepped the declined task's expert aside from its team (回避, 第十七条): they joined the team or another of
 * its organisation, or their organisation became the team's (`stepAside` in recusal.ts declined the task for them, and
 * its `review.recuse` audit row names it). In the words of `recusalReason` while that still holds, else in those of the
 * decline's reason as the recusal stored it; undefined for a task the expert declined themselves (谢绝, 声明利益冲突).
 */
export async function steppedAsideWhy(tx: Db, task: Pick<Task, 'assignment' | 'team'>): Promise<string | undefined> {
  const a = task.assignment;
  if (a.status !== 'declined' || declaredConflict(a)) return undefined;
  const [row] = await tx
    .select({ one: sql<number>`1` })
    .from(auditLog)
    .where(and(eq(auditLog.action, 'review.recuse'), sql`${auditLog.details} -> 'declined' @> ${JSON.stringify([a.id])}::jsonb`))
    .limit(1);
  if (!row) return undefined;
  const stored = (a.declineReason ?? '').replace(/^[^：]*利益冲突：/, '').replace(/，?须回避$/, '');
  return (await recusalReason(tx, task)) ?? (stored || '与该班组存在利益关系');
}

/** What a declined task's old button is told, by the button: 评分 (`open`), 提交评分 (`submit`) or 谢绝 (`decline`). */
type DeclinedPress = 'open' | 'submit' | 'decline';

/**
 * What an old button on a declined task is told: stepped aside by the bot (回避, 第十七条: why, nothing to score), declined
 * for the conflict declared (第十七条) or by 谢绝; another expert arranged only when one took a place on its panel since.
 */
function declinedText(task: Pick<Task, 'assignment' | 'team'>, how: DeclinedHow, press: DeclinedPress): string {
  const a = task.assignment;
  const place = placeClause(how);
  const arranged = place ? `；${place}。` : '。';
  if (how.recused) {
    const then = press === 'open' ? '' : press === 'submit' ? '，这份评分表无需提交' : '，无需谢绝';
    return `${cite(17, `评审坚持公开、公平和公正原则。你${how.recused}，须回避该班组（${task.team.name}）的评审，这项任务无需你评分`)}${then}${arranged}`;
  }
  if (press === 'open') return `${declaredConflict(a) ? '你已声明利益冲突（第十七条），这项评分任务已因此谢绝，无需你评分' : '你已谢绝这项评分任务，无需评分'}${arranged}`;
  const what = declaredConflict(a)
    ? how.arranged
      ? '你已声明利益冲突（第十七条），这项评分任务已由协会另行安排专家'
      : `你已声明利益冲突（第十七条），这项评分任务已因此谢绝${place ? `，${place}` : ''}`
    : how.arranged
      ? '你已谢绝这项评分任务，协会已另行安排专家'
      : `你已谢绝这项评分任务${place ? `，${place}` : ''}`;
  return `${what}，${press === 'submit' ? '这份评分表无需再提交' : '无需再谢绝'}。`;
}

/**
 * What 评分 (review.open: an old task list, the 申报表 message's button) on a declined task is told: stepped aside by the
 * bot (第十七条: why), declined for the conflict declared (第十七条) or by 谢绝, nothing to score; another expert arranged
 * only when one took a place on its panel since (`placeTaken`).
 */
export function declinedOpenText(task: Pick<Task, 'assignment' | 'team'>, how: DeclinedHow): string {
  return declinedText(task, how, 'open');
}

/** The refusal of 谢绝 on a task declined without the expert's 谢绝 (回避, 声明利益冲突): its old card is redrawn (bot/review/tasks.ts). */
export class TaskDeclined extends UserError {
  constructor(message: string) {
    super(message, { kind: 'info' });
    this.name = 'TaskDeclined';
  }
}

/**
 * Why a declined task takes no second 谢绝 (谢绝此任务 on an old copy of its card, or its form sent again): what
 * `declinedText` says; a 谢绝 the expert pressed before is told with its time (`AlreadyDone`).
 */
function declinedAgain(task: Pick<Task, 'assignment' | 'team'>, how: DeclinedHow): UserError {
  const a = task.assignment;
  if (how.recused || declaredConflict(a)) return new TaskDeclined(declinedText(task, how, 'decline'));
  // nobody took the place: the administrators were told (announceReplacement), not “协会将另行安排专家” as if arranged
  // the panel needed nobody (one expert too many): nobody was arranged, nor were the administrators told of a place
  const place = how.arranged
    ? '协会已另行安排专家'
    : how.unneeded
      ? '该申报的专家组人数已足，无需其他专家接替'
      : how.unneededThen
        ? unneededThenText(false)
        : how.partly
        ? '已有专家接替，但专家组仍未配齐，已告知协会管理员'
        : '暂无专家可以接替，已告知协会管理员';
  const otherwise = `你已谢绝这项评分任务，${place}。`;
  const detail = `这项评分任务，${place}`;
  return new AlreadyDone('谢绝', { action: 'review.decline', entity: 'assignment', entityId: a.id }, detail, otherwise);
}

/**
 * What 评分 and 提交评分 on a declined task say became of its place (`DeclinedHow`), in the words of a fresh 谢绝
 * (`declinedPlaceText`); none when no flag is set (`placeTaken`: a short panel with no replacement row to read).
 */
function placeClause(how: DeclinedHow): string | undefined {
  if (how.arranged) return '协会已另行安排其他专家';
  if (how.unneeded) return '该申报的专家组人数已足，无需其他专家接替';
  if (how.unneededThen) return unneededThenText(how.recused);
  if (how.partly) return '已有专家接替，但专家组仍未配齐，已告知协会管理员另行安排';
  if (how.nobody) return '暂无专家可以接替，已告知协会管理员另行安排';
  return undefined;
}

/**
 * What became of the declined task's place, from what was recorded, not from the panel's size alone (a panel that held
 * one expert too many is full with nobody arranged). The decline's own replacement (its `review.replace` row, the first
 * after the decline naming this expert `replaced`) says what the panel was then: an expert came (`by`); nobody could
 * and the administrators were told (`unfilled`); or neither, the panel needed nobody: the place was never open, so an
 * expert who came later came for another's (`unneeded` while the panel is full; once another's leaving made it short,
 * `unneededThen`: it needed nobody when this expert left). An expert came to a panel left short when its replacement
 * named one, a later replacement of another expert's place left the panel full (a replacement fills every place the
 * panel lacks, this one's too; one leaving it short may have filled only the place it opened, as 更换专家 does), or a
 * later 分配专家 added one to the application (rows after the decline's); the panel is full when it holds the year's
 * number of experts, as 评审进度's panel counts its places (bot/review/panels.ts). Another expert arranged when one
 * came and the panel is full; `partly` when one came and it is still short; `nobody` when none came. Every decline
 * writes its replacement row (`replaceAndRecord`, src/fast/replace.ts); were one missing, the panel alone would be read:
 * full is `unneeded`, short sets no flag: 评分, 提交评分 and the 须回避 card then say nothing of the place, while a second
 * 谢绝 of a task the expert declined and its 已谢绝 card (`declinedPlaceText`) say nobody could and the administrators were told.
 */
export async function placeTaken(tx: Db, task: Pick<Task, 'assignment' | 'cycle'>): Promise<Omit<DeclinedHow, 'recused'>> {
  const a = task.assignment;
  const app = String(a.applicationId);
  const declinedAt = sql`(select max(d.id) from ${auditLog} d where d.action = 'review.decline' and d.entity = 'assignment' and d.entity_id = ${String(a.id)})`;
  const [row] = await tx
    .select({
      n: sql<number>`count(*)::int`,
      // the decline's own replacement: 'came', 'short' (unfilled, the administrators told) or 'full' (nobody needed)
      recorded: sql<'came' | 'short' | 'full' | null>`(
        select case when r.details ->> 'by' is not null then 'came' when r.details ->> 'unfilled' is not null then 'short' else 'full' end
        from ${auditLog} r
        where r.action = 'review.replace' and r.entity = 'application' and r.entity_id = ${app}
          and r.details ->> 'replaced' = ${a.expertOpenId} and r.id > ${declinedAt}
        order by r.id limit 1
      )`,
      came: sql<boolean>`(exists (
        select 1 from ${auditLog} r
        where r.action = 'review.replace' and r.entity = 'application' and r.entity_id = ${app}
          and r.details ->> 'replaced' = ${a.expertOpenId} and r.details ->> 'by' is not null
      ) or exists (
        select 1 from ${auditLog} r
        where r.action = 'review.replace' and r.entity = 'application' and r.entity_id = ${app} and r.details ->> 'by' is not null
          and r.details ->> 'unfilled' is null and r.id > ${declinedAt}
      ) or exists (
        select 1 from ${auditLog} g
        where g.action = 'review.assign' and g.details -> 'added' @> jsonb_build_array(jsonb_build_array(${a.applicationId}::int))
          and g.id > ${declinedAt}
      ))`,
    })
    .from(assignments)
    .where(and(eq(assignments.applicationId, a.applicationId), inArray(assignments.status, ['assigned', 'submitted'])));
  const full = Number(row?.n ?? 0) >= task.cycle.expertsPerApplication;
  // the panel needed nobody when this expert left it: nobody later came for this place; said of that time once it is short
  if (row?.recorded === 'full') return full ? { arranged: false, unneeded: true } : { arranged: false, unneededThen: true };
  const came = !!row?.came;
  if (row?.recorded === 'short' && !came) return { arranged: false, nobody: true };
  return { arranged: came && full, partly: came && !full, unneeded: !came && full };
}

/**
 * What a second submit or decline of a task finds; `a` must be read after the task's lock. `typed`: the sheet a second
 * submit sent, when it reads: one with other scores or another comment (typed on a second device, or corrected after a
 * first tap that seemed lost) is said not to be saved, with its own total, not only that the sheet was submitted.
 */
export function alreadyDone(a: Assignment, timezone: string, cycle?: TaskYear, typed?: ScoreSheetInput): UserError | undefined {
  if (a.status === 'submitted') {
    const total = a.total === null ? '' : `（总分 ${a.total} 分）`;
    const other = typed && differsFromStored(a, typed) ? `。这次提交的评分表（合计 ${typed.total} 分）与已提交的不同，没有保存` : '';
    const known = a.submittedAt ? `这份评分已于 ${formatDateTimeZh(a.submittedAt, timezone)} 提交${total}，无需重复提交${other}；${changeSubmitted(cycle, '如需修改，请联系协会管理员重开。')}` : undefined;
    return new AlreadyDone('提交', { action: 'review.submit', entity: 'assignment', entityId: a.id }, total, known);
  }
  if (a.status === 'replaced') return new UserError('协会已将这项评分任务改派给其他专家，无需再评分。', { kind: 'info' });
  return undefined;
}

/** Whether a sheet sent again holds other scores or another comment than the one stored. */
function differsFromStored(a: Pick<Assignment, 'scores' | 'comment'>, typed: ScoreSheetInput): boolean {
  const stored = (a.scores ?? {}) as Record<string, number>;
  const codes = new Set([...Object.keys(stored), ...Object.keys(typed.scores)]);
  return [...codes].some((code) => Number(stored[code]) !== Number(typed.scores[code])) || (a.comment ?? '') !== (typed.comment ?? '');
}

function toPanelScore(r: { assignmentId: number; expertOpenId: string; total: number | null; scores: unknown }): PanelScore {
  return { assignmentId: r.assignmentId, expertOpenId: r.expertOpenId, total: Number(r.total), scores: (r.scores ?? {}) as Record<string, number> };
}

export interface PanelCompletion {
  completed: boolean;
  panel: PanelScore[];
  outliers: Outlier[];
  /** The year was summed before and reopened; this completion was the last it waited for: it can be summed again. */
  reopeningDone?: ReopeningDone;
}

/** A reopened year's last panel complete again (`reopeningDone`): its latest 重开评分's audit row names the reopening. */
export interface ReopeningDone {
  cycleId: number;
  year: number;
  lastReopenId: number;
}

/** The panel's pending and submitted tasks, as `completeIfDone` weighs them. */
function panelMembers(tx: Db, applicationId: number) {
  return tx
    .select({ assignmentId: assignments.id, expertOpenId: assignments.expertOpenId, status: assignments.status, total: assignments.total, scores: assignments.scores })
    .from(assignments)
    .where(and(eq(assignments.applicationId, applicationId), inArray(assignments.status, ['assigned', 'submitted'])))
    .orderBy(asc(assignments.id));
}

type PanelMembers = Awaited<ReturnType<typeof panelMembers>>;

/** When no task of the panel is pending and someone has scored, the application is 评审完成. */
async function completeIfDone(tx: Db, actor: Actor, { application, cycle }: Pick<Task, 'application' | 'cycle'>, now: Date, read?: PanelMembers): Promise<PanelCompletion> {
  const members = read ?? (await panelMembers(tx, application.id));
  const pending = members.filter((m) => m.status === 'assigned').length;
  const panel = members.filter((m) => m.status === 'submitted').map(toPanelScore);
  if (pending > 0 || !panel.length || application.status !== 'scoring') return { completed: false, panel, outliers: [] };
  const to = applicationMachine.check('completePanel', application.status as ApplicationStatus, actor);
  // issued together: one round trip (whether the year was summed before: only then can this end a reopening)
  const [, summedBefore] = await Promise.all([
    tx.update(applications).set({ status: to, updatedAt: now }).where(eq(applications.id, application.id)),
    cycle.status === 'scoring' ? aggregatedBefore(tx, cycle.id) : false,
  ]);
  // the cycle's outlierDistance (aggregationRuleOf)
  const outliers = panelOutliers(panel, aggregationRuleOf(cycle.settings));
  await audit(tx, {
    actor: actor.openId,
    action: 'application.completePanel',
    entity: 'application',
    entityId: application.id,
    details: { totals: panel.map((p) => p.total), outliers: outliers.map((o) => ({ assignmentId: o.assignmentId, total: o.total, median: o.median })) },
    at: now,
  });
  const reopeningDone = summedBefore ? await reopeningDoneBy(tx, cycle) : undefined;
  return { completed: true, panel, outliers, ...(reopeningDone ? { reopeningDone } : {}) };
}

/**
 * Whether the year, summed before and reopened (重开评分), has no application left to score now that one more panel is
 * complete: 结束评分并汇总 would pass its checks (`scoringToClose`). Two last panels of two applications completed at once
 * each hold their own application's lock only: the year's advisory lock, taken by nothing else, makes the second read
 * after the first committed, so exactly one of them finds the year done.
 */
async function reopeningDoneBy(tx: Db, cycle: Pick<Task['cycle'], 'id' | 'year'>): Promise<ReopeningDone | undefined> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`review:reopening:${cycle.id}`}, 0))`);
  // issued together: one round trip
  const [[left], [last]] = await Promise.all([
    tx
      .select({ n: sql<number>`count(*)::int` })
      .from(applications)
      .where(and(eq(applications.cycleId, cycle.id), inArray(applications.status, ['recommended', 'accepted', 'scoring']))),
    tx
      .select({ id: sql<number | null>`max(${auditLog.id})` })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.entity, 'assignment'),
          eq(auditLog.action, 'review.reopen'),
          inArray(auditLog.entityId, tx.select({ id: sql<string>`${assignments.id}::text` }).from(assignments).where(eq(assignments.cycleId, cycle.id))),
        ),
      ),
  ]);
  if (Number(left?.n ?? 0) > 0) return undefined;
  return { cycleId: cycle.id, year: cycle.year, lastReopenId: Number(last?.id ?? 0) };
}

/** A score card drawn from a sheet other than the one in force (a 载入评分表 since): refused whole, the card drawn again on the new sheet. */
export class SheetChanged extends UserError {
  constructor() {
    super(cite(18, '评分表已更新，这份评分未提交：评审依据新载入的《质量信得过班组建设评分表》，请按新的评分表重新评分。'), { article: 18, kind: 'warning' });
  }
}

/** The fingerprint of the sheet a submit's card was drawn from (`sheet` in its value); undefined on a card drawn before cards carried it. */
export function shownSheet(value: Record<string, unknown>): string | undefined {
  return typeof value.sheet === 'string' ? value.sheet : undefined;
}

/**
 * Why a task's sheet is not to be submitted, as a submit is told it: a task the expert declined (from an old copy of the
 * card, or by a 谢绝 that committed while this submit waited) needs no sheet, not “no second decline”; else as
 * `alreadyDone` (submitted, or moved to another expert).
 */
function notToSubmit(task: Pick<Task, 'assignment' | 'team'>, timezone: string, cycle: TaskYear, how: DeclinedHow = { arranged: false }): UserError | undefined {
  if (task.assignment.status === 'declined') return new UserError(declinedText(task, how, 'submit'), { kind: 'info' });
  return alreadyDone(task.assignment, timezone, cycle);
}

/**
 * Whether this expert may submit this sheet now, in the order the refusals are told; the sheet read when so. `shown` is
 * the fingerprint of the sheet the card showed, when the card carries one: values typed against another sheet are not
 * read against this one, though they may fit its codes and maxima.
 */
export function checkSubmit(found: Task | undefined, actor: Pick<Actor, 'openId'>, formValue: Record<string, unknown>, timezone: string, shown?: string, how?: DeclinedHow): ScoreSheetInput {
  const task = ownedBy(actor, found);
  const done = notToSubmit(task, timezone, task.cycle, how);
  if (done) throw done;
  scoringOpen(task.cycle);
  const sheet = cycleScoreSheet(task.cycle);
  if (shown !== undefined && shown !== sheetFingerprint(sheet)) throw new SheetChanged();
  return parseScoreForm(sheet, formValue);
}

/** 提交评分: stores the sheet once; a second click finds it submitted and says so; `shown` as `checkSubmit` takes it. */
export async function submitScores(
  tx: Db,
  actor: Actor,
  assignmentId: number,
  formValue: Record<string, unknown>,
  now: Date,
  timezone: string,
  shown?: string,
): Promise<{ task: Task; assignment: Assignment; input: ScoreSheetInput } & PanelCompletion> {
  // 第十八条: a sheet load holds SHARE on assignments while it counts submitted sheets; this waits for it, so the sheet below is read after it commits
  await tx.execute(sql`lock table ${assignments} in row exclusive mode`);
  const task = await lockedTask(tx, actor, assignmentId, { cycle: false });
  // an old card of a task declined: what became of it (stepped aside by the bot, another expert arranged or not)
  const input = checkSubmit(task, actor, formValue, timezone, shown, task.assignment.status === 'declined' ? await declinedHow(tx, task) : undefined);
  // 第十七条: an expert who must step aside scores nothing of the team; their sheet is pending only when 重开评分 gave it
  // back after a late conflict, until 更换专家 (the one-statement path leaves this to here, migration 0016)
  const recusal = await recusalReason(tx, task);
  if (recusal) throw new UserError(cite(17, `评审坚持公开、公平和公正原则。你${recusal}，须回避该班组的评审，这份评分不能提交；协会管理员将改派其他专家。`), { article: 17 });
  const [assignment] = await tx
    .update(assignments)
    .set({ status: 'submitted', scores: input.scores, total: input.total, comment: input.comment, submittedAt: now })
    .where(and(eq(assignments.id, assignmentId), eq(assignments.status, 'assigned')))
    .returning();
  if (!assignment) {
    // another submit or a 谢绝 committed while this one waited: the row is read now, not as the task was read before the
    // lock (FOR UPDATE OF applications re-reads only the application row once the lock is had, not the joined assignment)
    const [current] = await tx.select().from(assignments).where(eq(assignments.id, assignmentId));
    const read = current && { ...task, assignment: current };
    throw (read && notToSubmit(read, timezone, task.cycle, current.status === 'declined' ? await declinedHow(tx, read) : undefined)) ?? new UserError('这项评分任务已处理，请重新打开“评分”。', { kind: 'info' });
  }
  await audit(tx, {
    actor: actor.openId,
    action: 'review.submit',
    entity: 'assignment',
    entityId: assignmentId,
    details: { applicationId: task.application.id, total: input.total },
    at: now,
  });
  const completion = await completeIfDone(tx, actor, task, now);
  return { task, assignment, input, ...completion };
}

export const declineKinds = [
  { value: 'conflict', label: '存在利益冲突' },
  { value: 'unavailable', label: '时间无法安排' },
] as const;

/** 谢绝评分任务: why (a conflict of interest, 第十七条, or no time) and a few words. */
export const declineForm = defineForm({
  name: 'decline_form',
  title: '谢绝评分任务',
  fields: {
    kind: { kind: 'select', label: '谢绝原因类型', article: '第十七条', options: declineKinds },
    reason: { kind: 'longText', label: '谢绝原因', maxLength: 500, placeholder: '如 曾在该单位任职；6 月出差无法评审' },
  },
});
const declineSchema = formSchema(declineForm);

/**
 * The expert's other tasks still to score of the organisation this task's team belongs to: 谢绝此任务 keeps only the
 * team from them, 声明利益冲突 with 单位 the whole organisation (第十七条).
 */
export async function otherTasksOfOrganization(tx: Db, task: Pick<Task, 'assignment' | 'team'>): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(
      and(
        eq(assignments.expertOpenId, task.assignment.expertOpenId),
        eq(assignments.cycleId, task.assignment.cycleId),
        eq(assignments.status, 'assigned'),
        eq(teams.organizationId, task.team.organizationId),
        ne(assignments.id, task.assignment.id),
      ),
    );
  return Number(row?.n ?? 0);
}

export interface Replacement {
  /** The first replacement, the one the audit names. */
  created?: NewAssignment;
  /** Every replacement (a panel that missed two gets two), each told with its task card. */
  all?: NewAssignment[];
  unfilled?: UnfilledApplication;
}

/**
 * 谢绝评分任务: the task is declined with its reason, a conflict is recorded against the team when
 * that is the reason, and the assignment picks a replacement through the same planner.
 */
export async function declineTask(
  tx: Db,
  actor: Actor,
  assignmentId: number,
  formValue: Record<string, unknown>,
  now: Date,
  timezone: string,
  /**
   * `recusal`: declined for a conflict of interest found by the bot or declared (not the expert's 谢绝), which
   * `noNewExpertAfterSum` lets through. `declared`: by 声明利益冲突, whose reason comes marked (`DECLARED_CONFLICT`) and
   * is stored as it comes, not after the kind's label (“存在利益冲突：声明利益冲突：…” read the words twice).
   */
  opts: { recordConflict?: boolean; recusal?: boolean; declared?: boolean } = {},
): Promise<{ task: Task; replacement: Replacement; declineReason: string } & PanelCompletion> {
  const task = await lockedTask(tx, actor, assignmentId, { cycle: true });
  const done = await notToDecline(tx, task, timezone);
  if (done) throw done;
  scoringOpen(task.cycle);
  if (!opts.recusal) await noNewExpertAfterSum(tx, task.cycle, NO_DECLINE_AFTER_SUM);
  const input = readForm(declineForm, formValue, declineSchema);
  const declineReason = opts.declared ? input.reason : `${fieldText(declineForm.fields.kind, input.kind)}：${input.reason}`;
  await tx
    .update(assignments)
    .set({ status: 'declined', declineReason })
    .where(and(eq(assignments.id, assignmentId), eq(assignments.status, 'assigned')));
  if (input.kind === 'conflict' && opts.recordConflict !== false) {
    await tx.insert(conflicts).values({ expertOpenId: actor.openId, teamId: task.team.id, reason: input.reason });
  }
  await audit(tx, {
    actor: actor.openId,
    action: 'review.decline',
    entity: 'assignment',
    entityId: assignmentId,
    details: { applicationId: task.application.id, kind: input.kind, reason: input.reason },
    at: now,
  });
  const { replacement, members } = await replaceAndRecord(tx, actor, task, now, 'decline');
  const completion = await completeIfDone(tx, actor, task, now, members);
  return { task, replacement, declineReason, ...completion };
}

/** The replacement, recorded; with the panel as it then is, read in the insert's round trip. */
async function replaceAndRecord(tx: Db, actor: Actor, task: Task, now: Date, cause: 'decline' | 'swap'): Promise<{ replacement: Replacement; members: PanelMembers }> {
  const { after: members, ...replacement } = await replaceOnApplication(tx, task.cycle, task.application.id, now, () => panelMembers(tx, task.application.id));
  await audit(tx, {
    actor: actor.openId,
    action: 'review.replace',
    entity: 'application',
    entityId: task.application.id,
    details: {
      cause,
      replaced: task.assignment.expertOpenId,
      by: replacement.created?.expertOpenId ?? null,
      assignmentId: replacement.created?.id ?? null,
      unfilled: replacement.unfilled?.reason ?? null,
    },
    at: now,
  });
  return { replacement, members };
}

/**
 * Why an administrator who holds a sheet of the panel still to submit neither swaps nor reopens another expert's sheet
 * of it: experts are blind to each other until the panel closes (第十七条), and the panel card shows them no other totals.
 */
export const PANEL_MEMBER_REFUSAL = '你是本专家组成员，提交自己的评分前不能更换或重开其他专家的评分（第十七条）；可请其他管理员处理。';

/** The actor's own sheet still to submit on the task's application, other than the task itself (`PANEL_MEMBER_REFUSAL`). */
const ownSheetPending = (tx: Db, openId: string, assignmentId: number) =>
  tx
    .select({ id: assignments.id })
    .from(assignments)
    .where(
      and(inArray(assignments.applicationId, applicationOfTask(tx, assignmentId)), eq(assignments.expertOpenId, openId), eq(assignments.status, 'assigned'), ne(assignments.id, assignmentId)),
    )
    .limit(1);

async function adminTask<T = undefined>(tx: Db, actor: Actor, assignmentId: number, also?: () => PromiseLike<T>): Promise<[Task, T]> {
  requireAdmin(actor);
  // the actor's own sheet is read under the same locks, in the same round trip
  const [task, [pending, read]] = await taskUnderLocks(tx, assignmentId, () => Promise.all([ownSheetPending(tx, actor.openId, assignmentId), also?.() as T]));
  if (!task) throw new UserError('找不到这项评分任务，请重新打开“评审进度”。');
  if (pending.length) throw new UserError(PANEL_MEMBER_REFUSAL, { kind: 'info', article: 17 });
  return [task, read];
}

/**
 * 更换专家 (admin): a pending task goes to another expert chosen by the planner. With nobody to take it, the panel may
 * have no task pending any more: it completes, and the completion is returned for its outliers to be told.
 */
export async function swapExpert(
  tx: Db,
  actor: Actor,
  assignmentId: number,
  now: Date,
  timezone = DEFAULT_TIMEZONE,
): Promise<({ task: Task; replacement: Replacement; restored?: undefined } | { task: Task; restored: true; replacement?: undefined }) & PanelCompletion> {
  const [task] = await adminTask(tx, actor, assignmentId);
  // an administrator's refusal, not the expert's (scoringOpen): what can still be done is 重开评分, before 公布
  if (task.cycle.status !== 'open' && task.cycle.status !== 'scoring') {
    const next = task.cycle.status === 'closed' ? '如评分有误，请在公布结果前“重开评分”。' : '结果已公布，评审已结束。';
    throw new UserError(`${task.cycle.year}年度专家评分已结束，不能再更换专家；${next}`, { kind: 'info' });
  }
  if (task.assignment.status !== 'assigned') {
    if (task.assignment.status === 'submitted') throw new UserError('该专家已提交评分，不能更换；如评分有误，请先“重开评分”。', { kind: 'info' });
    throw await goneFromPanel(tx, actor, task.assignment.id, timezone);
  }
  // a recusal (第十七条) still takes the expert off a summed panel, as a declared conflict's decline does: else the alert's
  // advice (重开评分, then 更换专家) ends at a sheet only the conflicted expert could submit, and the year cannot close
  if (!(await mustRecuse(tx, task))) {
    // a sheet 重开评分 gave back after the sum, whose expert was 停用 since (left the pool): no other expert may score it
    // now (第十七条), so 更换专家 takes the reopening back and the sheet submitted before stands; else only that expert
    // could ever let the year be summed again, and nothing could be published. An active expert's is refused: theirs to resubmit
    if (task.assignment.total !== null && task.cycle.status === 'scoring' && (await expertStoodDown(tx, task.assignment.expertOpenId)) && (await aggregatedBefore(tx, task.cycle.id))) {
      return restoreReopened(tx, actor, task, now);
    }
    await noNewExpertAfterSum(tx, task.cycle, '不能更换专家');
  }
  await tx.update(assignments).set({ status: 'replaced' }).where(eq(assignments.id, assignmentId));
  await audit(tx, { actor: actor.openId, action: 'review.swap', entity: 'assignment', entityId: assignmentId, details: { applicationId: task.application.id, expert: task.assignment.expertOpenId }, at: now });
  const { replacement, members } = await replaceAndRecord(tx, actor, task, now, 'swap');
  const completion = await completeIfDone(tx, actor, task, now, members);
  return { task, replacement, ...completion };
}

/**
 * 更换专家 from a panel card drawn before the task left the expert: who took it off and when (an administrator's 更换专家,
 * or the expert's own 谢绝), from the latest audit row of the task, so the administrator sees why the row they tapped is gone.
 * A decline the expert did not tap is not called 谢绝: a recusal (第十七条) the bot made when they joined the team or its
 * organisation (a `review.recuse` row names the task among those it declined) says why they must step aside; one
 * by 声明利益冲突 (its reason marked `DECLARED_CONFLICT`) says they declared the conflict.
 */
async function goneFromPanel(tx: Db, actor: Actor, assignmentId: number, timezone: string): Promise<UserError> {
  const [row] = await tx
    .select({
      action: auditLog.action,
      at: auditLog.at,
      actor: auditLog.actor,
      name: people.name,
      details: auditLog.details,
      recused: sql<boolean>`exists (select 1 from ${auditLog} r where r.action = 'review.recuse' and r.details -> 'declined' @> ${JSON.stringify([assignmentId])}::jsonb)`,
    })
    .from(auditLog)
    .leftJoin(people, eq(people.openId, auditLog.actor))
    .where(and(eq(auditLog.entity, 'assignment'), eq(auditLog.entityId, String(assignmentId)), inArray(auditLog.action, ['review.swap', 'review.decline'])))
    .orderBy(desc(auditLog.id))
    .limit(1);
  const at = row && formatDateTimeZh(row.at, timezone);
  const reason = row && typeof (row.details as { reason?: unknown } | null)?.reason === 'string' ? String((row.details as { reason: string }).reason) : '';
  const text = !row
    ? '这项任务已不在该专家名下，无需更换。'
    : row.action === 'review.swap'
      ? `${row.actor === actor.openId ? '你' : (row.name ?? '其他管理员')}已于 ${at} 更换该专家，任务已改派，无需再更换。`
      : row.recused
        ? `该专家${reason ? `${reason}（第十七条）` : '须回避（第十七条）'}，已于 ${at} 退出这项任务，无需更换。`
        : reason.includes(DECLARED_CONFLICT)
          ? `该专家已于 ${at} 声明利益冲突（第十七条），已退出这项任务，无需更换。`
          : `该专家已于 ${at} 谢绝这项任务，无需更换。`;
  return new UserError(text, { kind: 'info' });
}

/** Whether the expert was 停用 (expertActive false) or is no longer in the pool. */
async function expertStoodDown(tx: Db, openId: string): Promise<boolean> {
  const [row] = await tx.select({ active: people.expertActive, roles: people.roles }).from(people).where(eq(people.openId, openId));
  return !row || !row.active || !row.roles.includes('expert');
}

/** 更换专家 on a sheet reopened after the sum (`swapExpert`): the sheet as its expert submitted it before, audited. */
async function restoreReopened(tx: Db, actor: Actor, task: Task, now: Date): Promise<{ task: Task; restored: true } & PanelCompletion> {
  // when the expert submitted it (重开评分 cleared the time): what they are told, and the workbook, keep that time
  const [submitted] = await tx
    .select({ at: auditLog.at })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'assignment'), eq(auditLog.entityId, String(task.assignment.id)), eq(auditLog.action, 'review.submit')))
    .orderBy(desc(auditLog.id))
    .limit(1);
  const [assignment] = await tx
    .update(assignments)
    .set({ status: 'submitted', submittedAt: submitted?.at ?? now })
    .where(and(eq(assignments.id, task.assignment.id), eq(assignments.status, 'assigned')))
    .returning();
  await audit(tx, {
    actor: actor.openId,
    action: 'review.restore',
    entity: 'assignment',
    entityId: task.assignment.id,
    details: { applicationId: task.application.id, expert: task.assignment.expertOpenId, total: task.assignment.total },
    at: now,
  });
  const restored = { ...task, assignment };
  return { task: restored, restored: true, ...(await completeIfDone(tx, actor, restored, now)) };
}

/**
 * 重开评分 (admin, audited): a submitted sheet goes back to its expert with the scores filled in; the
 * application is under review again, and a closed cycle goes back to scoring until it is closed again.
 * `card` says which outbox row brings the reopened sheet to the expert (see `reopenedCard`): one still
 * waiting (`waiting`), or a new one the caller queues under `key`. The audit row records it.
 *
 * An expert who must step aside from the team (`recusalReason`: a declared conflict, their own organisation, a place
 * in the team) is sent nothing (第十七条): the sheet is reopened so that 更换专家 can take it off the panel, as the
 * conflict alert advises (先“重开评分”，再“更换专家”), not for them to score it again. `recused` then says why, `card`
 * is absent, and the audit row records that no card carries the sheet, so a card of the task still waiting is dropped.
 */
export async function reopenScore(
  tx: Db,
  actor: Actor,
  assignmentId: number,
  now: Date,
  eventId: string,
): Promise<{ task: Task; card?: { key: string; waiting: boolean }; recused?: string }> {
  // the key of the latest reopen's card is read under the application's lock, which every reopen of the task takes
  const [task, keys] = await adminTask(tx, actor, assignmentId, () => reopenedCardKeys(tx, [assignmentId]));
  if (task.cycle.status === 'published') {
    throw new UserError(`${task.cycle.year}年度评审结果已公布，评分不能再重开。`, { kind: 'info' });
  }
  // issued together: one round trip
  const [publishing, recused] = await Promise.all([activeBulkJob(tx, 'publish', task.cycle.id), recusalReason(tx, task)]);
  // 公布结果 recorded and about to publish what its preview showed: a sheet reopened now would change what is published
  if (publishing) {
    throw new UserError(`${task.cycle.year}年度评审结果正在公布，评分不能再重开。`, { kind: 'info' });
  }
  if (task.assignment.status !== 'submitted') throw reopenedAlready(task, keys.get(assignmentId) === null) ?? new UserError('这份评分尚未提交，无需重开。', { kind: 'info' });
  // issued together: one round trip (the card's outbox row and the sheet are different rows)
  const [card, [assignment]] = await Promise.all([
    recused ? undefined : reopenedCard(tx, assignmentId, eventId, keys.get(assignmentId) ?? undefined),
    tx
      .update(assignments)
      // given to the expert again now: a reminder counts an overdue sheet from the later of this and the 评分截止
      .set({ status: 'assigned', submittedAt: null, assignedAt: now })
      .where(and(eq(assignments.id, assignmentId), eq(assignments.status, 'submitted')))
      .returning(),
  ]);
  if (task.application.status === 'scored') {
    const to = applicationMachine.check('reopenPanel', 'scored', actor);
    await tx.update(applications).set({ status: to, updatedAt: now }).where(eq(applications.id, task.application.id));
  }
  if (task.cycle.status === 'closed') await transitionCycle(tx, actor, task.cycle, 'reopenScoring', now, { assignmentId });
  await audit(tx, {
    actor: actor.openId,
    action: 'review.reopen',
    entity: 'assignment',
    entityId: assignmentId,
    details: {
      applicationId: task.application.id,
      expert: task.assignment.expertOpenId,
      previousTotal: task.assignment.total,
      previousScores: task.assignment.scores,
      // the expert's 评审意见 too: a sheet submitted again writes over it (第十七条)
      previousComment: task.assignment.comment ?? null,
      // no card for an expert who must step aside: `reopenedCardKeys` reads `recused` as "no row carries the sheet"
      cardKey: card?.key ?? null,
      ...(recused ? { recused } : {}),
    },
    at: now,
  });
  return { task: { ...task, assignment }, ...(card ? { card } : {}), ...(recused ? { recused } : {}) };
}

/**
 * What a second 重开评分 finds (a double click, or two administrators at once, the second read after the first's
 * locks): a pending sheet that keeps its scores was reopened, and its expert has not submitted it again. Done, not
 * refused: the answer names when, from the reopen's audit row. A sheet never submitted has no scores. `recused`: the
 * reopen sent its expert nothing, as they must step aside, and what is left to do is 更换专家.
 */
function reopenedAlready(task: Task, recused: boolean): AlreadyDone | undefined {
  if (task.assignment.status !== 'assigned' || task.assignment.scores === null) return undefined;
  // 已于 2027年3月10日 09:00 重开评分并通知专家（…班），无需重复重开。
  const detail = recused ? `评分（${task.team.name}；该专家须回避，未通知其重新评分，请点“更换专家”改派）` : `评分并通知专家（${task.team.name}）`;
  return new AlreadyDone('重开', { action: 'review.reopen', entity: 'assignment', entityId: task.assignment.id }, detail);
}

/** The outbox key of an assignment's task card, queued once when it is assigned. */
export const taskCardKey = (assignmentId: number) => `review:task:${assignmentId}`;

/** The outbox key of a reopened sheet's own card, one per reopen event (a retried event is not queued again). */
export const reopenedCardKey = (assignmentId: number, eventId: string) => `review:reopen:${assignmentId}:${eventId}`;

/**
 * Which outbox row brings a reopened sheet to its expert, so that exactly one does. A card of this task still
 * waiting for its first attempt (the task card, when the expert submitted from the 评分 list before it went out;
 * or the card of an earlier reopen, likewise) is drawn when it is sent, so it will show the reopened sheet: it is
 * the one, and nothing is queued. It is locked until the reopen commits, so a dispatcher cannot claim it in
 * between; a dispatcher that claimed it first is waited for, and then a new card is queued. The claimed one may
 * be drawn before or after this commits: `reviewTaskRenderer` sends a reopened sheet only from the row recorded
 * here, so it is dropped either way. `previous` is the key the task's latest reopen chose (`reopenedCardKeys`).
 */
async function reopenedCard(tx: Db, assignmentId: number, eventId: string, previous: string | undefined): Promise<{ key: string; waiting: boolean }> {
  const keys = [...new Set([taskCardKey(assignmentId), ...(previous ? [previous] : [])])];
  const waiting = await lockWaiting(tx, keys);
  return waiting ? { key: waiting.dedupeKey, waiting: true } : { key: reopenedCardKey(assignmentId, eventId), waiting: false };
}

/**
 * The outbox key each reopened task's latest reopen chose for its card (`reopenedCard`), by assignment; null when that
 * reopen chose none (its expert must step aside and was sent nothing: every card of the task is dropped). A task
 * never reopened, or last reopened before the key was recorded, has none. One read (the audit log's entity index).
 */
export async function reopenedCardKeys(tx: Db, assignmentIds: number[]): Promise<Map<number, string | null>> {
  if (!assignmentIds.length) return new Map();
  const rows = await tx
    .selectDistinctOn([auditLog.entityId], {
      entityId: auditLog.entityId,
      cardKey: sql<string | null>`${auditLog.details} ->> 'cardKey'`,
      recused: sql<boolean>`(${auditLog.details} ->> 'recused') is not null`,
    })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'assignment'), inArray(auditLog.entityId, assignmentIds.map(String)), eq(auditLog.action, 'review.reopen')))
    .orderBy(auditLog.entityId, desc(auditLog.id));
  return new Map(rows.filter((r) => r.cardKey || r.recused).map((r) => [Number(r.entityId), r.recused ? null : (r.cardKey as string)]));
}

// --- lists ---------------------------------------------------------------------------------------

export interface ExpertTask {
  assignmentId: number;
  status: string;
  total: number | null;
  team: { code: string; name: string };
  title: string;
  /** When it was given to the expert (assigned, or reopened). */
  assignedAt?: Date;
  /** Pending, but the expert must step aside from the team (回避, 第十七条): not theirs to score, waiting for 更换专家. */
  recused?: boolean;
}

/**
 * The running cycle's tasks gone from an expert, by what became of each: declined by their 谢绝 (`declined`), by their
 * 声明利益冲突 (`declared`), by the bot stepping them aside from a team (回避, 第十七条: a `review.recuse` row names it,
 * `recused`), or given to another expert by an administrator's 更换专家 (`replaced`).
 */
export interface MovedAway {
  declined: number;
  declared: number;
  recused: number;
  replaced: number;
}

/**
 * An expert's tasks in the running cycle (the ones to score first, then the ones they must step aside from, then the
 * scored), without anyone else's scores. `movedAway`: how many went from them, `moved` by what became of each;
 * `inactive`: the expert is 停用 in 专家库 (no new task comes to them).
 */
export async function expertTasks(
  tx: Db,
  openId: string,
): Promise<{ cycle?: typeof cycles.$inferSelect; tasks: ExpertTask[]; movedAway?: number; moved?: MovedAway; inactive?: boolean }> {
  const running = inArray(cycles.status, ['open', 'scoring', 'closed']);
  // 第十七条 by its conditions in this statement: no extra round trip, 提交评分's own verdict, and a conflict with no reopen too
  const recused = sql<boolean>`(${assignments.status} = 'assigned' and ${mustRecuseSql(assignments.expertOpenId)})`;
  // issued together (one round trip): the tasks are the running cycle's range of assignments_expert_cycle_idx, the tasks
  // that went from the expert, by what became of each (for a list left empty by them), and whether they are 停用
  const declared = sql`position(${DECLARED_CONFLICT} in coalesce(${assignments.declineReason}, '')) > 0`;
  const steppedAside = sql`exists (select 1 from ${auditLog} r where r.action = 'review.recuse' and r.details -> 'declined' @> jsonb_build_array(${assignments.id}))`;
  const [[cycle], rows, [moved], [person]] = await Promise.all([
    tx.select().from(cycles).where(running).limit(1),
    tx
      .select({
        id: assignments.id,
        status: assignments.status,
        total: assignments.total,
        assignedAt: assignments.assignedAt,
        code: teams.code,
        name: teams.name,
        form: applications.form,
        recused,
      })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(assignments.expertOpenId, openId), eq(assignments.cycleId, runningCycleId), inArray(assignments.status, ['assigned', 'submitted'])))
      .orderBy(sql`case when ${assignments.status} <> 'assigned' then 2 when ${recused} then 1 else 0 end`, asc(teams.code)),
    tx
      .select({
        n: sql<number>`count(*)::int`,
        replaced: sql<number>`count(*) filter (where ${assignments.status} = 'replaced')::int`,
        declared: sql<number>`count(*) filter (where ${assignments.status} = 'declined' and ${declared})::int`,
        recused: sql<number>`count(*) filter (where ${assignments.status} = 'declined' and not ${declared} and ${steppedAside})::int`,
      })
      .from(assignments)
      .where(and(eq(assignments.expertOpenId, openId), eq(assignments.cycleId, runningCycleId), inArray(assignments.status, ['declined', 'replaced']))),
    tx.select({ active: people.expertActive, roles: people.roles }).from(people).where(eq(people.openId, openId)),
  ]);
  // 停用 in 专家库 while still an expert: no task will come to them
  const inactive = !!person && !person.active && (person.roles ?? []).includes('expert');
  if (!cycle) return { tasks: [], ...(inactive ? { inactive } : {}) };
  const n = Number(moved?.n ?? 0);
  const [replaced, declaredN, recusedN] = [Number(moved?.replaced ?? 0), Number(moved?.declared ?? 0), Number(moved?.recused ?? 0)];
  return {
    cycle,
    movedAway: n,
    moved: { declined: n - replaced - declaredN - recusedN, declared: declaredN, recused: recusedN, replaced },
    ...(inactive ? { inactive } : {}),
    tasks: rows.map((r) => ({
      assignmentId: r.id,
      status: r.status,
      total: r.total === null ? null : Number(r.total),
      team: { code: r.code, name: r.name },
      title: String((r.form as Record<string, unknown>)?.title ?? ''),
      assignedAt: r.assignedAt,
      ...(r.recused ? { recused: true } : {}),
    })),
  };
}

/**
 * 已完成 7 / 20: an expert's progress in the running cycle. `recused`: how many of the tasks left they must step aside
 * from (第十七条: 重开评分 gave a sheet back after a late conflict, until 更换专家), which are not theirs to score.
 * The one-statement submit counts them too (migrations 0020–0022): none for an expert with no reason to step aside, with
 * four or fewer left from those tasks, with more from the reasons (their own organisation not counted then).
 */
export interface Progress {
  done: number;
  total: number;
  recused?: number;
}

/** The expert's progress (`Progress`), in one query. */
export async function expertProgress(tx: Db, openId: string): Promise<Progress> {
  return progressFrom(await expertProgressQuery(tx, openId));
}

export function progressFrom(rows: { done: number; total: number; recused?: number }[]): Progress {
  const [row] = rows;
  const recused = Number(row?.recused ?? 0);
  return { done: Number(row?.done ?? 0), total: Number(row?.total ?? 0), ...(recused ? { recused } : {}) };
}

/** The running cycle's id: at most one runs (cycles_one_running_uq), found once per query. */
const runningCycleId = sql`(select ${cycles.id} from ${cycles} where ${inArray(cycles.status, ['open', 'scoring', 'closed'])})`;

/**
 * The progress query alone; `openId` may be a placeholder, for a prepared statement. The expert's tasks of the
 * running cycle are one range of assignments_expert_cycle_idx (the assignment carries its cycle, migration 0004), so
 * the cost does not grow with the years the expert served. The fast submit counts the same in the function
 * review_submit (db/migrations/0006_review_submit.sql; `recused` as now from 0022).
 */
export function expertProgressQuery(tx: Db, openId: string | Placeholder) {
  // the pending tasks the expert must step aside from, apart: one look-up per pending task, none per scored one
  const recused = sql<number>`(select count(*)::int from ${assignments} as left_task
    join ${applications} on "applications"."id" = left_task.application_id join ${teams} on "teams"."id" = "applications"."team_id"
    where left_task.expert_open_id = ${openId} and left_task.cycle_id = ${runningCycleId} and left_task.status = 'assigned'
      and ${mustRecuseSql(sql`${openId}`)})`;
  return tx
    .select({ done: sql<number>`count(*) filter (where ${assignments.status} = 'submitted')::int`, total: sql<number>`count(*)::int`, recused })
    .from(assignments)
    .where(and(eq(assignments.expertOpenId, openId), eq(assignments.cycleId, runningCycleId), inArray(assignments.status, ['assigned', 'submitted'])));
}

export interface PanelMember {
  assignmentId: number;
  expertOpenId: string;
  name: string | null;
  status: string;
  total: number | null;
  declineReason: string | null;
}

/** An application's panel, for administrators. */
export async function panelOf(tx: Db, applicationId: number): Promise<PanelMember[]> {
  const rows = await tx
    .select({
      assignmentId: assignments.id,
      expertOpenId: assignments.expertOpenId,
      name: people.name,
      status: assignments.status,
      total: assignments.total,
      declineReason: assignments.declineReason,
    })
    .from(assignments)
    .leftJoin(people, eq(people.openId, assignments.expertOpenId))
    .where(eq(assignments.applicationId, applicationId))
    .orderBy(asc(assignments.id));
  return rows.map((r) => ({ ...r, total: r.total === null ? null : Number(r.total) }));
}
