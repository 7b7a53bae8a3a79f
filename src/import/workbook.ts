import type ExcelJS from 'exceljs';
import { typedText } from '../forms.js';
import { teamTypes } from '../teams.js';
import { type ExportStamp, readStamp, STAMP_SHEET, stampRows } from './exportStamp.js';
import { MAX_SHEET_ROWS, prepareWorkbook, sheetKey, sheetsNamed, tooManyRowsMessage } from './xlsxParts.js';

/** exceljs costs 30 MB and a second to load: only the rare workbook paths pay for it. */
const loadExcel = () => import('exceljs');

/**
 * The import workbook: 单位 (organisations), 班组 (teams registered before the bot), 专家 (the expert
 * pool) and 荣誉 (past titles). Reading keeps every cell as text with its row number, so that the dry
 * run can refuse a row by number and say which cell to fix.
 */

export const importSheetNames = { guide: '说明', organizations: '单位', teams: '班组', experts: '专家', honours: '荣誉' } as const;

interface ColumnSpec {
  key: string;
  header: string;
  width: number;
  required?: boolean;
}

export const teamColumns = [
  { key: 'code', header: '班组编号', width: 16 },
  { key: 'name', header: '班组名称', width: 24, required: true },
  { key: 'organization', header: '所属单位', width: 28, required: true },
  { key: 'type', header: '班组类型', width: 12, required: true },
  { key: 'leader', header: '班组长手机或邮箱', width: 22, required: true },
  { key: 'leaderName', header: '班组长姓名', width: 12 },
  { key: 'contact', header: '单位联系人手机或邮箱', width: 22, required: true },
  { key: 'contactName', header: '单位联系人姓名', width: 12 },
  { key: 'registeredAt', header: '注册日期', width: 14, required: true },
  { key: 'memberCount', header: '成员人数', width: 10, required: true },
  { key: 'department', header: '主管部门', width: 20 },
] as const satisfies readonly ColumnSpec[];

export const expertColumns = [
  { key: 'name', header: '姓名', width: 12, required: true },
  { key: 'person', header: '手机或邮箱', width: 22, required: true },
  { key: 'organization', header: '所属单位', width: 28, required: true },
  { key: 'specialities', header: '专业特长', width: 24 },
  { key: 'maxLoad', header: '评审上限', width: 10 },
] as const satisfies readonly ColumnSpec[];

export const honourColumns = [
  { key: 'team', header: '班组编号或名称', width: 24, required: true },
  { key: 'year', header: '年度', width: 8, required: true },
  { key: 'title', header: '称号', width: 30, required: true },
] as const satisfies readonly ColumnSpec[];

export const organizationColumns = [{ key: 'name', header: '单位名称', width: 36, required: true }] as const satisfies readonly ColumnSpec[];

type Keys<C extends readonly ColumnSpec[]> = C[number]['key'];
/** A cell whose value the file does not hold: a formula without a computed result, or one Excel shows as an error (#N/A). */
export interface UnreadableCell {
  /** the column as the template names it */
  column: string;
  /** the error Excel shows (#N/A, #VALUE!), or '' for a formula without a result */
  error: string;
}
export type SheetRow<C extends readonly ColumnSpec[]> = { row: number; unreadable?: UnreadableCell[] } & Record<Keys<C>, string>;
export type TeamRow = SheetRow<typeof teamColumns>;
export type ExpertRow = SheetRow<typeof expertColumns>;
export type HonourRow = SheetRow<typeof honourColumns>;
export type OrganizationRow = SheetRow<typeof organizationColumns>;

export interface ImportWorkbook {
  organizations: OrganizationRow[];
  teams: TeamRow[];
  experts: ExpertRow[];
  honours: HonourRow[];
  /** what reading passed over and the preview should say: sheets not read, a hidden sheet read, rows skipped */
  notes?: string[];
  /** 导出当前名册's stamp (src/import/exportStamp.ts): the file is a register exported then */
  exported?: ExportStamp;
}
type ImportSheet = Exclude<keyof ImportWorkbook, 'notes' | 'exported'>;

/** Rows of the template that carry validations; a longer list still imports, unchecked by Excel. */
export const TEMPLATE_ROWS = 1000;
/** The earliest 注册日期 the template's Excel check allows, and the import with it. */
export const EARLIEST_REGISTRATION = '1990-01-01';
export { MAX_SHEET_CELLS, MAX_SHEET_FILLED_ROWS, MAX_SHEET_ROWS } from './xlsxParts.js';
export const teamTypeLabels = teamTypes.map((t) => t.label);

