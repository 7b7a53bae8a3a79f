import { and, asc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { applyDeadlineCard, applyDeadlineContactCard, applyOpenCard, type OpenNoticeTeam, applyDeadlineLeaderCard, type LeaderReminderTeam, reviewMeetingCard, type ReminderTeam, scoringDeadlineCard, scoringDeadlineGroupCard } from '../../cards/reminders.js';
import type { Db } from '../../db/index.js';
import { applications, assignments, cycles, honours, teams } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { runningStatuses } from '../cycles.js';
import { daysBetween, formatDateZh, todayIn } from '../dates.js';
import { barEndingAfter, barEndText, oneYearAfter } from '../applications.js';
import { submitFromLine } from '../../cards/strings.js';
import { revocationBarDays } from '../policy.js';
import { boundFor, type ChatPurpose } from '../groups.js';
import type { CardRenderer, CardSpec, OutboxRow, RenderedCard } from '../outbox.js';
import { errorText } from '../log.js';
import { mustRecuseSql } from '../review/scoring.js';
import { codesOf, scoringLeftOf, type ScoringLeftOfCycle } from '../review/results.js';

/**
 * Reminder cards drawn when they are sent. A period's job decides whom to remind when it is claimed and
 * queues `{ kind, cycleId, … }` per person; the card is drawn from the state at the moment it goes out, so a
 * reminder no longer true (the application was submitted, confirmed or scored meanwhile) is dropped with the
 * reason instead of sent. The days left are counted then too, from the cycle's date as it is now to the day
 * of sending in the bot's timezone: a date changed after the claim is shown with its own count. A changed
 * date alone drops nothing: the period is claimed once a year under its offset (`apply-deadline:2027:T-3`),
 * so a reminder dropped for a moved date would not come again at the new date's offset.
 *
 * The receiver was fixed when the row was queued. A leader's reminder is about the team and goes to its leader: one
 * whose team has another leader by then is dropped (the outbox cannot send a row elsewhere). A contact's and an
 * expert's are about what is theirs when sent, so a team given another contact, or a task given another expert, is
 * no longer on it; with nothing left, the reason says why.
 */

/**
 * A person's application-deadline reminder, one a period whatever they have to do: `{ cycleId, openId, teamIds,
 * contact }`, the eligible teams they lead with no application, a draft or a returned one, and (`contact`) the
 * applications waiting for their confirmation as a contact.
 */
export const APPLY_REMINDER = 'applyReminder';
/**
 * To a leader when a year's applications open, once a cycle: `{ cycleId, openId, teamIds }`, each active team they
 * lead with no application, a draft or a returned one (a year old by the deadline or not yet).
 */
export const APPLY_OPEN_NOTICE = 'applyOpenNotice';
/** Before there was one card a person: to a leader whose team has no application, a draft or a returned one: `{ cycleId, teamId }`. */
export const LEADER_APPLY_REMINDER = 'applyReminderLeader';
/** Before there was one card a person: to a contact with submitted applications to confirm: `{ cycleId, openId }`. */
export const CONTACT_APPLY_REMINDER = 'applyReminderContact';
/** To an expert with tasks still to score: `{ cycleId, openId }`. */
export const SCORING_REMINDER = 'scoringReminder';
/** To a group bound for the experts: the sheets still to score in the cycle, counted when sent: `{ cycleId }`. */
export const SCORING_GROUP_REMINDER = 'scoringGroupReminder';
/** 第十九条, the review meeting ahead: to the admin group(s) `{ cycleId, audience: 'admin' }`, to an accepted applicant's leader `{ cycleId, audience: 'applicant', teamIds }` (each team they lead; `teamId`, one, as queued before). */
export const REVIEW_MEETING_REMINDER = 'reviewMeetingReminder';

/** Application states before the association accepted it: their teams are not yet "accepted applicants". */
export const notYetAccepted = ['draft', 'submitted', 'returned', 'recommended', 'rejected'];

/** What the reminder renderers count days with: the bot's timezone and clock (the day a card is sent). */
export interface SendDay {
  timezone: string;
  clock: Clock;
}

/** The day a batch is drawn, in the bot's timezone; the days left run from it (rows queued before carry a `daysLeft` that is not read). */
const dayOfSending = (day: SendDay) => todayIn(day.timezone, day.clock.now());

/** The team's latest title revoked (第二十二条), read beside it: whose bar may hold its 提交 back. */
const latestRevokedAt = sql<Date | null>`(select max(${honours.revokedAt}) from ${honours} where ${honours.teamId} = ${teams.id})`.mapWith(honours.revokedAt);

/** A team's bar that ends after the card is drawn (by the deadline: one past it keeps the team off the list), as the card says it. */
const submitFrom = (revokedAt: Date | null, cycle: CycleRow, day: SendDay): { submitFrom?: string } => {
  const end = revokedAt ? barEndingAfter(revokedAt, cycle, day.clock.now(), day.timezone) : undefined;
  return end ? { submitFrom: submitFromLine(barEndText(end, day.timezone), revocationBarDays(cycle)) } : {};
};

const APPLICATION_STATUS_ZH: Record<string, string> = {
  submitted: '已提交，等待单位确认',
  recommended: '已经单位确认',
  rejected: '未获单位推荐',
  accepted: '已受理',
  scoring: '已进入评审',
  scored: '已进入评审',
  decided: '已评定',
};

type CycleRow = typeof cycles.$inferSelect;

async function cyclesOf(db: Db, specs: CardSpec[]): Promise<Map<number, CycleRow>> {
  const ids = [...new Set(specs.map((s) => Number(s.cycleId)).filter((id) => Number.isSafeInteger(id) && id > 0))];
  if (!ids.length) return new Map();
  return new Map((await db.select().from(cycles).where(inArray(cycles.id, ids))).map((c) => [c.id, c]));
}

/** An application reminder sent after the deadline (the cycle not yet moved to scoring) would be untrue. */
const deadlinePassed = (cycle: CycleRow) => `${cycle.year}年度申报已于 ${formatDateZh(cycle.applicationDeadline)} 截止`;

/** The spec's cycle while it still takes applications on the day of sending, with the days left; else why the card is dropped. */
function takingApplications(byCycle: Map<number, CycleRow>, spec: CardSpec, today: string): { cycle: CycleRow; daysLeft: number } | { drop: string } {
  const cycle = byCycle.get(Number(spec.cycleId));
  if (!cycle) return { drop: `年度评审 ${String(spec.cycleId)} 已不存在` };
  if (cycle.status !== 'open') return { drop: `${cycle.year}年度申报已截止` };
  const daysLeft = daysBetween(today, cycle.applicationDeadline);
  if (daysLeft < 0) return { drop: deadlinePassed(cycle) };
  return { cycle, daysLeft };
}

/** The open_id row `i` goes to, when the dispatcher gave the rows (it always does). */
const receiverOf = (rows: readonly OutboxRow[] | undefined, i: number) => (rows?.[i]?.receiveIdType === 'open_id' ? rows[i].receiver : undefined);

/** The chat row `i` goes to (a group's reminder), when the dispatcher gave the rows. */
const chatOf = (rows: readonly OutboxRow[] | undefined, i: number) => (rows?.[i]?.receiveIdType === 'chat_id' ? rows[i].receiver : undefined);

/**
 * For each row to a group, whether the group is still bound for the purpose (解绑 drops what it had queued, but a
 * period claimed before may be queued after, or drawn as the group is unbound): a group's reminder to a group no
 * longer bound is dropped with this reason.
 */
async function unboundGroups(db: Db, rows: readonly OutboxRow[] | undefined, count: number, purpose: ChatPurpose): Promise<(string | undefined)[]> {
  const chats = Array.from({ length: count }, (_, i) => chatOf(rows, i));
  const bound = await boundFor(db, chats.filter((c): c is string => c !== undefined), purpose);
  const what = purpose === 'experts' ? '评审专家通知群' : '协会管理通知群';
  return chats.map((c) => (c !== undefined && !bound.has(c) ? `该群已解绑${what}，不再发送` : undefined));
}

/** A team's reminder queued for its leader, and the team led by someone else when it is sent. */
const leaderChanged = (team: { name: string; code: string; leaderOpenId: string }, receiver: string | undefined, what: string) =>
  receiver !== undefined && receiver !== team.leaderOpenId ? { drop: `${team.name}（${team.code}）的班组长已更换，${what}不再发给原班组长` } : undefined;

const safely = (what: string, draw: () => RenderedCard): RenderedCard => {
  try {
    return draw();
  } catch (err) {
    return { error: `${what}的卡片无法生成：${errorText(err)}` };
  }
};

/** Leaders: the team's application as it is now; one submitted (or further) since the claim is not reminded. */
export function leaderApplyReminderRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs, queued) => {
    const byCycle = await cyclesOf(db, specs);
    const teamIds = [...new Set(specs.map((s) => Number(s.teamId)).filter((id) => Number.isSafeInteger(id) && id > 0))];
    const rows = teamIds.length
      ? await db
          .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, teamStatus: teams.status, cycleId: applications.cycleId, status: applications.status })
          .from(teams)
          .leftJoin(applications, and(eq(applications.teamId, teams.id), inArray(applications.cycleId, [...byCycle.keys(), 0])))
          .where(inArray(teams.id, teamIds))
      : [];
    const today = dayOfSending(day);
    return specs.map((spec, i): RenderedCard => {
      const cycle = byCycle.get(Number(spec.cycleId));
      const teamRows = rows.filter((r) => r.id === Number(spec.teamId));
      if (!cycle || !teamRows.length) return { drop: `班组 ${String(spec.teamId)} 或其年度评审已不存在` };
      const team = teamRows[0];
      if (cycle.status !== 'open') return { drop: `${cycle.year}年度申报已截止` };
      const daysLeft = daysBetween(today, cycle.applicationDeadline);
      if (daysLeft < 0) return { drop: deadlinePassed(cycle) };
      if (team.teamStatus !== 'active') return { drop: `${team.name}（${team.code}）已不是在册班组` };
      const changed = leaderChanged(team, receiverOf(queued, i), '申报提醒');
      if (changed) return changed;
      const status = teamRows.find((r) => r.cycleId === cycle.id)?.status ?? null;
      if (status !== null && status !== 'draft' && status !== 'returned') return { drop: `${team.name}（${team.code}）的申报${APPLICATION_STATUS_ZH[status] ?? status}，无需提醒` };
      const state = status === 'draft' ? 'draft' : status === 'returned' ? 'returned' : 'none';
      return safely(`${team.name}的申报提醒`, () => ({
        card: applyDeadlineLeaderCard({ year: cycle.year, deadline: cycle.applicationDeadline, daysLeft, team: { id: team.id, name: team.name, code: team.code }, state }),
      }));
    });
  };
}

