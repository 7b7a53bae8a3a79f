import { and, asc, count, eq, like, sql } from 'drizzle-orm';
import { todayIn } from '../../src/dates.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, conflicts, cycles, organizations, outbox, people, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { fastDeclareConflict, fastDecline, fastSwap, replacementFillsSql, replacementPlanSql } from '../../src/fast/replace.js';
import { rowsOf } from '../../src/outbox.js';
import { loadAssignmentProblem, planAssignments } from '../../src/review/assignment.js';
import { getTasks, taskCardKey } from '../../src/review/scoring.js';
import { taskCard } from '../../src/review/taskCards.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { claimProbe, heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { countedFixtureBot, type Fixture, NOW, ORG_POOL, OTHER_EXPERT, personas, seedFixture, startSecurityHarness } from './securityFixture.js';

/**
 * 谢绝 and 更换专家 in one statement (src/fast/replace.ts) against the ordinary transaction: the same answers, rows,
 * audit trail, outbox rows and messages sent, on the same rows; every refusal, and every case the fast path leaves
 * (no replacement possible, fewer than the panel misses, a panel the step completes), still answered by the ordinary
 * path with nothing of the fast attempt kept; the replacement planned in SQL equals `planAssignments`' choice on
 * random pools; one round trip on a warm connection, its locks in the ordinary path's order; two clicks at once, and
 * a task changed under the statement, end as the ordinary path ends them.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_replaceroleadmin000000000000001';
/** An administrator who is also an expert: a notice to them answers what they just did (interactive). */
const EXPERT_ADMIN = 'ou_replaceexpertadmin0000000000001';
/** An expert imported and not yet linked to Feishu: nothing can be sent to them. */
const PENDING_EXPERT = 'pending:replace-expert-01';
const R = (n: number) => `ou_replacefastexpert${String(n).padStart(14, '0')}`;
const EVERY_EXPERT = [personas.expert, OTHER_EXPERT, R(1), R(2), R(3), R(4), R(5), EXPERT_ADMIN, PENDING_EXPERT];

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** The time a done deed is named by, read from the audit row: compared as a placeholder. */
const doneAt = /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

/** The tasks the steps act on, made the same in every database. */
interface Tasks {
  /** appD of the fixture: the expert's own task; the panel misses two once it is declined. */
  own: number;
  /** A panel missing one once declined, for a conflict of interest. */
  conflictDecline: number;
  /** Every expert but the panel's is conflicted with the organisation: no replacement possible. */
  noneLeft: number;
  /** The same panel, swapped after the decline: still nobody. */
  noneLeftSwap: number;
  /** A panel of two: declined, it misses two and only one expert may come. */
  partly: number;
  /** The last pending task of a panel one too large: declined, the panel completes (评审完成). */
  completes: number;
  /** A submitted sheet: neither declined nor swapped. */
  submitted: number;
  /** A plain swap. */
  swap: number;
  /** The expert not yet linked to Feishu swapped out: no text to them. */
  swapPending: number;
  /** The administrator-expert swaps their own task out: the text to them is interactive. */
  swapOwn: number;
  /** Only the administrator-expert may come: the task card to them is interactive. */
  swapToActor: number;
  /** Only the expert not yet linked may come: no task card. */
  swapToPending: number;
  /** Declined and swapped while the cycle is closed. */
  closedDecline: number;
  closedSwap: number;
  /** A panel of three with one sheet in: declined, it misses two and two experts come, each told with a task card. */
  twoCome: number;
  /** The same, swapped, with only one expert who may come: the panel is still short. */
  swapShort: number;
}

