import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, auditLog, chatBindings, honours, outbox, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { expectValidCard, cardActions, cardText, formFieldNames } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { applicationForm, registrationForm } from '../support/forms.js';

const LEADER = 'ou_leader00000000000000000000000001';
const CONTACT = 'ou_contact0000000000000000000000001';
const MEMBER = 'ou_member00000000000000000000000001';
const STRANGER = 'ou_stranger000000000000000000000001';
const LATE_LEADER = 'ou_leader00000000000000000000000002';
const OTHER_LEADER = 'ou_leader00000000000000000000000003';

let h: Harness;
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

const registration = (overrides: Record<string, unknown> = {}) =>
  registrationForm('广州市政养护一班', CONTACT, { goals: '道路完好率 98% 以上，顾客满意度 95% 以上', plan: '每月开展一次 QC 活动，每季度技能比武', ...overrides });

async function teamByName(name: string) {
  const [row] = await h.db.db.select().from(teams).where(eq(teams.name, name));
  return row;
}

async function appsOf(teamId: number) {
  return h.db.db.select().from(applications).where(eq(applications.teamId, teamId));
}

function lastCardTo(openId: string) {
  const m = [...h.fake.messages].reverse().find((x) => x.receiveId === openId && x.msgType === 'interactive');
  return m?.content;
}

