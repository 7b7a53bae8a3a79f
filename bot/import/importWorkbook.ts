import { importGuideCard, importPreviewCard } from '../../cards/import.js';
import { jobCard } from '../../src/bulkJobs.js';
import { formatDateTimeZh, todayIn } from '../../src/dates.js';
import { fastImportApply } from '../../src/fast/importApply.js';
import { fastImportTemplate } from '../../src/fast/requests.js';
import { type OutgoingFile, queuedBefore, resendKeys } from '../../src/outbox.js';
import { UserError } from '../../src/errors.js';
import { type CardActionDecl, type CardActionInput, type CardResponse, type CommandDef, commandDispatch, type HandlerContext, type IncomingFile, type IncomingText } from '../../src/handlers.js';
import { feishuSheetLink, feishuSheetLinkMessage, getImport, importCardData, importTemplate, notXlsxMessage, otherSpreadsheet, startImport } from '../../src/import/index.js';
import { startImportPreview } from '../../src/import/previewJob.js';
import { hasRole } from '../../src/people.js';
import { requireAdmin } from '../../src/permissions.js';
import { idFrom, idOrZero, PRIVATE_NOT_RECEIVED_ADMIN, raw, replyDestination, sendPrivately } from '../respond.js';
import { importUnderway, importUnderwayText, registerFileName, registerWorkbookFile } from '../../src/import/export.js';

const today = (ctx: HandlerContext) => todayIn(ctx.config.BOT_TIMEZONE, ctx.clock.now());

/**
 * `导入` / `import`: how to import, with the template button, in the administrator's p2p chat, as 管理: the file is sent
 * there, and asked for in a group the card would be one anyone there could press; the group gets a one-line note.
 */
export async function showImportGuideCommand(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  requireAdmin(ctx.actor);
  await sendPrivately(ctx, msg, `import:guide:${ctx.eventId}`, { card: importGuideCard() }, '导入卡片');
}

/** 下载导入模板, 导入班组名单, 怎么导入 typed by an administrator: the same card; for anyone else no command (the measures answer). */
export async function showImportGuideTyped(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  if (!hasRole(ctx.actor, 'admin')) return false;
  await showImportGuideCommand(ctx, msg);
}

export async function showImportGuide(): Promise<CardResponse> {
  return raw(importGuideCard());
}

/** 下载导入模板's keys at `now` (resendKeys): a press within about 10 s of one queued sends nothing new. */
const templateKeys = (openId: string, now: Date) => resendKeys(`import:template:${openId}`, now);
const templateFile = async (): Promise<OutgoingFile> => ({ fileName: '质量信得过班组导入模板.xlsx', fileType: 'xls', base64: (await importTemplate()).toString('base64') });
const templateSent: CardResponse = { toast: { type: 'success', content: '导入模板已发到与你的单聊' } };
const templateSentAlready: CardResponse = { toast: { type: 'info', content: '导入模板已发到与你的单聊，请查看上一条消息' } };

/** 下载导入模板: the template workbook as a file message in the admin's p2p chat; pressed again within about 10 s, nothing new. */
export async function sendTemplate(ctx: HandlerContext): Promise<CardResponse> {
  const keys = templateKeys(ctx.actor.openId, ctx.clock.now());
  if (await queuedBefore(ctx.tx, keys.previous)) return templateSentAlready;
  return (await ctx.sendIfNew({ dedupeKey: keys.key, to: { openId: ctx.actor.openId }, file: await templateFile() })) ? templateSent : templateSentAlready;
}

/**
 * The same in one round trip on PostgreSQL (src/fast/requests.ts): the workbook is made first, then the statement
 * checks that the clicker is an administrator and queues it; anything else (not one, a delivery seen before)
 * answers undefined having written nothing, and `sendTemplate` runs.
 */
export const sendTemplateFast: NonNullable<CardActionDecl['fast']> = async (fx) => {
  const keys = templateKeys(fx.openId, fx.clock.now());
  const done = await fastImportTemplate(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
    dedupeKey: keys.key,
    previousKey: keys.previous,
    file: await templateFile(),
  });
  return done && { outcome: 'ok', answer: done.queued ? templateSent : templateSentAlready, queued: done.queued };
};

/** 导出当前名册's keys at `now` (resendKeys): a second press or request within about 10 s of one queued sends nothing new. */
const exportKeys = (openId: string, now: Date) => resendKeys(`import:export:${openId}`, now);
const exportSentAlready = '名册刚刚已在生成并私聊发给你，请查看与我的单聊。';

