import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, chatBindings, complaints, cycles, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { complaintForm } from '../../src/complaints.js';
import type { FieldSpec } from '../../src/forms.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard, formFieldNames } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { botAddedEvent, messageEvent, randomMessageId } from '../support/larkEvents.js';

const ADMIN_CHAT = 'oc_admins00000000000000000000000001';
const OTHER_CHAT = 'oc_random00000000000000000000000001';
const STRANGER = 'ou_stranger000000000000000000000009';
const CUSTOMER = 'ou_customer000000000000000000000001';
const LEADER = (n: number) => `ou_leader${String(n).padStart(27, '0')}`;
const CONTACT = (n: number) => `ou_contact${String(n).padStart(26, '0')}`;

let h: Harness;
const clock = new ManualClock('2027-03-01T10:00:00+08:00');
let nextTeam = 0;

beforeAll(async () => {
  // the tests stand for customers behind one reverse proxy, each with the address it forwards
  h = await startHarness({ clock, env: { TRUST_PROXY: '1' } });
});
afterAll(async () => {
  await h?.close();
});

/** A team, with a 2026 title unless told otherwise. */
async function team(opts: { name: string; honour?: boolean }) {
  const n = ++nextTeam;
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: `${opts.name}所属单位` }).returning();
  await db.insert(people).values([{ openId: LEADER(n) }, { openId: CONTACT(n), roles: ['org_contact'] }]).onConflictDoNothing();
  const [row] = await db
    .insert(teams)
    .values({
      code: `GDSZ-2025-${String(n).padStart(4, '0')}`,
      name: opts.name,
      organizationId: org.id,
      department: '养护部',
      type: 'project',
      leaderOpenId: LEADER(n),
      phone: '020-12345678',
      memberCount: 8,
      functions: '道路养护',
      goals: '零缺陷',
      plan: '每月 QC 活动',
      contactOpenId: CONTACT(n),
      registeredAt: '2025-01-10',
    })
    .returning();
  const [honour] = opts.honour === false ? [] : await db.insert(honours).values({ teamId: row.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
  return { ...row, leader: LEADER(n), contact: CONTACT(n), honourId: honour?.id };
}

async function inGroup(openId: string, text: string, chatId = ADMIN_CHAT) {
  const messageId = randomMessageId();
  const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId, text, chatType: 'group', chatId, messageId, mentionBot: true }));
  expect(res.status).toBe(200);
  await h.drain();
  return h.fake.messages.filter((m) => m.replyTo === messageId);
}

async function complainOnline(body: Record<string, unknown>, ip = '198.51.100.7') {
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
  const json = await res.json();
  await h.drain();
  return { status: res.status, body: json as any };
}

const toChat = (chatId: string) => h.fake.messages.filter((m) => m.receiveIdType === 'chat_id' && m.receiveId === chatId);
const toUser = (openId: string) => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId);
const complaintByRef = async (reference: string) => (await h.db.db.select().from(complaints).where(eq(complaints.reference, reference)))[0];
const honourById = async (id: number) => (await h.db.db.select().from(honours).where(eq(honours.id, id)))[0];
const revocationAlerts = (honourId: number) => toChat(ADMIN_CHAT).filter((m) => cardActions(m.content).some((a) => a.action === 'revocation.revoke' && a.honourId === honourId));

async function decide(openId: string, reference: string, decision: 'uphold' | 'dismiss', note?: string) {
  const c = await complaintByRef(reference);
  return h.click(openId, { action: `complaint.${decision}`, complaintId: c.id }, note === undefined ? {} : { note });
}

describe('group chats: introduction, binding and unbinding (admins only)', () => {
  it('introduces itself when added to a group', async () => {
    await h.post('/lark/events', botAddedEvent({ token: TEST_VERIFICATION_TOKEN, chatId: ADMIN_CHAT, operatorOpenId: ADMIN, appId: 'cli_test' }));
    await h.drain();
    const [intro] = toChat(ADMIN_CHAT);
    expectValidCard(intro.content);
    expect(cardText(intro.content)).toContain('绑定通知');
  });

  it('refuses a non-admin and binds nothing (acceptance 5)', async () => {
    const [reply] = await inGroup(STRANGER, '绑定通知');
    expect(reply.content.text).toContain('第十四条');
    expect(await h.db.db.select().from(chatBindings)).toEqual([]);
  });

  it('asks for a group when sent in p2p, and names the choices for an unknown purpose', async () => {
    await h.say(ADMIN, '绑定通知');
    expect(toUser(ADMIN).at(-1)?.content.text).toContain('群聊');
    const [reply] = await inGroup(ADMIN, '绑定通知 财务');
    expect(reply.content.text).toContain('专家');
    expect(await h.db.db.select().from(chatBindings)).toEqual([]);
  });

  it('binds the group for admin notifications, and another for experts; unbinds by purpose', async () => {
    const [bound] = await inGroup(ADMIN, '绑定通知');
    expectValidCard(bound.content);
    expect(cardText(bound.content)).toContain('协会管理通知');
    const [again] = await inGroup(ADMIN, 'bind');
    expect(cardText(again.content)).toContain('本群已是');
    await inGroup(ADMIN, '绑定通知 专家', OTHER_CHAT);
    const rows = await h.db.db.select().from(chatBindings);
    expect(rows.map((r) => `${r.chatId}:${r.purpose}`).sort()).toEqual([`${ADMIN_CHAT}:admin`, `${OTHER_CHAT}:experts`]);
    const [refused] = await inGroup(STRANGER, '解绑', OTHER_CHAT);
    expect(refused.content.text).toContain('第十四条');
    const [unbound] = await inGroup(ADMIN, 'unbind experts', OTHER_CHAT);
    expect(cardText(unbound.content)).toContain('评审专家通知');
    expect((await h.db.db.select().from(chatBindings)).map((r) => r.chatId)).toEqual([ADMIN_CHAT]);
    expect((await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'chat.bind'))).length).toBe(2);
  });
});

