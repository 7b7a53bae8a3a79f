import { and, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, cycles, organizations, outbox, people, processedEvents, teams } from '../../db/schema.js';
import { expertProgress } from '../../src/review/scoring.js';
import { defaultScoreSheet, sheetFingerprint } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { registrationForm, scoreForm } from '../support/forms.js';
import { countedBot } from '../support/wire.js';

/**
 * Database round trips per card callback, counted on the wire: a round trip is a write to the
 * PostgreSQL socket after the server last answered (pipelined statements share one). The bot runs on
 * one connection, so its prepared statements are warm after the first callback of each kind.
 */


/** The most round trips 投诉 typed in chat may take, the message's claim and the form queued with it. */
const TEXT_COMPLAINT_TRIPS: Record<string, number> = { '投诉 <team name>': 4, '投诉 <part of team names>': 7, '投诉 <team name> <complaint>': 8 };

const E = Array.from({ length: 4 }, (_, i) => `ou_tripexpert00000000000000000000${i + 1}`);

describe.skipIf(testDatabaseKind() !== 'postgres')('database round trips per card callback (PostgreSQL)', () => {
  const table: { callback: string; trips: number; statements: number }[] = [];
  const tasks: Record<'A' | 'B', (typeof assignments.$inferSelect)[]> = { A: [], B: [] };

  /** Two teams' applications in scoring, three experts on each; a fourth expert free. */
  async function seed(db: Db) {
    const [org] = await db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
    await db.insert(people).values([{ openId: 'ou_triplead', name: '组长' }, { openId: 'ou_tripcontact', roles: ['org_contact'] }, ...E.map((openId) => ({ openId, roles: ['expert'] }))]);
    const [cycle] = await db
      .insert(cycles)
      .values({ year: 2027, status: 'scoring', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet })
      .returning();
    for (const [key, n] of [['A', 1], ['B', 2]] as const) {
      const [team] = await db
        .insert(teams)
        .values({
          code: `GDSZ-2025-010${n}`, name: `养护${n}班`, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_triplead', phone: '020-1234567',
          memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: 'ou_tripcontact', registeredAt: '2025-01-10',
        })
        .returning();
      const [application] = await db.insert(applications).values({ teamId: team.id, cycleId: cycle.id, status: 'scoring', form: { title: `成果${n}` } }).returning();
      tasks[key] = await db
        .insert(assignments)
        .values(E.slice(0, 3).map((expertOpenId) => ({ applicationId: application.id, expertOpenId, status: 'assigned' })))
        .returning();
    }
  }
  const bot = countedBot({ clock: '2027-06-10T08:22:00+08:00', db: 'counted', countUntil: 'answer', seed });

  afterAll(async () => {
    console.log(`round trips per card callback (warm, one connection):\n${table.map((r) => `  ${r.callback.padEnd(52)} ${String(r.trips).padStart(2)} round trips, ${r.statements} statements`).join('\n')}`);
  });

  async function measured(name: string, openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>, eventId?: string) {
    const r = await bot.click(openId, value, formValue, eventId);
    table.push({ callback: name, trips: r.trips, statements: r.statements.length });
    return r;
  }

  it('a score sheet is one round trip: the claim, checks, sheet, audit row and the answer’s read in one call of one function', async () => {
    const [a1, a2] = tasks.A;
    // the first callback prepares the statements on the connection
    expect((await bot.click(a1.expertOpenId, { action: 'review.submit', assignmentId: a1.id }, scoreForm(90))).body.toast?.type).toBe('success');
    // as the card sends it, with the fingerprint of the sheet it shows: checked against the cached sheet, no round trip
    const r = await measured('review.submit (stored)', a2.expertOpenId, { action: 'review.submit', assignmentId: a2.id, sheet: sheetFingerprint(defaultScoreSheet) }, scoreForm(87.5));
    expect(r.body.toast).toEqual({ type: 'success', content: '已提交评分：养护1班，总分 87.5 分' });
    expect(JSON.stringify(r.body.card)).toContain('总分：87.5 / 100 分');
    // the progress read back counts what the ordinary path's query counts
    expect(await expertProgress(bot.db, a2.expertOpenId)).toEqual({ done: 1, total: 2 });
    expect(JSON.stringify(r.body.card)).toContain('你已完成 1 / 2 项');
    expect(r.trips).toBe(1);
    // one statement, with no BEGIN or COMMIT around it: the function review_submit takes the lock, writes and reads back
    expect(r.statements).toEqual([expect.stringMatching(/^select review_submit\(/)]);
    const [stored] = await bot.db.select().from(assignments).where(eq(assignments.id, a2.id));
    expect(stored).toMatchObject({ status: 'submitted', total: 87.5 });
    expect(await bot.db.select().from(processedEvents).where(eq(processedEvents.eventId, r.eventId))).toHaveLength(1);
    const audits = await bot.db.select().from(auditLog).where(and(eq(auditLog.action, 'review.submit'), eq(auditLog.entityId, String(a2.id))));
    expect(audits.map((a) => a.details)).toEqual([{ applicationId: a2.applicationId, total: 87.5 }]);
  });

  it('a refused sheet is one round trip too, records the event and changes nothing else', async () => {
    const a3 = tasks.A[2];
    const bad = await measured('review.submit (a value out of range)', a3.expertOpenId, { action: 'review.submit', assignmentId: a3.id }, { ...scoreForm(80), i1_2: '6' });
    expect(bad.body.toast?.type).toBe('error');
    expect(bad.body.toast?.content).toContain('1.2 质量安全管理制度健全并严格执行：须在 0 到 5 分之间，且为整分或半分');
    expect(JSON.stringify(bad.body.card)).toContain('"default_value":"6"');
    expect(bad.trips).toBeLessThanOrEqual(2);
    expect(await bot.db.select().from(processedEvents).where(eq(processedEvents.eventId, bad.eventId))).toHaveLength(1);
    expect((await bot.db.select().from(assignments).where(eq(assignments.id, a3.id)))[0]).toMatchObject({ status: 'assigned', total: null });

    const steal = await measured('review.submit (another expert’s task)', E[3], { action: 'review.submit', assignmentId: a3.id }, scoreForm(80));
    expect(steal.body.toast?.content).toContain('这不是你的评分任务');
    expect(steal.body.card).toBeUndefined();
    expect(steal.trips).toBeLessThanOrEqual(2);
  });

  it('the panel’s last sheet completes it in the same round trip; the same event again changes nothing; a second submit says when it was stored', async () => {
    const a3 = tasks.A[2];
    const r = await measured('review.submit (last of the panel)', a3.expertOpenId, { action: 'review.submit', assignmentId: a3.id }, scoreForm(88));
    expect(r.body.toast?.type).toBe('success');
    expect(r.trips).toBe(1);
    expect((await bot.db.select().from(applications).where(eq(applications.id, a3.applicationId)))[0].status).toBe('scored');
    const completed = await bot.db.select().from(auditLog).where(and(eq(auditLog.action, 'application.completePanel'), eq(auditLog.entityId, String(a3.applicationId))));
    expect(completed.map((a) => a.details)).toEqual([{ totals: [90, 87.5, 88], outliers: [] }]);

    const again = await measured('review.submit (same event delivered again)', a3.expertOpenId, { action: 'review.submit', assignmentId: a3.id }, scoreForm(70), r.eventId);
    expect(again.body.toast?.type).toBe('info');
    expect(again.body.toast?.content).toMatch(/^这份评分已于 \S+ 08:22(:00)? 提交（总分 88 分），无需重复提交/);
    expect(JSON.stringify(again.body.card)).toContain('总分：88 / 100 分');
    expect(again.trips).toBeLessThanOrEqual(2);

    const second = await measured('review.submit (already submitted)', a3.expertOpenId, { action: 'review.submit', assignmentId: a3.id }, scoreForm(70));
    expect(second.body.toast?.type).toBe('info');
    expect(second.body.toast?.content).toMatch(/^这份评分已于 \S+ 08:22(:00)? 提交（总分 88 分），无需重复提交/);
    expect(JSON.stringify(second.body.card)).toContain('总分：88 / 100 分');
    expect(second.trips).toBeLessThanOrEqual(2);
    expect((await bot.db.select().from(assignments).where(eq(assignments.id, a3.id)))[0].total).toBe(88);
  });

  it('two clicks of the same sheet at once store it once; the other is told it is stored', async () => {
    const [b1] = tasks.B;
    const value = { action: 'review.submit', assignmentId: b1.id };
    const [x, y] = await Promise.all([bot.click(b1.expertOpenId, value, scoreForm(91)), bot.click(b1.expertOpenId, value, scoreForm(91))]);
    expect([x.body.toast?.type, y.body.toast?.type].sort()).toEqual(['info', 'success']);
    expect([x, y].find((r) => r.body.toast?.type === 'info')!.body.toast!.content).toMatch(/^这份评分已于 .+ 提交（总分 91 分）/);
    expect(await bot.db.select().from(auditLog).where(and(eq(auditLog.action, 'review.submit'), eq(auditLog.entityId, String(b1.id))))).toHaveLength(1);
  });

  it('a completion that alerts the administrators takes the ordinary path, whose trips are counted beside', async () => {
    const [, b2, b3] = tasks.B;
    await bot.click(b2.expertOpenId, { action: 'review.submit', assignmentId: b2.id }, scoreForm(90));
    const r = await measured('review.submit (last, far-off total: ordinary path)', b3.expertOpenId, { action: 'review.submit', assignmentId: b3.id }, scoreForm(40));
    expect(r.body.toast?.type).toBe('success');
    expect((await bot.db.select().from(applications).where(eq(applications.id, b3.applicationId)))[0].status).toBe('scored');
  });

  it('counts the other common callbacks (reported, no limit)', async () => {
    const [a1] = tasks.A;
    for (const [name, value] of [
      ['review.open', { action: 'review.open', assignmentId: a1.id }],
      ['review.list', { action: 'review.list' }],
      ['review.next', { action: 'review.next' }],
      ['review.declineForm (refused: already submitted)', { action: 'review.declineForm', assignmentId: a1.id }],
      ['help.menu', { action: 'help.menu' }],
    ] as const) {
      await bot.click(a1.expertOpenId, value);
      const r = await measured(name, a1.expertOpenId, value);
      expect(r.trips).toBeGreaterThan(0);
    }
    // 投诉 typed in chat, the commonest forms: a team's whole name, part of names, a team's name and the complaint after it
    for (const [name, text, says] of [
      ['投诉 <team name>', '投诉 养护1班', '被投诉班组：**养护1班**'],
      ['投诉 <part of team names>', '投诉 养护', '养护2班'],
      ['投诉 <team name> <complaint>', '投诉 养护2班 井盖松动', '井盖松动'],
    ] as const) {
      await bot.say('ou_tripcomplainant', text);
      const r = await bot.say('ou_tripcomplainant', text);
      table.push({ callback: `${name} (text message)`, trips: r.trips, statements: r.statements.length });
      const [queued] = await bot.db.select().from(outbox).where(eq(outbox.dedupeKey, `complaint:form:${r.eventId}`));
      expect(JSON.stringify(queued?.card)).toContain(says);
      // the organisation's whole name is looked up beside the teams, its part only when no team is found: no round trip
      // of their own when a team is named
      expect(r.statements.filter((s) => /from "organizations"/.test(s) && !/"teams"\."organization_id"/.test(s)).length, r.statements.join('\n')).toBeLessThanOrEqual(1);
      expect(r.trips).toBeLessThanOrEqual(TEXT_COMPLAINT_TRIPS[name]);
    }
    // a form that changes state on the ordinary path: 注册 of a new team (the second, with its statements prepared)
    await bot.click('ou_tripnewlead1', { action: 'team.register' }, registrationForm('养护三班', 'ou_tripcontact'));
    const reg = await measured('team.register (a new team)', 'ou_tripnewlead2', { action: 'team.register' }, registrationForm('养护四班', 'ou_tripcontact'));
    expect(reg.body.toast?.type).toBe('success');
    expect(reg.trips).toBeGreaterThan(0);
    // the ordinary path of the same sheet, for comparison: a fresh task, the fast path set aside
    bot.app.processor.fastPaths = false;
    try {
      const pending = await bot.db
        .insert(assignments)
        .values([tasks.A[0].applicationId, tasks.B[0].applicationId].map((applicationId) => ({ applicationId, expertOpenId: E[3], status: 'assigned' })))
        .returning();
      const r1 = await bot.click(E[3], { action: 'review.submit', assignmentId: pending[0].id }, { ...scoreForm(80), i1_2: '6' });
      expect(r1.body.toast?.type).toBe('error');
      table.push({ callback: 'review.submit (ordinary path, refused)', trips: r1.trips, statements: r1.statements.length });
      const r2 = await bot.click(E[3], { action: 'review.submit', assignmentId: pending[1].id }, scoreForm(85));
      expect(r2.body.toast?.type).toBe('success');
      table.push({ callback: 'review.submit (ordinary path, stored)', trips: r2.trips, statements: r2.statements.length });
    } finally {
      bot.app.processor.fastPaths = true;
    }
  });
});
