import { Writable } from 'node:stream';
import { and, eq, like, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bulkJobKinds } from '../../bot/bulkJobs.js';
import { applications, auditLog, bulkJobs, chatBindings, imports, jobRuns, organizations, outbox, people, teams } from '../../db/schema.js';
import { largeImportCode, largeImportContact, largeImportWorkbook, seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { BulkJobWorker, SYSTEM_JOB_TRIES } from '../../src/bulkJobs.js';
import { ManualClock } from '../../src/clock.js';
import { scheduledJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent, fileMessageEvent } from '../support/larkEvents.js';

/** 确认导入 and a reminder period to many people leave the callback / the claim: jobs worked in batches. */

const PREVIEW_CARD = 'om_import_preview_card_0001';
const ADMIN_CHAT = 'oc_bulk_remind_admins_0000000000001';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const db = () => h.db.db;
const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
/** Another replica's worker on the same database. */
const worker = (id: string) => new BulkJobWorker({ db: db(), kinds: bulkJobKinds, clock: h.clock, config: h.app.config, log: quiet, id });
const countOf = async (q: Promise<{ n: number }[]>) => Number((await q)[0].n);
const outboxLike = (prefix: string) => db().select().from(outbox).where(like(outbox.dedupeKey, `${prefix}%`));

/** The callback as Feishu sends it (signed), without running the worker or the outbox afterwards. */
async function clickOnly(value: Record<string, unknown>, openId = ADMIN) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, messageId: PREVIEW_CARD }));
  expect(res.status).toBe(200);
  return res.body;
}

