import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES, type Mode } from '../support/worlds.js';

/**
 * 第十五条: the contact recommended, then the association accepted the application (形式审查 受理) and its review went on.
 * Opened from an old 待确认的申报 list, or 推荐 tapped again on the request, the contact's card still said “已推荐 … 已报
 * 协会形式审查。”. It says the stage the application is at now, in one line, and no score.
 */

const L = 'ou_afteracceptleader000000000000001';
const C = 'ou_afteracceptcontact00000000000001';

describe.each(MODES)('the contact’s card once the association accepted what they recommended (%s)', (mode: Mode) => {
  it('says where the application is now, not that it waits for the formal check', async () => {
    const h: Harness = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    try {
      expect((await h.click(L, { action: 'team.register' }, registrationForm('协会受理班', C))).toast.type).toBe('success');
      h.clock.set('2027-03-10T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
      expect((await h.click(L, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
      const request = h.fake.messages.filter((m) => m.receiveId === C && cardActions(m.content).some((v) => v.action === 'endorse.recommend')).at(-1)!;
      const recommend = cardActions(request.content).find((v) => v.action === 'endorse.recommend')!;
      const done = await h.click(C, recommend, { truthful: true, opinion: '同意推荐' });
      expect(done.toast.type).toBe('success');
      // just recommended: it does wait for the formal check
      expect(cardText(done.card.data)).toContain('已报协会形式审查。');
      const list = (await h.click(ADMIN, { action: 'check.list' })).card.data;
      const accept = cardActions(list).find((v) => v.action === 'check.accept')!;
      expect((await h.click(ADMIN, accept)).toast.type).toBe('success');

      const stages: [string | undefined, string][] = [
        [undefined, '协会形式审查已受理，申报截止后由协会分配专家评审。'],
        ['scoring', '协会形式审查已受理，专家评审中。'],
        ['scored', '专家评审已完成，待协会公布结果。'],
        ['decided', '2027 年度评审结果已公布。'],
      ];
      for (const [status, line] of stages) {
        if (status) await h.db.db.update(applications).set({ status }).where(eq(applications.id, 1));
        const again = await h.click(C, recommend, { truthful: true, opinion: '同意推荐' });
        const opened = await h.click(C, { action: 'endorse.open', applicationId: 1 });
        for (const body of [again, opened]) {
          expectValidCard(body.card.data);
          const said = cardText(body.card.data);
          expect(said, status).toContain(line);
          expect(said, status).not.toContain('已报协会形式审查');
          expect(said, status).not.toMatch(/\d+(\.\d+)? ?分/);
        }
      }
    } finally {
      await h.close();
    }
  }, 120_000);
});
