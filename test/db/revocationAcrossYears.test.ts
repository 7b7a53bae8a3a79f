import { asc, eq, like } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applications, auditLog, complaints, cycles, honours, outbox } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

// 第二十二条 across years: a team that holds a title and is awarded again holds both; upheld complaints against it
// count from the award of the oldest, so the new award neither wipes out a run nor a pending revocation.

const form = (year: number) => ({ year: String(year), applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, awardThreshold: '85', expertsPerApplication: '3', recommendShare: '10%' });
const LA = 'ou_alt_leaderA00000000000000000001';
const CA = 'ou_alt_contactA0000000000000000001';
let h: Harness;
const cycleOf = async (year: number) => (await h.db.db.select().from(cycles).where(eq(cycles.year, year)))[0];
const honoursOf = async (teamId: number) => h.db.db.select().from(honours).where(eq(honours.teamId, teamId)).orderBy(asc(honours.year));

beforeEach(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterEach(async () => {
  await h?.close();
});

/** 2027: the team awarded and published; 2028 opened. */
async function titleHolder() {
  expect((await h.click(ADMIN, { action: 'cycle.open' }, form(2027))).toast.type).toBe('success');
  const c27 = await cycleOf(2027);
  await h.db.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, c27.id));
  const team = await seedScoredTeam(h.db.db, { cycleId: c27.id, n: 1, code: 'GDSZ-2025-0001', name: '养护一班', leader: LA, contact: CA, aggregatedAt: new Date('2027-07-01T00:00:00Z') });
  h.clock.set(new Date('2027-07-20T09:00:00+08:00'));
  await h.click(ADMIN, { action: 'results.publish', cycleId: c27.id });
  await h.drain();
  const [h27] = await honoursOf(team.id);
  h.clock.set(new Date('2028-03-01T09:00:00+08:00'));
  expect((await h.click(ADMIN, { action: 'cycle.open' }, form(2028))).toast.type).toBe('success');
  return { team, h27, c28: await cycleOf(2028) };
}

/** The team's 2028 application (scored in time) awarded and published. */
async function awardAgain(teamId: number, cycleId: number) {
  await h.db.db.insert(applications).values({
    teamId, cycleId, status: 'scored', form: { title: '成果2028' }, finalScore: 92, rank: 1, decision: 'awarded', submittedAt: new Date('2028-03-05T00:00:00Z'),
    review: { rule: 'mean', median: null, totals: [], areas: [], outliers: [], awarded: true, recommended: false, aggregatedAt: new Date('2028-07-01T00:00:00Z').toISOString() },
  });
  await h.db.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  h.clock.set(new Date('2028-07-20T09:00:00+08:00'));
  await h.click(ADMIN, { action: 'results.publish', cycleId });
  await h.drain();
}

/** Two customer complaints against the team, made on the given days, both upheld by the administrator. */
async function upholdTwo(teamId: number, days: [string, string], decideAt: string) {
  h.clock.set(new Date(decideAt));
  for (const [i, day] of days.entries()) {
    const [c] = await h.db.db.insert(complaints).values({ reference: `TS-${day.slice(0, 4)}-900${i + 1}`, teamId, content: `路面修补质量差（第 ${i + 1} 次）`, channel: 'web', status: 'open', createdAt: new Date(`${day}T02:00:00Z`) }).returning();
    expect((await h.click(ADMIN, { action: 'complaint.uphold', complaintId: c.id }, { note: '经核实属实' })).toast.type).toBe('success');
  }
}

