import { and, asc, eq, like, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assignments, auditLog, cycles, outbox } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { todayIn } from '../../src/dates.js';
import { type CardSpec, enqueue, messageUuid, rowsOf } from '../../src/outbox.js';
import { getTasks, reopenScore, scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions } from '../support/cards.js';
import { REVIEW_TASK_CARD, reviewTaskRenderer, taskCard } from '../../src/review/taskCards.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { dyingDispatcher, LEASE_RUN_OUT_MS, takenOverAfterLease, testDispatcher } from '../support/dispatchers.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { until, lockWaits } from '../support/waiting.js';

/**
 * The task cards 截止申报 / 分配专家 queue are drawn when they are sent: the row holds `{ kind: 'reviewTask',
 * assignmentId }`, and the dispatcher draws the card from the task as it is at that moment.
 */

const APPS = 12;
const EXPERTS = 10;

let h: Harness;
const db = () => h.db.db;

beforeEach(async () => {
  // the bot's own dispatcher is not running: each test sends when it means to
  h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
  const fx = await seedLargeCycle(db(), { applications: APPS, experts: EXPERTS, organizations: 4, year: 2030 });
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'cycle.closeApplications', cycleId: fx.cycleId }, messageId: 'om_task_cards_admin' }));
  expect(res.status).toBe(200);
  await h.app.bulkJobs.drain();
});
afterEach(async () => {
  await h?.close();
});

const taskRows = () => db().select().from(outbox).where(like(outbox.dedupeKey, 'review:task:%')).orderBy(asc(outbox.id));
const sentTo = (key: string) => h.fake.messages.filter((m) => m.uuid === messageUuid(key));
const sendRequests = (key: string) => h.fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages' && r.body?.uuid === messageUuid(key));
/** The card as `taskCard` draws it from the task now, sent on `sentOn` (the harness's day), as JSON (what Feishu receives). */
async function expectedCard(assignmentId: number, sent: { on?: string } = { on: todayIn(h.app.config.BOT_TIMEZONE, h.clock.now()) }) {
  const [task] = await getTasks(db(), [assignmentId]);
  return JSON.parse(JSON.stringify(taskCard(task, { sentOn: sent.on })));
}
/** The task cards as the bot's dispatcher draws them: by its clock, in its time zone. */
const botsRenderer = () => reviewTaskRenderer(db(), { timezone: h.app.config.BOT_TIMEZONE, clock: h.clock });

