import { asc, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revocationDecidedCard } from '../../cards/complaints.js';
import { certificates, chatBindings, complaints, cycles, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { complaintTeam, revocationAlertRenderer, revocationDecidedRenderer } from '../../src/complaints.js';
import { runJob } from '../../src/jobs/index.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';


/**
 * 第二十二条's revocation alert goes to every administrators' destination (here two admin groups), and the escalation
 * job raises it again to each. Once one administrator decides (撤销称号 / 保留称号) from one copy, every other copy sent
 * for the run decided (the alert's in the other group, both escalation cards) is redrawn as decided, as the answer to the
 * click shows it, so nobody reads it as still waiting; the copy clicked keeps its answer; a second decision queues
 * nothing. Both paths queue the same rows (the one-statement decision of src/fast/decisions.ts on PostgreSQL, and the
 * ordinary one). Copies of an earlier run (before a 保留称号), or sent more than 14 days ago, are left alone; a copy not
 * sent yet when the decision is made goes out decided.
 */

const TZ = 'Asia/Shanghai';
const G1 = 'oc_revocationcopies000000000000001';
const G2 = 'oc_revocationcopies000000000000002';
const ADMIN2 = 'ou_revocationcopiesadmin0000000002';
const LEADER = 'ou_revocationcopiesleader000000001';
const CONTACT = 'ou_revocationcopiescontact00000001';
const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

interface Seeded {
  teams: { revoke: number; keep: number; again: number };
  honours: { revoke: number; keep: number; again: number };
}

async function seed(h: Harness): Promise<Seeded> {
  const db = h.db.db;
  await db.insert(chatBindings).values([{ chatId: G1, purpose: 'admin', boundBy: ADMIN }, { chatId: G2, purpose: 'admin', boundBy: ADMIN }]);
  await db.insert(cycles).values({
    year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet,
    settings: { revocationBarDays: 200 },
  });
  await db.insert(people).values([{ openId: ADMIN, name: '王管理员' }, { openId: ADMIN2, name: '李管理员', roles: ['admin'] }, { openId: LEADER }, { openId: CONTACT, roles: ['org_contact'] }]);
  const [org] = await db.insert(organizations).values({ name: '佛山市政养护有限公司' }).returning();
  let n = 0;
  const titled = async (name: string) => {
    n++;
    const [t] = await db
      .insert(teams)
      .values({
        code: `GDSZ-2025-07${n}0`, name, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
        phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
      })
      .returning();
    const [ho] = await db.insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
    return { team: t.id, honour: ho.id };
  };
  const revoke = await titled('佛山路灯维护班');
  await db.insert(certificates).values({
    number: 'GDSZ-ZS-2026-0031', honourId: revoke.honour, teamId: revoke.team, year: 2026, association: '广东省市政行业协会', teamName: '佛山路灯维护班',
    organization: '佛山市政养护有限公司', title: '质量信得过班组', issuedAt: new Date('2026-12-05T10:00:00+08:00'),
  });
  const keep = await titled('佛山排水班');
  const again = await titled('佛山桥梁班');
  return { teams: { revoke: revoke.team, keep: keep.team, again: again.team }, honours: { revoke: revoke.honour, keep: keep.honour, again: again.honour } };
}

/** Two complaints from the web upheld in a row, on those days of March 2027 (the second by a click raises the alert to both groups). */
async function runUpheld(h: Harness, teamId: number, days: [number, number]) {
  for (const day of days) {
    const [c] = await h.db.db
      .insert(complaints)
      .values({ reference: `TS-2027-${teamId}${String(day).padStart(3, '0')}`, teamId, content: `井盖松动（${day} 日）`, channel: 'web', status: 'open', createdAt: new Date(`2027-03-${String(day).padStart(2, '0')}T08:00:00+08:00`) })
      .returning();
    const r = await h.click(ADMIN, { action: 'complaint.uphold', complaintId: c.id }, { note: '经核实属实' });
    expect(r.toast.type).toBe('success');
  }
}

/** The message each row whose key matches went out as, by key, in the order queued. */
async function sentAs(h: Harness, pattern: string): Promise<Map<string, string>> {
  await h.drain();
  const rows = await h.db.db.select({ key: outbox.dedupeKey, messageId: outbox.messageId }).from(outbox).where(like(outbox.dedupeKey, pattern)).orderBy(asc(outbox.id));
  for (const r of rows) expect(r.messageId, r.key).toBeTruthy();
  return new Map(rows.map((r) => [r.key, r.messageId!]));
}

/** The escalation job of that day of March 2027, its cards sent. */
async function escalate(h: Harness, day: string) {
  const [run] = await runJob('escalation', h.db.db, { now: new Date(`2027-03-${day}T09:00:00+08:00`), timezone: TZ, bootstrapAdmins: [ADMIN] });
  expect(run.status).toBe('done');
  // sent as it is queued: its days waited are counted to the day it is sent
  h.clock.set(new Date(`2027-03-${day}T09:00:00+08:00`));
  await h.drain();
  return run.queued;
}

/** The redraw rows of the honour, each with the key of the copy it redraws in place of its message id (ids differ between two databases). */
async function redrawRows(h: Harness, honourId: number) {
  const sent = await h.db.db.select({ key: outbox.dedupeKey, messageId: outbox.messageId }).from(outbox);
  const copyOf = new Map(sent.filter((r) => r.messageId && !r.key.startsWith('revocation:redrawn:')).map((r) => [r.messageId!, r.key]));
  const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, `revocation:redrawn:${honourId}:%`));
  return rows
    .map(({ id: _i, createdAt: _c, nextAttemptAt: _n, claimedAt: _l, sentAt: _s, messageId: _m, receiver, rateKey, dedupeKey, ...r }) => ({
      copy: copyOf.get(receiver),
      dedupeKey: dedupeKey.replace(receiver, '<message>'),
      rateKey: rateKey === receiver ? '<message>' : rateKey,
      ...r,
    }))
    .sort((a, b) => String(a.copy).localeCompare(String(b.copy)));
}

