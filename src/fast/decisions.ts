import type { Database } from '../../db/index.js';
import { COMPLAINT_DECIDED_CARD, type ComplaintTeamRow, DECISION_BUTTON_PATH, escalationDates, complaintOutcomeKey, complaintRedrawnKey, complaintOutcomeSpec, complaintUpheldKey, complaintUpheldSpec, getComplaint, REVOCATION_DECIDED_CARD, REVOCATION_ESCALATION_LIST_REDRAWN, revocationRedrawnKey, titleRevokedKey, titleRevokedSpec } from '../complaints.js';
import { pipelined, postgresClient, readOn } from '../pipeline.js';
import { cycleDefaults } from '../cycles.js';
import { isSharedChat } from '../groups.js';
import { adminDestinationsSql, claimCte, failWhenNotWritten, outboxSpecsSql, raisedOnPurpose, revocationRunNumberSql } from './sql.js';

/**
 * 投诉成立 / 投诉不成立 (`complaint.uphold`, `complaint.dismiss`), 保留称号 (`revocation.keep`) and 撤销称号
 * (`revocation.revoke`) in one round trip on PostgreSQL: BEGIN, the row locks the ordinary path takes (the complaint's,
 * then the team's latest honour; or the team's honours, latest first), one statement that decides and writes, COMMIT (and for a
 * complaint its row read back after the COMMIT), in one write. The statement claims the event only when every check of
 * the ordinary path passes (each named beside it, in src/complaints.ts); then it writes what that path writes. It
 * handles the success alone: on anything else it writes nothing, not even the claim, and the ordinary path runs and
 * answers as it always has. An uphold that completes a run of 第二十二条 (the revocation alert, raised once per run)
 * is left to the ordinary path too, as is a decision whose notice would go to the actor themself (interactive there).
 * It is raw SQL because one statement must check and write at once, which the query builder cannot say.
 *
 * The locks are separate statements before the deciding one, in the same write: each statement of a READ COMMITTED
 * transaction reads as of its own start, so the deciding statement, started once the locks are held, sees every
 * decision that committed while it waited (all of them take the honour's lock), and reads the run as the ordinary
 * path reads it after its locks. Nothing it read can change under it then, so the writes repeat no check of the
 * verdict's; a claim without its write (which nothing should bring) still fails the statement (`RACED`), so nothing is kept.
 */

/** The text of the error a statement raises when its row changed under it: nothing it did is kept. */
const RACED = 'decision: the row changed after this event read it';

/** The stored role or ADMIN_OPEN_IDS (`$4` the actor, `$5` the list), as actorFrom (src/people.ts) makes the actor; requireAdmin and the registry's roles ['admin']. */
const isAdmin = `(exists (select 1 from people p where p.open_id = $4 and 'admin' = any(p.roles)) or $4 = any($5::text[]))`;

/**
 * `revocationRun` (src/complaints.ts) as SQL: settings.revocationRun of the running, else latest, cycle
 * (getRunningOrLatestCycle) as cycleRules reads it (`revocationRunNumberSql`: an integer from 2 to 20, one below 2 as 2,
 * else 2). NULL when the setting is of a form only TypeScript's coercion reads (a string, a boolean, an array): the
 * verdict then leaves the event to the ordinary path.
 */
export const revocationRunSql = `(select case
    when not (s.v ? 'revocationRun') or jsonb_typeof(s.v->'revocationRun') = 'null' then ${cycleDefaults.revocationRun}
    when jsonb_typeof(s.v->'revocationRun') = 'number' then ${revocationRunNumberSql(`s.v->'revocationRun'`)}
  end
  from (select case when jsonb_typeof(c.settings) = 'object' then c.settings else '{}'::jsonb end as v
    from (select 1) one left join lateral (
      select cy.settings from cycles cy order by (cy.status in ('open', 'scoring', 'closed')) desc, cy.year desc limit 1
    ) c on true) s)`;

