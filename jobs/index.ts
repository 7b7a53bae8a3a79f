import cron from 'node-cron';
import type { Database } from '../db/index.js';
import type { Clock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/log.js';
import type { OutboxDispatcher } from '../src/outbox.js';
import { jobNames, scheduledJob } from '../src/jobs/index.js';
import { outboxSweep } from './outbox.js';

export interface Schedules {
  stop(): Promise<void>;
}

/** Starts every schedule in the bot's timezone. */
export interface ScheduleDeps {
  database: Database;
  dispatcher: OutboxDispatcher;
  config: Config;
  clock: Clock;
  log: Logger;
}

/** How late an hourly tick may fire and still run (under the hour between two): the claim keeps a late run single. */
export const TICK_LATE_MS = 30 * 60_000;

export function startSchedules(deps: ScheduleDeps): Schedules {
  const timezone = deps.config.BOT_TIMEZONE;
  // a sweep missed is made up 30 s later: no warning of node-cron's own in the log for it
  const tasks = [cron.schedule('*/30 * * * * *', outboxSweep(deps.dispatcher), { timezone, name: 'outbox-sweep', suppressMissedWarning: true })];
  // reminders, anniversary, digest, escalation: hourly 09:00–18:00, so a tick missed or failed is made up the same day; the (job, period) claim makes the rest no-ops.
  // A whole day missed is made up by the next run: the latest deadline reminder owed, the anniversaries since the last run done (60 days back with none on record)
  const jobDeps = { db: deps.database.db, now: () => deps.clock.now(), timezone, bootstrapAdmins: deps.config.ADMIN_OPEN_IDS, log: deps.log, nudge: () => deps.dispatcher.nudge() };
  // a tick whose timer fires late (the loop busy over the hour: another job's read on PGlite, which computes on the main
  // thread, an import being read, the machine paused) still runs: node-cron gives up a run more than a second late
  for (const name of jobNames) tasks.push(cron.schedule('0 9-18 * * *', scheduledJob(name, jobDeps), { timezone, name, missedExecutionTolerance: TICK_LATE_MS }));
  deps.log.debug({ schedules: tasks.length }, 'schedules started');
  return {
    async stop() {
      for (const t of tasks) await t.stop();
    },
  };
}
