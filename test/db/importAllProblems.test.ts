import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imports } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * A row with several problems was refused for its first alone: the secretary fixed it, sent the file again, and met the
 * next. Now the refusal names every problem of the row, in the order of its columns, one after another (；), as a row's
 * unreadable cells were named already; a problem with another row (a code twice) comes after the row's own.
 */
let h: Harness;
const send = workbookSender(() => h, 'allproblems');
const ORG = '广州市政工程第一公司';

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-12-06T09:00:00+08:00') });
  h.fake.addUser({ name: '王一', mobile: '13900000001' });
  h.fake.addUser({ name: '联系人甲', email: 'c1@example.com' });
});
afterAll(async () => {
  await h?.close();
});

async function workbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG]]);
  const t = wb.addWorksheet('班组');
  t.addRow(['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']);
  // row 2: good
  t.addRow(['GDSZ-2024-0001', '养护一班', ORG, '行政班组', '13900000001', '王一', 'c1@example.com', '联系人甲', '2024-02-20', 12, '养护部']);
  // row 3: five problems
  t.addRow(['', '养护三班', '不存在的公司', '突击队', 'zhang san', '', 'c1@example.com', '', '2024-02-30', 0, '']);
  // row 4: two cells empty and a date no calendar has
  t.addRow(['', '', ORG, '行政班组', '13900000001', '', 'c1@example.com', '', '2024/13/01', '', '']);
  // row 5: row 2's code, and a type of no list
  t.addRow(['GDSZ-2024-0001', '养护五班', ORG, '突击队', '13900000001', '', 'c1@example.com', '', '2024-02-20', 3, '']);
  // row 6: a formula's error where the date is, and a type of no list
  t.addRow(['', '养护六班', ORG, '突击队', '13900000001', '', 'c1@example.com', '', { formula: 'DATE(2024,1,1)+"x"', result: { error: '#VALUE!' } }, 3, '']);
  // row 7: one problem alone, said as before
  t.addRow(['', '养护七班', ORG, '行政班组', '13900000001', '', 'c1@example.com', '', '2024-02-20', 501, '']);
  const e = wb.addWorksheet('专家');
  e.addRow(['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限']);
  e.addRow(['', '12345', '不存在的公司', '道路', 'abc']);
  const o = wb.addWorksheet('荣誉');
  o.addRow(['班组编号或名称*', '年度*', '称号*']);
  o.addRow(['不存在的班', '19', '']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('a row with several problems', () => {
  it('is refused naming every one of them, the card and the stored preview alike', async () => {
    const preview = await send(await workbook());
    const [record] = await h.db.db.select().from(imports);
    const s = record.summary as ImportSummary;
    const organization = (name: string) => `所属单位“${name}”不在“单位”表中，也未在机器人中登记：请先在“单位”表列出该单位`;
    const type = '班组类型“突击队”须为 行政班组、项目团队、部门 之一（第二条）';
    expect(s.refused.map((r) => [r.sheet, r.row, r.reason])).toEqual([
      ['teams', 3, [organization('不存在的公司'), type, '班组长“zhang san”不是有效的手机号或邮箱，无法查找此人', '注册日期“2024-02-30”无法识别，请写成 2024-03-15', '成员人数“0”须为 1–500 的整数'].join('；')],
      ['teams', 4, ['缺少班组名称、成员人数', '注册日期“2024/13/01”无法识别，请写成 2024-03-15'].join('；')],
      ['teams', 5, [type, '班组编号“GDSZ-2024-0001”与第 2 行重复'].join('；')],
      ['teams', 6, ['“注册日期”显示 #VALUE!（公式出错）：请改为填写的值', type].join('；')],
      ['teams', 7, '成员人数“501”须为 1–500 的整数'],
      ['experts', 2, ['缺少姓名', '“12345”不是有效的手机号或邮箱，无法查找此人', organization('不存在的公司'), '评审上限“abc”须为 1–500 的整数，或填“不限”'].join('；')],
      ['honours', 2, ['缺少称号', '年度“19”须为 1990–2026 的年份', '找不到班组“不存在的班”：既不在机器人中，也不在本文件的“班组”表中'].join('；')],
    ]);
    expect(s.add.map((a) => [a.sheet, a.row])).toEqual([['organizations', 2], ['teams', 2]]);
    expect(cardText(preview.content)).toContain('班组第 4 行 （未填名称）：缺少班组名称、成员人数；注册日期“2024/13/01”无法识别，请写成 2024-03-15');
  });
});
