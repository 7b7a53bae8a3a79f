import { and, asc, eq, gt, isNotNull, notInArray, sql } from 'drizzle-orm';
import { applyDeadlineContactCard, applyDeadlineLeaderCard, reviewMeetingCard, scoringDeadlineCard } from '../../cards/reminders.js';
import type { Db } from '../../db/index.js';
import { applications, assignments, honours, teams } from '../../db/schema.js';
import { type Cycle, oneYearAfter } from '../applications.js';
import { getRunningCycle } from '../cycles.js';
import { daysBetween, todayIn } from '../dates.js';
import { adminDestinations, destinationKey } from '../notifications.js';
import { revocationBarDays } from '../policy.js';
import { type JobOptions, type RunMessages, type RunOutcome, runClaimed } from './claimRun.js';

/** Days before each deadline a reminder goes out. */
export const applyDeadlineOffsets = [7, 3, 1] as const;
export const scoringDeadlineOffsets = [3, 1] as const;
export const reviewMeetingOffsets = [14, 3] as const; // 第十九条

/** Application states before the association accepted it: their teams are not yet "accepted applicants". */
const notYetAccepted = ['draft', 'submitted', 'returned', 'recommended', 'rejected'];

export interface ReminderPeriod {
  kind: 'apply-deadline' | 'scoring-deadline' | 'review-meeting';
  /** e.g. apply-deadline:2027:T-3, scoring-deadline:2027:overdue:2027-06-02 */
  period: string;
  daysLeft: number;
}

/** Which reminders fall on `today` for this cycle: pure, so the calendar can be tested alone. */
export function reminderPeriods(cycle: Pick<Cycle, 'year' | 'status' | 'applicationDeadline' | 'scoringDeadline' | 'reviewMeetingDate'>, today: string): ReminderPeriod[] {
  const out: ReminderPeriod[] = [];
  const toApply = daysBetween(today, cycle.applicationDeadline);
  if (cycle.status === 'open' && (applyDeadlineOffsets as readonly number[]).includes(toApply)) {
    out.push({ kind: 'apply-deadline', period: `apply-deadline:${cycle.year}:T-${toApply}`, daysLeft: toApply });
  }
  const toScoring = daysBetween(today, cycle.scoringDeadline);
  if (cycle.status === 'open' || cycle.status === 'scoring') {
    if ((scoringDeadlineOffsets as readonly number[]).includes(toScoring)) {
      out.push({ kind: 'scoring-deadline', period: `scoring-deadline:${cycle.year}:T-${toScoring}`, daysLeft: toScoring });
    } else if (toScoring < 0) {
      out.push({ kind: 'scoring-deadline', period: `scoring-deadline:${cycle.year}:overdue:${today}`, daysLeft: toScoring });
    }
  }
  const toMeeting = daysBetween(today, cycle.reviewMeetingDate);
  if ((reviewMeetingOffsets as readonly number[]).includes(toMeeting)) {
    out.push({ kind: 'review-meeting', period: `review-meeting:${cycle.year}:T-${toMeeting}`, daysLeft: toMeeting });
  }
  return out;
}

/**
 * The `reminders` job: every reminder of the running cycle due today, each period claimed once
 * (job `reminders`, period e.g. `apply-deadline:2027:T-3`) and sent in that claim's transaction.
 */
export async function runReminders(db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  const cycle = await getRunningCycle(db);
  if (!cycle) return [];
  const today = todayIn(opts.timezone, opts.now);
  const outcomes: RunOutcome[] = [];
  for (const p of reminderPeriods(cycle, today)) {
    outcomes.push(
      await runClaimed(db, 'reminders', p.period, opts.now, async (tx, messages) => {
        if (p.kind === 'apply-deadline') return applyDeadlineReminders(tx, messages, cycle, p, opts);
        if (p.kind === 'scoring-deadline') return scoringDeadlineReminders(tx, messages, cycle, p);
        return reviewMeetingReminders(tx, messages, cycle, p, opts);
      }),
    );
  }
  return outcomes;
}

/**
 * Leaders of eligible teams (registered a year by the deadline, 第十六条; no title revoked within the
 * association's bar, 协会规定) whose application is missing, a draft or returned; contacts with applications to confirm.
 */
