import { and, asc, count, eq, inArray, like, sql } from 'drizzle-orm';
import { todayIn } from '../../src/dates.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, cycles, outbox, people, processedEvents, teams } from '../../db/schema.js';
import { fastReopen, type FastReopenEvent } from '../../src/fast/reopen.js';
import { enqueueQuietly, rowsOf } from '../../src/outbox.js';
import { getTasks, reopenedCardKey } from '../../src/review/scoring.js';
import { reopenedTaskMessage, taskCard, taskCardMessage } from '../../src/review/taskCards.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { claimProbe, heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { countedFixtureBot, type Fixture, NOW, personas, seedFixture, startSecurityHarness } from './securityFixture.js';

/**
 * 重开评分 in one statement (src/fast/reopen.ts) against the ordinary transaction: the same answers, rows, audit
 * trail, outbox rows and cards sent, on the same rows; every refusal, and the case of a task card still waiting to
 * go out, still answered by the ordinary path with nothing of the fast attempt kept; one round trip on a warm
 * connection, its locks in the ordinary path's order; two clicks at once, and a sheet changed under the statement,
 * end as the ordinary path ends them.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_reopenroleadmin0000000000000001';
/** An administrator who is also an expert: the reopened sheet to them answers what they just did (interactive). */
const EXPERT_ADMIN = 'ou_reopenexpertadmin00000000000001';
/** An expert imported and not yet linked to Feishu: no card can go to them. */
const PENDING_EXPERT = 'pending:reopen-expert-01';
const expert = (n: number) => `ou_reopenfastexpert${String(n).padStart(15, '0')}`;

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** The time a done deed is named by, read from the audit row: compared as a placeholder. */
const doneAt = /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

/** The sheets the steps reopen, made the same in every database. */
interface Sheets {
  reopened: number;
  neverSubmitted: number;
  scoredPanel: number;
  ownSheet: number;
  pendingExpert: number;
  waitingCard: number;
  /** Reopened before and submitted again while that reopen's card still waits to go out. */
  reopenedBefore: number;
  closedCycle: number;
  published: number;
  /** The applications all of whose sheets are in (评审完成). */
  scoredApp: number;
  closedApp: number;
}

async function seedSheets(db: Db, f: Fixture): Promise<Sheets> {
  await db.insert(people).values([
    { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: EXPERT_ADMIN, name: '兼任专家的管理员', roles: ['admin', 'expert'] },
    { openId: PENDING_EXPERT, name: '待关联专家', roles: ['expert'] },
    ...[1, 2, 3, 4, 5, 6, 7].map((n) => ({ openId: expert(n), name: `重开专家${n}`, roles: ['expert'] })),
  ]);
  const [d] = await db.select().from(applications).where(eq(applications.id, f.appD));
  const [b] = await db.select().from(teams).where(eq(teams.id, f.teamB.id));
  const team = async (code: string, name: string) =>
    (await db.insert(teams).values({ ...b, id: undefined, code, name, createdAt: undefined, updatedAt: undefined }).returning())[0].id;
  const app = async (teamId: number) => (await db.insert(applications).values({ teamId, cycleId: f.cycleId, status: 'scored', form: d.form, submittedAt: d.submittedAt, endorsement: d.endorsement }).returning())[0].id;
  const scoredApp = await app(await team('GDSZ-2025-0105', '重开评审五班'));
  const closedApp = await app(await team('GDSZ-2025-0106', '重开评审六班'));
  const submitted = { status: 'submitted', scores: { '1.1': 5, '1.2': 4.5 }, total: 87.5, comment: '材料翔实', submittedAt: new Date('2027-03-09T02:00:00Z') };
  const sheet = async (applicationId: number, openId: string, done = true) =>
    (await db.insert(assignments).values({ applicationId, expertOpenId: openId, ...(done ? submitted : { status: 'assigned' }) }).returning())[0].id;
  return {
    reopened: await sheet(f.appD, expert(1)),
    neverSubmitted: await sheet(f.appD, expert(2), false),
    scoredPanel: await sheet(scoredApp, expert(3)),
    ownSheet: await sheet(f.appD, EXPERT_ADMIN),
    pendingExpert: await sheet(f.appD, PENDING_EXPERT),
    waitingCard: await sheet(f.appD, expert(4)),
    reopenedBefore: await sheet(f.appD, expert(7)),
    closedCycle: await sheet(closedApp, expert(5)),
    published: await sheet(f.appD, expert(6)),
    scoredApp,
    closedApp,
  };
}

