import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { importYear } from '../src/import/plan.js';
import { ImportFileError, importTemplate, MAX_SHEET_CELLS, MAX_SHEET_FILLED_ROWS, MAX_SHEET_ROWS, readImportWorkbook, unreadableProblem } from '../src/import/workbook.js';
import { prepareWorkbook } from '../src/import/xlsxParts.js';
import { bigWorkbook, letters } from './support/bigWorkbook.js';

/** Reading the administrators' workbook as a secretary fills it in Excel: nothing read other than she sees it. */
const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];
const ROW = ['', '养护一班', '广州市政公司', '行政班组', '13800000001', '张', 'li@example.com', '李', '2024-01-10', 10, ''];
const row = (over: Record<number, unknown> = {}) => {
  const r = [...ROW] as unknown[];
  for (const [k, v] of Object.entries(over)) r[Number(k)] = v;
  return r;
};

async function book(rows: unknown[][], opts: { header?: string[]; edit?: (wb: ExcelJS.Workbook, ws: ExcelJS.Worksheet) => void } = {}): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
  const ws = wb.addWorksheet('班组');
  ws.addRow(opts.header ?? HEADER);
  for (const r of rows) ws.addRow(r);
  opts.edit?.(wb, ws);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const refusal = async (bytes: Buffer) => {
  const err = await readImportWorkbook(bytes).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImportFileError);
  return (err as Error).message;
};

