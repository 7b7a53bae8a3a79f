import { eq, like } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { chatBindings, complaints, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../../src/jobs/index.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';

/**
 * A lone complaint open 8 days comes back to the admin group as its own card with 成立 / 不成立 (the escalation job).
 * Once an administrator decides it elsewhere, that card is redrawn as decided, as the first alert's copies are: no
 * “投诉已 8 天未处理” left, no decision buttons. Another complaint's escalation card stays as it is, and the card clicked
 * is answered, not redrawn. With and without the one-statement decision (src/fast/decisions.ts).
 */

const GROUP = 'oc_escalationdecided0000000000000001';
const ADMIN2 = 'ou_escalationadmin20000000000000001';

async function seed(h: Harness) {
  const db = h.db.db;
  await db.insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
  const [org] = await db.insert(organizations).values({ name: '广州市政集团' }).returning();
  await db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: ADMIN2, name: '李管理员', roles: ['admin'] }, { openId: 'ou_l1' }, { openId: 'ou_c1', roles: ['org_contact'] }]);
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0012', name: '市政养护十二班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_l1',
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: 'ou_c1', registeredAt: '2025-01-10',
    })
    .returning();
  const ids: number[] = [];
  for (const [n, day] of [[1, '10'], [2, '11']] as const) {
    const [c] = await db
      .insert(complaints)
      .values({ reference: `TS-2027-000${n}`, teamId: t.id, content: `人行道修补后松动（第 ${n} 处）`, channel: 'web', status: 'open', createdAt: new Date(`2027-03-${day}T10:00:00+08:00`) })
      .returning();
    ids.push(c.id);
  }
  return ids;
}

describe('the escalation card of a lone complaint, decided elsewhere', () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock('2027-03-18T09:00:00+08:00'), admins: [ADMIN] });
    return { h, ids: await seed(h) };
  }, { oneOnPglite: true });

  /** The day's escalation job, its card sent; the message it went out as. */
  async function escalate(h: Harness, date: string) {
    h.clock.set(new Date(`${date}T09:00:00+08:00`));
    const [run] = await runJob('escalation', h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
    expect(run.queued).toEqual([`complaint:escalate:${date}:chat:${GROUP}`]);
    await h.drain();
    const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, run.queued[0]));
    expect(row.messageId).toBeTruthy();
    return row.messageId!;
  }

  // the buttons of a decision still to make (a decided card offers 更正认定 only)
  const decisions = (card: unknown) => cardActions(card).filter((a) => String(a.action).startsWith('complaint.') && a.action !== 'complaint.correctAsk');

  for (const mode of MODES_HERE) {
    it(`is redrawn as decided, the other complaint's stays live (${mode})`, async () => {
      const { h, ids } = worlds[mode];
      const [a, b] = ids;
      const first = await escalate(h, '2027-03-18');
      const second = await escalate(h, '2027-03-19');
      expect(cardText(h.fake.currentCard(first))).toContain('投诉已 8 天未处理');
      expect(decisions(h.fake.currentCard(first))).toContainEqual({ action: 'complaint.dismiss', complaintId: a });
      expect(decisions(h.fake.currentCard(second))).toContainEqual({ action: 'complaint.dismiss', complaintId: b });

      // decided from another card (投诉处理's list)
      const decided = await h.click(ADMIN, { action: 'complaint.uphold', complaintId: a }, { note: '经核实属实' }, { messageId: 'om_escalationlistcard00000000000001' });
      expect(decided.toast).toEqual({ type: 'success', content: '已认定投诉成立' });
      expect((await h.db.db.select({ k: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, first))).map((r) => r.k)).toEqual([`complaint:redrawn:${a}:${first}`]);
      const redrawn = h.fake.currentCard(first);
      expect(cardText(redrawn)).not.toContain('天未处理');
      expect(cardText(redrawn)).toContain('王管理员');
      expect(decisions(redrawn)).toEqual([]);
      // nobody decides it again from it
      const again = await h.clickCard(ADMIN2, first, { action: 'complaint.dismiss', complaintId: a }, { note: '不属实' });
      expect(again.refused).toBeDefined();
      // the other complaint's escalation card is untouched, and takes its own decision
      expect(decisions(h.fake.currentCard(second))).toContainEqual({ action: 'complaint.dismiss', complaintId: b });
      const own = await h.clickCard(ADMIN2, second, { action: 'complaint.dismiss', complaintId: b }, { note: '经核查不属实' });
      expect(own.body?.toast).toEqual({ type: 'success', content: '已认定投诉不成立' });
      // the card clicked shows its answer: no redraw queued for it
      expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `complaint:redrawn:${b}:%`))).toEqual([]);
      expect(decisions(h.fake.currentCard(second))).toEqual([]);
    });
  }
});