/**
 * Cell text as the user sees it: dates as YYYY-MM-DD, hyperlinks (Excel makes e-mails links) as their text; a string
 * as a card reads it typed (`typedText`, src/forms.ts): without the characters nobody sees (zero-width, word joiner,
 * direction marks and overrides), so 养护一班 with one pasted after it is 养护一班, and an organisation is the one typed in a card.
 */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return dateCellText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return typedText(value);
  if (typeof value === 'object') {
    if ('richText' in value) return cellText(value.richText.map((r) => r.text).join(''));
    if ('hyperlink' in value) return cellText((value as ExcelJS.CellHyperlinkValue).text);
    if ('result' in value || 'formula' in value || 'sharedFormula' in value) return cellText((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
    if ('error' in value) return '';
  }
  return cellText(String(value));
}

/**
 * A date cell: its day; a number typed into a column formatted as dates (a list pasted over the template's 注册日期
 * column: 20240301, a mobile) is a day tens of thousands of years on, read back as the number typed (importDate reads
 * 20240301), and one past what a date can hold is unreadable (`unreadableValue`): toISOString threw on it.
 */
function dateCellText(d: Date): string {
  const t = d.getTime();
  if (!Number.isFinite(t)) return '';
  if (d.getUTCFullYear() <= 9999) return d.toISOString().slice(0, 10);
  return String(Math.round(t / 86_400_000 + 25_569));
}

/** What `unreadableValue` says of a date cell whose number no date can hold. */
const NOT_A_DATE = 'not-a-date';
/** What `formattedCode` says of a team's code that is a number Excel shows through a format. */
const FORMATTED_CODE = 'formatted-code';

/**
 * A 班组编号 (or a 荣誉 row's 班组编号或名称) that is a number shown through a number format: 1 under "GDSZ-2024-"0000
 * shows GDSZ-2024-0001, 12 under 0000 shows 0012, and the cell holds 1 and 12, which would be imported as those codes.
 */
function formattedCode(key: string, value: ExcelJS.CellValue, numFmt: string | undefined): string | undefined {
  if ((key !== 'code' && key !== 'team') || typeof value !== 'number') return undefined;
  return numFmt && !/^(General|@|0)$/i.test(numFmt) ? FORMATTED_CODE : undefined;
}

/**
 * A 年度 cell as Excel shows it: a date formatted to show its year alone (yyyy, yyyy"年") is that year, not the first of
 * January it holds; any other value as cellText reads it.
 */
function yearText(value: ExcelJS.CellValue): string {
  const shown = value !== null && typeof value === 'object' && !(value instanceof Date) && 'result' in value ? (value as ExcelJS.CellFormulaValue).result : value;
  return shown instanceof Date ? String(shown.getUTCFullYear()) : cellText(value);
}

/** What a formula or error cell lacks: the error Excel shows, '' for a formula without a computed result; undefined for a value. */
function unreadableValue(value: ExcelJS.CellValue): string | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? undefined : NOT_A_DATE;
  if (value === null || typeof value !== 'object') return undefined;
  if ('error' in value) return String((value as ExcelJS.CellErrorValue).error);
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as ExcelJS.CellFormulaValue).result;
    if (result === undefined || result === null) return '';
    if (typeof result === 'object' && 'error' in result) return String(result.error);
  }
  return undefined;
}

const LINE_BREAK = /[ \t]*(?:\r\n|[\r\n\u2028\u2029])[ \t]*/g;
/** Columns whose values are one token (a mobile, an e-mail, a code, a number, a date): a line break in them is dropped. */
const tokenColumns = new Set(['code', 'leader', 'contact', 'person', 'registeredAt', 'memberCount', 'maxLoad', 'year', 'team']);

/**
 * A line break typed inside a cell (Alt+Enter) is no part of the value: in a mobile, code or number it is dropped; in a
 * list of specialities it separates two; in a name it is dropped between Chinese characters and a space between words.
 */
function withoutLineBreaks(key: string, text: string): string {
  if (!/[\r\n\u2028\u2029]/.test(text)) return text;
  if (tokenColumns.has(key)) return text.replace(LINE_BREAK, '');
  if (key === 'specialities') return text.replace(LINE_BREAK, '、');
  return text.replace(LINE_BREAK, (_, at: number, all: string) => {
    const before = all.slice(0, at).slice(-1);
    const after = all.slice(at).replace(LINE_BREAK, '').slice(0, 1);
    return /[A-Za-z0-9]/.test(before) && /[A-Za-z0-9]/.test(after) ? ' ' : '';
  });
}