/** The ids listed in a spec's field (an array of ids, or one id). */
const idsOf = (v: unknown): number[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(Number).filter((id) => Number.isSafeInteger(id) && id > 0);

/**
 * A person's reminder: of the teams listed, those they still lead whose application is still missing, a draft or
 * returned; if they were listed as a contact, the applications of their teams still waiting for them. Nothing left, no
 * reminder, and the reason says why for each.
 */
export function applyReminderRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs) => {
    const byCycle = await cyclesOf(db, specs);
    const cycleIds = [...byCycle.keys()];
    const teamIds = [...new Set(specs.flatMap((s) => idsOf(s.teamIds)))];
    const led = teamIds.length
      ? await db
          .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, teamStatus: teams.status, revokedAt: latestRevokedAt, cycleId: applications.cycleId, status: applications.status })
          .from(teams)
          .leftJoin(applications, and(eq(applications.teamId, teams.id), inArray(applications.cycleId, [...cycleIds, 0])))
          .where(inArray(teams.id, teamIds))
          .orderBy(asc(teams.id))
      : [];
    const contacts = [...new Set(specs.filter((s) => s.contact === true).map((s) => String(s.openId)))];
    const theirs =
      contacts.length && cycleIds.length
        ? await db
            .select({ contactOpenId: teams.contactOpenId, cycleId: applications.cycleId, status: applications.status, id: teams.id, name: teams.name, code: teams.code })
            .from(applications)
            .innerJoin(teams, eq(teams.id, applications.teamId))
            .where(and(inArray(applications.cycleId, cycleIds), inArray(teams.contactOpenId, contacts)))
            .orderBy(asc(teams.id))
        : [];
    const today = dayOfSending(day);
    return specs.map((spec): RenderedCard => {
      const open = takingApplications(byCycle, spec, today);
      if ('drop' in open) return open;
      const { cycle, daysLeft } = open;
      const openId = String(spec.openId);
      const mine: LeaderReminderTeam[] = [];
      const why: string[] = [];
      for (const id of idsOf(spec.teamIds)) {
        const rows = led.filter((r) => r.id === id);
        if (!rows.length) {
          why.push(`班组 ${id} 已不存在`);
          continue;
        }
        const team = rows[0];
        const status = rows.find((r) => r.cycleId === cycle.id)?.status ?? null;
        if (team.teamStatus !== 'active') why.push(`${team.name}（${team.code}）已不是在册班组`);
        else if (team.leaderOpenId !== openId) why.push(`${team.name}（${team.code}）的班组长已更换，申报提醒不再发给原班组长`);
        else if (status !== null && status !== 'draft' && status !== 'returned') why.push(`${team.name}（${team.code}）的申报${APPLICATION_STATUS_ZH[status] ?? status}，无需提醒`);
        else mine.push({ id: team.id, name: team.name, code: team.code, state: status === 'draft' ? 'draft' : status === 'returned' ? 'returned' : 'none', ...submitFrom(team.revokedAt, cycle, day) });
      }
      const toConfirm: ReminderTeam[] = [];
      if (spec.contact === true) {
        const ofCycle = theirs.filter((p) => p.contactOpenId === openId && p.cycleId === cycle.id);
        toConfirm.push(...ofCycle.filter((p) => p.status === 'submitted').map((p) => ({ id: p.id, name: p.name, code: p.code })));
        if (!toConfirm.length) why.push(ofCycle.length ? '待确认的申报已全部确认，无需提醒' : '所联系班组的单位联系人已更换，没有待其确认的申报，无需提醒');
      }
      if (!mine.length && !toConfirm.length) return { drop: why.join('；') || '没有需要提醒的申报' };
      return safely('申报提醒', () => ({ card: applyDeadlineCard({ year: cycle.year, deadline: cycle.applicationDeadline, daysLeft, teams: mine, toConfirm }) }));
    });
  };
}

