import ExcelJS from 'exceljs';
import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, auditLog, bulkJobs, cycles, imports, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { applyImport, previewImport } from '../../src/import/index.js';
import { linkPendingPerson } from '../../src/import/linking.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import type { ImportSummary } from '../../src/import/plan.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * The people of an association's workbook: one mobile or e-mail is one person (a second name for it is refused, naming
 * both rows); a team's leader and contact imported as two placeholders that turn out to be one person link as the
 * leader only (第十五条), the card telling them to choose another contact in 修改资料; and a preview confirmed after
 * the data changed (another import applied since) starts nothing, answering with the preview planned again.
 */
let h: Harness;
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const send = workbookSender(() => h, 'importpeople');
const lastImport = async () => (await h.db.db.select().from(imports).orderBy(imports.id)).at(-1)!;
const summaryOf = (record: { summary: unknown }) => record.summary as ImportSummary;
const team = async (name: string) => (await h.db.db.select().from(teams).where(eq(teams.name, name)))[0];
const person = async (openId: string) => (await h.db.db.select().from(people).where(eq(people.openId, openId)))[0];

const ORG = '广州市政公司';
const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];
const row = (name: string, leader: string, leaderName: string, contact: string, contactName: string) => ['', name, ORG, '行政班组', leader, leaderName, contact, contactName, '2024-01-10', 10, ''];
async function book(rows: unknown[][], experts: unknown[][] = []) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG]]);
  wb.addWorksheet('班组').addRows([HEADER, ...rows]);
  if (experts.length) wb.addWorksheet('专家').addRows([['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'], ...experts]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** 确认导入 on a card, and the jobs it starts run. */
async function confirm(content: unknown, eventId?: string) {
  const action = cardActions(content).find((a) => a.action === 'import.apply');
  expect(action).toBeDefined();
  const answer = await h.click(ADMIN, action as never, {}, eventId ? { eventId } : {});
  await h.drain();
  return answer;
}

describe('one mobile or e-mail is one person', () => {
  it('refuses a later row giving a mobile another name, naming both rows and both names; the first row is imported', async () => {
    const msg = await send(
      await book(
        [
          row('甲班', '13911110001', '张三', '13911110002', '李四'),
          row('乙班', '13911110003', '王五', '13911110001', '赵六'),
          // the same name with a space, and a row with no name: no clash
          row('丙班', '13911110004', '孙 七', '13911110002', ''),
          row('丁班', '13911110005', '钱八', '13911110002', '李 四'),
        ],
        [
          ['陈工', '13911110001', ORG, '道路', 5],
          ['孙七', '13911110004', ORG, '桥梁', 3],
        ],
      ),
    );
    const s = summaryOf(await lastImport());
    expect(s.refused).toEqual([
      {
        sheet: 'teams',
        row: 3,
        label: `乙班（${ORG}）`,
        reason: '单位联系人“13911110001”在“班组”表第 2 行是班组长“张三”，本行写作“赵六”：同一手机号或邮箱只能是一个人。是同一人请把两行的姓名改成一致，不是同一人请改正其中一行的手机号或邮箱',
      },
      {
        sheet: 'experts',
        row: 2,
        label: '陈工',
        reason: '手机或邮箱“13911110001”在“班组”表第 2 行是班组长“张三”，本行写作“陈工”：同一手机号或邮箱只能是一个人。是同一人请把两行的姓名改成一致，不是同一人请改正其中一行的手机号或邮箱',
      },
    ]);
    expect(cardText(msg.content)).toContain('班组第 3 行 乙班（广州市政公司）：单位联系人“13911110001”在“班组”表第 2 行是班组长“张三”，本行写作“赵六”');
    expect(s.add.filter((r) => r.sheet !== 'organizations').map((r) => [r.sheet, r.row])).toEqual([
      ['teams', 2],
      ['teams', 4],
      ['teams', 5],
      ['experts', 3],
    ]);
    await confirm(msg.content);
    expect((await person('pending:m:13911110001')).name).toBe('张三');
    expect(await team('乙班')).toBeUndefined();
  });
});

describe('a team whose leader and contact are one person imported under two placeholders', () => {
  it('previews a note, links them as the leader only on their first message, keeps the contact pending and says to choose another in 修改资料', async () => {
    const msg = await send(await book([row('戊班', '13922220001', '孙八', 'sun@example.com', '孙八')]));
    expect(summaryOf(await lastImport()).notes).toEqual([
      '“班组”表第 2 行的班组长与单位联系人同名、手机号或邮箱不同，且都未在飞书通讯录中找到：如是同一人，其首次给机器人发消息时只关联为班组长，单位联系人仍待另选（第十五条）。请核对，并填写单位里负责确认推荐的其他人员。',
    ]);
    expect(cardText(msg.content)).toContain('班组长与单位联系人同名');
    await confirm(msg.content);

    const user = h.fake.addUser({ name: '孙八', mobile: '13922220001', email: 'sun@example.com' });
    await h.say(user.openId, '进度');
    const t = await team('戊班');
    expect([t.leaderOpenId, t.contactOpenId]).toEqual([user.openId, 'pending:e:sun@example.com']);
    expect(await person('pending:m:13922220001')).toBeUndefined();
    expect(await person('pending:e:sun@example.com')).toBeDefined();
    // the log says by what, not the mobile itself (a third party's, tied to an open_id)
    expect(h.logs.filter((l) => l.includes('imported person linked')).map((l) => JSON.parse(l).linkedBy)).toEqual([['mobile', 'email']]);
    expect(h.logs.filter((l) => l.includes('13922220001'))).toEqual([]);
    // no team of theirs to confirm for: not an organisation's contact
    expect((await person(user.openId)).roles).not.toContain('org_contact');
    const told = h.fake.messages.filter((m) => m.receiveId === user.openId && m.msgType === 'interactive').map((m) => cardText(m.content));
    const card = told.find((c) => c.includes('班组已转入本机器人管理'));
    expect(card).toContain('请更换单位联系人');
    expect(card).toContain('“戊班”的班组长和单位联系人');
    expect(card).toContain('班组长不能兼任单位联系人（第十五条）');
    expect(card).toContain('点“修改资料”，在“单位联系人”中选择单位里负责确认推荐的其他人员');
    expect(card).toContain('“列表中没有单位联系人？填其手机号或邮箱”');

    // linked again (another process, the placeholder still there): nothing more to move, nothing said twice
    const sent = h.fake.messages.length;
    expect(await h.db.db.transaction((tx) => linkPendingPerson(tx, user.openId, ['m:13922220001', 'e:sun@example.com'], clock.now(), '2026-03-01'))).toEqual([]);
    await h.drain();
    expect(h.fake.messages.length).toBe(sent);
    expect(await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'person.link'), eq(auditLog.entityId, user.openId)))).toHaveLength(2);

    // 修改资料 offers the contact to change, and saving another one makes them the team's contact
    const form = await h.click(user.openId, { action: 'team.editForm', teamId: t.id });
    expectValidCard(form.card.data);
    // the pending contact is no open_id a picker can show: the picker starts empty
    expect(JSON.stringify(form.card.data)).not.toContain('pending:');
    expect(cardText(form.card.data)).toContain('单位联系人');
    const other = h.fake.addUser({ name: '周质量', email: 'zhou@example.com' });
    const saved = await h.click(user.openId, { action: 'team.editSave', teamId: t.id }, { contactLookup: 'zhou@example.com' });
    expect(saved.toast?.type).toBe('success');
    expect((await team('戊班')).contactOpenId).toBe(other.openId);
  });

  it('links the leader first whichever key comes first: leader by e-mail, contact by mobile', async () => {
    const msg = await send(await book([row('己班', 'wu@example.com', '吴九', '13922220002', '吴九')]));
    await confirm(msg.content);
    const user = h.fake.addUser({ name: '吴九', mobile: '13922220002', email: 'wu@example.com' });
    await h.say(user.openId, '进度');
    const t = await team('己班');
    expect([t.leaderOpenId, t.contactOpenId]).toEqual([user.openId, 'pending:m:13922220002']);
    const told = h.fake.messages.filter((m) => m.receiveId === user.openId && m.msgType === 'interactive').map((m) => cardText(m.content));
    expect(told.some((c) => c.includes('请更换单位联系人') && c.includes('“己班”'))).toBe(true);
  });
});

