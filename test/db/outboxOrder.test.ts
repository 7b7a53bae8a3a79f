import { Writable } from 'node:stream';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { createLogger } from '../../src/log.js';
import { enqueue, enqueueMany, type MessageTransport, OutboxDispatcher, type OutboxLimits, type OutboxRow, type SendOutcome } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';

/**
 * Messages that must reach a person in order (a result card, then the certificate image it announces, then the PDF),
 * though the dispatcher sends a claimed batch all at once and several replicas claim from one table.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.db.delete(outbox);
});

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const PEOPLE = ['ou_order_leader_1', 'ou_order_contact_1', 'ou_order_leader_2'];

/** Each person's result card, then image after it, then PDF after the image: queued in the order 公布结果 queues them (cards first). */
async function queueResults() {
  const cards = PEOPLE.map((openId) => ({ dedupeKey: `card:${openId}`, to: { openId }, card: { schema: '2.0', body: { elements: [] } }, priority: 'bulk' as const }));
  const files = PEOPLE.flatMap((openId) => [
    { dedupeKey: `png:${openId}`, to: { openId }, image: { base64: 'iVBORw0KGgo=' }, priority: 'bulk' as const, after: `card:${openId}` },
    { dedupeKey: `pdf:${openId}`, to: { openId }, file: { fileName: 'c.pdf', fileType: 'pdf' as const, base64: 'JVBERi0=' }, priority: 'bulk' as const, after: `png:${openId}` },
  ]);
  await db.db.transaction((tx) => enqueueMany(tx, [...cards, ...files]));
}

/** A platform where a card takes longer to send than a file (it is drawn first): what it received, in the order it arrived. */
function slowCards(outcomeOf: (row: OutboxRow) => SendOutcome = () => ({ ok: true })) {
  const arrived: { receiver: string; msgType: string }[] = [];
  const transport: MessageTransport = {
    async deliver(row) {
      await new Promise((r) => setTimeout(r, row.msgType === 'interactive' ? 150 : 5));
      const outcome = outcomeOf(row);
      if (outcome.ok) arrived.push({ receiver: row.receiver, msgType: row.msgType });
      return outcome;
    },
  };
  return { arrived, transport };
}

const replica = (transport: MessageTransport, limits: Partial<OutboxLimits> = {}) =>
  new OutboxDispatcher({ db: db.db, transport, log: quiet, limits: { baseDelayMs: 20, maxDelayMs: 50, ...limits } });

const receivedBy = (arrived: { receiver: string; msgType: string }[], openId: string) => arrived.filter((m) => m.receiver === openId).map((m) => m.msgType);

