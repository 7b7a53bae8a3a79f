import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import { conflictAfterScoringCard, declinedPlaceText } from '../../cards/review.js';
import type { Db } from '../../db/index.js';
import { applications, assignments, cycles, organizations, teams } from '../../db/schema.js';
import { audit } from '../audit.js';
import { cite } from '../errors.js';
import { adminOutboxQuery } from '../fast/sql.js';
import type { HandlerContext } from '../handlers.js';
import { enqueueQuietly } from '../outbox.js';
import type { Actor } from '../people.js';
import type { ScoredBeforeConflict } from './experts.js';
import { declineTask, type PanelCompletion, type Replacement, type Task } from './scoring.js';
import { alertOutliers } from './outlierAlert.js';
import { announceReopeningDone } from './reopeningDone.js';
import { announceReplacement } from './taskCards.js';

/**
 * 回避 (第十七条) where teams change: the planner never gives an expert the application of a team they lead, belong to
 * or are the organisation contact of (`insider` in assignment.ts). Someone who becomes one of these while holding an
 * unsubmitted task of the team's application in a running cycle steps aside in the same transaction, as a declaration
 * of conflict with the team does it (`declareConflict`): the task is declined, the planner picks the replacement, and
 * a sheet already submitted in a year not yet published is reported to the administrators, never deleted.
 */

export type InsiderRole = 'leader' | 'member' | 'contact';

/** Someone who has just become a team's leader, member or organisation contact. */
export interface Joining {
  teamId: number;
  openId: string;
  role: InsiderRole;
}

export interface Recusal {
  openId: string;
  role: InsiderRole;
  team: { id: number; code: string; name: string };
  /** The team of the same organisation the person joined, when `team` is another of it (同属一个单位). */
  via?: { id: number; code: string; name: string };
  declined: ({ task: Task; replacement: Replacement } & PanelCompletion)[];
  scored: ScoredBeforeConflict[];
}

export const insiderRoleZh: Record<InsiderRole, string> = { leader: '班组长', member: '班组成员', contact: '单位联系人' };

/** Cycles whose tasks may still be declined and replaced (scoringOpen in scoring.ts). */
const scoringStatuses = ['open', 'scoring'] as const;
/** Cycles whose submitted sheets still count before 公布 (declareConflict's `scored`). */
const unpublishedStatuses = ['open', 'scoring', 'closed'] as const;
/** A task someone must step aside from (joined with its application and cycle): assigned in a running cycle, or a sheet submitted in a year not yet published. */
const stillToStepAsideFrom = () =>
  or(
    and(eq(assignments.status, 'assigned'), inArray(cycles.status, [...scoringStatuses])),
    and(eq(assignments.status, 'submitted'), inArray(cycles.status, [...unpublishedStatuses])),
  );

/**
 * Steps each joining person aside from the team's application (see the module's note), and from those of the other
 * teams of its organisation they hold (`via`: 同属一个单位, as the planner and the submit count them); the recusals
 * made, one per person and team with a task declined or a sheet to report. The caller has taken every running cycle
 * FIRST, before any row of its change (`lockRunningCyclesFirst`; `opts` is its word for it, and nothing here takes them:
 * taken here, after the change's rows, they deadlocked with the one-statement 注册): a 分配专家 batch that read the team
 * before this change committed before the change began, or waits and then finds the new member; the applications
 * touched are locked here (the order `declineTask` takes), so a sheet submitted meanwhile is read submitted and
 * reported instead of failing the decline.
 */
export async function recuseInsiders(
  tx: Db,
  actor: Actor,
  joining: readonly Joining[],
  now: Date,
  timezone: string,
  /** People and teams the same change has already stepped aside (an import's `recuseColleagues`): not stepped aside, reported or told again. */
  handled: readonly { openId: string; teamId: number }[] = [],
  /** The caller's word that it took the running cycles first (`lockRunningCyclesFirst`): nothing here locks them. */
  opts: CyclesLockedFirst,
): Promise<Recusal[]> {
  const done = new Set(handled.map((d) => `${d.teamId}|${d.openId}`));
  const fresh = <J extends { teamId: number; openId: string }>(list: readonly J[]) => list.filter((j) => !done.has(`${j.teamId}|${j.openId}`));
  const own = await stepAside(tx, actor, fresh(joining), now, timezone, (j) => ({ reason: `已成为该班组的${insiderRoleZh[j.role]}，须回避`, details: { role: j.role } }));
  // the cycles are locked (the caller took them first), so the organisation's tasks are read after any 分配专家 batch
  const colleagues = await stepAside(tx, actor, fresh(await colleaguesOfJoining(tx, joining)), now, timezone, (j) => ({
    reason: `已成为同单位班组“${j.via.name}”的${insiderRoleZh[j.role]}，与该班组同属一个单位，须回避`,
    details: { role: j.role, via: j.via.id },
  }));
  return [...own, ...colleagues];
}

