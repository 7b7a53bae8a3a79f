import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * What an expert reads of tasks gone from them, and of tasks to come:
 *
 * - 我的评分任务 with every task gone said “…项评分任务已谢绝或改派其他专家”, though the bot had stepped them aside from a
 *   team they joined (回避, 第十七条) and they declined nothing: the list counts what became of each (已谢绝, 因你声明利益冲突
 *   已谢绝, 须回避, 已由协会改派).
 * - An expert 停用 in 专家库 was promised “暂未给你分配评分任务。分配后我会通知你。”: told they are 停用 and to contact the
 *   association if that is wrong.
 */
const EXPERTS = ['ou_listtruth000000000000000000001', 'ou_listtruth000000000000000000002', 'ou_listtruth000000000000000000003'];
const IDLE = 'ou_listtruthidle000000000000000001';

for (const mode of MODES_HERE) {
  describe(`我的评分任务 once every task is gone (${mode})`, () => {
    let h: Harness;
    let cycleId: number;
    let teamRows: { id: number; code: string; applicationId: number }[];
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      // four teams of four organisations, three experts of none: each expert is on every panel
      ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 4, experts: 0, organizations: 4, year: 2030 }));
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
      await h.drain();
      teamRows = await h.db.db
        .select({ id: teams.id, code: teams.code, applicationId: applications.id })
        .from(teams)
        .innerJoin(applications, eq(applications.teamId, teams.id))
        .orderBy(asc(teams.code));
      expect(teamRows.length).toBe(4);
    });
    afterAll(async () => h?.close());

    const taskOf = async (openId: string, applicationId: number) => {
      const rows = await h.db.db.select({ id: assignments.id, applicationId: assignments.applicationId }).from(assignments).where(eq(assignments.expertOpenId, openId));
      const found = rows.find((a) => a.applicationId === applicationId);
      expect(found, `${openId} on ${applicationId}`).toBeDefined();
      return found!.id;
    };

    it('谢绝, 声明利益冲突, stepped aside by the bot and 更换专家: the list counts each as it happened, no “谢绝或改派” for a 回避', async () => {
      const [expert] = EXPERTS;
      const [t1, t2, t3, t4] = await Promise.all(teamRows.map((t) => taskOf(expert, t.applicationId)));
      // 谢绝
      const declined = await h.click(expert, { action: 'review.decline', assignmentId: t1 }, { kind: 'unavailable', reason: '出差' });
      expect(declined.toast.type, declined.toast.content).toBe('success');
      // 声明利益冲突
      const declared = await h.click(expert, { action: 'experts.conflictAdd' }, { kind: 'team', target: teamRows[1].code, reason: '亲属在该班组' });
      expect(declared.toast.type, declared.toast.content).toBe('success');
      // 更换专家 by an administrator
      // nobody off the panel to take the place: 已撤下原专家 (a warning), the task no longer theirs
      const swapped = await h.click(ADMIN, { action: 'review.swap', assignmentId: t3 });
      expect(swapped.toast.content).toContain('已撤下原专家');
      // the bot steps them aside: they became a member of the fourth team
      const added = await h.click(ADMIN, { action: 'team.memberAdd', teamId: teamRows[3].id }, { members: [expert] });
      expect(added.toast.type, added.toast.content).toBe('success');
      const statuses = new Map((await h.db.db.select({ id: assignments.id, status: assignments.status }).from(assignments).where(inArray(assignments.id, [t1, t2, t3, t4]))).map((r) => [r.id, r.status]));
      expect([t1, t2, t3, t4].map((t) => statuses.get(t))).toEqual(['declined', 'declined', 'replaced', 'declined']);

      const list = await h.click(expert, { action: 'review.list' });
      const text = cardText(list.card.data);
      expect(text).not.toContain('谢绝或改派');
      expect(text).toContain('你在2030年度的评分任务：1 项已谢绝，1 项因你声明利益冲突已谢绝（第十七条），1 项须回避（第十七条），1 项已由协会改派；目前没有待评任务。如有新的任务分配给你，我会通知你。');
    });

    it('only stepped aside by the bot and 更换专家: the list says 须回避 and 改派, no 谢绝', async () => {
      const expert = EXPERTS[1];
      for (const t of teamRows.slice(0, 3)) {
        const swapped = await h.click(ADMIN, { action: 'review.swap', assignmentId: await taskOf(expert, t.applicationId) });
        expect(swapped.toast.content).toContain('已撤下原专家');
      }
      const added = await h.click(ADMIN, { action: 'team.memberAdd', teamId: teamRows[3].id }, { members: [expert] });
      expect(added.toast.type, added.toast.content).toBe('success');
      const text = cardText((await h.click(expert, { action: 'review.list' })).card.data);
      expect(text).toContain('你在2030年度的评分任务：1 项须回避（第十七条），3 项已由协会改派；目前没有待评任务。');
      expect(text).not.toContain('已谢绝');
    });

    it('an expert 停用 in 专家库: with no task, told they are 停用, not promised a task; with every task gone, no promise either', async () => {
      await h.db.db.insert(people).values({ openId: IDLE, name: '空闲专家', roles: ['expert'], expertActive: false });
      const text = cardText((await h.click(IDLE, { action: 'review.list' })).card.data);
      expect(text).not.toContain('分配后我会通知你');
      expect(text).toContain('你在专家库中已停用，协会不会再给你分配评分任务。如有误，请联系协会管理员。');
      h.fake.reset();
      await h.say(IDLE, '评分');
      const sent = h.fake.messages.find((m) => m.receiveId === IDLE);
      expect(cardText(sent?.content)).toContain('你在专家库中已停用，协会不会再给你分配评分任务。');
      // the expert whose every task went (above), then 停用
      const [gone] = EXPERTS;
      await h.db.db.update(people).set({ expertActive: false }).where(eq(people.openId, gone));
      const theirs = cardText((await h.click(gone, { action: 'review.list' })).card.data);
      expect(theirs).toContain('1 项已由协会改派；目前没有待评任务。你在专家库中已停用，协会不会再给你分配评分任务。如有误，请联系协会管理员。');
      expect(theirs).not.toContain('我会通知你');
    });
  });
}
