import { z } from 'zod';
import { resultsPublishedCard, unlinkedCount, unreviewedNoticeCard } from '../../cards/results.js';
import type { Db } from '../../db/index.js';
import { activeBulkJob, type BatchResult, type BulkJobKind, jobCard, startBulkJob } from '../../src/bulkJobs.js';
import {
  boxedCertificates,
  certificatesOfTeams,
  certificateZip,
  certificateZipName,
  type CertificateZipPart,
  certificateZipParts,
  certificatesPerZip,
  issueCertificates,
} from '../../src/certificates/index.js';
import { CertificateRenderer, certificateGlyphs, type GlyphFont } from '../../src/certificates/render.js';
import { cycleStatusLabel, getCycle, lockCycle } from '../../src/cycles.js';
import { formatDateTimeZh } from '../../src/dates.js';
import { UserError } from '../../src/errors.js';
import { fastPublish } from '../../src/fast/cycleSteps.js';
import { type CardActionDecl, type CardActionInput, type CardResponse, type HandlerContext, staleButtonMessage } from '../../src/handlers.js';
import { adminDestinations, destinationKey } from '../../src/notifications.js';
import { enqueueMany, type OutgoingMessage } from '../../src/outbox.js';
import { requireAdmin } from '../../src/permissions.js';
import { LATE_RESULT_DAYS } from '../../src/policy.js';
import { certificateMessages, type ResultAudience, teamResultMessage } from '../../src/review/resultCards.js';
import { latestAggregation, loadResults, PreviewOutdated, publishCounts, publishResults, rankedResultsAfter, unlinkedRecipients, unreviewedApplicantsAfter } from '../../src/review/results.js';
import { resultsWorkbookFile } from '../../src/workbook.js';
import { id, idFrom, idOrZero, values } from '../respond.js';
import { resultsSummary, workbookFileName } from './view.js';

/** Teams per batch: each is up to six messages (result card, certificate image and PDF, to leader and contact). */
export const PUBLISH_BATCH = 100;

/**
 * The job's state: published, how many ranked results and unreviewed applications it tells (its total is both), and
 * once the ranked results are told, `unreviewed`: the cursor then runs over the applications that never reached the review.
 */
type PublishResult = { published?: boolean; ranked?: number; unreviewedTotal?: number; unreviewed?: boolean; outcome?: string };

/** What a batch reads before its transaction: the certificate font's glyphs, and how many certificates a zip holds. */
interface Prepared {
  glyphs?: GlyphFont;
  perZip?: number;
}

/**
 * 公布结果 as a job. The first batch publishes (cycle closed → published, decisions, honours) and numbers
 * the certificates; each next batch tells a hundred teams their result and sends their certificates, then a
 * hundred teams whose application never reached the review (unconfirmed by their organisation, or returned and
 * not submitted again) that they took no part this year; the last gives the admin group(s) the results card,
 * the workbook and the zip of every certificate. The outbox draws the result cards and the certificate files
 * when it sends them: a batch queues small rows.
 */