async function seedTasks(db: Db, f: Fixture): Promise<Tasks> {
  const [pool] = await db.select().from(organizations).where(eq(organizations.name, ORG_POOL));
  await db.insert(people).values([
    { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: EXPERT_ADMIN, name: '兼任专家的管理员', roles: ['admin', 'expert'] },
    { openId: PENDING_EXPERT, name: '待关联专家', roles: ['expert'] },
    ...[1, 2, 3, 4, 5].map((n) => ({ openId: R(n), name: `更换专家${n}`, roles: ['expert'], organizationId: n % 2 ? pool.id : null })),
  ]);
  const [d] = await db.select().from(applications).where(eq(applications.id, f.appD));
  let serial = 10;
  /** A team of a new organisation with an application under review and its panel; `only` the experts not conflicted with it. */
  const panel = async (members: [string, 'assigned' | 'submitted', number?][], only?: string[]) => {
    serial += 1;
    const [org] = await db.insert(organizations).values({ name: `更换测试单位${serial}` }).returning();
    const [team] = await db
      .insert(teams)
      .values({ code: `GDSZ-2025-${String(serial).padStart(4, '0')}`, name: `更换测试${serial}班`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: 'ou_otherleader000000000000000000001', phone: '020-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: 'ou_othercontact00000000000000000001', registeredAt: '2025-01-10' })
      .returning();
    const [app] = await db.insert(applications).values({ teamId: team.id, cycleId: f.cycleId, status: 'scoring', form: d.form, submittedAt: d.submittedAt, endorsement: d.endorsement }).returning();
    const ids: number[] = [];
    for (const [openId, status, total] of members) {
      const sheet = status === 'submitted' ? { scores: { '1.1': 5 }, total: total ?? 88, submittedAt: new Date('2027-03-09T02:00:00Z') } : {};
      ids.push((await db.insert(assignments).values({ applicationId: app.id, expertOpenId: openId, status, ...sheet }).returning())[0].id);
    }
    if (only) {
      const out = EVERY_EXPERT.filter((e) => !only.includes(e) && !members.some(([m]) => m === e));
      if (out.length) await db.insert(conflicts).values(out.map((e) => ({ expertOpenId: e, organizationId: org.id, reason: '曾在该单位任职' })));
    }
    return ids;
  };
  const [conflictDecline] = await panel([[R(1), 'assigned'], [R(2), 'submitted'], [R(3), 'submitted']]);
  const [noneLeft, noneLeftSwap] = await panel([[R(2), 'assigned'], [R(3), 'assigned'], [R(4), 'assigned']], []);
  const [partly] = await panel([[R(3), 'assigned'], [R(4), 'assigned']], [R(5)]);
  const [completes, submitted] = await panel([[R(4), 'assigned'], [R(1), 'submitted', 80], [R(2), 'submitted', 90], [R(5), 'submitted', 40]]);
  const [swap] = await panel([[R(2), 'assigned'], [R(3), 'assigned'], [R(4), 'assigned']]);
  const [swapPending] = await panel([[PENDING_EXPERT, 'assigned'], [R(1), 'assigned'], [R(2), 'assigned']], [R(5)]);
  const [swapOwn] = await panel([[EXPERT_ADMIN, 'assigned'], [R(1), 'assigned'], [R(2), 'assigned']], [R(3)]);
  const [swapToActor] = await panel([[R(1), 'assigned'], [R(2), 'assigned'], [R(3), 'assigned']], [EXPERT_ADMIN]);
  const [swapToPending] = await panel([[R(1), 'assigned'], [R(2), 'assigned'], [R(3), 'assigned']], [PENDING_EXPERT]);
  const [closedDecline, closedSwap] = await panel([[R(5), 'assigned'], [R(4), 'assigned']]);
  const [twoCome] = await panel([[R(1), 'assigned'], [R(2), 'submitted', 85]], [R(3), R(4)]);
  const [swapShort] = await panel([[R(1), 'assigned'], [R(2), 'submitted', 85]], [R(5)]);
  return { own: f.ownTask, conflictDecline, noneLeft, noneLeftSwap, partly, completes, submitted, swap, swapPending, swapOwn, swapToActor, swapToPending, closedDecline, closedSwap, twoCome, swapShort };
}

const unavailable = { kind: 'unavailable', reason: '评审期间出差' };

interface Step {
  name: string;
  action: 'review.decline' | 'review.swap';
  who: string;
  task: (t: Tasks) => number;
  form?: Record<string, unknown>;
  /** A fixed event id (a delivery repeated); `evt_replace_fast_<step>` otherwise. */
  eventId?: string;
  toast: 'success' | 'error' | 'info' | 'warning';
  says: RegExp;
  /** A refusal, or a case the fast path leaves: the statement, called directly, must answer undefined and write nothing. */
  leftToOrdinary?: boolean;
  /** The direct call on another task than the click's (an event seen before, on a task the verdict would take). */
  probeTask?: (t: Tasks) => number;
  before?: (db: Db, f: Fixture) => Promise<void>;
}

const steps: Step[] = [
  // 谢绝
  { name: 'decline: not an expert', action: 'review.decline', who: personas.member, task: (t) => t.own, form: unavailable, toast: 'error', says: /只有被分配的评审专家/, leftToOrdinary: true },
  { name: "decline: another expert's task", action: 'review.decline', who: R(5), task: (t) => t.own, form: unavailable, toast: 'error', says: /这不是你的评分任务/, leftToOrdinary: true },
  { name: 'decline: no such task', action: 'review.decline', who: personas.expert, task: () => 999_999, form: unavailable, toast: 'error', says: /这不是你的评分任务/, leftToOrdinary: true },
  { name: 'decline: no reason given', action: 'review.decline', who: personas.expert, task: (t) => t.own, form: { kind: 'unavailable', reason: ' ' }, toast: 'error', says: /谢绝原因/, leftToOrdinary: true },
  { name: 'decline: an unknown kind', action: 'review.decline', who: personas.expert, task: (t) => t.own, form: { kind: 'bored', reason: '不想评' }, toast: 'error', says: /谢绝原因类型/, leftToOrdinary: true },
  { name: 'decline: two replacements', action: 'review.decline', who: personas.expert, task: (t) => t.own, form: unavailable, eventId: 'evt_replace_fast_first', toast: 'success', says: /^已谢绝：深圳建设四班。协会已另行安排其他专家评审。$/ },
  {
    name: 'decline: the same delivery again',
    action: 'review.decline',
    who: personas.expert,
    task: (t) => t.own,
    form: unavailable,
    eventId: 'evt_replace_fast_first',
    toast: 'info',
    says: /这次点击已收到/,
    leftToOrdinary: true,
    // the event's claim is what stops it: tried on a task the verdict would take
    probeTask: (t) => t.conflictDecline,
  },
  { name: 'decline: clicked again', action: 'review.decline', who: personas.expert, task: (t) => t.own, form: unavailable, toast: 'info', says: /^已于 .* 谢绝这项评分任务，协会已另行安排专家，无需重复谢绝。$/, leftToOrdinary: true },
  { name: 'decline: a conflict of interest', action: 'review.decline', who: R(1), task: (t) => t.conflictDecline, form: { kind: 'conflict', reason: '曾在该单位任职' }, toast: 'success', says: /^已谢绝：更换测试11班。/ },
  { name: 'decline: nobody may replace', action: 'review.decline', who: R(2), task: (t) => t.noneLeft, form: unavailable, toast: 'success', says: /^已谢绝：更换测试12班。暂无专家可以接替，已告知协会管理员另行安排。$/, leftToOrdinary: true },
  { name: 'decline: one of the two places filled', action: 'review.decline', who: R(3), task: (t) => t.partly, form: unavailable, toast: 'success', says: /^已谢绝：更换测试13班。已有专家接替，但专家组仍未配齐，已告知协会管理员另行安排。$/, leftToOrdinary: true },
  { name: 'decline: the panel completes', action: 'review.decline', who: R(4), task: (t) => t.completes, form: { kind: 'conflict', reason: '与班组长为亲属' }, toast: 'success', says: /^已谢绝：更换测试14班。该申报的专家组人数已足，无需其他专家接替。$/, leftToOrdinary: true },
  { name: 'decline: a submitted sheet', action: 'review.decline', who: R(1), task: (t) => t.submitted, form: unavailable, toast: 'info', says: /^这份评分已提交，不能再谢绝/, leftToOrdinary: true },
  // 更换专家
  { name: 'swap: not an administrator', action: 'review.swap', who: personas.expert, task: (t) => t.swap, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: 'swap: no such task', action: 'review.swap', who: ADMIN, task: () => 999_999, toast: 'error', says: /^找不到这项评分任务/, leftToOrdinary: true },
  { name: 'swap: a submitted sheet', action: 'review.swap', who: ADMIN, task: (t) => t.submitted, toast: 'info', says: /^该专家已提交评分，不能更换/, leftToOrdinary: true },
  { name: 'swap: a declined task', action: 'review.swap', who: ADMIN, task: (t) => t.own, toast: 'info', says: /^该专家已于 .* 谢绝这项任务，无需更换。$/, leftToOrdinary: true },
  { name: 'swap', action: 'review.swap', who: ADMIN, task: (t) => t.swap, eventId: 'evt_replace_fast_swap', toast: 'success', says: /^已更换专家：更换测试15班$/ },
  { name: 'swap: the same delivery again', action: 'review.swap', who: ADMIN, task: (t) => t.swap, eventId: 'evt_replace_fast_swap', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true, probeTask: (t) => t.swapPending },
  { name: 'swap: clicked again', action: 'review.swap', who: ROLE_ADMIN, task: (t) => t.swap, toast: 'info', says: /^其他管理员已于 .* 更换该专家，任务已改派，无需再更换。$/, leftToOrdinary: true },
  { name: 'swap: an expert not yet linked, by an administrator of the stored role', action: 'review.swap', who: ROLE_ADMIN, task: (t) => t.swapPending, toast: 'success', says: /^已更换专家：更换测试16班$/ },
  { name: 'swap: the administrator’s own task', action: 'review.swap', who: EXPERT_ADMIN, task: (t) => t.swapOwn, toast: 'success', says: /^已更换专家：更换测试17班$/ },
  { name: 'swap: to the acting administrator', action: 'review.swap', who: EXPERT_ADMIN, task: (t) => t.swapToActor, toast: 'success', says: /^已更换专家：更换测试18班$/ },
  { name: 'swap: to an expert not yet linked', action: 'review.swap', who: ADMIN, task: (t) => t.swapToPending, toast: 'success', says: /^已更换专家：更换测试19班$/ },
  { name: 'swap: nobody may replace', action: 'review.swap', who: ADMIN, task: (t) => t.noneLeftSwap, toast: 'warning', says: /^已撤下原专家，但没有可接替的专家：/, leftToOrdinary: true },
  { name: 'decline: two come, each with a task card', action: 'review.decline', who: R(1), task: (t) => t.twoCome, form: unavailable, toast: 'success', says: /^已谢绝：更换测试21班。/ },
  {
    name: 'swap: one of the two places filled',
    action: 'review.swap',
    who: ADMIN,
    task: (t) => t.swapShort,
    toast: 'warning',
    says: /^已更换专家：更换测试22班，但专家组仍未配齐：需要 3 位，缺 1 位。/,
    leftToOrdinary: true,
  },
  {
    name: 'decline: scoring has ended',
    action: 'review.decline',
    who: R(5),
    task: (t) => t.closedDecline,
    form: unavailable,
    toast: 'info',
    says: /专家评分已结束，不能再提交或谢绝/,
    leftToOrdinary: true,
    before: async (db, f) => {
      await db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, f.cycleId));
    },
  },
  { name: 'swap: scoring has ended', action: 'review.swap', who: ADMIN, task: (t) => t.closedSwap, toast: 'info', says: /专家评分已结束/, leftToOrdinary: true },
];

/** What the database holds that a decline or a swap writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  const stamped = (at: Date) => (at.getTime() === Date.parse(NOW) ? NOW : 'seeded');
  const tasks = (await db.select().from(assignments).orderBy(assignments.id)).map((a) => ({ ...a, assignedAt: stamped(a.assignedAt) }));
  const apps = (await db.select().from(applications).orderBy(applications.id)).map(({ createdAt: _c, updatedAt, ...a }) => ({ ...a, changedAt: stamped(updatedAt) }));
  const declared = (await db.select().from(conflicts).orderBy(conflicts.id)).map(({ createdAt: _c, ...c }) => c);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, ...a }) => a);
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_replace_fast_%')).orderBy(processedEvents.eventId);
  return { tasks, apps, declared, audits, out, events };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  conflicts: (await db.select({ n: count() }).from(conflicts))[0].n,
  tasks: (await db.select({ id: assignments.id, status: assignments.status }).from(assignments).orderBy(assignments.id)).map((a) => `${a.id}:${a.status}`),
  apps: (await db.select({ id: applications.id, status: applications.status }).from(applications).orderBy(applications.id)).map((a) => `${a.id}:${a.status}`),
});

/** The card `taskCard` draws from the task as it is now, sent today by `h`'s clock, as JSON (what Feishu receives). */
async function drawnNow(db: Db, assignmentId: number, h: Harness) {
  const [task] = await getTasks(db, [assignmentId]);
  return JSON.parse(JSON.stringify(taskCard(task, { sentOn: todayIn(h.app.config.BOT_TIMEZONE, h.clock.now()) })));
}

