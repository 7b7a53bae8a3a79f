import ExcelJS from 'exceljs';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bulkJobs, imports, outbox } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { fileMessageEvent } from '../support/larkEvents.js';

/**
 * A workbook sent in chat is read off the event: the event only records the job (Feishu counts an event
 * not answered within 3 s as failed and pushes it again), the job downloads it, looks its people up and
 * answers with the preview; a file it cannot read is said in the chat; a failed download can be retried.
 */

let h: Harness;
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock });
  h.fake.addUser({ name: '王班长', mobile: '13911110001' });
  h.fake.addUser({ name: '周联系人', mobile: '13911110002' });
});
afterAll(async () => {
  await h?.close();
});

async function workbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['佛山市政养护公司']]);
  wb.addWorksheet('班组').addRows([
    ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
    ['', '排水一班', '佛山市政养护公司', '行政班组', '13911110001', '王班长', '13911110002', '周联系人', '2024-05-06', 12, ''],
  ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const downloads = (messageId: string) => h.fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/open-apis/im/v1/messages/${messageId}/resources/`));
const lookups = () => h.fake.requests.filter((r) => r.path === '/open-apis/contact/v3/users/batch_get_id');
const toAdmin = () => h.fake.messages.filter((m) => m.receiveId === ADMIN);
const previewJobs = () => h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'importPreview'));

describe('a workbook sent in chat is read by a job, not by the event', () => {
  it('answers the event having downloaded nothing; the job sends one preview, however often Feishu pushes the message', async () => {
    h.fake.addMessageFile('om_pv_1', 'file_v2_pv_1', await workbook());
    const lookupsBefore = lookups().length;
    const send = (eventId: string) => h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_pv_1', fileKey: 'file_v2_pv_1', fileName: '佛山班组.xlsx', eventId }));
    expect((await send('ev_pv_1')).status).toBe(200);
    // pushed again under a new event id, as Feishu does when it counted the first push as failed
    expect((await send('ev_pv_1_again')).status).toBe(200);
    expect(downloads('om_pv_1')).toHaveLength(0);
    expect(lookups()).toHaveLength(lookupsBefore);
    expect(await h.db.db.select().from(imports)).toHaveLength(0);
    const [job, ...more] = await previewJobs();
    expect(more).toHaveLength(0);
    expect(job).toMatchObject({ status: 'queued', createdBy: ADMIN, total: 1 });

    await h.drain();
    expect(downloads('om_pv_1')).toHaveLength(1);
    expect(lookups().length).toBeGreaterThan(lookupsBefore);
    const texts = toAdmin().filter((m) => m.msgType === 'text').map((m) => String(m.content.text));
    expect(texts.filter((t) => t.includes('已收到“佛山班组.xlsx”'))).toHaveLength(1);
    const previews = toAdmin().filter((m) => m.msgType === 'interactive' && cardActions(m.content).some((a) => a.action === 'import.apply'));
    expect(previews).toHaveLength(1);
    expect(cardText(previews[0].content)).toContain('| 班组 | 1 | 0 | 0 | 0 |');
    const [record] = await h.db.db.select().from(imports);
    expect(record).toMatchObject({ status: 'planned', fileName: '佛山班组.xlsx' });
    expect(cardActions(previews[0].content).find((a) => a.action === 'import.apply')!.importId).toBe(record.id);
    // the job shows no card of its own: the preview is its answer
    expect((await previewJobs())[0]).toMatchObject({ status: 'done', done: 1 });
    expect(toAdmin().filter((m) => m.msgType === 'interactive' && cardText(m.content).includes('读取导入文件'))).toHaveLength(0);
  });

  it('says in the chat what is wrong with a file it cannot read, once, and keeps nothing of it', async () => {
    h.fake.addMessageFile('om_pv_2', 'file_v2_pv_2', Buffer.from('这不是工作簿'));
    const importsBefore = (await h.db.db.select().from(imports)).length;
    const sentBefore = toAdmin().length;
    await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_pv_2', fileKey: 'file_v2_pv_2', fileName: '坏文件.xlsx' }));
    await h.drain();
    const answers = toAdmin().slice(sentBefore);
    expect(answers.map((m) => m.msgType)).toEqual(['text', 'text']);
    expect(String(answers[1].content.text)).toMatch(/坏文件\.xlsx|工作簿|xlsx/);
    expect(await h.db.db.select().from(imports)).toHaveLength(importsBefore);
    const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'import:preview:om_pv_2'));
    expect(row.msgType).toBe('text');
  });

  it('reads a file once, before the batch’s transaction: what it holds, or what is wrong with it, is what the batch records', async () => {
    // what exceljs is given to read (a workbook costs it seconds and hundreds of MB): once a file
    const loads = vi.spyOn(Object.getPrototypeOf(new ExcelJS.Workbook().xlsx) as { load(data: ArrayBuffer): Promise<unknown> }, 'load');
    try {
      const sentBefore = toAdmin().length;
      h.fake.addMessageFile('om_pv_4', 'file_v2_pv_4', await workbook());
      await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_pv_4', fileKey: 'file_v2_pv_4', fileName: '四月班组.xlsx' }));
      await h.drain();
      expect(loads).toHaveBeenCalledTimes(1);
      const preview = toAdmin()
        .slice(sentBefore)
        .find((m) => m.msgType === 'interactive' && cardActions(m.content).some((a) => a.action === 'import.apply'));
      expect(cardText(preview!.content)).toContain('四月班组.xlsx');

      // a workbook whose 班组 sheet lacks its columns: said in the chat, the file read once too
      loads.mockClear();
      const wb = new ExcelJS.Workbook();
      wb.addWorksheet('班组').addRows([['班组名称*', '所属单位*'], ['排水二班', '佛山市政养护公司']]);
      h.fake.addMessageFile('om_pv_5', 'file_v2_pv_5', Buffer.from(await wb.xlsx.writeBuffer()));
      await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_pv_5', fileKey: 'file_v2_pv_5', fileName: '缺列.xlsx' }));
      await h.drain();
      expect(loads).toHaveBeenCalledTimes(1);
      expect(String(toAdmin().at(-1)!.content.text)).toContain('“班组”表第 1 行的表头缺少列：班组类型、班组长手机或邮箱');
    } finally {
      loads.mockRestore();
    }
  });

  it('a download Feishu refuses fails the job with 重试 on its card; 重试 once the file is there sends the preview', async () => {
    const sentBefore = toAdmin().length;
    // no bytes behind the key yet: Feishu answers 234003
    await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_pv_3', fileKey: 'file_v2_pv_3', fileName: '三月班组.xlsx' }));
    await h.drain();
    const [failed] = (await previewJobs()).filter((j) => (j.params as { sourceMessageId: string }).sourceMessageId === 'om_pv_3');
    expect(failed.status).toBe('failed');
    const card = toAdmin()
      .slice(sentBefore)
      .find((m) => m.msgType === 'interactive' && cardActions(m.content).some((a) => a.action === 'bulk.retry'))!;
    expect(cardText(card.content)).toContain('导入文件“三月班组.xlsx”');
    expect(cardText(card.content)).toContain('读取导入文件未完成');

    h.fake.addMessageFile('om_pv_3', 'file_v2_pv_3', await workbook());
    const retry = await h.click(ADMIN, { action: 'bulk.retry', jobId: failed.id }, undefined, { messageId: 'om_pv_failed_card' });
    expect(retry.toast?.type).not.toBe('error');
    await h.drain();
    // the card 重试 was pressed on follows the job to its end, instead of saying “正在读取” for ever
    const updates = await h.db.db.select().from(outbox).where(and(eq(outbox.receiver, 'om_pv_failed_card'), eq(outbox.kind, 'update')));
    expect(updates.length).toBeGreaterThan(0);
    expect(cardText(updates.at(-1)!.card)).toContain('已读取 1 / 1 个文件');
    const previews = toAdmin()
      .slice(sentBefore)
      .filter((m) => m.msgType === 'interactive' && cardActions(m.content).some((a) => a.action === 'import.apply'));
    expect(previews).toHaveLength(1);
    expect((await previewJobs()).find((j) => j.id === failed.id)).toMatchObject({ status: 'done' });
  });

  it.each([
    [234038, '保密模式'],
    [234043, '合并转发'],
    [234040, '看不到了'],
  ] as const)('a file Feishu refuses for good (%s) is answered in the chat with what to do, not a failed job with 重试', async (code, said) => {
    const sentBefore = toAdmin().length;
    const messageId = `om_pv_refused_${code}`;
    h.fake.refuseMessageFile(messageId, `file_v2_${code}`, code);
    await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId, fileKey: `file_v2_${code}`, fileName: '名册.xlsx' }));
    await h.drain();
    const [job] = (await previewJobs()).filter((j) => (j.params as { sourceMessageId: string }).sourceMessageId === messageId);
    expect(job.status).toBe('done');
    const sent = toAdmin().slice(sentBefore);
    expect(sent.some((m) => m.msgType === 'interactive' && cardActions(m.content).some((a) => a.action === 'bulk.retry'))).toBe(false);
    const texts = sent.filter((m) => m.msgType === 'text').map((m) => String(m.content.text));
    expect(texts).toEqual([expect.stringContaining("正在读取"), expect.stringContaining(said)]);
  });
});
