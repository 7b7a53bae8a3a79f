import cron from 'node-cron';
import type { Logger } from '../src/log.js';
import type { OutboxDispatcher } from '../src/outbox.js';
import { outboxSweep } from './outbox.js';

export interface Schedules {
  stop(): Promise<void>;
}

/** Starts every schedule in the bot's timezone. */
export function startSchedules(deps: { dispatcher: OutboxDispatcher; timezone: string; log: Logger }): Schedules {
  const tasks = [cron.schedule('*/30 * * * * *', outboxSweep(deps.dispatcher), { timezone: deps.timezone, name: 'outbox-sweep' })];
  deps.log.debug({ schedules: tasks.length }, 'schedules started');
  return {
    async stop() {
      for (const t of tasks) await t.stop();
    },
  };
}