/**
 * `titleStatus` (src/complaints.ts) as CTEs for the team `team` (an SQL expression): `held`, the titles it holds
 * (heldTitles: its honours later than its latest revoked one); `title`, the oldest of them, with the latest 保留称号
 * decision on any of them; `counted`, its complaints since that title's award in the order they came in, open or
 * decided, no upheld one that 保留称号 (or an earlier one) set aside counting (set_aside_at; a dismissed one still ends a run), each with `grp`, how many before it (itself included) were not
 * upheld, so that one run of upheld complaints shares a `grp`; `runs`, those runs with when each began; `run`, the
 * latest run that reached `required`, else the run the latest decided complaint ends (0 when that was not upheld);
 * `run_titles` (titlesOfRun), the titles held when a run that reached `required` began. `status` and `decidedAt`
 * say each complaint `x`'s status and decision time (the one being decided as it will be).
 */
function titleRunSql(team: string, status = 'x.status', decidedAt = 'x.decided_at'): string {
  return `held as (
  select h.id, h.year, h.awarded_at, h.kept_at from honours h
  where h.team_id = ${team} and h.revoked_at is null
    and not exists (select 1 from honours r where r.team_id = ${team} and r.revoked_at is not null and r.year > h.year)
),
title as (
  select h.id, h.year, h.awarded_at, (select max(kept_at) from held) as kept_at from held h order by h.year limit 1
),
counted as (
  select s.*, sum(case when s.status = 'upheld' then 0 else 1 end) over (order by s.created_at, s.id) as grp,
    row_number() over (order by s.created_at, s.id) as pos
  from (
    select x.id, x.created_at, ${status} as status
    from complaints x cross join title l
    where x.team_id = ${team} and x.created_at >= l.awarded_at
      -- 重复 and 已撤回 (CLOSED_WITHOUT_FINDING) are skipped as if absent: they neither count nor end a run
      and ${status} not in ('duplicate', 'withdrawn')
      -- an upheld one a 保留称号 set aside (set_aside_at, no later than the latest 保留 on a held title) is skipped too
      and (${status} = 'open' or (${decidedAt} is not null and (${status} <> 'upheld' or l.kept_at is null or x.set_aside_at is null or x.set_aside_at > l.kept_at)))
  ) s
),
runs as (
  select grp, count(*)::int as n, max(pos) as last_pos, min(created_at) as started from counted where status = 'upheld' group by grp
),
required as (select ${revocationRunSql} as n),
run as (
  select coalesce(d.n, e.n, 0) as n, case when d.n is not null then d.started when e.n is not null then e.started end as started
  from (select 1) one
  left join lateral (select r.n, r.started from runs r where r.n >= (select n from required) order by r.grp desc limit 1) d on true
  left join lateral (select r.n, r.started from runs r where r.last_pos = (select max(pos) from counted where status <> 'open')) e on true
),
run_titles as (
  select h.id from held h where h.awarded_at <= (select started from run) and (select n from run) >= (select n from required)
)`;
}

/** The raise of a statement whose claim found no row to write: the subquery keeps the planner from folding it ahead of the case. */
const racedSql = (changed: string) => failWhenNotWritten(changed, RACED);

function isRaced(err: unknown): boolean {
  return raisedOnPurpose(err, RACED);
}

interface Who {
  eventId: string;
  eventType: string;
  openId: string;
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
}

// --- 成立 / 不成立 ------------------------------------------------------------------------------------

export interface FastComplaintDecision extends Who {
  complaintId: number;
  decision: 'uphold' | 'dismiss';
  /** The 处理意见 as `readForm(complaintDecisionForm, …)` read it. */
  note: string;
  /** The message of the card clicked: the other copies of the alert are redrawn as decided, not this one. */
  clicked?: string;
  /** The chat the card was clicked in: a group's (isSharedChat) is answered without the complainant's contact. */
  chatId?: string;
  /** BOT_TIMEZONE: the dates of the escalation cards redrawn (escalationDates). */
  timezone: string;
}

/** What the answer card is drawn from: the complaint as committed, with its team, and the title's run after it. */
export interface ComplaintDecisionDone {
  found: NonNullable<Awaited<ReturnType<typeof getComplaint>>>;
  /** Clicked in a group (isSharedChat): the answer card is everyone's there. */
  shared: boolean;
  title?: { honourId: number; year: number; run: number; required: number; heldYears?: number[] };
  queued: number;
}