describe('a public complaint through the HTTP endpoint, upheld twice, raises one revocation alert; revoking tells both parties (acceptance 3)', () => {
  let t: Awaited<ReturnType<typeof team>>;
  const refs: string[] = [];
  beforeAll(async () => {
    t = await team({ name: '广州市政养护三班' });
  });

  it('the complaint gets a reference number and alerts the admin group at once', async () => {
    const before = toChat(ADMIN_CHAT).length;
    const res = await complainOnline({ team: t.code, content: '人行道修补后一周即松动，影响通行', contact: '13800000000' });
    expect(res.status).toBe(201);
    expect(res.body.reference).toMatch(/^TS-2027-\d{4}$/);
    refs.push(res.body.reference);
    const alerts = toChat(ADMIN_CHAT).slice(before);
    expect(alerts).toHaveLength(1);
    // one date style: the day as people read it, no ISO date anywhere on the card
    expect(cardText(alerts[0].content)).toContain('**收到日期**：2027年3月1日');
    expect(cardText(alerts[0].content)).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expectValidCard(alerts[0].content);
    expect(cardText(alerts[0].content)).toContain(res.body.reference);
    expect(formFieldNames(alerts[0].content)).toContain('note');
    const c = await complaintByRef(res.body.reference);
    // the group is everyone's in it: the contact (仅协会可见) is not there, 查看联系方式 sends it to an administrator privately
    expect(cardText(alerts[0].content)).not.toContain('13800000000');
    expect(cardActions(alerts[0].content)).toEqual([
      { action: 'complaint.open', complaintId: c.id },
      { action: 'complaint.uphold', complaintId: c.id },
      { action: 'complaint.dismiss', complaintId: c.id },
      { action: 'complaint.duplicate', complaintId: c.id },
      { action: 'complaint.withdraw', complaintId: c.id },
    ]);
    expect(c).toMatchObject({ teamId: t.id, channel: 'web', status: 'open', contact: '13800000000' });
  });

  it('a non-admin cannot uphold it: refused, nothing changes (acceptance 5)', async () => {
    const res = await decide(STRANGER, refs[0], 'uphold', '属实');
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toContain('第十四条');
    expect(res.card).toBeUndefined();
    expect((await complaintByRef(refs[0])).status).toBe('open');
  });

  it('an admin must write a note; then upholds it (one of two: no alert yet)', async () => {
    const missing = await decide(ADMIN, refs[0], 'uphold', '  ');
    expect(missing.toast.content).toContain('处理意见');
    expect(cardText(missing.card.data)).toContain('请修改');
    expect((await complaintByRef(refs[0])).status).toBe('open');
    const res = await decide(ADMIN, refs[0], 'uphold', '现场核实，修补质量不合格');
    expect(res.toast.type).toBe('success');
    expect(cardActions(res.card.data)).toEqual([{ action: 'complaint.correctAsk', complaintId: expect.any(Number) }]);
    // the web complainant hears of it only from the association: the administrator is asked to tell them, at the contact they left
    expect(cardText(res.card.data)).toContain(`请按其联系方式（13800000000）告知认定结果和处理意见，并提供投诉编号 ${refs[0]}`);
    expect(await complaintByRef(refs[0])).toMatchObject({ status: 'upheld', note: '现场核实，修补质量不合格', decidedBy: ADMIN });
    expect(revocationAlerts(t.honourId!)).toHaveLength(0);
    const again = await decide(ADMIN, refs[0], 'dismiss', '改判');
    expect(again.toast.type).toBe('info');
    expect((await complaintByRef(refs[0])).status).toBe('upheld');
  });

  it('the second upheld complaint in a row raises ONE revocation alert with the history', async () => {
    clock.advanceDays(3);
    const res = await complainOnline({ team: t.name, content: '检查井盖破损两周未修复' });
    refs.push(res.body.reference);
    const decided = await decide(ADMIN, refs[1], 'uphold', '属实');
    expect(decided.toast.content).toContain('撤销称号提醒');
    expect(cardText(decided.card.data)).toContain('网上投诉的投诉人没有留下联系方式，认定结果无法告知投诉人');
    const alerts = revocationAlerts(t.honourId!);
    expect(alerts).toHaveLength(1);
    expectValidCard(alerts[0].content);
    const text = cardText(alerts[0].content);
    expect(text).toContain('第二十二条');
    expect(text).toContain(refs[0]);
    expect(text).toContain(refs[1]);
    expect(cardActions(alerts[0].content).map((a) => a.action)).toEqual(['revocation.revoke', 'revocation.keep']);
    expect(formFieldNames(alerts[0].content)).toContain('reason');

    clock.advanceDays(1);
    const third = await complainOnline({ team: t.code, content: '路面又出现坑槽' });
    await decide(ADMIN, third.body.reference, 'uphold', '属实');
    expect(revocationAlerts(t.honourId!)).toHaveLength(1);
  });

  it('a non-admin cannot revoke the title (acceptance 5)', async () => {
    const res = await h.click(STRANGER, { action: 'revocation.revoke', honourId: t.honourId }, { reason: '连续投诉' });
    expect(res.toast.content).toContain('第十四条');
    expect((await honourById(t.honourId!)).revokedAt).toBeNull();
  });

  it('revoking records the reason, marks the honour revoked, and tells the leader and the organisation contact', async () => {
    const noReason = await h.click(ADMIN, { action: 'revocation.revoke', honourId: t.honourId }, {});
    expect(noReason.toast.content).toContain('决定理由');
    expect((await honourById(t.honourId!)).revokedAt).toBeNull();

    const res = await h.click(ADMIN, { action: 'revocation.revoke', honourId: t.honourId }, { reason: '一个月内三次投诉成立' });
    expect(res.toast.type).toBe('success');
    const honour = await honourById(t.honourId!);
    expect(honour.revokedAt?.toISOString()).toBe(clock.now().toISOString());
    expect(honour.revokedReason).toBe('一个月内三次投诉成立');
    for (const openId of [t.leader, t.contact]) {
      const notices = toUser(openId).filter((m) => cardText(m.content).includes('称号已撤销'));
      expect(notices, openId).toHaveLength(1);
      expect(cardText(notices[0].content)).toContain('一个月内三次投诉成立');
    }
    const twice = await h.click(ADMIN, { action: 'revocation.revoke', honourId: t.honourId }, { reason: '再次' });
    expect(twice.toast.type).toBe('info');
    // who revoked it and when: 你, the one who did
    expect(twice.toast.content).toMatch(/^你已于 2027年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 撤销 广州市政养护三班 的 2026 年度称号，无需再处理。$/);
    expect((await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'honour.revoke'), eq(auditLog.entityId, String(t.honourId))))).length).toBe(1);
  });
});

