import { and, asc, eq, gt, isNotNull, not, notInArray, sql } from 'drizzle-orm';
import { groupDigits } from '../../cards/bulk.js';
import type { Db } from '../../db/index.js';
import { applications, assignments, chatBindings, honours, jobRuns, teams } from '../../db/schema.js';
import { barPastDeadline, type Cycle, oneYearAfter } from '../applications.js';
import { announceJob, type BulkJobKind, startBulkJob } from '../bulkJobs.js';
import { getRunningCycle } from '../cycles.js';
import { addDays, daysBetween, todayIn } from '../dates.js';
import { boundFor } from '../groups.js';
import { adminDestinations, destinationKey } from '../notifications.js';
import { type Destination, enqueueMany, type OutgoingMessage } from '../outbox.js';
import { revocationBarDays } from '../policy.js';
import { mustRecuseSql } from '../review/scoring.js';
import { type JobOptions, type RunOutcome, runClaimed } from './claimRun.js';
import { APPLY_OPEN_NOTICE, APPLY_REMINDER, CONTACT_APPLY_REMINDER, LEADER_APPLY_REMINDER, notYetAccepted, REVIEW_MEETING_REMINDER, SCORING_GROUP_REMINDER, SCORING_REMINDER } from './reminderCards.js';

/** Days before each deadline a reminder goes out. */
export const applyDeadlineOffsets = [7, 3, 1] as const;
export const scoringDeadlineOffsets = [3, 1] as const;
export const reviewMeetingOffsets = [14, 3] as const; // 第十九条
/**
 * Scoring overdue, the experts with sheets left are reminded every day of the first week (days 1–7 after 评分截止),
 * then once a week (days 14, 21, …): daily without end taught them to ignore it.
 */
export const SCORING_OVERDUE_DAILY = 7;
export const SCORING_OVERDUE_EVERY = 7;

/**
 * The day of the overdue scoring reminder owed `overdue` days after the deadline: that day in the first week, then
 * the last weekly day reached, so a run missed on its day is made up by the next one, and no week has two.
 */
export function overdueReminderDay(scoringDeadline: string, overdue: number): string {
  const day = overdue <= SCORING_OVERDUE_DAILY ? overdue : overdue - (overdue % SCORING_OVERDUE_EVERY);
  return addDays(scoringDeadline, day);
}

export interface ReminderPeriod {
  kind: 'apply-open' | 'apply-deadline' | 'scoring-deadline' | 'review-meeting';
  /** e.g. apply-deadline:2027:T-3, scoring-deadline:2027:overdue:2027-06-02 */
  period: string;
  /** The days from today to the date: under the offset when a reminder missed on its day is made up later. */
  daysLeft: number;
  /** The date counted down to (a deadline, the meeting), for a `T-n` period; an overdue one carries its day already. */
  target?: string;
  /** The `n` of a `T-n` period. */
  offset?: number;
}

/**
 * The offset whose reminder is owed `daysLeft` days before a date: the smallest at or above it, so a day the bot
 * was down is made up by the next run with the latest reminder missed (never an older one); none before the
 * largest offset or after the date.
 */
export function owedOffset(offsets: readonly number[], daysLeft: number): number | undefined {
  if (daysLeft < 0) return undefined;
  const owed = offsets.filter((o) => o >= daysLeft);
  return owed.length ? Math.min(...owed) : undefined;
}

/**
 * Which reminders are owed on `today` for this cycle: pure, so the calendar can be tested alone. Each is the
 * period of the latest offset reached (T-3 on the 3rd and 2nd day before, T-1 on the last day and the date itself);
 * whether it already ran is the claim's business.
 */
