import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, cycles, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * 第十七条: once 结束评分并汇总 has summed a year's scores, the settings that decide its results (the award threshold,
 * the recommended share, the experts per application) stay as they were, even when one sheet is reopened and the year
 * goes back to scoring; its dates may still move. On both paths (the one-statement settings save, and the ordinary).
 */
const EXPERTS = ['ou_reopenexpert00000000000000000001', 'ou_reopenexpert00000000000000000002', 'ou_reopenexpert00000000000000000003'];
const fields = scoreFields(defaultScoreSheet);

/** A score sheet totalling `total`, filled from the first item. */
function sheet(total: number): Record<string, string> {
  const out: Record<string, string> = { comment: '' };
  let left = total;
  for (const f of fields) {
    const v = Math.min(f.max, left);
    out[f.field] = String(v);
    left -= v;
  }
  return out;
}

describe.each(MODES_HERE)('settings after the scores were summed, then a sheet reopened (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 3, experts: 0, organizations: 3, year: 2030 }));
    await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i + 1}`, roles: ['expert'] })));
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses the threshold, the share and the panel size, keeps them, and still takes a date', async () => {
    const tasks = await h.db.db.select().from(assignments).orderBy(asc(assignments.id));
    expect(tasks).toHaveLength(9);
    for (const t of tasks) expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, sheet(84))).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: tasks[0].id })).toast?.type).toBe('success');
    const [reopened] = await h.db.db.select().from(cycles);
    expect(reopened.status).toBe('scoring');

    for (const typed of [{ awardThreshold: '80' }, { recommendShare: '1' }, { expertsPerApplication: '5' }, { dropExtremesFrom: '3' }, { outlierDistance: '5' }]) {
      const r = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, typed);
      expect(r.toast, JSON.stringify(typed)).toMatchObject({ type: 'error', content: expect.stringContaining('2030年度评分已汇总过一次') });
      expect(r.toast?.content).toContain('第十七条');
    }
    const [kept] = await h.db.db.select().from(cycles);
    expect([kept.awardThreshold, kept.recommendShare, kept.expertsPerApplication]).toEqual([85, 0.1, 3]);
    expect(kept.settings).toEqual({});

    // 第二十二条's run decides no result of the year: it may still change
    expect((await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { revocationRun: '3' })).toast?.type).toBe('success');

    const later = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { scoringDeadline: '2030-07-10' });
    expect(later.toast?.type).toBe('success');
    expect((await h.db.db.select().from(cycles))[0].scoringDeadline).toBe('2030-07-10');
  });
});