describe('what breaks a run of upheld complaints', () => {
  it('a dismissed complaint in between prevents the alert; the run starts again after it', async () => {
    const t = await team({ name: '深圳道路检测二组' });
    const refs: string[] = [];
    for (const content of ['沥青摊铺厚度不足', '检测报告数据有误', '围挡未按要求设置', '井盖异响']) {
      clock.advanceDays(1);
      refs.push((await complainOnline({ team: t.code, content }, '198.51.100.20')).body.reference);
    }
    await decide(ADMIN, refs[0], 'uphold', '属实');
    await decide(ADMIN, refs[1], 'dismiss', '经核实，检测数据无误');
    await decide(ADMIN, refs[2], 'uphold', '属实');
    expect(revocationAlerts(t.honourId!)).toHaveLength(0);
    await decide(ADMIN, refs[3], 'uphold', '属实');
    expect(revocationAlerts(t.honourId!)).toHaveLength(1);
  });

  it('keeping the title (保留称号) resets the run; complaints decided before it no longer count', async () => {
    const t = await team({ name: '佛山排水管养一班' });
    const file = async (content: string) => {
      clock.advanceDays(1);
      const res = await complainOnline({ team: t.code, content }, '198.51.100.30');
      return decide(ADMIN, res.body.reference, 'uphold', '属实');
    };
    await file('管道淤积未及时清理');
    await file('雨后路面积水');
    expect(revocationAlerts(t.honourId!)).toHaveLength(1);
    const refused = await h.click(STRANGER, { action: 'revocation.keep', honourId: t.honourId }, { reason: '整改到位' });
    expect(refused.toast.content).toContain('第十四条');
    expect((await honourById(t.honourId!)).keptAt).toBeNull();
    const kept = await h.click(ADMIN, { action: 'revocation.keep', honourId: t.honourId }, { reason: '已整改，回访满意' });
    expect(kept.toast.type).toBe('success');
    expect(await honourById(t.honourId!)).toMatchObject({ keptReason: '已整改，回访满意', revokedAt: null });
    await file('井盖缺失');
    expect(revocationAlerts(t.honourId!)).toHaveLength(1);
    await file('井盖再次缺失');
    expect(revocationAlerts(t.honourId!)).toHaveLength(2);
  });

  it('a team without a title never raises an alert; the run length comes from the cycle settings', async () => {
    const plain = await team({ name: '东莞市政抢修队', honour: false });
    const before = toChat(ADMIN_CHAT).length;
    for (const content of ['抢修迟缓', '现场未清理', '恢复质量差']) {
      clock.advanceDays(1);
      const res = await complainOnline({ team: plain.code, content }, '198.51.100.40');
      await decide(ADMIN, res.body.reference, 'uphold', '属实');
    }
    expect(toChat(ADMIN_CHAT).slice(before).filter((m) => cardActions(m.content).some((a) => a.action === 'revocation.revoke'))).toEqual([]);

    await h.db.db.insert(cycles).values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { revocationRun: 3 } });
    const t = await team({ name: '珠海桥梁养护组' });
    for (const [i, content] of ['伸缩缝破损', '护栏松动', '桥面积水'].entries()) {
      clock.advanceDays(1);
      const res = await complainOnline({ team: t.code, content }, '198.51.100.50');
      await decide(ADMIN, res.body.reference, 'uphold', '属实');
      expect(revocationAlerts(t.honourId!), `after ${i + 1}`).toHaveLength(i < 2 ? 0 : 1);
    }
  });
});