// decideComplaint's locks, in its order: the complaint's row (getComplaint's lock), then the team's latest honour (lockTitle)
const lockComplaintSql = `select id from complaints where id = $1 for update`;
const lockTitleSql = `select h.id from honours h where h.team_id = (select c.team_id from complaints c where c.id = $1) order by h.year desc limit 1 for update`;

const decideComplaintSql = `
with target as (
  -- getComplaint: the complaint with its team and organisation, joined
  select c.id, c.status, c.reference, c.team_id, c.complainant_open_id, t.leader_open_id, t.contact_open_id
  from complaints c join teams t on t.id = c.team_id join organizations o on o.id = t.organization_id
  where c.id = $3
),
${titleRunSql('(select team_id from target)', `case when x.id = $3 then $6::text else x.status end`, `case when x.id = $3 then $8::timestamptz else x.decided_at end`)},
verdict as (
  select ${isAdmin}
    -- decideComplaint: found; open (AlreadyDone, or 已认定 otherwise); complaintMachine.check's from
    and t.status = 'open'
    -- ctx.send queues the complainant's notice as interactive when they decide their own complaint: left to it
    and (t.complainant_open_id is null or t.complainant_open_id <> $4)
    -- and the team's notice of an uphold when the administrator leads the team or is its contact
    and ($6 <> 'upheld' or (t.leader_open_id <> $4 and t.contact_open_id <> $4))
    -- refuseOwnTeam (第十七条): 不成立 not by the team's leader, contact or a member (the ordinary path refuses them)
    and ($6 <> 'dismissed' or (t.leader_open_id <> $4 and t.contact_open_id <> $4
      and not exists (select 1 from team_members m where m.team_id = t.team_id and m.open_id = $4)))
    -- titleStatus after the decision: no title held, or a run known (revocationRun) that an uphold leaves short of
    -- raiseRevocationAlertIfDue's threshold (an uphold that reaches it is left to the ordinary path)
    and (not exists (select 1 from title)
      or ((select n from required) is not null and ($6 = 'dismissed' or (select n from run) < (select n from required)))) as ok
  from target t
),
${claimCte()},
changed as (
  -- decideComplaint's update, once the event is claimed; the row is locked since the statement began, so the verdict's read of it stands
  update complaints set status = $6, note = $7, decided_by = $4, decided_at = $8::timestamptz
  where id = $3 and exists (select 1 from claim)
  returning id, complainant_open_id
),
audited as (
  -- audit(), at the decision's time as there
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $4, $9, 'complaint', c.id::text, jsonb_build_object('reference', t.reference, 'teamId', t.team_id, 'note', $7::text), $8::timestamptz
  from changed c cross join target t
  returning id
),
told as (
  -- the complainant's notice (decideComplaint), a chat complaint's only; enqueueQuietly skips pending ids
  select 'open_id'::text as receive_id_type, c.complainant_open_id as receiver, 'complainant'::text as dest_key
  from changed c where c.complainant_open_id is not null and not starts_with(c.complainant_open_id, 'pending:')
),
queued as (
  ${outboxSpecsSql('told', '$10::text', '$11::jsonb', 1, '$12::timestamptz')}
),
team_told as (
  -- decideComplaint: an uphold told to the team's leader, then its contact when someone else; enqueueQuietly skips pending ids
  select 'open_id'::text as receive_id_type, r.open_id as receiver, 'user:' || r.open_id as dest_key
  from changed cross join target t cross join lateral (values (1, t.leader_open_id), (2, t.contact_open_id)) r (n, open_id)
  where $6 = 'upheld' and not starts_with(r.open_id, 'pending:') and (r.n = 1 or r.open_id <> t.leader_open_id)
),
team_queued as (
  ${outboxSpecsSql('team_told', '$13::text', '$14::jsonb', 1, '$12::timestamptz')}
),
redrawn as (
  -- redrawAlertCopies: the alert's copies sent to the administrators' destinations, and the escalation cards of the days
  -- still redrawable ($18) that carry this complaint's form ($19), but the one clicked ($15), redrawn as decided
  insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select $16::text || ':' || o.message_id, 'update', 'message_id', o.message_id, o.message_id, 'interactive', 1,
    -- a group's copy is redrawn without the complainant's contact (landsInGroup)
    jsonb_build_object('render', jsonb_build_object('kind', $17::text, 'complaintId', c.id)
      || case when o.receive_id_type = 'chat_id' then '{"group": true}'::jsonb else '{}'::jsonb end), $12::timestamptz
  from changed c join outbox o on o.dedupe_key in (
    select 'complaint:new:' || c.id || ':' || s.dest_key from (${adminDestinationsSql('$5')}) s
    union all select 'complaint:escalate:' || d.day || ':' || s.dest_key from unnest($18::text[]) d (day) cross join (${adminDestinationsSql('$5')}) s)
  where o.message_id is not null and o.message_id is distinct from $15::text
    and (starts_with(o.dedupe_key, 'complaint:new:') or jsonb_path_exists(o.card, $19::jsonpath, jsonb_build_object('id', c.id)))
  order by o.id
  on conflict (dedupe_key) do nothing
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  exists (select 1 from changed) as changed,
  ((select count(*) from queued) + (select count(*) from team_queued) + (select count(*) from redrawn))::int as queued,
  (select count(*) from audited)::int as audited,
  (select id from title) as honour_id,
  (select year from title) as year,
  (select array_agg(year order by year) from held) as held_years,
  (select n from run) as run,
  (select n from required) as required,
  ${racedSql('changed')}`;

