import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imports } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * A workbook as a secretary fills it in Excel, sent in chat: what reading cannot take as it is shows on the preview,
 * by sheet, row and column with what to fix, and nothing is read other than she sees it.
 */
let h: Harness;
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const send = workbookSender(() => h, 'importreading');
const lastSummary = async () => (await h.db.db.select().from(imports).orderBy(imports.id)).at(-1)!.summary as ImportSummary;

const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];
const ORG = '广州市政公司';
const row = (name: string, leader: string, over: Record<number, unknown> = {}) => {
  const r: unknown[] = ['', name, ORG, '行政班组', leader, '张', 'li@example.com', '李', '2024-01-10', 10, ''];
  for (const [k, v] of Object.entries(over)) r[Number(k)] = v;
  return r;
};
async function book(rows: unknown[][], edit?: (wb: ExcelJS.Workbook, ws: ExcelJS.Worksheet) => void) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG]]);
  const ws = wb.addWorksheet('班组');
  ws.addRows([HEADER, ...rows]);
  edit?.(wb, ws);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('the import preview of a workbook filled by hand', () => {
  it('reads a name and a mobile with an invisible character as the ones she typed', async () => {
    const msg = await send(await book([row('养护一班', '13900000001'), row('养护一班\u200b', '13900000002'), row('养护二班', '13900000003\u200b'), row('养护\n三班', '139 0000\n0004')]));
    expect(msg.msgType).toBe('interactive');
    const s = await lastSummary();
    expect(s.refused.map((r) => [r.row, r.reason])).toEqual([[3, '与第 2 行是同一单位的同名班组']]);
    expect(s.add.filter((a) => a.sheet === 'teams').map((a) => a.label)).toEqual(['（分配编号） 养护一班（广州市政公司）', '（分配编号） 养护二班（广州市政公司）', '（分配编号） 养护三班（广州市政公司）']);
    expect(s.pending.map((p) => p.key)).toEqual(expect.arrayContaining(['13900000003', '13900000004']));
  });

  it('reads an organisation with a direction override or an isolate in it as the one typed in a card: not a second organisation', async () => {
    await send(
      await book([row('养护五班', '13900000031', { 2: '\u2066广州\u202e市政公司\u2069' })], (wb) => {
        wb.getWorksheet('单位')!.getCell('A2').value = '广州市政\u202d公司\u2060';
      }),
    );
    const s = await lastSummary();
    expect(s.refused).toEqual([]);
    expect(s.add.map((a) => [a.sheet, a.label])).toEqual([
      ['organizations', ORG],
      ['teams', `（分配编号） 养护五班（${ORG}）`],
    ]);
  });

  it('refuses a formula without its result and an error cell by row and column, and a year typed in a date column', async () => {
    const msg = await send(
      await book([row('养护一班', '13900000011', { 9: { formula: 'SUM(K2:K3)' } }), row('养护二班', '13900000012', { 9: { error: '#N/A' } }), row('养护三班', '13900000013', { 8: 2024 })], (_, ws) => {
        ws.getCell('I4').numFmt = 'yyyy/m/d';
      }),
    );
    const s = await lastSummary();
    expect(s.refused.map((r) => [r.row, r.reason])).toEqual([
      [2, '“成员人数”是公式但没有计算结果：请改为填写的值（或在 Excel 中打开、保存后再发送）'],
      [3, '“成员人数”显示 #N/A（公式出错）：请改为填写的值'],
      [4, '注册日期读作 1905年7月16日，早于 1990年1月1日：可能是在日期格式的单元格中只输入了数字（如年份 2024），请填写完整日期，如 2024-03-15'],
    ]);
    const text = cardText(msg.content);
    expect(text).toContain('班组第 2 行 养护一班（广州市政公司）：“成员人数”是公式但没有计算结果');
    expect(text).not.toContain('[object Object]');
  });

  it('reads formulas showing an empty cell as empty: the rows they were filled down past are no rows, and a row left unnamed is named once', async () => {
    // 主管部门 looked up from her roster, =IF(…,"",VLOOKUP(…)), and the name looked up too, filled down to row 40
    const lookup = (r: number) => ({ formula: `IF(ISNA(VLOOKUP(B${r},名册!A:B,2,0)),"",VLOOKUP(B${r},名册!A:B,2,0))`, result: '' });
    const name = (r: number) => ({ formula: `IF(名册!A${r}="","",名册!A${r})`, result: '' });
    const msg = await send(
      await book([
        row('养护六班', '13900000041', { 10: lookup(2) }),
        row('', '13900000042', { 1: name(3), 10: lookup(3) }),
        ...Array.from({ length: 37 }, (_, i) => ['', name(4 + i), '', '', '', '', '', '', '', '', lookup(4 + i)]),
      ]),
    );
    const s = await lastSummary();
    expect(s.add.filter((a) => a.sheet === 'teams').map((a) => [a.row, a.label])).toEqual([[2, `（分配编号） 养护六班（${ORG}）`]]);
    expect(s.refused.map((r) => [r.row, r.label, r.reason])).toEqual([[3, '（未填名称）', '缺少班组名称']]);
    expect(s.notes).toBeUndefined();
    const text = cardText(msg.content);
    expect(text).not.toContain('没有计算结果');
    expect(text).toContain('**拒绝 1 行**');
    expect(text).toContain('班组第 3 行 （未填名称）：缺少班组名称');
  });

  it('passes over rows holding only values dragged down, and says on the card which sheets were not read', async () => {
    const msg = await send(
      await book([row('养护一班', '13900000021'), ...Array.from({ length: 4 }, () => ['', '', ORG, '行政班组'])], (wb, ws) => {
        ws.state = 'hidden';
        wb.addWorksheet('班组 (2)').addRows([HEADER, row('养护九班', '13900000029')]);
      }),
    );
    const s = await lastSummary();
    expect(s.refused).toEqual([]);
    expect(s.add.filter((a) => a.sheet === 'teams').map((a) => a.row)).toEqual([2]);
    expect(s.notes).toEqual([
      '“班组 (2)”表的表头与“班组”表相同，但导入只读取名为“班组”的表，“班组 (2)”中的行未读取：如要导入，请把这些行移到“班组”表中。',
      '读取的“班组”表在 Excel 中是隐藏的（右键任一工作表标签 →“取消隐藏”可查看）：请确认它就是要导入的表。',
      '“班组”表 4 行（第 3–6 行）没有班组名称、班组编号和人员，只有其他列的值（如向下拖动填充的），按空行跳过。',
    ]);
    expectValidCard(msg.content);
    const text = cardText(msg.content);
    // the sheet's name is her text, escaped for the card's markdown
    expect(text).toContain('“班组 &#40;2&#41;”表的表头与“班组”表相同，但导入只读取名为“班组”的表');
    expect(text).toContain('读取的“班组”表在 Excel 中是隐藏的');
    expect(text).toContain('“班组”表 4 行（第 3–6 行）没有班组名称、班组编号和人员');
  });

  it('answers a file with two columns read as one field, and an encrypted workbook, with what to do', async () => {
    const twice = await book([row('养护一班', '13900000031', { 11: '2019-05-01' })], (_, ws) => {
      ws.getCell('L1').value = '注册日期（原系统）';
    });
    const msg = await send(twice);
    expect(msg.msgType).toBe('text');
    expect(msg.content.text).toContain('I 列“注册日期*”与 L 列“注册日期（原系统）”两列都读作“注册日期”：请删除或改名其中一列');
    const encrypted = await send(Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(4096)]));
    expect(encrypted.msgType).toBe('text');
    expect(encrypted.content.text).toContain('文件设置了打开密码，或是旧版 .xls 格式');
  });
});
