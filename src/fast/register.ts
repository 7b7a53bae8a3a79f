import type { Database } from '../../db/index.js';
import { UserError } from '../errors.js';
import { parseForm } from '../forms.js';
import { type Issue, pipelined, postgresClient } from '../pipeline.js';
import { CONTACT_NAMED_CARD, TEAM_REGISTERED_CARD } from '../registrationCards.js';
import { registrationLabels, registrationSchema, type Team } from '../teams.js';
import { claimCte, outboxSpecsSql } from './sql.js';

/**
 * 注册 in one round trip on PostgreSQL, on its success path: BEGIN, the card's lock, one statement and COMMIT go out
 * in one write. The statement decides and writes at once, which the query builder cannot say, hence raw SQL: it
 * checks what `registerTeam` (src/teams.ts) checks, and only when all holds records the event and writes what
 * the ordinary path writes, in the order it takes the rows' locks: after the card's, the event's claim, the organisation (upserted:
 * a second registration in it waits here), the leader's person row, the contact's (the role, and the organisation
 * when it had none), the year's code serial, then the team, its leader's membership, the audit row and the
 * notices (cards drawn at send time, as `registrationNotices` in src/registrationCards.ts queues them).
 *
 * Anything else writes nothing, not even the claim, and leaves the event to the ordinary path, which answers as
 * it always has: a form that does not parse, a contact to look up in the address book, a contact who is the
 * leader or the one registering, someone registering another leader without being an administrator, a team of
 * that name already in the organisation (done before, or taken), a card that registered a team before (the
 * ordinary path says which), an event seen before, a leader or contact who holds another team of the organisation
 * to score (回避, 第十七条: the ordinary path steps them aside), a running cycle locked by a 分配专家 batch or a
 * replacement (the ordinary path waits for it). A team of that name, in any
 * spelling, committed by a concurrent registration after the statement's snapshot makes its insert fail on the unique
 * index of the name's key: the whole transaction is rolled back and the ordinary path answers too.
 */

export interface FastRegisterEvent {
  eventId: string;
  eventType: string;
  openId: string;
  formValue: Record<string, unknown>;
  /** The bot's today (YYYY-MM-DD), the day registered. */
  today: string;
  /** The bot's clock: the audit row's time. */
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
  /** The card submitted (`registrationCardKey`): a card that registered a team before is left to the ordinary path. */
  cardKey?: string;
}

/** What the statement stored: the team with its organisation's stored name (the spelling first seen). */
export type FastRegistered = { team: Omit<Team, 'createdAt' | 'updatedAt'> & { organization: string }; queued: number };

// registeredFromCard's lock (src/teams.ts): a second submit of the card waits for the first
const cardLockSql = `select pg_advisory_xact_lock(hashtextextended('team:register:card:' || $1::text, 0))`;

