import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, bulkJobs, outbox } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { aggregation } from '../../src/review/results.js';
import { cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES } from '../support/worlds.js';

/**
 * Four titles tied at one score under a 10% 择优推荐比例 (第二十条): the share gives one place, and the teams tied with it
 * are recommended with it, so all four are. The toast and the preview said “推荐 4 个（获称号班组的前 10%）”, which reads
 * as a miscount; they say that one place is the share's and three tie with it, before the association publishes.
 */
const WAYS = [...MODES, 'job'] as const;
const inCallbackMax = aggregation.inCallbackMax;

describe.each(WAYS)('结束评分并汇总 with teams tied at the last recommended place (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    if (mode === 'job') aggregation.inCallbackMax = 1;
    ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 4, experts: 12, organizations: 8, year: 2030 }));
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    const tasks = await h.db.db.select().from(assignments).orderBy(asc(assignments.id));
    for (const t of tasks) expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(88))).toast?.type).toBe('success');
  }, 120_000);
  afterAll(async () => {
    aggregation.inCallbackMax = inCallbackMax;
    await h?.close();
  });

  it('says how many places the share gives and how many tie with them', async () => {
    const counts = '授予称号 4 个，推荐 4 个（1 个按推荐比例，另有 3 个与之同分并列）';
    if (mode === 'job') {
      expect((await h.click(ADMIN, { action: 'results.close', cycleId }, undefined, { messageId: 'om_tied_job' })).toast.type).toBe('success');
      await h.app.bulkJobs.drain();
      const [job] = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'));
      expect(job.status).toBe('done');
      const [final] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `bulk:${job.id}:card:final`));
      expect(JSON.stringify(final.card)).toContain(`${counts}。请点“评审结果”核对后公布。`);
    } else {
      const closed = await h.click(ADMIN, { action: 'results.close', cycleId });
      expect(closed.toast.content).toBe(`已汇总 4 份申报：${counts}。请核对后公布。`);
    }
    const shown = await h.click(ADMIN, { action: 'results.preview', cycleId });
    expect(cardText(shown.card.data)).toMatch(/推荐全国性协会\**：4 个（获称号班组的前 10% 为 1 个，另有 3 个与之同分并列，一并推荐，第二十条）/);
  });
});
