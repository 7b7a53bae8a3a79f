import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, cycles, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 形式审查 is a check of the 申报表 as filled in (第十五条 按照填报要求), yet its card shows each long answer's first
 * 200 characters and said to ask the team's leader for the rest. Each application on it now has 查看申报表全文: the whole
 * 申报表 and the organisation's recommendation, sent to the administrator who pressed it as a message of its own (the list
 * keeps the 退回原因 typed into it); a second press within seconds sends nothing more; only an administrator may.
 */
const clock = new ManualClock('2027-03-20T10:00:00+08:00');
const LEADER = 'ou_fulltext_leader000000000000000001';
const CONTACT = 'ou_fulltext_contact00000000000000001';
/** A 主要成果简介 of 1 000 characters whose end is known: the list shows its start only. */
const SUMMARY = `${'沥青路面修补一次合格率由百分之九十提高到百分之九十八，'.repeat(36)}`.slice(0, 990) + '全文到此结束的标记句。';
let h: Harness;
let appId: number;
let draftId: number;

beforeAll(async () => {
  h = await startHarness({ clock });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '全文查看测试市政公司' }).returning();
  await db.insert(people).values([{ openId: CONTACT, name: '全文联系人', roles: ['org_contact'] }, { openId: LEADER, name: '全文班组长', roles: ['leader'] }, { openId: 'ou_fulltext_leader000000000000000002' }]);
  const [cycle] = await db
    .insert(cycles)
    .values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN })
    .returning();
  const team = (n: number, leader: string) => ({
    code: `GDSZ-2025-${String(900 + n).padStart(4, '0')}`,
    name: `全文养护${n}班`,
    organizationId: org.id,
    department: '养护部',
    type: 'project',
    leaderOpenId: leader,
    phone: '020-12345678',
    memberCount: 6,
    functions: '道路养护',
    goals: '零缺陷',
    plan: '每月 QC 活动',
    contactOpenId: CONTACT,
    registeredAt: '2025-01-10',
  });
  const [t1, t2] = await db.insert(teams).values([team(1, LEADER), team(2, 'ou_fulltext_leader000000000000000002')]).returning();
  const form = { ...applicationForm({ title: '提高沥青路面修补一次合格率' }), startDate: '2026-04-01', goalRate: 100, trainingRate: 96, examPassRate: 93.5, summary: SUMMARY };
  [{ id: appId }] = await db
    .insert(applications)
    .values({ teamId: t1.id, cycleId: cycle.id, status: 'recommended', form, endorsement: { decision: 'recommend', truthful: true, opinion: '同意推荐，材料属实。', by: CONTACT }, submittedAt: new Date('2027-03-10T02:00:00Z') })
    .returning();
  [{ id: draftId }] = await db.insert(applications).values({ teamId: t2.id, cycleId: cycle.id, status: 'draft', form }).returning();
}, 120_000);
afterAll(async () => h?.close());

const fullTexts = () => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'check:application:%'));

describe('查看申报表全文 on the 形式审查 card', () => {
  it('each application on the list has the button, and the note under a cut text points to it', async () => {
    const list = await h.click(ADMIN, { action: 'check.list' });
    expectValidCard(list.card.data);
    expect(cardActions(list.card.data)).toContainEqual({ action: 'check.application', applicationId: appId });
    // and a way back to the 协会管理 card it was opened from
    expect(cardActions(list.card.data)).toContainEqual({ action: 'admin.menu' });
    const text = cardText(list.card.data);
    expect(text).not.toContain('全文到此结束的标记句');
    expect(text).toContain('全文点“查看申报表全文”');
    expect(text).not.toContain('全文请向班组长索取');
  });

  it('sends the whole 申报表 and the recommendation to the administrator, the list left as it is', async () => {
    h.fake.reset();
    const answer = await h.click(ADMIN, { action: 'check.application', applicationId: appId });
    expect(answer).toEqual({ toast: { type: 'success', content: '申报表全文已另发一条消息；这里填的退回原因保留。' } });
    const sent = h.fake.messages.filter((m) => m.receiveId === ADMIN);
    expect(sent).toHaveLength(1);
    expectValidCard(sent[0].content);
    expect(sent[0].content.header.title.content).toBe('申报表全文：全文养护1班');
    const text = cardText(sent[0].content);
    expect(text).toContain(SUMMARY);
    expect(text).toContain('同意推荐，材料属实。');
    expect(text).toContain('申报状态：待协会形式审查');
  });

  it('a second press within seconds sends nothing more; a minute later it is sent again', async () => {
    h.fake.reset();
    clock.advance(3_000);
    expect((await h.click(ADMIN, { action: 'check.application', applicationId: appId })).toast).toEqual({ type: 'info', content: '申报表全文已发送，请查看上一条消息。' });
    expect(h.fake.messages).toHaveLength(0);
    clock.advance(60_000);
    expect((await h.click(ADMIN, { action: 'check.application', applicationId: appId })).toast.type).toBe('success');
    expect(h.fake.messages.filter((m) => m.receiveId === ADMIN)).toHaveLength(1);
    expect(await fullTexts()).toHaveLength(2);
  });

  it('pressed on a list drawn before the application was accepted, it says so, and nothing about 受理 or 退回', async () => {
    await h.db.db.update(applications).set({ status: 'accepted' }).where(eq(applications.id, appId));
    try {
      h.fake.reset();
      clock.advance(60_000);
      expect((await h.click(ADMIN, { action: 'check.application', applicationId: appId })).toast).toEqual({ type: 'success', content: '申报表全文已另发一条消息。' });
      const text = cardText(h.fake.messages.filter((m) => m.receiveId === ADMIN)[0].content);
      expect(text).toContain('申报状态：已受理，待评审。');
      expect(text).not.toMatch(/受理或退回|退回原因/);
    } finally {
      await h.db.db.update(applications).set({ status: 'recommended' }).where(eq(applications.id, appId));
    }
  });

  it('only an administrator may; a draft has nothing to show; nothing is queued for either', async () => {
    const before = (await fullTexts()).length;
    for (const who of [LEADER, CONTACT]) {
      const refused = await h.click(who, { action: 'check.application', applicationId: appId });
      expect(refused.toast.type, who).toBe('error');
      expect(refused.toast.content, who).toMatch(/只有协会管理员/);
    }
    clock.advance(60_000);
    const draft = await h.click(ADMIN, { action: 'check.application', applicationId: draftId });
    expect(draft.toast).toEqual({ type: 'info', content: '找不到这份申报，或它还是草稿，没有可查看的申报表。' });
    expect(await fullTexts()).toHaveLength(before);
    expect((await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.id, appId)))[0].status).toBe('recommended');
  });
});
