import { describe, expect, it } from 'vitest';
import { aggregatePanel, decideResults, median, type PanelScore, panelOutliers, round2 } from '../src/review/aggregation.js';
import { defaultScoreSheet, sheetItems } from '../src/scoreSheet.js';

/** A score sheet of the default sheet adding up to `total`: every item at its max, then points taken off in order. */
function sheetScoring(total: number): Record<string, number> {
  let off = 100 - total;
  const scores: Record<string, number> = {};
  for (const item of sheetItems(defaultScoreSheet)) {
    const cut = Math.min(item.max, off);
    scores[item.code] = item.max - cut;
    off -= cut;
  }
  return scores;
}

const panel = (totals: number[]): PanelScore[] =>
  totals.map((total, i) => ({ assignmentId: i + 1, expertOpenId: `ou_e${i + 1}`, total, scores: sheetScoring(total) }));

describe('aggregatePanel', () => {
  it('averages three totals, rounded to two decimals', () => {
    const r = aggregatePanel(defaultScoreSheet, panel([90, 85.5, 88]));
    expect(r.finalScore).toBe(87.83); // 263.5 / 3 = 87.8333…
    expect(r.rule).toBe('mean');
    expect(r.dropped).toEqual([]);
    expect(r.counted).toEqual([1, 2, 3]);
  });

  it('drops the highest and the lowest with five experts (hand computation)', () => {
    const r = aggregatePanel(defaultScoreSheet, panel([95, 95.5, 96, 94, 93]));
    // 93 and 96 dropped: (94 + 95 + 95.5) / 3 = 94.8333…
    expect(r.finalScore).toBe(94.83);
    expect(r.rule).toBe('trimmedMean');
    expect(r.dropped.sort()).toEqual([3, 5]);
    expect(r.counted).toEqual([1, 2, 4]);
  });

  it('averages the area subtotals over the counted sheets only', () => {
    const r = aggregatePanel(defaultScoreSheet, panel([100, 90, 80, 70, 10]));
    // counted: 90, 80, 70 → mean 80, and the areas add up to it
    expect(r.finalScore).toBe(80);
    expect(round2(r.areas.reduce((n, a) => n + a.score, 0))).toBe(80);
    expect(r.areas.map((a) => a.max)).toEqual([20, 10, 15, 15, 10, 15, 15]);
  });

  it('gives back the cents the rounding of the areas lost or gained: the areas add up to the final score', () => {
    const full = () => Object.fromEntries(sheetItems(defaultScoreSheet).map((it) => [it.code, it.max]));
    const less = (...codes: string[]) => {
      const s = full();
      for (const c of codes) s[c] -= 1;
      return s;
    };
    const sheets = (total: number, ...scores: Record<string, number>[]): PanelScore[] =>
      scores.map((s, i) => ({ assignmentId: i + 1, expertOpenId: `ou_e${i + 1}`, total, scores: s }));
    const added = (r: { areas: { score: number }[] }) => round2(r.areas.reduce((n, a) => n + a.score, 0));

    // three 99s, each a point off another area: 19.67 + 9.67 + 14.67 + 15 + 10 + 15 + 15 would be 99.01; the cent
    // comes off the first of the areas rounded up alike
    const up = aggregatePanel(defaultScoreSheet, sheets(99, less('1.1'), less('2.1'), less('3.1')));
    expect(up.finalScore).toBe(99);
    expect(up.areas.map((a) => a.score)).toEqual([19.66, 9.67, 14.67, 15, 10, 15, 15]);
    expect(added(up)).toBe(99);

    // three 98s, each two points off: 19.33 + 9.33 + 14.33 + … would be 97.99; the cent goes to the first rounded down
    const down = aggregatePanel(defaultScoreSheet, sheets(98, less('1.1', '2.1'), less('2.1', '3.1'), less('3.1', '1.1')));
    expect(down.finalScore).toBe(98);
    expect(down.areas.map((a) => a.score)).toEqual([19.34, 9.33, 14.33, 15, 10, 15, 15]);
    expect(added(down)).toBe(98);

    // never below 0 nor above an area's maximum: the cent comes off the first area above 0, and none goes to full areas
    const zero = aggregatePanel(defaultScoreSheet, sheets(0, { '2.1': 0.01 }));
    expect(zero.areas.map((a) => a.score)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    const top = aggregatePanel(defaultScoreSheet, sheets(100.01, full()));
    expect(top.areas.map((a) => a.score)).toEqual([20, 10, 15, 15, 10, 15, 15]);
  });

  it('flags a total more than 15 points from the median, not one exactly 15 away', () => {
    expect(median([88.5, 90.5, 85.5, 40.5])).toBe(87);
    expect(panelOutliers(panel([88.5, 90.5, 85.5, 40.5]))).toEqual([{ assignmentId: 4, expertOpenId: 'ou_e4', total: 40.5, median: 87, distance: 46.5 }]);
    expect(panelOutliers(panel([80, 80, 65]))).toEqual([]);
    expect(panelOutliers(panel([80, 80, 64.5]))).toHaveLength(1);
  });

  it('has no final score without a submitted sheet', () => {
    expect(aggregatePanel(defaultScoreSheet, []).finalScore).toBeNull();
  });
});

describe('decideResults', () => {
  const r = (applicationId: number, finalScore: number) => ({ applicationId, finalScore, tieBreak: `GDSZ-${applicationId}` });

  it('ranks with shared ranks on ties, awards at the threshold and recommends the top share (at least one)', () => {
    const d = decideResults([r(1, 76.25), r(2, 88.17), r(3, 94.83), r(4, 88.17), r(5, 85)], { awardThreshold: 85, recommendShare: 0.1 });
    expect(d.map((x) => [x.applicationId, x.rank, x.awarded, x.recommended])).toEqual([
      [3, 1, true, true],
      [2, 2, true, false],
      [4, 2, true, false],
      [5, 4, true, false],
      [1, 5, false, false],
    ]);
  });

  it('recommends the top share of the titled teams, a tie at the cut included', () => {
    const many = Array.from({ length: 20 }, (_, i) => r(i + 1, 100 - i));
    many[2] = r(3, 99); // ties with the second
    const d = decideResults(many, { awardThreshold: 85, recommendShare: 0.1 });
    // 16 titled (85..100) → 10 % is 1.6 → 1, plus nobody tied with 100
    expect(d.filter((x) => x.recommended).map((x) => x.applicationId)).toEqual([1]);
    const d2 = decideResults(many, { awardThreshold: 85, recommendShare: 0.125 });
    // 16 × 0.125 = 2 → the second place is 99, shared by two teams
    expect(d2.filter((x) => x.recommended).map((x) => x.applicationId)).toEqual([1, 2, 3]);
  });

  it('recommends nobody when nobody has the title or the share is zero', () => {
    expect(decideResults([r(1, 80)], { awardThreshold: 85, recommendShare: 0.1 }).some((x) => x.recommended)).toBe(false);
    expect(decideResults([r(1, 90)], { awardThreshold: 85, recommendShare: 0 }).some((x) => x.recommended)).toBe(false);
  });
});
