import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/index.js';
import { applications, cycles, organizations, teams } from '../../db/schema.js';
import { type Application, type EndorsementDecision, endorsementRecord, endorsementTransition } from '../applications.js';
import { formalCheckRequestKeyPrefix, formalCheckRequestSpec, leaderNoticeKey, leaderNoticeSpec } from '../endorsementCards.js';
import { onConnection, pipelined, postgresClient } from '../pipeline.js';
import type { Team } from '../teams.js';
import { adminDestinationsSql, claimCte, outboxSpecsSql } from './sql.js';

/**
 * 推荐 / 退回 by the organisation contact (第十五条) in one round trip on PostgreSQL, on the success path only.
 * BEGIN, the application's row lock (the one the ordinary UPDATE takes), one statement that decides and writes,
 * COMMIT and the read-back of the answer card go out in one write. The statement computes the verdict from the
 * rows and the actor; only when every check the ordinary path makes passes does it claim the event, and only a
 * new claim lets it change the application, write its audit row and queue the notices (cards drawn when they are
 * sent, src/endorsementCards.ts): the leader's, and on a recommendation the administrators'. Anything else (a
 * refusal, a second click, an event seen before) writes nothing, not even the claim, and the ordinary path
 * answers as it always has. It is raw SQL because one statement must check and write at once, which the query
 * builder cannot say.
 */

export interface FastEndorseEvent {
  eventId: string;
  eventType: string;
  openId: string;
  applicationId: number;
  decision: EndorsementDecision;
  /** What was typed, already read by `endorsementInput` (the ordinary path's reader). */
  input: { truthful: boolean; opinion: string };
  /** The submission the clicked card showed (`submitted`, epoch ms), when its button carries it. */
  submitted?: number;
  now: Date;
  /** ADMIN_OPEN_IDS, for the administrators' destinations. */
  bootstrapAdmins: readonly string[];
  /** The bot's today: a return is made here only while the team can still submit again (resubmittable). */
  today: string;
}

/** The application as it was committed, with what the answer card names; and how many outbox rows were queued. */
export interface FastEndorsed {
  application: Application;
  team: Team;
  organization: string;
  year: number;
  queued: number;
}

// the one row lock the ordinary path takes (endorseApplication's UPDATE), taken first so that the statement after it
// decides on the row as it is now: a click waiting behind another finds it decided and claims nothing. (The ordinary
// path claims the event before that lock, this path after it, as the fast 提交评分 does: only the same event on both
// paths at once could wait on each other, and PostgreSQL would end one of them, for Feishu to deliver again.)
const lockSql = `select 1 from applications where id = $1 for update`;

/**
 * $1 event id, $2 event type, $3 the actor, $4 the application, $5 the endorsement (jsonb), $6 now, $7 the opinion,
 * $8 the leader's notice spec, $9 its key; for a recommendation $10 ADMIN_OPEN_IDS, $11 the administrators' request
 * spec and $12 its key before the destination's; then the notices' due time, a return's today, and last the submission
 * the card showed (epoch ms, or null for a card that does not say).
 */
