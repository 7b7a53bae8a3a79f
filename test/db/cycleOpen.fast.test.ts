import { count, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycleOpenedCard } from '../../cards/admin.js';
import type { Db } from '../../db/index.js';
import { auditLog, chatBindings, cycles, outbox, people, processedEvents } from '../../db/schema.js';
import { adminOverview } from '../../src/adminOverview.js';
import { ManualClock } from '../../src/clock.js';
import { fastOpenCycle, openCycleInput } from '../../src/fast/cycleSteps.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { countedBot } from '../support/wire.js';
import { expectAnswer, expectSameWorlds, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { NO_SEND_LIMITS } from './securityFixture.js';

/**
 * 开启年度评审 in one statement (src/fast/cycleSteps.ts) against the ordinary transaction: the same answers, rows,
 * audit trail, outbox rows and cards sent, on the same rows; every refusal still answered by the ordinary path with
 * nothing of the fast attempt kept; one round trip on a warm connection; two opens at once end as one.
 */

const NOW = '2026-03-01T09:00:00+08:00';
/** An administrator by the stored role (ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
const USER = 'ou_user0000000000000000000000000002';
const ADMIN_CHAT = 'oc_adminchat000000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** The time a done deed is named by, read from the audit row (real time): compared as a placeholder. */
const doneAt = /已于 ?\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

const form = (year: number, o: Record<string, string> = {}) => ({
  year: String(year),
  applicationDeadline: `${year}-05-31 +0800`,
  scoringDeadline: `${year}-06-30`,
  reviewMeetingDate: `${year}-07-15`,
  awardThreshold: '85.5',
  expertsPerApplication: '4',
  recommendShare: '10%',
  dropExtremesFrom: '6',
  outlierDistance: '12.5',
  revocationRun: '4',
  ...o,
});

interface Step {
  name: string;
  who: string;
  form: Record<string, string>;
  /** A fixed event id (a delivery repeated); a fresh one otherwise. */
  eventId?: string;
  toast: 'success' | 'error' | 'info' | 'warning';
  says: RegExp;
  /** A refusal (or a case the fast path leaves): the statement, called directly, must answer undefined and write nothing. */
  leftToOrdinary?: boolean;
  before?: (db: Db) => Promise<void>;
}

const steps: Step[] = [
  { name: 'not an administrator', who: USER, form: form(2026), toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: 'a field out of range', who: ADMIN, form: form(2026, { awardThreshold: '120' }), toast: 'error', says: /授予称号分数线/, leftToOrdinary: true },
  { name: 'a date years off its 评审年度 (2072 for 2027)', who: ADMIN, form: form(2026, { reviewMeetingDate: '2062-07-15' }), toast: 'error', says: /评审会日期：2062年7月15日不在评审年度（2026年度）或次年（2027年）内/, leftToOrdinary: true },
  { name: 'a rule out of range', who: ADMIN, form: form(2026, { outlierDistance: '0.5' }), toast: 'error', says: /偏离中位数提醒分差/, leftToOrdinary: true },
  { name: 'the deadline already past', who: ADMIN, form: form(2026, { applicationDeadline: '2026-02-01' }), toast: 'error', says: /不能早于今天/, leftToOrdinary: true },
  // told with the form's other problems at once, not a submit after them
  {
    name: 'the deadline already past, with a score line out of range',
    who: ADMIN,
    form: form(2026, { applicationDeadline: '2026-02-01', awardThreshold: '120' }),
    toast: 'error',
    says: /^2 处需修改：1\. 申报截止日期：不能早于今天（.*）；2\. 授予称号分数线/,
    leftToOrdinary: true,
  },
  { name: '开启 by an administrator of ADMIN_OPEN_IDS', who: ADMIN, form: form(2026), eventId: 'evt_open_2026', toast: 'success', says: /^已开启2026年度评审，申报截止2026年5月31日$/ },
  { name: 'the same delivery again', who: ADMIN, form: form(2026), eventId: 'evt_open_2026', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: '开启 clicked again', who: ADMIN, form: form(2026), toast: 'info', says: doneAt, leftToOrdinary: true },
  { name: 'another year while one runs (第十九条)', who: ROLE_ADMIN, form: form(2027), toast: 'warning', says: /2026年度评审仍在进行/, leftToOrdinary: true },
  {
    name: 'a year that had its cycle',
    who: ADMIN,
    form: form(2026),
    toast: 'error',
    says: /2026年度评审已经开启过/,
    leftToOrdinary: true,
    before: async (db) => {
      await db.update(cycles).set({ status: 'published' }).where(eq(cycles.year, 2026));
    },
  },
  {
    name: '开启 by an administrator of the stored role, the admin group bound',
    who: ROLE_ADMIN,
    form: form(2027, { awardThreshold: '', expertsPerApplication: '', recommendShare: '', dropExtremesFrom: '', outlierDistance: '', revocationRun: '' }),
    eventId: 'evt_open_2027',
    toast: 'success',
    says: /^已开启2027年度评审，申报截止2027年5月31日$/,
    before: async (db) => {
      await db.insert(chatBindings).values({ chatId: ADMIN_CHAT, purpose: 'admin', boundBy: ADMIN });
    },
  },
];

async function seed(db: Db) {
  await db.insert(people).values([
    { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: USER, name: '路人', roles: [] },
  ]);
}

/** What the database holds that an open writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  const cycleRows = (await db.select().from(cycles).orderBy(cycles.id)).map(({ createdAt: _c, updatedAt: _u, ...c }) => c);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, ...a }) => a);
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_open_%')).orderBy(processedEvents.eventId);
  return { cycleRows, audits, out, events };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  cycles: (await db.select({ id: cycles.id, year: cycles.year, status: cycles.status }).from(cycles).orderBy(cycles.id)).map((c) => `${c.id}:${c.year}:${c.status}`),
});

describe('开启年度评审: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock(NOW) });
    await seed(h.db.db);
    return { h, answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db);
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (a form the ordinary path refuses is not sent at all)
        const before = await counts(db);
        const values = openCycleInput(step.form, h.clock.now(), 'Asia/Shanghai');
        if (values) {
          const direct = await fastOpenCycle(
            h.db,
            {
              eventId: step.eventId ?? `probe_${randomEventId()}`,
              eventType: 'card.action.trigger',
              openId: step.who,
              values,
              now: h.clock.now(),
              bootstrapAdmins: [ADMIN],
              notice: { dedupeKey: `cycle:opened:${values.year}`, card: { probe: true } },
            },
            (read) => adminOverview(read, '2026-03-01'),
          );
          expect(direct).toBeUndefined();
        }
        expect(await counts(db)).toEqual(before);
      }
      const body: Body = await h.click(step.who, { action: 'cycle.open' }, step.form, { eventId: step.eventId ?? `evt_open_step${i}` });
      expectAnswer(body, step, mode);
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('keeps the rules the form set in cycles.settings, the defaults for those left empty', async () => {
    for (const mode of ['fast', 'ordinary'] as const) {
      const rows = await worlds[mode].h.db.db.select({ year: cycles.year, settings: cycles.settings }).from(cycles).orderBy(cycles.year);
      expect(rows, mode).toEqual([
        { year: 2026, settings: { dropExtremesFrom: 6, outlierDistance: 12.5, revocationRun: 4 } },
        { year: 2027, settings: { dropExtremesFrom: 5, outlierDistance: 15, revocationRun: 2 } },
      ]);
    }
  });

  it('sends every administrators’ destination the card the ordinary path drew, the actor’s own copy interactive', async () => {
    const notice = (year: number, d: Record<string, unknown>, openedBy: string) =>
      cycleOpenedCard({ year, applicationDeadline: `${year}年5月31日`, scoringDeadline: `${year}年6月30日`, reviewMeetingDate: `${year}年7月15日`, openedBy, ...d } as never);
    const first = notice(2026, { awardThreshold: 85.5, expertsPerApplication: 4, recommendShare: 0.1 }, ADMIN);
    const second = notice(2027, { awardThreshold: 85, expertsPerApplication: 3, recommendShare: 0.1 }, ROLE_ADMIN);
    const sent: Record<string, unknown> = {};
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h } = worlds[mode];
      const received = (to: string) => h.fake.messages.filter((m) => m.receiveId === to && m.msgType === 'interactive').map((m) => m.content);
      // 2026: to each administrator (no group bound then); 2027: to the bound admin group alone
      expect(received(ADMIN), mode).toEqual([first]);
      expect(received(ROLE_ADMIN), mode).toEqual([first]);
      expect(received(ADMIN_CHAT), mode).toEqual([second]);
      const rows = await h.db.db.select().from(outbox).where(like(outbox.dedupeKey, 'cycle:opened:%')).orderBy(outbox.dedupeKey);
      expect(rows.map((o) => [o.dedupeKey, o.priority])).toEqual([
        [`cycle:opened:2026:user:${ADMIN}`, 0],
        [`cycle:opened:2026:user:${ROLE_ADMIN}`, 1],
        [`cycle:opened:2027:chat:${ADMIN_CHAT}`, 1],
      ]);
      sent[mode] = h.fake.messages.map((m) => [m.receiveId, m.msgType, m.content]);
    }
    expect(sent.fast).toEqual(sent.ordinary);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('开启年度评审 on PostgreSQL: one round trip', () => {
  const bot = countedBot({ clock: NOW, outboxLimits: NO_SEND_LIMITS, seed });
  const click = (openId: string, formValue: Record<string, unknown>) => bot.click<Body>(openId, { action: 'cycle.open' }, formValue);

  it('开启 costs one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    let year = 2030;
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (const step of ['warm', 'measured']) {
        const { body, trips } = await click(ADMIN, form(year));
        expect(body.toast?.type, JSON.stringify(body.toast)).toBe('success');
        expect(body.card?.data?.header?.title?.content).toBeTruthy();
        // one cycle runs at a time (第十九条): this one is over before the next opens
        await bot.base.db.update(cycles).set({ status: 'published' }).where(eq(cycles.year, year));
        year++;
        if (step === 'measured') figures[fast ? 'one statement' : 'ordinary path'] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`开启年度评审 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['one statement']).toBe(1);
    expect(figures['ordinary path']).toBeGreaterThan(1);
  });
});

describe('开启年度评审 submitted twice at once, the fast paths on', () => {
  let h: Harness;
  const db = (): Db => h.db.db;

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock(NOW) });
    await seed(h.db.db);
  });

  afterAll(async () => {
    await h?.close();
  });

  const effects = async (year: number) => {
    const rows = await db().select().from(cycles).where(eq(cycles.year, year));
    return {
      cycles: rows.map((c) => c.status),
      audits: rows.length ? (await db().select().from(auditLog).where(eq(auditLog.entityId, String(rows[0].id)))).map((a) => a.action) : [],
      notices: (await db().select().from(outbox).where(like(outbox.dedupeKey, `cycle:opened:${year}:%`))).length,
      running: (await db().select().from(cycles).where(eq(cycles.status, 'open'))).length,
    };
  };

  it.each([
    ['the same year by two administrators', [ADMIN, ROLE_ADMIN], [0, 0]],
    ['the same year by one administrator, delivered twice under two event ids', [ADMIN, ADMIN], [0, 0]],
    ['two years at once (第十九条: one runs)', [ADMIN, ROLE_ADMIN], [0, 1]],
  ] as const)('%s: one opened, the other answered as the ordinary path answers it', async (_name, who, offsets) => {
    for (let round = 0; round < 3; round++) {
      await db().update(cycles).set({ status: 'published' }).where(eq(cycles.status, 'open'));
      const base = 2040 + (await db().select({ n: count() }).from(cycles))[0].n * 2;
      const both = await Promise.all(who.map((openId, k) => h.click(openId, { action: 'cycle.open' }, form(base + offsets[k])))) as Body[];
      const winner = both.findIndex((b) => b.toast?.type === 'success');
      expect(winner, JSON.stringify(both.map((b) => b.toast))).toBeGreaterThanOrEqual(0);
      const loser = both[1 - winner];
      if (offsets[0] === offsets[1]) {
        // the same open: told when it was done
        expect(loser.toast?.type, JSON.stringify(loser.toast)).toBe('info');
        expect(loser.toast?.content).toMatch(doneAt);
      } else {
        expect(loser.toast?.type, JSON.stringify(loser.toast)).toBe('warning');
        expect(loser.toast?.content).toMatch(new RegExp(`${base + offsets[winner]}年度评审仍在进行`));
      }
      expect(await effects(base + offsets[winner])).toEqual({ cycles: ['open'], audits: ['cycle.open'], notices: 2, running: 1 });
      if (offsets[0] !== offsets[1]) expect(await effects(base + offsets[1 - winner])).toEqual({ cycles: [], audits: [], notices: 0, running: 1 });
    }
  });
});
