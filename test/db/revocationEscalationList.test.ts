import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, cycles, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { revocationEscalationListSpec } from '../../src/complaints.js';
import { revocationEscalationListRenderer } from '../../src/jobs/escalation.js';
import { runJob } from '../../src/jobs/index.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { upheldRun } from '../support/upheldRun.js';

/**
 * 第二十二条's escalation with several titles awaiting 撤销 / 保留 at once: one card a destination a day (as the open
 * complaints get), listing them longest awaited first, ten with 决定 (which opens that title's decision card, privately
 * from a group) and the rest counted; drawn when sent, so a title decided meanwhile is left out and the days waited are
 * those of the day it goes out. Before, each title came as a card of its own to every destination.
 */

const G1 = 'oc_revocationescalationlist00000001';
const G2 = 'oc_revocationescalationlist00000002';
const TITLES = 12;
let h: Harness;
const honourIds: number[] = [];

const jobAt = (day: string) => runJob('escalation', h.db.db, { now: new Date(`${day}T09:00:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
const sentCard = async (key: string) => {
  const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, key));
  expect(row.status).toBe('sent');
  return { messageId: row.messageId!, card: h.fake.messages.find((m) => m.messageId === row.messageId)!.content };
};

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-08-03T09:00:00+08:00'), admins: [ADMIN] });
  const db = h.db.db;
  await db.insert(chatBindings).values([
    { chatId: G1, purpose: 'admin', boundBy: ADMIN },
    { chatId: G2, purpose: 'admin', boundBy: ADMIN },
  ]);
  await db.insert(cycles).values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet });
  const [org] = await db.insert(organizations).values({ name: '广州市政集团' }).returning();
  const CONTACT = 'ou_revesccontact000000000000000001';
  await db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: CONTACT, roles: ['org_contact'] }]);
  for (let i = 1; i <= TITLES; i++) {
    const n = String(i).padStart(2, '0');
    const leader = `ou_revescleader0000000000000000${n}`;
    await db.insert(people).values({ openId: leader });
    const [t] = await db
      .insert(teams)
      .values({
        code: `GDSZ-2025-01${n}`, name: `市政养护${n}班`, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader,
        phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
      })
      .returning();
    // awarded a minute apart on 2026-08-01: the runs reach the number in that order, that day
    const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date(Date.parse('2026-08-01T10:00:00+08:00') + i * 60_000) }).returning();
    honourIds.push(ho.id);
    await upheldRun(db, t.id, 2);
  }
});
afterAll(async () => {
  await h?.close();
});

describe('the weekly escalation of several titles awaiting 撤销 / 保留', () => {
  it('is one card a destination listing them (ten with 决定, the rest counted), drawn when sent; a second run that day sends nothing', async () => {
    const [run] = await jobAt('2026-08-09');
    expect(run.status).toBe('done');
    expect(run.details).toMatchObject({ complaints: 0, titles: TITLES });
    expect(run.queued).toEqual([G1, G2].map((g) => `revocation:escalate:2026-08-09:titles:chat:${g}`));
    // they go out the next day (the bot was down), one kept before: it is left out, the days are those of that day
    h.clock.set(new Date('2026-08-10T09:00:00+08:00'));
    const kept = await h.click(ADMIN, { action: 'revocation.keep', honourId: honourIds[0] }, { reason: '已整改到位' });
    expect(kept.toast).toEqual({ type: 'success', content: '已保留称号' });
    await h.drain();
    for (const g of [G1, G2]) {
      const { card } = await sentCard(`revocation:escalate:2026-08-09:titles:chat:${g}`);
      const text = cardText(card);
      expect(text).toContain(`${TITLES - 1} 个称号超过 7 天未决定是否撤销`);
      expect(text).not.toContain('市政养护01班');
      expect(text).toContain('**市政养护02班**（GDSZ-2025-0102，广州市政集团）2026 年度称号：连续 2 次投诉成立，已 9 天未决定');
      expect(text).toContain('市政养护11班');
      expect(text).not.toContain('市政养护12班');
      expect(text).toContain('另有 1 个');
      const opens = cardActions(card).filter((a) => a.action === 'revocation.open');
      expect(opens).toEqual(honourIds.slice(1, 11).map((honourId) => ({ action: 'revocation.open', honourId })));
      expect(cardActions(card)).toContainEqual({ action: 'complaint.list' });
      // no decision form on the list itself
      expect(cardActions(card).filter((a) => a.action === 'revocation.revoke' || a.action === 'revocation.keep')).toEqual([]);
    }
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'revocation:escalate:%'))).toHaveLength(2);
    const [again] = await jobAt('2026-08-09');
    expect(again.queued).toEqual([]);
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'revocation:escalate:%'))).toHaveLength(2);
  });

  it('决定 on the group’s list opens that title’s 撤销 / 保留 card privately', async () => {
    const { messageId } = await sentCard(`revocation:escalate:2026-08-09:titles:chat:${G1}`);
    const honourId = honourIds[3];
    const answer = await h.click(ADMIN, { action: 'revocation.open', honourId }, undefined, { messageId, chatId: G1 });
    expect(answer.toast).toEqual({ type: 'info', content: '撤销称号决定卡片已私信发给你' });
    const fresh = h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === ADMIN).at(-1)!;
    expect(cardText(fresh.content)).toContain('市政养护04班');
    expect(cardActions(fresh.content)).toEqual(expect.arrayContaining([{ action: 'revocation.keep', honourId }, { action: 'revocation.revoke', honourId }]));
  });

  it('a week on, the titles still awaiting come again on one card; a list whose titles were all decided before it went out is not sent', async () => {
    const [run] = await jobAt('2026-08-16');
    expect(run.queued).toEqual([G1, G2].map((g) => `revocation:escalate:2026-08-16:titles:chat:${g}`));
    expect(run.details).toMatchObject({ titles: TITLES - 1 });
    h.clock.set(new Date('2026-08-16T09:00:00+08:00'));
    await h.drain();
    const { card } = await sentCard(`revocation:escalate:2026-08-16:titles:chat:${G1}`);
    expect(cardText(card)).toContain('**市政养护11班**（GDSZ-2025-0111，广州市政集团）2026 年度称号：连续 2 次投诉成立，已 15 天未决定');
    for (const honourId of honourIds.slice(1)) {
      const done = await h.click(ADMIN, { action: 'revocation.keep', honourId }, { reason: '已整改到位' });
      expect(done.toast).toEqual({ type: 'success', content: '已保留称号' });
    }
    const render = revocationEscalationListRenderer(h.db.db, { timezone: 'Asia/Shanghai', clock: h.clock });
    expect(await render([revocationEscalationListSpec(honourIds)])).toEqual([{ drop: '所列称号均已决定撤销或保留，无需再提醒' }]);
    const [later] = await jobAt('2026-08-23');
    expect(later.queued).toEqual([]);
  });
});
