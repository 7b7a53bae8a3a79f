import ExcelJS from 'exceljs';
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, auditLog, cycles, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';
import { type Fixture, ORG_B, ORG_POOL, personas, scoreForm, startSecurityHarness } from './securityFixture.js';

/**
 * 第十七条 (公开、公平、公正): the audit log of every change says who changed what and when, and where a change writes
 * over something, what it was before — so that “who changed this, and from what” has an answer once the row shows only
 * the latest. On PostgreSQL these run the one-statement paths (src/fast/), on PGlite the ordinary ones: the rows are the same.
 */
describe('an overwrite keeps what it overwrote in its audit row', () => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await h?.close();
  });

  const latest = async (action: string, entityId: string | number) =>
    (await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, action), eq(auditLog.entityId, String(entityId)))).orderBy(desc(auditLog.id)).limit(1))[0];

  it('重开评分: the 评审意见 the expert’s sheet had, which their next submit writes over', async () => {
    const submitted = await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, { ...scoreForm(5), comment: '第一次评审意见' });
    expect(submitted.toast?.type, JSON.stringify(submitted.toast)).toBe('success');
    const reopened = await h.click(ADMIN, { action: 'review.reopen', assignmentId: f.ownTask });
    expect(reopened.toast?.type, JSON.stringify(reopened.toast)).toBe('success');
    const row = await latest('review.reopen', f.ownTask);
    expect(row.actor).toBe(ADMIN);
    expect(row.details).toMatchObject({ previousTotal: expect.any(Number), previousScores: expect.any(Object), previousComment: '第一次评审意见' });
    const again = await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, { ...scoreForm(6), comment: '第二次评审意见' });
    expect(again.toast?.type, JSON.stringify(again.toast)).toBe('success');
    const [task] = await h.db.db.select({ comment: assignments.comment }).from(assignments).where(eq(assignments.id, f.ownTask));
    expect(task.comment).toBe('第二次评审意见');
    // off the panel again (as 更换专家 leaves it), so that the score sheet may be loaded below (第十八条)
    await h.db.db.update(assignments).set({ status: 'replaced' }).where(eq(assignments.id, f.ownTask));
  });

  it('修改资料: each field changed, from what it was to what it is', async () => {
    const saved = await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { phone: '020-7654321', memberCount: '11', plan: '每周 QC 活动' });
    expect(saved.toast?.type, JSON.stringify(saved.toast)).toBe('success');
    const row = await latest('team.update', f.teamA.id);
    expect(row.actor).toBe(personas.leader);
    expect(row.details).toMatchObject({
      changed: ['phone', 'memberCount', 'plan'],
      changes: { phone: { from: '020-1234567', to: '020-7654321' }, memberCount: { from: expect.any(Number), to: 11 }, plan: { from: expect.any(String), to: '每周 QC 活动' } },
    });
    expect((row.details as { changes: { memberCount: { from: number } } }).changes.memberCount.from).not.toBe(11);
    // an administrator's save over the leader's: the leader's value is what it overwrote
    const again = await h.click(ADMIN, { action: 'team.editSave', teamId: f.teamA.id }, { phone: '020-7650000' });
    expect(again.toast?.type, JSON.stringify(again.toast)).toBe('success');
    const second = await latest('team.update', f.teamA.id);
    expect(second.actor).toBe(ADMIN);
    expect(second.details).toEqual({ changed: ['phone'], changes: { phone: { from: '020-7654321', to: '020-7650000' } } });
  });

  it('专家库 保存修改: the organisation, specialities and load limit the expert had', async () => {
    const edit = (form: Record<string, unknown>) => h.click(ADMIN, { action: 'experts.add', edit: true, openId: personas.expert }, { experts: [personas.expert], ...form });
    const first = await edit({ organization: ORG_POOL, specialities: '道路养护', maxLoad: '3' });
    expect(first.toast?.type, JSON.stringify(first.toast)).toBe('success');
    const second = await edit({ organization: ORG_B, specialities: '桥梁检测', maxLoad: '5' });
    expect(second.toast?.type, JSON.stringify(second.toast)).toBe('success');
    const row = await latest('expert.add', personas.expert);
    expect(row.actor).toBe(ADMIN);
    expect(row.details).toEqual({
      organization: ORG_B,
      specialities: ['桥梁检测'],
      maxLoad: 5,
      before: { expert: true, active: true, organization: ORG_POOL, specialities: ['道路养护'], maxLoad: 3 },
    });
  });

  it('评分表 载入 over another: the sheet written over, whole', async () => {
    const sheet = (title: string, last: number) => `评分表：${title}\n总分：100\n1 基础\n1.1 甲 50\n1.2 乙 ${last}\n1.3 丙 ${50 - last}`;
    const load = (text: string) => h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId: f.cycleId }, { sheet: text });
    expect((await load(sheet('审计评分表一', 30))).toast?.type).toBe('success');
    const [{ scoreSheet: first }] = await h.db.db.select({ scoreSheet: cycles.scoreSheet }).from(cycles).where(eq(cycles.id, f.cycleId));
    expect((await load(sheet('审计评分表二', 20))).toast?.type).toBe('success');
    const row = await latest('cycle.loadScoreSheet', f.cycleId);
    expect(row.actor).toBe(ADMIN);
    expect(row.details).toMatchObject({ title: '审计评分表二', previousTitle: '审计评分表一', previousSheet: first });
    expect(JSON.stringify((row.details as { previousSheet: unknown }).previousSheet)).toContain('"max":30');
  });

  it('添加专家 of someone new: nothing was before, so no before', async () => {
    const added = await h.click(ADMIN, { action: 'experts.add' }, { experts: ['ou_auditnewexpert00000000000000001'], organization: ORG_POOL, specialities: '道路养护', maxLoad: '4' });
    expect(added.toast?.type, JSON.stringify(added.toast)).toBe('success');
    const row = await latest('expert.add', 'ou_auditnewexpert00000000000000001');
    expect(row.details).toEqual({ organization: ORG_POOL, specialities: ['道路养护'], maxLoad: 4 });
  });
});

