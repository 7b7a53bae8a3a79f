import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imports, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * The secretary exports the register (导出当前名册), edits it in Excel for days and sends it back; meanwhile a team
 * changed its own data through the bot (修改资料) and an administrator an expert's (专家库). The old file sent back sets
 * those newer values back.
 */
let h: Harness;
const clock = new ManualClock('2026-12-06T09:00:00+08:00');
const send = workbookSender(() => h, 'oldexport');
const ORG = '广州市政工程第一公司';

const lastImport = async () => (await h.db.db.select().from(imports).orderBy(imports.id)).at(-1)!;
const summaryOf = (record: { summary: unknown }) => record.summary as ImportSummary;
const team = async (code: string) => (await h.db.db.select().from(teams).where(eq(teams.code, code)))[0];
const expert = async (name: string) => (await h.db.db.select().from(people).where(eq(people.name, name)))[0];

async function firstWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG]]);
  const t = wb.addWorksheet('班组');
  t.addRow(['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']);
  t.addRow(['GDSZ-2024-0001', '养护一班', ORG, '行政班组', '13900000001', '王一', 'c1@example.com', '联系人甲', '2024-02-20', 12, '养护部']);
  t.addRow(['GDSZ-2024-0002', '养护二班', ORG, '项目团队', '13900000002', '王二', 'c1@example.com', '联系人甲', '2024-03-01', 8, '养护部']);
  const e = wb.addWorksheet('专家');
  e.addRow(['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限']);
  e.addRow(['专家甲', '13700000001', ORG, '道路、桥梁', 10]);
  wb.addWorksheet('荣誉').addRow(['班组编号或名称*', '年度*', '称号*']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function confirm(content: unknown) {
  const action = cardActions(content).find((a) => a.action === 'import.apply');
  expect(action).toBeDefined();
  await h.click(ADMIN, action as never, {});
  await h.drain();
}

/** 导出当前名册's file, as the secretary saves it. */
async function exportRegister(): Promise<Buffer> {
  clock.advance(60_000);
  await h.click(ADMIN, { action: 'import.export' });
  await h.drain();
  const file = h.fake.messages.filter((m) => m.msgType === 'file' && m.receiveId === ADMIN).at(-1)!;
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(h.fake.upload(file.content.file_key)!.bytes as unknown as ArrayBuffer);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The file with one cell changed, as Excel saves it. */
async function edited(bytes: Buffer, sheet: string, row: number, header: string, value: ExcelJS.CellValue): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const ws = wb.getWorksheet(sheet)!;
  const col = (ws.getRow(1).values as unknown[]).findIndex((v) => String(v).replace('*', '') === header);
  expect(col, header).toBeGreaterThan(0);
  ws.getRow(row).getCell(col).value = value;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

beforeAll(async () => {
  h = await startHarness({ clock });
  h.fake.addUser({ name: '王一', mobile: '13900000001' });
  h.fake.addUser({ name: '王二', mobile: '13900000002' });
  h.fake.addUser({ name: '联系人甲', email: 'c1@example.com' });
  h.fake.addUser({ name: '专家甲', mobile: '13700000001' });
  await confirm((await send(await firstWorkbook())).content);
  expect(await h.db.db.select().from(teams)).toHaveLength(2);
});
afterAll(async () => {
  await h?.close();
});

describe('an old export sent back after the bot changed the register', () => {
  it('sets the newer values back without a word', async () => {
    const old = await exportRegister();
    // days later: 养护一班's leader saves 成员人数 15 in 修改资料, an administrator gives 专家甲 a limit of 6 in 专家库
    clock.advance(3 * 86_400_000);
    const one = await team('GDSZ-2024-0001');
    expect((await h.click(one.leaderOpenId, { action: 'team.editSave', teamId: one.id }, { memberCount: '15' })).toast.type).toBe('success');
    const jia = await expert('专家甲');
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [jia.openId], organization: ORG, specialities: '道路、桥梁', maxLoad: '6' })).toast.type).toBe('success');
    expect((await team('GDSZ-2024-0001')).memberCount).toBe(15);
    expect((await expert('专家甲')).maxLoad).toBe(6);

    // the secretary's edit: 养护二班 has 9 members now
    const preview = await send(await edited(old, '班组', 3, '成员人数', 9));
    expectValidCard(preview.content);
    const s = summaryOf(await lastImport());
    expect(s.update).toEqual([
      { sheet: 'teams', row: 2, label: `GDSZ-2024-0001 养护一班（${ORG}）`, changes: ['成员人数'] },
      { sheet: 'teams', row: 3, label: `GDSZ-2024-0002 养护二班（${ORG}）`, changes: ['成员人数'] },
      { sheet: 'experts', row: 2, label: '专家甲', changes: ['评审上限'] },
    ]);
    // the preview names the fields, not that they were changed since the file was exported, nor from what to what
    const text = cardText(preview.content);
    expect(text).not.toMatch(/15 → 12|6 → 10|导出后/);
    await confirm(preview.content);
    expect((await team('GDSZ-2024-0001')).memberCount).toBe(12);
    expect((await team('GDSZ-2024-0002')).memberCount).toBe(9);
    expect((await expert('专家甲')).maxLoad).toBe(10);
  });
});