const probe = (h: Harness, step: Step, t: Tasks, id: number) => {
  const event = { eventId: step.eventId ?? `probe_${randomEventId()}`, eventType: 'card.action.trigger', openId: step.who, assignmentId: step.probeTask?.(t) ?? id, now: h.clock.now() };
  return step.action === 'review.decline' ? fastDecline(h.db, { ...event, formValue: step.form ?? {} }) : fastSwap(h.db, { ...event, bootstrapAdmins: [ADMIN] });
};

describe('谢绝 and 更换专家: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    return { h, f, t: await seedTasks(h.db.db, f), answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h, f, t } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db, f);
      const id = step.task(t);
      const eventId = step.eventId ?? `evt_replace_fast_${i}`;
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        await leavesToOrdinary(() => counts(db), () => probe(h, step, t, id));
      }
      const sent = h.fake.messages.length;
      const body: Body = await h.click(step.who, { action: step.action, assignmentId: id }, step.form, { eventId });
      expectAnswer(body, step, mode);
      // each task card sent is the one taskCard draws from the task as it is now
      for (const m of h.fake.messages.slice(sent)) {
        if (m.msgType === 'interactive' && JSON.stringify(m.content).includes('提交评分')) {
          const [row] = await db.select().from(outbox).where(eq(outbox.messageId, m.messageId));
          expect(m.content, mode).toEqual(await drawnNow(db, Number((row.card as { render: { assignmentId: number } }).render.assignmentId), h));
        }
      }
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('Feishu received the same messages; the rows hold what each path queued, interactive to the actor themself, none to an expert not yet linked', async () => {
    const received = (h: Harness) => h.fake.messages.map((m) => ({ to: m.receiveId, type: m.receiveIdType, msgType: m.msgType, uuid: m.uuid, content: m.content }));
    expect(received(worlds.fast.h)).toEqual(received(worlds.ordinary.h));
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h, t } = worlds[mode];
      const db = h.db.db;
      const newTask = async (replaced: number) => {
        const [old] = await db.select().from(assignments).where(eq(assignments.id, replaced));
        return db.select().from(assignments).where(and(eq(assignments.applicationId, old.applicationId), eq(assignments.status, 'assigned'))).orderBy(asc(assignments.id));
      };
      const rows = async (keys: string[]) =>
        (await db.select().from(outbox).orderBy(asc(outbox.id))).filter((r) => keys.includes(r.dedupeKey)).map((r) => [r.dedupeKey, r.receiver, r.priority, r.msgType, r.card]);
      // the decline of the fixture's task: two came, the second an expert not yet linked (no card to them)
      const own = (await newTask(t.own)).filter((a) => a.assignedAt.getTime() === Date.parse(NOW));
      expect(own, mode).toHaveLength(2);
      expect(await rows(own.map((a) => taskCardKey(a.id))), mode).toEqual(
        own.filter((a) => !a.expertOpenId.startsWith('pending:')).map((a) => [taskCardKey(a.id), a.expertOpenId, 1, 'interactive', { render: { kind: 'reviewTask', assignmentId: a.id } }]),
      );
      // a panel that misses two and gets two: each expert who came has the task's card
      const both = (await newTask(t.twoCome)).filter((a) => a.assignedAt.getTime() === Date.parse(NOW));
      expect(both.map((a) => a.expertOpenId).sort(), mode).toEqual([R(3), R(4)]);
      expect(await rows(both.map((a) => taskCardKey(a.id))), mode).toEqual(
        both.map((a) => [taskCardKey(a.id), a.expertOpenId, 1, 'interactive', { render: { kind: 'reviewTask', assignmentId: a.id } }]),
      );
      // a panel that missed two and got one (the ordinary path in both worlds): the new expert has the card, and the
      // administrators hear what the panel still misses
      const partly = (await newTask(t.partly)).filter((a) => a.assignedAt.getTime() === Date.parse(NOW));
      expect(partly.map((a) => a.expertOpenId), mode).toEqual([R(5)]);
      expect(await rows([taskCardKey(partly[0].id)]), mode).toHaveLength(1);
      const alerts = (await db.select().from(outbox).where(like(outbox.dedupeKey, `review:unfilled:${t.partly}:%`))).map((r) => JSON.stringify(r.card));
      expect(alerts.length, mode).toBeGreaterThan(0);
      for (const a of alerts) {
        expect(a, mode).toContain('专家组仍未配齐');
        expect(a, mode).toMatch(/已有 1 位专家接替，其余没有符合条件的专家可以接替[\s\S]*需要 3 位，缺 1 位/);
      }
      // the swap of the administrator's own task: the text to them is interactive
      expect(await rows([`review:swapped:${t.swapOwn}`]), mode).toEqual([
        [`review:swapped:${t.swapOwn}`, EXPERT_ADMIN, 0, 'text', { text: '协会已将“更换测试17班（GDSZ-2025-0017）”的评分任务改派给其他专家，你无需再为它评分。' }],
      ]);
      // to the acting administrator: their task card is interactive
      const [toActor] = (await newTask(t.swapToActor)).filter((a) => a.expertOpenId === EXPERT_ADMIN);
      expect(await rows([taskCardKey(toActor.id), `review:swapped:${t.swapToActor}`]), mode).toEqual([
        [`review:swapped:${t.swapToActor}`, R(1), 1, 'text', { text: '协会已将“更换测试18班（GDSZ-2025-0018）”的评分任务改派给其他专家，你无需再为它评分。' }],
        [taskCardKey(toActor.id), EXPERT_ADMIN, 0, 'interactive', { render: { kind: 'reviewTask', assignmentId: toActor.id } }],
      ]);
      // nothing to an expert not yet linked, neither the text nor a task card
      expect(await db.select().from(outbox).where(like(outbox.receiver, 'pending:%')), mode).toEqual([]);
      const [toPending] = (await newTask(t.swapToPending)).filter((a) => a.expertOpenId === PENDING_EXPERT);
      expect(toPending, mode).toBeDefined();
      // the audit trail of the swap: the swap, then the replacement, at the bot's time
      const trail = await db.select().from(auditLog).where(and(eq(auditLog.actor, ADMIN), eq(auditLog.entityId, String(t.swap)))).orderBy(asc(auditLog.id));
      const [swapped] = await db.select().from(assignments).where(eq(assignments.id, t.swap));
      const [by] = (await newTask(t.swap)).filter((a) => a.assignedAt.getTime() === Date.parse(NOW));
      const replace = await db.select().from(auditLog).where(and(eq(auditLog.action, 'review.replace'), eq(auditLog.entityId, String(swapped.applicationId))));
      expect([...trail, ...replace].map((a) => [a.action, a.details, a.at.toISOString()]), mode).toEqual([
        ['review.swap', { applicationId: swapped.applicationId, expert: R(2) }, new Date(NOW).toISOString()],
        ['review.replace', { cause: 'swap', replaced: R(2), by: by.expertOpenId, assignmentId: by.id, unfilled: null }, new Date(NOW).toISOString()],
      ]);
    }
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('谢绝 and 更换专家 on PostgreSQL: one round trip, its locks in order', () => {
  const bot = countedFixtureBot(async (db) => {
    await db.insert(people).values([1, 2, 3, 4, 5, 6].map((n) => ({ openId: R(n), name: `往返专家${n}`, roles: ['expert'] })));
  });
  const click = (openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => bot.click<Body>(openId, value, formValue);

  /** A pending task of `openId` on the fixture's scoring application. */
  async function pendingTask(openId: string): Promise<number> {
    await bot.db.delete(assignments).where(and(eq(assignments.applicationId, bot.f.appD), eq(assignments.expertOpenId, openId)));
    const [a] = await bot.db.insert(assignments).values({ applicationId: bot.f.appD, expertOpenId: openId, status: 'assigned' }).returning();
    return a.id;
  }

  it.each([
    ['谢绝', 'review.decline', personas.expert, unavailable],
    ['更换专家', 'review.swap', ADMIN, undefined],
  ] as const)('%s costs one round trip on a warm connection (the ordinary path: more), the cycle locked, then the application, then the statement', async (_name, action, who, form) => {
    const figures: Record<string, number> = {};
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      // a panel of three pending tasks, so that one replacement fills it; the experts rotate so none is barred
      const fresh = async () => {
        await bot.db.delete(outbox);
        await bot.db.update(assignments).set({ status: 'submitted' }).where(eq(assignments.applicationId, bot.f.appD));
        await bot.db.delete(assignments).where(and(eq(assignments.applicationId, bot.f.appD), eq(assignments.status, 'submitted')));
        await pendingTask(R(1));
        await pendingTask(R(2));
        return pendingTask(personas.expert);
      };
      expect((await click(who, { action, assignmentId: await fresh() }, form)).body.toast?.type).toBe('success');
      const measured = await fresh();
      const { body, trips, statements, tripOf } = await click(who, { action, assignmentId: measured }, form);
      expect(body.toast?.type, JSON.stringify(body.toast)).toBe('success');
      expect((await bot.db.select().from(assignments).where(eq(assignments.id, measured)))[0].status).toBe(action === 'review.decline' ? 'declined' : 'replaced');
      expect(await bot.db.select({ n: count() }).from(outbox).where(like(outbox.dedupeKey, 'review:task:%'))).toEqual([{ n: 1 }]);
      figures[fast ? 'one statement' : 'ordinary path'] = trips;
      if (fast) {
        const at = (re: RegExp) => statements.findIndex((s) => re.test(s));
        const cycle = at(/^select id from cycles .* for update$/);
        const application = at(/^select id from applications .* for update$/);
        const decide = at(/^with task as/);
        expect(cycle, statements.join('\n')).toBeGreaterThan(0);
        expect([application, decide]).toEqual([cycle + 1, cycle + 2]);
        expect(new Set([tripOf[cycle], tripOf[application], tripOf[decide]]).size).toBe(1);
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`${_name} round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
    expect(figures['ordinary path']).toBeGreaterThan(1);
  });
  let orgs = 0;
  /** An organisation with two teams under review, each with a panel of three pending tasks, R(1)'s among them. */
  async function organisationWithTwo(): Promise<string> {
    orgs += 1;
    const [o] = await bot.db.insert(organizations).values({ name: `往返单位${orgs}` }).returning();
    const [d] = await bot.db.select().from(applications).where(eq(applications.id, bot.f.appD));
    const [team] = await bot.db.select().from(teams).where(eq(teams.id, bot.f.teamD.id));
    for (const n of [1, 2]) {
      const [t] = await bot.db.insert(teams).values({ ...team, id: undefined, code: `GDSZ-2025-${String(200 + orgs * 2 + n).padStart(4, '0')}`, name: `往返${orgs}-${n}班`, organizationId: o.id, createdAt: undefined, updatedAt: undefined }).returning();
      const [app] = await bot.db.insert(applications).values({ teamId: t.id, cycleId: bot.f.cycleId, status: 'scoring', form: d.form, submittedAt: d.submittedAt, endorsement: d.endorsement }).returning();
      await bot.db.insert(assignments).values([R(1), R(2), R(3)].map((e) => ({ applicationId: app.id, expertOpenId: e, status: 'assigned' })));
    }
    return o.name;
  }

  it('声明利益冲突 touching two tasks costs one round trip on a warm connection: the person locked, the cycle, the applications, then the statements', async () => {
    const figures: Record<string, number> = {};
    const declare = async () => click(R(1), { action: 'experts.conflictAdd' }, { kind: 'organization', target: await organisationWithTwo(), reason: '亲属在该单位' });
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      expect((await declare()).body.toast?.content).toMatch(/其 2 项未完成的评分任务已改派其他专家。$/);
      const { body, trips, statements, tripOf } = await declare();
      expect(body.toast?.content).toMatch(/其 2 项未完成的评分任务已改派其他专家。$/);
      figures[fast ? 'fixed statements' : 'ordinary path'] = trips;
      if (fast) {
        const at = (re: RegExp) => statements.findIndex((s) => re.test(s));
        const person = at(/^select open_id from people .* for no key update$/);
        const cycle = at(/^select id from cycles .* for update$/);
        const apps = at(/^select a\.id from applications a .* for update of a$/);
        const declared = at(/^with target as/);
        // the three declines, then the check that none of the touched tasks is left
        const declines = statements.map((s, i) => (/^with claim as/.test(s) ? i : -1)).filter((i) => i >= 0);
        expect(person, statements.join('\n')).toBeGreaterThan(0);
        expect([cycle, apps, declared, ...declines]).toEqual([person + 1, person + 2, person + 3, person + 4, person + 5, person + 6, person + 7]);
        expect(new Set([person, cycle, apps, declared, ...declines].map((i) => tripOf[i])).size).toBe(1);
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`声明利益冲突 (two tasks) round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['fixed statements']).toBe(1);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('谢绝 and 更换专家 refused: the statement never claims the event, not even for a moment (PostgreSQL)', () => {
  let base: TestDatabase;
  let f: Fixture;
  let t: Tasks;
  const short = { submitted: 0, declined: 0, replaced: 0 };
  const now = new Date(NOW);

  beforeAll(async () => {
    base = await createTestDatabase();
    f = await seedFixture(base.db);
    t = await seedTasks(base.db, f);
    // a panel that misses two, with experts free to come: a task on it that is no longer pending is refused all the same
    const [d] = await base.db.select().from(applications).where(eq(applications.id, f.appD));
    const [team] = await base.db.select().from(teams).where(eq(teams.id, f.teamD.id));
    const [shortTeam] = await base.db.insert(teams).values({ ...team, id: undefined, code: 'GDSZ-2025-0090', name: '缺员班', createdAt: undefined, updatedAt: undefined }).returning();
    const [app] = await base.db.insert(applications).values({ teamId: shortTeam.id, cycleId: f.cycleId, status: 'scoring', form: d.form, submittedAt: d.submittedAt, endorsement: d.endorsement }).returning();
    [short.submitted, short.declined, short.replaced] = (
      await base.db
        .insert(assignments)
        .values([
          { applicationId: app.id, expertOpenId: R(1), status: 'submitted', scores: { '1.1': 5 }, total: 88, submittedAt: now },
          { applicationId: app.id, expertOpenId: R(2), status: 'declined', declineReason: '时间无法安排：出差' },
          { applicationId: app.id, expertOpenId: R(3), status: 'replaced' },
          { applicationId: app.id, expertOpenId: R(4), status: 'assigned' },
        ])
        .returning()
    ).map((a) => a.id);
    // every claim tried, kept or rolled back: a sequence is not transactional (this test database only)
    await base.db.execute(sql`create sequence claims_tried`);
    await base.db.execute(sql`create function count_claim() returns trigger language plpgsql as $$ begin perform nextval('claims_tried'); return new; end $$`);
    await base.db.execute(sql`create trigger count_claim before insert on processed_events for each row execute function count_claim()`);
  });

  afterAll(async () => {
    await base?.close();
  });

  const tried = async () => Number((rowsOf(await base.db.execute(sql`select case when is_called then last_value else 0 end as n from claims_tried`)) as { n: string }[])[0].n);
  const decline = (openId: string, assignmentId: number, formValue: Record<string, unknown> = unavailable) =>
    fastDecline(base, { eventId: randomEventId(), eventType: 'card.action.trigger', openId, assignmentId, formValue, now });
  const swap = (openId: string, assignmentId: number, bootstrapAdmins: string[] = [ADMIN]) =>
    fastSwap(base, { eventId: randomEventId(), eventType: 'card.action.trigger', openId, assignmentId, now, bootstrapAdmins });

  it('every refusal and every case left to the ordinary path: undefined, no claim tried; a decline and a swap claim once each', async () => {
    const left: [string, () => Promise<unknown>][] = [
      ['decline: a member', () => decline(personas.member, t.own)],
      ['decline: an administrator, not the expert', () => decline(EXPERT_ADMIN, t.own)],
      ['decline: the expert without the stored role', async () => {
        await base.db.update(people).set({ roles: [] }).where(eq(people.openId, personas.expert));
        try {
          return await decline(personas.expert, t.own);
        } finally {
          await base.db.update(people).set({ roles: ['expert'] }).where(eq(people.openId, personas.expert));
        }
      }],
      ["decline: another expert's task", () => decline(R(5), t.own)],
      ['decline: no such task', () => decline(personas.expert, 999_999)],
      ['decline: a form that does not parse', () => decline(personas.expert, t.own, { kind: 'unavailable' })],
      ['decline: a submitted sheet', () => decline(R(1), t.submitted)],
      ['decline: nobody may replace', () => decline(R(2), t.noneLeft)],
      ['decline: fewer than the panel misses', () => decline(R(3), t.partly)],
      ['decline: the panel completes', () => decline(R(4), t.completes)],
      ['decline: a submitted sheet on a panel that misses two', () => decline(R(1), short.submitted)],
      ['decline: declined before, on a panel that misses two', () => decline(R(2), short.declined)],
      ['decline: replaced before, on a panel that misses two', () => decline(R(3), short.replaced)],
      ['swap: a submitted sheet on a panel that misses two', () => swap(ADMIN, short.submitted)],
      ['swap: declined before, on a panel that misses two', () => swap(ADMIN, short.declined)],
      ['swap: replaced before, on a panel that misses two', () => swap(ADMIN, short.replaced)],
      ['swap: an expert', () => swap(personas.expert, t.swap)],
      ['swap: ADMIN without ADMIN_OPEN_IDS', () => swap(ADMIN, t.swap, [])],
      ['swap: no such task', () => swap(ADMIN, 999_999)],
      ['swap: a submitted sheet', () => swap(ADMIN, t.submitted)],
      ['swap: nobody may replace', () => swap(ADMIN, t.noneLeftSwap)],
      ['swap: fewer than the panel misses', () => swap(ADMIN, t.partly)],
    ];
    for (const [name, run] of left) {
      expect(await run(), name).toBeUndefined();
      expect(await tried(), name).toBe(0);
    }
    expect(await decline(personas.expert, t.own)).toMatchObject({ declineReason: '时间无法安排：评审期间出差', queued: 1 });
    expect(await tried()).toBe(1);
    expect(await swap(ROLE_ADMIN, t.swap)).toMatchObject({ teamName: '更换测试15班', queued: 2 });
    expect(await tried()).toBe(2);
    const more: [string, () => Promise<unknown>][] = [
      ['decline: declined already', () => decline(personas.expert, t.own)],
      ['swap: a declined task', () => swap(ADMIN, t.own)],
      ['swap: replaced already', () => swap(ADMIN, t.swap)],
      [
        'decline and swap: scoring has ended',
        async () => {
          await base.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, f.cycleId));
          return (await decline(R(5), t.closedDecline)) ?? (await swap(ADMIN, t.closedSwap));
        },
      ],
    ];
    for (const [name, run] of more) {
      expect(await run(), name).toBeUndefined();
      expect(await tried(), name).toBe(2);
    }
  });
});

describe('谢绝 and 更换专家 clicked twice at once, the fast paths on', () => {
  let h: Harness;
  let f: Fixture;
  const db = (): Db => h.db.db;

  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    await db().insert(people).values([
      { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ openId: R(n), name: `并发专家${n}`, roles: ['expert'] })),
    ]);
  });

  afterAll(async () => {
    await h?.close();
  });

  let serial = 0;
  /** A new application under review with a panel of three pending tasks; the first expert's task. */
  async function panel(): Promise<{ id: number; expertOpenId: string; applicationId: number }> {
    serial += 1;
    const [d] = await db().select().from(applications).where(eq(applications.id, f.appD));
    const [team] = await db().select().from(teams).where(eq(teams.id, f.teamD.id));
    const [t] = await db().insert(teams).values({ ...team, id: undefined, code: `GDSZ-2025-${String(100 + serial).padStart(4, '0')}`, name: `并发${serial}班`, createdAt: undefined, updatedAt: undefined }).returning();
    const [app] = await db().insert(applications).values({ teamId: t.id, cycleId: f.cycleId, status: 'scoring', form: d.form, submittedAt: d.submittedAt, endorsement: d.endorsement }).returning();
    const members = [R(((serial * 3) % 8) + 1), R(((serial * 3 + 1) % 8) + 1), R(((serial * 3 + 2) % 8) + 1)];
    const rows = await db().insert(assignments).values(members.map((m) => ({ applicationId: app.id, expertOpenId: m, status: 'assigned' }))).returning();
    return rows[0];
  }

  const effects = async (task: { id: number; applicationId: number }) => ({
    status: (await db().select().from(assignments).where(eq(assignments.id, task.id)))[0].status,
    audits: (await db().select().from(auditLog).where(and(eq(auditLog.entity, 'assignment'), eq(auditLog.entityId, String(task.id))))).map((a) => a.action),
    replaced: (await db().select().from(auditLog).where(and(eq(auditLog.action, 'review.replace'), eq(auditLog.entityId, String(task.applicationId))))).length,
    panel: (await db().select().from(assignments).where(and(eq(assignments.applicationId, task.applicationId), eq(assignments.status, 'assigned')))).length,
    cards: (await db().select().from(outbox).where(like(outbox.dedupeKey, 'review:task:%'))).filter((r) => (r.card as { render: { assignmentId: number } }).render.assignmentId > task.id).length,
  });

  it.each([1, 2, 3])('谢绝 clicked twice at once (round %s): one declines, the other is told it is done; one replacement', async () => {
    const task = await panel();
    const before = (await db().select().from(outbox).where(like(outbox.dedupeKey, 'review:task:%'))).length;
    const both: Body[] = await Promise.all([0, 1].map(() => h.click(task.expertOpenId, { action: 'review.decline', assignmentId: task.id }, unavailable)));
    const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
    expect(first.toast, JSON.stringify(both.map((b) => b.toast))).toMatchObject({ type: 'success' });
    expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
    expect(second.toast?.content).toMatch(/^已于 .* 谢绝这项评分任务/);
    expect(second.card).toEqual(first.card);
    const e = await effects(task);
    expect({ ...e, cards: undefined }).toEqual({ status: 'declined', audits: ['review.decline'], replaced: 1, panel: 3, cards: undefined });
    expect((await db().select().from(outbox).where(like(outbox.dedupeKey, 'review:task:%'))).length).toBe(before + 1);
  });

  it.each([
    ['two administrators', [ADMIN, ROLE_ADMIN]],
    ['one administrator, the click delivered twice under two event ids', [ADMIN, ADMIN]],
  ] as const)('更换专家 clicked at once by %s: one swaps, the other is told the task is no longer the expert’s', async (_name, who) => {
    for (let round = 0; round < 3; round++) {
      const task = await panel();
      const before = (await db().select().from(outbox).where(like(outbox.dedupeKey, 'review:task:%'))).length;
      const both: Body[] = await Promise.all(who.map((openId) => h.click(openId, { action: 'review.swap', assignmentId: task.id })));
      const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
      expect(first.toast, JSON.stringify(both.map((b) => b.toast))).toMatchObject({ type: 'success' });
      // who took the expert off and when: the other administrator, or the clicker's own first delivery
      expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
      expect(second.toast?.content).toMatch(who[0] === who[1] ? /^你已于 .* 更换该专家，任务已改派，无需再更换。$/ : /^(其他管理员|协会管理员)已于 .* 更换该专家，任务已改派，无需再更换。$/);
      expect(second.card).toEqual(first.card);
      const e = await effects(task);
      expect({ ...e, cards: undefined }).toEqual({ status: 'replaced', audits: ['review.swap'], replaced: 1, panel: 3, cards: undefined });
      expect((await db().select().from(outbox).where(like(outbox.dedupeKey, 'review:task:%'))).length).toBe(before + 1);
      expect(await db().select({ n: count() }).from(outbox).where(eq(outbox.dedupeKey, `review:swapped:${task.id}`))).toEqual([{ n: 1 }]);
    }
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('a task changed under the statement after its claim: nothing of it is kept, and the ordinary path answers', async () => {
    const task = await panel();
    const eventId = randomEventId();
    // another session declines the task's row by hand, without the application's lock, and has not committed: the
    // statement reads the task as assigned, claims the event and waits for the task's row
    const other = await heldTransaction(db(), async (tx) => {
      await tx.update(assignments).set({ status: 'declined', declineReason: '时间无法安排：另一会话' }).where(eq(assignments.id, task.id));
      await tx.insert(auditLog).values({ actor: task.expertOpenId, action: 'review.decline', entity: 'assignment', entityId: String(task.id), details: {} });
    });
    let answered = false;
    const clicked = h.click(task.expertOpenId, { action: 'review.decline', assignmentId: task.id }, unavailable, { eventId }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    // waiting for the task's row, the statement has already claimed the event: a claim of the same id waits for it
    const claimed = await claimProbe(db(), eventId);
    expect(claimed).toBe('55P03');
    other.release();
    await other.ended;
    const body = (await clicked) as Body;
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    expect(body.toast?.content).toMatch(/^已于 .* 谢绝这项评分任务/);
    const e = await effects(task);
    expect({ ...e, cards: undefined }).toEqual({ status: 'declined', audits: ['review.decline'], replaced: 0, panel: 2, cards: undefined });
    expect(await db().select({ type: processedEvents.eventType }).from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([{ type: 'card.action.trigger' }]);
  });
});

/** A seeded pseudo-random generator: the same pools on every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the replacement planned in SQL is the one planAssignments plans', () => {
  let base: TestDatabase;
  let f: Fixture;

  beforeAll(async () => {
    base = await createTestDatabase();
    f = await seedFixture(base.db);
  });

  afterAll(async () => {
    await base?.close();
  });

  /** What the SQL piece chooses for `applicationId`, `gone` taken off the panel; and whether it fills every place. */
  async function sqlChoice(db: Db, applicationId: number, gone: number): Promise<{ chosen: string[]; fills: boolean }> {
    const rows = rowsOf(
      await db.execute(
        sql.raw(`with ${replacementPlanSql(String(applicationId), String(gone))}
          select (select coalesce(array_agg(open_id order by n), '{}') from rp_chosen) as chosen, coalesce(${replacementFillsSql()}, false) as fills`),
      ),
    ) as { chosen: string[] | string; fills: boolean }[];
    const chosen = rows[0].chosen;
    return { chosen: Array.isArray(chosen) ? chosen : String(chosen).replace(/^\{|\}$/g, '').split(',').filter(Boolean), fills: rows[0].fills };
  }

  /**
   * What `replaceOnApplication` plans: the same problem read the same way, after `gone` is declined; `ownTeam`, how many
   * of the team's own people the plan kept off for that (when it could not fill the panel).
   */
  async function plannerChoice(db: Db, applicationId: number, gone: number): Promise<{ chosen: string[]; fills: boolean; ownTeam: number }> {
    if (gone) await db.update(assignments).set({ status: 'declined' }).where(eq(assignments.id, gone));
    const [cycle] = await db.select().from(cycles).where(eq(cycles.id, f.cycleId));
    const problem = await loadAssignmentProblem(db, cycle.id, [applicationId]);
    const plan = planAssignments({ ...problem, perApplication: cycle.expertsPerApplication });
    return { chosen: plan.added.map((a) => a.expertOpenId), fills: plan.added.length > 0 && plan.unfilled.length === 0, ownTeam: plan.unfilled[0]?.blocked.ownTeam ?? 0 };
  }

  it('on 150 random pools: loads and ties, caps (none, 0, negative, reached), inactive experts, the same organisation, the team’s own leader, members and contact, conflicts with the team or its organisation, earlier declines and swaps, another cycle', async () => {
    const rand = random(20271201);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const orgs = (await base.db.insert(organizations).values([1, 2, 3, 4].map((n) => ({ name: `随机单位${n}` }))).returning()).map((o) => o.id);
    const [team] = await base.db.select().from(teams).where(eq(teams.id, f.teamD.id));
    const [d] = await base.db.select().from(applications).where(eq(applications.id, f.appD));
    const [otherCycle] = await base.db.insert(cycles).values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: {} }).returning();
    let filled = 0;
    let short = 0;
    let none = 0;
    let several = 0;
    let ownTeam = 0;
    for (let round = 0; round < 150; round++) {
      const rollback = new Error('rolled back');
      const compared = await base.db
        .transaction(async (db) => {
          await db.update(cycles).set({ expertsPerApplication: pick([1, 2, 3, 3, 5, 0]) }).where(eq(cycles.id, f.cycleId));
          // open_ids that sort differently by byte and by a linguistic collation, and equal loads to tie on
          const n = 2 + Math.floor(rand() * 14);
          const ids = [...new Set(Array.from({ length: n }, () => `${pick(['ou_', 'ou_', 'OU_', 'ou-', 'pending:'])}${pick(['a', 'B', 'b', '_', 'Z', '0', '9'])}${Math.floor(rand() * 50)}`))];
          await db.insert(people).values(
            ids.map((openId) => ({
              openId,
              name: openId,
              roles: rand() < 0.9 ? ['expert'] : rand() < 0.5 ? ['admin'] : [],
              organizationId: rand() < 0.3 ? null : pick(orgs),
              maxLoad: pick([null, null, null, 0, -1, 1, 2, 3, 5]),
              expertActive: rand() < 0.85,
            })),
          );
          const appsOf = async (k: number, cycleId: number) => {
            const out: { id: number; teamId: number; org: number }[] = [];
            for (let i = 0; i < k; i++) {
              const org = pick(orgs);
              // the team's own people, some of them in the pool: its leader, its contact, its members
              const own = { leaderOpenId: rand() < 0.4 ? pick(ids) : team.leaderOpenId, contactOpenId: rand() < 0.4 ? pick(ids) : team.contactOpenId };
              const [t] = await db.insert(teams).values({ ...team, ...own, id: undefined, code: `R-${round}-${cycleId}-${i}`, name: `随机班组${round}-${cycleId}-${i}`, organizationId: org, createdAt: undefined, updatedAt: undefined }).returning();
              const members = ids.filter(() => rand() < 0.15);
              if (members.length) await db.insert(teamMembers).values(members.map((openId) => ({ teamId: t.id, openId, role: 'member' })));
              const [a] = await db.insert(applications).values({ teamId: t.id, cycleId, status: pick(['scoring', 'scored', 'accepted']), form: d.form }).returning();
              out.push({ id: a.id, teamId: t.id, org });
            }
            return out;
          };
          const apps = await appsOf(1 + Math.floor(rand() * 5), f.cycleId);
          const elsewhere = await appsOf(1, otherCycle.id);
          const rows: { applicationId: number; expertOpenId: string; status: string }[] = [];
          for (const a of [...apps, ...elsewhere]) {
            for (const e of ids) if (rand() < 0.35) rows.push({ applicationId: a.id, expertOpenId: e, status: pick(['assigned', 'assigned', 'submitted', 'declined', 'replaced']) });
          }
          if (rows.length) await db.insert(assignments).values(rows);
          const conflictRows = ids.flatMap((e) => (rand() < 0.3 ? [rand() < 0.5 ? { expertOpenId: e, teamId: rand() < 0.6 ? apps[0].teamId : pick(apps).teamId } : { expertOpenId: e, organizationId: pick(orgs) }] : []));
          if (conflictRows.length) await db.insert(conflicts).values(conflictRows);
          const target = apps[0];
          const pending = rows.filter((r) => r.applicationId === target.id && r.status === 'assigned');
          const goneRow = pending.length && rand() < 0.7 ? pick(pending) : undefined;
          const gone = goneRow
            ? (await db.select().from(assignments).where(and(eq(assignments.applicationId, target.id), eq(assignments.expertOpenId, goneRow.expertOpenId))))[0].id
            : 0;
          const bySql = await sqlChoice(db, target.id, gone);
          const byPlanner = await plannerChoice(db, target.id, gone);
          throw Object.assign(rollback, { result: { round, bySql, byPlanner } });
        })
        .catch((err: Error & { result?: unknown }) => {
          if (err !== rollback) throw err;
          return err.result as { round: number; bySql: { chosen: string[]; fills: boolean }; byPlanner: { chosen: string[]; fills: boolean; ownTeam: number } };
        });
      const { ownTeam: kept, ...byPlanner } = compared.byPlanner;
      expect(compared.bySql, `round ${compared.round}`).toEqual(byPlanner);
      if (kept) ownTeam++;
      if (compared.byPlanner.fills) filled++;
      else if (compared.byPlanner.chosen.length) short++;
      else none++;
      if (compared.byPlanner.chosen.length > 1) several++;
    }
    // the pools cover the cases: filled (by one expert or several), short of experts, nobody at all, and short with
    // some of the team's own people kept off
    expect(Math.min(filled, short, none, several, ownTeam), JSON.stringify({ filled, short, none, several, ownTeam })).toBeGreaterThanOrEqual(3);
  });
});

