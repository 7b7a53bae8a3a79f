import { desc, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { chatBindings, complaints, cycles, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../../src/jobs/index.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { upheldRun } from '../support/upheldRun.js';
import { MODES_HERE, twoWorlds } from '../support/worlds.js';

/**
 * 第二十二条's weekly escalation of several titles awaiting 撤销 / 保留 is one list card in the administrators' group,
 * each title with 决定. Once an administrator decides one (from its own alert card, privately), every list card still
 * showing it (this week's, and last week's, still within Feishu's 14 days) is redrawn in place: that title as decided
 * (who, 撤销 / 保留, when) with no button, the others still awaiting with 决定; none left, the card says all are
 * decided. Before, the lists kept showing a decided title as awaiting. The decision delivered again queues nothing more;
 * the group's card shows no complainant's contact. With and without the one-statement decision (src/fast/decisions.ts).
 */

const GROUP = 'oc_revocationlistredrawn000000001';
const ADMIN2 = 'ou_revocationlistredrawnadmin00002';
const PHONE = '13912345678';
const MAIL = 'wang.xm@example.com';

async function seed(h: Harness) {
  const db = h.db.db;
  await db.insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
  await db.insert(cycles).values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet });
  const [org] = await db.insert(organizations).values({ name: '广州市政集团' }).returning();
  await db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: ADMIN2, name: '李管理员', roles: ['admin'] }]);
  const ids: number[] = [];
  for (const n of ['1', '2']) {
    const leader = `ou_revocationlistredrawnleader0000${n}`;
    const contact = `ou_revocationlistredrawncontact000${n}`;
    await db.insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'] }]);
    const [t] = await db
      .insert(teams)
      .values({
        code: `GDSZ-2025-080${n}`, name: `市政养护${n}班`, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader,
        phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: contact, registeredAt: '2025-01-10',
      })
      .returning();
    const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date(`2026-08-01T10:0${n}:00+08:00`) }).returning();
    // the complaints of the run left a contact (and one typed into the content): a group's card shows neither
    for (const id of await upheldRun(db, t.id, 2)) await db.update(complaints).set({ contact: PHONE, content: `井盖松动，照片可发邮箱 ${MAIL}` }).where(eq(complaints.id, id));
    ids.push(ho.id);
  }
  return ids;
}

describe('the weekly list of titles awaiting 撤销 / 保留, one of them decided', () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock('2026-08-09T09:00:00+08:00'), admins: [ADMIN] });
    return { h, ids: await seed(h) };
  }, { oneOnPglite: true });

  /** The day's escalation job, its list card sent to the group: the message it went out as. */
  async function escalate(h: Harness, date: string) {
    h.clock.set(new Date(`${date}T09:00:00+08:00`));
    const [run] = await runJob('escalation', h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
    expect(run.queued).toEqual([`revocation:escalate:${date}:titles:chat:${GROUP}`]);
    await h.drain();
    const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, run.queued[0]));
    expect(row.messageId).toBeTruthy();
    return row.messageId!;
  }

  const opens = (card: unknown) => cardActions(card).filter((a) => a.action === 'revocation.open');
  const redraws = async (h: Harness, messageId: string) => (await h.db.db.select({ k: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, messageId))).map((r) => r.k).sort();

  for (const mode of MODES_HERE) {
    it(`every list still showing it is redrawn: it decided, the other still awaiting; both decided, all decided (${mode})`, async () => {
      const { h, ids } = worlds[mode];
      const [a, b] = ids;
      const lastWeek = await escalate(h, '2026-08-09');
      const thisWeek = await escalate(h, '2026-08-16');
      for (const list of [lastWeek, thisWeek]) expect(opens(h.fake.currentCard(list))).toEqual([a, b].map((honourId) => ({ action: 'revocation.open', honourId })));

      // 保留 from the title's own alert card (in private); the same event delivered again (Feishu's retry)
      h.clock.set(new Date('2026-08-16T10:30:00+08:00'));
      const keep = { action: 'revocation.keep', honourId: a };
      const clicked = { messageId: `om_revocationlistownalert${mode}0001`, eventId: `evt_revocationlistkeep${mode}01` };
      const kept = await h.click(ADMIN, keep, { reason: '已整改到位' }, clicked);
      expect(kept.toast).toEqual({ type: 'success', content: '已保留称号' });
      await h.click(ADMIN, keep, { reason: '已整改到位' }, clicked);
      for (const list of [lastWeek, thisWeek]) {
        expect(await redraws(h, list)).toEqual([`revocation:redrawn:${a}:${list}`]);
        const card = h.fake.currentCard(list);
        const text = cardText(card);
        expect(text).toContain('1 个称号超过 7 天未决定是否撤销');
        expect(text).toContain('**市政养护1班**（GDSZ-2025-0801，广州市政集团）2026 年度称号：已由 王管理员 于 2026年8月16日 10:30 决定保留称号');
        expect(text).toContain('**市政养护2班**（GDSZ-2025-0802，广州市政集团）2026 年度称号：连续 2 次投诉成立，已 15 天未决定');
        // 决定 for the one still awaiting only
        expect(opens(card)).toEqual([{ action: 'revocation.open', honourId: b }]);
        for (const hidden of [PHONE, MAIL]) expect(text).not.toContain(hidden);
      }

      // the other decided (撤销) by another administrator, from its card opened by 决定 on the list
      const revoked = await h.click(ADMIN2, { action: 'revocation.revoke', honourId: b }, { reason: '连续两次投诉成立' }, { messageId: `om_revocationlistopened${mode}00001` });
      expect(revoked.toast?.content).toMatch(/^已撤销称号/);
      for (const list of [lastWeek, thisWeek]) {
        expect(await redraws(h, list)).toEqual([`revocation:redrawn:${a}:${list}`, `revocation:redrawn:${b}:${list}`]);
        const card = h.fake.currentCard(list);
        const text = cardText(card);
        expect(text).toContain('所列称号均已决定撤销或保留');
        expect(text).not.toContain('未决定是否撤销');
        expect(text).toContain('市政养护1班');
        expect(text).toMatch(/市政养护2班.*已由 李管理员 于 2026年8月16日 10:30 决定撤销称号/);
        expect(opens(card)).toEqual([]);
      }
      expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'revocation:redrawn:%'))).toHaveLength(4);
    });
  }
});

