import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, complaints, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A complaint closed as 重复 (it repeats another about the same team) or 已撤回 (at its complainant's request): neither
 * counts in 第二十二条's run of upheld complaints nor breaks it, the complainant hears which, and 我的投诉 shows it.
 * And the copies of a complaint's card other administrators hold: redrawn as decided, and a press on one says who
 * decided it and when.
 */

const clock = new ManualClock('2027-03-01T10:00:00+08:00');
const ADMIN2 = 'ou_admin200000000000000000000000002';
const CUSTOMER = 'ou_closecustomer000000000000000001';
let h: Harness;
let nextTeam = 0;

beforeAll(async () => {
  h = await startHarness({ clock, env: { TRUST_PROXY: '1' } });
  await h.db.db.insert(people).values({ openId: ADMIN, name: '张三', roles: ['admin'] }).onConflictDoUpdate({ target: people.openId, set: { name: '张三' } });
  await h.db.db.insert(people).values({ openId: ADMIN2, name: '李四', roles: ['admin'] });
});
afterAll(async () => {
  await h?.close();
});

async function team(name: string, honour = true) {
  const n = ++nextTeam;
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: `${name}所属单位` }).returning();
  const leader = `ou_closeleader${String(n).padStart(21, '0')}`;
  await db.insert(people).values({ openId: leader }).onConflictDoNothing();
  const [row] = await db
    .insert(teams)
    .values({ code: `GDSZ-2025-${String(800 + n).padStart(4, '0')}`, name, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader, phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: leader, registeredAt: '2025-01-10' })
    .returning();
  const [h0] = honour ? await db.insert(honours).values({ teamId: row.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning() : [];
  return { ...row, leader, honourId: h0?.id };
}

const toUser = (openId: string) => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId);
const byRef = async (reference: string) => (await h.db.db.select().from(complaints).where(eq(complaints.reference, reference)))[0];
const revocationAlerts = (honourId: number) => toUser(ADMIN).filter((m) => cardActions(m.content).some((a) => a.action === 'revocation.revoke' && a.honourId === honourId));

async function online(code: string, content: string): Promise<string> {
  clock.advanceDays(1);
  const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.77' }, body: JSON.stringify({ team: code, content, contact: '13800000000' }) });
  expect(res.status).toBe(201);
  await h.drain();
  return ((await res.json()) as { reference: string }).reference;
}

async function inChat(code: string, content: string): Promise<string> {
  clock.advanceDays(1);
  await h.say(CUSTOMER, `投诉 ${code}`);
  const submit = cardActions(toUser(CUSTOMER).at(-1)!.content).find((a) => a.action === 'complaint.submit')!;
  const res = await h.click(CUSTOMER, submit, { content });
  return res.toast.content.match(/TS-2027-\d{4}/)![0];
}

async function close(openId: string, reference: string, action: string, form: Record<string, unknown>) {
  const c = await byRef(reference);
  return h.click(openId, { action, complaintId: c.id }, form);
}