// --- 声明利益冲突 ------------------------------------------------------------------------------------------------

/** The expert who declares; the helpers fill the panels. */
const DECLARER = 'ou_conflictfastdeclarer00000000001';
const H = (n: number) => `ou_conflictfasthelper${String(n).padStart(13, '0')}`;

interface Declarations {
  /** Organisations: two pending tasks of the declarer; nobody may replace; more tasks than the write declines. */
  two: string;
  none: string;
  many: string;
  /** Two pending tasks: the first may be replaced, the second not. */
  later: string;
  /** A team with one pending task of the declarer. */
  oneTeam: string;
}

async function seedDeclarations(db: Db, f: Fixture): Promise<Declarations> {
  await db.insert(people).values([
    { openId: DECLARER, name: '声明专家', roles: ['expert'] },
    ...[1, 2, 3, 4, 5, 6].map((n) => ({ openId: H(n), name: `接替专家${n}`, roles: ['expert'] })),
  ]);
  const [d] = await db.select().from(applications).where(eq(applications.id, f.appD));
  let serial = 40;
  const org = async (name: string, teamsOf: number, members: string[], conflicted?: string[]) => {
    const [o] = await db.insert(organizations).values({ name }).returning();
    for (let i = 0; i < teamsOf; i++) {
      serial += 1;
      const [team] = await db
        .insert(teams)
        .values({ code: `GDSZ-2025-${String(serial).padStart(4, '0')}`, name: `冲突测试${serial}班`, organizationId: o.id, department: '工程部', type: 'project', leaderOpenId: 'ou_otherleader000000000000000000001', phone: '020-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: 'ou_othercontact00000000000000000001', registeredAt: '2025-01-10' })
        .returning();
      const [app] = await db.insert(applications).values({ teamId: team.id, cycleId: f.cycleId, status: 'scoring', form: d.form, submittedAt: d.submittedAt, endorsement: d.endorsement }).returning();
      await db.insert(assignments).values(members.map((m) => ({ applicationId: app.id, expertOpenId: m, status: 'assigned' })));
    }
    if (conflicted?.length) await db.insert(conflicts).values(conflicted.map((e) => ({ expertOpenId: e, organizationId: o.id, reason: '曾在该单位任职' })));
    return o.name;
  };
  const two = await org('冲突测试单位一', 2, [DECLARER, H(1), H(2)]);
  // a task of the declarer still pending in a year whose results are out: no declaration touches it
  const [past] = await db.insert(cycles).values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: {} }).returning();
  const [pastApp] = await db.insert(applications).values({ teamId: sql`(select id from teams where code = 'GDSZ-2025-0041')` as never, cycleId: past.id, status: 'published', form: d.form }).returning();
  await db.insert(assignments).values({ applicationId: pastApp.id, expertOpenId: DECLARER, status: 'assigned' });
  const none = await org('冲突测试单位二', 1, [DECLARER, H(1), H(2)], [H(3), H(4), H(5), H(6), personas.expert, OTHER_EXPERT]);
  const many = await org('冲突测试单位三', 4, [DECLARER, H(1), H(2)]);
  await org('冲突测试单位四', 1, [DECLARER, H(3), H(4)]);
  const oneTeam = `GDSZ-2025-${String(serial).padStart(4, '0')}`;
  // two tasks: the first may be replaced, the second's team is in conflict with everyone else
  const later = await org('冲突测试单位五', 2, [DECLARER, H(1), H(2)]);
  const others = [H(3), H(4), H(5), H(6), personas.expert, OTHER_EXPERT];
  await db.insert(conflicts).values(others.map((e) => ({ expertOpenId: e, teamId: sql`(select id from teams where code = ${`GDSZ-2025-${String(serial).padStart(4, '0')}`})` as never, reason: '亲属在该班组' })));
  return { two, none, many, oneTeam, later };
}