/**
 * The notice that a year's applications opened, drawn when sent: the teams listed that the receiver still leads, still
 * active, with no application, a draft or a returned one, each told whether it is a year old by the deadline as it is
 * then. Dropped once applications have closed or the deadline has passed, or with no team left.
 */
export function applyOpenNoticeRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs) => {
    const byCycle = await cyclesOf(db, specs);
    const teamIds = [...new Set(specs.flatMap((s) => idsOf(s.teamIds)))];
    const led = teamIds.length
      ? await db
          .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, registeredAt: teams.registeredAt, teamStatus: teams.status, revokedAt: latestRevokedAt, cycleId: applications.cycleId, status: applications.status })
          .from(teams)
          .leftJoin(applications, and(eq(applications.teamId, teams.id), inArray(applications.cycleId, [...byCycle.keys(), 0])))
          .where(inArray(teams.id, teamIds))
          .orderBy(asc(teams.id))
      : [];
    const today = dayOfSending(day);
    return specs.map((spec): RenderedCard => {
      const open = takingApplications(byCycle, spec, today);
      if ('drop' in open) return open;
      const { cycle, daysLeft } = open;
      const shown: OpenNoticeTeam[] = [];
      for (const id of idsOf(spec.teamIds)) {
        const rows = led.filter((r) => r.id === id);
        if (!rows.length || rows[0].teamStatus !== 'active' || rows[0].leaderOpenId !== String(spec.openId)) continue;
        const status = rows.find((r) => r.cycleId === cycle.id)?.status ?? null;
        if (status !== null && status !== 'draft' && status !== 'returned') continue;
        const yearOldOn = oneYearAfter(rows[0].registeredAt);
        const eligible = yearOldOn <= cycle.applicationDeadline;
        shown.push({ id, name: rows[0].name, code: rows[0].code, yearOldOn, eligible, ...(eligible ? submitFrom(rows[0].revokedAt, cycle, day) : {}) });
      }
      if (!shown.length) return { drop: '所列班组已申报、已更换班组长或已不是在册班组，无需通知' };
      return safely('申报开启通知', () => ({ card: applyOpenCard({ year: cycle.year, deadline: cycle.applicationDeadline, daysLeft, teams: shown }) }));
    });
  };
}

