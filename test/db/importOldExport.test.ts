import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { honours, imports, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { importPreviewText } from '../../cards/import.js';
import { importCardData } from '../../src/import/index.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { importTemplate, readImportWorkbook } from '../../src/import/workbook.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * The secretary exports the register (导出当前名册), edits it in Excel for days and sends it back; meanwhile a team
 * changed its own data through the bot (修改资料, 更换班组长), an administrator an expert's (专家库), another import a
 * title. The old file sent back set those newer values back, its preview naming only the fields; now the preview names
 * each row whose file values set back a change made since the file was exported, field by field, from the value in the
 * bot now to the file's. She confirms (her file wins, knowingly) or fixes the file.
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
  // its leader not yet in the address book: linked on a first message
  t.addRow(['GDSZ-2024-0003', '养护三班', ORG, '项目团队', '13900000003', '王三', 'c1@example.com', '联系人甲', '2024-03-01', 6, '养护部']);
  const e = wb.addWorksheet('专家');
  e.addRow(['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限']);
  e.addRow(['专家甲', '13700000001', ORG, '道路、桥梁', 10]);
  wb.addWorksheet('荣誉').addRows([['班组编号或名称*', '年度*', '称号*'], ['GDSZ-2024-0001', 2025, '广东省市政工程质量信得过班组']]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function confirm(content: unknown) {
  const action = cardActions(content).find((a) => a.action === 'import.apply');
  expect(action).toBeDefined();
  await h.click(ADMIN, action as never, {});
  await h.drain();
}

/** What 确认导入's dialog asks. */
function confirmText(content: unknown): string | undefined {
  if (!content || typeof content !== 'object') return undefined;
  const c = (content as { confirm?: { text?: { content?: string } } }).confirm;
  if (c?.text?.content) return c.text.content;
  for (const v of Object.values(content)) {
    const found = confirmText(v);
    if (found) return found;
  }
  return undefined;
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
  expect(await h.db.db.select().from(teams)).toHaveLength(3);
});
afterAll(async () => {
  await h?.close();
});

describe('an old export sent back after the bot changed the register', () => {
  let old: Buffer;

  it('names each row whose file values set back a change made since, field by field; a row she changed alone is no such row', async () => {
    expect(summaryOf(await lastImport()).sinceExport).toBeUndefined();
    old = await exportRegister();
    // days later: 养护一班's leader saves 成员人数 15 in 修改资料, an administrator gives 专家甲 a limit of 6 in 专家库
    clock.advance(3 * 86_400_000);
    const one = await team('GDSZ-2024-0001');
    expect((await h.click(one.leaderOpenId, { action: 'team.editSave', teamId: one.id }, { memberCount: '15' })).toast.type).toBe('success');
    const jia = await expert('专家甲');
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [jia.openId], organization: ORG, specialities: '道路、桥梁', maxLoad: '6' })).toast.type).toBe('success');
    expect((await team('GDSZ-2024-0001')).memberCount).toBe(15);
    expect((await expert('专家甲')).maxLoad).toBe(6);

    // the secretary's own edit: 养护二班 has 9 members now
    const preview = await send(await edited(old, '班组', 3, '成员人数', 9));
    expectValidCard(preview.content);
    const s = summaryOf(await lastImport());
    expect(s.update).toEqual([
      { sheet: 'teams', row: 2, label: `GDSZ-2024-0001 养护一班（${ORG}）`, changes: ['成员人数'] },
      { sheet: 'teams', row: 3, label: `GDSZ-2024-0002 养护二班（${ORG}）`, changes: ['成员人数'] },
      { sheet: 'experts', row: 2, label: '专家甲', changes: ['评审上限'] },
    ]);
    expect(s.sinceExport).toEqual({
      exportedAt: '2026年12月6日 09:01',
      rows: [
        { sheet: 'teams', row: 2, label: `GDSZ-2024-0001 养护一班（${ORG}）`, fields: [{ field: '成员人数', now: '15', file: '12' }] },
        { sheet: 'experts', row: 2, label: '专家甲', fields: [{ field: '评审上限', now: '6', file: '10' }] },
      ],
    });
    const text = cardText(preview.content);
    expect(text).toContain('2 行在文件导出（2026年12月6日 09:01）后已在机器人中修改，导入会改回文件中的值');
    expect(text).toContain(`- 班组第 2 行 GDSZ-2024-0001 养护一班（${ORG}）：成员人数 15 → 12`);
    expect(text).toContain('- 专家第 2 行 专家甲：评审上限 6 → 10');
    expect(text).not.toContain('养护二班（' + ORG + '）：成员人数');
    expect(confirmText(preview.content)).toBe('新增 0 行、更新 3 行（其中 2 行改回文件导出后机器人中的修改）。');
    // npm run import prints the same, before it asks 确认导入？
    expect(importPreviewText(importCardData(await lastImport()))).toContain(
      `2 行在文件导出（2026年12月6日 09:01）后已在机器人中修改，导入会改回文件中的值（机器人中现值 → 文件中的值）：\n- 班组第 2 行 GDSZ-2024-0001 养护一班（${ORG}）：成员人数 15 → 12\n- 专家第 2 行 专家甲：评审上限 6 → 10\n注意：以文件为准的，确认导入即可`,
    );
  });

  it('the file fixed to the values in the bot now: nothing set back, nothing said', async () => {
    const fixed = await edited(await edited(await edited(old, '班组', 3, '成员人数', 9), '班组', 2, '成员人数', 15), '专家', 2, '评审上限', 6);
    const preview = await send(fixed);
    const s = summaryOf(await lastImport());
    expect(s.update).toEqual([{ sheet: 'teams', row: 3, label: `GDSZ-2024-0002 养护二班（${ORG}）`, changes: ['成员人数'] }]);
    expect(s.sinceExport).toBeUndefined();
    expect(cardText(preview.content)).not.toContain('导出');
    expect(confirmText(preview.content)).toBe('新增 0 行、更新 1 行。');
  });

  it('confirmed as it is, the file wins, knowingly', async () => {
    const preview = await send(old);
    expect(summaryOf(await lastImport()).sinceExport?.rows.map((r) => r.label)).toEqual([`GDSZ-2024-0001 养护一班（${ORG}）`, '专家甲']);
    await confirm(preview.content);
    expect((await team('GDSZ-2024-0001')).memberCount).toBe(12);
    expect((await expert('专家甲')).maxLoad).toBe(10);
    // sent again: the bot holds the file's values, nothing to set back
    await send(old);
    const s = summaryOf(await lastImport());
    expect([s.update, s.sinceExport]).toEqual([[], undefined]);
  });

  it('a leader changed by 更换班组长 and a title by another import since: named, the leader by name', async () => {
    const fresh = await exportRegister();
    clock.advance(86_400_000);
    const two = await team('GDSZ-2024-0002');
    const NEW = 'ou_oldexportnewleader0000000000001';
    await h.db.db.insert(people).values({ openId: NEW, name: '钱新' });
    await h.db.db.insert(teamMembers).values({ teamId: two.id, openId: NEW, role: 'member' });
    expect((await h.click(two.leaderOpenId, { action: 'team.leaderChange', teamId: two.id, from: two.leaderOpenId }, { leader: NEW })).toast?.type ?? 'success').toBe('success');
    // another workbook, of no export, renames 养护一班's 2025 title: its own preview says nothing of an export
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('荣誉').addRows([['班组编号或名称*', '年度*', '称号*'], ['GDSZ-2024-0001', 2025, '全国市政工程质量信得过班组']]);
    const other = await send(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(summaryOf(await lastImport()).sinceExport).toBeUndefined();
    await confirm(other.content);
    expect((await h.db.db.select().from(honours))[0].title).toBe('全国市政工程质量信得过班组');

    const preview = await send(fresh);
    expectValidCard(preview.content);
    const s = summaryOf(await lastImport());
    expect(s.sinceExport?.rows).toEqual([
      { sheet: 'teams', row: 3, label: `GDSZ-2024-0002 养护二班（${ORG}）`, fields: [{ field: '班组长', now: '钱新', file: '王二（13900000002）' }] },
      { sheet: 'honours', row: 2, label: 'GDSZ-2024-0001 2025', fields: [{ field: '称号', now: '全国市政工程质量信得过班组', file: '广东省市政工程质量信得过班组' }] },
    ]);
    const text = cardText(preview.content);
    expect(text).toContain('班组长 钱新 → 王二（13900000002）');
    expect(text).toContain('- 荣誉第 2 行 GDSZ-2024-0001 2025：称号 全国市政工程质量信得过班组 → 广东省市政工程质量信得过班组');
  });

  it('a leader linked on a first message since is the one exported: her file naming another sets nothing back', async () => {
    const fresh = await exportRegister();
    expect((await team('GDSZ-2024-0003')).leaderOpenId).toBe('pending:m:13900000003');
    const wang3 = h.fake.addUser({ name: '王三', mobile: '13900000003' });
    await h.say(wang3.openId, '帮助');
    expect((await team('GDSZ-2024-0003')).leaderOpenId).toBe(wang3.openId);
    await send(await edited(await edited(fresh, '班组', 4, '班组长手机或邮箱', '13900000001'), '班组', 4, '班组长姓名', '王一'));
    const s = summaryOf(await lastImport());
    expect(s.update).toEqual([{ sheet: 'teams', row: 4, label: `GDSZ-2024-0003 养护三班（${ORG}）`, changes: ['班组长'] }]);
    expect(s.sinceExport).toBeUndefined();
  });

  it('the stamp is in a sheet Excel does not show; the template has none and is read as before', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await exportRegister()) as unknown as ArrayBuffer);
    expect(wb.worksheets.filter((ws) => ws.state === 'visible').map((ws) => ws.name)).toEqual(['说明', '单位', '班组', '专家', '荣誉']);
    expect(wb.getWorksheet('导出记录')?.state).toBe('veryHidden');
    const template = await readImportWorkbook(await importTemplate());
    expect(template.exported).toBeUndefined();
    expect(template.teams).toHaveLength(1);
  });
});