/**
 * Queues the register workbook (src/import/export.ts) to the administrator's own chat, made by the outbox as it sends
 * it, from the data as it stands then (3 000 teams take about a second to write; the callback only queues it). A press
 * within about 10 s of one queued, or a redelivered event, queues nothing: one file. True when it was queued.
 */
async function queueRegister(ctx: HandlerContext): Promise<{ queued: boolean; fileName: string; underway?: string }> {
  const now = ctx.clock.now();
  const fileName = registerFileName(todayIn(ctx.config.BOT_TIMEZONE, now));
  const keys = exportKeys(ctx.actor.openId, now);
  // issued together: one round trip. An import half written is no register to send (importUnderway): nothing queued
  const [underway, before] = await Promise.all([importUnderway(ctx.tx), queuedBefore(ctx.tx, keys.previous)]);
  if (underway) return { queued: false, fileName, underway: importUnderwayText(underway) };
  if (before) return { queued: false, fileName };
  const queued = await ctx.sendIfNew({ dedupeKey: keys.key, to: { openId: ctx.actor.openId }, file: { fileName, fileType: 'xls', render: registerWorkbookFile(now) } });
  return { queued, fileName };
}

/** 导出当前名册 on 导入's card: the register as a file in the clicker's own chat; the answer is a toast, the card stays. */
export async function sendRegister(ctx: HandlerContext): Promise<CardResponse> {
  requireAdmin(ctx.actor);
  const { queued, fileName, underway } = await queueRegister(ctx);
  if (underway) return { toast: { type: 'info', content: underway } };
  return { toast: queued ? { type: 'success', content: `正在生成“${fileName}”，稍后私聊发给你` } : { type: 'info', content: exportSentAlready } };
}

/**
 * `导出名册` / `导出` / `export`: the same file, always to the administrator's own chat; asked in a group, the group gets
 * a one-line note, as 导入 does (the register names people's mobiles: it is no file for a group).
 */
export async function sendRegisterCommand(ctx: HandlerContext, msg: IncomingText): Promise<void> {
  requireAdmin(ctx.actor);
  const { queued, fileName, underway } = await queueRegister(ctx);
  if (underway) await ctx.send({ dedupeKey: `import:export:${ctx.eventId}:underway`, to: replyDestination(ctx, msg), text: underway });
  else if (msg.chatType === 'group') {
    await ctx.send({ dedupeKey: `import:export:${ctx.eventId}:group-note`, to: { replyTo: msg.messageId, chatId: msg.chatId }, text: `${queued ? `已通过私聊把名册“${fileName}”发给你` : '名册刚刚已私聊发给你'}，请在与我的单聊中查看。${PRIVATE_NOT_RECEIVED_ADMIN}` });
  } else if (!queued) await ctx.send({ dedupeKey: `import:export:${ctx.eventId}:already`, to: replyDestination(ctx, msg), text: exportSentAlready });
  // in the p2p chat the file is the answer
}

/** 导出专家名单, 导出所有班组, export experts typed by an administrator: the register; for anyone else no command (the measures answer). */
export async function sendRegisterTyped(ctx: HandlerContext, msg: IncomingText): Promise<void | false> {
  if (!hasRole(ctx.actor, 'admin')) return false;
  await sendRegisterCommand(ctx, msg);
}

/**
 * A .xlsx sent by an administrator is read, its people looked up, and answered with the preview card (by a job,
 * src/import/previewJob.ts);
 * anyone else's file goes on to the usual answer for a non-text message.
 */
export function importFile(next?: (ctx: HandlerContext, msg: IncomingText, file: IncomingFile) => Promise<boolean>) {
  return async (ctx: HandlerContext, msg: IncomingText, file: IncomingFile): Promise<boolean> => {
    const workbook = /\.xlsx$/i.test(file.fileName);
    if (!hasRole(ctx.actor, 'admin') || (!workbook && !otherSpreadsheet.test(file.fileName))) return (await next?.(ctx, msg, file)) ?? false;
    // a file is answered as a command is: a refusal rolls back and is said in the chat
    await commandDispatch((c, m) => (workbook ? previewFile(c, m, file) : notXlsx(file)))(ctx, msg, '');
    return true;
  };
}

/**
 * A 飞书表格 or 多维表格 link an administrator sends instead of the workbook (alone, or after 导入): how to download it as
 * the .xlsx to send; anyone else's text goes on to the usual answer.
 */
export function feishuSheetLinkOr(next?: CommandDef['run']): CommandDef['run'] {
  return async (ctx, msg, argument) => {
    if (!hasRole(ctx.actor, 'admin') || !feishuSheetLink.test(msg.text)) return next ? next(ctx, msg, argument) : false;
    await ctx.send({ dedupeKey: `import:link:${ctx.eventId}`, to: replyDestination(ctx, msg), text: feishuSheetLinkMessage });
  };
}