/**
 * What a caller of `recuseInsiders` or `recuseColleagues` passes to say it took the running cycles first
 * (`lockRunningCyclesFirst`), before the organisation, the people and the team: neither takes them itself, as they did
 * for a caller that did not, last, in the order that deadlocked.
 */
export interface CyclesLockedFirst {
  cyclesLocked: true;
}

/** Someone joining a team (`via`) who holds another team of its organisation to score: that team is theirs too. */
type ColleagueJoining = Joining & { via: { id: number; code: string; name: string } };

/**
 * The organisation's other teams each joining person holds to score (第十七条; RULES.md: no expert from the applicant's
 * own organisation): the planner counts a team's leader, member or contact as of its organisation (`teamOrg` in
 * assignment.ts) and the submit refuses their sheet (`recusalReason`: 与该班组同属一个单位), so a task of a colleague team,
 * left assigned, could be neither scored nor replaced until an administrator noticed. Read under the cycles' lock.
 */
async function colleaguesOfJoining(tx: Db, joining: readonly Joining[]): Promise<ColleagueJoining[]> {
  const wanted = joining.filter((j) => !j.openId.startsWith('pending:'));
  if (!wanted.length) return [];
  const joined = await tx
    .select({ id: teams.id, organizationId: teams.organizationId, code: teams.code, name: teams.name })
    .from(teams)
    .where(inArray(teams.id, [...new Set(wanted.map((j) => j.teamId))]));
  const teamOf = new Map(joined.map((t) => [t.id, t]));
  const held = await tx
    .selectDistinct({ openId: assignments.expertOpenId, teamId: applications.teamId, organizationId: teams.organizationId })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .where(
      and(
        inArray(assignments.expertOpenId, [...new Set(wanted.map((j) => j.openId))]),
        inArray(teams.organizationId, [...new Set(joined.map((t) => t.organizationId))]),
        stillToStepAsideFrom(),
      ),
    )
    .orderBy(asc(assignments.expertOpenId), asc(applications.teamId));
  const out: ColleagueJoining[] = [];
  for (const h of held) {
    // a team the person joins themselves is stepped aside from as its insider, above
    if (wanted.some((j) => j.openId === h.openId && j.teamId === h.teamId)) continue;
    const j = wanted.find((w) => w.openId === h.openId && teamOf.get(w.teamId)?.organizationId === h.organizationId);
    if (j) out.push({ teamId: h.teamId, openId: h.openId, role: j.role, via: teamOf.get(j.teamId)! });
  }
  return out;
}

/** What one person's recusal from one team did: `recuseInsiders`' and `recuseColleagues`' work. */
interface SteppedAside {
  team: { id: number; code: string; name: string };
  declined: ({ task: Task; replacement: Replacement } & PanelCompletion)[];
  scored: ScoredBeforeConflict[];
}

