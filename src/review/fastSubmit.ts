import { type Column, getTableColumns, type Table } from 'drizzle-orm';
import type { Database } from '../../db/index.js';
import { applications, assignments, cycles, teams } from '../../db/schema.js';
import { type Cycle, knownCycle, rememberCycle } from '../cycles.js';
import { UserError } from '../errors.js';
import { postgresClient } from '../pipeline.js';
import { type ScoreSheet, sheetFingerprint } from '../scoreSheet.js';
import { aggregationRuleOf, defaultAggregationRule } from './aggregation.js';
import { checkSubmit, declinedHow, type Progress, parseScoreForm, progressFrom, type ScoreSheetInput, type SubmittedTask, type Task } from './scoring.js';

/**
 * 提交评分 in one round trip on PostgreSQL: one call of the function `review_submit` (migration 0006) takes the
 * application's lock, checks ownership and state, claims the event, stores the sheet and its audit row, completes the
 * panel when this is its last sheet, counts the expert's progress and sends what the answer card draws (a stored sheet:
 * the team, the organisation, the form's summary and the total, read by the statement that stores it, migration 0014;
 * a refusal or a redelivery: the task read back whole, as its card may redraw the sheet or the form). It is
 * one statement with no transaction around it, so concurrent experts' calls share the bot's connections as any query
 * does. Neither way sends the cycle's row: the function compares the cycle row's version (`id:xmin`) with the one the
 * values were read against (whose outlier distance it is given), and the task read back names its cycle's version, whose
 * row, sheet included, comes from the process's cache (`knownCycle`, migration 0013); only a version never seen costs a
 * read of the row. Of the form, a stored sheet's answer holds only what its summary shows (`briefKeys`), not the four
 * long texts.
 * It is a function rather than Drizzle because the lock must come before the snapshot the checks read, which one
 * statement cannot say; the ordinary path (src/review/scoring.ts) says the same in Drizzle.
 */

export interface FastSubmitEvent {
  eventId: string;
  eventType: string;
  openId: string;
  assignmentId: number;
  formValue: Record<string, unknown>;
  /** The fingerprint of the sheet the card was drawn from, when it carries one (`shownSheet`). */
  shownSheet?: string;
  now: Date;
  timezone: string;
}

export type FastSubmitResult =
  /** The event was handled before: nothing was done; the task as that delivery left it. */
  | { kind: 'duplicate'; task: Task | undefined; progress: Progress }
  /** Stored (and the panel completed when this was its last sheet): what its answer draws. */
  | { kind: 'submitted'; task: SubmittedTask; progress: Progress; input: ScoreSheetInput }
  /** Refused as the ordinary path refuses; the event is recorded, nothing else changed. */
  | { kind: 'refused'; error: UserError; task: Task | undefined; progress: Progress }
  /**
   * Left to the ordinary path (a panel whose completion alerts the administrators: outliers, or a year summed before and
   * reopened, whose last panel tells them it can be summed again, migration 0015; an expert who must step aside from
   * the team, whom it refuses, migration 0016): nothing was written.
   */
  | { kind: 'ordinary' };

/** The cycle row the values are read against before the call goes out, with its `id:xmin`; the function checks it is still the task's. */
interface KnownCycle {
  version: string;
  cycle: Cycle;
  /** The row's outlier distance (aggregationRuleOf), $11 of the call. */
  outlierDistance: number;
}

let knownRow: KnownCycle | undefined;

/** Its sheet, parsed when the row was kept (`rememberCycle`). */
const sheetOf = (known: KnownCycle) => known.cycle.scoreSheet as ScoreSheet;

// the function (migration 0006_review_submit) is the lock, the statement and the read-back; called on its own, with no
// BEGIN or COMMIT around it, it is one message and one answer, and postgres.js pipelines concurrent calls on a connection
// the scores go as text: the pool's client (Drizzle's) sends a JSON parameter as it is given, `statements`' would
// stringify it once more, and the function would store a JSON string
/**
 * The call; its outlier distance ($11 of review_submit) is that of the cycle row the values were read against
 * (aggregationRuleOf): the function answers 'stale' to a task of another cycle, or of a cycle changed since, before
 * reading it.
 */
const submitCall = `select review_submit($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9, $10, $11::float8, $12) as outcome`;

/** How long a call may wait for a lock before it gives way to the ordinary path (see `Database.statements`). */
export const SUBMIT_LOCK_WAIT_MS = 50;

