import ExcelJS from 'exceljs';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, auditLog, bulkJobs, cycles, imports, organizations, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * The administrators' workbook follows 修改资料's rule: a row renaming a team, or moving it to another organisation,
 * while the team's application of the running year is with its organisation, the association or the experts is
 * refused whole in the preview (the rest of the file applies); an application submitted after the preview makes the
 * confirmation answer with the preview planned again, the row refused there; a rename the import applies is audited
 * as team.rename {from, to}.
 */
let h: Harness;
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const send = workbookSender(() => h, 'importrename');
async function apply(msg: { content: unknown }) {
  const confirm = cardActions(msg.content).find((a) => a.action === 'import.apply');
  expect(confirm).toBeDefined();
  await h.click(ADMIN, confirm as never);
  await h.drain();
}

const ORG_A = '广州市市政工程维修有限公司';
const ORG_B = '佛山市政建设有限公司';
const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];
/** A 班组 row: code, name, organisation, member count. */
const row = (code: string, name: string, org: string, members = 10) => [code, name, org, '项目团队', `1370000${code.slice(-4)}`, '班长', `1360000${code.slice(-4)}`, '联系人', '2024-03-15', members, ''];
async function book(rows: unknown[][]) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG_A], [ORG_B]]);
  wb.addWorksheet('班组').addRows([HEADER, ...rows]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const team = async (code: string) => (await h.db.db.select().from(teams).where(eq(teams.code, code)))[0];
const orgName = async (id: number) => (await h.db.db.select().from(organizations).where(eq(organizations.id, id)))[0].name;
const renames = async (teamId: number) =>
  (await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'team.rename'), eq(auditLog.entity, 'team'), eq(auditLog.entityId, String(teamId)))).orderBy(auditLog.id)).map((a) => a.details);
const lastImport = async () => (await h.db.db.select().from(imports).orderBy(imports.id)).at(-1)!;

let cycleId = 0;
async function application(code: string, status: string) {
  const t = await team(code);
  await h.db.db
    .insert(applications)
    .values({ teamId: t.id, cycleId, status, submittedAt: clock.now() })
    .onConflictDoUpdate({ target: [applications.teamId, applications.cycleId], set: { status } });
}

