import postgres from 'postgres';
import type { Database, Db } from '../../db/index.js';
import type { BulkJob } from '../bulkJobs.js';
import { type CycleInput, parseCycleInput, rulesOf } from '../cycles.js';
import { todayIn } from '../dates.js';
import { unconfirmedNoteSql, unconfirmedNoteTemplate, unconfirmedNoticesSql } from '../deadlineNotices.js';
import { UserError } from '../errors.js';
import { pipelined, postgresClient, readOn } from '../pipeline.js';
import { leftCompanySql } from '../review/assignment.js';
import { defaultScoreSheet } from '../scoreSheet.js';
import { adminDestinationsSql, claimCte, failWhenNotWritten, raisedOnPurpose } from './sql.js';

/**
 * The administrators' cycle steps in one round trip on PostgreSQL, each BEGIN, one statement, COMMIT (and the answer's
 * reads) in one write. It is raw SQL because one statement must check and write at once, which the query builder
 * cannot say. Each statement claims the event only when every check of the ordinary path passes, and handles the
 * success alone: on anything else it writes nothing, not even the claim, and the ordinary path answers as it always has.
 *
 * 开启年度评审 (`cycle.open`): BEGIN, one statement
 * that decides and writes, COMMIT, and the admin card's reads after the COMMIT, in one write. The statement claims
 * the event only when every check of the ordinary path (`openCycle` in src/cycles.ts, the registry's roles) passes;
 * then it inserts the cycle, its audit row and the notice to every administrators' destination (the card is drawn in
 * TypeScript before the trip: all it shows is what was typed). It handles the success alone: on anything else it
 * writes nothing, not even the claim, and the ordinary path runs and answers as it always has (a refusal, the same
 * year asked again, a delivery seen before). It is raw SQL because one statement must check and write at once,
 * which the query builder cannot say.
 *
 * The ordinary path takes no row lock: the cycle's insert is guarded by the unique year and by
 * `cycles_one_running_uq` (第十九条). Here the same indexes guard it: when another open commits between this
 * statement's snapshot and its insert, the insert fails with a unique violation, the transaction rolls back whole
 * (the claim with it) and the ordinary path answers, as it answers a second click.
 */

export interface FastOpenCycle {
  eventId: string;
  eventType: string;
  openId: string;
  /** What `openCycleInput` read from the form. */
  values: CycleInput;
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
  /** The notice to the administrators, drawn before the trip, and its dedupe key (as `ctx.sendToAdmins` takes them). */
  notice: { dedupeKey: string; card: object };
}

/**
 * The form as `openCycle` reads it (each date in the 评审年度 or the year after), and its one check that needs no row:
 * the application deadline not before today. Undefined when the ordinary path would refuse (it then says which field
 * to fix).
 */