interface Step {
  name: string;
  who: string;
  sheet: (s: Sheets) => number;
  /** A fixed event id (a delivery repeated); `evt_reopen_fast_<step>` otherwise. */
  eventId?: string;
  toast: 'success' | 'error' | 'info';
  says: RegExp;
  /** A refusal, or a case the fast path leaves: the statement, called directly, must answer undefined and write nothing. */
  leftToOrdinary?: boolean;
  /** The direct call on another sheet than the click's (an event seen before, on a sheet still to reopen). */
  probeSheet?: (s: Sheets) => number;
  before?: (db: Db, f: Fixture, s: Sheets) => Promise<void>;
}

const steps: Step[] = [
  { name: 'not an administrator', who: personas.expert, sheet: (s) => s.reopened, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: 'no such task', who: ADMIN, sheet: () => 999_999, toast: 'error', says: /^找不到这项评分任务/, leftToOrdinary: true },
  { name: 'a sheet never submitted', who: ADMIN, sheet: (s) => s.neverSubmitted, toast: 'info', says: /^这份评分尚未提交，无需重开。$/, leftToOrdinary: true },
  { name: '重开评分', who: ADMIN, sheet: (s) => s.reopened, eventId: 'evt_reopen_fast_first', toast: 'success', says: /^已重开评分并通知专家：深圳建设四班$/ },
  {
    name: 'the same delivery again',
    who: ADMIN,
    sheet: (s) => s.reopened,
    eventId: 'evt_reopen_fast_first',
    toast: 'info',
    says: /这次点击已收到/,
    leftToOrdinary: true,
    // the event's claim is what stops it: tried on a sheet the verdict would reopen
    probeSheet: (s) => s.published,
  },
  { name: '重开评分 clicked again', who: ADMIN, sheet: (s) => s.reopened, toast: 'info', says: /^已于 .* 重开评分并通知专家（深圳建设四班），无需重复重开。$/, leftToOrdinary: true },
  { name: 'a scored panel, by an administrator of the stored role', who: ROLE_ADMIN, sheet: (s) => s.scoredPanel, toast: 'success', says: /^已重开评分并通知专家：重开评审五班$/ },
  { name: "an administrator reopening their own sheet", who: EXPERT_ADMIN, sheet: (s) => s.ownSheet, toast: 'success', says: /^已重开评分并通知专家：深圳建设四班$/ },
  { name: 'the sheet of an expert not yet linked to Feishu', who: ADMIN, sheet: (s) => s.pendingExpert, toast: 'success', says: /^已重开评分并通知专家：深圳建设四班$/ },
  {
    name: 'a task card still waiting to go out carries the sheet',
    who: ADMIN,
    sheet: (s) => s.waitingCard,
    toast: 'success',
    says: /^已重开评分并通知专家：深圳建设四班$/,
    leftToOrdinary: true,
    before: async (db, _f, s) => {
      await enqueueQuietly(db, taskCardMessage({ id: s.waitingCard, expertOpenId: expert(4) }));
    },
  },
  {
    name: 'a reopen after a reopen whose card still waits: that card carries the sheet',
    who: ROLE_ADMIN,
    sheet: (s) => s.reopenedBefore,
    toast: 'success',
    says: /^已重开评分并通知专家：深圳建设四班$/,
    leftToOrdinary: true,
    before: async (db, _f, s) => {
      // what an earlier reopen left, its card not yet sent, and the expert's submit since
      const key = reopenedCardKey(s.reopenedBefore, 'evt_reopen_fast_prev');
      await db.insert(auditLog).values({ actor: ADMIN, action: 'review.reopen', entity: 'assignment', entityId: String(s.reopenedBefore), details: { cardKey: key }, at: new Date(NOW) });
      await enqueueQuietly(db, reopenedTaskMessage({ id: s.reopenedBefore, expertOpenId: expert(7) }, 'evt_reopen_fast_prev'));
    },
  },
  {
    name: 'a closed cycle goes back to scoring',
    who: ADMIN,
    sheet: (s) => s.closedCycle,
    toast: 'success',
    says: /^已重开评分并通知专家：重开评审六班$/,
    before: async (db, f) => {
      await db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, f.cycleId));
    },
  },
  {
    name: 'results published',
    who: ADMIN,
    sheet: (s) => s.published,
    toast: 'info',
    says: /^2027年度评审结果已公布，评分不能再重开。$/,
    leftToOrdinary: true,
    before: async (db, f) => {
      await db.update(cycles).set({ status: 'published' }).where(eq(cycles.id, f.cycleId));
    },
  },
];