const allHeaders = (): Set<string> => new Set([...organizationColumns, ...teamColumns, ...expertColumns, ...honourColumns].map((c) => c.header));

/**
 * The field a header cell names: its text without the * of a required column, spaces and a note in brackets
 * (班组名称*（必填）); a note on a second line (班组名称*⏎不超过 50 字) is read past when the whole is no column.
 */
function headerKey(s: string): string {
  const key = (t: string) => t.replace(/[*＊\s]/g, '').replace(/[（(【[［].*$/, '');
  const whole = key(s);
  if (allHeaders().has(whole)) return whole;
  return key(s.split(/[\r\n]/)[0]);
}

/** Rows above the header a secretary may have added (a merged title, a note): the header is looked for among the first ones. */
export const HEADER_SEARCH_ROWS = 10;

/**
 * A cell a merge covers right of its first column: it shows the first cell's text, and is no column of its own. A cell
 * a merge covers below its first, in the same column, is that column: a two-row header merges 班组名称 down over both
 * rows, and the second row, naming the columns under a group (班组长 over 手机或邮箱 and 姓名), is the header.
 */
const mergedFollower = (cell: ExcelJS.Cell) => cell.isMerged && cell.master !== cell && cell.master.col !== cell.col;

function headerColumns(row: ExcelJS.Row): Map<string, number> {
  const at = new Map<string, number>();
  row.eachCell((cell, col) => {
    if (!mergedFollower(cell)) at.set(headerKey(cellText(cell.value)), col);
  });
  return at;
}

/** The columns of each of a sheet's first rows, where its header may be: [row number, header → column]. */
function* headerCandidates(ws: ExcelJS.Worksheet): Generator<[number, Map<string, number>]> {
  for (let n = 1; n <= Math.min(HEADER_SEARCH_ROWS, ws.rowCount); n++) yield [n, headerColumns(ws.getRow(n))];
}

/** Excel's letter of a column: 1 → A, 28 → AB. */
export function columnLetter(col: number): string {
  let s = '';
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * Two columns of the header read as one field (注册日期 and 注册日期（原系统）): one would be read and the other passed
 * over without a word, so the sheet is refused, naming both as typed and where they are.
 */
function sameFieldTwice(ws: ExcelJS.Worksheet, headerRow: number, columns: readonly ColumnSpec[]): void {
  const fields = new Set(columns.map((c) => c.header));
  const seen = new Map<string, { text: string; col: number }>();
  let clash: [string, { text: string; col: number }, { text: string; col: number }] | undefined;
  ws.getRow(headerRow).eachCell((cell, col) => {
    if (mergedFollower(cell)) return;
    const text = cellText(cell.value);
    const key = headerKey(text);
    if (clash || !fields.has(key)) return;
    const shown = { text: text.replace(/\s*[\r\n]+\s*/g, ' '), col };
    const first = seen.get(key);
    if (first) clash = [key, first, shown];
    else seen.set(key, shown);
  });
  if (!clash) return;
  const [field, a, b] = clash;
  const both = a.text === b.text ? `${columnLetter(a.col)} 列和 ${columnLetter(b.col)} 列的“${a.text}”` : `${columnLetter(a.col)} 列“${a.text}”与 ${columnLetter(b.col)} 列“${b.text}”`;
  throw new ImportFileError(`“${ws.name}”表第 ${headerRow} 行的表头中，${both}两列都读作“${field}”：请删除或改名其中一列（如改为“原${field}”），再重新发送。`);
}

/** Columns that say whose row it is: a row with none of them holds only values dragged down (所属单位, 班组类型) and is no row. */
const identifyingColumns: Record<string, string[]> = {
  [importSheetNames.teams]: ['code', 'name', 'leader', 'leaderName', 'contact', 'contactName'],
  [importSheetNames.experts]: ['name', 'person'],
  [importSheetNames.honours]: ['team', 'year'],
};

/** Row numbers as ranges, the first six of them: 3、5–9、12, or 3、5–9、…、40等. */
function rowRanges(rows: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j] + 1) j++;
    out.push(j > i ? `${rows[i]}–${rows[j]}` : `${rows[i]}`);
    i = j;
  }
  return out.length > 6 ? `${out.slice(0, 6).join('、')} 行等` : `${out.join('、')} 行`;
}

/** exceljs's ValueType.Formula (its enums are no value of the type-only import). */
const FORMULA = 6;

/**
 * A cell's value with a formula's result as the file holds it: exceljs's cell.value drops a result of 0, FALSE or ""
 * (cells Excel shows as 0, FALSE or empty), so the result is taken from the cell's model; a formula whose result is ""
 * (=IF(A2="","",…) filled down past the rows) is an empty cell, and one the file holds no result for stays a formula
 * without a result.
 */
