import { and, count, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, people, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { fastAddMembers, fastMembersEnds, type FastMembersEvent, fastRemoveMember } from '../../src/fast/teams.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { countedFixtureBot, type Fixture, NEWCOMER, OTHER_EXPERT, OTHER_LEADER, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 添加成员 and 移除成员 in one statement (src/fast/teams.ts) against the ordinary transaction: the same answers, rows,
 * audit trail and outbox on the same rows; every refusal still answered by the ordinary path with nothing of the
 * fast attempt kept (and no statement rolled back for a race); one round trip on a warm connection; two clicks at
 * once end as the ordinary path ends them.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
/** A team's registered leader whose membership row is a plain member's: the registry refuses them the leader persona. */
const LONE_LEADER = 'ou_loneleader00000000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

/** The time a done deed is named by, read from the audit row (real time): compared as a placeholder. */
const doneAt = /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

interface Rows {
  loneTeam: number;
}

/** The same rows in every database: an administrator of the stored role, a team whose leader has no membership row. */
async function seedMore(db: Db, f: Fixture): Promise<Rows> {
  await db.insert(people).values([
    { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: LONE_LEADER, name: '未登记成员的班组长' },
  ]);
  const [b] = await db.select().from(teams).where(eq(teams.id, f.teamB.id));
  const [t] = await db.insert(teams).values({ ...b, id: undefined, code: 'GDSZ-2025-0301', name: '深圳建设七班', leaderOpenId: LONE_LEADER, createdAt: undefined, updatedAt: undefined }).returning();
  // the registered leader holds a plain membership (not the leader's), beside one member
  await db.insert(teamMembers).values([
    { teamId: t.id, openId: LONE_LEADER, role: 'member' },
    { teamId: t.id, openId: personas.expert, role: 'member' },
  ]);
  return { loneTeam: t.id };
}

type Action = 'team.memberAdd' | 'team.memberRemove';

interface Step {
  name: string;
  who: string;
  action: Action;
  team: (f: Fixture, r: Rows) => number;
  /** 添加: the members picked (form); 移除: the member (value). */
  members?: string[];
  member?: string;
  form?: Record<string, unknown>;
  page?: number;
  eventId?: string;
  toast: 'success' | 'error' | 'info';
  says: RegExp;
  /** A case the fast path leaves to the ordinary one: the statement, called directly, answers undefined and writes nothing. */
  leftToOrdinary?: boolean;
  /** Refused by the handler before any statement (nothing to call directly). */
  beforeStatement?: boolean;
  before?: (db: Db, f: Fixture) => Promise<void>;
}

const steps: Step[] = [
  { name: '添加 by a member, not a leader', who: personas.member, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [NEWCOMER], toast: 'error', says: /只有/, leftToOrdinary: true },
  { name: '添加 by a registered leader without the leader persona', who: LONE_LEADER, action: 'team.memberAdd', team: (_f, r) => r.loneTeam, members: [NEWCOMER], toast: 'error', says: /只有/, leftToOrdinary: true },
  { name: '添加 to another leader’s team', who: OTHER_LEADER, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [NEWCOMER], toast: 'error', says: /^只有本班组的班组长（或协会管理员）可以查看和修改本班组的资料和成员。$/, leftToOrdinary: true },
  { name: '添加 to no such team', who: ADMIN, action: 'team.memberAdd', team: () => 999_999, members: [NEWCOMER], toast: 'error', says: /找不到该班组/, leftToOrdinary: true },
  { name: '添加 of the organisation contact', who: personas.leader, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [NEWCOMER, personas.contact], toast: 'error', says: /第十五条/, leftToOrdinary: true },
  { name: '添加 of nobody', who: personas.leader, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [], toast: 'error', says: /请选择要添加的成员/, leftToOrdinary: true },
  { name: '添加 of an id no picker offers', who: personas.leader, action: 'team.memberAdd', team: (f) => f.teamA.id, members: ['someone'], toast: 'error', says: /所选人员无效/, leftToOrdinary: true, beforeStatement: true },
  { name: '添加 by a mobile typed (a look-up in the address book)', who: personas.leader, action: 'team.memberAdd', team: (f) => f.teamA.id, form: { membersLookup: '13800000000' }, toast: 'error', says: /成员/, leftToOrdinary: true, beforeStatement: true },
  { name: '添加', who: personas.leader, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [NEWCOMER, OTHER_EXPERT], eventId: 'evt_members_add', toast: 'success', says: /^已添加 2 名成员$/ },
  { name: 'the same delivery again', who: personas.leader, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [NEWCOMER, OTHER_EXPERT], eventId: 'evt_members_add', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  // in the team since before any 添加 (the fixture's member) and the leader: no time of an 添加 that never added them
  { name: '添加 of people in the team all along', who: personas.leader, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [personas.member, personas.leader], toast: 'info', says: /^所选人员都已在本班组中（班组长本人已在班组中），无需添加。$/, leftToOrdinary: true },
  { name: '添加 of members already in', who: personas.leader, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [OTHER_EXPERT, NEWCOMER], toast: 'info', says: /^已于 .* 添加所选成员，无需重复添加。$/, leftToOrdinary: true },
  { name: '添加 by an administrator of the stored role, one picked twice and one in already', who: ROLE_ADMIN, action: 'team.memberAdd', team: (f) => f.teamA.id, members: [NEWCOMER, personas.expert, personas.expert], toast: 'success', says: /^已添加 1 名成员$/ },
  // OTHER_EXPERT holds team D's application to score: the statement leaves it, the ordinary path steps them aside (回避, 第十七条)
  { name: '添加 by an ADMIN_OPEN_IDS administrator to another team', who: ADMIN, action: 'team.memberAdd', team: (f) => f.teamD.id, members: [OTHER_EXPERT], toast: 'success', says: /^已添加 1 名成员$/, leftToOrdinary: true },
  {
    name: '添加 to a team that withdrew',
    who: ADMIN,
    action: 'team.memberAdd',
    team: (f) => f.teamD.id,
    members: [NEWCOMER],
    toast: 'info',
    says: /当前状态为“已退出”/,
    leftToOrdinary: true,
    before: async (db, f) => {
      await db.update(teams).set({ status: 'withdrawn' }).where(eq(teams.id, f.teamD.id));
    },
  },
  { name: '移除 of the leader', who: personas.leader, action: 'team.memberRemove', team: (f) => f.teamA.id, member: personas.leader, toast: 'error', says: /不能移除班组长本人/, leftToOrdinary: true },
  { name: '移除 of someone not in the team', who: personas.leader, action: 'team.memberRemove', team: (f) => f.teamA.id, member: OTHER_LEADER, toast: 'info', says: /该成员已不在班组中/, leftToOrdinary: true },
  { name: '移除 with no member named', who: personas.leader, action: 'team.memberRemove', team: (f) => f.teamA.id, member: '', toast: 'info', says: /该成员已不在班组中/, leftToOrdinary: true },
  { name: '移除 from another leader’s team', who: OTHER_LEADER, action: 'team.memberRemove', team: (f) => f.teamA.id, member: NEWCOMER, toast: 'error', says: /^只有本班组的班组长（或协会管理员）可以查看和修改本班组的资料和成员。$/, leftToOrdinary: true },
  { name: '移除 by a registered leader without the leader persona', who: LONE_LEADER, action: 'team.memberRemove', team: (_f, r) => r.loneTeam, member: personas.expert, toast: 'error', says: /只有/, leftToOrdinary: true },
  { name: '移除 of the registered leader, held as a plain member', who: ADMIN, action: 'team.memberRemove', team: (_f, r) => r.loneTeam, member: LONE_LEADER, toast: 'error', says: /^不能移除班组长本人。$/, leftToOrdinary: true },
  { name: '移除', who: personas.leader, action: 'team.memberRemove', team: (f) => f.teamA.id, member: NEWCOMER, eventId: 'evt_members_remove', toast: 'success', says: /^已移除$/ },
  { name: '移除 again', who: personas.leader, action: 'team.memberRemove', team: (f) => f.teamA.id, member: NEWCOMER, toast: 'info', says: /^已于 .* 移除该成员，无需重复移除。$/, leftToOrdinary: true },
  { name: '移除 by an administrator of the stored role, on page 2', who: ROLE_ADMIN, action: 'team.memberRemove', team: (f) => f.teamA.id, member: OTHER_EXPERT, page: 2, toast: 'success', says: /^已移除$/ },
  { name: '移除 from a team that withdrew (the ordinary path does not ask its state)', who: ADMIN, action: 'team.memberRemove', team: (f) => f.teamD.id, member: OTHER_EXPERT, toast: 'success', says: /^已移除$/ },
];

/** What the database holds that these actions write, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  const members = (await db.select().from(teamMembers).orderBy(teamMembers.teamId, teamMembers.openId)).map(({ createdAt: _c, ...m }) => m);
  const persons = (await db.select().from(people).orderBy(people.openId)).map(({ createdAt: _c, updatedAt: _u, ...p }) => p);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, at: _a, ...a }) => a);
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_members_%')).orderBy(processedEvents.eventId);
  const teamRows = (await db.select().from(teams).orderBy(teams.id)).map(({ createdAt: _c, updatedAt: _u, ...t }) => t);
  return { members, persons, audits, out, events, teamRows };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  people: (await db.select({ n: count() }).from(people))[0].n,
  members: (await db.select({ openId: teamMembers.openId, teamId: teamMembers.teamId }).from(teamMembers).orderBy(teamMembers.teamId, teamMembers.openId)).map((m) => `${m.teamId}:${m.openId}`),
});

const value = (step: Step, teamId: number) =>
  step.action === 'team.memberAdd' ? { action: step.action, teamId } : { action: step.action, teamId, openId: step.member, ...(step.page ? { page: step.page } : {}) };
const form = (step: Step) => step.form ?? (step.action === 'team.memberAdd' ? { members: step.members } : {});

describe('添加成员 / 移除成员: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    return { h, f, r: await seedMore(h.db.db, f), answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h, f, r } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db, f);
      const teamId = step.team(f, r);
      const ends = { ...fastMembersEnds };
      if (mode === 'fast' && step.leftToOrdinary && !step.beforeStatement) {
        // the statement itself, on this case: it leaves it, having written nothing (PGlite has no statement: undefined at once)
        const event: FastMembersEvent = { eventId: step.eventId ?? `probe_${randomEventId()}`, eventType: 'card.action.trigger', openId: step.who, teamId, bootstrapAdmins: [ADMIN] };
        const read = async () => 'read';
        const direct = () => (step.action === 'team.memberAdd' ? fastAddMembers(h.db, event, [...new Set(step.members)], h.clock.now(), read) : fastRemoveMember(h.db, event, step.member!, h.clock.now(), read));
        await leavesToOrdinary(() => counts(db), direct);
      }
      const body: Body = await h.click(step.who, value(step, teamId), form(step), { eventId: step.eventId ?? `evt_members_${i}` });
      expectAnswer(body, step, mode);
      if (mode === 'fast') {
        // on PostgreSQL a success is the statement's, and nothing else ends in it, nor in a race; on PGlite there is no statement
        const pg = testDatabaseKind() === 'postgres';
        expect(fastMembersEnds).toEqual({ done: ends.done + (pg && !step.leftToOrdinary ? 1 : 0), raced: ends.raced });
      }
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('the fake Open Platform received the same messages in both', () => {
    const sent = (h: Harness) => h.fake.messages.map((m) => [m.receiveId, m.msgType, m.content]);
    expect(sent(worlds.fast.h)).toEqual(sent(worlds.ordinary.h));
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('添加成员 / 移除成员 on PostgreSQL: one round trip each', () => {
  const bot = countedFixtureBot();
  const click = (openId: string, value: Record<string, unknown>, formValue: Record<string, unknown> = {}) => bot.click<Body>(openId, value, formValue);

  let serial = 0;
  const person = async () => {
    const openId = `ou_tripmember${String(serial++).padStart(23, '0')}`;
    await bot.db.insert(people).values({ openId, name: `成员${serial}` });
    return openId;
  };
  const isMember = async (openId: string) => (await bot.db.select().from(teamMembers).where(and(eq(teamMembers.teamId, bot.f.teamA.id), eq(teamMembers.openId, openId)))).length === 1;

  it('添加 and 移除 each cost one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      const [warm, measured] = [await person(), await person()];
      for (const who of [warm, measured]) {
        const add = await click(personas.leader, { action: 'team.memberAdd', teamId: bot.f.teamA.id }, { members: [who] });
        expect(add.body.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
        expect(await isMember(who)).toBe(true);
        figures[`team.memberAdd (${fast ? 'one statement' : 'ordinary path'})`] = add.trips;
      }
      for (const who of [warm, measured]) {
        const remove = await click(personas.leader, { action: 'team.memberRemove', teamId: bot.f.teamA.id, openId: who });
        expect(remove.body.toast).toEqual({ type: 'success', content: '已移除' });
        expect(await isMember(who)).toBe(false);
        figures[`team.memberRemove (${fast ? 'one statement' : 'ordinary path'})`] = remove.trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`添加成员 / 移除成员 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['team.memberAdd (one statement)']).toBe(1);
    expect(figures['team.memberRemove (one statement)']).toBe(1);
  });
});

describe('添加成员 / 移除成员 clicked twice at once, the fast paths on', () => {
  let h: Harness;
  let f: Fixture;
  const db = (): Db => h.db.db;

  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });

  afterAll(async () => {
    await h?.close();
  });

  let serial = 0;
  const person = async () => {
    const openId = `ou_racemember${String(serial++).padStart(23, '0')}`;
    await db().insert(people).values({ openId, name: `成员${serial}` });
    return openId;
  };
  const effects = async (openId: string, action: string) => ({
    member: (await db().select().from(teamMembers).where(and(eq(teamMembers.teamId, f.teamA.id), eq(teamMembers.openId, openId)))).length,
    audits: (await db().select().from(auditLog).where(and(eq(auditLog.action, action), sql`${auditLog.details}::text like ${'%' + openId + '%'}`))).length,
  });

  it('添加 of the same person twice at once: one adds, the other is told when it was done', async () => {
    for (let round = 0; round < 3; round++) {
      const who = await person();
      const both: Body[] = await Promise.all([0, 1].map(() => h.click(personas.leader, { action: 'team.memberAdd', teamId: f.teamA.id }, { members: [who] })));
      const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
      expect(first.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
      expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
      expect(second.toast?.content).toMatch(/^已于 .* 添加所选成员，无需重复添加。$/);
      expect(await effects(who, 'team.members.add')).toEqual({ member: 1, audits: 1 });
    }
  });

  it('移除 of the same member twice at once: one removes, the other is told when it was done', async () => {
    for (let round = 0; round < 3; round++) {
      const who = await person();
      await db().insert(teamMembers).values({ teamId: f.teamA.id, openId: who, role: 'member' });
      const both: Body[] = await Promise.all([0, 1].map(() => h.click(personas.leader, { action: 'team.memberRemove', teamId: f.teamA.id, openId: who })));
      const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
      expect(first.toast).toEqual({ type: 'success', content: '已移除' });
      expect(second.toast).toEqual({ type: 'info', content: expect.stringMatching(/^已于 .* 移除该成员，无需重复移除。$/) });
      expect(second.card?.data?.header?.title?.content).toBe(first.card?.data?.header?.title?.content);
      expect(await effects(who, 'team.members.remove')).toEqual({ member: 0, audits: 1 });
    }
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('a 移除 waiting for the member’s row that another event removed meanwhile leaves nothing of the statement', async () => {
    const who = await person();
    await db().insert(teamMembers).values({ teamId: f.teamA.id, openId: who, role: 'member' });
    const raced = fastMembersEnds.raced;
    // another event's 移除, not yet committed: the statement reads the member as there, then waits for its row
    const other = await heldTransaction(db(), async (tx) => {
      await tx.delete(teamMembers).where(and(eq(teamMembers.teamId, f.teamA.id), eq(teamMembers.openId, who)));
      await tx.insert(auditLog).values({ actor: ADMIN, action: 'team.members.remove', entity: 'team', entityId: String(f.teamA.id), details: { removed: who } });
    });
    let answered = false;
    const clicked = h.click(personas.leader, { action: 'team.memberRemove', teamId: f.teamA.id, openId: who }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const body: Body = await clicked;
    // the ordinary path answered, on what the other event left
    expect(body.toast).toEqual({ type: 'info', content: expect.stringMatching(/^已于 .* 移除该成员，无需重复移除。$/) });
    expect(fastMembersEnds.raced).toBe(raced + 1);
    expect(await effects(who, 'team.members.remove')).toEqual({ member: 0, audits: 1 });
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('an 添加 waiting for a person’s row while another event adds them leaves nothing of the statement', async () => {
    const who = await person();
    const raced = fastMembersEnds.raced;
    const other = await heldTransaction(db(), async (tx) => {
      await tx.execute(sql`update people set name = coalesce(name, null) where open_id = ${who}`);
      await tx.insert(teamMembers).values({ teamId: f.teamA.id, openId: who, role: 'member' });
      await tx.insert(auditLog).values({ actor: ADMIN, action: 'team.members.add', entity: 'team', entityId: String(f.teamA.id), details: { added: [who] } });
    });
    let answered = false;
    const clicked = h.click(personas.leader, { action: 'team.memberAdd', teamId: f.teamA.id }, { members: [who] }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const body: Body = await clicked;
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    expect(body.toast?.content).toMatch(/^已于 .* 添加所选成员，无需重复添加。$/);
    expect(fastMembersEnds.raced).toBe(raced + 1);
    expect(await effects(who, 'team.members.add')).toEqual({ member: 1, audits: 1 });
  });
});
