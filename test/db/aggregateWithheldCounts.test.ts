import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, bulkJobs, honours, outbox, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { aggregation } from '../../src/review/results.js';
import { cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES } from '../support/worlds.js';

/**
 * 结束评分并汇总 of a year in which a team over the line had its title of last year revoked after its application was
 * accepted (E5, 第二十二条): the preview marks it 不授予称号 and 公布结果 gives it none. The toast beside the preview counts
 * the titles and recommendations as the preview does, not the one held back among them; so does the card of the job
 * that sums a large year.
 */
const WAYS = [...MODES, 'job'] as const;

const inCallbackMax = aggregation.inCallbackMax;

describe.each(WAYS)('结束评分并汇总 counts a title held back by a revocation as the preview does (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    // a year larger than the callback sums is summed by a job, whose card ends with the counts
    if (mode === 'job') aggregation.inCallbackMax = 1;
    ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 2, experts: 6, organizations: 8, year: 2030 }));
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    const tasks = await h.db.db.select().from(assignments).orderBy(asc(assignments.id));
    for (const t of tasks) expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90))).toast?.type).toBe('success');
    // the first team's 2029 title, revoked on 2030-05-20, after its application was accepted: the bar holds a year
    const [first] = await h.db.db.select({ teamId: applications.teamId }).from(applications).innerJoin(teams, eq(teams.id, applications.teamId)).orderBy(asc(teams.code)).limit(1);
    await h.db.db.insert(honours).values({ teamId: first.teamId, year: 2029, awardedAt: new Date('2029-07-20T02:00:00Z'), revokedAt: new Date('2030-05-20T10:00:00+08:00'), revokedReason: '连续投诉' });
  }, 120_000);
  afterAll(async () => {
    aggregation.inCallbackMax = inCallbackMax;
    await h?.close();
  });

  it('says one title and one recommendation, and that one team over the line is not awarded', async () => {
    const counts = '授予称号 1 个，推荐 1 个（另有 1 个达到分数线但其称号此前已撤销，不授予，第二十二条）';
    if (mode === 'job') {
      expect((await h.click(ADMIN, { action: 'results.close', cycleId }, undefined, { messageId: 'om_withheld_counts_job' })).toast.type).toBe('success');
      await h.app.bulkJobs.drain();
      const [job] = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'aggregate'));
      expect(job.status).toBe('done');
      const [final] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `bulk:${job.id}:card:final`));
      expect(JSON.stringify(final.card)).toContain(`${counts}。请点“评审结果”核对后公布。`);
      return;
    }
    const closed = await h.click(ADMIN, { action: 'results.close', cycleId });
    expect(closed.toast.type).toBe('success');
    const text = cardText(closed.card.data);
    expect(text).toMatch(/授予称号\**：1 个（85 分及以上；1 个达到分数线但其称号此前已撤销，不授予，第二十二条）/);
    expect(text).toMatch(/推荐全国性协会\**：1 个/);
    expect(closed.toast.content).toBe(`已汇总 2 份申报：${counts}。请核对后公布。`);
  });
});
