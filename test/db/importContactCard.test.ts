import ExcelJS from 'exceljs';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imports, outbox, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { applyImport, previewImport } from '../../src/import/index.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * 第十五条: a team's 单位联系人 changed by an import is told so, as 修改资料 tells a new contact: once per person and
 * organisation, in the import's transaction; the same file again tells no one; someone not yet in the address book
 * hears it when their first message links them. The preview names the contacts it changes.
 */
let h: Harness;
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const send = workbookSender(() => h, 'contactcard');
const ORG = '广州市政公司';
const ORG2 = '佛山市政公司';
const HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];
type User = { openId: string; name: string; mobile: string };
const user = (name: string, n: number): User => {
  const mobile = `139555500${String(n).padStart(2, '0')}`;
  return { name, mobile, openId: h.fake.addUser({ name, mobile }).openId };
};
const row = (name: string, org: string, leader: User, contact: { name: string; mobile: string }) => ['', name, org, '行政班组', leader.mobile, leader.name, contact.mobile, contact.name, '2024-01-10', 10, ''];
async function book(rows: unknown[][]) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], [ORG], [ORG2]]);
  wb.addWorksheet('班组').addRows([HEADER, ...rows]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
async function confirm(content: unknown) {
  const action = cardActions(content).find((a) => a.action === 'import.apply');
  expect(action).toBeDefined();
  await h.click(ADMIN, action as never);
  await h.drain();
}
const team = async (name: string) => (await h.db.db.select().from(teams).where(eq(teams.name, name)))[0];
const cardsTo = (openId: string, from = 0) => h.fake.messages.slice(from).filter((m) => m.receiveId === openId && m.msgType === 'interactive');
const NAMED = '你被登记为班组的单位联系人';

describe('an import changing a team’s 单位联系人', () => {
  let leaders: User[], first: User, next: User, last: User;
  beforeAll(() => {
    leaders = [user('甲班长', 1), user('乙班长', 2), user('丙班长', 3)];
    [first, next, last] = [user('李联系人', 11), user('赵质量', 12), user('孙安全', 13)];
  });

  it('tells the new contact once per organisation, listing its teams, and the former one once, naming every team it replaced them in (not a card a team)', async () => {
    const teamsWith = (c: { name: string; mobile: string }) => [row('甲班', ORG, leaders[0], c), row('乙班', ORG, leaders[1], c), row('丙班', ORG2, leaders[2], c)];
    await confirm((await send(await book(teamsWith(first)))).content);
    expect((await team('甲班')).contactOpenId).toBe(first.openId);

    const sent = h.fake.messages.length;
    const preview = await send(await book(teamsWith(next)));
    const text = cardText(preview.content);
    expect(text).toContain('将更换单位联系人 3 个班组');
    expect(text).toContain(`第 2 行 ${(await team('甲班')).code} 甲班（${ORG}）改为 赵质量（${next.mobile}）`);
    expect(text).toContain('确认导入后，新的单位联系人会收到通知');
    await confirm(preview.content);
    expect((await team('丙班')).contactOpenId).toBe(next.openId);

    const told = cardsTo(next.openId, sent).map((m) => cardText(m.content));
    expect(told.filter((c) => c.includes(NAMED))).toHaveLength(2);
    const here = told.find((c) => c.includes(ORG))!;
    expect(here).toContain(NAMED);
    expect(here).toContain('协会导入的名单将你登记为');
    expect(here).toContain('以下 2 个班组');
    for (const name of ['甲班', '乙班']) expect(here).toContain(`**${name}**（${(await team(name)).code}）`);
    expect(here).not.toContain('丙班');
    const there = told.find((c) => c.includes(ORG2))!;
    expect(there).toContain(`**丙班**（${(await team('丙班')).code}）`);
    for (const m of cardsTo(next.openId, sent)) expectValidCard(m.content);
    const former = h.fake.messages.slice(sent).filter((m) => m.receiveId === first.openId);
    expect(former).toHaveLength(1);
    const formerText = cardText(former[0].content);
    expect(formerText).toContain('你已不再是以下 3 个班组的单位联系人');
    for (const name of ['甲班', '乙班', '丙班']) expect(formerText).toContain(`**${name}**（${(await team(name)).code}）`);
    expect(formerText).toContain('此后这些班组的申报不再发给你确认');
    expectValidCard(former[0].content);
  });

  it('the same file again: no change previewed, nothing sent; npm run import of it queues nothing', async () => {
    const bytes = await book([row('甲班', ORG, leaders[0], next), row('乙班', ORG, leaders[1], next), row('丙班', ORG2, leaders[2], next)]);
    const sent = h.fake.messages.length;
    const preview = await send(bytes);
    const text = cardText(preview.content);
    expect(text).not.toContain('将更换单位联系人');
    expect(cardActions(preview.content).some((a) => a.action === 'import.apply')).toBe(false);

    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const lookup = async (q: { mobiles: string[] }) => ({
      byMobile: new Map(h.fake.directory().flatMap((u) => (u.mobile && q.mobiles.includes(u.mobile) ? [[u.mobile, u.openId] as [string, string]] : []))),
      byEmail: new Map<string, string>(),
    });
    const record = await h.db.db.transaction((tx) => previewImport(tx, actor, { name: '命令行.xlsx', bytes }, lookup, '2026-03-01', clock.now()));
    await h.db.db.transaction((tx) => applyImport(tx, actor, record.id, clock.now(), '2026-03-01'));
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `import:${record.id}:%`))).toEqual([]);
    await h.drain();
    expect(h.fake.messages.slice(sent).filter((m) => m.receiveId !== ADMIN)).toEqual([]);
  });

  it('npm run import queues the card to the new contact in the import’s transaction', async () => {
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const lookup = async (q: { mobiles: string[] }) => ({
      byMobile: new Map(h.fake.directory().flatMap((u) => (u.mobile && q.mobiles.includes(u.mobile) ? [[u.mobile, u.openId] as [string, string]] : []))),
      byEmail: new Map<string, string>(),
    });
    const bytes = await book([row('甲班', ORG, leaders[0], last)]);
    const record = await h.db.db.transaction((tx) => previewImport(tx, actor, { name: '命令行.xlsx', bytes }, lookup, '2026-03-01', clock.now()));
    const t = await team('甲班');
    await h.db.db.transaction((tx) => applyImport(tx, actor, record.id, clock.now(), '2026-03-01'));
    const queued = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `import:${record.id}:contact-named:%`));
    expect(queued.map((q) => q.receiver)).toEqual([last.openId]);
    expect(queued[0].dedupeKey).toBe(`import:${record.id}:contact-named:${last.openId}:${t.organizationId}:${t.id}`);
    // applied again: refused, nothing more
    await expect(h.db.db.transaction((tx) => applyImport(tx, actor, record.id, clock.now(), '2026-03-01'))).rejects.toThrow('已经导入过');
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `%contact-named:${last.openId}:%`))).toHaveLength(1);
    await h.drain();
    expect((await h.db.db.select().from(imports).where(eq(imports.id, record.id)))[0].status).toBe('applied');
  });

  it('a contact not yet in the address book hears it when their first message links them, once, each team saying which they lead and which they confirm for', async () => {
    const pending = { name: '周未关联', mobile: '13955559901' };
    const sent = h.fake.messages.length;
    // a new team, 戊班, whose contact is not found (an import never puts a placeholder in place of a Feishu user); the
    // same person leads another new team, 丁班
    const preview = await send(await book([row('戊班', ORG, leaders[0], pending), row('丁班', ORG, pending as User, leaders[1])]));
    expect(cardText(preview.content)).toContain('1 人暂未在飞书通讯录中找到');
    await confirm(preview.content);
    expect((await team('戊班')).contactOpenId).toBe('pending:m:13955559901');
    expect(h.fake.messages.slice(sent).filter((m) => ![ADMIN, leaders[0].openId, leaders[1].openId].includes(m.receiveId))).toEqual([]);

    const linked = h.fake.addUser({ name: '周未关联', mobile: '13955559901' });
    await h.say(linked.openId, '进度');
    await h.drain();
    expect((await team('戊班')).contactOpenId).toBe(linked.openId);
    const told = cardsTo(linked.openId)
      .map((m) => cardText(m.content))
      .filter((c) => c.includes('班组已转入本机器人管理'));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(new RegExp(`戊班[^\\n]*编号 \\*\\*${(await team('戊班')).code}\\*\\*，你是单位联系人`));
    expect(told[0]).toMatch(new RegExp(`丁班[^\\n]*编号 \\*\\*${(await team('丁班')).code}\\*\\*，你是班组长`));
    expect(told[0]).toContain('作为单位联系人，你负责确认推荐（第十五条）');

    // later messages: linked already, nothing said again
    const after = h.fake.messages.length;
    await h.say(linked.openId, '进度');
    await h.drain();
    expect(cardsTo(linked.openId, after).filter((m) => /班组已转入本机器人管理|你被登记为班组的单位联系人/.test(cardText(m.content)))).toEqual([]);
  });

  it('a placeholder contact found in the address book by a later import is told by that import, and not again when they first message', async () => {
    const later = { name: '吴后到', mobile: '13955559902' };
    const bytes = await book([row('己班', ORG2, leaders[2], later)]);
    await confirm((await send(bytes)).content);
    expect((await team('己班')).contactOpenId).toBe('pending:m:13955559902');
    const found = h.fake.addUser(later);
    const preview = await send(bytes);
    expect(cardText(preview.content)).toContain('改为 吴后到（13955559902）');
    await confirm(preview.content);
    expect((await team('己班')).contactOpenId).toBe(found.openId);
    const named = cardsTo(found.openId).filter((m) => cardText(m.content).includes(NAMED));
    expect(named).toHaveLength(1);
    expect(cardText(named[0].content)).toContain(`**己班**（${(await team('己班')).code}）`);
    await h.say(found.openId, '进度');
    await h.drain();
    expect(cardsTo(found.openId).filter((m) => /班组已转入本机器人管理|你被登记为班组的单位联系人/.test(cardText(m.content)))).toHaveLength(1);
  });
});

