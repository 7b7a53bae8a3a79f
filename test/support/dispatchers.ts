import { Writable } from 'node:stream';
import type * as lark from '@larksuiteoapi/node-sdk';
import { expect } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { outbox } from '../../db/schema.js';
import { type AttachmentRenderer, LarkTransport } from '../../src/lark/client.js';
import { createLogger } from '../../src/log.js';
import { chatGoneReroute, deadLetterAlert } from '../../src/notifications.js';
import { type CardRenderers, defaultOutboxLimits, OutboxDispatcher, type OutboxLimits, type OutboxRow } from '../../src/outbox.js';

/** Outbox dispatchers for the tests of cards drawn at send time: the real SDK transport to the fake platform. */

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));

/** No rate limit worth waiting for, three attempts a few milliseconds apart. */
export const FAST_RETRIES: Partial<OutboxLimits> = { perApp: 1000, perReceiver: 1000, maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 };

/** A dispatcher with these renderers (`attachments`: the transport's); a dead letter alerts `admins`, and a lost admin group's messages go to them, as the bot's own do. */
export function testDispatcher(db: Db, client: lark.Client, cards: CardRenderers, opts: { admins?: string[]; limits?: Partial<OutboxLimits>; attachments?: AttachmentRenderer } = {}) {
  return new OutboxDispatcher({
    db,
    transport: new LarkTransport(client, opts.attachments),
    log: quiet,
    ...(opts.admins ? { onDeadLetter: deadLetterAlert(opts.admins, 'Asia/Shanghai'), onChatGone: chatGoneReroute(opts.admins) } : {}),
    limits: opts.limits ?? FAST_RETRIES,
    cards,
  });
}

/**
 * A process that dies between a send and its mark: each row reaches Feishu through the real transport, then its
 * answer never comes, so the row stays `sending` as after a crash. `delivered` lists the rows that went out.
 */
export function dyingDispatcher(db: Db, client: lark.Client, cards: CardRenderers) {
  const delivered: OutboxRow[] = [];
  const real = new LarkTransport(client);
  const dispatcher = new OutboxDispatcher({
    db,
    transport: {
      deliver: async (row) => {
        expect(await real.deliver(row)).toMatchObject({ ok: true });
        delivered.push(row);
        return new Promise(() => {}); // never answers: the mark is never written
      },
    },
    log: quiet,
    limits: { perApp: 1000, perReceiver: 1000 },
    cards,
  });
  return { dispatcher, delivered };
}

/** How long ago a row was claimed for its lease to have run out (`defaultOutboxLimits.leaseMs`, and a second). */
export const LEASE_RUN_OUT_MS = defaultOutboxLimits.leaseMs + 1_000;

/**
 * The row a dying process left `sending` is taken over by another replica once its lease has run out: it ends `sent`
 * after a second attempt, and the two sends carry the same body (the same uuid). The row as it ended and the requests
 * of both sends, for more checks.
 */
export async function takenOverAfterLease<R extends { body: { content?: unknown } }>(
  db: Db,
  dispatcher: { drain(timeoutMs: number): Promise<unknown> },
  rowId: number,
  sendRequests: () => R[],
): Promise<{ done: OutboxRow; requests: R[] }> {
  const [stuck] = await db.select().from(outbox).where(eq(outbox.id, rowId));
  expect(stuck.status).toBe('sending');
  // the lease has run out
  await db.update(outbox).set({ claimedAt: new Date(Date.now() - LEASE_RUN_OUT_MS) }).where(eq(outbox.id, rowId));
  await dispatcher.drain(20_000);
  const [done] = await db.select().from(outbox).where(eq(outbox.id, rowId));
  expect(done).toMatchObject({ status: 'sent', attempts: 2 });
  const requests = sendRequests();
  expect(requests).toHaveLength(2);
  expect(requests[1].body.content).toBe(requests[0].body.content);
  return { done, requests };
}
