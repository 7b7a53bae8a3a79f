import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, complaints, honours, people, teams } from '../../db/schema.js';
import { formalCheckPageSize, formalCheckReasonField } from '../../cards/applications.js';
import { TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { cardActions, cardText, expectValidCard, formFieldNames } from '../support/cards.js';
import { messageEvent, randomMessageId } from '../support/larkEvents.js';
import { type Fixture, personas, registrationForm, startSecurityHarness } from './securityFixture.js';

/** The form's 提交注册 button as the card carries it (the form it names with it). */
const registerButton = (card: unknown) => cardActions(card).find((v) => v.action === 'team.register')!;

/**
 * Issue 10 against the stricter simulated Open Platform: every click below is first judged by the fake as
 * Feishu would (who a picker can offer, names unique card-wide), then posted signed and encrypted to the bot.
 */

const NEW_LEADER = 'ou_newleader00000000000000000000001';
const ADMIN_GROUP = 'oc_admin_group_card_rules_000000001';
let h: Harness;
let f: Fixture;
beforeAll(async () => {
  ({ h, f } = await startSecurityHarness());
  h.fake.setChatMembers(ADMIN_GROUP, [personas.admin]);
});
afterAll(async () => {
  await h?.close();
});

function lastMessageTo(receiveId: string) {
  const m = [...h.fake.messages].reverse().find((x) => x.receiveId === receiveId && x.msgType === 'interactive');
  if (!m) throw new Error(`no card sent to ${receiveId}`);
  return m;
}

async function teamNamed(name: string) {
  const [row] = await h.db.db.select().from(teams).where(eq(teams.name, name));
  return row;
}

/** 管理 said in the administrators' group, mentioning the bot; the card is the bot's reply there. */
/** 管理 asked in the administrators' group: the card itself goes to the administrator privately (issue 11). */
async function adminCardInGroup() {
  const messageId = randomMessageId();
  h.fake.userMessage(messageId, ADMIN_GROUP);
  await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: personas.admin, text: '管理', chatType: 'group', chatId: ADMIN_GROUP, messageId, mentionBot: true }));
  await h.drain();
  const note = [...h.fake.messages].reverse().find((m) => m.replyTo === messageId);
  expect(note?.msgType).toBe('text');
  const card = [...h.fake.messages].reverse().find((m) => m.receiveIdType === 'open_id' && m.receiveId === personas.admin && m.msgType === 'interactive');
  if (!card) throw new Error('no admin card sent privately for 管理');
  return card;
}

describe('a leader names an organisation contact who is not in the p2p chat (acceptance 2)', () => {
  it('offers the people the bot knows, organisation contacts first, and registers with one of them', async () => {
    await h.say(NEW_LEADER, '注册');
    const form = lastMessageTo(NEW_LEADER);
    expectValidCard(form.content);
    const picker = JSON.stringify(form.content);
    expect(picker).toContain(`"value":"${personas.contact}"`);
    expect(formFieldNames(form.content)).toEqual(expect.arrayContaining(['contact', 'contactLookup']));

    const res = await h.clickCard(NEW_LEADER, form.messageId, registerButton(form.content), registrationForm('甲', { contact: personas.contact }));
    expect(res.refused).toBeUndefined();
    expect(res.body.toast.type).toBe('success');
    expect((await teamNamed('测试养护甲班')).contactOpenId).toBe(personas.contact);
  });

  it('the fake refuses a pick the picker could not offer, as Feishu would, and nothing is registered', async () => {
    await h.say(NEW_LEADER, '注册');
    const form = lastMessageTo(NEW_LEADER);
    const res = await h.clickCard(NEW_LEADER, form.messageId, registerButton(form.content), registrationForm('乙', { contact: 'ou_nobodyknows000000000000000000001' }));
    expect(res.refused?.msg).toContain('cannot offer');
    expect(await teamNamed('测试养护乙班')).toBeUndefined();
  });

  it('finds someone the bot has never seen by mobile number', async () => {
    const zhao = h.fake.addUser({ name: '赵联系人', mobile: '13912345678' });
    await h.say(NEW_LEADER, '注册');
    const form = lastMessageTo(NEW_LEADER);
    expect(JSON.stringify(form.content)).not.toContain(zhao.openId);
    const res = await h.clickCard(NEW_LEADER, form.messageId, registerButton(form.content), registrationForm('丙', { contact: '', contactLookup: '139 1234 5678' }));
    expect(res.body.toast.type).toBe('success');
    expect((await teamNamed('测试养护丙班')).contactOpenId).toBe(zhao.openId);
    expect(cardText(lastMessageTo(zhao.openId).content)).toContain('单位联系人');
    const [person] = await h.db.db.select().from(people).where(eq(people.openId, zhao.openId));
    expect(person.roles).toContain('org_contact');
  });

  it('says clearly when nobody matches, keeping what was typed', async () => {
    await h.say(NEW_LEADER, '注册');
    const form = lastMessageTo(NEW_LEADER);
    const res = await h.clickCard(NEW_LEADER, form.messageId, registerButton(form.content), registrationForm('丁', { contact: '', contactLookup: '13000000000' }));
    expect(res.body.toast.type).toBe('error');
    expect(res.body.toast.content).toContain('没有找到 手机号 13000000000 对应的飞书用户');
    expectValidCard(res.body.card.data);
    expect(JSON.stringify(res.body.card.data)).toContain('"default_value":"13000000000"');
    expect(await teamNamed('测试养护丁班')).toBeUndefined();
  });
});