describe('messages queued to follow another', () => {
  it('reach each person after it, though the whole batch is sent at once', async () => {
    await queueResults();
    const { arrived, transport } = slowCards();
    await replica(transport).drain(20_000);
    for (const openId of PEOPLE) expect(receivedBy(arrived, openId), openId).toEqual(['interactive', 'image', 'file']);
  });

  it('hold their order across replicas claiming from the same table', async () => {
    await queueResults();
    const { arrived, transport } = slowCards();
    await Promise.all([replica(transport, { batch: 2 }).drain(20_000), replica(transport, { batch: 2 }).drain(20_000)]);
    for (const openId of PEOPLE) expect(receivedBy(arrived, openId), openId).toEqual(['interactive', 'image', 'file']);
  });

  it('are claimed as soon as the one before is sent, not at the next poll', async () => {
    await queueResults();
    const { arrived, transport } = slowCards();
    const d = new OutboxDispatcher({ db: db.db, transport, log: quiet, pollMs: 5000 });
    const started = Date.now();
    d.start();
    let tookMs: number;
    try {
      while (arrived.length < 9 && Date.now() - started < 4000) await new Promise((r) => setTimeout(r, 20));
      tookMs = Date.now() - started;
    } finally {
      await d.stop();
    }
    expect(arrived).toHaveLength(9);
    expect(tookMs).toBeLessThan(4000);
    for (const openId of PEOPLE) expect(receivedBy(arrived, openId), openId).toEqual(['interactive', 'image', 'file']);
  });

  it('wait while the one before waits for its retry, and go once it is sent', async () => {
    await queueResults();
    let refused = 0;
    const { arrived, transport } = slowCards((row) =>
      row.msgType === 'interactive' && row.receiver === PEOPLE[0] && refused++ < 2 ? { ok: false, retryable: true, undeliverable: false, error: 'internal error' } : { ok: true },
    );
    await replica(transport).drain(20_000);
    expect(receivedBy(arrived, PEOPLE[0])).toEqual(['interactive', 'image', 'file']);
    const [card] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, `card:${PEOPLE[0]}`));
    expect(card).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('still go when the one before could not be sent (a result card dead-lettered: the certificate is what the title gives)', async () => {
    await queueResults();
    const { arrived, transport } = slowCards((row) =>
      row.msgType === 'interactive' && row.receiver === PEOPLE[0] ? { ok: false, retryable: false, undeliverable: false, error: 'card refused' } : { ok: true },
    );
    await replica(transport).drain(20_000);
    expect(receivedBy(arrived, PEOPLE[0])).toEqual(['image', 'file']);
    const rows = await db.db.select({ key: outbox.dedupeKey, status: outbox.status }).from(outbox).where(eq(outbox.receiver, PEOPLE[0]));
    expect(Object.fromEntries(rows.map((r) => [r.key, r.status]))).toEqual({ [`card:${PEOPLE[0]}`]: 'dead', [`png:${PEOPLE[0]}`]: 'sent', [`pdf:${PEOPLE[0]}`]: 'sent' });
    expect(receivedBy(arrived, PEOPLE[1])).toEqual(['interactive', 'image', 'file']);
  });

  it('still go when the one before could not reach its person (230013, out of the app’s availability: undeliverable)', async () => {
    await queueResults();
    const { arrived, transport } = slowCards((row) =>
      row.msgType === 'interactive' && row.receiver === PEOPLE[0] ? { ok: false, retryable: false, undeliverable: true, error: 'code 230013: user not in the app availability' } : { ok: true },
    );
    await replica(transport).drain(20_000);
    expect(receivedBy(arrived, PEOPLE[0])).toEqual(['image', 'file']);
  });

  it('still go when the one before was deleted before it was sent (a superseded row cleared, a row removed by hand)', async () => {
    await queueResults();
    await db.db.delete(outbox).where(eq(outbox.dedupeKey, `card:${PEOPLE[0]}`));
    const { arrived, transport } = slowCards();
    await replica(transport).drain(20_000);
    const left = await db.db.select({ key: outbox.dedupeKey, status: outbox.status }).from(outbox).where(eq(outbox.receiver, PEOPLE[0]));
    expect(Object.fromEntries(left.map((r) => [r.key, r.status]))).toEqual({ [`png:${PEOPLE[0]}`]: 'sent', [`pdf:${PEOPLE[0]}`]: 'sent' });
    expect(receivedBy(arrived, PEOPLE[0])).toEqual(['image', 'file']);
    expect(receivedBy(arrived, PEOPLE[1])).toEqual(['interactive', 'image', 'file']);
  });

  it('still go when the one before was deleted while it was waiting itself (the PDF after a deleted image)', async () => {
    await queueResults();
    await db.db.delete(outbox).where(eq(outbox.dedupeKey, `png:${PEOPLE[0]}`));
    const { arrived, transport } = slowCards();
    await replica(transport).drain(20_000);
    expect(receivedBy(arrived, PEOPLE[0])).toEqual(['interactive', 'file']);
  });

  it('still go when the one before and the one before it were deleted together (a result card and its image removed by hand at once, the PDF kept)', async () => {
    await queueResults();
    await db.db.delete(outbox).where(inArray(outbox.dedupeKey, [`card:${PEOPLE[0]}`, `png:${PEOPLE[0]}`]));
    const [pdf] = await db.db.select({ status: outbox.status }).from(outbox).where(eq(outbox.dedupeKey, `pdf:${PEOPLE[0]}`));
    expect(pdf.status).toBe('pending');
    const { arrived, transport } = slowCards();
    await replica(transport).drain(20_000);
    expect(receivedBy(arrived, PEOPLE[0])).toEqual(['file']);
    expect(receivedBy(arrived, PEOPLE[1])).toEqual(['interactive', 'image', 'file']);
  });

  it('go at once when queued after a message already sent, or one never queued (linked to Feishu after publishing)', async () => {
    await db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'card:late', to: { openId: 'ou_late' }, text: '结果' }));
    await replica(slowCards().transport).drain(5000);
    await db.db.transaction((tx) =>
      enqueueMany(tx, [
        { dedupeKey: 'png:late', to: { openId: 'ou_late' }, image: { base64: 'iVBORw0KGgo=' }, after: 'card:late' },
        { dedupeKey: 'png:alone', to: { openId: 'ou_alone' }, image: { base64: 'iVBORw0KGgo=' }, after: 'card:never-queued' },
        { dedupeKey: 'pdf:alone', to: { openId: 'ou_alone' }, file: { fileName: 'c.pdf', fileType: 'pdf', base64: 'JVBERi0=' }, after: 'png:alone' },
      ]),
    );
    const rows = await db.db.select({ key: outbox.dedupeKey, status: outbox.status }).from(outbox).where(inArray(outbox.dedupeKey, ['png:late', 'png:alone', 'pdf:alone']));
    expect(Object.fromEntries(rows.map((r) => [r.key, r.status]))).toEqual({ 'png:late': 'pending', 'png:alone': 'pending', 'pdf:alone': 'waiting' });
  });
});

/** Two connections at once: PostgreSQL only (PGlite runs one statement at a time). */
describe.skipIf(testDatabaseKind() === 'pglite')('a message queued behind one being sent at that moment', () => {
  it('is released when that one is marked sent, though its transaction had not committed then', async () => {
    await db.db.transaction((tx) => enqueue(tx, { dedupeKey: 'card:racing', to: { openId: 'ou_racing' }, text: '结果' }));
    await db.db.update(outbox).set({ status: 'sending', claimedAt: new Date() }).where(eq(outbox.dedupeKey, 'card:racing'));
    let queued!: () => void;
    const isQueued = new Promise<void>((r) => (queued = r));
    const queueing = db.db.transaction(async (tx) => {
      await enqueueMany(tx, [{ dedupeKey: 'png:racing', to: { openId: 'ou_racing' }, image: { base64: 'iVBORw0KGgo=' }, after: 'card:racing' }]);
      queued();
      await new Promise((r) => setTimeout(r, 300));
    });
    await isQueued;
    // the send's answer arrives while the certificate's transaction is still open
    await Promise.all([queueing, db.db.update(outbox).set({ status: 'sent', sentAt: new Date() }).where(eq(outbox.dedupeKey, 'card:racing'))]);
    const [png] = await db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'png:racing'));
    expect(png.status).toBe('pending');
  });
});
