import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, complaints, jobRuns, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { scheduledJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A flood of complaints must not bury the administrators' group: 30 from the public form come back a week later as one
 * escalation card, not 30; 15 from one person in chat make two cards, not 15 (第二十一条).
 */

const ADMIN_CHAT = 'oc_floodadmins0000000000000000000001';
const CODE = 'GDSZ-2025-0301';
const clock = new ManualClock('2027-03-01T10:00:00+08:00');
const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
let h: Harness;

beforeAll(async () => {
  // the public form's visitors behind one reverse proxy, each with an address of their own
  h = await startHarness({ clock, env: { TRUST_PROXY: '1' } });
  const db = h.db.db;
  await db.insert(chatBindings).values({ chatId: ADMIN_CHAT, purpose: 'admin', boundBy: ADMIN });
  const [org] = await db.insert(organizations).values({ name: '肇庆市政公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_flood_leader' }, { openId: 'ou_flood_contact', roles: ['org_contact'] }]);
  await db.insert(teams).values({ code: CODE, name: '肇庆道路养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_flood_leader', phone: '0758-1234567', memberCount: 6, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: 'ou_flood_contact', registeredAt: '2025-01-10' });
}, 120_000);
afterAll(async () => h?.close());

const toGroup = () => h.fake.messages.filter((m) => m.receiveIdType === 'chat_id' && m.receiveId === ADMIN_CHAT);
const escalate = async () => {
  const before = toGroup().length;
  await scheduledJob('escalation', { db: h.db.db, now: () => clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS, log: quiet, nudge: () => {} })();
  await h.drain();
  return toGroup().slice(before);
};
const openIds = async () => (await h.db.db.select({ id: complaints.id }).from(complaints).where(eq(complaints.status, 'open')).orderBy(complaints.createdAt, complaints.id)).map((c) => c.id);