type DecisionOutcome = { ok: boolean; changed: boolean; queued: number; honour_id: number | null; year: number | null; held_years: number[] | null; run: number; required: number | null };

/** The decision made and answered from what was committed; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export async function fastDecideComplaint(database: Database, event: FastComplaintDecision): Promise<ComplaintDecisionDone | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params = [
    event.eventId,
    event.eventType,
    event.complaintId,
    event.openId,
    [...event.bootstrapAdmins],
    event.decision === 'uphold' ? 'upheld' : 'dismissed',
    event.note,
    event.now.toISOString(),
    `complaint.${event.decision}`,
    complaintOutcomeKey(event.complaintId),
    JSON.stringify(complaintOutcomeSpec(event.complaintId)),
    // due at the process's time, as enqueueQuietly stamps it
    new Date().toISOString(),
    complaintUpheldKey(event.complaintId),
    JSON.stringify(complaintUpheldSpec(event.complaintId)),
    event.clicked ?? null,
    complaintRedrawnKey(event.complaintId),
    COMPLAINT_DECIDED_CARD,
    escalationDates(event.now, event.timezone),
    DECISION_BUTTON_PATH,
  ];
  let outcome: DecisionOutcome[];
  let found: Awaited<ReturnType<typeof getComplaint>>;
  let shared: boolean;
  try {
    [[, , outcome], [found, shared]] = await pipelined<[unknown, unknown, DecisionOutcome[]], [Awaited<ReturnType<typeof getComplaint>>, boolean]>(
      client,
      [
        (c) => c.unsafe(lockComplaintSql, [event.complaintId], { prepare: true }).execute(),
        (c) => c.unsafe(lockTitleSql, [event.complaintId], { prepare: true }).execute(),
        (c) => c.unsafe(decideComplaintSql, params as never[], { prepare: true }).execute() as never,
      ],
      [readOn(database, (db) => getComplaint(db, event.complaintId)), readOn(database, (db) => (event.chatId ? isSharedChat(db, event.chatId) : Promise.resolve(false)))],
    );
  } catch (err) {
    if (isRaced(err)) return undefined;
    throw err;
  }
  const row = outcome[0];
  if (!row?.changed || !found) return undefined;
  const heldYears = row.held_years && row.held_years.length > 1 ? { heldYears: row.held_years } : {};
  const title = row.honour_id !== null && row.year !== null && row.required !== null ? { honourId: row.honour_id, year: row.year, run: row.run, required: row.required, ...heldYears } : undefined;
  return { found, shared, title, queued: row.queued };
}

// --- 保留称号 / 撤销称号 -------------------------------------------------------------------------------

export interface FastTitleDecision extends Who {
  honourId: number;
  /** The 决定理由 as `readForm(revocationDecisionForm, …)` read it. */
  reason: string;
  /** The message of the card clicked: the other copies of the alert are redrawn as decided, not this one. */
  clicked?: string;
  /** BOT_TIMEZONE: the dates of the escalation cards redrawn (escalationDates), and the day of the last 保留称号. */
  timezone: string;
}