export function reminderPeriods(cycle: Pick<Cycle, 'year' | 'status' | 'applicationDeadline' | 'scoringDeadline' | 'reviewMeetingDate'>, today: string): ReminderPeriod[] {
  const out: ReminderPeriod[] = [];
  const countdown = (kind: ReminderPeriod['kind'], offsets: readonly number[], target: string) => {
    const daysLeft = daysBetween(today, target);
    const offset = owedOffset(offsets, daysLeft);
    if (offset !== undefined) out.push({ kind, period: `${kind}:${cycle.year}:T-${offset}`, daysLeft, target, offset });
    return daysLeft;
  };
  if (cycle.status === 'open') countdown('apply-deadline', applyDeadlineOffsets, cycle.applicationDeadline);
  if (cycle.status === 'open' || cycle.status === 'scoring') {
    const toScoring = countdown('scoring-deadline', scoringDeadlineOffsets, cycle.scoringDeadline);
    // overdue: claimed under the day it is owed for (overdueReminderDay), today in the first week
    if (toScoring < 0) out.push({ kind: 'scoring-deadline', period: `scoring-deadline:${cycle.year}:overdue:${overdueReminderDay(cycle.scoringDeadline, -toScoring)}`, daysLeft: toScoring });
  }
  countdown('review-meeting', reviewMeetingOffsets, cycle.reviewMeetingDate);
  return out;
}

/**
 * The notice that the cycle's applications are open (the promise of 申报 and of the 满一年 card): owed while the cycle
 * takes applications and its deadline is ahead, claimed once a year (`apply-open:2027`), at the first run after the
 * cycle opens; a deadline moved afterwards does not bring it again.
 */
export function applyOpenPeriod(cycle: Pick<Cycle, 'year' | 'status' | 'applicationDeadline'>, today: string): ReminderPeriod | undefined {
  const daysLeft = daysBetween(today, cycle.applicationDeadline);
  return cycle.status === 'open' && daysLeft >= 0 ? { kind: 'apply-open', period: `apply-open:${cycle.year}`, daysLeft } : undefined;
}

/** Reminders queued per batch of a period's job. */
export const REMIND_BATCH = 500;
/** Above this many people a period's job posts a progress card to the admin group(s); below, they hear nothing of it. */
export const REMIND_CARD_FROM = 200;
/** Who sends a period's reminders, in the job's created_by and the audit. */
export const REMINDERS_ACTOR = 'system:reminders';

const periodTitles: Record<ReminderPeriod['kind'], string> = { 'apply-open': '申报开启通知', 'apply-deadline': '申报截止提醒', 'scoring-deadline': '评分截止提醒', 'review-meeting': '评审会提醒' };

type Team = { id: number; name: string; code: string; leaderOpenId: string };

/**
 * One reminder of a period, as decided when the period was claimed: whom, and what its card is about (it is
 * drawn when sent). The job keeps the list, so a batch resumed after a crash queues exactly what the claim decided.
 */
type Recipient =
  /** One card a person a period: the teams they lead that it is about, and whether they have applications to confirm. */
  | { t: 'person'; openId: string; teamIds: number[]; contact: boolean }
  /** The notice that applications opened: a leader and their teams that may apply, or not yet (第十六条). */
  | { t: 'opening'; openId: string; teamIds: number[] }
  | { t: 'expert'; openId: string }
  | { t: 'expertsGroup'; chatId: string }
  | { t: 'admin'; to: Destination }
  /** 第十九条: a leader of accepted applications, every team of theirs in one card. */
  | { t: 'applicants'; openId: string; teamIds: number[] }
  // as listed before one card went to a person (a team's leader, a contact apart): a job claimed then and resumed now
  // queues them under the keys it began with, so nobody reminded already is reminded again under another key
  | { t: 'leader'; team: Team }
  | { t: 'contact'; openId: string }
  | { t: 'applicant'; team: Team };

interface RemindParams {
  period: string;
  /** The days left when the period was claimed, for the job's record: each card counts its own when it is sent. */
  daysLeft: number;
  cycle: Pick<Cycle, 'id' | 'year'>;
  audience: Recipient[];
}

/**
 * The `reminders` job: every reminder of the running cycle owed today, each period claimed once
 * (job `reminders`, period e.g. `apply-deadline:2027:T-3`; first of all, once a cycle, `apply-open:2027`). Under the claim, in its transaction, the
 * period's audience is decided and recorded as a bulk job (kind `remind`); the bulk-job worker queues
 * the cards in batches, each keyed per period and person, so a resumed job sends nobody a reminder twice.
 */