/**
 * A team's 班组长 changed by an import (the former one left the company, or handed over): the new leader is told
 * which teams are now theirs, once for all of them, and the former one that the team is no longer theirs; the same
 * file again tells no one.
 */
describe('an import changing a team’s 班组长', () => {
  const LEADER_NAMED = '你被登记为班组的班组长';
  it('tells the new leader once for their teams, and each former leader, in the import', async () => {
    const [former1, former2, heir, contact] = [user('钱老班长', 21), user('孙老班长', 22), user('周新班长', 23), user('吴联系人', 24)];
    const rows = (a: User, b: User) => [row('壬班', ORG, a, contact), row('癸班', ORG2, b, contact)];
    await confirm((await send(await book(rows(former1, former2)))).content);
    const sent = h.fake.messages.length;
    await confirm((await send(await book(rows(heir, heir)))).content);
    expect((await team('壬班')).leaderOpenId).toBe(heir.openId);

    const told = cardsTo(heir.openId, sent).map((m) => cardText(m.content));
    expect(told.filter((c) => c.includes(LEADER_NAMED))).toHaveLength(1);
    const card = told.find((c) => c.includes(LEADER_NAMED))!;
    expect(card).toContain('以下 2 个班组');
    expect(card).toContain(`**壬班**（${(await team('壬班')).code}，${ORG}）`);
    expect(card).toContain(`**癸班**（${(await team('癸班')).code}，${ORG2}）`);
    expect(card).toContain('年度申报');
    expect(cardActions(cardsTo(heir.openId, sent).find((m) => cardText(m.content).includes(LEADER_NAMED))!.content).map((a) => a.action)).toContain('team.status');

    for (const [former, name] of [
      [former1, '壬班'],
      [former2, '癸班'],
    ] as const) {
      const theirs = cardsTo(former.openId, sent);
      expect(theirs).toHaveLength(1);
      expect(cardText(theirs[0].content)).toContain(`**${name}**（${(await team(name)).code}）的班组长改为`);
      expect(cardText(theirs[0].content)).toContain('班组长已更换');
    }
    for (const m of h.fake.messages.slice(sent).filter((m) => m.receiveId !== ADMIN)) expectValidCard(m.content);

    // the same file again: nothing changes, nobody is told
    const again = h.fake.messages.length;
    const preview = await send(await book(rows(heir, heir)));
    expect(cardActions(preview.content).some((a) => a.action === 'import.apply')).toBe(false);
    await h.drain();
    expect(h.fake.messages.slice(again).filter((m) => m.receiveId !== ADMIN)).toEqual([]);
  });

  it('names the former and the new leader in the preview, and keeps the former leader a member, as 更换班组长 in chat does', async () => {
    const [before, after, contact] = [user('郑老班长', 31), user('冯新班长', 32), user('陈联系人', 33)];
    await confirm((await send(await book([row('子班', ORG, before, contact)]))).content);
    const code = (await team('子班')).code;
    const preview = await send(await book([row('子班', ORG, after, contact)]));
    const text = cardText(preview.content);
    expect(text).toContain('将更换班组长 1 个班组');
    expect(text).toContain(`第 2 行 ${code} 子班（${ORG}）：班组长 郑老班长 → 冯新班长（${after.mobile}）`);
    expect(text).toContain('原班组长留在班组成员中');
    const sent = h.fake.messages.length;
    await confirm(preview.content);
    const members = await h.db.db.select().from(teamMembers).where(eq(teamMembers.teamId, (await team('子班')).id));
    expect(Object.fromEntries(members.map((m) => [m.openId, m.role]))).toEqual({ [after.openId]: 'leader', [before.openId]: 'member' });
    const told = cardsTo(before.openId, sent).map((m) => cardText(m.content));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('你仍是本班组成员');
    // named the team's contact in the same row, the former leader leaves the team (第十五条: a contact is no member)
    const heir2 = user('褚新班长', 34);
    await confirm((await send(await book([row('子班', ORG, heir2, after)]))).content);
    const now = await h.db.db.select().from(teamMembers).where(eq(teamMembers.teamId, (await team('子班')).id));
    expect(Object.fromEntries(now.map((m) => [m.openId, m.role]))).toEqual({ [heir2.openId]: 'leader', [before.openId]: 'member' });
  });
});

