import { asc, eq, notInArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 谢绝 answered “协会将安排其他专家” and its card “协会已收到，将由其他专家评审。”, and a second 谢绝 “…协会将另行安排专家，
 * 无需重复谢绝”, even when no expert was free to take the place: they say another expert was arranged when one was, and
 * otherwise that none could take it and the administrators were told (who are: 无法自动改派专家).
 */
const EXPERTS = ['ou_declineplace00000000000000000001', 'ou_declineplace00000000000000000002', 'ou_declineplace00000000000000000003'];
const SPARE = ['ou_declineplacespare000000000000001', 'ou_declineplacespare000000000000002'];

for (const mode of MODES_HERE) {
  describe(`谢绝 says whether another expert was arranged (${mode})`, () => {
    let h: Harness;
    let cycleId: number;
    let tasks: { id: number; expertOpenId: string }[];
    let team: { name: string };
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 1, experts: 0, organizations: 2, year: 2030 }));
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id, expertOpenId: assignments.expertOpenId }).from(assignments).orderBy(asc(assignments.id));
      expect(tasks.length).toBe(3);
      [team] = await h.db.db.select({ name: teams.name }).from(teams).innerJoin(applications, eq(applications.teamId, teams.id));
      // spare experts join the pool after the panel is full: free to take a place
      await h.db.db.insert(people).values(SPARE.map((openId, i) => ({ openId, name: `候补${i}`, roles: ['expert'] })));
    });
    afterAll(async () => h?.close());

    it('another expert free: 谢绝 says one was arranged, and so does a second 谢绝', async () => {
      const [t] = tasks;
      const declined = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(declined.toast).toEqual({ type: 'success', content: `已谢绝：${team.name}。协会已另行安排其他专家评审。` });
      expect(cardText(declined.card.data)).toContain('协会已另行安排其他专家评审。');
      const again = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(again.toast.content).toContain('谢绝这项评分任务，协会已另行安排专家，无需重复谢绝。');
      expect(cardText(again.card.data)).toContain('协会已另行安排其他专家评审。');
    });

    it('no expert free: 谢绝 says none could take the place and the administrators were told, and they are', async () => {
      const t = tasks[1];
      // nobody off the panel is left to take a place
      const onPanel = (await h.db.db.select({ openId: assignments.expertOpenId }).from(assignments)).map((a) => a.openId);
      await h.db.db.update(people).set({ expertActive: false }).where(notInArray(people.openId, onPanel));
      h.fake.reset();
      const declined = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(declined.toast).toEqual({ type: 'success', content: `已谢绝：${team.name}。暂无专家可以接替，已告知协会管理员另行安排。` });
      const shown = cardText(declined.card.data);
      expect(shown).toContain('暂无专家可以接替，已告知协会管理员另行安排。');
      expect(shown).not.toContain('将由其他专家评审');
      await h.drain();
      // the administrators learn the panel is short
      const alert = h.fake.messages.find((m) => m.receiveId === ADMIN && m.content?.header?.title?.content === '无法自动改派专家');
      expect(cardText(alert?.content)).toContain(team.name);
      const again = await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '出差' });
      expect(again.toast.content).toContain('谢绝这项评分任务，暂无专家可以接替，已告知协会管理员，无需重复谢绝。');
      expect(again.toast.content).not.toContain('协会将另行安排专家');
      expect(cardText(again.card.data)).toContain('暂无专家可以接替，已告知协会管理员另行安排。');
    });
  });
}
