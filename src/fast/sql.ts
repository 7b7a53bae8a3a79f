import { type SQL, sql } from 'drizzle-orm';
import { cycleDefaults, revocationRunLimits } from '../cycles.js';
import { aggregationRuleLimits, defaultAggregationRule } from '../review/aggregation.js';

/**
 * Pieces of the one-statement card actions (see README, "One round trip"): what the ordinary path computes in
 * TypeScript between two round trips, said in SQL so that one data-modifying statement can check and write at once.
 * Each piece mirrors one TypeScript function, named beside it, and a test compares the two on the same rows.
 */

/**
 * The administrators' destinations as rows (receive_id_type, receiver, dest_key): what `adminDestinations`
 * (src/notifications.ts) answers, and `destinationKey` of each. `bootstrap` is the placeholder of a text[] of
 * ADMIN_OPEN_IDS. Use it as a CTE body: `admin_to as (${adminDestinationsSql('$7')})`.
 */
export function adminDestinationsSql(bootstrap: string): string {
  return `select 'chat_id'::text as receive_id_type, b.chat_id as receiver, 'chat:' || b.chat_id as dest_key
    from chat_bindings b where b.purpose = 'admin'
  union all
  select 'open_id'::text, ids.open_id, 'user:' || ids.open_id
    from (select unnest(${bootstrap}::text[]) as open_id union select p.open_id from people p where 'admin' = any(p.roles)) ids
    -- an imported person not yet linked to Feishu has no open_id to send to (enqueueQuietly skips them too)
    where not exists (select 1 from chat_bindings b where b.purpose = 'admin') and not starts_with(ids.open_id, 'pending:')`;
}

/**
 * An outbox insert of cards drawn at send time, one per row of `source` (which has receive_id_type, receiver and
 * dest_key columns): what `enqueueQuietly` writes for `{ dedupeKey: key + ':' + dest_key, to, render: spec }`.
 * `key` and `spec` are SQL expressions (a placeholder, or a column of `source`); priority 1 is bulk, 0 interactive.
 * `dueAt`: an SQL timestamptz, the process's time as `enqueueQuietly` stamps it (`new Date()`), since the dispatcher
 * claims by the process's clock; the database's now() when left out, which is right only when both clocks agree.
 */
export function outboxSpecsSql(source: string, key: string, spec: string, priority: 0 | 1 = 1, dueAt = 'now()'): string {
  return `insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select ${key} || ':' || s.dest_key, 'send', s.receive_id_type, s.receiver, s.receiver, 'interactive', ${priority}, jsonb_build_object('render', ${spec}), ${dueAt}
  from ${source} s
  on conflict (dedupe_key) do nothing
  returning id`;
}

/** `adminDestinationsSql` as a Drizzle fragment: the bootstrap ids go as one text parameter, joined by commas (an open_id has none). */
export function adminDestinationsQuery(bootstrapAdmins: readonly string[]): SQL {
  const [head, tail] = adminDestinationsSql('\u0001').split('\u0001');
  return sql`${sql.raw(head)}string_to_array(${bootstrapAdmins.join(',')}::text, ',')${sql.raw(tail)}`;
}

/**
 * `card` queued to every administrators' destination in one INSERT that returns nothing (on the pipelined path it
 * waits for no answer): what `for (const to of await adminDestinations(…)) send({ dedupeKey: key + ':' +
 * destinationKey(to), to, card })` queues, without the read's round trip. `interactiveFor`'s own copy in p2p
 * answers what they just did (priority 0), as `ctx.send` makes it.
 */
export function adminOutboxQuery(message: { dedupeKey: string; card: object }, bootstrapAdmins: readonly string[], interactiveFor?: string): SQL {
  // due at the process's time, as enqueueQuietly stamps it: the dispatcher claims by the process's clock
  return sql`insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select ${message.dedupeKey}::text || ':' || s.dest_key, 'send', s.receive_id_type, s.receiver, s.receiver, 'interactive',
    case when s.receive_id_type = 'open_id' and s.receiver = ${interactiveFor ?? ''}::text then 0 else 1 end, ${JSON.stringify(message.card)}::jsonb,
    ${new Date().toISOString()}::timestamptz
  from (${adminDestinationsQuery(bootstrapAdmins)}) s
  on conflict (dedupe_key) do nothing`;
}