describe('a contact typed by their Feishu Mail address (企业邮箱)', () => {
  it('is not found, as batch_get_id cannot find that address, and the refusal says to type the mobile or the e-mail bound to the account', async () => {
    h.fake.addUser({ name: '钱联系人', mobile: '13912340011', email: 'qian.lianxiren@example.com', enterpriseEmail: 'qian@qc-assoc.feishu.cn' });
    await h.say(NEW_LEADER, '注册');
    const form = lastMessageTo(NEW_LEADER);
    const res = await h.clickCard(NEW_LEADER, form.messageId, registerButton(form.content), registrationForm('戊', { contact: '', contactLookup: 'qian@qc-assoc.feishu.cn' }));
    expect(res.body.toast.type).toBe('error');
    expect(res.body.toast.content).toContain('没有找到 邮箱 qian@qc-assoc.feishu.cn 对应的飞书用户');
    expect(res.body.toast.content).toContain('飞书企业邮箱无法查找，请改填对方的手机号或飞书账号绑定的邮箱');
    expect(await teamNamed('测试养护戊班')).toBeUndefined();
  });
});

describe('an administrator adds experts who are not in the administrators’ group (acceptance 2)', () => {
  it('from the known people who are not experts yet, and by e-mail', async () => {
    const admin = await adminCardInGroup();
    const pool = await h.clickCard(personas.admin, admin.messageId, { action: 'experts.list' });
    expect(pool.refused).toBeUndefined();
    const offered = JSON.stringify(pool.body.card.data);
    expect(offered).toContain(`"value":"${personas.member}"`);
    expect(offered).not.toContain(`"value":"${personas.expert}"`);
    const qian = h.fake.addUser({ name: '钱专家', email: 'qian@example.com' });

    const added = await h.clickCard(personas.admin, admin.messageId, { action: 'experts.add' }, { experts: [personas.member], expertsLookup: 'Qian@Example.com', organization: '华南理工大学', specialities: '道路', maxLoad: '' });
    expect(added.refused).toBeUndefined();
    expect(added.body.toast.type).toBe('success');
    const rows = await h.db.db.select().from(people).where(inArray(people.openId, [personas.member, qian.openId]));
    expect(rows.map((r) => r.roles.includes('expert'))).toEqual([true, true]);
  });

  it('a picker with someone outside the group and outside the options is refused by the fake', async () => {
    const admin = await adminCardInGroup();
    await h.clickCard(personas.admin, admin.messageId, { action: 'experts.list' });
    const res = await h.clickCard(personas.admin, admin.messageId, { action: 'experts.add' }, { experts: ['ou_notinthegroup00000000000000000001'], organization: '华南理工大学' });
    expect(res.refused?.code).toBe(230001);
  });
});