export async function runReminders(db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  const cycle = await getRunningCycle(db);
  if (!cycle) return [];
  const today = todayIn(opts.timezone, opts.now);
  const outcomes: RunOutcome[] = [];
  // a period that fails (its `failed` row retried by the next run) does not hold back the others owed today: each is
  // tried, and the first failure is thrown once they all were
  let failure: { error: unknown } | undefined;
  const periods = reminderPeriods(cycle, today);
  const opening = applyOpenPeriod(cycle, today);
  // the deadline's reminder owed today (or sent on an earlier day of its offset) tells an eligible team what the notice would
  const deadlineOwed = periods.some((p) => p.kind === 'apply-deadline');
  for (const due of [...(opening ? [opening] : []), ...periods]) {
    try {
      // a scoring deadline's reminder with no task waiting yet (its T-3 while applications are still open): not claimed,
      // so a later run, once tasks exist, still sends it; the audience is decided again under the claim
      if (due.kind === 'scoring-deadline' && !(await scoringDeadlineAudience(db, cycle)).length) continue;
      const p = await periodOfDate(db, due, opts.timezone);
      outcomes.push(
        await runClaimed(db, 'reminders', p.period, opts.now, async (tx) => {
          const audience =
            p.kind === 'apply-open'
              ? await applyOpenAudience(tx, cycle, opts, deadlineOwed)
              : p.kind === 'apply-deadline'
              ? await applyDeadlineAudience(tx, cycle, opts)
              : p.kind === 'scoring-deadline'
                ? await scoringDeadlineAudience(tx, cycle)
                : await reviewMeetingAudience(tx, cycle, opts);
          return startReminderJob(tx, cycle, p, audience, opts);
        }),
      );
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
  return outcomes;
}

/**
 * A date moved after its reminder went out (申报截止延期, a new meeting day): `apply-deadline:2027:T-3` was
 * claimed for the old date, and the new date's T-3 would find it taken. A claim records the date it counted down
 * to (one made before it did so was made on the very day `T-n` of its date); a claim done for another date leaves
 * this date's reminder to the period with its date, `apply-deadline:2027:T-3:2027-06-15`. A claim for this date,
 * or one that failed, is the period as it is (taken, or to be taken over).
 */
async function periodOfDate(db: Db, p: ReminderPeriod, timezone: string): Promise<ReminderPeriod> {
  if (!p.target || p.offset === undefined) return p;
  const [earlier] = await db
    .select({ startedAt: jobRuns.startedAt, status: jobRuns.status, details: jobRuns.details })
    .from(jobRuns)
    .where(and(eq(jobRuns.job, 'reminders'), eq(jobRuns.period, p.period)));
  if (!earlier || earlier.status !== 'done') return p;
  const recorded = (earlier.details as { target?: unknown } | null)?.target;
  const claimedFor = typeof recorded === 'string' ? recorded : addDays(todayIn(timezone, earlier.startedAt), p.offset);
  return claimedFor === p.target ? p : { ...p, period: `${p.period}:${p.target}` };
}

/** Records the period's job; a large audience is announced to the admin group(s) with a progress card. */
async function startReminderJob(tx: Db, cycle: Cycle, p: ReminderPeriod, audience: Recipient[], opts: JobOptions) {
  const counts: Record<string, number> = {};
  for (const r of audience) counts[r.t] = (counts[r.t] ?? 0) + 1;
  // the date counted down to, so a later run tells this date's claim from a moved date's
  const target = p.target ?? null;
  if (!audience.length) return { audience: 0, target };
  const announce = audience.length > REMIND_CARD_FROM ? await adminDestinations(tx, opts.bootstrapAdmins) : [];
  const params: RemindParams = {
    period: p.period,
    daysLeft: p.daysLeft,
    cycle: { id: cycle.id, year: cycle.year },
    audience,
  };
  const { job } = await startBulkJob(tx, {
    kind: 'remind',
    // a period's job belongs to no cycle slot: two periods of one day run side by side, the claim keeps each single
    cycleId: null,
    year: cycle.year,
    createdBy: REMINDERS_ACTOR,
    total: audience.length,
    params: { ...params, announce, heading: `${cycle.year}年度评审 · ${periodTitles[p.kind]}` },
    now: opts.now,
  });
  if (announce.length) await announceJob(tx, job);
  return { audience: audience.length, ...counts, bulkJob: job.id, target };
}

/**
 * The message of one recipient, with the key the period has always used for them. Every reminder is drawn
 * when it is sent (src/jobs/reminderCards.ts), its days left counted then: one no longer due is dropped.
 */
function reminderMessage(r: Recipient, params: RemindParams): OutgoingMessage {
  const { cycle, period } = params;
  switch (r.t) {
    case 'person':
      return { dedupeKey: `remind:${period}:person-${r.openId}`, to: { openId: r.openId }, render: { kind: APPLY_REMINDER, cycleId: cycle.id, openId: r.openId, teamIds: r.teamIds, contact: r.contact } };
    case 'opening':
      return { dedupeKey: `remind:${period}:person-${r.openId}`, to: { openId: r.openId }, render: { kind: APPLY_OPEN_NOTICE, cycleId: cycle.id, openId: r.openId, teamIds: r.teamIds } };
    case 'applicants':
      return { dedupeKey: `remind:${period}:person-${r.openId}`, to: { openId: r.openId }, render: { kind: REVIEW_MEETING_REMINDER, cycleId: cycle.id, audience: 'applicant', teamIds: r.teamIds } };
    case 'leader':
      return { dedupeKey: `remind:${period}:team-${r.team.id}`, to: { openId: r.team.leaderOpenId }, render: { kind: LEADER_APPLY_REMINDER, cycleId: cycle.id, teamId: r.team.id } };
    case 'contact':
      return { dedupeKey: `remind:${period}:contact-${r.openId}`, to: { openId: r.openId }, render: { kind: CONTACT_APPLY_REMINDER, cycleId: cycle.id, openId: r.openId } };
    case 'expert':
      return { dedupeKey: `remind:${period}:expert-${r.openId}`, to: { openId: r.openId }, render: { kind: SCORING_REMINDER, cycleId: cycle.id, openId: r.openId } };
    case 'expertsGroup':
      return { dedupeKey: `remind:${period}:chat:${r.chatId}`, to: { chatId: r.chatId }, render: { kind: SCORING_GROUP_REMINDER, cycleId: cycle.id } };
    case 'admin':
      return { dedupeKey: `remind:${period}:${destinationKey(r.to)}`, to: r.to, render: { kind: REVIEW_MEETING_REMINDER, cycleId: cycle.id, audience: 'admin' } };
    case 'applicant':
      return { dedupeKey: `remind:${period}:team-${r.team.id}`, to: { openId: r.team.leaderOpenId }, render: { kind: REVIEW_MEETING_REMINDER, cycleId: cycle.id, audience: 'applicant', teamId: r.team.id } };
  }
}

/**
 * The groups of a batch as they are bound now, not as at the claim: a group unbound since (解绑, the bot removed) gets
 * nothing; the administrators' reminder meant for a group no longer theirs goes where their notifications go now
 * (another bound admin group, else each administrator), keyed per destination, so one that had its own copy gets one.
 */
async function stillBound(tx: Db, batch: Recipient[], bootstrapAdmins: readonly string[]): Promise<Recipient[]> {
  const chatsOf = (t: 'expertsGroup' | 'admin') => batch.flatMap((r) => (r.t === 'expertsGroup' && t === 'expertsGroup' ? [r.chatId] : r.t === 'admin' && t === 'admin' && 'chatId' in r.to ? [r.to.chatId] : []));
  const [experts, admin] = [chatsOf('expertsGroup'), chatsOf('admin')];
  if (!experts.length && !admin.length) return batch;
  const [expertsBound, adminBound] = await Promise.all([boundFor(tx, experts, 'experts'), boundFor(tx, admin, 'admin')]);
  let adminsNow: Destination[] | undefined;
  const out: Recipient[] = [];
  const admins = new Set<string>();
  for (const r of batch) {
    if (r.t === 'expertsGroup' && !expertsBound.has(r.chatId)) continue;
    if (r.t !== 'admin') {
      out.push(r);
      continue;
    }
    const now = 'chatId' in r.to && !adminBound.has(r.to.chatId) ? (adminsNow ??= await adminDestinations(tx, bootstrapAdmins)) : [r.to];
    for (const to of now) {
      if (admins.has(destinationKey(to))) continue;
      admins.add(destinationKey(to));
      out.push({ t: 'admin', to });
    }
  }
  return out;
}

/** A period's reminders, REMIND_BATCH at a time, in the order the claim listed them. */
export const remindJob: BulkJobKind = {
  kind: 'remind',
  async runBatch({ tx, job, config }) {
    const params = job.params as unknown as RemindParams;
    const total = params.audience.length;
    const batch = params.audience.slice(job.cursor, job.cursor + REMIND_BATCH);
    // a key queued before (a replayed batch, a person listed twice) is not queued again
    const added = await enqueueMany(tx, (await stillBound(tx, batch, config.ADMIN_OPEN_IDS)).map((r) => reminderMessage(r, params)));
    const sent = Number((job.result as { sent?: number }).sent ?? 0) + added;
    const cursor = job.cursor + batch.length;
    const finished = cursor >= total;
    return { done: cursor, total, cursor, finished, result: { sent, ...(finished ? { outcome: `已安排 ${groupDigits(sent)} 人的提醒，按发送速率陆续送达；送达前已办完的不再提醒。` } : {}) } };
  },
};

/**
 * Leaders of eligible teams (registered a year by the deadline, 第十六条; no title revoked within the
 * association's bar, 协会规定) whose application is missing, a draft or returned; contacts with applications to
 * confirm. One recipient a person, with each of their teams and whether they have applications to confirm.
 */
async function applyDeadlineAudience(tx: Db, cycle: Cycle, opts: JobOptions): Promise<Recipient[]> {
  const candidates = await tx
    .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, registeredAt: teams.registeredAt })
    .from(teams)
    .leftJoin(applications, and(eq(applications.teamId, teams.id), eq(applications.cycleId, cycle.id)))
    .where(and(eq(teams.status, 'active'), sql`(${applications.id} is null or ${applications.status} in ('draft', 'returned'))`))
    .orderBy(asc(teams.id));
  const revoked = await barredAtDeadline(tx, cycle, opts);
  // one card a person: a leader of several teams, who may be a contact too, hears of all of them at once
  const people = new Map<string, Extract<Recipient, { t: 'person' }>>();
  const personOf = (openId: string) => people.get(openId) ?? people.set(openId, { t: 'person', openId, teamIds: [], contact: false }).get(openId)!;
  for (const t of candidates) {
    if (oneYearAfter(t.registeredAt) > cycle.applicationDeadline || revoked.has(t.id)) continue;
    personOf(t.leaderOpenId).teamIds.push(t.id);
  }

  // contacts with applications to confirm: the card lists them as they are when it is sent
  const contacts = await tx
    .selectDistinct({ contactOpenId: teams.contactOpenId })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycle.id), eq(applications.status, 'submitted')))
    .orderBy(asc(teams.contactOpenId));
  for (const c of contacts) personOf(c.contactOpenId).contact = true;
  return [...people.values()];
}