/** `recuseInsiders`' work for anyone who must step aside from a team: `why` gives the decline's reason and the audit's details. */
async function stepAside<J extends { teamId: number; openId: string }>(
  tx: Db,
  actor: Actor,
  joining: readonly J[],
  now: Date,
  timezone: string,
  why: (j: J) => { reason: string; details: Record<string, unknown> },
): Promise<(J & SteppedAside)[]> {
  const wanted = dedupe(joining.filter((j) => !j.openId.startsWith('pending:')));
  if (!wanted.length) return [];
  const openIds = [...new Set(wanted.map((j) => j.openId))];
  const teamIds = [...new Set(wanted.map((j) => j.teamId))];
  const ofJoining = and(inArray(assignments.expertOpenId, openIds), inArray(applications.teamId, teamIds));
  // issued together (one round trip), in this order: the tasks are read once the applications' locks are granted. The
  // running cycles are held already (the caller's `lockRunningCyclesFirst`), so no 分配专家 batch gives a task meanwhile
  const [, touched, scored] = await Promise.all([
    tx
      .select({ id: applications.id })
      .from(applications)
      .where(
        inArray(
          applications.id,
          tx
            .select({ id: assignments.applicationId })
            .from(assignments)
            .innerJoin(applications, eq(applications.id, assignments.applicationId))
            .innerJoin(cycles, eq(cycles.id, applications.cycleId))
            .where(and(ofJoining, eq(assignments.status, 'assigned'), inArray(cycles.status, [...scoringStatuses]))),
        ),
      )
      .orderBy(asc(applications.id))
      .for('update'),
    tx
      .select({ id: assignments.id, openId: assignments.expertOpenId, teamId: applications.teamId })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(and(ofJoining, eq(assignments.status, 'assigned'), inArray(cycles.status, [...scoringStatuses])))
      .orderBy(asc(assignments.id)),
    tx
      .select({ openId: assignments.expertOpenId, teamId: applications.teamId, applicationId: applications.id, year: cycles.year, code: teams.code, team: teams.name, total: assignments.total })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .innerJoin(cycles, eq(cycles.id, applications.cycleId))
      .where(and(ofJoining, eq(assignments.status, 'submitted'), inArray(cycles.status, [...unpublishedStatuses])))
      .orderBy(asc(cycles.year), asc(assignments.id)),
  ]);
  const mine = (j: J) => (r: { openId: string; teamId: number }) => r.openId === j.openId && r.teamId === j.teamId;
  const concerned = wanted.filter((j) => touched.some(mine(j)) || scored.some(mine(j)));
  if (!concerned.length) return [];
  const out: (J & SteppedAside)[] = [];
  for (const j of concerned) {
    const { reason, details } = why(j);
    // the expert steps aside as when they declare the conflict themselves: their decline, the planner's replacement
    const expert: Actor = { openId: j.openId, name: null, roles: ['expert'] };
    const declined = [];
    for (const t of touched.filter(mine(j))) {
      declined.push(await declineTask(tx, expert, t.id, { kind: 'conflict', reason }, now, timezone, { recordConflict: false, recusal: true }));
    }
    const sheets = scored.filter(mine(j)).map(({ applicationId, year, code, team: teamName, total }) => ({ applicationId, year, code, team: teamName, total }));
    // the team as the declined task read it, else as the sheets name it
    const team = declined[0] ? { id: j.teamId, code: declined[0].task.team.code, name: declined[0].task.team.name } : { id: j.teamId, code: sheets[0].code, name: sheets[0].team };
    await audit(tx, {
      actor: actor.openId,
      action: 'review.recuse',
      entity: 'team',
      entityId: j.teamId,
      details: { expert: j.openId, ...details, declined: declined.map((d) => d.task.assignment.id), scored: sheets.map((s) => s.applicationId) },
      at: now,
    });
    out.push({ ...j, team, declined, scored: sheets });
  }
  return out;
}

/** The running cycles' rows, locked in `mode`, in the order of their ids. */
const lockRunningCycles = (tx: Db, mode: 'share' | 'no key update') =>
  tx.select({ id: cycles.id }).from(cycles).where(inArray(cycles.status, [...scoringStatuses])).orderBy(asc(cycles.id)).for(mode);

/**
 * The first task any of `openIds` holds to step aside from: assigned in a running cycle, or a sheet submitted in a year
 * not yet published (what `stepAside` reads); of a team of the organisation named `organization` (by its key) when
 * given. A query not yet sent: in a `Promise.all` it goes out in its place, after the locks before it (an async
 * function's query would go out as the array is built, ahead of them, and read before they were granted).
 */
const tasksHeld = (tx: Db, openIds: readonly string[], organization?: string, contactOf?: number) =>
  tx
    .select({ one: sql<number>`1` })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(
      and(
        inArray(assignments.expertOpenId, [...openIds]),
        organization === undefined ? undefined : sql`${organizations.key} = organization_key(${organization})`,
        // a team's contact steps aside within the team's organisation only (its teams' applications): a task elsewhere
        // asks no stronger lock of every 修改资料 (which names the contact with every save, changed or not)
        contactOf === undefined ? undefined : sql`${organizations.id} = (select t.organization_id from ${teams} t where t.id = ${contactOf})`,
        stillToStepAsideFrom(),
      ),
    )
    .limit(1);

