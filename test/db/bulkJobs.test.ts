import { Writable } from 'node:stream';
import { and, eq, like, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bulkJobKinds } from '../../bot/bulkJobs.js';
import { assignments, auditLog, bulkJobs, certificates, cycles, honours, outbox } from '../../db/schema.js';
import { scoreLargeCycle, seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { BulkJobWorker } from '../../src/bulkJobs.js';
import { card } from '../../cards/kit.js';
import { ManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';

/** 截止申报 and 公布结果 answer at once with a progress card; a claimed job does the bulk work in batches. */

const APPS = 300;
const EXPERTS = 40;

let h: Harness;
/** The administrator's card the clicks come from: one the bot sent, so its updates are taken as Feishu takes them. */
let ADMIN_CARD: string;
beforeEach(async () => {
  h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  const sent = await h.app.larkClient.im.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: ADMIN, msg_type: 'interactive', content: JSON.stringify(card({ title: '管理', elements: [] })) },
  });
  ADMIN_CARD = sent.data!.message_id!;
});
afterEach(async () => {
  await h?.close();
});

const db = () => h.db.db;

/** The callback as Feishu sends it, without running the worker or the outbox afterwards. */
async function clickOnly(value: Record<string, unknown>) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, messageId: ADMIN_CARD }));
  expect(res.status).toBe(200);
  return res.body;
}

const count = async (table: typeof outbox | typeof assignments, where?: ReturnType<typeof and>) =>
  Number((await db().select({ n: sql<number>`count(*)::int` }).from(table).where(where))[0].n);
const taskCards = () => count(outbox, like(outbox.dedupeKey, 'review:task:%'));
const assignAudits = async () => Number((await db().select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, 'review.assign')))[0].n);
const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
/** Another replica's worker on the same database. */
const worker = (id: string) => new BulkJobWorker({ db: db(), kinds: bulkJobKinds, clock: h.clock, config: h.app.config, log: quiet, id });

/** Each assignment has exactly one task card, to its expert. */
async function expectOneCardPerAssignment(total: number) {
  const rows = await db().select({ id: assignments.id, expert: assignments.expertOpenId }).from(assignments);
  expect(rows).toHaveLength(total);
  const cards = await db().select({ key: outbox.dedupeKey, receiver: outbox.receiver }).from(outbox).where(like(outbox.dedupeKey, 'review:task:%'));
  expect(cards).toHaveLength(total);
  const byKey = new Map(cards.map((c) => [c.key, c.receiver]));
  for (const r of rows) expect(byKey.get(`review:task:${r.id}`)).toBe(r.expert);
}

describe('截止申报 with a few hundred applications', () => {
  it('answers with the progress card before any task card is queued; the job queues each task card once', async () => {
    const fx = await seedLargeCycle(db(), { applications: APPS, experts: EXPERTS, organizations: 12, year: 2030 });
    const body = await clickOnly({ action: 'cycle.closeApplications', cycleId: fx.cycleId });
    expect(body.toast.content).toContain('2030年度申报已截止');
    expect(JSON.stringify(body.card.data)).toContain(`正在分配专家：已分配 0 / 900`);
    expect(await taskCards()).toBe(0);
    expect((await db().select().from(cycles).where(eq(cycles.id, fx.cycleId)))[0].status).toBe('scoring');
    const [queued] = await db().select().from(bulkJobs);
    expect(queued).toMatchObject({ kind: 'assign', status: 'queued', done: 0, total: 900, messageId: ADMIN_CARD });

    // a second click while the job waits shows its progress and starts nothing
    const again = await clickOnly({ action: 'cycle.closeApplications', cycleId: fx.cycleId });
    expect(JSON.stringify(again.card.data)).toContain('已分配 0 / 900');
    const assignAgain = await clickOnly({ action: 'review.assign', cycleId: fx.cycleId });
    expect(assignAgain.toast.content).toContain('正在进行');
    expect(await db().select().from(bulkJobs)).toHaveLength(1);

    await h.app.bulkJobs.drain();
    const [job] = await db().select().from(bulkJobs);
    expect(job).toMatchObject({ status: 'done', done: 900, total: 900, claimedBy: null });
    await expectOneCardPerAssignment(900);
    // 300 applications in batches of 200: two batches, each one audit row
    expect(await assignAudits()).toBe(2);
    const [final] = await db().select().from(outbox).where(eq(outbox.dedupeKey, `bulk:${job.id}:card:final`));
    expect(final).toMatchObject({ kind: 'update', receiver: ADMIN_CARD });
    expect(JSON.stringify(final.card)).toMatch(/已分配 900 \/ 900，用时 \d+ 秒/);

    // the final state reaches the administrator's card through the outbox; the task cards' delivery is covered by review.test.ts
    await db().update(outbox).set({ status: 'sent' }).where(like(outbox.dedupeKey, 'review:task:%'));
    await h.app.dispatcher.drain(60_000);
    const update = h.fake.updates.filter((u) => u.messageId === ADMIN_CARD).at(-1);
    expect(JSON.stringify(update?.card)).toContain('已分配 900 / 900');
  });

  it('resumes after a worker dies between batches, without doing a batch twice', async () => {
    const fx = await seedLargeCycle(db(), { applications: APPS, experts: EXPERTS, organizations: 12, year: 2030 });
    await clickOnly({ action: 'cycle.closeApplications', cycleId: fx.cycleId });
    const first = worker('replica-a');
    const job = (await first.claim())!;
    expect(await first.runBatch(job.id)).toBe('more');
    const half = await taskCards();
    expect(half).toBe(600);
    // replica-a dies here: its lease runs out
    await db().update(bulkJobs).set({ leaseUntil: new Date(Date.now() - 1000) }).where(eq(bulkJobs.id, job.id));
    const second = worker('replica-b');
    await second.drain();
    // the dead replica, were it to wake, finds the job taken over and writes nothing
    expect(await first.runBatch(job.id)).toBe('lost');
    const [done] = await db().select().from(bulkJobs);
    expect(done).toMatchObject({ status: 'done', done: 900, attempts: 2 });
    await expectOneCardPerAssignment(900);
    expect(await assignAudits()).toBe(2);
  });

  it('two workers racing for the job share it without duplicates', async () => {
    const fx = await seedLargeCycle(db(), { applications: APPS, experts: EXPERTS, organizations: 12, year: 2030 });
    await clickOnly({ action: 'cycle.closeApplications', cycleId: fx.cycleId });
    await Promise.all([worker('replica-a').drain(), worker('replica-b').drain(), h.app.bulkJobs.drain()]);
    const [job] = await db().select().from(bulkJobs);
    expect(job).toMatchObject({ status: 'done', done: 900, attempts: 1 });
    await expectOneCardPerAssignment(900);
    expect(await assignAudits()).toBe(2);
  });

  it('a failure marks the job failed with a clear message and an alert; 重试 resumes it', async () => {
    const fx = await seedLargeCycle(db(), { applications: APPS, experts: EXPERTS, organizations: 12, year: 2030 });
    await clickOnly({ action: 'cycle.closeApplications', cycleId: fx.cycleId });
    const first = worker('replica-a');
    const job = (await first.claim())!;
    expect(await first.runBatch(job.id)).toBe('more');
    // the cycle leaves the scoring phase under the job's feet
    await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, fx.cycleId));
    expect(await first.runBatch(job.id)).toBe('failed');
    const [failed] = await db().select().from(bulkJobs);
    expect(failed).toMatchObject({ status: 'failed', done: 600 });
    expect(failed.error).toContain('2030年度评审已结束专家评分');
    const alerts = await db().select().from(outbox).where(like(outbox.dedupeKey, `bulk:${job.id}:alert:%`));
    expect(alerts.length).toBeGreaterThan(0);
    expect(JSON.stringify(alerts[0].card)).toContain('分配专家未完成（已完成 600 / 900）');
    const [card] = await db().select().from(outbox).where(like(outbox.dedupeKey, `bulk:${job.id}:card:failed:%`));
    expect(JSON.stringify(card.card)).toContain('bulk.retry');

    await db().update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, fx.cycleId));
    const retried = await clickOnly({ action: 'bulk.retry', jobId: job.id });
    expect(retried.toast.content).toContain('从中断处继续');
    await h.app.bulkJobs.drain();
    const [done] = await db().select().from(bulkJobs);
    expect(done).toMatchObject({ status: 'done', done: 900, error: null });
    await expectOneCardPerAssignment(900);
  });
});

