import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { linkPendingPerson } from '../../src/import/linking.js';
import { cardActions, cardText } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/** The organisation contact (第十五条) as they are told: named, renamed, the association's return, and an imported contact found to be a member. */

const L = 'ou_cnleader000000000000000000000001';
const C = 'ou_cncontact00000000000000000000001';
const C2 = 'ou_cncontact00000000000000000000002';
const OPEN = { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' };

type Sent = Harness['fake']['messages'][number];
const title = (m: Sent) => m.content?.header?.title?.content as string | undefined;
const cardsTo = (h: Harness, openId: string, from = 0) => h.fake.messages.slice(from).filter((m) => m.receiveId === openId && m.msgType === 'interactive');

describe('the organisation contact named, named again, and told of the association’s return', () => {
  let h: Harness;
  let teamId = 0;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
    expect((await h.click(L, { action: 'team.register' }, registrationForm('市政养护联系组', C))).toast.type).toBe('success');
    teamId = (await h.db.db.select().from(teams))[0].id;
    h.clock.set('2027-03-10T09:00:00+08:00');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('at 注册 the contact is told the team was registered', () => {
    const [named] = cardsTo(h, C).filter((m) => title(m) === '你被登记为班组的单位联系人');
    expect(cardText(named.content)).toContain('注册了质量信得过班组');
  });

  it('修改资料 naming a contact tells them of the change, and of the application sent to them with it', async () => {
    expect((await h.click(ADMIN, { action: 'cycle.open' }, OPEN)).toast.type).toBe('success');
    expect((await h.click(L, { action: 'application.submit', teamId, year: 2027 }, applicationForm())).toast.type).toBe('success');
    const mark = h.fake.messages.length;
    expect((await h.click(L, { action: 'team.editSave', teamId }, { contact: C2 })).toast.type).toBe('success');
    const told = cardsTo(h, C2, mark);
    const named = told.filter((m) => title(m) === '你被登记为班组的单位联系人');
    expect(named).toHaveLength(1);
    const text = cardText(named[0].content);
    expect(text).toContain('在班组资料中将你登记为');
    expect(text).not.toContain('注册了质量信得过班组');
    expect(text).toContain('有 1 份申报正等待确认，已同时发给你');
    expect(text).not.toContain('届时我会把待确认的申报发给你');
    expect(cardActions(named[0].content)).toContainEqual({ action: 'endorse.list' });
    // the request itself goes with it
    expect(told.map(title)).toContain('请确认申报材料：市政养护联系组');
  });

  it('named again (C → C2 → C), the first contact is told again', async () => {
    const mark = h.fake.messages.length;
    expect((await h.click(L, { action: 'team.editSave', teamId }, { contact: C })).toast.type).toBe('success');
    const named = cardsTo(h, C, mark).filter((m) => title(m) === '你被登记为班组的单位联系人');
    expect(named).toHaveLength(1);
    expect(cardText(named[0].content)).toContain('在班组资料中将你登记为');
    expect(cardText(named[0].content)).toContain('已同时发给你');
  });

  it('the contact’s copy of 协会退回了申报 offers what the contact can do, the leader’s still 修改申报', async () => {
    const [a] = await h.db.db.select().from(applications).where(eq(applications.teamId, teamId));
    const seen = { applicationId: a.id, submitted: a.submittedAt!.getTime() };
    expect((await h.click(C, { action: 'endorse.recommend', ...seen }, { truthful: true, opinion: '同意推荐' })).toast.type).toBe('success');
    const mark = h.fake.messages.length;
    expect((await h.click(ADMIN, { action: 'check.return', ...seen }, { [`reason_${a.id}`]: '材料链接打不开' })).toast.type).toBe('success');
    const [mine] = cardsTo(h, C, mark).filter((m) => title(m) === '协会退回了申报');
    const [leaders] = cardsTo(h, L, mark).filter((m) => title(m) === '协会退回了申报');
    expect(cardActions(leaders.content)).toEqual([{ action: 'application.open', teamId }]);
    expect(cardActions(mine.content)).toEqual([{ action: 'team.status' }]);
    const text = cardText(mine.content);
    expect(text).toContain('材料链接打不开');
    expect(text).toContain('我会把申报再发给你确认');
    expect(text).not.toContain('班组长请按原因修改');
    for (const value of cardActions(mine.content)) {
      const { body } = await h.clickCard(C, mine.messageId, value);
      expect(body?.toast?.type, `${JSON.stringify(value)} -> ${JSON.stringify(body?.toast)}`).not.toBe('error');
    }
  });
});

describe('a pending (imported, not yet found) contact linked to someone already a member of the team', () => {
  const LEADER = 'ou_cnleader000000000000000000000009';
  const X = 'ou_cnmember000000000000000000000009';
  const C3 = 'ou_cncontact00000000000000000000009';
  const PLACEHOLDER = 'pending:m:13900000019';
  let h: Harness;
  let teamId = 0;
  afterAll(async () => {
    await h?.close();
  });

  it('keeps the contact pending, tells the leader to choose another, and the application follows the one chosen', async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
    const [org] = await h.db.db.insert(organizations).values({ name: '广州市政公司', key: '广州市政公司' } as never).returning();
    await h.db.db.insert(people).values([
      { openId: LEADER, name: '班长' },
      { openId: X, name: '孙工' },
      { openId: PLACEHOLDER, name: '孙工', roles: ['org_contact'], organizationId: org.id },
    ]);
    const [t] = await h.db.db
      .insert(teams)
      .values({ code: 'GDSZ-2025-0019', name: '导入十九班', organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: LEADER, phone: '020-1', memberCount: 10, functions: '养护', goals: '目标', plan: '计划', contactOpenId: PLACEHOLDER, registeredAt: '2025-01-10' } as never)
      .returning();
    teamId = t.id;
    await h.db.db.insert(teamMembers).values({ teamId, openId: LEADER, role: 'leader' });
    expect((await h.click(LEADER, { action: 'team.memberAdd', teamId }, { members: [X] })).toast.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'cycle.open' }, OPEN)).toast.type).toBe('success');
    expect((await h.click(LEADER, { action: 'application.submit', teamId, year: 2027 }, applicationForm())).toast.content).toBe('已提交，等待单位联系人确认（第十五条）');

    const mark = h.fake.messages.length;
    const linked = await h.db.db.transaction((tx) => linkPendingPerson(tx, X, ['m:13900000019'], h.clock.now(), '2027-03-10'));
    expect(linked).toEqual(['m:13900000019']);
    await h.drain();
    const [after] = await h.db.db.select().from(teams).where(eq(teams.id, teamId));
    expect(after.contactOpenId).toBe(PLACEHOLDER);
    const [member] = await h.db.db.select().from(people).where(eq(people.openId, X));
    expect(member.roles).not.toContain('org_contact');
    // the member is not asked to confirm an application they could not confirm
    expect(cardsTo(h, X, mark).filter((m) => title(m)?.startsWith('请确认申报材料'))).toEqual([]);
    const told = cardsTo(h, LEADER, mark).filter((m) => title(m) === '请更换单位联系人');
    expect(told).toHaveLength(1);
    expect(cardText(told[0].content)).toContain('导入十九班');
    expect(cardText(told[0].content)).toContain('第十五条');
    expect(cardActions(told[0].content)).toEqual([{ action: 'team.status' }]);

    // linked again (another process, the same person): nothing more is moved or said
    expect(await h.db.db.transaction((tx) => linkPendingPerson(tx, X, ['m:13900000019'], h.clock.now(), '2027-03-10'))).toEqual([]);

    // the leader chooses another contact: the application waiting goes to them, who can confirm it
    const chosen = h.fake.messages.length;
    expect((await h.click(LEADER, { action: 'team.editSave', teamId }, { contact: C3 })).toast.type).toBe('success');
    expect(cardsTo(h, C3, chosen).map(title)).toContain('请确认申报材料：导入十九班');
    const [a] = await h.db.db.select().from(applications).where(eq(applications.teamId, teamId));
    const r = await h.click(C3, { action: 'endorse.recommend', applicationId: a.id, submitted: a.submittedAt!.getTime() }, { truthful: true, opinion: '同意' });
    expect(r.toast.type).toBe('success');
  });
});