describe('确认导入 of a workbook of 1 200 teams and 120 titles', () => {
  const TEAMS = 1200;
  const ROWS = 10 + TEAMS + TEAMS / 10;

  beforeEach(async () => {
    h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  });

  /** Sends the workbook in chat; the preview's 确认导入 carries the import id. */
  async function preview(): Promise<number> {
    for (let k = 0; k < 10; k++) h.fake.addUser({ name: `联系人${k}`, email: largeImportContact(k) });
    h.fake.addMessageFile('om_import_file', 'file_v2_import_file', await largeImportWorkbook(TEAMS));
    const res = await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_import_file', fileKey: 'file_v2_import_file', fileName: '全省班组.xlsx' }));
    expect(res.status).toBe(200);
    // the file is read by a job of its own, off the event
    await h.app.bulkJobs.drain();
    await h.app.dispatcher.drain(60_000);
    const [record] = await db().select().from(imports);
    expect(record.status).toBe('planned');
    return record.id;
  }

  it('answers with the progress card at once; batches resume after a crash, write each row once, and the final card names the rows refused meanwhile', async () => {
    const importId = await preview();
    const body = await clickOnly({ action: 'import.apply', importId });
    expect(body.toast).toMatchObject({ type: 'success', content: '正在导入，完成后卡片会更新' });
    expectValidCard(body.card.data);
    expect(cardText(body.card.data)).toContain(`正在导入：已导入 0 / 1 330 行`);
    expect(cardText(body.card.data)).toContain('文件：全省班组.xlsx');
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(teams))).toBe(0);

    // a second click while the job waits shows it and starts nothing; a non-administrator is refused
    const again = await clickOnly({ action: 'import.apply', importId });
    expect(again.toast).toMatchObject({ type: 'info', content: '这个文件正在导入，卡片显示当前进度' });
    expect(cardText(again.card.data)).toContain('已导入 0 / 1 330 行');
    const stranger = await clickOnly({ action: 'import.apply', importId }, 'ou_not_an_admin_000000000000000001');
    expect(stranger.toast.type).toBe('error');
    expect(await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'))).toHaveLength(1);

    // replica a writes the first 500 rows (10 organisations, 490 teams), then dies
    const first = worker('replica-a');
    const job = (await first.claim())!;
    expect(job.kind).toBe('import');
    expect(await first.runBatch(job.id)).toBe('more');
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(teams))).toBe(490);
    const [progress] = await outboxLike(`bulk:${job.id}:card:progress:`);
    expect(progress).toMatchObject({ kind: 'update', receiver: PREVIEW_CARD });
    expect(cardText(progress.card)).toContain('正在导入：已导入 500 / 1 330 行');
    await db().update(bulkJobs).set({ leaseUntil: new Date(Date.now() - 1000) }).where(eq(bulkJobs.id, job.id));

    // meanwhile a team of the same name and organisation as row 1101 registers under another code
    const [org0] = await db().select().from(organizations).where(eq(organizations.name, '导入单位0'));
    await db().insert(people).values({ openId: 'ou_someone', name: '另一位班长' });
    await db().insert(teams).values({ code: 'GDSZ-2019-0001', name: '导入1100班', organizationId: org0.id, department: '', type: 'project', leaderOpenId: 'ou_someone', phone: '', memberCount: 5, functions: '', goals: '', plan: '', contactOpenId: 'ou_someone', registeredAt: '2019-01-01' });

    await worker('replica-b').drain();
    // the dead replica, were it to wake, finds the job taken over and writes nothing
    expect(await first.runBatch(job.id)).toBe('lost');

    const [done] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'));
    expect(done).toMatchObject({ status: 'done', done: ROWS - 2, total: ROWS, attempts: 2 });
    // every row once: 1 199 imported teams and the one registered meanwhile, one audit row each, codes as in the file
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(teams).where(like(teams.name, '导入%班')))).toBe(TEAMS);
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, 'team.import')))).toBe(TEAMS - 1);
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, 'honour.import')))).toBe(TEAMS / 10 - 1);
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, 'organization.import')))).toBe(10);
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(teams).where(eq(teams.code, largeImportCode(7))))).toBe(1);
    const [record] = await db().select().from(imports);
    expect(record.status).toBe('applied');
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, 'import.apply')))).toBe(1);

    const [final] = await outboxLike(`bulk:${job.id}:card:final`);
    expect(final).toMatchObject({ kind: 'update', receiver: PREVIEW_CARD });
    expectValidCard(final.card);
    const text = cardText(final.card);
    expect(text).toMatch(/已导入 1 328 \/ 1 330 行，用时 \d+ 秒/);
    expect(text).toContain('2 行未导入');
    expect(text).toMatch(/班组第 1101 行 导入1100班（导入单位0）：本单位已有同名班组，编号为 GDSZ-2019-0001/);
    // its team's row was refused meanwhile: the title names that row, not “nowhere”
    expect(text).toMatch(new RegExp(`荣誉第 111 行 ${largeImportCode(1100)} 2024：班组“${largeImportCode(1100)}”在本文件“班组”表第 1101 行，但该行未能导入`));

    // each contact is told once, of all of their imported teams, though they came in three batches
    const told = await outboxLike(`import:${importId}:told:`);
    expect(told).toHaveLength(10);
    const counts = told.map((r) => /以下 (\d+) 个班组/.exec(cardText(r.card))?.[1]).sort();
    expect(counts).toEqual(['119', ...Array(9).fill('120')]);

    // clicked again once done: the result, and when
    const late = await clickOnly({ action: 'import.apply', importId });
    expect(late.toast.type).toBe('info');
    expect(late.toast.content).toMatch(/已经导入过（2026年3月1日 \d\d:\d\d 导入完成）/);
    expect(await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'))).toHaveLength(1);
  }, 180_000);
  it('confirmed by an administrator who is one no longer: another administrator’s 重试 carries the import on in their name', async () => {
    const SECRETARY = 'ou_import_secretary_00000000000000001';
    await db().insert(people).values({ openId: SECRETARY, name: '秘书', roles: ['admin'] });
    const importId = await preview();
    expect((await clickOnly({ action: 'import.apply', importId }, SECRETARY)).toast.type).toBe('success');
    await db().update(people).set({ roles: [] }).where(eq(people.openId, SECRETARY));
    await h.app.bulkJobs.drain();
    const [failed] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'));
    expect(failed).toMatchObject({ status: 'failed', done: 0 });

    const retried = await clickOnly({ action: 'bulk.retry', jobId: failed.id });
    expect(retried.toast.content).toContain('从中断处继续');
    await h.app.bulkJobs.drain();
    const [done] = await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'));
    expect(done).toMatchObject({ status: 'done', createdBy: ADMIN });
    const [record] = await db().select().from(imports);
    expect(record.status).toBe('applied');
    expect(await countOf(db().select({ n: sql<number>`count(*)::int` }).from(teams).where(like(teams.name, '导入%班')))).toBe(TEAMS);
    const [applied] = await db().select().from(auditLog).where(eq(auditLog.action, 'import.apply'));
    expect(applied.actor).toBe(ADMIN);
  }, 180_000);
});

