import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import type { Role } from '../../src/people.js';
import { scoreFields, submitScores } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';

/**
 * 结束评分并汇总 on the ordinary path (the one a deadlock of the one statement falls back to) while the last sheet of a
 * panel commits (PostgreSQL: PGlite has one connection and cannot race). A 提交评分 takes no lock of the cycle, so the
 * sheet may commit after the checks read the application as still scoring and before the refusal counts its experts
 * still to score: that application was named as one whose experts all declined (添加其他单位的专家…补足), false. The
 * sheet is held here, its table locked, until the close waits for it between the two reads. The close is refused with
 * what was true when it checked (未完成评分), and a click again sums the year.
 */

let h: Harness;
let cycleId: number;
const full = Object.fromEntries(scoreFields(defaultScoreSheet).map((f) => [f.field, String(f.max)]));

describe.skipIf(testDatabaseKind() !== 'postgres')('结束评分并汇总 while the last sheet commits (ordinary path)', () => {
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const fx = await seedLargeCycle(h.db.db, { applications: 2, experts: 6, organizations: 8, year: 2030 });
    cycleId = fx.cycleId;
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('is refused as still scoring, never as a panel nobody scores; a click again sums the year', async () => {
    h.app.processor.fastPaths = false;
    const db = h.db.db;
    const tasks = await db.select().from(assignments).where(eq(assignments.status, 'assigned')).orderBy(asc(assignments.id));
    const last = tasks[tasks.length - 1];
    for (const t of tasks.slice(0, -1)) {
      expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, full)).toast?.type).toBe('success');
    }
    const [person] = await db.select().from(people).where(eq(people.openId, last.expertOpenId));
    const actor = { openId: person.openId, name: person.name, roles: person.roles as Role[] };
    // the last sheet's transaction holds the tasks' table: the close reads the applications, then waits to count the
    // experts still to score; the sheet commits then
    const waits = await lockWaits(db);
    let closed: Promise<any> | undefined;
    const sheet = await heldTransaction(db, async (tx) => {
      await tx.execute(sql`lock table ${assignments} in access exclusive mode`);
      closed = h.click(ADMIN, { action: 'results.close', cycleId });
      await until(async () => (await lockWaits(db)) > waits);
      await submitScores(tx, actor, last.id, full, h.clock.now(), 'Asia/Shanghai');
    });
    sheet.release();
    await sheet.ended;
    const answer = await closed!;
    const [app] = await db.select({ status: applications.status }).from(applications).where(eq(applications.id, last.applicationId));
    expect(app.status).toBe('scored');
    expect(answer.toast?.content).not.toContain('谢绝或回避');
    expect(answer.toast?.content).toMatch(/^还有 1 份申报未完成评分（GDSZ-2027-\d+）/);
    const again = await h.click(ADMIN, { action: 'results.close', cycleId });
    expect(again.toast).toMatchObject({ type: 'success' });
    expect(again.toast.content).toMatch(/^已汇总 2 份申报/);
  });
});