describe('task cards drawn when they are sent', () => {
  it('the assignment job queues a small row per task, not the card', async () => {
    const made = await db().select().from(assignments);
    expect(made).toHaveLength(APPS * 3);
    const rows = await taskRows();
    expect(rows).toHaveLength(APPS * 3);
    for (const row of rows) {
      const assignment = made.find((a) => row.dedupeKey === `review:task:${a.id}`)!;
      expect(row).toMatchObject({ msgType: 'interactive', receiver: assignment.expertOpenId, priority: 1, status: 'pending' });
      expect(row.card).toEqual({ render: { kind: REVIEW_TASK_CARD, assignmentId: assignment.id } });
    }
    const [size] = await db().select({ spec: sql<number>`max(octet_length(${outbox.card}::text))::int` }).from(outbox).where(like(outbox.dedupeKey, 'review:task:%'));
    const card = JSON.stringify(await expectedCard(made[0].id));
    // ~50 bytes instead of the card's several kilobytes
    expect(Number(size.spec)).toBeLessThan(80);
    expect(card.length).toBeGreaterThan(3000);
  });

  it('the dispatcher draws each task card and sends the card taskCard draws, with the row key as uuid', async () => {
    await h.app.dispatcher.drain(60_000);
    const rows = await taskRows();
    for (const row of rows) {
      expect(row.status).toBe('sent');
      const [message] = sentTo(row.dedupeKey);
      expect(message).toMatchObject({ receiveIdType: 'open_id', receiveId: row.receiver, msgType: 'interactive' });
      expect(message.content).toEqual(await expectedCard(Number(row.dedupeKey.split(':')[2])));
    }
    expect(new Set(rows.map((r) => sentTo(r.dedupeKey)[0].messageId)).size).toBe(rows.length);
  });

  it('a task declined before its card went out is not sent; the replacement expert gets a live card', async () => {
    const [first] = await taskRows();
    const assignmentId = Number(first.dedupeKey.split(':')[2]);
    const before = new Set((await db().select({ id: assignments.id }).from(assignments)).map((a) => a.id));
    const declined = await h.post(
      '/lark/cards',
      cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: first.receiver, value: { action: 'review.decline', assignmentId }, formValue: { kind: 'unavailable', reason: '六月出差' } }),
    );
    expect(declined.status).toBe(200);
    const [after] = await db().select().from(assignments).where(eq(assignments.id, assignmentId));
    expect(after.status).toBe('declined');
    const [newest, ...more] = (await db().select().from(assignments).where(eq(assignments.applicationId, after.applicationId))).filter((a) => !before.has(a.id));
    expect(more).toHaveLength(0);
    expect(newest).toMatchObject({ status: 'assigned' });
    expect(newest.expertOpenId).not.toBe(first.receiver);

    await h.app.dispatcher.drain(60_000);
    const [dropped] = await db().select().from(outbox).where(eq(outbox.id, first.id));
    expect(dropped).toMatchObject({ status: 'dropped', attempts: 1 });
    expect(dropped.lastError).toContain('谢绝');
    expect(sendRequests(first.dedupeKey)).toHaveLength(0);
    // the replacement's card is drawn at send time too, and is a live score sheet
    const [replacementRow] = await db().select().from(outbox).where(eq(outbox.dedupeKey, `review:task:${newest.id}`));
    expect(replacementRow).toMatchObject({ status: 'sent', card: { render: { kind: REVIEW_TASK_CARD, assignmentId: newest.id } } });
    expect(sentTo(replacementRow.dedupeKey)[0].content).toEqual(await expectedCard(newest.id));
    // every other task's card went out
    expect((await taskRows()).filter((r) => r.status === 'sent')).toHaveLength(APPS * 3);
  });

  it('draws a live card only for a task still waiting for its scores in a cycle open to scoring', async () => {
    const [a, b, c] = await db().select().from(assignments).orderBy(asc(assignments.id)).limit(3);
    await db().update(assignments).set({ status: 'replaced' }).where(eq(assignments.id, a.id));
    await db().update(assignments).set({ status: 'submitted' }).where(eq(assignments.id, b.id));
    const render = reviewTaskRenderer(db());
    const specs = [a, b, c].map((x) => ({ kind: REVIEW_TASK_CARD, assignmentId: x.id }));
    const drawn = await render([...specs, { kind: REVIEW_TASK_CARD, assignmentId: 999_999 }]);
    expect(drawn[0]).toEqual({ drop: `评分任务 ${a.id} 已改派` });
    expect(drawn[1]).toEqual({ drop: `评分任务 ${b.id} 已提交` });
    // drawn without the bot's clock, as by hand: the day its message goes out is not known
    expect(drawn[2]).toEqual({ card: await expectedCard(c.id, {}) });
    expect(drawn[3]).toEqual({ drop: '评分任务 999999 已不存在' });
    // scoring ended (结束评分): no task card goes out any more
    await db().update(cycles).set({ status: 'closed' });
    expect(await render([specs[2]])).toEqual([{ drop: '2030年度评审已结束专家评分' }]);
  });

  it('a renderer that throws is a failed send: retried with backoff, then dead-lettered, and the dispatcher keeps sending', async () => {
    const [first] = await taskRows();
    // everything else out of the way: one task row and one ordinary card
    await db().update(outbox).set({ status: 'sent' }).where(and(like(outbox.dedupeKey, 'review:task:%'), sql`${outbox.id} <> ${first.id}`));
    await db().delete(outbox).where(sql`${outbox.dedupeKey} not like 'review:task:%'`);
    await db().transaction((tx) => enqueue(tx, { dedupeKey: 'plain-card', to: { openId: 'ou_plain' }, card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: '普通消息' }] } } }));
    let calls = 0;
    const failing = testDispatcher(db(), h.app.larkClient, {
        [REVIEW_TASK_CARD]: async () => {
          calls++;
          throw new Error('模板读取失败');
        },
      }, { admins: [ADMIN] });
    await failing.drain(20_000);
    const [dead] = await db().select().from(outbox).where(eq(outbox.id, first.id));
    expect(dead).toMatchObject({ status: 'dead', attempts: 3 });
    expect(dead.lastError).toContain('模板读取失败');
    expect(calls).toBe(3);
    expect(sendRequests(first.dedupeKey)).toHaveLength(0);
    expect(sentTo('plain-card')).toHaveLength(1);
    // dead-lettered like any other message: an audit row, and the administrators are told
    const audits = await db().select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'));
    expect(audits.filter((a) => (a.details as { dedupeKey?: string }).dedupeKey === first.dedupeKey)).toHaveLength(1);
    expect(await db().select().from(outbox).where(like(outbox.dedupeKey, `alert:dead-letter:${first.id}:%`))).toHaveLength(1);
  });

  it('a renderer missing for a kind, or one that answers an error for one spec, fails only those rows', async () => {
    const rows = await taskRows();
    const broken = rows[1];
    const renderer = botsRenderer();
    const failing = testDispatcher(db(), h.app.larkClient, {
        [REVIEW_TASK_CARD]: async (specs) => (await renderer(specs)).map((r, i) => (Number(specs[i].assignmentId) === Number(broken.dedupeKey.split(':')[2]) ? { error: '评分表读取失败' } : r)),
      }, { limits: { perApp: 1000, perReceiver: 1000, maxAttempts: 8, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
    await db().transaction((tx) => enqueue(tx, { dedupeKey: 'unknown-kind', to: { openId: 'ou_plain' }, render: { kind: 'noSuchCard', id: 1 } }));
    while ((await failing.runOnce()) > 0);
    const after = new Map((await db().select().from(outbox)).map((r) => [r.dedupeKey, r]));
    expect(after.get(broken.dedupeKey)).toMatchObject({ status: 'pending', lastError: '评分表读取失败', attempts: 1 });
    expect(after.get('unknown-kind')).toMatchObject({ status: 'pending', attempts: 1 });
    expect(after.get('unknown-kind')!.lastError).toContain('no renderer for card kind noSuchCard');
    expect(rows.filter((r) => after.get(r.dedupeKey)!.status === 'sent')).toHaveLength(rows.length - 1);
  });

  it('a crash after the send and before the row is marked: the resend draws the same card and carries the same uuid', async () => {
    const [first] = await taskRows();
    const assignmentId = Number(first.dedupeKey.split(':')[2]);
    // the first attempt reaches Feishu; the process dies before it records the answer
    const { dispatcher: dying, delivered } = dyingDispatcher(db(), h.app.larkClient, { [REVIEW_TASK_CARD]: botsRenderer() });
    await db().update(outbox).set({ status: 'sent' }).where(and(like(outbox.dedupeKey, 'review:task:%'), sql`${outbox.id} <> ${first.id}`));
    await db().delete(outbox).where(sql`${outbox.dedupeKey} not like 'review:task:%'`);
    void dying.runOnce();
    await until(() => delivered.length === 1);
    expect(sentTo(first.dedupeKey)).toHaveLength(1);
    // another replica takes the row over once the lease has run out
    const { done, requests } = await takenOverAfterLease(db(), h.app.dispatcher, first.id, () => sendRequests(first.dedupeKey));
    expect(JSON.parse(requests[1].body.content)).toEqual(await expectedCard(assignmentId));
    // Feishu keeps the first: one message, and the row records its id
    expect(sentTo(first.dedupeKey)).toHaveLength(1);
    expect(done.messageId).toBe(sentTo(first.dedupeKey)[0].messageId);
  });
});

describe('a task reopened by an administrator (重开评分)', () => {
  /** Every item at its maximum but the first, which loses a point: a sheet of 99. */
  const sheetOf99 = () => Object.fromEntries([...scoreFields(defaultScoreSheet).map((f, i) => [f.field, String(f.max - (i === 0 ? 1 : 0))]), ['comment', '材料完整']]);
  const callback = (openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) =>
    h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, formValue }));
  const reopenRows = (assignmentId: number) => db().select().from(outbox).where(like(outbox.dedupeKey, `review:reopen:${assignmentId}:%`));
  const REOPEN_NOTE = '协会管理员已重开这份评分，原分数已填入，修改后请重新提交。';
  /** The score sheet cards of this task its expert received at the fake platform, in order. */
  const sheetsOf = (task: { id: number; expertOpenId: string }) =>
    h.fake.messages.filter(
      (m) => m.receiveId === task.expertOpenId && m.msgType === 'interactive' && cardActions(m.content).some((a) => a.action === 'review.submit' && a.assignmentId === task.id),
    );
  /** The outbox key the latest reopen of this task chose for its card, as its audit row records it. */
  const chosenKey = async (assignmentId: number) => {
    const trail = await db().select().from(auditLog).where(and(eq(auditLog.action, 'review.reopen'), eq(auditLog.entityId, String(assignmentId)))).orderBy(asc(auditLog.id));
    return (trail.at(-1)?.details as { cardKey?: string } | undefined)?.cardKey;
  };
  const taskRow = async (assignmentId: number) => (await db().select().from(outbox).where(eq(outbox.dedupeKey, `review:task:${assignmentId}`)))[0];
  const firstTask = async () => (await db().select().from(assignments).orderBy(asc(assignments.id)).limit(1))[0];
  const submit99 = async (task: { id: number; expertOpenId: string }) => {
    expect((await callback(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, sheetOf99())).status).toBe(200);
    expect((await db().select().from(assignments).where(eq(assignments.id, task.id)))[0]).toMatchObject({ status: 'submitted', total: 99 });
  };
  const reopen = async (task: { id: number }) => {
    const res = await callback(ADMIN, { action: 'review.reopen', assignmentId: task.id });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('已重开评分并通知专家');
  };
  /** The one reopened sheet the expert got: the card taskCard draws now, scores filled in, with the note. */
  async function expectReopenedSheet(message: { content: unknown }, assignmentId: number) {
    expect(message.content).toEqual(await expectedCard(assignmentId));
    expect(JSON.stringify(message.content)).toContain(REOPEN_NOTE);
    const first = scoreFields(defaultScoreSheet)[0];
    expect(inputNamed(message.content, first.field)).toMatchObject({ tag: 'input', default_value: String(first.max - 1) });
  }

  /** The first task's expert submits 99 through a signed callback, then an administrator reopens it; nothing is sent yet. */
  async function submitAndReopen() {
    await h.app.dispatcher.drain(60_000);
    const [task] = await db().select().from(assignments).orderBy(asc(assignments.id)).limit(1);
    expect((await callback(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, sheetOf99())).status).toBe(200);
    expect((await db().select().from(assignments).where(eq(assignments.id, task.id)))[0]).toMatchObject({ status: 'submitted', total: 99 });
    const reopened = await callback(ADMIN, { action: 'review.reopen', assignmentId: task.id });
    expect(reopened.status).toBe(200);
    expect(JSON.stringify(reopened.body)).toContain('已重开评分并通知专家');
    return task;
  }

  it('queues the task spec, and the card sent is the one the reopen queued whole before: the sheet filled in, with the reopen note', async () => {
    const task = await submitAndReopen();
    const [row] = await reopenRows(task.id);
    expect(row).toMatchObject({ msgType: 'interactive', receiver: task.expertOpenId, status: 'pending' });
    expect(row.card).toEqual({ render: { kind: REVIEW_TASK_CARD, assignmentId: task.id } });
    expect(JSON.stringify(row.card).length).toBeLessThan(80);
    // what the handler used to queue: taskCard of the task read again after the reopen, in its transaction
    const [fresh] = await getTasks(db(), [task.id]);
    const before = JSON.parse(JSON.stringify(taskCard(fresh, { sentOn: todayIn(h.app.config.BOT_TIMEZONE, h.clock.now()) })));
    expect(JSON.stringify(before)).toContain('协会管理员已重开这份评分，原分数已填入，修改后请重新提交。');

    await h.app.dispatcher.drain(60_000);
    const [sent] = await reopenRows(task.id);
    expect(sent.status).toBe('sent');
    const [message] = sentTo(sent.dedupeKey);
    expect(message).toMatchObject({ receiveIdType: 'open_id', receiveId: task.expertOpenId, msgType: 'interactive' });
    expect(message.content).toEqual(before);
    expect(cardActions(message.content)).toContainEqual(expect.objectContaining({ action: 'review.submit', assignmentId: task.id }));
    const first = scoreFields(defaultScoreSheet)[0];
    expect(inputNamed(message.content, first.field)).toMatchObject({ tag: 'input', default_value: String(first.max - 1) });
    // the task card went out before the submit: the expert has it and the reopened sheet, one of each
    expect(await chosenKey(task.id)).toBe(sent.dedupeKey);
    expect(sheetsOf(task).map((m) => m.uuid)).toEqual([messageUuid(`review:task:${task.id}`), messageUuid(sent.dedupeKey)]);
  });

  it('a task card still waiting when the task is submitted from the 评分 list and reopened draws the reopened sheet: one card, none queued beside it', async () => {
    const task = await firstTask();
    expect(await taskRow(task.id)).toMatchObject({ status: 'pending', attempts: 0 });
    await submit99(task);
    await reopen(task);
    expect(await reopenRows(task.id)).toHaveLength(0);
    expect(await chosenKey(task.id)).toBe(`review:task:${task.id}`);

    await h.app.dispatcher.drain(60_000);
    expect(await taskRow(task.id)).toMatchObject({ status: 'sent', attempts: 1 });
    const sheets = sheetsOf(task);
    expect(sheets).toHaveLength(1);
    expect(sheets[0].uuid).toBe(messageUuid(`review:task:${task.id}`));
    await expectReopenedSheet(sheets[0], task.id);
  });

  it('a reopen after a reopen whose card is still waiting: that card draws the second reopened sheet, nothing more is queued', async () => {
    const task = await submitAndReopen();
    const [waiting] = await reopenRows(task.id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    await submit99(task);
    await reopen(task);
    expect((await reopenRows(task.id)).map((r) => r.id)).toEqual([waiting.id]);
    expect(await chosenKey(task.id)).toBe(waiting.dedupeKey);

    await h.app.dispatcher.drain(60_000);
    // the task card sent before the first submit, then one reopened sheet
    const sheets = sheetsOf(task);
    expect(sheets.map((m) => m.uuid)).toEqual([messageUuid(`review:task:${task.id}`), messageUuid(waiting.dedupeKey)]);
    await expectReopenedSheet(sheets[1], task.id);
  });

  it('a task card claimed by a dispatcher just before the reopen and drawn after it is dropped; the reopen queues its own card: one card', async () => {
    const task = await firstTask();
    const row = await taskRow(task.id);
    // only this task card is due
    await db().update(outbox).set({ status: 'sent' }).where(and(like(outbox.dedupeKey, 'review:task:%'), sql`${outbox.id} <> ${row.id}`));
    await db().delete(outbox).where(sql`${outbox.dedupeKey} not like 'review:task:%'`);
    await submit99(task);
    // a replica claims the row (it is now `sending`) and draws its card only once the reopen has committed
    const real = botsRenderer();
    const claimed: CardSpec[] = [];
    let drawNow!: () => void;
    const gate = new Promise<void>((resolve) => (drawNow = resolve));
    const replica = testDispatcher(db(), h.app.larkClient, {
      [REVIEW_TASK_CARD]: async (specs, rows) => {
        claimed.push(...specs);
        await gate;
        return real(specs, rows);
      },
    });
    const replicaRun = replica.runOnce();
    await until(() => claimed.length > 0);
    expect(claimed).toEqual([{ kind: REVIEW_TASK_CARD, assignmentId: task.id }]);
    expect(await taskRow(task.id)).toMatchObject({ status: 'sending', attempts: 1 });

    await reopen(task);
    const [own] = await reopenRows(task.id);
    expect(own).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await chosenKey(task.id)).toBe(own.dedupeKey);
    drawNow();
    await replicaRun;
    const after = await taskRow(task.id);
    expect(after).toMatchObject({ status: 'dropped', lastError: `评分任务 ${task.id} 已重开，重开的评分表由另一条消息发送` });
    expect(sendRequests(row.dedupeKey)).toHaveLength(0);

    await h.app.dispatcher.drain(60_000);
    const sheets = sheetsOf(task);
    expect(sheets.map((m) => m.uuid)).toEqual([messageUuid(own.dedupeKey)]);
    await expectReopenedSheet(sheets[0], task.id);
  });

  it('a task card whose first send failed is not the reopen’s: it may have reached Feishu under its uuid, so the reopen queues its own card and the retry is dropped', async () => {
    const task = await firstTask();
    const row = await taskRow(task.id);
    // only this task card is due
    await db().update(outbox).set({ status: 'sent' }).where(and(like(outbox.dedupeKey, 'review:task:%'), sql`${outbox.id} <> ${row.id}`));
    await db().delete(outbox).where(sql`${outbox.dedupeKey} not like 'review:task:%'`);
    // Feishu answers its first attempt 500: delivered or not, a resend under the same uuid would be kept as the first card
    h.fake.injectFaults([{ status: 500, code: 1, msg: 'internal' }], (req) => req.body?.uuid === messageUuid(row.dedupeKey));
    await h.app.dispatcher.runOnce();
    expect(await taskRow(task.id)).toMatchObject({ status: 'pending', attempts: 1 });
    await submit99(task);
    await reopen(task);
    const [own] = await reopenRows(task.id);
    expect(own).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await chosenKey(task.id)).toBe(own.dedupeKey);

    await h.app.dispatcher.drain(60_000);
    expect(await taskRow(task.id)).toMatchObject({ status: 'dropped', lastError: `评分任务 ${task.id} 已重开，重开的评分表由另一条消息发送` });
    const sheets = sheetsOf(task);
    expect(sheets.map((m) => m.uuid)).toEqual([messageUuid(own.dedupeKey)]);
    await expectReopenedSheet(sheets[0], task.id);
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('a dispatcher claim held open while the reopen runs: the reopen waits for it, then queues its own card; the claimed one is dropped (PostgreSQL)', async () => {
    const task = await firstTask();
    const row = await taskRow(task.id);
    await submit99(task);
    let commitClaim!: () => void;
    const held = new Promise<void>((resolve) => (commitClaim = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // what OutboxDispatcher.claim does to a due row, in a transaction left open: locked (skip locked), marked `sending`
    const claim = db().transaction(async (tx) => {
      await tx.execute(sql`update outbox set status = 'sending', claimed_at = now(), attempts = attempts + 1
        where id in (select id from outbox where id = ${row.id} and status = 'pending' for update skip locked)`);
      locked();
      await held;
    });
    await isLocked;
    let answered = false;
    const reopening = reopen(task).finally(() => (answered = true));
    // the reopen waits for the claim's row lock, without answering
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    commitClaim();
    await claim;
    await reopening;
    const [own] = await reopenRows(task.id);
    expect(own).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await chosenKey(task.id)).toBe(own.dedupeKey);

    // the claimed row is drawn after the reopen: here by a replica taking it over after its lease, which draws it as its claimer would
    await db().update(outbox).set({ claimedAt: new Date(Date.now() - LEASE_RUN_OUT_MS) }).where(eq(outbox.id, row.id));
    await h.app.dispatcher.drain(60_000);
    expect(await taskRow(task.id)).toMatchObject({ status: 'dropped', attempts: 2 });
    const sheets = sheetsOf(task);
    expect(sheets.map((m) => m.uuid)).toEqual([messageUuid(own.dedupeKey)]);
    await expectReopenedSheet(sheets[0], task.id);
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('a dispatcher claiming while the reopen holds the waiting card skips it; after the commit it draws the reopened sheet (PostgreSQL)', async () => {
    const task = await firstTask();
    const row = await taskRow(task.id);
    await submit99(task);
    const replica = testDispatcher(db(), h.app.larkClient, { [REVIEW_TASK_CARD]: botsRenderer() });
    await db().transaction(async (tx) => {
      const { card } = await reopenScore(tx, { openId: ADMIN, name: null, roles: ['admin'] }, task.id, h.clock.now(), 'evt_reopen_held');
      expect(card).toEqual({ key: row.dedupeKey, waiting: true });
      // another connection claims everything due: the locked row is skipped, not waited for
      await replica.runOnce();
      expect((await db().select().from(outbox).where(eq(outbox.id, row.id)))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    });
    await h.app.dispatcher.drain(60_000);
    expect(await reopenRows(task.id)).toHaveLength(0);
    const sheets = sheetsOf(task);
    expect(sheets.map((m) => m.uuid)).toEqual([messageUuid(row.dedupeKey)]);
    await expectReopenedSheet(sheets[0], task.id);
  });

  it('a reopened task re-assigned (更换专家) before its card went out is dropped with the reason; the new expert gets a live card', async () => {
    const task = await submitAndReopen();
    const others = new Set((await db().select({ id: assignments.id }).from(assignments)).map((a) => a.id));
    expect((await callback(ADMIN, { action: 'review.swap', assignmentId: task.id })).status).toBe(200);
    const [replacement] = (await db().select().from(assignments).where(eq(assignments.applicationId, task.applicationId))).filter((a) => !others.has(a.id));
    expect(replacement).toMatchObject({ status: 'assigned' });

    await h.app.dispatcher.drain(60_000);
    const [row] = await reopenRows(task.id);
    expect(row).toMatchObject({ status: 'dropped', attempts: 1, lastError: `评分任务 ${task.id} 已改派` });
    expect(sendRequests(row.dedupeKey)).toHaveLength(0);
    expect(sentTo(`review:task:${replacement.id}`)[0].content).toEqual(await expectedCard(replacement.id));
  });

  it('a reopened task resubmitted from the 评分 list before its card went out is dropped: the expert has done it', async () => {
    const task = await submitAndReopen();
    expect((await callback(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, sheetOf99())).status).toBe(200);
    await h.app.dispatcher.drain(60_000);
    const [row] = await reopenRows(task.id);
    expect(row).toMatchObject({ status: 'dropped', lastError: `评分任务 ${task.id} 已提交` });
    expect(sendRequests(row.dedupeKey)).toHaveLength(0);
  });
});

/** The card's element with this name, wherever it is nested. */
function inputNamed(node: unknown, name: string): Record<string, unknown> | undefined {
  if (!node || typeof node !== 'object') return undefined;
  if ((node as { name?: unknown }).name === name) return node as Record<string, unknown>;
  for (const child of Object.values(node)) {
    const found = inputNamed(child, name);
    if (found) return found;
  }
  return undefined;
}
