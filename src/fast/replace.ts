import { eq } from 'drizzle-orm';
import type { Database, Db } from '../../db/index.js';
import { assignments } from '../../db/schema.js';
import { fieldText, readForm } from '../forms.js';
import { pipelined, postgresClient, readOn } from '../pipeline.js';
import { declineForm, tasksWithoutSheetQuery, type TaskWithoutSheet } from '../review/scoring.js';
import { REVIEW_TASK_CARD } from '../review/taskCards.js';
import { panelOfTask, type ReopenedPanel } from './reopen.js';
import { failOnPurpose, raisedOnPurpose } from './sql.js';

/**
 * 谢绝 (`review.decline`) and 更换专家 (`review.swap`) in one round trip on PostgreSQL, on the success path only: BEGIN,
 * the cycle's and the application's row locks (the ones `taskUnderLocks` takes, in its order), one statement that
 * decides and writes, COMMIT and the answer's read, in one write. The statement claims the event only when every
 * check of the ordinary path (`declineTask` / `swapExpert` in src/review/scoring.ts, the registry's roles) passes and
 * the planner would find a replacement for every place the panel misses; then it marks the task declined (recording
 * the conflict a decline of kind conflict declares) or replaced, inserts the replacement(s), writes the audit rows
 * (`review.decline` / `review.swap`, then `review.replace`) and queues the replacement's task card (drawn at send time,
 * `taskCardMessage`) and, for a swap, the text to the expert taken off. Anything else (a refusal, a second click, a
 * form that does not parse, no replacement possible or fewer than the panel misses, which the administrators hear of
 * with `explainUnfilled`'s text, a panel the step completes) writes nothing, not even the claim, and the ordinary path
 * answers as it always has. It is raw SQL because one statement must check and write at once, which the query
 * builder cannot say.
 *
 * The replacement is planned in SQL (`replacementPlanSql`): for ONE application, `planAssignments`
 * (src/review/assignment.ts) reduces to "the eligible experts with the fewest active tasks in the cycle, ties by
 * open_id, as many as the panel misses". Its rebalance and augment passes move nothing for one application: every
 * expert it could move work to is either eligible and not chosen (then at least as loaded as every chosen one, or
 * the greedy pass would have taken them: no donor is two above them) or chosen already (barred from the application);
 * augment only moves work an expert at capacity got in this plan, and such an expert was chosen for this very
 * application, so barred from it. test/db/replace.fast.test.ts compares the two on random pools.
 *
 * Locks: the cycle's, then the application's, as `taskUnderLocks` takes them, each in a statement of its own before
 * the decision, so the decision reads the rows as the last holder of those locks left them (every event that changes
 * a task or plans an assignment in the cycle takes the cycle's or the application's lock first); then the claim, the
 * task, the replacements. (The ordinary path claims the event before its locks, this one after them, as the other
 * fast paths do.)
 */

/**
 * The replacement plan of one application, as CTEs to put in a `with` list: `rp_app` (the application, its team's
 * organisation, its cycle and panel size), `rp_missing` (`n`: places the panel misses), `rp_loads`, `rp_eligible`
 * and `rp_chosen` (`open_id`, `n` from 1: the experts to add, in the order `planAssignments` adds them). `application`
 * is an SQL expression of the application's id; `gone` one of an assignment the same statement takes off the panel
 * (its row still reads as active in the statement's snapshot), or `0` for none. A statement later in the same
 * transaction sees the earlier ones' writes, so several replacements in a row each see the loads the previous added.
 * `prefix` renames the CTEs (`rp_` by default) to plan twice in one statement.
 */