export function openCycleInput(input: unknown, now: Date, timezone: string): CycleInput | undefined {
  let values: CycleInput;
  try {
    values = parseCycleInput(input);
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  // openCycle: 申报截止日期 不能早于今天
  return values.applicationDeadline < todayIn(timezone, now) ? undefined : values;
}

const openSql = `
with running as (
  -- getRunningCycle (src/cycles.ts): openCycle refuses while a cycle runs (第十九条), a second click included
  select c.id from cycles c where c.status in ('open', 'scoring', 'closed') limit 1
),
same_or_later_year as (
  -- getCycleByYear and getLatestCycle: the year, or a later one, had its cycle already (第十九条: 评审每年一次, years
  -- open in order)
  select c.id from cycles c where c.year >= $5
),
titled_year as (
  -- openCycle's yearHasTitles: the year's titles were imported, its review held before the programme (第十九条)
  select h.id from honours h where h.year = $5 limit 1
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse, src/handlers.ts) and openCycle's requireAdmin: the stored role or
    -- ADMIN_OPEN_IDS, as actorFrom (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    and not exists (select 1 from running)
    and not exists (select 1 from same_or_later_year)
    and not exists (select 1 from titled_year) as ok
),
${claimCte()},
opened as (
  -- openCycle's insert, once the event is claimed: status open, the default score sheet, who opened it
  insert into cycles (year, status, application_deadline, scoring_deadline, review_meeting_date, score_sheet, award_threshold,
    experts_per_application, recommend_share, opened_by, settings)
  select $5, 'open', $6::date, $7::date, $8::date, $9::jsonb, $10::numeric, $11::int, $12::numeric, $3, $18::jsonb from claim
  returning id
),
audited as (
  -- audit() (src/audit.ts) at the bot's clock, as openCycle writes it
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $13::timestamptz, $3, 'cycle.open', 'cycle', o.id::text, $14::jsonb from opened o
  returning id
),
admin_to as (${adminDestinationsSql('$4')}),
queued as (
  -- ctx.sendToAdmins (adminOutboxQuery, src/fast/sql.ts): the card to every destination, the actor's own copy
  -- interactive (priority 0), due at the process's time
  insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select $15::text || ':' || s.dest_key, 'send', s.receive_id_type, s.receiver, s.receiver, 'interactive',
    case when s.receive_id_type = 'open_id' and s.receiver = $3 then 0 else 1 end, $16::jsonb, $17::timestamptz
  from admin_to s
  where exists (select 1 from opened)
  on conflict (dedupe_key) do nothing
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  (select id from opened) as cycle_id,
  (select count(*) from audited)::int as audited,
  (select count(*) from queued)::int as queued`;

interface OpenOutcome {
  ok: boolean;
  cycle_id: number | null;
  audited: number;
  queued: number;
}

/** The cycle opened, and what `read` read after the COMMIT (the admin card's rows). */
export interface CycleOpened<R> {
  cycleId: number;
  queued: number;
  read: R;
}

/** Whether `err` is a unique violation of the cycles' indexes: another open won the year or the one running slot. */
function lostTheCycle(err: unknown): boolean {
  return err instanceof postgres.PostgresError && err.code === '23505' && err.table_name === 'cycles';
}

/**
 * 开启年度评审 in one round trip; `read` runs after the COMMIT on the committed state. Undefined (nothing written)
 * whenever the ordinary path must answer; always so on PGlite.
 */
export async function fastOpenCycle<R>(database: Database, event: FastOpenCycle, read: (db: Db) => Promise<R>): Promise<CycleOpened<R> | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const { values } = event;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    values.year,
    values.applicationDeadline,
    values.scoringDeadline,
    values.reviewMeetingDate,
    JSON.stringify(defaultScoreSheet),
    String(values.awardThreshold),
    values.expertsPerApplication,
    String(values.recommendShare),
    event.now.toISOString(),
    // openCycle's audit details
    JSON.stringify({ ...values, scoreSheet: defaultScoreSheet.title }),
    event.notice.dedupeKey,
    JSON.stringify(event.notice.card),
    // due at the process's time, as adminOutboxQuery stamps it
    new Date().toISOString(),
    // openCycle's settings: the rules the form set
    JSON.stringify(rulesOf(values)),
  ];
  let outcome: OpenOutcome[];
  let answer: R;
  try {
    [[outcome], [answer]] = await pipelined<[OpenOutcome[]], [R]>(
      client,
      [(c) => c.unsafe(openSql, params as never[], { prepare: true }).execute() as never],
      [readOn(database, read)],
    );
  } catch (err) {
    // rolled back whole: the ordinary path finds the cycle the other open committed
    if (lostTheCycle(err)) return undefined;
    throw err;
  }
  const row = outcome[0];
  // opened only when the verdict held and the event was new
  if (!row?.cycle_id) return undefined;
  return { cycleId: row.cycle_id, queued: row.queued, read: answer };
}