/** What the database holds that a reopen writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  const stamped = (at: Date) => (at.getTime() === Date.parse(NOW) ? NOW : 'seeded');
  const sheets = (await db.select().from(assignments).orderBy(assignments.id)).map(({ assignedAt: _a, ...a }) => a);
  const apps = (await db.select().from(applications).orderBy(applications.id)).map(({ createdAt: _c, updatedAt, ...a }) => ({ ...a, changedAt: stamped(updatedAt) }));
  const years = (await db.select({ id: cycles.id, status: cycles.status, updatedAt: cycles.updatedAt }).from(cycles).orderBy(cycles.id)).map((c) => ({ ...c, updatedAt: stamped(c.updatedAt) }));
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, ...a }) => a);
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_reopen_fast_%')).orderBy(processedEvents.eventId);
  return { sheets, apps, years, audits, out, events };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  sheets: (await db.select({ id: assignments.id, status: assignments.status }).from(assignments).orderBy(assignments.id)).map((a) => `${a.id}:${a.status}`),
  apps: (await db.select({ id: applications.id, status: applications.status }).from(applications).orderBy(applications.id)).map((a) => `${a.id}:${a.status}`),
  years: (await db.select({ id: cycles.id, status: cycles.status }).from(cycles)).map((c) => `${c.id}:${c.status}`),
});

/** The card `taskCard` draws from the task as it is now, sent today by `h`'s clock, as JSON (what Feishu receives). */
async function drawnNow(db: Db, assignmentId: number, h: Harness) {
  const [task] = await getTasks(db, [assignmentId]);
  return JSON.parse(JSON.stringify(taskCard(task, { sentOn: todayIn(h.app.config.BOT_TIMEZONE, h.clock.now()) })));
}

