import { and, asc, eq, gt, inArray, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { applications, assignments, conflicts, cycles, people, teamMembers, teams } from '../../db/schema.js';
import { type ApplicationStatus, applicationMachine } from '../applications.js';
import { audit } from '../audit.js';
import { aggregatedBefore, reopenedForSheetsText } from '../cycles.js';
import { UserError } from '../errors.js';
import { isPending, PENDING_PREFIX } from '../import/people.js';
import type { Actor } from '../people.js';
import { rowsOf } from '../outbox.js';
import { requireAdmin } from '../permissions.js';

/**
 * Expert assignment (第十七条: 公开、公平、公正): each application gets N experts, never from the
 * applicant's organisation (their own, or that of a team they lead, belong to or are the contact of), never the team's own leader, member or organisation contact, never one who
 * declared a conflict, with loads as even as the caps allow.
 * The planner is a pure function, deterministic for the same input whatever its order.
 */

export interface PanelApplication {
  id: number;
  organizationId: number;
  teamId: number;
  /**
   * The team's own people (班组长, current members, 单位联系人): implicit conflicts, whatever organisation their
   * expert record names (第十七条, 回避).
   */
  insiders?: readonly string[];
}

export interface PoolExpert {
  openId: string;
  organizationId: number | null;
  /**
   * The organisations of the teams the expert leads, belongs to or is the 单位联系人 of: theirs too (第十七条, 回避;
   * RULES.md: no expert from the applicant's own organisation), whatever organisation their expert record names, often
   * none (registration never sets it) or the pool's.
   */
  teamOrganizations?: readonly number[];
  /** 评审上限; null means no limit. */
  maxLoad: number | null;
  active: boolean;
  /** Left the company (员工离职, or a send refused 230029): never given a task, as one 停用 is not (`leftCompanySql`). */
  left?: boolean;
}

/** 利益冲突: an expert against a team or a whole organisation. */
export interface DeclaredConflict {
  expertOpenId: string;
  teamId?: number | null;
  organizationId?: number | null;
}

export type AssignmentStatus = 'assigned' | 'submitted' | 'declined' | 'replaced';

export interface ExistingAssignment {
  applicationId: number;
  expertOpenId: string;
  status: AssignmentStatus | string;
}

export interface AssignmentProblem {
  /** The applications to fill (others of the cycle only count through `existing`). */
  applications: readonly PanelApplication[];
  experts: readonly PoolExpert[];
  conflicts: readonly DeclaredConflict[];
  perApplication: number;
  /** Every assignment of the cycle: kept as they are; a declined or replaced one bars that expert from that application. */
  existing: readonly ExistingAssignment[];
  /** Active assignments each expert holds on applications outside this problem (a batch of a larger cycle). */
  baseLoads?: Readonly<Record<string, number>>;
}

/** Why experts could not take an application, counted per reason. */
export interface BlockedCounts {
  inactive: number;
  /** Left the company (`PoolExpert.left`). */
  left?: number;
  sameOrganization: number;
  /** The team's own leader, a member or its organisation contact. */
  ownTeam: number;
  conflict: number;
  declined: number;
  atCapacity: number;
}

export interface UnfilledApplication {
  applicationId: number;
  missing: number;
  /** Experts on the panel (the ones available). */
  available: number;
  blocked: BlockedCounts;
  reason: string;
}

export interface AssignmentPlan {
  added: { applicationId: number; expertOpenId: string }[];
  unfilled: UnfilledApplication[];
  /** Active assignments per active expert after the plan (existing ones included). */
  loads: Record<string, number>;
  /** max − min load among active experts that could still take more (a capped expert does not count as the minimum). */
  spread: number;
}

const active = (status: string) => status === 'assigned' || status === 'submitted';

/** A binary min-heap of numbers (load × width + expert index): no objects, no comparator calls. */
class NumberHeap {
  private items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(v: number): void {
    const a = this.items;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r] < a[l] ? r : l;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** Plans the missing assignments; see AssignmentProblem. */
export function planAssignments(problem: AssignmentProblem): AssignmentPlan {
  const experts = [...problem.experts].sort((a, b) => (a.openId < b.openId ? -1 : a.openId > b.openId ? 1 : 0));
  const apps = [...problem.applications].sort((a, b) => a.id - b.id);
  const width = experts.length;
  const need = Math.max(0, Math.floor(problem.perApplication));
  const index = new Map<string, number>();
  experts.forEach((e, i) => index.set(e.openId, i));

  const org = new Float64Array(width).fill(-1);
  const cap = new Float64Array(width).fill(Infinity);
  const isActive = new Uint8Array(width);
  /** The organisations of the teams each expert leads, belongs to or is the contact of, by expert index. */
  const teamOrgs = new Map<number, Set<number>>();
  for (let i = 0; i < width; i++) {
    const e = experts[i];
    if (e.organizationId !== null) org[i] = e.organizationId;
    if (e.teamOrganizations?.length) teamOrgs.set(i, new Set(e.teamOrganizations));
    if (e.maxLoad !== null && e.maxLoad >= 0) cap[i] = e.maxLoad;
    isActive[i] = e.active && !e.left ? 1 : 0;
  }

  const conflictTeams = new Map<number, Set<number>>();
  const conflictOrgs = new Map<number, Set<number>>();
  for (const c of problem.conflicts) {
    const i = index.get(c.expertOpenId);
    if (i === undefined) continue;
    if (c.teamId != null) (conflictTeams.get(i) ?? conflictTeams.set(i, new Set()).get(i)!).add(c.teamId);
    if (c.organizationId != null) (conflictOrgs.get(i) ?? conflictOrgs.set(i, new Set()).get(i)!).add(c.organizationId);
  }

  /** The team's own people on the pool, by application id: never on its panel. */
  const insiderOf = new Map<number, Set<number>>();
  for (const app of apps) {
    for (const openId of app.insiders ?? []) {
      const i = index.get(openId);
      if (i !== undefined) (insiderOf.get(app.id) ?? insiderOf.set(app.id, new Set()).get(app.id)!).add(i);
    }
  }

  const load = new Float64Array(width);
  /** Experts with any row on an application (active, declined or replaced): never assigned to it again. */
  const barred = new Map<number, Set<number>>();
  const declinedOn = new Map<number, Set<number>>();
  const panelSize = new Map<number, number>();
  for (const a of problem.existing) {
    const i = index.get(a.expertOpenId);
    if (active(a.status)) {
      if (i !== undefined) load[i]++;
      panelSize.set(a.applicationId, (panelSize.get(a.applicationId) ?? 0) + 1);
    } else if (i !== undefined) {
      (declinedOn.get(a.applicationId) ?? declinedOn.set(a.applicationId, new Set()).get(a.applicationId)!).add(i);
    }
    if (i !== undefined) (barred.get(a.applicationId) ?? barred.set(a.applicationId, new Set()).get(a.applicationId)!).add(i);
  }

  for (const [openId, n] of Object.entries(problem.baseLoads ?? {})) {
    const i = index.get(openId);
    if (i !== undefined) load[i] += n;
  }

  const conflicted = (i: number, app: PanelApplication) =>
    (conflictTeams.get(i)?.has(app.teamId) ?? false) || (conflictOrgs.get(i)?.has(app.organizationId) ?? false);
  const insider = (i: number, app: PanelApplication) => insiderOf.get(app.id)?.has(i) ?? false;
  const teamOrg = (i: number, app: PanelApplication) => teamOrgs.get(i)?.has(app.organizationId) ?? false;
  const eligible = (i: number, app: PanelApplication) =>
    isActive[i] === 1 && org[i] !== app.organizationId && !insider(i, app) && !teamOrg(i, app) && !conflicted(i, app) && !(barred.get(app.id)?.has(i) ?? false);

  // the panel of each application in this plan, by expert index (new members only)
  const added: number[][] = apps.map(() => []);
  const have = apps.map((a) => panelSize.get(a.id) ?? 0);

  const bar = (appId: number, i: number) => (barred.get(appId) ?? barred.set(appId, new Set()).get(appId)!).add(i);

  /** Greedy: each application takes the least-loaded eligible experts (ties: the first by open_id). */
  const fill = (order: number[]) => {
    const heap = new NumberHeap();
    for (let i = 0; i < width; i++) if (isActive[i] && load[i] < cap[i]) heap.push(load[i] * width + i);
    const skipped: number[] = [];
    const chosen: number[] = [];
    for (const k of order) {
      const app = apps[k];
      const missing = need - have[k];
      if (missing <= 0) continue;
      chosen.length = 0;
      skipped.length = 0;
      while (chosen.length < missing && heap.size) {
        const key = heap.pop();
        const i = key % width;
        if (eligible(i, app)) chosen.push(i);
        else skipped.push(key);
      }
      for (const key of skipped) heap.push(key);
      for (const i of chosen) {
        load[i]++;
        have[k]++;
        added[k].push(i);
        bar(app.id, i);
        if (load[i] < cap[i]) heap.push(load[i] * width + i);
      }
    }
  };

  const all = apps.map((_, k) => k);
  fill(all);
  rebalance(apps, added, load, cap, isActive, eligible, bar, barred);
  // moving work off a capped expert may have freed room for an application still short
  const short = all.filter((k) => have[k] < need);
  if (short.length) fill(short);
  augment(apps, added, have, need, load, cap, isActive, eligible, bar, barred);

  const unfilled: UnfilledApplication[] = [];
  for (let k = 0; k < apps.length; k++) {
    const missing = need - have[k];
    if (missing <= 0) continue;
    const app = apps[k];
    const blocked: BlockedCounts = { inactive: 0, sameOrganization: 0, ownTeam: 0, conflict: 0, declined: 0, atCapacity: 0 };
    const onPanel = barred.get(app.id);
    const declined = declinedOn.get(app.id);
    let available = 0;
    // why one who left the panel must stay off it, when a rule of 第十七条 says so now (a conflict declared after the
    // assignment stepped them aside): that reason, not 已谢绝, in the order the others below are told
    const stepsAside = (i: number): keyof BlockedCounts | undefined =>
      org[i] === app.organizationId ? 'sameOrganization' : insider(i, app) ? 'ownTeam' : teamOrg(i, app) ? 'sameOrganization' : conflicted(i, app) ? 'conflict' : undefined;
    for (let i = 0; i < width; i++) {
      if (declined?.has(i)) blocked[stepsAside(i) ?? 'declined'] = (blocked[stepsAside(i) ?? 'declined'] ?? 0) + 1;
      else if (onPanel?.has(i)) available++;
      else if (experts[i].left && experts[i].active) blocked.left = (blocked.left ?? 0) + 1;
      else if (!isActive[i]) blocked.inactive++;
      else if (org[i] === app.organizationId) blocked.sameOrganization++;
      else if (insider(i, app)) blocked.ownTeam++;
      else if (teamOrg(i, app)) blocked.sameOrganization++;
      else if (conflicted(i, app)) blocked.conflict++;
      else if (load[i] >= cap[i]) blocked.atCapacity++;
    }
    unfilled.push({ applicationId: app.id, missing, available, blocked, reason: explainUnfilled(need, available, missing, blocked) });
  }

  const newPairs: { applicationId: number; expertOpenId: string }[] = [];
  for (let k = 0; k < apps.length; k++) for (const i of added[k]) newPairs.push({ applicationId: apps[k].id, expertOpenId: experts[i].openId });

  const loads: Record<string, number> = {};
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < width; i++) {
    if (!isActive[i]) continue;
    loads[experts[i].openId] = load[i];
    max = Math.max(max, load[i]);
    if (load[i] < cap[i]) min = Math.min(min, load[i]);
  }
  const spread = Number.isFinite(max) && Number.isFinite(min) ? Math.max(0, max - min) : 0;
  return { added: newPairs, unfilled, loads, spread };
}

/**
 * Moves new assignments from the most loaded experts to the least loaded one that may take them,
 * until the spread is at most one or no move is possible (constraints or caps bind).
 */
function rebalance(
  apps: readonly PanelApplication[],
  added: number[][],
  load: Float64Array,
  cap: Float64Array,
  isActive: Uint8Array,
  eligible: (i: number, app: PanelApplication) => boolean,
  bar: (appId: number, i: number) => void,
  barred: Map<number, Set<number>>,
): void {
  const width = load.length;
  // which applications each expert got in this plan, to find one to hand over
  const byExpert: number[][] = Array.from({ length: width }, () => []);
  for (let k = 0; k < added.length; k++) for (const i of added[k]) byExpert[i].push(k);
  const stuck = new Uint8Array(width);
  for (let guard = 0; guard < 1_000_000; guard++) {
    let m = -1;
    for (let i = 0; i < width; i++) {
      if (!isActive[i] || stuck[i] || load[i] >= cap[i]) continue;
      if (m === -1 || load[i] < load[m]) m = i;
    }
    if (m === -1) return;
    let top = -Infinity;
    for (let i = 0; i < width; i++) if (byExpert[i].length && load[i] > top) top = load[i];
    if (top - load[m] <= 1) return;
    let moved = false;
    // donors from the most loaded down, each offering the applications it got in this plan
    const donors: number[] = [];
    for (let i = 0; i < width; i++) if (byExpert[i].length && load[i] >= load[m] + 2) donors.push(i);
    donors.sort((a, b) => load[b] - load[a] || a - b);
    for (const d of donors) {
      const list = byExpert[d];
      for (let j = 0; j < list.length; j++) {
        const k = list[j];
        const app = apps[k];
        if (!eligible(m, app)) continue;
        list.splice(j, 1);
        const slot = added[k].indexOf(d);
        added[k][slot] = m;
        barred.get(app.id)?.delete(d);
        bar(app.id, m);
        byExpert[m].push(k);
        load[d]--;
        load[m]++;
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) stuck[m] = 1;
  }
}

/**
 * Where caps bind, the greedy pass can spend a capped expert on an application that someone else
 * could have taken. For each application still short, a capped expert that may take it hands one of
 * its new applications to an expert with room, and takes the short one: one step of an augmenting
 * path, within a work budget so a hopeless pool costs no more than the greedy pass.
 */
function augment(
  apps: readonly PanelApplication[],
  added: number[][],
  have: number[],
  need: number,
  load: Float64Array,
  cap: Float64Array,
  isActive: Uint8Array,
  eligible: (i: number, app: PanelApplication) => boolean,
  bar: (appId: number, i: number) => void,
  barred: Map<number, Set<number>>,
): void {
  const width = load.length;
  let budget = 5_000_000;
  const byExpert: number[][] = Array.from({ length: width }, () => []);
  for (let k = 0; k < added.length; k++) for (const i of added[k]) byExpert[i].push(k);
  for (let u = 0; u < apps.length && budget > 0; u++) {
    while (have[u] < need && budget > 0) {
      let done = false;
      for (let x = 0; x < width && !done && budget > 0; x++) {
        budget--;
        if (load[x] < cap[x] || !eligible(x, apps[u])) continue;
        for (let j = 0; j < byExpert[x].length && !done && budget > 0; j++) {
          const w = byExpert[x][j];
          for (let y = 0; y < width; y++) {
            budget--;
            if (y === x || !isActive[y] || load[y] >= cap[y] || !eligible(y, apps[w])) continue;
            // y takes x's place on w; x takes the short application u
            added[w][added[w].indexOf(x)] = y;
            barred.get(apps[w].id)?.delete(x);
            bar(apps[w].id, y);
            byExpert[x][j] = u;
            byExpert[y].push(w);
            added[u].push(x);
            bar(apps[u].id, x);
            load[y]++;
            have[u]++;
            done = true;
            break;
          }
        }
      }
      if (!done) break;
    }
  }
}

const reasonTexts: [keyof BlockedCounts, string][] = [
  ['sameOrganization', '与申报单位同属一家单位'],
  ['ownTeam', '是该班组的班组长、成员或单位联系人（应回避）'],
  ['conflict', '声明了利益冲突'],
  ['declined', '已谢绝或被更换出该评审任务'],
  ['atCapacity', '已达评审上限'],
  ['inactive', '已停用'],
  ['left', '已离职'],
];

/** "只有 2 位专家可用：其余 5 位与申报单位同属一家单位" */
export function explainUnfilled(need: number, available: number, missing: number, blocked: BlockedCounts): string {
  const parts = reasonTexts.filter(([key]) => (blocked[key] ?? 0) > 0).map(([key, text]) => ({ n: blocked[key] ?? 0, text }));
  const rest = parts.reduce((n, p) => n + p.n, 0);
  const head = `需要 ${need} 位，缺 ${missing} 位。`;
  if (available === 0 && rest === 0) return `${head}专家库中没有专家，请先在“专家库”中添加专家。`;
  const only = `只有 ${available} 位专家可用`;
  if (!parts.length) return `${head}${only}。`;
  if (parts.length === 1) return `${head}${only}：其余 ${rest} 位${parts[0].text}。`;
  return `${head}${only}：其余 ${rest} 位中，${parts.map((p) => `${p.n} 位${p.text}`).join('，')}。`;
}

// --- database glue ------------------------------------------------------------------------------

/** Application statuses whose panel may still be filled. */
export const fillableStatuses = ['accepted', 'scoring', 'scored'] as const;

export interface NewAssignment {
  id: number;
  applicationId: number;
  expertOpenId: string;
}


/**
 * Whether the person of `openId` (an SQL expression) is known to have left the company: Feishu's 员工离职 event
 * (`personLeft`, src/notifications.ts), or a message to them refused 230029 "User has resigned" (`personUnreachableAlert`),
 * both on record in audit_log (its action index). Someone who left does not come back: 分配专家 passes them by as it
 * passes an expert 停用. Someone outside the app's range or who stopped the bot is not: an administrator can mend either.
 * One text for the ordinary path and the one-statement ones (src/fast/jobSteps.ts, src/fast/cycleSteps.ts).
 */
export const leftCompanySql = (openId: string): string =>
  `(exists (select 1 from audit_log l where l.action = 'outbox.person_resigned' and l.details->>'receiver' = ${openId})
    or exists (select 1 from audit_log l where l.entity = 'person' and l.entity_id = ${openId} and l.action = 'contact.user_deleted'))`;

/**
 * Every expert with what assignment weighs: organisation (their own and those of the teams they lead, belong to or are
 * the contact of: three index probes an expert, teams_leader_idx, teams_contact_idx, team_members_open_id_idx), load
 * cap, whether active.
 */
function expertPool(tx: Db) {
  // named with its table: in a one-table select the builder writes a column of it bare, and team_members has an open_id too
  const expert = sql`${people}.${sql.identifier(people.openId.name)}`;
  const teamOrganizations = sql<number[]>`array(
    select own.organization_id from ${teams} as own where own.leader_open_id = ${expert}
    union select own.organization_id from ${teams} as own where own.contact_open_id = ${expert}
    union select own.organization_id from ${teamMembers} as own_member join ${teams} as own on own.id = own_member.team_id where own_member.open_id = ${expert})`;
  return tx
    .select({ openId: people.openId, organizationId: people.organizationId, teamOrganizations, maxLoad: people.maxLoad, active: people.expertActive, left: sql<boolean>`${sql.raw(leftCompanySql('people.open_id'))}` })
    .from(people)
    .where(sql`'expert' = any(${people.roles})`);
}

/**
 * The experts of the pool (not 停用) that 分配专家 passes by for having left the company (`leftCompanySql`), as a JSON
 * array of {openId, name} by open_id: one text for the ordinary path and the one-statement one (src/fast/jobSteps.ts).
 */
export const expertsWhoLeftSql = `(select coalesce(json_agg(json_build_object('openId', p.open_id, 'name', p.name) order by p.open_id), '[]'::json)
  from people p where 'expert' = any(p.roles) and p.expert_active and ${leftCompanySql('p.open_id')})`;

export interface ExpertWhoLeft {
  openId: string;
  name: string | null;
}

/** The experts of the pool 分配专家 passes by for having left the company (`expertsWhoLeftSql`). */
export async function expertsWhoLeft(tx: Db): Promise<ExpertWhoLeft[]> {
  const [row] = await tx.execute<{ left: ExpertWhoLeft[] | string }>(sql.raw(`select ${expertsWhoLeftSql} as left`)).then(rowsOf);
  const left = (row as { left: ExpertWhoLeft[] | string }).left;
  return typeof left === 'string' ? (JSON.parse(left) as ExpertWhoLeft[]) : left;
}

/**
 * 分配专家's word on the experts it passed by for having left: how many and who (five named), undefined when none.
 * `short`: names alone, for a toast; else with open_ids and what to do, for the finished card.
 */
export function expertsWhoLeftNote(left: readonly ExpertWhoLeft[], form: 'toast' | 'card' | 'message' = 'message'): string | undefined {
  if (!left.length) return undefined;
  const more = left.length > 5 ? ` 等 ${left.length} 位` : '';
  if (form === 'toast') return `已跳过 ${left.length} 位已离职的专家：${left.slice(0, 5).map((p) => p.name || p.openId).join('、')}${more}`;
  // the job's card may be a group's (分配专家 pressed on a shortage alert there), whose members need not be administrators:
  // it counts them, and the names go to the administrator who started the job (or pressed 重试: the job is then theirs)
  if (form === 'card') return `已跳过 ${left.length} 位已离职的专家，未给其分配评审任务：名单已私信发给发起（或重试）这次分配的管理员，请在“专家库”中停用。`;
  const names = left.slice(0, 5).map((p) => (p.name ? `${p.name}（${p.openId}）` : p.openId)).join('、');
  return `分配专家已跳过 ${left.length} 位已离职的专家（${names}${more}），未给其分配评审任务：请在“专家库”中停用。`;
}

/**
 * The applications to fill as the planner takes them: the team, its organisation and its own people (班组长,
 * current members, 单位联系人: implicit conflicts), in the one query.
 */
function panelApplications(tx: Db) {
  return tx
    .select({
      id: applications.id,
      teamId: applications.teamId,
      organizationId: teams.organizationId,
      insiders: sql<string[]>`array[${teams.leaderOpenId}, ${teams.contactOpenId}] || array(select ${teamMembers.openId} from ${teamMembers} where ${teamMembers.teamId} = ${teams.id})`,
    })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId));
}