describe('a mobile typed a digit short or long', () => {
  it('is refused by row, saying how many digits it has, +86 before it or not; the other rows are imported', async () => {
    const msg = await send(
      await book([
        row('巳一班', '1396666001', '秦一', '13966660002', '尤二'),
        row('午一班', '13966660003', '许三', '+86 139 6666 00041', '何四'),
        row('未一班', '+86 1396666005', '吕五', '13966660006', '施六'),
        row('申一班', '13966660007', '张七', '13966660008', '孔八'),
      ]),
    );
    const s = summaryOf(await lastImport());
    expect(s.refused.map((r) => [r.row, r.reason])).toEqual([
      [2, '班组长“1396666001”不是有效的手机号或邮箱，无法查找此人：手机号应为 11 位数字，这里是 10 位'],
      [3, '单位联系人“+86 139 6666 00041”不是有效的手机号或邮箱，无法查找此人：手机号应为 11 位数字，这里是 12 位'],
      [4, '班组长“+86 1396666005”不是有效的手机号或邮箱，无法查找此人：手机号应为 11 位数字，这里是 10 位'],
    ]);
    expect(cardText(msg.content)).toContain('班组第 2 行 巳一班（广州市政公司）：班组长“1396666001”不是有效的手机号或邮箱，无法查找此人：手机号应为 11 位数字，这里是 10 位');
    await confirm(msg.content);
    expect((await team('申一班')).phone).toBe('13966660007');
    expect(await team('未一班')).toBeUndefined();
  });
});

