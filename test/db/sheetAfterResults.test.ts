import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles, people } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet, scoreSheetToText } from '../../src/scoreSheet.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 载入评分表 on a year past its applications says why in the words of its stage (第十八条): a year whose results are
 * published says so, where it was told “专家评分开始后不能再更换评分表”; a year being scored still hears that.
 */

let h: Harness;
let published: number;
let scoring: number;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-04-10T09:00:00+08:00'), admins: [ADMIN] });
  await h.db.db.insert(people).values([{ openId: ADMIN, name: '王管理员' }]);
  const [p] = await h.db.db.insert(cycles).values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet }).returning();
  const [s] = await h.db.db.insert(cycles).values({ year: 2027, status: 'scoring', applicationDeadline: '2027-03-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet }).returning();
  published = p.id;
  scoring = s.id;
});
afterAll(async () => {
  await h?.close();
});

const sheet = { ...defaultScoreSheet, title: '另一份评分表' };

describe('载入评分表 on a year past its applications', () => {
  it('last year’s card, results published: 载入评分表 says the results are out', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.sheetForm', cycleId: published });
    expect(res.toast.content).toBe('第十八条：评审依据《质量信得过班组建设评分表》，2026年度评审结果已公布，不能再更换评分表。');
    expect(res.toast.content).not.toContain('专家评分开始后');
  });

  it('a sheet sent on a form of that year is refused in the same words, and nothing changes', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.sheetLoad', cycleId: published }, { sheet: scoreSheetToText(sheet) });
    expect(res.toast.content).toBe('第十八条：评审依据《质量信得过班组建设评分表》，2026年度评审结果已公布，不能再更换评分表。');
    const [row] = await h.db.db.select().from(cycles).where(eq(cycles.id, published));
    expect((row.scoreSheet as { title: string }).title).toBe(defaultScoreSheet.title);
  });

  it('a year being scored: scoring has started', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.sheetForm', cycleId: scoring });
    expect(res.toast.content).toBe('第十八条：评审依据《质量信得过班组建设评分表》，2027年度评审已进入专家评分，专家评分开始后不能再更换评分表。');
  });
});
