import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * Feishu takes a card's clicks only within 14 days of sending its message (230031 after). A task card sent on June 1
 * for a 评分截止 of June 30 stops taking 提交评分 on June 15: its note names that day and what to do then (send “评分”
 * and open the sheet again); a card sent within 14 days of the deadline outlives the scoring and says nothing of it.
 */

const EXPERT = 'ou_clickexpert0000000000000000001';
const COLLEAGUES = ['ou_clickexpert0000000000000000002', 'ou_clickexpert0000000000000000003'];
const fields = scoreFields(defaultScoreSheet);
const fullMarks = (): Record<string, string> => ({ ...Object.fromEntries(fields.map((f) => [f.field, String(f.max)])), comment: '' });
const DATED = '本卡片发出 14 天后（2030年6月15日）无法再提交，届时请发送“评分”重新打开评分表。';
const UNDATED = '飞书卡片发出 14 天后无法再提交，届时请发送“评分”重新打开评分表。';

for (const mode of MODES_HERE) {
  describe(`a task card and Feishu's 14 days (${mode})`, () => {
    let h: Harness;
    let tasks: { id: number }[];
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const fx = await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2030 });
      await h.db.db.insert(people).values([EXPERT, ...COLLEAGUES].map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      const closed = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId });
      expect(closed.toast.type).toBe('success');
      await h.drain();
      tasks = await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.expertOpenId, EXPERT)).orderBy(asc(assignments.id));
      expect(tasks).toHaveLength(2);
    });
    afterAll(async () => h?.close());

    const sheetsOf = (assignmentId: number) =>
      h.fake.messages.filter((m) => m.receiveId === EXPERT && cardActions(m.content).some((a) => a.action === 'review.submit' && a.assignmentId === assignmentId));

    it('the card sent on June 1 names June 15, the day Feishu stops taking its 提交评分, before the 评分截止 of June 30', async () => {
      const [sheet] = sheetsOf(tasks[0].id);
      expectValidCard(sheet.content);
      expect(cardText(sheet.content)).toContain('评分截止：2030年6月30日。');
      expect(cardText(sheet.content)).toContain(DATED);
      // June 14: the card still takes the click (an item out of range is refused by the bot, not by Feishu)
      h.clock.set('2030-06-14T20:00:00+08:00');
      const submit = cardActions(sheet.content).find((a) => a.action === 'review.submit')!;
      const early = await h.clickCard(EXPERT, sheet.messageId, submit, { ...fullMarks(), [fields[0].field]: '99' });
      expect(early.refused).toBeUndefined();
      expect(early.body.toast?.type).toBe('error');
      // June 16, as the note said: Feishu refuses the click, nothing reaches the bot
      h.clock.set('2030-06-16T09:00:00+08:00');
      const late = await h.clickCard(EXPERT, sheet.messageId, submit, fullMarks());
      expect(late.refused?.code).toBe(230031);
      expect((await h.db.db.select().from(assignments).where(eq(assignments.id, tasks[0].id)))[0].status).toBe('assigned');
    });

    it('“评分” as the note says: the sheet opened from the new list submits; in place of the list it cannot name a day', async () => {
      h.fake.reset();
      await h.say(EXPERT, '评分');
      const list = [...h.fake.messages].reverse().find((m) => m.receiveId === EXPERT)!;
      const open = cardActions(list.content).find((a) => a.action === 'review.open' && a.assignmentId === tasks[0].id)!;
      const opened = await h.clickCard(EXPERT, list.messageId, open);
      const text = cardText(opened.body.card.data);
      expect(text).toContain(UNDATED);
      expect(text).not.toContain('本卡片发出 14 天后（');
      const submit = cardActions(opened.body.card.data).find((a) => a.action === 'review.submit')!;
      const done = await h.clickCard(EXPERT, list.messageId, submit, fullMarks());
      expect(done.body.toast?.type).toBe('success');
      expect((await h.db.db.select().from(assignments).where(eq(assignments.id, tasks[0].id)))[0].status).toBe('submitted');
    });

    it('a card sent on June 20 is clickable past the 评分截止 of June 30: its note says nothing of 14 days', async () => {
      h.clock.set('2030-06-20T09:00:00+08:00');
      const reopened = await h.click(ADMIN, { action: 'review.reopen', assignmentId: tasks[0].id });
      expect(reopened.toast?.type).toBe('success');
      await h.drain();
      const sheet = sheetsOf(tasks[0].id).at(-1)!;
      expect(cardText(sheet.content)).toContain('协会管理员已重开这份评分');
      expect(cardText(sheet.content)).toContain('评分截止：2030年6月30日。');
      expect(cardText(sheet.content)).not.toContain('14 天');
    });
  });
}
