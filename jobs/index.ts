import cron from 'node-cron';
import type { Database } from '../db/index.js';
import type { Clock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/log.js';
import type { OutboxDispatcher } from '../src/outbox.js';
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

export function startSchedules(deps: ScheduleDeps): Schedules {
  const timezone = deps.config.BOT_TIMEZONE;
  const tasks = [cron.schedule('*/30 * * * * *', outboxSweep(deps.dispatcher), { timezone, name: 'outbox-sweep' })];
  deps.log.debug({ schedules: tasks.length }, 'schedules started');
  return {
    async stop() {
      for (const t of tasks) await t.stop();
    },
  };
}
