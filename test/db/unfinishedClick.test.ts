/**
 * The notice a stop queues for a click it cut short (src/lateClicks.ts), as whichever process sends it draws it: the
 * click's event recorded (its work committed at the last moment) drops it, else the person is told nothing was saved.
 * test/db/replicaProcesses.test.ts stops a real process under such a click.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, processedEvents } from '../../db/schema.js';
import { dropUnfinishedNotice, unfinishedClickNotice, unfinishedClickRenderer } from '../../src/lateClicks.js';
import { enqueue } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('the notice of a click cut short by a stop', () => {
  it('is dropped for a click whose event was recorded, and says nothing was saved otherwise', async () => {
    await db.db.insert(processedEvents).values({ eventId: 'evt-done', eventType: 'card.action.trigger' });
    const render = unfinishedClickRenderer(db.db);
    const [done, cut] = await render([
      { kind: 'unfinishedClick', eventId: 'evt-done' },
      { kind: 'unfinishedClick', eventId: 'evt-cut' },
    ]);
    expect(done).toEqual({ drop: expect.any(String) });
    expect(JSON.stringify(cut)).toContain('刚才的操作没有完成');
    expect(JSON.stringify(cut)).toContain('没有保存');
  });

  it('is held until the stop is over, and dropped when the process answers the click itself after all', async () => {
    const holdUntil = new Date(Date.now() + 10_000);
    await db.db.transaction((tx) => enqueue(tx, unfinishedClickNotice('evt-answered', 'ou_unfinished00000000000000000001', holdUntil)));
    const [row] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'late-answer:evt-answered:unfinished'));
    expect(row.status).toBe('held');
    expect(row.nextAttemptAt.getTime()).toBe(holdUntil.getTime());
    await dropUnfinishedNotice(db.db, 'evt-answered');
    const [after] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'late-answer:evt-answered:unfinished'));
    expect(after.status).toBe('dropped');
  });
});
