import type { Database } from '../../db/index.js';
import { alertLockKey, batchWindowMs, COMPLAINT_ALERT_CARD, REPEAT_WINDOW_MS } from '../complaints.js';
import { type Issue, pipelined, postgresClient } from '../pipeline.js';
import { adminDestinationsSql, claimCte, outboxSpecsSql } from './sql.js';

/**
 * 投诉 (complaint.submit, 第二十一条) in one round trip on PostgreSQL, on its success path: the form's lock, then one
 * statement that finds the team, checks the form was not sent before, claims the event, draws the reference number,
 * stores the complaint and its audit row, and queues the administrators' alerts (drawn when they are sent,
 * `complaintAlertRenderer`), sent with BEGIN and COMMIT in one write (`pipelined`). It is raw SQL because one
 * statement must check and write at once, which the query builder cannot say.
 *
 * It handles only the success case. Anything else (no such team or several, the form sent before, the event seen
 * before, an administrator complaining to themselves, whose alert the ordinary path queues as interactive, a complainant
 * who complained in chat in the last two minutes, whose alert the ordinary path may batch) writes
 * nothing at all, not even the claim, and answers undefined: the ordinary path (`submitComplaint` of
 * bot/complaints/intake.ts) then runs and answers exactly as it always did. What was typed is read before the batch
 * is sent, by the ordinary path's own parser (`readComplaintIntake`); the statement gets only valid values.
 *
 * Locks, as the ordinary path takes them: the form's advisory lock (`complaintFromForm`), then the complainant's
 * alerts' (`alertLockKey`), each awaited by a statement of its own so the next one's snapshot sees a complaint the
 * lock waited for; then the year's reference serial
 * (`nextComplaintReference`) and the complaint's row. The event's claim is inserted after the form's lock here
 * (the ordinary path inserts it before): the two meet only on one event delivered twice at once, once by each path,
 * which needs the same form to pass here and fail there, and PostgreSQL's deadlock check would fail one delivery, retried.
 */

export interface FastComplaint {
  eventId: string;
  eventType: string;
  openId: string;
  /** The team picked in chat (the button's value), or what was typed: a code, or a name (`teamSought`). */
  team: { id: number } | { code: string } | { name: string };
  /** The chat form's key; undefined when the button has none. */
  formKey?: string;
  content: string;
  contact?: string;
  /** The reference's year (`complaintYear`). */
  year: number;
  now: Date;
  bootstrapAdmins: readonly string[];
}

export interface FastComplaintResult {
  complaintId: number;
  reference: string;
  team: { name: string; code: string };
  /** Outbox rows the statement added (the administrators' alerts). */
  queued: number;
}

// complaintFromForm's lock, awaited before the statement below reads (its snapshot then sees what the lock waited for)
const formLockSql = `select pg_advisory_xact_lock(hashtextextended('complaint:form:' || $1::text, 0))`;
// then createComplaint's lock of the complainant's alerts (alertLockKey), so the statement sees their complaint just before
const alertLockSql = `select pg_advisory_xact_lock(hashtextextended($1::text, 0))`;

