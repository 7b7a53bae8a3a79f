import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { outbox, processedEvents } from '../db/schema.js';
import { savedUnansweredClickCard, unfinishedClickCard } from '../cards/lateClick.js';
import type { CardRenderer, CardSpec, OutgoingMessage, RenderedCard } from './outbox.js';

/**
 * A click answered “正在处理，请稍候：完成后会更新这张卡片，或发消息告诉你结果” (`slowToast`) whose work was still running when
 * its process died (the notice, queued as the click was answered, held while the process lives: LATE_CLICK_LEASE_MS) or
 * the bot was stopped: the stop closes the database under it, the work is rolled back, and Feishu, answered, never
 * sends the click again. Before it closes, the stop queues this card to the person, held until after the process is
 * gone; whichever replica sends it then claims the click's event: recorded already (its work committed after all, at
 * the last moment: the card it queued says so, and this one is dropped) or not (nothing saved, and the work, should it
 * still be running on the server, can no longer claim it: they are told to click again).
 */
export const UNFINISHED_CLICK_CARD = 'unfinishedClick';

export function unfinishedClickNotice(eventId: string, openId: string, holdUntil: Date): OutgoingMessage {
  return {
    dedupeKey: `late-answer:${eventId}:unfinished`,
    to: { openId },
    render: { kind: UNFINISHED_CLICK_CARD, eventId } satisfies CardSpec,
    priority: 'interactive',
    holdUntil,
  };
}

/**
 * What the notice claims its click's event as, in processed_events: a later claim of the event (the work, its one
 * statement still running on the server) then finds it taken and writes nothing.
 */
export const UNFINISHED_CLICK_CLAIM = 'unfinishedClick.told';

/** How long the claim waits on the work's own claim, not yet committed or rolled back, before the send is tried again. */
const CLAIM_LOCK_TIMEOUT = '5s';

export function unfinishedClickRenderer(db: Db): CardRenderer {
  return async (specs) => {
    const ids = [...new Set(specs.map((s) => s.eventId).filter((id): id is string => typeof id === 'string'))];
    // The notice claims the event, as the click's work would have, in a transaction of its own. Reading whether it
    // was recorded is not enough: a one-statement path (src/fast/) is its own transaction, and PostgreSQL does not see
    // its client gone while it waits on a row lock, so once the lock is freed it runs and commits, at any time after
    // the stop. Claimed by the work first (even not yet committed: the insert waits for it), the notice is dropped;
    // claimed by the notice first, the work finds the event taken and writes nothing, and the notice is true.
    const claims = ids.length
      ? await db.transaction(async (tx) => {
          await tx.execute(sql.raw(`set local lock_timeout = '${CLAIM_LOCK_TIMEOUT}'`));
          await tx.insert(processedEvents).values(ids.map((eventId) => ({ eventId, eventType: UNFINISHED_CLICK_CLAIM }))).onConflictDoNothing();
          return tx.select({ id: processedEvents.eventId, type: processedEvents.eventType }).from(processedEvents).where(inArray(processedEvents.eventId, ids));
        })
      : [];
    // the notice's own claim (a send tried again renders it again) keeps the card
    const done = claims.filter((c) => c.type !== UNFINISHED_CLICK_CLAIM).map((c) => c.id);
    // done, and answered: the process queued its card or its message (src/events.ts sayLate) before it was gone
    const answerKeys = done.flatMap((id) => [`late-answer:${id}`, `late-answer:${id}:said`]);
    const answered = new Set(
      answerKeys.length ? (await db.select({ key: outbox.dedupeKey }).from(outbox).where(inArray(outbox.dedupeKey, answerKeys))).map((r) => r.key.replace(/^late-answer:/, '').replace(/:said$/, '')) : [],
    );
    const doneSet = new Set(done);
    return specs.map((s): RenderedCard => {
      if (typeof s.eventId !== 'string') return { error: `card ${UNFINISHED_CLICK_CARD}: incomplete spec` };
      if (answered.has(s.eventId)) return { drop: 'the click was done after all: its own answer followed' };
      // done with no answer (its statement committed on the server after the process was gone, or the read after its
      // COMMIT failed as the database closed): the person is told it was saved, not to do it again
      if (doneSet.has(s.eventId)) return { card: savedUnansweredClickCard() };
      return { card: unfinishedClickCard() };
    });
  };
}

/**
 * How long the notice of a click still working (queued as it is answered `slowToast`) is held past the last sign that
 * its process lives: the process pushes the hold on every third of it while the work runs, and drops the notice once
 * the result is queued. A process that dies (kill -9, out of memory, the machine gone) pushes no more: the notice is
 * then sent by whichever replica is left, and says what became of the click.
 */
export const LATE_CLICK_LEASE_MS = 60_000;

/** The notice of a click still working held until `holdUntil` (a lease renewed, or a stop's handover). */
export async function holdUnfinishedNotice(db: Db, eventId: string, holdUntil: Date): Promise<void> {
  await db
    .update(outbox)
    .set({ nextAttemptAt: holdUntil })
    .where(and(eq(outbox.dedupeKey, `late-answer:${eventId}:unfinished`), eq(outbox.status, 'held')));
}

/** The notice of a click the process lived to answer itself after all: it says what became of it. */
export async function dropUnfinishedNotice(db: Db, eventId: string): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'dropped', lastError: 'the click was answered by the process that took it' })
    .where(and(eq(outbox.dedupeKey, `late-answer:${eventId}:unfinished`), inArray(outbox.status, ['held', 'pending'])));
}