/**
 * Every change that may step someone aside (注册, an import batch, 修改资料's new contact, 添加成员, a linking) takes the
 * running cycles' lock FIRST, before the organisation, the people, the team's row and the year's code serial (cycle →
 * organisation → people → team → code), the order 注册's and 添加成员's one statements take them in (src/fast/register.ts,
 * src/fast/teams.ts: the cycles for share, then the rest). Taken last, as `recuseInsiders` once took them itself, a
 * change holding a person's row (or the year's serial) waited on the cycle held for share by a one-statement 注册 that
 * waited on that row: a deadlock, and PostgreSQL aborted one.
 * The mode is the weakest that suffices: for share when nobody named holds a task to step aside from (it waits for,
 * and holds off, a 分配专家 batch or a replacement, which take the cycles for update, yet neither another such change
 * nor the one statements); for no key update only when someone does (`declineTask` then replaces them, one such change
 * at a time). The check is read under the share lock, taken inside a savepoint: when it finds a task, the savepoint is
 * rolled back, which lets the share lock go, before the stronger lock is asked for. Upgrading in place, two changes that
 * both found one (a batch that committed just before) each waited for the other's share lock, and PostgreSQL aborted one.
 * Nothing else is locked by then. One round trip when nobody holds a task, two when someone does. `contactOf`: the people
 * are named as that team's contact (修改资料), so only their tasks in its organisation count.
 * Pass `{ cyclesLocked: true }` to `recuseInsiders` and `recuseColleagues` afterwards: they take no cycle themselves.
 */
export async function lockRunningCyclesFirst(tx: Db, openIds: readonly string[], organization?: string, contactOf?: number): Promise<void> {
  const wanted = [...new Set(openIds.filter((id) => !id.startsWith('pending:')))];
  if (!wanted.length) {
    await lockRunningCycles(tx, 'share');
    return;
  }
  // issued together (one round trip), in this order: the check runs once the share lock is granted. The savepoint is
  // left open when nothing is found (the transaction's COMMIT ends it)
  const [, , held] = await Promise.all([tx.execute(sql`savepoint cycles_first`), lockRunningCycles(tx, 'share'), tasksHeld(tx, wanted, organization, contactOf)]);
  if (!held.length) return;
  await Promise.all([tx.execute(sql`rollback to savepoint cycles_first`), lockRunningCycles(tx, 'no key update')]);
}

