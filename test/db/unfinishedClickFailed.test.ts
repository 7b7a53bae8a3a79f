/**
 * A click answered “正在处理” whose work fails after a stop queued the notice that it was cut short: the notice is what
 * tells the person, so it is kept, and says what the work left. It was dropped, and the person heard nothing.
 */
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { unfinishedClickRenderer } from '../../src/lateClicks.js';
import { testDatabaseKind } from '../support/db.js';
import { type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { registrationForm } from './securityFixture.js';

const LEADER = 'ou_failedlateleader000000000000000';
const EVENT = 'evt-failed-late';

// PGlite is one connection: nothing can hold a lock the bot's click waits on while the bot goes on
describe.runIf(testDatabaseKind() === 'postgres')('a click cut short that then fails', () => {
  let h: Harness | undefined;
  afterAll(async () => {
    await h?.close();
  });

  it('keeps the notice, which says nothing was saved', { timeout: 60_000 }, async () => {
    h = await startHarness({ cardAnswerMs: 300 });
    const other = postgres(h.db.url!, { max: 1, onnotice: () => {} });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    try {
      let locked!: () => void;
      const lockHeld = new Promise<void>((resolve) => (locked = resolve));
      const locker = other.begin(async (tx) => {
        await tx`lock table teams in exclusive mode`;
        locked();
        await released;
      });
      await lockHeld;
      const answer = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: LEADER, value: { action: 'team.register' }, formValue: registrationForm('失败通知'), eventId: EVENT }));
      expect(JSON.stringify(answer.body)).toContain('正在处理');
      // the stop's grace is over: the notice is queued; then the click's work fails (its connection ended)
      expect(await h.app.processor.handOverUnfinished()).toBe(1);
      const key = `late-answer:${EVENT}:unfinished`;
      await h.db.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
      await h.app.processor.settled(10_000);
      const [notice] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, key));
      expect(notice.status).toBe('held');
      const [card] = await unfinishedClickRenderer(h.db.db)([{ kind: 'unfinishedClick', eventId: EVENT }]);
      expect(JSON.stringify(card)).toContain('没有保存');
      release();
      await locker;
    } finally {
      release();
      await other.end();
    }
  });
});
