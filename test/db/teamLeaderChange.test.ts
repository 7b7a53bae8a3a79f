import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, people, teamMembers, teams } from '../../db/schema.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, NEWCOMER, OTHER_LEADER, personas, securityBotForBlock, snapshot, YEAR } from './securityFixture.js';

/**
 * 更换班组长 on a team's cards (班组成员, 修改资料): the leader, or an administrator, picks one of the team's members in a
 * select, confirms, and in one transaction the member leads the team, the former leader stays a member, an audit row is
 * written and the new leader, the former one and the contact are told. Every refusal (not theirs, not a member, the
 * leader already, no team, a card older than another change) writes nothing. The running year's application is the new
 * leader's from then on: the contact's 退回 reaches them, 年度申报 is theirs and no longer the former leader's.
 */
type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

describe.each(MODES_HERE)('更换班组长 (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), mode);

  const leaderOf = async () => (await h.db.db.select().from(teams).where(eq(teams.id, f.teamA.id)))[0].leaderOpenId;
  const rolesOf = async () => Object.fromEntries((await h.db.db.select().from(teamMembers).where(eq(teamMembers.teamId, f.teamA.id))).map((m) => [m.openId, m.role]));
  const cardsTo = (openId: string, from: number) => h.fake.messages.slice(from).filter((m) => m.receiveId === openId && m.msgType === 'interactive').map((m) => cardText(m.content));
  const change = (who: string, to: string, from: string = personas.leader, teamId = f.teamA.id): Promise<Body> =>
    h.click(who, { action: 'team.leaderChange', teamId, from }, { leader: to });

  it('is offered on the members card and the profile form, and its card offers the team\'s members', async () => {
    for (const action of ['team.members', 'team.editForm']) {
      const res: Body = await h.click(personas.leader, { action, teamId: f.teamA.id });
      expect(cardActions(res.card!.data), action).toContainEqual({ action: 'team.leaderForm', teamId: f.teamA.id });
    }
    const res: Body = await h.click(personas.leader, { action: 'team.leaderForm', teamId: f.teamA.id });
    expectValidCard(res.card!.data);
    expect(cardText(res.card!.data)).toContain('更换班组长：广州养护一班');
    const select = JSON.stringify(res.card!.data);
    expect(select).toContain(`"value":"${personas.member}"`);
    expect(select).not.toContain(`"value":"${personas.leader}"`);
    expect(cardActions(res.card!.data)).toContainEqual({ action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader });
  });

  it('refuses, writing nothing: someone not the leader, a person not in the team, the leader again, a team not found', async () => {
    const cases: [string, () => Promise<Body>, string][] = [
      // let past the registry as the leader who handed the team over might be, and refused by changeLeader
      ['a member', () => change(personas.member, personas.member), '只有本班组的班组长（或协会管理员）可以查看和修改本班组的资料和成员。'],
      ['another team\'s leader', () => change(OTHER_LEADER, personas.member, OTHER_LEADER), '只有本班组的班组长（或协会管理员）可以查看和修改本班组的资料和成员。'],
      ['not a member', () => change(personas.leader, NEWCOMER), '所选人员不是本班组的成员'],
      ['the contact', () => change(personas.leader, personas.contact), '所选人员不是本班组的成员'],
      ['the leader', () => change(personas.leader, personas.leader), '所选成员已是本班组的班组长'],
      ['nobody chosen', () => change(personas.leader, ''), '请选择新的班组长'],
      ['no team', () => change(ADMIN, personas.member, personas.leader, 987654), '找不到该班组'],
    ];
    for (const [name, run, said] of cases) {
      const before = await snapshot(h.db.db);
      const res = await run();
      expect(res.toast?.type, name).toBe('error');
      expect(res.toast?.content, name).toContain(said);
      expect(await snapshot(h.db.db), name).toEqual(before);
    }
    // the form again with what is wrong, for the leader who chose someone not in the team
    const again = await change(personas.leader, NEWCOMER);
    expect(cardText(again.card!.data)).toContain('请修改：');
  });

  it('hands the team to the member chosen: the former leader stays a member, one audit row, three people told', async () => {
    const sent = h.fake.messages.length;
    const res = await change(personas.leader, personas.member);
    expect(res.toast).toEqual({ type: 'success', content: '班组长已更换' });
    expectValidCard(res.card!.data);
    expect(cardText(res.card!.data)).toContain('你仍是本班组成员');
    expect(await leaderOf()).toBe(personas.member);
    expect(await rolesOf()).toEqual({ [personas.member]: 'leader', [personas.leader]: 'member' });
    const rows = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'team.leader.change'), eq(auditLog.entityId, String(f.teamA.id))));
    expect(rows.map((r) => [r.actor, r.details])).toEqual([[personas.leader, { from: personas.leader, to: personas.member }]]);
    const named = cardsTo(personas.member, sent);
    expect(named).toHaveLength(1);
    expect(named[0]).toContain('你已成为班组长');
    // the running year's application, waiting for the contact, is said to be theirs from now on
    expect(named[0]).toContain(`本班组${YEAR}年度申报为“待单位确认”`);
    const contact = cardsTo(personas.contact, sent);
    expect(contact).toHaveLength(1);
    expect(contact[0]).toContain('班组长已更换');
    // the former leader sees the change in place of their form: no message besides
    expect(cardsTo(personas.leader, sent)).toHaveLength(0);
  });

  it('the same card again changes nothing, and a card drawn before another change is refused as stale', async () => {
    const before = await snapshot(h.db.db);
    const again = await change(personas.leader, personas.member);
    expect(again.toast?.type).not.toBe('success');
    expect(await snapshot(h.db.db)).toEqual(before);
    // an administrator's card drawn for the member, who hands the team back meanwhile
    const form: Body = await h.click(ADMIN, { action: 'team.leaderForm', teamId: f.teamA.id });
    const submit = cardActions(form.card!.data).find((a) => a.action === 'team.leaderChange')!;
    expect(submit.from).toBe(personas.member);
    const back = await change(personas.member, personas.leader, personas.member);
    expect(back.toast?.type).toBe('success');
    const sent = h.fake.messages.length;
    const stale: Body = await h.click(ADMIN, submit, { leader: personas.member });
    expect(stale.toast?.type).toBe('error');
    expect(stale.toast?.content).toContain('这张卡片已过期');
    expect(await leaderOf()).toBe(personas.leader);
    expect(h.fake.messages.length).toBe(sent);
    // the form drawn again is for the leader now
    const now: Body = await h.click(ADMIN, { action: 'team.leaderForm', teamId: f.teamA.id });
    expect(cardActions(now.card!.data).find((a) => a.action === 'team.leaderChange')!.from).toBe(personas.leader);
  });

  it('an administrator hands it over: the former leader is told by message, and the running application follows the new leader', async () => {
    const sent = h.fake.messages.length;
    const res = await change(ADMIN, personas.member, personas.leader);
    expect(res.toast).toEqual({ type: 'success', content: '班组长已更换' });
    expect(cardText(res.card!.data)).toContain('原班组长留在班组成员中');
    // the administrator's card clicked again: nothing changes, and they are told when it was done
    const before = await snapshot(h.db.db, ['outbox']);
    const again = await change(ADMIN, personas.member, personas.leader);
    expect(again.toast?.type).toBe('info');
    expect(again.toast?.content).toMatch(/^已于 .+ 更换班组长，无需重复更换班组长。$/);
    // the card clicked shows the team as it is now, not the administrator's own 进度 (a person in no team)
    expect(cardText(again.card!.data)).not.toContain('你还没有加入任何班组');
    expect(cardText(again.card!.data)).toContain('更换班组长：广州养护一班');
    expect(cardActions(again.card!.data)).toContainEqual({ action: 'team.leaderChange', teamId: f.teamA.id, from: personas.member });
    expect(await snapshot(h.db.db, ['outbox'])).toEqual(before);
    expect(cardsTo(personas.leader, sent).filter((c) => c.includes('班组长已更换'))).toHaveLength(1);
    expect(cardsTo(personas.member, sent).filter((c) => c.includes('你已成为班组长'))).toHaveLength(1);
    // the contact returns the application: the new leader is asked to correct it, the former one hears nothing
    const returnedAt = h.fake.messages.length;
    const returned: Body = await h.click(personas.contact, { action: 'endorse.return', applicationId: f.appA }, { opinion: '请补充 QC 活动记录' });
    expect(returned.toast?.type).toBe('success');
    expect(cardsTo(personas.member, returnedAt).length).toBeGreaterThan(0);
    expect(cardsTo(personas.leader, returnedAt)).toHaveLength(0);
    const mine: Body = await h.click(personas.member, { action: 'application.open', teamId: f.teamA.id, year: YEAR });
    expect(mine.card).toBeDefined();
    const theirs: Body = await h.click(personas.leader, { action: 'application.open', teamId: f.teamA.id, year: YEAR });
    expect(theirs.toast?.type).toBe('error');
  });
});

