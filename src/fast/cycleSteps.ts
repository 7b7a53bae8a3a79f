import postgres from 'postgres';
import type { Database, Db } from '../../db/index.js';
import { type CycleInput, parseCycleInput } from '../cycles.js';
import { todayIn } from '../dates.js';
import { UserError } from '../errors.js';
import { pipelined, postgresClient, readOn } from '../pipeline.js';
import { defaultScoreSheet } from '../scoreSheet.js';
import { adminDestinationsSql } from './sql.js';

/**
 * The administrators' cycle steps in one round trip on PostgreSQL. 开启年度评审 (`cycle.open`): BEGIN, one statement
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
 * The form as `openCycle` reads it, and its one check that needs no row: the application deadline not before today.
 * Undefined when the ordinary path would refuse (it then says which field to fix).
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
same_year as (
  -- getCycleByYear: the year had its cycle already (第十九条: 评审每年一次)
  select c.id from cycles c where c.year = $5
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse, src/handlers.ts) and openCycle's requireAdmin: the stored role or
    -- ADMIN_OPEN_IDS, as actorFrom (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($4::text[]))
    and not exists (select 1 from running)
    and not exists (select 1 from same_year) as ok
),
claim as (
  insert into processed_events (event_id, event_type) select $1, $2 from verdict where ok
  on conflict do nothing
  returning event_id
),
opened as (
  -- openCycle's insert, once the event is claimed: status open, the default score sheet, who opened it
  insert into cycles (year, status, application_deadline, scoring_deadline, review_meeting_date, score_sheet, award_threshold,
    experts_per_application, recommend_share, opened_by)
  select $5, 'open', $6::date, $7::date, $8::date, $9::jsonb, $10::numeric, $11::int, $12::numeric, $3 from claim
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