/**
 * Contacts: the applications of the teams they are the contact of now that still wait for confirmation; none left, no
 * reminder, and the reason says whether they confirmed them or the teams now have another contact.
 */
export function contactApplyReminderRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs) => {
    const byCycle = await cyclesOf(db, specs);
    const openIds = [...new Set(specs.map((s) => String(s.openId)))];
    const theirs = byCycle.size
      ? await db
          .select({ contactOpenId: teams.contactOpenId, cycleId: applications.cycleId, status: applications.status, id: teams.id, name: teams.name, code: teams.code })
          .from(applications)
          .innerJoin(teams, eq(teams.id, applications.teamId))
          .where(and(inArray(applications.cycleId, [...byCycle.keys()]), inArray(teams.contactOpenId, openIds)))
          .orderBy(asc(teams.contactOpenId), asc(teams.id))
      : [];
    const pending = theirs.filter((p) => p.status === 'submitted');
    const today = dayOfSending(day);
    return specs.map((spec): RenderedCard => {
      const open = takingApplications(byCycle, spec, today);
      if ('drop' in open) return open;
      const { cycle, daysLeft } = open;
      const list = pending.filter((p) => p.contactOpenId === spec.openId && p.cycleId === cycle.id).map((p) => ({ id: p.id, name: p.name, code: p.code }));
      if (!list.length) {
        // the reminder was queued for an application waiting for them: with no application of the year left among their teams, the team has another contact
        const handled = theirs.some((p) => p.contactOpenId === spec.openId && p.cycleId === cycle.id);
        return { drop: handled ? '待确认的申报已全部确认，无需提醒' : '所联系班组的单位联系人已更换，没有待其确认的申报，无需提醒' };
      }
      return safely('单位确认提醒', () => ({ card: applyDeadlineContactCard({ year: cycle.year, deadline: cycle.applicationDeadline, daysLeft, teams: list }) }));
    });
  };
}