describe.each(MODES_HERE)('更换班组长 clicked twice at once (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), mode);

  it('changes the leader once: the second click waits for the first and is told when it was done, or, claimed after it, that the clicker leads the team no more', async () => {
    const sent = h.fake.messages.length;
    const value = { action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader };
    const answers: Body[] = await Promise.all([h.click(personas.leader, value, { leader: personas.member }), h.click(personas.leader, value, { leader: personas.member })]);
    expect(answers.filter((a) => a.toast?.type === 'success')).toHaveLength(1);
    const second = answers.find((a) => a.toast?.type !== 'success')!.toast!.content;
    expect([/^已于 .+ 更换班组长，无需重复更换班组长。$/, /^只有协会管理员或本班组的班组长可以使用此功能。$/].some((r) => r.test(second)), second).toBe(true);
    const rows = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'team.leader.change'), eq(auditLog.entityId, String(f.teamA.id))));
    expect(rows).toHaveLength(1);
    expect(h.fake.messages.slice(sent).filter((m) => m.receiveId === personas.member && cardText(m.content).includes('你已成为班组长'))).toHaveLength(1);
  });
});

describe('更换班组长 / change leader typed', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b));
  const said = async (who: string, text: string) => {
    const from = h.fake.messages.length;
    await h.say(who, text);
    return h.fake.messages.slice(from).filter((m) => m.receiveId === who);
  };

  it('opens the card for the leader\'s team, for an administrator by the team\'s code, and tells anyone else who may', async () => {
    for (const text of ['更换班组长', 'change leader', 'Change Leader']) {
      const [m] = await said(personas.leader, text);
      expect(m?.msgType, text).toBe('interactive');
      expect(cardActions(m.content), text).toContainEqual({ action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader });
    }
    const [admin] = await said(ADMIN, `更换班组长 ${f.teamA.code.toLowerCase()}`);
    expect(cardActions(admin.content)).toContainEqual({ action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader });
    const [bare] = await said(ADMIN, '更换班组长');
    expect(cardText(bare.content)).toContain('请在命令后写上班组编号');
    const [unknown] = await said(ADMIN, '更换班组长 GDSZ-1999-0001');
    expect(cardText(unknown.content)).toContain('找不到编号为“GDSZ-1999-0001”的班组');
    const [member] = await said(personas.member, '更换班组长');
    expect(cardText(member.content)).toContain('只有班组长（或协会管理员）可以更换班组长');
    const [other] = await said(OTHER_LEADER, `更换班组长 ${f.teamA.code}`);
    expect(cardText(other.content)).toContain('只有本班组的班组长（或协会管理员）');
    // the code typed right after the name, as Chinese is typed, or in the quotes of the example the bot gives
    for (const text of [`更换班组长${f.teamA.code}`, `更换班组长，${f.teamA.code}`, `更换班组长 “${f.teamA.code}”`, `更换班组长 ${f.teamA.code}”`]) {
      const [m] = await said(ADMIN, text);
      expect(m?.msgType, text).toBe('interactive');
      expect(cardActions(m.content), text).toContainEqual({ action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader });
    }
    // a question glued to the name is no team's code: the measures answer it, as before
    const [question] = await said(ADMIN, '更换班组长需要什么手续');
    expect(cardText(question.content)).not.toContain('找不到编号为');
    // a leader of several teams picks one
    const [several] = await said(OTHER_LEADER, '更换班组长');
    expect(cardActions(several.content).filter((a) => a.action === 'team.leaderForm')).toHaveLength(3);
  });
});

