import { asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, conflicts, outbox, people, teams } from '../../db/schema.js';
import type { Role } from '../../src/people.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields, submitScores } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';

/**
 * 声明利益冲突 made while the same expert's 提交评分 for that team's task is in flight (PostgreSQL: PGlite has one
 * connection and cannot race). The submit holds the task's application; the declaration waits for it, and once the sheet
 * is committed it is reported to the administrators, as when the two are made one after the other: the declaration is
 * kept (第十七条), never refused as a 谢绝 of a submitted sheet the expert never pressed.
 */

let h: Harness;
const full = Object.fromEntries(scoreFields(defaultScoreSheet).map((f) => [f.field, String(f.max)]));

describe.skipIf(testDatabaseKind() !== 'postgres')('声明利益冲突 beside a 提交评分 of the team’s task', () => {
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const fx = await seedLargeCycle(h.db.db, { applications: 4, experts: 6, organizations: 8, year: 2030 });
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['the ordinary path', false, 0],
    ['the one-statement path', true, 1],
  ] as const)('on %s, the declaration is kept and the sheet submitted meanwhile reported', async (_, fastPaths, which) => {
    h.app.processor.fastPaths = fastPaths;
    const db = h.db.db;
    // a different expert each run, each declaring for the first time
    const tasks = await db
      .select({ id: assignments.id, expert: assignments.expertOpenId, code: teams.code, name: teams.name })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(eq(assignments.status, 'assigned'))
      .orderBy(asc(assignments.expertOpenId), asc(assignments.id));
    const experts = [...new Set(tasks.map((t) => t.expert))];
    const task = tasks.find((t) => t.expert === experts[which])!;
    const [person] = await db.select().from(people).where(eq(people.openId, task.expert));
    const actor = { openId: person.openId, name: person.name, roles: person.roles as Role[] };
    // the submit holds the application, committed only once the declaration waits behind it
    const waits = await lockWaits(db);
    const submit = await heldTransaction(db, (tx) => submitScores(tx, actor, task.id, full, h.clock.now(), 'Asia/Shanghai'));
    const declared = h.click(task.expert, { action: 'experts.conflictAdd' }, { kind: 'team', target: task.code, reason: '与班组长为亲属' });
    try {
      await until(async () => (await lockWaits(db)) > waits);
    } finally {
      submit.release();
      await submit.ended;
    }
    const answer = await declared;
    expect(answer.toast).toEqual({
      type: 'success',
      content: `已声明与“${task.code} ${task.name}”存在利益冲突。你此前已提交的 1 份相关评分已报协会管理员处理。`,
    });
    const kept = await db.select({ id: conflicts.id, reason: conflicts.reason }).from(conflicts).where(eq(conflicts.expertOpenId, task.expert));
    expect(kept.map((k) => k.reason)).toEqual(['与班组长为亲属']);
    const [row] = await db.select({ status: assignments.status }).from(assignments).where(eq(assignments.id, task.id));
    expect(row.status).toBe('submitted');
    const alerts = await db.select({ receiver: outbox.receiver }).from(outbox).where(like(outbox.dedupeKey, `review:conflictScored:${kept[0].id}:%`));
    expect(alerts).toEqual([{ receiver: ADMIN }]);
  });
});
