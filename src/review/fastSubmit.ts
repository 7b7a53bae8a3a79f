import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/index.js';
import { assignments } from '../../db/schema.js';
import { knownCycleSheet, rememberCycleSheet } from '../cycles.js';
import { UserError } from '../errors.js';
import { claimCte } from '../fast/sql.js';
import { onConnection, pipelined, postgresClient } from '../pipeline.js';
import type { ScoreSheet } from '../scoreSheet.js';
import { defaultAggregationRule } from './aggregation.js';
import { checkSubmit, parseScoreForm, progressFrom, type ScoreSheetInput, type Task, type TaskWithoutSheet, tasksWithoutSheetQuery } from './scoring.js';

/**
 * 提交评分 in one round trip on PostgreSQL: the event claim, the ownership and state checks, the sheet,
 * its audit row and, when it is the panel's last, the panel's completion go as one pipelined transaction
 * of prepared statements; the statement also counts the expert's progress, and the task for the answer card
 * is read back in the same write. Neither sends the cycle's score sheet: the statement compares the cycle row's
 * version (`id:xmin`) with the sheet's the values were read against, and the read-back takes the sheet from the
 * process's cache by that version (`knownCycleSheet`); only a version never seen costs a read of the sheet.
 * It is raw SQL because one statement must check and write at once, which the query builder cannot say.
 */

export interface FastSubmitEvent {
  eventId: string;
  eventType: string;
  openId: string;
  assignmentId: number;
  formValue: Record<string, unknown>;
  now: Date;
  timezone: string;
}

export type FastSubmitResult =
  /** The event was handled before: nothing was done; the task as that delivery left it. */
  | { kind: 'duplicate'; task: Task | undefined; progress: { done: number; total: number } }
  /** Stored (and the panel completed when this was its last sheet). */
  | { kind: 'submitted'; task: Task; progress: { done: number; total: number }; input: ScoreSheetInput }
  /** Refused as the ordinary path refuses; the event is recorded, nothing else changed. */
  | { kind: 'refused'; error: UserError; task: Task | undefined; progress: { done: number; total: number } }
  /** Left to the ordinary path (a panel whose completion alerts the administrators): nothing was written. */
  | { kind: 'ordinary' };

/** The sheet the values are read against before the batch goes out, with its cycle row's `id:xmin`; the statement checks it is still the task's. */
let knownSheet: { version: string; sheet: ScoreSheet } | undefined;

// the lock 分配专家, declines and the ordinary submit take, so panel completion is decided on fresh rows
const lockSql = `select 1 from applications where id = (select application_id from assignments where id = $1) for update`;

const submitSql = `
with t as (
  select a.id, a.expert_open_id, a.status, a.application_id, ap.status as app_status, c.status as cycle_status,
    c.id::text || ':' || c.xmin::text = $5 as same_sheet
  from assignments a join applications ap on ap.id = a.application_id join cycles c on c.id = ap.cycle_id
  where a.id = $4
),
members as (
  select o.id, o.status, (case when o.id = $4 then $8::numeric else o.total end)::float8 as total
  from assignments o join t on o.application_id = t.application_id
  where o.status in ('assigned', 'submitted')
),
scored as (select id, total from members where status = 'submitted' or id = $4),
panel as (
  select (select count(*) from members where status = 'assigned' and id <> $4) as pending,
    (select percentile_cont(0.5) within group (order by total) from scored) as median
),
verdict as (
  select case
      when t.id is null or t.expert_open_id <> $3 or t.status <> 'assigned' or t.cycle_status not in ('open', 'scoring') then 'refused'
      when not t.same_sheet then 'stale'
      when not $6::boolean then 'refused'
      when p.pending = 0 and t.app_status = 'scoring' and exists (select 1 from scored s where abs(s.total - p.median) > $11::float8) then 'ordinary'
      else 'ok' end as v,
    coalesce(p.pending = 0 and t.app_status = 'scoring', false) as completes,
    t.application_id
  from (select 1) one left join t on true cross join panel p
),
${claimCte({ when: "v in ('ok', 'refused')" })},
sheet as (
  update assignments set status = 'submitted', scores = $7::jsonb, total = $8::numeric, comment = $9, submitted_at = $10::timestamptz
  where id = $4 and status = 'assigned' and exists (select 1 from claim) and (select v from verdict) = 'ok'
  returning id
),
sheet_audit as (
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, 'review.submit', 'assignment', ($4::int)::text, jsonb_build_object('applicationId', v.application_id, 'total', $8::numeric::float8), $10::timestamptz
  from sheet cross join verdict v
  returning id
),
completed as (
  update applications set status = 'scored', updated_at = $10::timestamptz
  where id = (select application_id from verdict where completes) and status = 'scoring' and exists (select 1 from sheet)
  returning id
),
completed_audit as (
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, 'application.completePanel', 'application', c.id::text,
    jsonb_build_object('totals', (select jsonb_agg(s.total order by s.id) from scored s), 'outliers', '[]'::jsonb), $10::timestamptz
  from completed c
  returning id
),
progress as (
  -- the expert's progress for the answer card, as of this sheet: what expertProgressQuery (src/review/scoring.ts)
  -- counts after the commit: the running cycle's tasks are one range of assignments_expert_cycle_idx
  select count(*) filter (where o.status = 'submitted' or o.id = (select id from sheet)) as done, count(*) as total
  from assignments o
  where o.expert_open_id = $3 and o.cycle_id = (select id from cycles where status in ('open', 'scoring', 'closed'))
    and o.status in ('assigned', 'submitted')
)
select (select v from verdict) as verdict, exists (select 1 from claim) as claimed, exists (select 1 from sheet) as written,
  p.done::int as done, p.total::int as total
from progress p`;