function cellValue(cell: ExcelJS.Cell, emptyResults: ReadonlySet<string>): ExcelJS.CellValue {
  const source = cell.master;
  if (source.type !== FORMULA) return cell.value;
  const { result } = source.model as { result?: ExcelJS.CellFormulaValue['result'] };
  if (result !== undefined && result !== null) return { ...(source.value as ExcelJS.CellFormulaValue), result };
  return emptyResults.has(source.address) ? '' : source.value;
}

function readSheet<C extends readonly ColumnSpec[]>(ws: ExcelJS.Worksheet | undefined, name: string, columns: C, notes: string[], emptyResults: ReadonlySet<string> = new Set()): SheetRow<C>[] {
  // a sheet she emptied (nothing to import there) is as good as no sheet
  if (!ws || !ws.actualRowCount) return [];
  const required = columns.filter((c) => c.required);
  // the header is the first row holding every required column (a title row above it is skipped, and row numbers stay
  // Excel's); when none does, the row holding the most is the header the refusal speaks of
  let headerRow = 1;
  let at = headerColumns(ws.getRow(1));
  const held = (found: Map<string, number>) => required.filter((c) => found.has(c.header)).length;
  for (const [n, found] of headerCandidates(ws)) {
    if (held(found) > held(at)) [headerRow, at] = [n, found];
    if (held(found) === required.length) break;
  }
  const missing = required.filter((c) => !at.has(c.header));
  if (missing.length) {
    const where = held(at) ? `第 ${headerRow} 行的表头` : `前 ${HEADER_SEARCH_ROWS} 行中找不到表头，`;
    throw new ImportFileError(`“${name}”表${where}缺少列：${missing.map((c) => c.header).join('、')}。请按导入模板（管理 → 导入 → 下载导入模板）的列名填写表头。`);
  }
  sameFieldTwice(ws, headerRow, columns);
  const identifying = identifyingColumns[name] ?? [];
  const draggedOnly: number[] = [];
  const hidden: number[] = [];
  const rows: SheetRow<C>[] = [];
  ws.eachRow((row, n) => {
    if (n <= headerRow) return;
    const unreadable: UnreadableCell[] = [];
    const values = Object.fromEntries(
      columns.map((c) => {
        if (!at.has(c.header)) return [c.key, ''];
        const cell = row.getCell(at.get(c.header)!);
        const value = cellValue(cell, emptyResults);
        const error = unreadableValue(value) ?? formattedCode(c.key, value, cell.numFmt);
        if (error !== undefined) unreadable.push({ column: c.header, error });
        return [c.key, withoutLineBreaks(c.key, c.key === 'year' ? yearText(value) : cellText(value))];
      }),
    ) as Record<Keys<C>, string>;
    const filled = (key: string) => (values as Record<string, string>)[key] !== '' || unreadable.some((u) => columns.find((c) => c.header === u.column)?.key === key);
    if (!unreadable.length && Object.values(values).every((v) => v === '')) return;
    if (identifying.length && !identifying.some(filled)) {
      draggedOnly.push(n);
      return;
    }
    if (row.hidden) hidden.push(n);
    rows.push({ row: n, ...values, ...(unreadable.length ? { unreadable } : {}) });
  });
  // the rows kept, not the rows exceljs counts: a formula filled down below the data and showing nothing is no row
  if (rows.length > MAX_SHEET_ROWS) throw new ImportFileError(tooManyRowsMessage(name, rows.length));
  if (draggedOnly.length) {
    const whose = name === importSheetNames.teams ? '班组名称、班组编号和人员' : name === importSheetNames.experts ? '姓名和手机或邮箱' : '班组编号或名称和年度';
    notes.push(`“${name}”表 ${draggedOnly.length} 行（第 ${rowRanges(draggedOnly)}）没有${whose}，只有其他列的值（如向下拖动填充的），按空行跳过。`);
  }
  // what she sees in Excel is not all that is read, as for a hidden sheet (sheetNotes)
  if (hidden.length) notes.push(`“${name}”表 ${hidden.length} 行（第 ${rowRanges(hidden)}）在 Excel 中是隐藏的（隐藏或被筛选掉的行），也已读取：如不要导入，请删除这些行后再发送。`);
  return rows;
}

