import ExcelJS from 'exceljs';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { honours, imports, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { importTemplate } from '../../src/import/workbook.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN, workbookSender } from '../support/harness.js';
import { messageEvent } from '../support/larkEvents.js';

/**
 * 导出当前名册: the secretary gets the register out in the import template's form, edits it in Excel and sends it back.
 * Sent back unchanged, the preview says nothing would change; one cell changed, exactly that row's update.
 */
let h: Harness;
const clock = new ManualClock('2026-12-06T09:00:00+08:00');
const send = workbookSender(() => h, 'regexport');
const ORGS = ['广州市政工程第一公司', '广州市政工程第二公司', '深圳路桥建设集团'];
const GROUP = 'oc_registerexportgroup00000000000001';

beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

const lastImport = async () => (await h.db.db.select().from(imports).orderBy(imports.id)).at(-1)!;
const summaryOf = (record: { summary: unknown }) => record.summary as ImportSummary;

/** The association's first workbook, filled by hand as the template asks. */
async function firstWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ...ORGS.map((o) => [o])]);
  const t = wb.addWorksheet('班组');
  t.addRow(['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']);
  t.addRow(['GDSZ-2024-0001', '养护一班', ORGS[0], '行政班组', '13900000001', '王一', 'c1@example.com', '联系人甲', new Date('2024-02-20T00:00:00Z'), 12, '养护部']);
  t.addRow(['GDSZ-2024-0002', '养护二班', ORGS[0], '项目团队', 13900000002, '王二', 'c1@example.com', '联系人甲', '2024/3/1', 8, '']);
  // the leader not yet in the address book (linked on a first message later); the contact never
  t.addRow(['GDSZ-2023-0007', '桥梁一班', ORGS[1], '部门', '13900000003', '王三', '13900000013', '联系人乙', '2023-05-05', 20, '桥梁部']);
  // no code: one is given
  t.addRow(['', '检测一班', ORGS[2], '行政班组', 'wang4@example.com', '王四', 'c3@example.com', '联系人丙', '2025-06-01', 6, '']);
  const e = wb.addWorksheet('专家');
  e.addRow(['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限']);
  e.addRow(['专家甲', '13700000001', ORGS[0], '道路、桥梁', 10]);
  // not in the address book; no specialities, no limit
  e.addRow(['专家乙', '13700000002', ORGS[1], '', '']);
  e.addRow(['专家丙', 'zhuanjia@example.com', ORGS[2], '检测', 3]);
  const o = wb.addWorksheet('荣誉');
  o.addRow(['班组编号或名称*', '年度*', '称号*']);
  o.addRow(['GDSZ-2024-0001', 2024, '广东省市政工程质量信得过班组']);
  o.addRow(['养护二班', 2025, '广东省市政工程质量信得过班组']);
  o.addRow(['GDSZ-2023-0007', 2023, '全国市政工程质量信得过班组']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function confirm(content: unknown) {
  const action = cardActions(content).find((a) => a.action === 'import.apply');
  expect(action).toBeDefined();
  await h.click(ADMIN, action as never, {});
  await h.drain();
}

const registersSent = () =>
  h.fake.messages
    .filter((m) => m.msgType === 'file' && m.receiveId === ADMIN)
    .map((m) => h.fake.upload(m.content.file_key)!)
    .filter((u) => u.fileName?.startsWith('质量信得过班组名册'));

async function load(bytes: unknown): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as ArrayBuffer);
  return wb;
}

