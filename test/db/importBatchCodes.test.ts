import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bulkJobs, imports, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN, workbookSender } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * A secretary's list mixes old teams that keep their GDSZ code with new teams that have none (the bot gives them one).
 * The job writes 500 rows a batch: what it writes is what the preview showed, so no team is given a code that a row of
 * the same file holds, neither by a batch nor by a 注册 while the file is being imported.
 */
let h: Harness;
beforeEach(async () => {
  h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 5000, perReceiver: 5000 } });
});
afterEach(async () => {
  await h?.close();
});
const send = workbookSender(() => h, 'batchcodes');
const ORG = '广州市政公司';
const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];
const teamRow = (code: string, name: string, leader: string, registeredAt: string) => [code, name, ORG, '行政班组', leader, '', 'c@example.com', '联系人', registeredAt, 10, ''];

async function preview(rows: unknown[][]): Promise<{ id: number; summary: ImportSummary }> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG]]);
  wb.addWorksheet('班组').addRows([HEADER, ...rows]);
  await send(Buffer.from(await wb.xlsx.writeBuffer()));
  const [record] = await h.db.db.select().from(imports).orderBy(imports.id);
  return { id: record.id, summary: record.summary as ImportSummary };
}

const teamsByName = async () => new Map((await h.db.db.select().from(teams)).map((t) => [t.name, t]));

describe('确认导入 of a file mixing coded and uncoded teams', () => {
  it('over several batches imports every team the preview promised, each with its own code', async () => {
    const rows = [
      // row 2: a new team without a code, registered in 2024
      teamRow('', '新养护班', '13900000001', '2024-05-01'),
      // rows 3–600: old teams of 2023 with their codes
      ...Array.from({ length: 598 }, (_, i) => teamRow(`GDSZ-2023-${String(i + 1).padStart(4, '0')}`, `老班组${i + 1}`, `1380000${String(i + 1).padStart(4, '0')}`, '2023-01-10')),
      // row 601, in the second batch: an old team of 2024 that keeps its code GDSZ-2024-0001
      teamRow('GDSZ-2024-0001', '老养护班', '13900000002', '2024-01-10'),
    ];
    const { id, summary } = await preview(rows);
    expect(summary.refused).toEqual([]);
    expect(summary.add.filter((a) => a.sheet === 'teams')).toHaveLength(600);

    await h.click(ADMIN, { action: 'import.apply', importId: id });
    await h.drain();
    const [job] = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'));
    expect(job.status).toBe('done');
    expect((job.result as { outcome: string }).outcome).toBe('新增 601 行，更新 0 行，不变 0 行');
    const byName = await teamsByName();
    expect(byName.size).toBe(600);
    expect(byName.get('老养护班')?.code).toBe('GDSZ-2024-0001');
    expect(byName.get('新养护班')?.code).toBe('GDSZ-2024-0002');
  }, 120_000);

  it('a 注册 between the confirmation and the job’s batches draws a code the file does not hold', async () => {
    const leader = 'ou_batchcodesleader00000000000001';
    const contact = 'ou_batchcodescontact0000000000001';
    h.fake.addUser({ openId: leader, name: '王班长' } as never);
    h.fake.addUser({ openId: contact, name: '李联系人' } as never);
    // an old team of this year keeping GDSZ-2026-0001, and a new one of this year without a code
    const { id, summary } = await preview([teamRow('GDSZ-2026-0001', '老养护班', '13900000002', '2026-01-05'), teamRow('', '新养护班', '13900000001', '2026-02-01')]);
    expect(summary.add.filter((a) => a.sheet === 'teams')).toHaveLength(2);

    // 确认导入 as Feishu sends it, the job left waiting for the worker
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'import.apply', importId: id } }));
    expect(res.body.toast?.type).toBe('success');
    expect(await h.db.db.select().from(teams)).toHaveLength(0);
    // a leader registers meanwhile (h.click then runs the job)
    expect((await h.click(leader, { action: 'team.register' }, registrationForm('养护一班', contact))).toast?.type).toBe('success');

    const [job] = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'));
    expect(job.status).toBe('done');
    expect((job.result as { refusedTotal: number }).refusedTotal).toBe(0);
    const byName = await teamsByName();
    expect(byName.size).toBe(3);
    expect(byName.get('老养护班')?.code).toBe('GDSZ-2026-0001');
    expect(byName.get('养护一班')?.code).toBe('GDSZ-2026-0002');
    expect(byName.get('新养护班')?.code).toBe('GDSZ-2026-0003');
  });
});