function endorseSql(decision: EndorsementDecision): string {
  const recommend = decision === 'recommend';
  const to = recommend ? 'recommended' : 'returned';
  const action = `application.${endorsementTransition[decision]}`;
  // the notices' due time ($11 after it for a return: the bot's today)
  const due = recommend ? '$13' : '$10';
  const seen = recommend ? '$14' : '$12';
  return `
with app as (
  select ap.id, ap.status, ap.team_id, t.leader_open_id, t.contact_open_id, c.id as cycle_id, c.status as cycle_status, c.application_deadline,
    -- submissionOf: submitted_at in epoch milliseconds, as a JavaScript Date holds it
    floor(extract(epoch from ap.submitted_at) * 1000)::bigint as submitted
  from applications ap join teams t on t.id = ap.team_id join cycles c on c.id = ap.cycle_id
  where ap.id = $4
),
${recommend ? `admin_to as (${adminDestinationsSql('$10')}),` : ''}
verdict as (
  select coalesce(
    -- cardDispatch (src/handlers.ts), mayUse: the actor has the org_contact persona (people.roles)
    exists (select 1 from people p where p.open_id = $3 and 'org_contact' = any(p.roles))
    -- endorseApplication: the team's registered contact
    and a.contact_open_id = $3
    -- endorseApplication: never the team itself, its leader or a member (第十五条)
    and a.leader_open_id <> $3
    and not exists (select 1 from team_members m where m.team_id = a.team_id and m.open_id = $3)
    -- endorseApplication: madeAlready (a decision already made) and applicationMachine.check (from 'submitted' only)
    and a.status = 'submitted'
    -- endorseApplication: reviewStillTakes (the year's applications open, or its experts scoring)
    and a.cycle_status in ('open', 'scoring')
    -- endorseApplication: reviewStillTakes' aggregatedBefore (scores summed once, a sheet reopened since: 第十七条)
    and (a.cycle_status = 'open' or not exists (
      select 1 from audit_log l where l.entity = 'cycle' and l.entity_id = a.cycle_id::text and l.action = 'cycle.closeScoring'))
    -- endorseApplication: requireSeenSubmission (the card shows the submission on record, or does not say which)
    and (${seen}::bigint is null or a.submitted is not distinct from ${seen}::bigint)
    ${recommend ? '' : `-- endorseApplication: a return the team can still submit again (resubmittable); a later one asks to confirm (LateReturn)
    and a.cycle_status = 'open' and a.application_deadline >= $11::date`}
    ${
      recommend
        ? `-- the handler's enqueue marks a notice to the actor themself interactive: an administrator who is also the
    -- contact, told in p2p, is left to the ordinary path
    and not exists (select 1 from admin_to d where d.receive_id_type = 'open_id' and d.receiver = $3)`
        : ''
    }, false) as ok
  from (select 1) one left join app a on true
),
${claimCte()},
changed as (
  update applications set status = '${to}', endorsement = $5::jsonb, updated_at = $6::timestamptz
  where id = $4 and status = 'submitted' and exists (select 1 from claim)
  returning id, form
),
logged as (
  -- endorseApplication's audit: a return keeps the form as it was returned
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, '${action}', 'application', c.id::text, jsonb_build_object('opinion', $7::text${recommend ? '' : ", 'form', c.form"}), $6::timestamptz from changed c
  returning id
),
leader_notice as (
  -- enqueueQuietly: an imported leader not yet linked to Feishu has no open_id to send to; bulk priority, as the
  -- leader is never the actor here (the verdict refuses them)
  insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select $9::text, 'send', 'open_id', a.leader_open_id, a.leader_open_id, 'interactive', 1,
    jsonb_build_object('render', $8::jsonb), ${due}::timestamptz
  from changed c join app a on a.id = c.id
  where not starts_with(a.leader_open_id, 'pending:')
  on conflict (dedupe_key) do nothing
  returning id
)${
    recommend
      ? `,
admin_notices as (
  ${outboxSpecsSql(`(select d.* from admin_to d where exists (select 1 from changed))`, '$12::text', '$11::jsonb', 1, `${due}::timestamptz`)}
)`
      : ''
  }
select (select ok from verdict) as ok, exists (select 1 from claim) as claimed, exists (select 1 from changed) as written,
  ((select count(*) from leader_notice)${recommend ? ' + (select count(*) from admin_notices)' : ''})::int as queued`;
}

const statements: Record<EndorsementDecision, string> = { recommend: endorseSql('recommend'), return: endorseSql('return') };

type ReadBack = { application: Application; team: Team; organization: string; year: number };

/** The application read back for the answer card (what `getApplication` joins, the cycle's year only), built once per database. */
const readBacks = new WeakMap<Database, { execute(p: { id: number }): Promise<ReadBack[]> }>();

function readBackOf(database: Database) {
  let q = readBacks.get(database);
  if (!q) {
    q = database.db
      .select({ application: applications, team: teams, organization: organizations.name, year: cycles.year })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .innerJoin(organizations, eq(organizations.id, teams.organizationId))
      .where(eq(applications.id, sql.placeholder('id')))
      .prepare('endorse_read_back') as never;
    readBacks.set(database, q!);
  }
  return q!;
}

/**
 * The decision in one round trip; undefined when it was not made here (on PGlite, or whenever the ordinary
 * path would not simply succeed): nothing was written then, and the ordinary path is to run.
 */
export async function fastEndorse(database: Database, event: FastEndorseEvent): Promise<FastEndorsed | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const { decision, applicationId, input } = event;
  const params: unknown[] = [
    event.eventId,
    event.eventType,
    event.openId,
    applicationId,
    JSON.stringify(endorsementRecord(decision, input, event.openId, event.now)),
    event.now.toISOString(),
    input.opinion,
    JSON.stringify(leaderNoticeSpec(applicationId, decision, input.opinion)),
    leaderNoticeKey(applicationId, decision, event.eventId),
    ...(decision === 'recommend'
      ? [[...event.bootstrapAdmins], JSON.stringify(formalCheckRequestSpec(applicationId)), formalCheckRequestKeyPrefix(applicationId, event.eventId)]
      : []),
    // the notices are due at the process's time, as enqueueQuietly stamps them (`due` in endorseSql)
    new Date().toISOString(),
    ...(decision === 'return' ? [event.today] : []),
    event.submitted ?? null,
  ];
  const q = readBackOf(database);
  const [[, outcome], [rows]] = await pipelined<[unknown, { ok: boolean; claimed: boolean; written: boolean; queued: number }[]], [ReadBack[]]>(
    client,
    [(c) => c.unsafe(lockSql, [applicationId], { prepare: true }).execute(), (c) => c.unsafe(statements[decision], params as never[], { prepare: true }).execute() as never],
    [(c) => onConnection(q, c).execute({ id: applicationId })],
  );
  const { claimed, written, queued } = outcome[0];
  if (!claimed) return undefined;
  // the lock makes the statement see the row as it is: a claim without the change cannot happen
  if (!written || !rows[0]) throw new Error(`endorsement of application ${applicationId}: claimed but not written`);
  return { ...rows[0], queued };
}
