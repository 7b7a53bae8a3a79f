import { asc, eq, inArray } from 'drizzle-orm';
import type { Database, Db } from '../../db/index.js';
import { applications, assignments, cycles, organizations, people, teams } from '../../db/schema.js';
import { pipelined, postgresClient, readOn } from '../pipeline.js';
import type { PanelMember } from '../review/scoring.js';
import { reopenedCardKey, taskCardKey } from '../review/scoring.js';
import { REVIEW_TASK_CARD } from '../review/taskCards.js';
import { claimCte, failWhenNotWritten, raisedOnPurpose } from './sql.js';

/**
 * 重开评分 (`review.reopen`) in one round trip on PostgreSQL, on the success path only: BEGIN, the cycle's and the
 * application's row locks (the ones `reopenScore` takes, in its order), one statement that decides and writes, COMMIT
 * and the panel read back for the answer card, in one write. The statement claims the event only when every check of
 * the ordinary path (`reopenScore` in src/review/scoring.ts, the registry's roles) passes, the expert need not step
 * aside from the team (`recusalReason`: that reopen sends no card) and no card of the task is still waiting in the
 * outbox; then it reopens the sheet, puts a scored application and a closed cycle back to scoring, writes their audit
 * rows and queues the reopened sheet to its expert as a card drawn at send time (`reopenedTaskMessage`,
 * src/review/taskCards.ts). Anything else (a refusal, a second click, a waiting task card that is to carry the sheet,
 * an expert who must step aside, a delivery seen before) writes nothing, not even the claim, and the ordinary path
 * answers as it always has. It is raw SQL because one statement must check and write at once, which the query
 * builder cannot say.
 *
 * Locks: the cycle's, then the application's, as `taskUnderLocks` takes them, each in a statement of its own before
 * the decision, so the decision reads the rows as the last holder of those locks left them; then the claim, then the
 * sheet, the application and the cycle, as the ordinary path writes them. (The ordinary path claims the event before
 * its locks, this one after them, as the fast 推荐 and 提交评分 do: only the same event on both paths at once could wait
 * on each other, and PostgreSQL would end one of them, for Feishu to deliver again.)
 */

export interface FastReopenEvent {
  eventId: string;
  eventType: string;
  openId: string;
  assignmentId: number;
  now: Date;
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
  /** The chat the click came from: a bound group's is left to the ordinary path, which sends the panel privately. */
  chatId?: string;
}

/** The application of the task and its panel as committed: what the panel card is drawn from. */
export interface ReopenedPanel {
  application: typeof applications.$inferSelect;
  team: typeof teams.$inferSelect;
  organization: string;
  cycle: Pick<typeof cycles.$inferSelect, 'id' | 'year' | 'status' | 'scoringDeadline' | 'expertsPerApplication'>;
  members: PanelMember[];
}

export interface FastReopened {
  /** The team's name, as the task read before the reopen names it (the toast). */
  teamName: string;
  panel: ReopenedPanel;
  /** Outbox rows the statement added. */
  queued: number;
}

/** The text of the error a statement raises when the sheet changed under it: nothing it did is kept. */
const RACED = 'reopen: the sheet changed after this event read it';

// taskUnderLocks (src/review/scoring.ts): the cycle, then the application, found from the task's id alone
const lockCycleSql = `select id from cycles where id in (select cycle_id from applications where id in (select application_id from assignments where id = $1)) for update`;
const lockApplicationSql = `select id from applications where id in (select application_id from assignments where id = $1) for update`;

/**
 * $1 event id, $2 event type, $3 the actor, $4 the assignment, $5 ADMIN_OPEN_IDS, $6 now (the bot's clock), $7 the
 * task card's key, $8 the reopened card's key, $9 its spec, $10 its due time (the process's clock), $11 the chat clicked
 * in (null when none).
 */
