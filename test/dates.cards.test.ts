import { describe, expect, it } from 'vitest';
import { digestCard, scoringDeadlineCard } from '../cards/reminders.js';
import { taskCard } from '../bot/review/view.js';
import type { Task } from '../src/review/scoring.js';
import { defaultScoreSheet } from '../src/scoreSheet.js';
import { cardText, expectValidCard } from './support/cards.js';

/** One date style for people: 2026年12月1日, never the ISO form the data keeps. */

const quiet = { overdueExperts: [], openComplaints: { total: 0, oldest: [] }, deadLetters: 0 };
const iso = /\d{4}-\d{2}-\d{2}|\d{4}-W\d{2}/;

describe('dates in the reminder cards read as people read them', () => {
  it('the daily digest names its day, the weekly one its week', () => {
    const daily = digestCard({ kind: 'daily', period: '2027-07-02', cycle: { year: 2027, statusLabel: '专家评分中', counts: [], scoringDeadline: '2027-06-30' }, ...quiet, overdueExperts: [{ openId: 'ou_e1', name: null, pending: 1 }] });
    expectValidCard(daily);
    expect(cardText(daily)).toContain('每日汇总 2027年7月2日');
    expect(cardText(daily)).toContain('截止 2027年6月30日');
    expect(cardText(daily)).not.toMatch(iso);
    const weekly = digestCard({ kind: 'weekly', period: '2027-W01', ...quiet, deadLetters: 1 });
    expectValidCard(weekly);
    expect(cardText(weekly)).toContain('每周汇总 2027年第1周');
    expect(cardText(weekly)).not.toMatch(iso);
  });

  it('the scoring reminder names the deadline', () => {
    const c = scoringDeadlineCard({ year: 2027, cycleId: 1, deadline: '2027-06-30', daysLeft: 3, pending: 2 });
    expect(cardText(c)).toContain('2027年6月30日');
    expect(cardText(c)).not.toMatch(iso);
  });
});

describe('the task card', () => {
  it('names the scoring deadline as people read it', () => {
    const task = {
      assignment: { id: 1, scores: null, comment: null },
      application: { form: { title: '提高修补合格率', category: 'maintenance' } },
      team: { code: 'GDSZ-2026-0001', name: '广州市政养护一班' },
      organization: '广州市市政工程维修有限公司',
      cycle: { id: 1, year: 2027, scoringDeadline: '2027-06-30', scoreSheet: defaultScoreSheet },
    } as unknown as Task;
    const c = taskCard(task);
    expectValidCard(c);
    expect(cardText(c)).toContain('评分截止：2027年6月30日');
    expect(cardText(c)).not.toMatch(iso);
  });
});