describe('reading the import workbook', () => {
  it('refuses a sheet where two columns read as one field, naming both as typed and their letters', async () => {
    expect(await refusal(await book([row({ 11: '2019-05-01' })], { header: [...HEADER, '注册日期（原系统）'] }))).toBe(
      '“班组”表第 1 行的表头中，I 列“注册日期*”与 L 列“注册日期（原系统）”两列都读作“注册日期”：请删除或改名其中一列（如改为“原注册日期”），再重新发送。',
    );
    expect(await refusal(await book([row({ 11: 8 })], { header: [...HEADER, '成员人数（2023年）'] }))).toContain('J 列“成员人数*”与 L 列“成员人数（2023年）”两列都读作“成员人数”');
    // a column of her own that names no field stays hers; the template's headers with a note after a line break still read
    const noted = HEADER.map((h) => (h === '班组名称*' ? '班组名称*\n（必填，不超过 50 字）' : h === '注册日期*' ? '注册日期*\n格式 2024-03-15' : h));
    const read = await readImportWorkbook(await book([row({ 11: '旧系统' })], { header: [...noted, '备注'] }));
    expect(read.teams[0]).toMatchObject({ name: '养护一班', registeredAt: '2024-01-10' });
    // the template itself reads as before
    expect((await readImportWorkbook(await importTemplate())).teams).toHaveLength(1);
  });

  it('drops invisible characters and line breaks inside cells: one team, one mobile', async () => {
    const read = await readImportWorkbook(
      await book([
        row({ 1: '养护一班\u200b', 4: '13900000003\u200b', 2: '\ufeff广州市政公司' }),
        row({ 1: '养护\n二班', 4: '139\n0000\n0004', 5: '张\r\n三', 0: 'GDSZ-2024-\n0007' }),
        row({ 1: 'Road\nTeam', 4: '13900000005\u2060' }),
      ]),
    );
    expect(read.teams.map((t) => [t.name, t.organization, t.leader, t.leaderName, t.code])).toEqual([
      ['养护一班', '广州市政公司', '13900000003', '张', ''],
      ['养护二班', '广州市政公司', '13900000004', '张三', 'GDSZ-2024-0007'],
      ['Road Team', '广州市政公司', '13900000005', '张', ''],
    ]);
  });

  it('drops every format character a card drops (typedText): an organisation with a bidi override or an isolate is the one typed in a card', async () => {
    const read = await readImportWorkbook(
      await book([row({ 2: '广州\u202e市政公司\u202c', 7: '\u2066李\u2069', 6: 'li@example.com\u200e' }), row({ 1: '养护\u00ad二班', 2: '\u2060广州市政公司\u2060' })], {
        edit: (wb) => wb.getWorksheet('单位')!.addRow(['\u202d广州市政公司\u202c\u2060']),
      }),
    );
    expect(read.organizations.map((o) => o.name)).toEqual(['广州市政公司', '广州市政公司']);
    expect(read.teams.map((t) => [t.name, t.organization, t.contact, t.contactName])).toEqual([
      ['养护一班', '广州市政公司', 'li@example.com', '李'],
      ['养护二班', '广州市政公司', 'li@example.com', '李'],
    ]);
  });

  it('marks a formula without a computed result and an error cell, instead of reading them as empty or [object Object]', async () => {
    const read = await readImportWorkbook(
      await book([row({ 9: { formula: 'SUM(K2:K3)' } }), row({ 1: '养护二班', 9: { error: '#N/A' } }), row({ 1: '养护三班', 9: { formula: 'A1/0', result: { error: '#DIV/0!' } } }), row({ 1: '养护四班', 9: { formula: '10+2', result: 12 } })]),
    );
    expect(read.teams.map((t) => [t.memberCount, t.unreadable])).toEqual([
      ['', [{ column: '成员人数', error: '' }]],
      ['', [{ column: '成员人数', error: '#N/A' }]],
      ['', [{ column: '成员人数', error: '#DIV/0!' }]],
      ['12', undefined],
    ]);
  });

  it('reads a formula showing an empty cell, 0 or FALSE as Excel shows it: formulas filled down past the rows are empty rows', async () => {
    const lookup = (r: number) => ({ formula: `IF(B${r}="","",VLOOKUP(B${r},名册!A:B,2,0))`, result: '' });
    const bytes = await book([
      row({ 10: lookup(2) }),
      row({ 1: '养护二班', 9: { formula: 'COUNTIF(名册!C:C,"养护二班")', result: 0 }, 10: { formula: 'ISBLANK(A3)', result: false } }),
      // the name itself looked up, and nothing found
      row({ 1: { formula: 'IF(A4="","",A4)', result: '' } }),
      // the rows below her data, every column a formula showing nothing
      ...[5, 6, 7].map((r) => [lookup(r), { formula: `IF(A${r}="","",A${r})`, result: '' }, '', '', '', '', '', '', '', '', lookup(r)]),
    ]);
    // the file holds the empty result as Excel writes it
    const { strFromU8, unzipSync } = await import('fflate');
    const sheet = strFromU8(unzipSync(new Uint8Array(bytes))['xl/worksheets/sheet2.xml']);
    expect(sheet).toMatch(/<c r="K2"[^>]*t="str"[^>]*><f>[^<]*<\/f><v><\/v><\/c>/);
    const read = await readImportWorkbook(bytes);
    expect(read.teams.map((t) => [t.row, t.name, t.memberCount, t.department, t.unreadable])).toEqual([
      [2, '养护一班', '10', '', undefined],
      [3, '养护二班', '0', 'false', undefined],
      [4, '', '10', '', undefined],
    ]);
    expect(read.notes).toBeUndefined();
  });

  it('tells a password-protected workbook or an old .xls by its first bytes', async () => {
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(4096)]);
    const message = await refusal(ole);
    expect(message).toContain('文件设置了打开密码，或是旧版 .xls 格式');
    expect(message).toContain('另存为” .xlsx 后重新发送');
  });

  it('skips rows holding only values dragged down, saying so in one note', async () => {
    const read = await readImportWorkbook(await book([row(), ...Array.from({ length: 5 }, () => ['', '', '广州市政公司', '行政班组']), row({ 1: '养护二班' })]));
    expect(read.teams.map((t) => t.row)).toEqual([2, 8]);
    expect(read.notes).toEqual(['“班组”表 5 行（第 3–7 行）没有班组名称、班组编号和人员，只有其他列的值（如向下拖动填充的），按空行跳过。']);
    // a row whose name is a formula without a result is not passed over as one without a name
    const formula = await readImportWorkbook(await book([['', { formula: 'B1' }, '广州市政公司', '行政班组']]));
    expect(formula.teams).toHaveLength(1);
    expect(formula.notes).toBeUndefined();
  });

  it('notes a sheet with the 班组 header that is not read, and a hidden 班组 sheet that is', async () => {
    const copy = await readImportWorkbook(
      await book([row()], {
        edit: (wb) => {
          const c = wb.addWorksheet('班组 (2)');
          c.addRows([HEADER, row({ 1: '养护九班' })]);
        },
      }),
    );
    expect(copy.teams.map((t) => t.name)).toEqual(['养护一班']);
    expect(copy.notes).toEqual(['“班组 (2)”表的表头与“班组”表相同，但导入只读取名为“班组”的表，“班组 (2)”中的行未读取：如要导入，请把这些行移到“班组”表中。']);

    const hidden = await readImportWorkbook(
      await book([row()], {
        edit: (wb, ws) => {
          ws.state = 'hidden';
          wb.addWorksheet('班组名单').addRows([HEADER, row({ 1: '新班组' })]);
        },
      }),
    );
    expect(hidden.notes).toEqual([
      '“班组名单”表的表头与“班组”表相同，但导入只读取名为“班组”的表，“班组名单”中的行未读取：如要导入，请把这些行移到“班组”表中。',
      '读取的“班组”表在 Excel 中是隐藏的（右键任一工作表标签 →“取消隐藏”可查看）：请确认它就是要导入的表。',
    ]);
  });

  it(`refuses a sheet of more than ${MAX_SHEET_ROWS} rows`, async () => {
    const many = Array.from({ length: MAX_SHEET_ROWS + 1 }, (_, i) => row({ 1: `养护${i}班` }));
    expect(await refusal(await book(many))).toBe(`“班组”表有 ${MAX_SHEET_ROWS + 1} 行数据，超过每张表 ${MAX_SHEET_ROWS} 行的上限：请分成几个工作簿分别导入（每个不超过 ${MAX_SHEET_ROWS} 行）。`);
    // rows of formatting alone (borders drawn down the sheet) are no rows
    const formatted = await book([row()], {
      edit: (_, ws) => {
        for (let r = 3; r <= MAX_SHEET_ROWS + 100; r++) ws.getCell(r, 2).border = { top: { style: 'thin' } };
      },
    });
    expect((await readImportWorkbook(formatted)).teams).toHaveLength(1);
  });

  it('counts only rows holding data against the limit: a formula column filled down far below the data, showing nothing, is no rows', async () => {
    const filledDown = await book([row()], {
      edit: (_, ws) => {
        for (let r = 3; r <= MAX_SHEET_ROWS + 1001; r++) ws.getCell(r, 11).value = { formula: `IF(B${r}="","",VLOOKUP(B${r},名册!A:B,2,0))`, result: '' } as ExcelJS.CellFormulaValue;
      },
    });
    const read = await readImportWorkbook(filledDown);
    expect(read.teams.map((t) => t.name)).toEqual(['养护一班']);
    expect(read.notes).toBeUndefined();
    // rows showing a value the formula computed are rows of data, counted
    const computed = await book([row()], {
      edit: (_, ws) => {
        for (let r = 3; r <= MAX_SHEET_ROWS + 2; r++) ws.getCell(r, 11).value = { formula: `"工程部"`, result: '工程部' } as ExcelJS.CellFormulaValue;
      },
    });
    expect(await refusal(computed)).toContain(`“班组”表有 ${MAX_SHEET_ROWS + 1} 行数据`);
    // rows kept though the file holds no value for them (a name that is a formula without a result) are counted too
    const uncomputed = await book(Array.from({ length: MAX_SHEET_ROWS + 1 }, (_, i) => [null, { formula: `"养护${i}班"` }]));
    expect(await refusal(uncomputed)).toContain(`“班组”表有 ${MAX_SHEET_ROWS + 1} 行数据`);
    // and a formula filled down the whole column is refused before exceljs reads it
    const wholeColumn = await book([row()], {
      edit: (_, ws) => {
        for (let r = 3; r <= MAX_SHEET_FILLED_ROWS + 2; r++) ws.getCell(r, 11).value = { formula: `IF(B${r}="","",B${r})`, result: '' } as ExcelJS.CellFormulaValue;
      },
    });
    expect(await refusal(wholeColumn)).toBe(
      `“班组”表有 ${MAX_SHEET_FILLED_ROWS + 2} 行填有内容（包括显示为空的公式，如向下填充到数据下方的），超过 ${MAX_SHEET_FILLED_ROWS} 行，无法读取：请删除数据下方多余的行后再发送。`,
    );
  });

  it('reads a header cell merged across two columns as one column, its data in the first', async () => {
    const header = [...HEADER.slice(0, 3), '', ...HEADER.slice(3)];
    const merged = (over: Record<number, unknown> = {}) => {
      const r = row(over);
      return [...r.slice(0, 3), '', ...r.slice(3)];
    };
    const read = await readImportWorkbook(
      await book([merged(), merged({ 1: '养护二班' })], {
        header,
        edit: (_, ws) => {
          ws.mergeCells('C1:D1');
          ws.mergeCells('C2:D2');
        },
      }),
    );
    expect(read.teams.map((t) => [t.name, t.organization, t.type, t.registeredAt])).toEqual([
      ['养护一班', '广州市政公司', '行政班组', '2024-01-10'],
      ['养护二班', '广州市政公司', '行政班组', '2024-01-10'],
    ]);
    // two columns typed with one name are still two
    expect(await refusal(await book([merged()], { header: [...HEADER.slice(0, 3), '所属单位', ...HEADER.slice(3)] }))).toContain('C 列“所属单位*”与 D 列“所属单位”两列都读作“所属单位”');
  });

  it('reads a 年度 typed into a date cell showing only its year as that year, not as the first of January', async () => {
    const read = await readImportWorkbook(
      await book([row()], {
        edit: (wb) => {
          const ws = wb.addWorksheet('荣誉');
          ws.addRows([
            ['班组编号或名称*', '年度*', '称号*'],
            ['养护一班', new Date(Date.UTC(2025, 0, 1)), '广东省市政工程质量信得过班组'],
            ['养护一班', new Date(Date.UTC(2024, 11, 31, 23)), '广东省市政工程质量信得过班组'],
            ['养护一班', { formula: 'DATE(2023,1,1)', result: new Date(Date.UTC(2023, 0, 1)) }, '广东省市政工程质量信得过班组'],
            ['养护一班', 2022, '广东省市政工程质量信得过班组'],
          ]);
          ws.getCell('B2').numFmt = 'yyyy';
          ws.getCell('B3').numFmt = 'yyyy"年"';
          ws.getCell('B4').numFmt = 'yyyy';
        },
      }),
    );
    expect(read.honours.map((h) => h.year)).toEqual(['2025', '2024', '2023', '2022']);
    expect(read.honours.map((h) => importYear(h.year, 2026))).toEqual([2025, 2024, 2023, 2022]);
    // a 注册日期 is still a date
    expect(read.teams[0].registeredAt).toBe('2024-01-10');
  });

  it('reads a list pasted over the template\'s date column as typed: 20240301 is that day, a mobile no date holds is named, not a crash', async () => {
    // her own columns pasted as values over the template's 班组 sheet: column I keeps its yyyy-mm-dd format
    const bytes = await book([row({ 8: 20240301 }), row({ 1: '养护二班', 8: 13800138000 })], { edit: (_wb, ws) => (ws.getColumn(9).numFmt = 'yyyy-mm-dd') });
    const read = await readImportWorkbook(bytes);
    expect(read.teams[0].registeredAt).toBe('20240301');
    expect(read.teams[0].unreadable).toBeUndefined();
    expect(unreadableProblem(read.teams[1])).toBe('“注册日期”所在的列设成了日期格式，填的数字读不成日期：请把该列设为“常规”或“文本”后重填');
  });

  it('reads past a statistics sheet of her own with 年度 and 称号 (获奖统计), which names no team, instead of taking it for a renamed 荣誉', async () => {
    const bytes = await book([row()], { edit: (wb) => wb.addWorksheet('获奖统计').addRows([['年度', '称号', '数量'], [2021, '信得过班组', 3]]) });
    const read = await readImportWorkbook(bytes);
    expect(read.teams.map((t) => t.name)).toEqual(['养护一班']);
    expect(read.honours).toEqual([]);
    // a renamed 荣誉 sheet is still recognised by the column naming its teams
    expect(await refusal(await book([row()], { edit: (wb) => wb.addWorksheet('历年荣誉').addRows([['班组编号或名称', '年度'], ['养护一班', 2021]]) }))).toContain('像是改了名的“荣誉”表');
  });

  it('refuses a 班组编号 that is a number Excel shows through a format (1 shown as GDSZ-2024-0001), naming the column', async () => {
    const bytes = await book([row({ 0: 1 }), row({ 0: 12, 1: '养护二班' }), row({ 0: 'GDSZ-2024-0003', 1: '养护三班' })], {
      edit: (_wb, ws) => {
        ws.getCell('A2').numFmt = '"GDSZ-2024-"0000';
        ws.getCell('A3').numFmt = '0000';
      },
    });
    const read = await readImportWorkbook(bytes);
    const problem = '“班组编号”填的是数字，Excel 按单元格格式把它显示成编号，导入读到的只是数字：请把该列设为“文本”，填上完整的班组编号（如 GDSZ-2024-0001）后重发';
    expect(read.teams.map((t) => unreadableProblem(t))).toEqual([problem, problem, undefined]);
  });

  it('reads a header with a note in 【】 or [] as its column', async () => {
    const header = HEADER.map((h) => (h === '班组长手机或邮箱*' ? '班组长手机或邮箱【必填】' : h === '成员人数*' ? '成员人数[人]' : h));
    const read = await readImportWorkbook(await book([row()], { header }));
    expect(read.teams[0]).toMatchObject({ leader: '13800000001', memberCount: '10' });
  });

  it('reads a sheet whose name has a space after it, or is typed in full width, as the sheet of that name', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位\u3000').addRows([['单位名称*'], ['广州市政公司']]);
    const teams = wb.addWorksheet('班组 ');
    teams.addRows([HEADER, row(), row({ 1: '养护二班', 10: { formula: 'IF(B3="","",VLOOKUP(B3,名册!A:B,2,0))', result: '' } })]);
    // a copy of the 班组 sheet kept beside it is still a sheet not read
    wb.addWorksheet('班组 (2)').addRows([HEADER, row({ 1: '养护九班' })]);
    const read = await readImportWorkbook(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(read.organizations.map((o) => o.name)).toEqual(['广州市政公司']);
    expect(read.teams.map((t) => [t.row, t.name, t.department, t.unreadable])).toEqual([
      [2, '养护一班', '', undefined],
      [3, '养护二班', '', undefined],
    ]);
    expect(read.notes).toEqual(['“班组 (2)”表的表头与“班组”表相同，但导入只读取名为“班组”的表，“班组 (2)”中的行未读取：如要导入，请把这些行移到“班组”表中。']);

    // where both are there, the one of that very name is read, and the other is a sheet not read
    const both = new ExcelJS.Workbook();
    both.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
    both.addWorksheet('班组 ').addRows([HEADER, row({ 1: '旧班组' })]);
    both.addWorksheet('班组').addRows([HEADER, row()]);
    const second = await readImportWorkbook(Buffer.from(await both.xlsx.writeBuffer()));
    expect(second.teams.map((t) => t.name)).toEqual(['养护一班']);
    expect(second.notes).toEqual(['“班组 ”表的表头与“班组”表相同，但导入只读取名为“班组”的表，“班组 ”中的行未读取：如要导入，请把这些行移到“班组”表中。']);
  });

  it('reads a header of two rows: columns merged down over both, and a group named above the columns it holds', async () => {
    // 所属单位 merged over two columns and two rows; 班组长 and 单位联系人 each over their two columns
    const top = ['班组编号', '班组名称*', '所属单位*', '', '班组类型*', '班组长', '', '单位联系人', '', '注册日期*', '成员人数*', '主管部门'];
    const second = ['', '', '', '', '', '手机或邮箱*', '姓名', '手机或邮箱*', '姓名', '', '', ''];
    const named = ['', '', '', '', '', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '', '', ''];
    const data = (name: string, leader: string) => ['GDSZ-2024-0007', name, '广州市政公司', '', '行政班组', leader, '张', 'li@example.com', '李', '2024-01-10', 10, '养护部'];
    const twoRows = async (under: string[]) => {
      const wb = new ExcelJS.Workbook();
      wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
      const ws = wb.addWorksheet('班组');
      ws.addRows([top, under, data('养护一班', '13800000001'), data('养护二班', '13800000002')]);
      for (const range of ['A1:A2', 'B1:B2', 'C1:D2', 'E1:E2', 'F1:G1', 'H1:I1', 'J1:J2', 'K1:K2', 'L1:L2']) ws.mergeCells(range);
      return Buffer.from(await wb.xlsx.writeBuffer());
    };
    const read = await readImportWorkbook(await twoRows(named));
    expect(read.teams.map((t) => [t.row, t.code, t.name, t.organization, t.type, t.leader, t.leaderName, t.contact, t.contactName, t.registeredAt, t.memberCount, t.department])).toEqual([
      [3, 'GDSZ-2024-0007', '养护一班', '广州市政公司', '行政班组', '13800000001', '张', 'li@example.com', '李', '2024-01-10', '10', '养护部'],
      [4, 'GDSZ-2024-0007', '养护二班', '广州市政公司', '行政班组', '13800000002', '张', 'li@example.com', '李', '2024-01-10', '10', '养护部'],
    ]);
    expect(read.notes).toBeUndefined();
    // the columns under a group named only 手机或邮箱 are no template column: the template's names are asked for
    expect(await refusal(await twoRows(second))).toContain('的表头缺少列：班组长手机或邮箱、单位联系人手机或邮箱。请按导入模板');
  });

  it('reads rows hidden in Excel (by hand or by a filter), naming them in one note', async () => {
    const read = await readImportWorkbook(
      await book([row(), row({ 1: '养护二班（已撤销）' }), row({ 1: '养护三班' }), row({ 1: '养护四班' }), row({ 1: '养护五班' }), []], {
        edit: (_, ws) => {
          for (const r of [3, 5, 6, 7]) ws.getRow(r).hidden = true;
        },
      }),
    );
    expect(read.teams.map((t) => t.row)).toEqual([2, 3, 4, 5, 6]);
    expect(read.notes).toEqual(['“班组”表 3 行（第 3、5–6 行）在 Excel 中是隐藏的（隐藏或被筛选掉的行），也已读取：如不要导入，请删除这些行后再发送。']);
  });
});