/**
 * 截止申报 (`cycle.closeApplications`) when it starts the experts' assignment: the cycle open → scoring with its audit
 * row, and the 分配专家 job recorded with its own (what `closeApplicationsNow`, bot/admin/closeApplications.ts, does
 * when `startAssignmentJob` answers 'started'). Its other answers (a job already running, every panel full, no
 * accepted application or no expert, the cycle not open) are the ordinary path's, and so is a close before the
 * deadline that cuts off drafts or returned applications (their leaders are told, `noticeClosedEarly`). The job's card is drawn from the
 * row the insert returns.
 *
 * The cycle's lock is taken first, by a statement of its own, as `closeApplicationsNow` takes it before it counts: the
 * deciding statement's snapshot comes after it, so it reads the cycle and counts the panels as the last holder left
 * them (a 评审设置 save changing the experts per application, another 截止申报). The event's claim comes after the lock
 * (the ordinary path claims first; only the same event on both paths at once could wait on each other, and
 * PostgreSQL would end one). A 分配专家 job started meanwhile makes the job's insert meet `bulk_jobs_active_uq` and
 * add nothing; then, after the claim, the statement fails on purpose (`RACED`): the transaction rolls back whole and
 * the ordinary path answers.
 */
export interface FastCloseApplications {
  eventId: string;
  eventType: string;
  openId: string;
  cycleId: number;
  /** The callback's card (open_message_id): the job's progress is written into it. */
  messageId: string | undefined;
  /** What follows the year in the line the job's card shows above its counts ("年度申报已截止，进入专家评分阶段。"). */
  leadAfterYear: string;
  now: Date;
  /** BOT_TIMEZONE: the day the applications close. */
  timezone: string;
  bootstrapAdmins: readonly string[];
  /** The application deadline the button's card was drawn with: another one now is the ordinary path's refusal. */
  drawnDeadline?: string;
}

/** The text of the error a statement raises when the row changed under it: nothing it did is kept. */
const RACED = 'cycle step: the cycle or its job changed after this event read it';

/** lockCycle (src/cycles.ts): taken before the statement, so what it counts is read after the lock. */
const closeLockSql = `select 1 from cycles where id = $1 for update`;

