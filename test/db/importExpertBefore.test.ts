import ExcelJS from 'exceljs';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { applyImport, previewImport } from '../../src/import/index.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * 导入's audit row of an expert on record keeps what the row wrote over (第十七条). It was read after the same batch
 * had filled in a missing name (the people's rows) and given a contact without one the organisation of their team: for
 * an expert who is also a contact in the file, or had no name, `before` showed the new values, as if nothing changed.
 */
describe('导入: an expert who is also a contact in the file, with no name or organisation on record', () => {
  let h: Harness;
  const PERSON = 'ou_importexpertbefore0000000000001';
  const LEADER = 'ou_importexpertbefore0000000000002';
  const ORG = '前值市政公司';

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    // known to the bot (a picker's person), no name, no organisation, not yet an expert
    await h.db.db.insert(people).values({ openId: PERSON });
  }, 120_000);
  afterAll(async () => h?.close());

  it('the audit row says they had neither: the name and the organisation are the file’s', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], [ORG]]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      ['', '前值一班', ORG, '项目团队', '13900000062', '一班班长', '13900000061', '周前值', '2025-02-01', 9, '工程部'],
    ]);
    wb.addWorksheet('专家').addRows([
      ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
      ['周前值', '13900000061', ORG, '道路养护', 3],
    ]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const lookup = async () => ({ byMobile: new Map([['13900000061', PERSON], ['13900000062', LEADER]]), byEmail: new Map<string, string>() });
    const now = h.clock.now();
    const db = h.db.db;
    const preview = await db.transaction((tx) => previewImport(tx, actor, { name: '前值.xlsx', bytes }, lookup, '2027-03-05', now));
    await db.transaction((tx) => applyImport(tx, actor, preview.id, now, '2027-03-05', { bootstrapAdmins: [ADMIN] }));
    const [after] = await db.select().from(people).where(eq(people.openId, PERSON));
    expect(after).toMatchObject({ name: '周前值' });
    expect(after.organizationId).not.toBeNull();
    const [row] = await db.select().from(auditLog).where(and(eq(auditLog.action, 'expert.import.update'), eq(auditLog.entityId, PERSON)));
    expect((row.details as { before: unknown }).before).toEqual({ expert: false, name: null, organization: null, specialities: [], maxLoad: null });
  });
});