/** The conflicts experts declared: with a team or a whole organisation. */
function declaredConflicts(tx: Db) {
  return tx.select({ expertOpenId: conflicts.expertOpenId, teamId: conflicts.teamId, organizationId: conflicts.organizationId }).from(conflicts);
}

/** The pool, the conflicts and every assignment of the cycle, as the planner takes them. */
export async function loadAssignmentProblem(tx: Db, cycleId: number, applicationIds?: number[]): Promise<Omit<AssignmentProblem, 'perApplication'>> {
  const appFilter = applicationIds
    ? and(eq(applications.cycleId, cycleId), inArray(applications.id, applicationIds))
    : and(eq(applications.cycleId, cycleId), inArray(applications.status, [...fillableStatuses]));
  const [apps, experts, declared, existing] = await Promise.all([
    panelApplications(tx).where(appFilter),
    expertPool(tx),
    declaredConflicts(tx),
    tx
      .select({ applicationId: assignments.applicationId, expertOpenId: assignments.expertOpenId, status: assignments.status })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .where(eq(applications.cycleId, cycleId)),
  ]);
  return { applications: apps, experts, conflicts: declared, existing };
}

/** Inserts planned assignments (in chunks) and returns them with their ids. */
export async function insertAssignments(tx: Db, pairs: { applicationId: number; expertOpenId: string }[], now: Date): Promise<NewAssignment[]> {
  const out: NewAssignment[] = [];
  for (let i = 0; i < pairs.length; i += 1000) {
    const chunk = pairs.slice(i, i + 1000).map((p) => ({ ...p, status: 'assigned', assignedAt: now }));
    const rows = await tx
      .insert(assignments)
      .values(chunk)
      .onConflictDoNothing({ target: [assignments.applicationId, assignments.expertOpenId] })
      .returning({ id: assignments.id, applicationId: assignments.applicationId, expertOpenId: assignments.expertOpenId });
    out.push(...rows);
  }
  return out;
}

