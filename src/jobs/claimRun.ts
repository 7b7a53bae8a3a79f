import { and, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { jobRuns } from '../../db/schema.js';
import type { OutgoingMessage } from '../outbox.js';
import { enqueue } from '../outbox.js';
import { errorText } from '../log.js';
import { cutText } from '../../cards/kit.js';

/** What every job service runs with: the moment it runs for, the bot's timezone, the bootstrap admins. */
export interface JobOptions {
  now: Date;
  timezone: string;
  bootstrapAdmins: readonly string[];
}

/** What one claimed period did: `skipped` when another run (or replica) had it already. */
export interface RunOutcome {
  job: string;
  period: string;
  status: 'done' | 'skipped';
  /** Dedupe keys of the messages this run queued (a key queued before is not counted). */
  queued: string[];
  details?: Record<string, unknown>;
}

/** Collects the dedupe keys a run queues, through the run's own transaction. */
export class RunMessages {
  readonly keys: string[] = [];
  constructor(private readonly tx: Db) {}
  async send(message: OutgoingMessage): Promise<boolean> {
    const added = await enqueue(this.tx, message);
    if (added) this.keys.push(message.dedupeKey);
    return added;
  }
}

/**
 * Runs `work` once per (job, period) across every process: the claim row, the work and the outbox rows
 * commit in ONE transaction, so a concurrent claimer blocks on the unique index and then finds the row
 * taken; a run that throws rolls everything back and leaves a `failed` row that a later run takes over.
 */
export async function runClaimed(
  db: Db,
  job: string,
  period: string,
  now: Date,
  work: (tx: Db, messages: RunMessages) => Promise<Record<string, unknown> | void>,
): Promise<RunOutcome> {
  const started = performance.now();
  try {
    return await db.transaction(async (tx) => {
      const claimed = await tx
        .insert(jobRuns)
        .values({ job, period, startedAt: now, status: 'running' })
        .onConflictDoUpdate({
          target: [jobRuns.job, jobRuns.period],
          set: { status: 'running', startedAt: now, finishedAt: null, details: null },
          where: eq(jobRuns.status, 'failed'),
        })
        .returning({ id: jobRuns.id });
      if (!claimed.length) return { job, period, status: 'skipped' as const, queued: [] };
      const messages = new RunMessages(tx);
      const details = { ...((await work(tx, messages)) ?? {}), queued: messages.keys.length, ms: Math.round(performance.now() - started) };
      await tx.update(jobRuns).set({ status: 'done', finishedAt: now, details }).where(eq(jobRuns.id, claimed[0].id));
      return { job, period, status: 'done' as const, queued: messages.keys, details };
    });
  } catch (err) {
    await recordFailure(db, job, period, now, err);
    throw err;
  }
}

/**
 * Runs of one tick: every replica runs each job at the same hourly tick (one up to TICK_LATE_MS late, jobs/index.ts),
 * and a manual run is not a tick of its own unless it comes this long after the last failure.
 */
export const SAME_TICK_MS = 30 * 60_000;

/**
 * Leaves a `failed` row (never over a `done` one) so the next run of the period may retry it, counting the ticks that
 * failed in a row (`details.failures`: a run that takes the row over and fails rolls back to it, and adds one, but not
 * for a failure within SAME_TICK_MS of the last one counted, `details.countedAt`: two replicas failing at 9:00 are one
 * failed tick, not two; measured from the latest failure instead, manual runs every twenty minutes would keep every tick
 * after them from counting, and the administrators would never be told).
 */
async function recordFailure(db: Db, job: string, period: string, now: Date, err: unknown): Promise<void> {
  const error = cutText(errorText(err), 500);
  const counted = sql`coalesce((${jobRuns.details} ->> 'countedAt')::timestamptz, ${jobRuns.finishedAt})`;
  const sameTick = sql`${counted} > ${new Date(now.getTime() - SAME_TICK_MS).toISOString()}::timestamptz`;
  try {
    await db
      .insert(jobRuns)
      .values({ job, period, startedAt: now, finishedAt: now, status: 'failed', details: { error, failures: 1, countedAt: now.toISOString() } })
      .onConflictDoUpdate({
        target: [jobRuns.job, jobRuns.period],
        set: {
          status: 'failed',
          finishedAt: sql`greatest(${jobRuns.finishedAt}, ${now.toISOString()}::timestamptz)`,
          details: sql`jsonb_build_object('error', ${error}::text, 'failures', coalesce((${jobRuns.details} ->> 'failures')::int, 0) + case when ${sameTick} then 0 else 1 end, 'countedAt', case when ${sameTick} then ${counted} else ${now.toISOString()}::timestamptz end)`,
        },
        where: ne(jobRuns.status, 'done'),
      });
  } catch {
    // the original error is what the caller needs to see
  }
}

/** The recorded run of a period, if any. */
export async function jobRun(db: Db, job: string, period: string) {
  const [row] = await db.select().from(jobRuns).where(and(eq(jobRuns.job, job), eq(jobRuns.period, period)));
  return row;
}