describe('重复: a copy of another complaint', () => {
  it('is refused without the reference it repeats, with one not found, itself, or another team’s; nothing is saved', async () => {
    const t = await team('韶关道路养护一班');
    const other = await team('韶关道路养护二班');
    const a = await online(t.code, '人民路井盖松动');
    const b = await online(t.code, '人民路井盖松动，车辆经过有异响');
    const elsewhere = await online(other.code, '人民路井盖松动');
    for (const [duplicateOf, said] of [
      ['', '请填写所重复的投诉编号'],
      ['TS-2027-9999', '找不到投诉 TS-2027-9999'],
      ['井盖', '投诉编号形如'],
      [b, '不能与自身重复'],
      [elsewhere, '韶关道路养护二班'],
    ] as const) {
      const res = await close(ADMIN, b, 'complaint.duplicate', { note: '同一处井盖', duplicateOf });
      expect(res.toast.type, duplicateOf).toBe('error');
      expect(res.toast.content, duplicateOf).toContain(said);
      expect(cardText(res.card.data)).toContain('请修改');
      expect((await byRef(b)).status).toBe('open');
    }
    expect(cardActions(toUser(ADMIN).find((m) => cardText(m.content).includes(a))!.content).map((x) => x.action)).toEqual([
      'complaint.uphold',
      'complaint.dismiss',
      'complaint.duplicate',
      'complaint.withdraw',
    ]);
  });

  it('names the complaint it repeats, tells the complainant so, and neither counts in the run of 第二十二条 nor breaks it', async () => {
    const t = await team('清远排水管养一班');
    const a = await online(t.code, '北江路雨水口堵塞');
    const b = await inChat(t.code, '北江路雨水口堵塞，下雨积水');
    const c = await online(t.code, '滨江路检查井塌陷');
    await close(ADMIN, a, 'complaint.uphold', { note: '属实' });
    const res = await close(ADMIN, b, 'complaint.duplicate', { note: '与前一件为同一处雨水口', duplicateOf: ` ${a.toLowerCase()} ` });
    expect(res.toast).toEqual({ type: 'success', content: `已按重复投诉处理（同 ${a}）` });
    expectValidCard(res.card.data);
    expect(cardActions(res.card.data)).toEqual([]);
    expect(cardText(res.card.data)).toContain(`重复（同 ${a}）`);
    const stored = await byRef(b);
    expect(stored).toMatchObject({ status: 'duplicate', duplicateOf: (await byRef(a)).id, note: '与前一件为同一处雨水口', decidedBy: ADMIN });
    const [row] = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'complaint.duplicate'), eq(auditLog.entityId, String(stored.id))));
    expect(row.details).toMatchObject({ reference: b, duplicateOf: a, note: '与前一件为同一处雨水口' });
    // the complainant is told in plain words which complaint it goes with, not that it was 不成立
    const told = cardText(toUser(CUSTOMER).at(-1)!.content);
    expect(told).toContain(`与投诉 ${a} 是同一件事`);
    expect(told).not.toContain('不成立');
    // the team hears of no upheld complaint for it
    expect(toUser(t.leader).filter((m) => cardText(m.content).includes(b))).toEqual([]);
    // the run goes on past it: A and C in a row
    expect(revocationAlerts(t.honourId!)).toHaveLength(0);
    const third = await close(ADMIN, c, 'complaint.uphold', { note: '属实' });
    expect(third.toast.content).toContain('撤销称号提醒');
    expect(revocationAlerts(t.honourId!)).toHaveLength(1);
    expect(cardText(revocationAlerts(t.honourId!)[0].content)).toContain('已连续 **2** 次投诉成立');

    // 我的投诉 and the reference say where it stands
    await h.say(CUSTOMER, '我的投诉');
    expect(toUser(CUSTOMER).at(-1)!.content.text).toContain(`${b}｜清远排水管养一班`);
    expect(toUser(CUSTOMER).at(-1)!.content.text).toContain(`重复（同 ${a}）`);
    await h.say(CUSTOMER, b);
    expect(cardText(toUser(CUSTOMER).at(-1)!.content)).toContain(`与投诉 ${a} 是同一件事`);
    // decided: 成立 on it now says so
    const late = await close(ADMIN, b, 'complaint.uphold', { note: '属实' });
    expect(late.toast.type).toBe('info');
    expect((await byRef(b)).status).toBe('duplicate');
  });

  it('a complaint marked 重复 is not what another repeats: the one it repeats is named instead', async () => {
    const t = await team('肇庆桥梁养护组');
    const a = await online(t.code, '护栏松动');
    const b = await online(t.code, '护栏松动');
    const c = await online(t.code, '护栏松动');
    await close(ADMIN, b, 'complaint.duplicate', { note: '同一处护栏', duplicateOf: a });
    const res = await close(ADMIN, c, 'complaint.duplicate', { note: '同一处护栏', duplicateOf: b });
    expect(res.toast.content).toContain(`${b} 本身是 ${a} 的重复投诉，请填写 ${a}`);
    expect((await byRef(c)).status).toBe('open');
    // A itself named as a 重复 of B, which repeats A: A is the first, decided on its merits
    const first = await close(ADMIN, a, 'complaint.duplicate', { note: '同一处护栏', duplicateOf: b });
    expect(first.toast.content).toBe(`${b} 已认定为 ${a} 的重复投诉：${a} 是先收到的那件，请直接认定它成立或不成立，不要标为重复。`);
    expect((await byRef(a)).status).toBe('open');
  });

  it('two copies named as each other’s at once: one is closed, the other is told it is itself a 重复', async () => {
    const t = await team('汕尾照明维护班');
    const a = await online(t.code, '路灯不亮');
    const b = await online(t.code, '路灯不亮');
    const [ra, rb] = await Promise.all([
      close(ADMIN, a, 'complaint.duplicate', { note: '同一处路灯', duplicateOf: b }),
      close(ADMIN2, b, 'complaint.duplicate', { note: '同一处路灯', duplicateOf: a }),
    ]);
    expect([ra.toast.type, rb.toast.type].sort()).toEqual(['error', 'success']);
    expect([(await byRef(a)).status, (await byRef(b)).status].sort()).toEqual(['duplicate', 'open']);
    // the one refused is the one the other was marked a 重复 of: it is told it is the first, to decide on its merits
    const [refused, kept] = ra.toast.type === 'error' ? [a, b] : [b, a];
    expect((ra.toast.type === 'error' ? ra : rb).toast.content).toBe(`${kept} 已认定为 ${refused} 的重复投诉：${refused} 是先收到的那件，请直接认定它成立或不成立，不要标为重复。`);
  });
});