describe('a reminder period to many people', () => {
  const APPS = 700;

  beforeEach(async () => {
    h = await startHarness({ clock: new ManualClock('2030-05-24T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  });

  /** What node-cron calls each hour, with the bot's clock. */
  const cronTick = () =>
    scheduledJob('reminders', { db: db(), now: () => h.clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS, log: quiet, nudge: () => {} })();
  const remindJobs = () => db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'remind'));

  it('is a job started under the period’s claim: a small audience quietly, a large one with a progress card to the admin group, resumed after a crash without a second reminder', async () => {
    const fx = await seedLargeCycle(db(), { applications: APPS, experts: 10, organizations: 12, year: 2030 });
    await db().insert(chatBindings).values({ chatId: ADMIN_CHAT, purpose: 'admin', boundBy: ADMIN });
    // 20 eligible teams have not applied: the application deadline (T-7) reminds their leaders
    const missing = await db().select({ id: applications.id }).from(applications).where(eq(applications.cycleId, fx.cycleId)).limit(20);
    for (const m of missing) await db().delete(applications).where(eq(applications.id, m.id));

    await cronTick();
    const [small] = await remindJobs();
    expect(small).toMatchObject({ status: 'queued', total: 20, createdBy: 'system:reminders' });
    expect(await outboxLike('remind:apply-deadline:2030:T-7:')).toHaveLength(0);
    await h.app.bulkJobs.drain();
    expect(await outboxLike('remind:apply-deadline:2030:T-7:person-')).toHaveLength(20);
    // 20 people: the admin group hears nothing of it
    expect(await outboxLike(`bulk:${small.id}:card:`)).toHaveLength(0);
    expect((await remindJobs())[0]).toMatchObject({ status: 'done', done: 20 });

    // 14 days before the review meeting: the admin group and 680 accepted applicants
    h.clock.set('2030-07-01T09:00:00+08:00');
    await cronTick();
    await cronTick();
    const [large] = (await remindJobs()).filter((j) => j.id !== small.id);
    expect(await remindJobs()).toHaveLength(2);
    expect(large).toMatchObject({ status: 'queued', total: APPS - 20 + 1 });
    const [run] = await db().select().from(jobRuns).where(and(eq(jobRuns.job, 'reminders'), eq(jobRuns.period, 'review-meeting:2030:T-14')));
    expect(run.status).toBe('done');
    const [announced] = await outboxLike(`bulk:${large.id}:card:start:`);
    expect(announced).toMatchObject({ receiveIdType: 'chat_id', receiver: ADMIN_CHAT });
    expect(cardText(announced.card)).toContain('正在发送提醒：已发送 0 / 681 人');
    // the card is in the group before the job runs: later numbers update it by its message id
    await h.app.dispatcher.drain(60_000);
    const [sent] = await outboxLike(`bulk:${large.id}:card:start:`);
    expect(sent.messageId).toBeTruthy();

    const first = worker('replica-a');
    const job = (await first.claim())!;
    expect(job.id).toBe(large.id);
    expect(await first.runBatch(job.id)).toBe('more');
    expect(await outboxLike('remind:review-meeting:2030:T-14:')).toHaveLength(500);
    const [progress] = await outboxLike(`bulk:${job.id}:card:progress:`);
    expect(progress).toMatchObject({ kind: 'update', receiver: sent.messageId });
    expect(cardText(progress.card)).toContain('已发送 500 / 681 人');
    // replica a dies between batches: b takes over once the lease has run out
    await db().update(bulkJobs).set({ leaseUntil: new Date(Date.now() - 1000) }).where(eq(bulkJobs.id, job.id));
    await worker('replica-b').drain();
    expect(await first.runBatch(job.id)).toBe('lost');

    const rows = await outboxLike('remind:review-meeting:2030:T-14:');
    expect(rows).toHaveLength(APPS - 20 + 1);
    expect(new Set(rows.map((r) => r.receiver)).size).toBe(rows.length);
    expect(rows.filter((r) => r.receiver === ADMIN_CHAT)).toHaveLength(1);
    const [done] = await db().select().from(bulkJobs).where(eq(bulkJobs.id, job.id));
    expect(done).toMatchObject({ status: 'done', done: 681, attempts: 2 });
    const [final] = await outboxLike(`bulk:${job.id}:card:final`);
    expect(final).toMatchObject({ kind: 'update', receiver: sent.messageId });
    expect(cardText(final.card)).toMatch(/已发送 681 \/ 681 人，用时 \d+ 秒/);
    expect(cardText(final.card)).toContain('已安排 681 人的提醒');

    // the next hour's tick finds the period claimed: no second job, no second reminder
    h.clock.set('2030-07-01T10:00:00+08:00');
    await cronTick();
    await h.app.bulkJobs.drain();
    expect(await remindJobs()).toHaveLength(2);
    expect(await outboxLike('remind:review-meeting:2030:T-14:')).toHaveLength(681);
  }, 180_000);

  /**
   * A small reminder period (5 leaders of teams that did not apply; no card to the admin group) whose job holds a
   * recipient the batch cannot draw a card for: each batch fails, nothing of it queued. Returns the job and its audience.
   */
  async function brokenSmallPeriod() {
    const fx = await seedLargeCycle(db(), { applications: 30, experts: 10, organizations: 4, year: 2030 });
    await db().insert(chatBindings).values({ chatId: ADMIN_CHAT, purpose: 'admin', boundBy: ADMIN });
    const missing = await db().select({ id: applications.id }).from(applications).where(eq(applications.cycleId, fx.cycleId)).limit(5);
    for (const m of missing) await db().delete(applications).where(eq(applications.id, m.id));
    await cronTick();
    const [job] = await remindJobs();
    expect(job).toMatchObject({ status: 'queued', total: 5 });
    const params = job.params as { audience: unknown[] };
    await db().update(bulkJobs).set({ params: { ...params, audience: [...params.audience, { t: 'leader', team: null, state: 'none' }] } }).where(eq(bulkJobs.id, job.id));
    return { job, params };
  }

  it('a failed period that posted no card brings its card, with 重试, to the admin group; 重试 sends the rest and updates that card', async () => {
    // a recipient the batch cannot draw a card for: the batch fails, nothing of it is queued
    const { job, params } = await brokenSmallPeriod();
    // a scheduled job's fault is tried again by itself (SYSTEM_JOB_TRIES), each wait here cut short; then it is left failed
    await h.app.bulkJobs.drain();
    for (let tried = 1; tried < SYSTEM_JOB_TRIES; tried++) {
      expect((await remindJobs())[0]).toMatchObject({ status: 'running', claimedBy: null, attempts: tried, done: 0 });
      expect(await outboxLike(`bulk:${job.id}:`)).toHaveLength(0);
      await db().update(bulkJobs).set({ leaseUntil: new Date(Date.now() - 1000) }).where(eq(bulkJobs.id, job.id));
      await h.app.bulkJobs.drain();
    }
    expect((await remindJobs())[0]).toMatchObject({ status: 'failed', done: 0, attempts: SYSTEM_JOB_TRIES });
    expect(await outboxLike('remind:apply-deadline:2030:T-7:')).toHaveLength(0);

    // the administrators are told to press 重试: the card that carries it is in their group
    const posted = (await outboxLike(`bulk:${job.id}:card:`)).filter((r) => r.receiver === ADMIN_CHAT);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0].card)).toContain('bulk.retry');
    expect(cardText(posted[0].card)).toContain('发送提醒未完成');
    await h.app.dispatcher.drain(60_000);
    const [sent] = await db().select().from(outbox).where(eq(outbox.id, posted[0].id));
    expect(sent.messageId).toBeTruthy();

    const [failed] = await remindJobs();
    await db().update(bulkJobs).set({ params: { ...(failed.params as object), audience: params.audience } }).where(eq(bulkJobs.id, job.id));
    const retried = await clickOnly({ action: 'bulk.retry', jobId: job.id });
    expect(retried.toast.content).toContain('从中断处继续');
    await h.app.bulkJobs.drain();
    expect((await remindJobs())[0]).toMatchObject({ status: 'done', done: 5 });
    expect(await outboxLike('remind:apply-deadline:2030:T-7:person-')).toHaveLength(5);
    const [final] = await outboxLike(`bulk:${job.id}:card:final`);
    expect(final).toMatchObject({ kind: 'update', receiver: sent.messageId });
    expect(cardText(final.card)).toContain('已安排 5 人的提醒');
  }, 120_000);

  it('a fault that passes (a failover) is got over by the job itself: the rest sent, no alert, no 重试 asked for', async () => {
    const { job, params } = await brokenSmallPeriod();
    await h.app.bulkJobs.drain();
    const [waiting] = await remindJobs();
    expect(waiting).toMatchObject({ status: 'running', claimedBy: null, attempts: 1 });
    // tried again after 30 s at the first fault
    expect(waiting.leaseUntil!.getTime() - Date.now()).toBeGreaterThan(20_000);
    // the fault is gone by the next try
    await db().update(bulkJobs).set({ params: { ...(waiting.params as object), audience: params.audience }, leaseUntil: new Date(Date.now() - 1000) }).where(eq(bulkJobs.id, job.id));
    await h.app.bulkJobs.drain();
    expect((await remindJobs())[0]).toMatchObject({ status: 'done', done: 5, attempts: 2 });
    expect(await outboxLike('remind:apply-deadline:2030:T-7:person-')).toHaveLength(5);
    expect(await outboxLike(`bulk:${job.id}:alert:`)).toHaveLength(0);
    expect((await outboxLike(`bulk:${job.id}:card:`)).filter((r) => r.receiver === ADMIN_CHAT)).toHaveLength(0);
  }, 120_000);
});
