import type { ImportCardData } from '../../cards/import.js';
import type { Db } from '../../db/index.js';
import { UserError } from '../errors.js';
import type { ResolvedUserIds } from '../lark/contact.js';
import type { Actor } from '../people.js';
import { requireAdmin } from '../permissions.js';
import { type ImportRecord, recordDryRun } from './apply.js';
import { type ImportSummary, peopleToResolve } from './plan.js';
import { ImportFileError, type ImportWorkbook, readImportWorkbook } from './workbook.js';

export { applyImport, getImport, type ImportRecord } from './apply.js';
export { importJob, type ImportStart, startImport } from './applyJob.js';
export { importTemplate } from './workbook.js';

/** Larger workbooks are refused before reading: 10 MB holds tens of thousands of rows. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

/**
 * Said of a workbook over MAX_IMPORT_BYTES: its rows seldom make it so large (the file is not read, so how many it has is
 * not known), a picture or a screenshot pasted in does.
 */
export const tooLargeMessage =
  '文件超过 10 MB，无法导入。10 MB 可容纳数万行数据：行数不多的，文件大多是被插入的图片、截图或其他对象撑大的，请在 Excel 中删除它们（或只把数据复制到导入模板中）后保存，再导入；行数确实很多的，请分成几个工作簿分别导入。';

/** A Feishu online document's link: a 电子表格 (/sheets/), a 多维表格 (/base/) or a 知识库 page holding one (/wiki/). */
export const feishuSheetLink = /https?:\/\/[\w.-]*(?:feishu\.cn|feishu\.net|larksuite\.com|larkoffice\.com)\/(?:sheets|base|wiki|file|drive|docx?|docs)\//i;

/** Said to an administrator who sends such a link for the workbook: the bot reads files, not links. */
export const feishuSheetLinkMessage =
  '这是飞书云文档的链接，我无法读取链接中的表格。请在飞书中打开它，下载为 Excel 文件（电子表格：“文件”（或右上角“⋯”）→ 下载为 → Excel（.xlsx）；多维表格：数据表名称旁的“⋯” → 导出为 Excel；云空间里的 Excel 文件：打开后点“下载”），再把下载的 .xlsx 文件直接发给我（单聊）。表格的列须与导入模板一致（管理 → 导入 → 下载导入模板）。';

/** A table an administrator may take for the workbook: the old Excel format, CSV, WPS, LibreOffice, Numbers. */
export const otherSpreadsheet = /\.(xls|xlsm|xlsb|csv|et|ods|numbers)$/i;

/** How to make the .xlsx of such a table (undefined for any other file), `then` what to do with it: 再发给我. */
export function notXlsxMessage(fileName: string, then: string): string | undefined {
  const ext = otherSpreadsheet.exec(fileName)?.[1].toLowerCase();
  if (!ext) return undefined;
  return `“${fileName}”是 .${ext} 文件，导入只读取 .xlsx 工作簿：请用 Excel 或 WPS 打开它，“另存为”Excel 工作簿（*.xlsx）后${then}；也可以把数据粘贴进导入模板（管理 → 导入 → 下载导入模板）。`;
}

/**
 * Reads the workbook, looks its people up (when a look-up is given) and records the dry run. A file
 * that is no import workbook is a UserError naming what is wrong. `read` is the file already read (by the preview
 * job, before its transaction), or what was wrong with it: a workbook is read once.
 */
export async function previewImport(
  tx: Db,
  actor: Actor,
  file: { name: string; bytes: Buffer; read?: ImportWorkbook | ImportFileError },
  lookup: ((q: { mobiles: string[]; emails: string[] }) => Promise<ResolvedUserIds>) | undefined,
  today: string,
  now: Date,
  /** BOT_TIMEZONE (recordDryRun) */
  timeZone?: string,
): Promise<ImportRecord> {
  requireAdmin(actor);
  if (file.bytes.length > MAX_IMPORT_BYTES) throw new UserError(tooLargeMessage);
  if (!file.bytes.length) throw new UserError(`“${file.name}”是空文件（0 字节）：请在 Excel 中打开并保存导入工作簿后，再把它发给我。`);
  let workbook;
  try {
    if (file.read instanceof ImportFileError) throw file.read;
    workbook = file.read ?? (await readImportWorkbook(file.bytes));
  } catch (err) {
    if (err instanceof ImportFileError) throw new UserError(err.message);
    throw err;
  }
  const resolved: Record<string, string> = {};
  const wanted = peopleToResolve(workbook);
  if (lookup && (wanted.mobiles.length || wanted.emails.length)) {
    const found = await lookup(wanted);
    for (const [mobile, openId] of found.byMobile) resolved[`m:${mobile}`] = openId;
    for (const [email, openId] of found.byEmail) resolved[`e:${email}`] = openId;
  }
  return recordDryRun(tx, actor, file, workbook, resolved, today, now, timeZone);
}

export function importCardData(record: ImportRecord): ImportCardData {
  const s = record.summary as ImportSummary;
  const contactChanges = contactChangesOf(s, record.rows as ImportWorkbook | null);
  return {
    importId: record.id,
    fileName: record.fileName,
    status: record.status === 'applied' ? 'applied' : 'planned',
    ...s,
    ...(record.dataVersion ? { version: record.dataVersion } : {}),
    ...(contactChanges.length ? { contactChanges } : {}),
  };
}

/** The teams whose 单位联系人 the import changes (第十五条), each with the new one as its row in the file names them. */
export function contactChangesOf(s: ImportSummary, wb: ImportWorkbook | null): NonNullable<ImportCardData['contactChanges']> {
  const rows = new Map((wb?.teams ?? []).map((r) => [r.row, r]));
  return s.update.flatMap((u) => {
    const r = u.sheet === 'teams' && u.changes?.includes('单位联系人') ? rows.get(u.row) : undefined;
    if (!r) return [];
    const name = r.contactName.trim();
    return [{ row: u.row, label: u.label, to: name ? `${name}（${r.contact.trim()}）` : r.contact.trim() }];
  });
}