/**
 * A 更正认定 that takes a title's run back (a 成立 corrected to 不成立) withdraws its revocation alert: the alert's cards
 * said so, but every weekly list still showing the title kept it as awaiting, with 决定. Those lists are now redrawn too,
 * the title said to need no decision and the other still awaiting; the correction delivered again queues nothing more.
 * The other then kept, the list's title says some were decided and some need no decision (it said all were decided).
 */
describe('the weekly list of titles awaiting 撤销 / 保留, a title’s run taken back by 更正认定', () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock('2026-08-09T09:00:00+08:00'), admins: [ADMIN] });
    return { h, ids: await seed(h) };
  }, { oneOnPglite: true });

  const opens = (card: unknown) => cardActions(card).filter((a) => a.action === 'revocation.open');
  const redraws = async (h: Harness, messageId: string) => (await h.db.db.select({ k: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, messageId))).map((r) => r.k).sort();

  for (const mode of MODES_HERE) {
    it(`every list still showing it is redrawn without it (${mode})`, async () => {
      const { h, ids } = worlds[mode];
      const [a, b] = ids;
      const lists: string[] = [];
      for (const date of ['2026-08-09', '2026-08-16']) {
        h.clock.set(new Date(`${date}T09:00:00+08:00`));
        const [run] = await runJob('escalation', h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
        await h.drain();
        const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, run.queued[0]));
        lists.push(row.messageId!);
      }
      for (const list of lists) expect(opens(h.fake.currentCard(list))).toEqual([a, b].map((honourId) => ({ action: 'revocation.open', honourId })));

      h.clock.set(new Date('2026-08-16T10:30:00+08:00'));
      const [honour] = await h.db.db.select().from(honours).where(eq(honours.id, a));
      const [last] = await h.db.db.select().from(complaints).where(eq(complaints.teamId, honour.teamId)).orderBy(desc(complaints.id)).limit(1);
      const correct = { action: 'complaint.correct', complaintId: last.id, to: 'dismissed' };
      const event = { eventId: `evt_revocationlistcorrect${mode}01` };
      const r = await h.click(ADMIN, correct, { note: '误点成立，经核查投诉不实' }, event);
      expect(r.toast?.content).toContain('此前的撤销称号提醒不再适用');
      await h.click(ADMIN, correct, { note: '误点成立，经核查投诉不实' }, event);
      await h.drain();
      for (const list of lists) {
        expect(await redraws(h, list)).toEqual([`revocation:corrected:${a}:${last.id}:c1:${list}`]);
        const card = h.fake.currentCard(list);
        const text = cardText(card);
        // the title said to need no decision, no 决定; the other still awaiting
        expect(text).toContain('**市政养护1班**（GDSZ-2025-0801，广州市政集团）2026 年度称号：经更正认定，连续成立的投诉已不足规定次数，撤销称号提醒已撤回，无需再决定');
        expect(text).toContain('**市政养护2班**（GDSZ-2025-0802，广州市政集团）2026 年度称号：连续 2 次投诉成立，已 15 天未决定');
        expect(opens(card)).toEqual([{ action: 'revocation.open', honourId: b }]);
      }

      // the other kept: none awaiting, one decided and one taken back, and the title says both (not “均已决定”)
      const kept = await h.click(ADMIN, { action: 'revocation.keep', honourId: b }, { reason: '已整改到位' }, { messageId: `om_revocationlistcorrectkeep${mode}01` });
      expect(kept.toast).toEqual({ type: 'success', content: '已保留称号' });
      await h.drain();
      for (const list of lists) {
        const card = h.fake.currentCard(list);
        const text = cardText(card);
        expect(text).toContain('所列称号均已决定或无需再决定');
        expect(text).not.toContain('所列称号均已决定撤销或保留');
        expect(text).toContain('市政养护1班');
        expect(text).toMatch(/市政养护2班.*决定保留称号/);
        expect(opens(card)).toEqual([]);
      }
    });
  }
});

