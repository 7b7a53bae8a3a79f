import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { closedEarlyLeaderCard, type CutOffTeam, unconfirmedAtDeadlineContactCard, unconfirmedAtDeadlineLeaderCard } from '../cards/reminders.js';
import { unconfirmedUntold } from '../cards/strings.js';
import type { Db } from '../db/index.js';
import { applications, cycles, teams } from '../db/schema.js';
import { errorText } from './log.js';
import { type CardRenderer, type CardSpec, enqueueMany, type RenderedCard, rowsOf } from './outbox.js';

/**
 * 截止申报 with applications submitted in time but not yet confirmed by their organisation (第十五条): each contact is
 * told once of theirs, each leader once of their teams', that they take part only if confirmed before 结束评分并汇总
 * (a late 推荐 is taken until then); the administrators' answer names them. The cards are drawn when sent, so one
 * confirmed meanwhile is not mentioned. Both paths of 截止申报 (src/cycles.ts and src/fast/cycleSteps.ts) queue them
 * with the same statement, in the close's transaction.
 */

/** To an organisation contact with applications still to confirm when the applications closed: `{ cycleId, openId }`. */
export const UNCONFIRMED_CONTACT_NOTICE = 'unconfirmedAtDeadlineContact';
/**
 * To a leader of teams whose applications wait for their contact when the applications closed: `{ cycleId, openId }`
 * (one queued before a leader's teams were grouped holds `teamId` instead, for that team alone).
 */
export const UNCONFIRMED_LEADER_NOTICE = 'unconfirmedAtDeadlineLeader';

/** Teams the administrators' answer names; the rest are counted. */
const TEAMS_NAMED = 3;

/**
 * The outbox rows of the close, one per contact and one per leader (each grouped), in one INSERT … SELECT (a
 * cycle of thousands is not a loop). `cycle` and `dueAt` are SQL expressions (placeholders); `guard` an SQL condition
 * that must hold for anything to be queued (the fast path's "the cycle was closed"). Due at the process's time, as
 * `enqueueQuietly` stamps it; a person imported and not yet linked (`pending:`) has no open_id to send to.
 */
export function unconfirmedNoticesSql(cycle: string, dueAt: string, guard = 'true'): string {
  return `insert into outbox (dedupe_key, kind, receive_id_type, receiver, rate_key, msg_type, priority, card, next_attempt_at)
  select n.dedupe_key, 'send', 'open_id', n.receiver, n.receiver, 'interactive', 1, jsonb_build_object('render', n.spec), ${dueAt}
  from (
    select 'deadline-unconfirmed:' || a.cycle_id || ':contact-' || t.contact_open_id as dedupe_key, t.contact_open_id as receiver,
      jsonb_build_object('kind', '${UNCONFIRMED_CONTACT_NOTICE}', 'cycleId', a.cycle_id, 'openId', t.contact_open_id) as spec
    from applications a join teams t on t.id = a.team_id
    where a.cycle_id = ${cycle} and a.status = 'submitted'
    group by a.cycle_id, t.contact_open_id
    union all
    select 'deadline-unconfirmed:' || a.cycle_id || ':leader-' || t.leader_open_id, t.leader_open_id,
      jsonb_build_object('kind', '${UNCONFIRMED_LEADER_NOTICE}', 'cycleId', a.cycle_id, 'openId', t.leader_open_id)
    from applications a join teams t on t.id = a.team_id
    where a.cycle_id = ${cycle} and a.status = 'submitted'
    group by a.cycle_id, t.leader_open_id
  ) n
  where not starts_with(n.receiver, 'pending:') and (${guard})
  on conflict (dedupe_key) do nothing
  returning id`;
}

/** The sentence the administrators read after the year's line; %s: how many, then the teams named. */
export const unconfirmedNoteTemplate = '另有 %s 份申报仍待单位联系人确认（%s），已通知其单位联系人和班组长%s：结束评分并汇总前仍未确认的，不参加本年度评审。';

/** The contacts and the leaders of the applications still unconfirmed not yet linked to Feishu, as SQL over `cycle`: (contacts, leaders). */
const untoldCountsSql = (cycle: string) =>
  ['contact_open_id', 'leader_open_id'].map(
    (c) => `(select count(distinct t.${c})::int from applications a join teams t on t.id = a.team_id
      where a.cycle_id = ${cycle} and a.status = 'submitted' and starts_with(t.${c}, 'pending:'))`,
  );

/** `unconfirmedUntold` (cards/strings.ts) in SQL, over the counts `uc` (contacts) and `ul` (leaders). */
function unconfirmedUntoldSql(uc: string, ul: string): string {
  return `case when ${uc} = 0 and ${ul} = 0 then '' else '（其中 ' || case when ${uc} > 0 then ${uc} || ' 位单位联系人' else '' end
    || case when ${uc} > 0 and ${ul} > 0 then '、' else '' end || case when ${ul} > 0 then ${ul} || ' 位班组长' else '' end
    || '尚未关联飞书，未通知' || case when ${uc} > 0 then '；单位联系人关联后会收到待确认的申报' else '' end || '）' end`;
}