/** Why a row with a formula lacking its result, or a cell Excel shows as an error, is not imported. */
export function unreadableProblem(r: { unreadable?: UnreadableCell[] }): string | undefined {
  if (!r.unreadable?.length) return undefined;
  return r.unreadable
    .map((u) =>
      u.error === NOT_A_DATE
        ? `“${u.column}”所在的列设成了日期格式，填的数字读不成日期：请把该列设为“常规”或“文本”后重填`
        : u.error === FORMATTED_CODE
          ? `“${u.column}”填的是数字，Excel 按单元格格式把它显示成编号，导入读到的只是数字：请把该列设为“文本”，填上完整的班组编号（如 GDSZ-2024-0001）后重发`
        : u.error
          ? `“${u.column}”显示 ${u.error}（公式出错）：请改为填写的值`
          : `“${u.column}”是公式但没有计算结果：请改为填写的值（或在 Excel 中打开、保存后再发送）`,
    )
    .join('；');
}

/** The sheets of many rows, each with its columns: what a renamed or copied sheet is recognised by. */
const rowSheets = [
  [importSheetNames.teams, teamColumns],
  [importSheetNames.experts, expertColumns],
  [importSheetNames.honours, honourColumns],
] as const;

/**
 * A sheet of the template she renamed (“班组” to “班组名单”) would be passed over without a word, and its rows with it:
 * a sheet of another name whose header holds most of the columns of a sheet the file lacks is that sheet renamed, and
 * is refused, naming both and any required column its header lacks (a renamed sheet with a column deleted too would
 * otherwise read as no sheet at all). 单位, one column, is left out: a sheet of her own listing 单位名称 is no sign of a
 * renamed one.
 */
function renamedSheet(wb: ExcelJS.Workbook, read: ReadonlyMap<string, ExcelJS.Worksheet>): void {
  for (const [name, columns] of rowSheets) {
    if (read.has(name)) continue;
    const headers = columns.map((c) => c.header);
    const required = columns.filter((c) => 'required' in c && c.required).map((c) => c.header);
    for (const ws of wb.worksheets) {
      if (!otherSheet(ws, read)) continue;
      const candidates = [...headerCandidates(ws)].map(([, found]) => found);
      if (candidates.some((found) => required.every((h) => found.has(h)))) {
        throw new ImportFileError(`工作簿中没有“${name}”表，而“${ws.name}”表的表头正是“${name}”表的列：导入只读取名为“${name}”的表，请把“${ws.name}”改名为“${name}”后再发给我。`);
      }
      // the header row holding the most of this sheet's columns
      const held = (found: Map<string, number>) => headers.filter((h) => found.has(h)).length;
      const best = candidates.reduce<Map<string, number> | undefined>((a, b) => (!a || held(b) > held(a) ? b : a), undefined);
      // two of 荣誉's three columns are also a statistics table's (获奖统计: 年度, 称号, 数量): a 荣誉 sheet names its teams
      const names = (found: Map<string, number>) => name !== importSheetNames.honours || found.has(honourColumns[0].header);
      if (best && held(best) * 2 > headers.length && names(best)) {
        const missing = required.filter((h) => !best.has(h));
        throw new ImportFileError(
          `工作簿中没有“${name}”表，而“${ws.name}”表的表头有“${name}”表的大部分列，像是改了名的“${name}”表，但缺少列：${missing.join('、')}。导入只读取名为“${name}”的表：请把“${ws.name}”改名为“${name}”，并按导入模板（管理 → 导入 → 下载导入模板）补上缺少的列后再发给我。`,
        );
      }
    }
  }
}

/** A sheet the import does not read, nor the template's guide: one of her own, a copy, a renamed one. */
const otherSheet = (ws: ExcelJS.Worksheet, read: ReadonlyMap<string, ExcelJS.Worksheet>) => ![...read.values()].includes(ws) && sheetKey(ws.name) !== importSheetNames.guide;

/** A file that is no import workbook at all (not xlsx, no known sheet, a sheet without its columns). */
export class ImportFileError extends Error {}

/**
 * Sheets the import does not read although their header is a template sheet's (Excel's copy “班组 (2)”, an older list
 * kept beside), and a sheet read that Excel hides: the preview says so, as what she sees in Excel is not what is read.
 */
