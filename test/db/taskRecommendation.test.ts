import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { endorsementRecord } from '../../src/applications.js';
import { ManualClock } from '../../src/clock.js';
import { TASK_TEXT_SHOWN } from '../../cards/review.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 第十五条: the 申报表 reaches the association confirmed by the team's organisation with its 推荐意见. The experts who
 * score it read that recommendation beside the form: on the score sheet (its start, as the form's long texts), whole
 * under 查看申报表全文, and again on a sheet drawn after a refusal, on both paths. What the contact typed is shown as
 * typed: no mention, link or style of theirs becomes markup.
 */
const EXPERTS = ['ou_taskrecommend00000000000000000001', 'ou_taskrecommend00000000000000000002', 'ou_taskrecommend00000000000000000003'];
const E1 = EXPERTS[0];
const SHORT = '该班组<at id=all></at>长期坚持 **QC 活动**，[详见](https://example.com) 同意推荐。';
const LONG = `${'班组管理规范，质量目标明确，'.repeat(40)}结尾处的一句话。`;

for (const mode of MODES_HERE) {
  describe(`an expert reads the organisation's 推荐意见 (${mode})`, () => {
    let h: Harness;
    const tasks: Record<'short' | 'long' | 'none', number> = { short: 0, long: 0, none: 0 };
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const db = h.db.db;
      const { cycleId } = await seedLargeCycle(db, { applications: 3, experts: 0, organizations: 3, year: 2030 });
      await db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      const apps = await db.select({ id: applications.id }).from(applications).where(eq(applications.cycleId, cycleId)).orderBy(asc(applications.id));
      // as the contact's 推荐 stores it
      const now = new Date('2030-05-20T09:00:00+08:00');
      await db.update(applications).set({ endorsement: endorsementRecord('recommend', { truthful: true, opinion: SHORT }, 'ou_b2030_contact_1', now) }).where(eq(applications.id, apps[0].id));
      await db.update(applications).set({ endorsement: endorsementRecord('recommend', { truthful: true, opinion: LONG }, 'ou_b2030_contact_2', now) }).where(eq(applications.id, apps[1].id));
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
      await h.drain();
      const mine = await db.select({ id: assignments.id, applicationId: assignments.applicationId }).from(assignments).where(eq(assignments.expertOpenId, E1));
      const taskOf = (applicationId: number) => mine.find((a) => a.applicationId === applicationId)!.id;
      tasks.short = taskOf(apps[0].id);
      tasks.long = taskOf(apps[1].id);
      tasks.none = taskOf(apps[2].id);
    });
    afterAll(async () => h?.close());

    const sheetOf = (task: number) => h.fake.messages.find((m) => m.receiveId === E1 && cardActions(m.content).some((a) => a.action === 'review.submit' && a.assignmentId === task))!;

    it('the score sheet sent shows it as typed, no markup of the contact’s', async () => {
      const sheet = sheetOf(tasks.short);
      expectValidCard(sheet.content);
      expect(cardText(sheet.content)).toContain('单位推荐意见');
      const json = JSON.stringify(sheet.content);
      expect(json).not.toContain('<at id=all>');
      expect(json).not.toContain('**QC');
      expect(json).not.toContain('](https');
      expect(json).toContain('&#60;at id=all&#62;');
    });

    it('a long one: its start on the sheet, with 查看申报表全文, which shows it whole', async () => {
      const sheet = sheetOf(tasks.long);
      const text = cardText(sheet.content);
      expect(text).toContain('单位推荐意见');
      expect(text).toContain(LONG.slice(0, TASK_TEXT_SHOWN - 1));
      expect(text).not.toContain('结尾处的一句话');
      const show = cardActions(sheet.content).find((a) => a.action === 'review.application');
      expect(show).toEqual({ action: 'review.application', assignmentId: tasks.long });
      const before = h.fake.messages.length;
      await h.clickCard(E1, sheet.messageId, show!);
      const whole = h.fake.messages.slice(before).find((m) => m.receiveId === E1)!;
      expectValidCard(whole.content);
      expect(cardText(whole.content)).toContain(LONG);
    });

    it('an application without a recommendation shows none', async () => {
      expect(cardText(sheetOf(tasks.none).content)).not.toContain('单位推荐意见');
    });

    it('a sheet refused and drawn again still shows it', async () => {
      const sheet = sheetOf(tasks.short);
      const submit = cardActions(sheet.content).find((a) => a.action === 'review.submit')!;
      const form = scoreForm(90);
      const first = Object.keys(form).find((k) => k !== 'comment')!;
      const refused = await h.clickCard(E1, sheet.messageId, submit, { ...form, [first]: '999' });
      expect(refused.body.toast?.type).toBe('error');
      expect(cardText(refused.body.card.data)).toContain('单位推荐意见');
      expect(JSON.stringify(refused.body.card.data)).toContain('&#60;at id=all&#62;');
      // 我的评分任务 → 评分: the sheet drawn again from the task
      const opened = await h.click(E1, { action: 'review.open', assignmentId: tasks.short });
      expect(cardText(opened.card.data)).toContain('单位推荐意见');
    });
  });
}
