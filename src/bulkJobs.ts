import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNotNull, isNull, like, lt, not, or, sql } from 'drizzle-orm';
import { bulkJobCard, type BulkJobKindName, bulkJobTitles, type BulkJobView } from '../cards/bulk.js';
import type { Db } from '../db/index.js';
import { bulkJobs, cycles, outbox } from '../db/schema.js';
import { audit } from './audit.js';
import { type Clock, dbClockIn } from './clock.js';
import type { Config } from './config.js';
import { UserError } from './errors.js';
import type { FeishuReader } from './lark/reader.js';
import type { Logger } from './log.js';
import { adminDestinations, destinationKey } from './notifications.js';
import { type Destination, enqueue } from './outbox.js';
import { type Actor, loadActor } from './people.js';
import { OutageLog } from './reachability.js';
import { checkAssignable } from './review/assignment.js';

/**
 * Administrators' bulk work off the callback: the callback records a job in its own transaction and
 * answers with a progress card; a worker (any replica) claims the job under a lease and works through it
 * in batches, each batch one transaction that moves the job's cursor with the rows it writes, so a crash
 * loses at most the batch in flight and a resumed job never writes a batch twice.
 */

export type BulkJob = typeof bulkJobs.$inferSelect;
export type { BulkJobKindName } from '../cards/bulk.js';

export interface BatchContext {
  tx: Db;
  job: BulkJob;
  /** Who started the job, as of now: the batch acts in their name. */
  actor: Actor;
  clock: Clock;
  config: Config;
  /** Reads from Feishu (a sent file, people by mobile or e-mail); absent where no client is wired. */
  feishu?: FeishuReader;
  /** What the kind's `prepare` fetched for this batch, before its transaction. */
  prepared?: unknown;
}

export interface BatchResult {
  done: number;
  total: number;
  cursor: number;
  finished: boolean;
  result?: Record<string, unknown>;
}

export interface BulkJobKind {
  kind: BulkJobKindName;
  /** One batch, in the caller's transaction: state, audit and outbox rows together. */
  runBatch(ctx: BatchContext): Promise<BatchResult>;
  /**
   * Network work the batch needs (a download, address-book look-ups), done before its transaction opens: a transaction
   * held open across it would hold a connection, and on PGlite, which has one, every other callback. What it returns
   * reaches `runBatch` as `prepared`; a throw fails the batch as one thrown in it does.
   */
  prepare?(ctx: Omit<BatchContext, 'tx' | 'actor' | 'prepared'>): Promise<unknown>;
}

/** Progress is written into the administrator's card at most this often (plus the final state). */
export const PROGRESS_EVERY_MS = 2000;

const activeStatuses = ['queued', 'running'];

/** The job of this kind still running for the cycle, if any. */
export async function activeBulkJob(tx: Db, kind: BulkJobKindName, cycleId: number): Promise<BulkJob | undefined> {
  const [job] = await tx
    .select()
    .from(bulkJobs)
    .where(and(eq(bulkJobs.kind, kind), eq(bulkJobs.cycleId, cycleId), inArray(bulkJobs.status, activeStatuses)));
  return job;
}

export async function getBulkJob(tx: Db, id: number): Promise<BulkJob | undefined> {
  const [job] = await tx.select().from(bulkJobs).where(eq(bulkJobs.id, id));
  return job;
}

/**
 * Records a job in the caller's transaction; when one of the same kind already runs for the cycle, that one
 * is returned (a second click shows its progress, it starts nothing). A job for no cycle (an import, a
 * reminder period) is kept single by its caller: the import row's lock, the (job, period) claim.
 */
