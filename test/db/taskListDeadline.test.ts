import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, cycles, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoringReminderRenderer } from '../../src/jobs/reminderCards.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 评分 (the expert's task list) heads the list with the year's 评分截止, by the bot's day in its time zone; past it, with
 * tasks still to score while the year is scoring, it says by how many days. All scored, or scoring ended, it is not overdue.
 */

const EXPERT = 'ou_listexpert00000000000000000001';
const COLLEAGUES = ['ou_listexpert00000000000000000002', 'ou_listexpert00000000000000000003'];
const fields = scoreFields(defaultScoreSheet);
const fullMarks = (): Record<string, string> => ({ ...Object.fromEntries(fields.map((f) => [f.field, String(f.max)])), comment: '' });

for (const mode of MODES_HERE) {
  describe(`评分 and the 评分截止 (${mode})`, () => {
    let h: Harness;
    let cycleId: number;
    let tasks: { id: number }[];
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const fx = await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2030 });
      cycleId = fx.cycleId;
      await h.db.db.insert(people).values([EXPERT, ...COLLEAGUES].map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      const closed = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
      expect(closed.toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.expertOpenId, EXPERT)).orderBy(asc(assignments.id));
      expect(tasks).toHaveLength(2);
    });
    afterAll(async () => h?.close());

    /** The list “评分” sends now, as text. */
    async function listText(): Promise<string> {
      h.fake.reset();
      await h.say(EXPERT, '评分');
      const list = [...h.fake.messages].reverse().find((m) => m.receiveId === EXPERT)!;
      expectValidCard(list.content);
      return cardText(list.content);
    }
    const heading = (text: string) => text.split('\n').find((l) => l.includes('已完成'));

    it('before the deadline: the heading names it, not overdue', async () => {
      expect(heading(await listText())).toBe('**2030年度评审 · 已完成 0 / 2 · 评分截止 2030年6月30日**');
    });

    it('on the deadline day (its last minutes in the bot’s time zone) it is not yet overdue', async () => {
      h.clock.set('2030-06-30T23:50:00+08:00');
      expect(await listText()).not.toContain('已逾期');
    });

    it('past it with tasks still to score: 已逾期 N 天, by the bot’s day, in place (review.list) too', async () => {
      // 2030-07-02T17:00Z is July 3 in Asia/Shanghai: three days past June 30
      h.clock.set('2030-07-02T17:00:00Z');
      const text = await listText();
      expect(heading(text)).toBe("**2030年度评审 · 已完成 0 / 2 · 评分截止 2030年6月30日**<font color='red'>（已逾期 3 天）</font>");
      const list = [...h.fake.messages].reverse().find((m) => m.receiveId === EXPERT)!;
      const refresh = cardActions(list.content).find((a) => a.action === 'review.list')!;
      const again = await h.clickCard(EXPERT, list.messageId, refresh);
      expect(cardText(again.body.card.data)).toContain('（已逾期 3 天）');
    });

    it('the sheet opened past the deadline says it has passed and still takes 提交评分; before it, only the date', async () => {
      const opened = await h.click(EXPERT, { action: 'review.open', assignmentId: tasks[1].id });
      expect(cardText(opened.card.data)).toContain('评分截止：2030年6月30日（已过；这份评分仍可提交，请尽快完成）。');
      h.clock.set('2030-06-30T23:50:00+08:00');
      const before = await h.click(EXPERT, { action: 'review.open', assignmentId: tasks[1].id });
      expect(cardText(before.card.data)).toContain('评分截止：2030年6月30日。');
      h.clock.set('2030-07-02T17:00:00Z');
    });

    it('all scored: the deadline stays, nothing overdue; scoring ended (结束评分): not overdue either', async () => {
      for (const t of tasks) {
        const done = await h.click(EXPERT, { action: 'review.submit', assignmentId: t.id }, fullMarks());
        expect(done.toast?.type).toBe('success');
      }
      const text = await listText();
      expect(heading(text)).toBe('**2030年度评审 · 已完成 2 / 2 · 评分截止 2030年6月30日**');
      await h.db.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
      await h.db.db.update(assignments).set({ status: 'assigned' }).where(eq(assignments.id, tasks[0].id));
      expect(await listText()).not.toContain('已逾期');
    });

    it('a sheet given again after the deadline (重开评分 then) is no fault of the expert: the list is not overdue, the reminder asks to score soon', async () => {
      await h.db.db.update(assignments).set({ status: 'submitted' }).where(eq(assignments.id, tasks[0].id));
      await h.db.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, cycleId));
      const reminder = async () => {
        const [drawn] = await scoringReminderRenderer(h.db.db, { timezone: 'Asia/Shanghai', clock: h.clock })([{ kind: 'scoringReminder', openId: EXPERT, cycleId }]);
        return cardText((drawn as { card: unknown }).card);
      };
      // 2030-07-03 in Beijing: the administrator reopens one of the expert's sheets
      h.clock.set('2030-07-03T10:00:00+08:00');
      h.fake.reset();
      expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: tasks[0].id })).toast?.type).toBe('success');
      await h.drain();
      // the sheet sent again says its deadline has passed and that it still takes 提交评分
      const sheet = h.fake.messages.find((m) => m.receiveId === EXPERT && cardText(m.content).includes('评分截止：'));
      expect(cardText(sheet!.content)).toContain('评分截止：2030年6月30日（已过；这份评分仍可提交，请尽快完成）。');
      h.clock.set('2030-07-05T09:00:00+08:00');
      expect(heading(await listText())).toBe('**2030年度评审 · 已完成 1 / 2 · 评分截止 2030年6月30日**');
      const asked = await reminder();
      expect(asked).toContain('请尽快完成评分');
      expect(asked).toContain('这些评分任务是截止后交给你的');
      expect(asked).not.toContain('已逾期');
      // a sheet given by the deadline and still not scored is overdue as before
      await h.db.db.update(assignments).set({ assignedAt: new Date('2030-06-01T09:00:00+08:00') }).where(eq(assignments.id, tasks[0].id));
      expect(heading(await listText())).toContain('（已逾期 5 天）');
      expect(await reminder()).toContain('评分已逾期 5 天');
    });
  });
}