const submitSql = `
with team as (
  -- the one team meant: complaintTeam (picked, by id), else findTeams with partial: true (the code exactly; else
  -- the full name by organization_key; else a name it had: one a certificate was issued under, or one 修改资料 renamed
  -- it from, team.rename's audit row; else names containing it), as resolveComplaintTeam takes only one match
  select t.id, t.name, t.code
  from teams t join organizations o on o.id = t.organization_id
  where case
    when $4::int is not null then t.id = $4::int
    when $5::text is not null then t.code = $5::text
    else organization_key(t.name) = organization_key($6::text)
      or (not exists (select 1 from teams x join organizations xo on xo.id = x.organization_id where organization_key(x.name) = organization_key($6::text))
        and (t.id in (select ce.team_id from certificates ce where organization_key(ce.team_name) = organization_key($6::text))
          or t.id::text in (select ra.entity_id from audit_log ra where ra.action = 'team.rename' and ra.entity = 'team' and organization_key(ra.details ->> 'from') = organization_key($6::text))
          or (position(organization_key($6::text) in organization_key(t.name)) > 0
            -- complaintTeamsNamed: the whole name of an organisation holding the title is it, not part of team names
            and not exists (
              select 1 from organizations ko join teams kt on kt.organization_id = ko.id
              where ko.key = organization_key($6::text)
                and exists (select 1 from honours kh where kh.team_id = kt.id and kh.revoked_at is null
                  and not exists (select 1 from honours kr where kr.team_id = kt.id and kr.revoked_at is not null and kr.year > kh.year)))
            and not exists (select 1 from certificates cx join teams ct on ct.id = cx.team_id where organization_key(cx.team_name) = organization_key($6::text))
            and not exists (
              select 1 from audit_log rx join teams rt on rt.id::text = rx.entity_id
              where rx.action = 'team.rename' and rx.entity = 'team' and organization_key(rx.details ->> 'from') = organization_key($6::text)))))
  end
  limit 2
),
sent_before as (
  -- complaintFromForm: this complainant's complaint from this chat form (a second submit is AlreadyDone there)
  select 1 from audit_log a join complaints c on c.id::text = a.entity_id
  where $7::text is not null and a.action = 'complaint.create' and a.details->>'formKey' = $7::text and c.complainant_open_id = $3
  limit 1
),
admin_to as (${adminDestinationsSql('$12')}),
verdict as (
  select (select count(*) from team) = 1
    and not exists (select 1 from sent_before)
    -- createComplaint's alerts: one to the complainant themselves is interactive on the ordinary path (ctx.send); left to it
    and not exists (select 1 from admin_to d where d.receive_id_type = 'open_id' and d.receiver = $3)
    -- createComplaint's batchAlert: this complainant's complaint just before may start or join a batch; left to it
    and not exists (
      select 1 from complaints x
      where x.channel = 'chat' and x.complainant_open_id = $3 and x.created_at > $11::timestamptz - interval '${batchWindowMs} milliseconds'
    )
    -- createComplaint's chatRepeatOf: the same words about the same team from the same person within the window; left to it
    and not exists (
      select 1 from complaints x
      where x.channel = 'chat' and x.complainant_open_id = $3 and x.team_id = (select id from team limit 1)
        and x.created_at > $11::timestamptz - interval '${REPEAT_WINDOW_MS} milliseconds'
        and organization_key(x.content) = organization_key($8::text)
    ) as ok
),
${claimCte()},
serial as (
  -- nextComplaintReference
  insert into code_sequences (scope, last) select 'complaint:' || $10::int, 1 from claim
  on conflict (scope) do update set last = code_sequences.last + 1
  returning last
),
created as (
  -- createComplaint; the serial padded as String.padStart pads it: to four digits, never cut
  insert into complaints (reference, team_id, content, contact, channel, complainant_open_id, status, created_at)
  select 'TS-' || $10::int || '-' || lpad(s.last::text, greatest(4, length(s.last::text)), '0'), t.id, $8, $9, 'chat', $3, 'open', $11::timestamptz
  from serial s cross join team t
  returning id, reference, team_id
),
audited as (
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, 'complaint.create', 'complaint', c.id::text,
    jsonb_build_object('reference', c.reference, 'teamId', c.team_id, 'channel', 'chat')
      || case when $7::text is null then '{}'::jsonb else jsonb_build_object('formKey', $7::text) end,
    $11::timestamptz
  from created c
  returning id
),
queued as (
  -- complaintAlertMessage to each of adminDestinations, bulk
  ${outboxSpecsSql(
    '(select d.* from admin_to d where exists (select 1 from created))',
    `'complaint:new:' || (select id from created)`,
    `jsonb_build_object('kind', '${COMPLAINT_ALERT_CARD}', 'complaintId', (select id from created))`,
    1,
    '$13::timestamptz',
  )}
)
select c.id, c.reference, t.name, t.code, (select count(*) from queued)::int as queued
from created c join team t on t.id = c.team_id`;

/** Undefined on PGlite, and whenever the statement wrote nothing: the ordinary path runs then. */
export async function fastSubmitComplaint(database: Database, event: FastComplaint): Promise<FastComplaintResult | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const { team } = event;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    'id' in team ? team.id : null,
    'code' in team ? team.code : null,
    'name' in team ? team.name : null,
    event.formKey ?? null,
    event.content,
    event.contact ?? null,
    event.year,
    event.now.toISOString(),
    [...event.bootstrapAdmins],
    // the alerts are due at the process's time, as enqueueQuietly stamps them
    new Date().toISOString(),
  ];
  const submit: Issue<unknown> = (c) => c.unsafe(submitSql, params as never[], { prepare: true }).execute();
  const lockForm: Issue<unknown> = (c) => c.unsafe(formLockSql, [event.formKey!], { prepare: true }).execute();
  const lockAlerts: Issue<unknown> = (c) => c.unsafe(alertLockSql, [alertLockKey({ channel: 'chat', complainantOpenId: event.openId })!], { prepare: true }).execute();
  // no form key, no form lock (complaintFromForm is not asked then either)
  const [results] = await pipelined<unknown[], []>(client, event.formKey === undefined ? [lockAlerts, submit] : [lockForm, lockAlerts, submit], []);
  const rows = results.at(-1) as { id: number; reference: string; name: string; code: string; queued: number }[];
  const row = rows[0];
  if (!row) return undefined;
  return { complaintId: row.id, reference: row.reference, team: { name: row.name, code: row.code }, queued: row.queued };
}