/** The task read back, built once per database: Drizzle builds its SQL and maps its row. */
const readBacks = new WeakMap<Database, { task: { execute(p: { id: number }): Promise<TaskWithoutSheet[]> } }>();

function readBackOf(database: Database) {
  let q = readBacks.get(database);
  if (!q) {
    q = { task: tasksWithoutSheetQuery(database.db).where(eq(assignments.id, sql.placeholder('id'))).prepare('review_task_nosheet') as never };
    readBacks.set(database, q);
  }
  return q;
}

/** Undefined on PGlite: the ordinary path runs there. */
export async function fastSubmitScores(database: Database, event: FastSubmitEvent): Promise<FastSubmitResult | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const known = knownSheet ?? (await loadSheet(database, event.assignmentId));
  const first = await submitOnce(database, event, known);
  if (first.kind !== 'stale') return first;
  // another cycle's sheet, or it changed: read the task's own and try once more
  const fresh = await loadSheet(database, event.assignmentId);
  const second = await submitOnce(database, event, fresh);
  return second.kind === 'stale' ? { kind: 'ordinary' } : second;
}

async function loadSheet(database: Database, assignmentId: number): Promise<{ version: string; sheet: ScoreSheet } | undefined> {
  const rows = await postgresClient(database)!.unsafe(
    `select c.id, c.xmin::text as xmin, c.score_sheet as sheet from assignments a join applications ap on ap.id = a.application_id
     join cycles c on c.id = ap.cycle_id where a.id = $1`,
    [assignmentId],
  );
  const row = rows[0] as unknown as { id: number; xmin: string; sheet: unknown } | undefined;
  if (!row) return knownSheet;
  const sheet = rememberCycleSheet(row.id, row.xmin, typeof row.sheet === 'string' ? JSON.parse(row.sheet) : row.sheet);
  knownSheet = { version: `${row.id}:${row.xmin}`, sheet };
  return knownSheet;
}

/** The task read back, with its cycle's sheet from the cache (read once when its version is new to this process). */
async function withSheet(database: Database, row: TaskWithoutSheet | undefined): Promise<Task | undefined> {
  if (!row) return undefined;
  const { sheetVersion, ...cycle } = row.cycle;
  let sheet = knownCycleSheet(cycle.id, sheetVersion);
  if (!sheet) {
    // the sheet changed after the statement read it, or the task is another cycle's: one more read, rare
    await loadSheet(database, row.assignment.id);
    sheet = knownCycleSheet(cycle.id, sheetVersion) ?? (await exactSheet(database, cycle.id));
  }
  return { ...row, cycle: { ...cycle, scoreSheet: sheet } };
}

/** The cycle's sheet as it is now, when it changed again between two reads. */
async function exactSheet(database: Database, cycleId: number): Promise<ScoreSheet> {
  const [row] = (await postgresClient(database)!.unsafe(`select xmin::text as xmin, score_sheet as sheet from cycles where id = $1`, [cycleId])) as unknown as {
    xmin: string;
    sheet: unknown;
  }[];
  return rememberCycleSheet(cycleId, row.xmin, typeof row.sheet === 'string' ? JSON.parse(row.sheet) : row.sheet);
}

async function submitOnce(database: Database, event: FastSubmitEvent, known: { version: string; sheet: ScoreSheet } | undefined): Promise<FastSubmitResult | { kind: 'stale' }> {
  let input: ScoreSheetInput | undefined;
  try {
    input = known ? parseScoreForm(known.sheet, event.formValue) : undefined;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
  }
  const q = readBackOf(database);
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
    defaultAggregationRule.outlierDistance,
  ];
  const [[, outcome], [tasks]] = await pipelined<[unknown, { verdict: string; claimed: boolean; written: boolean; done: number; total: number }[]], [TaskWithoutSheet[]]>(
    postgresClient(database)!,
    [(c) => c.unsafe(lockSql, [event.assignmentId], { prepare: true }).execute(), (c) => c.unsafe(submitSql, params as never[], { prepare: true }).execute() as never],
    [(c) => onConnection(q.task, c).execute({ id: event.assignmentId })],
  );
  const { verdict, claimed, written, done, total } = outcome[0];
  if (verdict === 'stale') return { kind: 'stale' };
  if (verdict === 'ordinary') return { kind: 'ordinary' };
  const task = await withSheet(database, tasks[0]);
  const progress = progressFrom([{ done, total }]);
  if (!claimed) return { kind: 'duplicate', task, progress };
  if (written && input && task) return { kind: 'submitted', task, progress, input };
  try {
    checkSubmit(task, event, event.formValue, event.timezone);
  } catch (error) {
    if (error instanceof UserError) return { kind: 'refused', error, task, progress };
    throw error;
  }
  throw new Error(`score sheet ${event.assignmentId}: refused by the database but acceptable to the checks`);
}