describe('a team from registration to an accepted application, through signed card callbacks', () => {
  let teamId: number;
  let cycleYear: number;

  it('registers through the form card', async () => {
    await h.say(LEADER, '注册');
    const form = lastCardTo(LEADER);
    expectValidCard(form);
    expect(formFieldNames(form)).toEqual(expect.arrayContaining(['teamName', 'organization', 'department', 'teamType', 'leader', 'phone', 'memberCount', 'functions', 'goals', 'plan', 'contact']));
    expect(cardActions(form).map((a) => a.action)).toContain('team.register');

    const res = await h.click(LEADER, { action: 'team.register' }, registration());
    expect(res.toast.type).toBe('success');
    expectValidCard(res.card.data);
    const team = await teamByName('广州市政养护一班');
    teamId = team.id;
    expect(team.code).toBe('GDSZ-2026-0001');
    expect(team.registeredAt).toBe('2026-03-01');
    expect(team.leaderOpenId).toBe(LEADER);
    expect(cardText(res.card.data)).toContain('GDSZ-2026-0001');
    expect(cardText(res.card.data)).toContain('2027年3月1日');
    expect(cardText(lastCardTo(CONTACT))).toContain('单位联系人');
    const audits = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'team.register'), eq(auditLog.entityId, String(teamId))));
    expect(audits).toHaveLength(1);
  });

  it('shows the team with the days left until it may be evaluated (第十六条)', async () => {
    clock.set('2026-12-01T10:00:00+08:00');
    await h.say(LEADER, '进度');
    const status = lastCardTo(LEADER);
    expectValidCard(status);
    expect(cardText(status)).toContain('GDSZ-2026-0001');
    expect(cardText(status)).toContain('还差 90 天');
  });

  it('refuses 申报 while no cycle is open, citing the article', async () => {
    await h.say(LEADER, '申报');
    const msg = [...h.fake.messages].reverse().find((m) => m.receiveId === LEADER);
    expect(msg?.msgType).toBe('text');
    expect(msg?.content.text).toContain('第十九条');
  });

  it('lets an administrator open the year’s cycle after a year has passed', async () => {
    clock.set('2027-03-05T09:00:00+08:00');
    cycleYear = 2027;
    const res = await h.click(ADMIN, { action: 'cycle.open' }, {
      year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15',
      awardThreshold: '85', expertsPerApplication: '3', recommendShare: '0.1',
    });
    expect(res.toast?.type).toBe('success');
  });

  it('saves a draft and resumes it', async () => {
    await h.say(LEADER, '申报');
    const form = lastCardTo(LEADER);
    expectValidCard(form);
    expect(formFieldNames(form)).toEqual(expect.arrayContaining(['title', 'category', 'startDate', 'endDate', 'goalRate', 'trainingRate', 'examPassRate', 'accidents', 'customer', 'qc', 'summary', 'features', 'materialsUrl']));
    const save = cardActions(form).find((a) => a.action === 'application.save')!;
    const res = await h.click(LEADER, save, { title: '提高沥青路面修补一次合格率', trainingRate: '96' });
    expect(res.toast.type).toBe('success');
    const [draft] = await appsOf(teamId);
    expect(draft.status).toBe('draft');
    expect(draft.form).toMatchObject({ title: '提高沥青路面修补一次合格率', trainingRate: '96' });
    await h.say(LEADER, 'apply');
    expect(JSON.stringify(lastCardTo(LEADER))).toContain('提高沥青路面修补一次合格率');
  });

  it('refuses a wrong field, keeping what was typed, as the card and as the draft, and naming the field', async () => {
    const res = await h.click(LEADER, { action: 'application.submit', teamId, year: cycleYear }, applicationForm({ goalRate: '120', summary: '成\u0001果' }));
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('目标完成率');
    expectValidCard(res.card.data);
    expect(JSON.stringify(res.card.data)).toContain('"default_value":"120"');
    expect(JSON.stringify(res.card.data)).toContain('冷补料快速修补工法');
    const [draft] = await appsOf(teamId);
    expect(draft.status).toBe('draft');
    // kept as typed text is kept: a control character pasted in is not (the workbook and the submitted form drop it too)
    expect(draft.form).toMatchObject({ goalRate: '120', summary: '成果' });
  });

  it('submits once, however often the button is clicked, and asks the organisation to confirm', async () => {
    const sentBefore = h.fake.messages.filter((m) => m.receiveId === CONTACT).length;
    const value = { action: 'application.submit', teamId, year: cycleYear };
    const [a, b] = await Promise.all([h.click(LEADER, value, applicationForm()), h.click(LEADER, value, applicationForm())]);
    expect([a.toast.type, b.toast.type].sort()).toEqual(['info', 'success']);
    const rows = await appsOf(teamId);
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('submitted');
    expect(rows[0].form).toMatchObject({ goalRate: 100, examPassRate: 93.5, startDate: '2026-04-01' });
    const toContact = h.fake.messages.filter((m) => m.receiveId === CONTACT);
    expect(toContact.length - sentBefore).toBe(1);
    const request = toContact[toContact.length - 1].content;
    expectValidCard(request);
    expect(formFieldNames(request)).toEqual(expect.arrayContaining(['truthful', 'opinion']));
    expect(cardActions(request).map((x) => x.action)).toEqual(expect.arrayContaining(['endorse.recommend', 'endorse.return']));
  });

  it('refuses a stranger on the organisation’s buttons and changes nothing', async () => {
    const [app] = await appsOf(teamId);
    const res = await h.click(STRANGER, { action: 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: '同意' });
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('第十五条');
    expect((await appsOf(teamId))[0]).toEqual(app);
  });

  it('asks the contact to confirm the materials before recommending', async () => {
    const [app] = await appsOf(teamId);
    const res = await h.click(CONTACT, { action: 'endorse.recommend', applicationId: app.id }, { opinion: '同意推荐' });
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('材料真实性确认');
    // the opinion typed is still there for the second try
    expect(JSON.stringify(res.card.data)).toContain('"default_value":"同意推荐"');
    expect((await appsOf(teamId))[0].status).toBe('submitted');
  });

  it('the organisation recommends; the leader and the association are told', async () => {
    const [app] = await appsOf(teamId);
    const res = await h.click(CONTACT, { action: 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: '该班组质量管理扎实，同意推荐' });
    expect(res.toast.type).toBe('success');
    expectValidCard(res.card.data);
    const [after] = await appsOf(teamId);
    expect(after.status).toBe('recommended');
    expect(after.endorsement).toMatchObject({ decision: 'recommend', truthful: true, opinion: '该班组质量管理扎实，同意推荐', by: CONTACT });
    expect(cardText(lastCardTo(LEADER))).toContain('单位已推荐');
    expect(cardActions(lastCardTo(ADMIN)).map((a) => a.action)).toContain('check.list');
  });

  it('the administrator accepts it at the formal check', async () => {
    const list = await h.click(ADMIN, { action: 'check.list' });
    expectValidCard(list.card.data);
    expect(cardText(list.card.data)).toContain('广州市政养护一班');
    const [app] = await appsOf(teamId);
    const res = await h.click(ADMIN, { action: 'check.accept', applicationId: app.id }, {});
    expect(res.toast.type).toBe('success');
    expect((await appsOf(teamId))[0].status).toBe('accepted');
    expect(cardText(lastCardTo(LEADER))).toContain('协会已受理');
    expect(cardText(lastCardTo(CONTACT))).toContain('协会已受理');
    const trail = await h.db.db.select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(app.id)))).orderBy(auditLog.id);
    expect(trail.map((t) => t.action)).toEqual(['application.create', 'application.save', 'application.submit', 'application.recommend', 'application.accept']);
  });

  it('every card sent on the way is valid JSON 2.0', () => {
    const cards = h.fake.messages.filter((m) => m.msgType === 'interactive');
    expect(cards.length).toBeGreaterThan(8);
    for (const m of cards) expectValidCard(m.content);
  });
});