describe('导入 over rows on record keeps what each row wrote over in its audit row', () => {
  let h: Harness;
  const LEADER_1 = 'ou_auditimportleader00000000000001';
  const LEADER_2 = 'ou_auditimportleader00000000000002';
  const CONTACT = 'ou_auditimportcontact0000000000001';
  const EXPERT = 'ou_auditimportexpert00000000000001';
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.fake.addUser({ openId: LEADER_1, name: '王班长', mobile: '13700000101' });
    h.fake.addUser({ openId: LEADER_2, name: '赵班长', mobile: '13700000102' });
    h.fake.addUser({ openId: CONTACT, name: '钱联系人', mobile: '13600000101' });
    h.fake.addUser({ openId: EXPERT, name: '孙专家', mobile: '13500000101' });
  });
  afterAll(async () => {
    await h?.close();
  });
  const send = workbookSender(() => h, 'auditprevious');
  const ORG_1 = '广州市市政工程维修有限公司';
  const ORG_2 = '佛山市政建设有限公司';
  async function importIt(team: { org: string; leader: string; members: number }, expert: { org: string; maxLoad: number }) {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], [ORG_1], [ORG_2]]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      ['GDSZ-2024-0701', '养护七班', team.org, '项目团队', team.leader, '', '13600000101', '钱联系人', '2024-03-15', team.members, ''],
    ]);
    wb.addWorksheet('专家').addRows([
      ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
      ['孙专家', 13500000101, expert.org, '道路养护', expert.maxLoad],
    ]);
    const preview = await send(Buffer.from(await wb.xlsx.writeBuffer()));
    const confirm = cardActions(preview.content).find((a) => a.action === 'import.apply');
    expect(confirm).toBeDefined();
    expect((await h.click(ADMIN, confirm as never)).toast?.type).toBe('success');
    await h.drain();
  }
  const latest = async (action: string, entityId: string | number) =>
    (await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, action), eq(auditLog.entityId, String(entityId)))).orderBy(desc(auditLog.id)).limit(1))[0];

  it('a team moved to another organisation and leader, and an expert’s load limit: each from what it was', async () => {
    await importIt({ org: ORG_1, leader: '13700000101', members: 10 }, { org: ORG_1, maxLoad: 3 });
    const [team] = await h.db.db.select().from(teams).where(eq(teams.code, 'GDSZ-2024-0701'));
    expect(team.leaderOpenId).toBe(LEADER_1);
    await importIt({ org: ORG_2, leader: '13700000102', members: 12 }, { org: ORG_2, maxLoad: 5 });
    const [after] = await h.db.db.select().from(teams).where(eq(teams.code, 'GDSZ-2024-0701'));
    expect(after.leaderOpenId).toBe(LEADER_2);
    const row = await latest('team.import.update', team.id);
    expect(row.actor).toBe(ADMIN);
    expect(row.details).toMatchObject({
      changes: { organization: { from: ORG_1, to: ORG_2 }, leader: { from: LEADER_1, to: LEADER_2 }, memberCount: { from: 10, to: 12 } },
    });
    expect(Object.keys((row.details as { changes: object }).changes).sort()).toEqual(['leader', 'memberCount', 'organization']);
    const expert = await latest('expert.import.update', EXPERT);
    expect(expert.details).toMatchObject({ before: { expert: true, name: '孙专家', organization: ORG_1, specialities: ['道路养护'], maxLoad: 3 } });
    expect((await h.db.db.select({ maxLoad: people.maxLoad }).from(people).where(eq(people.openId, EXPERT)))[0].maxLoad).toBe(5);
  });
});
