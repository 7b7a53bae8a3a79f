import ExcelJS from 'exceljs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { readImportWorkbook } from '../../src/import/workbook.js';
import { cardText } from '../support/cards.js';
import { type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * A workbook whose worksheet parts are not named xl/worksheets/sheetN.xml (the Open XML SDK writes sheet.xml; other
 * tools their own names and folders) lost those sheets silently: the 单位 sheet read as empty, so every team was refused
 * as “不在“单位”表中”. Each worksheet the workbook's relationships point to is read, whatever its part is called.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
});
afterAll(async () => {
  await h?.close();
});
const send = workbookSender(() => h, 'partname');

const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];

/** The workbook exceljs writes, its parts renamed as `renames` says (in every part and relationship naming them). */
async function renamedBook(renames: [string, string][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
  wb.addWorksheet('班组').addRows([HEADER, ['', '养护一班', '广州市政公司', '行政班组', '13800000001', '张', '13900000001', '李', new Date(Date.UTC(2023, 4, 1)), 12, '']]);
  const files = unzipSync(new Uint8Array(await wb.xlsx.writeBuffer()));
  const ren = (s: string) => renames.reduce((out, [from, to]) => out.replaceAll(from, to), s);
  const out: Record<string, Uint8Array> = {};
  for (const [n, b] of Object.entries(files)) out[ren(n)] = /\.(xml|rels)$/.test(n) ? strToU8(ren(strFromU8(b))) : b;
  return Buffer.from(zipSync(out));
}

describe('worksheet parts of other names', () => {
  it.each([
    ['xl/worksheets/sheet.xml (the Open XML SDK’s)', [['worksheets/sheet1.xml', 'worksheets/sheet.xml']]],
    ['their own folder and names', [['worksheets/sheet1.xml', 'sheets/units.xml'], ['worksheets/sheet2.xml', 'sheets/teams.xml']]],
  ] as [string, [string, string][]][])('%s: every sheet is read', async (_name, renames) => {
    const read = await readImportWorkbook(await renamedBook(renames));
    expect(read.organizations).toEqual([{ row: 2, name: '广州市政公司' }]);
    expect(read.teams.map((t) => t.name)).toEqual(['养护一班']);
  });

  it('the preview adds the team and its 单位, and refuses nothing', async () => {
    const msg = await send(await renamedBook([['worksheets/sheet1.xml', 'worksheets/sheet.xml']]));
    const text = cardText(msg.content);
    expect(text).not.toContain('不在“单位”表中');
    expect(text).toContain('| 单位 | 1 | 0 | 0 | 0 |');
    expect(text).toContain('| 班组 | 1 | 0 | 0 | 0 |');
  });
});
