/**
 * A reminder period's audience is fixed at its claim, its rows queued by batches later and drawn later still: a group
 * unbound meanwhile gets none of it. The experts group's reminder is not queued, or is dropped when drawn; the admin
 * group's review-meeting reminder goes where the administrators' notifications go now. 解绑 and the bot's removal
 * retire what was already queued to the group the same way.
 */
import { Writable } from 'node:stream';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { chatBindings, outbox } from '../../db/schema.js';
import { BulkJobWorker } from '../../src/bulkJobs.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { forgetChat, unbindChat } from '../../src/groups.js';
import { remindJob, runReminders } from '../../src/jobs/reminders.js';
import { createLogger } from '../../src/log.js';
import { cardSpecOf, enqueue, type OutboxRow } from '../../src/outbox.js';
import { loadActor } from '../../src/people.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ADMIN_CHAT, BOOTSTRAP_ADMIN, generateCycle } from './jobsFixture.js';

const EXPERTS_CHAT = 'oc_experts_group_unbound_review_001';
const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const config = { ADMIN_OPEN_IDS: [BOOTSTRAP_ADMIN], BOT_TIMEZONE: 'Asia/Shanghai' } as unknown as Config;
const opts = (now: Date) => ({ now, timezone: 'Asia/Shanghai', bootstrapAdmins: [BOOTSTRAP_ADMIN] });
let db: TestDatabase | undefined;
beforeEach(async () => {
  await db?.close();
  db = await createTestDatabase();
});
afterAll(async () => { await db?.close(); });

const d = () => db!.db;
const work = () => new BulkJobWorker({ db: d(), kinds: [remindJob], clock: systemClock, config, log: quiet }).drain();
const unbind = async (chatId: string, purpose: 'admin' | 'experts' | undefined, now: Date) => {
  const actor = await loadActor(d(), BOOTSTRAP_ADMIN, [BOOTSTRAP_ADMIN]);
  return d().transaction((tx) => unbindChat(tx, actor, chatId, purpose, now, [BOOTSTRAP_ADMIN]));
};
const rowsTo = (receiver: string) => d().select().from(outbox).where(eq(outbox.receiver, receiver));
const draw = async (row: OutboxRow, now: Date) => {
  const spec = cardSpecOf(row)!;
  return (await cardRenderers(d(), 'Asia/Shanghai', { now: () => now })[spec.kind]([spec], [row]))[0];
};

describe('the experts group unbound', () => {
  const now = new Date('2027-06-27T09:00:00+08:00'); // scoring deadline 2027-06-30: T-3

  it('after the period was claimed, before its batch: nothing is queued to it', async () => {
    await generateCycle(d(), 11);
    await d().insert(chatBindings).values({ chatId: EXPERTS_CHAT, purpose: 'experts', boundBy: BOOTSTRAP_ADMIN });
    expect(await runReminders(d(), opts(now))).toMatchObject([{ period: 'scoring-deadline:2027:T-3', status: 'done' }]);
    expect(await unbind(EXPERTS_CHAT, 'experts', now)).toEqual(['experts']);
    await work();
    expect(await rowsTo(EXPERTS_CHAT)).toEqual([]);
    // the experts themselves are still reminded
    expect((await d().select().from(outbox).where(like(outbox.dedupeKey, 'remind:scoring-deadline:2027:T-3:expert-%'))).length).toBeGreaterThan(0);
  });

  it('after its reminder was queued: 解绑 专家 drops it; one drawn for a group no longer bound is dropped', async () => {
    await generateCycle(d(), 11);
    await d().insert(chatBindings).values({ chatId: EXPERTS_CHAT, purpose: 'experts', boundBy: BOOTSTRAP_ADMIN });
    await runReminders(d(), opts(now));
    await work();
    const [row] = await rowsTo(EXPERTS_CHAT);
    expect(row).toMatchObject({ dedupeKey: `remind:scoring-deadline:2027:T-3:chat:${EXPERTS_CHAT}`, status: 'pending' });
    expect(await draw(row, now)).toHaveProperty('card');
    // the binding gone some other way (the group disbanded): drawn, it is dropped with the reason
    await d().delete(chatBindings).where(eq(chatBindings.chatId, EXPERTS_CHAT));
    expect(await draw(row, now)).toEqual({ drop: '该群已解绑评审专家通知群，不再发送' });
    // bound again, then 解绑 专家: the queued row is dropped at once, nothing rerouted
    await d().insert(chatBindings).values({ chatId: EXPERTS_CHAT, purpose: 'experts', boundBy: BOOTSTRAP_ADMIN });
    const before = (await d().select().from(outbox)).length;
    expect(await unbind(EXPERTS_CHAT, undefined, now)).toEqual(['experts']);
    expect((await rowsTo(EXPERTS_CHAT))[0]).toMatchObject({ status: 'dropped', lastError: '群已解绑' });
    expect((await d().select().from(outbox)).length).toBe(before);
  });

  it('解绑 专家 in a group bound for both keeps the administrators\' messages there', async () => {
    await generateCycle(d(), 11);
    await d().insert(chatBindings).values({ chatId: ADMIN_CHAT, purpose: 'experts', boundBy: BOOTSTRAP_ADMIN });
    await runReminders(d(), opts(now));
    await work();
    await d().transaction((tx) => enqueue(tx, { dedupeKey: `digest:2027-06-27:chat:${ADMIN_CHAT}`, to: { chatId: ADMIN_CHAT }, card: { schema: '2.0', body: { elements: [] } } }));
    expect(await unbind(ADMIN_CHAT, 'experts', now)).toEqual(['experts']);
    const rows = Object.fromEntries((await rowsTo(ADMIN_CHAT)).map((r) => [r.dedupeKey, r.status]));
    expect(rows).toEqual({ [`remind:scoring-deadline:2027:T-3:chat:${ADMIN_CHAT}`]: 'dropped', [`digest:2027-06-27:chat:${ADMIN_CHAT}`]: 'pending' });
  });
});

