import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, complaints, cycles, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { titleStatus } from '../../src/complaints.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 更正认定: a complaint decided 成立 by a wrong click (or 不成立) is put right from its decided card, asked again on a
 * card of its own first; the run of 第二十二条 is read again (an alert due only because of the mistake is no longer
 * taken, one the correction calls for is raised), whoever heard the first decision hears the correction, and the
 * audit names who changed it from what. Once the title was revoked after the complaint was upheld, it is refused.
 */

const NOW = '2027-03-10T09:00:00+08:00';
const LEADER = 'ou_correctleader00000000000000000001';
const CONTACT = 'ou_correctcontact0000000000000000001';
const COMPLAINANT = 'ou_correctcomplainant000000000000001';

interface Seeded {
  team: number;
  honour: number;
  /** c[0] upheld before NOW; c[1], c[2] open, c[1] from a complainant in chat. */
  c: number[];
}

async function seed(db: Db): Promise<Seeded> {
  await db.insert(cycles).values({
    year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { revocationRun: 2 },
  });
  const [org] = await db.insert(organizations).values({ name: '更正测试单位' }).returning();
  await db.insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'] }, { openId: COMPLAINANT }]);
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0701', name: '江门道路养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
  const c: number[] = [];
  const [a] = await db
    .insert(complaints)
    .values({ reference: 'TS-2027-0801', teamId: t.id, content: '井盖松动', channel: 'web', status: 'upheld', note: '核实', decidedBy: ADMIN, decidedAt: new Date('2027-02-11T10:00:00+08:00'), createdAt: new Date('2027-02-01T10:00:00+08:00') })
    .returning();
  c.push(a.id);
  const [b] = await db
    .insert(complaints)
    .values({ reference: 'TS-2027-0802', teamId: t.id, content: '人行道修补后松动', channel: 'chat', complainantOpenId: COMPLAINANT, status: 'open', createdAt: new Date('2027-02-02T10:00:00+08:00') })
    .returning();
  c.push(b.id);
  const [d] = await db.insert(complaints).values({ reference: 'TS-2027-0803', teamId: t.id, content: '路灯不亮', channel: 'web', status: 'open', createdAt: new Date('2027-02-03T10:00:00+08:00') }).returning();
  c.push(d.id);
  return { team: t.id, honour: ho.id, c };
}

const buttons = (card: any): any[] => {
  const out: any[] = [];
  const walk = (v: any) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (v.tag === 'button') out.push(v);
      Object.values(v).forEach(walk);
    }
  };
  walk(card);
  return out;
};
const actionOf = (b: any) => b.behaviors?.[0]?.value?.action;

