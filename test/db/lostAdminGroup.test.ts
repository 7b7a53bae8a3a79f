/**
 * A bound admin group the bot can no longer post to (disbanded, the bot removed): Feishu answers the send 232009 or
 * 230002, the group is unbound, and what was meant for it reaches the administrators as they are now, once.
 * The real SDK against the simulated Open Platform, events signed and encrypted as Feishu sends them.
 */
import { readFileSync } from 'node:fs';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, chatBindings, honours, organizations, outbox, people, processedEvents, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { botAddedEvent, botDeletedEvent, messageEvent, randomEventId, randomMessageId } from '../support/larkEvents.js';
import { LEASE_RUN_OUT_MS } from '../support/dispatchers.js';

/** An administrator by role, beside the bootstrap one of ADMIN_OPEN_IDS. */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
const chat = (n: number) => `oc_lostgroup${String(n).padStart(23, '0')}`;

let h: Harness;
const clock = new ManualClock('2027-03-01T10:00:00+08:00');
let teamCode = '';

beforeAll(async () => {
  h = await startHarness({ clock });
  const db = h.db.db;
  await db.insert(people).values({ openId: ROLE_ADMIN, roles: ['admin'] });
  const [org] = await db.insert(organizations).values({ name: '广州市政养护集团' }).returning();
  await db.insert(people).values([{ openId: 'ou_lostleader000000000000000000001' }, { openId: 'ou_lostcontact00000000000000000001', roles: ['org_contact'] }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0001',
      name: '广州市政养护五班',
      organizationId: org.id,
      department: '养护部',
      type: 'project',
      leaderOpenId: 'ou_lostleader000000000000000000001',
      phone: '020-12345678',
      memberCount: 8,
      functions: '道路养护',
      goals: '零缺陷',
      plan: '每月 QC 活动',
      contactOpenId: 'ou_lostcontact00000000000000000001',
      registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(honours).values({ teamId: team.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') });
  teamCode = team.code;
});
afterAll(async () => {
  await h?.close();
});

/** 绑定通知 said by the bootstrap administrator in the group, with the bot mentioned. */
async function bind(chatId: string) {
  const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: ADMIN, text: '绑定通知', chatType: 'group', chatId, messageId: randomMessageId(), mentionBot: true }));
  expect(res.status).toBe(200);
  await h.drain();
}

/** A complaint through the public API (an admin alert at once), queued and not yet sent; a quiet minute before it. */
let complained = 0;
async function complain(): Promise<string> {
  clock.advance(10 * 60_000);
  // each its own complaint: the same words again within a day would be the first one sent twice
  const content = `人行道修补后一周即松动（第 ${++complained} 处）`;
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: teamCode, content, contact: '13800000000' }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { reference: string }).reference;
}

const toChat = (chatId: string) => h.fake.messages.filter((m) => m.receiveIdType === 'chat_id' && m.receiveId === chatId);
const toUser = (openId: string) => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId);
const showing = (reference: string) => (m: { msgType: string; content: any }) => m.msgType === 'interactive' && cardText(m.content).includes(reference);
const notices = (chatId: string) => (m: { msgType: string; content: any }) => m.msgType === 'text' && String(m.content.text).includes(chatId);
const bindings = (chatId: string) => h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, chatId));
const rowsTo = (chatId: string) => h.db.db.select().from(outbox).where(and(eq(outbox.receiveIdType, 'chat_id'), eq(outbox.receiver, chatId)));

