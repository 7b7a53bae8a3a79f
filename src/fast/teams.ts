import type { Database, Db } from '../../db/index.js';
import { pipelined, postgresClient, readOn } from '../pipeline.js';
import { claimCte, failWhenNotWritten, raisedOnPurpose } from './sql.js';

/**
 * The team leader's 添加成员, 移除成员 and 班组资料 保存 (`team.memberAdd`, `team.memberRemove`, `team.editSave`) in one
 * round trip on PostgreSQL: BEGIN, one statement that decides and writes, COMMIT, and the answer card's reads (the
 * members card, the 进度 card) after the COMMIT, in one write. The statement claims the event only when every check
 * of the ordinary path passes (the registry's roles, `teamLedBy`, `addMembers` / `removeMember` /
 * `updateTeamProfile` in src/teams.ts); only a new claim lets it write the members (with the people rows
 * `ensurePerson` makes) or the team's fields, and the audit row. A save that names a new contact is left to the
 * ordinary path: it grants a role and queues notices drawn from rows read first. So is a new name: its checks (the
 * running year's application under its lock, the organisation's other names) and their refusals are the ordinary path's. It handles the success alone: on anything else (a refusal,
 * 无需重复添加, a member already gone, a delivery seen before) it writes nothing, not even the claim, and the
 * ordinary path answers as it always has. So is an addition of someone who holds the team's application to score (回避,
 * 第十七条), or one made while a running cycle is locked (a 分配专家 batch, a replacement): the ordinary path waits for
 * it and steps them aside in its transaction. It is raw SQL because one statement must check and write at once,
 * which the query builder cannot say.
 *
 * Locks come in the ordinary path's order: the claim's row, then (添加) each picked person's row in the order
 * picked, then their membership rows; (移除) the membership row; (保存) the team's row. Neither path locks the
 * team's row for 添加 or 移除. When another
 * event adds or removes the same members (or saves the same team) between the statement's snapshot and its write,
 * the claim is in but nothing was written: the statement then fails on purpose (`RACED`), nothing is kept, and the ordinary path
 * answers on what the other event left.
 */

/** The text of the error a statement raises when the members changed under it: nothing it did is kept. */
const RACED = 'team members: the team changed after this event read it';

/** What every statement checks first: the team (with `columns` more of it) and the actor ($3 the actor, $4 the team, $5 ADMIN_OPEN_IDS). */
const teamAndActor = (columns = '') => `
team as (
  -- getTeam (src/teams.ts): the team joined to its organisation
  select t.id, t.leader_open_id, t.contact_open_id, t.status${columns}
  from teams t join organizations o on o.id = t.organization_id
  where t.id = $4
),
actor as (
  -- actorFrom (src/people.ts): an administrator by the stored role or ADMIN_OPEN_IDS; the leader persona by a
  -- membership as leader of any team
  select (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($5::text[])) as admin,
    exists (select 1 from team_members m where m.open_id = $3 and m.role = 'leader') as leader
)`;

/** Fails the statement when the event was claimed but nothing written (a text cast to int is how a plain statement raises). */
const raced = (written: string) => failWhenNotWritten(written, RACED);