describe('complaints from chat (投诉)', () => {
  it('picks the team by part of its name, takes the complaint, and tells the complainant the outcome', async () => {
    const t = await team({ name: '江门照明维护班', honour: false });
    await h.say(CUSTOMER, '投诉 照明维护');
    const form = toUser(CUSTOMER).at(-1)!.content;
    expectValidCard(form);
    expect(cardText(form)).toContain('江门照明维护班');
    expect(formFieldNames(form)).toEqual(['content', 'contact']);
    const submit = cardActions(form).find((a) => a.action === 'complaint.submit')!;
    expect(submit.teamId).toBe(t.id);

    const empty = await h.click(CUSTOMER, submit, { content: '' });
    expect(empty.toast.content).toContain('请填写投诉内容');
    expect(await h.db.db.select().from(complaints).where(eq(complaints.teamId, t.id))).toEqual([]);

    const before = toChat(ADMIN_CHAT).length;
    const res = await h.click(CUSTOMER, submit, { content: '路灯连续三晚不亮' });
    expect(res.toast.type).toBe('success');
    const reference = res.toast.content.match(/TS-2027-\d{4}/)![0];
    expect(await complaintByRef(reference)).toMatchObject({ channel: 'chat', complainantOpenId: CUSTOMER, teamId: t.id });
    expect(toChat(ADMIN_CHAT).slice(before).some((m) => cardText(m.content).includes(reference))).toBe(true);

    const again = await h.click(CUSTOMER, submit, { content: '路灯连续三晚不亮' });
    expect(again.toast.type).toBe('info');
    expect((await h.db.db.select().from(complaints).where(eq(complaints.teamId, t.id))).length).toBe(1);

    const dismissed = await decide(ADMIN, reference, 'dismiss', '线路故障属供电部门');
    expect(cardText(toUser(CUSTOMER).at(-1)!.content)).toContain('不成立');
    // told in Feishu already: the administrator is not asked to tell them
    expect(cardText(dismissed.card.data)).not.toContain('告知');
  });

  it('a forwarded form is a new complaint for its second submitter, never the first reference (dedupe by complainant and form)', async () => {
    const t = await team({ name: '佛山排水巡查班', honour: false });
    await h.say(CUSTOMER, '投诉 佛山排水巡查班');
    const submit = cardActions(toUser(CUSTOMER).at(-1)!.content).find((a) => a.action === 'complaint.submit')!;
    const first = await h.click(CUSTOMER, submit, { content: '雨水口堵塞' });
    const firstRef = first.toast.content.match(/TS-2027-\d{4}/)![0];
    const forwarded = await h.click(STRANGER, submit, { content: '井盖松动' });
    expect(forwarded.toast.type).toBe('success');
    const secondRef = forwarded.toast.content.match(/TS-2027-\d{4}/)![0];
    expect(secondRef).not.toBe(firstRef);
    expect(await complaintByRef(secondRef)).toMatchObject({ complainantOpenId: STRANGER, content: '井盖松动', teamId: t.id });
    const again = await h.click(STRANGER, submit, { content: '井盖松动' });
    expect(again.toast.content).toContain(secondRef);
    expect((await h.db.db.select().from(complaints).where(eq(complaints.teamId, t.id))).length).toBe(2);
  });

  it('several matches give a picker; a name that matches nothing keeps what was typed and says so', async () => {
    await team({ name: '中山绿化养护一班', honour: false });
    await team({ name: '中山绿化养护二班', honour: false });
    await h.say(CUSTOMER, 'complain 中山绿化');
    const picker = toUser(CUSTOMER).at(-1)!.content;
    expectValidCard(picker);
    expect(cardActions(picker).map((a) => a.action)).toEqual(['complaint.start', 'complaint.start']);

    await h.say(CUSTOMER, '投诉 不存在的班组');
    const form = toUser(CUSTOMER).at(-1)!.content;
    expect(formFieldNames(form)).toEqual(['team', 'content', 'contact']);
    // the words the public page and a submitted card use for the same name
    expect(cardText(form)).toContain('找不到班组“不存在的班组”。请填写班组全称或编号（编号形如 GDSZ-2026-0001');
    expect(cardText(form)).toContain('不存在的班组');

    // the whole complaint typed after 投诉 on a phone: no team is called that; the form still arrives, the words in its banner
    const typed = `中山市某路段人行道修补后一周即松动，${'砖块翘起、积水严重，'.repeat(15)}请尽快处理`;
    expect(typed.length).toBeGreaterThan(100);
    const before = toUser(CUSTOMER).length;
    await h.say(CUSTOMER, `投诉 ${typed}`);
    expect(toUser(CUSTOMER)).toHaveLength(before + 1);
    const long = toUser(CUSTOMER).at(-1)!.content;
    expectValidCard(long);
    // the banner quotes its start: a pasted report quoted whole could pass Feishu's 30 KB
    expect(cardText(long)).toContain(`找不到班组“${typed.slice(0, 40)}…”`);

    // typed as Chinese is, with no space: a team's name is the complaint form; anything else is a question for the measures
    await h.say(CUSTOMER, '投诉中山绿化养护一班');
    const glued = toUser(CUSTOMER).at(-1)!.content;
    expect(formFieldNames(glued)).toEqual(['content', 'contact']);
    expect(cardText(glued)).toContain('中山绿化养护一班');
    await h.say(CUSTOMER, 'complain about 中山绿化养护二班');
    expect(cardText(toUser(CUSTOMER).at(-1)!.content)).toContain('中山绿化养护二班');
    expect(formFieldNames(toUser(CUSTOMER).at(-1)!.content)).toEqual(['content', 'contact']);
    await h.say(CUSTOMER, '投诉怎么处理？');
    const question = toUser(CUSTOMER).at(-1)!.content;
    expect(formFieldNames(question)).toEqual([]);
    expect(cardText(question)).toMatch(/第二十[一二]条/);
    // a word inside some team's name is no complaint: only a text that starts with a team's name or a code is
    await team({ name: '南山污水处理一班', honour: false });
    await h.say(CUSTOMER, '投诉处理');
    expect(formFieldNames(toUser(CUSTOMER).at(-1)!.content)).toEqual([]);
    // the name, then the complaint, as people type it: that team's form, what follows the name as the content
    for (const typed of ['投诉中山绿化养护一班，草坪枯死一大片', '投诉 中山绿化养护一班，草坪枯死一大片']) {
      await h.say(CUSTOMER, typed);
      const named = toUser(CUSTOMER).at(-1)!.content;
      expect(formFieldNames(named), typed).toEqual(['content', 'contact']);
      expect(cardText(named), typed).toContain('中山绿化养护一班');
      expect(JSON.stringify(named), typed).toContain('"default_value":"草坪枯死一大片"');
    }
    // spaced, but a question about complaints, not a team: the measures answer it
    for (const typed of ['投诉 怎么处理', 'complain how does it work', '投诉 流程是什么？']) {
      await h.say(CUSTOMER, typed);
      expect(formFieldNames(toUser(CUSTOMER).at(-1)!.content), typed).toEqual([]);
    }
    // a code, mistyped: the form says no team has it
    await h.say(CUSTOMER, '投诉GDSZ-2024-9999');
    expect(cardText(toUser(CUSTOMER).at(-1)!.content)).toContain('找不到班组“GDSZ-2024-9999”');

    const ambiguous = await h.click(CUSTOMER, { action: 'complaint.submit' }, { team: '中山绿化', content: '草坪枯死' });
    expect(ambiguous.toast.content).toContain('请填写班组编号');
    expect(cardText(ambiguous.card.data)).toContain('草坪枯死');
  });
});

