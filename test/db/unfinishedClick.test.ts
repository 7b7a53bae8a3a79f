/**
 * The notice a stop queues for a click it cut short (src/lateClicks.ts), as whichever process sends it draws it, claiming
 * the click's event first: recorded by the work and answered, it is dropped; recorded with no answer queued, the person
 * is told it was saved; else nothing was saved, and the work, should its statement still run, can no longer write.
 * test/db/replicaProcesses.test.ts stops a real process under such a click.
 */
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, processedEvents } from '../../db/schema.js';
import { dropUnfinishedNotice, unfinishedClickNotice, unfinishedClickRenderer } from '../../src/lateClicks.js';
import { enqueue } from '../../src/outbox.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('the notice of a click cut short by a stop', () => {
  it('is dropped for a click whose event was recorded and answered, says it was saved when no answer was queued, and nothing was saved otherwise', async () => {
    await db.db.insert(processedEvents).values([
      { eventId: 'evt-done', eventType: 'card.action.trigger' },
      { eventId: 'evt-done-said', eventType: 'card.action.trigger' },
      { eventId: 'evt-saved', eventType: 'card.action.trigger' },
    ]);
    // the process's late answer: its card over the clicked one, or its message
    await enqueue(db.db, { dedupeKey: 'late-answer:evt-done', to: { updateMessage: 'om_unfinished_done' }, card: { elements: [] }, priority: 'interactive' });
    await enqueue(db.db, { dedupeKey: 'late-answer:evt-done-said:said', to: { openId: 'ou_unfinished00000000000000000002' }, text: '你刚才在卡片上的操作：已保存', priority: 'interactive' });
    const render = unfinishedClickRenderer(db.db);
    const [done, said, saved, cut] = await render([
      { kind: 'unfinishedClick', eventId: 'evt-done' },
      { kind: 'unfinishedClick', eventId: 'evt-done-said' },
      { kind: 'unfinishedClick', eventId: 'evt-saved' },
      { kind: 'unfinishedClick', eventId: 'evt-cut' },
    ]);
    expect(done).toEqual({ drop: expect.any(String) });
    expect(said).toEqual({ drop: expect.any(String) });
    // committed as the database closed (the read after its COMMIT failed, or its statement ran on after the process): saved, unanswered
    expect(JSON.stringify(saved)).toContain('刚才的操作已经完成');
    expect(JSON.stringify(saved)).toContain('请不要重复操作');
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

  // a one-statement path's claim (src/fast/sql.ts claimCte), its writes guarded by it: what it writes once it runs
  const fastClaim = async (eventId: string) => {
    const rows = (await db.db.execute(sql`with claim as (insert into processed_events (event_id, event_type) values (${eventId}, 'card.action.trigger') on conflict do nothing returning event_id) select exists (select 1 from claim) as claimed`)) as unknown as { rows?: { claimed: boolean }[] } & { claimed: boolean }[];
    return (rows.rows ?? rows)[0].claimed;
  };

  it('claims the click: its work, still running on the server when the notice is sent, then writes nothing, and a send tried again keeps the card', async () => {
    const render = unfinishedClickRenderer(db.db);
    const [first] = await render([{ kind: 'unfinishedClick', eventId: 'evt-orphan-late' }]);
    expect(JSON.stringify(first)).toContain('没有保存');
    // the statement, its row lock freed after the notice was drawn, finds the event taken
    expect(await fastClaim('evt-orphan-late')).toBe(false);
    const [again] = await render([{ kind: 'unfinishedClick', eventId: 'evt-orphan-late' }]);
    expect(JSON.stringify(again)).toContain('没有保存');
    // an event claimed by its work is still done: saved, though no answer of the process followed
    expect(await fastClaim('evt-orphan-other')).toBe(true);
    expect(JSON.stringify(await render([{ kind: 'unfinishedClick', eventId: 'evt-orphan-other' }]))).toContain('刚才的操作已经完成');
  });

  it.runIf(testDatabaseKind() === 'postgres')('waits for a claim its work made and has not committed: the work committing, the notice says it was saved', async () => {
    const other = postgres(db.url!, { max: 1, onnotice: () => {} });
    let commit = () => {};
    try {
      const committing = new Promise<void>((resolve) => (commit = resolve));
      let claimed!: () => void;
      const claimHeld = new Promise<void>((resolve) => (claimed = resolve));
      // the orphaned statement: its claim made, the rest of it waiting on a lock, then committed
      const orphan = other.begin(async (tx) => {
        await tx`insert into processed_events (event_id, event_type) values ('evt-orphan-commits', 'card.action.trigger')`;
        claimed();
        await committing;
      });
      await claimHeld;
      let drawn: unknown;
      const rendering = unfinishedClickRenderer(db.db)([{ kind: 'unfinishedClick', eventId: 'evt-orphan-commits' }]).then((r) => (drawn = r));
      await new Promise((r) => setTimeout(r, 500));
      expect(drawn).toBeUndefined();
      commit();
      await orphan;
      await rendering;
      expect(JSON.stringify(drawn)).toContain('刚才的操作已经完成');
    } finally {
      commit();
      await other.end();
    }
  });
});