const closeSql = `
with cycle as (
  -- lockCycle (src/cycles.ts): the row as it stands once the lock (taken just before) was granted
  select c.id, c.year, c.status, c.experts_per_application, c.application_deadline from cycles c where c.id = $5
),
running as (
  -- activeBulkJob(tx, 'assign', cycleId): a job already running is the ordinary path's answer
  select j.id from bulk_jobs j where j.kind = 'assign' and j.cycle_id = $5 and j.status in ('queued', 'running')
),
counts as (
  -- assignmentCounts (src/review/assignment.ts), its first three counts (the experts waiting to be linked only word
  -- the refusal with no active expert, which the ordinary path answers)
  select
    (select count(*)::int from applications a where a.cycle_id = $5 and a.status in ('accepted', 'scoring', 'scored')) as apps,
    (select coalesce(sum(greatest(0, (select c.experts_per_application from cycles c where c.id = $5) - (
       select count(*) from assignments s where s.application_id = a.id and s.status in ('assigned', 'submitted')))), 0)::int
     from applications a where a.cycle_id = $5 and a.status in ('accepted', 'scoring', 'scored')) as missing,
    (select count(*)::int from people p where 'expert' = any(p.roles) and p.expert_active and not ${leftCompanySql('p.open_id')}) as experts
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse), closeApplications' requireAdmin and cycleStates' roles: the stored
    -- role or ADMIN_OPEN_IDS, as actorFrom (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    -- cycleStates.check('closeApplications'): from open alone
    and cycle.status = 'open'
    -- closed before its deadline (today, $9): 第十六条 counted again at today (tooYoungAt, src/cycles.ts), a team in the
    -- review not a year old by it the ordinary path's refusal
    and (cycle.application_deadline < $9::date or not exists (
      select 1 from applications a join teams t on t.id = a.team_id
      where a.cycle_id = $5 and a.status in ('submitted', 'recommended', 'accepted', 'scoring', 'scored')
        and (t.registered_at + interval '1 year')::date::text > $9::text))
    -- closed before its deadline with a draft or a returned application: the ordinary path tells their leaders (noticeClosedEarly)
    -- (the deadline day is before its end: closed during it is closed early too)
    and (cycle.application_deadline < $9::date or not exists (
      select 1 from applications a where a.cycle_id = $5 and a.status in ('draft', 'returned')))
    -- startAssignmentJob: no job running ('running'); tasksToMake: an expert in the pool, or it refuses, and something
    -- to fill ('nothing' otherwise; with no accepted application nothing is missing, so its first refusal is implied)
    and not exists (select 1 from running)
    -- a card drawn before the deadline was changed (修改设置): the ordinary path's refusal (deadlineMovedSince)
    and ($12::text is null or cycle.application_deadline::text = $12::text)
    and counts.experts > 0 and counts.missing > 0 as ok,
    cycle.year, counts.missing
  from cycle cross join counts
),
${claimCte()},
closed as (
  -- transitionCycle's update, once the event is claimed (the cycle is locked already); closed early, the deadline is today
  update cycles set status = 'scoring', updated_at = $6::timestamptz, application_deadline = least(application_deadline, $9::date)
  where id = $5 and status = 'open' and exists (select 1 from claim)
  returning id, year
),
job as (
  -- startBulkJob: the job, its params the year and the card's lead line; a second job of the cycle meets bulk_jobs_active_uq
  insert into bulk_jobs (kind, cycle_id, params, total, created_by, message_id)
  -- the lead names the applications still waiting for their contact (closeApplications' unconfirmed.note)
  select 'assign', $5, jsonb_build_object('year', c.year, 'lead', c.year::text || $7::text || ${unconfirmedNoteSql('$5', '$10::text')}), v.missing, $3, $8::text
  from closed c cross join verdict v
  on conflict do nothing
  returning *
),
audited as (
  -- audit() of transitionCycle, then of startBulkJob, in that order, at the bot's clock
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $6::timestamptz, $3, x.action, x.entity, x.entity_id, x.details
  from (
    select 1 as n, 'cycle.closeApplications' as action, 'cycle' as entity, c.id::text as entity_id,
      jsonb_build_object('from', 'open', 'to', 'scoring') || case when cy.application_deadline > $9::date
        then jsonb_build_object('applicationDeadline', jsonb_build_object('from', cy.application_deadline::text, 'to', $9::text)) else '{}'::jsonb end as details
    from closed c cross join cycle cy
    union all
    select 2, 'bulk.assign.start', 'bulk_job', j.id::text, jsonb_build_object('cycleId', j.cycle_id, 'total', j.total)
    from job j
  ) x
  order by x.n
  returning id
),
told as (
  -- noticeUnconfirmedAtDeadline (src/deadlineNotices.ts): each contact and leader of an application still waiting for
  -- its contact, once the cycle is closed; due at the process's time ($11)
  ${unconfirmedNoticesSql('$5', '$11::timestamptz', 'exists (select 1 from closed)')}
)
select coalesce((select ok from verdict), false) as ok,
  (select row_to_json(j) from job j) as job,
  (select count(*) from audited)::int as audited,
  (select count(*) from told)::int as queued,
  (select count(*)::int from applications a where a.cycle_id = $5 and a.status = 'submitted') as unconfirmed,
  -- claimed, but the cycle or its job changed after the snapshot: fail, so the claim is not kept (a text cast to int
  -- is how a plain statement raises; the subquery keeps the planner from folding it ahead of the case)
  ${failWhenNotWritten('job', RACED)}`;

/** A bulk_jobs row as row_to_json gives it: the columns' names, times as text. */
export type JobJson = Record<string, unknown> & { created_at: string; started_at: string | null; finished_at: string | null; lease_until: string | null; progress_at: string | null };

const at = (v: string | null) => (v === null ? null : new Date(v));