describe('已撤回: at the complainant’s request', () => {
  it('is told to the complainant, shown in 我的投诉, and skipped by the run: one left open had ended it, withdrawn it no longer does', async () => {
    const t = await team('云浮市政抢修队');
    const a = await online(t.code, '抢修后路面不平');
    const b = await inChat(t.code, '抢修现场未清理');
    const c = await online(t.code, '抢修后路面再次下沉');
    await close(ADMIN, a, 'complaint.uphold', { note: '属实' });
    await close(ADMIN, c, 'complaint.uphold', { note: '属实' });
    // B still open between them ends the run
    expect(revocationAlerts(t.honourId!)).toHaveLength(0);
    const noNote = await close(ADMIN, b, 'complaint.withdraw', { note: '' });
    expect(noNote.toast.content).toContain('处理意见');
    expect((await byRef(b)).status).toBe('open');
    // withdrawn, it is skipped: A and C are a run of two, and the alert goes out
    const res = await close(ADMIN, b, 'complaint.withdraw', { note: '投诉人来电说明已清理，要求撤回' });
    expect(res.toast).toEqual({ type: 'success', content: '已按投诉人要求撤回，撤销称号提醒已发出' });
    expect(revocationAlerts(t.honourId!)).toHaveLength(1);
    expect(await byRef(b)).toMatchObject({ status: 'withdrawn', duplicateOf: null, decidedBy: ADMIN });
    expect((await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'complaint.withdraw'), eq(auditLog.entityId, String((await byRef(b)).id))))).length).toBe(1);
    const told = cardText(toUser(CUSTOMER).at(-1)!.content);
    expect(told).toContain('已撤回');
    expect(told).not.toContain('不成立');
    await h.say(CUSTOMER, '我的投诉');
    expect(toUser(CUSTOMER).at(-1)!.content.text).toMatch(new RegExp(`${b}｜云浮市政抢修队（${t.code}）｜2027年\\d+月\\d+日｜已撤回`));
    await h.say(CUSTOMER, `撤回投诉 ${b}`);
    expect(cardText(toUser(CUSTOMER).at(-1)!.content)).toContain('这件投诉已按你的要求撤回');
  });
});

describe('the copies of a complaint’s card', () => {
  it('another administrator’s copy is redrawn as decided, and a press on it says who decided it and when', async () => {
    const t = await team('阳江照明维护班', false);
    const ref = await online(t.code, '路灯三晚不亮');
    const copy = (openId: string) => toUser(openId).find((m) => cardText(m.content).includes(ref) && cardActions(m.content).length)!;
    const mine = copy(ADMIN);
    const theirs = copy(ADMIN2);
    expect(theirs).toBeDefined();
    clock.advance(5 * 60_000);
    const decided = await h.clickCard(ADMIN, mine.messageId, cardActions(mine.content)[0], { note: '属实' });
    expect(decided.body!.toast.type).toBe('success');
    // the other copy shows the decision, with no decision buttons left (更正认定 only)
    const now = h.fake.currentCard(theirs.messageId);
    expect(cardText(now)).toContain('认定结果');
    expect(cardText(now)).toContain('张三');
    expect(cardActions(now)).toEqual([{ action: 'complaint.correctAsk', complaintId: expect.any(Number) }]);
    // the one clicked keeps the answer it was given
    expect(h.fake.updates.filter((u) => u.messageId === mine.messageId)).toEqual([]);
    // pressed before it was redrawn: who and when, and the card shows the decision
    for (const action of ['complaint.dismiss', 'complaint.uphold', 'complaint.withdraw']) {
      const late = await h.click(ADMIN2, { action, complaintId: (await byRef(ref)).id }, { note: '改判' }, { messageId: theirs.messageId });
      expect(late.toast, action).toEqual({ type: 'info', content: expect.stringMatching(new RegExp(`^张三已于 2027年3月\\d+日 10:05 认定投诉 ${ref} 为“成立”，无需再处理。$`)) });
      expect(cardActions(late.card.data)).toEqual([{ action: 'complaint.correctAsk', complaintId: expect.any(Number) }]);
      expect(cardText(late.card.data)).toContain('张三');
    }
    expect((await byRef(ref)).status).toBe('upheld');
  });
});