/**
 * Experts: the tasks still waiting for their scores now; none left, no reminder, and the reason says whether they scored
 * them or the tasks went to other experts (谢绝, 更换专家, 回避). A pending task they must step aside from (第十七条)
 * waits for 更换专家, not for them: counted apart (`recused`), never as one to score. Past the deadline it says how long overdue.
 */
export function scoringReminderRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs) => {
    const byCycle = await cyclesOf(db, specs);
    const openIds = [...new Set(specs.map((s) => String(s.openId)))];
    const status = sql<string>`case when ${assignments.status} = 'assigned' and ${mustRecuseSql(assignments.expertOpenId)} then 'recused' else ${assignments.status} end`;
    const counts = byCycle.size
      ? await db
          .select({
            openId: assignments.expertOpenId,
            cycleId: applications.cycleId,
            status,
            n: sql<number>`count(*)::int`,
            // when the earliest of them was given to the expert (assigned, or reopened): after the deadline, no blame
            firstGiven: sql<Date | null>`min(${assignments.assignedAt})`.mapWith(assignments.assignedAt),
          })
          .from(assignments)
          .innerJoin(applications, eq(applications.id, assignments.applicationId))
          .innerJoin(teams, eq(teams.id, applications.teamId))
          .where(and(inArray(applications.cycleId, [...byCycle.keys()]), inArray(assignments.expertOpenId, openIds)))
          .groupBy(assignments.expertOpenId, applications.cycleId, status)
      : [];
    const today = dayOfSending(day);
    return specs.map((spec): RenderedCard => {
      const cycle = byCycle.get(Number(spec.cycleId));
      if (!cycle) return { drop: `年度评审 ${String(spec.cycleId)} 已不存在` };
      if (cycle.status !== 'open' && cycle.status !== 'scoring') return { drop: `${cycle.year}年度评审已结束专家评分` };
      const count = (...statuses: string[]) =>
        counts.filter((c) => c.openId === spec.openId && c.cycleId === cycle.id && statuses.includes(c.status)).reduce((n, c) => n + Number(c.n), 0);
      const pending = count('assigned');
      if (!pending) {
        const [scored, moved] = [count('submitted'), count('declined', 'replaced')];
        if (count('recused')) return { drop: '余下的评分任务该专家须回避（第十七条），等待协会改派其他专家，无需提醒' };
        return { drop: moved && !scored ? '评分任务已改由其他专家评分，无需提醒' : moved ? '评分任务已全部完成或改由其他专家评分，无需提醒' : '评分任务已全部完成，无需提醒' };
      }
      // every sheet still to score was given after the 评分截止 (更换专家, 分配专家 or 重开评分 then): not overdue by the deadline's days
      const firstGiven = counts.find((c) => c.openId === spec.openId && c.cycleId === cycle.id && c.status === 'assigned')?.firstGiven;
      const givenAfterDeadline = !!firstGiven && todayIn(day.timezone, new Date(firstGiven)) > cycle.scoringDeadline;
      return safely('评分提醒', () => ({
        card: scoringDeadlineCard({ year: cycle.year, cycleId: cycle.id, deadline: cycle.scoringDeadline, daysLeft: daysBetween(today, cycle.scoringDeadline), pending, givenAfterDeadline, meeting: { date: cycle.reviewMeetingDate, daysLeft: daysBetween(today, cycle.reviewMeetingDate) } }),
      }));
    });
  };
}

