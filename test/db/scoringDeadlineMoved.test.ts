import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, conflicts, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, inputValues } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 修改设置 moving 专家评分截止日期 while experts hold task cards naming the old date: each expert with sheets still to
 * submit is told the new date and how many are left (not those they must step aside from), once; an expert with none
 * left, or another setting changed, tells nobody. On both paths (the one-statement save hands a moved deadline to the ordinary one).
 */
const EXPERTS = ['ou_deadlinemoved0000000000000000001', 'ou_deadlinemoved0000000000000000002', 'ou_deadlinemoved0000000000000000003'];

for (const mode of MODES_HERE) {
  describe(`评分截止 moved while experts hold task cards (${mode})`, () => {
    let h: Harness;
    let cycleId: number;
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2030 }));
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
      await h.drain();
      // the third expert has nothing left to score: their tasks were given to others
      await h.db.db.update(assignments).set({ status: 'replaced' }).where(and(eq(assignments.cycleId, cycleId), eq(assignments.expertOpenId, EXPERTS[2])));
      // the second must step aside from one of their two (a conflict declared with the team, 第十七条): one left to score
      const [task] = await h.db.db
        .select({ teamId: applications.teamId })
        .from(assignments)
        .innerJoin(applications, eq(applications.id, assignments.applicationId))
        .where(and(eq(assignments.cycleId, cycleId), eq(assignments.expertOpenId, EXPERTS[1])))
        .limit(1);
      await h.db.db.insert(conflicts).values({ expertOpenId: EXPERTS[1], teamId: task.teamId, reason: '亲属' });
    });
    afterAll(async () => h?.close());

    const save = async (changes: Record<string, string>) => {
      const form = await h.click(ADMIN, { action: 'cycle.settings', cycleId });
      const fv = Object.fromEntries(Object.entries(inputValues(form.card.data)).filter(([, v]) => v !== undefined));
      h.fake.reset();
      const r = await h.click(ADMIN, cardActions(form.card.data).find((a) => a.action === 'cycle.settingsSave')!, { ...fv, ...changes });
      await h.drain();
      return r;
    };
    const toExperts = () => h.fake.messages.filter((m) => EXPERTS.includes(m.receiveId));

    it('moved earlier: each expert with sheets to submit is told the old and new dates and how many are left', async () => {
      const r = await save({ scoringDeadline: '2030-06-05' });
      expect(r.toast.type).toBe('success');
      const told = toExperts();
      expect(told.map((m) => m.receiveId).sort()).toEqual([EXPERTS[0], EXPERTS[1]]);
      const textOf = (who: string) => {
        const m = told.find((x) => x.receiveId === who)!;
        return (typeof m.content === 'string' ? JSON.parse(m.content) : m.content).text as string;
      };
      for (const who of [EXPERTS[0], EXPERTS[1]]) {
        expect(textOf(who)).toContain('2030年6月30日');
        expect(textOf(who)).toContain('改为2030年6月5日');
      }
      // a task to step aside from is not one to submit
      expect(textOf(EXPERTS[0])).toMatch(/还有 2 份评分未提交/);
      expect(textOf(EXPERTS[1])).toMatch(/还有 1 份评分未提交/);
    });

    it('another setting changed tells no expert', async () => {
      const r = await save({ reviewMeetingDate: '2030-07-20' });
      expect(r.toast.type).toBe('success');
      expect(toExperts()).toHaveLength(0);
    });
  });
}
