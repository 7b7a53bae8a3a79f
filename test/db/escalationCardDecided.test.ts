import { eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { chatBindings, complaints, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../../src/jobs/index.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE, twoWorlds } from '../support/worlds.js';

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

  const decisions = (card: unknown) => cardActions(card).filter((a) => String(a.action).startsWith('complaint.'));

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