export const publishJob: BulkJobKind = {
  kind: 'publish',
  // before the transaction, each once: the certificate font, for the characters it would print as boxes, and the
  // template's heaviest certificate drawn and zipped, for how many fit in one zip (a second or more of drawing)
  prepare: async ({ config }): Promise<Prepared> => {
    const renderer = new CertificateRenderer({ templatePath: config.CERTIFICATE_TEMPLATE, font: config.CERTIFICATE_FONT });
    const [glyphs, perZip] = await Promise.all([certificateGlyphs(config.CERTIFICATE_FONT), certificatesPerZip(renderer)]);
    return { glyphs, perZip };
  },
  async runBatch({ tx, job, actor, clock, config, prepared }) {
    const { glyphs, perZip } = (prepared ?? {}) as Prepared;
    const cycleId = job.cycleId!;
    const now = clock.now();
    const state = (job.result ?? {}) as PublishResult;
    if (!state.published) {
      await publishResults(tx, actor, cycleId, now, config.BOT_TIMEZONE);
      await issueCertificates(tx, { actor: actor.openId, cycleId, now });
      const { ranked, unreviewed } = await publishCounts(tx, cycleId);
      return { done: 0, total: ranked + unreviewed, cursor: 0, finished: false, result: { published: true, ranked, unreviewedTotal: unreviewed } };
    }
    // a job started before the unreviewed were counted tells them too: its total grows to what it has told
    const total = (done: number) => Math.max((state.ranked ?? 0) + (state.unreviewedTotal ?? 0), done);
    if (state.unreviewed) return tellUnreviewed(tx, config.ADMIN_OPEN_IDS, cycleId, { glyphs, perZip }, state, job.done, job.cursor, total);
    const rows = await rankedResultsAfter(tx, cycleId, job.cursor, PUBLISH_BATCH);
    if (rows.length) {
      const cycle = (await getCycle(tx, cycleId))!;
      const byTeam = await certificatesOfTeams(tx, cycleId, rows.map((r) => r.teamId));
      const messages: OutgoingMessage[] = [];
      for (const r of rows) {
        // the result card is drawn when it is sent, from the published result (src/review/resultCards.ts)
        const people: [ResultAudience, string][] = [['leader', r.leaderOpenId]];
        if (r.contactOpenId !== r.leaderOpenId) people.push(['contact', r.contactOpenId]);
        const cards = people.map(([audience, openId]) => teamResultMessage(r, cycle.year, audience, openId));
        messages.push(...cards);
        const c = byTeam.get(r.teamId);
        if (!c) continue;
        // each person's certificate after their own result card, which names it
        people.forEach(([, openId], i) => messages.push(...certificateMessages(c, openId, cards[i].dedupeKey)));
      }
      // the keys are the team's and the certificate's: a batch replayed after a crash queues nothing twice
      await enqueueMany(tx, messages);
      const done = job.done + rows.length;
      if (rows.length === PUBLISH_BATCH) return { done, total: total(done), cursor: rows[rows.length - 1].applicationId, finished: false, result: state };
      // the last ranked results: the first unreviewed applications in the same batch (two small cards a team at most)
      return tellUnreviewed(tx, config.ADMIN_OPEN_IDS, cycleId, { glyphs, perZip }, state, done, 0, total);
    }
    return tellUnreviewed(tx, config.ADMIN_OPEN_IDS, cycleId, { glyphs, perZip }, state, job.done, 0, total);
  },
};

/**
 * A batch of the applications that never reached the review, after `cursor`: each leader and contact told once that
 * the results are out and the team took no part (keyed as the result cards are: a replayed batch queues nothing twice).
 * The last batch tells the administrators.
 */
async function tellUnreviewed(
  tx: Db,
  bootstrapAdmins: readonly string[],
  cycleId: number,
  prepared: Prepared,
  state: PublishResult,
  done: number,
  cursor: number,
  total: (done: number) => number,
): Promise<BatchResult> {
  const result: PublishResult = { ...state, unreviewed: true };
  const rows = await unreviewedApplicantsAfter(tx, cycleId, cursor, PUBLISH_BATCH);
  if (rows.length) {
    const { year } = (await getCycle(tx, cycleId))!;
    const messages: OutgoingMessage[] = [];
    for (const r of rows) {
      for (const [audience, openId] of [['leader', r.leaderOpenId], ['contact', r.contactOpenId]] as const) {
        if (audience === 'contact' && openId === r.leaderOpenId) continue;
        const card = unreviewedNoticeCard({ year, code: r.code, team: r.team, reason: r.reason, audience });
        messages.push({ dedupeKey: `results:published:${year}:team-${r.teamId}:${audience}`, to: { openId }, card, priority: 'bulk' });
      }
    }
    await enqueueMany(tx, messages);
    done += rows.length;
    cursor = rows[rows.length - 1].applicationId;
    if (rows.length === PUBLISH_BATCH) return { done, total: total(done), cursor, finished: false, result };
  }
  const { unlinked } = await tellAdmins(tx, bootstrapAdmins, cycleId, prepared);
  // the job's card names none (the results card does), but does not let 已通知 N / N pass for every leader and contact
  const outcome = unlinked ? `${unlinkedCount(unlinked)}，名单见“评审结果已公布”卡片。` : undefined;
  return { done, total: total(done), cursor, finished: true, result: { ...result, ...(outcome ? { outcome } : {}) } };
}

