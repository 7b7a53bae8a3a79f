import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { enqueue } from '../../src/outbox.js';
import { taskApplicationMessage } from '../../src/review/taskCards.js';
import { cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 第十七条 (公开、公平和公正): the 申报表 is for the experts who review it. 查看申报表全文 pressed on the old score sheet of
 * a task the expert no longer holds (given to another expert by 更换专家, declined by 谢绝), or of a team they must step
 * aside from (a conflict declared after submitting, the sheet reopened since), sends no 申报表: the toast says why, on
 * both paths, and nothing goes out; one queued before and drawn after the task left them is not sent either. An expert
 * still on the panel gets it as before.
 */
const EXPERTS = ['ou_offpanel0000000000000000000001', 'ou_offpanel0000000000000000000002', 'ou_offpanel0000000000000000000003', 'ou_offpanel0000000000000000000004', 'ou_offpanel0000000000000000000005', 'ou_offpanel0000000000000000000006'];
const NOT_SENT = '申报表全文不再发给你';

for (const mode of MODES_HERE) {
  describe(`查看申报表全文 once off the panel (${mode})`, () => {
    let h: Harness;
    let tasks: { id: number; expertOpenId: string }[];
    let code: string;
    let title: string;
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const { cycleId } = await seedLargeCycle(h.db.db, { applications: 1, experts: 0, organizations: 2, year: 2030 });
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id, expertOpenId: assignments.expertOpenId }).from(assignments).orderBy(asc(assignments.id));
      expect(tasks.length).toBe(3);
      const [row] = await h.db.db.select({ code: teams.code, form: applications.form }).from(teams).innerJoin(applications, eq(applications.teamId, teams.id));
      code = row.code;
      title = (row.form as { title: string }).title;
    });
    afterAll(async () => h?.close());

    /** 查看申报表全文 pressed by the task's expert: the toast, and what they were sent. */
    async function press(t: { id: number; expertOpenId: string }) {
      h.clock.advance(60_000);
      h.fake.reset();
      const r = await h.click(t.expertOpenId, { action: 'review.application', assignmentId: t.id });
      return { toast: r.toast as { type: string; content: string }, sent: h.fake.messages.filter((m) => m.receiveId === t.expertOpenId).map((m) => cardText(m.content)) };
    }

    it('an expert still on the panel gets the 申报表', async () => {
      const { toast, sent } = await press(tasks[0]);
      expect(toast.type).toBe('success');
      expect(sent.join('\n')).toContain(title);
    });

    it('a 申报表 queued while on the panel and still to go out when the task is given to another expert is not sent', async () => {
      const t = tasks[0];
      h.clock.advance(60_000);
      expect(await h.db.db.transaction((tx) => enqueue(tx, taskApplicationMessage(t, h.clock.now())))).toBe(true);
      h.fake.reset();
      // drawn when it is sent: by then the task is another expert's
      await h.db.db.update(assignments).set({ status: 'replaced' }).where(eq(assignments.id, t.id));
      await h.drain();
      expect(h.fake.messages.filter((m) => m.receiveId === t.expertOpenId)).toEqual([]);
      await h.db.db.update(assignments).set({ status: 'assigned' }).where(eq(assignments.id, t.id));
    });

    it('given to another expert by 更换专家: refused, nothing sent', async () => {
      const t = tasks[0];
      expect((await h.click(ADMIN, { action: 'review.swap', assignmentId: t.id })).toast.type).toBe('success');
      const { toast, sent } = await press(t);
      expect(toast.content).toContain('改派给其他专家');
      expect(toast.content).toContain(NOT_SENT);
      expect(toast.content).not.toContain(title);
      expect(sent).toEqual([]);
    });

    it('declined by 谢绝: refused, nothing sent', async () => {
      const t = tasks[1];
      expect((await h.click(t.expertOpenId, { action: 'review.decline', assignmentId: t.id }, { kind: 'unavailable', reason: '评审期间出差' })).toast.type).toBe('success');
      const { toast, sent } = await press(t);
      expect(toast.content).toContain('你已谢绝这项评分任务');
      expect(toast.content).toContain(NOT_SENT);
      expect(sent).toEqual([]);
    });

    it('a conflict declared after submitting, and the sheet reopened since: refused, nothing sent', async () => {
      const t = tasks[2];
      expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(88))).toast.type).toBe('success');
      const declared = await h.click(t.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: code, reason: '亲属在该班组' });
      expect(declared.toast.type, declared.toast.content).toBe('success');
      const submitted = await press(t);
      expect(submitted.toast.content).toContain('须回避');
      expect(submitted.toast.content).toContain(NOT_SENT);
      expect(submitted.sent).toEqual([]);
      // 重开评分 gives the sheet back to be scored: still theirs to step aside from
      const reopenedBy = await h.click(ADMIN, { action: 'review.reopen', assignmentId: t.id });
      // reopened, the administrator told the expert was sent nothing and is to be swapped
      expect(reopenedBy.toast.content).toContain('已重开评分');
      const [row] = await h.db.db.select({ status: assignments.status }).from(assignments).where(eq(assignments.id, t.id));
      expect(row.status).toBe('assigned');
      const reopened = await press(t);
      expect(reopened.toast.content).toContain('须回避');
      expect(reopened.toast.content).toContain(NOT_SENT);
      expect(reopened.sent).toEqual([]);
    });
  });
}