/**
 * A group bound for the experts: the cycle's sheets still to score and the experts they wait for, counted when sent;
 * none left (or scoring over), no reminder. A sheet whose expert must step aside (第十七条) waits for 更换专家, not for
 * an expert: not counted.
 */
export function scoringGroupReminderRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs, queued) => {
    const unbound = await unboundGroups(db, queued, specs.length, 'experts');
    const byCycle = await cyclesOf(db, specs);
    const toScore = sql`not ${mustRecuseSql(assignments.expertOpenId)}`;
    const counts = byCycle.size
      ? await db
          .select({
            cycleId: applications.cycleId,
            pending: sql<number>`(count(*) filter (where ${toScore}))::int`,
            experts: sql<number>`(count(distinct ${assignments.expertOpenId}) filter (where ${toScore}))::int`,
          })
          .from(assignments)
          .innerJoin(applications, eq(applications.id, assignments.applicationId))
          .innerJoin(teams, eq(teams.id, applications.teamId))
          .where(and(inArray(applications.cycleId, [...byCycle.keys()]), eq(assignments.status, 'assigned')))
          .groupBy(applications.cycleId)
      : [];
    const today = dayOfSending(day);
    return specs.map((spec, i): RenderedCard => {
      if (unbound[i]) return { drop: unbound[i] };
      const cycle = byCycle.get(Number(spec.cycleId));
      if (!cycle) return { drop: `年度评审 ${String(spec.cycleId)} 已不存在` };
      if (cycle.status !== 'open' && cycle.status !== 'scoring') return { drop: `${cycle.year}年度评审已结束专家评分` };
      const left = counts.find((c) => c.cycleId === cycle.id);
      if (!left?.pending) return { drop: left ? '余下的评分任务其专家须回避（第十七条），等待协会改派其他专家，无需提醒' : '评分任务已全部完成，无需提醒' };
      return safely('评分提醒', () => ({
        card: scoringDeadlineGroupCard({ year: cycle.year, deadline: cycle.scoringDeadline, daysLeft: daysBetween(today, cycle.scoringDeadline), pending: Number(left.pending), experts: Number(left.experts) }),
      }));
    });
  };
}

