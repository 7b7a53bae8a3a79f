/**
 * A bound group that refuses the bot's message with 230035 ("没有发送消息的权限，请排查群是否已开启禁言、被对方屏蔽或受到租户
 * 维度沟通权限的管控", https://open.feishu.cn/document/server-docs/im-v1/message/create): a muted group lets the bot speak again
 * once the mute is lifted, so the row waits and is sent then; a person's 230035 (the bot blocked) stays undeliverable; a
 * group muted through every try is dead-lettered, and the administrators are told privately, not in that group.
 * The real SDK against the simulated Open Platform.
 */
import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultOutboxLimits, MAY_PASS_RETRY_MS } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent, randomMessageId } from '../support/larkEvents.js';

const ADMIN_GROUP = 'oc_mutedgroup0000000000000000000001';
const LEADER = 'ou_mutedleader00000000000000000001';
const MUTED = { status: 400, code: 230035, msg: 'Bot has NO permission to send message' };

let h: Harness;
const clock = new ManualClock('2027-03-01T10:00:00+08:00');
let teamCode = '';

beforeAll(async () => {
  h = await startHarness({ clock });
  const [org] = await h.db.db.insert(organizations).values({ name: '佛山市政养护集团' }).returning();
  await h.db.db.insert(people).values([{ openId: LEADER }, { openId: 'ou_mutedcontact0000000000000000001', roles: ['org_contact'] }]);
  const [team] = await h.db.db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0007',
      name: '佛山市政养护七班',
      organizationId: org.id,
      department: '养护部',
      type: 'project',
      leaderOpenId: LEADER,
      phone: '0757-12345678',
      memberCount: 8,
      functions: '道路养护',
      goals: '零缺陷',
      plan: '每月 QC 活动',
      contactOpenId: 'ou_mutedcontact0000000000000000001',
      registeredAt: '2025-01-10',
    })
    .returning();
  teamCode = team.code;
  const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: ADMIN, text: '绑定通知', chatType: 'group', chatId: ADMIN_GROUP, messageId: randomMessageId(), mentionBot: true }));
  expect(res.status).toBe(200);
  await h.drain();
});
afterAll(async () => {
  await h?.close();
});

/** A complaint through the public form: an alert to the administrators' group at once. */
async function complain(content: string): Promise<string> {
  clock.advance(10 * 60_000);
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: teamCode, content, contact: '13800000000' }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { reference: string }).reference;
}

/** The complaint alert to the group queued last (each test files one complaint). */
const lastAlertRow = async () => {
  const rows = await h.db.db.select().from(outbox).where(and(eq(outbox.receiveIdType, 'chat_id'), eq(outbox.receiver, ADMIN_GROUP), like(outbox.dedupeKey, 'complaint:%'))).orderBy(outbox.id);
  return rows.at(-1)!;
};
const shown = (reference: string) => h.fake.messages.filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'interactive' && cardText(m.content).includes(reference));

/** Sends what is due now, without waiting for rows held for later (drain would wait for them). */
async function sendDue(): Promise<void> {
  await h.app.bulkJobs.drain();
  while ((await h.app.dispatcher.runOnce()) > 0);
}

