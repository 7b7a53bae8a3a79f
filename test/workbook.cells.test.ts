import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { Cycle } from '../src/cycles.js';
import type { ResultsData } from '../src/review/results.js';
import { defaultScoreSheet, sheetItems } from '../src/scoreSheet.js';
import { reviewWorkbook, workbookSheetNames } from '../src/workbook.js';

/**
 * The results workbook as the association's secretary works in it with Excel: a blank is no cell (COUNTA counts it not,
 * 定位条件 → 空值 finds it), a 材料链接 opens on a click, and a long name wraps within its column.
 */

const full = Object.fromEntries(sheetItems(defaultScoreSheet).map((i) => [i.code, i.max]));
const link = 'https://gdsz.feishu.cn/docx/Abc123XyZ';
const longTitle = '城市道路桥梁养护质量提升与预防性养护技术推广应用'.repeat(5).slice(0, 100);

/** `review`: the first application's, as aggregation stores it (none unless given). */
async function workbook(review: ResultsData['rows'][number]['review'] = null): Promise<ExcelJS.Workbook> {
  const rows: ResultsData['rows'] = [
    { applicationId: 1, teamId: 1, code: 'GDSZ-2026-0001', team: '广州市市政集团有限公司城市道路养护管理中心第三养护班组', organization: '广州市市政集团有限公司城市道路养护管理中心', leaderOpenId: 'ou_l1', contactOpenId: 'ou_c1', title: longTitle, category: 'maintenance', form: { title: longTitle, category: 'maintenance', materialsUrl: link }, status: 'decided', finalScore: 95, rank: 1, awarded: true, recommended: false, review },
    { applicationId: 2, teamId: 2, code: 'GDSZ-2026-0002', team: '二班', organization: '乙', leaderOpenId: 'ou_l2', contactOpenId: 'ou_c2', title: '乙成果', category: 'service', form: { title: '乙成果', category: 'service', materialsUrl: '见纸质材料' }, status: 'decided', finalScore: 80, rank: 2, awarded: false, recommended: false, review: null },
    { applicationId: 3, teamId: 3, code: 'GDSZ-2026-0003', team: '三班', organization: '丙', leaderOpenId: 'ou_l3', contactOpenId: 'ou_c3', title: '丙成果', category: 'service', form: { title: '丙成果', category: 'service' }, status: 'decided', finalScore: 70, rank: 3, awarded: false, recommended: false, review: null },
  ];
  const data: ResultsData = {
    cycle: { id: 1, year: 2027, status: 'published', scoreSheet: defaultScoreSheet, awardThreshold: 85, recommendShare: 0.1, updatedAt: new Date('2027-07-20T10:00:00+08:00') } as unknown as Cycle,
    sheet: defaultScoreSheet,
    rows,
    applications: rows,
    scores: [
      { assignmentId: 1, applicationId: 1, code: 'GDSZ-2026-0001', team: '一班', expertOpenId: 'ou_e1', expertName: '张工', expertOrganization: null, status: 'submitted', total: 100, scores: full, comment: null },
      { assignmentId: 2, applicationId: 2, code: 'GDSZ-2026-0002', team: '二班', expertOpenId: 'ou_e2', expertName: '李工', expertOrganization: '广州市政设计院', status: 'submitted', total: 100, scores: full, comment: '' },
    ],
  };
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await reviewWorkbook(data)) as unknown as ArrayBuffer);
  return wb;
}

/** The cells of a sheet's row by header. */
function cellsOf(sheet: ExcelJS.Worksheet, row: number): Map<string, ExcelJS.Cell> {
  const header = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
  return new Map(header.map((h, i) => [h, sheet.getRow(row).getCell(i + 1)]));
}

