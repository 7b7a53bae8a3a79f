import { writeFileSync } from 'node:fs';
import { and, asc, eq, gt, inArray, isNotNull, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import {
  applications, assignments, auditLog, bulkJobs, complaints, conflicts, cycles, honours, imports, outbox, people, processedEvents, teamMembers, teams,
} from '../../db/schema.js';
import type { BotApp } from '../../src/app.js';
import { batchWindowMs, complaintCorrectionForm, complaintDecisionForm, complaintTextForm, revocationDecisionForm } from '../../src/complaints.js';
import { importDataVersion } from '../../src/import/dataVersion.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { validFormValue } from '../support/forms.js';
import { ADMIN } from '../support/harness.js';
import { actionTable, applicationForm, countedFixtureBot, type Fixture, NEWCOMER, ORG_POOL, OTHER_EXPERT, personas, registrationForm, scoreForm, TODAY, YEAR } from './securityFixture.js';
import { upheldRun } from '../support/upheldRun.js';

/**
 * Database round trips of every card action that changes state, on its success path, counted on the wire
 * (test/support/wire.ts) through signed, encrypted callbacks to the real bot on one connection. Each is
 * measured warm: the same kind of callback runs once first on another row, so its statements are prepared.
 * The programme moves as it does in a year: teams register and apply, contacts recommend, the association
 * checks, experts score, results are published, complaints are decided. The bound of each action is what it
 * costs today, so a regression fails; the table is printed, and with TRIPS_DUMP=<file> the statements of each
 * measured callback are written there with the round trip each went out in.
 */

/** Round trips each measured callback costs today (warm, one connection): a regression fails here. */
const BOUNDS: Record<string, number> = {
  'review.submit': 1, 'help.private': 1, 'import.template': 1, 'team.register': 1, 'team.editSave': 1, 'team.memberAdd': 1,
  'team.memberRemove': 1, 'application.save': 1, 'application.submit': 1, 'endorse.recommend': 1, 'endorse.return': 1, 'check.accept': 1,
  'check.return': 1, 'cycle.settingsSave': 1, 'cycle.sheetLoad': 1, 'experts.add': 1, 'experts.deactivate': 1, 'experts.activate': 1,
  'experts.conflictAdd': 1, 'review.decline': 1, 'review.swap': 1, 'review.reopen': 1, 'complaint.submit': 1, 'complaint.uphold': 1,
  'complaint.dismiss': 1, 'revocation.keep': 1, 'revocation.revoke': 1, 'import.apply': 1, 'bulk.retry': 1, 'cycle.closeApplications': 1,
  'review.assign': 1, 'results.close': 1, 'results.publish': 1, 'cycle.open': 1, 'review.application': 1,
  // 重复 and 已撤回, a few a year: the ordinary path, pipelined (the claim and the complaint; the decision and the title's
  // lock; the audit row, the run and the alert's copies to redraw; COMMIT). 重复 reads the complaint it names beside the
  // claim, then locks both before the decision
  'complaint.duplicate': 5, 'complaint.withdraw': 4,
  // 更正认定, rare: the ordinary path (the claim, the complaint and the title locked, the run read before and after, the
  // notices and the copies to redraw)
  'complaint.correct': 6,
  // a change of the administrators' roster, a few a year: the ordinary path, pipelined (the claim and the actor, then the rest)
  'admins.add': 2, 'admins.remove': 2,
  // 协会联系方式, once or twice a year: the claim and the actor, then the upsert (its RETURNING says whether anything changed)
  'association.contactSave': 2,
  // 更换班组长, a few a year: the ordinary path (the team locked and checked, then its rows, the audit and three notices)
  'team.leaderChange': 4,
  // 撤回申报, a few a year: the ordinary path (the claim and the year; the team's lock with the team and its application;
  // the update; the audit row and the contact's notice with the COMMIT)
  'application.recall': 4,
  // 沿用往年内容, once a year a team at most: the ordinary path (the year and the team's lock, as 保存草稿's; the team,
  // this year's application and last year's form together; the insert and its audit row; the card's revocation read)
  'application.copyPrevious': 8,
  // 下载结果工作簿 reads the claim and the cycle, then queues the file; the outbox writes the workbook when it sends it
  'results.workbook': 2,
  // 导出当前名册 reads the claim and the actor, looks for the press before, then queues the file (made when sent)
  'import.export': 3,
  // 查看申报表全文 on the 形式审查 card, an administrator's now and then: the claim and the actor, the application and
  // the press before together, then the message queued
  'check.application': 3,
};

/**
 * The card actions that change no row of the programme's: they queue a message or a file for the one who pressed, which
 * the outbox keeps. Every other one writes its audit row (第十七条) in its own transaction, under who pressed.
 */
const UNAUDITED = ['help.private', 'import.template', 'import.export', 'results.workbook', 'review.application', 'check.application'];

const SECOND_EXPERT = 'ou_tripsexpert0000000000000000000002';
const THIRD_EXPERT = 'ou_tripsexpert0000000000000000000003';

interface Measured {
  action: string;
  trips: number;
  statements: string[];
  tripOf: number[];
}

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

describe.skipIf(testDatabaseKind() !== 'postgres')('database round trips of every card action that changes state (PostgreSQL)', () => {
  const bot = countedFixtureBot(undefined, { db: 'counted', countUntil: 'answer' });
  let db: Db;
  let app: BotApp;
  let f: Fixture;
  const measured: Measured[] = [];

  beforeAll(() => void ({ db, app, f } = bot));

  afterAll(async () => {
    const rows = [...measured].sort((a, b) => a.trips - b.trips || a.action.localeCompare(b.action));
    if (rows.length) {
      console.log(
        `round trips per state-changing card action (warm, one connection, success path):\n${rows
          .map((r) => `  ${r.action.padEnd(28)} ${String(r.trips).padStart(3)} round trips, ${String(r.statements.length).padStart(3)} statements`)
          .join('\n')}`,
      );
    }
    const dump = process.env.TRIPS_DUMP;
    if (dump) {
      // a trip that carries no new statement is the second half of one postgres.js described first (an unnamed
      // statement, or one not yet prepared on the connection): its Bind and Execute wait for the description
      const trips = (r: Measured) =>
        Array.from({ length: r.trips }, (_, t) => {
          const sent = r.statements.filter((_s, i) => r.tripOf[i] === t + 1);
          return sent.length ? sent.map((s) => `  [${t + 1}] ${s}`).join('\n') : `  [${t + 1}] (no new statement: one above was described first — unnamed, or new to the connection — and is bound and executed now)`;
        }).join('\n');
      const text = rows.map((r) => `## ${r.action}: ${r.trips} round trips, ${r.statements.length} statements\n${trips(r)}\n`).join('\n');
      writeFileSync(dump, text);
    }
  });

  /** One signed, encrypted card callback; the round trips and statements it cost from request to answer, and the audit rows it wrote. */
  async function click(openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) {
    const [{ last }] = await db.select({ last: sql<number>`coalesce(max(${auditLog.id}), 0)::int` }).from(auditLog);
    const { body, trips, statements, tripOf, eventId } = await bot.click<Body>(openId, value, formValue);
    // the event is recorded with its effects
    expect(await db.select().from(processedEvents).where(eq(processedEvents.eventId, eventId))).toHaveLength(1);
    const audited = await db.select().from(auditLog).where(gt(auditLog.id, last)).orderBy(asc(auditLog.id));
    return { body, trips, statements, tripOf, audited };
  }

  const title = (b: Body): string => b.card?.data?.header?.title?.content ?? '';

  /** A success: a success toast, or `toast` for an action that answers a done deed with an info toast. */
  function expectSuccess(action: string, b: Body, toast: 'success' | 'info' = 'success') {
    expect(b.toast, `${action}: ${JSON.stringify(b.toast)} ${title(b)}`).toMatchObject({ type: toast });
  }

  interface Click {
    openId: string;
    value: Record<string, unknown>;
    form?: Record<string, unknown>;
  }

  /** The action once, unmeasured (a warm-up, or a step on the way); it must succeed. */
  async function warmUp(action: string, c: Click, toast?: 'success' | 'info') {
    const w = await click(c.openId, { action, ...c.value }, c.form);
    expectSuccess(`${action} (unmeasured)`, w.body, toast);
    return w;
  }

  /** The action measured (after its warm-up): it must succeed, and cost no more round trips than its bound. */
  async function measure(action: string, c: Click, toast?: 'success' | 'info') {
    const r = await click(c.openId, { action, ...c.value }, c.form);
    expectSuccess(action, r.body, toast);
    measured.push({ action, trips: r.trips, statements: r.statements, tripOf: r.tripOf });
    // 第十七条: every change is on record, in the change's own transaction, under who made it
    if (!UNAUDITED.includes(action)) {
      expect(r.audited.length, `${action}: no audit row`).toBeGreaterThan(0);
      expect(r.audited.filter((a) => a.actor === c.openId).length, `${action}: no audit row by ${c.openId}: ${JSON.stringify(r.audited.map((a) => [a.actor, a.action]))}`).toBeGreaterThan(0);
    }
    expect(r.trips).toBeGreaterThan(0);
    expect(BOUNDS[action], `${action}: no bound written`).toBeDefined();
    expect(r.trips, `${action}: round trips`).toBeLessThanOrEqual(BOUNDS[action]);
    return r;
  }

  /** The action once on `warm` (its statements get prepared), then measured on what `next` gives. */
  async function warmThenMeasure(action: string, warm: Click, next: () => Promise<Click> | Click, toast?: 'success' | 'info') {
    await warmUp(action, warm, toast);
    return measure(action, await next(), toast);
  }

  // ---- rows the actions act on, made as each step needs them ----

  let serial = 100;
  /** A team led by the leader persona, with the contact persona, old enough to apply. */
  async function leaderTeam(): Promise<number> {
    const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
    const n = serial++;
    const [t] = await db
      .insert(teams)
      .values({ ...a, id: undefined, code: `GDSZ-2025-0${n}`, name: `往返测试${n}班`, createdAt: undefined, updatedAt: undefined })
      .returning();
    await db.insert(teamMembers).values({ teamId: t.id, openId: personas.leader, role: 'leader' });
    return t.id;
  }

  /** An application of a fresh team in `cycleId`, in `status`. */
  async function application(status: string, cycleId = f.cycleId): Promise<number> {
    const teamId = await leaderTeam();
    const endorsement = { decision: 'recommend', truthful: true, opinion: '同意推荐', by: personas.contact };
    const [a] = await db
      .insert(applications)
      .values({ teamId, cycleId, status, form: applicationForm(), submittedAt: new Date('2027-03-01T00:00:00Z'), ...(status === 'submitted' ? {} : { endorsement }) })
      .returning();
    return a.id;
  }

  /** A task of `expertOpenId` on a fresh application under scoring; a submitted one holds full marks (this year's sheet is the default). */
  async function task(status: 'assigned' | 'submitted', expertOpenId: string): Promise<number> {
    const applicationId = await application('scoring');
    const items = scoreFields(defaultScoreSheet);
    const submitted =
      status === 'submitted'
        ? { scores: Object.fromEntries(items.map((i) => [i.code, i.max])), total: items.reduce((n, i) => n + i.max, 0), submittedAt: new Date('2027-03-05T00:00:00Z') }
        : {};
    const [t] = await db.insert(assignments).values({ applicationId, expertOpenId, status, ...submitted }).returning();
    return t.id;
  }

  const outboxTo = async (openId: string, keyPrefix: string) =>
    db.select().from(outbox).where(and(like(outbox.dedupeKey, `${keyPrefix}%`), eq(outbox.receiver, openId)));
  const appStatus = async (id: number) => (await db.select().from(applications).where(eq(applications.id, id)))[0].status;
  const taskStatus = async (id: number) => (await db.select().from(assignments).where(eq(assignments.id, id)))[0].status;

  // ---- messages sent on request ----

  it('help.private', async () => {
    await warmThenMeasure('help.private', { openId: personas.member, value: {} }, () => ({ openId: personas.leader, value: {} }), 'info');
    expect(await outboxTo(personas.leader, 'help:private:')).toHaveLength(1);
  });

  it('import.template', async () => {
    // the same administrator a minute later: a press within about 10 s would send nothing new
    await warmThenMeasure('import.template', { openId: ADMIN, value: {} }, () => {
      bot.clock.advance(60_000);
      return { openId: ADMIN, value: {} };
    });
    expect(await outboxTo(ADMIN, 'import:template:')).toHaveLength(2);
  });

  it('import.export', async () => {
    // 导出当前名册: the same administrator a minute later (a press within about 10 s sends nothing new); the outbox
    // writes the workbook when it sends it
    await warmThenMeasure('import.export', { openId: ADMIN, value: {} }, () => {
      bot.clock.advance(60_000);
      return { openId: ADMIN, value: {} };
    });
    expect(await outboxTo(ADMIN, 'import:export:')).toHaveLength(2);
  });

  it('check.application', async () => {
    // 查看申报表全文 on the 形式审查 card: the same administrator a minute later (a press within 10 s sends nothing new)
    await warmThenMeasure('check.application', { openId: ADMIN, value: { applicationId: f.appC } }, () => {
      bot.clock.advance(60_000);
      return { openId: ADMIN, value: { applicationId: f.appC } };
    });
    expect(await outboxTo(ADMIN, 'check:application:')).toHaveLength(2);
  });

  // ---- teams ----

  it('team.register', async () => {
    await warmThenMeasure('team.register', { openId: 'ou_tripsnewleader000000000000000001', value: {}, form: registrationForm('往返一') }, () => ({
      openId: 'ou_tripsnewleader000000000000000002',
      value: {},
      form: registrationForm('往返二'),
    }));
    const [t] = await db.select().from(teams).where(eq(teams.name, '测试养护往返二班'));
    expect(t.leaderOpenId).toBe('ou_tripsnewleader000000000000000002');
  });

  let otherTeam: number;
  it('team.editSave', async () => {
    otherTeam = await leaderTeam();
    await warmThenMeasure('team.editSave', { openId: personas.leader, value: { teamId: f.teamA.id }, form: { phone: '020-7654321' } }, () => ({
      openId: personas.leader,
      value: { teamId: otherTeam },
      form: { phone: '020-7650000' },
    }));
    expect((await db.select().from(teams).where(eq(teams.id, otherTeam)))[0].phone).toBe('020-7650000');
  });

  it('team.memberAdd', async () => {
    await warmThenMeasure('team.memberAdd', { openId: personas.leader, value: { teamId: f.teamA.id }, form: { members: [NEWCOMER] } }, () => ({
      openId: personas.leader,
      value: { teamId: otherTeam },
      form: { members: [personas.member] },
    }));
    expect(await db.select().from(teamMembers).where(and(eq(teamMembers.teamId, otherTeam), eq(teamMembers.openId, personas.member)))).toHaveLength(1);
  });

  it('team.memberRemove', async () => {
    await warmThenMeasure('team.memberRemove', { openId: personas.leader, value: { teamId: f.teamA.id, openId: NEWCOMER } }, () => ({
      openId: personas.leader,
      value: { teamId: otherTeam, openId: personas.member },
    }));
    expect(await db.select().from(teamMembers).where(and(eq(teamMembers.teamId, otherTeam), eq(teamMembers.openId, personas.member)))).toHaveLength(0);
  });

  // ---- applications: save, submit, recommend or return, formal check ----

  it('application.save', async () => {
    const [x, y] = [await leaderTeam(), await leaderTeam()];
    await warmThenMeasure('application.save', { openId: personas.leader, value: { teamId: x, year: YEAR }, form: applicationForm() }, () => ({
      openId: personas.leader,
      value: { teamId: y, year: YEAR },
      form: applicationForm({ title: '草稿' }),
    }));
    const [a] = await db.select().from(applications).where(eq(applications.teamId, y));
    expect(a.status).toBe('draft');
  });

  it('application.copyPrevious', async () => {
    // two fresh teams that applied the year before: each team's last form saved as its draft of YEAR
    const [past] = await db
      .insert(cycles)
      .values({ year: YEAR - 1, status: 'published', applicationDeadline: `${YEAR - 1}-05-31`, scoringDeadline: `${YEAR - 1}-06-30`, reviewMeetingDate: `${YEAR - 1}-07-15`, scoreSheet: defaultScoreSheet, openedBy: ADMIN })
      .returning();
    const [x, y] = [await application('returned', past.id), await application('returned', past.id)];
    const teamOf = async (id: number) => (await db.select().from(applications).where(eq(applications.id, id)))[0].teamId;
    const [tx, ty] = [await teamOf(x), await teamOf(y)];
    await warmThenMeasure('application.copyPrevious', { openId: personas.leader, value: { teamId: tx, year: YEAR } }, () => ({ openId: personas.leader, value: { teamId: ty, year: YEAR } }));
    const [a] = await db.select().from(applications).where(and(eq(applications.teamId, ty), eq(applications.cycleId, f.cycleId)));
    expect(a.status).toBe('draft');
  });

  const submittedTeams: number[] = [];
  it('application.submit', async () => {
    submittedTeams.push(await leaderTeam(), await leaderTeam());
    await warmThenMeasure('application.submit', { openId: personas.leader, value: { teamId: submittedTeams[0], year: YEAR }, form: applicationForm() }, () => ({
      openId: personas.leader,
      value: { teamId: submittedTeams[1], year: YEAR },
      form: applicationForm(),
    }));
    const rows = await db.select().from(applications).where(inArray(applications.teamId, submittedTeams));
    expect(rows.map((a) => a.status)).toEqual(['submitted', 'submitted']);
  });

  it('application.recall', async () => {
    // two fresh submitted applications of the leader persona's teams, taken back
    const first = await application('submitted');
    const second = await application('submitted');
    const teamOf = async (id: number) => (await db.select().from(applications).where(eq(applications.id, id)))[0].teamId;
    await warmThenMeasure('application.recall', { openId: personas.leader, value: { teamId: await teamOf(first), year: YEAR } }, async () => ({ openId: personas.leader, value: { teamId: await teamOf(second), year: YEAR } }));
    expect([await appStatus(first), await appStatus(second)]).toEqual(['draft', 'draft']);
  });

  let recommendedApp: number;
  it('endorse.recommend', async () => {
    const [a] = await db.select().from(applications).where(eq(applications.teamId, submittedTeams[0]));
    recommendedApp = a.id;
    await warmThenMeasure('endorse.recommend', { openId: personas.contact, value: { applicationId: f.appA }, form: { truthful: true, opinion: '材料属实，同意推荐' } }, () => ({
      openId: personas.contact,
      value: { applicationId: a.id },
      form: { truthful: true, opinion: '材料属实，同意推荐' },
    }));
    expect(await appStatus(a.id)).toBe('recommended');
  });

  it('endorse.return', async () => {
    const [a] = await db.select().from(applications).where(eq(applications.teamId, submittedTeams[1]));
    const warm = await application('submitted');
    await warmThenMeasure('endorse.return', { openId: personas.contact, value: { applicationId: warm }, form: { opinion: '请补充 QC 活动记录' } }, () => ({
      openId: personas.contact,
      value: { applicationId: a.id },
      form: { opinion: '请补充 QC 活动记录' },
    }));
    expect(await appStatus(a.id)).toBe('returned');
  });

  it('check.accept', async () => {
    await warmThenMeasure('check.accept', { openId: ADMIN, value: { applicationId: f.appC }, form: {} }, () => ({ openId: ADMIN, value: { applicationId: recommendedApp }, form: {} }));
    expect(await appStatus(recommendedApp)).toBe('accepted');
  });

  it('check.return', async () => {
    const warm = await application('recommended');
    await warmThenMeasure('check.return', { openId: ADMIN, value: { applicationId: warm }, form: { [`reason_${warm}`]: '缺少顾客确认材料' } }, () => ({
      openId: ADMIN,
      value: { applicationId: f.appA },
      form: { [`reason_${f.appA}`]: '缺少顾客确认材料' },
    }));
    expect(await appStatus(f.appA)).toBe('returned');
  });

  // ---- the cycle's settings ----

  it('cycle.settingsSave', async () => {
    await warmThenMeasure('cycle.settingsSave', { openId: ADMIN, value: { cycleId: f.cycleId }, form: { awardThreshold: '88' } }, () => ({
      openId: ADMIN,
      value: { cycleId: f.cycleId },
      form: { awardThreshold: '86' },
    }));
    expect(Number((await db.select().from(cycles).where(eq(cycles.id, f.cycleId)))[0].awardThreshold)).toBe(86);
  });

  // ---- experts ----

  it('experts.add', async () => {
    await warmThenMeasure('experts.add', { openId: ADMIN, value: {}, form: { experts: [SECOND_EXPERT], organization: ORG_POOL, specialities: '桥梁检测', maxLoad: '10' } }, () => ({
      openId: ADMIN,
      value: {},
      form: { experts: [THIRD_EXPERT], organization: ORG_POOL, specialities: '道路养护', maxLoad: '10' },
    }));
    const [p] = await db.select().from(people).where(eq(people.openId, THIRD_EXPERT));
    expect(p.roles).toContain('expert');
  });

  // ---- administrators ----

  it('admins.add and admins.remove', async () => {
    await warmThenMeasure('admins.add', { openId: ADMIN, value: {}, form: { admins: [SECOND_EXPERT] } }, () => ({ openId: ADMIN, value: {}, form: { admins: [THIRD_EXPERT] } }));
    expect((await db.select().from(people).where(eq(people.openId, THIRD_EXPERT)))[0].roles).toContain('admin');
    await warmThenMeasure('admins.remove', { openId: ADMIN, value: { openId: SECOND_EXPERT } }, () => ({ openId: ADMIN, value: { openId: THIRD_EXPERT } }));
    expect((await db.select().from(people).where(eq(people.openId, THIRD_EXPERT)))[0].roles).not.toContain('admin');
  });

  it('association.contactSave', async () => {
    await warmThenMeasure(
      'association.contactSave',
      { openId: ADMIN, value: {}, form: { contactName: '协会秘书处 张三', contactPhone: '020-12345678' } },
      () => ({ openId: ADMIN, value: {}, form: { contactName: '协会秘书处 李四', contactPhone: '020-87654321' } }),
    );
  });

  it('experts.deactivate', async () => {
    await warmThenMeasure('experts.deactivate', { openId: ADMIN, value: { openId: SECOND_EXPERT } }, () => ({ openId: ADMIN, value: { openId: THIRD_EXPERT } }));
    expect((await db.select().from(people).where(eq(people.openId, THIRD_EXPERT)))[0].expertActive).toBe(false);
  });

  it('experts.activate', async () => {
    await warmThenMeasure('experts.activate', { openId: ADMIN, value: { openId: SECOND_EXPERT } }, () => ({ openId: ADMIN, value: { openId: THIRD_EXPERT } }));
    expect((await db.select().from(people).where(eq(people.openId, THIRD_EXPERT)))[0].expertActive).toBe(true);
  });

  it('experts.conflictAdd', async () => {
    await warmThenMeasure('experts.conflictAdd', { openId: personas.expert, value: {}, form: { kind: 'team', target: f.teamB.code, reason: '曾为该班组提供咨询' } }, () => ({
      openId: personas.expert,
      value: {},
      form: { kind: 'team', target: f.teamC.code, reason: '曾为该班组提供咨询' },
    }));
    expect(await db.select().from(conflicts).where(and(eq(conflicts.expertOpenId, personas.expert), eq(conflicts.teamId, f.teamC.id)))).toHaveLength(1);
  });

  // ---- scoring: decline, swap, reopen ----

  it('review.decline', async () => {
    const [warm, target] = [await task('assigned', personas.expert), await task('assigned', personas.expert)];
    await warmThenMeasure('review.decline', { openId: personas.expert, value: { assignmentId: warm }, form: { kind: 'unavailable', reason: '评审期间出差' } }, () => ({
      openId: personas.expert,
      value: { assignmentId: target },
      form: { kind: 'unavailable', reason: '评审期间出差' },
    }));
    expect(await taskStatus(target)).toBe('declined');
  });

  it('review.swap', async () => {
    const target = await task('assigned', OTHER_EXPERT);
    await warmThenMeasure('review.swap', { openId: ADMIN, value: { assignmentId: f.foreignTask } }, () => ({ openId: ADMIN, value: { assignmentId: target } }));
    expect(await taskStatus(target)).toBe('replaced');
  });

  it('review.reopen', async () => {
    const [warm, target] = [await task('submitted', OTHER_EXPERT), await task('submitted', OTHER_EXPERT)];
    await warmThenMeasure('review.reopen', { openId: ADMIN, value: { assignmentId: warm } }, () => ({ openId: ADMIN, value: { assignmentId: target } }));
    expect(await taskStatus(target)).toBe('assigned');
  });

  it('review.application', async () => {
    const [warm, target] = [await task('assigned', personas.expert), await task('assigned', personas.expert)];
    await warmThenMeasure('review.application', { openId: personas.expert, value: { assignmentId: warm } }, () => ({ openId: personas.expert, value: { assignmentId: target } }), 'success');
    expect(await outboxTo(personas.expert, `review:application:${target}:`)).toHaveLength(1);
  });

  // ---- complaints and titles ----

  let chatComplaint: number;
  it('complaint.submit', async () => {
    const form = validFormValue(complaintTextForm, { content: '施工围挡占道，未按期恢复', contact: '13800000000' });
    await warmThenMeasure('complaint.submit', { openId: personas.public, value: { teamId: f.teamB.id, formKey: 'trips-1' }, form }, () => {
      // the complainant's complaint before is two minutes back: an alert of its own, not a batch's
      bot.clock.advance(batchWindowMs);
      return { openId: personas.public, value: { teamId: f.teamC.id, formKey: 'trips-2' }, form };
    });
    const [c] = await db.select().from(complaints).where(eq(complaints.teamId, f.teamC.id));
    expect(c.status).toBe('open');
    chatComplaint = c.id;
  });

  async function webComplaint(teamId: number, n: number): Promise<number> {
    const [c] = await db
      .insert(complaints)
      .values({ reference: `TS-${YEAR}-09${n}`, teamId, content: '路面修补后一周即开裂', channel: 'web', status: 'open', createdAt: new Date('2027-03-02T10:00:00+08:00') })
      .returning();
    return c.id;
  }

  it('complaint.uphold', async () => {
    const form = validFormValue(complaintDecisionForm, { note: '经核实属实' });
    await warmThenMeasure('complaint.uphold', { openId: ADMIN, value: { complaintId: f.complaintId }, form }, () => ({ openId: ADMIN, value: { complaintId: chatComplaint }, form }));
    expect((await db.select().from(complaints).where(eq(complaints.id, chatComplaint)))[0].status).toBe('upheld');
  });

  it('complaint.dismiss', async () => {
    const [warm, target] = [await webComplaint(f.teamB.id, 1), await webComplaint(f.teamC.id, 2)];
    const form = validFormValue(complaintDecisionForm, { note: '经核实不属实' });
    await warmThenMeasure('complaint.dismiss', { openId: ADMIN, value: { complaintId: warm }, form }, () => ({ openId: ADMIN, value: { complaintId: target }, form }));
    expect((await db.select().from(complaints).where(eq(complaints.id, target)))[0].status).toBe('dismissed');
  });

  it('complaint.duplicate', async () => {
    const [warmOf, warm, of, target] = [await webComplaint(f.teamB.id, 10), await webComplaint(f.teamB.id, 11), await webComplaint(f.teamC.id, 12), await webComplaint(f.teamC.id, 13)];
    const form = (n: number) => validFormValue(complaintDecisionForm, { note: '同一件事', duplicateOf: `TS-${YEAR}-09${n}` });
    await warmThenMeasure('complaint.duplicate', { openId: ADMIN, value: { complaintId: warm }, form: form(10) }, () => ({ openId: ADMIN, value: { complaintId: target }, form: form(12) }));
    expect((await db.select().from(complaints).where(inArray(complaints.id, [warmOf, of, target]))).map((c) => [c.id, c.status, c.duplicateOf]).sort()).toEqual(
      [[warmOf, 'open', null], [of, 'open', null], [target, 'duplicate', of]].sort(),
    );
  });

  it('complaint.withdraw', async () => {
    const [warm, target] = [await webComplaint(f.teamB.id, 14), await webComplaint(f.teamC.id, 15)];
    const form = validFormValue(complaintDecisionForm, { note: '投诉人要求撤回' });
    await warmThenMeasure('complaint.withdraw', { openId: ADMIN, value: { complaintId: warm }, form }, () => ({ openId: ADMIN, value: { complaintId: target }, form }));
    expect((await db.select().from(complaints).where(eq(complaints.id, target)))[0].status).toBe('withdrawn');
  });

  it('complaint.correct', async () => {
    const decided = async (teamId: number, n: number) => {
      const id = await webComplaint(teamId, n);
      await db.update(complaints).set({ status: 'dismissed', note: '经核实不属实', decidedBy: ADMIN, decidedAt: new Date('2027-03-03T10:00:00+08:00') }).where(eq(complaints.id, id));
      return id;
    };
    const [warm, target] = [await decided(f.teamB.id, 16), await decided(f.teamC.id, 17)];
    const form = validFormValue(complaintCorrectionForm, { note: '误点不成立，复核属实' });
    await warmThenMeasure('complaint.correct', { openId: ADMIN, value: { complaintId: warm, to: 'upheld' }, form }, () => ({ openId: ADMIN, value: { complaintId: target, to: 'upheld' }, form }));
    expect((await db.select().from(complaints).where(eq(complaints.id, target)))[0].status).toBe('upheld');
  });

  async function honour(teamId: number): Promise<number> {
    const [h] = await db.insert(honours).values({ teamId, year: 2026, score: 90, awardedAt: new Date('2026-08-01T00:00:00Z') }).returning();
    return h.id;
  }

  /** A title holder with two upheld complaints since its award (第二十二条): the revocation alert waits for a decision. */
  async function alertedHonour(): Promise<number> {
    const teamId = await leaderTeam();
    for (const n of [1, 2]) {
      await db.insert(complaints).values({
        reference: `TS-${YEAR}-8${teamId}${n}`, teamId, content: '路面修补后一周即开裂', channel: 'web', status: 'upheld', note: '经核实属实', decidedBy: ADMIN,
        decidedAt: new Date(`2027-03-0${n + 2}T10:00:00+08:00`), createdAt: new Date(`2027-03-0${n}T10:00:00+08:00`),
      });
    }
    return honour(teamId);
  }

  it('revocation.keep', async () => {
    const [warm, target] = [await alertedHonour(), await alertedHonour()];
    const form = validFormValue(revocationDecisionForm, { reason: '已整改到位' });
    await warmThenMeasure('revocation.keep', { openId: ADMIN, value: { honourId: warm }, form }, () => ({ openId: ADMIN, value: { honourId: target }, form }));
    expect((await db.select().from(honours).where(eq(honours.id, target)))[0].keptAt).not.toBeNull();
  });

  it('revocation.revoke', async () => {
    const target = await honour(f.teamD.id);
    // the alerts they answer: two upheld complaints in a row against each title
    await upheldRun(db, f.teamA.id);
    await upheldRun(db, f.teamD.id);
    const form = validFormValue(revocationDecisionForm, { reason: '连续两次投诉成立' });
    await warmThenMeasure('revocation.revoke', { openId: ADMIN, value: { honourId: f.honourId }, form }, () => ({ openId: ADMIN, value: { honourId: target }, form }));
    expect((await db.select().from(honours).where(eq(honours.id, target)))[0].revokedAt).not.toBeNull();
  });

  // ---- the score sheet, jobs and imports ----

  it('cycle.sheetLoad', async () => {
    const sheet = (last: string) => `评分表：往返测试评分表\n总分：100\n1 基础\n1.1 甲 50\n1.2 乙 ${last}\n1.3 丙 ${50 - Number(last)}`;
    // 第十八条 refuses a load while a sheet scored on the sheet in force is submitted, or reopened with its scores kept:
    // the sheets review.reopen reopened above are given to other experts first (as 更换专家 leaves them)
    await db.update(assignments).set({ status: 'replaced' }).where(and(eq(assignments.cycleId, f.cycleId), eq(assignments.status, 'assigned'), isNotNull(assignments.scores)));
    await warmThenMeasure('cycle.sheetLoad', { openId: ADMIN, value: { cycleId: f.cycleId }, form: { sheet: sheet('49.5') } }, () => ({
      openId: ADMIN,
      value: { cycleId: f.cycleId },
      form: { sheet: sheet('40') },
    }));
    const [c] = await db.select().from(cycles).where(eq(cycles.id, f.cycleId));
    expect(JSON.stringify(c.scoreSheet)).toContain('"max":40');
  });

  it('import.apply', async () => {
    const [first] = await db.select().from(imports).where(eq(imports.id, f.importId));
    await warmUp('import.apply', { openId: ADMIN, value: { importId: f.importId } });
    await app.bulkJobs.drain();
    // previewed against the data as it is now: the one statement starts its job
    const summary = { ...(first.summary as object), add: [{ sheet: 'organizations', row: 2, label: '往返导入单位' }] };
    const [other] = await db
      .insert(imports)
      .values({ actor: ADMIN, fileName: '往返.xlsx', sha256: '1'.repeat(64), rows: { organizations: [{ row: 2, name: '往返导入单位' }], teams: [], experts: [], honours: [] }, summary, dataVersion: await importDataVersion(db, TODAY) })
      .returning();
    await measure('import.apply', { openId: ADMIN, value: { importId: other.id } });
    expect((await db.select().from(imports).where(eq(imports.id, other.id)))[0].status).toBe('applying');
    await app.bulkJobs.drain();
    expect((await db.select().from(imports).where(eq(imports.id, other.id)))[0].status).toBe('applied');
  });

  it('bulk.retry', async () => {
    const failed = async () =>
      (
        await db
          .insert(bulkJobs)
          .values({ kind: 'assign', cycleId: f.cycleId, params: { year: YEAR }, status: 'failed', done: 0, total: 1, createdBy: ADMIN, error: '数据库连接中断', finishedAt: new Date('2027-03-09T09:00:00+08:00') })
          .returning()
      )[0].id;
    const warm = await failed();
    await warmUp('bulk.retry', { openId: ADMIN, value: { jobId: warm } });
    // one job of a kind per cycle runs at a time: the retried one is over before the next is retried
    await db.update(bulkJobs).set({ status: 'done' }).where(eq(bulkJobs.id, warm));
    const job = await failed();
    await measure('bulk.retry', { openId: ADMIN, value: { jobId: job } });
    expect((await db.select().from(bulkJobs).where(eq(bulkJobs.id, job)))[0].status).toBe('queued');
    await db.update(bulkJobs).set({ status: 'done' }).where(eq(bulkJobs.id, job));
  });

  // ---- a year's review, twice over: close applications, assign, score, close scoring, publish ----

  /** A new year's cycle, open, with `accepted` applications passed the formal check; the running one is over. */
  async function openCycle(year: number, accepted: number): Promise<number> {
    await db.update(cycles).set({ status: 'published' }).where(inArray(cycles.status, ['open', 'scoring', 'closed']));
    const [c] = await db
      .insert(cycles)
      .values({ year, status: 'open', applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, scoreSheet: defaultScoreSheet, openedBy: ADMIN })
      .returning();
    for (let i = 0; i < accepted; i++) await application('accepted', c.id);
    return c.id;
  }

  const cycleStatus = async (id: number) => (await db.select().from(cycles).where(eq(cycles.id, id)))[0].status;
  const assignJobs = async (cycleId: number) => db.select().from(bulkJobs).where(and(eq(bulkJobs.kind, 'assign'), eq(bulkJobs.cycleId, cycleId)));

  /** Every pending task of the cycle scored by its expert, through the card; the second one is measured if asked. */
  async function scoreAll(cycleId: number, measureSecond: boolean) {
    const pending = await db
      .select({ id: assignments.id, expert: assignments.expertOpenId })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .where(and(eq(applications.cycleId, cycleId), eq(assignments.status, 'assigned')));
    expect(pending.length).toBeGreaterThan(1);
    for (const [i, t] of pending.entries()) {
      const c = { openId: t.expert, value: { assignmentId: t.id }, form: scoreForm(5) };
      if (measureSecond && i === 1) {
        await measure('review.submit', c);
        expect(await taskStatus(t.id)).toBe('submitted');
      } else await warmUp('review.submit', c);
    }
    const apps = await db.select().from(applications).where(eq(applications.cycleId, cycleId));
    expect(apps.map((a) => a.status).filter((x) => x !== 'scored')).toEqual([]);
  }

  let yearB: number;
  let yearC: number;
  it('cycle.closeApplications', async () => {
    // this year's: its accepted applications (checked above) get their experts
    await warmUp('cycle.closeApplications', { openId: ADMIN, value: { cycleId: f.cycleId } });
    await app.bulkJobs.drain();
    yearB = await openCycle(2028, 2);
    // as the 管理 card's button carries it: the deadline its dialog spoke of
    const [drawn] = await db.select({ deadline: cycles.applicationDeadline }).from(cycles).where(eq(cycles.id, yearB));
    await measure('cycle.closeApplications', { openId: ADMIN, value: { cycleId: yearB, deadline: drawn.deadline } });
    expect(await cycleStatus(yearB)).toBe('scoring');
    expect((await assignJobs(yearB)).map((j) => j.status)).toEqual(['queued']);
    await app.bulkJobs.drain();
    expect((await assignJobs(yearB)).map((j) => j.status)).toEqual(['done']);
  });

  it('review.assign', async () => {
    // an application accepted late in 2028 is assigned by hand
    await application('accepted', yearB);
    await warmUp('review.assign', { openId: ADMIN, value: { cycleId: yearB } });
    await app.bulkJobs.drain();
    await scoreAll(yearB, true);
    await warmUp('results.close', { openId: ADMIN, value: { cycleId: yearB } });
    await warmUp('results.publish', { openId: ADMIN, value: { cycleId: yearB } });
    await app.bulkJobs.drain();
    expect(await cycleStatus(yearB)).toBe('published');

    // 2029: assigned while applications are still open; as many as 2028 had, so a list of their ids is a statement already prepared
    yearC = await openCycle(2029, 3);
    await measure('review.assign', { openId: ADMIN, value: { cycleId: yearC } });
    expect((await assignJobs(yearC)).map((j) => j.status)).toEqual(['queued']);
    await app.bulkJobs.drain();
    const tasks = await db
      .select()
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .where(eq(applications.cycleId, yearC));
    expect(tasks).toHaveLength(9);
  });

  it('results.close', async () => {
    await warmUp('cycle.closeApplications', { openId: ADMIN, value: { cycleId: yearC } });
    await scoreAll(yearC, false);
    await measure('results.close', { openId: ADMIN, value: { cycleId: yearC } });
    expect(await cycleStatus(yearC)).toBe('closed');
    const apps = await db.select().from(applications).where(eq(applications.cycleId, yearC));
    expect(apps.every((a) => a.finalScore !== null && a.rank !== null)).toBe(true);
  });

  it('results.publish', async () => {
    await measure('results.publish', { openId: ADMIN, value: { cycleId: yearC } });
    await app.bulkJobs.drain();
    expect(await cycleStatus(yearC)).toBe('published');
    expect(await db.select().from(honours).where(eq(honours.cycleId, yearC))).toHaveLength(3);
  });

  it('results.workbook', async () => {
    await warmThenMeasure('results.workbook', { openId: ADMIN, value: { cycleId: yearB } }, () => ({ openId: ADMIN, value: { cycleId: yearC } }));
  });

  it('cycle.open', async () => {
    const form = (year: number) => ({
      year: String(year), applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, awardThreshold: '85', expertsPerApplication: '3', recommendShare: '0.1',
    });
    await warmUp('cycle.open', { openId: ADMIN, value: {}, form: form(2030) });
    // one cycle runs at a time (第十九条): 2030's is over before 2031's opens
    await db.update(cycles).set({ status: 'published' }).where(eq(cycles.year, 2030));
    await measure('cycle.open', { openId: ADMIN, value: {}, form: form(2031) });
    const [c] = await db.select().from(cycles).where(eq(cycles.year, 2031));
    expect(c.status).toBe('open');
  });

  it('team.leaderChange', async () => {
    // team A handed to its member, then back to the leader persona: both a success, the second measured
    await warmUp('team.leaderChange', { openId: personas.leader, value: { teamId: f.teamA.id, from: personas.leader }, form: { leader: personas.member } });
    await measure('team.leaderChange', { openId: personas.member, value: { teamId: f.teamA.id, from: personas.member }, form: { leader: personas.leader } });
    const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
    expect(a.leaderOpenId).toBe(personas.leader);
  });

  it('measured every card action that changes state', () => {
    // the role matrix's table says which actions change rows (bulk.retry there finds its job done, so it changes nothing)
    const changing = Object.entries(actionTable(f, app.registry))
      .filter(([action, spec]) => spec.mutates || action === 'bulk.retry')
      .map(([action]) => action);
    expect(changing.length).toBeGreaterThan(30);
    expect([...new Set(measured.map((m) => m.action))].sort()).toEqual(changing.sort());
    expect(Object.keys(BOUNDS).sort()).toEqual(changing.sort());
  });
});