/** 添加成员: $1 event id, $2 event type, $3 the actor, $4 the team, $5 ADMIN_OPEN_IDS, $6 the people picked (distinct, in order). */
const addSql = `
with ${teamAndActor(', t.organization_id')},
picked as (
  select p.open_id, p.ord from unnest($6::text[]) with ordinality as p (open_id, ord)
),
scoring_locked as (
  -- 回避: the running cycles, in share mode until the COMMIT: a 分配专家 batch (it takes them for update) that starts
  -- later reads the new members; one holding them now may have read the team before, so the statement gives way and
  -- the ordinary path waits for it (recuseInsiders)
  select id from cycles where status in ('open', 'scoring') for share skip locked
),
verdict as (
  select coalesce(
    -- the registry's roles (mayUse, src/handlers.ts): an administrator or the leader persona
    (a.admin or a.leader)
    -- teamLedBy: led by the actor, or the actor an administrator (a team not found fails every comparison below)
    and (t.leader_open_id = $3 or a.admin)
    -- addMembers: teamMachine.check('update', …) from 'active' (its roles are met by the leader it passes)
    and t.status = 'active'
    -- addMembers: the organisation contact is never a member (第十五条)
    and not exists (select 1 from picked p where p.open_id = t.contact_open_id)
    -- addMembers: AlreadyDone when nobody picked is new to the team
    and exists (select 1 from picked p where not exists (select 1 from team_members m where m.team_id = t.id and m.open_id = p.open_id))
    -- 回避 (第十七条, recuseInsiders in src/review/recusal.ts): someone picked who holds the application of the team, or
    -- of another team of its organisation, to score in a running cycle, or scored it in a year not yet published, is
    -- left to the ordinary path, which steps them aside
    and not exists (
      select 1 from picked p join assignments s on s.expert_open_id = p.open_id
        join applications ap on ap.id = s.application_id join cycles c on c.id = ap.cycle_id
        join teams tm on tm.id = ap.team_id
      where tm.organization_id = t.organization_id
        and ((s.status = 'assigned' and c.status in ('open', 'scoring')) or (s.status = 'submitted' and c.status in ('open', 'scoring', 'closed'))))
    and (select count(*) from scoring_locked) = (select count(*) from cycles where status in ('open', 'scoring')),
    false) as ok
  from actor a left join team t on true
),
${claimCte()},
persons as (
  -- ensurePerson (src/people.ts) of each picked, in the order picked, once the event is claimed
  insert into people (open_id, name)
  select p.open_id, null from picked p where exists (select 1 from claim) order by p.ord
  on conflict (open_id) do update set name = coalesce(people.name, excluded.name)
  returning open_id
),
joined as (
  -- addMembers' inserts, after every person's row (the count is computed once, before the first insert)
  insert into team_members (team_id, open_id, role)
  select $4, p.open_id, 'member' from picked p where (select count(*) from persons) > 0 order by p.ord
  on conflict do nothing
  returning open_id
),
added as (
  select coalesce(jsonb_agg(j.open_id order by p.ord), '[]'::jsonb) as ids from joined j join picked p on p.open_id = j.open_id
),
logged as (
  -- audit() (src/audit.ts)
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, 'team.members.add', 'team', $4::text, jsonb_build_object('added', added.ids), $7::timestamptz from added
  where exists (select 1 from joined)
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  (select ids from added) as added,
  (select admin from actor) as admin,
  (select count(*) from logged)::int as logged,
  ${raced('joined')}`;

/** 移除成员: $1 event id, $2 event type, $3 the actor, $4 the team, $5 ADMIN_OPEN_IDS, $6 the member, $7 now. */
const removeSql = `
with ${teamAndActor()},
verdict as (
  select coalesce(
    -- the registry's roles (mayUse, src/handlers.ts): an administrator or the leader persona
    (a.admin or a.leader)
    -- teamLedBy: led by the actor, or the actor an administrator (a team not found fails every comparison below)
    and (t.leader_open_id = $3 or a.admin)
    -- removeMember: never the leader
    and $6 <> t.leader_open_id
    -- removeMember: its AlreadyDone (when the member was removed, or '该成员已不在班组中。') when there is no such member
    and exists (select 1 from team_members m where m.team_id = t.id and m.open_id = $6 and m.role = 'member'),
    false) as ok
  from actor a left join team t on true
),
${claimCte()},
removed as (
  delete from team_members where team_id = $4 and open_id = $6 and role = 'member' and exists (select 1 from claim)
  returning open_id
),
logged as (
  -- audit() (src/audit.ts)
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, 'team.members.remove', 'team', $4::text, jsonb_build_object('removed', r.open_id), $7::timestamptz from removed r
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  '[]'::jsonb as added,
  (select admin from actor) as admin,
  (select count(*) from logged)::int as logged,
  ${raced('removed')}`;

