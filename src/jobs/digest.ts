import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { type DigestData, digestCard } from '../../cards/reminders.js';
import type { Db } from '../../db/index.js';
import { applications, assignments, jobRuns, outbox, people, teams } from '../../db/schema.js';
import { applicationStatusNames } from '../applications.js';
import { countOpenComplaints, daysOpen, openComplaints, titlesAwaitingDecision } from '../complaints.js';
import { applicationCountsByStatus, cycleStatusLabel, getRunningCycle } from '../cycles.js';
import { addDays, daysBetween, todayIn } from '../dates.js';
import { mustRecuseSql } from '../review/scoring.js';
import { adminDestinations, destinationKey } from '../notifications.js';
import { type JobOptions, type RunOutcome, runClaimed } from './claimRun.js';

/** ISO 8601 week of a date: '2027-05-24' → '2027-W21' (the week's Thursday names the year). */
export function isoWeek(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const weekday = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export const isMonday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay() === 1;

/**
 * Daily while a cycle runs (period = the date), else weekly on Mondays (period = the ISO week), else nothing. The
 * period names the card and its dedupe keys; the run is claimed under the date either way (`runDigest`).
 * `ranThisWeek: false` (no digest run done since the week's Monday): a week whose Monday had no run (the bot down, or
 * started after the last tick) gets its weekly digest at its first run after, as the reminders make up a day missed.
 */
export function digestPeriod(today: string, cycleRunning: boolean, ranThisWeek = true): { kind: 'daily' | 'weekly'; period: string } | undefined {
  if (cycleRunning) return { kind: 'daily', period: today };
  if (isMonday(today) || !ranThisWeek) return { kind: 'weekly', period: isoWeek(today) };
  return undefined;
}

/** Whether a digest run was done on a day of `today`'s ISO week before it (its claims are the local dates). */
async function ranThisWeek(db: Db, today: string): Promise<boolean> {
  const monday = addDays(today, 1 - (new Date(`${today}T00:00:00Z`).getUTCDay() || 7));
  const [row] = await db
    .select({ id: jobRuns.id })
    .from(jobRuns)
    .where(and(eq(jobRuns.job, 'digest'), eq(jobRuns.status, 'done'), gte(jobRuns.period, monday), lt(jobRuns.period, today)))
    .limit(1);
  return row !== undefined;
}

/** What the digest would say; `hasNews` is false when there is nothing worth a message. */
export async function digestData(tx: Db, opts: JobOptions, kind: 'daily' | 'weekly', period: string): Promise<{ data: DigestData; hasNews: boolean }> {
  const today = todayIn(opts.timezone, opts.now);
  const cycle = await getRunningCycle(tx);
  let cycleData: DigestData['cycle'];
  let overdueExperts: DigestData['overdueExperts'] = [];
  if (cycle) {
    const counts = await applicationCountsByStatus(tx, cycle.id);
    const known = Object.keys(applicationStatusNames);
    const order = [...known, ...Object.keys(counts).filter((s) => !known.includes(s)).sort()];
    cycleData = {
      year: cycle.year,
      statusLabel: cycleStatusLabel(cycle.status),
      counts: order.filter((s) => counts[s]).map((s) => [applicationStatusNames[s as keyof typeof applicationStatusNames] ?? s, counts[s]]),
      scoringDeadline: cycle.scoringDeadline,
      applicationDeadline: cycle.applicationDeadline,
      // the deadline day itself still takes applications (src/applications.ts): 截止申报 is due from the day after
      closeApplicationsDue: cycle.status === 'open' && today > cycle.applicationDeadline,
    };
    if (today > cycle.scoringDeadline) {
      // a task its expert must step aside from (第十七条) is not theirs to score: it waits for the administrators' 更换专家
      const recused = mustRecuseSql(assignments.expertOpenId);
      const rows = await tx
        .select({
          openId: assignments.expertOpenId,
          name: people.name,
          pending: sql<number>`(count(*) filter (where not ${recused}))::int`,
          recused: sql<number>`(count(*) filter (where ${recused}))::int`,
          recusedTeams: sql<string[] | null>`array_agg(${teams.code} order by ${teams.code}) filter (where ${recused})`,
        })
        .from(assignments)
        .innerJoin(applications, eq(applications.id, assignments.applicationId))
        .innerJoin(teams, eq(teams.id, applications.teamId))
        .leftJoin(people, eq(people.openId, assignments.expertOpenId))
        .where(and(eq(applications.cycleId, cycle.id), eq(assignments.status, 'assigned')))
        .groupBy(assignments.expertOpenId, people.name)
        .orderBy(asc(assignments.expertOpenId));
      overdueExperts = rows.map((r) => ({
        openId: r.openId,
        name: r.name,
        pending: Number(r.pending),
        ...(Number(r.recused) ? { recused: Number(r.recused), recusedTeams: r.recusedTeams ?? [] } : {}),
      }));
    }
  }
  const total = await countOpenComplaints(tx);
  // a 撤销 / 保留 still owed (第二十二条) is news until decided: its alert was sent once, and stops taking clicks after 14 days
  const titlesAwaiting = (await titlesAwaitingDecision(tx)).map((t) => ({
    honourId: t.honourId,
    teamName: t.team.name,
    teamCode: t.team.code,
    year: t.year,
    run: t.run,
    days: daysBetween(todayIn(opts.timezone, t.dueAt), today),
  }));
  const oldest = (await openComplaints(tx, { limit: 5 })).map((r) => ({ reference: r.complaint.reference, teamName: r.team.name, daysOpen: daysOpen(r.complaint, opts.now, opts.timezone) }));
  const weekAgo = new Date(opts.now.getTime() - 7 * 86_400_000).toISOString();
  const [failed] = await tx
    .select({
      dead: sql<number>`(count(*) filter (where ${outbox.status} = 'dead'))::int`,
      // a card update refused (older than 14 days, the message recalled) is no receiver's doing
      undeliverable: sql<number>`(count(*) filter (where ${outbox.status} = 'undeliverable' and ${outbox.kind} <> 'update'))::int`,
    })
    .from(outbox)
    .where(and(inArray(outbox.status, ['dead', 'undeliverable']), gte(outbox.createdAt, sql`${weekAgo}::timestamptz`)));
  const deadLetters = Number(failed?.dead ?? 0);
  const undeliverable = Number(failed?.undeliverable ?? 0);
  const applicationsTotal = cycleData ? cycleData.counts.reduce((n, [, c]) => n + c, 0) : 0;
  const data: DigestData = {
    kind,
    period,
    cycle: cycleData,
    overdueExperts,
    openComplaints: { total, oldest },
    ...(titlesAwaiting.length ? { titlesAwaiting } : {}),
    deadLetters,
    ...(undeliverable ? { undeliverable } : {}),
  };
  // messages that could not reach someone are said when the digest goes, but are no news on their own: nothing to fix here
  return {
    data,
    hasNews: applicationsTotal > 0 || Boolean(cycleData?.closeApplicationsDue) || overdueExperts.length > 0 || total > 0 || titlesAwaiting.length > 0 || deadLetters > 0,
  };
}

/**
 * The `digest` job: the administrators' summary in the admin group(s), only when there is something to say. One a day
 * at most: the claim is the local date for both kinds, so a Monday on which a cycle starts or stops running (the
 * weekly digest at one tick, the daily one at another) still gets one.
 */
export async function runDigest(db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  const today = todayIn(opts.timezone, opts.now);
  const running = Boolean(await getRunningCycle(db));
  const which = digestPeriod(today, running, running || isMonday(today) || (await ranThisWeek(db, today)));
  if (!which) return [];
  return [
    await runClaimed(db, 'digest', today, opts.now, async (tx, messages) => {
      const { data, hasNews } = await digestData(tx, opts, which.kind, which.period);
      if (!hasNews) return { sent: false };
      const card = digestCard(data);
      for (const to of await adminDestinations(tx, opts.bootstrapAdmins)) {
        await messages.send({ dedupeKey: `digest:${which.period}:${destinationKey(to)}`, to, card });
      }
      return {
        sent: true,
        openComplaints: data.openComplaints.total,
        ...(data.titlesAwaiting ? { titlesAwaiting: data.titlesAwaiting.length } : {}),
        overdueExperts: data.overdueExperts.length,
        deadLetters: data.deadLetters,
      };
    }),
  ];
}