describe('escalation: one card a day for every complaint a week old', () => {
  it('30 web complaints of one minute, still open eight days later: one card, the ten oldest with 处理, the rest counted and where to see them', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}` }, body: JSON.stringify({ team: CODE, content: `批量投诉 ${i}` }) });
      expect(res.status).toBe(201);
      clock.advance(1_000);
    }
    clock.advance(60_000);
    await h.drain();
    expect(toGroup()).toHaveLength(2);

    // day 7: not yet
    clock.advanceDays(7);
    expect(await escalate()).toEqual([]);
    clock.advanceDays(1);
    const cards = await escalate();
    expect(cards).toHaveLength(1);
    const card = cards[0].content;
    expectValidCard(card);
    const text = cardText(card);
    expect(text).toContain('30 件投诉超过 7 天未处理');
    expect(text).toContain('已 8 天');
    expect(text).toContain('另有 20 件，请点下方“投诉处理”查看（也可发送“管理”后点“投诉处理”）');
    const ids = await openIds();
    expect(cardActions(card)).toEqual([...ids.slice(0, 10).map((complaintId) => ({ action: 'complaint.open', complaintId })), { action: 'complaint.list' }]);
    // 处理 opens the complaint's own 成立 / 不成立 card, sent to the clicker privately (the group's card stays); 投诉处理 lists the open complaints
    const privately = h.fake.messages.filter((m) => m.receiveId === ADMIN).length;
    const opened = await h.click(ADMIN, cardActions(card)[0], undefined, { chatId: ADMIN_CHAT });
    expect(opened.card).toBeUndefined();
    expect(opened.toast.content).toBe('投诉处理卡片已私信发给你');
    const [own] = h.fake.messages.filter((m) => m.receiveId === ADMIN).slice(privately);
    expect(cardActions(own.content)).toEqual([
      { action: 'complaint.uphold', complaintId: ids[0] },
      { action: 'complaint.dismiss', complaintId: ids[0] },
      { action: 'complaint.duplicate', complaintId: ids[0] },
      { action: 'complaint.withdraw', complaintId: ids[0] },
    ]);
    const list = await h.click(ADMIN, { action: 'complaint.list' });
    expect(cardText(list.card.data)).toContain('共 30 件');
  });

  it('the same day again, and the days after: nothing; a week later one card again, without the one decided', async () => {
    expect(await escalate()).toEqual([]);
    for (let day = 9; day < 15; day++) {
      clock.advanceDays(1);
      expect(await escalate(), `day ${day}`).toEqual([]);
    }
    const [first] = await openIds();
    const decided = await h.click(ADMIN, { action: 'complaint.dismiss', complaintId: first }, { note: '重复投诉，不成立' }, { chatId: ADMIN_CHAT });
    expect(decided.toast.type).toBe('success');
    clock.advanceDays(1);
    const cards = await escalate();
    expect(cards).toHaveLength(1);
    expect(cardText(cards[0].content)).toContain('29 件投诉超过 7 天未处理');
    expect(cardText(cards[0].content)).toContain('已 15 天');
    expect(cardActions(cards[0].content)).not.toContainEqual({ action: 'complaint.open', complaintId: first });
  });

  it('a day the bot did not run is made up the next day, in one card', async () => {
    // day 22 passes without a run; day 23 raises what day 22 owed
    clock.advanceDays(8);
    expect((await h.db.db.select({ period: jobRuns.period }).from(jobRuns).where(eq(jobRuns.job, 'escalation'))).map((r) => r.period).at(-1)).toBe('2027-03-16');
    const cards = await escalate();
    expect(cards).toHaveLength(1);
    expect(cardText(cards[0].content)).toContain('29 件投诉超过 7 天未处理');
    expect(cardText(cards[0].content)).toContain('已 23 天');
  });

  it('one complaint due alone keeps its own card with 成立 / 不成立', async () => {
    for (const id of await openIds()) await h.click(ADMIN, { action: 'complaint.dismiss', complaintId: id }, { note: '不成立' }, { chatId: ADMIN_CHAT });
    const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.200' }, body: JSON.stringify({ team: CODE, content: '人行道砖松动' }) });
    expect(res.status).toBe(201);
    await h.drain();
    clock.advanceDays(8);
    const cards = await escalate();
    expect(cards).toHaveLength(1);
    expect(cardText(cards[0].content)).toContain('投诉已 8 天未处理：肇庆道路养护班');
    const [id] = await openIds();
    expect(cardActions(cards[0].content)).toEqual([
      { action: 'complaint.uphold', complaintId: id },
      { action: 'complaint.dismiss', complaintId: id },
      { action: 'complaint.duplicate', complaintId: id },
      { action: 'complaint.withdraw', complaintId: id },
    ]);
    await h.click(ADMIN, { action: 'complaint.dismiss', complaintId: id }, { note: '不成立' }, { chatId: ADMIN_CHAT });
  });
});

describe("chat: one person's burst is one card a minute; every other complainant's alert comes at once", () => {
  const PERSON = 'ou_floodperson000000000000000000001';
  const OTHER = 'ou_floodperson000000000000000000002';
  const complain = (openId: string, formKey: string, content: string) => h.click(openId, { action: 'complaint.submit', formKey }, { team: CODE, content });

  it('15 complaints from one person in 30 s: each taken with its number, the first alerted at once, the other 14 on one card when the minute ends', async () => {
    clock.advanceDays(1);
    const before = toGroup().length;
    const references: string[] = [];
    for (let i = 0; i < 15; i++) {
      const res = await complain(PERSON, `flood-${i}`, `聊天投诉 ${i}`);
      expect(res.toast.type).toBe('success');
      references.push(res.toast.content.match(/TS-\d{4}-\d{4,}/)![0]);
      clock.advance(2_000);
    }
    expect(new Set(references).size).toBe(15);
    expect(await h.db.db.$count(complaints, eq(complaints.complainantOpenId, PERSON))).toBe(15);
    await h.drain();
    const atOnce = toGroup().slice(before);
    expect(atOnce).toHaveLength(1);
    expect(cardText(atOnce[0].content)).toContain(references[0]);

    // someone else complaining meanwhile is alerted at once, on a card of their own
    const other = await complain(OTHER, 'flood-other', '另一位投诉人');
    await h.drain();
    expect(toGroup().slice(before)).toHaveLength(2);
    expect(cardText(toGroup().at(-1)!.content)).toContain(other.toast.content.match(/TS-\d{4}-\d{4,}/)![0]);

    clock.advance(30_000);
    await h.drain();
    const cards = toGroup().slice(before);
    expect(cards).toHaveLength(3);
    const batch = cards[2].content;
    expectValidCard(batch);
    const text = cardText(batch);
    expect(text).toContain('同一人 1 分钟内在飞书又提交 14 件投诉');
    expect(text).toContain('另有 4 件，请在“投诉处理”中查看。');
    expect(text).not.toContain(references[0]);
    for (const ref of references.slice(1, 11)) expect(text).toContain(ref);
    expect(cardActions(batch).at(-1)).toEqual({ action: 'complaint.list' });
    expect(cardActions(batch).filter((a) => a.action === 'complaint.open')).toHaveLength(10);
  });

  it('going on: at most one card a minute; after a quiet minute the next is alerted at once again', async () => {
    const before = toGroup().length;
    for (let i = 0; i < 3; i++) {
      expect((await complain(PERSON, `flood-more-${i}`, `又一件 ${i}`)).toast.type).toBe('success');
      clock.advance(5_000);
    }
    await h.drain();
    expect(toGroup().slice(before)).toEqual([]);
    clock.advance(60_000);
    await h.drain();
    expect(toGroup().slice(before)).toHaveLength(1);
    expect(cardText(toGroup().at(-1)!.content)).toContain('同一人 1 分钟内在飞书又提交 3 件投诉');

    clock.advance(120_000);
    const res = await complain(PERSON, 'flood-later', '安静一分钟后');
    await h.drain();
    const later = toGroup().slice(before + 1);
    expect(later).toHaveLength(1);
    expect(cardText(later[0].content)).toContain(res.toast.content.match(/TS-\d{4}-\d{4,}/)![0]);
    expect(cardActions(later[0].content).map((a) => a.action)).toEqual(['complaint.uphold', 'complaint.dismiss', 'complaint.duplicate', 'complaint.withdraw']);
  });
});