describe('a workbook heavier than the sheets the import reads', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  /** What exceljs is given to read: the whole of the reading's cost (a cell costs it some 17 µs and a kilobyte). */
  const exceljsLoads = () => vi.spyOn(Object.getPrototypeOf(new ExcelJS.Workbook().xlsx) as { load(data: ArrayBuffer): Promise<unknown> }, 'load');
  /** The most the heap and buffers grew while `work` ran, sampled as it yields. */
  async function peakGrowth<T>(work: () => Promise<T>): Promise<[T, number]> {
    const used = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = used();
    let peak = 0;
    const sample = () => (peak = Math.max(peak, used() - before));
    const timer = setInterval(sample, 5);
    try {
      const out = await work();
      sample();
      return [out, peak];
    } finally {
      clearInterval(timer);
    }
  }
  const inline = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;
  const cells = (r: number, values: unknown[]) => values.map((v, i) => (typeof v === 'number' ? `<c r="${letters(i + 1)}${r}"><v>${v}</v></c>` : v === '' ? '' : inline(`${letters(i + 1)}${r}`, String(v)))).join('');
  const MB = 1024 * 1024;

  it('reads the four sheets beside a sheet of her own of 200 000 rows (9 MB) without reading that sheet: exceljs gets its first rows, and memory stays bounded', async () => {
    const history = bigWorkbook(await book([row(), row({ 1: '养护二班' })]), [
      {
        name: '历史数据',
        rows: 200_000,
        cells: (r, shared) =>
          `<c r="A${r}"><v>${r}</v></c><c r="B${r}" t="s"><v>${shared(`历史记录第${r}行`)}</v></c><c r="C${r}"><v>${45000 + (r % 1000)}</v></c>` +
          `${inline(`D${r}`, `备注${r % 100}`)}<c r="E${r}"><v>${r * 3}</v></c><c r="F${r}" t="s"><v>${shared(`养护${r}班`)}</v></c>`,
      },
    ]);
    expect(history.length).toBeGreaterThan(5 * MB);
    const loads = exceljsLoads();
    const [read, growth] = await peakGrowth(() => readImportWorkbook(history));
    expect(read.teams.map((t) => [t.row, t.name, t.leader])).toEqual([
      [2, '养护一班', '13800000001'],
      [3, '养护二班', '13800000001'],
    ]);
    expect(read.organizations.map((o) => o.name)).toEqual(['广州市政公司']);
    expect(read.notes).toBeUndefined();
    // read once, the sheet of her own cut to its first rows and the strings to those they name
    expect(loads).toHaveBeenCalledTimes(1);
    expect((loads.mock.calls[0][0] as unknown as Uint8Array).byteLength).toBeLessThan(100_000);
    // exceljs took 1.8 GB for it
    expect(growth).toBeLessThan(400 * MB);
  });

  it('reads a 班组 sheet with borders drawn down to row 300 000, and passes over such a sheet of her own: cells holding only a style are not read', async () => {
    const header = (r: number) => cells(r, HEADER);
    const team = (r: number, name: string) => cells(r, ['', name, '广州市政公司', '行政班组', `1380000000${r}`, '张', 'li@example.com', '李', '2024-01-10', 10, '']);
    const bordered = (r: number) => Array.from({ length: 11 }, (_, i) => `<c r="${letters(i + 1)}${r}" s="1"/>`).join('');
    const teams = bigWorkbook(await book([]), [{ part: 'xl/worksheets/sheet2.xml', rows: 300_000, cells: (r) => (r === 1 ? header(r) : r === 2 ? team(r, '养护一班') : r === 4 ? team(r, '养护三班') : bordered(r)) }]);
    expect(teams.length).toBeGreaterThan(5 * MB);
    const loads = exceljsLoads();
    const [read, growth] = await peakGrowth(() => readImportWorkbook(teams));
    expect(read.teams.map((t) => [t.row, t.name, t.leader, t.memberCount])).toEqual([
      [2, '养护一班', '13800000002', '10'],
      [4, '养护三班', '13800000004', '10'],
    ]);
    expect(read.notes).toBeUndefined();
    expect((loads.mock.calls[0][0] as unknown as Uint8Array).byteLength).toBeLessThan(100_000);
    expect(growth).toBeLessThan(400 * MB);

    const formatted = bigWorkbook(await book([row()]), [{ name: '格式', rows: 300_000, cells: bordered }]);
    const [other, otherGrowth] = await peakGrowth(() => readImportWorkbook(formatted));
    expect(other.teams.map((t) => t.name)).toEqual(['养护一班']);
    expect(otherGrowth).toBeLessThan(400 * MB);
  });

  it('refuses at once a sheet read holding more cells than exceljs reads in seconds, or one inflating past what is read, naming it and what to do', async () => {
    const columns = 101;
    const rows = Math.ceil(MAX_SHEET_CELLS / columns) + 1;
    const wide = bigWorkbook(await book([]), [{ part: 'xl/worksheets/sheet2.xml', rows, cells: (r) => cells(r, Array.from({ length: columns }, (_, i) => r * columns + i)) }]);
    expect(await refusal(wide)).toBe(
      `“班组”表有 ${rows * columns} 个填有内容的单元格（包括公式和合并的单元格），超过 ${MAX_SHEET_CELLS} 个，无法读取：请删除数据下方和右侧多余的行和列（选中后右键“删除”），或把数据粘贴到新的导入模板中，再发送。`,
    );
    // a part inflating past what is ever read (256 MB; here 1 MB, of rows padded with spaces) is refused as it gets there
    const padded = bigWorkbook(await book([]), [{ part: 'xl/worksheets/sheet2.xml', rows: 30, cells: (r) => (r === 1 ? cells(1, HEADER) : ' '.repeat(64 * 1024)) }]);
    expect(await prepareWorkbook(padded, ['单位', '班组'], 10, MB)).toEqual({
      refused: '“班组”表过大（解压后超过 1 MB），无法读取：请删除数据下方和右侧多余的行和列（选中后右键“删除”），或把数据粘贴到新的导入模板中，再发送。',
    });
    expect(await prepareWorkbook(padded, ['单位', '班组'], 10, 4 * MB)).toMatchObject({ emptyResults: expect.any(Map) });
  });
});

