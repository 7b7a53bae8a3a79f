import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { Database, Db } from '../../db/index.js';
import { applications, assignments, auditLog, cycles, organizations, people, processedEvents, teams } from '../../db/schema.js';
import { fastSubmitScores, SUBMIT_LOCK_WAIT_MS } from '../../src/review/fastSubmit.js';
import { tasksWithoutSheetQuery } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { rowsOf } from '../../src/outbox.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { applicationForm, scoreForm } from '../support/forms.js';
import { cardText } from '../support/cards.js';
import { submittedCard } from '../../bot/review/view.js';
import { briefKeys } from '../../cards/review.js';

/**
 * 提交评分's one statement is the function review_submit (migration 0006). Two things it must do as the pipelined
 * transaction before it did: read the task back exactly as Drizzle reads it (the answer card is drawn from it), and
 * decide a panel's completion on rows read after the application's lock (each statement of the function takes a
 * new snapshot), so two last sheets at once complete the panel once, not never. A stored sheet is answered from the
 * statement that stores it (migration 0014): what its card draws, no more.
 */


const E = ['ou_fnexpert1', 'ou_fnexpert2', 'ou_fnexpert3'];

describe.skipIf(testDatabaseKind() !== 'postgres')('review_submit, the one statement of 提交评分 (PostgreSQL)', () => {
  let base: TestDatabase;
  let db: Db;
  let cycleId: number;
  let event = 0;

  beforeAll(async () => {
    base = await createTestDatabase();
    db = base.db;
    const [org] = await db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
    await db.insert(people).values([{ openId: 'ou_fnlead', name: '组长' }, { openId: 'ou_fncontact', roles: ['org_contact'] }, ...E.map((openId) => ({ openId, roles: ['expert'] }))]);
    const [cycle] = await db
      .insert(cycles)
      .values({ year: 2027, status: 'scoring', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet, settings: { note: '说明 "引号" \\ 与 <b>' } })
      .returning();
    cycleId = cycle.id;
  });

  afterAll(async () => {
    await base?.close();
  });

  /** A team's application in scoring with the three experts on its panel; `n` tells the teams apart. */
  async function panel(n: number, form: Record<string, unknown> = { title: `成果${n}`, members: [{ name: '张三' }] }) {
    const [team] = await db
      .insert(teams)
      .values({
        code: `GDSZ-2025-02${String(n).padStart(2, '0')}`, name: `养护${n}班 “甲”\n第二行`, organizationId: (await db.select().from(organizations))[0].id, department: '养护部',
        type: 'project', leaderOpenId: 'ou_fnlead', phone: '020-1234567', memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动',
        contactOpenId: 'ou_fncontact', registeredAt: '2025-01-10',
      })
      .returning();
    const [application] = await db
      .insert(applications)
      .values({
        teamId: team.id, cycleId, status: 'scoring', form,
        // a JSON string that reads as a number, and a timestamp with microseconds: both must come back as Drizzle reads them
        endorsement: sql`'"123"'::jsonb`, submittedAt: sql`'2027-05-20 10:11:12.345678+08'::timestamptz`, finalScore: null,
      })
      .returning();
    return db.insert(assignments).values(E.map((expertOpenId) => ({ applicationId: application.id, expertOpenId, status: 'assigned' }))).returning();
  }

  function submit(a: typeof assignments.$inferSelect, openId: string, total: number, lockWaitMs?: number, on: Database = base) {
    return fastSubmitScores(
      on,
      { eventId: `ev_fn_${++event}`, eventType: 'card.action.trigger', openId, assignmentId: a.id, formValue: scoreForm(total), now: new Date('2027-06-10T00:22:00.123Z'), timezone: 'Asia/Shanghai' },
      lockWaitMs,
    );
  }

  async function drizzleTask(id: number) {
    const [row] = await tasksWithoutSheetQuery(db).where(eq(assignments.id, id));
    return row;
  }

  it('reads a refused sheet’s task back as Drizzle reads it, and answers a stored one with what its card draws, as Drizzle reads it', async () => {
    const [a1] = await panel(1);
    const refused = await submit(a1, 'ou_fnexpert2', 90);
    expect(refused?.kind).toBe('refused');
    // the sheet comes from the process's cache by the row's version, not from the function
    const { scoreSheet, ...cycle } = refused!.kind === 'refused' ? refused!.task!.cycle : ({} as never);
    expect((scoreSheet as typeof defaultScoreSheet).areas.length).toBe(defaultScoreSheet.areas.length);
    const { sheetVersion, ...expected } = (await drizzleTask(a1.id)).cycle;
    expect(cycle).toEqual(expected);
    expect(sheetVersion).toMatch(/^\d+$/);
    const { cycle: _c, ...rest } = refused!.kind === 'refused' ? refused!.task! : ({} as never);
    const { cycle: _d, ...drizzleRest } = await drizzleTask(a1.id);
    expect(rest).toEqual(drizzleRest);
    expect(rest.application.submittedAt?.toISOString()).toBe('2027-05-20T02:11:12.345Z');

    const stored = await submit(a1, a1.expertOpenId, 87.5);
    expect(stored?.kind).toBe('submitted');
    const task = stored!.kind === 'submitted' ? stored!.task : (undefined as never);
    const { cycle: _e, ...afterRest } = task;
    const { cycle: _f, ...drizzleAfter } = await drizzleTask(a1.id);
    // with the sheet stored, the answer holds what its card draws, each as Drizzle reads the row now: the sheet, the
    // team's code and name, the organisation and the form's summary (migration 0014)
    const { id, scores, total, comment, submittedAt } = drizzleAfter.assignment;
    expect(afterRest).toEqual({
      assignment: { id, scores, total, comment, submittedAt },
      application: { form: { title: '成果1' } },
      team: { code: drizzleAfter.team.code, name: drizzleAfter.team.name },
      organization: drizzleAfter.organization,
    });
    expect(drizzleAfter.assignment).toMatchObject({ status: 'submitted', total: 87.5, submittedAt: new Date('2027-06-10T00:22:00.123Z') });
    const { scoreSheet: _sheet, ...storedCycle } = task.cycle;
    expect(storedCycle).toEqual(expected);
    // stored as a JSON object, as the ordinary path stores it (SQL elsewhere reads it with jsonb_typeof and ->>)
    const [{ kind, item }] = rowsOf(await db.execute(sql`select jsonb_typeof(scores) as kind, scores->>'1.1' as item from assignments where id = ${a1.id}`)) as { kind: string; item: string }[];
    expect(kind).toBe('object');
    expect(item).toBe(String(task.assignment.scores && (task.assignment.scores as Record<string, number>)['1.1']));
    expect(stored!.kind === 'submitted' && stored!.progress).toEqual({ done: 1, total: 1 });
  });

  it('answers a stored sheet with the summary the whole task draws, though only the form’s 成果名称 and 申报类别 come back', async () => {
    const long = (c: string) => c.repeat(1000);
    const form = applicationForm({ customer: long('顾'), qc: long('质'), summary: long('果'), features: long('特') });
    const [a] = await panel(9, form);
    const stored = await submit(a, a.expertOpenId, 88);
    if (stored?.kind !== 'submitted') throw new Error(`not stored: ${stored?.kind}`);
    expect(stored.task.application.form).toEqual({ title: form.title, category: form.category });
    // the keys the migration names are the summary's (cards/review.ts)
    expect(Object.keys(stored.task.application.form as object).sort()).toEqual([...briefKeys].sort());
    const whole = { ...(await drizzleTask(a.id)), cycle: stored.task.cycle };
    expect(whole.application.form).toEqual(form);
    const ctx = { config: { BOT_TIMEZONE: 'Asia/Shanghai' } } as Parameters<typeof submittedCard>[0];
    const answer = submittedCard(ctx, stored.task, stored.progress);
    expect(answer).toEqual(submittedCard(ctx, whole, stored.progress));
    expect(cardText(answer)).toContain(form.title);
    expect(cardText(answer)).toContain('管养');
    // a refusal still reads the whole row: its card may redraw the sheet with the form
    const refused = await submit(a, 'ou_fnexpert2', 90);
    expect(refused?.kind === 'refused' && refused.task?.application.form).toEqual(form);
  });

  it('two last sheets of a panel at once complete it once: the second reads the first’s sheet after the lock', async () => {
    const [a1, a2, a3] = await panel(2);
    expect((await submit(a1, a1.expertOpenId, 90))?.kind).toBe('submitted');
    // another session holds the application's lock; both last sheets arrive while it does
    const held = await heldTransaction(db, (tx) => tx.execute(sql`select 1 from applications where id = ${a1.applicationId} for update`));
    // each on a connection of its own, so both wait for the lock (on one, the second would wait behind the first);
    // waiting as long as it takes: the moment the calls give way after is the next test's
    const own = [postgres(base.url!, { max: 1, onnotice: () => {} }), postgres(base.url!, { max: 1, onnotice: () => {} })];
    const both = Promise.all([submit(a2, a2.expertOpenId, 89, 30_000, { ...base, statements: own[0] }), submit(a3, a3.expertOpenId, 91, 30_000, { ...base, statements: own[1] })]);
    await until(async () => (await lockWaits(db)) >= 2);
    held.release();
    await held.ended;
    const results = await both;
    await Promise.all(own.map((c) => c.end({ timeout: 1 })));
    expect(results.map((r) => r?.kind)).toEqual(['submitted', 'submitted']);
    const [application] = await db.select().from(applications).where(eq(applications.id, a1.applicationId));
    expect(application.status).toBe('scored');
    const completions = await db.select().from(auditLog).where(and(eq(auditLog.action, 'application.completePanel'), eq(auditLog.entityId, String(a1.applicationId))));
    expect(completions).toHaveLength(1);
    expect(completions[0].details).toEqual({ totals: [90, 89, 91], outliers: [] });
  });

  it('a call that waits for a lock longer than it may gives way to the ordinary path and keeps nothing, not even the event', async () => {
    const [a1] = await panel(3);
    const held = await heldTransaction(db, (tx) => tx.execute(sql`select 1 from applications where id = ${a1.applicationId} for update`));
    const started = Date.now();
    const r = await submit(a1, a1.expertOpenId, 90);
    const waited = Date.now() - started;
    held.release();
    await held.ended;
    expect(r).toEqual({ kind: 'ordinary' });
    expect(waited).toBeGreaterThanOrEqual(SUBMIT_LOCK_WAIT_MS);
    const [task] = await db.select().from(assignments).where(eq(assignments.id, a1.id));
    expect(task.status).toBe('assigned');
    expect(await db.select().from(processedEvents).where(eq(processedEvents.eventId, `ev_fn_${event}`))).toEqual([]);
    // and the connection it waited on serves the next call at once
    expect((await submit(a1, a1.expertOpenId, 90))?.kind).toBe('submitted');
    // the wait's limit was the call's own: none of the connections the calls share keeps it
    const shown = await Promise.all(Array.from({ length: 4 }, () => base.statements!`show lock_timeout`));
    expect(shown.map(([r]) => r.lock_timeout)).toEqual(['0', '0', '0', '0']);
  });

  it("reads the cycle's row again when it changed: a last sheet is judged by the new outlier distance, and the task carries the row as it is", async () => {
    const [a1, a2, a3] = await panel(4);
    expect((await submit(a1, a1.expertOpenId, 84))?.kind).toBe('submitted');
    expect((await submit(a2, a2.expertOpenId, 84))?.kind).toBe('submitted');
    // an administrator narrows the outlier distance to 7.5: a new version of the row this process holds
    const [before] = await db.select().from(cycles).where(eq(cycles.id, cycleId));
    await db.update(cycles).set({ settings: { ...(before.settings as object), outlierDistance: 7.5 } }).where(eq(cycles.id, cycleId));
    try {
      // 72 is 12 from the median 84: stored with the default 15, left to the ordinary path (which alerts) with 7.5
      expect(await submit(a3, a3.expertOpenId, 72)).toEqual({ kind: 'ordinary' });
      expect((await db.select().from(assignments).where(eq(assignments.id, a3.id)))[0].status).toBe('assigned');
      const [b1] = await panel(5);
      const stored = await submit(b1, b1.expertOpenId, 90);
      if (stored?.kind !== 'submitted') throw new Error(`not stored: ${stored?.kind}`);
      expect(stored.task.cycle.settings).toMatchObject({ outlierDistance: 7.5 });
      const { scoreSheet, ...cycle } = stored.task.cycle;
      const { sheetVersion: _v, ...now } = (await drizzleTask(b1.id)).cycle;
      expect(cycle).toEqual(now);
      expect(scoreSheet).toEqual(defaultScoreSheet);
    } finally {
      await db.update(cycles).set({ settings: before.settings }).where(eq(cycles.id, cycleId));
    }
  });
});