/**
 * The admin group(s): the results card, the workbook, and the zip of every certificate of the year; the card names
 * the certificates that print a character of a name as an empty box, to be written in by hand. A year too large for one
 * file (Feishu takes 30 MB) gets numbered zips, each its own message, with a notice naming the certificates each holds.
 */
async function tellAdmins(tx: Db, bootstrapAdmins: readonly string[], cycleId: number, { glyphs, perZip }: Prepared): Promise<{ unlinked: number }> {
  const data = await loadResults(tx, cycleId);
  const year = data.cycle.year;
  const summary = resultsSummary(data);
  const fileName = workbookFileName(year);
  // made when the outbox sends it, as of the moment of publishing (the cycle row's): writing a year of thousands of
  // applications takes seconds, which this batch's transaction would hold (on PGlite, every callback with it)
  const workbook = resultsWorkbookFile(cycleId, new Date(data.cycle.updatedAt));
  const zips = await certificateZipParts(tx, cycleId, perZip);
  const boxed = zips.length ? await boxedCertificates(tx, cycleId, glyphs) : [];
  // the leaders and contacts not yet linked to Feishu: the outbox queued nothing to them; linking soon after sends it then
  const unlinked = await unlinkedRecipients(tx, cycleId);
  const published = resultsPublishedCard({ ...summary, fileName, boxed, unlinked: { people: unlinked, lateResultDays: LATE_RESULT_DAYS } });
  const messages: OutgoingMessage[] = [];
  for (const to of await adminDestinations(tx, bootstrapAdmins)) {
    const dest = destinationKey(to);
    messages.push({ dedupeKey: `results:published:${year}:card:${dest}`, to, card: published });
    messages.push({ dedupeKey: `results:published:${year}:workbook:${dest}`, to, file: { fileName, fileType: 'xls', render: workbook } });
    if (zips.length === 1) messages.push({ dedupeKey: `results:published:${year}:certificates:${dest}`, to, file: { fileName: certificateZipName(year), fileType: 'stream', render: certificateZip(cycleId) } });
    if (zips.length > 1) {
      messages.push({ dedupeKey: `results:published:${year}:certificates-notice:${dest}`, to, text: certificateZipsNotice(year, zips) });
      for (const zip of zips) {
        // the job's last batch queues every part in one transaction: a replayed batch keys them the same
        const file = { fileName: certificateZipName(year, zip), fileType: 'stream' as const, render: certificateZip(cycleId, zip) };
        messages.push({ dedupeKey: `results:published:${year}:certificates:${zip.part}of${zip.parts}:${dest}`, to, file });
      }
    }
  }
  await enqueueMany(tx, messages);
  return { unlinked: unlinked.length };
}

/** What the numbered zips hold, sent beside them: “（1／2）GDSZ-ZS-2027-0001 至 GDSZ-ZS-2027-0150，150 份”. */
function certificateZipsNotice(year: number, zips: CertificateZipPart[]): string {
  const count = zips.reduce((n, z) => n + z.count, 0);
  const lines = zips.map((z) => `（${z.part}／${z.parts}）${z.first} 至 ${z.last}，${z.count} 份`);
  return [`${year}年度荣誉证书共 ${count} 份（每份含 PNG 图片和 PDF），飞书单个文件不超过 30 MB，分 ${zips.length} 个压缩包发送：`, ...lines].join('\n');
}

/** An audit row's id as a button carries it: a number or its digits (bigserial: it may pass int4, which `id` stops at). */
function auditIdOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** 公布结果's value: the cycle and, on a preview drawn since the button names it, the aggregation shown. */
export const publishValue = values({
  cycleId: id,
  aggregationId: z
    .unknown()
    .transform((v, c) => {
      const n = auditIdOf(v);
      if (n === undefined) {
        c.addIssue({ code: 'custom', message: staleButtonMessage });
        return z.NEVER;
      }
      return n;
    })
    .optional(),
});

