import { and, desc, eq, inArray, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { applications, assignments, auditLog, cycles, honours, people, teams } from '../db/schema.js';
import { audit } from './audit.js';
import { formatDateTimeZh, formatDateZh, isRealDate, todayIn } from './dates.js';
import { type CutOff, noticeClosedEarly, noticeUnconfirmedAtDeadline, type Unconfirmed } from './deadlineNotices.js';
import { AlreadyDone, cite, UserError } from './errors.js';
import { defineForm, fieldText, formLabels, type FormProblem, formProblems, formSchema, type FormValues, onceValid, problemsOf, readForm, readNumber } from './forms.js';
import type { Actor } from './people.js';
import { requireAdmin } from './permissions.js';
import { aggregationRuleLimits, aggregationRuleOf, defaultAggregationRule } from './review/aggregation.js';
import { defaultScoreSheet, parseScoreSheet, parseScoreSheetBoxes, parseScoreSheetText, type ScoreSheet, scoreSheetSchema } from './scoreSheet.js';
import { StateMachine } from './stateMachine.js';

/** The annual review (评审每年一次, 第十九条): one cycle per year, one running at a time. */

export type Cycle = typeof cycles.$inferSelect;
export type CycleStatus = 'open' | 'scoring' | 'closed' | 'published';
export type CycleTransition = 'closeApplications' | 'closeScoring' | 'reopenScoring' | 'publishResults';

/** Statuses the partial unique index cycles_one_running_uq allows only once. */
export const runningStatuses = ['open', 'scoring', 'closed'] as const satisfies readonly CycleStatus[];

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export const cycleStates = new StateMachine<CycleStatus, CycleTransition>(
  'cycle',
  {
    closeApplications: { from: ['open'], to: 'scoring', roles: ['admin'] }, // 截止申报
    closeScoring: { from: ['scoring'], to: 'closed', roles: ['admin'] }, // 评分结束，进入评定
    reopenScoring: { from: ['closed'], to: 'scoring', roles: ['admin'] }, // 重开一份评分 before the results are published
    publishResults: { from: ['closed'], to: 'published', roles: ['admin'] }, // 公布结果 (第二十条、第二十一条)
  },
  { open: '申报中', scoring: '专家评分中', closed: '评分结束，评定中', published: '结果已公布' },
);

/**
 * 第二十二条's run as the settings form takes it: at least 2, as the article speaks of complaints 连续出现 (one upheld
 * complaint is no run); 2 when unset (two consecutive upheld complaints raise the alert).
 */
export const revocationRunLimits = { min: 2, max: 20 } as const;
const defaultRevocationRun = 2;
/** Why the run is at least 2, after the bounds when the form refuses less. */
const revocationRunWhy = `第二十二条说的是“连续出现”的投诉，一次成立不算连续，最少填 ${revocationRunLimits.min}`;

/** 开启年度评审 / 修改设置 (第十九条): the cycle's form, each field once. */
export const cycleForm = defineForm({
  name: 'cycle_form',
  title: '年度评审设置',
  fields: {
    year: { kind: 'integer', label: '评审年度', article: '第十九条', min: 2020, max: 2100, placeholder: '如 2026' },
    applicationDeadline: { kind: 'date', label: '申报截止日期' },
    scoringDeadline: { kind: 'date', label: '专家评分截止日期' },
    reviewMeetingDate: { kind: 'date', label: '评审会日期' },
    awardThreshold: { kind: 'number', label: '授予称号分数线', min: 0, max: 100, step: 0.01, unit: '分', required: false, placeholder: '默认 85' },
    expertsPerApplication: { kind: 'integer', label: '每份申报的评审专家人数', min: 1, max: 15, unit: '人', required: false, placeholder: '默认 3' },
    recommendShare: { kind: 'number', label: '择优推荐比例', article: '第二十条', help: '0–1，0.1 或 10% 即前 10%', min: 0, max: 1, step: 0.001, share: true, required: false, placeholder: '默认 0.1' },
    // the review's rules kept in cycles.settings (ruleFields)
    dropExtremesFrom: {
      kind: 'integer', label: '去掉最高最低分的专家人数下限', help: '评分专家达到这一人数时，去掉一个最高分和一个最低分再取平均', ...aggregationRuleLimits.dropExtremesFrom, unit: '人', required: false, placeholder: `默认 ${defaultAggregationRule.dropExtremesFrom}`,
    },
    outlierDistance: {
      kind: 'number', label: '偏离中位数提醒分差', help: '专家总分与同组中位数相差超过这一分数时提醒管理员', ...aggregationRuleLimits.outlierDistance, step: 0.5, unit: '分', required: false, placeholder: `默认 ${defaultAggregationRule.outlierDistance}`,
    },
    revocationRun: {
      kind: 'integer', label: '连续成立投诉提醒次数', article: '第二十二条', help: `已授称号的班组连续这么多次投诉经核实成立时，提请撤销称号；至少 ${revocationRunLimits.min} 次（连续出现）`, ...revocationRunLimits, rangeWhy: revocationRunWhy, unit: '次', required: false, placeholder: `默认 ${defaultRevocationRun}`,
    },
  },
});
export type CycleField = keyof typeof cycleForm.fields;

/** The form's field names, with the labels a user reads in an error. */
export const cycleFieldLabels = formLabels(cycleForm) as Record<CycleField, string>;

export const cycleDefaults = { awardThreshold: 85, expertsPerApplication: 3, recommendShare: 0.1, ...defaultAggregationRule, revocationRun: defaultRevocationRun } as const;

/** `cycles.settings` as an object (anything else: none). */
const settingsObject = (cycle: Pick<Cycle, 'settings'>): Record<string, unknown> =>
  cycle.settings && typeof cycle.settings === 'object' && !Array.isArray(cycle.settings) ? (cycle.settings as Record<string, unknown>) : {};

/** The settings kept in `cycles.settings` (jsonb) rather than in a column of their own. */
export const ruleFields = ['dropExtremesFrom', 'outlierDistance', 'revocationRun'] as const;
export type RuleField = (typeof ruleFields)[number];

/**
 * The cycle's rules as they are read where they apply: `aggregationRuleOf` for the aggregation's two, and
 * `revocationRun` (src/complaints.ts) for 第二十二条's run, each its default when missing or not what the form takes.
 * A run below 2 (the form took 1 once, and a row saved then keeps it) reads as 2: one complaint is no run.
 */
export function cycleRules(cycle: Pick<Cycle, 'settings'>): Record<RuleField, number> {
  const settings = settingsObject(cycle);
  const run = z.coerce.number().int().max(revocationRunLimits.max).safeParse(settings.revocationRun);
  const revocationRun = !run.success ? defaultRevocationRun : run.data < revocationRunLimits.min ? revocationRunLimits.min : run.data;
  return { ...aggregationRuleOf(cycle.settings), revocationRun };
}

/** A UserError about one form field, its label first: "授予称号分数线：须在 0 到 100 之间". */
export function cycleFieldError(field: CycleField, message: string, article?: number): UserError {
  return new UserError(`${cycleFieldLabels[field]}：${message}`, { field, article });
}

// --- input -------------------------------------------------------------------------------------

const isBlank = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/** Deadline ≤ scoring deadline ≤ review meeting. */
function datesInOrder(v: { applicationDeadline: string; scoringDeadline: string; reviewMeetingDate: string }, ctx: z.RefinementCtx) {
  if (![v.applicationDeadline, v.scoringDeadline, v.reviewMeetingDate].every(isRealDate)) return;
  if (v.scoringDeadline < v.applicationDeadline) {
    ctx.addIssue({ code: 'custom', path: ['scoringDeadline'], message: `不能早于申报截止日期（${formatDateZh(v.applicationDeadline)}）` });
  }
  if (v.reviewMeetingDate < v.scoringDeadline) {
    ctx.addIssue({ code: 'custom', path: ['reviewMeetingDate'], message: `不能早于专家评分截止日期（${formatDateZh(v.scoringDeadline)}）` });
  }
}

/**
 * A date outside its 评审年度 and the year after is a typo (2072 for 2027, or a "2030" review in 2029 whose dates
 * are all in 2029): a year's review runs in that year and may end early the next, never before the year begins.
 */
export function offItsYear(year: number, date: string): boolean {
  const dateYear = Number(date.slice(0, 4));
  return dateYear < year || dateYear > year + 1;
}

export const offItsYearMessage = (year: number, date: string) =>
  `${formatDateZh(date)}不在评审年度（${year}年度）或次年（${year + 1}年）内，请检查年份是否输错`;

/** Each date in the 评审年度 or the year after (`offItsYear`). */
function datesNearTheYear(v: { year: number; applicationDeadline: string; scoringDeadline: string; reviewMeetingDate: string }, ctx: z.RefinementCtx) {
  for (const field of ['applicationDeadline', 'scoringDeadline', 'reviewMeetingDate'] as const) {
    if (isRealDate(v[field]) && Number.isInteger(v.year) && offItsYear(v.year, v[field])) ctx.addIssue({ code: 'custom', path: [field], message: offItsYearMessage(v.year, v[field]) });
  }
}

const { year: _year, ...settingFieldSpecs } = cycleForm.fields;
// a loaded sheet may total more than 100 (第十八条): the threshold is then held to the sheet's total (updateCycleSettings)
export const settingsForm = defineForm({ ...cycleForm, fields: { ...settingFieldSpecs, awardThreshold: { ...settingFieldSpecs.awardThreshold, max: 999 } } });
// both checks read only the dates they find real, and the year once it is valid: told with the form's other problems
const cycleInputSchema = formSchema(cycleForm)
  .superRefine(datesNearTheYear, onceValid(['year']))
  .superRefine(datesInOrder, onceValid([]));
const cycleSettingsSchema = formSchema(settingsForm).superRefine(datesInOrder, onceValid([]));

/** An optional setting left empty takes the programme's default. */
const withDefaults = <T extends { awardThreshold?: number; expertsPerApplication?: number; recommendShare?: number } & Partial<Record<RuleField, number>>>(v: T) => ({
  ...v,
  awardThreshold: v.awardThreshold ?? cycleDefaults.awardThreshold,
  expertsPerApplication: v.expertsPerApplication ?? cycleDefaults.expertsPerApplication,
  recommendShare: v.recommendShare ?? cycleDefaults.recommendShare,
  dropExtremesFrom: v.dropExtremesFrom ?? cycleDefaults.dropExtremesFrom,
  outlierDistance: v.outlierDistance ?? cycleDefaults.outlierDistance,
  revocationRun: v.revocationRun ?? cycleDefaults.revocationRun,
});

export type CycleInput = ReturnType<typeof withDefaults<FormValues<typeof cycleForm.fields>>>;
export type CycleSettings = Omit<CycleInput, 'year'>;

const asValues = (input: unknown) => (input && typeof input === 'object' ? (input as Record<string, unknown>) : {});

/** A new cycle's form (strings from a card, or numbers from code); a UserError names the first wrong field. */
export function parseCycleInput(input: unknown): CycleInput {
  return withDefaults(readForm(cycleForm, asValues(input), cycleInputSchema));
}

export function parseCycleSettings(input: unknown): CycleSettings {
  return withDefaults(readForm(settingsForm, asValues(input), cycleSettingsSchema));
}

// --- queries -----------------------------------------------------------------------------------

/** The cycle in progress (open, scoring or closed), if any. */
export async function getRunningCycle(tx: Db): Promise<Cycle | undefined> {
  const [row] = await tx.select().from(cycles).where(inArray(cycles.status, [...runningStatuses])).limit(1);
  return row;
}

export async function getCycleByYear(tx: Db, year: number): Promise<Cycle | undefined> {
  const [row] = await tx.select().from(cycles).where(eq(cycles.year, year)).limit(1);
  return row;
}

export async function getCycle(tx: Db, cycleId: number): Promise<Cycle | undefined> {
  const [row] = await tx.select().from(cycles).where(eq(cycles.id, cycleId)).limit(1);
  return row;
}

/** The running cycle, else the most recent by year: one statement for `getRunningCycle ?? getLatestCycle`. */
export async function getRunningOrLatestCycle(tx: Db): Promise<Cycle | undefined> {
  const [row] = await tx
    .select()
    .from(cycles)
    .orderBy(sql`(${inArray(cycles.status, [...runningStatuses])}) desc`, desc(cycles.year))
    .limit(1);
  return row;
}

/** The most recent cycle by year, running or not. */
export async function getLatestCycle(tx: Db): Promise<Cycle | undefined> {
  const [row] = await tx.select().from(cycles).orderBy(desc(cycles.year)).limit(1);
  return row;
}

/** How many applications of the cycle are in each status. */
export async function applicationCountsByStatus(tx: Db, cycleId: number): Promise<Record<string, number>> {
  return countsByStatus(tx, eq(applications.cycleId, cycleId));
}

/** The same for the running cycle (one at most, 第十九条), its id a subquery: read beside the cycle itself, in one round trip. */
export async function applicationCountsOfRunningCycle(tx: Db): Promise<Record<string, number>> {
  return countsByStatus(tx, inArray(applications.cycleId, tx.select({ id: cycles.id }).from(cycles).where(inArray(cycles.status, [...runningStatuses]))));
}

async function countsByStatus(tx: Db, where: SQL): Promise<Record<string, number>> {
  const rows = await tx
    .select({ status: applications.status, n: sql<number>`count(*)::int` })
    .from(applications)
    .where(where)
    .groupBy(applications.status);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** The cycle's score sheet, as stored when the cycle was opened or a sheet was loaded. */
const parsedSheets = new Map<string, ScoreSheet>();
/** Sheets this module built (frozen): passed back in, they are their own answer. */
const builtSheets = new WeakSet<object>();
/** A stored value already read once (the same row object handed around in one callback): no second key. */
const sheetsOfValues = new WeakMap<object, ScoreSheet>();

/**
 * The cycle's sheet, validated once per distinct content (every scoring callback reads it). A sheet this
 * function built, or a stored value it has seen, is answered by identity; only a value read afresh from a
 * row is keyed by its content.
 */
export function cycleScoreSheet(cycle: Pick<Cycle, 'scoreSheet'>): ScoreSheet {
  const value = cycle.scoreSheet;
  if (value && typeof value === 'object') {
    if (builtSheets.has(value)) return value as ScoreSheet;
    const seen = sheetsOfValues.get(value);
    if (seen) return seen;
  }
  const key = JSON.stringify(value);
  let sheet = parsedSheets.get(key);
  if (!sheet) {
    // shared between callbacks: frozen so no caller can change another's sheet
    sheet = deepFreeze(scoreSheetSchema.parse(value));
    builtSheets.add(sheet);
    if (parsedSheets.size > 50) parsedSheets.clear();
    parsedSheets.set(key, sheet);
  }
  if (value && typeof value === 'object') sheetsOfValues.set(value, sheet);
  return sheet;
}

/**
 * Cycle rows by version: the version is the row's `xmin` (the transaction that wrote it; every UPDATE of the row, a
 * new sheet or a setting included, gives it another), so a hot read can select the version instead of the row and
 * take the row, its sheet parsed, from here. A version not here is read once.
 */
const cyclesByVersion = new Map<number, { version: string; cycle: Cycle }>();

/** The cycle's row, its sheet parsed, if this process read it at `version`. */
export function knownCycle(cycleId: number, version: string): Cycle | undefined {
  const known = cyclesByVersion.get(cycleId);
  return known?.version === version ? known.cycle : undefined;
}

/** Keeps a cycle's row as read at `version` (replacing the one before), its sheet as `cycleScoreSheet` reads it. */
export function rememberCycle(row: Cycle, version: string): Cycle {
  const cycle = Object.freeze({ ...row, scoreSheet: cycleScoreSheet(row) });
  if (cyclesByVersion.size > 50) cyclesByVersion.clear();
  cyclesByVersion.set(row.id, { version, cycle });
  return cycle;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

export function cycleStatusLabel(status: string): string {
  return cycleStates.label(status as CycleStatus);
}

/** The cycle row under FOR UPDATE; a UserError when there is none. */
export async function lockCycle(tx: Db, cycleId: number): Promise<Cycle> {
  const [row] = await tx.select().from(cycles).where(eq(cycles.id, cycleId)).for('update').limit(1);
  if (!row) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  return row;
}

// --- changes -----------------------------------------------------------------------------------

/**
 * What ends a running year, named by the buttons of the 协会管理 card that answers a refused 开启年度评审: 截止申报,
 * 结束评分并汇总 (on that card while the experts score), 评审进度/结果 once summed, where 公布结果 is.
 */
export function stepsToEnd(status: string): string {
  if (status === 'open') return '下一步：点“截止申报”，专家评分完成后点“结束评分并汇总”，再“公布结果”。';
  if (status === 'scoring') return '下一步：点“结束评分并汇总”，核对评审结果后“公布结果”。';
  if (status === 'closed') return '评分已汇总，下一步：点“评审进度/结果”核对评审结果，再“公布结果”。';
  return '';
}

/** A new year asked for while one runs (第十九条): the year, its stage and what ends it. */
export function runningYearText(cycle: Pick<Cycle, 'year' | 'status'>): string {
  return `评审每年一次。${cycle.year}年度评审仍在进行（${cycleStatusLabel(cycle.status)}），结果公布后才能开启新的年度评审。${stepsToEnd(cycle.status)}`;
}

function alreadyRunning(cycle: Cycle): UserError {
  return new UserError(cite(19, runningYearText(cycle)), { article: 19, kind: 'warning' });
}

function yearTaken(cycle: Cycle): UserError {
  return new UserError(cite(19, `评审每年一次，${cycle.year}年度评审已经开启过（${cycleStatusLabel(cycle.status)}）。`), {
    field: 'year',
    article: 19,
  });
}

/** A year before the latest year opened (第十九条: one review a year, in order): a second review in a year already passed. */
function yearNotAfterLatest(latest: Cycle, year: number): UserError {
  return new UserError(
    cite(19, `评审每年一次、逐年开启：已开启过的最近一次是${latest.year}年度评审（${cycleStatusLabel(latest.status)}），不能再开启更早的${year}年度评审，请填写${latest.year + 1}年度或之后的年度。`),
    { field: 'year', article: 19 },
  );
}

/**
 * A year whose titles were imported from the association's earlier list (honours without a cycle): its review was
 * held before this programme, and a second one would award titles it cannot record (one honour a team a year).
 */
function yearImported(year: number): UserError {
  return new UserError(cite(19, `评审每年一次：${year}年度的称号已从往年名单导入，该年度的评审已经举行过，不能再开启，请填写${year + 1}年度或之后的年度。`), {
    field: 'year',
    article: 19,
  });
}

/** The latest year with a title on record, reviewed here or imported (0 when none). */
export async function latestTitledYear(tx: Db): Promise<number> {
  const [row] = await tx.select({ year: sql<number | null>`max(${honours.year})` }).from(honours);
  return Number(row?.year ?? 0);
}

/** Whether the year has a title on record (imported: a reviewed year has its cycle). */
async function yearHasTitles(tx: Db, year: number): Promise<boolean> {
  const [row] = await tx.select({ id: honours.id }).from(honours).where(eq(honours.year, year)).limit(1);
  return row !== undefined;
}

/**
 * The same year asked again while its cycle runs: a second click on 开启, or another administrator's form for the same
 * year; undefined for anything else. A form with other settings than the cycle holds is not saved, and is told so.
 */
function openedAlready(running: Cycle, input: unknown): AlreadyDone | undefined {
  const asked = readNumber(asValues(input).year);
  if (running.status !== 'open' || running.year !== asked) return undefined;
  return new AlreadyDone('开启', { action: 'cycle.open', entity: 'cycle', entityId: running.id }, `${running.year}年度评审`, undefined, notSavedSettings(running, input));
}

/** A setting as the cycle form shows it: 2027年5月31日, 85分, 3人, 10%. */
function settingText(field: SettingField, value: string | number): string {
  const spec = cycleForm.fields[field];
  return 'share' in spec && spec.share ? `${Math.round(Number(value) * 1000) / 10}%` : fieldText(spec, value);
}

/**
 * What a 开启年度评审 form for a year already open says of its settings: each one typed that differs from the cycle's,
 * as typed and as in force, not saved, and where to change them (修改设置); '' when it differs in none.
 */
function notSavedSettings(running: Cycle, input: unknown): string {
  const typed = asValues(input);
  const inForce: Record<SettingField, string | number> = {
    applicationDeadline: running.applicationDeadline,
    scoringDeadline: running.scoringDeadline,
    reviewMeetingDate: running.reviewMeetingDate,
    awardThreshold: running.awardThreshold,
    expertsPerApplication: running.expertsPerApplication,
    recommendShare: running.recommendShare,
    ...cycleRules(running),
  };
  const listed: string[] = [];
  // a field left blank asks for nothing; each typed one is read as the form reads it, and one refused is told as typed
  for (const field of settingFields) {
    if (isBlank(typed[field])) continue;
    const read = readSetting(field, typed[field]);
    if (read !== undefined && String(read) === String(inForce[field])) continue;
    listed.push(`${cycleFieldLabels[field]}填的是${read === undefined ? String(typed[field]).trim() : settingText(field, read)}（现为${settingText(field, inForce[field])}）`);
  }
  if (!listed.length) return '';
  return `你这次填写的设置与已开启的不同，没有保存：${listed.join('、')}。卡片上是现行设置；如需修改，请点卡片上的“修改设置”。`;
}

/** One setting as the settings form reads it, alone; undefined when the form would refuse it. */
function readSetting(field: SettingField, value: unknown): string | number | undefined {
  const reader = settingReaders.get(field);
  if (!reader) return undefined;
  try {
    return (readForm(reader.form, { [field]: value }, reader.schema as never) as Record<string, string | number>)[field];
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
}

/** The settings of `values` kept in `cycles.settings`. */
export const rulesOf = (values: Record<RuleField, number>): Record<RuleField, number> => Object.fromEntries(ruleFields.map((f) => [f, values[f]])) as Record<RuleField, number>;

/** `values` without the settings kept in `cycles.settings`: the cycle's own columns. */
function columnsOf<T extends Record<RuleField, number>>(values: T): Omit<T, RuleField> {
  const { dropExtremesFrom: _d, outlierDistance: _o, revocationRun: _r, ...columns } = values;
  return columns;
}

/**
 * Opens the year's cycle (status open) with the default score sheet. Refused (第十九条) when another cycle is
 * running, the year already had one, a later year was opened or the year's titles were imported; and when the
 * application deadline is already past or a date lies outside the year and the year after (`offItsYear`).
 */
export async function openCycle(tx: Db, actor: Actor, input: unknown, now: Date, timezone: string = DEFAULT_TIMEZONE): Promise<Cycle> {
  requireAdmin(actor);
  const running = await getRunningCycle(tx);
  if (running) throw openedAlready(running, input) ?? alreadyRunning(running);
  const today = todayIn(timezone, now);
  // a deadline already past is told with the form's other problems, not a submit after them
  const labels = formLabels(cycleForm);
  const formed = problemsOf(cycleInputSchema, asValues(input), labels);
  const deadline = readSetting('applicationDeadline', asValues(input).applicationDeadline);
  const past = deadline !== undefined && String(deadline) < today ? [{ field: 'applicationDeadline', message: cycleFieldError('applicationDeadline', `不能早于今天（${formatDateZh(today)}）`).message }] : [];
  if (formed.length || past.length) throw formProblems([...formed, ...past], labels);
  const values = parseCycleInput(input);
  const sameYear = await getCycleByYear(tx, values.year);
  // a concurrent open of the same year may have committed between the two reads: that is the same open, done
  if (sameYear) throw openedAlready(sameYear, input) ?? yearTaken(sameYear);
  // years open in order (第十九条): none before the latest opened, none whose titles were imported (the one running
  // at a time, cycles_one_running_uq, keeps two opens of different years from passing this together). A year ahead of
  // today's is not refused by itself, as a review may be prepared early: a typo in the year alone ("2030" in 2029) is
  // caught by its dates, which must lie in the year or the year after (`offItsYear`) and not before today
  const latest = await getLatestCycle(tx);
  if (latest && latest.year > values.year) throw yearNotAfterLatest(latest, values.year);
  if (await yearHasTitles(tx, values.year)) throw yearImported(values.year);

  let row: Cycle;
  try {
    // a savepoint, so a concurrent open that wins the unique index leaves this transaction usable
    row = await tx.transaction(async (sp) => {
      const [inserted] = await sp
        .insert(cycles)
        .values({ ...columnsOf(values), settings: rulesOf(values), status: 'open', scoreSheet: defaultScoreSheet, openedBy: actor.openId })
        .returning();
      return inserted;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const other = (await getRunningCycle(tx)) ?? (await getCycleByYear(tx, values.year));
    throw other ? (openedAlready(other, values) ?? (other.year === values.year ? yearTaken(other) : alreadyRunning(other))) : new UserError(cite(19, '评审每年一次，请发送“管理”查看当前状态。'));
  }
  await audit(tx, {
    actor: actor.openId,
    action: 'cycle.open',
    entity: 'cycle',
    entityId: row.id,
    details: { ...values, scoreSheet: defaultScoreSheet.title },
    at: now,
  });
  return row;
}

const columnFields = ['applicationDeadline', 'scoringDeadline', 'reviewMeetingDate', 'awardThreshold', 'expertsPerApplication', 'recommendShare'] as const;
const settingFields = [...columnFields, ...ruleFields] as const;
type SettingField = (typeof settingFields)[number];
const dateFields = new Set<CycleField>(['applicationDeadline', 'scoringDeadline', 'reviewMeetingDate']);

/** Each setting's own reader: the settings form's field alone (`parseCycleSettings` checks the fields one by one, then the dates' order). */
const settingReaders = new Map(settingFields.map((f) => {
  const form = defineForm({ ...settingsForm, fields: { [f]: settingsForm.fields[f] } });
  return [f, { form, schema: formSchema(form) }] as const;
}));

/**
 * The settings `input` gives (neither missing nor empty), each read as `parseCycleSettings` reads it; a UserError
 * names each wrong one. What `updateCycleSettings` makes of them needs the cycle: the others keep its values, and the
 * dates, so merged, must be in order.
 */
export function parseGivenSettings(input: Record<string, unknown>): Partial<CycleSettings> {
  const out: Record<string, unknown> = {};
  const problems: FormProblem[] = [];
  for (const [field, reader] of settingReaders) {
    if (isBlank(input[field])) continue;
    try {
      Object.assign(out, readForm(reader.form, { [field]: input[field] }, reader.schema as never));
    } catch (err) {
      // each wrong setting told at once, as a whole form's are
      if (!(err instanceof UserError)) throw err;
      problems.push({ field, message: err.message });
    }
  }
  if (problems.length) throw formProblems(problems, formLabels(settingsForm));
  return out as Partial<CycleSettings>;
}

/** The total of the cycle's score sheet (100 for the default, 第十八条), which the award threshold may not pass. */
function sheetTotal(cycle: Cycle): number {
  const parsed = scoreSheetSchema.safeParse(cycle.scoreSheet);
  return parsed.success ? parsed.data.total : defaultScoreSheet.total;
}

/** The settings that decide the results (and the panels): fixed once the scores have been summed (第十七条). */
const resultSettings = new Set<CycleField>(['awardThreshold', 'recommendShare', 'expertsPerApplication', 'dropExtremesFrom', 'outlierDistance']);

/** Whether 结束评分并汇总 ever closed this cycle's scoring (its audit row), though a reopened sheet took it back to scoring. */
export async function aggregatedBefore(tx: Db, cycleId: number): Promise<boolean> {
  const [row] = await tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(cycleId)), eq(auditLog.action, 'cycle.closeScoring')))
    .limit(1);
  return row !== undefined;
}

/**
 * Why a year takes no more `what` (推荐这份申报, 分配专家…) once its scores were summed (结束评分并汇总), though one
 * sheet was reopened since and the cycle is back to scoring: the reopen is for that sheet alone (第十七条).
 */
export function reopenedForSheetsText(year: number, what: string): string {
  return cite(17, `评审坚持公开、公平和公正原则，${year}年度评分已汇总过一次，重开期间只能重新提交已重开的评分，${what}。`);
}

/**
 * 修改设置 only while applications are open or experts are scoring (第十七条): the form is refused as its save is,
 * in the same words.
 */
export function requireSettingsEditable(cycle: Pick<Cycle, 'year' | 'status'>): void {
  if (cycle.status !== 'open' && cycle.status !== 'scoring') {
    // the state's label reads as a sentence of its own ("结果已公布"): the stage is worded here, as reviewStillTakes words it
    const stage = cycle.status === 'closed' ? '已汇总专家评分' : cycle.status === 'published' ? '结果已公布' : cycleStatusLabel(cycle.status);
    throw new UserError(cite(17, `评审坚持公开、公平和公正原则，${cycle.year}年度评审${stage}，评审设置不能再修改。`), { article: 17 });
  }
}

/**
 * Why a cycle past its applications takes no other score sheet (第十八条), in the words of its stage: scoring started,
 * the scores summed, or the results published.
 */
export function sheetFixedText(cycle: Pick<Cycle, 'year' | 'status'>): string {
  const stage =
    cycle.status === 'published' ? `${cycle.year}年度评审结果已公布，` : cycle.status === 'closed' ? `${cycle.year}年度评审已汇总专家评分，` : `${cycle.year}年度评审已进入专家评分，专家评分开始后`;
  return cite(18, `评审依据《质量信得过班组建设评分表》，${stage}不能再更换评分表。`);
}

/**
 * Changes dates and review settings while applications are open or experts are scoring; after
 * scoring they are fixed (第十七条). `input` may be partial: what is missing or empty is kept. A changed
 * date may not lie in the past. Returns the fields changed.
 */
export async function updateCycleSettings(
  tx: Db,
  actor: Actor,
  cycleId: number,
  input: unknown,
  now: Date,
  timezone: string = DEFAULT_TIMEZONE,
  /** the values the form was drawn with, of the fields it changes (the settings form's `drawn`) */
  drawn: Partial<Record<CycleField, string>> = {},
): Promise<{ cycle: Cycle; changes: CycleField[] }> {
  requireAdmin(actor);
  const cycle = await lockCycle(tx, cycleId);
  requireSettingsEditable(cycle);
  // a field left out or empty keeps its value, so a partial input never resets a setting to its default
  const given = input && typeof input === 'object' ? Object.entries(input).filter(([, v]) => !isBlank(v)) : [];
  // the rules kept in cycles.settings are read as where they apply (cycleRules): a stored value the form would refuse is its default
  const current: Record<SettingField, unknown> = { ...Object.fromEntries(columnFields.map((f) => [f, cycle[f]])), ...cycleRules(cycle) } as Record<SettingField, unknown>;
  const merged: Record<string, unknown> = { ...current, ...Object.fromEntries(given) };
  const today = todayIn(timezone, now);
  const labels = formLabels(settingsForm);
  const formed = problemsOf(cycleSettingsSchema, merged, labels);
  if (formed.length) {
    // the form's own problems, and what the year's rules find in the settings typed right, told at once: not the dates
    // against today a save after the score line was put right
    const typed = settingFields.flatMap((f): [SettingField, string | number][] => {
      if (isBlank(merged[f])) return [];
      const read = readSetting(f, merged[f]);
      return read === undefined || String(read) === String(current[f]) ? [] : [[f, read]];
    });
    throw formProblems([...formed, ...settingRuleProblems(cycle, typed, today)], labels);
  }
  const values = parseCycleSettings(merged);
  const changes = settingFields.filter((f) => values[f] !== current[f]);
  // two administrators on two copies of the form, changing one setting: the later save would overwrite the earlier
  // unseen, both told 已保存; it is refused on that field, its form drawn again with the value now in force
  const overtaken = changes.find((f) => drawn[f] !== undefined && drawn[f] !== String(current[f]));
  if (overtaken) throw await overtakenError(tx, cycleId, overtaken, drawn[overtaken]!, current[overtaken], values[overtaken], timezone, actor.openId);
  const broken = settingRuleProblems(
    cycle,
    changes.map((f) => [f, values[f]]),
    today,
  );
  // one: with its article; several: each listed, as the form's own are
  if (broken.length === 1) throw new UserError(broken[0].message, { field: broken[0].field, article: broken[0].article });
  if (broken.length) throw formProblems(broken, labels);
  // 第十六条 is checked when an application is submitted, against the deadline then: one brought forward must not leave
  // in the review an application whose team is no longer a year old by it
  if (changes.includes('applicationDeadline') && values.applicationDeadline < cycle.applicationDeadline) {
    const young = await tooYoungAt(tx, cycleId, values.applicationDeadline);
    if (young.length) {
      const latest = young.reduce((a, b) => (a.eligibleFrom > b.eligibleFrom ? a : b));
      const named = young.slice(0, 3).map((t) => `${t.name}（${t.code}，${formatDateZh(t.eligibleFrom)}满一年）`).join('、');
      throw cycleFieldError(
        'applicationDeadline',
        `提前到${formatDateZh(values.applicationDeadline)}，已提交申报的 ${young.length} 个班组截止时注册未满一年，不再符合申报条件（第十六条）：${named}${young.length > 3 ? ' 等' : ''}。请选择不早于${formatDateZh(latest.eligibleFrom)}的日期，或先将这些申报退回`,
        16,
      );
    }
  }
  // scores summed once (结束评分并汇总), then one sheet reopened: the results were seen, so what decides them stays fixed
  const decisive = changes.filter((f) => resultSettings.has(f));
  if (decisive.length && cycle.status === 'scoring' && (await aggregatedBefore(tx, cycleId))) {
    throw cycleFieldError(decisive[0], `${cycle.year}年度评分已汇总过一次，授予称号分数线、择优推荐比例、评审专家人数和计分规则不能再修改（第十七条：公开、公平、公正）；重开评分期间只能修改日期和连续成立投诉提醒次数。`, 17);
  }
  // a second save of the same form finds nothing to change: the first did it (the cycle row is locked above)
  if (!changes.length) throw new AlreadyDone('保存', { action: 'cycle.updateSettings', entity: 'cycle', entityId: cycleId }, `${cycle.year}年度评审设置`, '设置没有变化。');
  const [updated] = await tx
    .update(cycles)
    // the rules changed written into cycles.settings, its other keys kept
    .set({ ...columnsOf(values), settings: { ...settingsObject(cycle), ...rulesOf(values) }, updatedAt: now })
    .where(eq(cycles.id, cycleId))
    .returning();
  await audit(tx, {
    actor: actor.openId,
    action: 'cycle.updateSettings',
    entity: 'cycle',
    entityId: cycleId,
    details: { changes: Object.fromEntries(changes.map((f) => [f, { from: current[f], to: values[f] }])) },
    at: now,
  });
  return { cycle: updated, changes };
}

/**
 * What the year's rules refuse in settings changed to `changed` (each read right): a score line above the sheet's total
 * (第十八条), the application deadline once applications are closed, a date before today or off the year.
 */
function settingRuleProblems(cycle: Cycle, changed: readonly [SettingField, string | number][], today: string): (FormProblem & { article?: number })[] {
  const problems: (FormProblem & { article?: number })[] = [];
  const refuse = (field: CycleField, message: string, article?: number) => problems.push({ field, message: cycleFieldError(field, message).message, ...(article ? { article } : {}) });
  for (const [field, value] of changed) {
    if (field === 'awardThreshold' && Number(value) > sheetTotal(cycle)) {
      refuse(field, `不能高于本年度评分表的总分（${sheetTotal(cycle)} 分），否则没有班组能达到`, 18);
    } else if (field === 'applicationDeadline' && cycle.status !== 'open') {
      refuse(field, `申报已截止，不能再修改（原为${formatDateZh(cycle.applicationDeadline)}）`);
    } else if (dateFields.has(field) && String(value) < today) {
      refuse(field, `不能早于今天（${formatDateZh(today)}）`);
    } else if (dateFields.has(field) && offItsYear(cycle.year, String(value))) {
      refuse(field, offItsYearMessage(cycle.year, String(value)));
    }
  }
  return problems;
}

/**
 * The refusal of a save whose setting was changed since its form was drawn (by someone else, or by the clicker on another
 * copy): who changed it and when (the latest 修改设置 audit row naming it: 你 when the clicker did it themselves), what it
 * is now, and that the value typed was not saved.
 */
async function overtakenError(tx: Db, cycleId: number, field: SettingField, was: string, now: unknown, typed: unknown, timezone: string, clicker: string): Promise<UserError> {
  const [found] = await tx
    .select({ at: auditLog.at, actor: auditLog.actor, name: people.name, to: sql<string | null>`${auditLog.details} -> 'changes' -> ${field} ->> 'to'` })
    .from(auditLog)
    .leftJoin(people, eq(people.openId, auditLog.actor))
    .where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(cycleId)), eq(auditLog.action, 'cycle.updateSettings'), sql`${auditLog.details} -> 'changes' ? ${field}`))
    .orderBy(desc(auditLog.id))
    .limit(1);
  // named only when that save left the value in force: 截止申报 moves the deadline with no 修改设置 row, and the last
  // save would then be credited (to the clicker, as 你) with a value someone else's close set
  const row = found && found.to !== null && String(found.to) === String(now) ? found : undefined;
  // 你 when the clicker changed it themselves, on another copy of the form (as deadlineMovedSince says it)
  const who = row && (row.actor === clicker ? '你' : (row.name ?? '其他管理员'));
  const by = row ? `${who}已于 ${formatDateTimeZh(row.at, timezone)} ` : '此后已';
  return cycleFieldError(
    field,
    `${by}改为${settingText(field, now as string | number)}（你打开表单时为${settingText(field, was)}），你填写的${settingText(field, typed as string | number)}没有保存。表单已更新为现在的设置，请核对后再保存`,
  );
}