const registerSql = `
with org_seen as (
  -- the organisation however its name is typed (src/organizations.ts)
  select id from organizations where key = organization_key($7::text)
),
scoring_locked as (
  -- 回避: the running cycles, in share mode until the COMMIT, as 添加成员's statement takes them (src/fast/teams.ts): a
  -- 分配专家 batch that starts later reads the new team; one holding them now may have read the organisation before,
  -- so the statement gives way and the ordinary path waits for it (recuseInsiders)
  select id from cycles where status in ('open', 'scoring') for share skip locked
),
verdict as (
  select
    -- registerTeam: the leader is the one registering, unless an administrator registers for them (roles as
    -- actorFrom in src/people.ts finds them: ADMIN_OPEN_IDS, or the stored role)
    ($5::text = $3::text or $3::text = any($4::text[]) or exists (select 1 from people p where p.open_id = $3::text and 'admin' = any(p.roles)))
    -- registerTeam: no team of that name in the organisation (the ordinary path answers one as done, or refuses it)
    and not exists (select 1 from teams t where t.organization_id = (select id from org_seen) and organization_key(t.name) = organization_key($8::text))
    -- registeredFromCard: this card registered no team of theirs before (the ordinary path answers which one it did)
    and not exists (select 1 from audit_log a where $21::text is not null and a.actor = $3::text and a.action = 'team.register' and a.details->>'card' = $21::text)
    -- 回避 (第十七条, recuseInsiders in src/review/recusal.ts): a leader or contact who holds the application of another
    -- team of the organisation to score in a running cycle, or scored it in a year not yet published, is left to the
    -- ordinary path, which steps them aside
    and not exists (
      select 1 from assignments s join applications ap on ap.id = s.application_id join cycles c on c.id = ap.cycle_id
        join teams tm on tm.id = ap.team_id
      where s.expert_open_id in ($5::text, $6::text) and tm.organization_id = (select id from org_seen)
        and ((s.status = 'assigned' and c.status in ('open', 'scoring')) or (s.status = 'submitted' and c.status in ('open', 'scoring', 'closed'))))
    and (select count(*) from scoring_locked) = (select count(*) from cycles where status in ('open', 'scoring')) as ok
),
${claimCte({ eventId: '$1::text', eventType: '$2::text' })},
org as (
  -- registerTeam's upsert (upsertOrganization): the organisation's row, locked, makes a second registration in it wait
  -- for the first; another spelling of a known organisation is that one, under the name first seen
  insert into organizations (name) select $7::text from claim
  on conflict (key) do update set name = organizations.name
  returning id, name
),
leader_row as (
  -- ensurePerson (src/people.ts)
  insert into people (open_id, name) select $5::text, null from org
  on conflict (open_id) do update set name = coalesce(people.name, excluded.name)
  returning open_id
),
contact_row as (
  -- grantRole(contact, 'org_contact') and registerTeam's update of the contact's organisation when it had none, as one
  -- write (one statement may change a row only once); after the leader's row, as the ordinary path takes them
  insert into people (open_id, roles, organization_id) select $6::text, array['org_contact']::text[], o.id from org o where exists (select 1 from leader_row)
  on conflict (open_id) do update set roles = (select array(select distinct unnest(people.roles || array['org_contact']::text[]))), updated_at = now(),
    organization_id = coalesce(people.organization_id, excluded.organization_id)
  returning open_id
),
code as (
  -- nextTeamCode, after the people's rows (the order an import batch takes them in)
  insert into code_sequences (scope, last) select $17::text, 1 from contact_row
  on conflict (scope) do update set last = code_sequences.last + 1
  returning last
),
team as (
  -- no ON CONFLICT: a team of that name committed since the snapshot fails the statement, and with it everything
  insert into teams (code, name, organization_id, department, "type", leader_open_id, phone, member_count, functions, goals, plan, contact_open_id, registered_at)
  select $18::text || lpad(c.last::text, greatest(4, length(c.last::text)), '0'), $8::text, o.id, $9::text, $10::text, $5::text, $11::text, $12::int,
    $13::text, $14::text, $15::text, $6::text, $16::date
  from code c cross join org o
  returning id, code, name, organization_id, department, "type", leader_open_id, phone, member_count, functions, goals, plan, contact_open_id,
    registered_at::text as registered_at, status
),
member as (
  insert into team_members (team_id, open_id, role) select t.id, $5::text, 'leader' from team t
  returning team_id
),
audited as (
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3::text, 'team.register', 'team', t.id::text, jsonb_build_object('code', t.code, 'name', t.name, 'organization', (select name from org), 'contact', $6::text)
    || case when $21::text is null then '{}'::jsonb else jsonb_build_object('card', $21::text) end, $20::timestamptz
  from team t
  returning id
),
notices as (
  -- registrationNotices (src/registrationCards.ts): the leader's card when someone else registered for them, then the
  -- contact's (never the one registering: bulk, as ctx.send queues them). key || ':' || dest_key is the dedupe key
  -- ctx.send uses: team:registered:<id> and team:contact-named:<id>:<contact>. The specs are teamRegisteredSpec's and
  -- contactNamedSpec's.
  select 'open_id'::text as receive_id_type, t.leader_open_id as receiver, t.id::text as dest_key, 'team:registered'::text as key,
    jsonb_build_object('kind', '${TEAM_REGISTERED_CARD}'::text, 'teamId', t.id, 'code', t.code, 'name', t.name, 'organization', (select name from org), 'type', t."type",
      'registeredAt', t.registered_at) as spec
  from team t where t.leader_open_id <> $3::text
  union all
  select 'open_id'::text, t.contact_open_id, t.contact_open_id, 'team:contact-named:' || t.id::text,
    jsonb_build_object('kind', '${CONTACT_NAMED_CARD}'::text, 'teamId', t.id, 'code', t.code, 'name', t.name, 'organization', (select name from org),
      'department', t.department, 'phone', t.phone, 'leaderOpenId', t.leader_open_id)
  from team t
),
queued as (
  ${outboxSpecsSql('notices', 's.key', 's.spec', 1, '$19::timestamptz')}
)
select v.ok, (select count(*) from claim)::int as claimed, (select count(*) from member)::int as members, (select count(*) from audited)::int as audited,
  (select count(*) from queued)::int as queued, (select name from org) as organization,
  t.id, t.code, t.name, t.organization_id, t.department, t."type", t.leader_open_id, t.phone, t.member_count, t.functions, t.goals, t.plan,
  t.contact_open_id, t.registered_at, t.status
from verdict v left join team t on true`;