describe('230035 from a bound group', () => {
  it('the alert waits while the group is muted and reaches it once the mute is lifted, once', async () => {
    h.fake.failReceiver(ADMIN_GROUP, MUTED);
    const before = Date.now();
    const reference = await complain('井盖松动，晚上骑车很危险');
    await sendDue();
    const row = await lastAlertRow();
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringContaining('230035') });
    expect(row.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + MAY_PASS_RETRY_MS);
    expect(shown(reference)).toEqual([]);

    // the mute is lifted; the row's time comes
    h.fake.clearFaults();
    await h.db.db.update(outbox).set({ nextAttemptAt: new Date() }).where(eq(outbox.id, row.id));
    await h.drain();
    expect((await h.db.db.select().from(outbox).where(eq(outbox.id, row.id)))[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(shown(reference)).toHaveLength(1);
    // nothing went to the administrators privately
    expect(h.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'interactive' && cardText(m.content).includes(reference))).toEqual([]);
  });

  it('muted through every try: dead-lettered, and the administrators are told privately with the likely cause', async () => {
    h.fake.failReceiver(ADMIN_GROUP, MUTED);
    const reference = await complain('路灯不亮已经两周');
    await sendDue();
    const row = await lastAlertRow();
    expect(row.status).toBe('pending');
    // the last try
    await h.db.db.update(outbox).set({ nextAttemptAt: new Date(), attempts: defaultOutboxLimits.maxAttempts - 1 }).where(eq(outbox.id, row.id));
    await sendDue();
    expect((await h.db.db.select().from(outbox).where(eq(outbox.id, row.id)))[0]).toMatchObject({ status: 'dead', attempts: defaultOutboxLimits.maxAttempts });
    const alerts = h.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'interactive' && cardText(m.content).includes('消息投递失败'));
    expect(alerts).toHaveLength(1);
    expect(cardText(alerts[0].content)).toContain('230035');
    expect(cardText(alerts[0].content)).toContain('禁言');
    // no alert queued for the muted group itself
    expect((await h.db.db.select().from(outbox).where(and(eq(outbox.receiver, ADMIN_GROUP), like(outbox.dedupeKey, 'alert:dead-letter:%')))).map((r) => r.dedupeKey)).toEqual([]);
    h.fake.clearFaults();
  });

  it('a group where only some members may speak (230018): waited for as a mute is, and the dead letter says which setting to change', async () => {
    h.fake.failReceiver(ADMIN_GROUP, { status: 400, code: 230018, msg: 'These operations are NOT allowed at current group settings.' });
    const reference = await complain('人行道砖块翘起');
    await sendDue();
    const row = await lastAlertRow();
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringContaining('230018') });
    await h.db.db.update(outbox).set({ nextAttemptAt: new Date(), attempts: defaultOutboxLimits.maxAttempts - 1 }).where(eq(outbox.id, row.id));
    await sendDue();
    expect((await h.db.db.select().from(outbox).where(eq(outbox.id, row.id)))[0]).toMatchObject({ status: 'dead' });
    const alerts = h.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'interactive' && cardText(m.content).includes('消息投递失败') && cardText(m.content).includes('230018'));
    expect(alerts).toHaveLength(1);
    expect(cardText(alerts[0].content)).toContain('谁可以发言');
    expect(shown(reference)).toEqual([]);
    h.fake.clearFaults();
  });

  it('a person who blocked the bot (230035 to an open_id): undeliverable at the first answer, no retry', async () => {
    h.fake.failReceiver(LEADER, MUTED);
    const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: LEADER, text: '帮助', messageId: randomMessageId() }));
    expect(res.status).toBe(200);
    await h.drain();
    const [row] = await h.db.db.select().from(outbox).where(and(eq(outbox.receiver, LEADER), sql`${outbox.lastError} like '%230035%'`));
    expect(row).toMatchObject({ status: 'undeliverable', attempts: 1 });
    h.fake.clearFaults();
  });
});

describe('a dead letter says what the administrators can do', () => {
  it('230028 (the tenant’s data-loss prevention refused the content): the alert names DLP and what to change', async () => {
    h.fake.failReceiver(LEADER, { status: 400, code: 230028, msg: 'The messages do NOT pass the audit' });
    const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: LEADER, text: '进度', messageId: randomMessageId() }));
    expect(res.status).toBe(200);
    await h.drain();
    const [row] = await h.db.db.select().from(outbox).where(and(eq(outbox.receiver, LEADER), sql`${outbox.lastError} like '%230028%'`));
    expect(row.status).toBe('dead');
    const alerts = h.fake.messages.filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'interactive' && cardText(m.content).includes('消息投递失败') && cardText(m.content).includes('230028'));
    expect(alerts).toHaveLength(1);
    expect(cardText(alerts[0].content)).toContain('数据防泄漏（DLP）');
    expect(cardText(alerts[0].content)).not.toContain('禁言');
    h.fake.clearFaults();
  });
});