/** The contacts and leaders of the applications still unconfirmed not yet linked to Feishu, counted (评审进度 says so). */
export async function unconfirmedUntoldCounts(tx: Db, cycleId: number): Promise<{ contacts: number; leaders: number }> {
  const [contacts, leaders] = untoldCountsSql('\u0001::int');
  const [row] = rowsOf(await tx.execute(withValues(`select ${contacts} as contacts, ${leaders} as leaders`, { '\u0001': cycleId }))) as { contacts: number; leaders: number }[];
  return { contacts: Number(row?.contacts ?? 0), leaders: Number(row?.leaders ?? 0) };
}

/** The note as one SQL text expression, empty when none waits. `cycle` and `template` (the template's placeholder) are SQL expressions. */
export function unconfirmedNoteSql(cycle: string, template: string): string {
  const [uc, ul] = untoldCountsSql(cycle);
  return `(select case when u.n = 0 then '' else format(${template}, u.n, u.names || case when u.n > ${TEAMS_NAMED} then ' 等' else '' end, ${unconfirmedUntoldSql('u.uc', 'u.ul')}) end
  from (select (select count(*)::int from applications a where a.cycle_id = ${cycle} and a.status = 'submitted') as n, ${uc} as uc, ${ul} as ul,
    (select coalesce(string_agg(x.name, '、' order by x.code), '') from (
      select t.name, t.code from applications a join teams t on t.id = a.team_id
      where a.cycle_id = ${cycle} and a.status = 'submitted' order by t.code limit ${TEAMS_NAMED}) x) as names) u)`;
}

/** `unconfirmedNoteSql` in TypeScript: `n` applications waiting, the first teams by code. */
export function unconfirmedNote(n: number, names: readonly string[], untold = { contacts: 0, leaders: 0 }): string {
  if (!n) return '';
  const [count, teamsNamed, told, rest] = unconfirmedNoteTemplate.split('%s');
  return `${count}${n}${teamsNamed}${names.join('、')}${n > TEAMS_NAMED ? ' 等' : ''}${told}${unconfirmedUntold(untold.contacts, untold.leaders)}${rest}`;
}

/** The SQL text with `marks` (single characters) standing for the values, as a Drizzle query with them as parameters. */
function withValues(text: string, marks: Record<string, unknown>): SQL {
  const parts = text.split(new RegExp(`([${Object.keys(marks).join('')}])`));
  return sql.join(
    parts.map((p, i) => (i % 2 ? sql`${marks[p]}` : sql.raw(p))),
    sql``,
  );
}

/** The applications still waiting for their contact when the applications closed: how many, and the note naming them. */
export interface Unconfirmed {
  waiting: number;
  note: string;
}

/**
 * At 截止申报 (the ordinary path, in its transaction): the notices queued, and the note for the administrators' answer
 * (empty when every application submitted was confirmed).
 */
export async function noticeUnconfirmedAtDeadline(tx: Db, cycleId: number): Promise<Unconfirmed & { queued: number }> {
  const [queued, named, untold] = await Promise.all([
    tx.execute(withValues(unconfirmedNoticesSql('\u0001::int', '\u0002::timestamptz'), { '\u0001': cycleId, '\u0002': new Date().toISOString() })),
    tx
      // count(*) over () is taken before the limit: every waiting application
      .select({ name: teams.name, n: sql<number>`count(*) over ()::int` })
      .from(applications)
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(applications.cycleId, cycleId), eq(applications.status, 'submitted')))
      .orderBy(asc(teams.code))
      .limit(TEAMS_NAMED),
    unconfirmedUntoldCounts(tx, cycleId),
  ]);
  const waiting = Number(named[0]?.n ?? 0);
  return { queued: rowsOf(queued).length, waiting, note: unconfirmedNote(waiting, named.map((r) => r.name), untold) };
}

/** The applications not submitted when a 截止申报 before the deadline cut them off: how many, and the note for the administrators. */
export interface CutOff {
  count: number;
  note: string;
}

/**
 * At a 截止申报 before the announced deadline (the ordinary path, in its transaction): each leader of a team whose
 * application is still a draft, or returned and not submitted again, is told once that the applications closed early on
 * `closedOn` and theirs was not submitted; the card says what happened that day, so it is drawn now. The fast path
 * leaves such a close to this one.
 */
