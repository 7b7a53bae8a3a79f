import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imports, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * 导出当前名册 writes a leader the bot knows by no mobile or e-mail by the team's 联系电话 typed at registration: the
 * registering leader's. After 更换班组长 that number is the former leader's; written for the new one and sent back
 * unchanged, the import found the former leader by it and set the team's leader back. The new leader's cell is blank
 * with its note, as anyone's the bot knows no number of, until 修改资料 gives the team a 联系电话 again.
 */
let h: Harness;
const clock = new ManualClock('2026-12-06T09:00:00+08:00');
const send = workbookSender(() => h, 'leaderchanged');
const OLD = 'ou_exportoldleader00000000000000001';
const NEW = 'ou_exportnewleader00000000000000001';
const PHONE = '13812345678';
const CONTACT = 'pending:m:13700000009';
beforeAll(async () => {
  h = await startHarness({ clock });
  // the registering leader, found in the address book by the number typed at registration
  h.fake.addUser({ name: '赵班长', mobile: PHONE, openId: OLD });
  const [org] = await h.db.db.insert(organizations).values({ name: '甲公司' }).returning();
  await h.db.db.insert(people).values([
    { openId: OLD, name: '赵班长' },
    { openId: NEW, name: '钱组员' },
    // the contact, imported by a mobile and not yet in the address book
    { openId: CONTACT, name: '孙联系人' },
  ]);
  const [team] = await h.db.db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0001', name: '注册一班', organizationId: org.id, department: '', type: 'project', leaderOpenId: OLD, phone: PHONE,
      memberCount: 5, functions: '养护', goals: '零缺陷', plan: '每月检查', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  await h.db.db.insert(teamMembers).values([
    { teamId: team.id, openId: OLD, role: 'leader' },
    { teamId: team.id, openId: NEW, role: 'member' },
  ]);
});
afterAll(async () => {
  await h?.close();
});

const teamRow = async () => (await h.db.db.select().from(teams).where(eq(teams.code, 'GDSZ-2025-0001')))[0];
async function exported(): Promise<ExcelJS.Workbook> {
  clock.advance(60_000);
  await h.click(ADMIN, { action: 'import.export' });
  const files = h.fake.messages.filter((m) => m.msgType === 'file' && m.receiveId === ADMIN).map((m) => h.fake.upload(m.content.file_key)!);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(files.at(-1)!.bytes as unknown as ArrayBuffer);
  return wb;
}

describe('导出当前名册 after 更换班组长', () => {
  it('before: the registering leader is written by the 联系电话 typed at registration, with its note', async () => {
    const cell = (await exported()).getWorksheet('班组')!.getRow(2).getCell(5);
    expect(cell.value).toBe(PHONE);
    expect(String(cell.note)).toContain('注册时填写的联系电话');
  });

  it('after: the new leader is not written by the former leader’s number; sent back unchanged, the leader is not set back', async () => {
    const { id } = await teamRow();
    const res = await h.click(ADMIN, { action: 'team.leaderChange', teamId: id, from: OLD }, { leader: NEW });
    expect(res.toast?.type ?? 'success').toBe('success');
    expect((await teamRow()).leaderOpenId).toBe(NEW);

    const wb = await exported();
    const cell = wb.getWorksheet('班组')!.getRow(2).getCell(5);
    expect(cell.value).toBeNull();
    expect(String(cell.note)).toContain('导入前请填写其飞书账号绑定的手机号或邮箱');
    await send(Buffer.from(await wb.xlsx.writeBuffer()));
    const s = (await h.db.db.select().from(imports).orderBy(imports.id)).at(-1)!.summary as ImportSummary;
    expect(s.update).toEqual([]);
    expect(s.refused.map((r) => r.reason)).toEqual(['缺少班组长手机或邮箱']);
    expect((await teamRow()).leaderOpenId).toBe(NEW);
  });

  it('修改资料 giving the team a 联系电话 again: the new leader is written by it', async () => {
    const { id } = await teamRow();
    await h.click(NEW, { action: 'team.editSave', teamId: id }, { phone: '13912345678' });
    expect((await teamRow()).phone).toBe('13912345678');
    expect((await exported()).getWorksheet('班组')!.getRow(2).getCell(5).value).toBe('13912345678');
  });
});
