import { and, asc, eq, inArray, like, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, bulkJobs, cycles, outbox, processedEvents } from '../../db/schema.js';
import { seedLargeCycle, submitLargeCycleSheets } from '../../scripts/benchLargeCycle.js';
import { card } from '../../cards/kit.js';
import { ManualClock } from '../../src/clock.js';
import { fastCloseScoring } from '../../src/fast/aggregate.js';
import { loadActor } from '../../src/people.js';
import { recommendPlaces } from '../../src/review/aggregation.js';
import { aggregation, closeScoring } from '../../src/review/results.js';
import { testDatabaseKind } from '../support/db.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * 结束评分并汇总 of a cycle larger than `aggregation.inCallbackMax` scored applications: the callback records a job and
 * answers with its progress card; the job aggregates, decides and closes the cycle in one transaction, storing what the
 * callback would have stored; its card ends with the counts and a 评审结果 button.
 */

const APPS = 120;
const EXPERTS = 30;
const inCallbackMax = aggregation.inCallbackMax;

let h: Harness;
/** The administrator's card the clicks come from: one the bot sent, so its updates are taken as Feishu takes them. */
let ADMIN_CARD: string;
beforeEach(async () => {
  h = await startHarness({ clock: new ManualClock('2030-09-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  aggregation.inCallbackMax = 50;
  const sent = await h.app.larkClient.im.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: ADMIN, msg_type: 'interactive', content: JSON.stringify(card({ title: '管理', elements: [] })) },
  });
  ADMIN_CARD = sent.data!.message_id!;
});
afterEach(async () => {
  aggregation.inCallbackMax = inCallbackMax;
  await h?.close();
});

const db = () => h.db.db;

async function clickOnly(value: Record<string, unknown>, eventId?: string) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, messageId: ADMIN_CARD, ...(eventId ? { eventId } : {}) }));
  expect(res.status).toBe(200);
  return res.body;
}

/** A cycle of APPS applications, every panel assigned (by the 分配专家 job) and every sheet submitted. */
async function scoredCycle(): Promise<number> {
  const fx = await seedLargeCycle(db(), { applications: APPS, experts: EXPERTS, organizations: 12, year: 2030, status: 'scoring' });
  await clickOnly({ action: 'review.assign', cycleId: fx.cycleId });
  await h.app.bulkJobs.drain();
  await submitLargeCycleSheets(db(), fx.cycleId);
  return fx.cycleId;
}

const cycleStatus = async (cycleId: number) => (await db().select().from(cycles).where(eq(cycles.id, cycleId)))[0].status;
const stored = (cycleId: number) =>
  db()
    .select({ id: applications.id, finalScore: applications.finalScore, rank: applications.rank, decision: applications.decision, review: applications.review })
    .from(applications)
    .where(eq(applications.cycleId, cycleId))
    .orderBy(asc(applications.id));
const auditsOf = (cycleId: number) =>
  db()
    .select({ action: auditLog.action, actor: auditLog.actor, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(cycleId)), inArray(auditLog.action, ['cycle.closeScoring', 'review.aggregate'])))
    .orderBy(asc(auditLog.id));

/** What closeScoring stores for the cycle now, read inside a transaction that is then rolled back. */
async function whatTheCallbackWouldStore(cycleId: number) {
  let seen: { rows: Awaited<ReturnType<typeof stored>>; audits: Awaited<ReturnType<typeof auditsOf>>; summary: { applications: number; awarded: number; recommended: number } } | undefined;
  await db()
    .transaction(async (tx) => {
      const summary = await closeScoring(tx, await loadActor(tx, ADMIN, [ADMIN]), cycleId, h.clock.now());
      const rows = await tx
        .select({ id: applications.id, finalScore: applications.finalScore, rank: applications.rank, decision: applications.decision, review: applications.review })
        .from(applications)
        .where(eq(applications.cycleId, cycleId))
        .orderBy(asc(applications.id));
      const audits = await tx
        .select({ action: auditLog.action, actor: auditLog.actor, details: auditLog.details })
        .from(auditLog)
        .where(and(eq(auditLog.entity, 'cycle'), eq(auditLog.entityId, String(cycleId)), inArray(auditLog.action, ['cycle.closeScoring', 'review.aggregate'])))
        .orderBy(asc(auditLog.id));
      seen = { rows, audits, summary: { applications: summary.applications, awarded: summary.awarded, recommended: summary.recommended } };
      throw new Error('rolled back on purpose');
    })
    .catch((err: Error) => {
      if (err.message !== 'rolled back on purpose') throw err;
    });
  return seen!;
}

