import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings, cycles, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../../src/jobs/index.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { upheldRun } from '../support/upheldRun.js';

/**
 * 第二十二条: a title whose run of upheld complaints reached the number waits for an administrator's 撤销 / 保留. Its
 * alert goes out once and stops taking clicks after 14 days; until it is decided, the digest lists it (so a digest
 * goes out for it alone) with 决定, which draws its card afresh, and the escalation job raises it again on day 8, 15…
 * after it became due, as it does an open complaint. Once decided, neither says more.
 */

const GROUP = 'oc_pendingrevocationreminders0000001';
let h: Harness;
let honourId: number;

const jobAt = (job: 'digest' | 'escalation', day: string) => runJob(job, h.db.db, { now: new Date(`${day}T09:00:00+08:00`), timezone: 'Asia/Shanghai', bootstrapAdmins: [ADMIN] });
const groupCard = async (key: string) => {
  await h.drain();
  const [row] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, key));
  const sent = h.fake.messages.find((m) => m.messageId === row.messageId)!;
  return { messageId: row.messageId!, card: sent.content };
};

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-08-03T09:00:00+08:00'), admins: [ADMIN] });
  const db = h.db.db;
  await db.insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
  // the year published: no cycle running, so the digest is weekly, on Mondays, and only when there is news
  await db.insert(cycles).values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet });
  const [org] = await db.insert(organizations).values({ name: '广州市政集团' }).returning();
  await db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: 'ou_pendingleader0000000000000000001' }, { openId: 'ou_pendingcontact000000000000000001', roles: ['org_contact'] }]);
  const [t] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0011', name: '市政养护十一班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_pendingleader0000000000000000001',
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: 'ou_pendingcontact000000000000000001', registeredAt: '2025-01-10',
    })
    .returning();
  const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-08-01T10:00:00+08:00') }).returning();
  honourId = ho.id;
  // the second upheld complaint decided 2026-08-01 10:04: 撤销 / 保留 awaited from then
  await upheldRun(db, t.id, 2);
});
afterAll(async () => {
  await h?.close();
});

describe('a 撤销 / 保留 still owed', () => {
  it('is news for the digest: listed with 决定, which draws its card afresh, privately from the group', async () => {
    const [run] = await jobAt('digest', '2026-08-03');
    expect(run.status).toBe('done');
    expect(run.queued).toEqual([`digest:2026-W32:chat:${GROUP}`]);
    expect(run.details).toMatchObject({ sent: true, titlesAwaiting: 1, openComplaints: 0 });
    const { messageId, card } = await groupCard(run.queued[0]);
    expect(cardText(card)).toContain('待决定撤销或保留称号 1 个');
    expect(cardText(card)).toContain('市政养护十一班');
    expect(cardText(card)).toContain('已 2 天未决定');
    expect(cardActions(card)).toContainEqual({ action: 'revocation.open', honourId });
    expect(cardActions(card)).toContainEqual({ action: 'complaint.list' });
    // 决定 on the group's digest: the live card goes to the clicker alone
    const answer = await h.click(ADMIN, { action: 'revocation.open', honourId }, undefined, { messageId, chatId: GROUP });
    expect(answer.toast).toEqual({ type: 'info', content: '撤销称号决定卡片已私信发给你' });
    const fresh = h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === ADMIN).at(-1)!;
    expect(cardActions(fresh.content)).toEqual(expect.arrayContaining([{ action: 'revocation.keep', honourId }, { action: 'revocation.revoke', honourId }]));
  });

  it('is raised again by the escalation job on day 8 after it became due, with its decision form; not the day after', async () => {
    const [quiet] = await jobAt('escalation', '2026-08-08');
    expect(quiet.queued).toEqual([]);
    const [run] = await jobAt('escalation', '2026-08-09');
    expect(run.queued).toEqual([`revocation:escalate:2026-08-09:${honourId}:chat:${GROUP}`]);
    expect(run.details).toMatchObject({ complaints: 0, titles: 1 });
    // drawn when it is sent, as the complaint escalation's cards are: it goes out the next day (the bot was down), its days are that day's
    h.clock.set(new Date('2026-08-10T09:00:00+08:00'));
    const { card } = await groupCard(run.queued[0]);
    expect(cardText(card)).toContain('撤销称号已 9 天未决定：市政养护十一班');
    expect(cardActions(card)).toEqual(expect.arrayContaining([{ action: 'revocation.keep', honourId }, { action: 'revocation.revoke', honourId }]));
    const [next] = await jobAt('escalation', '2026-08-10');
    expect(next.queued).toEqual([]);
  });

  it('once decided (保留称号), neither the digest nor the escalation job says more', async () => {
    h.clock.set(new Date('2026-08-10T08:00:00+08:00'));
    const kept = await h.click(ADMIN, { action: 'revocation.keep', honourId }, { reason: '已整改到位' });
    expect(kept.toast).toEqual({ type: 'success', content: '已保留称号' });
    const [digest] = await jobAt('digest', '2026-08-10');
    expect([digest.status, digest.queued]).toEqual(['done', []]);
    const [escalation] = await jobAt('escalation', '2026-08-16');
    expect(escalation.queued).toEqual([]);
    expect(await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'digest:2026-W33:%'))).toEqual([]);
  });
});