/**
 * 班组资料 保存 (`team.editSave`) without a change of contact or name: $1 event id, $2 event type, $3 the actor, $4 the team,
 * $5 ADMIN_OPEN_IDS, $6 now; what was typed (null when left empty): $7 phone, $8 member count, $9 functions, $10 goals,
 * $11 plan, $12 the contact picked, $13 the team's name, $14 主管部门, $15 班组类型. The team's row is read before its lock (the ordinary path reads it under the
 * lock, after the claim): the update writes only when the row is still as read, and a save committed in between
 * makes the statement fail (`RACED`), for the ordinary path to find it saved.
 */
const profileSql = `
with ${teamAndActor(', t.name, t.phone, t.member_count, t.functions, t.goals, t.plan, t.department, t.type')},
changes as (
  -- updateTeamProfile: each field typed whose value differs from the row's, in the form's order
  select coalesce(array_agg(c.k order by c.n) filter (where c.differs), '{}'::text[]) as keys,
    -- and each from what it was to what it is, as updateTeamProfile's audit row has them (第十七条)
    coalesce(jsonb_object_agg(c.k, jsonb_build_object('from', c.was, 'to', c.typed)) filter (where c.differs), '{}'::jsonb) as fields
  from team t cross join lateral (values
    (1, 'phone', $7::text is not null and $7::text is distinct from t.phone, to_jsonb(t.phone), to_jsonb($7::text)),
    (2, 'memberCount', $8::int is not null and $8::int is distinct from t.member_count, to_jsonb(t.member_count), to_jsonb($8::int)),
    (3, 'functions', $9::text is not null and $9::text is distinct from t.functions, to_jsonb(t.functions), to_jsonb($9::text)),
    (4, 'goals', $10::text is not null and $10::text is distinct from t.goals, to_jsonb(t.goals), to_jsonb($10::text)),
    (5, 'plan', $11::text is not null and $11::text is distinct from t.plan, to_jsonb(t.plan), to_jsonb($11::text)),
    (6, 'department', $14::text is not null and $14::text is distinct from t.department, to_jsonb(t.department), to_jsonb($14::text)),
    (7, 'type', $15::text is not null and $15::text is distinct from t.type, to_jsonb(t.type), to_jsonb($15::text))
  ) c (n, k, differs, was, typed)
),
verdict as (
  select coalesce(
    -- the registry's roles (mayUse, src/handlers.ts): an administrator or the leader persona; they also meet
    -- teamMachine.check's roles
    (a.admin or a.leader)
    -- teamLedBy: led by the actor, or the actor an administrator (a team not found fails every comparison below)
    and (t.leader_open_id = $3 or a.admin)
    -- updateTeamProfile: teamMachine.check('update', …) from 'active'
    and t.status = 'active'
    -- a change of contact (a role granted, the pending requests moved, notices drawn from them) is left to the ordinary path
    and ($12::text is null or $12::text = t.contact_open_id)
    -- a new name (its application and uniqueness checks, a team.rename row) is left to the ordinary path
    and ($13::text is null or $13::text = t.name)
    -- updateTeamProfile: AlreadyDone ('没有需要保存的修改。') when nothing typed differs
    and cardinality(ch.keys) > 0,
    false) as ok
  from actor a left join team t on true cross join changes ch
),
${claimCte()},
saved as (
  -- updateTeamProfile's update (every field typed, and the time), once the event is claimed, of the row as the
  -- verdict read it: its lock comes after the claim's, as on the ordinary path
  update teams u set phone = coalesce($7::text, u.phone), member_count = coalesce($8::int, u.member_count),
    functions = coalesce($9::text, u.functions), goals = coalesce($10::text, u.goals), plan = coalesce($11::text, u.plan),
    department = coalesce($14::text, u.department), type = coalesce($15::text, u.type),
    updated_at = $6::timestamptz
  from team t
  where u.id = t.id and exists (select 1 from claim)
    and (u.leader_open_id, u.contact_open_id, u.status, u.name, u.phone, u.member_count, u.functions, u.goals, u.plan, u.department, u.type)
      is not distinct from (t.leader_open_id, t.contact_open_id, t.status, t.name, t.phone, t.member_count, t.functions, t.goals, t.plan, t.department, t.type)
  returning u.id
),
logged as (
  -- audit() (src/audit.ts)
  insert into audit_log (actor, action, entity, entity_id, details, at)
  select $3, 'team.update', 'team', $4::text, jsonb_build_object('changed', to_jsonb(ch.keys), 'changes', ch.fields), $6::timestamptz from saved cross join changes ch
  returning id
)
select coalesce((select ok from verdict), false) as ok,
  '[]'::jsonb as added,
  (select admin from actor) as admin,
  (select count(*) from logged)::int as logged,
  ${raced('saved')}`;

