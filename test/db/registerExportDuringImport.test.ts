import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkJobs, imports, organizations, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { registerWorkbook } from '../../src/import/export.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { cardActions } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN, workbookSender } from '../support/harness.js';
import { cardActionEvent, messageEvent } from '../support/larkEvents.js';

/**
 * 导出当前名册 while 确认导入's job is writing its batches (IMPORT_BATCH rows each, a transaction each): the register is
 * then half the file's and half as it was. Such a file, edited and sent back once the import is done, would set the
 * later batches' rows back; so nothing is exported until the import is done, and the secretary is told why.
 */
let h: Harness;
const clock = new ManualClock('2026-12-06T09:00:00+08:00');
const send = workbookSender(() => h, 'exportduring');
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];
async function book(orgs: string[], members: number) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ...orgs.map((o) => [o])]);
  wb.addWorksheet('班组').addRows([HEADER, ['GDSZ-2024-0001', '养护一班', '甲公司', '行政班组', '13900000001', '王一', '13900000002', '李四', '2024-02-20', members, '']]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
const registersSent = () =>
  h.fake.messages
    .filter((m) => m.msgType === 'file' && m.receiveId === ADMIN)
    .map((m) => h.fake.upload(m.content.file_key)!)
    .filter((u) => u.fileName?.startsWith('质量信得过班组名册'));
const lastImport = async () => (await h.db.db.select().from(imports).orderBy(imports.id)).at(-1)!;
const membersNow = async () => (await h.db.db.select().from(teams).where(eq(teams.code, 'GDSZ-2024-0001')))[0].memberCount;
const exportClick = async () => (await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'import.export' } }))).body;

describe('导出当前名册 while an import is being applied', () => {
  let jobId: number;

  beforeAll(async () => {
    h.fake.addUser({ name: '王一', mobile: '13900000001' });
    h.fake.addUser({ name: '李四', mobile: '13900000002' });
    const first = await send(await book(['甲公司'], 12));
    await h.click(ADMIN, cardActions(first.content).find((a) => a.action === 'import.apply') as never, {});
    // the new register: 500 organisations more, and 养护一班 grown to 15: two batches, the team in the second
    const more = Array.from({ length: 500 }, (_, i) => `新单位${i + 1}`);
    const preview = await send(await book(['甲公司', ...more], 15));
    const apply = cardActions(preview.content).find((a) => a.action === 'import.apply')!;
    // confirmed, and its job has written its first batch only (the worker does not run between the steps here)
    await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: apply as never }));
    const job = await h.app.bulkJobs.claim();
    jobId = job!.id;
    expect(await h.app.bulkJobs.runBatch(jobId)).toBe('more');
    expect((await h.db.db.select().from(organizations)).length).toBe(500);
    expect(await membersNow()).toBe(12);
  });

  it('the button and the typed word queue no file, saying the import is under way and to export once it is done', async () => {
    const res = await exportClick();
    expect(res.toast.type).toBe('info');
    expect(res.toast.content).toMatch(/^导入“班组名单.xlsx”正在进行（499\/501 行），名册现在只写入了一部分，暂不导出/);
    const from = h.fake.messages.length;
    await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: ADMIN, text: '导出名册' }));
    await h.app.dispatcher.drain(30_000);
    expect(h.fake.messages.slice(from).map((m) => JSON.stringify(m.content)).join()).toContain('暂不导出：请在导入完成后');
    expect(registersSent()).toEqual([]);
  });

  it('a file asked for just before the import started waits for its batches (the outbox tries again), not drawn half way', async () => {
    await expect(registerWorkbook(h.db.db, clock.now())).rejects.toThrow(/waits for the import/);
  });

  it('stopped by a failure: the button says to press 重试 first; a file drawn then says it is no register to send back', async () => {
    await h.db.db.update(bulkJobs).set({ status: 'failed', claimedBy: null, leaseUntil: null, finishedAt: new Date() }).where(eq(bulkJobs.id, jobId));
    const res = await exportClick();
    expect(res.toast.content).toContain('中断在 499/501 行');
    expect(res.toast.content).toContain('点“重试”完成导入，再导出名册');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await registerWorkbook(h.db.db, clock.now())) as unknown as ArrayBuffer);
    expect(String(wb.getWorksheet('说明')!.getRow(1).getCell(1).value)).toContain('不要修改后发回导入');
  });

  it('once the import is done, the register exported is the whole file’s, and sent back changes nothing', async () => {
    await h.db.db.update(bulkJobs).set({ status: 'queued', finishedAt: null }).where(eq(bulkJobs.id, jobId));
    await h.drain();
    expect(await membersNow()).toBe(15);
    clock.advance(60_000);
    expect((await exportClick()).toast.type).toBe('success');
    await h.drain();
    const [file] = registersSent();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.bytes as unknown as ArrayBuffer);
    expect(wb.getWorksheet('单位')!.actualRowCount).toBe(502);
    expect(wb.getWorksheet('班组')!.getRow(2).getCell(10).value).toBe(15);
    await send(file.bytes as Buffer);
    const s = (await lastImport()).summary as ImportSummary;
    expect([s.add, s.update, s.refused]).toEqual([[], [], []]);
  });
});
