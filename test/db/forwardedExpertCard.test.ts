import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 我的评分任务 / 开始下一份评分 on an expert's card forwarded to someone who is no expert told them “…暂未给你分配评分任务。
 * 分配后我会通知你。”, a promise that is false for them: they are told the card is another expert's scoring task and they
 * have none. An expert with no task of that application is told the task is not theirs; an expert with no task yet keeps
 * “暂未给你分配评分任务”.
 */
const EXPERTS = ['ou_forwardedcard000000000000000001', 'ou_forwardedcard000000000000000002', 'ou_forwardedcard000000000000000003'];
const IDLE_EXPERT = 'ou_forwardedidle000000000000000001';
const STRANGER = 'ou_forwardedstranger00000000000001';

for (const mode of MODES_HERE) {
  describe(`an expert's card forwarded to someone else (${mode})`, () => {
    let h: Harness;
    let cycleId: number;
    let tasks: { id: number; expertOpenId: string }[];
    let team: { contactOpenId: string | null };
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 1, experts: 0, organizations: 2, year: 2030 }));
      await h.db.db.insert(people).values([...EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })), { openId: STRANGER, name: '转发对象' }]);
      expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id, expertOpenId: assignments.expertOpenId }).from(assignments).orderBy(asc(assignments.id));
      expect(tasks.length).toBe(3);
      [team] = await h.db.db.select({ contactOpenId: teams.contactOpenId }).from(teams).innerJoin(applications, eq(applications.teamId, teams.id));
    });
    afterAll(async () => h?.close());

    it('someone who is no expert, pressing an expert’s buttons forwarded to them: the card is another expert’s, and they have no task', async () => {
      const t = tasks[0];
      const told = '这张卡片属于其他评审专家的评分任务。你不是评审专家，没有评分任务。';
      for (const who of [STRANGER, team.contactOpenId!]) {
        const list = await h.click(who, { action: 'review.list', from: t.id });
        expect(list.toast?.content).toBe(told);
        expect(JSON.stringify(list)).not.toContain('分配后我会通知你');
        const next = await h.click(who, { action: 'review.next', cycleId });
        expect(next.toast?.content).toBe(told);
        expect(JSON.stringify(next)).not.toContain('分配后我会通知你');
      }
    });

    it('an expert with no task of that application is told it is not theirs; with no task yet, the list still says so', async () => {
      await h.db.db.insert(people).values({ openId: IDLE_EXPERT, name: '空闲专家', roles: ['expert'] });
      const list = await h.click(IDLE_EXPERT, { action: 'review.list', from: tasks[0].id });
      expect(list.toast?.content).toBe('这张卡片上的评分任务属于其他评审专家，不是你的。');
      expect(cardText(list.card.data)).toContain('2030年度评审暂未给你分配评分任务。分配后我会通知你。');
      const own = await h.click(IDLE_EXPERT, { action: 'review.list' });
      expect(own.toast).toBeUndefined();
      expect(cardText(own.card.data)).toContain('2030年度评审暂未给你分配评分任务。分配后我会通知你。');
    });
  });
}
