import postgres from 'postgres';
import type { Database } from '../../db/index.js';
import type { BulkJob } from '../bulkJobs.js';
import { pipelined, postgresClient } from '../pipeline.js';
import { type ExpertWhoLeft, expertsWhoLeftSql, leftCompanySql } from '../review/assignment.js';
import { type JobJson, jobOf } from './cycleSteps.js';
import { claimCte, failWhenNotWritten, raisedOnPurpose } from './sql.js';

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
    (select count(*)::int from people p where 'expert' = any(p.roles) and p.expert_active and not ${leftCompanySql('p.open_id')}) as experts
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse, src/handlers.ts): the stored role or ADMIN_OPEN_IDS, as actorFrom
    -- (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    -- startAssignmentJob: a running job is shown instead
    and not exists (select 1 from running)
    -- checkAssignable (src/review/assignment.ts): open or scoring, and no 汇总 before (a reopened sheet, 第十七条)
    and cycle.status in ('open', 'scoring')
    and (cycle.status = 'open' or not exists (
      select 1 from audit_log l where l.entity = 'cycle' and l.entity_id = cycle.id::text and l.action = 'cycle.closeScoring'))
    -- tasksToMake: an expert in the pool, or it refuses; something to fill, or 'nothing' (with no accepted application
    -- nothing is missing, so its first refusal is implied)
    and counts.experts > 0 and counts.missing > 0 as ok,
    cycle.year, counts.missing
  from cycle cross join counts
),
${claimCte()},
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
  -- startAssignment's word on the experts passed by for having left (expertsWhoLeft)
  ${expertsWhoLeftSql} as left,
  -- claimed, but a job of the cycle was recorded after the snapshot: fail, so the claim is not kept (a text cast to
  -- int is how a plain statement raises; the subquery keeps the planner from folding it ahead of the case)
  ${failWhenNotWritten('job', RACED)}`;

interface JobOutcome {
  ok: boolean;
  job: JobJson | string | null;
  audited: number;
  left?: ExpertWhoLeft[] | string | null;
  raced: null;
}

/** Whether `err` is the statement's own `RACED` failure: rolled back whole, for the ordinary path to answer. */
function raced(err: unknown): boolean {
  return raisedOnPurpose(err, RACED);
}

/** 分配专家 that starts the job, in one round trip; the job as recorded. Undefined (nothing written) whenever the ordinary path must answer; always so on PGlite. */
export async function fastAssign(database: Database, event: FastAssign): Promise<{ job: BulkJob; left: ExpertWhoLeft[] } | undefined> {
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
  return { job: jobOf(row.job), left: typeof row.left === 'string' ? (JSON.parse(row.left) as ExpertWhoLeft[]) : (row.left ?? []) };
}

/**
 * 重试任务 (`bulk.retry`): a failed job back in the queue at its cursor, in the name of who pressed it, with its audit
 * row: what `retryBulkJob` (src/bulkJobs.ts) does when the job failed and no other job of its kind runs for its
 * cycle. Its other answers (no such job, a job not failed, another job of the kind running) are the ordinary path's.
 *
 * Locks come in the ordinary path's order: the claim's row, then the job's (FOR UPDATE, taken here only once the event
 * is claimed). When another event changed the job after this statement's snapshot (another 重试 queued it), the update
 * changes nothing and the statement fails on purpose (`RACED`); when another job of the kind and cycle was queued
 * meanwhile, the update meets `bulk_jobs_active_uq` and fails. Either way the transaction rolls back whole and the
 * ordinary path answers.
 */
export interface FastRetry {
  eventId: string;
  eventType: string;
  openId: string;
  jobId: number;
  now: Date;
  bootstrapAdmins: readonly string[];
  /** The card 重试 was pressed on. */
  messageId?: string;
}

const retrySql = `
with job as (
  -- retryBulkJob's read of the job, here before its lock (taken below)
  select j.id, j.kind, j.cycle_id, j.status from bulk_jobs j where j.id = $5
),
other as (
  -- activeBulkJob(tx, job.kind, job.cycleId): another job of the kind running for the cycle is shown instead
  select o.id from bulk_jobs o join job j on o.kind = j.kind and o.cycle_id = j.cycle_id where o.status in ('queued', 'running')
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse, src/handlers.ts): the stored role or ADMIN_OPEN_IDS, as actorFrom
    -- (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    -- retryBulkJob: a job not failed is shown as it is
    and job.status = 'failed'
    -- retryBulkJob: a 分配专家 whose year has moved past scoring, or was summed once (a reopened sheet), is refused
    -- (checkAssignable) by the ordinary path
    and (job.kind <> 'assign' or job.cycle_id is null
      or exists (select 1 from cycles c where c.id = job.cycle_id and (c.status = 'open' or (c.status = 'scoring' and not exists (
        select 1 from audit_log l where l.entity = 'cycle' and l.entity_id = c.id::text and l.action = 'cycle.closeScoring'))))
      or not exists (select 1 from cycles c where c.id = job.cycle_id))
    and not exists (select 1 from other) as ok
  from job
),
${claimCte()},
locked as (
  -- retryBulkJob's lock, once the event is claimed: the job as the last commit left it
  select j.id, j.kind, j.status, j.done, j.error, j.created_by from bulk_jobs j where j.id = $5 and exists (select 1 from claim) for update
),
queued as (
  -- retryBulkJob's update: back in the queue, in the name of who pressed it unless the system started it
  update bulk_jobs b set status = 'queued', error = null, claimed_by = null, lease_until = null, finished_at = null,
    created_by = case when l.created_by like 'system:%' then l.created_by else $3 end,
    -- a quiet job's failed card, 重试 pressed on it, follows the job from here
    message_id = case when coalesce((b.params ->> 'quiet')::boolean, false) and b.message_id is null then $7::text else b.message_id end
  from locked l
  where b.id = l.id and l.status = 'failed'
  returning b.*
),
audited as (
  -- retryBulkJob's audit() at the bot's clock: what was done and the error, as the job stood
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $6::timestamptz, $3, 'bulk.' || l.kind || '.retry', 'bulk_job', l.id::text, jsonb_build_object('done', l.done, 'error', l.error)
  from locked l
  where exists (select 1 from queued)
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  (select row_to_json(q) from queued q) as job,
  (select count(*) from audited)::int as audited,
  -- claimed, but the job changed after the snapshot: fail, so the claim is not kept
  ${failWhenNotWritten('queued', RACED)}`;

/** Whether `err` is a unique violation of the jobs' index: another job of the kind and cycle was queued meanwhile. */
function lostTheQueue(err: unknown): boolean {
  return err instanceof postgres.PostgresError && err.code === '23505' && err.table_name === 'bulk_jobs';
}

/** 重试任务 that queues the failed job again, in one round trip; the job as queued. Undefined (nothing written) whenever the ordinary path must answer; always so on PGlite. */
export async function fastRetry(database: Database, event: FastRetry): Promise<{ job: BulkJob } | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params = [event.eventId, event.eventType, event.openId, [...event.bootstrapAdmins], event.jobId, event.now.toISOString(), event.messageId ?? null];
  let outcome: JobOutcome[];
  try {
    [[outcome]] = await pipelined<[JobOutcome[]], []>(client, [(c) => c.unsafe(retrySql, params as never[], { prepare: true }).execute() as never], []);
  } catch (err) {
    if (raced(err) || lostTheQueue(err)) return undefined;
    throw err;
  }
  const row = outcome[0];
  if (!row?.job) return undefined;
  return { job: jobOf(row.job) };
}