describe('重开评分: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    return { h, f, s: await seedSheets(h.db.db, f), answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h, f, s } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db, f, s);
      const id = step.sheet(s);
      const eventId = step.eventId ?? `evt_reopen_fast_${i}`;
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        const direct: FastReopenEvent = {
          eventId: step.eventId ?? `probe_${randomEventId()}`,
          eventType: 'card.action.trigger',
          openId: step.who,
          assignmentId: step.probeSheet?.(s) ?? id,
          now: h.clock.now(),
          bootstrapAdmins: [ADMIN],
        };
        await leavesToOrdinary(() => counts(db), () => fastReopen(h.db, direct));
      }
      const sent = h.fake.messages.length;
      const body: Body = await h.click(step.who, { action: 'review.reopen', assignmentId: id }, {}, { eventId });
      expectAnswer(body, step, mode);
      expect(body.card?.data?.header?.title?.content ?? '', mode).toMatch(step.name === 'no such task' || step.name === 'not an administrator' || step.name === 'the same delivery again' ? /^$/ : /^专家组：/);
      // each card sent is the one taskCard draws from the task as it is now: the reopened sheet, filled in
      for (const m of h.fake.messages.slice(sent)) expect(m.content, mode).toEqual(await drawnNow(db, id, h));
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('the expert gets the same reopened sheets at Feishu, once each; the rows hold the spec, the administrator’s own sheet interactive', async () => {
    const received = (h: Harness) => h.fake.messages.map((m) => ({ to: m.receiveId, type: m.receiveIdType, msgType: m.msgType, uuid: m.uuid, content: m.content }));
    expect(received(worlds.fast.h)).toEqual(received(worlds.ordinary.h));
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h, s } = worlds[mode];
      const to = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && m.msgType === 'interactive');
      for (const [openId, sheet] of [[expert(1), s.reopened], [expert(3), s.scoredPanel], [EXPERT_ADMIN, s.ownSheet], [expert(5), s.closedCycle], [expert(4), s.waitingCard], [expert(7), s.reopenedBefore]] as const) {
        expect(to(openId).map((m) => JSON.stringify(m.content).includes('协会管理员已重开这份评分')), `${mode} ${openId}`).toEqual([true]);
        expect(to(openId)[0].content.header, mode).toBeDefined();
        expect(sheet).toBeGreaterThan(0);
      }
      const rows = await h.db.db.select().from(outbox).where(inArray(outbox.receiver, [expert(1), expert(3), EXPERT_ADMIN, expert(4), expert(5), expert(7), PENDING_EXPERT])).orderBy(asc(outbox.id));
      expect(rows.map((r) => [r.dedupeKey.replace(/:\d+/, ':<id>'), r.receiver, r.priority, r.card])).toEqual([
        ['review:reopen:<id>:evt_reopen_fast_first', expert(1), 1, { render: { kind: 'reviewTask', assignmentId: s.reopened } }],
        ['review:reopen:<id>:evt_reopen_fast_6', expert(3), 1, { render: { kind: 'reviewTask', assignmentId: s.scoredPanel } }],
        ['review:reopen:<id>:evt_reopen_fast_7', EXPERT_ADMIN, 0, { render: { kind: 'reviewTask', assignmentId: s.ownSheet } }],
        // the waiting task card carried the sheet; nothing queued beside it
        ['review:task:<id>', expert(4), 1, { render: { kind: 'reviewTask', assignmentId: s.waitingCard } }],
        // the earlier reopen's card carried the second reopened sheet
        ['review:reopen:<id>:evt_reopen_fast_prev', expert(7), 1, { render: { kind: 'reviewTask', assignmentId: s.reopenedBefore } }],
        ['review:reopen:<id>:evt_reopen_fast_11', expert(5), 1, { render: { kind: 'reviewTask', assignmentId: s.closedCycle } }],
      ]);
      // the closed cycle's reopen: its transition recorded before the reopen, both at the bot's time
      const trail = await h.db.db.select().from(auditLog).where(inArray(auditLog.action, ['cycle.reopenScoring', 'review.reopen'])).orderBy(asc(auditLog.id));
      expect(trail.slice(-2).map((a) => [a.action, a.details, a.at.toISOString()])).toEqual([
        ['cycle.reopenScoring', { from: 'closed', to: 'scoring', assignmentId: s.closedCycle }, new Date(NOW).toISOString()],
        ['review.reopen', { applicationId: s.closedApp, expert: expert(5), previousTotal: 87.5, previousScores: { '1.1': 5, '1.2': 4.5 }, previousComment: '材料翔实', cardKey: `review:reopen:${s.closedCycle}:evt_reopen_fast_11` }, new Date(NOW).toISOString()],
      ]);
    }
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('重开评分 on PostgreSQL: one round trip, its locks in order', () => {
  const bot = countedFixtureBot();
  const click = (openId: string, value: Record<string, unknown>) => bot.click<Body>(openId, value);

  let serial = 0;
  /** A submitted sheet of a new expert on the scoring application. */
  async function submittedSheet(): Promise<number> {
    serial += 1;
    const openId = `ou_reopentrips${String(serial).padStart(20, '0')}`;
    await bot.db.insert(people).values({ openId, name: `往返专家${serial}`, roles: ['expert'] });
    const [a] = await bot.db.insert(assignments).values({ applicationId: bot.f.appD, expertOpenId: openId, status: 'submitted', scores: { '1.1': 5 }, total: 90, submittedAt: bot.clock.now() }).returning();
    return a.id;
  }

  it('costs one round trip on a warm connection (the ordinary path: more), the cycle locked, then the application, then the statement', async () => {
    const figures: Record<string, number> = {};
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      expect((await click(ADMIN, { action: 'review.reopen', assignmentId: await submittedSheet() })).body.toast?.type).toBe('success');
      const measured = await submittedSheet();
      const { body, trips, statements, tripOf } = await click(ADMIN, { action: 'review.reopen', assignmentId: measured });
      expect(body.toast?.type).toBe('success');
      expect((await bot.db.select().from(assignments).where(eq(assignments.id, measured)))[0].status).toBe('assigned');
      expect(await bot.db.select({ n: count() }).from(outbox).where(like(outbox.dedupeKey, `review:reopen:${measured}:%`))).toEqual([{ n: 1 }]);
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
    console.log(`重开评分 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('重开评分 refused: the statement never claims the event, not even for a moment (PostgreSQL)', () => {
  let base: TestDatabase;
  let f: Fixture;
  let s: Sheets;
  const now = new Date(NOW);

  beforeAll(async () => {
    base = await createTestDatabase();
    f = await seedFixture(base.db);
    s = await seedSheets(base.db, f);
    // every claim tried, kept or rolled back: a sequence is not transactional (this test database only)
    await base.db.execute(sql`create sequence claims_tried`);
    await base.db.execute(sql`create function count_claim() returns trigger language plpgsql as $$ begin perform nextval('claims_tried'); return new; end $$`);
    await base.db.execute(sql`create trigger count_claim before insert on processed_events for each row execute function count_claim()`);
  });

  afterAll(async () => {
    await base?.close();
  });

  const tried = async () => Number((rowsOf(await base.db.execute(sql`select case when is_called then last_value else 0 end as n from claims_tried`)) as { n: string }[])[0].n);
  const attempt = (openId: string, assignmentId: number, bootstrapAdmins: string[] = [ADMIN]) =>
    fastReopen(base, { eventId: randomEventId(), eventType: 'card.action.trigger', openId, assignmentId, now, bootstrapAdmins });

  it('not an administrator, no such task, never submitted, reopened already, a waiting card, published: undefined, no claim tried; a reopen claims once, beside a card that failed once too', async () => {
    const refused: [string, () => Promise<unknown>][] = [
      ['an expert', () => attempt(personas.expert, s.reopened)],
      ['ADMIN without ADMIN_OPEN_IDS', () => attempt(ADMIN, s.reopened, [])],
      ['no such task', () => attempt(ADMIN, 999_999)],
      ['never submitted', () => attempt(ADMIN, s.neverSubmitted)],
    ];
    for (const [name, run] of refused) {
      expect(await run(), name).toBeUndefined();
      expect(await tried(), name).toBe(0);
    }
    expect(await attempt(ROLE_ADMIN, s.reopened)).toMatchObject({ teamName: '深圳建设四班', queued: 1 });
    expect(await tried()).toBe(1);
    // a task card whose first send failed is not waiting (it may have reached Feishu): the reopen queues its own, here as there
    await enqueueQuietly(base.db, taskCardMessage({ id: s.scoredPanel, expertOpenId: expert(3) }));
    await base.db.update(outbox).set({ attempts: 1, lastError: '发送失败' }).where(eq(outbox.dedupeKey, `review:task:${s.scoredPanel}`));
    expect(await attempt(ADMIN, s.scoredPanel)).toMatchObject({ teamName: '重开评审五班', queued: 1 });
    expect(await tried()).toBe(2);
    await enqueueQuietly(base.db, taskCardMessage({ id: s.waitingCard, expertOpenId: expert(4) }));
    const more: [string, () => Promise<unknown>][] = [
      ['reopened already', () => attempt(ADMIN, s.reopened)],
      ['a task card waiting', () => attempt(ADMIN, s.waitingCard)],
      [
        'published',
        async () => {
          await base.db.update(cycles).set({ status: 'published' }).where(eq(cycles.id, f.cycleId));
          return attempt(ADMIN, s.published);
        },
      ],
    ];
    for (const [name, run] of more) {
      expect(await run(), name).toBeUndefined();
      expect(await tried(), name).toBe(2);
    }
  });
});

describe('重开评分 clicked twice at once, the fast paths on', () => {
  let h: Harness;
  let f: Fixture;
  const db = (): Db => h.db.db;

  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    await db().insert(people).values({ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] });
  });

  afterAll(async () => {
    await h?.close();
  });

  let serial = 0;
  async function submittedSheet(): Promise<{ id: number; expertOpenId: string }> {
    serial += 1;
    const openId = `ou_reopenrace${String(serial).padStart(21, '0')}`;
    await db().insert(people).values({ openId, name: `并发专家${serial}`, roles: ['expert'] });
    const [a] = await db().insert(assignments).values({ applicationId: f.appD, expertOpenId: openId, status: 'submitted', scores: { '1.1': 5 }, total: 90, submittedAt: h.clock.now() }).returning();
    return a;
  }

  const effects = async (id: number) => ({
    status: (await db().select().from(assignments).where(eq(assignments.id, id)))[0].status,
    audits: (await db().select().from(auditLog).where(and(eq(auditLog.entity, 'assignment'), eq(auditLog.entityId, String(id))))).map((a) => a.action),
    cards: (await db().select().from(outbox).where(like(outbox.dedupeKey, `review:reopen:${id}:%`))).length,
  });

  const reopen = (openId: string, assignmentId: number, eventId?: string): Promise<Body> => h.click(openId, { action: 'review.reopen', assignmentId }, {}, { eventId });

  it.each([
    ['two administrators', [ADMIN, ROLE_ADMIN]],
    ['one administrator, the click delivered twice under two event ids', [ADMIN, ADMIN]],
  ] as const)('clicked at once by %s: one reopens, the other is told when on the same card', async (_name, who) => {
    for (let round = 0; round < 3; round++) {
      const { id } = await submittedSheet();
      const both = await Promise.all(who.map((openId) => reopen(openId, id)));
      const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
      expect(first.toast, JSON.stringify(both.map((b) => b.toast))).toMatchObject({ type: 'success' });
      expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
      expect(second.toast?.content).toMatch(doneAt);
      expect(second.card).toEqual(first.card);
      expect(await effects(id)).toEqual({ status: 'assigned', audits: ['review.reopen'], cards: 1 });
    }
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('a sheet changed under the statement after its claim: nothing of it is kept, and the ordinary path answers', async () => {
    const sheet = await submittedSheet();
    const eventId = randomEventId();
    // another session reopens the sheet's row by hand, without the application's lock, and has not committed: the
    // statement reads the sheet as submitted, claims the event and waits for the sheet's row
    const other = await heldTransaction(db(), async (tx) => {
      await tx.update(assignments).set({ status: 'assigned', submittedAt: null }).where(eq(assignments.id, sheet.id));
      await tx.insert(auditLog).values({ actor: ROLE_ADMIN, action: 'review.reopen', entity: 'assignment', entityId: String(sheet.id), details: {} });
    });
    let answered = false;
    const clicked = reopen(ADMIN, sheet.id, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    // waiting for the sheet's row, the statement has already claimed the event: a claim of the same id waits for it
    const probe = await claimProbe(db(), eventId);
    expect(probe).toBe('55P03');
    other.release();
    await other.ended;
    const body = await clicked;
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    expect(body.toast?.content).toMatch(/^已于 .* 重开评分并通知专家（深圳建设四班），无需重复重开。$/);
    expect(body.card?.data?.header?.title?.content).toMatch(/专家组/);
    expect(await effects(sheet.id)).toEqual({ status: 'assigned', audits: ['review.reopen'], cards: 0 });
    expect(await db().select({ type: processedEvents.eventType }).from(processedEvents).where(eq(processedEvents.eventId, eventId))).toEqual([{ type: 'card.action.trigger' }]);
  });
});
