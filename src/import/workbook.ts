import type ExcelJS from 'exceljs';
import { teamTypes } from '../teams.js';

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
export type SheetRow<C extends readonly ColumnSpec[]> = { row: number } & Record<Keys<C>, string>;
export type TeamRow = SheetRow<typeof teamColumns>;
export type ExpertRow = SheetRow<typeof expertColumns>;
export type HonourRow = SheetRow<typeof honourColumns>;
export type OrganizationRow = SheetRow<typeof organizationColumns>;

export interface ImportWorkbook {
  organizations: OrganizationRow[];
  teams: TeamRow[];
  experts: ExpertRow[];
  honours: HonourRow[];
}

/** Rows of the template that carry validations; a longer list still imports, unchecked by Excel. */
export const TEMPLATE_ROWS = 1000;
export const teamTypeLabels = teamTypes.map((t) => t.label);

/** Cell text as the user sees it: dates as YYYY-MM-DD, hyperlinks (Excel makes e-mails links) as their text. */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((r) => r.text).join('').trim();
    if ('hyperlink' in value) return cellText((value as ExcelJS.CellHyperlinkValue).text);
    if ('result' in value) return cellText((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
    if ('error' in value) return '';
  }
  return String(value).trim();
}

const headerKey = (s: string) => s.replace(/[*＊\s]/g, '').replace(/[（(].*$/, '');

/** Rows above the header a secretary may have added (a merged title, a note): the header is looked for among the first ones. */
export const HEADER_SEARCH_ROWS = 10;

function headerColumns(row: ExcelJS.Row): Map<string, number> {
  const at = new Map<string, number>();
  row.eachCell((cell, col) => at.set(headerKey(cellText(cell.value)), col));
  return at;
}

/** The columns of each of a sheet's first rows, where its header may be: [row number, header → column]. */
function* headerCandidates(ws: ExcelJS.Worksheet): Generator<[number, Map<string, number>]> {
  for (let n = 1; n <= Math.min(HEADER_SEARCH_ROWS, ws.rowCount); n++) yield [n, headerColumns(ws.getRow(n))];
}

function readSheet<C extends readonly ColumnSpec[]>(wb: ExcelJS.Workbook, name: string, columns: C): SheetRow<C>[] {
  const ws = wb.getWorksheet(name);
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
  const rows: SheetRow<C>[] = [];
  ws.eachRow((row, n) => {
    if (n <= headerRow) return;
    const values = Object.fromEntries(columns.map((c) => [c.key, at.has(c.header) ? cellText(row.getCell(at.get(c.header)!).value) : ''])) as Record<Keys<C>, string>;
    if (Object.values(values).every((v) => v === '')) return;
    rows.push({ row: n, ...values });
  });
  return rows;
}

/**
 * A sheet of the template she renamed (“班组” to “班组名单”) would be passed over without a word, and its rows with it:
 * a sheet of another name whose header holds every required column of a sheet the file lacks is refused, naming
 * both. 单位, one column, is left out: a sheet of her own listing 单位名称 is no sign of a renamed one.
 */
function renamedSheet(wb: ExcelJS.Workbook, known: string[]): void {
  const sheets = [
    [importSheetNames.teams, teamColumns],
    [importSheetNames.experts, expertColumns],
    [importSheetNames.honours, honourColumns],
  ] as const;
  for (const [name, columns] of sheets) {
    if (wb.getWorksheet(name)) continue;
    const required = columns.filter((c) => 'required' in c && c.required).map((c) => c.header);
    for (const ws of wb.worksheets) {
      if (known.includes(ws.name) || ws.name === importSheetNames.guide) continue;
      if ([...headerCandidates(ws)].some(([, found]) => required.every((h) => found.has(h)))) {
        throw new ImportFileError(`工作簿中没有“${name}”表，而“${ws.name}”表的表头正是“${name}”表的列：导入只读取名为“${name}”的表，请把“${ws.name}”改名为“${name}”后再发给我。`);
      }
    }
  }
}

/** A file that is no import workbook at all (not xlsx, no known sheet, a sheet without its columns). */
export class ImportFileError extends Error {}

export async function readImportWorkbook(bytes: Buffer): Promise<ImportWorkbook> {
  const { default: Excel } = await loadExcel();
  const wb = new Excel.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    throw new ImportFileError('无法读取该文件：请发送 .xlsx 格式的导入工作簿（可先下载导入模板）。');
  }
  const known = Object.values(importSheetNames).filter((n) => n !== importSheetNames.guide);
  renamedSheet(wb, known);
  if (!known.some((n) => wb.getWorksheet(n))) throw new ImportFileError(`工作簿中没有“${known.join('”“')}”中的任何一张表。请使用导入模板。`);
  return {
    organizations: readSheet(wb, importSheetNames.organizations, organizationColumns),
    teams: readSheet(wb, importSheetNames.teams, teamColumns),
    experts: readSheet(wb, importSheetNames.experts, expertColumns),
    honours: readSheet(wb, importSheetNames.honours, honourColumns),
  };
}

