import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, cycles, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 截止申报 clicked before the announced application deadline: the confirm dialog says it is early, by how many days, that
 * it cannot be undone and how many applications not yet submitted (drafts, returned ones) it cuts off; the close tells
 * each of their leaders, in its transaction, that the applications closed early that day and theirs was not submitted.
 * With an accepted application and experts in the pool, a close with nothing cut off would be the one statement's
 * (src/fast/cycleSteps.ts): one with drafts is left to the ordinary path, which tells the leaders, on PostgreSQL too.
 */

const DRAFT_LEADER = 'ou_earlydraftleader00000000000000001';
const RETURNED_LEADER = 'ou_earlyreturnleader0000000000000001';
const ACCEPTED_LEADER = 'ou_earlyacceptleader0000000000000001';
const LATE_LEADER = 'ou_latedraftleader000000000000000001';
const DAY_LEADER = 'ou_daydraftleader0000000000000000001';
const EXPERTS = ['ou_earlydraftexpert00000000000000001', 'ou_earlydraftexpert00000000000000002', 'ou_earlydraftexpert00000000000000003'];

let h: Harness;
const clock = new ManualClock('2027-03-10T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, admins: [ADMIN], outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const db = () => h.db.db;
const sentTo = (openId: string, from: number) => h.fake.messages.slice(from).filter((m) => m.receiveId === openId);

async function seedTeam(cycleId: number, n: number, leader: string, status: string) {
  const [org] = await db().insert(organizations).values({ name: `提前截止单位${n}` }).returning();
  await db().insert(people).values({ openId: leader, name: `班长${n}` }).onConflictDoNothing();
  const [team] = await db()
    .insert(teams)
    .values({
      code: `GDSZ-2025-030${n}`, name: `提前截止班组${n}`, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
      memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: leader, registeredAt: '2025-01-10',
    })
    .returning();
  await db().insert(applications).values({ teamId: team.id, cycleId, status, form: { title: `成果${n}` } });
}

/** 截止申报's confirm dialog on the admin card. */
async function closeDialog(): Promise<{ title: string; text: string }> {
  const menu = await h.click(ADMIN, { action: 'admin.menu' });
  const find = (v: any): any => {
    if (Array.isArray(v)) return v.map(find).find(Boolean);
    if (!v || typeof v !== 'object') return undefined;
    if (v.tag === 'button' && v.behaviors?.[0]?.value?.action === 'cycle.closeApplications') return v.confirm;
    return Object.values(v).map(find).find(Boolean);
  };
  const confirm = find(menu.card.data);
  return { title: confirm.title.content, text: confirm.text.content };
}

describe('截止申报 before the announced deadline', () => {
  let cycleId: number;

  it('the dialog says it is early, by how many days, for good, and what it cuts off', async () => {
    await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '道路', maxLoad: '10' });
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
    await seedTeam(cycleId, 1, DRAFT_LEADER, 'draft');
    await seedTeam(cycleId, 2, RETURNED_LEADER, 'returned');
    await seedTeam(cycleId, 3, ACCEPTED_LEADER, 'accepted');
    clock.set('2027-04-10T09:00:00+08:00');
    const dialog = await closeDialog();
    expect(dialog.title).toBe('截止2027年度申报？');
    expect(dialog.text).toContain('公布的申报截止日期为2027年5月31日，现在截止比它提前 51 天');
    expect(dialog.text).toContain('申报截止日期将改为今天（2027年4月10日），不能撤销');
    expect(dialog.text).toContain('还有 2 份申报（草稿或退回修改）尚未提交，截止后不能再提交、不参加本年度评审，系统会通知其班组长');
    // the same click assigns the experts and sends their task cards: said before it, with the accepted count (第十七条)
    expect(dialog.text).toContain('截止即为已受理的 1 份申报分配专家，并向专家发出评分任务卡片；如需先核对专家库和回避（第十七条），请核对后再截止。');
    // nothing submitted waits for its contact or the formal check: no word of them
    expect(dialog.text).not.toMatch(/待协会形式审查|待单位联系人确认/);
  });

  it('the close tells the leaders of the draft and of the returned application, and the administrator counts them', async () => {
    const before = h.fake.messages.length;
    const res = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    expect(res.toast.type).toBe('success');
    // the toast counts them in a line a phone shows whole; the job card's lead says it in full
    expect(res.toast.content).toContain('2 份未提交的申报随之截止，见卡片。');
    expect(res.toast.content).toContain('正在分配专家');
    expect(cardText(res.card.data)).toContain('2 份尚未提交的申报（草稿或退回修改）随之截止，不参加本年度评审，已通知其班组长。');
    const [after] = await db().select().from(cycles).where(eq(cycles.id, cycleId));
    expect(after).toMatchObject({ status: 'scoring', applicationDeadline: '2027-04-10' });
    await h.drain();

    const draft = sentTo(DRAFT_LEADER, before);
    expect(draft).toHaveLength(1);
    const draftText = cardText(draft[0].content);
    expect(draftText).toContain('2027 年度申报已提前截止');
    expect(draftText).toContain('协会已于2027年4月10日提前截止2027年度申报（原定2027年5月31日截止），此后不再接受提交。');
    expect(draftText).toContain('提前截止班组1');
    expect(draftText).toContain('申报表还是草稿，尚未提交，未能参加本年度评审');

    const returned = sentTo(RETURNED_LEADER, before);
    expect(returned).toHaveLength(1);
    expect(cardText(returned[0].content)).toContain('申报被退回修改，尚未重新提交，未能参加本年度评审');

    // the accepted application goes on to its experts: its leader hears nothing of the early close
    expect(sentTo(ACCEPTED_LEADER, before).filter((m) => cardText(m.content).includes('提前截止'))).toEqual([]);
  });

  it('a close on the deadline day, before its end, tells the drafts’ leaders as a close before it does', async () => {
    await db().update(cycles).set({ status: 'published' }).where(eq(cycles.id, cycleId));
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2028', applicationDeadline: '2028-04-30', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15' });
    const [onDay] = await db().select().from(cycles).where(eq(cycles.year, 2028));
    await seedTeam(onDay.id, 5, DAY_LEADER, 'draft');
    // 10:00 on the announced day: the reminder said 今天截止, and the leader could still submit until midnight
    clock.set('2028-04-30T10:00:00+08:00');
    const dialog = await closeDialog();
    expect(dialog.text).toContain('今天是申报截止日（2028年4月30日），现在截止将结束今天余下的申报时间，不能撤销。');
    expect(dialog.text).toContain('还有 1 份申报（草稿或退回修改）尚未提交，截止后不能再提交、不参加本年度评审，系统会通知其班组长。');
    const before = h.fake.messages.length;
    const res = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: onDay.id });
    expect(res.toast.type).toBe('success');
    expect(cardText(res.card.data)).toContain('1 份尚未提交的申报（草稿或退回修改）随之截止，不参加本年度评审，已通知其班组长。');
    const [after] = await db().select().from(cycles).where(eq(cycles.id, onDay.id));
    expect(after).toMatchObject({ status: 'scoring', applicationDeadline: '2028-04-30' });
    await h.drain();
    const told = sentTo(DAY_LEADER, before);
    expect(told).toHaveLength(1);
    const text = cardText(told[0].content);
    expect(text).toContain('2028 年度申报已截止');
    expect(text).toContain('协会已在截止日（2028年4月30日）当天截止2028年度申报，此后不再接受提交。');
    expect(text).toContain('申报表还是草稿，尚未提交，未能参加本年度评审');
    cycleId = onDay.id;
  });

  it('a close on or after the deadline cuts nothing off early: the dialog reads as before and no leader is told', async () => {
    await db().update(cycles).set({ status: 'published' }).where(eq(cycles.id, cycleId));
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2029', applicationDeadline: '2029-04-30', scoringDeadline: '2029-06-30', reviewMeetingDate: '2029-07-15' });
    const [next] = await db().select().from(cycles).where(eq(cycles.year, 2029));
    await seedTeam(next.id, 4, LATE_LEADER, 'draft');
    clock.set('2029-05-02T09:00:00+08:00');
    const dialog = await closeDialog();
    expect(dialog.text).toBe('截止后不再接受新的申报，评审进入专家评分阶段，评分表也不能再更换。截止时会为已受理的申报分配专家并发出评分任务卡片（目前没有已受理的申报）。申报截止日期为2029年4月30日。');
    const before = h.fake.messages.length;
    const res = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: next.id });
    expect(res.toast.content).not.toContain('随之截止');
    await h.drain();
    expect(sentTo(LATE_LEADER, before)).toEqual([]);
  });
});