async function applyDeadlineReminders(tx: Db, messages: RunMessages, cycle: Cycle, p: ReminderPeriod, opts: JobOptions) {
  const candidates = await tx
    .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, registeredAt: teams.registeredAt, status: applications.status })
    .from(teams)
    .leftJoin(applications, and(eq(applications.teamId, teams.id), eq(applications.cycleId, cycle.id)))
    .where(and(eq(teams.status, 'active'), sql`(${applications.id} is null or ${applications.status} in ('draft', 'returned'))`))
    .orderBy(asc(teams.id));
  const barStart = new Date(opts.now.getTime() - revocationBarDays(cycle) * 86_400_000);
  const revoked = new Set(
    (
      await tx
        .select({ teamId: honours.teamId })
        .from(honours)
        .where(and(isNotNull(honours.revokedAt), gt(honours.revokedAt, barStart)))
    ).map((r) => r.teamId),
  );
  let leaders = 0;
  for (const t of candidates) {
    if (oneYearAfter(t.registeredAt) > cycle.applicationDeadline || revoked.has(t.id)) continue;
    const state = t.status === 'draft' ? 'draft' : t.status === 'returned' ? 'returned' : 'none';
    const card = applyDeadlineLeaderCard({ year: cycle.year, deadline: cycle.applicationDeadline, daysLeft: p.daysLeft, team: t, state });
    if (await messages.send({ dedupeKey: `remind:${p.period}:team-${t.id}`, to: { openId: t.leaderOpenId }, card })) leaders++;
  }

  const pending = await tx
    .select({ contactOpenId: teams.contactOpenId, id: teams.id, name: teams.name, code: teams.code })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycle.id), eq(applications.status, 'submitted')))
    .orderBy(asc(teams.contactOpenId), asc(teams.id));
  const byContact = new Map<string, { id: number; name: string; code: string }[]>();
  for (const r of pending) byContact.set(r.contactOpenId, [...(byContact.get(r.contactOpenId) ?? []), { id: r.id, name: r.name, code: r.code }]);
  let contacts = 0;
  for (const [openId, list] of byContact) {
    const card = applyDeadlineContactCard({ year: cycle.year, deadline: cycle.applicationDeadline, daysLeft: p.daysLeft, teams: list });
    if (await messages.send({ dedupeKey: `remind:${p.period}:contact-${openId}`, to: { openId }, card })) contacts++;
  }
  return { leaders, contacts };
}

/** Each expert with tasks still `assigned` in this cycle; the button opens the next one. */
async function scoringDeadlineReminders(tx: Db, messages: RunMessages, cycle: Cycle, p: ReminderPeriod) {
  const rows = await tx
    .select({ openId: assignments.expertOpenId, pending: sql<number>`count(*)::int` })
    .from(assignments)
    .innerJoin(applications, eq(applications.id, assignments.applicationId))
    .where(and(eq(applications.cycleId, cycle.id), eq(assignments.status, 'assigned')))
    .groupBy(assignments.expertOpenId)
    .orderBy(asc(assignments.expertOpenId));
  for (const r of rows) {
    const card = scoringDeadlineCard({ year: cycle.year, cycleId: cycle.id, deadline: cycle.scoringDeadline, daysLeft: p.daysLeft, pending: Number(r.pending) });
    await messages.send({ dedupeKey: `remind:${p.period}:expert-${r.openId}`, to: { openId: r.openId }, card });
  }
  return { experts: rows.length };
}

/** 第十九条: the admin group(s) and the leader of every accepted application. */
async function reviewMeetingReminders(tx: Db, messages: RunMessages, cycle: Cycle, p: ReminderPeriod, opts: JobOptions) {
  const accepted = await tx
    .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(and(eq(applications.cycleId, cycle.id), notInArray(applications.status, notYetAccepted)))
    .orderBy(asc(teams.id));
  const adminCard = reviewMeetingCard({ year: cycle.year, date: cycle.reviewMeetingDate, daysLeft: p.daysLeft, audience: 'admin', accepted: accepted.length });
  for (const to of await adminDestinations(tx, opts.bootstrapAdmins)) {
    await messages.send({ dedupeKey: `remind:${p.period}:${destinationKey(to)}`, to, card: adminCard });
  }
  for (const t of accepted) {
    const card = reviewMeetingCard({ year: cycle.year, date: cycle.reviewMeetingDate, daysLeft: p.daysLeft, audience: 'applicant', team: t });
    await messages.send({ dedupeKey: `remind:${p.period}:team-${t.id}`, to: { openId: t.leaderOpenId }, card });
  }
  return { applicants: accepted.length };
}
