import { asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { chatBindings, complaints, cycles, organizations, outbox, people, teams, honours } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';

/**
 * 更正认定 that takes back the 成立 a 撤销称号提醒 was raised on (第二十二条): the alert is no longer pending, and its copies
 * in the administrators' groups are redrawn to say so (撤销称号提醒已撤回, which complaint was corrected, by whom, and the
 * run as it now stands), with no 撤销称号 / 保留称号 left to tap. Corrected back to 成立, the run due again is decided on
 * that alert: its copies are drawn as the alert again, and a 保留称号 from one redraws the other as kept.
 */

const G1 = 'oc_revocationwithdrawn00000000000001';
const G2 = 'oc_revocationwithdrawn00000000000002';
const ADMIN2 = 'ou_revocationwithdrawnadmin00000002';
const LEADER = 'ou_revocationwithdrawnleader0000001';
const CONTACT = 'ou_revocationwithdrawncontact000001';

async function seed(db: Db) {
  await db.insert(chatBindings).values([{ chatId: G1, purpose: 'admin', boundBy: ADMIN }, { chatId: G2, purpose: 'admin', boundBy: ADMIN }]);
  await db.insert(cycles).values({
    year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { revocationRun: 2 },
  });
  await db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: ADMIN2, name: '李管理员', roles: ['admin'] }, { openId: LEADER }, { openId: CONTACT, roles: ['org_contact'] }]);
  const [org] = await db.insert(organizations).values({ name: '湛江市政养护有限公司' }).returning();
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0721', name: '湛江排水班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
      phone: '020-12345678', memberCount: 8, functions: '排水', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
  await db.insert(complaints).values({
    reference: 'TS-2027-0951', teamId: t.id, content: '井盖松动', channel: 'web', status: 'upheld', note: '核实', decidedBy: ADMIN, decidedAt: new Date('2027-02-11T10:00:00+08:00'), createdAt: new Date('2027-02-01T10:00:00+08:00'),
  });
  const [c] = await db.insert(complaints).values({ reference: 'TS-2027-0952', teamId: t.id, content: '路面塌陷', channel: 'web', status: 'open', createdAt: new Date('2027-02-02T10:00:00+08:00') }).returning();
  return { team: t.id, honour: ho.id, complaint: c.id };
}

describe('the 撤销称号提醒’s copies when a 更正认定 withdraws it', () => {
  let h: Harness;
  let s: Awaited<ReturnType<typeof seed>>;
  let copies: string[] = [];
  const clock = new ManualClock('2027-03-02T09:00:00+08:00');
  beforeAll(async () => {
    h = await startHarness({ clock, admins: [ADMIN] });
    s = await seed(h.db.db);
  });
  afterAll(() => h?.close());

  it('成立 completes the run: the alert goes to both groups with 撤销 / 保留', async () => {
    const r = await h.click(ADMIN, { action: 'complaint.uphold', complaintId: s.complaint }, { note: '核实成立' });
    expect(r.toast.content).toContain('撤销称号提醒已发出');
    const rows = await h.db.db.select({ messageId: outbox.messageId }).from(outbox).where(like(outbox.dedupeKey, `revocation:alert:${s.honour}:%`)).orderBy(asc(outbox.id));
    copies = rows.map((x) => x.messageId!);
    expect(copies).toHaveLength(2);
    for (const m of copies) expect(cardActions(h.fake.currentCard(m))).toContainEqual({ action: 'revocation.keep', honourId: s.honour });
  });

  it('更正为不成立: each copy says the alert is withdrawn, why, and offers nothing to tap', async () => {
    clock.set(new Date('2027-03-03T09:00:00+08:00'));
    const r = await h.click(ADMIN2, { action: 'complaint.correct', complaintId: s.complaint, to: 'dismissed' }, { note: '误点成立，经核查投诉不实' });
    expect(r.toast.content).toContain('此前的撤销称号提醒不再适用');
    for (const m of copies) {
      const card = h.fake.currentCard(m);
      expect(cardActions(card), m).toEqual([]);
      const text = cardText(card);
      expect(text).toContain('撤销称号提醒已撤回：湛江排水班');
      expect(text).toContain('TS-2027-0952');
      expect(text).toContain('李管理员');
      expect(text).toContain('误点成立，经核查投诉不实');
      expect(text).toContain('无需决定');
    }
  });

  it('corrected back to 成立: the run due again is decided on that alert, its copies drawn as the alert again', async () => {
    clock.set(new Date('2027-03-04T09:00:00+08:00'));
    const r = await h.click(ADMIN, { action: 'complaint.correct', complaintId: s.complaint, to: 'upheld' }, { note: '复核后确认成立' });
    expect(r.toast.content).toContain('请在此前的撤销称号提醒中决定');
    for (const m of copies) {
      expect(cardText(h.fake.currentCard(m))).toContain('撤销称号提醒：湛江排水班');
      expect(cardActions(h.fake.currentCard(m))).toContainEqual({ action: 'revocation.revoke', honourId: s.honour });
    }
    // 保留称号 from the first group's copy: the other is redrawn as kept
    const kept = await h.clickCard(ADMIN2, copies[0], { action: 'revocation.keep', honourId: s.honour }, { reason: '已整改' });
    expect(kept.body?.toast).toEqual({ type: 'success', content: '已保留称号' });
    expect(cardText(h.fake.currentCard(copies[1]))).toContain('已保留称号：湛江排水班');
    expect(cardActions(h.fake.currentCard(copies[1]))).toEqual([]);
  });
});