describe('an e-mail or mobile typed with punctuation after it', () => {
  it('is read without it, kept pending under the address itself and linked on their first message; a cell holding more than the address is refused by row and value', async () => {
    const msg = await send(
      await book([
        row('子一班', '13955550001', '郑一', 'Feng.Er@Example.com。', '冯二'),
        row('丑一班', '13955550002；', '陈三', 'feng.er@example.com,', '冯二'),
        row('寅一班', '13955550003', '楚四', 'wei@example.com（卫五）', '卫五'),
        row('卯一班', '13955550004', '蒋六', '邮箱:shen@example.com', '沈七'),
        row('辰一班', '13955550005', '韩八', 'yang@example.com；', '杨九'),
      ]),
    );
    const s = summaryOf(await lastImport());
    const keepOnlyTheAddress = '：单元格中只填邮箱本身（如 name@公司邮箱），不要加姓名、说明或其他文字';
    expect(s.refused.map((r) => [r.row, r.reason])).toEqual([
      [4, `单位联系人“wei@example.com（卫五）”不是有效的手机号或邮箱，无法查找此人${keepOnlyTheAddress}`],
      [5, `单位联系人“邮箱:shen@example.com”不是有效的手机号或邮箱，无法查找此人${keepOnlyTheAddress}`],
    ]);
    expect(cardText(msg.content)).toContain('班组第 4 行 寅一班（广州市政公司）：单位联系人“wei@example.com（卫五）”不是有效的手机号或邮箱');
    expect(s.pending.map((p) => p.key).sort()).toEqual(['13955550001', '13955550002', '13955550005', 'feng.er@example.com', 'yang@example.com']);
    await confirm(msg.content);
    expect((await team('子一班')).contactOpenId).toBe('pending:e:feng.er@example.com');

    // the address book holds the address as Feishu keeps it: the placeholder is theirs
    const feng = h.fake.addUser({ name: '冯二', email: 'Feng.Er@example.com' });
    const yang = h.fake.addUser({ name: '杨九', email: 'yang@example.com' });
    const chen = h.fake.addUser({ name: '陈三', mobile: '13955550002' });
    for (const u of [feng, yang, chen]) await h.say(u.openId, '进度');
    expect((await team('子一班')).contactOpenId).toBe(feng.openId);
    expect([(await team('丑一班')).leaderOpenId, (await team('丑一班')).contactOpenId]).toEqual([chen.openId, feng.openId]);
    expect((await team('辰一班')).contactOpenId).toBe(yang.openId);
    expect(await h.db.db.select().from(people).where(sql`${people.openId} in ('pending:e:feng.er@example.com', 'pending:e:yang@example.com')`)).toEqual([]);
  });
});

