import { complaintAlertCard } from '../../cards/complaints.js';
import type { Db } from '../../db/index.js';
import { complaintView, daysOpen, openComplaints, titleStatus } from '../complaints.js';
import { todayIn } from '../dates.js';
import { adminDestinations, destinationKey } from '../notifications.js';
import { type JobOptions, type RunOutcome, runClaimed } from './claimRun.js';

/** A complaint open longer than this is raised again in the admin group. */
export const escalateAfterDays = 7;

/**
 * The `escalation` job: each complaint open for more than 7 days is raised again with its decision
 * buttons, once per complaint per week open (the dedupe key counts the weeks). Period: the date.
 */
export async function runEscalation(db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  const today = todayIn(opts.timezone, opts.now);
  return [
    await runClaimed(db, 'escalation', today, opts.now, async (tx, messages) => {
      const rows = await openComplaints(tx);
      const due = rows.filter((r) => daysOpen(r.complaint, opts.now, opts.timezone) > escalateAfterDays);
      const destinations = due.length ? await adminDestinations(tx, opts.bootstrapAdmins) : [];
      for (const r of due) {
        const days = daysOpen(r.complaint, opts.now, opts.timezone);
        // day 8 is the first raise, day 15 the second, and so on
        const week = Math.floor((days - escalateAfterDays - 1) / 7) + 1;
        const title = await titleStatus(tx, r.team.id);
        const card = complaintAlertCard(complaintView(r.complaint, r.team, opts.timezone), { title: title?.view, daysOpen: days });
        for (const to of destinations) {
          await messages.send({ dedupeKey: `complaint:escalate:${r.complaint.id}:week-${week}:${destinationKey(to)}`, to, card });
        }
      }
      return { complaints: due.length };
    }),
  ];
}