interface ConflictStep {
  name: string;
  who: string;
  form: (d: Declarations) => Record<string, unknown>;
  eventId?: string;
  toast: 'success' | 'error' | 'info';
  says: RegExp;
  leftToOrdinary?: boolean;
  /** The direct call with another form than the click's (an event seen before, on a declaration the verdict would take). */
  probeForm?: (d: Declarations) => Record<string, unknown>;
}

const conflictSteps: ConflictStep[] = [
  { name: 'not an expert', who: personas.member, form: () => ({ kind: 'team', target: 'GDSZ-2025-0001', reason: '曾任该班组技术顾问' }), toast: 'error', says: /只有/, leftToOrdinary: true },
  { name: 'a team not found', who: DECLARER, form: () => ({ kind: 'team', target: 'GDSZ-1999-0001', reason: '曾任该班组技术顾问' }), toast: 'error', says: /^找不到编号或名称为“GDSZ-1999-0001”的班组/, leftToOrdinary: true },
  { name: 'an organisation not found', who: DECLARER, form: () => ({ kind: 'organization', target: '不存在的单位', reason: '亲属在该单位' }), toast: 'error', says: /^找不到名为“不存在的单位”的单位/, leftToOrdinary: true },
  { name: 'no reason', who: DECLARER, form: () => ({ kind: 'team', target: 'GDSZ-2025-0001', reason: '  ' }), toast: 'error', says: /冲突原因/, leftToOrdinary: true },
  { name: 'a team with no pending task', who: DECLARER, form: () => ({ kind: 'team', target: 'GDSZ-2025-0001', reason: '曾任该班组技术顾问' }), eventId: 'evt_replace_fast_c_first', toast: 'success', says: /^已声明与“GDSZ-2025-0001 广州养护一班”存在利益冲突。$/ },
  {
    name: 'the same delivery again',
    who: DECLARER,
    form: () => ({ kind: 'team', target: 'GDSZ-2025-0001', reason: '曾任该班组技术顾问' }),
    eventId: 'evt_replace_fast_c_first',
    toast: 'info',
    says: /这次点击已收到/,
    leftToOrdinary: true,
    // the event's claim is what stops it: tried on a declaration that touches two tasks
    probeForm: (d) => ({ kind: 'organization', target: d.two, reason: '亲属在该单位' }),
  },
  { name: 'declared again', who: DECLARER, form: () => ({ kind: 'team', target: 'GDSZ-2025-0001', reason: '曾任该班组技术顾问' }), toast: 'info', says: /^已于 .* 声明与“GDSZ-2025-0001 广州养护一班”存在利益冲突/, leftToOrdinary: true },
  { name: 'a team by its code in small letters: its task replaced', who: DECLARER, form: (d) => ({ kind: 'team', target: ` ${d.oneTeam.toLowerCase()} `, reason: '曾任该班组技术顾问' }), toast: 'success', says: /^已声明与“GDSZ-2025-0048 冲突测试48班”存在利益冲突，其 1 项未完成的评分任务已改派其他专家。$/ },
  { name: 'an organisation: two tasks replaced, one after the other', who: DECLARER, form: (d) => ({ kind: 'organization', target: d.two, reason: '亲属在该单位' }), toast: 'success', says: /^已声明与“冲突测试单位一”存在利益冲突，其 2 项未完成的评分任务已改派其他专家。$/ },
  { name: 'an organisation where nobody may replace', who: DECLARER, form: (d) => ({ kind: 'organization', target: d.none, reason: '亲属在该单位' }), toast: 'success', says: /^已声明与“冲突测试单位二”存在利益冲突，1 项暂无专家可以接替，已告知协会管理员。$/, leftToOrdinary: true },
  { name: 'an organisation with more tasks than the write declines', who: DECLARER, form: (d) => ({ kind: 'organization', target: d.many, reason: '亲属在该单位' }), toast: 'success', says: /^已声明与“冲突测试单位三”存在利益冲突，其 4 项未完成的评分任务已改派其他专家。$/, leftToOrdinary: true },
];