/**
 * 截止申报 from a 管理 card drawn before the application deadline was changed (修改设置): the card's dialog said how early
 * the close was and what it cut off by the old date, so nothing is closed. Who changed it and when (the latest 修改设置
 * audit row naming it: 你 when the clicker did it themselves), what it is now, and what the card showed. `clicked.redrawn`:
 * whether the refusal's answer draws the 管理 card again (not on a card in a shared chat: `adminCardAgain`); else it
 * says where to open it.
 */
export async function deadlineMovedSince(
  tx: Db,
  cycle: Pick<Cycle, 'id' | 'applicationDeadline'>,
  drawn: string,
  timezone: string,
  clicked: { by: string; redrawn: boolean },
): Promise<UserError> {
  const [row] = await tx
    .select({ at: auditLog.at, actor: auditLog.actor, name: people.name })
    .from(auditLog)
    .leftJoin(people, eq(people.openId, auditLog.actor))
    .where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(cycle.id)), eq(auditLog.action, 'cycle.updateSettings'), sql`${auditLog.details} -> 'changes' ? 'applicationDeadline'`))
    .orderBy(desc(auditLog.id))
    .limit(1);
  const who = row && (row.actor === clicked.by ? '你' : (row.name ?? '其他管理员'));
  const by = row ? `${who}已于 ${formatDateTimeZh(row.at, timezone)} ` : '其他管理员已';
  const next = clicked.redrawn ? '管理卡片已更新为现在的日期，请核对后再点“截止申报”。' : '请在与机器人的单聊中发送“管理”打开管理卡片，核对现在的日期后再点“截止申报”。';
  return new UserError(`${by}把申报截止日期改为${formatDateZh(cycle.applicationDeadline)}（你的卡片显示的是${formatDateZh(drawn)}），申报没有截止。${next}`);
}

