import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { chatBindings, complaints, organizations, people, teams } from '../../db/schema.js';
import { contactWithheldText } from '../../cards/complaints.js';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../../src/jobs/index.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { type Mode, MODES_HERE } from '../support/worlds.js';

/**
 * The complaint form promises the complainant's contact is 仅协会可见. The administrators' groups (绑定通知) are one card
 * for everyone in them, who need not all be administrators: the alert there, its copies redrawn as decided (and again
 * when a decision is corrected), the card an administrator decides on in the group and the escalation card a week
 * later show no contact (nor a phone or e-mail typed into the content) and carry 查看联系方式, which sends the whole
 * complaint to the administrator who presses it, privately; anyone else pressing it is refused. With and without the
 * one-statement decision (src/fast/decisions.ts).
 */
const G1 = 'oc_complaintcontactgroup000000001';
const G2 = 'oc_complaintcontactgroup000000002';
const STRANGER = 'ou_complaintcontactstranger0000001';
const PHONE = '13912345678';
const CONTENT = '井盖松动三周无人处理，有照片可发邮箱 wang.xm@example.com';
const LATE_PHONE = '13687654321';

/** A card's text as Feishu shows it: markdown's entities (&#91;) read as the characters they stand for. */
const shown = (card: unknown) => cardText(card).replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));

function expectNoContact(card: unknown) {
  const text = shown(card);
  for (const hidden of [PHONE, LATE_PHONE, 'wang.xm']) expect(text).not.toContain(hidden);
}