describe('更正认定: 成立 ⇄ 不成立 from the decided card', () => {
  let h: Harness;
  let s: Seeded;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock(NOW) });
    s = await seed(h.db.db);
  });
  afterAll(() => h?.close());

  const sentTo = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId).map((m) => cardText(m.content));
  const corrections = () => h.db.db.select({ actor: auditLog.actor, details: auditLog.details }).from(auditLog).where(eq(auditLog.action, 'complaint.correct')).orderBy(asc(auditLog.id));

  it('成立 by mistake completes the run: the alert goes out, and the decided card offers 更正认定', async () => {
    const r = await h.click(ADMIN, { action: 'complaint.uphold', complaintId: s.c[1] }, { note: '核实成立' });
    expect(r.toast).toMatchObject({ type: 'success', content: '已认定投诉成立，撤销称号提醒已发出' });
    expect(buttons(r.card.data).map(actionOf)).toContain('complaint.correctAsk');
    await h.drain();
    expect((await titleStatus(h.db.db, s.team))?.view).toMatchObject({ run: 2, required: 2 });
  });

  it('更正认定 asks first: the correction card, its button confirmed again by Feishu; nothing changes yet', async () => {
    const r = await h.click(ADMIN, { action: 'complaint.correctAsk', complaintId: s.c[1] });
    const text = cardText(r.card.data);
    expect(text).toContain('将更正为');
    expect(text).toContain('不再计入第二十二条的连续成立次数');
    const confirm = buttons(r.card.data).find((b) => actionOf(b) === 'complaint.correct');
    expect(confirm.behaviors[0].value).toMatchObject({ complaintId: s.c[1], to: 'dismissed' });
    expect(confirm.confirm).toBeDefined();
    expect(confirm.form_action_type).toBe('submit');
    const [row] = await h.db.db.select().from(complaints).where(eq(complaints.id, s.c[1]));
    expect(row.status).toBe('upheld');
  });

  it('without a 更正说明: refused on the correction card, nothing saved', async () => {
    const r = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[1], to: 'dismissed' }, { note: '  ' });
    expect(r.toast?.type).toBe('error');
    expect(cardText(r.card.data)).toContain('更正说明');
    const [row] = await h.db.db.select().from(complaints).where(eq(complaints.id, s.c[1]));
    expect(row.status).toBe('upheld');
    expect(await corrections()).toEqual([]);
  });

  it('更正为不成立: one change, audited; the run read again, the alert no longer taken; complainant and team told', async () => {
    const before = h.fake.messages.length;
    const r = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[1], to: 'dismissed' }, { note: '误点成立，经核查投诉不实' });
    expect(r.toast).toMatchObject({ type: 'success', content: '已将投诉 TS-2027-0802 由“成立”更正为“不成立”，此前的撤销称号提醒不再适用' });
    expect(cardText(r.card.data)).toContain('投诉不成立');
    const [row] = await h.db.db.select().from(complaints).where(eq(complaints.id, s.c[1]));
    expect(row).toMatchObject({ status: 'dismissed', note: '误点成立，经核查投诉不实', decidedBy: ADMIN });
    expect(await corrections()).toEqual([{ actor: ADMIN, details: expect.objectContaining({ reference: 'TS-2027-0802', from: 'upheld', to: 'dismissed', previousNote: '核实成立', previousDecidedBy: ADMIN }) }]);
    expect((await titleStatus(h.db.db, s.team))?.view.run).toBe(0);
    await h.drain();
    const fresh = h.fake.messages.slice(before).map((m) => ({ to: m.receiveId, text: cardText(m.content) }));
    for (const who of [COMPLAINANT, LEADER, CONTACT]) {
      expect(fresh.filter((m) => m.to === who && m.text.includes('投诉认定已更正：不成立')), who).toHaveLength(1);
    }
    expect(sentTo(LEADER).join('\n')).toContain('不计入第二十二条的连续成立次数');
    // the alert raised by the mistake: its 撤销称号 is refused, the title stays
    const revoke = await h.click(ADMIN, { action: 'revocation.revoke', honourId: s.honour }, { reason: '连续两次成立' });
    expect(revoke.toast?.content).toContain('没有待决定的撤销提醒');
    const [honour] = await h.db.db.select().from(honours).where(eq(honours.id, s.honour));
    expect(honour.revokedAt).toBeNull();
  });

  it('the same click again (another copy): said to be 不成立 already, nothing changes', async () => {
    const r = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[1], to: 'dismissed' }, { note: '再点一次' });
    expect(r.toast?.content).toContain('已是“不成立”，无需更正');
    expect(await corrections()).toHaveLength(1);
  });

  it('corrected back to 成立: its alert, out before, is taken again; the run counts on', async () => {
    // c[2] dismissed by a wrong click: c[0] upheld, c[1] dismissed, c[2] dismissed
    await h.click(ADMIN, { action: 'complaint.dismiss', complaintId: s.c[2] }, { note: '误点' });
    // c[1] back to 成立 (the key of c[0]'s run was used by the first alert); then c[2]: run of c[0..2] stands at 3
    const back = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[1], to: 'upheld' }, { note: '复核后确认成立' });
    expect(back.toast?.content).toContain('由“不成立”更正为“成立”');
    expect(back.toast?.content).toContain('请在此前的撤销称号提醒中决定');
    await h.drain();
    expect(sentTo(LEADER).filter((t) => t.includes('投诉成立：江门道路养护班'))).toHaveLength(2);
    const r = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[2], to: 'upheld' }, { note: '核实成立' });
    expect(r.toast?.type).toBe('success');
    expect((await titleStatus(h.db.db, s.team))?.view).toMatchObject({ run: 3, required: 2 });
  });

  it('after the title was revoked on that count: refused, saying what to do instead', async () => {
    const revoke = await h.click(ADMIN, { action: 'revocation.revoke', honourId: s.honour }, { reason: '连续三次成立' });
    expect(revoke.toast?.type).toBe('success');
    // 更正认定 itself says so, before a 更正说明 is typed: no correction card
    const ask = await h.click(ADMIN, { action: 'complaint.correctAsk', complaintId: s.c[2] });
    expect(ask.toast?.type).toBe('error');
    expect(ask.toast?.content).toContain('撤销时这件投诉按“成立”计入连续次数，不能再更正认定');
    expect(ask.card).toBeUndefined();
    const r = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[2], to: 'dismissed' }, { note: '误点' });
    expect(r.toast?.type).toBe('error');
    expect(r.toast?.content).toContain('撤销称号不能在机器人中恢复');
    const [row] = await h.db.db.select().from(complaints).where(eq(complaints.id, s.c[2]));
    expect(row.status).toBe('upheld');
    expect(await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'complaint.correct')))).toHaveLength(3);
  });
});

