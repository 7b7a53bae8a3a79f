import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { complaints, cycles, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { MODES } from '../support/worlds.js';

/**
 * 保留称号 (第二十二条) on a title's alert and 更正认定 of one of the run's upheld complaints, tapped by two administrators
 * at the same moment. 更正认定 holds the complaint's row while it waits for the title's lock; 保留称号 sets the run's
 * upheld complaints aside (set_aside_at), so it takes their rows too, and took them after the title's: each waited for
 * the other, PostgreSQL broke the deadlock by failing one, and that administrator got an error. Both now take the
 * complaint's row first: one waits for the other, and both are done.
 *
 * The moment is staged: another session holds the title's lock while 保留 is tapped and seen waiting for it, then
 * 更正认定 is tapped and seen waiting; then the title's lock is let go.
 */

const LEADER = 'ou_keepbesidecorrectleader000000001';
const CONTACT = 'ou_keepbesidecorrectcontact00000001';

describe.skipIf(testDatabaseKind() !== 'postgres').each(MODES)('保留称号 and 更正认定 of the same run at once (PostgreSQL, %s)', (mode) => {
  let h: Harness;
  const clock = new ManualClock('2027-03-01T09:00:00+08:00');
  const db = (): Db => h.db.db;
  let honourId: number;
  let upheld: number[];

  beforeAll(async () => {
    h = await startHarness({ clock });
    h.app.processor.fastPaths = mode === 'fast';
    await db().insert(cycles).values({
      year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { revocationRun: 2 },
    });
    const [org] = await db().insert(organizations).values({ name: '保留更正竞态单位' }).returning();
    await db().insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'] }]);
    const [t] = await db()
      .insert(teams)
      .values({
        code: 'GDSZ-2025-0741', name: '江门道路养护班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
        phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT, registeredAt: '2025-01-10',
      })
      .returning();
    const [ho] = await db().insert(honours).values({ teamId: t.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
    honourId = ho.id;
    upheld = [];
    for (const day of [1, 2]) {
      const [c] = await db()
        .insert(complaints)
        .values({
          reference: `TS-2027-074${day}`, teamId: t.id, content: `井盖松动（${day} 日）`, channel: 'web', status: 'upheld', note: '核实', decidedBy: ADMIN,
          decidedAt: new Date(`2027-02-1${day}T10:00:00+08:00`), createdAt: new Date(`2027-02-0${day}T10:00:00+08:00`),
        })
        .returning();
      upheld.push(c.id);
    }
  });
  afterAll(() => h?.close());

  it('both are done: the title kept, the complaint corrected; neither administrator gets an error', async () => {
    const title = await heldTransaction(db(), (tx) => tx.execute(sql`select id from honours where id = ${honourId} for update`));
    let keep: ReturnType<Harness['click']> | undefined;
    let correct: ReturnType<Harness['click']> | undefined;
    try {
      keep = h.click(ADMIN, { action: 'revocation.keep', honourId }, { reason: '已整改到位' });
      await until(async () => (await lockWaits(db())) >= 1);
      correct = h.click(ADMIN, { action: 'complaint.correct', complaintId: upheld[1], to: 'dismissed' }, { note: '误点成立，经核查投诉不实' });
      await until(async () => (await lockWaits(db())) >= 2);
    } finally {
      title.release();
      await title.ended;
    }
    const [kept, corrected] = await Promise.all([keep, correct]);
    expect(kept?.toast).toEqual({ type: 'success', content: '已保留称号' });
    expect(corrected?.toast).toEqual({ type: 'success', content: '已将投诉 TS-2027-0742 由“成立”更正为“不成立”' });
    const [honour] = await db().select().from(honours).where(eq(honours.id, honourId));
    expect(honour.keptAt).not.toBeNull();
    const [c] = await db().select().from(complaints).where(eq(complaints.id, upheld[1]));
    expect(c).toMatchObject({ status: 'dismissed', note: '误点成立，经核查投诉不实' });
    // the 保留 came first: it set aside the run it answered, the corrected complaint among them
    expect(c.setAsideAt?.getTime()).toBe(honour.keptAt?.getTime());
  });
});