describe('the escalation card waiting to go out (the group muted), decided meanwhile', () => {
  /** Muted when the day's escalation job runs (230035): its card waits in the outbox, tried again later. */
  const MUTED = { status: 400, code: 230035, msg: 'Bot has NO permission to send message' };
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function fresh(mode: Mode) {
    h = await startHarness({ clock: new ManualClock('2027-03-18T09:00:00+08:00'), admins: [ADMIN] });
    h.app.processor.fastPaths = mode === 'fast';
    return { h, ids: await seed(h) };
  }

  /** The day's escalation job, the group muted: the id of its row, pending. */
  async function escalateMuted(h: Harness, date: string) {
    h.clock.set(new Date(`${date}T09:00:00+08:00`));
    h.fake.failReceiver(GROUP, MUTED);
    const [run] = await runJob('escalation', h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
    expect(run.queued).toEqual([`complaint:escalate:${date}:chat:${GROUP}`]);
    await settle(h);
    const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, run.queued[0]));
    expect(row).toMatchObject({ status: 'pending', messageId: null, lastError: expect.stringContaining('230035') });
    return row.id;
  }

  /** Sends what can go now; the card to the muted group stays pending (h.drain would wait for it). */
  async function settle(h: Harness) {
    await h.app.bulkJobs.drain();
    while ((await h.app.dispatcher.runOnce()) > 0);
  }

  /** An administrator decides from another card (投诉处理's list, in private), the escalation card still pending. */
  async function decide(h: Harness, action: 'complaint.uphold' | 'complaint.dismiss', complaintId: number, messageId: string) {
    const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action, complaintId }, formValue: { note: '经核实' }, messageId }));
    await settle(h);
    expect(res.body?.toast).toEqual({ type: 'success', content: action === 'complaint.uphold' ? '已认定投诉成立' : '已认定投诉不成立' });
  }

  /** The group takes cards again at `at`: what was waiting goes (or is dropped). */
  async function unmute(h: Harness, at: string) {
    h.clock.set(new Date(at));
    h.fake.clearFaults();
    await h.db.db.update(outbox).set({ nextAttemptAt: new Date() }).where(eq(outbox.status, 'pending'));
    await h.drain();
  }

  const groupCards = (h: Harness) => h.fake.messages.filter((m) => m.receiveId === GROUP && m.msgType === 'interactive');
  // the buttons of a decision still to make (a decided card offers 更正认定 only)
  const decisions = (card: unknown) => cardActions(card).filter((a) => String(a.action).startsWith('complaint.') && a.action !== 'complaint.correctAsk');

  for (const mode of MODES_HERE) {
    it(`a lone complaint's, decided before it goes: not sent (${mode})`, async () => {
      const { h, ids } = await fresh(mode);
      const [a] = ids;
      const rowId = await escalateMuted(h, '2027-03-18');
      await decide(h, 'complaint.uphold', a, 'om_escalationlistcard00000000000002');
      await unmute(h, '2027-03-18T11:00:00+08:00');
      const [row] = await h.db.db.select().from(outbox).where(eq(outbox.id, rowId));
      expect(row).toMatchObject({ status: 'dropped', messageId: null, lastError: expect.stringContaining('已认定') });
      // nothing reached the group saying it is still open, with 成立 / 不成立
      expect(groupCards(h).filter((m) => cardText(m.content).includes('天未处理') || decisions(m.content).length)).toEqual([]);
    });

    it(`a lone complaint's, still open when it goes: its form and the days open then, redrawn once decided (${mode})`, async () => {
      const { h, ids } = await fresh(mode);
      const [a] = ids;
      const rowId = await escalateMuted(h, '2027-03-18');
      await unmute(h, '2027-03-19T09:30:00+08:00');
      const [row] = await h.db.db.select().from(outbox).where(eq(outbox.id, rowId));
      expect(row).toMatchObject({ status: 'sent', messageId: expect.any(String) });
      expect(cardText(h.fake.currentCard(row.messageId!))).toContain('投诉已 9 天未处理');
      expect(decisions(h.fake.currentCard(row.messageId!))).toContainEqual({ action: 'complaint.dismiss', complaintId: a });
      // decided from another card: the copy sent is redrawn as decided, its buttons gone
      const decided = await h.click(ADMIN, { action: 'complaint.dismiss', complaintId: a }, { note: '经核查不属实' }, { messageId: 'om_escalationlistcard00000000000003' });
      expect(decided.toast).toEqual({ type: 'success', content: '已认定投诉不成立' });
      expect(cardText(h.fake.currentCard(row.messageId!))).not.toContain('天未处理');
      expect(decisions(h.fake.currentCard(row.messageId!))).toEqual([]);
      // clicked on the copy anyway (before the redraw reached it): refused, the complaint decided once
      const again = await h.clickCard(ADMIN, row.messageId!, { action: 'complaint.uphold', complaintId: a }, { note: '属实' });
      expect(again.refused).toBeDefined();
      expect((await h.db.db.select({ status: complaints.status }).from(complaints).where(eq(complaints.id, a)))[0].status).toBe('dismissed');
    });
  }

  it('the list of several leaves out those decided before it goes; none left open, it is not sent', async () => {
    const { h, ids } = await fresh('fast');
    const [a, b] = ids;
    // both a week old on the same day: one card listing both
    await h.db.db.update(complaints).set({ createdAt: new Date('2027-03-10T15:00:00+08:00') }).where(eq(complaints.id, b));
    await escalateMuted(h, '2027-03-18');
    await decide(h, 'complaint.uphold', a, 'om_escalationlistcard00000000000004');
    await unmute(h, '2027-03-18T11:00:00+08:00');
    const [sent] = groupCards(h);
    const text = cardText(sent.content);
    expect(text).toContain('1 件投诉超过 7 天未处理');
    expect(text).toContain('TS-2027-0002');
    expect(text).not.toContain('TS-2027-0001');
    expect(cardActions(sent.content)).toContainEqual({ action: 'complaint.open', complaintId: b });
    expect(cardActions(sent.content)).not.toContainEqual({ action: 'complaint.open', complaintId: a });

    // a third, decided too: a list of two, both decided before it goes, is not sent
    const [c] = await h.db.db
      .insert(complaints)
      .values({ reference: 'TS-2027-0003', teamId: (await h.db.db.select().from(complaints).where(eq(complaints.id, b)))[0].teamId, content: '井盖异响', channel: 'web', status: 'open', createdAt: new Date('2027-03-17T10:00:00+08:00') })
      .returning();
    const rowId = await escalateMuted(h, '2027-03-25');
    for (const id of [b, c.id]) await decide(h, 'complaint.dismiss', id, `om_escalationlistcard0000000000001${id}`);
    const before = groupCards(h).length;
    await unmute(h, '2027-03-25T11:00:00+08:00');
    const [row] = await h.db.db.select().from(outbox).where(eq(outbox.id, rowId));
    expect(row).toMatchObject({ status: 'dropped', messageId: null, lastError: expect.stringContaining('均已认定') });
    expect(groupCards(h).length).toBe(before);
  });
});