describe('结束评分并汇总 of a cycle larger than the callback takes', () => {
  it('answers with the progress card; the job stores what the callback would have, closes the cycle, and its card leads to the results', async () => {
    const cycleId = await scoredCycle();
    const expected = await whatTheCallbackWouldStore(cycleId);
    expect(expected.summary.applications).toBe(APPS);

    const body = await clickOnly({ action: 'results.close', cycleId });
    expect(body.toast).toMatchObject({ type: 'success', content: `2030年度评审正在汇总 ${APPS} 份申报，完成后卡片会更新` });
    expect(JSON.stringify(body.card.data)).toContain(`正在汇总评分：已汇总 0 / ${APPS} 份申报`);
    // nothing aggregated yet: the cycle is still scoring, no application has its result
    expect(await cycleStatus(cycleId)).toBe('scoring');
    expect((await stored(cycleId)).every((r) => r.finalScore === null && r.rank === null)).toBe(true);
    const [queued] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'));
    expect(queued).toMatchObject({ status: 'queued', cycleId, total: APPS, messageId: ADMIN_CARD, createdBy: ADMIN });

    // a second click while the job waits shows its progress and starts nothing; 公布结果 and 评审结果 say it is under way
    const again = await clickOnly({ action: 'results.close', cycleId });
    expect(again.toast).toMatchObject({ type: 'info', content: '正在汇总评分，卡片显示当前进度' });
    expect(JSON.stringify(again.card.data)).toContain(`已汇总 0 / ${APPS} 份申报`);
    expect(JSON.stringify(again.card.data)).toContain('汇总在后台一次完成');
    expect((await clickOnly({ action: 'results.publish', cycleId })).toast.content).toBe('2030年度评审正在汇总评分：完成后请先点“评审结果”核对，再公布。');
    const previewWhile = await clickOnly({ action: 'results.preview', cycleId });
    expect(previewWhile.toast).toMatchObject({ type: 'info', content: '正在汇总评分，卡片显示当前进度' });
    expect(JSON.stringify(previewWhile.card.data)).toContain(`已汇总 0 / ${APPS} 份申报`);
    // 评审进度 says so too, its primary button showing the job instead of closing again
    const progress = JSON.stringify((await clickOnly({ action: 'review.progress', cycleId })).card.data);
    expect(progress).toContain(`正在后台汇总评分`);
    expect(progress).toContain(`"action":"bulk.show","jobId":${queued.id}`);
    expect(progress).not.toContain('"action":"results.close"');
    expect(await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'))).toHaveLength(1);

    await h.app.bulkJobs.drain();
    const [job] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'));
    expect(job).toMatchObject({ status: 'done', done: APPS, total: APPS, error: null });
    expect(await cycleStatus(cycleId)).toBe('closed');
    expect(await stored(cycleId)).toEqual(expected.rows);
    expect(await auditsOf(cycleId)).toEqual(expected.audits);

    const [final] = await db().select().from(outbox).where(eq(outbox.dedupeKey, `bulk:${job.id}:card:final`));
    expect(final).toMatchObject({ kind: 'update', receiver: ADMIN_CARD });
    const card = JSON.stringify(final.card);
    expect(card).toMatch(new RegExp(`已汇总 ${APPS} / ${APPS} 份申报，用时 \\d+ 秒`));
    // the seeded scores tie: the share's places and the teams tied with the last are said apart (recommendTies.test.ts)
    const [{ recommendShare }] = await db().select({ recommendShare: cycles.recommendShare }).from(cycles).where(eq(cycles.id, cycleId));
    const places = recommendPlaces(expected.summary.awarded, recommendShare);
    const tied = expected.summary.recommended > places ? `（${places} 个按推荐比例，另有 ${expected.summary.recommended - places} 个与之同分并列）` : '';
    expect(card).toContain(`授予称号 ${expected.summary.awarded} 个，推荐 ${expected.summary.recommended} 个${tied}。请点“评审结果”核对后公布。`);
    expect(card).toContain('"action":"results.preview"');

    // the final state reaches the administrator's card through the outbox, as Feishu takes a card update
    await db().update(outbox).set({ status: 'sent' }).where(like(outbox.dedupeKey, 'review:task:%'));
    await h.app.dispatcher.drain(60_000);
    const update = h.fake.updates.filter((u) => u.messageId === ADMIN_CARD).at(-1);
    expect(JSON.stringify(update?.card)).toContain(`已汇总 ${APPS} / ${APPS} 份申报`);

    // the card's button shows the preview; a click on 结束评分并汇总 now is refused as on a small cycle
    const preview = await clickOnly({ action: 'results.preview', cycleId });
    expect(JSON.stringify(preview.card.data)).toContain('公布结果');
    const late = await clickOnly({ action: 'results.close', cycleId });
    expect(late.toast).toEqual({ type: 'info', content: '已于 2030年9月1日 09:00 汇总2030年度专家评分，无需重复汇总。' });
    expect(JSON.stringify(late.card.data)).toContain('公布结果');
  });

  it('a cycle of exactly the limit is still aggregated in the callback', async () => {
    aggregation.inCallbackMax = APPS;
    const cycleId = await scoredCycle();
    const body = await clickOnly({ action: 'results.close', cycleId });
    expect(body.toast.content).toContain(`已汇总 ${APPS} 份申报`);
    expect(await cycleStatus(cycleId)).toBe('closed');
    expect(await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'))).toHaveLength(0);
  });

  it('a 重开评分 before the job runs fails it with the reason; 重试 once the sheet is in again aggregates', async () => {
    const cycleId = await scoredCycle();
    await clickOnly({ action: 'results.close', cycleId });
    const [task] = await db().select().from(assignments).orderBy(asc(assignments.id)).limit(1);
    const reopened = await clickOnly({ action: 'review.reopen', assignmentId: task.id });
    expect(reopened.toast.content).toContain('已重开评分');

    await h.app.bulkJobs.drain();
    const [failed] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'));
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('还有 1 份申报未完成评分');
    expect(await cycleStatus(cycleId)).toBe('scoring');
    expect((await stored(cycleId)).every((r) => r.finalScore === null)).toBe(true);
    const [card] = await db().select().from(outbox).where(like(outbox.dedupeKey, `bulk:${failed.id}:card:failed:%`));
    expect(JSON.stringify(card.card)).toContain('"action":"bulk.retry"');
    expect(JSON.stringify(card.card)).toContain('这次汇总没有保存任何结果');
    expect(JSON.stringify(card.card)).toContain('"action":"review.progress"');
    const alerts = await db().select().from(outbox).where(like(outbox.dedupeKey, `bulk:${failed.id}:alert:%`));
    expect(JSON.stringify(alerts[0].card)).toContain('汇总评分未完成');

    // the expert submits again (as the seed does), then 重试
    await submitLargeCycleSheets(db(), cycleId);
    const retried = await clickOnly({ action: 'bulk.retry', jobId: failed.id });
    expect(retried.toast.content).toContain('从中断处继续');
    await h.app.bulkJobs.drain();
    const [done] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'));
    expect(done).toMatchObject({ status: 'done', done: APPS });
    expect(await cycleStatus(cycleId)).toBe('closed');
    expect((await stored(cycleId)).every((r) => r.finalScore !== null)).toBe(true);
  });

  it('重试 of a failed job after the cycle was aggregated by another ends done, with no alert', async () => {
    const cycleId = await scoredCycle();
    await clickOnly({ action: 'results.close', cycleId });
    const [task] = await db().select().from(assignments).orderBy(asc(assignments.id)).limit(1);
    await clickOnly({ action: 'review.reopen', assignmentId: task.id });
    await h.app.bulkJobs.drain();
    const [failed] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'));
    expect(failed.status).toBe('failed');
    // the sheet comes in again, and another click aggregates through a second job
    await submitLargeCycleSheets(db(), cycleId);
    expect((await clickOnly({ action: 'results.close', cycleId })).toast.content).toContain('正在汇总');
    await h.app.bulkJobs.drain();
    expect(await cycleStatus(cycleId)).toBe('closed');
    const results = await stored(cycleId);
    const alerts = async () => (await db().select().from(outbox).where(like(outbox.dedupeKey, `bulk:${failed.id}:alert:%`))).length;
    const alerted = await alerts();

    // 重试 on the first job's stale card
    await clickOnly({ action: 'bulk.retry', jobId: failed.id });
    await h.app.bulkJobs.drain();
    const [retried] = await db().select().from(bulkJobs).where(eq(bulkJobs.id, failed.id));
    expect(retried).toMatchObject({ status: 'done', error: null });
    expect(await alerts()).toBe(alerted);
    expect(await stored(cycleId)).toEqual(results);
    const [final] = await db().select().from(outbox).where(eq(outbox.dedupeKey, `bulk:${failed.id}:card:final`));
    expect(JSON.stringify(final.card)).toContain('2030年度评分已于此前汇总，这次没有重复汇总');
  });

  it.runIf(testDatabaseKind() === 'postgres')('a click while the job aggregates (holding the cycle) answers with its progress at once, on both paths', async () => {
    const cycleId = await scoredCycle();
    await clickOnly({ action: 'results.close', cycleId });
    // the batch is held up on one application, another session's lock, once it holds the cycle
    const [app] = await db().select({ id: applications.id }).from(applications).where(eq(applications.cycleId, cycleId)).orderBy(asc(applications.id)).limit(1);
    const held = await heldTransaction(db(), (tx) => tx.execute(sql`select 1 from applications where id = ${app.id} for update`));
    const draining = h.app.bulkJobs.drain();
    await until(async () => (await lockWaits(db())) > 0);
    const [running] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'));
    expect(running.status).toBe('running');
    try {
      for (const fast of [true, false]) {
        h.app.processor.fastPaths = fast;
        const answer = await Promise.race([clickOnly({ action: 'results.close', cycleId }), new Promise((r) => setTimeout(() => r('waited'), 2000))]);
        expect(answer, `fast paths ${fast}`).not.toBe('waited');
        expect((answer as { toast: unknown }).toast).toMatchObject({ type: 'info', content: '正在汇总评分，卡片显示当前进度' });
      }
    } finally {
      h.app.processor.fastPaths = true;
      held.release();
      await held.ended;
      await draining;
    }
    expect(await cycleStatus(cycleId)).toBe('closed');
  });

  it.runIf(testDatabaseKind() === 'postgres')('the one-statement path leaves a large cycle, and one with a job queued, to the ordinary path, reading nothing', async () => {
    const cycleId = await scoredCycle();
    const probe = (eventId: string) => ({ eventId, eventType: 'card.action.trigger', openId: ADMIN, cycleId, now: h.clock.now(), bootstrapAdmins: [ADMIN] });
    const events = async () => Number((await db().select({ n: sql<number>`count(*)::int` }).from(processedEvents))[0].n);
    // what the preview's reads found: a refusal's are conditioned on a claim that never came
    let read: number | undefined;
    const reading = async (on: typeof h.db.db, claimed: ReturnType<typeof sql>) => {
      read = (await on.select({ id: applications.id }).from(applications).where(and(eq(applications.cycleId, cycleId), claimed))).length;
      return read;
    };

    const before = await events();
    expect(await fastCloseScoring(h.db, probe('evt_large_cycle'), reading)).toBeUndefined();
    expect(read).toBe(0);
    expect(await events()).toBe(before);
    expect(await cycleStatus(cycleId)).toBe('scoring');

    // a delivery seen before (its claim in) reads nothing either: the cycle was not closed by this statement
    await db().insert(processedEvents).values({ eventId: 'evt_seen_before', eventType: 'card.action.trigger' });
    read = undefined;
    expect(await fastCloseScoring(h.db, probe('evt_seen_before'), reading)).toBeUndefined();
    expect(read).toBe(0);

    // the job is queued; the cycle would now be small enough, but the job's it stays
    await clickOnly({ action: 'results.close', cycleId });
    aggregation.inCallbackMax = APPS;
    read = undefined;
    const queued = await events();
    expect(await fastCloseScoring(h.db, probe('evt_job_queued'), reading)).toBeUndefined();
    expect(read).toBe(0);
    expect(await events()).toBe(queued);
    expect((await stored(cycleId)).every((r) => r.finalScore === null)).toBe(true);

  });

  it.runIf(testDatabaseKind() === 'postgres')('the one-statement path on a cycle it takes: its conditioned reads see what it committed', async () => {
    aggregation.inCallbackMax = APPS;
    const cycleId = await scoredCycle();
    const closed = await fastCloseScoring(h.db, { eventId: 'evt_small_cycle', eventType: 'card.action.trigger', openId: ADMIN, cycleId, now: h.clock.now(), bootstrapAdmins: [ADMIN] }, async (on, claimed) =>
      (await on.select({ id: applications.id }).from(applications).where(and(eq(applications.cycleId, cycleId), claimed))).length,
    );
    expect(closed).toMatchObject({ applications: APPS, read: APPS });
    expect(await cycleStatus(cycleId)).toBe('closed');
  });
});