describe('the only bound admin group is gone', () => {
  it.each([
    [232009, chat(1), 'disbanded'],
    [230002, chat(2), 'the bot removed'],
  ])('%i (%s, %s): unbound, on record; the administrators get the alert privately with the reason, once', async (code, chatId) => {
    await bind(chatId);
    h.fake.loseChat(chatId, code as 232009 | 230002);
    const reference = await complain();
    await h.drain();

    expect(await bindings(chatId)).toEqual([]);
    const [lost] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'chat.unreachable'), eq(auditLog.entityId, chatId)));
    expect(lost.actor).toBe('system:outbox');
    expect(lost.details).toMatchObject({ purposes: ['admin'], error: expect.stringContaining(`code ${code}`) });
    // the row to the group keeps what Feishu said
    const [original] = (await rowsTo(chatId)).filter((r) => r.dedupeKey.startsWith('complaint:'));
    expect(original).toMatchObject({ status: 'undeliverable', attempts: 1, lastError: expect.stringContaining(String(code)) });
    expect(toChat(chatId).filter(showing(reference))).toEqual([]);

    for (const admin of [ADMIN, ROLE_ADMIN]) {
      expect(toUser(admin).filter(showing(reference))).toHaveLength(1);
      const [notice] = toUser(admin).filter(notices(chatId));
      expect(notice.content.text).toContain('已自动解绑');
      expect(notice.content.text).toContain('绑定通知');
      // the same message under the key it would have had there: the card drawn when sent, from the same spec
      const [again] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, original.dedupeKey.replace(`:chat:${chatId}`, `:user:${admin}`)));
      expect([again.msgType, again.card, again.status]).toEqual([original.msgType, original.card, 'sent']);
    }

    // a second drain, and the row taken over after its lease as if the process had died before marking it: nothing twice
    const rows = (await h.db.db.select().from(outbox)).length;
    const sent = h.fake.messages.length;
    await h.drain();
    await h.db.db.update(outbox).set({ status: 'sending', claimedAt: new Date(Date.now() - LEASE_RUN_OUT_MS) }).where(eq(outbox.id, original.id));
    await h.drain();
    expect((await h.db.db.select().from(outbox).where(eq(outbox.id, original.id)))[0]).toMatchObject({ status: 'undeliverable', attempts: 2 });
    expect((await h.db.db.select().from(outbox)).length).toBe(rows);
    expect(h.fake.messages.length).toBe(sent);
    expect(await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'chat.unreachable'), eq(auditLog.entityId, chatId)))).toHaveLength(1);
  });

  it('a message queued before im.chat.disbanded_v1 unbound the group still reaches the administrators, with the reason', async () => {
    const chatId = chat(3);
    await bind(chatId);
    h.fake.loseChat(chatId, 232009);
    const reference = await complain();
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/feishu/im.chat.disbanded_v1.json', import.meta.url), 'utf8'));
    fixture.header.token = TEST_VERIFICATION_TOKEN;
    fixture.header.event_id = 'disbanded-lost-3';
    fixture.event.chat_id = chatId;
    expect((await h.post('/lark/events', fixture)).status).toBe(200);
    expect(await bindings(chatId)).toEqual([]);
    await h.drain();
    for (const admin of [ADMIN, ROLE_ADMIN]) {
      expect(toUser(admin).filter(showing(reference))).toHaveLength(1);
      expect(toUser(admin).filter(notices(chatId))).toHaveLength(1);
    }
  });
});

describe('the only bound admin group disbanded, with nothing on the way to it', () => {
  it('the event itself tells the administrators where their notifications go now, once', async () => {
    const chatId = chat(6);
    await bind(chatId);
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/feishu/im.chat.disbanded_v1.json', import.meta.url), 'utf8'));
    fixture.header.token = TEST_VERIFICATION_TOKEN;
    fixture.event.chat_id = chatId;
    for (const eventId of ['disbanded-quiet-6', 'disbanded-quiet-6-again']) {
      fixture.header.event_id = eventId;
      expect((await h.post('/lark/events', fixture)).status).toBe(200);
    }
    await h.drain();
    expect(await bindings(chatId)).toEqual([]);
    for (const admin of [ADMIN, ROLE_ADMIN]) {
      const told = toUser(admin).filter(notices(chatId));
      expect(told).toHaveLength(1);
      expect(told[0].content.text).toContain('已自动解绑');
    }
  });
});