describe('eligibility checks refuse with their article, submitting nothing and keeping the draft', () => {
  let lateTeam: number;
  let oldTeam: number;

  beforeAll(async () => {
    // a team registered in September 2026 (not a year by the 2027-05-31 deadline)
    clock.set('2026-09-01T09:00:00+08:00');
    await h.click(LATE_LEADER, { action: 'team.register' }, registration({ teamName: '深圳检测二组', organization: '深圳市政检测中心', contact: CONTACT }));
    clock.set('2026-01-10T09:00:00+08:00');
    await h.click(OTHER_LEADER, { action: 'team.register' }, registration({ teamName: '佛山营运三组', organization: '佛山市政营运公司', contact: CONTACT }));
    clock.set('2027-03-06T09:00:00+08:00');
    lateTeam = (await teamByName('深圳检测二组')).id;
    oldTeam = (await teamByName('佛山营运三组')).id;
  });

  async function submitAs(leader: string, teamId: number, overrides: Record<string, unknown> = {}) {
    return h.click(leader, { action: 'application.submit', teamId, year: 2027 }, applicationForm(overrides));
  }

  it('E1 (第十六条): registered less than a year before the deadline, with the days left', async () => {
    const res = await submitAs(LATE_LEADER, lateTeam);
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('第十六条');
    expect(res.toast.content).toContain('还差 93 天');
    expect((await appsOf(lateTeam)).map((a) => a.status)).toEqual(['draft']);
  });

  it('E2 (第十三条第5款): an accident in the last three years', async () => {
    const res = await submitAs(OTHER_LEADER, oldTeam, { accidents: 'some' });
    expect(res.toast.content).toContain('第十三条');
    expect((await appsOf(oldTeam)).map((a) => a.status)).toEqual(['draft']);
  });

  it('E3 (第七条第4款): which rate is below 90 %', async () => {
    const res = await submitAs(OTHER_LEADER, oldTeam, { trainingRate: '85', examPassRate: '95' });
    expect(res.toast.content).toContain('第七条');
    expect(res.toast.content).toContain('培训率 85% 低于 90%');
    expect(res.toast.content).not.toContain('考试合格率 95%');
    expect(cardText(res.card.data)).toContain('未通过资格审查');
    expect((await appsOf(oldTeam)).map((a) => a.status)).toEqual(['draft']);
  });

  it('E5 (协会规定, not an article): a title revoked within the year before', async () => {
    await h.db.db.insert(honours).values({ teamId: oldTeam, year: 2025, revokedAt: new Date('2026-11-01T00:00:00Z'), revokedReason: '连续投诉' });
    const res = await submitAs(OTHER_LEADER, oldTeam);
    expect(res.toast.content).toContain('协会规定：撤销称号后一年内不受理该班组的申报；本班组 2025 年度称号已于 2026年11月1日 撤销，2027年11月1日 08:00 起方可再申报。');
    expect(res.toast.content).not.toContain('第二十二条');
    expect((await appsOf(oldTeam)).map((a) => a.status)).toEqual(['draft']);
    await h.db.db.delete(honours).where(eq(honours.teamId, oldTeam));
  });

  it('E4 (第十五条): the association cannot accept what the organisation has not recommended', async () => {
    const ok = await submitAs(OTHER_LEADER, oldTeam);
    expect(ok.toast.type).toBe('success');
    const [app] = await appsOf(oldTeam);
    const res = await h.click(ADMIN, { action: 'check.accept', applicationId: app.id }, {});
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('第十五条');
    expect((await appsOf(oldTeam))[0].status).toBe('submitted');
  });

  it('E5: one application per team and cycle', async () => {
    const res = await submitAs(OTHER_LEADER, oldTeam);
    expect(res.toast.type).toBe('info');
    expect(await appsOf(oldTeam)).toHaveLength(1);
  });

  it('returning sends the opinion to the leader and reopens the draft', async () => {
    const [app] = await appsOf(oldTeam);
    const res = await h.click(CONTACT, { action: 'endorse.return', applicationId: app.id }, { opinion: '请补充顾客满意度调查表' });
    expect(res.toast.type).toBe('success');
    expect((await appsOf(oldTeam))[0].status).toBe('returned');
    expect(cardText(lastCardTo(OTHER_LEADER))).toContain('请补充顾客满意度调查表');
    const reopened = await h.click(OTHER_LEADER, { action: 'application.open', teamId: oldTeam });
    expect(formFieldNames(reopened.card.data)).toContain('title');
    expect(cardText(reopened.card.data)).toContain('请补充顾客满意度调查表');
    const again = await submitAs(OTHER_LEADER, oldTeam, { customer: '补充了满意度调查表，满意度 98%' });
    expect(again.toast.type).toBe('success');
    expect((await appsOf(oldTeam))[0].status).toBe('submitted');
  });
});

