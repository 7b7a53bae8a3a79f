import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, cycles, honours, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * An association's roster imported over teams that registered in the bot: a leader or contact the file names by a
 * mobile the address book does not show stays the Feishu user the team has (never a placeholder in their place); a
 * code the bot gave another team, of another name in another organisation, is refused, not that team renamed and
 * moved; a title for a year the bot reviews is refused, so 公布结果 awards it, with its certificate.
 */
let h: Harness;
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const send = workbookSender(() => h, 'overimport');
const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];
async function book(orgs: string[], rows: unknown[][]) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ...orgs.map((o) => [o])]);
  wb.addWorksheet('班组').addRows([HEADER, ...rows]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
async function apply(msg: { content: unknown }) {
  const confirm = cardActions(msg.content).find((a) => a.action === 'import.apply');
  if (confirm) await h.click(ADMIN, confirm as never);
  await h.drain();
}

describe('importing over teams registered in the bot', () => {
  const leader = 'ou_overimportleader0000000000000001';
  const contact = 'ou_overimportcontact000000000000001';
  let code = '';

  it('keeps the leader and contact the team has when the file names them by a mobile not found, and says so', async () => {
    h.fake.addUser({ openId: leader, name: '王班长' } as never);
    h.fake.addUser({ openId: contact, name: '李联系人' } as never);
    expect((await h.click(leader, { action: 'team.register' }, registrationForm('养护一班', contact))).toast?.type).toBe('success');
    const [t] = await h.db.db.select().from(teams);
    code = t.code;
    const msg = await send(await book(['广州市市政工程维修有限公司'], [[code, '养护一班', '广州市市政工程维修有限公司', '项目团队', '13912345678', '王班长', '13912345679', '李联系人', '2025-01-10', 12, '养护事业部']]));
    const preview = cardText(msg.content);
    expect(preview).toContain('保留机器人中已关联的人员');
    expect(preview).not.toContain('暂未在飞书通讯录中找到');
    await apply(msg);
    const [after] = await h.db.db.select().from(teams).where(eq(teams.code, code));
    expect([after.leaderOpenId, after.contactOpenId]).toEqual([leader, contact]);
    const members = await h.db.db.select().from(teamMembers).where(eq(teamMembers.teamId, after.id));
    expect(members.map((m) => [m.openId, m.role])).toContainEqual([leader, 'leader']);
  });

  it('refuses a code the bot gave another team of another name in another organisation', async () => {
    const msg = await send(await book(['佛山市政建设有限公司'], [[code, '桥梁检测队', '佛山市政建设有限公司', '部门', '13700000001', '赵', '13700000002', '钱', '2019-05-01', 30, '']]));
    expect(cardText(msg.content)).toContain(`班组编号“${code}”已属于另一单位的“养护一班”`);
    await apply(msg);
    const [after] = await h.db.db.select().from(teams).where(eq(teams.code, code));
    expect(after.name).toBe('养护一班');
  });

  it('one team however its name is spelled: brackets and spaces, in a file and at 注册', async () => {
    const msg = await send(
      await book(['广州市市政工程维修有限公司'], [
        ['', '养护（四）班', '广州市市政工程维修有限公司', '项目团队', '13700000021', '吴', '13700000022', '郑', '2024-03-15', 9, ''],
        ['', '养护(四)班', '广州市市政工程维修有限公司', '项目团队', '13700000021', '吴', '13700000022', '郑', '2024-03-15', 9, ''],
      ]),
    );
    expect(cardText(msg.content)).toContain('与第 2 行是同一单位的同名班组');
    await apply(msg);
    expect((await h.db.db.select().from(teams)).filter((t) => t.name.startsWith('养护'))).toHaveLength(2);
    const again = await h.click(leader, { action: 'team.register' }, registrationForm('养护 (四) 班', contact));
    expect(again.toast?.content).toContain('养护（四）班');
    expect((await h.db.db.select().from(teams)).filter((t) => t.name.includes('四'))).toHaveLength(1);
  });

  it('refuses a team whose contact is its leader (第十五条), named twice or by a mobile and an e-mail of one user', async () => {
    h.fake.addUser({ name: '冯班长', mobile: '13700000031', email: 'feng@example.com' });
    const msg = await send(
      await book(['清远市政有限公司'], [
        ['', '养护六班', '清远市政有限公司', '项目团队', '13700000031', '冯', '13700000031', '冯', '2024-03-15', 9, ''],
        ['', '养护七班', '清远市政有限公司', '项目团队', '13700000031', '冯', 'feng@example.com', '冯', '2024-03-15', 9, ''],
      ]),
    );
    const text = cardText(msg.content);
    expect(text.match(/第十五条：单位联系人与班组长是同一人/g)).toHaveLength(2);
    await apply(msg);
    expect((await h.db.db.select().from(teams)).filter((t) => t.name === '养护六班' || t.name === '养护七班')).toHaveLength(0);
  });

  it('a title naming a team whose row was refused names that row and why, not “nowhere”', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['韶关市政有限公司']]);
    wb.addWorksheet('班组').addRows([HEADER, ['', '养护五班', '韶关市政有限公司', '项目团队', '13700000011', '孙', '13700000012', '周', '', 10, '']]);
    wb.addWorksheet('荣誉').addRows([['班组编号或名称*', '年度*', '称号*'], ['养护五班', 2024, '广东省市政工程质量信得过班组']]);
    const text = cardText((await send(Buffer.from(await wb.xlsx.writeBuffer()))).content);
    expect(text).toMatch(/班组“养护五班”在本文件“班组”表第 2 行，但该行未能导入（[^）]*注册日期[^）]*）：请先改正该行/);
  });

  it('refuses a title for a year the bot reviews: 公布结果 awards it with its certificate', async () => {
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    const [{ id: cycleId }] = await h.db.db.select({ id: cycles.id }).from(cycles);
    await h.db.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
    await seedScoredTeam(h.db.db, { cycleId, n: 1, code: 'GDSZ-2025-0901', name: '隧道一班', leader: 'ou_overimportL2000000000000000001', contact: 'ou_overimportC2000000000000000001', aggregatedAt: clock.now() });
    await seedScoredTeam(h.db.db, { cycleId, n: 2, code: 'GDSZ-2025-0902', name: '隧道二班', leader: 'ou_overimportL3000000000000000001', contact: 'ou_overimportC3000000000000000001', aggregatedAt: clock.now() });
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('荣誉').addRows([['班组编号或名称*', '年度*', '称号*'], ['GDSZ-2025-0901', 2027, '广州市市政工程质量信得过班组'], ['GDSZ-2025-0902', 2026, '广州市市政工程质量信得过班组']]);
    const msg = await send(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(cardText(msg.content)).toContain('2027 年度的评审在本机器人中进行');
    await apply(msg);
    expect((await h.db.db.select().from(honours)).map((x) => [x.year, x.cycleId === null])).toEqual([[2026, true]]);
    expect((await h.click(ADMIN, { action: 'results.publish', cycleId })).toast?.type).toBe('success');
    await h.drain();
    expect(await h.db.db.select().from(certificates)).toHaveLength(2);
    // the title the bot awarded, named in a file again: told once why, not twice in other words
    const again = new ExcelJS.Workbook();
    again.addWorksheet('荣誉').addRows([['班组编号或名称*', '年度*', '称号*'], ['GDSZ-2025-0901', 2027, '广东省市政工程质量信得过班组']]);
    const told = cardText((await send(Buffer.from(await again.xlsx.writeBuffer()))).content);
    expect(told).toContain('2027 年度的评审在本机器人中进行');
    expect(told).not.toContain('由本机器人评选产生');
  });
});