/**
 * An application in the review: submitted to its organisation up to scored (分配专家 may run while applications are open,
 * so an application can be scoring before the deadline moves).
 */
const inReview = ['submitted', 'recommended', 'accepted', 'scoring', 'scored'] as const;

/** Teams with an application in the review (`inReview`) that are not a year old by `deadline` (E1). */
async function tooYoungAt(tx: Db, cycleId: number, deadline: string): Promise<{ name: string; code: string; eligibleFrom: string }[]> {
  // a year after registration as oneYearAfter counts it (src/applications.ts): 2月29日 to 2月28日, as PostgreSQL's interval does
  const eligibleFrom = sql<string>`(${teams.registeredAt} + interval '1 year')::date::text`;
  return tx
    .select({ name: teams.name, code: teams.code, eligibleFrom })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycleId), inArray(applications.status, inReview), sql`${eligibleFrom} > ${deadline}`))
    .orderBy(teams.registeredAt);
}

/** 载入评分表's inputs, read in order. */
const isTexts = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');

/**
 * Replaces the cycle's score sheet (第十八条) before scoring starts. `json` is an object, a JSON string,
 * the line form of `scoreSheetToText`, or the texts of 载入评分表's inputs in order (`parseScoreSheetBoxes`).
 */
export async function loadScoreSheet(
  tx: Db,
  actor: Actor,
  cycleId: number,
  json: unknown,
  now: Date = new Date(),
): Promise<{ cycle: Cycle; sheet: ScoreSheet }> {
  requireAdmin(actor);
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.status !== 'open') throw new UserError(sheetFixedText(cycle), { article: 18 });
  // 第十八条: SHARE waits for submits in flight and holds new ones (review_submit, submitScores) until this commits, so the count below sees every sheet committed before
  await tx.execute(sql`lock table ${assignments} in share mode`);
  // a submitted sheet was scored against the sheet in force: another would score the rest on another scale. A reopened
  // one (status 'assigned', its scores kept) was too: its card fills the kept scores into the items of the sheet in force
  const [scored] = await tx
    .select({
      n: sql<number>`count(*)::int`,
      reopened: sql<number>`count(*) filter (where ${assignments.status} = 'assigned')::int`,
    })
    .from(assignments)
    .where(
      and(
        eq(assignments.cycleId, cycleId),
        or(eq(assignments.status, 'submitted'), and(eq(assignments.status, 'assigned'), isNotNull(assignments.scores))),
      ),
    );
  if (scored.n > 0) {
    const reopened = scored.reopened > 0 ? `（其中 ${scored.reopened} 份已重开，原分数仍保留待专家重新提交）` : '';
    throw new UserError(
      cite(18, `评审依据《质量信得过班组建设评分表》，专家评分开始后不能再更换评分表：${cycle.year}年度已有 ${scored.n} 份专家评分按现有评分表提交${reopened}。`),
      { article: 18 },
    );
  }
  const sheet = typeof json === 'string' ? parseScoreSheetText(json) : isTexts(json) ? parseScoreSheetBoxes(json) : parseScoreSheet(json);
  if (sheet.total < cycle.awardThreshold) {
    throw new UserError(
      cite(18, `评审依据《质量信得过班组建设评分表》，评分表“${sheet.title}”总分 ${sheet.total} 分，低于本年度授予称号分数线 ${cycle.awardThreshold} 分，没有班组能达到：请先点“修改设置”调整分数线，再载入这份评分表。`),
      { field: 'sheet', article: 18 },
    );
  }
  const previous = scoreSheetSchema.safeParse(cycle.scoreSheet);
  if (previous.success && JSON.stringify(previous.data) === JSON.stringify(sheet)) {
    throw new AlreadyDone('载入', { action: 'cycle.loadScoreSheet', entity: 'cycle', entityId: cycleId }, `评分表“${sheet.title}”`, `评分表“${sheet.title}”已在使用，无需重复载入。`);
  }
  const [updated] = await tx.update(cycles).set({ scoreSheet: sheet, updatedAt: now }).where(eq(cycles.id, cycleId)).returning();
  await audit(tx, {
    actor: actor.openId,
    action: 'cycle.loadScoreSheet',
    entity: 'cycle',
    entityId: cycleId,
    details: {
      title: sheet.title,
      total: sheet.total,
      areas: sheet.areas.length,
      items: sheet.areas.reduce((n, a) => n + a.items.length, 0),
      previousTitle: previous.success ? previous.data.title : null,
      // the sheet written over, whole (第十七条): the cycle's row holds only the one in force
      previousSheet: cycle.scoreSheet,
    },
    at: now,
  });
  return { cycle: updated, sheet };
}