describe('a pending (imported) member linked to someone who is already the team’s contact', () => {
  const LEADER = 'ou_cnleader000000000000000000000008';
  const C = 'ou_cncontact00000000000000000000008';
  const OTHER_LEADER = 'ou_cnleader000000000000000000000007';
  const PLACEHOLDER = 'pending:m:13900000018';
  let h: Harness;
  afterAll(async () => {
    await h?.close();
  });

  it('keeps them the contact and not a member, tells the leader; on another team the same row makes them a member', async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
    const [org] = await h.db.db.insert(organizations).values({ name: '佛山市政公司', key: '佛山市政公司' } as never).returning();
    await h.db.db.insert(people).values([
      { openId: LEADER, name: '班长' },
      { openId: OTHER_LEADER, name: '另一班长' },
      { openId: C, name: '周工', roles: ['org_contact'] },
      { openId: PLACEHOLDER, name: '周工', organizationId: org.id },
    ]);
    const team = (code: string, name: string, leader: string, contact: string) =>
      ({ code, name, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1', memberCount: 10, functions: '养护', goals: '目标', plan: '计划', contactOpenId: contact, registeredAt: '2025-01-10' }) as never;
    const [own] = await h.db.db.insert(teams).values(team('GDSZ-2025-0018', '导入十八班', LEADER, C)).returning();
    const [other] = await h.db.db.insert(teams).values(team('GDSZ-2025-0017', '导入十七班', OTHER_LEADER, LEADER)).returning();
    await h.db.db.insert(teamMembers).values([
      { teamId: own.id, openId: LEADER, role: 'leader' },
      { teamId: own.id, openId: PLACEHOLDER, role: 'member' },
      { teamId: other.id, openId: OTHER_LEADER, role: 'leader' },
      { teamId: other.id, openId: PLACEHOLDER, role: 'member' },
    ]);

    const mark = h.fake.messages.length;
    expect(await h.db.db.transaction((tx) => linkPendingPerson(tx, C, ['m:13900000018'], h.clock.now(), '2027-03-10'))).toEqual(['m:13900000018']);
    await h.drain();
    const membersOf = async (teamId: number) => (await h.db.db.select().from(teamMembers).where(eq(teamMembers.teamId, teamId))).map((m) => m.openId).sort();
    expect(await membersOf(own.id)).toEqual([LEADER]);
    expect((await h.db.db.select().from(teams).where(eq(teams.id, own.id)))[0].contactOpenId).toBe(C);
    // the other team, whose contact they are not, has them as its member
    expect(await membersOf(other.id)).toEqual([C, OTHER_LEADER].sort());
    const told = cardsTo(h, LEADER, mark).filter((m) => title(m) === '班组成员名单未加入单位联系人');
    expect(told).toHaveLength(1);
    expect(cardText(told[0].content)).toContain('导入十八班');
    expect(cardText(told[0].content)).toContain('第十五条');
    expect(cardActions(told[0].content)).toEqual([{ action: 'team.status' }]);
    expect(cardsTo(h, OTHER_LEADER, mark).filter((m) => title(m) === '班组成员名单未加入单位联系人')).toEqual([]);

    // linked again: nothing more is moved or said
    expect(await h.db.db.transaction((tx) => linkPendingPerson(tx, C, ['m:13900000018'], h.clock.now(), '2027-03-10'))).toEqual([]);
    await h.drain();
    expect(cardsTo(h, LEADER, mark).filter((m) => title(m) === '班组成员名单未加入单位联系人')).toHaveLength(1);
  });
});