describe('an import renaming or moving a team whose application is under way', () => {
  beforeAll(async () => {
    expect((await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' })).toast?.type).toBe('success');
    [{ id: cycleId }] = await h.db.db.select({ id: cycles.id }).from(cycles);
    await apply(
      await send(
        await book([
          row('GDSZ-2024-0501', '养护一班', ORG_A),
          row('GDSZ-2024-0502', '养护二班', ORG_A),
          row('GDSZ-2024-0503', '养护三班', ORG_A),
          row('GDSZ-2024-0504', '养护四班', ORG_A),
        ]),
      ),
    );
    expect((await h.db.db.select().from(teams)).map((t) => t.name).sort()).toEqual(['养护一班', '养护三班', '养护二班', '养护四班']);
    // 一班 waits for its contact, 三班 for the experts; 二班 was returned to its leader; 四班 has not applied
    await application('GDSZ-2024-0501', 'submitted');
    await application('GDSZ-2024-0502', 'returned');
    await application('GDSZ-2024-0503', 'scoring');
  });

  it('refuses the row of a rename while the application waits for the contact; the other rows apply, a rename allowed is audited', async () => {
    const msg = await send(
      await book([
        // renamed and with another member count: refused whole
        row('GDSZ-2024-0501', '养护一班（北区）', ORG_A, 20),
        // renamed while its application is back with the leader: applied
        row('GDSZ-2024-0502', '养护二班（南区）', ORG_A),
        // only its member count changed: applied although its application is with the experts
        row('GDSZ-2024-0503', '养护三班', ORG_A, 15),
      ]),
    );
    const text = cardText(msg.content);
    expect(text).toContain(
      '第 2 行 养护一班（北区）（广州市市政工程维修有限公司）：班组名称暂不能修改：该班组2027年度申报正在等待单位联系人确认，须按申报时的名称和单位确认、评审，本行（含其他资料）未导入。申报退回修改后或本年度评审结果公布后可再导入；只更新其他资料请将本行改回原班组名称“养护一班”',
    );
    const preview = (await lastImport()).summary as ImportSummary;
    expect(preview.refused.map((r) => [r.sheet, r.row])).toEqual([['teams', 2]]);
    expect(preview.update.map((r) => [r.row, r.changes])).toEqual([
      [3, ['班组名称']],
      [4, ['成员人数']],
    ]);

    await apply(msg);
    const one = await team('GDSZ-2024-0501');
    expect([one.name, one.memberCount]).toEqual(['养护一班', 10]);
    expect(await renames(one.id)).toEqual([]);
    const two = await team('GDSZ-2024-0502');
    expect(two.name).toBe('养护二班（南区）');
    expect(await renames(two.id)).toEqual([{ from: '养护二班', to: '养护二班（南区）' }]);
    expect((await team('GDSZ-2024-0503')).memberCount).toBe(15);
    const applied = await lastImport();
    expect(applied.status).toBe('applied');
    expect((applied.summary as ImportSummary).refused.map((r) => r.row)).toEqual([2]);
    // written with the import's other writes: one clock reading, the rename beside the row's update
    const written = await h.db.db.select().from(auditLog).where(and(eq(auditLog.entity, 'team'), eq(auditLog.entityId, String(two.id)))).orderBy(auditLog.id);
    expect(written.slice(-2).map((a) => a.action)).toEqual(['team.import.update', 'team.rename']);
    expect(written.at(-1)!.at.getTime()).toBe(applied.appliedAt!.getTime());
  });

  it('refuses a move to another organisation while the experts have the application', async () => {
    const msg = await send(await book([row('GDSZ-2024-0503', '养护三班', ORG_B), row('GDSZ-2024-0501', '养护一班', ORG_B), row('GDSZ-2024-0504', '养护四班', ORG_B)]));
    const text = cardText(msg.content);
    expect(text).toContain(`所属单位暂不能修改：该班组2027年度申报正在专家评审中，须按申报时的名称和单位确认、评审，本行（含其他资料）未导入。申报退回修改后或本年度评审结果公布后可再导入；只更新其他资料请将本行改回原所属单位“${ORG_A}”`);
    expect(text).toContain(`第 3 行 养护一班（${ORG_B}）：所属单位暂不能修改：该班组2027年度申报正在等待单位联系人确认`);
    await apply(msg);
    const three = await team('GDSZ-2024-0503');
    const one = await team('GDSZ-2024-0501');
    expect([await orgName(three.organizationId), await orgName(one.organizationId), one.name]).toEqual([ORG_A, ORG_A, '养护一班']);
    // a team without an application moves
    expect(await orgName((await team('GDSZ-2024-0504')).organizationId)).toBe(ORG_B);
  });

  it('refuses a new 注册日期 while the experts have the application (第十六条 was checked against the old one); a team without one takes it', async () => {
    const dated = (code: string, name: string, date: string) => row(code, name, ORG_A).map((v, i) => (HEADER[i] === '注册日期*' ? date : v));
    const msg = await send(await book([dated('GDSZ-2024-0503', '养护三班', '2026-09-01'), dated('GDSZ-2024-0504', '养护四班', '2024-04-01')]));
    expect(cardText(msg.content)).toContain(
      '第 2 行 养护三班（广州市市政工程维修有限公司）：注册日期暂不能修改：该班组2027年度申报正在专家评审中，注册满一年（第十六条）已按申报时的注册日期审核，本行（含其他资料）未导入。申报退回修改后或本年度评审结果公布后可再导入；只更新其他资料请将本行改回原注册日期 2024年3月15日',
    );
    await apply(msg);
    expect((await team('GDSZ-2024-0503')).registeredAt).toBe('2024-03-15');
    expect((await team('GDSZ-2024-0504')).registeredAt).toBe('2024-04-01');
  });

  it('answers a confirmation with the preview planned again when the application was submitted after the preview: the rename refused there, nothing written', async () => {
    const msg = await send(await book([row('GDSZ-2024-0502', '养护二班（西区）', ORG_A, 12)]));
    const previewed = await lastImport();
    expect((previewed.summary as ImportSummary).update.map((r) => r.row)).toEqual([2]);
    // the leader submits again after the preview
    await application('GDSZ-2024-0502', 'submitted');
    const answer = await h.click(ADMIN, cardActions(msg.content).find((a) => a.action === 'import.apply') as never);
    await h.drain();
    expect(answer.toast).toEqual({ type: 'warning', content: '预览后数据已有变化，尚未导入：请核对重新生成的预览后再确认导入' });
    const text = cardText(answer.card.data);
    expect(text).toContain('预览后数据已有变化，尚未导入。');
    expect(text).toContain('班组名称暂不能修改：该班组2027年度申报正在等待单位联系人确认');
    // the row refused whole: nothing left to confirm
    expect(cardActions(answer.card.data).some((a) => a.action === 'import.apply')).toBe(false);
    const two = await team('GDSZ-2024-0502');
    expect([two.name, two.memberCount]).toEqual(['养护二班（南区）', 10]);
    expect(await renames(two.id)).toHaveLength(1);
    const replanned = await lastImport();
    expect(replanned.id).toBe(previewed.id);
    expect(replanned.status).toBe('planned');
    expect((replanned.summary as ImportSummary).update).toEqual([]);
    expect((replanned.summary as ImportSummary).refused).toEqual([expect.objectContaining({ row: 2, reason: expect.stringMatching(/^班组名称暂不能修改：该班组2027年度申报正在等待单位联系人确认/) })]);
    expect(await h.db.db.select().from(bulkJobs).where(sql`${bulkJobs.params}->>'importId' = ${String(previewed.id)}`)).toEqual([]);
  });

  it('allows the rename once the results are published (the cycle no longer running)', async () => {
    await h.db.db.update(cycles).set({ status: 'published' }).where(eq(cycles.id, cycleId));
    await apply(await send(await book([row('GDSZ-2024-0501', '养护一班（北区）', ORG_A)])));
    const one = await team('GDSZ-2024-0501');
    expect(one.name).toBe('养护一班（北区）');
    expect(await renames(one.id)).toEqual([{ from: '养护一班', to: '养护一班（北区）' }]);
  });
});