/**
 * 分配专家 with no active expert in the pool. Experts imported whose mobile or e-mail is not yet in the address book
 * (a `pending:` id, src/import/linking.ts) are in the pool but cannot be given a task: the refusal counts them and
 * says how they join.
 */
export function noExpertToAssign(unlinked: number): UserError {
  if (!unlinked) return new UserError('专家库中没有可用的专家，请先在“专家库”中添加专家。', { kind: 'info' });
  return new UserError(
    `专家库中没有可用的专家：导入的 ${unlinked} 位专家尚未在飞书通讯录中找到，本人首次给机器人发消息后会自动加入专家库；也可以在“专家库”中用“添加专家”选择已在通讯录中的专家。`,
    { kind: 'info' },
  );
}

export interface AssignmentRun {
  cycle: typeof cycles.$inferSelect;
  plan: AssignmentPlan;
  created: NewAssignment[];
  applicationsConsidered: number;
}

/**
 * 分配专家: fills the panel of every accepted application of the cycle (open or scoring), keeping
 * what is assigned already. Applications that got experts move to 专家评审中.
 */
export async function assignCycle(tx: Db, actor: Actor, cycleId: number, now: Date): Promise<AssignmentRun> {
  requireAdmin(actor);
  // the cycle row lock serialises two administrators pressing 分配专家 at once
  const [cycle] = await tx.select().from(cycles).where(eq(cycles.id, cycleId)).for('update');
  if (!cycle) throw new UserError('找不到这一年度的评审，请发送“管理”查看当前状态。');
  await checkAssignable(tx, cycle);
  const problem = await loadAssignmentProblem(tx, cycleId);
  if (!problem.applications.length) throw new UserError('没有已受理的申报需要分配专家：申报须先通过“形式审查”受理。', { kind: 'info' });
  if (!problem.experts.some((e) => e.active)) throw noExpertToAssign(problem.experts.filter((e) => isPending(e.openId)).length);
  const plan = planAssignments({ ...problem, perApplication: cycle.expertsPerApplication });
  const created = await insertAssignments(tx, plan.added, now);
  await markScoring(tx, actor, [...new Set(created.map((c) => c.applicationId))], now);
  await audit(tx, {
    actor: actor.openId,
    action: 'review.assign',
    entity: 'cycle',
    entityId: cycleId,
    details: {
      perApplication: cycle.expertsPerApplication,
      applications: problem.applications.length,
      added: created.map((c) => [c.applicationId, c.expertOpenId]),
      unfilled: plan.unfilled.map((u) => ({ applicationId: u.applicationId, missing: u.missing, reason: u.reason })),
      spread: plan.spread,
    },
    at: now,
  });
  return { cycle, plan, created, applicationsConsidered: problem.applications.length };
}

