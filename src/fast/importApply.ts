import type { Database } from '../../db/index.js';
import type { BulkJob } from '../bulkJobs.js';
import { dataVersionSql } from '../import/dataVersion.js';
import { pipelined, postgresClient } from '../pipeline.js';
import { type JobJson, jobOf } from './cycleSteps.js';
import { claimCte, failWhenNotWritten, raisedOnPurpose } from './sql.js';

/**
 * 确认导入 (`import.apply`) in one round trip on PostgreSQL: BEGIN, one statement, COMMIT in one write. It is raw SQL
 * because one statement must check and write at once, which the query builder cannot say. The statement does what
 * `startImport` (src/import/applyJob.ts) does when it answers 'started': the import set `applying`, the `import` job
 * recorded (its batches do the writing, as before, with a changed contact's hand-over of the applications awaiting
 * confirmation, as applyPlan queues it), the codes the preview keeps reserved and its `bulk.import.start` audit row.
 * It claims the event only when every check of the ordinary path passes and handles that success alone; anything else
 * writes nothing, not even the claim, and the ordinary path answers as it always has:
 * - not an administrator, no such import;
 * - an import applied already (已经导入过) or being applied (its job's card);
 * - an import `applying` with no job found (the ordinary path starts one; too rare to be worth a second statement);
 * - a preview with nothing to add or update (applied at once by `applyImport`, which plans in TypeScript);
 * - a preview planned against other data than today's (another import applied since, a team's details or members
 *   changed, someone linked, another day; src/import/dataVersion.ts), or recorded without its version: the ordinary
 *   path plans it again and answers with the new preview when the plan differs; a card clicked that is older than the
 *   stored preview too;
 * - a delivery seen before.
 *
 * Locks come in the ordinary path's order: the claim's row, then the import's (FOR UPDATE, taken here only once the
 * event is claimed). An import job belongs to no cycle, so `bulk_jobs_active_uq` does not guard it: the import's
 * status read again under its lock is the only guard against two confirmations. When another event changed the import
 * after this statement's snapshot (another 确认导入 set it `applying`), the lock returns it as that commit left it, the
 * update changes nothing and the statement fails on purpose (`RACED`): the transaction rolls back whole and the
 * ordinary path answers (it finds the other's job and shows it).
 */
export interface FastImportApply {
  eventId: string;
  eventType: string;
  openId: string;
  importId: number;
  /** The callback's card (open_message_id): the job's progress is written into it. */
  messageId: string | undefined;
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
  /** The bot's day (BOT_TIMEZONE): the data's version counts it, as the plan does. */
  today: string;
  /** The version of the data the clicked card's preview was planned against, when the card carries one. */
  version?: string;
}

/** The text of the error the statement raises when the import changed under it: nothing it did is kept. */
const RACED = 'import apply: the import changed after this event read it';

/**
 * What `startImport` counts as the job's total: `summary.add.length + summary.update.length` of the preview. Null
 * (so no verdict) when either is not an array, where the TypeScript would fail or count nonsense.
 */
const total = (row: string) =>
  `(case when jsonb_typeof(${row}.summary -> 'add') = 'array' and jsonb_typeof(${row}.summary -> 'update') = 'array'
     then jsonb_array_length(${row}.summary -> 'add') + jsonb_array_length(${row}.summary -> 'update') end)`;

const applySql = `
with imp as (
  -- startImport's read of the import, here before its lock (taken below)
  select i.id, i.status, i.summary, i.data_version from imports i where i.id = $5
),
version as (
  -- startImport's version of the data the preview would be planned against today
  select ${dataVersionSql('$8::text')} as now
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse, src/handlers.ts) and startImport's requireAdmin: the stored role or
    -- ADMIN_OPEN_IDS, as actorFrom (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    -- startImport: 'applied' is shown as done, 'applying' shows its job (or, with none, is left to the ordinary path)
    and imp.status = 'planned'
    -- startImport: nothing to add or update is applied at once (applyImport), not as a job
    and ${total('imp')} > 0
    -- startImport: the data as the preview was planned against (another version is planned again there, in TypeScript)
    and imp.data_version = (select now from version)
    -- startImport: a card older than the stored preview (planned again since) is shown the stored one
    and ($9::text is null or $9::text = imp.data_version) as ok
  from imp
),
${claimCte()},
locked as (
  -- startImport's lock, once the event is claimed: the import as the last commit left it
  select i.id, i.status, i.file_name, i.summary, i.data_version from imports i where i.id = $5 and exists (select 1 from claim) for update
),
applying as (
  -- startImport's update: still planned under the lock, or another confirmation came first; and still the preview the
  -- verdict compared (a confirmation that found the data changed stores the preview planned again, with its version)
  update imports i set status = 'applying'
  from locked l
  where i.id = l.id and l.status = 'planned' and l.data_version is not distinct from (select data_version from imp)
  returning i.id
),
reserved as (
  -- startImport's reserveTeamCodes (src/import/apply.ts): each year's serial moved past the codes the preview keeps
  insert into code_sequences (scope, last)
  select 'team:' || (m[1])::int, max((m[2])::int)
  from locked l
    cross join lateral jsonb_array_elements(case when jsonb_typeof(l.summary -> 'add') = 'array' then l.summary -> 'add' else '[]'::jsonb end) a
    cross join lateral regexp_match(a ->> 'code', '^GDSZ-([0-9]{4})-([0-9]+)$') m
  where m is not null and exists (select 1 from applying)
  group by m[1]
  on conflict (scope) do update set last = greatest(code_sequences.last, excluded.last)
  returning scope
),
job as (
  -- startBulkJob (src/bulkJobs.ts): the job for no cycle, its params the import and the card's heading, its total the
  -- preview's rows to add or update, counted under the lock
  insert into bulk_jobs (kind, cycle_id, params, total, created_by, message_id)
  select 'import', null, jsonb_build_object('importId', l.id, 'heading', '文件：' || l.file_name), ${total('l')}, $3, $6::text
  from locked l
  where exists (select 1 from applying)
  returning *
),
audited as (
  -- startBulkJob's audit() at the bot's clock
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $7::timestamptz, $3, 'bulk.import.start', 'bulk_job', j.id::text, jsonb_build_object('cycleId', j.cycle_id, 'total', j.total)
  from job j
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  (select row_to_json(j) from job j) as job,
  (select count(*) from audited)::int as audited,
  -- claimed, but the import was no longer planned under its lock: fail, so the claim is not kept
  ${failWhenNotWritten('job', RACED)}`;

interface Outcome {
  ok: boolean;
  job: JobJson | string | null;
  audited: number;
  raced: null;
}

/** 确认导入 that starts the import's job, in one round trip; the job as recorded. Undefined (nothing written) whenever the ordinary path must answer; always so on PGlite. */
export async function fastImportApply(database: Database, event: FastImportApply): Promise<{ job: BulkJob } | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params = [event.eventId, event.eventType, event.openId, [...event.bootstrapAdmins], event.importId, event.messageId ?? null, event.now.toISOString(), event.today, event.version ?? null];
  let outcome: Outcome[];
  try {
    [[outcome]] = await pipelined<[Outcome[]], []>(client, [(c) => c.unsafe(applySql, params as never[], { prepare: true }).execute() as never], []);
  } catch (err) {
    // rolled back whole: the ordinary path finds the import as the other event left it
    if (raisedOnPurpose(err, RACED)) return undefined;
    throw err;
  }
  const row = outcome[0];
  if (!row?.job) return undefined;
  return { job: jobOf(row.job) };
}
