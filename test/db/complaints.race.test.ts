import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, complaints, cycles, honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { rowsOf } from '../../src/outbox.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { until, lockWaits } from '../support/waiting.js';

/**
 * 第二十二条 counts a title holder's run of upheld complaints. Decisions that change the run (成立, 不成立,
 * 保留称号, 撤销称号) of one title at the same moment must each see the one decided before it, or two
 * upholds that complete the run together each count one short and no alert is raised.
 *
 * The window is held open on purpose. This test's own database has a deferred trigger on complaints and
 * honours that, at COMMIT, waits for an advisory lock another connection holds while a race is staged: so
 * every decision has made its change and read the run before it can commit. The first click is sent and
 * seen waiting, then the second; then the lock is let go. Without a lock on the title both have read the
 * run by then, each blind to the other; with it, the second waits for the first to commit before it reads.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('decisions on one title at the same moment see each other (PostgreSQL)', () => {
  let h: Harness;
  const clock = new ManualClock('2027-03-10T10:00:00+08:00');
  const db = (): Db => h.db.db;
  let n = 0;

  beforeAll(async () => {
    h = await startHarness({ clock });
    // the run the association set for this year: three upheld complaints in a row
    await db()
      .insert(cycles)
      .values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { revocationRun: 3 } });
    // the gate (test database only): a decision's COMMIT waits while another connection holds GATE
    await db().execute(sql.raw(`create function race_gate() returns trigger language plpgsql as $$ begin perform pg_advisory_xact_lock_shared(${GATE}); return null; end $$`));
    for (const table of ['complaints', 'honours']) {
      await db().execute(sql.raw(`create constraint trigger race_gate after update on ${table} deferrable initially deferred for each row execute function race_gate()`));
    }
  });

  afterAll(async () => {
    await h?.close();
  });

  /** A team holding its 2026 title, with `open` complaints received one day after another. */
  async function titleHolder(name: string, open: number) {
    const k = ++n;
    const leader = `ou_raceleader${String(k).padStart(23, '0')}`;
    const contact = `ou_racecontact${String(k).padStart(22, '0')}`;
    const [org] = await db().insert(organizations).values({ name: `${name}所属单位` }).returning();
    await db().insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'] }]);
    const [team] = await db()
      .insert(teams)
      .values({
        code: `GDSZ-2025-${String(k).padStart(4, '0')}`, name, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader,
        phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
      })
      .returning();
    const [honour] = await db().insert(honours).values({ teamId: team.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
    const ids: number[] = [];
    for (let i = 0; i < open; i++) {
      const [c] = await db()
        .insert(complaints)
        .values({
          reference: `TS-2027-${String(k)}${String(i).padStart(3, '0')}`, teamId: team.id, content: `路面修补后开裂（第 ${i + 1} 处）`, channel: 'web', status: 'open',
          createdAt: new Date(Date.parse('2027-01-05T10:00:00+08:00') + i * 86_400_000),
        })
        .returning();
      ids.push(c.id);
    }
    return { team, honourId: honour.id, complaints: ids };
  }

  const uphold = (complaintId: number) => h.click(ADMIN, { action: 'complaint.uphold', complaintId }, { note: '经核实属实' });
  const dismiss = (complaintId: number) => h.click(ADMIN, { action: 'complaint.dismiss', complaintId }, { note: '经核实不属实' });

  /** Revocation alerts queued for the title (one per admin destination; the harness has one, the bootstrap admin). */
  const alertKeys = async (honourId: number) =>
    (await db().select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, `revocation:alert:${honourId}:%`))).map((r) => r.key);
  const alertAudits = async (honourId: number) =>
    db().select().from(auditLog).where(and(eq(auditLog.action, 'honour.revocationAlert'), eq(auditLog.entityId, String(honourId))));
  /** Alerts the fake platform delivered, as the admin sees them: cards offering 撤销 for this title. */
  const delivered = (honourId: number) => h.fake.messages.filter((m) => cardActions(m.content).some((a) => a.action === 'revocation.revoke' && a.honourId === honourId));
  const runShown = (answer: any) => cardText(answer.card.data).match(/目前连续成立的投诉 (\d+) 次/)?.[1];

  /**
   * `first` is clicked and seen waiting (at its COMMIT, the gate held by another connection), then `second`
   * is clicked and seen waiting too (at its COMMIT, or for the first's lock); then the gate opens. Both
   * answers, in click order.
   */
  async function onePastTheOther<A, B>(first: () => Promise<A>, second: () => Promise<B>, between?: () => void): Promise<[A, B]> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const gate = db().transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${GATE})`);
      locked();
      await held;
    });
    let a: Promise<A> | undefined;
    let b: Promise<B> | undefined;
    try {
      await isLocked;
      a = first();
      await until(async () => (await lockWaits(db())) >= 1);
      between?.();
      b = second();
      await until(async () => (await lockWaits(db())) >= 2);
      if (process.env.RACE_DEBUG) console.log(rowsOf(await db().execute(sql`select pid, wait_event_type, wait_event, state, left(query, 120) as q from pg_stat_activity where datname = current_database() and state <> 'idle'`)));
    } finally {
      release();
      await gate;
    }
    return Promise.all([a, b]);
  }

  it('two upholds completing the run together: the later one counts both and raises ONE alert', async () => {
    const t = await titleHolder('广州市政养护竞态一班', 3);
    const [before, a, b] = t.complaints;
    await uphold(before);
    expect(await alertKeys(t.honourId)).toEqual([]);

    const [first, second] = await onePastTheOther(() => uphold(a), () => uphold(b));
    expect(first.toast).toMatchObject({ type: 'success', content: '已认定投诉成立' });
    expect(second.toast).toMatchObject({ type: 'success', content: '已认定投诉成立，撤销称号提醒已发出' });
    expect(runShown(first)).toBe('2');
    expect(runShown(second)).toBe('3');

    const keys = await alertKeys(t.honourId);
    expect(keys).toHaveLength(1);
    // the run is named by its first complaint
    expect(keys[0]).toContain(`:from-${before}:`);
    expect(await alertAudits(t.honourId)).toHaveLength(1);
    expect(delivered(t.honourId)).toHaveLength(1);
    expect(cardText(delivered(t.honourId)[0].content)).toContain('已连续 **3** 次投诉成立');
  });

  it('an uphold after a dismissal of a later complaint: the run of those that came in before it stands, ONE alert', async () => {
    const t = await titleHolder('深圳道路竞态二组', 4);
    const [c1, c2, a, b] = t.complaints;
    await uphold(c1);
    await uphold(c2);
    // b came in after a: dismissed first, it ends the run after a, not before it (a, still open then, ended it there)
    const [dismissed, upheld] = await onePastTheOther(() => dismiss(b), () => uphold(a));
    expect(dismissed.toast).toMatchObject({ type: 'success', content: '已认定投诉不成立' });
    expect(runShown(dismissed)).toBe('0');
    expect(upheld.toast).toMatchObject({ type: 'success', content: '已认定投诉成立，撤销称号提醒已发出' });
    expect(runShown(upheld)).toBe('3');
    const keys = await alertKeys(t.honourId);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain(`:from-${c1}:`);
    expect(await alertAudits(t.honourId)).toHaveLength(1);
    expect(delivered(t.honourId)).toHaveLength(1);
  });

  it('an uphold after 保留称号 counts from the keep: the run starts again at one, no second alert', async () => {
    const t = await titleHolder('佛山排水竞态三班', 4);
    const [c1, c2, c3, a] = t.complaints;
    for (const c of [c1, c2, c3]) await uphold(c);
    expect(await alertKeys(t.honourId)).toHaveLength(1);

    const [kept, upheld] = await onePastTheOther(
      () => h.click(ADMIN, { action: 'revocation.keep', honourId: t.honourId }, { reason: '已整改，回访满意' }),
      () => uphold(a),
      // the uphold is decided a minute after the keep
      () => clock.advance(60_000),
    );
    expect(kept.toast).toMatchObject({ type: 'success', content: '已保留称号' });
    expect(upheld.toast).toMatchObject({ type: 'success', content: '已认定投诉成立' });
    expect(runShown(upheld)).toBe('1');
    expect(await alertKeys(t.honourId)).toHaveLength(1);
    expect(delivered(t.honourId)).toHaveLength(1);
  });

  it('an uphold after 撤销称号 finds no title: no alert for a revoked title', async () => {
    const t = await titleHolder('珠海桥梁竞态四组', 4);
    const [c1, c2, c3, a] = t.complaints;
    // the run reached: 撤销称号 answers its alert
    for (const c of [c1, c2, c3]) await uphold(c);
    expect(await alertKeys(t.honourId)).toHaveLength(1);
    const [revoked, upheld] = await onePastTheOther(
      () => h.click(ADMIN, { action: 'revocation.revoke', honourId: t.honourId }, { reason: '质量问题屡次被投诉' }),
      () => uphold(a),
    );
    expect(revoked.toast).toMatchObject({ type: 'success' });
    expect(upheld.toast).toMatchObject({ type: 'success', content: '已认定投诉成立' });
    expect(runShown(upheld)).toBeUndefined();
    expect((await db().select().from(honours).where(eq(honours.id, t.honourId)))[0].revokedAt).not.toBeNull();
    // the one alert of the run the revocation answered, none after it
    expect(await alertKeys(t.honourId)).toHaveLength(1);
    expect(delivered(t.honourId)).toHaveLength(1);
  });
});

/** The advisory lock key of the commit gate. */
const GATE = 2219;