export interface AssignmentBatch {
  created: NewAssignment[];
  unfilled: UnfilledApplication[];
  /** The last application of the batch; the next batch starts after it. */
  lastApplicationId: number;
  applications: number;
}

/**
 * One batch of 分配专家 for a large cycle: the next `limit` fillable applications after `afterId`, planned
 * against the loads the experts already carry in the cycle, inserted in multi-row statements, with one
 * audit row. Undefined when no application is left.
 */
export async function assignBatch(tx: Db, actor: Actor, cycle: typeof cycles.$inferSelect, afterId: number, limit: number, now: Date): Promise<AssignmentBatch | undefined> {
  const apps = await panelApplications(tx)
    .where(and(eq(applications.cycleId, cycle.id), inArray(applications.status, [...fillableStatuses]), gt(applications.id, afterId)))
    .orderBy(asc(applications.id))
    .limit(limit);
  if (!apps.length) return undefined;
  const ids = apps.map((a) => a.id);
  const [experts, declared, existing, loads] = await Promise.all([
    expertPool(tx),
    declaredConflicts(tx),
    tx
      .select({ applicationId: assignments.applicationId, expertOpenId: assignments.expertOpenId, status: assignments.status })
      .from(assignments)
      .where(inArray(assignments.applicationId, ids)),
    tx
      .select({ expertOpenId: assignments.expertOpenId, n: sql<number>`count(*)::int` })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .where(and(eq(applications.cycleId, cycle.id), inArray(assignments.status, ['assigned', 'submitted']), notInArray(assignments.applicationId, ids)))
      .groupBy(assignments.expertOpenId),
  ]);
  const baseLoads = Object.fromEntries(loads.map((l) => [l.expertOpenId, Number(l.n)]));
  const plan = planAssignments({ applications: apps, experts, conflicts: declared, existing, baseLoads, perApplication: cycle.expertsPerApplication });
  const created = await insertAssignments(tx, plan.added, now);
  await markScoring(tx, actor, [...new Set(created.map((c) => c.applicationId))], now);
  await audit(tx, {
    actor: actor.openId,
    action: 'review.assign',
    entity: 'cycle',
    entityId: cycle.id,
    details: {
      perApplication: cycle.expertsPerApplication,
      applications: ids.length,
      range: [ids[0], ids[ids.length - 1]],
      added: created.map((c) => [c.applicationId, c.expertOpenId]),
      unfilled: plan.unfilled.map((u) => ({ applicationId: u.applicationId, missing: u.missing, reason: u.reason })),
    },
    at: now,
  });
  return { created, unfilled: plan.unfilled, lastApplicationId: ids[ids.length - 1], applications: ids.length };
}