/**
 * The leaders of active teams with no application, a draft or a returned one in the cycle, and not barred (协会规定),
 * one a person with each of their teams: those a year old by the deadline may apply, the others hear when they may
 * (第十六条). With the deadline's reminder owed too, the teams that may apply are left to it.
 */
async function applyOpenAudience(tx: Db, cycle: Cycle, opts: JobOptions, deadlineOwed: boolean): Promise<Recipient[]> {
  const candidates = await tx
    .select({ id: teams.id, leaderOpenId: teams.leaderOpenId, registeredAt: teams.registeredAt })
    .from(teams)
    .leftJoin(applications, and(eq(applications.teamId, teams.id), eq(applications.cycleId, cycle.id)))
    .where(and(eq(teams.status, 'active'), sql`(${applications.id} is null or ${applications.status} in ('draft', 'returned'))`))
    .orderBy(asc(teams.id));
  const barred = await barredAtDeadline(tx, cycle, opts);
  const people = new Map<string, number[]>();
  for (const t of candidates) {
    if (barred.has(t.id) || (deadlineOwed && oneYearAfter(t.registeredAt) <= cycle.applicationDeadline)) continue;
    people.set(t.leaderOpenId, [...(people.get(t.leaderOpenId) ?? []), t.id]);
  }
  return [...people].map(([openId, teamIds]): Recipient => ({ t: 'opening', openId, teamIds }));
}