/**
 * What the year still waits for from the administrators before its review meeting, as it stands on the day of sending:
 * a year left 申报中 after its deadline has no scores to meet over (截止申报 first), a scoring year what 结束评分并汇总
 * would refuse over (`scoringLeft`, the same checks: 形式审查, 分配专家, the sheets still to submit or whose expert must
 * step aside, panels nobody scores), else the 汇总 itself. Undefined when nothing is due from them (a year summed waits
 * only for the meeting, and one with nothing scored has nothing to sum).
 */
function dueBeforeMeeting(cycle: CycleRow, today: string, left: ScoringLeftOfCycle | undefined): string | undefined {
  if (cycle.status === 'open') {
    return today > cycle.applicationDeadline
      ? `申报已于 ${formatDateZh(cycle.applicationDeadline)} 截止，但尚未点“截止申报”，专家还不能评分：请在“管理”中点“截止申报”，随后分配专家。`
      : `申报 ${formatDateZh(cycle.applicationDeadline)} 截止；届时请在“管理”中点“截止申报”并分配专家，专家评分后才能评审。`;
  }
  if (cycle.status !== 'scoring' || !left) return undefined;
  const { unchecked, unassigned, unstaffed, sheets, toReplace } = left;
  const parts = [
    ...(unchecked.length ? [`${unchecked.length} 份申报待形式审查（${codesOf(unchecked)}）：请在“形式审查”中受理（再分配专家）或退回`] : []),
    ...(unassigned.length ? [`已受理的 ${unassigned.length} 份申报尚未分配专家：请在“管理”中点“分配专家”`] : []),
    ...(sheets ? [`尚有 ${sheets} 份评分未提交（评分截止 ${formatDateZh(cycle.scoringDeadline)}）`] : []),
    ...(toReplace ? [`${toReplace} 份评分的专家须回避（第十七条）：请在“评审进度”中打开该申报的专家组“更换专家”`] : []),
    ...(unstaffed.length
      ? [`${unstaffed.length} 份申报的专家都已谢绝或回避，没有专家在评（${codesOf(unstaffed)}）：请在“专家库”中添加其他单位的专家（或提高评审上限），再点“分配专家”补足`]
      : []),
  ];
  if (parts.length) return `${parts.join('；')}。`;
  return left.scored ? '评分已全部提交：请在“管理”中点“结束评分并汇总”。' : undefined;
}

/**
 * The review meeting (第十九条), drawn from the cycle as it is when sent: its date and the days left then, and
 * for the admin group the applications accepted by then. Not true any more, and dropped: the cycle's results
 * published (the reminders job reminds only while a cycle runs), the meeting day passed, or (a guard) the
 * team without an accepted application in that cycle.
 */