function sheetNotes(wb: ExcelJS.Workbook, read: ReadonlyMap<string, ExcelJS.Worksheet>): string[] {
  const notes: string[] = [];
  for (const [name, columns] of rowSheets) {
    if (!read.has(name)) continue;
    const required = columns.filter((c) => 'required' in c && c.required).map((c) => c.header);
    const alike = wb.worksheets.filter((ws) => otherSheet(ws, read) && [...headerCandidates(ws)].some(([, found]) => required.every((h) => found.has(h))));
    if (alike.length) {
      const names = alike.map((ws) => `“${ws.name}”`).join('');
      notes.push(`${names}表的表头与“${name}”表相同，但导入只读取名为“${name}”的表，${names}中的行未读取：如要导入，请把这些行移到“${name}”表中。`);
    }
  }
  for (const [name, ws] of read) {
    if (ws.state !== 'visible' && ws.actualRowCount) notes.push(`读取的“${name}”表在 Excel 中是隐藏的（右键任一工作表标签 →“取消隐藏”可查看）：请确认它就是要导入的表。`);
  }
  return notes;
}

/** The start of a compound file (an old .xls, or an .xlsx Excel encrypted with an opening password): no zip to read. */
const OLE_SIGNATURE = Buffer.from('d0cf11e0a1b11ae1', 'hex');

export async function readImportWorkbook(bytes: Buffer): Promise<ImportWorkbook> {
  if (bytes.subarray(0, 4).equals(OLE_SIGNATURE.subarray(0, 4))) {
    throw new ImportFileError('文件设置了打开密码，或是旧版 .xls 格式：请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码），或“另存为” .xlsx 后重新发送。');
  }
  const known = Object.values(importSheetNames).filter((n) => n !== importSheetNames.guide);
  // the sheets read, each within its limits, and of any other sheet its first rows: nothing more is given to exceljs
  const prepared = await prepareWorkbook(bytes, [...known, STAMP_SHEET], HEADER_SEARCH_ROWS);
  if ('refused' in prepared) throw new ImportFileError(prepared.refused);
  const unreadable = new ImportFileError('无法读取该文件：请发送 .xlsx 格式的导入工作簿（可先下载导入模板）。');
  if ('unreadable' in prepared) throw unreadable;
  const { emptyResults } = prepared;
  const { default: Excel } = await loadExcel();
  const wb = new Excel.Workbook();
  try {
    await wb.xlsx.load(prepared.bytes as unknown as ArrayBuffer);
  } catch {
    throw unreadable;
  }
  const sheets = new Map<string, ExcelJS.Worksheet>();
  for (const [name, sheetName] of sheetsNamed(wb.worksheets.map((ws) => ws.name), known)) sheets.set(name, wb.getWorksheet(sheetName)!);
  renamedSheet(wb, sheets);
  if (!sheets.size) throw new ImportFileError(`工作簿中没有“${known.join('”“')}”中的任何一张表。请使用导入模板。`);
  const notes = sheetNotes(wb, sheets);
  const read: ImportWorkbook = {
    organizations: readSheet(sheets.get(importSheetNames.organizations), importSheetNames.organizations, organizationColumns, notes, emptyResults.get(importSheetNames.organizations)),
    teams: readSheet(sheets.get(importSheetNames.teams), importSheetNames.teams, teamColumns, notes, emptyResults.get(importSheetNames.teams)),
    experts: readSheet(sheets.get(importSheetNames.experts), importSheetNames.experts, expertColumns, notes, emptyResults.get(importSheetNames.experts)),
    honours: readSheet(sheets.get(importSheetNames.honours), importSheetNames.honours, honourColumns, notes, emptyResults.get(importSheetNames.honours)),
  };
  if (notes.length) read.notes = notes;
  const stamp = wb.worksheets.find((ws) => ws.name === STAMP_SHEET);
  const cells = (n: number) => Array.from({ length: 6 }, (_, c) => cellText(stamp!.getRow(n).getCell(c + 1).value));
  const exported = stamp && readStamp(Array.from({ length: stamp.rowCount }, (_, i) => cells(i + 1)));
  if (exported) read.exported = exported;
  return read;
}

function addSheet(wb: ExcelJS.Workbook, name: string, columns: readonly ColumnSpec[], rows: readonly Record<string, unknown>[]): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.required ? `${c.header}*` : c.header, key: c.key, width: c.width }));
  ws.getRow(1).font = { bold: true };
  ws.addRows(rows as Record<string, unknown>[]);
  return ws;
}

/**
 * Excel's check on a column's template rows, as one range: set cell by cell, exceljs sorts the addresses as text
 * (C10 before C2) and writes two overlapping ranges, C10:C1001 and C2:C1001, which Excel offers to repair.
 */
function validate(ws: ExcelJS.Worksheet, columns: readonly ColumnSpec[], key: string, validation: ExcelJS.DataValidation, rows = TEMPLATE_ROWS): void {
  const letter = columnLetter(columns.findIndex((c) => c.key === key) + 1);
  // exceljs's typings lack the worksheet's dataValidations, which take a range as one address
  (ws as unknown as { dataValidations: { add(range: string, validation: ExcelJS.DataValidation): void } }).dataValidations.add(`${letter}2:${letter}${rows + 1}`, validation);
}

