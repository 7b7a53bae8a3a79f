import type { Database } from '../../db/index.js';
import type { BulkJob } from '../bulkJobs.js';
import { pipelined, postgresClient } from '../pipeline.js';
import { type JobJson, jobOf } from './cycleSteps.js';

/**
 * The administrators' bulk-job steps in one round trip on PostgreSQL: BEGIN, one statement, COMMIT in one write. It is
 * raw SQL because one statement must check and write at once, which the query builder cannot say. The statement
 * claims the event only when every check of the ordinary path passes and handles the success alone: on anything else
 * it writes nothing, not even the claim, and the ordinary path answers as it always has.
 *
 * 分配专家 (`review.assign`): the 分配专家 job recorded with its audit row, what `startAssignmentJob`
 * (src/review/assignJob.ts) does when it answers 'started'. Its other answers (no such cycle, a job already running,
 * the cycle past scoring, no accepted application, no expert, every panel full) are the ordinary path's. The job's
 * card is drawn from the row the insert returns.
 *
 * The ordinary path takes no row lock: the job's insert is guarded by `bulk_jobs_active_uq`. Here the same index
 * guards it: a 分配专家 job of the cycle committed between the statement's snapshot and its insert makes the insert
 * add nothing; then, the event claimed, the statement fails on purpose (`RACED`), the transaction rolls back whole
 * and the ordinary path answers (it finds the job running and shows it).
 */
export interface FastAssign {
  eventId: string;
  eventType: string;
  openId: string;
  cycleId: number;
  /** The callback's card (open_message_id): the job's progress is written into it. */
  messageId: string | undefined;
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
}

/** The text of the error a statement raises when the row changed under it: nothing it did is kept. */
const RACED = 'job step: the cycle or its job changed after this event read it';

const assignSql = `
with cycle as (
  -- getCycle (src/cycles.ts): no such cycle is the ordinary path's refusal
  select c.id, c.year, c.status from cycles c where c.id = $5
),
running as (
  -- activeBulkJob(tx, 'assign', cycleId): a job already running is the ordinary path's answer
  select j.id from bulk_jobs j where j.kind = 'assign' and j.cycle_id = $5 and j.status in ('queued', 'running')
),
counts as (
  -- assignmentCounts (src/review/assignment.ts): the tasks missing and the active experts (its count of applications
  -- is implied: with no accepted application nothing is missing)
  select
    (select coalesce(sum(greatest(0, (select c.experts_per_application from cycles c where c.id = $5) - (
       select count(*) from assignments s where s.application_id = a.id and s.status in ('assigned', 'submitted')))), 0)::int
     from applications a where a.cycle_id = $5 and a.status in ('accepted', 'scoring', 'scored')) as missing,
    (select count(*)::int from people p where 'expert' = any(p.roles) and p.expert_active) as experts
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse, src/handlers.ts): the stored role or ADMIN_OPEN_IDS, as actorFrom
    -- (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    -- startAssignmentJob: a running job is shown instead
    and not exists (select 1 from running)
    -- checkAssignable (src/review/assignment.ts): open or scoring
    and cycle.status in ('open', 'scoring')
    -- tasksToMake: an expert in the pool, or it refuses; something to fill, or 'nothing' (with no accepted application
    -- nothing is missing, so its first refusal is implied)
    and counts.experts > 0 and counts.missing > 0 as ok,
    cycle.year, counts.missing
  from cycle cross join counts
),
claim as (
  insert into processed_events (event_id, event_type) select $1, $2 from verdict where ok
  on conflict do nothing
  returning event_id
),
job as (
  -- startBulkJob (src/bulkJobs.ts): the job, its params the year; a second job of the cycle meets bulk_jobs_active_uq
  insert into bulk_jobs (kind, cycle_id, params, total, created_by, message_id)
  select 'assign', $5, jsonb_build_object('year', v.year), v.missing, $3, $6::text
  from verdict v
  where exists (select 1 from claim)
  on conflict do nothing
  returning *
),
audited as (
  -- startBulkJob's audit() at the bot's clock
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $7::timestamptz, $3, 'bulk.assign.start', 'bulk_job', j.id::text, jsonb_build_object('cycleId', j.cycle_id, 'total', j.total)
  from job j
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  (select row_to_json(j) from job j) as job,
  (select count(*) from audited)::int as audited,
  -- claimed, but a job of the cycle was recorded after the snapshot: fail, so the claim is not kept (a text cast to
  -- int is how a plain statement raises; the subquery keeps the planner from folding it ahead of the case)
  case when exists (select 1 from claim) and not exists (select 1 from job)
    then (select '${RACED} (' || event_id || ')' from claim)::int end as raced`;

interface JobOutcome {
  ok: boolean;
  job: JobJson | string | null;
  audited: number;
  raced: null;
}

/** Whether `err` is the statement's own `RACED` failure: rolled back whole, for the ordinary path to answer. */
function raced(err: unknown): boolean {
  return (err as { code?: string }).code === '22P02' && String((err as Error).message).includes(RACED);
}

/** 分配专家 that starts the job, in one round trip; the job as recorded. Undefined (nothing written) whenever the ordinary path must answer; always so on PGlite. */
export async function fastAssign(database: Database, event: FastAssign): Promise<{ job: BulkJob } | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params = [event.eventId, event.eventType, event.openId, [...event.bootstrapAdmins], event.cycleId, event.messageId ?? null, event.now.toISOString()];
  let outcome: JobOutcome[];
  try {
    [[outcome]] = await pipelined<[JobOutcome[]], []>(client, [(c) => c.unsafe(assignSql, params as never[], { prepare: true }).execute() as never], []);
  } catch (err) {
    if (raced(err)) return undefined;
    throw err;
  }
  const row = outcome[0];
  if (!row?.job) return undefined;
  return { job: jobOf(typeof row.job === 'string' ? (JSON.parse(row.job) as JobJson) : row.job) };
}