/**
 * Whether 分配专家 may run in the cycle's state: while applications are open or experts score, but not in a scoring
 * that a sheet reopened after 结束评分并汇总 brought back (第十七条): no application gets a panel, nor a summed one a
 * new place. `aggregated`: aggregatedBefore, when the caller read it already.
 */
export async function checkAssignable(tx: Db, cycle: Pick<typeof cycles.$inferSelect, 'id' | 'year' | 'status'>, aggregated?: boolean): Promise<void> {
  if (cycle.status !== 'open' && cycle.status !== 'scoring') {
    throw new UserError(`${cycle.year}年度评审已结束专家评分，不能再分配专家。`, { kind: 'info' });
  }
  if (cycle.status === 'scoring' && (aggregated ?? (await aggregatedBefore(tx, cycle.id)))) {
    throw new UserError(reopenedForSheetsText(cycle.year, '不能再分配专家'), { kind: 'info', article: 17 });
  }
}

export interface AssignmentCounts {
  apps: number;
  missing: number;
  experts: number;
  /** Experts imported and not yet linked (a `pending:` id): in the pool, never active until they message the bot. */
  unlinked?: number;
  /** Applications waiting for the formal check (待协会形式审查): experts come once it accepts them. */
  unchecked?: number;
}

/** The applications to fill, the tasks they miss (by the cycle's own panel size), the active experts and those still to be linked: one read. */
export async function assignmentCounts(tx: Db, cycleId: number): Promise<AssignmentCounts> {
  const [row] = await tx.execute<{ apps: number; missing: number; experts: number; unlinked: number; unchecked: number }>(sql`
    select
      (select count(*)::int from ${applications} a where a.cycle_id = ${cycleId} and a.status = 'recommended') as unchecked,
      (select count(*)::int from ${applications} a where a.cycle_id = ${cycleId} and a.status in ('accepted', 'scoring', 'scored')) as apps,
      (select coalesce(sum(greatest(0, (select c.experts_per_application from ${cycles} c where c.id = ${cycleId}) - (
         select count(*) from ${assignments} s where s.application_id = a.id and s.status in ('assigned', 'submitted')))), 0)::int
       from ${applications} a where a.cycle_id = ${cycleId} and a.status in ('accepted', 'scoring', 'scored')) as missing,
      (select count(*)::int from ${people} p where 'expert' = any(p.roles) and p.expert_active and not ${sql.raw(leftCompanySql('p.open_id'))}) as experts,
      (select count(*)::int from ${people} p where 'expert' = any(p.roles) and starts_with(p.open_id, ${PENDING_PREFIX})) as unlinked`).then(rowsOf);
  const r = row as { apps: number; missing: number; experts: number; unlinked: number; unchecked: number };
  return { apps: Number(r.apps), missing: Number(r.missing), experts: Number(r.experts), unlinked: Number(r.unlinked), unchecked: Number(r.unchecked) };
}