describe('更正为成立 completing a run: the 撤销称号提醒 it calls for is raised', () => {
  let h: Harness;
  let s: Seeded;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock(NOW) });
    s = await seed(h.db.db);
    // c[1] dismissed by a wrong click before NOW: c[0] upheld, c[1] dismissed, no alert ever raised
    await h.db.db.update(complaints).set({ status: 'dismissed', note: '误点不成立', decidedBy: ADMIN, decidedAt: new Date('2027-02-12T10:00:00+08:00') }).where(eq(complaints.id, s.c[1]));
  });
  afterAll(() => h?.close());

  it('the alert goes to the administrators, the team hears the complaint was upheld', async () => {
    expect((await titleStatus(h.db.db, s.team))?.view.run).toBe(0);
    const r = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[1], to: 'upheld' }, { note: '复核属实' });
    expect(r.toast).toMatchObject({ type: 'success', content: '已将投诉 TS-2027-0802 由“不成立”更正为“成立”，撤销称号提醒已发出' });
    await h.drain();
    const texts = h.fake.messages.map((m) => ({ to: m.receiveId, text: cardText(m.content) }));
    expect(texts.filter((m) => m.text.includes('已连续 **2** 次投诉成立')).length).toBeGreaterThan(0);
    expect(texts.filter((m) => m.to === LEADER && m.text.includes('投诉成立：江门道路养护班'))).toHaveLength(1);
    expect(texts.filter((m) => m.to === COMPLAINANT && m.text.includes('投诉认定已更正：成立'))).toHaveLength(1);
    const alerts = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'honour.revocationAlert'), eq(auditLog.entityId, String(s.honour))));
    expect(alerts).toHaveLength(1);
  });
});

describe('更正认定 refused, nothing written', () => {
  let h: Harness;
  let s: Seeded;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock(NOW) });
    s = await seed(h.db.db);
    // the administrator leads the team (第十七条)
    await h.db.db.insert(people).values({ openId: ADMIN, roles: ['admin'] }).onConflictDoNothing();
    await h.db.db.update(teams).set({ leaderOpenId: ADMIN }).where(eq(teams.id, s.team));
  });
  afterAll(() => h?.close());

  it('clearing a complaint against one’s own team, an open one, a forged target: each says why', async () => {
    const own = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[0], to: 'dismissed' }, { note: '误点' });
    expect(own.toast).toMatchObject({ type: 'error', content: expect.stringContaining('不能把针对本班组的投诉更正为“不成立”，请其他管理员处理') });
    const open = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[2], to: 'upheld' }, { note: '误点' });
    expect(open.toast?.content).toContain('尚未认定，请在它的处理卡片上认定成立或不成立');
    const asked = await h.click(ADMIN, { action: 'complaint.correctAsk', complaintId: s.c[2] });
    expect(buttons(asked.card.data).map(actionOf)).toContain('complaint.uphold');
    const forged = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.c[0], to: 'open' }, { note: '误点' });
    expect(forged.toast?.type).toBe('error');
    const rows = await h.db.db.select({ status: complaints.status }).from(complaints).where(eq(complaints.teamId, s.team)).orderBy(asc(complaints.id));
    expect(rows.map((r) => r.status)).toEqual(['upheld', 'open', 'open']);
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'complaint.correct'))).toEqual([]);
  });
});

describe('更正认定 from a correction card drawn before another correction', () => {
  let h: Harness;
  let s: Seeded;
  const clock = new ManualClock(NOW);
  beforeAll(async () => {
    h = await startHarness({ clock });
    s = await seed(h.db.db);
  });
  afterAll(() => h?.close());

  const confirmOf = async () => {
    const asked = await h.click(ADMIN, { action: 'complaint.correctAsk', complaintId: s.c[1] });
    return buttons(asked.card.data).find((b) => actionOf(b) === 'complaint.correct').behaviors[0].value;
  };

  it('is refused once the decision was corrected and corrected back since: the later note stands, nothing written', async () => {
    await h.click(ADMIN, { action: 'complaint.uphold', complaintId: s.c[1] }, { note: '核实成立' });
    clock.advance(60_000);
    // a card opened to correct 成立 to 不成立, left open
    const stale = await confirmOf();
    expect(stale).toMatchObject({ to: 'dismissed', decided: expect.any(Number) });
    // meanwhile: corrected to 不成立, then back to 成立 with its own note
    const first = await h.click(ADMIN, { action: 'complaint.correct', ...(await confirmOf()) }, { note: '误点成立' });
    expect(first.toast?.type).toBe('success');
    clock.advance(60_000);
    const back = await h.click(ADMIN, { action: 'complaint.correct', ...(await confirmOf()) }, { note: '复核后确认成立' });
    expect(back.toast?.type).toBe('success');
    clock.advance(60_000);
    const r = await h.click(ADMIN, { action: 'complaint.correct', ...stale }, { note: '误点成立' });
    expect(r.toast?.content).toContain('这次更正没有保存');
    expect(cardText(r.card.data)).toContain('复核后确认成立');
    const [row] = await h.db.db.select().from(complaints).where(eq(complaints.id, s.c[1]));
    expect(row).toMatchObject({ status: 'upheld', note: '复核后确认成立' });
    expect(await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'complaint.correct'))).toHaveLength(2);
  });
});