/** The function's answer: the task is there when the verdict is ok or refused (it may be null: no such task). */
interface Outcome {
  verdict: 'ok' | 'refused' | 'stale' | 'ordinary';
  claimed?: boolean;
  written?: boolean;
  done?: number;
  total?: number;
  /** Migration 0020: the pending tasks the expert must step aside from (`Progress`). */
  recused?: number;
  task?: { assignment: JsonRow; application: JsonRow; team: JsonRow; organization: string; cycle: SentCycle } | null;
  /** A sheet stored: what its answer shows besides what the bot sent (migration 0014). */
  brief?: { team: { code: string; name: string }; organization: string; form: Record<string, unknown>; total: number; cycle: SentCycle };
}

/** A cycle as the function names it: the bot holds its row by version (`knownCycle`). */
interface SentCycle {
  id: number;
  sheet_version: string;
}

type JsonRow = Record<string, unknown>;

/**
 * A row of `table` as the function sends it (`to_json`, by column name) mapped as Drizzle maps the row it reads itself:
 * each column's own decoder (a timestamp's ISO text to a Date, a numeric to a number, a JSON string read once more,
 * as Drizzle does with what postgres.js already parsed).
 */
function fromJson<T extends Table>(table: T, row: JsonRow): T['$inferSelect'] {
  const out: Record<string, unknown> = {};
  for (const [key, column] of columnsOf(table)) {
    const value = row[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as T['$inferSelect'];
}

const columnLists = new Map<Table, [string, Column][]>();

/** A table's columns by key, listed once (getTableColumns copies them on every call). */
function columnsOf(table: Table): [string, Column][] {
  let list = columnLists.get(table);
  if (!list) columnLists.set(table, (list = Object.entries(getTableColumns(table)) as [string, Column][]));
  return list;
}

/** The task as the function sends it: its cycle named by id and row version. */
type SentTask = Omit<Task, 'cycle'> & { cycle: { id: number; version: string } };

function taskOf(sent: NonNullable<Outcome['task']>): SentTask {
  return {
    assignment: fromJson(assignments, sent.assignment),
    application: fromJson(applications, sent.application),
    team: fromJson(teams, sent.team),
    organization: sent.organization,
    cycle: { id: sent.cycle.id, version: sent.cycle.sheet_version },
  };
}

/** Undefined on PGlite: the ordinary path runs there. */
export async function fastSubmitScores(database: Database, event: FastSubmitEvent, lockWaitMs = SUBMIT_LOCK_WAIT_MS): Promise<FastSubmitResult | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const known = knownRow ?? (await firstRow(database, event.assignmentId));
  const first = await submitOnce(database, event, known, lockWaitMs);
  if (first.kind !== 'stale') return first;
  // another cycle's sheet, or it changed: read the task's own and try once more
  const fresh = await loadRow(database, event.assignmentId);
  const second = await submitOnce(database, event, fresh, lockWaitMs);
  return second.kind === 'stale' ? { kind: 'ordinary' } : second;
}

/** The first read of a cycle row, shared by the sheets submitted while it is under way (a process's first wave). */
let firstRead: Promise<KnownCycle | undefined> | undefined;

function firstRow(database: Database, assignmentId: number): Promise<KnownCycle | undefined> {
  // another cycle's task given this row is answered 'stale' by the function and reads its own
  firstRead ??= loadRow(database, assignmentId).finally(() => (firstRead = undefined));
  return firstRead;
}

/** A cycle row as read with its version: the columns as Drizzle maps them, kept by version (`rememberCycle`). */
function cycleRead(row: { cycle: unknown; xmin: string }): KnownCycle {
  const json = (typeof row.cycle === 'string' ? JSON.parse(row.cycle) : row.cycle) as JsonRow;
  const cycle = rememberCycle(fromJson(cycles, json), row.xmin);
  return { version: `${cycle.id}:${row.xmin}`, cycle, outlierDistance: aggregationRuleOf(cycle.settings).outlierDistance };
}

async function loadRow(database: Database, assignmentId: number): Promise<KnownCycle | undefined> {
  const rows = await postgresClient(database)!.unsafe(
    `select to_json(c) as cycle, c.xmin::text as xmin from assignments a join applications ap on ap.id = a.application_id
     join cycles c on c.id = ap.cycle_id where a.id = $1`,
    [assignmentId],
  );
  const row = rows[0] as unknown as { cycle: unknown; xmin: string } | undefined;
  if (!row) return knownRow;
  knownRow = cycleRead(row);
  return knownRow;
}

/** The task read back, with its cycle's row from the cache (read once when its version is new to this process). */
async function withCycle(database: Database, row: SentTask | undefined): Promise<Task | undefined> {
  if (!row) return undefined;
  return { ...row, cycle: await cycleAt(database, row.assignment.id, row.cycle) };
}

/** A cycle's row at the version the function names, from the cache; read when new to this process (rare). */
async function cycleAt(database: Database, assignmentId: number, { id, version }: { id: number; version: string }): Promise<Cycle> {
  const cycle = knownCycle(id, version);
  if (cycle) return cycle;
  // the row changed after the statement read it, or the task is another cycle's: one more read
  await loadRow(database, assignmentId);
  return knownCycle(id, version) ?? (await exactCycle(database, id));
}

/**
 * The stored sheet's answer: the function sends the team, its organisation, the form's summary and the total as
 * stored; the scores, the comment and the time are what this call sent (the same values the row now holds).
 */
async function storedTask(database: Database, event: FastSubmitEvent, input: ScoreSheetInput, brief: NonNullable<Outcome['brief']>): Promise<SubmittedTask> {
  return {
    assignment: { id: event.assignmentId, scores: input.scores, total: Number(brief.total), comment: input.comment, submittedAt: event.now },
    application: { form: brief.form },
    team: brief.team,
    organization: brief.organization,
    cycle: await cycleAt(database, event.assignmentId, { id: brief.cycle.id, version: brief.cycle.sheet_version }),
  };
}

/** The cycle's row as it is now, when it changed again between two reads. */
async function exactCycle(database: Database, cycleId: number): Promise<Cycle> {
  const [row] = (await postgresClient(database)!.unsafe(`select to_json(c) as cycle, xmin::text as xmin from cycles c where id = $1`, [cycleId])) as unknown as {
    cycle: unknown;
    xmin: string;
  }[];
  return cycleRead(row).cycle;
}

async function submitOnce(database: Database, event: FastSubmitEvent, known: KnownCycle | undefined, lockWaitMs: number): Promise<FastSubmitResult | { kind: 'stale' }> {
  // a card drawn from another sheet than the one the values would be read against: read the task's own, and when that
  // differs too, the ordinary path refuses (第十八条); the fingerprint is hashed once per sheet, so the hot path pays nothing
  if (known && event.shownSheet !== undefined && event.shownSheet !== sheetFingerprint(sheetOf(known))) return { kind: 'stale' };
  let input: ScoreSheetInput | undefined;
  try {
    input = known ? parseScoreForm(sheetOf(known), event.formValue) : undefined;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
  }
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    event.assignmentId,
    known?.version ?? '',
    input !== undefined,
    JSON.stringify(input?.scores ?? {}),
    String(input?.total ?? 0),
    input?.comment ?? null,
    event.now.toISOString(),
    known?.outlierDistance ?? defaultAggregationRule.outlierDistance,
    // at least 1 ms: 0 would be no limit at all
    `${Math.max(1, Math.round(lockWaitMs))}ms`,
  ];
  let row: { outcome: unknown };
  try {
    [row] = (await (database.statements ?? postgresClient(database)!).unsafe(submitCall, params as never[], { prepare: true })) as unknown as { outcome: unknown }[];
  } catch (err) {
    // a lock held longer than the call may wait (lock_not_available), a deadlock or a serialisation failure: the
    // call was its own transaction, so nothing was kept; the ordinary path waits for the lock
    if (['55P03', '40P01', '40001'].includes((err as { code?: string }).code ?? '')) return { kind: 'ordinary' };
    throw err;
  }
  const outcome = (typeof row.outcome === 'string' ? JSON.parse(row.outcome) : row.outcome) as Outcome;
  const { verdict, claimed, written, done = 0, total = 0, recused = 0 } = outcome;
  if (verdict === 'stale') return { kind: 'stale' };
  if (verdict === 'ordinary') return { kind: 'ordinary' };
  const progress = progressFrom([{ done, total, recused }]);
  if (written && input && outcome.brief) return { kind: 'submitted', task: await storedTask(database, event, input, outcome.brief), progress, input };
  const task = await withCycle(database, outcome.task ? taskOf(outcome.task) : undefined);
  if (!claimed) return { kind: 'duplicate', task, progress };
  // an old card of a task declined: what became of it (stepped aside by the bot, another expert arranged or not), read
  // now that the statement has answered; a refusal of its own, off the hot path
  const how = task?.assignment.status === 'declined' && task.assignment.expertOpenId === event.openId ? await declinedHow(database.db, task) : undefined;
  try {
    checkSubmit(task, event, event.formValue, event.timezone, event.shownSheet, how);
  } catch (error) {
    if (error instanceof UserError) return { kind: 'refused', error, task, progress };
    throw error;
  }
  throw new Error(`score sheet ${event.assignmentId}: refused by the database but acceptable to the checks`);
}