const whole = (min: number, max: number, title: string): ExcelJS.DataValidation => ({
  type: 'whole',
  operator: 'between',
  allowBlank: true,
  formulae: [min, max],
  showErrorMessage: true,
  errorTitle: title,
  error: `${title}须为 ${min}–${max} 的整数`,
});

/** The template's example row of each sheet (its row 2). */
export const templateExamples = {
  organizations: { name: '广州市市政工程有限公司' },
  teams: {
    code: 'GDSZ-2024-0001',
    name: '市政养护一班',
    organization: '广州市市政工程有限公司',
    type: teamTypeLabels[0],
    leader: '13800000001',
    leaderName: '张班长',
    contact: 'li.lianxiren@example.com',
    contactName: '李联系人',
    registeredAt: new Date(Date.UTC(2024, 2, 15)),
    memberCount: 12,
    department: '养护部',
  },
  experts: { name: '陈专家', person: '13800000003', organization: '广州市市政工程有限公司', specialities: '道路、桥梁', maxLoad: 10 },
  honours: { team: 'GDSZ-2024-0001', year: 2025, title: '广东省市政工程质量信得过班组' },
} as const satisfies { [K in ImportSheet]: Record<keyof Omit<ImportWorkbook[K][number], 'row' | 'unreadable'>, unknown> };

/**
 * Whether a row read from a sheet is that sheet's example row left as it was: the guide asks to delete it, and one
 * left in would add a team, an expert or a title nobody has.
 */
export function isTemplateExample<K extends ImportSheet>(sheet: K, row: ImportWorkbook[K][number]): boolean {
  const example = templateExamples[sheet] as Record<string, ExcelJS.CellValue>;
  return Object.entries(example).every(([key, value]) => (row as unknown as Record<string, string>)[key] === cellText(value));
}

/** The template's 说明 sheet: how to fill it and send it back. */
export const templateGuide = [
  '质量信得过班组导入模板：填写后将文件发给机器人（或 npm run import -- 文件.xlsx），先预览再确认导入。',
  '带 * 的列必填。每张表的第 2 行是示例，导入前请删除或改成真实数据。',
  '单位：所有班组、专家的所属单位须先列在“单位”表中（或已在机器人中登记），否则该行会被拒绝。',
  '班组：已有编号的请填写原编号，空着则按注册年份分配 GDSZ-年份-序号；注册日期保留原日期（第十六条：注册满一年后方可参加评选）。',
  '人员：填写飞书账号绑定的手机号或邮箱（飞书企业邮箱无法查找，请改填手机号或飞书账号绑定的邮箱）；暂时查不到的人员会先保留，他们第一次给机器人发消息时自动关联。',
  '专家：已在机器人中的专家，专业特长、评审上限留空则保留原值；专业特长填“无”清空，评审上限填“不限”（或 0）取消上限。',
  '荣誉：班组可填编号或名称；同一班组同一年度只能有一条。',
  '同一文件重复导入不会产生任何变化；已存在的班组、专家按文件内容更新。',
];

/** The rows of each sheet of an import workbook, as cell values (a date a Date, a number a number). */
export type ImportSheetRows = { [K in ImportSheet]: readonly Record<string, unknown>[] };

/** A filled template: its 说明 lines and rows (the template's are its guide and example rows; 导出当前名册's the register). */
export interface ImportWorkbookContent {
  guide: readonly string[];
  rows: ImportSheetRows;
  /** cell notes (Excel's 批注) by sheet, row number and column key: what the file could not fill and why */
  notes?: { sheet: ImportSheet; row: number; key: string; text: string }[];
  created?: Date;
  /** 导出当前名册's stamp, in a sheet of its own that Excel does not show */
  stamp?: ExportStamp;
}

/** The template an administrator fills: the columns, Excel's own checks on each, and one example row per sheet. */
export async function importTemplate(): Promise<Buffer> {
  return writeImportWorkbook({
    guide: templateGuide,
    rows: { organizations: [templateExamples.organizations], teams: [templateExamples.teams], experts: [templateExamples.experts], honours: [templateExamples.honours] },
    created: new Date(Date.UTC(2026, 0, 1)),
  });
}

/**
 * An import workbook in the template's form (its sheets, headers, widths, formats and Excel's checks), holding `content`:
 * what the template and 导出当前名册 both write, so a register exported is a file the import reads as it was written.
 */