describe('the formal check accepts three applications from one list card, one click each (acceptance 3)', () => {
  it('each application has its own field names, read back for the one clicked', async () => {
    const endorsement = { decision: 'recommend', truthful: true, opinion: '同意推荐', by: personas.contact };
    await h.db.db.update(applications).set({ status: 'recommended', endorsement }).where(inArray(applications.id, [f.appA, f.appB]));
    await h.say(personas.admin, '帮助');
    const menu = lastMessageTo(personas.admin);
    const list = await h.clickCard(personas.admin, menu.messageId, { action: 'check.list' });
    expect(list.refused).toBeUndefined();
    expectValidCard(list.body.card.data);
    const ids = [f.appA, f.appB, f.appC];
    // a page holds formalCheckPageSize of them (each with its 申报表's long answers); the card redrawn after each 受理 brings the next
    expect(formFieldNames(list.body.card.data)).toEqual(ids.slice(0, formalCheckPageSize).map(formalCheckReasonField));
    for (const id of ids) {
      const accept = cardActions(h.fake.currentCard(menu.messageId)).find((a) => a.action === 'check.accept' && a.applicationId === id)!;
      const res = await h.clickCard(personas.admin, menu.messageId, accept, { [formalCheckReasonField(id)]: '' });
      expect(res.refused).toBeUndefined();
      expect(res.body.toast.type).toBe('success');
    }
    const rows = await h.db.db.select({ id: applications.id, status: applications.status }).from(applications).where(inArray(applications.id, ids));
    expect(rows.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
  });
});

describe('a card older than 14 days (acceptance 7)', () => {
  it('is refused by the fake; the same decision is reachable again from 管理 → 投诉处理', async () => {
    // a second upheld complaint in a row raises the revocation alert (第二十二条)
    await h.db.db.insert(complaints).values({ reference: 'TS-2027-0090', teamId: f.teamA.id, content: '井盖修复后沉降', channel: 'web', status: 'upheld', decidedAt: new Date('2027-03-01T10:00:00+08:00'), createdAt: new Date('2027-02-20T10:00:00+08:00') });
    const upheld = await h.click(personas.admin, { action: 'complaint.uphold', complaintId: f.complaintId }, { note: '经核实属实' });
    expect(upheld.toast.type).toBe('success');
    const alert = [...h.fake.messages].reverse().find((m) => m.receiveId === personas.admin && cardActions(m.content).some((a) => a.action === 'revocation.revoke'))!;
    expect(alert).toBeDefined();
    const revoke = cardActions(alert.content).find((a) => a.action === 'revocation.revoke')!;

    h.clock.advanceDays(15);
    const stale = await h.clickCard(personas.admin, alert.messageId, revoke, { reason: '连续两次投诉成立' });
    expect(stale.refused).toEqual({ code: 230031, msg: expect.stringContaining('14 days') });
    const [still] = await h.db.db.select().from(honours).where(eq(honours.id, f.honourId));
    expect(still.revokedAt).toBeNull();

    await h.say(personas.admin, '管理');
    const menu = lastMessageTo(personas.admin);
    expect(cardActions(menu.content).map((a) => a.action)).toEqual(expect.arrayContaining(['check.list', 'complaint.list']));
    const list = await h.clickCard(personas.admin, menu.messageId, { action: 'complaint.list' });
    expect(list.refused).toBeUndefined();
    expectValidCard(list.body.card.data);
    expect(cardText(list.body.card.data)).toContain('待决定是否撤销的称号');
    const open = await h.clickCard(personas.admin, menu.messageId, { action: 'revocation.open', honourId: f.honourId });
    expect(cardActions(open.body.card.data)).toContainEqual(revoke);
    const done = await h.clickCard(personas.admin, menu.messageId, revoke, { reason: '连续两次投诉成立' });
    expect(done.refused).toBeUndefined();
    expect(done.body.toast.type).toBe('success');
    const [after] = await h.db.db.select().from(honours).where(eq(honours.id, f.honourId));
    expect(after.revokedAt).not.toBeNull();
  });
});