/** The row as Drizzle maps it (`BulkJob`), for `jobCard`; from the statement's json column, as text or parsed. */
export function jobOf(json: JobJson | string): BulkJob {
  const j = typeof json === 'string' ? (JSON.parse(json) as JobJson) : json;
  return {
    id: j.id as number,
    kind: j.kind as string,
    cycleId: j.cycle_id as number | null,
    params: j.params,
    status: j.status as string,
    done: j.done as number,
    total: j.total as number,
    cursor: j.cursor as number,
    result: j.result,
    createdBy: j.created_by as string,
    messageId: j.message_id as string | null,
    claimedBy: j.claimed_by as string | null,
    leaseUntil: at(j.lease_until),
    progressAt: at(j.progress_at),
    attempts: j.attempts as number,
    error: j.error as string | null,
    createdAt: new Date(j.created_at),
    startedAt: at(j.started_at),
    finishedAt: at(j.finished_at),
  };
}

interface CloseOutcome {
  ok: boolean;
  job: JobJson | string | null;
  audited: number;
  raced: null;
}

/** What 截止申报's statement adds: the notices queued and the applications still waiting for their contact. */
interface ClosedOutcome extends CloseOutcome {
  queued: number;
  unconfirmed: number;
}

/** Whether `err` is the statement's own `RACED` failure: rolled back whole, for the ordinary path to answer. */
function raced(err: unknown): boolean {
  return raisedOnPurpose(err, RACED);
}

/**
 * 截止申报 that starts the assignment, in one round trip; the job as recorded, the notices queued and the applications
 * still waiting for their contact. Undefined (nothing written) whenever the ordinary path must answer; always so on PGlite.
 */
export async function fastCloseApplications(database: Database, event: FastCloseApplications): Promise<{ job: BulkJob; queued: number; unconfirmed: number } | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    event.cycleId,
    event.now.toISOString(),
    event.leadAfterYear,
    event.messageId ?? null,
    todayIn(event.timezone, event.now),
    unconfirmedNoteTemplate,
    // due at the process's time, as enqueueQuietly stamps it
    new Date().toISOString(),
    event.drawnDeadline ?? null,
  ];
  let outcome: ClosedOutcome[];
  try {
    // the cycle's lock first, a statement of its own, as closeApplicationsNow takes it before it counts: the statement's
    // snapshot is then taken after it, so the counts are what the last holder (a settings save, say) committed
    [[, outcome]] = await pipelined<[unknown, ClosedOutcome[]], []>(
      client,
      [(c) => c.unsafe(closeLockSql, [event.cycleId], { prepare: true }).execute(), (c) => c.unsafe(closeSql, params as never[], { prepare: true }).execute() as never],
      [],
    );
  } catch (err) {
    if (raced(err)) return undefined;
    throw err;
  }
  const row = outcome[0];
  if (!row?.job) return undefined;
  return { job: jobOf(row.job), queued: row.queued, unconfirmed: row.unconfirmed };
}

/**
 * 公布结果 (`results.publish`): the 公布 job recorded with its audit row, what `startPublishing`
 * (bot/results/publishJob.ts) does when the cycle is closed and no 公布 job runs; its other answers (a job
 * running, the cycle published already or not yet closed) are the ordinary path's. The job's card is drawn from the
 * row the insert returns.
 *
 * A button that names the aggregation its preview showed (`aggregationId`, the latest `cycle.closeScoring` audit row's
 * id then) is the statement's only when it is still the latest; a preview since replaced is the ordinary path's refusal.
 *
 * Locks come in the ordinary path's order: the claim's row, then the cycle's (`lockCycle`, FOR UPDATE, taken here
 * only once the event is claimed). The lock reads the cycle as the last commit left it: when another event changed
 * it after this statement's snapshot (it is no longer closed), or a 公布 job of the cycle was recorded meanwhile
 * (`bulk_jobs_active_uq`), nothing is inserted after the claim and the statement fails on purpose (`RACED`). With an
 * aggregation named, any change of the cycle's row since the snapshot (another version: a reopen and a new 汇总 leave
 * it closed, under a newer aggregation the snapshot does not see) does the same.
 */
