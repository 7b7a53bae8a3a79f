import { describe, expect, it } from 'vitest';
import { type AdminCycleView, adminCard } from '../cards/admin.js';
import { bulkJobCard } from '../cards/bulk.js';
import { resultsPublishedCard } from '../cards/results.js';
import { progressCard } from '../cards/review.js';
import { cardActions, cardText, expectValidCard } from './support/cards.js';

/**
 * The administrator's cards at the ends of a year nobody applied to, and the spacing of a count. Publishing such a
 * year said every team's leader and contact had their result, and its progress 已通知 0 / 0; 结束评分并汇总's dialog
 * wrote “另有1 份” where every other line writes “另有 1 份”.
 */
describe('a year with no application', () => {
  it('the published results say there was no application to review, not that every team heard its result', () => {
    const card = resultsPublishedCard({ cycleId: 1, year: 2026, status: 'published', awardThreshold: 85, recommendShare: 0.1, lines: [], fileName: '2026年度质量信得过班组评审结果.xlsx' });
    expectValidCard(card);
    const text = cardText(card);
    expect(text).toContain('本年度没有参评的申报');
    expect(text).not.toContain('已收到各自的结果');
  });

  it('公布结果’s progress says there was nobody to tell, not 已通知 0 / 0', () => {
    for (const status of ['queued', 'done'] as const) {
      const card = bulkJobCard({ jobId: 1, kind: 'publish', cycleId: 1, year: 2026, status, done: 0, total: 0, seconds: 1 });
      expectValidCard(card);
      const text = cardText(card);
      expect(text).toContain('本年度没有申报，无需通知班组');
      expect(text).not.toContain('0 / 0');
    }
    // a year with applications counts as before
    expect(cardText(bulkJobCard({ jobId: 1, kind: 'publish', cycleId: 1, year: 2026, status: 'done', done: 3, total: 3, seconds: 1 }))).toContain('已通知 3 / 3');
  });
});

describe('结束评分并汇总’s dialog', () => {
  it('counts the applications still unconfirmed with a space, as the line above it does', () => {
    const card = progressCard({
      cycleId: 1, year: 2027, status: 'scoring', statusLabel: '专家评分中', applications: [{ label: '专家评审中', count: 1 }],
      tasks: { assigned: 3, submitted: 0, declined: 0, replaced: 0 }, pending: [], pendingTotal: 0,
      unconfirmed: { total: 1, teams: [{ code: 'GDSZ-2026-0001', name: '市政养护一班' }] },
    });
    expect(JSON.stringify(card)).toContain('另有 1 份申报仍待单位联系人确认');
    expect(JSON.stringify(card)).not.toContain('另有1 份');
  });
});

describe('协会管理 while the experts score', () => {
  const shown = (text: string) => ({ text, daysLeft: -1 });
  const cycle = (inReview: AdminCycleView['inReview']): AdminCycleView => ({
    id: 3, year: 2026, status: 'scoring', statusLabel: '专家评分中', applicationDeadline: shown('2026年5月1日'), scoringDeadline: shown('2026年6月30日'), reviewMeetingDate: shown('2026年7月15日'),
    awardThreshold: 85, expertsPerApplication: 3, recommendShare: 0.1, sheet: { title: '评分表', total: 100, items: 20 }, inReview,
  });
  const drawn = (inReview: AdminCycleView['inReview']) => adminCard({ today: '2027年3月10日', cycle: cycle(inReview), applicationCounts: [] });

  it('with no application at all: 结束评分并汇总 then 公布结果 end the year, and no 分配专家', () => {
    const card = drawn({ toScore: 0, scored: 0 });
    expectValidCard(card);
    expect(cardText(card)).toContain('本年度没有进入评审的申报');
    expect(cardActions(card).map((a) => a.action)).toContain('results.close');
    expect(cardActions(card).map((a) => a.action)).not.toContain('review.assign');
  });

  it('with every application scored, or some still scoring: 结束评分并汇总 beside 分配专家, and no word of an empty year', () => {
    for (const inReview of [{ toScore: 0, scored: 3 }, { toScore: 2, scored: 1 }]) {
      const card = drawn(inReview);
      expectValidCard(card);
      expect(cardText(card)).not.toContain('本年度没有进入评审的申报');
      expect(cardActions(card).map((a) => a.action)).toEqual(expect.arrayContaining(['results.close', 'review.assign']));
    }
  });
});
