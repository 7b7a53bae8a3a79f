import { and, asc, between, eq, inArray, isNotNull, lt, max } from 'drizzle-orm';
import { anniversaryCard } from '../../cards/reminders.js';
import type { Db } from '../../db/index.js';
import { applications, honours, jobRuns, teams } from '../../db/schema.js';
import { type Cycle, cycleOpenForApplications, oneYearAfter } from '../applications.js';
import { addDays, todayIn } from '../dates.js';
import { UserError } from '../errors.js';
import { type JobOptions, type RunOutcome, runClaimed } from './claimRun.js';
import { applyOpenNoticeToday, applyReminderToday, barredAtDeadline } from './reminders.js';

/**
 * How many days back a run makes up the anniversaries when the job has no run done on record (a new installation, or
 * its history lost): generous, as an outage may be long. With a run on record it makes up every day since that run.
 */
export const ANNIVERSARY_CATCH_UP_DAYS = 60;
/** The most a run makes up even with a run on record: after a year, a team's anniversary comes round again. */
export const ANNIVERSARY_CATCH_UP_MAX_DAYS = 366;

/**
 * The `anniversary` job (第十六条): the day a team has been registered a year, its leader is told it
 * may take part, with a button to apply when a cycle takes applications. Period: the date. A team that has applied in
 * the open cycle is not called to apply (a draft or a returned form is asked to be finished), and one whose leader has
 * the application deadline's reminder or the notice that applications opened the same day gets that card alone. A run
 * also tells the teams whose anniversary fell after the last day the job ran to its end (however long ago, up to
 * ANNIVERSARY_CATCH_UP_MAX_DAYS; ANNIVERSARY_CATCH_UP_DAYS back when no run is on record), each once: the message is
 * keyed by the team and its anniversary, whichever day it goes out. A team whose title was revoked since its
 * anniversary (第二十二条, barred by 协会规定) is not told late that it may take part.
 */
export async function runAnniversary(db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  const today = todayIn(opts.timezone, opts.now);
  return [
    await runClaimed(db, 'anniversary', today, opts.now, async (tx, messages) => {
      const from = await firstDayOwed(tx, today);
      // a window around "a year ago" that oneYearAfter then narrows to the days owed (29 February included)
      const candidates = await tx
        .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, registeredAt: teams.registeredAt })
        .from(teams)
        .where(and(eq(teams.status, 'active'), between(teams.registeredAt, addDays(from, -367), addDays(today, -364))))
        .orderBy(asc(teams.id));
      const inWindow = candidates.map((t) => ({ ...t, anniversary: oneYearAfter(t.registeredAt) })).filter((t) => t.anniversary >= from && t.anniversary <= today);
      // a title revoked since the anniversary: the team is barred from applying (协会规定), so not told now that it may
      const revoked = inWindow.length
        ? await tx
            .select({ teamId: honours.teamId, revokedAt: honours.revokedAt })
            .from(honours)
            .where(and(inArray(honours.teamId, inWindow.map((t) => t.id)), isNotNull(honours.revokedAt)))
        : [];
      const revokedSince = new Set(revoked.filter((r) => inWindow.some((t) => t.id === r.teamId && todayIn(opts.timezone, r.revokedAt!) >= t.anniversary)).map((r) => r.teamId));
      const due = inWindow.filter((t) => !revokedSince.has(t.id));
      const cycle = due.length ? await openCycle(tx, today) : undefined;
      // the team's application in the open cycle: one submitted (or further) is not called to apply; a draft or a
      // returned one is asked to finish it
      const status = new Map<number, string>();
      let folded = new Set<number>();
      if (cycle) {
        const rows = await tx
          .select({ teamId: applications.teamId, status: applications.status })
          .from(applications)
          .where(and(eq(applications.cycleId, cycle.id), inArray(applications.teamId, due.map((t) => t.id))));
        for (const r of rows) status.set(r.teamId, r.status);
        // the deadline's reminder goes to an eligible, unbarred team's leader today: it says what this card would
        // so does the notice that applications opened, when it goes out today (after a long outage, say)
        if ((await applyReminderToday(tx, cycle, opts)) || (await applyOpenNoticeToday(tx, cycle, opts))) {
          const barred = await barredAtDeadline(tx, cycle, opts);
          folded = new Set(due.filter((t) => t.anniversary <= cycle.applicationDeadline && !barred.has(t.id)).map((t) => t.id));
        }
      }
      let applied = 0;
      let inDeadlineReminder = 0;
      for (const t of due) {
        const s = status.get(t.id);
        if (s !== undefined && s !== 'draft' && s !== 'returned') {
          applied++;
          continue;
        }
        if (folded.has(t.id)) {
          inDeadlineReminder++;
          continue;
        }
        await messages.send({
          dedupeKey: `remind:anniversary:team-${t.id}:${t.anniversary}`,
          to: { openId: t.leaderOpenId },
          card: anniversaryCard({ team: t, cycle, ...(s === 'draft' || s === 'returned' ? { state: s } : {}), ...(t.anniversary < today ? { lateSince: t.anniversary } : {}) }),
        });
      }
      return { teams: due.length, applied, inDeadlineReminder, from, cycle: cycle?.year ?? null, ...(revokedSince.size ? { revokedSince: revokedSince.size } : {}) };
    }),
  ];
}

/**
 * The day after the job last ran to its end (ANNIVERSARY_CATCH_UP_MAX_DAYS back at most), or ANNIVERSARY_CATCH_UP_DAYS
 * back when no run is on record.
 */
async function firstDayOwed(tx: Db, today: string): Promise<string> {
  const [last] = await tx
    .select({ day: max(jobRuns.period) })
    .from(jobRuns)
    .where(and(eq(jobRuns.job, 'anniversary'), eq(jobRuns.status, 'done'), lt(jobRuns.period, today)));
  if (!last?.day) return addDays(today, -ANNIVERSARY_CATCH_UP_DAYS);
  const earliest = addDays(today, -ANNIVERSARY_CATCH_UP_MAX_DAYS);
  const after = addDays(last.day, 1);
  return after > earliest ? after : earliest;
}

async function openCycle(tx: Db, today: string): Promise<Cycle | undefined> {
  try {
    return await cycleOpenForApplications(tx, today);
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
}