export interface FastPublish {
  eventId: string;
  eventType: string;
  openId: string;
  cycleId: number;
  /** The callback's card (open_message_id): the job's progress is written into it. */
  messageId: string | undefined;
  now: Date;
  bootstrapAdmins: readonly string[];
  /** The aggregation the preview showed (its `cycle.closeScoring` audit row's id); none on a button that names none. */
  aggregationId?: number | null;
}

const publishSql = `
with cycle as (
  -- lockCycle (src/cycles.ts), read here before the lock (taken below); xmin: which version of the row was read
  select c.id, c.year, c.status, c.xmin as version from cycles c where c.id = $5
),
running as (
  -- activeBulkJob(tx, 'publish', cycleId): a job already running is the ordinary path's answer
  select j.id from bulk_jobs j where j.kind = 'publish' and j.cycle_id = $5 and j.status in ('queued', 'running')
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse) and startPublishing's requireAdmin: the stored role or ADMIN_OPEN_IDS,
    -- as actorFrom (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    -- startPublishing: published already, or not yet closed, is refused
    and cycle.status = 'closed'
    and not exists (select 1 from running)
    -- startPublishing: the aggregation the button names is the latest (latestAggregation, src/review/results.ts), else refused
    and ($8::bigint is null or $8::bigint = (select max(a.id) from audit_log a
      where a.entity = 'cycle' and a.entity_id = $5::text and a.action = 'cycle.closeScoring')) as ok
  from cycle
),
${claimCte()},
locked as (
  -- lockCycle's lock, once the event is claimed: the cycle as the last commit left it
  select c.id, c.year, c.status, c.xmin as version from cycles c where c.id = $5 and exists (select 1 from claim) for update
),
ranked as (
  -- publishCounts (src/review/results.ts), ranked plus unreviewed: the job's total, the teams it tells
  select count(*)::int as n from applications a
  where a.cycle_id = $5 and (
    (a.status in ('accepted', 'scoring', 'scored', 'decided') and a.final_score is not null and a.rank is not null)
    or a.status in ('submitted', 'returned') or (a.status = 'draft' and a.submitted_at is not null))
),
job as (
  -- startBulkJob: the job, its params the year; a second job of the cycle meets bulk_jobs_active_uq
  insert into bulk_jobs (kind, cycle_id, params, total, created_by, message_id)
  select 'publish', $5, jsonb_build_object('year', l.year), r.n, $3, $6::text
  from locked l cross join ranked r
  -- with an aggregation named, the row the verdict read (a newer version may be of a newer aggregation)
  where l.status = 'closed' and ($8::bigint is null or l.version = (select version from cycle))
  on conflict do nothing
  returning *
),
audited as (
  -- startBulkJob's audit() at the bot's clock
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $7::timestamptz, $3, 'bulk.publish.start', 'bulk_job', j.id::text, jsonb_build_object('cycleId', j.cycle_id, 'total', j.total)
  from job j
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  (select row_to_json(j) from job j) as job,
  (select count(*) from audited)::int as audited,
  -- claimed, but the cycle or its job changed after the snapshot: fail, so the claim is not kept
  ${failWhenNotWritten('job', RACED)}`;

/** 公布结果 in one round trip; the job as recorded. Undefined (nothing written) whenever the ordinary path must answer; always so on PGlite. */
export async function fastPublish(database: Database, event: FastPublish): Promise<{ job: BulkJob } | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params = [event.eventId, event.eventType, event.openId, [...event.bootstrapAdmins], event.cycleId, event.messageId ?? null, event.now.toISOString(), event.aggregationId ?? null];
  let outcome: CloseOutcome[];
  try {
    [[outcome]] = await pipelined<[CloseOutcome[]], []>(client, [(c) => c.unsafe(publishSql, params as never[], { prepare: true }).execute() as never], []);
  } catch (err) {
    if (raced(err)) return undefined;
    throw err;
  }
  const row = outcome[0];
  if (!row?.job) return undefined;
  return { job: jobOf(row.job) };
}