/**
 * Every title of a list taken back by 更正认定, none decided: the list was not updated at all (nothing left to draw), so it
 * kept showing both titles as awaiting, with 决定. It is now redrawn saying their runs were taken back, with no 决定; the
 * corrections delivered again queue nothing more.
 */
describe('the weekly list of titles awaiting 撤销 / 保留, every title’s run taken back by 更正认定', () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock('2026-08-09T09:00:00+08:00'), admins: [ADMIN] });
    return { h, ids: await seed(h) };
  }, { oneOnPglite: true });

  const opens = (card: unknown) => cardActions(card).filter((a) => a.action === 'revocation.open');
  const redraws = async (h: Harness, messageId: string) => (await h.db.db.select({ k: outbox.dedupeKey }).from(outbox).where(eq(outbox.receiver, messageId))).map((r) => r.k).sort();

  for (const mode of MODES_HERE) {
    it(`every list showing them says they were taken back, with no 决定 (${mode})`, async () => {
      const { h, ids } = worlds[mode];
      h.clock.set(new Date('2026-08-09T09:00:00+08:00'));
      const [run] = await runJob('escalation', h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
      await h.drain();
      const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, run.queued[0]));
      const list = row.messageId!;
      expect(opens(h.fake.currentCard(list))).toHaveLength(2);

      h.clock.set(new Date('2026-08-10T10:30:00+08:00'));
      const keys: string[] = [];
      for (const [n, honourId] of ids.entries()) {
        const [honour] = await h.db.db.select().from(honours).where(eq(honours.id, honourId));
        const [last] = await h.db.db.select().from(complaints).where(eq(complaints.teamId, honour.teamId)).orderBy(desc(complaints.id)).limit(1);
        const correct = { action: 'complaint.correct', complaintId: last.id, to: 'dismissed' };
        const event = { eventId: `evt_revocationlistallback${mode}0${n}` };
        const r = await h.click(ADMIN, correct, { note: '误点成立，经核查投诉不实' }, event);
        expect(r.toast?.content).toContain('此前的撤销称号提醒不再适用');
        await h.click(ADMIN, correct, { note: '误点成立，经核查投诉不实' }, event);
        await h.drain();
        keys.push(`revocation:corrected:${honourId}:${last.id}:c1:${list}`);
      }
      expect(await redraws(h, list)).toEqual(keys.sort());
      const card = h.fake.currentCard(list);
      const text = cardText(card);
      expect(opens(card)).toEqual([]);
      expect(text).toContain('所列称号均已无需决定');
      for (const n of ['1', '2']) expect(text).toContain(`**市政养护${n}班**（GDSZ-2025-080${n}，广州市政集团）2026 年度称号：经更正认定，连续成立的投诉已不足规定次数，撤销称号提醒已撤回，无需再决定`);
      expect(text).not.toContain('天未决定');
      expect(JSON.stringify(card)).not.toContain(PHONE);
    });
  }
});
