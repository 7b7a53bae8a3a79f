import { and, eq, inArray, like } from 'drizzle-orm';
import { ManualClock } from '../../src/clock.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaderNoticeCard } from '../../cards/applications.js';
import type { Db } from '../../db/index.js';
import { applications, auditLog, cycles, honours, organizations, outbox, people, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { summaryOf } from '../../src/applications.js';
import { fastFormalCheck, type FastFormalCheck } from '../../src/fast/formalCheck.js';
import { FORMAL_CHECK_NOTICE, formalCheckNoticeRenderer, formalCheckNoticeSpec } from '../../src/formalCheckNotices.js';
import type { CardSpec } from '../../src/outbox.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { claimProbe, heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { countedFixtureBot, type Fixture, NOW, OTHER_CONTACT, OTHER_LEADER, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 形式审查 受理 / 退回 in one statement (src/fast/formalCheck.ts) against the ordinary transaction: the same answers,
 * rows, audit trail, outbox rows and cards sent, on the same rows; every refusal still answered by the ordinary path
 * with nothing of the fast attempt kept; one round trip on a warm connection; two clicks at once end as one.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
/** An administrator who also leads a team: its application is for another administrator to check (第十七条). */
const LEADING_ADMIN = 'ou_leadingadmin000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** The time a done deed is named by, read from the audit row (real time): compared as a placeholder. */
const doneAt = /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

interface Rows {
  /** Applications made for these tests beside the fixture's. */
  appB: number;
  appE: number;
  appF: number;
  leadingTeam: number;
}

/** The same rows in every database: appB recommended, a team led by LEADING_ADMIN with a recommended application, appF for the end. */
async function seedMore(db: Db, f: Fixture): Promise<Rows> {
  await db.insert(people).values([
    { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: LEADING_ADMIN, name: '兼任班组长的管理员', roles: ['admin'] },
  ]);
  const endorsement = { decision: 'recommend', truthful: true, opinion: '同意推荐', by: OTHER_CONTACT };
  await db.update(applications).set({ status: 'recommended', endorsement }).where(eq(applications.id, f.appB));
  const [b] = await db.select().from(teams).where(eq(teams.id, f.teamB.id));
  const team = async (code: string, name: string, leader: string) => {
    const [t] = await db.insert(teams).values({ ...b, id: undefined, code, name, leaderOpenId: leader, createdAt: undefined, updatedAt: undefined }).returning();
    await db.insert(teamMembers).values({ teamId: t.id, openId: leader, role: 'leader' });
    return t.id;
  };
  const leadingTeam = await team('GDSZ-2025-0101', '管理员兼任五班', LEADING_ADMIN);
  const otherTeam = await team('GDSZ-2025-0102', '深圳建设六班', OTHER_LEADER);
  const [original] = await db.select().from(applications).where(eq(applications.id, f.appC));
  const made = async (teamId: number) =>
    (await db.insert(applications).values({ teamId, cycleId: f.cycleId, status: 'recommended', form: original.form, submittedAt: original.submittedAt, endorsement }).returning())[0].id;
  return { appB: f.appB, appE: await made(leadingTeam), appF: await made(otherTeam), leadingTeam };
}

interface Step {
  name: string;
  who: string;
  action: 'check.accept' | 'check.return';
  app: (f: Fixture, r: Rows) => number;
  form?: (id: number) => Record<string, unknown>;
  /** A fixed event id (a delivery repeated); a fresh one otherwise. */
  eventId?: string;
  toast: 'success' | 'error' | 'info';
  /** What the answer says. */
  says: RegExp;
  /** A refusal (or a case the fast path leaves): the statement, called directly, must answer undefined and write nothing. */
  leftToOrdinary?: boolean;
  before?: (db: Db, f: Fixture) => Promise<void>;
}

const reason = (id: number, text: string) => ({ [`reason_${id}`]: text });

/** A title of the team for 2026, revoked at `at`. */
async function revokedTitle(db: Db, teamId: number, at: string) {
  await db.insert(honours).values({ teamId, year: 2026, awardedAt: new Date('2026-08-01T10:00:00+08:00'), revokedAt: new Date(at), revokedReason: '连续投诉成立' });
}

const steps: Step[] = [
  { name: 'not an administrator', who: personas.leader, action: 'check.accept', app: (f) => f.appC, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: 'no such application', who: ADMIN, action: 'check.accept', app: () => 999_999, toast: 'error', says: /找不到该申报/, leftToOrdinary: true },
  { name: '受理 before the organisation recommended it', who: ADMIN, action: 'check.accept', app: (f) => f.appA, toast: 'error', says: /第十五条/, leftToOrdinary: true },
  { name: '退回 of one under review', who: ADMIN, action: 'check.return', app: (f) => f.appD, form: (id) => reason(id, '缺少材料'), toast: 'info', says: /当前状态为“专家评审中”/, leftToOrdinary: true },
  { name: '退回 without its reason', who: ROLE_ADMIN, action: 'check.return', app: (f) => f.appC, form: (id) => reason(id, '   '), toast: 'error', says: /请填写退回原因/, leftToOrdinary: true },
  { name: '受理', who: ADMIN, action: 'check.accept', app: (f) => f.appC, eventId: 'evt_formal_accept', toast: 'success', says: /^已受理：深圳建设三班$/ },
  { name: 'the same delivery again', who: ADMIN, action: 'check.accept', app: (f) => f.appC, eventId: 'evt_formal_accept', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: '受理 clicked again', who: ADMIN, action: 'check.accept', app: (f) => f.appC, toast: 'info', says: /^已于 .* 受理，无需重复受理。$/, leftToOrdinary: true },
  {
    // E5 bars 受理, not 退回: a title of the team revoked (the day before) since the organisation recommended it
    name: '退回 by an administrator of the stored role, the team\'s title revoked since',
    who: ROLE_ADMIN,
    action: 'check.return',
    app: (_f, r) => r.appB,
    form: (id) => reason(id, '  缺少顾客确认材料 '),
    eventId: 'evt_formal_return',
    toast: 'success',
    says: /^已退回：深圳建设二班$/,
    before: async (db, f) => revokedTitle(db, f.teamB.id, '2027-03-09T15:30:00+08:00'),
  },
  { name: '退回 clicked again', who: ROLE_ADMIN, action: 'check.return', app: (_f, r) => r.appB, form: (id) => reason(id, '缺少顾客确认材料'), toast: 'info', says: /^已于 .* 退回，无需重复退回。$/, leftToOrdinary: true },
  { name: '受理 by an administrator who leads the team', who: LEADING_ADMIN, action: 'check.accept', app: (_f, r) => r.appE, toast: 'error', says: /^你是管理员兼任五班的班组长，按第十七条.*请由其他管理员审查。$/, leftToOrdinary: true },
  {
    // E5 at the formal check, as at submission: a title revoked after the organisation recommended the application
    name: '受理 within a year of a title revoked since the recommendation',
    who: ADMIN,
    action: 'check.accept',
    app: (_f, r) => r.appF,
    toast: 'error',
    // to the administrator: the team by name, not 本班组, and what remains to do
    says: /^协会规定：撤销称号后一年内不受理该班组的申报；(?!本班组)\S+ 2026 年度称号已于 2027年3月9日 撤销，2028年3月9日 15:31 起方可再申报。该申报不能受理，请“退回”并写明原因。$/,
    leftToOrdinary: true,
    before: async (db) => {
      const [t] = await db.select({ id: teams.id }).from(teams).where(eq(teams.code, 'GDSZ-2025-0102'));
      await revokedTitle(db, t.id, '2027-03-09T15:30:00.500+08:00');
    },
  },
  {
    // its year's results are out: nothing left to take it into (test/db/yearEnd.test.ts)
    name: 'no running cycle',
    who: ADMIN,
    action: 'check.accept',
    app: (_f, r) => r.appF,
    toast: 'info',
    says: /^2027年度评审结果已公布，不能再受理申报。/,
    leftToOrdinary: true,
    before: async (db, f) => {
      await db.update(cycles).set({ status: 'published' }).where(eq(cycles.id, f.cycleId));
    },
  },
];

/** What the database holds that a formal check writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  // a row seeded bears the real time; one the bot changed, the bot's clock
  const apps = (await db.select().from(applications).orderBy(applications.id)).map(({ createdAt: _c, updatedAt, ...a }) => ({ ...a, changedAt: updatedAt.getTime() === Date.parse(NOW) ? NOW : 'seeded' }));
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, at: _a, ...a }) => a);
  const out = await outboxRows(db);
  const events = (await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_formal_%')).orderBy(processedEvents.eventId));
  return { apps, audits, out, events };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  statuses: (await db.select({ id: applications.id, status: applications.status }).from(applications).orderBy(applications.id)).map((a) => `${a.id}:${a.status}`),
});

/** The notice as the ordinary path drew it before it was drawn at send time: the card function on the decided row. */
async function oldNotice(db: Db, applicationId: number, notice: 'accepted' | 'returnedByAssociation', text?: string, drawnNow = false, reader: 'leader' | 'contact' = 'leader') {
  const [row] = await db
    .select({ application: applications, team: teams, organization: organizations.name, year: cycles.year, cycleStatus: cycles.status, deadline: cycles.applicationDeadline })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .innerJoin(cycles, eq(cycles.id, applications.cycleId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .where(eq(applications.id, applicationId));
  // drawn now, once the year's applications closed (the steps end with the results published): a return says the team is
  // out of the year, an acceptance that the association assigns its experts (no deadline to wait for)
  const closed = drawnNow && row.cycleStatus !== 'open' ? { deadline: row.deadline } : undefined;
  return leaderNoticeCard(summaryOf(row.application, row.team, row.organization, row.year), notice, text, closed, reader);
}

describe('形式审查: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    return { h, f, r: await seedMore(h.db.db, f), answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h, f, r } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db, f);
      const id = step.app(f, r);
      const form = step.form?.(id) ?? {};
      if (mode === 'fast' && step.leftToOrdinary) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        const typed = form[`reason_${id}`];
        const direct: FastFormalCheck = {
          eventId: step.eventId ?? `probe_${randomEventId()}`,
          eventType: 'card.action.trigger',
          openId: step.who,
          applicationId: id,
          decision: step.action === 'check.accept' ? 'accept' : 'return',
          reason: typeof typed === 'string' && typed.trim() ? typed.trim() : undefined,
          now: h.clock.now(),
          bootstrapAdmins: [ADMIN],
          timezone: h.app.config.BOT_TIMEZONE,
          today: '2027-03-10',
        };
        await leavesToOrdinary(() => counts(db), () => fastFormalCheck(h.db, direct));
      }
      const body: Body = await h.click(step.who, { action: step.action, applicationId: id }, form, { eventId: step.eventId ?? `evt_formal_${i}` });
      expectAnswer(body, step, mode);
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('sends the leader and the contact the card the ordinary path drew before, and the renderer draws it from the spec', async () => {
    for (const mode of ['fast', 'ordinary'] as const) {
      const { h, f, r } = worlds[mode];
      const db = h.db.db;
      const sent = (to: string) => h.fake.messages.filter((m) => m.receiveId === to && m.msgType === 'interactive').map((m) => m.content);
      const accepted = await oldNotice(db, f.appC, 'accepted');
      const returned = await oldNotice(db, r.appB, 'returnedByAssociation', '缺少顾客确认材料');
      // the contact's copy of a return: what it means for them, and 查看进度 instead of 修改申报 (only the leader can use it)
      const returnedToContact = await oldNotice(db, r.appB, 'returnedByAssociation', '缺少顾客确认材料', false, 'contact');
      expect(returnedToContact).not.toEqual(returned);
      // appC and appB are teams of OTHER_LEADER and OTHER_CONTACT; appE's leader, an administrator, could not accept it
      expect(sent(OTHER_LEADER), mode).toEqual([accepted, returned]);
      expect(sent(OTHER_CONTACT), mode).toEqual([accepted, returnedToContact]);
      expect(sent(LEADING_ADMIN), mode).toEqual([]);
      const render = formalCheckNoticeRenderer(db, { timezone: 'Asia/Shanghai', clock: new ManualClock(NOW) });
      expect(await render([formalCheckNoticeSpec(f.appC, 'accept', undefined), formalCheckNoticeSpec(r.appB, 'return', '缺少顾客确认材料'), formalCheckNoticeSpec(r.appB, 'return', '缺少顾客确认材料', 'contact'), { kind: FORMAL_CHECK_NOTICE, applicationId: 999_999, decision: 'accept' }])).toEqual([
        { card: await oldNotice(db, f.appC, 'accepted', undefined, true) },
        // sent while the year took applications; drawn again now, after the results, it says the team is out of that year
        { card: await oldNotice(db, r.appB, 'returnedByAssociation', '缺少顾客确认材料', true) },
        { card: await oldNotice(db, r.appB, 'returnedByAssociation', '缺少顾客确认材料', true, 'contact') },
        { drop: '申报 999999 已不存在' },
      ]);
      // the rows hold the spec, each to its receiver once, bulk
      const rows = await db.select().from(outbox).where(like(outbox.dedupeKey, 'application:check-%')).orderBy(outbox.id);
      // the contact's copy is marked `reader: 'contact'`, on both paths
      expect(rows.map((o) => [o.dedupeKey.replace(/:\d+:/, ':<id>:'), o.priority, (o.card as { render: CardSpec }).render.kind, (o.card as { render: CardSpec }).render.reader ?? 'leader'])).toEqual([
        [`application:check-accept:<id>:evt_formal_accept:${OTHER_LEADER}`, 1, FORMAL_CHECK_NOTICE, 'leader'],
        [`application:check-accept:<id>:evt_formal_accept:${OTHER_CONTACT}`, 1, FORMAL_CHECK_NOTICE, 'contact'],
        [`application:check-return:<id>:evt_formal_return:${OTHER_LEADER}`, 1, FORMAL_CHECK_NOTICE, 'leader'],
        [`application:check-return:<id>:evt_formal_return:${OTHER_CONTACT}`, 1, FORMAL_CHECK_NOTICE, 'contact'],
      ]);
    }
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('形式审查 on PostgreSQL: one round trip, and two clicks at once end as one', () => {
  const bot = countedFixtureBot(seedMore);
  const click = (openId: string, value: Record<string, unknown>, formValue: Record<string, unknown> = {}, eventId?: string) => bot.click<Body>(openId, value, formValue, eventId);

  /** A recommended application of a fresh team of OTHER_LEADER's. */
  let serial = 200;
  async function recommended(): Promise<number> {
    const [b] = await bot.db.select().from(teams).where(eq(teams.id, bot.f.teamB.id));
    const [t] = await bot.db.insert(teams).values({ ...b, id: undefined, code: `GDSZ-2025-0${serial++}`, name: `并发测试${serial}班`, createdAt: undefined, updatedAt: undefined }).returning();
    const [original] = await bot.db.select().from(applications).where(eq(applications.id, bot.f.appC));
    const [a] = await bot.db
      .insert(applications)
      .values({ teamId: t.id, cycleId: bot.f.cycleId, status: 'recommended', form: original.form, submittedAt: original.submittedAt, endorsement: original.endorsement })
      .returning();
    return a.id;
  }

  const effects = async (applicationId: number) => ({
    status: (await bot.db.select().from(applications).where(eq(applications.id, applicationId)))[0].status,
    audits: (await bot.db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(applicationId))))).map((a) => a.action),
    notices: (await bot.db.select().from(outbox).where(like(outbox.dedupeKey, `application:check-%:${applicationId}:%`))).length,
  });

  it('受理 and 退回 each cost one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (const action of ['check.accept', 'check.return'] as const) {
        const form = (id: number) => (action === 'check.return' ? reason(id, '缺少顾客确认材料') : {});
        const warm = await recommended();
        expect((await click(ADMIN, { action, applicationId: warm }, form(warm))).body.toast?.type).toBe('success');
        const measured = await recommended();
        const { body, trips } = await click(ADMIN, { action, applicationId: measured }, form(measured));
        expect(body.toast?.type).toBe('success');
        expect(await effects(measured)).toEqual({ status: action === 'check.accept' ? 'accepted' : 'returned', audits: [action === 'check.accept' ? 'application.accept' : 'application.returnByAssociation'], notices: 2 });
        figures[`${action} (${fast ? 'one statement' : 'ordinary path'})`] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`形式审查 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['check.accept (one statement)']).toBe(1);
    expect(figures['check.return (one statement)']).toBe(1);
  });
});

describe('形式审查 clicked twice at once, the fast paths on', () => {
  let h: Harness;
  let f: Fixture;
  const db = (): Db => h.db.db;

  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    await seedMore(h.db.db, f);
  });

  afterAll(async () => {
    await h?.close();
  });

  /** A recommended application of a fresh team of OTHER_LEADER's. */
  let serial = 200;
  async function recommended(): Promise<number> {
    const [b] = await db().select().from(teams).where(eq(teams.id, f.teamB.id));
    const [t] = await db().insert(teams).values({ ...b, id: undefined, code: `GDSZ-2025-0${serial++}`, name: `并发测试${serial}班`, createdAt: undefined, updatedAt: undefined }).returning();
    const [original] = await db().select().from(applications).where(eq(applications.id, f.appC));
    const [a] = await db()
      .insert(applications)
      .values({ teamId: t.id, cycleId: f.cycleId, status: 'recommended', form: original.form, submittedAt: original.submittedAt, endorsement: original.endorsement })
      .returning();
    return a.id;
  }

  const effects = async (applicationId: number) => ({
    status: (await db().select().from(applications).where(eq(applications.id, applicationId)))[0].status,
    audits: (await db().select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(applicationId))))).map((a) => a.action),
    notices: (await db().select().from(outbox).where(like(outbox.dedupeKey, `application:check-%:${applicationId}:%`))).length,
  });

  const click = (openId: string, applicationId: number, eventId?: string): Promise<Body> => h.click(openId, { action: 'check.accept', applicationId }, {}, { eventId });

  it.each([
    ['two administrators', [ADMIN, ROLE_ADMIN]],
    ['one administrator, the click delivered twice under two event ids', [ADMIN, ADMIN]],
  ] as const)('受理 clicked at once by %s: one success, one told when it was done', async (_name, who) => {
    for (let round = 0; round < 3; round++) {
      const id = await recommended();
      const both = await Promise.all(who.map((openId) => click(openId, id)));
      const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
      expect(first.toast).toMatchObject({ type: 'success' });
      expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
      expect(second.toast?.content).toMatch(doneAt);
      expect(second.card?.data?.header?.title?.content).toBe(first.card?.data?.header?.title?.content);
      expect(await effects(id)).toEqual({ status: 'accepted', audits: ['application.accept'], notices: 2 });
    }
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('the claim comes before the application lock; an event that changed it meanwhile leaves nothing of the statement', async () => {
    const id = await recommended();
    const eventId = randomEventId();
    // another administrator's 受理, not yet committed: the statement reads the application as recommended, then waits for its row
    const other = await heldTransaction(db(), async (tx) => {
      await tx.update(applications).set({ status: 'accepted' }).where(eq(applications.id, id));
      await tx.insert(auditLog).values({ actor: ROLE_ADMIN, action: 'application.accept', entity: 'application', entityId: String(id) });
    });
    let answered = false;
    const clicked = click(ADMIN, id, eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    // waiting for the application's row, the statement has already claimed the event: a claim of the same id waits for it
    const probe = await claimProbe(db(), eventId);
    expect(probe).toBe('55P03');
    other.release();
    await other.ended;
    const body = await clicked;
    // the ordinary path answered: already accepted, when, on the list
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    expect(body.toast?.content).toMatch(/^已于 .* 受理，无需重复受理。$/);
    expect(body.card?.data?.header?.title?.content).toBe(`${YEAR} 年度形式审查`);
    expect(await effects(id)).toEqual({ status: 'accepted', audits: ['application.accept'], notices: 0 });
    expect(await db().select({ type: processedEvents.eventType }).from(processedEvents).where(inArray(processedEvents.eventId, [eventId]))).toEqual([{ type: 'card.action.trigger' }]);
  });
});

describe('受理 once the experts are scoring', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    await h.db.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
    return { h, f };
  }, { oneOnPglite: true });

  it('says the application has no experts yet and that 分配专家 gives it its panel, on both paths', async () => {
    for (const mode of MODES_HERE) {
      const { h, f } = worlds[mode];
      const body: Body = await h.click(ADMIN, { action: 'check.accept', applicationId: f.appC }, {});
      expect(body.toast, mode).toEqual({ type: 'success', content: '已受理：深圳建设三班。评审已开始，请再点“分配专家”为这份申报分配专家' });
      const [app] = await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.id, f.appC));
      expect(app.status, mode).toBe('accepted');
    }
  });
});