/**
 * The event's claim, the CTE `claim` of a one-statement action (what `claimEventAndLoadActor`, src/people.ts,
 * records on the ordinary path): the event is recorded in processed_events only when the verdict holds, i.e. for
 * the row of `from` on which `when` is true, so an event the statement does not take leaves no trace and the
 * ordinary path answers it. `on conflict do nothing`: a redelivered event (its id recorded before) claims nothing,
 * `claim` is empty, and every write of the statement, each guarded by `exists (select 1 from claim)`, writes nothing.
 * `eventId` and `eventType` are SQL expressions, `$1` and `$2` unless given (some statements give them cast to text).
 * `from: null` is the claim of an action anyone may take: no verdict, the event recorded as it is. The CTE is named
 * `claim` because `failOnPurpose` and `failWhenNotWritten` read it.
 */
export function claimCte({ from = 'verdict', when = 'ok', eventId = '$1', eventType = '$2' }: { from?: string | null; when?: string; eventId?: string; eventType?: string } = {}): string {
  const source = from === null ? `values (${eventId}, ${eventType})` : `select ${eventId}, ${eventType} from ${from} where ${when}`;
  return `claim as (
  insert into processed_events (event_id, event_type) ${source}
  on conflict do nothing
  returning event_id
)`;
}

/**
 * The last column of a one-statement action: it fails the whole statement on purpose when `when` holds, typically
 * "the event was claimed but the row to write was no longer as read" (another event changed it between the statement's
 * snapshot and its lock), so the claim is not kept and the ordinary path answers. A text cast to int is how a plain
 * statement raises; the subquery on `claim` keeps the planner from folding it ahead of the case. `what` names the
 * action in the error, which `raisedOnPurpose` recognises.
 */
export function failOnPurpose(when: string, what: string): string {
  return `case when ${when} then (select '${what} (' || event_id || ')' from claim)::int end as raced`;
}

/** `failOnPurpose`'s claimed-but-not-written case: the claim is in and `written` (a CTE) has no row. */
export function failWhenNotWritten(written: string, what: string): string {
  return failOnPurpose(`exists (select 1 from claim) and not exists (select 1 from ${written})`, what);
}

/** Whether `err` is the failure `failOnPurpose(…, what)` raised: everything was rolled back, the ordinary path runs. */
export function raisedOnPurpose(err: unknown, what: string): boolean {
  return (err as { code?: string }).code === '22P02' && String((err as Error).message).includes(what);
}

/**
 * A jsonb number `v` within [min, max] and a multiple of 1/`whole`: `aggregationRuleOf`'s storedNumber, on the double
 * JSON.parse reads (numeric to float8 rounds as it does), once the numeric is near enough for the cast not to overflow.
 */
const storedNumberSql = (v: string, min: number, max: number, whole: number) => {
  const d = `(${v})::numeric::float8`;
  // nested cases: each cast only on what it takes
  return `(case when jsonb_typeof(${v}) = 'number' then case when (${v})::numeric between ${min - 1} and ${max + 1}
    then ${d} between ${min} and ${max} and ${d} * ${whole} = floor(${d} * ${whole}) else false end else false end)`;
};

/**
 * `cycleRules`' revocationRun (src/cycles.ts) of `v`, an SQL jsonb expression of type number: a whole number from 2 to
 * 20 as it is, one below 2 (1, which the form once took) as 2, anything else the default; an int. The caller says
 * what a missing value, or one of another type, reads as.
 */
export function revocationRunNumberSql(v: string): string {
  const { min, max } = revocationRunLimits;
  const n = `(${v})::numeric`;
  return `(case when ${n} <> trunc(${n}) then ${cycleDefaults.revocationRun} when ${n} < ${min} then ${min}
    when ${n} <= ${max} then ${n}::int else ${cycleDefaults.revocationRun} end)`;
}

/**
 * `aggregationRuleOf` (src/review/aggregation.ts) of a cycle's `settings` (an SQL jsonb expression, `c.settings`):
 * `field` as an int (dropExtremesFrom) or a float8 (outlierDistance), the default when missing or not what the
 * settings form takes.
 */
export function aggregationRuleSql(settings: string, field: 'dropExtremesFrom' | 'outlierDistance'): string {
  const { min, max } = aggregationRuleLimits[field];
  const v = `(case when jsonb_typeof(${settings}) = 'object' then ${settings} -> '${field}' end)`;
  return field === 'dropExtremesFrom'
    ? `(case when ${storedNumberSql(v, min, max, 1)} then (${v})::numeric::float8::int else ${defaultAggregationRule.dropExtremesFrom} end)`
    : `(case when ${storedNumberSql(v, min, max, 2)} then (${v})::numeric::float8 else ${defaultAggregationRule.outlierDistance}::float8 end)`;
}