describe('someone named by their Feishu Mail address (企业邮箱)', () => {
  it('is kept pending, as batch_get_id cannot find that address, and linked on their first message by the enterprise_email of their profile', async () => {
    const zhu = h.fake.addUser({ name: '朱二', email: 'zhuer@example.com', enterpriseEmail: 'Zhu.Er@qc-assoc.feishu.cn' });
    const msg = await send(await book([row('巳一班', '13955550011', '朱一', 'zhu.er@qc-assoc.feishu.cn', '朱二')]));
    expect(summaryOf(await lastImport()).pending.map((p) => p.key)).toContain('zhu.er@qc-assoc.feishu.cn');
    await confirm(msg.content);
    expect((await team('巳一班')).contactOpenId).toBe('pending:e:zhu.er@qc-assoc.feishu.cn');
    await h.say(zhu.openId, '进度');
    expect((await team('巳一班')).contactOpenId).toBe(zhu.openId);
    expect(await h.db.db.select().from(people).where(eq(people.openId, 'pending:e:zhu.er@qc-assoc.feishu.cn'))).toEqual([]);
  });
});

describe('a preview confirmed after the data changed', () => {
  it('starts nothing: the preview is planned again and shown; confirming that one applies it, once', async () => {
    const a = await send(await book([row('庚班', '13933330001', '甲', '13933330002', '乙')]));
    const importA = (await lastImport()).id;
    expect(summaryOf(await lastImport()).add.map((r) => r.label)).toContain(`（分配编号） 庚班（${ORG}）`);
    const b = await send(await book([row('庚班', '13933330003', '丙', '13933330002', '乙'), row('辛班', '13933330004', '丁', '13933330002', '乙')]));
    await confirm(b.content);
    expect((await team('庚班')).leaderOpenId).toBe('pending:m:13933330003');

    // A's card promised to add 庚班: confirmed now it would set B's leader back
    const stale = await confirm(a.content, 'evt_importpeople_stale');
    expect(stale.toast).toEqual({ type: 'warning', content: '预览后数据已有变化，尚未导入：请核对重新生成的预览后再确认导入' });
    const text = cardText(stale.card.data);
    expect(text).toContain('预览后数据已有变化，尚未导入。');
    expect(text).toContain('将更新');
    expect(text).toContain('庚班（广州市政公司）（班组长）');
    expect((await team('庚班')).leaderOpenId).toBe('pending:m:13933330003');
    const replanned = (await h.db.db.select().from(imports).where(eq(imports.id, importA)))[0];
    expect(replanned.status).toBe('planned');
    expect(summaryOf(replanned).add.filter((r) => r.sheet === 'teams')).toEqual([]);
    expect(summaryOf(replanned).update.map((r) => r.changes)).toEqual([['班组长']]);
    const jobsOfA = () => h.db.db.select().from(bulkJobs).where(sql`${bulkJobs.params}->>'importId' = ${String(importA)}`);
    expect(await jobsOfA()).toEqual([]);
    expect(await h.db.db.select({ details: auditLog.details }).from(auditLog).where(and(eq(auditLog.action, 'import.replan'), eq(auditLog.entityId, String(importA))))).toEqual([
      { details: { add: 0, update: 1, refused: 0 } },
    ]);

    // the same delivery again changes nothing
    await confirm(a.content, 'evt_importpeople_stale');
    expect(await jobsOfA()).toEqual([]);
    // A's old card clicked again: still not what the stored preview says, which is shown again; nothing started
    const second = await confirm(a.content);
    expect(second.toast).toEqual({ type: 'warning', content: '预览后数据已有变化，尚未导入：请核对重新生成的预览后再确认导入' });
    expect(cardText(second.card.data)).toBe(text);
    expect(await jobsOfA()).toEqual([]);
    expect((await team('庚班')).leaderOpenId).toBe('pending:m:13933330003');

    // confirmed on the new preview, knowing what it does: applied, once
    const applied = await confirm(stale.card.data);
    expect(applied.toast?.type).toBe('success');
    expect((await team('庚班')).leaderOpenId).toBe('pending:m:13933330001');
    expect(await jobsOfA()).toHaveLength(1);
    const again = await confirm(stale.card.data);
    expect(again.toast?.content).toMatch(/已经导入过/);
    expect(await jobsOfA()).toHaveLength(1);
  });

  it('npm run import’s applying refuses a preview the data changed under, writing nothing', async () => {
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const bytes = await book([row('壬班', '13933330005', '戊', '13933330002', '乙')]);
    const preview = await h.db.db.transaction((tx) => previewImport(tx, actor, { name: '命令行.xlsx', bytes }, undefined, '2026-03-01', clock.now()));
    // meanwhile the chat imports a file adding the same team
    await confirm((await send(await book([row('壬班', '13933330006', '己', '13933330002', '乙')]))).content);
    const refused = await h.db.db.transaction((tx) => applyImport(tx, actor, preview.id, clock.now(), '2026-03-01')).catch((e: Error) => e.message);
    expect(refused).toBe('预览后数据已有变化，文件“命令行.xlsx”未导入：请重新预览（重新发送文件或运行导入），核对后再确认。');
    expect((await team('壬班')).leaderOpenId).toBe('pending:m:13933330006');
    expect((await h.db.db.select().from(imports).where(eq(imports.id, preview.id)))[0].status).toBe('planned');
  });
});