export function replacementPlanSql(application: string, gone: string, prefix = 'rp_'): string {
  const p = prefix;
  return `${p}app as (
  -- loadAssignmentProblem: the application with its team's organisation; the cycle's panel size (need: max(0, n))
  select a.id, a.team_id, t.organization_id, a.cycle_id, greatest(0, c.experts_per_application) as need
  from applications a join teams t on t.id = a.team_id join cycles c on c.id = a.cycle_id
  where a.id = ${application}
),
${p}missing as (
  -- planAssignments: need − the panel's active tasks (panelSize)
  select (select need from ${p}app) - (select count(*)::int from assignments s
    where s.application_id = (select id from ${p}app) and s.status in ('assigned', 'submitted') and s.id <> ${gone}) as n
),
${p}loads as (
  -- planAssignments' load: the active tasks each expert holds in the cycle (every assignment of it is in 'existing')
  select s.expert_open_id, count(*)::int as load
  from assignments s join applications a on a.id = s.application_id
  where a.cycle_id = (select cycle_id from ${p}app) and s.status in ('assigned', 'submitted') and s.id <> ${gone}
  group by s.expert_open_id
),
${p}eligible as (
  select e.open_id, coalesce(l.load, 0) as load
  from people e cross join ${p}app x left join ${p}loads l on l.expert_open_id = e.open_id
  -- expertPool: whoever has the expert role
  where 'expert' = any(e.roles)
    -- eligible: isActive
    and e.expert_active
    -- fill's heap: only experts under their cap (a null or negative max_load is no cap; 0 takes nothing)
    and (e.max_load is null or e.max_load < 0 or coalesce(l.load, 0) < e.max_load)
    -- eligible: not of the applicant's organisation (an expert of none never is)
    and (e.organization_id is null or e.organization_id <> x.organization_id)
    -- eligible: conflicted (a declared conflict with the team or its organisation)
    and not exists (select 1 from conflicts k where k.expert_open_id = e.open_id and (k.team_id = x.team_id or k.organization_id = x.organization_id))
    -- eligible: barred (any row on this application, whatever its status, the one taken off included)
    and not exists (select 1 from assignments s where s.application_id = x.id and s.expert_open_id = e.open_id)
),
${p}chosen as (
  -- fill: the heap pops by load, then by the experts' order (sorted by open_id with JavaScript's <, which is
  -- byte order for the ASCII open_ids Feishu gives: collate "C"); the first 'missing' eligible ones are taken
  select r.open_id, r.n from (
    select e.open_id, row_number() over (order by e.load, e.open_id collate "C")::int as n from ${p}eligible e
  ) r
  where r.n <= (select n from ${p}missing)
)`;
}

/** The verdict's part about the replacement: the panel misses someone, and the planner fills every place (no `unfilled`). */
export function replacementFillsSql(prefix = 'rp_'): string {
  return `(select n from ${prefix}missing) >= 1 and (select count(*) from ${prefix}chosen) = (select n from ${prefix}missing)`;
}

/** The text of error the statement raises when the task changed under it after the claim: nothing it did is kept. */
const RACED = 'replace: the task changed after this event read it';

// taskUnderLocks (src/review/scoring.ts): the cycle, then the application, found from the task's id alone
const lockCycleSql = `select id from cycles where id in (select cycle_id from applications where id in (select application_id from assignments where id = $1)) for update`;
const lockApplicationSql = `select id from applications where id in (select application_id from assignments where id = $1) for update`;

/** The task as `tasksQuery` joins it: what the checks read. */
const taskCte = `task as (
  select s.id, s.status, s.expert_open_id, s.application_id, a.team_id, tm.name as team_name, tm.code as team_code, c.status as cycle_status
  from assignments s
    join applications a on a.id = s.application_id
    join teams tm on tm.id = a.team_id
    join organizations o on o.id = tm.organization_id
    join cycles c on c.id = a.cycle_id
  where s.id = $4
)`;

/**
 * The replacements inserted once `taken` (the task's update) has a row, in the planner's order (insertAssignments:
 * status assigned at the bot's time; ids follow that order), and the first of them: `replaceOnApplication` reports
 * `created[0]`, the one the audit names and the task card goes to.
 */
const addedCtes = `added as (
  insert into assignments (application_id, expert_open_id, status, assigned_at)
  select k.application_id, c.open_id, 'assigned', $6::timestamptz
  from rp_chosen c cross join task k
  where exists (select 1 from taken)
  order by c.n
  on conflict (application_id, expert_open_id) do nothing
  returning id, expert_open_id
),
first_added as (select id, expert_open_id from added order by id limit 1)`;

/** The replacement's audit row (replaceAndRecord), second after the decline's or swap's own. */
const replaceAuditRow = (cause: 'decline' | 'swap') => `select 2 as n, 'review.replace' as action, 'application' as entity, k.application_id::text as entity_id,
      jsonb_build_object('cause', '${cause}', 'replaced', k.expert_open_id, 'by', f.expert_open_id, 'assignmentId', f.id, 'unfilled', null) as details
    from taken cross join task k cross join first_added f`;

/**
 * The replacement's task card (announceReplacement → sendTaskCards → ctx.send(taskCardMessage)): none to an open_id
 * still pending (enqueueQuietly); interactive when the expert is the actor themself (isInteractive, src/events.ts).
 * A row of the outbox insert's union, ordered by `n`.
 */
const taskCardRow = `select 2 as n, 'review:task:' || f.id as dedupe_key, f.expert_open_id as receiver, 'interactive' as msg_type,
      jsonb_build_object('render', jsonb_build_object('kind', $8::text, 'assignmentId', f.id)) as card
    from first_added f`;

const outboxInsert = (rows: string) => `insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select x.dedupe_key, 'send', 'open_id', x.receiver, x.receiver, x.msg_type, case when x.receiver = $3 then 0 else 1 end, x.card, $7::timestamptz
  from (${rows}) x
  where not starts_with(x.receiver, 'pending:')
  order by x.n
  on conflict (dedupe_key) do nothing
  returning id`;