describe('the public endpoint refuses bad input and storms (acceptance 4, HTTP side)', () => {
  it('answers 400 with a clear message and stores nothing', async () => {
    const t = await team({ name: '惠州道路保洁班', honour: false });
    const count = async () => (await h.db.db.select().from(complaints)).length;
    const before = await count();
    const outboxBefore = (await h.db.db.select().from(outbox)).length;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ team: t.code, content: '' }, '请填写投诉内容', 'content'],
      [{ team: '', content: '路面破损' }, '请填写被投诉班组', 'team'],
      [{ team: t.code, content: '长'.repeat(2001) }, '投诉内容不能超过 2000 字', 'content'],
      [{ team: t.code, content: '路面破损', contact: '1'.repeat(101) }, '联系方式不能超过 100 字', 'contact'],
      // nothing to call back on
      [{ team: t.code, content: '路面破损', contact: 'abc' }, '联系方式：请填写电话号码或电子邮箱，如 138×××××××× 或 name@公司邮箱；不便留下可不填', 'contact'],
      [{ team: '没有这个班组', content: '路面破损' }, '找不到班组“没有这个班组”', 'team'],
      [{ team: 'GDSZ-2020-9999', content: '路面破损' }, '找不到班组', 'team'],
      // filled in, with something that is no text: told what it must be, not to fill it in
      [{ team: 123, content: '路面破损' }, '被投诉班组须为文字', 'team'],
      [{ team: t.code, content: { text: '路面破损' } }, '投诉内容须为文字', 'content'],
    ];
    for (const [i, [body, message, field]] of cases.entries()) {
      const res = await complainOnline(body, `203.0.113.${i + 1}`);
      expect(res.status, message).toBe(400);
      expect(res.body.msg).toContain(message);
      expect(res.body.field).toBe(field);
    }
    const notJson = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.99' }, body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(await count()).toBe(before);
    expect((await h.db.db.select().from(outbox)).length).toBe(outboxBefore);
  });

  it('cleans characters PostgreSQL refuses instead of failing with a 500', async () => {
    const t = await team({ name: '汕尾市政巡查组', honour: false });
    const res = await complainOnline({ team: t.code, content: '井盖\u0000缺失\ud800' }, '203.0.113.200');
    expect(res.status).toBe(201);
    expect((await complaintByRef(res.body.reference)).content).toBe('井盖缺失\ufffd');
  });

  it('answers 429 past five complaints in ten minutes from one address (mistakes not counted), while others still get through', async () => {
    const t = await team({ name: '汕头市政巡查组', honour: false });
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await complainOnline({ team: t.code, content: i % 2 ? '' : `第 ${i} 次投诉` }, '192.0.2.77')).status);
    expect(statuses).toEqual([201, 400, 201, 400, 201, 400, 201, 400, 201]);
    expect((await complainOnline({ team: t.code, content: '第六次' }, '192.0.2.77')).status).toBe(429);
    const limited = await complainOnline({ team: t.code, content: '再次投诉' }, '192.0.2.77');
    expect(limited.body.msg).toContain('提交过于频繁');
    expect((await complainOnline({ team: t.code, content: '另一位顾客' }, '192.0.2.78')).status).toBe(201);
    clock.advance(10 * 60_000 + 1);
    expect((await complainOnline({ team: t.code, content: '十分钟后' }, '192.0.2.77')).status).toBe(201);
  });
});