/** What 班组资料 保存 takes of what was typed (`parseProfile`): undefined for a field left empty. */
export interface FastProfilePatch {
  teamName?: string;
  phone?: string;
  memberCount?: number;
  functions?: string;
  goals?: string;
  plan?: string;
  contact?: string;
  department?: string;
  teamType?: string;
}

export interface FastMembersEvent {
  eventId: string;
  eventType: string;
  openId: string;
  teamId: number;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
}

/** Done: who was added (in the order picked), whether the actor is an administrator, and the answer's reads. */
export interface FastMembersDone<R> {
  added: string[];
  admin: boolean;
  read: R;
}

/**
 * What the statements ended in, since the process started: done, or rolled back for a race (a check that the
 * snapshot passed and the row lock did not). Read by the tests: a refusal must end neither way.
 */
export const fastMembersEnds = { done: 0, raced: 0 };

type Outcome = { ok: boolean; added: string[]; admin: boolean; logged: number; raced: null };

async function run<R>(database: Database, statement: string, event: FastMembersEvent, rest: unknown[], read: (db: Db) => Promise<R>): Promise<FastMembersDone<R> | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const params = [event.eventId, event.eventType, event.openId, event.teamId, [...event.bootstrapAdmins], ...rest];
  let outcome: Outcome[];
  let answer: R;
  try {
    [[outcome], [answer]] = await pipelined<[Outcome[]], [R]>(
      client,
      [(c) => c.unsafe(statement, params as never[], { prepare: true }).execute() as never],
      [readOn(database, read)],
    );
  } catch (err) {
    // rolled back whole: the ordinary path finds the members as the other event left them
    if (raisedOnPurpose(err, RACED)) {
      fastMembersEnds.raced++;
      return undefined;
    }
    throw err;
  }
  const row = outcome[0];
  // written only when the verdict held and the event was new
  if (!row?.logged) return undefined;
  fastMembersEnds.done++;
  return { added: row.added, admin: row.admin, read: answer };
}

/** 添加成员 of `openIds` (distinct, in the order picked); undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export function fastAddMembers<R>(database: Database, event: FastMembersEvent, openIds: string[], now: Date, read: (db: Db) => Promise<R>): Promise<FastMembersDone<R> | undefined> {
  return run(database, addSql, event, [openIds, now.toISOString()], read);
}

/** 移除成员 of `openId`; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export function fastRemoveMember<R>(database: Database, event: FastMembersEvent, openId: string, now: Date, read: (db: Db) => Promise<R>): Promise<FastMembersDone<R> | undefined> {
  return run(database, removeSql, event, [openId, now.toISOString()], read);
}

/** 班组资料 保存 without a change of contact or name; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export function fastSaveProfile<R>(database: Database, event: FastMembersEvent, patch: FastProfilePatch, now: Date, read: (db: Db) => Promise<R>): Promise<FastMembersDone<R> | undefined> {
  const typed = (v: string | number | undefined) => v ?? null;
  const rest = [now.toISOString(), typed(patch.phone), typed(patch.memberCount), typed(patch.functions), typed(patch.goals), typed(patch.plan), typed(patch.contact), typed(patch.teamName), typed(patch.department), typed(patch.teamType)];
  return run(database, profileSql, event, rest, read);
}