export async function writeImportWorkbook(content: ImportWorkbookContent): Promise<Buffer> {
  const { default: Excel } = await loadExcel();
  const wb = new Excel.Workbook();
  wb.creator = '质量信得过班组助手';
  wb.created = content.created ?? new Date();
  // Excel's checks cover the rows written and 200 empty ones below for rows she adds (the template's 1 000 at least)
  const checked = (sheet: ImportSheet) => Math.max(TEMPLATE_ROWS, content.rows[sheet].length + 200);

  const guide = wb.addWorksheet(importSheetNames.guide);
  guide.columns = [{ width: 100 }];
  for (const line of content.guide) guide.addRow([line]);

  const orgs = addSheet(wb, importSheetNames.organizations, organizationColumns, content.rows.organizations);
  orgs.getColumn(1).width = 36;

  const teams = addSheet(wb, importSheetNames.teams, teamColumns, content.rows.teams);
  const orgList: ExcelJS.DataValidation = {
    type: 'list',
    allowBlank: false,
    formulae: [`${importSheetNames.organizations}!$A$2:$A$${checked('organizations') + 1}`],
    showErrorMessage: true,
    errorTitle: '所属单位',
    error: '请先在“单位”表中列出该单位',
  };
  validate(teams, teamColumns, 'organization', orgList, checked('teams'));
  validate(teams, teamColumns, 'type', {
    type: 'list',
    allowBlank: false,
    formulae: [`"${teamTypeLabels.join(',')}"`],
    showErrorMessage: true,
    errorTitle: '班组类型',
    error: `班组类型须为 ${teamTypeLabels.join('、')} 之一（第二条）`,
  }, checked('teams'));
  validate(teams, teamColumns, 'registeredAt', {
    type: 'date',
    operator: 'between',
    allowBlank: false,
    formulae: [new Date(`${EARLIEST_REGISTRATION}T00:00:00Z`), new Date(Date.UTC(2100, 11, 31))],
    showErrorMessage: true,
    errorTitle: '注册日期',
    error: '注册日期须为日期，如 2024-03-15',
  }, checked('teams'));
  validate(teams, teamColumns, 'memberCount', whole(1, 500, '成员人数'), checked('teams'));
  teams.getColumn('registeredAt').numFmt = 'yyyy-mm-dd';

  const experts = addSheet(wb, importSheetNames.experts, expertColumns, content.rows.experts);
  validate(experts, expertColumns, 'organization', orgList, checked('experts'));
  // 1–500, or 不限 / 无 / 无上限 / 无限 / 0 for no limit (src/review/experts.ts noLimitTyped); the formula is the range's first cell's.
  // INT of a text is #VALUE!, and Excel's OR and AND pass an error on whatever else holds: IF tests a number only as one
  const load = `${columnLetter(expertColumns.findIndex((c) => c.key === 'maxLoad') + 1)}2`;
  validate(experts, expertColumns, 'maxLoad', {
    type: 'custom',
    allowBlank: true,
    formulae: [`IF(ISNUMBER(${load}),AND(${load}=INT(${load}),${load}>=0,${load}<=500),OR(${load}="不限",${load}="无",${load}="无上限",${load}="无限"))`],
    showErrorMessage: true,
    errorTitle: '评审上限',
    error: '评审上限须为 1–500 的整数；填“不限”或 0 为不限，留空则不变',
  }, checked('experts'));

  const honours = addSheet(wb, importSheetNames.honours, honourColumns, content.rows.honours);
  validate(honours, honourColumns, 'year', whole(1990, 2100, '年度'), checked('honours'));

  const sheets = { organizations: orgs, teams, experts, honours };
  const columnsOf = { organizations: organizationColumns, teams: teamColumns, experts: expertColumns, honours: honourColumns };
  for (const n of content.notes ?? []) {
    const col = (columnsOf[n.sheet] as readonly ColumnSpec[]).findIndex((c) => c.key === n.key) + 1;
    const cell = sheets[n.sheet].getRow(n.row).getCell(col);
    // a note on a cell with no value (a person none known): exceljs writes the note but no cell without a style, so the
    // file read back (exceljs keeps a note only on a cell it reads) would lose it; a cell styled and valueless is
    // written as one, which Excel's 定位条件→空值 and COUNTA still see empty. Text, as a mobile typed into it should be
    if (cell.value === null) cell.numFmt = '@';
    cell.note = n.text;
  }
  if (content.stamp) {
    const stamp = wb.addWorksheet(STAMP_SHEET, { state: 'veryHidden' });
    stamp.addRows(stampRows(content.stamp));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