/**
 * How many clicks the fast world's one-statement paths answered (the processor's `answered`, which only they reach),
 * watched on that bot's processor: not by mocking src/fast/decisions.ts (test files share a worker's modules, and one
 * imported before this file would not be the mock), nor by wrapping the registry's declarations (they are frozen).
 */
let fastAnswered = 0;
let fastAnsweredSeen = 0;

function watchFast(h: Harness): () => void {
  const processor = h.app.processor as unknown as { answered: (...args: unknown[]) => unknown };
  const answered = processor.answered;
  processor.answered = function (this: unknown, ...args: unknown[]) {
    fastAnswered++;
    return answered.apply(this, args);
  };
  return () => {
    processor.answered = answered;
  };
}

/** In the fast world on PostgreSQL, the last decision (撤销 or 保留, as the caller clicked) was the one statement's. */
async function expectPath(mode: Mode, _decision: 'keep' | 'revoke') {
  if (mode === 'ordinary' || testDatabaseKind() !== 'postgres') return;
  expect(fastAnswered, 'the one-statement path decided').toBeGreaterThan(fastAnsweredSeen);
  fastAnsweredSeen = fastAnswered;
}

describe('the revocation alert’s other copies, once one administrator decides', () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock('2027-03-02T09:00:00+08:00'), admins: [ADMIN] });
    return { h, ...(await seed(h)) };
  }, { oneOnPglite: true });
  let unwatch = () => {};
  beforeAll(() => {
    unwatch = watchFast(worlds.fast.h);
  });
  afterAll(() => unwatch());
  const outcome: Partial<Record<Mode, Record<string, unknown>>> = {};

  for (const mode of MODES_HERE) {
    it(`撤销称号 from one group's alert redraws the other group's and both escalation cards, as the answer shows it (${mode})`, async () => {
      const w = worlds[mode];
      const { h } = w;
      const honourId = w.honours.revoke;
      h.clock.set(new Date('2027-03-02T09:00:00+08:00'));
      await runUpheld(h, w.teams.revoke, [1, 2]);
      const alerts = await sentAs(h, `revocation:alert:${honourId}:%`);
      expect([...alerts.keys()].map((k) => k.replace(/from-\d+/, 'from-x'))).toEqual([G1, G2].map((g) => `revocation:alert:${honourId}:from-x:chat:${g}`));
      const [a1, a2] = [...alerts.values()];
      for (const m of [a1, a2]) expect(cardActions(h.fake.currentCard(m))).toContainEqual({ action: 'revocation.revoke', honourId });
      // awaited 8 days: the escalation job raises it again in both groups
      expect(await escalate(h, '10')).toEqual([G1, G2].map((g) => `revocation:escalate:2027-03-10:${honourId}:chat:${g}`));
      const escalations = await sentAs(h, `revocation:escalate:2027-03-10:${honourId}:%`);
      const [e1, e2] = [...escalations.values()];
      expect(cardText(h.fake.currentCard(e1))).toContain('撤销称号已 8 天未决定');
      expect(cardActions(h.fake.currentCard(e1))).toContainEqual({ action: 'revocation.keep', honourId });

      h.clock.set(new Date('2027-03-11T10:00:00+08:00'));
      const decided = await h.clickCard(ADMIN2, a1, { action: 'revocation.revoke', honourId }, { reason: '连续两次投诉成立' });
      expect(decided.body?.toast).toEqual({ type: 'success', content: '已撤销称号，已通知班组长和单位联系人' });
      await expectPath(mode, 'revoke');
      const team = (await complaintTeam(h.db.db, w.teams.revoke))!;
      const card = plain(revocationDecidedCard({ team, year: 2026, decision: 'revoked', reason: '连续两次投诉成立', certificate: 'GDSZ-ZS-2026-0031', barDays: 200 }));
      expect(decided.body?.card?.data).toEqual(card);
      // the other copies: redrawn by message id, drawn when sent, as the answer
      const rows = await redrawRows(h, honourId);
      expect(rows.map((r) => r.copy)).toEqual([[...alerts.keys()][1], ...escalations.keys()].sort());
      for (const r of rows) expect(r).toMatchObject({ kind: 'update', receiveIdType: 'message_id', card: { render: { kind: 'revocationDecided', honourId } }, status: 'sent' });
      for (const m of [a2, e1, e2]) {
        expect(h.fake.currentCard(m), m).toEqual(card);
        expect(cardActions(h.fake.currentCard(m))).toEqual([]);
      }
      // the copy clicked keeps its answer: no update of it queued
      expect(await h.db.db.select().from(outbox).where(eq(outbox.receiver, a1))).toEqual([]);
      expect(h.fake.currentCard(a1)).toEqual(card);

      // a second decision, from a copy since redrawn: told it is decided, and nothing queued again
      const before = await h.db.db.$count(outbox);
      const late = await h.click(ADMIN, { action: 'revocation.keep', honourId }, { reason: '已整改' }, { messageId: a2, chatId: G2 });
      // who decided and when, as a complaint decided already says it: by name, or 你 to the one who did
      expect(late.toast).toEqual({ type: 'info', content: '李管理员已于 2027年3月11日 10:00 撤销 佛山路灯维护班 的 2026 年度称号，无需再处理。' });
      const ownLate = await h.click(ADMIN2, { action: 'revocation.keep', honourId }, { reason: '已整改' }, { messageId: e1, chatId: G1 });
      expect(ownLate.toast).toEqual({ type: 'info', content: '你已于 2027年3月11日 10:00 撤销 佛山路灯维护班 的 2026 年度称号，无需再处理。' });
      const lateRevoke = await h.click(ADMIN, { action: 'revocation.revoke', honourId }, { reason: '再次' }, { messageId: e2, chatId: G2 });
      expect(lateRevoke.toast.type).toBe('info');
      expect(await h.db.db.$count(outbox)).toBe(before);
      expect(await redrawRows(h, honourId)).toEqual(rows);
      outcome[mode] = { revoke: rows };
    });

    it(`保留称号 redraws the other copy as kept; a later run's 撤销 redraws only that run's copies (${mode})`, async () => {
      const w = worlds[mode];
      const { h } = w;
      const honourId = w.honours.keep;
      h.clock.set(new Date('2027-03-02T09:00:00+08:00'));
      await runUpheld(h, w.teams.keep, [3, 4]);
      const first = await sentAs(h, `revocation:alert:${honourId}:%`);
      const [[k1, m1], [k2, m2]] = [...first.entries()];
      h.clock.set(new Date('2027-03-05T10:00:00+08:00'));
      const kept = await h.clickCard(ADMIN2, m2, { action: 'revocation.keep', honourId }, { reason: '已整改，回访满意' });
      expect(kept.body?.toast).toEqual({ type: 'success', content: '已保留称号' });
      await expectPath(mode, 'keep');
      const team = (await complaintTeam(h.db.db, w.teams.keep))!;
      const keptCard = plain(revocationDecidedCard({ team, year: 2026, decision: 'kept', reason: '已整改，回访满意' }));
      expect(h.fake.currentCard(m1)).toEqual(keptCard);
      const keptRows = await redrawRows(h, honourId);
      expect(keptRows.map((r) => r.copy)).toEqual([k1]);
      // the other administrator's 撤销 on the copy redrawn: who kept it and when, as a complaint decided already says it
      const lateRevoke = await h.click(ADMIN, { action: 'revocation.revoke', honourId }, { reason: '连续投诉' }, { messageId: m1, chatId: k1.split(':chat:')[1] });
      expect(lateRevoke.toast).toEqual({ type: 'info', content: `第二十二条：李管理员已于 2027年3月5日 10:00 决定保留 ${team.name} 的 2026 年度称号（理由：已整改，回访满意），无需再处理；此后再连续出现成立的投诉时，会再次提醒是否撤销称号。` });

      // a new run after the 保留: its alert to both groups, then 撤销 from the first group's copy
      h.clock.set(new Date('2027-03-06T09:00:00+08:00'));
      await runUpheld(h, w.teams.keep, [6, 7]);
      const second = [...(await sentAs(h, `revocation:alert:${honourId}:%`)).entries()].filter(([k]) => k !== k1 && k !== k2);
      expect(second).toHaveLength(2);
      const [[, n1], [k4, n2]] = second;
      h.clock.set(new Date('2027-03-08T10:00:00+08:00'));
      const revoked = await h.clickCard(ADMIN2, n1, { action: 'revocation.revoke', honourId }, { reason: '整改后仍连续被投诉' });
      expect(revoked.body?.toast?.type).toBe('success');
      await expectPath(mode, 'revoke');
      const rows = await redrawRows(h, honourId);
      expect(rows.map((r) => r.copy)).toEqual([k1, k4].sort());
      // the earlier run's copies are not touched: both still show 已保留 (the one clicked its answer, the other its redraw)
      expect(cardText(h.fake.currentCard(n2))).toContain('已撤销称号');
      expect(cardText(h.fake.currentCard(m1))).toContain('已保留称号');
      expect(cardText(h.fake.currentCard(m2))).toContain('已保留称号');
      outcome[mode] = { ...outcome[mode], keep: rows };
    });

    it(`a copy sent more than 14 days ago is not redrawn (Feishu takes no update of it); one not yet sent goes out decided (${mode})`, async () => {
      const w = worlds[mode];
      const { h } = w;
      const honourId = w.honours.again;
      h.clock.set(new Date('2027-03-02T09:00:00+08:00'));
      await runUpheld(h, w.teams.again, [8, 9]);
      const [[oldKey], [, clicked]] = [...(await sentAs(h, `revocation:alert:${honourId}:%`)).entries()];
      // the first group's copy went out 15 days ago, by the database's clock
      await h.db.db.update(outbox).set({ sentAt: sql`now() - interval '15 days'` }).where(eq(outbox.dedupeKey, oldKey));
      // a copy still waiting to go out (the alert's, or the escalation job's) is drawn live while the decision is awaited
      const specs = [{ kind: 'revocationAlert', honourId }, { kind: 'revocationAlert', honourId, daysWaiting: 8 }];
      const render = revocationAlertRenderer(h.db.db, TZ);
      const live = (await render(specs)) as { card: object }[];
      for (const l of live) expect(cardActions(l.card)).toContainEqual({ action: 'revocation.keep', honourId });
      expect(cardText(live[1].card)).toContain('撤销称号已 8 天未决定');
      h.clock.set(new Date('2027-03-12T10:00:00+08:00'));
      const r = await h.clickCard(ADMIN2, clicked, { action: 'revocation.keep', honourId }, { reason: '已整改' });
      expect(r.body?.toast?.type).toBe('success');
      expect(await redrawRows(h, honourId)).toEqual([]);
      const team = (await complaintTeam(h.db.db, w.teams.again))!;
      const keptCard = plain(revocationDecidedCard({ team, year: 2026, decision: 'kept', reason: '已整改' }));
      expect(plain(await render(specs))).toEqual([{ card: keptCard }, { card: keptCard }]);
      expect(plain(await revocationDecidedRenderer(h.db.db)([{ kind: 'revocationDecided', honourId }]))).toEqual([{ card: keptCard }]);
      outcome[mode] = { ...outcome[mode], again: await redrawRows(h, honourId) };
    });
  }

  it('both paths queue the same rows', () => {
    expect(Object.keys(outcome.fast ?? {})).toEqual(['revoke', 'keep', 'again']);
    // (on PGlite the one world stands for both, its one run of the tests the outcome of both)
    expect(outcome.fast).toEqual(outcome[MODES_HERE.at(-1)!]);
  });
});

describe('a revocation not decided', () => {
  it('draws no decided card, and no alert when no run is pending', async () => {
    const h = await startHarness({ clock: new ManualClock('2027-03-02T09:00:00+08:00'), admins: [ADMIN] });
    try {
      const { honours: ids } = await seed(h);
      expect(await revocationDecidedRenderer(h.db.db)([{ kind: 'revocationDecided', honourId: ids.revoke }, { kind: 'revocationDecided', honourId: 999999 }])).toEqual([
        { drop: expect.any(String) },
        { drop: expect.any(String) },
      ]);
      expect(await revocationAlertRenderer(h.db.db, TZ)([{ kind: 'revocationAlert', honourId: ids.revoke }])).toEqual([{ drop: expect.any(String) }]);
      expect(await h.db.db.$count(honours)).toBe(3);
    } finally {
      await h.close();
    }
  });
});