describe('an import changing the leader of a team whose leader an import named and who never wrote to the bot', () => {
  it('says on the applied card that the former leader was not told (尚未关联飞书，未通知), where it said both leaders had been', async () => {
    // a mobile the address book does not know: the team's leader stays pending
    const unknown = { name: '卫未关联', mobile: '13955550041' };
    const [heir, contact] = [user('蒋新班长', 42), user('沈联系人', 43)];
    await confirm((await send(await book([row('丑班', ORG, unknown as User, contact)]))).content);
    expect((await team('丑班')).leaderOpenId).toMatch(/^pending:/);
    const preview = await send(await book([row('丑班', ORG, heir, contact)]));
    expect(cardText(preview.content)).toContain('班组长 卫未关联 → 蒋新班长');
    expect(cardText(preview.content)).toContain('新班组长和原班组长会收到通知，其中第 2 行原班组长 卫未关联 尚未关联飞书，不会收到通知；');
    const action = cardActions(preview.content).find((a) => a.action === 'import.apply');
    await h.click(ADMIN, action as never);
    await h.drain();
    expect((await team('丑班')).leaderOpenId).toBe(heir.openId);
    // 确认导入 clicked again shows the import as applied
    const res = (await h.click(ADMIN, action as never)) as { card?: { data: unknown } };
    const applied = cardText(res.card!.data);
    expect(applied).toContain('将更换班组长 1 个班组');
    expect(applied).toContain('已通知新班组长和原班组长，其中第 2 行原班组长 卫未关联 尚未关联飞书，未通知；原班组长留在班组成员中');
  });
});