describe('更正认定 and the other copies', () => {
  it('another administrator’s copy, redrawn as decided, is redrawn again with the decision as corrected', async () => {
    const t = await team('阳江排水维护班', false);
    const ref = await online(t.code, '雨水口堵塞');
    const copy = (openId: string) => toUser(openId).find((m) => cardText(m.content).includes(ref) && cardActions(m.content).length)!;
    const mine = copy(ADMIN);
    const theirs = copy(ADMIN2);
    const upheld = await h.clickCard(ADMIN, mine.messageId, cardActions(mine.content)[0], { note: '属实' });
    expect(upheld.body!.toast.type).toBe('success');
    await h.drain();
    expect(cardText(h.fake.currentCard(theirs.messageId))).toContain('投诉成立');
    const ask = cardActions(h.fake.currentCard(mine.messageId)).find((a) => a.action === 'complaint.correctAsk')!;
    const asked = await h.clickCard(ADMIN, mine.messageId, ask);
    const correct = cardActions(asked.body!.card.data).find((a) => a.action === 'complaint.correct')!;
    const done = await h.clickCard(ADMIN, mine.messageId, correct, { note: '误点成立，经核查属于市政管网问题' });
    expect(done.body!.toast).toEqual({ type: 'success', content: `已将投诉 ${ref} 由“成立”更正为“不成立”` });
    await h.drain();
    const now = cardText(h.fake.currentCard(theirs.messageId));
    expect(now).toContain('投诉不成立');
    expect(now).toContain('误点成立，经核查属于市政管网问题');
    expect(cardText(h.fake.currentCard(mine.messageId))).toContain('投诉不成立');
  });
});

describe('a complaint’s reference typed by the team complained about', () => {
  it('upheld, its leader is told which complaint it is and where its decision is; not upheld, nothing is said of it', async () => {
    const t = await team('阳江道路巡查班', false);
    const upheld = await online(t.code, '巡查记录不全');
    const open = await online(t.code, '巡查时间不固定');
    await close(ADMIN, upheld, 'complaint.uphold', { note: '属实' });
    h.fake.reset();
    await h.say(t.leader, `${upheld} 处理了吗`);
    const [told] = toUser(t.leader).map((m) => m.content.text.replace(/于 \d{4}年\d{1,2}月\d{1,2}日 /, '于 某日 '));
    expect(told).toBe(`投诉 ${upheld} 是针对你的班组“阳江道路巡查班”（${t.code}）的投诉，协会已于 某日 认定成立，处理意见见你收到的“投诉成立”卡片。投诉人的信息由协会保管，不对班组公开；对认定有异议，请联系协会（发送“联系协会”查看联系方式）。`);
    expect(toUser(t.leader)).toHaveLength(1);
    h.fake.reset();
    await h.say(t.leader, open);
    expect(toUser(t.leader).map((m) => m.content.text)).toEqual([expect.stringMatching(new RegExp(`^找不到你提交的投诉 ${open}。`))]);
    // corrected to 不成立 since (the team was told of both): that it was
    const corrected = await h.click(ADMIN, { action: 'complaint.correct', complaintId: (await byRef(upheld)).id, to: 'dismissed' }, { note: '误点成立' });
    expect(corrected.toast.type, corrected.toast.content).toBe('success');
    h.fake.reset();
    await h.say(t.leader, upheld);
    const [now] = toUser(t.leader).map((m) => m.content.text.replace(/于 \d{4}年\d{1,2}月\d{1,2}日 /, '于 某日 '));
    expect(now).toBe(`投诉 ${upheld} 是针对你的班组“阳江道路巡查班”（${t.code}）的投诉，协会已于 某日 将认定更正为不成立，不计入第二十二条的连续次数，详见你收到的更正通知。`);
  });
});