describe('the results workbook in Excel', () => {
  it('writes no cell where there is nothing: no empty text for COUNTA to count', async () => {
    const wb = await workbook();
    const scores = wb.getWorksheet(workbookSheetNames.scores)!;
    for (const row of [2, 3]) {
      const cells = cellsOf(scores, row);
      const outlier = [...cells.keys()].find((h) => h.startsWith('偏离中位数'))!;
      const blank = row === 2 ? ['专家所属单位', '计入最终得分', outlier, '评审意见'] : ['计入最终得分', outlier, '评审意见'];
      for (const name of blank) {
        expect(cells.get(name)!.type, `专家评分 row ${row} ${name}`).toBe(ExcelJS.ValueType.Null);
        expect(cells.get(name)!.value).toBeNull();
      }
    }
    expect(cellsOf(scores, 3).get('专家所属单位')!.value).toBe('广州市政设计院');
    const results = wb.getWorksheet(workbookSheetNames.results)!;
    for (const row of [2, 3, 4]) {
      const cells = cellsOf(results, row);
      expect(cells.get('推荐全国')!.type, `结果 row ${row}`).toBe(ExcelJS.ValueType.Null);
      expect(cells.get('计分规则')!.type, `结果 row ${row}`).toBe(ExcelJS.ValueType.Null);
    }
    // the 申报 sheet's 材料链接 left empty: no cell either
    expect(cellsOf(wb.getWorksheet(workbookSheetNames.applications)!, 4).get('材料链接')!.type).toBe(ExcelJS.ValueType.Null);
  });

  it('keeps scores numbers shown to the cent (95.50, not 95.5), ranks and counts whole, under an autofilter over each list', async () => {
    const areas = defaultScoreSheet.areas.map((a, i) => ({ code: a.code, name: a.name, max: a.items.reduce((t, it) => t + it.max, 0), score: i === 0 ? 19.33 : 20 }));
    const wb = await workbook({ rule: 'mean', median: null, totals: [], areas, outliers: [], awarded: true, recommended: false, aggregatedAt: '2027-07-10T00:00:00Z' });
    const formats = (ws: ExcelJS.Worksheet, row: number, names: string[]) => {
      const cells = cellsOf(ws, row);
      return Object.fromEntries(names.map((n) => [n, [typeof cells.get(n)!.value, cells.get(n)!.numFmt]]));
    };
    const results = wb.getWorksheet(workbookSheetNames.results)!;
    const areaHeaders = (results.getRow(1).values as unknown[]).slice(1).map(String).filter((h) => /^\d+ /.test(h));
    expect(areaHeaders).toHaveLength(defaultScoreSheet.areas.length);
    expect(formats(results, 2, ['排名', '最终得分', ...areaHeaders])).toEqual(
      Object.fromEntries([['排名', ['number', '0']], ['最终得分', ['number', '0.00']], ...areaHeaders.map((h) => [h, ['number', '0.00']])]),
    );
    expect(cellsOf(results, 2).get(areaHeaders[0])!.value).toBe(19.33);
    const apps = wb.getWorksheet(workbookSheetNames.applications)!;
    expect(formats(apps, 2, ['已提交评分', '最终得分'])).toEqual({ 已提交评分: ['number', '0'], 最终得分: ['number', '0.00'] });
    // an expert's item scores and total (half points, a sheet's total stored to the cent)
    const scores = wb.getWorksheet(workbookSheetNames.scores)!;
    const scoreHeaders = (scores.getRow(1).values as unknown[]).slice(1).map(String);
    const itemHeaders = scoreHeaders.slice(scoreHeaders.indexOf('专家所属单位') + 1, scoreHeaders.indexOf('总分'));
    expect(itemHeaders).toHaveLength(sheetItems(defaultScoreSheet).length);
    for (const row of [2, 3]) {
      expect(formats(scores, row, [...itemHeaders, '总分'])).toEqual(Object.fromEntries([...itemHeaders, '总分'].map((h) => [h, ['number', '0.00']])));
    }
    // the filter spans each sheet's header row and its list
    expect(apps.autoFilter).toMatch(/^A1:[A-Z]+4$/);
    expect(scores.autoFilter).toMatch(/^A1:[A-Z]+3$/);
    expect(results.autoFilter).toMatch(/^A1:[A-Z]+4$/);
  });

  it('makes a 材料链接 a link that opens on a click; a text that is no address stays text', async () => {
    const apps = (await workbook()).getWorksheet(workbookSheetNames.applications)!;
    const cell = cellsOf(apps, 2).get('材料链接')!;
    expect(cell.type).toBe(ExcelJS.ValueType.Hyperlink);
    expect(cell.value).toMatchObject({ text: link, hyperlink: link });
    expect(cell.font).toMatchObject({ underline: true });
    const text = cellsOf(apps, 3).get('材料链接')!;
    expect(text.type).toBe(ExcelJS.ValueType.String);
    expect(text.value).toBe('见纸质材料');
  });

  it('wraps a long team name, organisation and 成果名称 within their columns, top-aligned', async () => {
    const apps = (await workbook()).getWorksheet(workbookSheetNames.applications)!;
    const cells = cellsOf(apps, 2);
    expect(cells.get('成果名称')!.value).toBe(longTitle);
    for (const name of ['班组名称', '所属单位', '成果名称', '材料链接']) expect(cells.get(name)!.alignment, name).toMatchObject({ wrapText: true, vertical: 'top' });
  });
});
