import type { Database } from '../../db/index.js';
import { awaitingFormalCheckPage, type FormalCheckPage } from '../applications.js';
import { formalCheckPageSize } from '../../cards/applications.js';
import { barEndsSql, revocationBarSql } from './apply.js';
import { decidedStatus, type FormalCheckDecision, formalCheckNoticeKey, formalCheckNoticeSpec } from '../formalCheckNotices.js';
import { pipelined, postgresClient, readOn } from '../pipeline.js';
import { claimCte, failWhenNotWritten, outboxSpecsSql, raisedOnPurpose } from './sql.js';

/**
 * 形式审查 受理 / 退回 (`check.accept`, `check.return`) in one round trip on PostgreSQL: BEGIN, one statement that
 * decides and writes, COMMIT, and the list for the answer card read back after the COMMIT, in one write. The
 * statement claims the event only when every check of the ordinary path (`formalCheck` in src/applications.ts,
 * the registry's roles, `checkListCard` in bot/applications/formalCheck.ts) passes; then it changes the
 * application, writes its audit row and queues the notices to the leader and the contact as cards drawn at send
 * time (src/formalCheckNotices.ts). It handles the success alone: on anything else it writes nothing, not even the
 * claim, and the ordinary path runs and answers as it always has (a refusal, 已于…受理, a delivery seen before).
 * It is raw SQL because one statement must check and write at once, which the query builder cannot say.
 *
 * Locks come in the ordinary path's order: the claim's row, then the application's (taken by its update). The
 * checks read the application before its lock: when another event changes it in between (another administrator's
 * click committed first), the update finds it no longer `recommended` and writes nothing after the claim; the
 * statement then fails on purpose (`RACED`), so the transaction rolls back whole and the ordinary path answers.
 */

export interface FastFormalCheck {
  eventId: string;
  eventType: string;
  openId: string;
  applicationId: number;
  decision: FormalCheckDecision;
  /** The 退回原因 as `readReturnReason` read it (a return only). */
  reason: string | undefined;
  /** The submission the clicked list showed (`submitted`, epoch ms), when its button carries it. */
  submitted?: number;
  /** The page of the list the decision was made on: the answer shows that page (the last one when it is past the end now). */
  page?: number;
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
  /** BOT_TIMEZONE: the default revocation bar ends on the same day and time of the next year there (barEnds). */
  timezone: string;
  /** The bot's today: a return is made here only while the team can still submit again (resubmittable). */
  today: string;
}

/** What the answer card is drawn from: the running cycle's year and the list's page as committed, and the team decided on. */
export interface FormalCheckDone {
  year: number;
  teamName: string;
  awaiting: FormalCheckPage;
  /** Outbox rows the statement added. */
  queued: number;
  /** The application's year was already being scored (applications closed): one accepted now waits for 分配专家. */
  scoring: boolean;
}

/** The text of the error a statement raises when the application changed under it: nothing it did is kept. */
const RACED = 'formal check: the application changed after this event read it';