/** One move of the cycle's state machine: role and state checked, new status and an audit row written. */
export async function transitionCycle(
  tx: Db,
  actor: Actor,
  /** The cycle's id; or its row, read by the caller under the cycle's lock in this transaction, which is not taken again. */
  cycleOrLocked: number | Cycle,
  name: CycleTransition,
  now: Date = new Date(),
  details: Record<string, unknown> = {},
): Promise<Cycle> {
  const cycle = typeof cycleOrLocked === 'number' ? await lockCycle(tx, cycleOrLocked) : cycleOrLocked;
  const cycleId = cycle.id;
  const from = cycle.status as CycleStatus;
  const to = cycleStates.check(name, from, actor);
  const [updated] = await tx
    .update(cycles)
    .set({ status: to, updatedAt: now })
    .where(and(eq(cycles.id, cycleId), eq(cycles.status, from)))
    .returning();
  await audit(tx, { actor: actor.openId, action: `cycle.${name}`, entity: 'cycle', entityId: cycleId, details: { from, to, ...details }, at: now });
  return updated;
}

/**
 * 截止申报: open → scoring; no new applications from here on. `cycle`: its id, or its row read under the cycle's lock in
 * this transaction (see `transitionCycle`). Closed before its deadline, the applications close today: 第十六条 (E1,
 * counted at the deadline) is counted again at today, as bringing the deadline forward in 评审设置 counts it, and the
 * deadline becomes today, which the cards then show and what follows counts from. An application still waiting for its
 * contact (第十五条) is told of, to its contact and its leader (`noticeUnconfirmedAtDeadline`); `unconfirmed.note` says so
 * to the administrators (empty when none waits). Closed early, each leader of a draft or a returned application is told
 * it was cut off (`noticeClosedEarly`), and `cutOff.note` says so to the administrators.
 */