/** The aggregation a 公布结果 button names (its preview's), or undefined on a card sent before buttons named it. */
function shownAggregation(value: Record<string, unknown>): number | undefined {
  if (value.aggregationId === undefined) return undefined;
  const n = auditIdOf(value.aggregationId);
  if (n === undefined) throw new UserError(staleButtonMessage);
  return n;
}

/**
 * `results.publish` (公布结果, after the confirm dialog): checks the cycle may be published and records the
 * job; the answer is its progress card. A second click while it runs shows the progress. A button that names the
 * aggregation its preview showed publishes only that one: the cycle aggregated again since (a sheet reopened and
 * changed) is refused, and the answer is the new preview.
 */
export async function startPublishing(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  requireAdmin(ctx.actor);
  const cycleId = idFrom(input.value, 'cycleId');
  const shown = shownAggregation(input.value);
  // issued together (one round trip): the job running is read first; the count and the latest aggregation run once the
  // cycle's lock is granted (a 重开评分 or a 汇总 takes it first); a running job or a refusal leaves the rest unused
  const [running, cycle, counts, latest] = await Promise.all([
    activeBulkJob(ctx.tx, 'publish', cycleId),
    lockCycle(ctx.tx, cycleId),
    publishCounts(ctx.tx, cycleId),
    shown === undefined ? undefined : latestAggregation(ctx.tx, cycleId),
  ]);
  if (running) return stillPublishing(running);
  if (cycle.status === 'published') throw new UserError(`${cycle.year}年度评审结果已于此前公布，无需重复公布。`, { kind: 'info' });
  if (cycle.status !== 'closed') {
    if (cycle.status === 'scoring' && (await activeBulkJob(ctx.tx, 'aggregate', cycleId))) {
      throw new UserError(`${cycle.year}年度评审正在汇总评分：完成后请先点“评审结果”核对，再公布。`, { kind: 'info' });
    }
    throw new UserError(`${cycle.year}年度评审${cycleStatusLabel(cycle.status)}：请先“结束评分并汇总”，预览结果后再公布。`, { kind: 'info' });
  }
  if (shown !== undefined && latest?.id !== shown) throw new PreviewOutdated(cycle.year, latest && formatDateTimeZh(latest.at, ctx.config.BOT_TIMEZONE));
  // the teams it tells: the ranked results and the applications that never reached the review
  const total = counts.ranked + counts.unreviewed;
  const { job, created } = await startBulkJob(ctx.tx, { kind: 'publish', cycleId, year: cycle.year, createdBy: ctx.actor.openId, messageId: input.messageId, total, now: ctx.clock.now() });
  // a click at the same time recorded it first (its job read after this one's look for a running job)
  return created ? publishing(cycle.year, job) : stillPublishing(job);
}

/** The answer while the year's publishing job is queued or running: its progress card. */
const stillPublishing = (job: Parameters<typeof jobCard>[0]): CardResponse => ({ toast: { type: 'info', content: '结果正在公布，卡片显示当前进度' }, card: { type: 'raw', data: jobCard(job) } });

/** The answer when the job was recorded: its progress card. */
function publishing(year: number, job: Parameters<typeof jobCard>[0]): CardResponse {
  return { toast: { type: 'success', content: `${year}年度评审结果正在公布，完成后卡片会更新` }, card: { type: 'raw', data: jobCard(job) } };
}

/**
 * The same in one round trip on PostgreSQL (src/fast/cycleSteps.ts), when the job is recorded; anything else (a
 * refusal, a job running, a second click) answers undefined having written nothing, and `startPublishing` runs.
 */
export const startPublishingFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const cycleId = idOrZero(input.value, 'cycleId');
  if (!cycleId) return undefined;
  // a button naming its aggregation by what is no id is refused by the ordinary path
  const shown = input.value.aggregationId === undefined ? null : auditIdOf(input.value.aggregationId);
  if (shown === undefined) return undefined;
  const done = await fastPublish(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    cycleId,
    messageId: input.messageId,
    now: fx.clock.now(),
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
    aggregationId: shown,
  });
  if (!done) return undefined;
  return { outcome: 'ok', answer: publishing((done.job.params as { year: number }).year, done.job), queued: 0 };
};