describe('更换班组长 of a team whose leader an import named and who never wrote to the bot', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b));
  const PENDING = 'pending:m:13900000077';

  it('names that leader by the mobile they were imported by, never by the placeholder the bot keeps for them', async () => {
    await h.db.db.insert(people).values({ openId: PENDING, name: null });
    await h.db.db.update(teams).set({ leaderOpenId: PENDING }).where(eq(teams.id, f.teamA.id));
    await h.db.db.update(teamMembers).set({ openId: PENDING }).where(and(eq(teamMembers.teamId, f.teamA.id), eq(teamMembers.openId, personas.leader)));
    const form: Body = await h.click(ADMIN, { action: 'team.leaderForm', teamId: f.teamA.id });
    expect(cardText(form.card!.data)).toContain('现任班组长：13900000077');
    expect(cardText(form.card!.data)).toContain('新班组长和单位联系人都会收到通知（原班组长尚未关联飞书，不会收到通知）');
    expect(cardText(form.card!.data)).not.toContain('pending:');
    const sent = h.fake.messages.length;
    const res: Body = await h.click(ADMIN, { action: 'team.leaderChange', teamId: f.teamA.id, from: PENDING }, { leader: personas.member });
    expect(res.toast).toEqual({ type: 'success', content: '班组长已更换' });
    expect(cardText(res.card!.data)).toContain('由 13900000077');
    expect(cardText(res.card!.data)).toContain('新班组长和单位联系人已收到通知（原班组长尚未关联飞书，未通知）');
    const told = h.fake.messages.slice(sent).map((m) => cardText(m.content));
    expect(told.length).toBeGreaterThan(0);
    for (const text of [cardText(res.card!.data), ...told]) expect(text).not.toContain('pending:');
  });
});
