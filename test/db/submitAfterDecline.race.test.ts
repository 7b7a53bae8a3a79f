import { asc, eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { lockWaits, until } from '../support/waiting.js';

/**
 * A 提交评分 that waited behind a 谢绝 of the same task, on the ordinary path (the only one on PGlite, which cannot race;
 * `fastPaths = false` on PostgreSQL): the submit reads its task under FOR UPDATE OF applications, and once the 谢绝 commits
 * PostgreSQL re-reads only the locked row, so the task's assignment is the one from before the decline. The submit is
 * refused as a submit (这份评分表无需再提交), not with the decline's own “无需重复谢绝”; the one-statement path says the same.
 */

let h: Harness;
let tasks: { id: number; expertOpenId: string; applicationId: number }[];
const full = Object.fromEntries(scoreFields(defaultScoreSheet).map((f) => [f.field, String(f.max)]));

describe.skipIf(testDatabaseKind() !== 'postgres')('提交评分 behind a 谢绝 of the same task (ordinary path)', () => {
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const fx = await seedLargeCycle(h.db.db, { applications: 4, experts: 4, organizations: 8, year: 2030 });
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId });
    tasks = await h.db.db.select().from(assignments).orderBy(asc(assignments.id)).limit(2);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['the ordinary path', false, 0],
    ['the one-statement path', true, 1],
  ] as const)('on %s, is told its sheet need not be submitted, not that the task need not be declined again', async (_, fastPaths, which) => {
    h.app.processor.fastPaths = fastPaths;
    const task = tasks[which];
    const other = postgres(h.db.url!, { max: 1 });
    try {
      const waits = await lockWaits(h.db.db);
      const decline = other.begin(async (tx) => {
        // the 谢绝's lock on the application, its decline and its audit, as declineTask writes them
        await tx`select id from applications where id = ${task.applicationId} for update`;
        const submit = h.click(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, full);
        await until(async () => (await lockWaits(h.db.db)) > waits);
        await tx`update assignments set status = 'declined', decline_reason = '时间无法安排：出差' where id = ${task.id}`;
        await tx`insert into audit_log (at, actor, action, entity, entity_id, details) values (now(), ${task.expertOpenId}, 'review.decline', 'assignment', ${String(task.id)}, '{}'::jsonb)`;
        return { submit };
      });
      const answer = await (await decline).submit;
      // the decline here brings no other expert (nobody took the place): none is said to be arranged
      expect(answer.toast).toMatchObject({ type: 'info', content: '你已谢绝这项评分任务，这份评分表无需再提交。' });
      expect(answer.toast.content).not.toContain('无需重复谢绝');
      const [row] = await h.db.db.select().from(assignments).where(eq(assignments.id, task.id));
      expect(row).toMatchObject({ status: 'declined', total: null });
    } finally {
      await other.end();
    }
  });
});