describe('roles and concurrency', () => {
  it('a member cannot submit the team’s application', async () => {
    const team = await teamByName('佛山营运三组');
    const members = await h.click(OTHER_LEADER, { action: 'team.memberAdd', teamId: team.id }, { members: [MEMBER] });
    expect(members.toast.type).toBe('success');
    expectValidCard(members.card.data);
    expect(await h.db.db.select().from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.openId, MEMBER)))).toHaveLength(1);
    const strangerAdds = await h.click(STRANGER, { action: 'team.memberAdd', teamId: team.id }, { members: [STRANGER] });
    expect(strangerAdds.toast.type).toBe('error');
    const before = await appsOf(team.id);
    const res = await h.click(MEMBER, { action: 'application.submit', teamId: team.id, year: 2027 }, applicationForm());
    expect(res.toast.type).toBe('error');
    expect(await appsOf(team.id)).toEqual(before);
    await h.say(MEMBER, '进度');
    expect(cardText(lastCardTo(MEMBER))).toContain('佛山营运三组');
  });

  it('two teams registering at once get distinct codes', async () => {
    clock.set('2027-04-01T09:00:00+08:00');
    const [a, b] = await Promise.all([
      h.click('ou_concurrent_a', { action: 'team.register' }, registration({ teamName: '并发甲组', organization: '东莞市政' })),
      h.click('ou_concurrent_b', { action: 'team.register' }, registration({ teamName: '并发乙组', organization: '东莞市政' })),
    ]);
    expect([a.toast.type, b.toast.type]).toEqual(['success', 'success']);
    const codes = [(await teamByName('并发甲组')).code, (await teamByName('并发乙组')).code];
    expect(new Set(codes).size).toBe(2);
    for (const c of codes) expect(c).toMatch(/^GDSZ-2027-000[12]$/);
  });

  it('a double-clicked registration stores one team', async () => {
    const form = registration({ teamName: '双击丙组', organization: '珠海市政' });
    const [a, b] = await Promise.all([h.click('ou_double', { action: 'team.register' }, form), h.click('ou_double', { action: 'team.register' }, form)]);
    const types = [a.toast.type, b.toast.type].sort();
    expect(types[1]).toBe('success');
    const [{ n }] = await h.db.db.select({ n: sql<number>`count(*)::int` }).from(teams).where(eq(teams.name, '双击丙组'));
    expect(Number(n)).toBe(1);
    const team = await teamByName('双击丙组');
    const [{ m }] = await h.db.db.select({ m: sql<number>`count(*)::int` }).from(outbox).where(sql`${outbox.dedupeKey} like ${`team:contact-named:${team.id}:%`}`);
    expect(Number(m)).toBe(1);
  });

  it('refuses bad registration input naming the field, storing nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ memberCount: '十二' }, '成员人数'],
      [{ memberCount: '0' }, '成员人数'],
      [{ phone: 'abc' }, '联系电话'],
      [{ teamType: 'club' }, '班组类型'],
      [{ contact: '' }, '单位联系人'],
      [{ teamName: 'x'.repeat(51) }, '班组名称'],
    ];
    for (const [override, label] of cases) {
      const before = (await h.db.db.select({ n: sql<number>`count(*)::int` }).from(teams))[0].n;
      const res = await h.click('ou_badinput', { action: 'team.register' }, registration({ teamName: '输入错误组', ...override }));
      expect(res.toast.type, JSON.stringify(override)).toBe('error');
      expect(res.toast.content).toContain(label);
      expectValidCard(res.card.data);
      expect((await h.db.db.select({ n: sql<number>`count(*)::int` }).from(teams))[0].n).toBe(before);
    }
  });
});

describe('the formal-check button in the admin group', () => {
  it('sends the list privately and leaves the shared card alone', async () => {
    await h.db.db.insert(chatBindings).values({ chatId: 'oc_admin_group_teams', purpose: 'admin', boundBy: ADMIN }).onConflictDoNothing();
    const res = await h.click(ADMIN, { action: 'check.list' }, undefined, { chatId: 'oc_admin_group_teams' });
    expect(res.card).toBeUndefined();
    expect(res.toast.content).toContain('私信');
    const sent = lastCardTo(ADMIN);
    expectValidCard(sent);
    expect(cardText(sent)).toContain('形式审查');
  });
});

