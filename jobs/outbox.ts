import type { OutboxDispatcher } from '../src/outbox.js';

/**
 * The outbox dispatcher runs as a loop, woken after every commit that queued a message and polled
 * otherwise; this job is the safety net that restarts nothing but makes sure due rows are claimed
 * even if a wake-up was missed.
 */
export function outboxSweep(dispatcher: OutboxDispatcher) {
  return async () => {
    dispatcher.nudge();
  };
}
