import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, certificates } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * Two administrators hold the same 评审结果（预览）; one publishes. The other's 公布结果 is told the year is published
 * already, and its card turned into the 评审进度 card with that line in red, the results gone from it; it shows the
 * results as published, with nothing published, numbered or sent twice.
 */

const SECOND_ADMIN = 'ou_admin000000000000000000000000002';
let h: Harness;
let cycleId: number;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), admins: [ADMIN, SECOND_ADMIN], outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 2, experts: 6, organizations: 2, year: 2030 }));
  expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
  for (const t of await h.db.db.select().from(assignments).orderBy(asc(assignments.id))) {
    expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90))).toast?.type).toBe('success');
  }
  expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('公布结果 on a preview the other administrator has published', () => {
  it('shows the published results in its place, and sends nothing again', async () => {
    const preview = await h.click(SECOND_ADMIN, { action: 'results.preview', cycleId }, undefined, { messageId: 'om_second_admin_preview' });
    const button = cardActions(preview.card.data).find((a) => a.action === 'results.publish')!;
    expect((await h.click(ADMIN, button)).toast.type).toBe('success');
    const sent = h.fake.messages.length;
    const again = await h.click(SECOND_ADMIN, button, undefined, { messageId: 'om_second_admin_preview' });
    expect(again.toast).toEqual({ type: 'info', content: '2030年度评审结果已于此前公布，无需重复公布。' });
    expectValidCard(again.card.data);
    const shown = cardText(again.card.data);
    expect(shown).toContain('2030年度评审结果');
    expect(shown).not.toContain('（预览）');
    expect(shown).toContain('授予称号');
    expect(shown).not.toContain('评审进度\nplain_text\n评审进度');
    expect(cardActions(again.card.data).map((a) => a.action)).not.toContain('results.publish');
    expect(h.fake.messages.length).toBe(sent);
    expect(await h.db.db.select().from(certificates)).toHaveLength(2);
  });
});