describe('第十五条: the organisation contact is neither the leader nor a member (acceptance 3)', () => {
  const NEW_CONTACT = 'ou_contact0000000000000000000000009';

  it('refuses the leader as contact at registration, saying what to do, and stores nothing', async () => {
    const before = (await h.db.db.select({ n: sql<number>`count(*)::int` }).from(teams))[0].n;
    const res = await h.click('ou_selfcontact', { action: 'team.register' }, registration({ teamName: '自荐组', organization: '江门市政', contact: 'ou_selfcontact' }));
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('第十五条');
    expect(res.toast.content).toContain('不能是班组长本人');
    expect(res.toast.content).toContain('请改选');
    expectValidCard(res.card.data);
    expect((await h.db.db.select({ n: sql<number>`count(*)::int` }).from(teams))[0].n).toBe(before);
  });

  it('refuses the leader or a member as the new contact, and the contact as a new member', async () => {
    const team = await teamByName('佛山营运三组');
    for (const [contact, says] of [[OTHER_LEADER, '不能是班组长本人'], [MEMBER, '不能是本班组成员']]) {
      const res = await h.click(OTHER_LEADER, { action: 'team.editSave', teamId: team.id }, { contact });
      expect(res.toast.type, contact).toBe('error');
      expect(res.toast.content).toContain('第十五条');
      expect(res.toast.content).toContain(says);
    }
    const added = await h.click(OTHER_LEADER, { action: 'team.memberAdd', teamId: team.id }, { members: [CONTACT] });
    expect(added.toast.content).toContain('第十五条');
    expect((await teamByName('佛山营运三组')).contactOpenId).toBe(CONTACT);
    expect(await h.db.db.select().from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.openId, CONTACT)))).toEqual([]);
  });

  it('a member named contact before the rule cannot confirm the team’s own application', async () => {
    const team = await teamByName('佛山营运三组');
    const [app] = await appsOf(team.id);
    expect(app.status).toBe('submitted');
    await h.db.db.update(teams).set({ contactOpenId: MEMBER }).where(eq(teams.id, team.id));
    const res = await h.click(MEMBER, { action: 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: '同意' });
    expect(res.toast.content).toContain('第十五条');
    expect((await appsOf(team.id))[0].status).toBe('submitted');
    await h.db.db.update(teams).set({ contactOpenId: CONTACT }).where(eq(teams.id, team.id));
  });

  it('a changed contact receives the application waiting for confirmation; the change is audited and the old contact can no longer confirm', async () => {
    const team = await teamByName('佛山营运三组');
    const [app] = await appsOf(team.id);
    const res = await h.click(OTHER_LEADER, { action: 'team.editSave', teamId: team.id }, { contact: NEW_CONTACT });
    expect(res.toast.type).toBe('success');
    const request = h.fake.messages.filter((m) => m.receiveId === NEW_CONTACT && cardActions(m.content).some((a) => a.action === 'endorse.recommend' && a.applicationId === app.id));
    expect(request).toHaveLength(1);
    expectValidCard(request[0].content);
    // the contact it was waiting for is told it is no longer theirs, in one card
    const told = h.fake.messages.filter((m) => m.receiveId === CONTACT && (m.msgType === 'text' || m.content.header?.title?.content === '你已不再是该班组的单位联系人')).map((m) => cardText(m.content));
    expect(told.filter((t) => t.includes('佛山营运三组'))).toHaveLength(1);
    expect(told.find((t) => t.includes('佛山营运三组'))).toContain('该班组待确认的 1 份申报已改由新的单位联系人确认并填写推荐意见（第十五条），之前发给你的确认卡片已失效，你无需再处理。');
    const [change] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'team.update'), eq(auditLog.entityId, String(team.id))));
    expect(change.actor).toBe(OTHER_LEADER);
    expect(change.details).toMatchObject({ contact: { from: CONTACT, to: NEW_CONTACT, pendingApplicationIds: [app.id] } });
    const old = await h.click(CONTACT, { action: 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: '同意' });
    expect(old.toast.content).toContain('第十五条');
    const ok = await h.click(NEW_CONTACT, { action: 'endorse.recommend', applicationId: app.id }, { truthful: true, opinion: '同意推荐' });
    expect(ok.toast.type).toBe('success');
    expect((await appsOf(team.id))[0].status).toBe('recommended');
  });
});
