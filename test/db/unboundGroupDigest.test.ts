/**
 * 解绑 retires what is still queued to the group: a digest queued to the admin group while it is muted (230035,
 * retried for hours) does not reach the group after the administrators unbind it; it goes where their notifications
 * go now (each administrator privately, no other admin group being bound). The bot's introduction is no notification
 * and stays; a later 绑定通知 brings nothing back.
 */
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { enqueue } from '../../src/outbox.js';
import { runDigest } from '../../src/jobs/digest.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent, randomMessageId } from '../support/larkEvents.js';

const ADMIN_GROUP = 'oc_unboundgroup00000000000000000001';
const LEADER = 'ou_unboundleader0000000000000000001';
const MUTED = { status: 400, code: 230035, msg: 'Bot has NO permission to send message' };
let h: Harness;
const clock = new ManualClock('2027-03-01T08:55:00+08:00'); // a Monday, no cycle: the weekly digest

const inGroup = (text: string) =>
  h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: ADMIN, text, chatType: 'group', chatId: ADMIN_GROUP, messageId: randomMessageId(), mentionBot: true }));
const runAll = async () => {
  while ((await h.app.dispatcher.runOnce()) > 0);
};
const digestCards = (receiveId: string) => h.fake.messages.filter((m) => m.receiveId === receiveId && m.msgType === 'interactive' && cardText(m.content).includes('周'));

beforeAll(async () => {
  h = await startHarness({ clock });
  const [org] = await h.db.db.insert(organizations).values({ name: '佛山市政养护集团' }).returning();
  await h.db.db.insert(people).values([{ openId: LEADER }, { openId: 'ou_unboundcontact000000000000000001', roles: ['org_contact'] }]);
  const [team] = await h.db.db.insert(teams).values({
    code: 'GDSZ-2025-0007', name: '佛山市政养护七班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
    phone: '0757-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动',
    contactOpenId: 'ou_unboundcontact000000000000000001', registeredAt: '2025-01-10',
  }).returning();
  expect((await inGroup('绑定通知')).status).toBe(200);
  await h.drain();
  // an open complaint: the weekly digest has news
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: team.code, content: '井盖松动', contact: '13800000000' }) });
  expect(res.status).toBe(201);
  await h.drain();
});
afterAll(async () => { await h?.close(); });

describe('a group unbound with a digest still queued to it', () => {
  it('gets no digest after 解绑; the administrators get it privately, once, and a new 绑定通知 brings nothing back', async () => {
    h.fake.failReceiver(ADMIN_GROUP, MUTED);
    clock.set('2027-03-01T09:00:00+08:00');
    const out = await runDigest(h.db.db, { now: clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
    expect(out[0].queued).toEqual([`digest:2027-W09:chat:${ADMIN_GROUP}`]);
    await runAll();
    const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `digest:2027-W09:chat:${ADMIN_GROUP}`));
    expect(row).toMatchObject({ status: 'pending', lastError: expect.stringContaining('230035') });
    // the bot's introduction queued to the group (it was added back meanwhile): for whoever is there, not a notification
    await h.db.db.transaction((tx) => enqueue(tx, { dedupeKey: `group:intro:${ADMIN_GROUP}:ev_intro_1`, to: { chatId: ADMIN_GROUP }, text: '你好' }));

    // an administrator unbinds the group, the mute still on
    expect((await inGroup('解绑')).status).toBe(200);
    expect(await h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, ADMIN_GROUP))).toEqual([]);
    const [dropped] = await h.db.db.select().from(outbox).where(eq(outbox.id, row.id));
    expect(dropped).toMatchObject({ status: 'dropped', lastError: '群已解绑，已改发给每位管理员' });
    const [intro] = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'group:intro:%'));
    expect(intro.status).toBe('pending');
    const [moved] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `digest:2027-W09:user:${ADMIN}`));
    expect(moved).toMatchObject({ receiveIdType: 'open_id', receiver: ADMIN, status: 'pending' });

    // the mute is lifted, every row tried again
    h.fake.clearFaults();
    await h.db.db.update(outbox).set({ nextAttemptAt: new Date() }).where(eq(outbox.status, 'pending'));
    await runAll();
    expect(digestCards(ADMIN_GROUP)).toEqual([]);
    expect(digestCards(ADMIN)).toHaveLength(1);

    // bound again: the retired digest stays retired, and the same week's digest is not queued again
    expect((await inGroup('绑定通知')).status).toBe(200);
    await runAll();
    expect((await h.db.db.select().from(outbox).where(eq(outbox.id, row.id)))[0].status).toBe('dropped');
    clock.set('2027-03-01T10:00:00+08:00');
    expect(await runDigest(h.db.db, { now: clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] })).toMatchObject([{ status: 'skipped' }]);
    await runAll();
    expect(digestCards(ADMIN_GROUP)).toEqual([]);
    expect(await h.db.db.select({ k: outbox.dedupeKey }).from(outbox).where(and(like(outbox.dedupeKey, 'digest:%'), eq(outbox.status, 'sent')))).toEqual([{ k: `digest:2027-W09:user:${ADMIN}` }]);
  });
});
