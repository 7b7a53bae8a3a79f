import { and, asc, eq, like, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { teamResultCard } from '../../cards/results.js';
import { auditLog, certificates, honours, outbox } from '../../db/schema.js';
import { scoreLargeCycle, seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { getCycle } from '../../src/cycles.js';
import { messageUuid } from '../../src/outbox.js';
import { TEAM_RESULT_CARD, teamResultRenderer } from '../../src/review/resultCards.js';
import { rankedCount, rankedResultsAfter } from '../../src/review/results.js';
import { cardText } from '../support/cards.js';
import { dyingDispatcher, takenOverAfterLease, testDispatcher } from '../support/dispatchers.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent } from '../support/larkEvents.js';
import { until } from '../support/waiting.js';

/**
 * 公布结果 queues `{ kind: 'teamResult', applicationId, audience }` per team and person; the dispatcher draws
 * the result card when it sends it, from the published results.
 */

const APPS = 16;

let h: Harness;
let cycleId: number;
const db = () => h.db.db;

async function click(value: Record<string, unknown>) {
  const res = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value, messageId: 'om_result_cards_admin' }));
  expect(res.status).toBe(200);
}

beforeEach(async () => {
  // the bot's own dispatcher is not running: each test sends when it means to
  h = await startHarness({ clock: new ManualClock('2030-07-20T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 }, runDispatcher: false });
  const fx = await seedLargeCycle(db(), { applications: APPS, experts: 12, organizations: 4, year: 2030, status: 'scoring' });
  cycleId = fx.cycleId;
  await click({ action: 'review.assign', cycleId });
  await h.app.bulkJobs.drain();
  await scoreLargeCycle(db(), cycleId);
  await click({ action: 'results.publish', cycleId });
  await h.app.bulkJobs.drain();
  // the other rows (task cards, certificates, the admin group's) are not what these tests send
  await db().delete(outbox).where(sql`${outbox.dedupeKey} not like 'results:published:2030:team-%'`);
});
afterEach(async () => {
  await h?.close();
});

const resultRows = () => db().select().from(outbox).where(like(outbox.dedupeKey, 'results:published:2030:team-%')).orderBy(asc(outbox.id));
const sentTo = (key: string) => h.fake.messages.filter((m) => m.uuid === messageUuid(key));
const sendRequests = (key: string) => h.fake.requests.filter((r) => r.path === '/open-apis/im/v1/messages' && r.body?.uuid === messageUuid(key));

/** The result cards as 公布结果 built them inside the job before they were drawn at send time, by key, as JSON. */
async function cardsAsBuiltInTheJob(): Promise<Map<string, unknown>> {
  const cycle = (await getCycle(db(), cycleId))!;
  const ranked = await rankedCount(db(), cycleId);
  const out = new Map<string, unknown>();
  // a title's card names its certificate, sent after it (a title revoked since has none to name)
  const numbers = new Map((await db().select({ teamId: certificates.teamId, number: certificates.number, revokedAt: honours.revokedAt }).from(certificates).innerJoin(honours, eq(honours.id, certificates.honourId))).filter((c) => !c.revokedAt).map((c) => [c.teamId, c.number]));
  for (const r of await rankedResultsAfter(db(), cycleId, 0, 10_000)) {
    const base = {
      year: cycle.year,
      code: r.code,
      team: r.team,
      title: r.title,
      finalScore: r.finalScore!,
      rank: r.rank!,
      of: ranked,
      awarded: r.awarded,
      recommended: r.recommended,
      awardThreshold: cycle.awardThreshold,
      areas: r.review?.areas ?? [],
      ...(r.awarded && numbers.has(r.teamId) ? { certificate: numbers.get(r.teamId) } : {}),
    };
    out.set(`results:published:${cycle.year}:team-${r.teamId}:leader`, JSON.parse(JSON.stringify(teamResultCard({ ...base, audience: 'leader' }))));
    if (r.contactOpenId !== r.leaderOpenId) out.set(`results:published:${cycle.year}:team-${r.teamId}:contact`, JSON.parse(JSON.stringify(teamResultCard({ ...base, audience: 'contact' }))));
  }
  return out;
}

describe('result cards drawn when they are sent', () => {
  it('公布结果 queues a small row per team and person, not the card', async () => {
    const rows = await resultRows();
    const expected = await cardsAsBuiltInTheJob();
    expect(rows).toHaveLength(APPS * 2);
    expect(rows.map((r) => r.dedupeKey).sort()).toEqual([...expected.keys()].sort());
    const results = await rankedResultsAfter(db(), cycleId, 0, 10_000);
    for (const row of rows) {
      const [, , , team, audience] = row.dedupeKey.split(':');
      const r = results.find((x) => `team-${x.teamId}` === team)!;
      expect(row).toMatchObject({ msgType: 'interactive', priority: 1, status: 'pending', receiver: audience === 'leader' ? r.leaderOpenId : r.contactOpenId });
      expect(row.card).toEqual({ render: { kind: TEAM_RESULT_CARD, applicationId: r.applicationId, audience } });
    }
    const [size] = await db().select({ max: sql<number>`max(octet_length(${outbox.card}::text))::int` }).from(outbox).where(like(outbox.dedupeKey, 'results:published:2030:team-%'));
    expect(Number(size.max)).toBeLessThan(90);
    // the seeded results have no area subtotals: a real card, with them, is a few kilobytes
    expect(JSON.stringify([...expected.values()][0]).length).toBeGreaterThan(5 * Number(size.max));
  });

  it('the card each person receives is the one the job built before, with the row key as uuid', async () => {
    const expected = await cardsAsBuiltInTheJob();
    await h.app.dispatcher.drain(60_000);
    const rows = await resultRows();
    for (const row of rows) {
      expect(row.status).toBe('sent');
      const [message] = sentTo(row.dedupeKey);
      expect(message).toMatchObject({ receiveIdType: 'open_id', receiveId: row.receiver, msgType: 'interactive' });
      expect(message.content).toEqual(expected.get(row.dedupeKey));
    }
    // both an awarded and a not-awarded result were among them
    const texts = rows.map((r) => cardText(sentTo(r.dedupeKey)[0].content));
    expect(texts.some((t) => t.includes('授予2030年度'))).toBe(true);
    expect(texts.some((t) => t.includes('未达到授予称号的分数线'))).toBe(true);
    // a title's card says its certificate follows, by its number; a result without a title names none
    for (const t of texts) {
      if (t.includes('授予2030年度')) expect(t).toMatch(/荣誉证书\**：GDSZ-ZS-2030-\d{4}（证书图片和可打印的 PDF 随后发送）/);
      else expect(t).not.toContain('荣誉证书');
    }
  });

  it('a title revoked before its result card went out: the card still gives the published result and says the title was revoked', async () => {
    const expected = await cardsAsBuiltInTheJob();
    const [honour] = await db().select().from(honours).orderBy(asc(honours.id)).limit(1);
    await db().update(honours).set({ revokedAt: new Date('2030-07-25T10:00:00+08:00'), revokedReason: '连续投诉' }).where(eq(honours.id, honour.id));
    await h.app.dispatcher.drain(60_000);
    const keys = [`results:published:2030:team-${honour.teamId}:leader`, `results:published:2030:team-${honour.teamId}:contact`];
    for (const key of keys) {
      const text = cardText(sentTo(key)[0].content);
      expect(text).toContain('公布时授予2030年度“广东省市政工程质量信得过班组”称号，该称号已于 2030年7月25日 撤销');
      expect(text).not.toContain('授予2030年度“广东省市政工程质量信得过班组”称号，并');
      // its certificate is no longer sent: the card does not say it follows
      expect(text).not.toContain('荣誉证书');
      // the rest is the published result as it was
      const before = cardText(expected.get(key));
      for (const line of before.split('\n').filter((l) => !l.includes('授予') && !l.includes('荣誉证书'))) expect(text).toContain(line);
    }
    // every other team's card is unchanged
    for (const row of (await resultRows()).filter((r) => !keys.includes(r.dedupeKey))) expect(sentTo(row.dedupeKey)[0].content).toEqual(expected.get(row.dedupeKey));
  });

  it('draws nothing for an application that has no published result', async () => {
    const render = teamResultRenderer(db(), 'Asia/Shanghai');
    const [first] = await rankedResultsAfter(db(), cycleId, 0, 1);
    const drawn = await render([
      { kind: TEAM_RESULT_CARD, applicationId: 999_999, audience: 'leader' },
      { kind: TEAM_RESULT_CARD, applicationId: first.applicationId, audience: 'contact' },
    ]);
    expect(drawn[0]).toEqual({ drop: '申报 999999 没有已评定的结果' });
    expect(drawn[1]).toEqual({ card: (await cardsAsBuiltInTheJob()).get(`results:published:2030:team-${first.teamId}:contact`) });
  });

  it('a renderer that throws is a failed send: retried with backoff, then dead-lettered, and the dispatcher keeps sending', async () => {
    const [first, second] = await resultRows();
    await db().update(outbox).set({ status: 'sent' }).where(and(like(outbox.dedupeKey, 'results:published:2030:team-%'), sql`${outbox.id} not in (${first.id}, ${second.id})`));
    const real = teamResultRenderer(db(), 'Asia/Shanghai');
    let calls = 0;
    const failing = testDispatcher(db(), h.app.larkClient, {
        [TEAM_RESULT_CARD]: async (specs) => {
          calls++;
          if (specs.some((s) => s.applicationId === (first.card as { render: { applicationId: number } }).render.applicationId && s.audience === 'leader')) throw new Error('结果读取失败');
          return real(specs);
        },
      }, { admins: [ADMIN] });
    await failing.drain(20_000);
    const [dead] = await db().select().from(outbox).where(eq(outbox.id, first.id));
    expect(dead).toMatchObject({ status: 'dead', attempts: 3 });
    expect(dead.lastError).toContain('结果读取失败');
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(sendRequests(first.dedupeKey)).toHaveLength(0);
    const audits = await db().select().from(auditLog).where(eq(auditLog.action, 'outbox.dead_letter'));
    expect(audits.filter((a) => (a.details as { dedupeKey?: string }).dedupeKey === first.dedupeKey)).toHaveLength(1);
    expect(await db().select().from(outbox).where(like(outbox.dedupeKey, `alert:dead-letter:${first.id}:%`))).toHaveLength(1);
    // the other row, claimed apart or retried alone, went out
    const [other] = await db().select().from(outbox).where(eq(outbox.id, second.id));
    if (other.status === 'sent') expect(sentTo(second.dedupeKey)).toHaveLength(1);
  });

  it('a crash after the send and before the row is marked: the resend draws the same card and carries the same uuid', async () => {
    const [first] = await resultRows();
    await db().update(outbox).set({ status: 'sent' }).where(and(like(outbox.dedupeKey, 'results:published:2030:team-%'), sql`${outbox.id} <> ${first.id}`));
    const { dispatcher: dying, delivered } = dyingDispatcher(db(), h.app.larkClient, { [TEAM_RESULT_CARD]: teamResultRenderer(db(), 'Asia/Shanghai') });
    void dying.runOnce();
    await until(() => delivered.length === 1);
    // another replica takes the row over once the lease has run out
    const { done, requests } = await takenOverAfterLease(db(), h.app.dispatcher, first.id, () => sendRequests(first.dedupeKey));
    expect(JSON.parse(requests[1].body.content)).toEqual((await cardsAsBuiltInTheJob()).get(first.dedupeKey));
    expect(sentTo(first.dedupeKey)).toHaveLength(1);
    expect(done.messageId).toBe(sentTo(first.dedupeKey)[0].messageId);
  });
});