describe('a complaint’s contact on the administrators’ group cards', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function fresh(mode: Mode) {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), admins: [ADMIN], outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    const db = h.db.db;
    await db.insert(chatBindings).values([
      { chatId: G1, purpose: 'admin', boundBy: ADMIN },
      { chatId: G2, purpose: 'admin', boundBy: ADMIN },
    ]);
    const [org] = await db.insert(organizations).values({ name: '广州市政集团' }).returning();
    await db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: 'ou_l1' }, { openId: 'ou_c1', roles: ['org_contact'] }]);
    const [team] = await db
      .insert(teams)
      .values({
        code: 'GDSZ-2025-0012', name: '市政养护十二班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_l1',
        phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: 'ou_c1', registeredAt: '2025-01-10',
      })
      .returning();
    return { h, team };
  }

  const groupCard = (h: Harness, chatId: string) => h.fake.messages.find((m) => m.receiveIdType === 'chat_id' && m.receiveId === chatId && cardText(m.content).includes('新的质量投诉'))!;
  const privateTo = (h: Harness, openId: string) => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId);

  for (const mode of MODES_HERE) {
    it(`no group card shows it; 查看联系方式 sends it to an administrator alone (${mode})`, async () => {
      const { h, team } = await fresh(mode);
      const posted = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: team.code, content: CONTENT, contact: PHONE }) });
      expect(posted.status).toBe(201);
      await h.drain();
      const [complaint] = await h.db.db.select().from(complaints).where(eq(complaints.content, CONTENT));

      // the alert in each group: no contact, a line saying where it is, and the button to see it
      const first = groupCard(h, G1);
      const second = groupCard(h, G2);
      for (const m of [first, second]) {
        expectNoContact(m.content);
        expect(shown(m.content)).toContain(contactWithheldText);
        expect(shown(m.content)).toContain('井盖松动三周无人处理');
        expect(cardActions(m.content)).toContainEqual({ action: 'complaint.open', complaintId: complaint.id });
      }

      // someone in the group who is no administrator: refused, sent nothing
      const refused = await h.clickCard(STRANGER, first.messageId, { action: 'complaint.open', complaintId: complaint.id });
      expect(refused.body?.toast?.type).toBe('error');
      expect(refused.body?.toast?.content).toContain('只有协会管理员');
      expect(refused.body?.card).toBeUndefined();
      expect(privateTo(h, STRANGER)).toEqual([]);

      // an administrator: the whole complaint privately, the group's card as it was
      const opened = await h.clickCard(ADMIN, first.messageId, { action: 'complaint.open', complaintId: complaint.id });
      expect(opened.body?.toast?.content).toBe('投诉处理卡片已私信发给你');
      expect(opened.body?.card).toBeUndefined();
      const own = privateTo(h, ADMIN).at(-1)!;
      expect(shown(own.content)).toContain(PHONE);
      expect(shown(own.content)).toContain('wang.xm@example.com');

      // a decision without its note, refused in the group: drawn again there without the contact
      const noNote = await h.clickCard(ADMIN, first.messageId, { action: 'complaint.uphold', complaintId: complaint.id }, { note: '' });
      expect(noNote.body?.toast?.type).toBe('error');
      expect(shown(noNote.body?.card?.data)).toContain(contactWithheldText);
      expectNoContact(noNote.body?.card?.data);

      // decided in the group: the answer there and the other group's copy redrawn, neither with the contact
      const decided = await h.clickCard(ADMIN, first.messageId, { action: 'complaint.uphold', complaintId: complaint.id }, { note: '经核实属实' });
      expect(decided.body?.toast?.content).toBe('已认定投诉成立');
      for (const card of [decided.body?.card?.data, h.fake.currentCard(first.messageId), h.fake.currentCard(second.messageId)]) {
        expect(shown(card)).toContain('认定结果');
        expectNoContact(card);
        expect(shown(card)).toContain('请点“查看联系方式”');
        expect(cardActions(card)).toContainEqual({ action: 'complaint.open', complaintId: complaint.id });
      }
      expect(shown(h.fake.currentCard(second.messageId))).toContain('王管理员');

      // corrected from the administrator's own card (查看联系方式 again, 更正认定 there): both groups' copies redrawn again, still without it
      await h.clickCard(ADMIN, first.messageId, { action: 'complaint.open', complaintId: complaint.id });
      const decidedOwn = privateTo(h, ADMIN).at(-1)!;
      expect(shown(decidedOwn.content)).toContain(PHONE);
      const ask = await h.clickCard(ADMIN, decidedOwn.messageId, { action: 'complaint.correctAsk', complaintId: complaint.id });
      const correct = cardActions(ask.body?.card?.data).find((a) => a.action === 'complaint.correct')!;
      const corrected = await h.clickCard(ADMIN, decidedOwn.messageId, correct, { note: '误点成立，经核查不实' });
      expect(corrected.body?.toast?.type).toBe('success');
      expect(shown(corrected.body?.card?.data)).toContain(PHONE);
      expect(own.messageId).not.toBe(decidedOwn.messageId);
      for (const id of [first.messageId, second.messageId]) {
        const card = h.fake.currentCard(id);
        expect(shown(card)).toContain('误点成立');
        expectNoContact(card);
      }

      // a week later, a lone complaint still open comes back to the groups: without its contact either
      await h.db.db.insert(complaints).values({ reference: 'TS-2027-0099', teamId: team.id, content: '路灯不亮', contact: LATE_PHONE, channel: 'web', status: 'open', createdAt: new Date('2027-03-02T10:00:00+08:00') });
      const [run] = await runJob('escalation', h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
      expect(run.queued).toHaveLength(2);
      await h.drain();
      for (const chatId of [G1, G2]) {
        const late = [...h.fake.messages].reverse().find((m) => m.receiveId === chatId && cardText(m.content).includes('天未处理'))!;
        expect(shown(late.content)).toContain('路灯不亮');
        expect(shown(late.content)).toContain(contactWithheldText);
        expectNoContact(late.content);
      }
    });
  }

  it('the batch card of a minute and the escalation list quote the complaints without a phone typed into them', async () => {
    const { h, team } = await fresh('fast');
    const contents = ['阀门井积水，请回电 13700001111', '管道渗漏严重，请回电 13700002222', '路面沉陷未处理，请回电 13700003333'];
    for (const content of contents) {
      const posted = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: team.code, content, contact: PHONE }) });
      expect(posted.status).toBe(201);
      h.clock.advance(10_000);
    }
    h.clock.advance(60_000);
    await h.drain();
    const batch = h.fake.messages.find((m) => m.receiveId === G1 && cardText(m.content).includes('1 分钟内收到 2 件网上投诉'))!;
    expect(shown(batch.content)).toContain('管道渗漏严重，请回电 [号码]');
    for (const phone of ['13700002222', '13700003333', PHONE]) expect(shown(batch.content)).not.toContain(phone);

    // eight days on, the three come back on one card
    h.clock.advance(8 * 86_400_000);
    const [run] = await runJob('escalation', h.db.db, { now: h.clock.now(), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
    expect(run.queued).toHaveLength(2);
    await h.drain();
    const list = [...h.fake.messages].reverse().find((m) => m.receiveId === G1 && cardText(m.content).includes('件投诉超过'))!;
    expect(shown(list.content)).toContain('阀门井积水，请回电 [号码]');
    for (const phone of ['13700001111', '13700002222', '13700003333', PHONE]) expect(shown(list.content)).not.toContain(phone);
  });
});
