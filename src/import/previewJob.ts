import { importPreviewCard } from '../../cards/import.js';
import type { Db } from '../../db/index.js';
import { type BulkJob, type BulkJobKind, startBulkJob } from '../bulkJobs.js';
import { todayIn } from '../dates.js';
import { UserError } from '../errors.js';
import type { Actor } from '../people.js';
import { enqueue, type Destination } from '../outbox.js';
import { type ResolvedUserIds, ScopeMissing } from '../lark/contact.js';
import { FileRefused } from '../lark/reader.js';
import { importCardData, MAX_IMPORT_BYTES, previewImport, tooLargeMessage } from './index.js';
import { peopleToResolve } from './plan.js';
import { ImportFileError, type ImportWorkbook, readImportWorkbook } from './workbook.js';

/**
 * Reading a workbook sent in chat, off the event: downloading it and looking its people up in the address
 * book (50 a call) can take longer than the 3 s Feishu gives an event before it counts the push as failed
 * (https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case).
 * The event records this one-batch job; the job downloads the file and looks its people up (before the batch's
 * transaction), then records the dry run and queues the preview card in one transaction, so a crash before it
 * commits leaves the job to be done again, after it nothing twice.
 */

/** What an administrator is told when Feishu refused a call for a permission the app lacks: which, and where it is added. */
function scopeMissingText(what: string, err: ScopeMissing, usual: string): string {
  const scopes = err.scopes.length ? err.scopes.join(' 或 ') : usual;
  return `无法读取这个工作簿：飞书拒绝了机器人${what}的请求，应用还没有这项权限（${scopes}）。请在飞书开发者后台为应用开通该权限并发布新版本，然后重新发送工作簿。`;
}

interface PreviewParams {
  fileName: string;
  fileKey: string;
  /** the message that brought the file: where it is downloaded from, and what keys the one answer to it */
  sourceMessageId: string;
  replyTo: Destination;
  heading: string;
  /** no progress card: the preview card (or what is wrong with the file) is the answer */
  quiet: true;
}

/** The one answer to a file message, the preview or why there is none: a redelivered message gets no second one. */
export const previewKey = (messageId: string) => `import:preview:${messageId}`;

/** Records the preview of a file message as a job; the caller's event transaction commits it. */
export async function startImportPreview(
  tx: Db,
  actor: Actor,
  file: { fileName: string; fileKey: string; messageId: string; replyTo: Destination },
  now: Date,
): Promise<BulkJob> {
  const params: PreviewParams = {
    fileName: file.fileName,
    fileKey: file.fileKey,
    sourceMessageId: file.messageId,
    replyTo: file.replyTo,
    heading: `导入文件“${file.fileName}”`,
    quiet: true,
  };
  const { job } = await startBulkJob(tx, { kind: 'importPreview', cycleId: null, createdBy: actor.openId, total: 1, params: { ...params }, now });
  return job;
}

/**
 * What `prepare` fetched: the file, read (or what is wrong with it), and its people as the address book has them; or
 * why there is nothing to preview. The batch records the dry run from it: the file is not read again in its transaction.
 */
type Fetched = { bytes: Buffer; read?: ImportWorkbook | ImportFileError; found?: ResolvedUserIds } | { refused: string };

export const importPreviewJob: BulkJobKind = {
  kind: 'importPreview',
  // the download and the look-ups, outside the batch's transaction (a connection held across them, on PGlite the only one)
  async prepare({ job, feishu }): Promise<Fetched> {
    const p = job.params as unknown as PreviewParams;
    if (!feishu) return { refused: '当前无法下载文件，请稍后再试。' };
    let bytes: Buffer;
    try {
      bytes = await feishu.messageFile(p.sourceMessageId, p.fileKey, MAX_IMPORT_BYTES);
    } catch (err) {
      if (/over \d+ bytes/.test((err as Error).message)) return { refused: tooLargeMessage };
      // a refusal no retry changes (a 保密 chat, a 合并转发): what to do instead, in the chat, not a failed job
      if (err instanceof FileRefused) return { refused: err.reason };
      if (err instanceof ScopeMissing) return { refused: scopeMissingText('读取消息中的文件', err, 'im:message:readonly') };
      throw err;
    }
    let read: ImportWorkbook;
    try {
      read = await readImportWorkbook(bytes);
    } catch (err) {
      // not a workbook to read: previewImport says what is wrong with it (after what it says first, an empty file)
      return { bytes, ...(err instanceof ImportFileError ? { read: err } : {}) };
    }
    const wanted = peopleToResolve(read);
    let found: ResolvedUserIds | undefined;
    try {
      found = wanted.mobiles.length || wanted.emails.length ? await feishu.resolveUserIds(wanted) : undefined;
    } catch (err) {
      // the app without the address book's look-up: trying again changes nothing until the permission is added, so the
      // administrator is told which, not "意外错误，请点重试"
      if (err instanceof ScopeMissing) return { refused: scopeMissingText('按手机号或邮箱查找飞书用户', err, 'contact:user.id:readonly') };
      throw err;
    }
    return { bytes, read, found };
  },
  async runBatch({ tx, job, actor, clock, config, prepared }) {
    const p = job.params as unknown as PreviewParams;
    const finished = (result: Record<string, unknown>) => ({ done: 1, total: 1, cursor: 1, finished: true, result });
    const fetched = prepared as Fetched | undefined;
    try {
      if (!fetched) throw new Error('import preview batch without its file');
      if ('refused' in fetched) throw new UserError(fetched.refused);
      const now = clock.now();
      const today = todayIn(config.BOT_TIMEZONE, now);
      const found = fetched.found;
      // on a savepoint: a refusal keeps nothing of the dry run but its answer
      const record = await tx.transaction((sp) => previewImport(sp, actor, { name: p.fileName, bytes: fetched.bytes, read: fetched.read }, found ? async () => found : undefined, today, now, config.BOT_TIMEZONE));
      await enqueue(tx, { dedupeKey: previewKey(p.sourceMessageId), to: p.replyTo, card: importPreviewCard(importCardData(record)), priority: 'interactive' });
      return finished({ importId: record.id });
    } catch (err) {
      // what is wrong with the file (or that the sender is an administrator no longer) is the answer, in the chat
      if (!(err instanceof UserError)) throw err;
      await enqueue(tx, { dedupeKey: previewKey(p.sourceMessageId), to: p.replyTo, text: err.message, priority: 'interactive' });
      return finished({ refused: err.message });
    }
  },
};
