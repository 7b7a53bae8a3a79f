import { and, eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, auditLog, bulkJobs, cycles, honours, processedEvents } from '../../db/schema.js';
import { fastPublish } from '../../src/fast/cycleSteps.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent, randomEventId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { MODES_HERE } from '../support/worlds.js';
import { applicationForm, type Fixture, OTHER_EXPERT, personas, scoreForm, securityBotForBlock, YEAR } from './securityFixture.js';

/**
 * 公布结果 publishes what its preview showed (第二十条、第二十一条: the results announced are the ones the association
 * reviewed). Administrator A opens 评审结果（预览）; B reopens a sheet, the expert changes it, B aggregates again and the
 * award changes; A's 公布结果 on the old preview is refused on both paths with the time of the new aggregation,
 * publishes nothing, and answers with the new preview, whose 公布结果 publishes. A button drawn before buttons named
 * their aggregation publishes as it always did.
 */

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

const publishButton = (body: Body) => cardActions(body.card?.data).find((a) => a.action === 'results.publish');

for (const mode of MODES_HERE) {
  describe(`公布结果 on a preview since aggregated again (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((b) => ({ h, f } = b), mode);
    const db = () => h.db.db;
    let oldButton: Record<string, unknown>;
    let newButton: Record<string, unknown>;

    const cycleState = async () => {
      const [c] = await db().select({ status: cycles.status }).from(cycles).where(eq(cycles.id, f.cycleId));
      const titles = await db().select({ teamId: honours.teamId, score: honours.score }).from(honours).where(eq(honours.cycleId, f.cycleId));
      const jobs = await db().select({ kind: bulkJobs.kind, status: bulkJobs.status }).from(bulkJobs).where(and(eq(bulkJobs.kind, 'publish'), eq(bulkJobs.cycleId, f.cycleId)));
      const published = await db().select({ id: auditLog.id }).from(auditLog).where(and(eq(auditLog.action, 'results.publish'), eq(auditLog.entityId, String(f.cycleId))));
      return { status: c.status, titles, jobs, published: published.length };
    };

    it('A’s preview: the panel of team D at 80 points, no title; its 公布结果 names the aggregation', async () => {
      // applications closed; the one awaiting the formal check returned, so that team D's panel is all there is to score
      await db().update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
      await db().update(applications).set({ status: 'returned' }).where(eq(applications.id, f.appC));
      expect((await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(10))).toast?.type).toBe('success');
      expect((await h.click(OTHER_EXPERT, { action: 'review.submit', assignmentId: f.foreignTask }, scoreForm(30))).toast?.type).toBe('success');
      const closed: Body = await h.click(ADMIN, { action: 'results.close', cycleId: f.cycleId });
      expect(closed.toast?.type, closed.toast?.content).toBe('success');
      expectValidCard(closed.card?.data);
      expect(cardText(closed.card?.data)).toContain(`${f.teamD.code} 深圳建设四班：**80** 分 · 未获称号`);
      oldButton = publishButton(closed)!;
      const [aggregated] = await db().select({ id: auditLog.id }).from(auditLog).where(and(eq(auditLog.action, 'cycle.closeScoring'), eq(auditLog.entityId, String(f.cycleId))));
      expect(oldButton).toEqual({ action: 'results.publish', cycleId: f.cycleId, aggregationId: aggregated.id });
      // 评审结果 draws the same preview, the same button
      const preview: Body = await h.click(ADMIN, { action: 'results.preview', cycleId: f.cycleId });
      expect(publishButton(preview)).toEqual(oldButton);
    });

    it('B reopens the 70-point sheet, the expert scores 90, B aggregates again: team D is titled', async () => {
      const reopened: Body = await h.click(ADMIN, { action: 'review.reopen', assignmentId: f.foreignTask });
      expect(reopened.toast?.type, reopened.toast?.content).toBe('success');
      expect((await cycleState()).status).toBe('scoring');
      expect((await h.click(OTHER_EXPERT, { action: 'review.submit', assignmentId: f.foreignTask }, scoreForm(10))).toast?.type).toBe('success');
      h.clock.set('2027-03-12T15:30:00+08:00');
      const closed: Body = await h.click(ADMIN, { action: 'results.close', cycleId: f.cycleId });
      expect(closed.toast?.type, closed.toast?.content).toBe('success');
      expect(cardText(closed.card?.data)).toContain(`${f.teamD.code} 深圳建设四班：**90** 分 · 授予称号`);
      newButton = publishButton(closed)!;
      expect(newButton.aggregationId).toEqual(expect.any(Number));
      expect(newButton.aggregationId).not.toBe(oldButton.aggregationId);
    });

    it('A’s 公布结果 on the old preview is refused with the time of the new aggregation: nothing published, the new preview shown', async () => {
      if (mode === 'fast' && testDatabaseKind() === 'postgres') {
        // the statement itself leaves it to the ordinary path, having written nothing (not even the claim)
        const eventId = randomEventId();
        const direct = await fastPublish(h.db, { eventId, eventType: 'card.action.trigger', openId: ADMIN, cycleId: f.cycleId, messageId: undefined, now: h.clock.now(), bootstrapAdmins: [ADMIN], aggregationId: oldButton.aggregationId as number });
        expect(direct).toBeUndefined();
        expect(await db().select().from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([]);
      }
      h.clock.set('2027-03-12T16:00:00+08:00');
      for (const attempt of [1, 2]) {
        const refused: Body = await h.click(ADMIN, oldButton);
        expect(refused.toast, `attempt ${attempt}`).toEqual({ type: 'warning', content: `${YEAR}年度评审结果已于 2027年3月12日 15:30 重新汇总，与本预览不同：请看下面的最新结果后再公布。` });
        expectValidCard(refused.card?.data);
        expect(cardText(refused.card?.data)).toContain(`${YEAR}年度评审结果（预览）`);
        expect(cardText(refused.card?.data)).toContain(`${f.teamD.code} 深圳建设四班：**90** 分 · 授予称号`);
        expect(publishButton(refused)).toEqual(newButton);
        expect(await cycleState()).toEqual({ status: 'closed', titles: [], jobs: [], published: 0 });
      }
      // the same event delivered again is the generic duplicate answer, and still publishes nothing
      const eventId = 'evt_stale_publish_again';
      expect(((await h.click(ADMIN, oldButton, undefined, { eventId })) as Body).toast?.type).toBe('warning');
      expect(((await h.click(ADMIN, oldButton, undefined, { eventId })) as Body).toast?.content).toMatch(/这次点击已收到/);
      expect(await cycleState()).toEqual({ status: 'closed', titles: [], jobs: [], published: 0 });
    });

    it('公布结果 on the new preview publishes what it showed; a second click on either says it is done', async () => {
      const published: Body = await h.click(ADMIN, newButton);
      expect(published.toast).toEqual({ type: 'success', content: `${YEAR}年度评审结果正在公布，完成后卡片会更新` });
      expect(await cycleState()).toEqual({ status: 'published', titles: [{ teamId: f.teamD.id, score: 90 }], jobs: [{ kind: 'publish', status: 'done' }], published: 1 });
      for (const button of [newButton, oldButton]) {
        const again: Body = await h.click(ADMIN, button);
        expect(again.toast).toEqual({ type: 'info', content: `${YEAR}年度评审结果已于此前公布，无需重复公布。` });
      }
      expect((await cycleState()).titles).toHaveLength(1);
    });
  });
}

describe('公布结果 on a card sent before buttons named their aggregation', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), 'ordinary');

  it('publishes the cycle as aggregated now, as it always did', async () => {
    const db = h.db.db;
    await db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, f.cycleId));
    await db.update(applications).set({ status: 'scored', finalScore: 88, rank: 1, decision: 'awarded' }).where(eq(applications.id, f.appD));
    const body: Body = await h.click(ADMIN, { action: 'results.publish', cycleId: f.cycleId });
    expect(body.toast?.type, body.toast?.content).toBe('success');
    expect((await db.select().from(cycles).where(eq(cycles.id, f.cycleId)))[0].status).toBe('published');
    expect(await db.select({ teamId: honours.teamId }).from(honours).where(eq(honours.cycleId, f.cycleId))).toEqual([{ teamId: f.teamD.id }]);
  });

  it('a value that names no aggregation is a spent button', async () => {
    const body: Body = await h.click(ADMIN, { action: 'results.publish', cycleId: f.cycleId, aggregationId: 'latest' });
    expect(body.toast).toMatchObject({ type: 'error', content: '这个按钮已失效，请重新打开菜单。' });
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('公布结果 in one statement, a new aggregation committed under it', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), 'fast');

  /** A cycle closed by one aggregation (its audit row), with two teams scored: its id and the aggregation's. */
  async function closedCycle(year: number): Promise<{ cycleId: number; aggregationId: number }> {
    const db = h.db.db;
    await db.update(cycles).set({ status: 'published' }).where(inArray(cycles.status, ['open', 'scoring', 'closed']));
    const [c] = await db
      .insert(cycles)
      .values({ year, status: 'closed', applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, scoreSheet: defaultScoreSheet, openedBy: ADMIN })
      .returning();
    await db.insert(applications).values(
      [f.teamB.id, f.teamC.id].map((teamId, k) => ({ teamId, cycleId: c.id, status: 'scored', finalScore: 90 - k, rank: k + 1, decision: 'awarded', form: applicationForm(), submittedAt: new Date(`${year}-03-01T00:00:00Z`) })),
    );
    const [a] = await db
      .insert(auditLog)
      .values({ actor: ADMIN, action: 'cycle.closeScoring', entity: 'cycle', entityId: String(c.id), details: { from: 'scoring', to: 'closed' }, at: h.clock.now() })
      .returning();
    return { cycleId: c.id, aggregationId: a.id };
  }

  it('the latest aggregation named: the statement records the job', async () => {
    const { cycleId, aggregationId } = await closedCycle(2040);
    const done = await fastPublish(h.db, { eventId: randomEventId(), eventType: 'card.action.trigger', openId: ADMIN, cycleId, messageId: undefined, now: h.clock.now(), bootstrapAdmins: [ADMIN], aggregationId });
    expect(done?.job).toMatchObject({ kind: 'publish', cycleId, total: 2 });
    await h.drain();
  });

  it('a reopen and a new 汇总 that commit while the statement waits for the cycle: nothing of it kept, the ordinary path refuses', async () => {
    const { cycleId, aggregationId } = await closedCycle(2041);
    const eventId = randomEventId();
    // the other administrator's new aggregation, not yet committed: the statement reads the old one as the latest,
    // claims the event, then waits for the cycle's row, which comes back closed under the new aggregation
    const other = await heldTransaction(h.db.db, async (tx) => {
      await tx.update(cycles).set({ status: 'closed', updatedAt: sql`now()` }).where(eq(cycles.id, cycleId));
      await tx.insert(auditLog).values({ actor: ADMIN, action: 'cycle.closeScoring', entity: 'cycle', entityId: String(cycleId), details: { from: 'scoring', to: 'closed' }, at: new Date('2027-03-11T10:05:00+08:00') });
    });
    let answered = false;
    const clicked = h.click(ADMIN, { action: 'results.publish', cycleId, aggregationId }, undefined, { eventId }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(h.db.db)) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const body: Body = await clicked;
    expect(body.toast).toEqual({ type: 'warning', content: '2041年度评审结果已于 2027年3月11日 10:05 重新汇总，与本预览不同：请看下面的最新结果后再公布。' });
    expect(await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.cycleId, cycleId))).toEqual([]);
    expect((await h.db.db.select().from(cycles).where(eq(cycles.id, cycleId)))[0].status).toBe('closed');
    expect(await h.db.db.select({ type: processedEvents.eventType }).from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([{ type: 'card.action.trigger' }]);
  });
});

for (const mode of MODES_HERE) {
  describe(`重开评分 while 公布结果 is recorded and not yet run (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((b) => ({ h, f } = b), mode);

    it('is refused: what is about to be published is what its preview showed', async () => {
      const db = h.db.db;
      expect((await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(10))).toast?.type).toBe('success');
      await db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, f.cycleId));
      // recorded and held by another replica's worker (its lease ahead), its first batch not yet run
      const [job] = await db
        .insert(bulkJobs)
        .values({ kind: 'publish', cycleId: f.cycleId, params: { year: YEAR }, total: 1, createdBy: ADMIN, status: 'running', claimedBy: 'another-replica', leaseUntil: new Date(Date.now() + 3_600_000) })
        .returning();
      // posted without draining the jobs (the harness's click would wait for the held job)
      const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'review.reopen', assignmentId: f.ownTask } }));
      const refused = res.body as Body;
      expect(refused.toast).toEqual({ type: 'info', content: `${YEAR}年度评审结果正在公布，评分不能再重开。` });
      expect((await db.select({ status: cycles.status }).from(cycles).where(eq(cycles.id, f.cycleId)))[0].status).toBe('closed');
      // with no 公布 waiting, the same click reopens the sheet
      await db.delete(bulkJobs).where(eq(bulkJobs.id, job.id));
      const reopened: Body = await h.click(ADMIN, { action: 'review.reopen', assignmentId: f.ownTask });
      expect(reopened.toast?.type, reopened.toast?.content).toBe('success');
    });
  });
}