/** Teams barred still at the cycle's deadline (a title revoked within the association's bar, 协会规定), as mayApply counts it (barPastDeadline). */
export async function barredAtDeadline(tx: Db, cycle: Cycle, opts: JobOptions): Promise<Set<number>> {
  const barDays = revocationBarDays(cycle);
  // no bar lasts longer than this before now: a calendar year is at most 366 days (a day more for a clock change)
  const barStart = new Date(opts.now.getTime() - (barDays ?? 367) * 86_400_000);
  // a bar that ends by the deadline lets the team apply then
  return new Set(
    (
      await tx
        .select({ teamId: honours.teamId, revokedAt: honours.revokedAt })
        .from(honours)
        .where(and(isNotNull(honours.revokedAt), gt(honours.revokedAt, barStart)))
    )
      .filter((r) => barPastDeadline(r.revokedAt!, cycle, opts.timezone))
      .map((r) => r.teamId),
  );
}

/**
 * Whether the application deadline's reminder goes out today (T-7, T-3, T-1, or one missed and made up today): a
 * period owed today not yet sent, or sent today. Its card tells an eligible team's leader what the anniversary card would.
 */
export async function applyReminderToday(db: Db, cycle: Cycle, opts: JobOptions): Promise<boolean> {
  const today = todayIn(opts.timezone, opts.now);
  const due = reminderPeriods(cycle, today).find((p) => p.kind === 'apply-deadline');
  if (!due) return false;
  const p = await periodOfDate(db, due, opts.timezone);
  const [run] = await db.select({ status: jobRuns.status, startedAt: jobRuns.startedAt }).from(jobRuns).where(and(eq(jobRuns.job, 'reminders'), eq(jobRuns.period, p.period)));
  return !run || run.status !== 'done' || todayIn(opts.timezone, run.startedAt) === today;
}