/** A table an administrator may send by mistake for the workbook (`otherSpreadsheet`): how to make the .xlsx. */
async function notXlsx(file: IncomingFile): Promise<never> {
  throw new UserError(notXlsxMessage(file.fileName, '再发给我')!);
}

async function previewFile(ctx: HandlerContext, msg: IncomingText, file: IncomingFile): Promise<void> {
  if (!ctx.feishu) throw new UserError('当前无法下载文件，请稍后再试。');
  // downloading and looking up can take longer than an event may: a job does it, and answers with the preview
  await startImportPreview(ctx.tx, ctx.actor, { fileName: file.fileName, fileKey: file.fileKey, messageId: msg.messageId, replyTo: replyDestination(ctx, msg) }, ctx.clock.now());
  await ctx.send({ dedupeKey: `import:received:${msg.messageId}`, to: replyDestination(ctx, msg), text: `已收到“${file.fileName}”，正在读取并在通讯录中核对其中的人员，预览稍后发到这里。` });
}

/** 上一页 / 下一页 of the refused rows. */
export async function pageImport(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const record = await getImport(ctx.tx, idFrom(input.value, 'importId'));
  if (!record) throw new UserError('找不到这次导入，请重新发送文件。');
  const page = typeof input.value.page === 'number' ? input.value.page : 0;
  return raw(importPreviewCard(importCardData(record), page));
}

const importStarted = { type: 'success', content: '正在导入，完成后卡片会更新' } as const;

/** The data the clicked preview was planned against (a card sent before previews carried it has none). */
const cardVersion = (input: CardActionInput) => (typeof input.value.version === 'string' ? input.value.version : undefined);

/**
 * 确认导入: records the job that applies the previewed workbook and answers with its progress card, which
 * the job's batches keep up to date (“已导入 1 200 / 3 000 行”) and end with what was done and refused.
 */
export async function confirmImport(ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const started = await startImport(ctx.tx, ctx.actor, idFrom(input.value, 'importId'), { messageId: input.messageId, now: ctx.clock.now(), today: today(ctx), version: cardVersion(input), timeZone: ctx.config.BOT_TIMEZONE });
  switch (started.state) {
    case 'started':
      return raw(jobCard(started.job), importStarted);
    case 'running':
      if (started.job.status === 'failed') return raw(jobCard(started.job), { type: 'info', content: '这个文件的导入中断了：排除卡片上的原因后点“重试”，从中断处继续' });
      return raw(jobCard(started.job), { type: 'info', content: '这个文件正在导入，卡片显示当前进度' });
    case 'applied': {
      const at = started.record.appliedAt ? `（${formatDateTimeZh(started.record.appliedAt, ctx.config.BOT_TIMEZONE)} 导入完成）` : '';
      return raw(importPreviewCard(importCardData(started.record)), { type: 'info', content: `文件“${started.record.fileName}”已经导入过${at}，无需重复确认` });
    }
    case 'changed':
      return raw(importPreviewCard({ ...importCardData(started.record), changedSincePreview: true }), { type: 'warning', content: '预览后数据已有变化，尚未导入：请核对重新生成的预览后再确认导入' });
    case 'done':
      return raw(importPreviewCard(importCardData(started.record)), { type: 'success', content: `已导入：新增 ${started.summary.add.length} 行，更新 ${started.summary.update.length} 行` });
  }
}

/**
 * 确认导入 that starts the job, in one round trip on PostgreSQL (src/fast/importApply.ts); anything else (not an
 * administrator, no such import, one applied or being applied, nothing to add or update, a preview planned against
 * other data than today's, a delivery seen before)
 * answers undefined having written nothing, and `confirmImport` runs.
 */
export const confirmImportFast: NonNullable<CardActionDecl['fast']> = async (fx, input) => {
  const importId = idOrZero(input.value, 'importId');
  if (!importId) return undefined;
  const done = await fastImportApply(fx.database, {
    eventId: fx.eventId,
    eventType: fx.eventType,
    openId: fx.openId,
    importId,
    messageId: input.messageId,
    now: fx.clock.now(),
    bootstrapAdmins: fx.config.ADMIN_OPEN_IDS,
    today: todayIn(fx.config.BOT_TIMEZONE, fx.clock.now()),
    version: cardVersion(input),
  });
  return done && { outcome: 'ok', answer: raw(jobCard(done.job), importStarted), queued: 0 };
};