function addSheet(wb: ExcelJS.Workbook, name: string, columns: readonly ColumnSpec[], example: Record<string, unknown>): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.required ? `${c.header}*` : c.header, key: c.key, width: c.width }));
  ws.getRow(1).font = { bold: true };
  ws.addRow(example);
  return ws;
}

function validate(ws: ExcelJS.Worksheet, columns: readonly ColumnSpec[], key: string, validation: ExcelJS.DataValidation): void {
  const col = columns.findIndex((c) => c.key === key) + 1;
  for (let r = 2; r <= TEMPLATE_ROWS + 1; r++) ws.getCell(r, col).dataValidation = validation;
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
} as const satisfies { [K in keyof ImportWorkbook]: Record<keyof Omit<ImportWorkbook[K][number], 'row'>, unknown> };

/**
 * Whether a row read from a sheet is that sheet's example row left as it was: the guide asks to delete it, and one
 * left in would add a team, an expert or a title nobody has.
 */
export function isTemplateExample<K extends keyof ImportWorkbook>(sheet: K, row: ImportWorkbook[K][number]): boolean {
  const example = templateExamples[sheet] as Record<string, ExcelJS.CellValue>;
  return Object.entries(example).every(([key, value]) => (row as unknown as Record<string, string>)[key] === cellText(value));
}

/** The template an administrator fills: the columns, Excel's own checks on each, and one example row per sheet. */
export async function importTemplate(): Promise<Buffer> {
  const { default: Excel } = await loadExcel();
  const wb = new Excel.Workbook();
  wb.creator = '质量信得过班组助手';
  wb.created = new Date(Date.UTC(2026, 0, 1));

  const guide = wb.addWorksheet(importSheetNames.guide);
  guide.columns = [{ width: 100 }];
  for (const line of [
    '质量信得过班组导入模板：填写后将文件发给机器人（或 npm run import -- 文件.xlsx），先预览再确认导入。',
    '带 * 的列必填。每张表的第 2 行是示例，导入前请删除或改成真实数据。',
    '单位：所有班组、专家的所属单位须先列在“单位”表中（或已在机器人中登记），否则该行会被拒绝。',
    '班组：已有编号的请填写原编号，空着则按注册年份分配 GDSZ-年份-序号；注册日期保留原日期（第十六条：注册满一年后方可参加评选）。',
    '人员：填写飞书账号绑定的手机号或邮箱；暂时查不到的人员会先保留，他们第一次给机器人发消息时自动关联。',
    '荣誉：班组可填编号或名称；同一班组同一年度只能有一条。',
    '同一文件重复导入不会产生任何变化；已存在的班组、专家按文件内容更新。',
  ]) guide.addRow([line]);

  const orgs = addSheet(wb, importSheetNames.organizations, organizationColumns, templateExamples.organizations);
  orgs.getColumn(1).width = 36;

  const teams = addSheet(wb, importSheetNames.teams, teamColumns, templateExamples.teams);
  const orgList: ExcelJS.DataValidation = {
    type: 'list',
    allowBlank: false,
    formulae: [`${importSheetNames.organizations}!$A$2:$A$${TEMPLATE_ROWS + 1}`],
    showErrorMessage: true,
    errorTitle: '所属单位',
    error: '请先在“单位”表中列出该单位',
  };
  validate(teams, teamColumns, 'organization', orgList);
  validate(teams, teamColumns, 'type', {
    type: 'list',
    allowBlank: false,
    formulae: [`"${teamTypeLabels.join(',')}"`],
    showErrorMessage: true,
    errorTitle: '班组类型',
    error: `班组类型须为 ${teamTypeLabels.join('、')} 之一（第二条）`,
  });
  validate(teams, teamColumns, 'registeredAt', {
    type: 'date',
    operator: 'between',
    allowBlank: false,
    formulae: [new Date(Date.UTC(1990, 0, 1)), new Date(Date.UTC(2100, 11, 31))],
    showErrorMessage: true,
    errorTitle: '注册日期',
    error: '注册日期须为日期，如 2024-03-15',
  });
  validate(teams, teamColumns, 'memberCount', whole(1, 500, '成员人数'));
  teams.getColumn('registeredAt').numFmt = 'yyyy-mm-dd';

  const experts = addSheet(wb, importSheetNames.experts, expertColumns, templateExamples.experts);
  validate(experts, expertColumns, 'organization', orgList);
  validate(experts, expertColumns, 'maxLoad', whole(1, 500, '评审上限'));

  const honours = addSheet(wb, importSheetNames.honours, honourColumns, templateExamples.honours);
  validate(honours, honourColumns, 'year', whole(1990, 2100, '年度'));

  return Buffer.from(await wb.xlsx.writeBuffer());
}