/**
 * Whether the notice that the cycle's applications are open goes out today (owed and not yet sent, or sent today): it
 * names each unbarred team with no application, a draft or a returned one, with 立即申报 for those a year old by the
 * deadline, what the anniversary card would say.
 */
export async function applyOpenNoticeToday(db: Db, cycle: Cycle, opts: JobOptions): Promise<boolean> {
  const today = todayIn(opts.timezone, opts.now);
  const due = applyOpenPeriod(cycle, today);
  if (!due) return false;
  const [run] = await db.select({ status: jobRuns.status, startedAt: jobRuns.startedAt }).from(jobRuns).where(and(eq(jobRuns.job, 'reminders'), eq(jobRuns.period, due.period)));
  return !run || run.status !== 'done' || todayIn(opts.timezone, run.startedAt) === today;
}

/**
 * Each expert with tasks still `assigned` in this cycle; the button opens the next one. A task the expert must step
 * aside from (回避, 第十七条) waits for 更换专家, not for them: it is not counted, and alone it reminds nobody.
 */
async function scoringDeadlineAudience(tx: Db, cycle: Cycle): Promise<Recipient[]> {
  const rows = await tx
    .selectDistinct({ openId: assignments.expertOpenId })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycle.id), eq(assignments.status, 'assigned'), not(mustRecuseSql(assignments.expertOpenId))))
    .orderBy(asc(assignments.expertOpenId));
  if (!rows.length) return [];
  // the groups bound for the experts (绑定通知 专家) hear how many sheets are left, with no names
  const groups = await tx.select({ chatId: chatBindings.chatId }).from(chatBindings).where(eq(chatBindings.purpose, 'experts')).orderBy(asc(chatBindings.chatId));
  return [...rows.map((r): Recipient => ({ t: 'expert', openId: r.openId })), ...groups.map((g): Recipient => ({ t: 'expertsGroup', chatId: g.chatId }))];
}

/** 第十九条: the admin group(s) and the leader of every accepted application. */
async function reviewMeetingAudience(tx: Db, cycle: Cycle, opts: JobOptions): Promise<Recipient[]> {
  const accepted = await tx
    .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycle.id), notInArray(applications.status, notYetAccepted)))
    .orderBy(asc(teams.id));
  const admins = (await adminDestinations(tx, opts.bootstrapAdmins)).map((to): Recipient => ({ t: 'admin', to }));
  // one card a leader, naming each accepted team of theirs
  const leaders = new Map<string, number[]>();
  for (const team of accepted) leaders.set(team.leaderOpenId, [...(leaders.get(team.leaderOpenId) ?? []), team.id]);
  return [...admins, ...[...leaders].map(([openId, teamIds]): Recipient => ({ t: 'applicants', openId, teamIds }))];
}
