import { and, asc, between, eq } from 'drizzle-orm';
import { anniversaryCard } from '../../cards/reminders.js';
import type { Db } from '../../db/index.js';
import { teams } from '../../db/schema.js';
import { type Cycle, cycleOpenForApplications, oneYearAfter } from '../applications.js';
import { addDays, todayIn } from '../dates.js';
import { UserError } from '../errors.js';
import { type JobOptions, type RunOutcome, runClaimed } from './claimRun.js';

/**
 * The `anniversary` job (第十六条): the day a team has been registered a year, its leader is told it
 * may take part, with a button to apply when a cycle takes applications. Period: the date.
 */
export async function runAnniversary(db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  const today = todayIn(opts.timezone, opts.now);
  return [
    await runClaimed(db, 'anniversary', today, opts.now, async (tx, messages) => {
      // a window around "a year ago" that oneYearAfter then narrows to exactly today (29 February included)
      const candidates = await tx
        .select({ id: teams.id, name: teams.name, code: teams.code, leaderOpenId: teams.leaderOpenId, registeredAt: teams.registeredAt })
        .from(teams)
        .where(and(eq(teams.status, 'active'), between(teams.registeredAt, addDays(today, -367), addDays(today, -364))))
        .orderBy(asc(teams.id));
      const due = candidates.filter((t) => oneYearAfter(t.registeredAt) === today);
      const cycle = due.length ? await openCycle(tx, today) : undefined;
      for (const t of due) {
        await messages.send({ dedupeKey: `remind:anniversary:team-${t.id}:${today}`, to: { openId: t.leaderOpenId }, card: anniversaryCard({ team: t, cycle }) });
      }
      return { teams: due.length, cycle: cycle?.year ?? null };
    }),
  ];
}

async function openCycle(tx: Db, today: string): Promise<Cycle | undefined> {
  try {
    return await cycleOpenForApplications(tx, today);
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
}
