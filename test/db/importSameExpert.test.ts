import ExcelJS from 'exceljs';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkJobs, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, startHarness, type Harness, workbookSender } from '../support/harness.js';

/**
 * One expert listed twice, by mobile in one row and by e-mail in the next: the two are one Feishu account. The preview
 * counted two additions, and applying failed part way (ON CONFLICT DO UPDATE cannot affect a row a second time), the
 * teams before it written and every 重试 failing the same way. The later row is refused at the preview, naming the first.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
  h.fake.addUser({ name: '陈专家', mobile: '13700000001', email: 'chen@example.com' });
});
afterAll(async () => {
  await h?.close();
});
const send = workbookSender(() => h, 'sameexpert');

describe('导入 naming one expert by mobile and by e-mail', () => {
  it('refuses the second row at the preview and applies the rest whole', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      ['', '养护一班', '广州市政公司', '行政班组', 13900000001, '王', 13900000002, '李', '2024-01-10', 10, ''],
    ]);
    wb.addWorksheet('专家').addRows([
      ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
      ['陈专家', 13700000001, '广州市政公司', '道路', 5],
      ['陈专家', 'chen@example.com', '广州市政公司', '道路、桥梁', 5],
    ]);
    const preview = await send(Buffer.from(await wb.xlsx.writeBuffer()));
    const text = cardText(preview.content);
    expect(text).toContain('与第 2 行是同一人：chen@example.com 与第 2 行的手机或邮箱是同一个飞书账号');
    const confirm = cardActions(preview.content).find((a) => a.action === 'import.apply')!;
    const applied = await h.click(ADMIN, { action: 'import.apply', importId: confirm.importId, version: confirm.version });
    expect(applied.toast.type).toBe('success');
    await h.drain();
    const jobs = await h.db.db.select({ kind: bulkJobs.kind, status: bulkJobs.status }).from(bulkJobs);
    expect(jobs.filter((j) => j.status !== 'done')).toEqual([]);
    const [experts] = await h.db.db.select({ n: sql<number>`count(*)::int` }).from(people).where(and(sql`'expert' = any(${people.roles})`, eq(people.name, '陈专家')));
    expect(Number(experts.n)).toBe(1);
  });
});