/** The exported file with one cell changed, as Excel saves it. */
async function edited(bytes: unknown, sheet: string, row: number, header: string, value: ExcelJS.CellValue): Promise<Buffer> {
  const wb = await load(bytes);
  const ws = wb.getWorksheet(sheet)!;
  const col = (ws.getRow(1).values as unknown[]).findIndex((v) => String(v).replace('*', '') === header);
  expect(col, header).toBeGreaterThan(0);
  ws.getRow(row).getCell(col).value = value;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('导出当前名册: the register in the import template’s form', () => {
  let exported: { fileName?: string; bytes: unknown };

  beforeAll(async () => {
    h.fake.addUser({ name: '王一', mobile: '13900000001' });
    h.fake.addUser({ name: '王二', mobile: '13900000002' });
    h.fake.addUser({ name: '王四', email: 'wang4@example.com' });
    h.fake.addUser({ name: '联系人甲', email: 'c1@example.com' });
    h.fake.addUser({ name: '联系人丙', email: 'c3@example.com' });
    h.fake.addUser({ name: '专家甲', mobile: '13700000001' });
    h.fake.addUser({ name: '专家丙', email: 'zhuanjia@example.com' });
    const preview = await send(await firstWorkbook());
    expect(summaryOf(await lastImport()).refused).toEqual([]);
    await confirm(preview.content);
    expect(await h.db.db.select().from(teams)).toHaveLength(4);

    // since the import: 王三 joins Feishu and writes to the bot (linked by the mobile he was imported by), 养护一班 has
    // two members, and 桥梁一班's 2023 title is revoked (第二十二条)
    const wang3 = h.fake.addUser({ name: '王三', mobile: '13900000003' });
    await h.say(wang3.openId, '帮助');
    const [bridge] = await h.db.db.select().from(teams).where(eq(teams.name, '桥梁一班'));
    expect(bridge.leaderOpenId).toBe(wang3.openId);
    const [first] = await h.db.db.select().from(teams).where(eq(teams.code, 'GDSZ-2024-0001'));
    for (const n of [1, 2]) {
      const openId = `ou_regexportmember00000000000000000${n}`;
      await h.db.db.insert(people).values({ openId, name: `组员${n}` });
      await h.db.db.insert(teamMembers).values({ teamId: first.id, openId, role: 'member' });
    }
    // 专家丙 is stopped (停用) in 专家库; 专家乙, not yet linked (待关联), has no 启用 / 停用
    const [bing] = await h.db.db.select().from(people).where(eq(people.name, '专家丙'));
    expect((await h.click(ADMIN, { action: 'experts.deactivate', openId: bing.openId })).toast.type).toBe('success');
    await h.db.db.update(honours).set({ revokedAt: new Date('2026-11-20T02:00:00Z'), revokedReason: '连续两次顾客投诉经核实成立' }).where(and(eq(honours.teamId, bridge.id), eq(honours.year, 2023)));
  });

  it('is a button of 导入’s card that sends one file, however often it is tapped', async () => {
    const guide = await h.click(ADMIN, { action: 'import.guide' });
    expectValidCard(guide.card.data);
    const button = cardActions(guide.card.data).find((a) => a.action === 'import.export');
    expect(button).toEqual({ action: 'import.export' });
    expect(cardText(guide.card.data)).toContain('导出当前名册');

    const res = await h.click(ADMIN, button!);
    expect(res.toast).toEqual({ type: 'success', content: '正在生成“质量信得过班组名册-2026-12-06.xlsx”，稍后私聊发给你' });
    // a double tap, and the same click delivered again: nothing more
    expect((await h.click(ADMIN, button!)).toast.type).toBe('info');
    await h.drain();
    expect(registersSent()).toHaveLength(1);
    exported = registersSent()[0];
    expect(exported.fileName).toBe('质量信得过班组名册-2026-12-06.xlsx');
  });

  it('has the template’s sheets, header rows, column widths and cell formats, filled with the register as it stands', async () => {
    const wb = await load(exported.bytes);
    const template = await load(await importTemplate());
    expect(wb.worksheets.filter((ws) => ws.state === 'visible').map((ws) => ws.name)).toEqual(template.worksheets.map((ws) => ws.name));
    // besides, the export's stamp (src/import/exportStamp.ts), in a sheet Excel does not list
    expect(wb.worksheets.filter((ws) => ws.state !== 'visible').map((ws) => [ws.name, ws.state])).toEqual([['导出记录', 'veryHidden']]);
    for (const ws of template.worksheets.slice(1)) {
      const mine = wb.getWorksheet(ws.name)!;
      expect(mine.getRow(1).values, ws.name).toEqual(ws.getRow(1).values);
      expect(mine.columns.map((c) => c.width), ws.name).toEqual(ws.columns.map((c) => c.width));
      expect(mine.views[0], ws.name).toMatchObject({ state: 'frozen', ySplit: 1 });
    }
    const rows = (name: string) => (wb.getWorksheet(name)!.getSheetValues() as unknown[][]).slice(2).map((r) => r.slice(1));
    expect(rows('单位')).toEqual(ORGS.map((o) => [o]));
    const [given] = await h.db.db.select({ code: teams.code }).from(teams).where(eq(teams.name, '检测一班'));
    const d = (s: string) => new Date(`${s}T00:00:00Z`);
    // by code; people by the mobile or e-mail Feishu knows them by, 王三 by the one that linked him
    expect(rows('班组')).toEqual([
      ['GDSZ-2023-0007', '桥梁一班', ORGS[1], '部门', '13900000003', '王三', '13900000013', '联系人乙', d('2023-05-05'), 20, '桥梁部'],
      ['GDSZ-2024-0001', '养护一班', ORGS[0], '行政班组', '13900000001', '王一', 'c1@example.com', '联系人甲', d('2024-02-20'), 12, '养护部'],
      ['GDSZ-2024-0002', '养护二班', ORGS[0], '项目团队', '13900000002', '王二', 'c1@example.com', '联系人甲', d('2024-03-01'), 8],
      [given.code, '检测一班', ORGS[2], '行政班组', 'wang4@example.com', '王四', 'c3@example.com', '联系人丙', d('2025-06-01'), 6],
    ]);
    expect(wb.getWorksheet('班组')!.getRow(2).getCell(9).numFmt).toBe('yyyy-mm-dd');
    expect(rows('专家')).toEqual([
      ['专家丙', 'zhuanjia@example.com', ORGS[2], '检测', 3],
      ['专家甲', '13700000001', ORGS[0], '道路、桥梁', 10],
      ['专家乙', '13700000002', ORGS[1], undefined, '不限'],
    ]);
    expect(rows('荣誉')).toEqual([
      ['GDSZ-2023-0007', 2023, '全国市政工程质量信得过班组'],
      ['GDSZ-2024-0001', 2024, '广东省市政工程质量信得过班组'],
      ['GDSZ-2024-0002', 2025, '广东省市政工程质量信得过班组'],
    ]);
    // the revoked title is listed as imported, its note saying when it was revoked
    expect(String(wb.getWorksheet('荣誉')!.getRow(2).getCell(3).note)).toContain('已于 2026-11-20 撤销');
    const guide = (wb.getWorksheet('说明')!.getSheetValues() as unknown[][]).slice(1).map((r) => String(r[1]));
    expect(guide[0]).toContain('格式与导入模板相同');
    // the template has no column for 停用: the stopped expert's name has a note, and 说明 names them; the one 待关联 has none
    const experts = wb.getWorksheet('专家')!;
    expect(experts.getRow(2).getCell(1).value).toBe('专家丙');
    expect(String(experts.getRow(2).getCell(1).note)).toContain('该专家已在专家库中停用');
    expect(experts.getRow(3).getCell(1).note).toBeUndefined();
    expect(experts.getRow(4).getCell(1).note).toBeUndefined();
    expect(guide).toContain('“专家”表中 1 位专家已在专家库中停用（专家丙），姓名单元格加了批注：导入不会启用或停用专家，如需启用，请在专家库中点“启用”。');
    expect(guide.join('\n')).toContain('班组成员名单、专家回避关系不在导入模板中');
  });

  it('sent back unchanged, previews nothing to add, update or refuse', async () => {
    const preview = await send(exported.bytes as Buffer);
    expectValidCard(preview.content);
    const s = summaryOf(await lastImport());
    expect(s.add).toEqual([]);
    expect(s.update).toEqual([]);
    expect(s.refused).toEqual([]);
    expect(s.kept ?? []).toEqual([]);
    expect(s.unchanged).toEqual({ organizations: 3, teams: 4, experts: 3, honours: 3 });
    const text = cardText(preview.content);
    expect(text).toContain('| 班组 | 0 | 0 | 4 | 0 |');
    expect(text).toContain('新增 0 · 更新 0 · 拒绝 0');
  });

  it('with one cell changed, previews exactly that update', async () => {
    // 养护一班 (row 3) has grown to 15; its leader is now the one Feishu knows by another mobile
    h.fake.addUser({ name: '王新', mobile: '13900000099' });
    for (const [header, value, change] of [
      ['成员人数', 15, '成员人数'],
      ['班组长手机或邮箱', '13900000099', '班组长'],
    ] as const) {
      await send(await edited(exported.bytes, '班组', 3, header, value));
      const s = summaryOf(await lastImport());
      expect(s.add, header).toEqual([]);
      expect(s.refused, header).toEqual([]);
      expect(s.update, header).toEqual([{ sheet: 'teams', row: 3, label: `GDSZ-2024-0001 养护一班（${ORGS[0]}）`, changes: [change] }]);
      expect(s.unchanged, header).toEqual({ organizations: 3, teams: 3, experts: 3, honours: 3 });
    }
  });

  it('typed 导出 in a group: the file in the administrator’s own chat, a one-line note in the group', async () => {
    clock.advance(60_000);
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: ADMIN, text: '导出名册', chatType: 'group', chatId: GROUP, messageId: 'om_regexport_group1', mentionBot: true }));
    await h.drain();
    expect(registersSent()).toHaveLength(2);
    const note = h.fake.messages.filter((m) => m.receiveId === GROUP || m.content?.text?.includes?.('已通过私聊把名册')).at(-1);
    expect(JSON.stringify(note?.content)).toContain('已通过私聊把名册“质量信得过班组名册-2026-12-06.xlsx”发给你');
    // no file in the group
    expect(h.fake.messages.filter((m) => m.msgType === 'file' && m.receiveId === GROUP)).toEqual([]);
    // typed again at once in the p2p chat: the one just sent, nothing new
    await h.say(ADMIN, 'export');
    expect(registersSent()).toHaveLength(2);
  });

  it('leaves a person the bot knows by no mobile or e-mail blank, with a note saying what to fill in', async () => {
    // a team registered through the bot: its contact chosen in a card, its leader's 联系电话 typed at registration
    const [org] = await h.db.db.select().from(organizations).where(eq(organizations.name, ORGS[1]));
    await h.db.db.insert(people).values([
      { openId: 'ou_regexportleader000000000000000001', name: '赵班长' },
      { openId: 'ou_regexportcontact00000000000000001', name: '钱联系人' },
    ]);
    await h.db.db.insert(teams).values({
      code: 'GDSZ-2026-0001', name: '注册一班', organizationId: org.id, department: '', type: 'project', leaderOpenId: 'ou_regexportleader000000000000000001',
      phone: '13812345678', memberCount: 5, functions: '养护', goals: '零缺陷', plan: '每月检查', contactOpenId: 'ou_regexportcontact00000000000000001', registeredAt: '2026-01-10',
    });
    clock.advance(60_000);
    await h.click(ADMIN, { action: 'import.export' });
    await h.drain();
    const wb = await load(registersSent().at(-1)!.bytes);
    const ws = wb.getWorksheet('班组')!;
    const row = ws.getRow(6);
    expect(row.getCell(1).value).toBe('GDSZ-2026-0001');
    expect(row.getCell(5).value).toBe('13812345678');
    expect(String(row.getCell(5).note)).toContain('注册时填写的联系电话');
    // no value, so Excel's 定位条件→空值 and COUNTA find it empty, and its note kept (read back from the file written)
    expect(row.getCell(7).value).toBeNull();
    expect(String(row.getCell(7).note)).toContain('导入前请填写其飞书账号绑定的手机号或邮箱');
    const guide = (wb.getWorksheet('说明')!.getSheetValues() as unknown[][]).map((r) => String(r?.[1]));
    expect(guide.join('\n')).toContain('有 1 处人员机器人没有其手机号或邮箱');
    // sent back as it is, that row is refused naming the cell to fill; the rest changes nothing
    await send(Buffer.from(await wb.xlsx.writeBuffer()));
    const s = summaryOf(await lastImport());
    expect(s.update).toEqual([]);
    expect(s.add).toEqual([]);
    expect(s.refused).toEqual([{ sheet: 'teams', row: 6, label: `注册一班（${ORGS[1]}）`, reason: '缺少单位联系人手机或邮箱' }]);
  });

  it('takes the leader’s mobile out of a 联系电话 holding a landline beside it, or an extension', async () => {
    for (const phone of ['020-12345678、13812345678', '020-12345678 13812345678', '13812345678 转 8001']) {
      await h.db.db.update(teams).set({ phone }).where(eq(teams.code, 'GDSZ-2026-0001'));
      clock.advance(60_000);
      await h.click(ADMIN, { action: 'import.export' });
      await h.drain();
      const row = (await load(registersSent().at(-1)!.bytes)).getWorksheet('班组')!.getRow(6);
      expect(row.getCell(1).value).toBe('GDSZ-2026-0001');
      expect(row.getCell(5).value, phone).toBe('13812345678');
      expect(String(row.getCell(5).note)).toContain('注册时填写的联系电话');
    }
  });
});
