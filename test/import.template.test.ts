import ExcelJS from 'exceljs';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ImportFileError, importTemplate, readImportWorkbook, TEMPLATE_ROWS } from '../src/import/workbook.js';

describe('the import template workbook, read back', () => {
  it('has the four sheets with their columns, Excel checks on the cells that need them, and one example row', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await importTemplate()) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['说明', '单位', '班组', '专家', '荣誉']);
    const header = (name: string) => (wb.getWorksheet(name)!.getRow(1).values as unknown[]).slice(1);
    expect(header('班组')).toEqual(['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']);
    expect(header('专家')).toEqual(['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限']);
    expect(header('荣誉')).toEqual(['班组编号或名称*', '年度*', '称号*']);
    expect(header('单位')).toEqual(['单位名称*']);

    const teams = wb.getWorksheet('班组')!;
    for (const row of [2, 10, 500, TEMPLATE_ROWS + 1]) {
      expect(teams.getCell(`C${row}`).dataValidation).toMatchObject({ type: 'list', formulae: [`单位!$A$2:$A$${TEMPLATE_ROWS + 1}`] });
      expect(teams.getCell(`D${row}`).dataValidation).toMatchObject({ type: 'list', formulae: ['"行政班组,项目团队,部门"'] });
      expect(teams.getCell(`I${row}`).dataValidation).toMatchObject({ type: 'date', operator: 'between' });
      expect(teams.getCell(`J${row}`).dataValidation).toMatchObject({ type: 'whole', operator: 'between', formulae: [1, 500] });
    }
    expect(teams.getCell(`D${TEMPLATE_ROWS + 2}`).dataValidation).toBeUndefined();
    // 评审上限: 1–500, or 不限 (无, 无上限, 0) for no limit; INT is taken of a number only, since INT("不限") is #VALUE!
    // and Excel's OR passes an error on (OR("不限"="不限", INT("不限")=…) is #VALUE!, which the check refuses)
    expect(wb.getWorksheet('专家')!.getCell('E2').dataValidation).toMatchObject({ type: 'custom', formulae: ['IF(ISNUMBER(E2),AND(E2=INT(E2),E2>=0,E2<=500),OR(E2="不限",E2="无",E2="无上限",E2="无限"))'] });

    expect(wb.getWorksheet('专家')!.getCell('C2').dataValidation).toMatchObject({ type: 'list' });
    expect(wb.getWorksheet('荣誉')!.getCell('B2').dataValidation).toMatchObject({ type: 'whole', formulae: [1990, 2100] });
    expect(teams.actualRowCount).toBe(2);
    // batch_get_id cannot find a Feishu Mail address: the guide says what to write instead
    const guide = wb.getWorksheet('说明')!.getColumn(1).values.map(String).join('\n');
    expect(guide).toContain('飞书企业邮箱无法查找，请改填手机号或飞书账号绑定的邮箱');
    expect(guide).toContain('专业特长、评审上限留空则保留原值');
  });

  it("writes each column's Excel check as one range over the template rows: no cell has two checks for Excel to repair", async () => {
    const files = unzipSync(new Uint8Array(await importTemplate()));
    const sheets = Object.fromEntries(
      Object.entries(files)
        .filter(([name]) => /^xl\/worksheets\/sheet\d+\.xml$/.test(name))
        .map(([name, bytes]) => [name, [...strFromU8(bytes).matchAll(/<dataValidation [^>]*sqref="([^"]+)"/g)].map((m) => m[1])]),
    );
    const last = TEMPLATE_ROWS + 1;
    // 说明, 单位, 班组, 专家, 荣誉
    expect(sheets).toEqual({
      'xl/worksheets/sheet1.xml': [],
      'xl/worksheets/sheet2.xml': [],
      'xl/worksheets/sheet3.xml': [`C2:C${last}`, `D2:D${last}`, `I2:I${last}`, `J2:J${last}`],
      'xl/worksheets/sheet4.xml': [`C2:C${last}`, `E2:E${last}`],
      'xl/worksheets/sheet5.xml': [`B2:B${last}`],
    });
  });

  it('reads its own example rows back as the import sees them', async () => {
    const read = await readImportWorkbook(await importTemplate());
    expect(read.organizations).toEqual([{ row: 2, name: '广州市市政工程有限公司' }]);
    expect(read.teams).toHaveLength(1);
    expect(read.teams[0]).toMatchObject({ row: 2, code: 'GDSZ-2024-0001', type: '行政班组', leader: '13800000001', registeredAt: '2024-03-15', memberCount: '12' });
    expect(read.experts[0]).toMatchObject({ name: '陈专家', specialities: '道路、桥梁', maxLoad: '10' });
    expect(read.honours[0]).toMatchObject({ team: 'GDSZ-2024-0001', year: '2025' });
  });

  it('refuses a template sheet she renamed, naming both names, and passes over sheets of her own', async () => {
    const edited = async (edit: (wb: ExcelJS.Workbook) => void) => {
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load((await importTemplate()) as unknown as ArrayBuffer);
      edit(wb);
      return Buffer.from(await wb.xlsx.writeBuffer());
    };
    const renamed = await edited((wb) => {
      wb.getWorksheet('班组')!.name = '班组名单';
    });
    const refusal = await readImportWorkbook(renamed).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ImportFileError);
    expect((refusal as Error).message).toBe('工作簿中没有“班组”表，而“班组名单”表的表头正是“班组”表的列：导入只读取名为“班组”的表，请把“班组名单”改名为“班组”后再发给我。');
    // a title row above the header does not hide it
    const underTitle = await edited((wb) => {
      const ws = wb.getWorksheet('荣誉')!;
      ws.name = '历年荣誉';
      ws.insertRow(1, ['越秀区历年荣誉']);
    });
    expect(((await readImportWorkbook(underTitle).catch((e: unknown) => e)) as Error).message).toContain('请把“历年荣誉”改名为“荣誉”');
    // her own sheets are not import sheets: a note, and a list of organisations with a 单位名称 column beside a deleted 单位
    const own = await edited((wb) => {
      wb.addWorksheet('备注').addRow(['说明', '2026 年新增班组']);
      wb.removeWorksheet(wb.getWorksheet('单位')!.id);
      wb.addWorksheet('单位通讯录').addRow(['单位名称', '电话']);
    });
    const read = await readImportWorkbook(own);
    expect(read.organizations).toEqual([]);
    expect(read.teams).toHaveLength(1);
  });

  it('refuses a renamed sheet that also lost a required column, naming the sheet and the columns missing, instead of reading no rows', async () => {
    const renamedShort = async (sheet: string, to: string, drop: string[]) => {
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load((await importTemplate()) as unknown as ArrayBuffer);
      const ws = wb.getWorksheet(sheet)!;
      ws.name = to;
      // the columns deleted, the rightmost first so the others stay where the header says
      const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
      for (const at of drop.map((h) => header.indexOf(h) + 1).sort((a, b) => b - a)) ws.spliceColumns(at, 1);
      const refusal = await readImportWorkbook(Buffer.from(await wb.xlsx.writeBuffer())).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(ImportFileError);
      return (refusal as Error).message;
    };
    expect(await renamedShort('班组', '班组名单', ['成员人数*'])).toBe(
      '工作簿中没有“班组”表，而“班组名单”表的表头有“班组”表的大部分列，像是改了名的“班组”表，但缺少列：成员人数。导入只读取名为“班组”的表：请把“班组名单”改名为“班组”，并按导入模板（管理 → 导入 → 下载导入模板）补上缺少的列后再发给我。',
    );
    expect(await renamedShort('班组', '2024名单', ['注册日期*', '成员人数*'])).toContain('但缺少列：注册日期、成员人数。');
    expect(await renamedShort('专家', '专家库', ['手机或邮箱*'])).toContain('“专家库”表的表头有“专家”表的大部分列，像是改了名的“专家”表，但缺少列：手机或邮箱。');
    // a sheet of her own sharing a column or two with a template sheet is no renamed one: read as before
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await importTemplate()) as unknown as ArrayBuffer);
    wb.removeWorksheet(wb.getWorksheet('专家')!.id);
    wb.addWorksheet('通讯录').addRows([['姓名', '电话', '所属单位'], ['张三', '020-1234', '广州市市政工程有限公司']]);
    expect((await readImportWorkbook(Buffer.from(await wb.xlsx.writeBuffer()))).experts).toEqual([]);
  });
});