describe('the bot removed from the admin group and added back, Feishu delivering the two out of order', () => {
  // Feishu retries a failed delivery after 15 s, 5 min, 1 h, 6 h and promises no order
  const membership = (kind: 'added' | 'deleted', chatId: string, createTime: number, eventId = randomEventId()) =>
    (kind === 'added' ? botAddedEvent : botDeletedEvent)({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', chatId, operatorOpenId: ADMIN, createTime, eventId });
  const deliver = async (event: object) => {
    expect((await h.post('/lark/events', event)).status).toBe(200);
    await h.drain();
  };
  const removals = (chatId: string) => h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'chat.botRemoved'), eq(auditLog.entityId, chatId)));
  const processed = (eventId: string) => h.db.db.select().from(processedEvents).where(eq(processedEvents.eventId, eventId));

  it('a late retry of a removal older than the bot\'s latest addition keeps the binding and tells no one, and is done with', async () => {
    const chatId = chat(7);
    await bind(chatId);
    // removed an hour ago while the bot was down (the delivery failed), added back ten minutes later
    const removedAt = Date.now() - 60 * 60_000;
    await deliver(membership('added', chatId, removedAt + 10 * 60_000));
    const sent = h.fake.messages.length;

    // the removal's retries arrive now, twice: the bot is in the group
    const eventId = randomEventId();
    for (let i = 0; i < 2; i++) await deliver(membership('deleted', chatId, removedAt, eventId));

    expect((await bindings(chatId)).map((b) => b.purpose)).toEqual(['admin']);
    expect(await removals(chatId)).toEqual([]);
    expect(h.fake.messages.slice(sent)).toEqual([]);
    expect(await processed(eventId)).toHaveLength(1);
    const [added] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'chat.botAdded'), eq(auditLog.entityId, chatId)));
    expect(added).toMatchObject({ actor: ADMIN, details: { createTime: removedAt + 10 * 60_000 } });

    // removed again now: unbound, and the administrators, with no admin group left, hear it privately
    await deliver(membership('deleted', chatId, Date.now()));
    expect(await bindings(chatId)).toEqual([]);
    expect(await removals(chatId)).toHaveLength(1);
    for (const admin of [ADMIN, ROLE_ADMIN]) expect(toUser(admin).filter(notices(chatId))).toHaveLength(1);
  });

  it('a removal created after the bot\'s latest addition unbinds the group and tells the administrators, as ever', async () => {
    const chatId = chat(8);
    await bind(chatId);
    const addedAt = Date.now() - 60 * 60_000;
    // an older addition arriving late changes nothing either: the latest by create_time counts
    await deliver(membership('added', chatId, addedAt));
    await deliver(membership('added', chatId, addedAt - 30 * 60_000));
    const eventId = randomEventId();
    await deliver(membership('deleted', chatId, addedAt + 5 * 60_000, eventId));

    expect(await bindings(chatId)).toEqual([]);
    const [removed] = await removals(chatId);
    expect(removed).toMatchObject({ actor: ADMIN, details: { purposes: ['admin'] } });
    expect(await processed(eventId)).toHaveLength(1);
    for (const admin of [ADMIN, ROLE_ADMIN]) {
      const told = toUser(admin).filter(notices(chatId));
      expect(told).toHaveLength(1);
      expect(told[0].content.text).toContain('已自动解绑');
    }
  });

  it('a removal without create_time, or of a chat with no addition on record, unbinds as before', async () => {
    for (const [chatId, strip] of [
      [chat(9), true],
      [chat(10), false],
    ] as const) {
      await bind(chatId);
      if (strip) await deliver(membership('added', chatId, Date.now()));
      const event = membership('deleted', chatId, Date.now() - 60 * 60_000) as { header: Record<string, unknown> };
      if (strip) delete event.header.create_time;
      await deliver(event);
      expect(await bindings(chatId)).toEqual([]);
      expect(await removals(chatId)).toHaveLength(1);
      expect(toUser(ADMIN).filter(notices(chatId))).toHaveLength(1);
    }
  });
});

describe('another bound admin group still works', () => {
  const lost = chat(4);
  const working = chat(5);

  it('gets what was meant for the lost group instead of the administrators privately, with the reason', async () => {
    await bind(lost);
    h.fake.loseChat(lost, 232009);
    const reference = await complain();
    // bound after the alert was queued: the alert has no copy of its own there
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `%:chat:${working}`))).toEqual([]);
    await bind(working);

    expect(await bindings(lost)).toEqual([]);
    expect((await bindings(working)).map((b) => b.purpose)).toEqual(['admin']);
    expect(toChat(working).filter(showing(reference))).toHaveLength(1);
    const [notice] = toChat(working).filter(notices(lost));
    expect(notice.content.text).toContain('其他已绑定的协会管理通知群');
    for (const admin of [ADMIN, ROLE_ADMIN]) {
      expect(toUser(admin).filter(showing(reference))).toEqual([]);
      expect(toUser(admin).filter(notices(lost))).toEqual([]);
    }
  });

  it('that had its own copy gets the message once', async () => {
    const gone = chat(6);
    await bind(gone);
    h.fake.loseChat(gone, 230002);
    const reference = await complain();
    await h.drain();
    expect(await bindings(gone)).toEqual([]);
    expect(toChat(working).filter(showing(reference))).toHaveLength(1);
    expect(toChat(working).filter(notices(gone))).toHaveLength(1);
    expect(toUser(ADMIN).filter(showing(reference))).toEqual([]);
  });
});

describe('a connection group (私有互通群), which takes no cards', () => {
  it('bound for notices: the confirmation is refused (230054), the group unbound, and the administrators told why and what to bind instead', async () => {
    const chatId = chat(11);
    h.fake.connectionGroup(chatId);
    await bind(chatId);
    expect(await bindings(chatId)).toEqual([]);
    const [lost] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'chat.unreachable'), eq(auditLog.entityId, chatId)));
    expect(lost.details).toMatchObject({ purposes: ['admin'], error: expect.stringContaining('code 230054') });
    expect(toChat(chatId)).toEqual([]);
    const told = h.fake.messages.filter(notices(chatId));
    expect(told.length).toBeGreaterThan(0);
    for (const m of told) {
      expect(m.content.text).toContain('该群是有其他企业成员的互通群，飞书不允许机器人在这种群里发送卡片，而协会管理通知都是卡片');
      expect(m.content.text).toContain('请把机器人拉进一个只有本企业成员的群');
    }
    // what follows is not queued to it
    const reference = await complain();
    await h.drain();
    expect((await rowsTo(chatId)).filter((r) => r.dedupeKey.startsWith('complaint:'))).toEqual([]);
    expect(h.fake.messages.filter(showing(reference)).length).toBeGreaterThan(0);
  });
});
