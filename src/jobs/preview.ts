import { asc, inArray, like, or } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { outbox } from '../../db/schema.js';
import { type BulkJobKind, getBulkJob } from '../bulkJobs.js';
import { cardRenderers } from '../cardRenderers.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { errorText } from '../log.js';
import { cardSpecOf, type CardSpec, type OutboxRow, type RenderedCard } from '../outbox.js';
import { loadActor } from '../people.js';
import { cutText } from '../../cards/kit.js';
import type { JobOptions, RunOutcome } from './claimRun.js';
import { type JobName, runJob } from './index.js';
import { remindJob } from './reminders.js';

/** One message a previewed run would queue: where it goes and what it says (a card's title, a text's start, or why it would be dropped). */
export interface PreviewMessage {
  dedupeKey: string;
  receiver: string;
  summary: string;
}

export interface JobPreview {
  outcomes: RunOutcome[];
  messages: PreviewMessage[];
}

class PreviewOver extends Error {}

const bulkKinds: readonly BulkJobKind[] = [remindJob];

/**
 * What `npm run job -- <name> --at <another day>` would do on that day, from the data as it is now, with nothing kept:
 * the run (its claims), a reminder period's batches and the cards drawn as on that day all happen in one transaction
 * that is rolled back, so the day's period is still unclaimed when its real run comes and no one is sent anything.
 */
export async function previewJob(name: JobName, db: Db, opts: JobOptions, config: Pick<Config, 'ADMIN_OPEN_IDS'>): Promise<JobPreview> {
  let preview: JobPreview | undefined;
  try {
    await db.transaction(async (tx) => {
      const outcomes = await runJob(name, tx, opts);
      const jobIds = outcomes.flatMap((o) => (o.status === 'done' && typeof o.details?.bulkJob === 'number' ? [o.details.bulkJob] : []));
      for (const id of jobIds) await runWhole(tx, id, config);
      const keys = outcomes.flatMap((o) => o.queued);
      const patterns = [
        ...outcomes.filter((o) => o.status === 'done' && o.details?.bulkJob).map((o) => like(outbox.dedupeKey, `remind:${o.period}:%`)),
        ...jobIds.map((id) => like(outbox.dedupeKey, `bulk:${id}:%`)),
      ];
      const rows =
        keys.length || patterns.length
          ? await tx
              .select()
              .from(outbox)
              .where(or(...(keys.length ? [inArray(outbox.dedupeKey, keys)] : []), ...patterns))
              .orderBy(asc(outbox.id))
          : [];
      preview = { outcomes, messages: await summarise(tx, rows, opts) };
      throw new PreviewOver();
    });
  } catch (err) {
    if (!(err instanceof PreviewOver)) throw err;
  }
  return preview!;
}

/** A bulk job's batches one after another, in the preview's transaction, as the worker would run them. */
async function runWhole(tx: Db, id: number, config: Pick<Config, 'ADMIN_OPEN_IDS'>): Promise<void> {
  let job = await getBulkJob(tx, id);
  const kind = bulkKinds.find((k) => k.kind === job?.kind);
  if (!job || !kind) return;
  const actor = await loadActor(tx, job.createdBy, config.ADMIN_OPEN_IDS);
  for (;;) {
    const out = await kind.runBatch({ tx, job, actor, clock: systemClock, config: config as Config });
    if (out.finished) return;
    job = { ...job, cursor: out.cursor, done: out.done, result: out.result ?? job.result };
  }
}

/** Each row as it would go out on the run's day: a card drawn from its spec with that day's clock. */
async function summarise(tx: Db, rows: OutboxRow[], opts: JobOptions): Promise<PreviewMessage[]> {
  const renderers = cardRenderers(tx, opts.timezone, { now: () => opts.now });
  const byKind = new Map<string, { row: OutboxRow; spec: CardSpec }[]>();
  for (const row of rows) {
    const spec = cardSpecOf(row);
    if (spec) byKind.set(spec.kind, [...(byKind.get(spec.kind) ?? []), { row, spec }]);
  }
  const drawn = new Map<number, RenderedCard>();
  for (const [kind, group] of byKind) {
    const renderer = renderers[kind];
    const cards: RenderedCard[] = renderer
      ? await renderer(
          group.map((g) => g.spec),
          group.map((g) => g.row),
        ).catch((err: unknown) => group.map(() => ({ error: errorText(err) })))
      : group.map(() => ({ error: `no renderer for card kind ${kind}` }));
    group.forEach(({ row }, i) => drawn.set(row.id, cards[i]));
  }
  return rows.map((row) => ({ dedupeKey: row.dedupeKey, receiver: `${row.receiveIdType} ${row.receiver}`, summary: summaryOf(row, drawn.get(row.id)) }));
}

function summaryOf(row: OutboxRow, drawn: RenderedCard | undefined): string {
  const body = row.card as Record<string, unknown>;
  if (row.msgType === 'text') return `文字：${cutText(String(body.text ?? '').replace(/\s+/g, ' '), 80)}`;
  if (row.msgType === 'file') return `文件：${String(body.fileName ?? '')}`;
  if (row.msgType === 'image') return '图片';
  if (drawn && 'drop' in drawn) return `不会发送：${drawn.drop}`;
  if (drawn && 'error' in drawn) return `卡片无法绘制：${drawn.error}`;
  const card = (drawn && 'card' in drawn ? drawn.card : body) as { header?: { title?: { content?: string }; subtitle?: { content?: string } } };
  const title = card.header?.title?.content ?? '（无标题）';
  const subtitle = card.header?.subtitle?.content;
  return `卡片：${title}${subtitle ? ` · ${subtitle}` : ''}`;
}