export async function noticeClosedEarly(tx: Db, cycle: { id: number; year: number }, closedOn: string, announced: string): Promise<CutOff> {
  const rows = await tx
    .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, state: applications.status })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycle.id), inArray(applications.status, ['draft', 'returned'])))
    .orderBy(asc(teams.code));
  if (!rows.length) return { count: 0, note: '' };
  const byLeader = new Map<string, CutOffTeam[]>();
  for (const r of rows) {
    const team: CutOffTeam = { id: r.id, name: r.name, code: r.code, state: r.state === 'returned' ? 'returned' : 'draft' };
    byLeader.set(r.leaderOpenId, [...(byLeader.get(r.leaderOpenId) ?? []), team]);
  }
  const leaders = [...byLeader.keys()];
  await enqueueMany(
    tx,
    leaders.map((openId) => ({
      dedupeKey: `closed-early:${cycle.id}:leader-${openId}`,
      to: { openId },
      card: closedEarlyLeaderCard({ year: cycle.year, closedOn, announced, teams: byLeader.get(openId) ?? [] }),
    })),
  );
  const untold = leaders.filter((id) => id.startsWith('pending:')).length;
  return { count: rows.length, note: closedEarlyNote(rows.length, untold) };
}

/** The administrators' sentence of a close before the deadline that cut off `n` applications not submitted. */
export function closedEarlyNote(n: number, untold: number): string {
  if (!n) return '';
  return `${n} 份尚未提交的申报（草稿或退回修改）随之截止，不参加本年度评审，已通知其班组长${untold ? `（其中 ${untold} 位班组长尚未关联飞书，未通知）` : ''}。`;
}

const safely = (what: string, draw: () => RenderedCard): RenderedCard => {
  try {
    return draw();
  } catch (err) {
    return { error: `${what}的卡片无法生成：${errorText(err)}` };
  }
};

const idsOf = (specs: CardSpec[], field: string) => [...new Set(specs.map((s) => Number(s[field])).filter((id) => Number.isSafeInteger(id) && id > 0))];

/** The applications still waiting for their contact in the specs' cycles, with the cycle's year and status. */
async function waiting(db: Db, cycleIds: number[], where: SQL | undefined) {
  if (!cycleIds.length) return [];
  return db
    .select({ cycleId: cycles.id, year: cycles.year, cycleStatus: cycles.status, teamId: teams.id, name: teams.name, code: teams.code, contactOpenId: teams.contactOpenId, leaderOpenId: teams.leaderOpenId })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .where(and(inArray(applications.cycleId, cycleIds), eq(applications.status, 'submitted'), where))
    .orderBy(asc(teams.code));
}

/** Once the scores are summed (the year no longer in 专家评分中), the notice comes too late to act on. */
const tooLate = (status: string) => status !== 'scoring';

/** Contacts: their teams' applications still waiting now; none left (confirmed or returned since), nothing is sent. */
export function unconfirmedContactNoticeRenderer(db: Db): CardRenderer {
  return async (specs) => {
    const openIds = [...new Set(specs.map((s) => String(s.openId)))];
    const rows = await waiting(db, idsOf(specs, 'cycleId'), inArray(teams.contactOpenId, openIds));
    return specs.map((spec): RenderedCard => {
      const theirs = rows.filter((r) => r.cycleId === Number(spec.cycleId) && r.contactOpenId === spec.openId);
      if (!theirs.length) return { drop: '截止时待确认的申报已处理，无需通知' };
      if (tooLate(theirs[0].cycleStatus)) return { drop: `${theirs[0].year}年度评分已汇总` };
      return safely('截止申报后的单位确认通知', () => ({
        card: unconfirmedAtDeadlineContactCard({ year: theirs[0].year, teams: theirs.map((r) => ({ id: r.teamId, name: r.name, code: r.code })) }),
      }));
    });
  };
}

/**
 * Leaders: their teams' applications still waiting now, the teams still theirs; none left, nothing is sent. A spec
 * with `teamId` (queued before the grouping) is of that team alone, to the leader it was queued for.
 */
export function unconfirmedLeaderNoticeRenderer(db: Db): CardRenderer {
  return async (specs, queued) => {
    const leaderOf = (spec: CardSpec, i: number) => (spec.openId !== undefined ? String(spec.openId) : queued?.[i]?.receiver);
    const openIds = [...new Set(specs.map(leaderOf).filter((id): id is string => !!id))];
    const rows = openIds.length ? await waiting(db, idsOf(specs, 'cycleId'), inArray(teams.leaderOpenId, openIds)) : [];
    return specs.map((spec, i): RenderedCard => {
      const leader = leaderOf(spec, i);
      const theirs = rows.filter((r) => r.cycleId === Number(spec.cycleId) && r.leaderOpenId === leader && (spec.teamId === undefined || r.teamId === Number(spec.teamId)));
      if (!theirs.length) return { drop: '申报已由单位确认或退回，或班组长已更换，无需通知' };
      if (tooLate(theirs[0].cycleStatus)) return { drop: `${theirs[0].year}年度评分已汇总` };
      return safely('截止申报后的班组长通知', () => ({
        card: unconfirmedAtDeadlineLeaderCard({ year: theirs[0].year, teams: theirs.map((r) => ({ id: r.teamId, name: r.name, code: r.code })) }),
      }));
    });
  };
}
