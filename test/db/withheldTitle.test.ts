import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, auditLog, certificates, cycles, honours, outbox } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import type { StoredReview } from '../../src/review/results.js';
import { messageUuid } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * E5 (协会规定) bars 受理 within a year of a revocation (第二十二条). A title revoked after the team's application was
 * accepted does not stop its review, but it holds back this year's title: the preview says so before 公布结果, the
 * publishing gives the team no honour and no certificate, and the team's result card says why. A revocation whose bar
 * ended before the publishing holds nothing back.
 */

const NAMES = ['撤销后一班', '旧撤销二班', '寻常三班'];
const leaderOf = (n: number) => `ou_whleader00000000000000000000000${n}`;
const contactOf = (n: number) => `ou_whcontact0000000000000000000000${n}`;
const ADMIN_CARD = 'om_withheld_admin_card';

let h: Harness;
let cycleId: number;
const teamIds: number[] = [];
const db = () => h.db.db;

async function click(value: Record<string, unknown>, formValue?: Record<string, unknown>) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, formValue, messageId: ADMIN_CARD }));
  expect(res.status).toBe(200);
  return res.body;
}

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2028-03-05T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
  expect((await click({ action: 'cycle.open' }, { year: '2028', applicationDeadline: '2028-05-31', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15' })).toast.type).toBe('success');
  await h.app.dispatcher.drain();
  [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  for (let n = 1; n <= NAMES.length; n++) {
    // 汇总 recommended the best of the three titles (10 %, at least one): the one held back below
    const team = await seedScoredTeam(db(), { cycleId, n, code: `GDSZ-2026-070${n}`, name: NAMES[n - 1], leader: leaderOf(n), contact: contactOf(n), aggregatedAt: h.clock.now(), recommended: n === 1 });
    teamIds.push(team.id);
  }
  // team 1: its 2027 title revoked on 2028-06-01, after its application was accepted; the bar holds until 2029-06-01
  await db().insert(honours).values({ teamId: teamIds[0], year: 2027, awardedAt: new Date('2027-07-20T02:00:00Z'), revokedAt: new Date('2028-06-01T10:00:00+08:00'), revokedReason: '连续投诉' });
  // team 2: a title revoked in 2026, whose bar ended in 2027
  await db().insert(honours).values({ teamId: teamIds[1], year: 2025, awardedAt: new Date('2025-07-20T02:00:00Z'), revokedAt: new Date('2026-02-01T10:00:00+08:00'), revokedReason: '连续投诉' });
  h.clock.set('2028-07-20T09:00:00+08:00');
  h.fake.earlierCard(ADMIN_CARD);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('a title revoked after 受理 holds back the year’s title (E5, 第二十二条)', () => {
  it('the preview says so before 公布结果', async () => {
    const text = cardText((await click({ action: 'results.preview', cycleId })).card.data);
    expect(text).toContain(`GDSZ-2026-0701 ${NAMES[0]}：**94** 分 · 不授予称号（其称号此前已撤销）`);
    expect(text).toContain(`GDSZ-2026-0702 ${NAMES[1]}：**93** 分 · 授予称号`);
    expect(text).toContain('2 个（85 分及以上；1 个达到分数线但其称号此前已撤销，不授予，第二十二条）');
    // its 推荐 place goes to the best of the titles that stand (第二十条): it was 推荐全国性协会 0 个
    expect(text).toContain(`GDSZ-2026-0702 ${NAMES[1]}：**93** 分 · 授予称号 · 推荐`);
    expect(text).toMatch(/推荐全国性协会\**：1 个/);
  });

  it('公布结果 gives that team no honour and no certificate, says why on its result card, and records it', async () => {
    expect((await click({ action: 'results.publish', cycleId })).toast.type).toBe('success');
    await h.app.bulkJobs.drain();

    const titled = await db().select({ teamId: honours.teamId }).from(honours).where(eq(honours.year, 2028));
    expect(titled.map((t) => t.teamId).sort()).toEqual([teamIds[1], teamIds[2]].sort());
    expect((await db().select({ team: certificates.teamName }).from(certificates)).map((c) => c.team).sort()).toEqual([NAMES[1], NAMES[2]].sort());

    const [app] = await db().select().from(applications).where(and(eq(applications.teamId, teamIds[0]), eq(applications.cycleId, cycleId)));
    expect(app.status).toBe('decided');
    expect(app.decision).toBe('not_awarded');
    const review = app.review as StoredReview;
    expect(review.awarded).toBe(false);
    expect(review.withheld).toEqual({ year: 2027, revokedAt: '2028-06-01T02:00:00.000Z', barDays: null });
    // the rest of the aggregation is kept as it was
    expect(app.finalScore).toBe(94);
    expect(app.rank).toBe(1);

    const [published] = await db().select().from(auditLog).where(eq(auditLog.action, 'results.publish'));
    expect((published.details as { withheld?: number[] }).withheld).toEqual([teamIds[0]]);
    // the 推荐 place held back with the title went to the next title that stands
    expect((published.details as { recommended?: number[] }).recommended).toEqual([teamIds[1]]);
    const recommended = await db().select({ teamId: honours.teamId }).from(honours).where(and(eq(honours.year, 2028), eq(honours.recommended, true)));
    expect(recommended.map((r) => r.teamId)).toEqual([teamIds[1]]);
    const [next] = await db().select().from(applications).where(and(eq(applications.teamId, teamIds[1]), eq(applications.cycleId, cycleId)));
    expect((next.review as StoredReview).recommended).toBe(true);
    expect(review.recommended).toBe(false);

    await h.app.dispatcher.drain(120_000);
    const key = `results:published:2028:team-${teamIds[0]}:leader`;
    const [row] = await db().select().from(outbox).where(eq(outbox.dedupeKey, key));
    expect(row.status).toBe('sent');
    const [message] = h.fake.messages.filter((m) => m.uuid === messageUuid(key));
    expect(cardText(message.content)).toContain(
      '得分达到授予称号的分数线（85 分），但本班组 2027 年度称号已于 2028年6月1日 撤销（第二十二条），按协会规定撤销称号后一年内不受理该班组的申报，本年度不授予称号',
    );

    // the published results read the same
    const text = cardText((await click({ action: 'results.preview', cycleId })).card.data);
    expect(text).toContain(`GDSZ-2026-0701 ${NAMES[0]}：**94** 分 · 不授予称号（其称号此前已撤销）`);
  }, 180_000);
});