/** One entry per person and team (a role named twice keeps the first: 班组长 before 成员 as the callers list them). */
function dedupe<J extends { teamId: number; openId: string }>(joining: readonly J[]): J[] {
  const seen = new Set<string>();
  return joining.filter((j) => {
    const key = `${j.teamId}|${j.openId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where recusals are told: a handler's context, or the outbox of a transaction without one (`outboxNotices`). */
export type NoticeSink = Pick<HandlerContext, 'tx' | 'send' | 'sendToAdmins'>;

/** The outbox of `tx` as a `NoticeSink`: for an import batch or a linking, which run outside an event's handler. */
export function outboxNotices(tx: Db, bootstrapAdmins: readonly string[]): NoticeSink {
  return {
    tx,
    send: (message) => enqueueQuietly(tx, message),
    sendToAdmins: async (message) => {
      await tx.execute(adminOutboxQuery(message, bootstrapAdmins));
    },
  };
}

/**
 * Tells what the recusals did: each new expert gets the task card, the administrators hear of a place nobody can take,
 * of a panel that completed with outliers and of sheets already submitted, and the person who stepped aside gets one
 * message saying why.
 */
export async function announceRecusals(sink: NoticeSink, recusals: readonly Recusal[]): Promise<void> {
  for (const r of recusals) {
    const role = insiderRoleZh[r.role];
    const cause = r.via ? `原评审专家已成为同单位班组的${role}，与该班组同属一个单位，须回避` : `原评审专家已成为该班组的${role}，须回避`;
    for (const d of r.declined) {
      await announceReplacement(sink, d.task, d.replacement, cause);
      // a place nobody takes may leave the panel with no task pending: it completed, and its outliers are told
      await alertOutliers(sink, d.task, d);
      await announceReopeningDone(sink, d.task, d);
    }
    if (r.scored.length) {
      await sink.sendToAdmins({
        dedupeKey: `review:recusedScored:${r.team.id}:${r.openId}:${r.scored.map((s) => s.applicationId).join(',')}`,
        card: r.via
          ? conflictAfterScoringCard({ expertOpenId: r.openId, label: `${r.via.code} ${r.via.name}`, reason: `${role}（与下列班组同属一个单位）`, scored: r.scored, recused: true })
          : conflictAfterScoringCard({ expertOpenId: r.openId, label: `${r.team.code} ${r.team.name}`, reason: role, scored: r.scored, recused: true }),
      });
    }
    const first = r.declined[0]?.task.assignment.id ?? `scored-${r.scored[0].applicationId}`;
    await sink.send({ dedupeKey: `review:recused:${r.team.id}:${r.openId}:${first}`, to: { openId: r.openId }, text: recusalText(r) });
  }
}

/** The message to the person who stepped aside. */
export function recusalText(r: Pick<Recusal, 'role' | 'team' | 'via' | 'declined' | 'scored'>): string {
  const handed = r.declined.length ? handedText(r.declined, '该班组申报的', '它') : '';
  const reported = r.scored.length ? `你此前已提交的 ${r.scored.length} 份该班组评分已报协会管理员处理。` : '';
  if (r.via) {
    return cite(17, `评审坚持公开、公平和公正原则。你已成为“${r.via.name}（${r.via.code}）”的${insiderRoleZh[r.role]}，与“${r.team.name}（${r.team.code}）”同属一个单位，须回避该班组的评审：${handed}${reported}`);
  }
  return cite(17, `评审坚持公开、公平和公正原则。你已成为“${r.team.name}（${r.team.code}）”的${insiderRoleZh[r.role]}，须回避该班组的评审：${handed}${reported}`);
}

/** What became of a declined task's place (`declinedPlaceText`): another expert took every place the panel missed, one came and it is still short, the panel needed nobody, or nobody could take it. */
const placeOf = ({ replacement: { created, unfilled } }: { replacement: Replacement }) => ({ arranged: !!created && !unfilled, partly: !!created && !!unfilled, unneeded: !created && !unfilled });

/**
 * What the person who stepped aside is told of their unsubmitted tasks: 已改派其他专家 only when another expert took
 * each place; else what became of it, as a 谢绝 is told (`declinedPlaceText`): nobody could take it and the
 * administrators were told (they are: `announceReplacement`'s 无法自动改派专家), or the panel needed nobody.
 */
function handedText(declined: readonly { replacement: Replacement }[], which: string, it: string): string {
  const n = declined.length;
  const places = declined.map((d) => declinedPlaceText(placeOf(d)));
  if (places.every((p) => p === '协会已另行安排其他专家评审。')) return `你尚未提交的 ${n} 项${which}评分任务已改派其他专家，你无需再为${it}评分。`;
  const kinds = [...new Set(places)];
  const what = kinds.length === 1 ? kinds[0] : `其中${kinds.map((k) => `${places.filter((p) => p === k).length} 项${k.replace(/。$/, '')}`).join('；')}。`;
  return `你尚未提交的 ${n} 项${which}评分任务已不再由你评审，你无需再为${it}评分；${what}`;
}

/**
 * 回避 (第十七条) where an expert's organisation changes: the planner never gives an expert the application of a team of
 * their own organisation (`org[i] !== app.organizationId` in assignment.ts). 添加专家 naming another 所在单位 for
 * someone already in the pool makes the teams of the new organisation theirs: their unsubmitted tasks of those teams in
 * a running cycle are declined and replaced, and sheets submitted in a year not yet published are reported, as for a
 * new member (`recuseInsiders`).
 */

/** The organisation someone has just been moved into (添加专家): the teams of it are no longer theirs to score. */
export interface NewOrganization {
  id: number;
  name: string;
}

/** One person's recusal from one team of the organisation they were moved into. */
export interface ColleagueRecusal extends SteppedAside {
  openId: string;
  organization: NewOrganization;
}

/** Why the expert's task of the team was declined (the decline's reason; the replacement's cause adds 原评审专家). */
export const sameOrganizationReason = (organization: string) => `所在单位已改为“${organization}”，与该班组同属一个单位，须回避`;

/**
 * Steps each person moved into `organization` aside from its teams' applications (see the note above), in the
 * transaction that moved them: the recusals made, one per person and team with a task declined or a sheet to report.
 * The running cycles are held before the teams are read (the caller's `lockRunningCyclesFirst`, as for `recuseInsiders`):
 * a 分配专家 batch that read the person's old organisation committed its tasks first, and they are found here.
 */
export async function recuseColleagues(
  tx: Db,
  actor: Actor,
  openIds: readonly string[],
  organization: NewOrganization,
  now: Date,
  timezone: string,
  /** The caller's word that it took the running cycles first (`lockRunningCyclesFirst`): nothing here locks them. */
  opts: CyclesLockedFirst,
): Promise<ColleagueRecusal[]> {
  const wanted = [...new Set(openIds.filter((id) => !id.startsWith('pending:')))];
  if (!wanted.length) return [];
  // read under the cycles' lock the caller took first: after any 分配专家 batch that read the old organisation
  const held = await tx
    .selectDistinct({ openId: assignments.expertOpenId, teamId: applications.teamId })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .where(
      and(
        inArray(assignments.expertOpenId, wanted),
        eq(teams.organizationId, organization.id),
        stillToStepAsideFrom(),
      ),
    )
    .orderBy(asc(assignments.expertOpenId), asc(applications.teamId));
  if (!held.length) return [];
  return stepAside(tx, actor, held.map((h) => ({ ...h, organization })), now, timezone, (j) => ({
    reason: sameOrganizationReason(j.organization.name),
    details: { organization: j.organization.name },
  }));
}

/**
 * Tells what `recuseColleagues` did: each new expert gets the task card, the administrators hear of a place nobody can
 * take, of a panel that completed with outliers and, once per person, of the sheets already submitted; each person who stepped aside gets one message saying why.
 */
export async function announceColleagueRecusals(sink: NoticeSink, recusals: readonly ColleagueRecusal[]): Promise<void> {
  for (const r of recusals) {
    for (const d of r.declined) {
      await announceReplacement(sink, d.task, d.replacement, `原评审专家${sameOrganizationReason(r.organization.name)}`);
      // a place nobody takes may leave the panel with no task pending: it completed, and its outliers are told
      await alertOutliers(sink, d.task, d);
      await announceReopeningDone(sink, d.task, d);
    }
  }
  for (const openId of [...new Set(recusals.map((r) => r.openId))]) {
    const mine = recusals.filter((r) => r.openId === openId);
    const { organization } = mine[0];
    const scored = mine.flatMap((r) => r.scored);
    if (scored.length) {
      await sink.sendToAdmins({
        dedupeKey: `review:recusedScored:org${organization.id}:${openId}:${scored.map((s) => s.applicationId).join(',')}`,
        card: conflictAfterScoringCard({ expertOpenId: openId, label: organization.name, reason: '所在单位', scored, recused: 'organization' }),
      });
    }
    const first = mine.flatMap((r) => r.declined)[0]?.task.assignment.id ?? `scored-${scored[0].applicationId}`;
    await sink.send({ dedupeKey: `review:recused:org${organization.id}:${openId}:${first}`, to: { openId }, text: colleagueRecusalText(mine) });
  }
}

/** The one message to a person who stepped aside from the teams of their new organisation. */
export function colleagueRecusalText(mine: readonly Pick<ColleagueRecusal, 'organization' | 'team' | 'declined' | 'scored'>[]): string {
  const names = mine.map((r) => `“${r.team.name}（${r.team.code}）”`).join('、');
  const declined = mine.reduce((n, r) => n + r.declined.length, 0);
  const scored = mine.reduce((n, r) => n + r.scored.length, 0);
  const handed = declined ? handedText(mine.flatMap((r) => r.declined), '相关', '其') : '';
  const reported = scored ? `你此前已提交的 ${scored} 份相关评分已报协会管理员处理。` : '';
  const these = mine.length > 1 ? '这些班组' : '该班组';
  return cite(17, `评审坚持公开、公平和公正原则。你的所在单位已改为“${mine[0].organization.name}”，与${names}同属一个单位，须回避${these}的评审：${handed}${reported}`);
}