export async function startBulkJob(
  tx: Db,
  opts: {
    kind: BulkJobKindName;
    cycleId: number | null;
    year?: number;
    createdBy: string;
    messageId?: string;
    total: number;
    lead?: string;
    /** what the kind's batches read besides the cursor (an import's id, a reminder period's audience) */
    params?: Record<string, unknown>;
    now: Date;
  },
): Promise<{ job: BulkJob; created: boolean }> {
  const [job] = await tx
    .insert(bulkJobs)
    .values({
      kind: opts.kind,
      cycleId: opts.cycleId,
      params: { ...(opts.year ? { year: opts.year } : {}), ...(opts.lead ? { lead: opts.lead } : {}), ...opts.params },
      total: opts.total,
      createdBy: opts.createdBy,
      messageId: opts.messageId ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (job) {
    await audit(tx, { actor: opts.createdBy, action: `bulk.${opts.kind}.start`, entity: 'bulk_job', entityId: job.id, details: { cycleId: opts.cycleId, total: opts.total }, at: opts.now });
    return { job, created: true };
  }
  const running = opts.cycleId === null ? undefined : await activeBulkJob(tx, opts.kind, opts.cycleId);
  if (!running) throw new Error(`bulk job ${opts.kind} for cycle ${opts.cycleId} neither recorded nor found`);
  return { job: running, created: false };
}

/** 重试 on a failed job's card: it goes back to the queue and resumes at its cursor, in the name of who pressed it. */
export async function retryBulkJob(tx: Db, actor: Actor, id: number, now: Date, messageId?: string): Promise<BulkJob> {
  const [job] = await tx.select().from(bulkJobs).where(eq(bulkJobs.id, id)).for('update');
  if (!job) throw new UserError('找不到这项后台任务，请发送“管理”查看当前状态。');
  if (job.status !== 'failed') return job;
  const other = job.cycleId === null ? undefined : await activeBulkJob(tx, job.kind as BulkJobKindName, job.cycleId);
  if (other) return other;
  // a 分配专家 whose year has moved past scoring would fail again at once: refused here, as 分配专家 itself is
  if (job.kind === 'assign' && job.cycleId !== null) {
    const [cycle] = await tx.select().from(cycles).where(eq(cycles.id, job.cycleId));
    if (cycle) await checkAssignable(tx, cycle);
  }
  const [queued] = await tx
    .update(bulkJobs)
    // 重试 carries the job on in the name of the administrator who pressed it: the one who started it may be one
    // no longer, and an import's batches are written as, and checked against, whoever the job names
    .set({
      status: 'queued',
      error: null,
      claimedBy: null,
      leaseUntil: null,
      finishedAt: null,
      ...(job.createdBy.startsWith('system:') ? {} : { createdBy: actor.openId }),
      // a quiet job (an import's preview) has no card of its own but the failed one 重试 was pressed on: that card
      // follows it from here to its end
      ...(quietJob(job) && !job.messageId && messageId ? { messageId } : {}),
    })
    .where(eq(bulkJobs.id, id))
    .returning();
  await audit(tx, { actor: actor.openId, action: `bulk.${job.kind}.retry`, entity: 'bulk_job', entityId: id, details: { done: job.done, error: job.error }, at: now });
  return queued;
}

/** A job whose answer is a message of its own (an import's preview): no progress card but for 重试. */
const quietJob = (job: BulkJob) => (job.params as { quiet?: boolean } | null)?.quiet === true;

/** What the progress card shows of a job. */
export function jobView(job: BulkJob): BulkJobView {
  const params = (job.params ?? {}) as { year?: number; lead?: string; heading?: string };
  const result = (job.result ?? {}) as Pick<BulkJobView, 'unfilled' | 'unfilledTotal' | 'outcome' | 'refused' | 'refusedTotal'>;
  const ended = job.finishedAt && (job.status === 'done' || job.status === 'failed');
  return {
    jobId: job.id,
    kind: job.kind as BulkJobKindName,
    cycleId: job.cycleId ?? 0,
    year: params.year ?? 0,
    status: job.status as BulkJobView['status'],
    done: job.done,
    total: job.total,
    ...(ended ? { seconds: Math.max(0, Math.round((job.finishedAt!.getTime() - job.createdAt.getTime()) / 1000)) } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(params.lead ? { lead: params.lead } : {}),
    ...(result.unfilled ? { unfilled: result.unfilled } : {}),
    ...(result.unfilledTotal ? { unfilledTotal: result.unfilledTotal } : {}),
    ...(params.heading ? { heading: params.heading } : {}),
    ...(result.outcome ? { outcome: result.outcome } : {}),
    ...(result.refused?.length ? { refused: result.refused } : {}),
    ...(result.refusedTotal ? { refusedTotal: result.refusedTotal } : {}),
  };
}

export function jobCard(job: BulkJob) {
  return bulkJobCard(jobView(job));
}

/** Where a job without a card of its own posts its progress card (a reminder period's admin groups). */
export const announcedKey = (jobId: number, to: Destination) => `bulk:${jobId}:card:start:${destinationKey(to)}`;

/** Posts the job's first progress card to each destination the job announces itself to (params.announce). */
export async function announceJob(tx: Db, job: BulkJob): Promise<void> {
  for (const to of announcedTo(job)) await enqueue(tx, { dedupeKey: announcedKey(job.id, to), to, card: jobCard(job), priority: 'interactive' });
}

const announcedTo = (job: BulkJob) => ((job.params ?? {}) as { announce?: Destination[] }).announce ?? [];

/**
 * Writes the job's state into the administrator's card through the outbox. An earlier update still
 * waiting would land after this one and show older numbers, so it is dropped.
 */
async function queueJobCard(tx: Db, job: BulkJob, step: string): Promise<void> {
  await tx.delete(outbox).where(and(like(outbox.dedupeKey, `bulk:${job.id}:card:%`), eq(outbox.status, 'pending'), sql`${outbox.dedupeKey} not like ${`bulk:${job.id}:card:start:%`}`));
  const final = step === 'final' || step.startsWith('failed');
  // a job whose answer is its own message (an import's preview) shows a card only when it fails, for 重试, and from a
  // 重试 on, in that card
  if (quietJob(job) && !step.startsWith('failed') && !job.messageId) return;
  const cardJson = jobCard(job);
  // a sent card is updated in place by its message id (https://open.feishu.cn/document/server-docs/im-v1/message-card/patch)
  if (job.messageId) {
    await enqueue(tx, { dedupeKey: `bulk:${job.id}:card:${step}`, to: { updateMessage: job.messageId }, card: cardJson, priority: 'interactive' });
    return;
  }
  const announce = announcedTo(job);
  if (announce.length) {
    for (const to of announce) {
      const key = announcedKey(job.id, to);
      // not sent yet: the waiting card is given the new numbers; sent: it is updated by its message id
      const [waiting] = await tx.update(outbox).set({ card: cardJson }).where(and(eq(outbox.dedupeKey, key), eq(outbox.status, 'pending'))).returning({ id: outbox.id });
      if (waiting) continue;
      const [posted] = await tx.select({ messageId: outbox.messageId }).from(outbox).where(eq(outbox.dedupeKey, key));
      if (posted?.messageId) await enqueue(tx, { dedupeKey: `bulk:${job.id}:card:${step}:${destinationKey(to)}`, to: { updateMessage: posted.messageId }, card: cardJson, priority: 'interactive' });
      else if (final) await enqueue(tx, { dedupeKey: `bulk:${job.id}:card:${step}:${destinationKey(to)}`, to, card: cardJson, priority: 'interactive' });
    }
    return;
  }
  // a job started by a schedule with no audience worth a card stays quiet
  if (final && !job.createdBy.startsWith('system:')) {
    await enqueue(tx, { dedupeKey: `bulk:${job.id}:card:${step}`, to: { openId: job.createdBy }, card: cardJson, priority: 'interactive' });
  }
}

export type BatchOutcome = 'more' | 'finished' | 'lost' | 'failed';

export interface BulkJobWorkerDeps {
  db: Db;
  kinds: readonly BulkJobKind[];
  clock: Clock;
  config: Config;
  log: Logger;
  feishu?: FeishuReader;
  /** Called after each committed batch: the outbox has new rows. */
  onBatch?: () => void;
  leaseMs?: number;
  pollMs?: number;
  /** Who this worker is in claimed_by; unique per process. */
  id?: string;
  /** A finished job of at least this many items refreshes the planner's statistics (ANALYZE); default 500. */
  analyzeFrom?: number;
  /** The first wait before a scheduled job that failed is tried again (`SYSTEM_JOB_TRIES`), doubled each time; default 30 s. */
  systemRetryMs?: number;
}

/**
 * How many times a scheduled job (created by `system:…`, a reminder period) is tried before it is left failed with an
 * alert asking for 重试: a fault that is no refusal (a connection cut by a failover, a statement timeout) is often gone
 * a minute later, and a reminder period's claim is spent, so nothing else would send the rest before its date.
 */
export const SYSTEM_JOB_TRIES = 3;

/**
 * Claims jobs (FOR UPDATE SKIP LOCKED, a lease renewed by every batch) and works them batch by batch.
 * A worker that dies leaves its lease to expire; the next claim resumes the job at its cursor.
 */
export class BulkJobWorker {
  readonly id: string;
  private readonly kinds: Map<string, BulkJobKind>;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly deps: BulkJobWorkerDeps) {
    this.id = deps.id ?? `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.kinds = new Map(deps.kinds.map((k) => [k.kind, k]));
    this.outage = new OutageLog(deps.log, 'bulk job worker');
    this.leaseMs = deps.leaseMs ?? 60_000;
    this.pollMs = deps.pollMs ?? 1000;
  }

  /** Takes the oldest queued job of a kind it knows, or a running one whose worker's lease has run out. */
  async claim(): Promise<BulkJob | undefined> {
    return this.deps.db.transaction(async (tx) => {
      const [free] = await tx
        .select({ id: bulkJobs.id })
        .from(bulkJobs)
        .where(and(inArray(bulkJobs.kind, [...this.kinds.keys()]), or(eq(bulkJobs.status, 'queued'), and(eq(bulkJobs.status, 'running'), lt(bulkJobs.leaseUntil, dbClockIn(0))))))
        .orderBy(asc(bulkJobs.id))
        .limit(1)
        .for('update', { skipLocked: true });
      if (!free) return undefined;
      const [job] = await tx
        .update(bulkJobs)
        .set({ status: 'running', claimedBy: this.id, leaseUntil: dbClockIn(this.leaseMs), startedAt: sql`coalesce(${bulkJobs.startedAt}, now())`, attempts: sql`${bulkJobs.attempts} + 1` })
        .where(eq(bulkJobs.id, free.id))
        .returning();
      return job;
    });
  }

  /** One batch of a job this worker holds; 'lost' when another worker has taken it over. */
  async runBatch(jobId: number): Promise<BatchOutcome> {
    const { db, clock, config } = this.deps;
    try {
      let prepared: unknown;
      const [held] = await db.select().from(bulkJobs).where(and(eq(bulkJobs.id, jobId), eq(bulkJobs.status, 'running'), eq(bulkJobs.claimedBy, this.id)));
      const preparing = held && this.kinds.get(held.kind)?.prepare;
      if (held && preparing) prepared = await preparing({ job: held, clock, config, feishu: this.deps.feishu });
      return await db.transaction(async (tx) => {
        const [job] = await tx
          .select()
          .from(bulkJobs)
          .where(and(eq(bulkJobs.id, jobId), eq(bulkJobs.status, 'running'), eq(bulkJobs.claimedBy, this.id)))
          .for('update');
        if (!job) return 'lost' as const;
        const kind = this.kinds.get(job.kind);
        if (!kind) throw new Error(`no worker for bulk job kind ${job.kind}`);
        const actor = await loadActor(tx, job.createdBy, config.ADMIN_OPEN_IDS);
        const out = await kind.runBatch({ tx, job, actor, clock, config, feishu: this.deps.feishu, prepared });
        const now = new Date();
        const showProgress = out.finished || !job.progressAt || now.getTime() - job.progressAt.getTime() >= PROGRESS_EVERY_MS;
        const [next] = await tx
          .update(bulkJobs)
          .set({
            done: out.done,
            total: out.total,
            cursor: out.cursor,
            result: out.result ?? job.result,
            leaseUntil: dbClockIn(this.leaseMs),
            ...(showProgress ? { progressAt: now } : {}),
            ...(out.finished ? { status: 'done', finishedAt: now, claimedBy: null } : {}),
          })
          .where(eq(bulkJobs.id, jobId))
          .returning();
        if (showProgress) await queueJobCard(tx, next, out.finished ? 'final' : `progress:${next.done}`);
        if (out.finished) {
          await audit(tx, { actor: job.createdBy, action: `bulk.${job.kind}.done`, entity: 'bulk_job', entityId: job.id, details: { done: next.done, total: next.total }, at: clock.now() });
        }
        return out.finished ? ('finished' as const) : ('more' as const);
      });
    } catch (err) {
      await this.fail(jobId, err);
      return 'failed';
    } finally {
      this.deps.onBatch?.();
    }
  }

  /**
   * A scheduled job's fault (not a refusal) with tries left: the job keeps its place (its cursor; the failed batch
   * rolled back whole) and is left to the claim again after a wait, as a dead worker's lease is. False otherwise.
   */
  private async tryAgainLater(jobId: number, err: unknown): Promise<boolean> {
    if (err instanceof UserError) return false;
    const { db, log } = this.deps;
    const held = and(eq(bulkJobs.id, jobId), eq(bulkJobs.status, 'running'), eq(bulkJobs.claimedBy, this.id));
    const [job] = await db.select({ createdBy: bulkJobs.createdBy, attempts: bulkJobs.attempts }).from(bulkJobs).where(held);
    if (!job?.createdBy.startsWith('system:') || job.attempts >= SYSTEM_JOB_TRIES) return false;
    const waitMs = (this.deps.systemRetryMs ?? 30_000) * 2 ** (job.attempts - 1);
    const [left] = await db.update(bulkJobs).set({ claimedBy: null, leaseUntil: dbClockIn(waitMs) }).where(held).returning({ id: bulkJobs.id });
    if (left) log.warn({ err, jobId, attempt: job.attempts, retryInMs: waitMs }, 'scheduled bulk job failed; it is tried again by itself');
    return Boolean(left);
  }

  /** The job stops where it is, its card says why, the administrators are alerted; 重试 resumes it. */
  private async fail(jobId: number, err: unknown): Promise<void> {
    const { db, config, log } = this.deps;
    if (await this.tryAgainLater(jobId, err)) return;
    const message = err instanceof UserError ? err.message : '处理时出现意外错误（详情已记入日志），请点“重试”；若仍失败，请联系技术支持。';
    if (!(err instanceof UserError)) log.error({ err, jobId }, 'bulk job failed');
    else log.warn({ jobId, reason: err.message }, 'bulk job refused');
    await db.transaction(async (tx) => {
      const [job] = await tx
        .update(bulkJobs)
        .set({ status: 'failed', error: message, claimedBy: null, leaseUntil: null, finishedAt: new Date() })
        .where(and(eq(bulkJobs.id, jobId), eq(bulkJobs.status, 'running'), eq(bulkJobs.claimedBy, this.id)))
        .returning();
      if (!job) return;
      await audit(tx, { actor: 'system:bulk', action: `bulk.${job.kind}.failed`, entity: 'bulk_job', entityId: job.id, details: { done: job.done, total: job.total, error: message }, at: this.deps.clock.now() });
      if (!job.messageId && !announcedTo(job).length && job.createdBy.startsWith('system:')) {
        // a scheduled job that posted no card (a small reminder period): the alert below says 重试, so its card,
        // which carries the button, goes to the administrators now and is kept up to date from here on
        const [announced] = await tx
          .update(bulkJobs)
          .set({ params: { ...(job.params as Record<string, unknown>), announce: await adminDestinations(tx, config.ADMIN_OPEN_IDS) } })
          .where(eq(bulkJobs.id, job.id))
          .returning();
        await announceJob(tx, announced);
      } else await queueJobCard(tx, job, `failed:${job.attempts}`);
      const view = jobView(job);
      const text = `${view.heading ? `${view.heading} · ` : `${view.year}年度`}${bulkJobTitles[job.kind as BulkJobKindName]}未完成（已完成 ${job.done} / ${job.total}）：${message}`;
      for (const to of await adminDestinations(tx, config.ADMIN_OPEN_IDS)) {
        await enqueue(tx, { dedupeKey: `bulk:${job.id}:alert:${job.attempts}:${destinationKey(to)}`, to, text });
      }
    });
  }

  /** Claims one job and works it to its end (or until it is lost or fails); false when none was free. */
  async runOnce(): Promise<boolean> {
    const job = await this.claim();
    if (!job) return false;
    for (;;) {
      const outcome = await this.runBatch(job.id);
      if (outcome === 'finished') await this.analyzeAfter(job.id);
      if (outcome !== 'more') return true;
      if (this.stopping) {
        await this.release(job.id);
        return true;
      }
      // a turn of the event loop between batches: on PGlite, in this process, queries resolve without one, and a job
      // of many batches held every callback and timer until its end (确认导入 of 5 000 rows: 6 s; Feishu waits 3 s)
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * After a large job (an import, 分配专家 or 公布结果 over thousands of rows) the tables it filled have no statistics
   * yet: PostgreSQL's autovacuum gathers them within a minute or so, PGlite never does, and a join planned on empty
   * statistics can take seconds (结束评分并汇总 on an unanalysed cycle of 10 000 applications: 17 s). ANALYZE samples
   * the tables jobs fill, outside any transaction; a failure is logged, the job stays done.
   */
  private async analyzeAfter(jobId: number): Promise<void> {
    const { db, log } = this.deps;
    try {
      const [job] = await db.select({ total: bulkJobs.total }).from(bulkJobs).where(eq(bulkJobs.id, jobId));
      if (!job || job.total < (this.deps.analyzeFrom ?? 500)) return;
      // the tables jobs fill and the review's joins read; not the outbox, the audit log or the events, large and only appended to
      await db.execute(sql`analyze assignments, applications, teams, team_members, people, organizations, honours, certificates, conflicts`);
    } catch (err) {
      log.warn({ err, jobId }, 'analyze after a bulk job failed');
    }
  }

  /**
   * At start where this process is the database's only one (PGlite: its DATA_DIR lock): the jobs a killed run held go
   * back to the queue at their cursor, as release() does on stop, rather than waiting out its lease, with one line each
   * saying where it resumes. A job waiting to be tried again (no worker, a lease in the future) keeps its wait.
   * Never on PostgreSQL, where another replica may hold the lease.
   */
  async releaseAbandoned(): Promise<number> {
    const jobs = await this.deps.db
      .update(bulkJobs)
      .set({ status: 'queued', claimedBy: null, leaseUntil: null })
      .where(and(inArray(bulkJobs.kind, [...this.kinds.keys()]), eq(bulkJobs.status, 'running'), isNotNull(bulkJobs.claimedBy)))
      .returning({ id: bulkJobs.id, kind: bulkJobs.kind, done: bulkJobs.done, total: bulkJobs.total });
    for (const job of jobs.sort((a, b) => a.id - b.id)) {
      const title = bulkJobTitles[job.kind as BulkJobKindName] ?? job.kind;
      this.deps.log.info({ jobId: job.id, kind: job.kind, done: job.done, total: job.total }, `bulk job ${job.id} (${title}) left running by the last run given back: resumes at ${job.done} / ${job.total}`);
    }
    return jobs.length;
  }

  /** On stop: the job goes back to the queue at its cursor, for the next worker to take at once. */
  private async release(jobId: number): Promise<void> {
    await this.deps.db
      .update(bulkJobs)
      .set({ status: 'queued', claimedBy: null, leaseUntil: null })
      .where(and(eq(bulkJobs.id, jobId), eq(bulkJobs.status, 'running'), eq(bulkJobs.claimedBy, this.id)));
  }

  /** Works every free job and waits for those another worker holds; for tests, scripts and the demo. */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`bulk jobs not finished within ${timeoutMs} ms`);
      // a scheduled job waiting to be tried again (tryAgainLater) has nothing to do before its time: not waited for;
      // asked first, so a drain with no job is one statement, not a claim's transaction and this
      const [active] = await this.deps.db
        .select({ id: bulkJobs.id })
        .from(bulkJobs)
        .where(
          and(
            inArray(bulkJobs.kind, [...this.kinds.keys()]),
            inArray(bulkJobs.status, activeStatuses),
            not(and(eq(bulkJobs.status, 'running'), isNull(bulkJobs.claimedBy), gt(bulkJobs.leaseUntil, dbClockIn(0)))!),
          ),
        )
        .limit(1);
      if (!active) return;
      if (await this.runOnce()) continue;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private stopping = false;
  /** A database outage said once when it begins and once when it ends, not at every poll. */
  private readonly outage: OutageLog;

  nudge(): void {
    this.wake?.();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.loop = (async () => {
      while (this.running) {
        let worked = false;
        try {
          worked = await this.runOnce();
          this.outage.reached();
        } catch (err) {
          if (!this.outage.failed(err)) this.deps.log.error({ err }, 'bulk job worker failed');
        }
        if (!this.running) break;
        if (worked) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    })();
  }

  /** Stops after the batch in flight; the job's lease lets another replica (or the next start) resume it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    this.wake?.();
    await this.loop;
  }
}