describe('声明利益冲突: the fixed statements answer and write what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    return { h, d: await seedDeclarations(h.db.db, f), answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it.each(conflictSteps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h, d } = worlds[mode];
      const db = h.db.db;
      const eventId = step.eventId ?? `evt_replace_fast_c${i}`;
      if (mode === 'fast' && step.leftToOrdinary) {
        const direct = { eventId: step.eventId ?? `probe_${randomEventId()}`, eventType: 'card.action.trigger', openId: step.who, formValue: (step.probeForm ?? step.form)(d), now: h.clock.now() };
        await leavesToOrdinary(() => counts(db), () => fastDeclareConflict(h.db, direct));
      }
      const sent = h.fake.messages.length;
      const body: Body = await h.click(step.who, { action: 'experts.conflictAdd' }, step.form(d), { eventId });
      expectAnswer(body, step, mode);
      for (const m of h.fake.messages.slice(sent)) {
        if (m.msgType === 'interactive' && JSON.stringify(m.content).includes('提交评分')) {
          const [row] = await db.select().from(outbox).where(eq(outbox.messageId, m.messageId));
          expect(m.content, mode).toEqual(await drawnNow(db, Number((row.card as { render: { assignmentId: number } }).render.assignmentId), h));
        }
      }
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('Feishu received the same messages; each replacement got its task card, the trail reads declaration, then decline and replacement per task', async () => {
    const received = (h: Harness) => h.fake.messages.map((m) => ({ to: m.receiveId, type: m.receiveIdType, msgType: m.msgType, uuid: m.uuid, content: m.content }));
    expect(received(worlds.fast.h)).toEqual(received(worlds.ordinary.h));
    for (const mode of ['fast', 'ordinary'] as const) {
      const db = worlds[mode].h.db.db;
      const [declared] = await db.select().from(conflicts).where(and(eq(conflicts.expertOpenId, DECLARER), like(conflicts.reason, '亲属在该单位'))).orderBy(asc(conflicts.id)).limit(1);
      const trail = (await db.select().from(auditLog).where(eq(auditLog.actor, DECLARER)).orderBy(asc(auditLog.id))).map((a) => a.action);
      // the team without a task, the team with one, the organisation with two, then the two the ordinary path took
      expect(trail, mode).toEqual([
        'expert.declareConflict',
        'expert.declareConflict', 'review.decline', 'review.replace',
        'expert.declareConflict', 'review.decline', 'review.replace', 'review.decline', 'review.replace',
        'expert.declareConflict', 'review.decline', 'review.replace',
        'expert.declareConflict', 'review.decline', 'review.replace', 'review.decline', 'review.replace', 'review.decline', 'review.replace', 'review.decline', 'review.replace',
      ]);
      expect(declared, mode).toBeDefined();
      const declines = await db.select().from(assignments).where(and(eq(assignments.expertOpenId, DECLARER), eq(assignments.status, 'declined')));
      expect(declines.map((a) => a.declineReason), mode).toEqual(declines.map((a) => (a.declineReason?.includes('曾任') ? '声明利益冲突：曾任该班组技术顾问' : '声明利益冲突：亲属在该单位')));
      expect(declines, mode).toHaveLength(8);
    }
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('声明利益冲突 refused: statement A never claims the event (PostgreSQL)', () => {
  let base: TestDatabase;
  let d: Declarations;
  const now = new Date(NOW);

  beforeAll(async () => {
    base = await createTestDatabase();
    const f = await seedFixture(base.db);
    d = await seedDeclarations(base.db, f);
    await base.db.execute(sql`create sequence claims_tried`);
    await base.db.execute(sql`create function count_claim() returns trigger language plpgsql as $$ begin perform nextval('claims_tried'); return new; end $$`);
    await base.db.execute(sql`create trigger count_claim before insert on processed_events for each row execute function count_claim()`);
  });

  afterAll(async () => {
    await base?.close();
  });

  const tried = async () => Number((rowsOf(await base.db.execute(sql`select case when is_called then last_value else 0 end as n from claims_tried`)) as { n: string }[])[0].n);
  const declare = (openId: string, formValue: Record<string, unknown>) => fastDeclareConflict(base, { eventId: randomEventId(), eventType: 'card.action.trigger', openId, formValue, now });

  it('not an expert, a target not found, a form that does not parse, more tasks than the write declines, nobody for the first task: undefined, no claim tried; nobody for the second: the claim tried and rolled back', async () => {
    const refused: [string, () => Promise<unknown>][] = [
      ['a member', () => declare(personas.member, { kind: 'organization', target: d.two, reason: '亲属在该单位' })],
      ['an administrator', () => declare(ADMIN, { kind: 'organization', target: d.two, reason: '亲属在该单位' })],
      ['a team not found', () => declare(DECLARER, { kind: 'team', target: 'GDSZ-1999-0001', reason: '亲属在该班组' })],
      ['an organisation not found', () => declare(DECLARER, { kind: 'organization', target: '不存在的单位', reason: '亲属在该单位' })],
      ['no reason', () => declare(DECLARER, { kind: 'organization', target: d.two, reason: '' })],
      ['four tasks', () => declare(DECLARER, { kind: 'organization', target: d.many, reason: '亲属在该单位' })],
    ];
    for (const [name, run] of refused) {
      expect(await run(), name).toBeUndefined();
      expect(await tried(), name).toBe(0);
    }
    expect(await declare(DECLARER, { kind: 'organization', target: d.none, reason: '亲属在该单位' }), 'nobody for the first task').toBeUndefined();
    expect(await tried()).toBe(0);
    // the first task replaced, the second not: the decline statement fails the write on purpose, claim included
    const untouched = await counts(base.db);
    expect(await declare(DECLARER, { kind: 'organization', target: d.later, reason: '亲属在该单位' }), 'nobody for the second task').toBeUndefined();
    expect(await tried()).toBe(1);
    expect(await counts(base.db)).toEqual(untouched);
    expect(await declare(DECLARER, { kind: 'organization', target: d.two, reason: '亲属在该单位' })).toMatchObject({ label: d.two, replaced: 2, queued: 2 });
    expect(await tried()).toBe(2);
    expect(await declare(DECLARER, { kind: 'organization', target: d.two, reason: '亲属在该单位' }), 'declared again').toBeUndefined();
    expect(await tried()).toBe(2);
  });
});

describe('声明利益冲突 clicked twice at once, the fast paths on', () => {
  let h: Harness;
  let d: Declarations;

  beforeAll(async () => {
    let f: Fixture;
    ({ h, f } = await startSecurityHarness());
    d = await seedDeclarations(h.db.db, f);
  });

  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['a team with one pending task', (x: Declarations) => ({ kind: 'team', target: x.oneTeam, reason: '曾任该班组技术顾问' })],
    ['an organisation with two', (x: Declarations) => ({ kind: 'organization', target: x.two, reason: '亲属在该单位' })],
  ] as const)('%s: one declares and replaces, the other is told it is done', async (_name, form) => {
    const db = h.db.db;
    const before = await counts(db);
    const both: Body[] = await Promise.all([0, 1].map(() => h.click(DECLARER, { action: 'experts.conflictAdd' }, form(d))));
    const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
    expect(first.toast?.type, JSON.stringify(both.map((b) => b.toast))).toBe('success');
    expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
    expect(second.toast?.content).toMatch(/^已于 .* 声明/);
    const after = await counts(db);
    const tasks = form(d).kind === 'team' ? 1 : 2;
    expect(after.conflicts - before.conflicts).toBe(1);
    expect(after.audits - before.audits).toBe(1 + 2 * tasks);
    expect(after.outbox - before.outbox).toBe(tasks);
  });
});
