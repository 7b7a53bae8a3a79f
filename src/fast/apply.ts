import { and, eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { Database } from '../../db/index.js';
import { applications, cycles, honours, organizations, teams } from '../../db/schema.js';
import { type Application, applicationLabels, applicationSchemaFor, cleanDraft, type Cycle, declarationFailures } from '../applications.js';
import { ENDORSEMENT_REQUEST_CARD } from '../endorsementCards.js';
import { UserError } from '../errors.js';
import { parseForm } from '../forms.js';
import { onConnection, pipelined, postgresClient } from '../pipeline.js';
import type { Team } from '../teams.js';
import { claimCte, outboxSpecsSql } from './sql.js';

/**
 * 申报 保存 and 提交 by the team leader in one round trip on PostgreSQL: BEGIN, the team's row in key-share mode, a
 * lock on the team's application of the open cycle (the row the ordinary path's UPDATE locks), one statement that decides and writes, COMMIT,
 * and the answer card's rows read back in the same write. The statement checks what the ordinary path checks
 * (each check names the function it mirrors) and, only when every one passes, records the event, writes the
 * application, its audit row and (提交) the organisation contact's request, a card drawn when it is sent
 * (src/endorsementCards.ts). Anything else writes nothing, not even the event: the caller answers undefined
 * and the ordinary path runs, with its own refusals, AlreadyDone toasts and duplicate answers. The form is
 * parsed before the trip with the ordinary path's own readers; a form it refuses costs no trip here.
 * It is raw SQL because one statement must check and write at once, which the query builder cannot say.
 */

export interface FastApplyEvent {
  eventId: string;
  eventType: string;
  openId: string;
  teamId: number;
  /** The form's year, as cycleFor reads it: Number(value.year). */
  year: number;
  values: Record<string, unknown>;
  now: Date;
  /** The bot's today (YYYY-MM-DD in BOT_TIMEZONE), as cycleOpenForApplications is given it. */
  today: string;
  /** BOT_TIMEZONE: the default revocation bar ends on the same day and time of the next year there (barEnds). */
  timezone: string;
}

/** What was saved or submitted, read back after the COMMIT, for the answer card; `queued`: the outbox rows added. */
export interface FastApplyResult {
  application: Application;
  team: Team & { organization: string };
  cycle: Pick<Cycle, 'id' | 'year' | 'applicationDeadline' | 'settings'>;
  /** The team's latest title revoked, if any (its bar may still run: the card says from when 提交 is taken). */
  revokedAt: Date | null;
  queued: number;
}

// the team's row first, in key-share mode, as the ordinary path takes it (lockTeamOfApplication): before the year's,
// the order 修改资料 takes them in, so a contact change of the same team is waited for and never deadlocks with this
const lockTeamSql = `select 1 from teams where id = $1 for key share`;

// the lock the ordinary path's UPDATE takes on an existing application, taken first so that the statement after
// it decides on the row as the event before it left it (a new statement sees what committed while it waited)
// it, in the ordinary path's order: the open cycle FOR SHARE (cycleOpenForApplications) before the application
const lockSql = `select 1 from applications
  where team_id = $1 and cycle_id = (select id from cycles where status = 'open' order by year limit 1 for share)
  for update`;

/**
 * The rows both statements decide on. $3 the actor, $4 the team, $5 the form's year, $6 today.
 * `c`: cycleOpenForApplications (src/applications.ts), the open cycle of the earliest year;
 * `t`: getTeam (src/teams.ts), the team joined with its organisation; `a`: findApplication, its application of that cycle.
 */
const rowsSql = `
c as (select id, year, application_deadline, settings from cycles where status = 'open' order by year limit 1 for share),
t as (
  select tm.id, tm.leader_open_id, tm.contact_open_id, tm.registered_at, tm.status
  from teams tm join organizations o on o.id = tm.organization_id where tm.id = $4
),
a as (select ap.id, ap.status from applications ap join c on c.id = ap.cycle_id where ap.team_id = $4)`;

/** The checks 保存 and 提交 share, over `c`, `t` and `a`; each names the function it mirrors. */
const sharedChecks = `
      -- cardDispatch's mayUse (src/handlers.ts): the leader persona, as claimEventSql (src/people.ts) finds it
      exists (select 1 from team_members m where m.open_id = $3 and m.role = 'leader')
      -- cycleOpenForApplications: not past its deadline; cycleFor (bot/applications/apply.ts): the form's year
      and $6::date <= c.application_deadline and c.year = $5
      -- leaderRoles (saveDraft, submitApplication): the team's own leader
      and t.leader_open_id = $3
      -- mayApply's withdrawn (saveDraft, applyRefusal): a team in the register
      and t.status = 'active'
      -- applicationMachine 'save' and 'submit': none yet, a draft or a returned one (submitted already is AlreadyDone)
      and (a.id is null or a.status in ('draft', 'returned'))
      -- E1, eligibilityFailures and requireRegisteredAYear: a year old by the deadline (oneYearAfter: 2月29日 to 2月28日)
      and (t.registered_at + interval '1 year')::date <= c.application_deadline`;

/**
 * How many applications were written (one, or none when nothing was claimed). The event is never recorded without
 * its application: the lock makes that impossible, and were it to happen the failed cast aborts the transaction.
 */
const guardSql = `(select case when exists (select 1 from claim) and count(*) <> 1 then ('recorded the event, wrote ' || count(*) || ' applications')::int
    else count(*)::int end from written)`;

/**
 * 保存草稿 (saveDraft). $7 the draft (cleanDraft), $8 the audit details, $9 now. The insert has no
 * "on conflict": a draft another event created since this statement's snapshot fails the transaction, and the
 * ordinary path runs.
 */
const saveSql = `
with ${rowsSql},
verdict as (
  select coalesce(${sharedChecks}, false) as ok, c.id as cycle_id, a.id as existing_id
  from (select 1) one left join c on true left join t on true left join a on true
),
${claimCte()},
updated as (
  -- applicationMachine 'save' and 'saveReturned': a draft stays a draft, a returned application stays returned
  update applications set form = $7::jsonb, updated_at = $9::timestamptz
  where id = (select existing_id from verdict) and exists (select 1 from claim)
  returning id
),
created as (
  insert into applications (team_id, cycle_id, status, form, created_at, updated_at)
  select $4, v.cycle_id, 'draft', $7::jsonb, $9::timestamptz, $9::timestamptz from verdict v
  where v.existing_id is null and exists (select 1 from claim)
  returning id
),
written as (select id from updated union all select id from created),
audited as (
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, 'application.save', 'application', id::text, $8::jsonb, $9::timestamptz from updated
  union all
  select $3, 'application.create', 'application', id::text, $8::jsonb, $9::timestamptz from created
  returning id
)
select (select ok from verdict) as ok, exists (select 1 from claim) as claimed, ${guardSql} as written, 0 as queued`;

/**
 * revocationBarDays (src/policy.ts) of cycle `c`: its setting when a whole number of days from 0 to 3650, null (one
 * calendar year) when unset or out of range. zod coerces other kinds (a string, a boolean, null); for those the
 * longest bar possible stands in, so the check here is never laxer than the ordinary one. Exported for its test.
 */
export const revocationBarSql = `case
    when jsonb_typeof(c.settings) is distinct from 'object' or not (c.settings ? 'revocationBarDays') then null::int
    when jsonb_typeof(c.settings -> 'revocationBarDays') <> 'number' then 3650
    when (c.settings ->> 'revocationBarDays')::numeric between 0 and 3650
      and (c.settings ->> 'revocationBarDays')::numeric = trunc((c.settings ->> 'revocationBarDays')::numeric)
      then (c.settings ->> 'revocationBarDays')::int
    else null::int end`;

/**
 * barEnds (src/applications.ts) in SQL: the moment the bar of `days` (revocationBarSql) ends for a title revoked at
 * `revokedAt`; by default (null) the same day and time of the next year in the zone `tz` (PostgreSQL's year after
 * 29 February is 28 February, as oneYearAfter's). Exported for its test.
 */
export const barEndsSql = (revokedAt: string, days: string, tz: string) =>
  `case when ${days} is null then ((${revokedAt} at time zone ${tz}) + interval '1 year') at time zone ${tz}
    else ${revokedAt} + make_interval(secs => ${days} * 86400) end`;

/**
 * 提交申报 (submitApplication). $7 the form (parseForm), $8 its declarations, $9 now, $10 the card kind of the
 * request, $11 the request's due time, $12 now in epoch milliseconds (the request's `submitted`: submissionOf), $13 the
 * bot's timezone (barEndsSql). As in
 * saveSql, the insert has no "on conflict". The contact's request is `endorsementRequestMessage`
 * (src/endorsementCards.ts): its key `endorse:request:<application>:<event>` is outboxSpecsSql's key and
 * destination key, the event id standing as the destination's (one contact per submit).
 */
const submitSql = `
with ${rowsSql},
verdict as (
  select coalesce(${sharedChecks}
      -- E5, recentRevocation: no title of the team revoked within the bar before now
      and not exists (
        select 1 from honours h
        where h.team_id = $4 and h.revoked_at is not null and ${barEndsSql('h.revoked_at', 'bar.days', '$13::text')} > $9::timestamptz
      )
      -- activityDates (applicationSchemaFor): the activity ended by the application deadline
      and ($7::jsonb ->> 'endDate')::date <= c.application_deadline
      -- a contact who is the leader gets the request as an answer to what they did (priority 0): the ordinary path queues that one
      and t.contact_open_id <> $3,
    false) as ok, c.id as cycle_id, c.year, a.id as existing_id, t.contact_open_id
  from (select 1) one left join c on true left join t on true left join a on true
    left join lateral (select ${revocationBarSql} as days) bar on true
),
${claimCte()},
updated as (
  update applications set form = $7::jsonb, declarations = $8::jsonb, status = 'submitted', submitted_at = $9::timestamptz, updated_at = $9::timestamptz
  where id = (select existing_id from verdict) and status in ('draft', 'returned') and exists (select 1 from claim)
  returning id
),
created as (
  insert into applications (team_id, cycle_id, status, form, declarations, submitted_at)
  select $4, v.cycle_id, 'submitted', $7::jsonb, $8::jsonb, $9::timestamptz from verdict v
  where v.existing_id is null and exists (select 1 from claim)
  returning id
),
written as (select id from updated union all select id from created),
audited as (
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, 'application.submit', 'application', w.id::text, jsonb_build_object('teamId', $4::int, 'cycle', v.year), $9::timestamptz
  from written w cross join verdict v
  returning id
),
contact_to as (
  -- enqueueQuietly sends nothing to an imported contact not yet linked to Feishu
  select 'open_id'::text as receive_id_type, v.contact_open_id as receiver, $1::text as dest_key, 'endorse:request:' || w.id as key,
    jsonb_build_object('kind', $10::text, 'applicationId', w.id, 'year', v.year, 'form', $7::jsonb, 'submitted', $12::bigint) as spec
  from written w cross join verdict v
  where not starts_with(v.contact_open_id, 'pending:')
),
queued as (${outboxSpecsSql('contact_to', 's.key', 's.spec', 1, '$11::timestamptz')})
select (select ok from verdict) as ok, exists (select 1 from claim) as claimed, ${guardSql} as written,
  (select count(*) from queued)::int as queued`;

interface Outcome {
  ok: boolean;
  claimed: boolean;
  written: number;
  queued: number;
}

type ReadBack = { application: Application; team: Team; organization: string; cycle: FastApplyResult['cycle']; revokedAt: Date | string | null };

/** The answer card's rows, read back after the COMMIT: built once per database (Drizzle builds its SQL and maps its row). */
const readBacks = new WeakMap<Database, { execute(p: { teamId: number; year: number }): Promise<ReadBack[]> }>();

function readBackOf(database: Database) {
  let q = readBacks.get(database);
  if (!q) {
    q = database.db
      .select({
        application: applications,
        team: teams,
        organization: organizations.name,
        cycle: { id: cycles.id, year: cycles.year, applicationDeadline: cycles.applicationDeadline, settings: cycles.settings },
        // the latest revocation (recentRevocation): a bar that ends after now is said on the card (barEndingAfter)
        revokedAt: sql<Date | string | null>`(select max(${honours.revokedAt}) from ${honours} where ${honours.teamId} = ${applications.teamId})`,
      })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .innerJoin(organizations, eq(organizations.id, teams.organizationId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(and(eq(applications.teamId, sql.placeholder('teamId')), eq(cycles.year, sql.placeholder('year'))))
      .prepare('apply_read_back') as never;
    readBacks.set(database, q!);
  }
  return q!;
}

/** 保存草稿 in one round trip; undefined (nothing written) whenever the ordinary path must answer. Undefined on PGlite. */
export async function fastSaveDraft(database: Database, event: FastApplyEvent): Promise<FastApplyResult | undefined> {
  if (!postgresClient(database)) return undefined;
  const draft = cleanDraft(event.values);
  return run(database, event, saveSql, [JSON.stringify(draft), JSON.stringify({ fields: Object.keys(draft) }), event.now.toISOString()]);
}

/** 提交申报 in one round trip; undefined (nothing written) whenever the ordinary path must answer. Undefined on PGlite. */
export async function fastSubmitApplication(database: Database, event: FastApplyEvent): Promise<FastApplyResult | undefined> {
  if (!postgresClient(database)) return undefined;
  let form;
  try {
    // submitApplication's reader (the end by the deadline is the statement's check); the form's own eligibility checks (E2, E3) before any row
    form = parseForm(applicationSchemaFor({ year: event.year, today: event.today }), event.values, applicationLabels);
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  if (declarationFailures(form).length) return undefined;
  const declarations = { accidents: form.accidents, trainingRate: form.trainingRate, examPassRate: form.examPassRate };
  return run(database, event, submitSql, [JSON.stringify(form), JSON.stringify(declarations), event.now.toISOString(), ENDORSEMENT_REQUEST_CARD, new Date().toISOString(), String(event.now.getTime()), event.timezone]);
}

async function run(database: Database, event: FastApplyEvent, statement: string, rest: string[]): Promise<FastApplyResult | undefined> {
  const client = postgresClient(database)!;
  const read = readBackOf(database);
  const params = [event.eventId, event.eventType, event.openId, event.teamId, event.year, event.today, ...rest];
  let outcome: Outcome;
  let rows: ReadBack[];
  try {
    const [[, , result], [readBack]] = await pipelined<[unknown, unknown, Outcome[]], [ReadBack[]]>(
      client,
      [
        (c) => c.unsafe(lockTeamSql, [event.teamId], { prepare: true }).execute(),
        (c) => c.unsafe(lockSql, [event.teamId], { prepare: true }).execute(),
        (c) => c.unsafe(statement, params as never[], { prepare: true }).execute() as never,
      ],
      [(c) => onConnection(read, c).execute({ teamId: event.teamId, year: event.year })],
    );
    [outcome, rows] = [result[0], readBack];
  } catch (err) {
    // another event created the team's application after this statement's snapshot: nothing was kept, the ordinary path answers
    if (err instanceof postgres.PostgresError && err.code === '23505' && err.constraint_name === 'applications_team_cycle_uq') return undefined;
    throw err;
  }
  if (!outcome.claimed) return undefined;
  const row = rows[0];
  if (!row) throw new Error(`application of team ${event.teamId}: written but not read back`);
  // a raw subquery's timestamp comes back as text (Drizzle maps only its columns)
  const revokedAt = row.revokedAt === null ? null : new Date(row.revokedAt);
  return { application: row.application, team: { ...row.team, organization: row.organization }, cycle: row.cycle, revokedAt, queued: outcome.queued };
}
