import type { Db } from '../../db/index.js';
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
    }
  };
}