const decideSql = `
with app as (
  -- getApplication (src/applications.ts): the application with its team, cycle and organisation, all joined
  select a.id, a.status, a.team_id, c.settings, t.name as team_name, t.leader_open_id, t.contact_open_id, c.id as cycle_id, c.status as cycle_status, c.application_deadline,
    -- submissionOf: submitted_at in epoch milliseconds, as a JavaScript Date holds it
    floor(extract(epoch from a.submitted_at) * 1000)::bigint as submitted
  from applications a
    join teams t on t.id = a.team_id
    join cycles c on c.id = a.cycle_id
    join organizations o on o.id = t.organization_id
  where a.id = $3
),
running as (
  -- getRunningCycle (src/cycles.ts): checkListCard refuses the whole event without a running cycle
  select c.year from cycles c where c.status in ('open', 'scoring', 'closed') limit 1
),
verdict as (
  select
    -- the registry's roles ['admin'] (mayUse, src/handlers.ts) and applicationMachine.check's: the stored role or
    -- ADMIN_OPEN_IDS, as actorFrom (src/people.ts) makes the actor
    (exists (select 1 from people p where p.open_id = $4 and 'admin' = any(p.roles)) or $4 = any($5::text[]))
    -- formalCheck: never on the administrator's own team, as its leader, a member or its contact (第十七条)
    and $4 <> app.leader_open_id and $4 <> app.contact_open_id
    and not exists (select 1 from team_members m where m.team_id = app.team_id and m.open_id = $4)
    -- formalCheck: found; 受理 of a 'submitted' one refused (第十五条); madeAlready; applicationMachine.check's from
    and app.status = 'recommended'
    -- formalCheck: reviewStillTakes (the year's applications open, or its experts scoring)
    and app.cycle_status in ('open', 'scoring')
    -- formalCheck: reviewStillTakes' aggregatedBefore for 受理 (scores summed once, a sheet reopened since: 第十七条)
    and ($9 <> 'application.accept' or app.cycle_status = 'open' or not exists (
      select 1 from audit_log l where l.entity = 'cycle' and l.entity_id = app.cycle_id::text and l.action = 'cycle.closeScoring'))
    -- formalCheck: a return the team can still submit again (resubmittable); a later one asks to confirm (LateReturn)
    -- and, confirmed, is the ordinary path's too
    and ($9 <> 'application.returnByAssociation' or (app.cycle_status = 'open' and app.application_deadline >= $17::date))
    -- formalCheck: requireSeenSubmission (the list shows the submission on record, or does not say which)
    and ($14::bigint is null or app.submitted is not distinct from $14::bigint)
    and exists (select 1 from running)
    -- formalCheck: E5 at 受理, as recentRevocation at submission: no title of the team whose bar still holds now
    and ($9 <> 'application.accept' or not exists (
      select 1 from honours h
      where h.team_id = app.team_id and h.revoked_at is not null and ${barEndsSql('h.revoked_at', 'bar.days', '$15::text')} > $7::timestamptz
    )) as ok
  from app cross join lateral (select ${revocationBarSql} as days from (select app.settings) c) bar
),
${claimCte()},
changed as (
  -- formalCheck's update, once the event is claimed: the application's lock comes after the claim's
  update applications set status = $6, updated_at = $7::timestamptz,
    endorsement = case when $8::text is null then endorsement else coalesce(endorsement, '{}'::jsonb) || jsonb_build_object('returnReason', $8::text) end
  where id = $3 and status = 'recommended' and exists (select 1 from claim)
  returning id, form
),
audited as (
  -- audit() (src/audit.ts), its time the column's default as there; run though nothing reads it, as every writing CTE is;
  -- a return keeps the form as it was returned, as formalCheck's does
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $4, $9, 'application', c.id::text, $10::jsonb || case when $8::text is null then '{}'::jsonb else jsonb_build_object('form', c.form) end, $7::timestamptz from changed c
  returning id
),
told as (
  -- formalCheckNotices (src/formalCheckNotices.ts): the leader, then the contact when someone else; enqueueQuietly skips pending ids
  select 'open_id'::text as receive_id_type, r.open_id as receiver, r.open_id as dest_key, r.n
  from changed cross join app cross join lateral (values (1, app.leader_open_id), (2, app.contact_open_id)) r (n, open_id)
  where not starts_with(r.open_id, 'pending:') and (r.n = 1 or r.open_id <> app.leader_open_id)
),
queued as (
  ${outboxSpecsSql('(select * from told order by n)', '$11::text', 'case when s.n = 1 then $12::jsonb else $16::jsonb end', 1, '$13::timestamptz')}
)
select coalesce((select ok from verdict), false) as ok,
  exists (select 1 from changed) as changed,
  (select count(*) from queued)::int as queued,
  (select team_name from app) as team_name,
  (select cycle_status from app) = 'scoring' as scoring,
  (select year from running) as year,
  -- claimed, but the update found the application changed by another event: fail, so the claim is not kept (a text
  -- cast to int is how a plain statement raises; the subquery keeps the planner from folding it ahead of the case)
  ${failWhenNotWritten('changed', RACED)}`;

type Outcome = { ok: boolean; changed: boolean; queued: number; team_name: string; scoring: boolean; year: number; raced: null };

/** The decision made and answered from what was committed; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export async function fastFormalCheck(database: Database, event: FastFormalCheck): Promise<FormalCheckDone | undefined> {
  const client = postgresClient(database);
  // a return names its reason (readReturnReason): without one the ordinary path refuses
  if (!client || (event.decision === 'return' && !event.reason)) return undefined;
  const transition = event.decision === 'accept' ? 'accept' : 'returnByAssociation';
  const params = [
    event.eventId,
    event.eventType,
    event.applicationId,
    event.openId,
    [...event.bootstrapAdmins],
    decidedStatus(event.decision),
    event.now.toISOString(),
    event.decision === 'return' ? (event.reason ?? null) : null,
    `application.${transition}`,
    JSON.stringify(event.decision === 'return' && event.reason ? { reason: event.reason } : {}),
    formalCheckNoticeKey(event.decision, event.applicationId, event.eventId),
    JSON.stringify(formalCheckNoticeSpec(event.applicationId, event.decision, event.decision === 'return' ? event.reason : undefined)),
    // due at the process's time, as enqueueQuietly stamps it
    new Date().toISOString(),
    event.submitted ?? null,
    event.timezone,
    // the contact's copy (formalCheckNotices)
    JSON.stringify(formalCheckNoticeSpec(event.applicationId, event.decision, event.decision === 'return' ? event.reason : undefined, 'contact')),
    event.today,
  ];
  let outcome: Outcome[];
  let awaiting: FormalCheckDone['awaiting'];
  try {
    // the page's count and rows are read together after the COMMIT, in the same write
    [[outcome], [awaiting]] = await pipelined<[Outcome[]], [FormalCheckDone['awaiting']]>(
      client,
      [(c) => c.unsafe(decideSql, params as never[], { prepare: true }).execute() as never],
      [readOn(database, (db) => awaitingFormalCheckPage(db, event.page ?? 1, formalCheckPageSize))],
    );
  } catch (err) {
    // rolled back whole: the ordinary path finds the application as the other event left it
    if (raisedOnPurpose(err, RACED)) return undefined;
    throw err;
  }
  const row = outcome[0];
  // changed only when the verdict held, which found the application's team and a running cycle
  if (!row?.changed) return undefined;
  return { year: row.year, teamName: row.team_name, awaiting, queued: row.queued, scoring: row.scoring };
}
