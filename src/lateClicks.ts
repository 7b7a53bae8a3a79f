import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { outbox, processedEvents } from '../db/schema.js';
import { unfinishedClickCard } from '../cards/lateClick.js';
import type { CardRenderer, CardSpec, OutgoingMessage, RenderedCard } from './outbox.js';

/**
 * A click answered “正在处理，请稍候：完成后会更新这张卡片，或发消息告诉你结果” (`slowToast`) whose work was still running when
 * the bot was stopped: the stop closes the database under it, the work is rolled back, and Feishu, answered, never
 * sends the click again. Before it closes, the stop queues this card to the person, held until after the process is
 * gone; whichever replica sends it then reads whether the click's event was recorded (its work committed after all, at
 * the last moment: the card it queued says so, and this one is dropped) or not (nothing saved: they are told to click
 * again).
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

export function unfinishedClickRenderer(db: Db): CardRenderer {
  return async (specs) => {
    const ids = specs.map((s) => s.eventId).filter((id): id is string => typeof id === 'string');
    const recorded = ids.length ? new Set((await db.select({ id: processedEvents.eventId }).from(processedEvents).where(inArray(processedEvents.eventId, ids))).map((r) => r.id)) : new Set<string>();
    return specs.map((s): RenderedCard => {
      if (typeof s.eventId !== 'string') return { error: `card ${UNFINISHED_CLICK_CARD}: incomplete spec` };
      if (recorded.has(s.eventId)) return { drop: 'the click was done after all: its own answer followed' };
      return { card: unfinishedClickCard() };
    });
  };
}

/** The notice of a click the process lived to answer itself after all: it says what became of it. */
export async function dropUnfinishedNotice(db: Db, eventId: string): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'dropped', lastError: 'the click was answered by the process that took it' })
    .where(and(eq(outbox.dedupeKey, `late-answer:${eventId}:unfinished`), inArray(outbox.status, ['held', 'pending'])));
}