/** What the answer card is drawn from: the team and the title's year; a revocation's certificate and the cycle's settings. */
export interface TitleDecisionDone {
  team: ComplaintTeamRow;
  year: number;
  certificate?: string;
  /** The running (else latest) cycle's settings, for revocationBarDays; undefined without a cycle. */
  settings?: unknown;
  queued: number;
}

// keepTitle's first lock (lockUpheldOfTitle): the team's upheld complaints, in id order, before the title's, as 认定 and
// 更正认定 take a complaint's row before the title's lock (else a 保留 and a 更正认定 at once deadlock)
const lockUpheldSql = `select id from complaints where team_id = (select team_id from honours where id = $1) and status = 'upheld' order by id for update`;

// lockHonour's locks: the team's honours, latest first (its latest is the title's lock, lockTitle), the honour's among them
const lockHonourSql = `select id from honours where team_id = (select team_id from honours where id = $1) order by year desc for update`;

/** lockHonour's read: the honour with its team and organisation. */
const honourSql = `h as (
  select h.id, h.team_id, h.year, h.revoked_at, h.kept_at, t.name, t.code, o.name as organization, t.leader_open_id, t.contact_open_id
  from honours h join teams t on t.id = h.team_id join organizations o on o.id = t.organization_id
  where h.id = $3
)`;

const decided = `(select count(*) from audited)::int as audited,
  (select name from h) as name, (select code from h) as code, (select organization from h) as organization,
  (select team_id from h) as team_id, (select leader_open_id from h) as leader_open_id, (select contact_open_id from h) as contact_open_id,
  (select year from h) as year`;

/**
 * redrawRevocationCopies (src/complaints.ts): the alert's copies sent to the administrators' destinations since the
 * title's last 保留称号 (keyed by an upheld complaint the runs count), and the escalation cards of the days still
 * redrawable ($d, the dates) after that 保留's day (in $z, BOT_TIMEZONE), of the titles the decision takes, sent within
 * the 14 days Feishu takes an update, but the one clicked ($c): redrawn as decided ($k the key, $r the kind, $n due).
 * The escalation job's lists of several titles of those days that list one of them are redrawn as lists
 * (REVOCATION_ESCALATION_LIST_REDRAWN, with the list's titles and day; `group` when it went to a chat).
 */
const redrawnSql = (p: { c: string; k: string; r: string; n: string; d: string; z: string }) => `redrawn as (
  insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select ${p.k}::text || ':' || o.message_id, 'update', 'message_id', o.message_id, o.message_id, 'interactive', 1,
    jsonb_build_object('render', case when ${listSql} then jsonb_build_object('kind', '${REVOCATION_ESCALATION_LIST_REDRAWN}'::text,
        'honourIds', o.card -> 'render' -> 'honourIds', 'day', split_part(o.dedupe_key, ':', 3))
        || case when o.receive_id_type = 'chat_id' then '{"group": true}'::jsonb else '{}'::jsonb end
      else jsonb_build_object('kind', ${p.r}::text, 'honourId', c.id) end), ${p.n}::timestamptz
  from changed c join outbox o on o.dedupe_key in (
    select 'revocation:alert:' || r.id || ':from-' || u.id || ':' || s.dest_key
    from run_titles r cross join (select id from counted where status = 'upheld') u cross join (${adminDestinationsSql('$5')}) s
    union all select 'revocation:escalate:' || d.day || ':' || x.id || ':' || s.dest_key
    from unnest(${p.d}::text[]) d (day) cross join (select id::text from run_titles union all select 'titles') x (id) cross join (${adminDestinationsSql('$5')}) s
    where (select kept_at from title) is null or d.day > to_char((select kept_at from title) at time zone ${p.z}::text, 'YYYY-MM-DD'))
  where o.message_id is not null and o.message_id is distinct from ${p.c}::text and o.sent_at > now() - interval '14 days'
    and (not ${listSql} or exists (select 1 from run_titles r where o.card -> 'render' -> 'honourIds' @> jsonb_build_array(r.id)))
  order by o.id
  on conflict (dedupe_key) do nothing
  returning id
)`;

