import { and, eq, lt, max } from 'drizzle-orm';
import { batchAlertListed, complaintAlertCard, complaintEscalationCard } from '../../cards/complaints.js';
import type { Db } from '../../db/index.js';
import { jobRuns } from '../../db/schema.js';
import { complaintSummary, complaintsWithTeams, complaintView, daysOpen, escalationKey, openComplaintTimes, revocationAlertSpec, titlesAwaitingDecision, titleStatus } from '../complaints.js';
import { daysBetween, todayIn } from '../dates.js';
import { adminDestinations, destinationKey } from '../notifications.js';
import { type JobOptions, type RunOutcome, runClaimed } from './claimRun.js';

/** A complaint open longer than this is raised again in the admin group. */
export const escalateAfterDays = 7;

/** A week mark (8, 15, 22… days) reached since the last run done, `since` days ago. */
const weekMarkReached = (days: number, since: number) => days > escalateAfterDays && (days - escalateAfterDays - 1) % 7 < since;

/**
 * The `escalation` job: each complaint open for more than 7 days is raised again once per week open (day 8, 15, 22…),
 * all those of one run on ONE card per destination, so a flood of complaints never comes back as a flood of cards.
 * A lone complaint keeps its own card with the decision form. So is a title whose 撤销 / 保留 (第二十二条) has been
 * awaited that long (`titlesAwaitingDecision`, counted from when its run reached the number): its alert again, with
 * the decision form and the days waited (its first alert stops taking clicks after 14 days). Period: the date. The
 * marks passed since the last run done (a week at most) count, so a day the bot was down is made up by the next run.
 */
export async function runEscalation(db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  const today = todayIn(opts.timezone, opts.now);
  return [
    await runClaimed(db, 'escalation', today, opts.now, async (tx, messages) => {
      const [open, since, awaiting] = await Promise.all([openComplaintTimes(tx), daysSinceLastRun(tx, today), titlesAwaitingDecision(tx)]);
      const due = open.map((c) => ({ id: c.id, days: daysOpen(c, opts.now, opts.timezone) })).filter((c) => weekMarkReached(c.days, since));
      const titles = awaiting.map((t) => ({ ...t, days: daysBetween(todayIn(opts.timezone, t.dueAt), today) })).filter((t) => weekMarkReached(t.days, since));
      if (!due.length && !titles.length) return { complaints: 0 };
      const destinations = await adminDestinations(tx, opts.bootstrapAdmins);
      if (due.length) {
        const card = await escalationCard(tx, due, opts.timezone);
        for (const to of destinations) await messages.send({ dedupeKey: escalationKey(today, destinationKey(to)), to, card });
      }
      for (const t of titles) {
        // drawn when it is sent (revocationAlertRenderer): decided before it goes out, it goes out decided
        for (const to of destinations) await messages.send({ dedupeKey: `revocation:escalate:${today}:${t.honourId}:${destinationKey(to)}`, to, render: revocationAlertSpec(t.honourId, t.days) });
      }
      return { complaints: due.length, ...(titles.length ? { titles: titles.length } : {}) };
    }),
  ];
}

/** Days since the last escalation run done, a week at most (and a week when there was none). */
async function daysSinceLastRun(tx: Db, today: string): Promise<number> {
  const [row] = await tx
    .select({ period: max(jobRuns.period) })
    .from(jobRuns)
    .where(and(eq(jobRuns.job, 'escalation'), eq(jobRuns.status, 'done'), lt(jobRuns.period, today)));
  return row?.period ? Math.min(7, Math.max(1, daysBetween(row.period, today))) : 7;
}

/** One complaint: its own card with 成立 / 不成立; several: the oldest listed with 处理, the rest counted. Due oldest first. */
async function escalationCard(tx: Db, due: { id: number; days: number }[], timezone: string) {
  const listed = due.slice(0, batchAlertListed);
  const rows = new Map((await complaintsWithTeams(tx, listed.map((c) => c.id))).map((r) => [r.complaint.id, r]));
  const found = listed.flatMap((c) => {
    const r = rows.get(c.id);
    return r ? [{ ...r, days: c.days }] : [];
  });
  if (due.length === 1 && found.length === 1) {
    const [{ complaint, team, days }] = found;
    const title = await titleStatus(tx, team.id);
    return complaintAlertCard(complaintView(complaint, team, timezone), { title: title?.view, daysOpen: days });
  }
  const items = found.map((r) => ({ ...complaintSummary(r.complaint, r.team, timezone), daysOpen: r.days }));
  return complaintEscalationCard({ items, total: due.length, afterDays: escalateAfterDays });
}