const reopenSql = `
with task as (
  -- getTask (tasksQuery): the task with its application, team, organisation and cycle, all joined
  select s.id, s.status, s.expert_open_id, s.scores, s.total, s.comment, s.application_id, c.id as cycle_id, c.status as cycle_status, t.name as team_name,
    t.id as team_id, t.organization_id, t.leader_open_id, t.contact_open_id
  from assignments s
    join applications a on a.id = s.application_id
    join teams t on t.id = a.team_id
    join organizations o on o.id = t.organization_id
    join cycles c on c.id = a.cycle_id
  where s.id = $4
),
previous as (
  -- reopenedCardKeys: the card key the task's latest reopen recorded (none when it recorded none)
  select l.details ->> 'cardKey' as card_key from audit_log l
  where l.entity = 'assignment' and l.entity_id = $4::int::text and l.action = 'review.reopen'
  order by l.id desc limit 1
),
verdict as (
  select coalesce(
    -- the registry's roles ['admin'] (mayUse) and requireAdmin (adminTask): the stored role or ADMIN_OPEN_IDS, as actorFrom makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($5::text[]))
    -- adminTask: an administrator with a sheet of the panel still to submit is refused another expert's (第十七条, PANEL_MEMBER_REFUSAL)
    and not exists (select 1 from assignments o where o.application_id = k.application_id and o.expert_open_id = $3 and o.status = 'assigned' and o.id <> $4)
    -- reopenScore: 结果已公布，评分不能再重开
    and k.cycle_status <> 'published'
    -- reopenScore: 结果正在公布 (a 公布结果 job recorded, its first batch not yet run)
    and not exists (select 1 from bulk_jobs b where b.kind = 'publish' and b.cycle_id = k.cycle_id and b.status in ('queued', 'running'))
    -- reopenScore: only a submitted sheet (reopenedAlready answers a reopened one, else 尚未提交)
    and k.status = 'submitted'
    -- recusalReason: an expert who must step aside (their place in the team, a declared conflict, their own organisation,
    -- by their expert record or a team of it they lead, belong to or are the contact of)
    -- is sent no card and the administrator is told to 更换专家; left to the ordinary path
    and k.expert_open_id <> k.leader_open_id and k.expert_open_id is distinct from k.contact_open_id
    and not exists (select 1 from team_members m where m.team_id = k.team_id and m.open_id = k.expert_open_id)
    and not exists (select 1 from conflicts x where x.expert_open_id = k.expert_open_id and (x.team_id = k.team_id or x.organization_id = k.organization_id))
    and not exists (select 1 from people e where e.open_id = k.expert_open_id and e.organization_id = k.organization_id)
    and not exists (select 1 from teams own where own.leader_open_id = k.expert_open_id and own.organization_id = k.organization_id)
    and not exists (select 1 from teams own where own.contact_open_id = k.expert_open_id and own.organization_id = k.organization_id)
    and not exists (select 1 from team_members om join teams own on own.id = om.team_id where om.open_id = k.expert_open_id and own.organization_id = k.organization_id)
    -- reopenedCard (lockWaiting): a card of the task still waiting for its first attempt carries the reopened sheet; left to the ordinary path
    and not exists (select 1 from outbox w where w.dedupe_key in ($7::text, (select card_key from previous)) and w.status = 'pending' and w.attempts = 0)
    -- reopenPanelScore: a group's card is shared (isSharedChat: bound, or ever posted or replied in), the panel goes privately (第十七条)
    and not exists (select 1 from chat_bindings b where b.chat_id = $11::text)
    and not exists (select 1 from outbox o where o.rate_key = $11::text and (o.receive_id_type = 'chat_id' or o.kind = 'reply')),
    false) as ok
  from (select 1) one left join task k on true
),
${claimCte()},
reopened as (
  -- reopenScore's update of the sheet, once the event is claimed
  update assignments set status = 'assigned', submitted_at = null, assigned_at = $6::timestamptz
  where id = $4 and status = 'submitted' and exists (select 1 from claim)
  returning id, application_id
),
app_moved as (
  -- reopenScore: a scored application is under review again (applicationMachine 'reopenPanel': scored → scoring)
  update applications set status = 'scoring', updated_at = $6::timestamptz
  where id = (select application_id from reopened) and status = 'scored'
  returning id
),
cycle_moved as (
  -- transitionCycle(…, 'reopenScoring'): a closed cycle goes back to scoring
  update cycles set status = 'scoring', updated_at = $6::timestamptz
  where id = (select cycle_id from task) and status = 'closed' and exists (select 1 from reopened)
  returning id
),
audited as (
  -- audit() (src/audit.ts) at the bot's time: the cycle's transition first, then the reopen, as the ordinary path writes them
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $6::timestamptz, $3, x.action, x.entity, x.entity_id, x.details from (
    select 1 as n, 'cycle.reopenScoring' as action, 'cycle' as entity, c.id::text as entity_id,
      jsonb_build_object('from', 'closed', 'to', 'scoring', 'assignmentId', $4::int) as details
    from cycle_moved c
    union all
    select 2, 'review.reopen', 'assignment', r.id::text,
      jsonb_build_object('applicationId', r.application_id, 'expert', k.expert_open_id, 'previousTotal', k.total::float8, 'previousScores', k.scores, 'previousComment', k.comment, 'cardKey', $8::text)
    from reopened r cross join task k
  ) x order by x.n
  returning id
),
queued as (
  -- reopenedTaskMessage through ctx.send (enqueueQuietly): none to an open_id still pending; interactive when the
  -- expert is the administrator themself (isInteractive, src/events.ts)
  insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select $8::text, 'send', 'open_id', k.expert_open_id, k.expert_open_id, 'interactive', case when k.expert_open_id = $3 then 0 else 1 end,
    jsonb_build_object('render', $9::jsonb), $10::timestamptz
  from reopened r cross join task k
  where not starts_with(k.expert_open_id, 'pending:')
  on conflict (dedupe_key) do nothing
  returning id
)
select exists (select 1 from reopened) as changed,
  (select count(*) from queued)::int as queued,
  (select count(*) from audited)::int as audited,
  (select count(*) from app_moved)::int + (select count(*) from cycle_moved)::int as moved,
  (select team_name from task) as team_name,
  -- claimed, but the update found the sheet changed by another event: fail, so the claim is not kept (a text cast to
  -- int is how a plain statement raises; the subquery keeps the planner from folding it ahead of the case)
  ${failWhenNotWritten('reopened', RACED)}`;