describe('第二十二条 across years', () => {
  it('a revocation alert raised on the 2027 title stays pending, and decidable, after the team is awarded again in 2028', async () => {
    const { team, h27, c28 } = await titleHolder();
    await upholdTwo(team.id, ['2028-06-01', '2028-06-02'], '2028-06-10T09:00:00+08:00');
    expect(await h.db.db.select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, `revocation:alert:${h27.id}:%`))).not.toHaveLength(0);
    expect(cardText((await h.click(ADMIN, { action: 'complaint.list' })).card.data)).toContain('1 个称号待决定');

    await awardAgain(team.id, c28.id);
    const [, h28] = await honoursOf(team.id);
    expect(h28.year).toBe(2028);
    // still pending, on the 2027 title the complaints were made against
    const after = cardText((await h.click(ADMIN, { action: 'complaint.list' })).card.data);
    expect(after).toContain('1 个称号待决定');
    expect(after).toContain('2027');

    const revoke = await h.click(ADMIN, { action: 'revocation.revoke', honourId: h27.id }, { reason: '连续两次顾客投诉成立' });
    expect(revoke.toast.type).toBe('success');
    const [r27, r28] = await honoursOf(team.id);
    expect(r27.revokedAt).not.toBeNull();
    expect(r27.revokedReason).toBe('连续两次顾客投诉成立');
    // the 2028 title, awarded after the complaints came in, is not what they were against: it stands, with no run of its own
    expect(r28.revokedAt).toBeNull();
    expect(cardText((await h.click(ADMIN, { action: 'complaint.list' })).card.data)).not.toContain('称号待决定');
    expect(await h.db.db.select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, `revocation:revoked:%`))).toEqual(
      expect.arrayContaining([{ key: `revocation:revoked:${h27.id}:user:${LA}` }, { key: `revocation:revoked:${h27.id}:user:${CA}` }]),
    );
    expect(await h.db.db.select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, `revocation:revoked:${h28.id}:%`))).toHaveLength(0);
  });

  it('保留 on the 2027 alert after the 2028 award ends the run: the complaints count against neither title', async () => {
    const { team, h27, c28 } = await titleHolder();
    await upholdTwo(team.id, ['2028-06-01', '2028-06-02'], '2028-06-10T09:00:00+08:00');
    await awardAgain(team.id, c28.id);
    expect((await h.click(ADMIN, { action: 'revocation.keep', honourId: h27.id }, { reason: '已整改到位' })).toast.type).toBe('success');
    const [k27, k28] = await honoursOf(team.id);
    expect(k27.keptAt).not.toBeNull();
    expect([k27.revokedAt, k28.revokedAt]).toEqual([null, null]);
    expect(cardText((await h.click(ADMIN, { action: 'complaint.list' })).card.data)).not.toContain('称号待决定');
    const again = await h.click(ADMIN, { action: 'revocation.revoke', honourId: h27.id }, { reason: '连续两次顾客投诉成立' });
    expect(again.toast.content).toContain('决定保留');
  });

  it('a complaint against a team holding two titles names both, on the administrator’s card and in the leader’s notice', async () => {
    const { team, c28 } = await titleHolder();
    await awardAgain(team.id, c28.id);
    h.clock.set(new Date('2028-09-10T09:00:00+08:00'));
    const [c] = await h.db.db.insert(complaints).values({ reference: 'TS-2028-9001', teamId: team.id, content: '路面修补质量差', channel: 'web', status: 'open', createdAt: new Date('2028-09-01T02:00:00Z') }).returning();
    const upheld = await h.click(ADMIN, { action: 'complaint.uphold', complaintId: c.id }, { note: '经核实属实' });
    expect(upheld.toast.type).toBe('success');
    // the newest title is at stake too: naming only the oldest (2027) hid it
    expect(cardText(upheld.card.data)).toContain('该班组持有 2027、2028 年度称号，目前连续成立的投诉 1 次');
    await h.drain();
    const notice = h.fake.messages.filter((m) => m.receiveId === LA).map((m) => cardText(m.content)).find((t) => t.includes('认定**成立**') || t.includes('认定成立'));
    expect(notice).toContain('本班组持有 2027、2028 年度称号，目前连续成立的投诉 1 次');
  });

  it('a team holding two titles through the run loses both when it is revoked', async () => {
    const { team, h27, c28 } = await titleHolder();
    await awardAgain(team.id, c28.id);
    const [, h28] = await honoursOf(team.id);
    await upholdTwo(team.id, ['2028-09-01', '2028-09-02'], '2028-09-10T09:00:00+08:00');
    // the alert is keyed by the oldest title held, and names both titles its decision takes, in its confirm dialog too
    const alerts = await h.db.db.select({ key: outbox.dedupeKey, messageId: outbox.messageId }).from(outbox).where(like(outbox.dedupeKey, `revocation:alert:${h27.id}:%`));
    expect(alerts).not.toHaveLength(0);
    const sent = alerts[0].messageId!;
    const alert = JSON.stringify(h.fake.messages.find((m) => m.messageId === sent)!.content);
    expect(alert).toContain('2027、2028 年度质量信得过班组');
    expect(alert).toContain(`确定撤销${team.name} 2027、2028 年度称号？`);
    expect(cardText((await h.click(ADMIN, { action: 'complaint.list' })).card.data)).toContain('1 个称号待决定');

    const revoke = await h.click(ADMIN, { action: 'revocation.revoke', honourId: h27.id }, { reason: '连续两次顾客投诉成立' });
    expect(revoke.toast.type).toBe('success');
    // the administrator's answer names both titles the decision took
    expect(cardText(revoke.card.data)).toMatch(/2027 年度质量信得过班组[\s\S]*同时撤销[\s\S]*2028 年度称号/);
    // the alert's copy (not the card clicked) is redrawn as the answer reads
    expect(h.fake.currentCard(sent)).toEqual(revoke.card.data);
    const revoked = await honoursOf(team.id);
    expect(revoked.map((x) => [x.id, x.revokedReason])).toEqual([
      [h27.id, '连续两次顾客投诉成立'],
      [h28.id, '连续两次顾客投诉成立'],
    ]);
    const audited = await h.db.db.select({ entityId: auditLog.entityId }).from(auditLog).where(eq(auditLog.action, 'honour.revoke'));
    expect(audited.map((a) => Number(a.entityId)).sort()).toEqual([h27.id, h28.id].sort());
    for (const id of [h27.id, h28.id]) {
      expect(await h.db.db.select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, `revocation:revoked:${id}:%`))).toHaveLength(2);
    }
    expect(cardText((await h.click(ADMIN, { action: 'complaint.list' })).card.data)).not.toContain('称号待决定');
  });
});