export function reviewMeetingReminderRenderer(db: Db, day: SendDay): CardRenderer {
  return async (specs, queued) => {
    // the admin group's reminder (an applicant's goes to its leader's open_id)
    const unbound = await unboundGroups(db, queued, specs.length, 'admin');
    const byCycle = await cyclesOf(db, specs);
    const cycleIds = [...byCycle.keys()];
    const acceptedCounts = cycleIds.length
      ? await db
          .select({ cycleId: applications.cycleId, n: sql<number>`count(*)::int` })
          .from(applications)
          .where(and(inArray(applications.cycleId, cycleIds), notInArray(applications.status, notYetAccepted)))
          .groupBy(applications.cycleId)
      : [];
    // what the administrators still have to do before the meeting in a scoring year: what 结束评分并汇总 would refuse over
    const scoringIds = [...byCycle.values()].filter((c) => c.status === 'scoring').map((c) => c.id);
    const left = specs.some((s) => s.audience !== 'applicant') ? await scoringLeftOf(db, scoringIds) : new Map<number, ScoringLeftOfCycle>();
    const teamIds = [...new Set(specs.filter((s) => s.audience === 'applicant').flatMap((s) => idsOf(s.teamIds ?? s.teamId)))];
    const teamRows = teamIds.length
      ? await db
          .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, cycleId: applications.cycleId, status: applications.status })
          .from(teams)
          .leftJoin(applications, and(eq(applications.teamId, teams.id), inArray(applications.cycleId, [...cycleIds, 0])))
          .where(inArray(teams.id, teamIds))
      : [];
    const today = dayOfSending(day);
    return specs.map((spec, i): RenderedCard => {
      const cycle = byCycle.get(Number(spec.cycleId));
      if (!cycle) return { drop: `年度评审 ${String(spec.cycleId)} 已不存在` };
      if (!(runningStatuses as readonly string[]).includes(cycle.status)) return { drop: `${cycle.year}年度评审结果已公布，评审会提醒不再发送` };
      const daysLeft = daysBetween(today, cycle.reviewMeetingDate);
      if (daysLeft < 0) return { drop: `${cycle.year}年度评审会已于 ${formatDateZh(cycle.reviewMeetingDate)} 举行` };
      const meeting = { year: cycle.year, date: cycle.reviewMeetingDate, daysLeft };
      if (spec.audience !== 'applicant') {
        if (unbound[i]) return { drop: unbound[i] };
        const accepted = Number(acceptedCounts.find((c) => c.cycleId === cycle.id)?.n ?? 0);
        const due = dueBeforeMeeting(cycle, today, left.get(cycle.id));
        return safely('评审会提醒', () => ({ card: reviewMeetingCard({ ...meeting, audience: 'admin', accepted, due }) }));
      }
      // each team listed (one, as queued before; each the leader leads, since): those still accepted and led by the receiver
      const shown: ReminderTeam[] = [];
      const why: string[] = [];
      for (const id of idsOf(spec.teamIds ?? spec.teamId)) {
        const rows = teamRows.filter((r) => r.id === id);
        if (!rows.length) {
          why.push(`班组 ${id} 已不存在`);
          continue;
        }
        const team = { id: rows[0].id, name: rows[0].name, code: rows[0].code };
        const status = rows.find((r) => r.cycleId === cycle.id)?.status ?? null;
        if (status === null || notYetAccepted.includes(status)) why.push(`${team.name}（${team.code}）在${cycle.year}年度没有受理的申报，无需提醒`);
        else {
          const changed = leaderChanged({ ...team, leaderOpenId: rows[0].leaderOpenId }, receiverOf(queued, i), '评审会提醒');
          if (changed) why.push(changed.drop);
          else shown.push(team);
        }
      }
      if (!shown.length) return { drop: why.join('；') || '没有受理的申报，无需提醒' };
      return safely(`${shown[0].name}的评审会提醒`, () => ({ card: reviewMeetingCard({ ...meeting, audience: 'applicant', teams: shown }) }));
    });
  };
}