describe('the chat card and the public page are one form (complaintForm)', () => {
  it('refuse the same bad input with the same message naming the same field; the card keeps what was typed', async () => {
    const t = await team({ name: '湛江道路巡查班', honour: false });
    const count = async () => (await h.db.db.select().from(complaints)).length;
    const before = await count();
    // [what was typed, the field named]: the form's own checks, then the team looked up
    const cases: [Record<string, unknown>, string][] = [
      [{ team: t.code, content: '' }, 'content'],
      [{ team: t.code, content: '   ', contact: '13800000000' }, 'content'],
      [{ team: '', content: '井盖松动' }, 'team'],
      [{ team: t.code, content: '长'.repeat(complaintForm.fields.content.maxLength + 1) }, 'content'],
      [{ team: t.code, content: '井盖松动', contact: '1'.repeat(complaintForm.fields.contact.maxLength + 1) }, 'contact'],
      [{ team: '没有这个班组', content: '井盖松动' }, 'team'],
    ];
    for (const [i, [typed, field]] of cases.entries()) {
      const web = await complainOnline(typed, `192.0.2.${i + 1}`);
      const chat = await h.click(CUSTOMER, { action: 'complaint.submit', formKey: `same-${i}` }, typed);
      expect(web.status, JSON.stringify(typed)).toBe(400);
      expect(web.body.field).toBe(field);
      expect(chat.toast.type).toBe('error');
      expect(chat.toast.content).toBe(web.body.msg);
      if (i < 5) expect(web.body.msg).toContain(complaintForm.fields[field as keyof typeof complaintForm.fields].label);
      // the form again, with the message and every field as typed
      expectValidCard(chat.card.data);
      expect(formFieldNames(chat.card.data)).toEqual(Object.keys(complaintForm.fields));
      expect(cardText(chat.card.data)).toContain(web.body.msg);
      // as much of it as the card's input holds (Feishu's input takes at most 1 000 characters)
      const held = (name: string) => Math.min(complaintForm.fields[name as keyof typeof complaintForm.fields].maxLength, 1000);
      for (const [name, value] of Object.entries(typed)) if (typeof value === 'string' && value.trim()) expect(cardText(chat.card.data)).toContain(value.slice(0, held(name)));
    }
    expect(await count()).toBe(before);
  });

  it('the page draws its inputs from the descriptor and escapes what a link fills in', async () => {
    const res = await fetch(`${h.app.url}/complaints/new?team=${encodeURIComponent('"><script>alert(1)</script>')}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    for (const [name, f] of Object.entries(complaintForm.fields)) {
      expect(html).toContain(`<label for="${name}">${f.label}`);
      expect(html).toContain(f.help);
      expect(html).toMatch(new RegExp(`<(input|textarea) id="${name}" name="${name}"${(f as FieldSpec).required === false ? ' (?!required)' : ' required'}`));
      if (f.kind === 'text') expect(html).toContain(`maxlength="${f.maxLength}"`);
      else expect(html).toContain(`data-max="${f.maxLength}"`);
    }
    expect(html).toContain('选填，电话或邮箱');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).not.toContain('<script>alert(1)');
    const linked = await (await fetch(`${h.app.url}/complaints/new?team=GDSZ-2025-0001`)).text();
    expect(linked).toContain('value="GDSZ-2025-0001"');
  });
});

describe('administrators: open complaints list; escalation after a week', () => {
  it('lists open complaints for admins only', async () => {
    const refused = await h.click(STRANGER, { action: 'complaint.list' });
    expect(refused.toast.content).toContain('第十四条');
    const res = await h.click(ADMIN, { action: 'complaint.list' });
    expectValidCard(res.card.data);
    const open = cardActions(res.card.data).filter((a) => a.action === 'complaint.open');
    expect(open.length).toBeGreaterThan(0);
    const opened = await h.click(ADMIN, open[0]);
    expect(cardActions(opened.card.data).map((a) => a.action)).toEqual(['complaint.uphold', 'complaint.dismiss', 'complaint.duplicate', 'complaint.withdraw']);
  });
});

describe('web alerts: at most one card a minute in the admin group (issue 11)', () => {
  const batchCards = () => toChat(ADMIN_CHAT).filter((m) => cardText(m.content).includes('件网上投诉'));
  let t: Awaited<ReturnType<typeof team>>;

  beforeAll(async () => {
    clock.advanceDays(1);
    // whatever an earlier test left held is sent before these count the group's cards
    await h.drain();
    t = await team({ name: '惠州管网巡检班', honour: false });
  });

  it('four web complaints within a minute: the first alerted at once, the other three in one batch card when the minute ends', async () => {
    const before = toChat(ADMIN_CHAT).length;
    const refs: string[] = [];
    for (const [i, content] of ['阀门井积水', '管道渗漏严重', '巡检记录缺失', '路面沉陷未处理'].entries()) {
      const res = await complainOnline({ team: t.code, content }, `203.0.113.${10 + i}`);
      expect(res.status).toBe(201);
      refs.push(res.body.reference);
      clock.advance(10_000);
    }
    const first = toChat(ADMIN_CHAT).slice(before);
    expect(first).toHaveLength(1);
    expect(cardText(first[0].content)).toContain(refs[0]);
    const firstId = (await complaintByRef(refs[0])).id;
    expect(cardActions(first[0].content)).toEqual([
      { action: 'complaint.uphold', complaintId: firstId },
      { action: 'complaint.dismiss', complaintId: firstId },
      { action: 'complaint.duplicate', complaintId: firstId },
      { action: 'complaint.withdraw', complaintId: firstId },
    ]);

    clock.advance(19_000); // a second before the minute of the first alert ends
    await h.drain();
    expect(toChat(ADMIN_CHAT).slice(before)).toHaveLength(1);

    clock.advance(1_000);
    await h.drain();
    const cards = toChat(ADMIN_CHAT).slice(before);
    expect(cards).toHaveLength(2);
    const batch = cards[1].content;
    expectValidCard(batch);
    const text = cardText(batch);
    expect(text).toContain('1 分钟内收到 3 件网上投诉');
    for (const ref of refs.slice(1)) expect(text).toContain(ref);
    expect(text).not.toContain(refs[0]);
    expect(text).toContain('惠州管网巡检班');
    expect(text).toContain('管道渗漏严重');
    const ids = await Promise.all(refs.slice(1).map(async (r) => (await complaintByRef(r)).id));
    expect(cardActions(batch)).toEqual([...ids.map((complaintId) => ({ action: 'complaint.open', complaintId })), { action: 'complaint.list' }]);
    // each complaint of the batch opens to its own 成立 / 不成立 card, sent to the clicker privately: the batch card is the group's
    const privately = toUser(ADMIN).length;
    const opened = await h.click(ADMIN, cardActions(batch)[0], undefined, { chatId: ADMIN_CHAT });
    expect(opened.card).toBeUndefined();
    expect(opened.toast.content).toBe('投诉处理卡片已私信发给你');
    const [own] = toUser(ADMIN).slice(privately);
    expect(cardActions(own.content)).toEqual([
      { action: 'complaint.uphold', complaintId: ids[0] },
      { action: 'complaint.dismiss', complaintId: ids[0] },
      { action: 'complaint.duplicate', complaintId: ids[0] },
      { action: 'complaint.withdraw', complaintId: ids[0] },
    ]);
  });

  it('a web complaint after a quiet minute is alerted at once again', async () => {
    clock.advance(60_000);
    const before = toChat(ADMIN_CHAT).length;
    const res = await complainOnline({ team: t.code, content: '雨水口堵塞' }, '203.0.113.20');
    const cards = toChat(ADMIN_CHAT).slice(before);
    expect(cards).toHaveLength(1);
    expect(cardActions(cards[0].content)).toContainEqual({ action: 'complaint.uphold', complaintId: (await complaintByRef(res.body.reference)).id });
    expect(await h.db.db.select().from(outbox).where(eq(outbox.status, 'held'))).toEqual([]);
  });

  it('a chat complaint within that minute is alerted at once; the web one beside it waits for the batch', async () => {
    const before = toChat(ADMIN_CHAT).length;
    const batchesBefore = batchCards().length;
    clock.advance(5_000);
    const web = await complainOnline({ team: t.code, content: '检查井盖异响' }, '203.0.113.21');
    expect(toChat(ADMIN_CHAT).slice(before)).toHaveLength(0);

    await h.say(CUSTOMER, '投诉 管网巡检');
    const submit = cardActions(toUser(CUSTOMER).at(-1)!.content).find((a) => a.action === 'complaint.submit')!;
    const res = await h.click(CUSTOMER, submit, { content: '巡检车辆占道' });
    const reference = res.toast.content.match(/TS-2027-\d{4}/)![0];
    const chatAlerts = toChat(ADMIN_CHAT).slice(before);
    expect(chatAlerts).toHaveLength(1);
    expect(cardActions(chatAlerts[0].content)).toContainEqual({ action: 'complaint.uphold', complaintId: (await complaintByRef(reference)).id });

    clock.advance(60_000);
    await h.drain();
    const batches = batchCards().slice(batchesBefore);
    expect(batches).toHaveLength(1);
    expect(cardText(batches[0].content)).toContain('1 分钟内收到 1 件网上投诉');
    expect(cardText(batches[0].content)).toContain(web.body.reference);
    expect(cardText(batches[0].content)).not.toContain(reference);
  });

  it('a batch held with its card drawn at queueing (an earlier version) takes the spec when a complaint joins it, so none is left out', async () => {
    clock.advance(120_000);
    await complainOnline({ team: t.code, content: '路灯杆倾斜' }, '203.0.113.40');
    clock.advance(5_000);
    const second = (await complainOnline({ team: t.code, content: '路灯不亮' }, '203.0.113.41')).body.reference;
    const [held] = await h.db.db.select().from(outbox).where(and(eq(outbox.status, 'held'), like(outbox.dedupeKey, 'complaint:web-batch:%')));
    expect(held).toBeDefined();
    // as an earlier version stored it: the card itself, drawn when the first of the batch came
    await h.db.db.update(outbox).set({ card: { schema: '2.0', body: { elements: [] } } }).where(eq(outbox.id, held.id));
    clock.advance(5_000);
    const third = (await complainOnline({ team: t.code, content: '灯罩破损' }, '203.0.113.42')).body.reference;
    const [after] = await h.db.db.select().from(outbox).where(eq(outbox.id, held.id));
    expect((after.card as { render?: { kind: string } }).render?.kind).toBe('complaintBatch');
    const batchesBefore = batchCards().length;
    clock.advance(60_000);
    await h.drain();
    const [batch] = batchCards().slice(batchesBefore);
    expect(cardText(batch.content)).toContain('1 分钟内收到 2 件网上投诉');
    for (const ref of [second, third]) expect(cardText(batch.content)).toContain(ref);
  });

  it('a batch drawn when it is sent: a complaint decided in its minute says so on its row', async () => {
    clock.advance(120_000);
    const first = await complainOnline({ team: t.code, content: '人行道砖松动' }, '203.0.113.30');
    const refs: string[] = [];
    for (const [i, content] of ['排水沟堵塞', '检修后未恢复路面'].entries()) {
      clock.advance(5_000);
      refs.push((await complainOnline({ team: t.code, content }, `203.0.113.${31 + i}`)).body.reference);
    }
    expect(first.status).toBe(201);
    // the first of the batch decided from its own card before the minute ends, as 投诉 TS-… opens it
    const id = (await complaintByRef(refs[0])).id;
    const decided = await h.click(ADMIN, { action: 'complaint.dismiss', complaintId: id }, { note: '已核实非本班组负责路段' });
    expect(decided.toast.type).toBe('success');
    const batchesBefore = batchCards().length;
    clock.advance(60_000);
    await h.drain();
    const [batch] = batchCards().slice(batchesBefore);
    expectValidCard(batch.content);
    const text = cardText(batch.content);
    expect(text).toContain('1 分钟内收到 2 件网上投诉');
    // on the decided one's row, not another's
    expect(text).toMatch(new RegExp(`${refs[0]}\\** 惠州管网巡检班[^\\n]*已认定：不成立`));
    expect(text).toContain('其中 1 件在这张提醒发出前已认定，无需再处理。');
    expect(text.match(/已认定：/g)).toHaveLength(1);
  });
});
