import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { jobRuns } from '../../db/schema.js';
import { adminDestinations, destinationKey } from '../groups.js';
import { enqueue } from '../outbox.js';
import type { Logger } from '../log.js';
import { runAnniversary } from './anniversary.js';
import type { JobOptions, RunOutcome } from './claimRun.js';
import { runDigest } from './digest.js';
import { runEscalation } from './escalation.js';
import { runReminders } from './reminders.js';

export type { JobOptions, RunOutcome } from './claimRun.js';

/** Every scheduled job by the name `npm run job -- <name>` takes. */
export const jobServices = {
  reminders: runReminders,
  anniversary: runAnniversary,
  digest: runDigest,
  escalation: runEscalation,
} satisfies Record<string, (db: Db, opts: JobOptions) => Promise<RunOutcome[]>>;

export type JobName = keyof typeof jobServices;
export const jobNames = Object.keys(jobServices) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobServices, name);
}

export async function runJob(name: JobName, db: Db, opts: JobOptions): Promise<RunOutcome[]> {
  return jobServices[name](db, opts);
}

/**
 * What a cron tick runs: the job for the clock's now; a failure is logged (its period stays `failed`
 * and the next tick or a manual run retries it), and the outbox is woken when messages were queued.
 */
export function scheduledJob(name: JobName, deps: { db: Db; now: () => Date; timezone: string; bootstrapAdmins: readonly string[]; log: Logger; nudge: () => void }) {
  return async () => {
    try {
      const outcomes = await runJob(name, deps.db, { now: deps.now(), timezone: deps.timezone, bootstrapAdmins: deps.bootstrapAdmins });
      const queued = outcomes.reduce((n, o) => n + o.queued.length, 0);
      if (queued) deps.nudge();
      deps.log.info({ job: name, periods: outcomes.map((o) => `${o.period}:${o.status}`), queued }, 'job ran');
    } catch (err) {
      deps.log.error({ err, job: name }, 'job failed');
      try {
        await alertRepeatedFailure(deps.db, name, deps.bootstrapAdmins, deps.now());
      } catch (alertErr) {
        deps.log.error({ err: alertErr, job: name }, 'job failure alert not queued');
      }
    }
  };
}

/** A period failing this many runs in a row (one a tick: 9, 10 and 11 o'clock) is told to the administrators. */
export const JOB_FAILURES_TOLD = 3;

const jobTitles: Record<JobName, string> = { reminders: '截止提醒', anniversary: '注册满一年提醒', digest: '每日/每周汇总', escalation: '投诉与撤销称号超期提醒' };

/**
 * A scheduled job's period that failed JOB_FAILURES_TOLD runs in a row: what it should have sent has not gone (a deadline's
 * reminders, the digest), and only the log said so; the administrators are told once a period, while later ticks keep
 * trying it.
 */
async function alertRepeatedFailure(db: Db, name: JobName, bootstrapAdmins: readonly string[], now: Date): Promise<void> {
  const failing = await db
    .select({ period: jobRuns.period, details: jobRuns.details })
    .from(jobRuns)
    // a period of another day that failed and was not tried since was told of then
    .where(and(eq(jobRuns.job, name), eq(jobRuns.status, 'failed'), gt(jobRuns.finishedAt, new Date(now.getTime() - 86_400_000)), sql`coalesce((${jobRuns.details} ->> 'failures')::int, 0) >= ${JOB_FAILURES_TOLD}`));
  if (!failing.length) return;
  await db.transaction(async (tx) => {
    const destinations = await adminDestinations(tx, bootstrapAdmins);
    for (const { period, details } of failing) {
      // the error itself (a query, a stack) is for the log and job_runs, not the group
      const { failures } = (details ?? {}) as { failures?: number };
      const text = `定时任务“${jobTitles[name]}”（${name} ${period}）已连续 ${failures ?? JOB_FAILURES_TOLD} 次运行失败，它这一期应发的消息还没有发出；接下来每个整点运行（每天 9–18 点）时会再试，成功后照常发出。请联系技术支持查看日志（job failed）。`;
      for (const to of destinations) await enqueue(tx, { dedupeKey: `alert:job-failed:${name}:${period}:${destinationKey(to)}`, to, text });
    }
  });
}
