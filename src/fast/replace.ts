import { eq } from 'drizzle-orm';
import type { Database, Db } from '../../db/index.js';
import { assignments } from '../../db/schema.js';
import { fieldText, readForm } from '../forms.js';
import { type Issue, pipelined, postgresClient, readOn } from '../pipeline.js';
import { leftCompanySql } from '../review/assignment.js';
import { conflictForm, conflictTarget, teamCodesTyped } from '../review/conflicts.js';
import { conflictsOf, type DeclaredConflictView } from '../review/experts.js';
import { declineForm, tasksWithoutSheetQuery, type TaskWithoutSheet } from '../review/scoring.js';
import { REVIEW_TASK_CARD } from '../review/taskCards.js';
import { panelOfTask, type ReopenedPanel } from './reopen.js';
import { claimCte, failOnPurpose, raisedOnPurpose } from './sql.js';
import { cutText } from '../../cards/kit.js';

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
 * organisation, leader and contact, its cycle and panel size), `rp_missing` (`n`: places the panel misses), `rp_loads`, `rp_eligible`
 * and `rp_chosen` (`open_id`, `n` from 1: the experts to add, in the order `planAssignments` adds them). `application`
 * is an SQL expression of the application's id; `gone` one of an assignment the same statement takes off the panel
 * (its row still reads as active in the statement's snapshot), or `0` for none. A statement later in the same
 * transaction sees the earlier ones' writes, so several replacements in a row each see the loads the previous added.
 * `prefix` renames the CTEs (`rp_` by default) to plan twice in one statement.
 */
export function replacementPlanSql(application: string, gone: string, prefix = 'rp_'): string {
  const p = prefix;
  return `${p}app as (
  -- loadAssignmentProblem: the application with its team's organisation, leader and contact (its members are read in
  -- rp_eligible); the cycle's panel size (need: max(0, n); a negative size would leave 'missing' below 1 all the same,
  -- so the verdict holds without the greatest)
  select a.id, a.team_id, t.organization_id, t.leader_open_id, t.contact_open_id, a.cycle_id, greatest(0, c.experts_per_application) as need
  from applications a join teams t on t.id = a.team_id join cycles c on c.id = a.cycle_id
  where a.id = ${application}
),
${p}missing as (
  -- planAssignments: need − the panel's active tasks (panelSize)
  select (select need from ${p}app) - (select count(*)::int from assignments s
    where s.application_id = (select id from ${p}app) and s.status in ('assigned', 'submitted') and s.id <> ${gone}) as n
),
${p}loads as (
  -- planAssignments' load: the active tasks each expert holds in the cycle (every assignment of it is in 'existing');
  -- the task taken off is no longer active (its expert is barred from the application anyway, so their load never decides)
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
    -- eligible: isActive (not 停用, and not one who left the company: PoolExpert.left)
    and e.expert_active and not ${leftCompanySql('e.open_id')}
    -- fill's heap: only experts under their cap (a null or negative max_load is no cap; 0 takes nothing)
    and (e.max_load is null or e.max_load < 0 or coalesce(l.load, 0) < e.max_load)
    -- eligible: not of the applicant's organisation (an expert of none never is), nor leading, in or the contact of
    -- a team of it (expertPool's teamOrganizations: index probes on the expert)
    and (e.organization_id is null or e.organization_id <> x.organization_id)
    and not exists (select 1 from teams own where own.leader_open_id = e.open_id and own.organization_id = x.organization_id)
    and not exists (select 1 from teams own where own.contact_open_id = e.open_id and own.organization_id = x.organization_id)
    and not exists (select 1 from team_members om join teams own on own.id = om.team_id where om.open_id = e.open_id and own.organization_id = x.organization_id)
    -- eligible: insider (the team's own leader, a current member or its organisation contact, whatever organisation
    -- their expert record names: 第十七条, 回避)
    and e.open_id <> x.leader_open_id and e.open_id <> x.contact_open_id
    and not exists (select 1 from team_members m where m.team_id = x.team_id and m.open_id = e.open_id)
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

/** aggregatedBefore (src/cycles.ts) of the task's cycle, while it is scoring again. */
const summedBeforeSql = `(k.cycle_status = 'scoring' and exists (
      select 1 from audit_log al where al.entity = 'cycle' and al.entity_id = k.cycle_id::text and al.action = 'cycle.closeScoring'))`;

/** The task as `tasksQuery` joins it: what the checks read. */
const taskCte = `task as (
  select s.id, s.status, s.expert_open_id, s.application_id, a.team_id, tm.name as team_name, tm.code as team_code, c.status as cycle_status, c.id as cycle_id
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
 * `created[0]`, the one the audit names; each of them gets its task card.
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
 * The replacements' task cards, one each in the order they were inserted (announceReplacement → sendTaskCards →
 * ctx.send(taskCardMessage)): none to an open_id
 * still pending (enqueueQuietly); interactive when the expert is the actor themself (isInteractive, src/events.ts).
 * A row of the outbox insert's union, ordered by `n`.
 */
const taskCardRow = `select 1 + row_number() over (order by f.id) as n, 'review:task:' || f.id as dedupe_key, f.expert_open_id as receiver, 'interactive' as msg_type,
      jsonb_build_object('render', jsonb_build_object('kind', $8::text, 'assignmentId', f.id)) as card
    from added f`;

const outboxInsert = (rows: string) => `insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select x.dedupe_key, 'send', 'open_id', x.receiver, x.receiver, x.msg_type, case when x.receiver = $3 then 0 else 1 end, x.card, $7::timestamptz
  from (${rows}) x
  where not starts_with(x.receiver, 'pending:')
  order by x.n
  on conflict (dedupe_key) do nothing
  returning id`;

/** The statement's answer: what was written, the team for the toast, and the failure on purpose (`raced`) when `raced` holds. */
const outcomeSelect = (raced: string, what: string) => `select exists (select 1 from taken) as changed,
  (select count(*) from queued)::int as queued,
  (select count(*) from audited)::int as audited,
  (select count(*) from added)::int as added,
  (select team_name from task) as team_name,
  ${failOnPurpose(raced, what)}`;

/**
 * Claimed, but the task was no longer assigned under its lock, or a replacement's row was there already: fail, so the
 * claim is not kept and the ordinary path answers. (No task taken means no replacement added either, so the second
 * test alone would catch both; the first says which.)
 */
const racedSql = `exists (select 1 from claim) and (not exists (select 1 from taken) or (select count(*) from added) <> (select count(*) from rp_chosen))`;

/**
 * declineTask from its update on, for the task of the `task` CTE (with the plan's CTEs and `claim` before it), once
 * `claim` has a row: the task declined ($10 the stored reason; `go` the condition, the claim by default), the conflict recorded when `recordConflict` and $5 is
 * 'conflict' ($9 the reason typed), the replacements, the audit rows (the decline's: $5, $9) and the replacement's
 * task card. $3 the actor, $6 now, $7 the rows' due time, $8 the task card's renderer.
 */
const declineChainSql = (recordConflict: boolean, go = 'exists (select 1 from claim)') => `taken as (
  -- declineTask's update, once the event is claimed
  update assignments set status = 'declined', decline_reason = $10::text
  where id = (select id from task) and status = 'assigned' and ${go}
  returning id
),${
  recordConflict
    ? `
conflicted as (
  -- declineTask: a decline for a conflict of interest records it against the team
  insert into conflicts (expert_open_id, team_id, reason)
  select $3, k.team_id, $9::text from taken cross join task k where $5::text = 'conflict'
  returning id
),`
    : ''
}
${addedCtes},
audited as (
  -- audit() at the bot's time: the decline, then the replacement, as the ordinary path writes them
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $6::timestamptz, $3, x.action, x.entity, x.entity_id, x.details from (
    select 1 as n, 'review.decline' as action, 'assignment' as entity, k.id::text as entity_id,
      jsonb_build_object('applicationId', k.application_id, 'kind', $5::text, 'reason', $9::text) as details
    from taken cross join task k
    union all
    ${replaceAuditRow('decline')}
  ) x order by x.n
  returning id
),
queued as (
  ${outboxInsert(taskCardRow)}
)`;

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
    -- noNewExpertAfterSum: no new expert on a panel summed before (a sheet reopened after 结束评分并汇总)
    and not ${summedBeforeSql}
    -- replaceOnApplication: a replacement for every place the panel misses (else the administrators are alerted)
    and ${replacementFillsSql()},
    false) as ok
  from (select 1) one left join task k on true
),
${claimCte()},
${declineChainSql(true)}
${outcomeSelect(racedSql, RACED)}`;

/**
 * 更换专家. $1 event id, $2 event type, $3 the actor, $4 the assignment, $5 ADMIN_OPEN_IDS, $6 now (the bot's clock),
 * $7 the outbox rows' due time (the process's clock), $8 the task card's renderer, $9 the chat clicked in (null when none).
 */
const swapSql = `
with ${taskCte},
${replacementPlanSql('(select application_id from task)', '$4::int')},
verdict as (
  select coalesce(
    -- the registry's roles ['admin'] (mayUse) and requireAdmin (adminTask): the stored role or ADMIN_OPEN_IDS, as actorFrom makes the actor
    (exists (select 1 from people p where p.open_id = $3 and 'admin' = any(p.roles)) or $3 = any($5::text[]))
    -- adminTask: an administrator with a sheet of the panel still to submit is refused another expert's (第十七条, PANEL_MEMBER_REFUSAL)
    and not exists (select 1 from assignments o where o.application_id = k.application_id and o.expert_open_id = $3 and o.status = 'assigned' and o.id <> $4)
    -- swapExpert: scoringOpen
    and k.cycle_status in ('open', 'scoring')
    -- swapExpert: noNewExpertAfterSum
    and not ${summedBeforeSql}
    -- swapExpert: only a pending task (已提交 / 已不在该专家名下 otherwise)
    and k.status = 'assigned'
    -- replaceOnApplication: a replacement for every place the panel misses (else the administrators are alerted)
    and ${replacementFillsSql()}
    -- swapPanelExpert: a group's card is shared (isSharedChat: bound, or ever posted or replied in), the panel goes privately (第十七条)
    and not exists (select 1 from chat_bindings b where b.chat_id = $9::text)
    and not exists (select 1 from outbox o where o.rate_key = $9::text and (o.receive_id_type = 'chat_id' or o.kind = 'reply')),
    false) as ok
  from (select 1) one left join task k on true
),
${claimCte()},
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
${outcomeSelect(racedSql, RACED)}`;

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
  /** The chat the click came from: a bound group's is left to the ordinary path, which sends the panel privately. */
  chatId?: string;
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
    event.chatId ?? null,
  ];
  const done = await run(database, assignmentId, swapSql, params, (db) => panelOfTask(db, assignmentId));
  if (!done) return undefined;
  const [row, panel] = done;
  if (!row?.changed) return undefined;
  if (!panel || row.team_name === null) throw new Error(`swap of assignment ${assignmentId}: committed but its panel not read back`);
  return { teamName: row.team_name, panel, queued: row.queued };
}

// --- 声明利益冲突 (`experts.conflictAdd`) ---------------------------------------------------------------------------

/**
 * 声明利益冲突 in one round trip on PostgreSQL, when it succeeds and every pending task it touches (at most
 * `CONFLICT_DECLINES`) gets a replacement for every place its panel misses: `declareConflict` (src/review/experts.ts)
 * declines each touched task through `declineTask`, one after another, each replacement seeing the loads the
 * previous ones added. Here that is a fixed number of statements in one write: the people row's lock, the cycle's and
 * the touched applications' (as `declareConflict` and then each `taskUnderLocks` take them: the person, the cycle, the
 * applications in the order of their tasks), then statement A (the claim, the declaration, its audit row; no claim
 * when more tasks are touched than the statements that follow decline), then `CONFLICT_DECLINES` statements that
 * each decline and replace the next touched task still assigned (a no-op when none is left). A later statement sees
 * the earlier ones' writes. Statement A claims nothing when the first touched task's replacement would not fill its
 * panel (the administrators are to hear of it with `explainUnfilled`'s text); a later task's that would not fails its
 * statement on purpose: nothing of the write is kept, and the ordinary path answers (the ids the rolled-back inserts
 * drew from their sequences stay unused: the only trace, and only when a declaration touches two tasks or more).
 */
export const CONFLICT_DECLINES = 3;

/** $actor's tasks of `status` in cycles of `cycleStatuses`, of the team coded $target or of the organisation named $target (any spelling). */
const tasksOfTargetSql = (actor: string, kind: string, target: string, status: string, cycleStatuses: string) => `select s.id, s.application_id, a.cycle_id
  from assignments s join applications a on a.id = s.application_id join teams t on t.id = a.team_id join cycles c on c.id = a.cycle_id
  where s.expert_open_id = ${actor} and s.status = '${status}' and c.status in (${cycleStatuses})
    and case when ${kind} = 'team' then t.code = ${target} else t.organization_id = (select o.id from organizations o where o.key = organization_key(${target})) end`;

/** The pending tasks of the running cycle a declaration touches. */
const touchedSql = (actor: string, kind: string, target: string) => tasksOfTargetSql(actor, kind, target, 'assigned', `'open', 'scoring'`);

// declareConflict's lock of the person, then taskUnderLocks' of the cycle and of each touched application, in the order of the tasks.
// The person's lock is FOR NO KEY UPDATE: it still orders two declarations of one expert, and it lets a replacement
// that picks this expert take the key-share lock its foreign key needs (FOR UPDATE made the two deadlock).
const lockPersonSql = `select open_id from people where open_id = $1 for no key update`;
// every running cycle, whether or not a task is touched now: a 谢绝 or a 分配专家 batch that would give the expert a task
// of the team meanwhile goes before (and the declaration declines it) or after (and sees the declaration)
const lockRunningCyclesSql = `select id from cycles where status in ('open', 'scoring') order by id for update`;
const lockTouchedApplicationsSql = `select a.id from applications a join (${touchedSql('$1', '$2', '$3')}) x on x.application_id = a.id order by x.id for update of a`;

/**
 * Statement A. $1 event id, $2 event type, $3 the actor, $4 the kind ('team' | 'organization'), $5 the target (a team's
 * code in capitals, an organisation's name), $6 now (the bot's clock), $7 the reason, $8 how many tasks the write may decline.
 */
const declareSql = `
with target as (
  -- declareConflict: the team by its code, or the organisation by its full name however typed (findOrganization); the label the answer and the audit name it by
  select case when $4::text = 'team' then (select id from teams where code = $5::text) end as team_id,
    case when $4::text = 'organization' then (select id from organizations where key = organization_key($5::text)) end as org_id,
    case when $4::text = 'team' then (select code || ' ' || name from teams where code = $5::text) else (select name from organizations where key = organization_key($5::text)) end as label
),
touched as (${touchedSql('$3', '$4::text', '$5::text')}),
first_touched as (select min(id) as id from touched),
-- the first touched task's replacement, as the first decline statement will plan it (the declaration written here
-- bars nobody it could choose): when it cannot fill the panel, nothing is claimed nor written
${replacementPlanSql('(select application_id from assignments where id = (select id from first_touched))', '(select id from first_touched)', 'f_')},
verdict as (
  select coalesce(
    -- the registry's roles ['expert'] (mayUse) and declareConflict's hasRole(actor, 'expert'): a stored role
    exists (select 1 from people p where p.open_id = $3 and 'expert' = any(p.roles))
    -- declareConflict: 找不到编号为…的班组 / 找不到名为…的单位
    and (x.team_id is not null or x.org_id is not null)
    -- declareConflict: the same declaration made before is AlreadyDone
    and not exists (select 1 from conflicts k where k.expert_open_id = $3 and (k.team_id = x.team_id or k.organization_id = x.org_id))
    -- more touched tasks than the statements after this one decline: left to the ordinary path
    and (select count(*) from touched) <= $8::int
    -- declareConflict: sheets already submitted for the target in a year not yet published are reported to the
    -- administrators: left to the ordinary path
    and not exists (${tasksOfTargetSql('$3', '$4::text', '$5::text', 'submitted', `'open', 'scoring', 'closed'`)})
    -- declineTask → replaceOnApplication for the first touched task: a replacement for every place its panel misses
    and (not exists (select 1 from touched) or (${replacementFillsSql('f_')})),
    false) as ok
  from target x
),
${claimCte()},
declared as (
  -- declareConflict's declaration, once the event is claimed
  insert into conflicts (expert_open_id, team_id, organization_id, reason)
  select $3, x.team_id, x.org_id, $7::text from target x where exists (select 1 from claim)
  returning id
),
audited as (
  insert into audit_log (at, actor, action, entity, entity_id, details)
  select $6::timestamptz, $3, 'expert.declareConflict', 'conflict', d.id::text, jsonb_build_object('kind', $4::text, 'target', x.label, 'reason', $7::text)
  from declared d cross join target x
  returning id
)
select exists (select 1 from declared) as changed, (select label from target) as label, (select count(*) from touched)::int as touched,
  (select count(*) from audited)::int as audited`;

/** The text of the error a decline statement raises when its task cannot be declined and replaced here: nothing of the write is kept. */
const CONFLICT_RACED = 'conflict: a touched task was not declined and replaced in this write';

/**
 * Statement k of the declines. $1 event id, $2 the kind, $3 the actor, $4 the target, $5 'conflict', $6 now, $7 the
 * rows' due time, $8 the task card's renderer, $9 the decline's reason (“声明利益冲突：…”), $10 as stored (the same: declineTask's `declared`).
 */
const declineNextSql = `
with claim as (
  -- statement A's claim, made in this transaction (the row's xmin is this transaction's id): an event seen before,
  -- or one statement A refused, leaves this statement a no-op
  select e.event_id from processed_events e
  where e.event_id = $1 and e.xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text
),
task as (
  -- the next touched task still assigned (declareConflict declines them in the order of their ids)
  select s.id, s.status, s.expert_open_id, s.application_id, a.team_id, tm.name as team_name, tm.code as team_code, c.status as cycle_status, c.id as cycle_id
  from assignments s
    join applications a on a.id = s.application_id
    join teams tm on tm.id = a.team_id
    join organizations o on o.id = tm.organization_id
    join cycles c on c.id = a.cycle_id
  where s.id = (select min(x.id) from (${touchedSql('$3', '$2::text', '$4::text')}) x)
),
${replacementPlanSql('(select application_id from task)', '(select id from task)')},
${declineChainSql(false, `exists (select 1 from claim) and ${replacementFillsSql()}`)}
${outcomeSelect(`exists (select 1 from claim) and exists (select 1 from task) and (not exists (select 1 from taken) or (select count(*) from added) <> (select count(*) from rp_chosen))`, CONFLICT_RACED)}`;

/**
 * The write's last statement: with the claim made in this transaction, a touched task still assigned (one given to the
 * expert after the locks were taken: with no touched task then, no cycle was locked, and a 分配专家 batch or a
 * replacement may commit one meanwhile) fails the write on purpose, so nothing is kept and the ordinary path declares
 * and declines them all. $1 event id, $2 the actor, $3 the
 * kind, $4 the target.
 */
const declinedAllSql = `
with claim as (
  select e.event_id from processed_events e
  where e.event_id = $1 and e.xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text
)
select ${failOnPurpose(`exists (select 1 from claim) and exists (select 1 from (${touchedSql('$2', '$3::text', '$4::text')}) x)`, CONFLICT_RACED)}`;

export interface FastConflictEvent extends Omit<FastReplaceEvent, 'assignmentId'> {
  /** The conflict form as submitted (parsed here by the ordinary path's parser). */
  formValue: Record<string, unknown>;
}

export interface FastConflictDeclared {
  /** The team (“GDSZ-2026-0001 …班”) or the organisation declared. */
  label: string;
  /** Touched tasks declined, each replaced. */
  replaced: number;
  /** The expert's declarations as committed, for the form's list. */
  declared: DeclaredConflictView[];
  queued: number;
}

type Declared = { changed: boolean; label: string | null; touched: number; audited: number };

/** The declaration made, the touched tasks declined and replaced, the declarations read back; undefined (nothing kept) for the ordinary path to run, always so on PGlite. */
export async function fastDeclareConflict(database: Database, event: FastConflictEvent): Promise<FastConflictDeclared | undefined> {
  const client = postgresClient(database);
  if (!client) return undefined;
  let input: { kind: string; target: string; reason: string };
  let decline: { kind: string; reason: string };
  try {
    // declareConflict's parse, then each declineTask's of what it passes ({ kind: 'conflict', reason: declineReason }, declared)
    input = readForm(conflictForm, event.formValue);
    const max = declineForm.fields.reason.maxLength;
    const because = `声明利益冲突：${input.reason}`;
    decline = readForm(declineForm, { kind: 'conflict', reason: because.length > max ? `${cutText(because, max - 1)}…` : because });
  } catch {
    return undefined;
  }
  // declareConflict's reading of the team: one code found in what was typed, else left to it (none, or several to weigh)
  const codes = input.kind === 'team' ? teamCodesTyped(input.target) : [];
  if (input.kind === 'team' && codes.length !== 1) return undefined;
  const target = input.kind === 'team' ? codes[0] : conflictTarget(input.target);
  const now = event.now.toISOString();
  const due = new Date().toISOString();
  // declineTask's `declared`: the marked reason as it comes, not after the kind's label
  const stored = decline.reason;
  const declareParams = [event.eventId, event.eventType, event.openId, input.kind, target, now, input.reason, CONFLICT_DECLINES];
  const declineParams = [event.eventId, input.kind, event.openId, target, decline.kind, now, due, REVIEW_TASK_CARD, decline.reason, stored];
  const locks = [event.openId, input.kind, target];
  let results: unknown[];
  let declared: DeclaredConflictView[];
  try {
    const statements: Issue<unknown>[] = [
      (c) => c.unsafe(lockPersonSql, [event.openId], { prepare: true }).execute(),
      (c) => c.unsafe(lockRunningCyclesSql, [], { prepare: true }).execute(),
      (c) => c.unsafe(lockTouchedApplicationsSql, locks, { prepare: true }).execute(),
      (c) => c.unsafe(declareSql, declareParams as never[], { prepare: true }).execute(),
      ...Array.from({ length: CONFLICT_DECLINES }, (): Issue<unknown> => (c) => c.unsafe(declineNextSql, declineParams as never[], { prepare: true }).execute()),
      (c) => c.unsafe(declinedAllSql, [event.eventId, event.openId, input.kind, target], { prepare: true }).execute(),
    ];
    [results, [declared]] = await pipelined<unknown[], [DeclaredConflictView[]]>(client, statements, [readOn(database, (db) => conflictsOf(db, event.openId))]);
  } catch (err) {
    if (raisedOnPurpose(err, CONFLICT_RACED)) return undefined;
    throw err;
  }
  const [row] = results[3] as Declared[];
  if (!row?.changed || row.label === null) return undefined;
  // each decline statement that found a task declined and replaced it or failed the write, and the last statement failed
  // it when a touched task was left: every touched task is declined and replaced (a task given meanwhile is counted too)
  const declines = results.slice(4, 4 + CONFLICT_DECLINES).map((r) => (r as Outcome[])[0]);
  const replaced = declines.filter((d) => d?.changed).length;
  return { label: row.label, replaced, declared, queued: declines.reduce((n, d) => n + (d?.queued ?? 0), 0) };
}