interface Outcome {
  ok: boolean;
  claimed: number;
  members: number;
  audited: number;
  queued: number;
  /** the organisation's stored name: the spelling first seen */
  organization: string;
  id: number | null;
  code: string;
  name: string;
  organization_id: number;
  department: string;
  type: string;
  leader_open_id: string;
  phone: string;
  member_count: number;
  functions: string;
  goals: string;
  plan: string;
  contact_open_id: string;
  registered_at: string;
  status: string;
}

/** The unique index a concurrent registration of the same team, however its name is typed, trips (db/schema.ts). */
const TEAM_NAME_TAKEN = ['teams_org_name_key_uq'];

/** Undefined when the ordinary path is to run: on PGlite, and whenever the statement did not register the team. */
export async function fastRegister(database: Database, event: FastRegisterEvent): Promise<FastRegistered | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const form = event.formValue;
  // personFromLookup (bot/lookup.ts) asks the address book when a contact is typed by mobile or e-mail (it wins over a
  // pick): the ordinary path's
  if (typeof form.contactLookup === 'string' && form.contactLookup.trim() !== '') return undefined;
  let input;
  try {
    // registerTeam's parse, with the same schema and labels
    input = parseForm(registrationSchema, form, registrationLabels);
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
  const leader = input.leader ?? event.openId;
  // checkContact (src/teams.ts): the contact is not the leader. The one registering as contact (an administrator
  // registering someone else) is left to the ordinary path too: ctx.send queues that notice as the answer's, interactive.
  if (input.contact === leader || input.contact === event.openId) return undefined;
  const year = event.today.slice(0, 4);
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    [...event.bootstrapAdmins],
    leader,
    input.contact,
    input.organization,
    input.teamName,
    input.department,
    input.teamType,
    input.phone,
    input.memberCount,
    input.functions,
    input.goals,
    input.plan,
    event.today,
    `team:${year}`,
    `GDSZ-${year}-`,
    // enqueueQuietly's next_attempt_at: the outbox's own clock, as the ordinary path's enqueue has it
    new Date().toISOString(),
    // the audit row's time
    event.now.toISOString(),
    event.cardKey ?? null,
  ];
  let outcome: Outcome;
  try {
    const register: Issue<Outcome[]> = (c) => c.unsafe(registerSql, params as never[], { prepare: true }).execute() as never;
    // registeredFromCard's lock, awaited before the statement reads (its snapshot then sees what the lock waited for)
    const lockCard: Issue<unknown> = (c) => c.unsafe(cardLockSql, [event.cardKey!], { prepare: true }).execute();
    const [results] = await pipelined<unknown[], []>(client, event.cardKey === undefined ? [register] : [lockCard, register], []);
    outcome = (results.at(-1) as Outcome[])[0];
  } catch (err) {
    // a team of that name registered at the same moment: nothing was kept; the ordinary path answers as done, or refuses
    if ((err as { code?: string; constraint_name?: string }).code === '23505' && TEAM_NAME_TAKEN.includes((err as { constraint_name?: string }).constraint_name ?? '')) return undefined;
    throw err;
  }
  if (!outcome.ok || !outcome.claimed) return undefined;
  if (outcome.id === null || outcome.members !== 1 || outcome.audited !== 1) throw new Error(`注册 ${event.eventId}: the statement claimed the event but stored no whole team`);
  const team = {
    id: outcome.id,
    code: outcome.code,
    name: outcome.name,
    organizationId: outcome.organization_id,
    department: outcome.department,
    type: outcome.type,
    leaderOpenId: outcome.leader_open_id,
    phone: outcome.phone,
    memberCount: outcome.member_count,
    functions: outcome.functions,
    goals: outcome.goals,
    plan: outcome.plan,
    contactOpenId: outcome.contact_open_id,
    registeredAt: outcome.registered_at,
    status: outcome.status,
    organization: outcome.organization,
  };
  return { team, queued: outcome.queued };
}