describe('第十五条 on an import, as 修改资料 keeps it', () => {
  type User = { openId: string; name: string; mobile: string };
  /** Someone in the address book, whom the contact look-up finds by their mobile. */
  const user = (name: string, n: number): User => {
    const mobile = `139444400${String(n).padStart(2, '0')}`;
    return { name, mobile, openId: h.fake.addUser({ name, mobile }).openId };
  };
  let leader: User, contact: User, member: User;
  beforeAll(() => {
    [leader, contact, member] = [user('张班长', 1), user('李联系人', 2), user('王成员', 3)];
  });
  const 癸班 = (to: User) => row('癸班', leader.mobile, leader.name, to.mobile, to.name);

  it('refuses a row naming a member of the team as its contact: the row, the column and what to fix, in 修改资料’s words; also when they joined after the preview', async () => {
    // the member is known to the bot already (an expert), so joining the team changes only its members
    await confirm((await send(await book([癸班(contact)], [[member.name, member.mobile, ORG, '道路', 3]]))).content);
    expect((await person(member.openId)).roles).toContain('expert');
    const t = await team('癸班');
    expect([t.leaderOpenId, t.contactOpenId]).toEqual([leader.openId, contact.openId]);

    // previewed while not yet a member: a change of contact
    const early = await send(await book([癸班(member)]));
    expect(summaryOf(await lastImport()).update.map((r) => r.changes)).toEqual([['单位联系人']]);
    // then added to the team: the preview confirmed now is planned again and shown, refusing the row; nothing written
    expect((await h.click(leader.openId, { action: 'team.memberAdd', teamId: t.id }, { members: [member.openId] })).toast.type).toBe('success');
    const stale = await confirm(early.content);
    expect(stale.toast).toEqual({ type: 'warning', content: '预览后数据已有变化，尚未导入：请核对重新生成的预览后再确认导入' });
    expect((await team('癸班')).contactOpenId).toBe(contact.openId);
    const reason =
      '第十五条：单位联系人“13944440003（王成员）”是本班组成员：申报材料须由所在单位确认并填写推荐意见，单位联系人不能是本班组成员。请在“单位联系人手机或邮箱”列改填班组以外的单位人员，或先将其移出班组后再导入';
    expect(summaryOf(await lastImport()).refused).toEqual([{ sheet: 'teams', row: 2, label: `癸班（${ORG}）`, reason }]);
    expect(cardText(stale.card.data)).toContain(`班组第 2 行 癸班（${ORG}）：第十五条：单位联系人“13944440003（王成员）”是本班组成员`);

    // the same file sent again: refused in its preview, in the words 修改资料 refuses the member with
    const msg = await send(await book([癸班(member)]));
    const s = summaryOf(await lastImport());
    expect(s.refused).toEqual([{ sheet: 'teams', row: 2, label: `癸班（${ORG}）`, reason }]);
    expect(s.update).toEqual([]);
    expect(cardText(msg.content)).toContain('单位联系人不能是本班组成员');
    const edited = await h.click(leader.openId, { action: 'team.editSave', teamId: t.id }, { contact: member.openId });
    expect(edited.toast.type).toBe('error');
    for (const said of [String(edited.toast.content), reason]) {
      expect(said.startsWith('第十五条：')).toBe(true);
      expect(said).toContain('申报材料须由所在单位确认并填写推荐意见，单位联系人不能是本班组成员');
    }
    expect((await team('癸班')).contactOpenId).toBe(contact.openId);
  });

  it('hands an application awaiting confirmation to the new contact: asked to confirm, the old one told, the change audited (确认导入 and npm run import)', async () => {
    const t = await team('癸班');
    await h.db.db.insert(cycles).values({ year: 2026, status: 'open', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet });
    expect((await h.click(leader.openId, { action: 'application.submit', teamId: t.id, year: 2026 }, applicationForm({ startDate: '2025-04-01', endDate: '2026-03-31' }))).toast.type).toBe('success');
    const [app] = await h.db.db.select().from(applications).where(eq(applications.teamId, t.id));
    expect(app.status).toBe('submitted');

    // 确认导入 in chat: the import job writes the change
    const next = user('赵质量', 4);
    const sent = h.fake.messages.length;
    const msg = await send(await book([癸班(next)]));
    expect(summaryOf(await lastImport()).update.map((r) => r.changes)).toEqual([['单位联系人']]);
    await confirm(msg.content);
    const importId = (await lastImport()).id;
    expect((await team('癸班')).contactOpenId).toBe(next.openId);
    const asked = h.fake.messages.slice(sent).filter((m) => m.receiveId === next.openId && cardActions(m.content).some((a) => a.action === 'endorse.recommend' && a.applicationId === app.id));
    expect(asked).toHaveLength(1);
    expectValidCard(asked[0].content);
    // the former contact is told in 修改资料's card: who replaced them and when, and that their card is spent
    const told = h.fake.messages.slice(sent).filter((m) => m.receiveId === contact.openId);
    expect(told).toHaveLength(1);
    expectValidCard(told[0].content);
    expect(told[0].content.header.title.content).toBe('你已不再是该班组的单位联系人');
    expect(cardText(told[0].content)).toContain(`你已不再是 **癸班**（${t.code}）的单位联系人（协会管理员 <at id=${ADMIN}></at> 于 2026年3月1日 更换）。`);
    expect(cardText(told[0].content)).toContain('该班组待确认的 1 份申报已改由新的单位联系人确认并填写推荐意见（第十五条），之前发给你的确认卡片已失效，你无需再处理。');
    const [change] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'team.import.update'), eq(auditLog.entityId, String(t.id)), sql`${auditLog.details}->>'importId' = ${String(importId)}`));
    expect(change.details).toMatchObject({ changed: ['单位联系人'], contact: { from: contact.openId, to: next.openId, pendingApplicationIds: [app.id] } });
    // the old contact can no longer confirm; the new one can (below, after the second change)
    expect((await h.click(contact.openId, { action: 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: '同意' })).toast.content).toContain('第十五条');

    // npm run import: previewImport and applyImport, in one transaction each
    const last = user('孙安全', 5);
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const bytes = await book([癸班(last)]);
    // the address book's answer, as the command's look-up gives it
    const lookup = async (q: { mobiles: string[] }) => ({
      byMobile: new Map(h.fake.directory().flatMap((u) => (u.mobile && q.mobiles.includes(u.mobile) ? [[u.mobile, u.openId] as [string, string]] : []))),
      byEmail: new Map<string, string>(),
    });
    const preview = await h.db.db.transaction((tx) => previewImport(tx, actor, { name: '命令行.xlsx', bytes }, lookup, '2026-03-01', clock.now()));
    await h.db.db.transaction((tx) => applyImport(tx, actor, preview.id, clock.now(), '2026-03-01'));
    expect((await team('癸班')).contactOpenId).toBe(last.openId);
    const queued = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `%:import:${preview.id}`));
    expect(queued.map((q) => [q.dedupeKey, q.receiver]).sort()).toEqual(
      [
        [`endorse:request:${app.id}:contact:${last.openId}:import:${preview.id}`, last.openId],
        [`team:contact-replaced:${t.id}:${next.openId}:import:${preview.id}`, next.openId],
      ].sort(),
    );
    await h.drain();
    const ok = await h.click(last.openId, { action: 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: '同意推荐' });
    expect(ok.toast.type).toBe('success');
    expect((await h.db.db.select().from(applications).where(eq(applications.id, app.id)))[0].status).toBe('recommended');
  });

  it('tells a contact an import replaces though nothing waited for them, in 修改资料’s card (确认导入 and npm run import)', async () => {
    const [庚申班长, former, next] = [user('郑班长', 6), user('冯联系人', 7), user('周新联系人', 8)];
    const 庚申班 = (to: User) => row('庚申班', 庚申班长.mobile, 庚申班长.name, to.mobile, to.name);
    await confirm((await send(await book([庚申班(former)]))).content);
    const t = await team('庚申班');
    expect(t.contactOpenId).toBe(former.openId);
    const sent = h.fake.messages.length;
    await confirm((await send(await book([庚申班(next)]))).content);
    expect((await team('庚申班')).contactOpenId).toBe(next.openId);
    const told = h.fake.messages.slice(sent).filter((m) => m.receiveId === former.openId);
    expect(told).toHaveLength(1);
    expectValidCard(told[0].content);
    expect(told[0].content.header.title.content).toBe('你已不再是该班组的单位联系人');
    expect(cardText(told[0].content)).toContain(`你已不再是 **庚申班**（${t.code}）的单位联系人（协会管理员 <at id=${ADMIN}></at> 于 2026年3月1日 更换）。`);
    expect(cardText(told[0].content)).toContain('此后该班组的申报不再发给你确认（第十五条）。');
    // the new one: the import's card naming them, and no request (nothing waits)
    expect(h.fake.messages.slice(sent).filter((m) => m.receiveId === next.openId && cardActions(m.content).some((a) => String(a.action).startsWith('endorse.')))).toEqual([]);

    // npm run import, the same
    const last = user('吴联系人', 9);
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const lookup = async (q: { mobiles: string[] }) => ({
      byMobile: new Map(h.fake.directory().flatMap((u) => (u.mobile && q.mobiles.includes(u.mobile) ? [[u.mobile, u.openId] as [string, string]] : []))),
      byEmail: new Map<string, string>(),
    });
    const preview = await h.db.db.transaction(async (tx) => previewImport(tx, actor, { name: '命令行2.xlsx', bytes: await book([庚申班(last)]) }, lookup, '2026-03-01', clock.now()));
    await h.db.db.transaction((tx) => applyImport(tx, actor, preview.id, clock.now(), '2026-03-01'));
    const queued = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `%:import:${preview.id}`));
    expect(queued.map((q) => [q.dedupeKey, q.receiver])).toEqual([[`team:contact-replaced:${t.id}:${next.openId}:import:${preview.id}`, next.openId]]);
    expect(JSON.stringify(queued[0].card)).toContain('此后该班组的申报不再发给你确认');
    await h.drain();
  });

  it('npm run import with no administrator configured (acting as system:import): the contact replaced is told the association changed it, not “协会管理员 system:import”', async () => {
    const [班长, former, next] = [user('钱班长', 10), user('孙联系人', 11), user('李新联系人', 12)];
    const 辛酉班 = (to: User) => row('辛酉班', 班长.mobile, 班长.name, to.mobile, to.name);
    await confirm((await send(await book([辛酉班(former)]))).content);
    const t = await team('辛酉班');
    const actor = { openId: 'system:import', name: null, roles: ['admin' as const] };
    const lookup = async (q: { mobiles: string[] }) => ({
      byMobile: new Map(h.fake.directory().flatMap((u) => (u.mobile && q.mobiles.includes(u.mobile) ? [[u.mobile, u.openId] as [string, string]] : []))),
      byEmail: new Map<string, string>(),
    });
    const preview = await h.db.db.transaction(async (tx) => previewImport(tx, actor, { name: '命令行3.xlsx', bytes: await book([辛酉班(next)]) }, lookup, '2026-03-01', clock.now()));
    await h.db.db.transaction((tx) => applyImport(tx, actor, preview.id, clock.now(), '2026-03-01'));
    const sent = h.fake.messages.length;
    await h.drain();
    const told = h.fake.messages.slice(sent).filter((m) => m.receiveId === former.openId);
    expect(told).toHaveLength(1);
    expectValidCard(told[0].content);
    expect(cardText(told[0].content)).toContain(`你已不再是 **辛酉班**（${t.code}）的单位联系人（协会于 2026年3月1日 导入班组名册时更换）。`);
    expect(cardText(told[0].content)).not.toContain('system:import');
  });

  it('refuses a 班组长姓名 or 单位联系人姓名 over 50 characters, as the 专家 sheet refuses a 姓名', async () => {
    await send(
      await book([
        row('子班', '13955550001', '长'.repeat(51), '13955550002', '李'),
        row('丑班', '13955550003', '张', '13955550004', '联'.repeat(12_000)),
        row('寅班', '13955550005', '长'.repeat(50), '13955550006', '联'.repeat(50)),
      ]),
    );
    const s = summaryOf(await lastImport());
    expect(s.refused.map((r) => [r.row, r.reason])).toEqual([
      [2, '班组长姓名超过 50 字'],
      [3, '单位联系人姓名超过 50 字'],
    ]);
    expect(s.add.filter((r) => r.sheet === 'teams').map((r) => r.row)).toEqual([4]);
  });
});
