import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * Every expert of a panel declines (第十七条): nobody is left to score it. 结束评分并汇总 then says to add experts and
 * press 分配专家, not to wait for experts who will not come, and the panel card says how many places are empty and
 * carries 分配专家; a panel still waiting for its experts is told as before.
 */

const EXPERTS = ['ou_declineexpert0000000000000000001', 'ou_declineexpert0000000000000000002', 'ou_declineexpert0000000000000000003'];
const MORE = ['ou_declineexpert0000000000000000004', 'ou_declineexpert0000000000000000005', 'ou_declineexpert0000000000000000006'];

let h: Harness;
const clock = new ManualClock('2027-06-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const db = () => h.db.db;

async function seedAccepted(cycleId: number, n: number) {
  const [org] = await db().insert(organizations).values({ name: `谢绝单位${n}` }).returning();
  const leader = `ou_declineleader000000000000000000${n}`;
  const contact = `ou_declinecontact00000000000000000${n}`;
  await db().insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'] }]);
  const [team] = await db()
    .insert(teams)
    .values({
      code: `GDSZ-2025-030${n}`, name: `谢绝班组${n}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
      memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: 'QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
    })
    .returning();
  const [app] = await db().insert(applications).values({ teamId: team.id, cycleId, status: 'accepted', form: { title: `成果${n}` } }).returning();
  return app.id;
}

describe('a panel all of whose experts declined', () => {
  let cycleId: number;
  let first: number;
  let second: number;

  it('is named apart by 结束评分并汇总, which says to add experts and 分配专家', async () => {
    await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '道路', maxLoad: '10' });
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-06-01', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
    first = await seedAccepted(cycleId, 1);
    second = await seedAccepted(cycleId, 2);
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
    const tasks = await db().select().from(assignments).where(eq(assignments.applicationId, first));
    expect(tasks).toHaveLength(3);
    for (const t of tasks) {
      expect((await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '评审期间出差' })).toast.type).toBe('success');
    }
    const refused = await h.click(ADMIN, { action: 'results.close', cycleId });
    expect(refused.toast.type).toBe('error');
    expect(refused.toast.content).toBe(
      '还有 1 份申报未完成评分（GDSZ-2025-0302）。待评的专家会在评分截止（2027年6月30日）前 3 天、前 1 天和逾期后收到提醒，可等其提交，或在“评审进度”中打开该申报的专家组“更换专家”；' +
        '另有 1 份申报的专家都已谢绝或回避，没有专家在评（GDSZ-2025-0301）：请在“专家库”中添加其他单位的专家（或提高评审上限），再点“分配专家”补足，之后再汇总。',
    );
  });

  it('shows on its panel card how many places are empty, with 分配专家, which fills them', async () => {
    const panel = await h.click(ADMIN, { action: 'review.panel', applicationId: first });
    expectValidCard(panel.card.data);
    expect(cardText(panel.card.data)).toContain('专家组缺 3 位');
    expect(cardActions(panel.card.data).map((a) => a.action)).toContain('review.assign');
    // the other panel is full: no such line, no such button
    const full = await h.click(ADMIN, { action: 'review.panel', applicationId: second });
    expect(cardText(full.card.data)).not.toContain('专家组缺');
    expect(cardActions(full.card.data).map((a) => a.action)).not.toContain('review.assign');

    await h.click(ADMIN, { action: 'experts.add' }, { experts: MORE, organization: '专家委员会', specialities: '道路', maxLoad: '10' });
    const assign = cardActions(panel.card.data).find((a) => a.action === 'review.assign')!;
    expect((await h.click(ADMIN, assign)).toast.type).toBe('success');
    const refilled = await db().select().from(assignments).where(eq(assignments.applicationId, first));
    expect(refilled.filter((a) => a.status === 'assigned').map((a) => a.expertOpenId).sort()).toEqual(MORE);
    const again = await h.click(ADMIN, { action: 'review.panel', applicationId: first });
    expect(cardText(again.card.data)).not.toContain('专家组缺');
  });

  it('after which 结束评分并汇总 names it as waiting for its experts', async () => {
    const refused = await h.click(ADMIN, { action: 'results.close', cycleId });
    expect(refused.toast.content).toBe(
      '还有 2 份申报未完成评分（GDSZ-2025-0301、GDSZ-2025-0302）。待评的专家会在评分截止（2027年6月30日）前 3 天、前 1 天和逾期后收到提醒，可等其提交，或在“评审进度”中打开该申报的专家组“更换专家”，之后再汇总。',
    );
  });
});