/** How many tasks 分配专家 would add, from `assignmentCounts`; refuses when there is nothing to fill or nobody to fill it. */
export function tasksToMake(counts: AssignmentCounts): number {
  if (!counts.apps) throw new UserError('没有已受理的申报需要分配专家：申报须先通过“形式审查”受理。', { kind: 'info' });
  if (!counts.experts) throw noExpertToAssign(counts.unlinked ?? 0);
  return counts.missing;
}

/** How many tasks 分配专家 would add to the cycle, and checks it can start (applications accepted, experts in the pool). */
export async function assignmentsToMake(tx: Db, cycle: typeof cycles.$inferSelect): Promise<number> {
  await checkAssignable(tx, cycle);
  return tasksToMake(await assignmentCounts(tx, cycle.id));
}

/** Applications that got a new expert are under review again (accepted, or a complete panel that grew). */
export async function markScoring(tx: Db, actor: Actor, applicationIds: number[], now: Date): Promise<void> {
  if (!applicationIds.length) return;
  const rows = await tx.select({ id: applications.id, status: applications.status }).from(applications).where(inArray(applications.id, applicationIds));
  const moving = rows.filter((r) => r.status !== 'scoring');
  for (const r of moving) applicationMachine.check('assign', r.status as ApplicationStatus, actor);
  if (!moving.length) return;
  await tx
    .update(applications)
    .set({ status: 'scoring', updatedAt: now })
    .where(inArray(applications.id, moving.map((r) => r.id)));
}

/**
 * Plans and inserts a replacement for one application (after a decline or a swap); null when nobody may take it.
 * `after` issues a read right behind the insert, in the same round trip: it sees the new rows.
 */
export async function replaceOnApplication<T = undefined>(
  tx: Db,
  cycle: typeof cycles.$inferSelect,
  applicationId: number,
  now: Date,
  after?: () => PromiseLike<T>,
): Promise<{ created?: NewAssignment; all: NewAssignment[]; unfilled?: UnfilledApplication; after: T }> {
  const problem = await loadAssignmentProblem(tx, cycle.id, [applicationId]);
  const plan = planAssignments({ ...problem, perApplication: cycle.expertsPerApplication });
  // one application's replacements are a single insert, issued before the read
  const inserted = insertAssignments(tx, plan.added, now);
  const [created, read] = await Promise.all([inserted, after?.() as T]);
  return { created: created[0], all: created, unfilled: plan.unfilled[0], after: read };
}