/** isEscalationList (src/complaints.ts) of the outbox row `o`: the escalation job's list of several titles. */
const listSql = `(starts_with(o.dedupe_key, 'revocation:escalate:') and split_part(o.dedupe_key, ':', 4) = 'titles')`;

const keepSql = `
with ${honourSql},
${titleRunSql('(select team_id from h)')},
verdict as (
  select ${isAdmin}
    -- lockHonour: found with its team, not revoked
    and h.revoked_at is null
    -- keepTitle: a run has reached revocationRun's threshold against this title (run_titles; a run setting SQL does not
    -- read, NULL, leaves it empty, the verdict not ok), the only one it is against (more are left to the ordinary path)
    and exists (select 1 from run_titles where id = h.id) and (select count(*) from run_titles) = 1
    -- refuseOwnTeam (第十七条): not by the team's leader, contact or a member (the ordinary path refuses them)
    and $4 <> h.leader_open_id and $4 <> h.contact_open_id
    and not exists (select 1 from team_members m where m.team_id = h.team_id and m.open_id = $4) as ok
  from h
),
${claimCte()},
changed as (
  update honours set kept_at = $6::timestamptz, kept_reason = $7 where id = $3 and exists (select 1 from claim)
  returning id
),
set_aside as (
  -- keepTitle: the upheld complaints the runs count are set aside by this 保留 (a 更正认定 later does not lift it)
  update complaints set set_aside_at = $6::timestamptz where id in (select id from counted where status = 'upheld') and exists (select 1 from changed)
  returning id
),
audited as (
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $4, 'honour.keep', 'honour', c.id::text, jsonb_build_object('teamId', h.team_id, 'year', h.year, 'reason', $7::text, 'run', (select n from run)), $6::timestamptz
  from changed c cross join h
  returning id
),
${redrawnSql({ c: '$8', k: '$9', r: '$10', n: '$11', d: '$12', z: '$13' })}
select coalesce((select ok from verdict), false) as ok, exists (select 1 from changed) as changed, (select count(*) from redrawn)::int as queued,
  ${decided},
  ${racedSql('changed')}`;

const revokeSql = `
with ${honourSql},
${titleRunSql('(select team_id from h)')},
cycle as (
  -- getRunningOrLatestCycle, for revocationBarDays
  select cy.settings from cycles cy order by (cy.status in ('open', 'scoring', 'closed')) desc, cy.year desc limit 1
),
cert as (select number from certificates where honour_id = $3),
verdict as (
  select ${isAdmin}
    -- lockHonour: found with its team, not revoked
    and h.revoked_at is null
    -- revokeTitle: a run (since any 保留称号) has reached revocationRun's threshold against this title (run_titles), the
    -- only one it is against (a team that held two titles through the run loses both: left to the ordinary path)
    and exists (select 1 from run_titles where id = h.id) and (select count(*) from run_titles) = 1
    -- ctx.send queues the leader's and the contact's notice as interactive when one of them decides: left to it
    and $4 <> h.leader_open_id and $4 <> h.contact_open_id as ok
  from h
),
${claimCte()},
changed as (
  update honours set revoked_at = $6::timestamptz, reason = $7 where id = $3 and exists (select 1 from claim)
  returning id
),
audited as (
  -- audit(); the certificate named only when there is one, as JSON leaves an undefined out
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $4, 'honour.revoke', 'honour', c.id::text,
    jsonb_build_object('teamId', h.team_id, 'year', h.year, 'reason', $7::text)
      || coalesce((select jsonb_build_object('certificate', number) from cert), '{}'::jsonb),
    $6::timestamptz
  from changed c cross join h
  returning id
),
told as (
  -- revokeTitle: the leader, then the contact when someone else; enqueueQuietly skips pending ids
  select 'open_id'::text as receive_id_type, r.open_id as receiver, 'user:' || r.open_id as dest_key, r.n
  from changed cross join h cross join lateral (values (1, h.leader_open_id), (2, h.contact_open_id)) r (n, open_id)
  where not starts_with(r.open_id, 'pending:') and (r.n = 1 or r.open_id <> h.leader_open_id)
),
queued as (
  ${outboxSpecsSql('(select * from told order by n)', '$8::text', '$9::jsonb', 1, '$10::timestamptz')}
),
${redrawnSql({ c: '$11', k: '$12', r: '$13', n: '$10', d: '$14', z: '$15' })}
select coalesce((select ok from verdict), false) as ok, exists (select 1 from changed) as changed, ((select count(*) from queued) + (select count(*) from redrawn))::int as queued,
  ${decided},
  (select number from cert) as certificate,
  (select settings from cycle) as settings,
  exists (select 1 from cycle) as has_cycle,
  ${racedSql('changed')}`;