/** The statement's answer: what was written, the team for the toast, and the failure on purpose when raced. */
const outcomeSelect = `select exists (select 1 from taken) as changed,
  (select count(*) from queued)::int as queued,
  (select count(*) from audited)::int as audited,
  (select count(*) from added)::int as added,
  (select team_name from task) as team_name,
  -- claimed, but the task was no longer assigned under its lock, or a replacement's row was there already: fail, so
  -- the claim is not kept and the ordinary path answers
  ${failOnPurpose(`exists (select 1 from claim) and (not exists (select 1 from taken) or (select count(*) from added) <> (select count(*) from rp_chosen))`, RACED)}`;

/**
 * 谢绝. $1 event id, $2 event type, $3 the actor, $4 the assignment, $5 the decline's kind, $6 now (the bot's clock),
 * $7 the outbox rows' due time (the process's clock), $8 the task card's renderer, $9 the reason typed, $10 the
 * stored reason ("时间无法安排：…").
 */
const declineSql = `
with ${taskCte},
${replacementPlanSql('(select application_id from task)', '$4::int')},
verdict as (
  select coalesce(
    -- the registry's roles [assignedExpert] (mayUse): the persona expert, a stored role
    exists (select 1 from people p where p.open_id = $3 and 'expert' = any(p.roles))
    -- lockedTask → ownedBy: the expert's own task
    and k.expert_open_id = $3
    -- alreadyDone (and declineTask's 已提交): only a task still assigned
    and k.status = 'assigned'
    -- scoringOpen
    and k.cycle_status in ('open', 'scoring')
    -- replaceOnApplication: a replacement for every place the panel misses (else the administrators are alerted)
    and ${replacementFillsSql()},
    false) as ok
  from (select 1) one left join task k on true
),
claim as (
  insert into processed_events (event_id, event_type) select $1, $2 from verdict where ok
  on conflict do nothing
  returning event_id
),
taken as (
  -- declineTask's update, once the event is claimed
  update assignments set status = 'declined', decline_reason = $10::text
  where id = $4 and status = 'assigned' and exists (select 1 from claim)
  returning id
),
conflicted as (
  -- declineTask: a decline for a conflict of interest records it against the team
  insert into conflicts (expert_open_id, team_id, reason)
  select $3, k.team_id, $9::text from taken cross join task k where $5::text = 'conflict'
  returning id
),
${addedCtes},
audited as (
  -- audit() at the bot's time: the decline, then the replacement, as the ordinary path writes them
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $6::timestamptz, $3, x.action, x.entity, x.entity_id, x.details from (
    select 1 as n, 'review.decline' as action, 'assignment' as entity, $4::int::text as entity_id,
      jsonb_build_object('applicationId', k.application_id, 'kind', $5::text, 'reason', $9::text) as details
    from taken cross join task k
    union all
    ${replaceAuditRow('decline')}
  ) x order by x.n
  returning id
),
queued as (
  ${outboxInsert(taskCardRow)}
)
${outcomeSelect}`;

/**
 * 更换专家. $1 event id, $2 event type, $3 the actor, $4 the assignment, $5 ADMIN_OPEN_IDS, $6 now (the bot's clock),
 * $7 the outbox rows' due time (the process's clock), $8 the task card's renderer.
 */
const swapSql = `
with ${taskCte},
${replacementPlanSql('(select application_id from task)', '$4::int')},
verdict as (
  select coalesce(
    -- the registry's roles ['admin'] (mayUse) and requireAdmin (adminTask): the stored role or ADMIN_OPEN_IDS, as actorFrom makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($5::text[]))
    -- swapExpert: scoringOpen
    and k.cycle_status in ('open', 'scoring')
    -- swapExpert: only a pending task (已提交 / 已不在该专家名下 otherwise)
    and k.status = 'assigned'
    -- replaceOnApplication: a replacement for every place the panel misses (else the administrators are alerted)
    and ${replacementFillsSql()},
    false) as ok
  from (select 1) one left join task k on true
),
claim as (
  insert into processed_events (event_id, event_type) select $1, $2 from verdict where ok
  on conflict do nothing
  returning event_id
),
taken as (
  -- swapExpert's update, once the event is claimed
  update assignments set status = 'replaced'
  where id = $4 and status = 'assigned' and exists (select 1 from claim)
  returning id
),
${addedCtes},
audited as (
  -- audit() at the bot's time: the swap, then the replacement, as the ordinary path writes them
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $6::timestamptz, $3, x.action, x.entity, x.entity_id, x.details from (
    select 1 as n, 'review.swap' as action, 'assignment' as entity, $4::int::text as entity_id,
      jsonb_build_object('applicationId', k.application_id, 'expert', k.expert_open_id) as details
    from taken cross join task k
    union all
    ${replaceAuditRow('swap')}
  ) x order by x.n
  returning id
),
queued as (
  -- swapPanelExpert: first the text to the expert taken off (review:swapped:<task>), then the replacement's task card
  ${outboxInsert(`select 1 as n, 'review:swapped:' || k.id as dedupe_key, k.expert_open_id as receiver, 'text' as msg_type,
      jsonb_build_object('text', '协会已将“' || k.team_name || '（' || k.team_code || '）”的评分任务改派给其他专家，你无需再为它评分。') as card
    from taken cross join task k
    union all
    ${taskCardRow}`)}
)
${outcomeSelect}`;