export async function closeApplications(
  tx: Db,
  actor: Actor,
  cycle: number | Cycle,
  now: Date = new Date(),
  timezone: string = DEFAULT_TIMEZONE,
): Promise<Cycle & { unconfirmed: Unconfirmed; cutOff: CutOff }> {
  const { closed, cutOff } = await closeApplicationsOnly(tx, actor, cycle, now, timezone);
  const { waiting, note } = await noticeUnconfirmedAtDeadline(tx, closed.id);
  return { ...closed, unconfirmed: { waiting, note }, cutOff };
}

async function closeApplicationsOnly(tx: Db, actor: Actor, cycle: number | Cycle, now: Date, timezone: string): Promise<{ closed: Cycle; cutOff: CutOff }> {
  requireAdmin(actor);
  const locked = typeof cycle === 'number' ? await lockCycle(tx, cycle) : cycle;
  if (locked.status === 'scoring' || locked.status === 'closed' || locked.status === 'published') {
    // a second click: when it was done (what the transition recorded)
    throw new AlreadyDone('截止', { action: 'cycle.closeApplications', entity: 'cycle', entityId: locked.id }, `${locked.year}年度申报`, `${locked.year}年度申报已截止（${cycleStatusLabel(locked.status)}）。`);
  }
  const today = todayIn(timezone, now);
  // the deadline day is the applicants' to its end (RULES E1, the reminders' 今天截止): closed during it, as before it, is
  // closed early, and the leaders of drafts are told
  if (locked.status !== 'open' || today > locked.applicationDeadline) return { closed: await transitionCycle(tx, actor, locked, 'closeApplications', now), cutOff: { count: 0, note: '' } };
  const young = await tooYoungAt(tx, locked.id, today);
  if (young.length) {
    const latest = young.reduce((a, b) => (a.eligibleFrom > b.eligibleFrom ? a : b));
    const named = young.slice(0, 3).map((t) => `${t.name}（${t.code}，${formatDateZh(t.eligibleFrom)}满一年）`).join('、');
    throw new UserError(
      `第十六条：注册满一年后方可参加评选。申报截止日期为${formatDateZh(locked.applicationDeadline)}，今天截止的话，已提交申报的 ${young.length} 个班组截止时注册未满一年：${named}${young.length > 3 ? ' 等' : ''}。请于${formatDateZh(latest.eligibleFrom)}或之后再截止，或先将这些申报退回。`,
    );
  }
  // on the deadline day the date stands; before it, it becomes today, and the audit row says from what
  const onTheDay = today === locked.applicationDeadline;
  const moved = onTheDay ? locked : (await tx.update(cycles).set({ applicationDeadline: today, updatedAt: now }).where(eq(cycles.id, locked.id)).returning())[0];
  const closed = await transitionCycle(tx, actor, moved, 'closeApplications', now, onTheDay ? undefined : { applicationDeadline: { from: locked.applicationDeadline, to: today } });
  // the leaders of drafts and returned applications counted on the announced deadline: told theirs is cut off today
  const cutOff = await noticeClosedEarly(tx, closed, today, locked.applicationDeadline);
  return { closed, cutOff };
}

function isUniqueViolation(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === '23505') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