describe('an alert withdrawn before it went out, on a title kept before', () => {
  let h: Harness;
  let s: Awaited<ReturnType<typeof seed>>;
  const clock = new ManualClock('2027-03-02T09:00:00+08:00');
  beforeAll(async () => {
    h = await startHarness({ clock, admins: [ADMIN] });
    s = await seed(h.db.db);
    // an earlier run, kept on 1 月 20 日; TS-2027-0951 upheld after it starts the new one
    const [old] = await h.db.db
      .insert(complaints)
      .values({ reference: 'TS-2027-0950', teamId: s.team, content: '早前投诉', channel: 'web', status: 'upheld', note: '核实', decidedBy: ADMIN, decidedAt: new Date('2027-01-10T10:00:00+08:00'), createdAt: new Date('2027-01-05T10:00:00+08:00') })
      .returning();
    const keptAt = new Date('2027-01-20T10:00:00+08:00');
    await h.db.db.update(complaints).set({ setAsideAt: keptAt }).where(eq(complaints.id, old.id));
    await h.db.db.update(honours).set({ keptAt, keptReason: '已整改到位' }).where(eq(honours.id, s.honour));
  });
  afterAll(() => h?.close());

  const post = async (value: Record<string, unknown>, formValue: Record<string, unknown>) => {
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, formValue }));
    expect(res.body.toast?.type, JSON.stringify(res.body.toast)).toBe('success');
  };

  it('is not sent: the groups do not get the earlier 保留称号 as if it answered this one', async () => {
    // 成立 completes the new run (its alert queued), corrected to 不成立 before anything is sent
    await post({ action: 'complaint.uphold', complaintId: s.complaint }, { note: '核实成立' });
    await post({ action: 'complaint.correct', complaintId: s.complaint, to: 'dismissed' }, { note: '误点成立' });
    await h.drain();
    const toGroups = h.fake.messages.filter((m) => m.receiveId === G1 || m.receiveId === G2).map((m) => cardText(m.content));
    expect(toGroups.filter((t) => t.includes('称号'))).toEqual([]);
    const alerts = await h.db.db.select({ status: outbox.status }).from(outbox).where(like(outbox.dedupeKey, `revocation:alert:${s.honour}:%`));
    expect(alerts.map((a) => a.status)).toEqual(['dropped', 'dropped']);
  });
});