describe('公布结果 with a few hundred results', () => {
  it('answers with the progress card; the job publishes, numbers certificates and queues each result once', async () => {
    const fx = await seedLargeCycle(db(), { applications: APPS, experts: EXPERTS, organizations: 12, year: 2030, status: 'scoring' });
    await clickOnly({ action: 'review.assign', cycleId: fx.cycleId });
    await h.app.bulkJobs.drain();
    await scoreLargeCycle(db(), fx.cycleId);

    const body = await clickOnly({ action: 'results.publish', cycleId: fx.cycleId });
    expect(JSON.stringify(body.card.data)).toContain(`正在公布结果：已通知 0 / ${APPS}`);
    expect(await count(outbox, like(outbox.dedupeKey, 'results:published:%'))).toBe(0);
    expect((await db().select().from(cycles).where(eq(cycles.id, fx.cycleId)))[0].status).toBe('closed');
    const again = await clickOnly({ action: 'results.publish', cycleId: fx.cycleId });
    expect(again.toast.content).toContain('正在公布');

    // the first worker dies after publishing and one batch of notices; another finishes
    const first = worker('replica-a');
    const job = (await first.claim())!;
    expect(await first.runBatch(job.id)).toBe('more');
    expect(await first.runBatch(job.id)).toBe('more');
    await db().update(bulkJobs).set({ leaseUntil: new Date(Date.now() - 1000) }).where(eq(bulkJobs.id, job.id));
    await worker('replica-b').drain();

    const [done] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'publish'));
    expect(done).toMatchObject({ status: 'done', done: APPS, total: APPS });
    expect((await db().select().from(cycles).where(eq(cycles.id, fx.cycleId)))[0].status).toBe('published');
    const titled = await db().select().from(honours);
    const certs = await db().select().from(certificates);
    expect(certs).toHaveLength(titled.length);
    expect(titled.length).toBeGreaterThan(0);
    const leaderCards = await db().select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, 'results:published:2030:team-%:leader'));
    expect(leaderCards).toHaveLength(APPS);
    expect(new Set(leaderCards.map((c) => c.key)).size).toBe(APPS);
    // each certificate as image and PDF to its leader and its contact
    expect(await count(outbox, like(outbox.dedupeKey, 'certificate:%:png:%'))).toBe(certs.length * 2);
    expect(await count(outbox, like(outbox.dedupeKey, 'results:published:2030:card:%'))).toBeGreaterThan(0);
    const [final] = await db().select().from(outbox).where(eq(outbox.dedupeKey, `bulk:${done.id}:card:final`));
    expect(JSON.stringify(final.card)).toMatch(new RegExp(`已通知 ${APPS} / ${APPS}，用时 \\d+ 秒`));
  });
});