describe('the admin group unbound', () => {
  const now = new Date('2027-07-17T09:00:00+08:00'); // the review meeting 2027-07-20: T-3

  it('after the review-meeting period was claimed, before its batch: the reminder goes to the administrators privately', async () => {
    await generateCycle(d(), 5);
    expect(await runReminders(d(), opts(now))).toContainEqual(expect.objectContaining({ period: 'review-meeting:2027:T-3', status: 'done' }));
    expect(await unbind(ADMIN_CHAT, undefined, now)).toEqual(['admin']);
    await work();
    expect(await rowsTo(ADMIN_CHAT)).toEqual([]);
    const [moved] = await rowsTo(BOOTSTRAP_ADMIN);
    expect(moved).toMatchObject({ dedupeKey: `remind:review-meeting:2027:T-3:user:${BOOTSTRAP_ADMIN}`, receiveIdType: 'open_id', status: 'pending' });
    expect(await draw(moved, now)).toHaveProperty('card');
  });

  it('after its reminder was queued: drawn for the group no longer bound, it is dropped; the bot removed, it is rerouted', async () => {
    await generateCycle(d(), 5);
    await runReminders(d(), opts(now));
    await work();
    const [row] = await rowsTo(ADMIN_CHAT);
    expect(row).toMatchObject({ dedupeKey: `remind:review-meeting:2027:T-3:chat:${ADMIN_CHAT}`, status: 'pending' });
    await d().delete(chatBindings).where(eq(chatBindings.chatId, ADMIN_CHAT));
    expect(await draw(row, now)).toEqual({ drop: '该群已解绑协会管理通知群，不再发送' });
    await d().insert(chatBindings).values({ chatId: ADMIN_CHAT, purpose: 'admin', boundBy: BOOTSTRAP_ADMIN });
    expect(await draw(row, now)).toHaveProperty('card');
    // the bot removed from the group: what was queued there goes to the administrators now
    expect(await d().transaction((tx) => forgetChat(tx, ADMIN_CHAT, 'ou_someone', now, [BOOTSTRAP_ADMIN]))).toEqual(['admin']);
    expect((await rowsTo(ADMIN_CHAT))[0]).toMatchObject({ status: 'dropped', lastError: '机器人已被移出群，已改发给每位管理员' });
    const moved = await d().select().from(outbox).where(and(eq(outbox.receiver, BOOTSTRAP_ADMIN), like(outbox.dedupeKey, 'remind:review-meeting:%')));
    expect(moved.map((r) => r.dedupeKey)).toEqual([`remind:review-meeting:2027:T-3:user:${BOOTSTRAP_ADMIN}`]);
  });
});
