import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applications, assignments, conflicts, cycles, people } from '../../db/schema.js';
import { fastDeclareConflict, fastDecline } from '../../src/fast/replace.js';
import { declareConflict } from '../../src/review/experts.js';
import { declineTask } from '../../src/review/scoring.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { type Fixture, OTHER_EXPERT, personas, seedFixture } from './securityFixture.js';

/**
 * 声明利益冲突 locks the declaring expert's row, then the cycle. A 谢绝 that holds the cycle and picks that expert as
 * the replacement needs a key-share lock on the same row for the new task's foreign key. With the person locked FOR
 * UPDATE the two waited on each other and PostgreSQL ended one of them (40P01, a 500 to the user); FOR NO KEY UPDATE
 * leaves the key-share lock free, so both go through. Checked on both paths, the one statement and the ordinary one.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('声明利益冲突 beside a 谢绝 that picks the declaring expert (PostgreSQL)', () => {
  const now = new Date('2027-03-10T02:00:00Z');
  const THIRD = 'ou_deadlockexpert00000000000000003';
  const FOURTH = 'ou_deadlockexpert00000000000000004';
  let base: TestDatabase;
  let f: Fixture;
  /** OTHER_EXPERT's task on appC, whose only possible replacement is the expert persona. */
  let otherTask: number;

  beforeEach(async () => {
    base = await createTestDatabase();
    const db = base.db;
    f = await seedFixture(db);
    await db.update(cycles).set({ expertsPerApplication: 2 }).where(eq(cycles.id, f.cycleId));
    const [pool] = await db.select({ organizationId: people.organizationId }).from(people).where(eq(people.openId, personas.expert));
    await db.insert(people).values([
      { openId: THIRD, name: '第三专家', roles: ['expert'], organizationId: pool.organizationId },
      { openId: FOURTH, name: '第四专家', roles: ['expert'], organizationId: pool.organizationId },
    ]);
    // appC under review by OTHER_EXPERT and FOURTH; THIRD may not take it (a conflict with its team): when OTHER_EXPERT
    // declines, the expert persona is the one replacement
    await db.update(applications).set({ status: 'scoring' }).where(eq(applications.id, f.appC));
    [{ id: otherTask }] = await db
      .insert(assignments)
      .values([
        { applicationId: f.appC, expertOpenId: OTHER_EXPERT, status: 'assigned' },
        { applicationId: f.appC, expertOpenId: FOURTH, status: 'assigned' },
      ])
      .returning({ id: assignments.id });
    await db.insert(conflicts).values({ expertOpenId: THIRD, teamId: f.teamC.id, reason: '曾为该班组提供咨询' });
  });

  afterEach(async () => {
    await base?.close();
  });

  const declineForm = { kind: 'unavailable', reason: '评审期间出差' };
  const conflictForm = { kind: 'team', reason: '与班组长为亲属' };

  type Paths = { decline: () => Promise<unknown>; declare: () => Promise<unknown> };
  const paths: Record<'one statement' | 'ordinary', () => Paths> = {
    'one statement': () => ({
      decline: () => fastDecline(base, { eventId: 'evt_deadlock_decline', eventType: 'card.action.trigger', openId: OTHER_EXPERT, assignmentId: otherTask, now, formValue: declineForm }),
      declare: () =>
        fastDeclareConflict(base, { eventId: 'evt_deadlock_declare', eventType: 'card.action.trigger', openId: personas.expert, now, formValue: { ...conflictForm, target: f.teamD.code } }),
    }),
    ordinary: () => ({
      decline: () => base.db.transaction((tx) => declineTask(tx, { openId: OTHER_EXPERT, name: '其他专家', roles: ['expert'] }, otherTask, declineForm, now, 'Asia/Shanghai')),
      declare: () =>
        base.db.transaction((tx) =>
          declareConflict(tx, { openId: personas.expert, name: '专家', roles: ['expert'] }, { ...conflictForm, target: f.teamD.code }, now, 'Asia/Shanghai'),
        ),
    }),
  };

  it.each(Object.keys(paths) as (keyof typeof paths)[])('%s: both go through, the decline first', async (which) => {
    const db = base.db;
    const { decline, declare } = paths[which]();
    // the cycle held, the decline queues for it first, then the declaration, holding the declaring expert's row
    const hold = await heldTransaction(db, (tx) => tx.select({ id: cycles.id }).from(cycles).where(eq(cycles.id, f.cycleId)).for('update'));
    const declined = decline().then(
      (v) => ({ ok: true as const, v }),
      (err: Error & { code?: string }) => ({ ok: false as const, err: err.code ?? err.message }),
    );
    await until(async () => (await lockWaits(db)) >= 1);
    const declared = declare().then(
      (v) => ({ ok: true as const, v }),
      (err: Error & { code?: string }) => ({ ok: false as const, err: err.code ?? err.message }),
    );
    await until(async () => (await lockWaits(db)) >= 2);
    hold.release();
    await hold.ended;
    const [d, c] = await Promise.all([declined, declared]);
    expect(d, JSON.stringify(d)).toMatchObject({ ok: true });
    expect(c, JSON.stringify(c)).toMatchObject({ ok: true });
    // the one statement answered itself (not left to the ordinary path), each with its replacement
    if (which === 'one statement') {
      expect(d.ok && d.v).toBeTruthy();
      expect(c.ok && c.v).toMatchObject({ replaced: 1 });
    }
    const tasks = await db
      .select({ application: assignments.applicationId, expert: assignments.expertOpenId, status: assignments.status })
      .from(assignments)
      .orderBy(assignments.id);
    expect(tasks).toEqual([
      { application: f.appD, expert: personas.expert, status: 'declined' },
      { application: f.appD, expert: OTHER_EXPERT, status: 'assigned' },
      { application: f.appC, expert: OTHER_EXPERT, status: 'declined' },
      { application: f.appC, expert: FOURTH, status: 'assigned' },
      // the decline's replacement: the expert who declared (a conflict with team D, not C)
      { application: f.appC, expert: personas.expert, status: 'assigned' },
      // the declaration's replacement on appD: the least loaded who may take it
      { application: f.appD, expert: THIRD, status: 'assigned' },
    ]);
    expect(await db.select().from(conflicts).where(eq(conflicts.expertOpenId, personas.expert))).toHaveLength(1);
  });

  it.each(Object.keys(paths) as (keyof typeof paths)[])(
    '%s: a declaration against the team a 谢绝 is giving the expert waits for it, then declines that task',
    async (which) => {
      const db = base.db;
      const expert = { openId: personas.expert, name: '专家', roles: ['expert' as const] };
      // OTHER_EXPERT's decline on appC (team C) holds the cycle, having given the expert persona the task, not yet committed
      const decline = await heldTransaction(db, (tx) =>
        declineTask(tx, { openId: OTHER_EXPERT, name: '其他专家', roles: ['expert'] }, otherTask, declineForm, now, 'Asia/Shanghai'),
      );
      const form = { ...conflictForm, target: f.teamC.code };
      const ordinary = () => base.db.transaction((tx) => declareConflict(tx, expert, form, now, 'Asia/Shanghai'));
      // the bot's order: the one statement, and the ordinary path when it leaves the declaration (nobody may replace)
      const declare: () => Promise<unknown> =
        which === 'one statement'
          ? () => fastDeclareConflict(base, { eventId: 'evt_deadlock_team_c', eventType: 'card.action.trigger', openId: personas.expert, now, formValue: form }).then((r): Promise<unknown> => (r ? Promise.resolve(r) : ordinary()))
          : ordinary;
      let settled = false;
      const declared = declare().finally(() => (settled = true));
      try {
        await until(async () => settled || (await lockWaits(db)) >= 1);
        expect(settled, 'the declaration went ahead without waiting for the decline').toBe(false);
      } finally {
        decline.release();
        await decline.ended;
        await declared;
      }
      // the expert holds no pending task of the team they declared a conflict with
      const onC = await db.select({ status: assignments.status }).from(assignments).where(and(eq(assignments.applicationId, f.appC), eq(assignments.expertOpenId, personas.expert)));
      expect(onC).toEqual([{ status: 'declined' }]);
    },
  );
});