type Outcome = { changed: boolean; queued: number; audited: number; added: number; team_name: string | null; raced: null };

interface FastReplaceEvent {
  eventId: string;
  eventType: string;
  openId: string;
  assignmentId: number;
  now: Date;
}

export interface FastDeclineEvent extends FastReplaceEvent {
  /** The decline form as submitted (parsed here by the ordinary path's parser). */
  formValue: Record<string, unknown>;
}

export interface FastSwapEvent extends FastReplaceEvent {
  /** ADMIN_OPEN_IDS: administrators without the stored role. */
  bootstrapAdmins: readonly string[];
}

export interface FastDeclined {
  /** The task as committed, for the declined card (`taskApplication`). */
  task: TaskWithoutSheet;
  /** The reason as stored ("时间无法安排：…"). */
  declineReason: string;
  queued: number;
}

export interface FastSwapped {
  /** The team's name, as the task names it (the toast). */
  teamName: string;
  panel: ReopenedPanel;
  queued: number;
}

/** BEGIN, the two locks, the statement, COMMIT and `read`, in one write; undefined when the statement raced (rolled back whole). */
async function run<R>(database: Database, assignmentId: number, statement: string, params: unknown[], read: (db: Db) => Promise<R>): Promise<[Outcome | undefined, R] | undefined> {
  const client = postgresClient(database)!;
  try {
    const [[, , outcome], [answer]] = await pipelined<[unknown, unknown, Outcome[]], [R]>(
      client,
      [
        (c) => c.unsafe(lockCycleSql, [assignmentId], { prepare: true }).execute(),
        (c) => c.unsafe(lockApplicationSql, [assignmentId], { prepare: true }).execute(),
        (c) => c.unsafe(statement, params as never[], { prepare: true }).execute() as never,
      ],
      [readOn(database, read)],
    );
    return [outcome[0], answer];
  } catch (err) {
    // rolled back whole: the ordinary path finds the task as the other event left it
    if (raisedOnPurpose(err, RACED)) return undefined;
    throw err;
  }
}

/** The decline made, a replacement queued and the task read back; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export async function fastDecline(database: Database, event: FastDeclineEvent): Promise<FastDeclined | undefined> {
  if (!postgresClient(database)) return undefined;
  let input: { kind: string; reason: string };
  try {
    // declineTask's parse (readForm of declineForm); a form that does not parse is the ordinary path's to refuse
    input = readForm(declineForm, event.formValue);
  } catch {
    return undefined;
  }
  const declineReason = `${fieldText(declineForm.fields.kind, input.kind)}：${input.reason}`;
  const { assignmentId } = event;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    assignmentId,
    input.kind,
    event.now.toISOString(),
    // due at the process's time, as enqueueQuietly stamps it
    new Date().toISOString(),
    REVIEW_TASK_CARD,
    input.reason,
    declineReason,
  ];
  const done = await run(database, assignmentId, declineSql, params, async (db) => (await tasksWithoutSheetQuery(db).where(eq(assignments.id, assignmentId)))[0]);
  if (!done) return undefined;
  const [row, task] = done;
  if (!row?.changed) return undefined;
  if (!task) throw new Error(`decline of assignment ${assignmentId}: committed but the task not read back`);
  return { task, declineReason, queued: row.queued };
}

/** The swap made, a replacement queued and the panel read back; undefined (nothing written) for the ordinary path to run, always so on PGlite. */
export async function fastSwap(database: Database, event: FastSwapEvent): Promise<FastSwapped | undefined> {
  if (!postgresClient(database)) return undefined;
  const { assignmentId } = event;
  const params = [
    event.eventId,
    event.eventType,
    event.openId,
    assignmentId,
    [...event.bootstrapAdmins],
    event.now.toISOString(),
    new Date().toISOString(),
    REVIEW_TASK_CARD,
  ];
  const done = await run(database, assignmentId, swapSql, params, (db) => panelOfTask(db, assignmentId));
  if (!done) return undefined;
  const [row, panel] = done;
  if (!row?.changed) return undefined;
  if (!panel || row.team_name === null) throw new Error(`swap of assignment ${assignmentId}: committed but its panel not read back`);
  return { teamName: row.team_name, panel, queued: row.queued };
}