type Outcome = { changed: boolean; queued: number; audited: number; moved: number; team_name: string | null; raced: null };

/**
 * The panel of a task's application, read by the task's id (one trip: the application is found by subquery): what
 * `getApplication` and `panelOf` (src/review/scoring.ts) read for the panel card, the cycle's score sheet left out.
 */
export async function panelOfTask(db: Db, assignmentId: number): Promise<ReopenedPanel | undefined> {
  const ofTask = db.select({ id: assignments.applicationId }).from(assignments).where(eq(assignments.id, assignmentId));
  // issued together: one round trip
  const [[row], members] = await Promise.all([
    db
      .select({ application: applications, team: teams, organization: organizations.name, cycle: { id: cycles.id, year: cycles.year, status: cycles.status, scoringDeadline: cycles.scoringDeadline, expertsPerApplication: cycles.expertsPerApplication } })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .innerJoin(organizations, eq(organizations.id, teams.organizationId))
      .where(inArray(applications.id, ofTask)),
    db
      .select({
        assignmentId: assignments.id,
        expertOpenId: assignments.expertOpenId,
        name: people.name,
        status: assignments.status,
        total: assignments.total,
        declineReason: assignments.declineReason,
      })
      .from(assignments)
      .leftJoin(people, eq(people.openId, assignments.expertOpenId))
      .where(inArray(assignments.applicationId, ofTask))
      .orderBy(asc(assignments.id)),
  ]);
  if (!row) return undefined;
  return { ...row, members: members.map((r) => ({ ...r, total: r.total === null ? null : Number(r.total) })) };
}

/** The reopen made and the panel read from what was committed; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export async function fastReopen(database: Database, event: FastReopenEvent): Promise<FastReopened | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  const { assignmentId } = event;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    assignmentId,
    [...event.bootstrapAdmins],
    event.now.toISOString(),
    taskCardKey(assignmentId),
    reopenedCardKey(assignmentId, event.eventId),
    // reopenedTaskMessage's spec (taskCardMessage)
    JSON.stringify({ kind: REVIEW_TASK_CARD, assignmentId }),
    // due at the process's time, as enqueueQuietly stamps it
    new Date().toISOString(),
    event.chatId ?? null,
  ];
  let outcome: Outcome[];
  let panel: ReopenedPanel | undefined;
  try {
    [[, , outcome], [panel]] = await pipelined<[unknown, unknown, Outcome[]], [ReopenedPanel | undefined]>(
      client,
      [
        (c) => c.unsafe(lockCycleSql, [assignmentId], { prepare: true }).execute(),
        (c) => c.unsafe(lockApplicationSql, [assignmentId], { prepare: true }).execute(),
        (c) => c.unsafe(reopenSql, params as never[], { prepare: true }).execute() as never,
      ],
      [readOn(database, (db) => panelOfTask(db, assignmentId))],
    );
  } catch (err) {
    // rolled back whole: the ordinary path finds the sheet as the other event left it
    if (raisedOnPurpose(err, RACED)) return undefined;
    throw err;
  }
  const row = outcome[0];
  if (!row?.changed) return undefined;
  // the sheet's update is made under the application's lock, on a row read after it: what it found is the row
  if (!panel || row.team_name === null) throw new Error(`reopen of assignment ${assignmentId}: committed but its panel not read back`);
  return { teamName: row.team_name, panel, queued: row.queued };
}