/** A connection a pipelined statement is issued on. */
type Issued = Parameters<Parameters<typeof pipelined>[1][number]>[0];

type TitleOutcome = {
  ok: boolean;
  changed: boolean;
  queued: number;
  name: string;
  code: string;
  organization: string;
  team_id: number;
  leader_open_id: string;
  contact_open_id: string;
  year: number;
  certificate?: string | null;
  settings?: unknown;
  has_cycle?: boolean;
};

async function decideTitle(database: Database, event: FastTitleDecision, decision: 'keep' | 'revoke'): Promise<TitleDecisionDone | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params: unknown[] = [event.eventId, event.eventType, event.honourId, event.openId, [...event.bootstrapAdmins], event.now.toISOString(), event.reason];
  // due at the process's time, as enqueueQuietly stamps it
  const due = new Date().toISOString();
  if (decision === 'revoke') params.push(titleRevokedKey(event.honourId), JSON.stringify(titleRevokedSpec(event.honourId)), due);
  const redraw = [event.clicked ?? null, revocationRedrawnKey(event.honourId), REVOCATION_DECIDED_CARD];
  const days = [escalationDates(event.now, event.timezone), event.timezone];
  params.push(...(decision === 'revoke' ? [...redraw, ...days] : [...redraw, due, ...days]));
  let outcome: TitleOutcome[];
  try {
    // 保留称号's first lock, the upheld complaints (撤销 writes none: it takes none); both a statement, one round trip
    const locks = (decision === 'keep' ? [lockUpheldSql, lockHonourSql] : [lockHonourSql]).map((text) => (c: Issued) => c.unsafe(text, [event.honourId], { prepare: true }).execute());
    const [written] = await pipelined<unknown[], []>(client, [...locks, (c: Issued) => c.unsafe(decision === 'keep' ? keepSql : revokeSql, params as never[], { prepare: true }).execute()], []);
    outcome = written[locks.length] as TitleOutcome[];
  } catch (err) {
    if (isRaced(err)) return undefined;
    throw err;
  }
  const row = outcome[0];
  if (!row?.changed) return undefined;
  const team: ComplaintTeamRow = { id: row.team_id, name: row.name, code: row.code, organization: row.organization, leaderOpenId: row.leader_open_id, contactOpenId: row.contact_open_id };
  return {
    team,
    year: row.year,
    certificate: row.certificate ?? undefined,
    settings: row.has_cycle ? row.settings : undefined,
    queued: row.queued,
  };
}

/** 保留称号 made in one round trip; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export const fastKeepTitle = (database: Database, event: FastTitleDecision) => decideTitle(database, event, 'keep');

/** 撤销称号 made in one round trip; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export const fastRevokeTitle = (database: Database, event: FastTitleDecision) => decideTitle(database, event, 'revoke');
