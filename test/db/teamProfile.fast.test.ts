import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, people, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { fastMembersEnds, type FastMembersEvent, fastSaveProfile } from '../../src/fast/teams.js';
import { parseProfile } from '../../src/teams.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { countedFixtureBot, type Fixture, NOW, OTHER_LEADER, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 班组资料 保存 in one statement (src/fast/teams.ts) against the ordinary transaction: the same answers (the 进度
 * card), rows, audit trail, outbox and messages on the same rows; every refusal, and a change of contact, still
 * answered by the ordinary path with nothing of the fast attempt kept; one round trip on a warm connection; two
 * saves at once end as the ordinary path ends them. A new name is the ordinary path's (its checks and team.rename row),
 * a name typed back as stored the statement's.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
/** A team's registered leader with no leader's membership row: the registry refuses them the leader persona. */
const LONE_LEADER = 'ou_loneleader00000000000000000000001';
/** Someone to name as a new contact. */
const NEW_CONTACT = 'ou_newcontact00000000000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

const doneAt = /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

interface Rows {
  loneTeam: number;
}

async function seedMore(db: Db, f: Fixture): Promise<Rows> {
  await db.insert(people).values([
    { openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: LONE_LEADER, name: '未登记成员的班组长' },
    { openId: NEW_CONTACT, name: '新联系人' },
  ]);
  const [b] = await db.select().from(teams).where(eq(teams.id, f.teamB.id));
  const [t] = await db.insert(teams).values({ ...b, id: undefined, code: 'GDSZ-2025-0301', name: '深圳建设七班', leaderOpenId: LONE_LEADER, createdAt: undefined, updatedAt: undefined }).returning();
  return { loneTeam: t.id };
}

interface Step {
  name: string;
  who: string;
  team: (f: Fixture, r: Rows) => number;
  form: Record<string, unknown>;
  eventId?: string;
  toast: 'success' | 'error' | 'info';
  says: RegExp;
  /** A case the fast path leaves to the ordinary one: the statement, called directly, answers undefined and writes nothing. */
  leftToOrdinary?: boolean;
  /** Left by the handler before any statement (the form does not parse, or a look-up): nothing to call directly. */
  beforeStatement?: boolean;
  before?: (db: Db, f: Fixture) => Promise<void>;
}

const steps: Step[] = [
  { name: 'by a member, not a leader', who: personas.member, team: (f) => f.teamA.id, form: { phone: '020-7654321' }, toast: 'error', says: /只有/, leftToOrdinary: true },
  { name: 'by a registered leader without the leader persona', who: LONE_LEADER, team: (_f, r) => r.loneTeam, form: { phone: '020-7654321' }, toast: 'error', says: /只有/, leftToOrdinary: true },
  { name: 'of another leader’s team', who: OTHER_LEADER, team: (f) => f.teamA.id, form: { phone: '020-7654321' }, toast: 'error', says: /^只有本班组的班组长（或协会管理员）可以查看和修改本班组的资料和成员。$/, leftToOrdinary: true },
  { name: 'of no such team', who: ADMIN, team: () => 999_999, form: { phone: '020-7654321' }, toast: 'error', says: /找不到该班组/, leftToOrdinary: true },
  { name: 'a phone that is no phone', who: personas.leader, team: (f) => f.teamA.id, form: { phone: 'abc' }, toast: 'error', says: /联系电话/, leftToOrdinary: true, beforeStatement: true },
  { name: 'a member count of none', who: personas.leader, team: (f) => f.teamA.id, form: { memberCount: '0' }, toast: 'error', says: /成员人数/, leftToOrdinary: true, beforeStatement: true },
  { name: 'nothing typed', who: personas.leader, team: (f) => f.teamA.id, form: {}, toast: 'info', says: /^没有需要保存的修改。$/, leftToOrdinary: true },
  { name: 'what is stored already, the contact as it is', who: personas.leader, team: (f) => f.teamA.id, form: { phone: '020-1234567', contact: personas.contact }, toast: 'info', says: /^没有需要保存的修改。$/, leftToOrdinary: true },
  { name: 'a contact typed by mobile (a look-up in the address book)', who: personas.leader, team: (f) => f.teamA.id, form: { contactLookup: '13800000000' }, toast: 'error', says: /单位联系人/, leftToOrdinary: true, beforeStatement: true },
  { name: 'a member named the contact', who: personas.leader, team: (f) => f.teamA.id, form: { contact: personas.member }, toast: 'error', says: /第十五条/, leftToOrdinary: true },
  { name: '保存', who: personas.leader, team: (f) => f.teamA.id, form: { phone: '020-7654321', plan: '每周 QC 活动', contact: personas.contact }, eventId: 'evt_profile_save', toast: 'success', says: /^资料已保存$/ },
  { name: 'the same delivery again', who: personas.leader, team: (f) => f.teamA.id, form: { phone: '020-7654321', plan: '每周 QC 活动' }, eventId: 'evt_profile_save', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: 'the same form saved again', who: personas.leader, team: (f) => f.teamA.id, form: { phone: '020-7654321', plan: '每周 QC 活动' }, toast: 'info', says: /^已于 .* 保存，无需重复保存。$/, leftToOrdinary: true },
  { name: 'part of it new', who: personas.leader, team: (f) => f.teamA.id, form: { phone: '020-7654321', memberCount: '11', functions: '道路养护与巡查', goals: '合格率 99%' }, toast: 'success', says: /^资料已保存$/ },
  { name: 'by an administrator of the stored role', who: ROLE_ADMIN, team: (f) => f.teamB.id, form: { memberCount: '12' }, toast: 'success', says: /^资料已保存$/ },
  { name: 'by an ADMIN_OPEN_IDS administrator', who: ADMIN, team: (f) => f.teamC.id, form: { goals: '零投诉' }, toast: 'success', says: /^资料已保存$/ },
  { name: '主管部门 and 班组类型 changed (a department reorganised)', who: personas.leader, team: (f) => f.teamA.id, form: { department: '养护管理部', teamType: 'department', phone: '020-7654321' }, toast: 'success', says: /^资料已保存$/ },
  { name: '主管部门 and 班组类型 as stored, typed back (the form is filled with them)', who: personas.leader, team: (f) => f.teamA.id, form: { department: '养护管理部', teamType: 'department', goals: '零缺陷' }, toast: 'success', says: /^资料已保存$/ },
  { name: 'a new contact (left to the ordinary path: a role granted, the pending requests moved)', who: OTHER_LEADER, team: (f) => f.teamB.id, form: { contact: NEW_CONTACT, phone: '0755-1234567' }, toast: 'success', says: /^资料已保存$/, leftToOrdinary: true },
  { name: 'the name as stored, typed back (the form is filled with it)', who: personas.leader, team: (f) => f.teamA.id, form: { teamName: '广州养护一班', phone: '020-5550000' }, toast: 'success', says: /^资料已保存$/ },
  { name: 'a new name while the application waits for the contact', who: personas.leader, team: (f) => f.teamA.id, form: { teamName: '广州养护一班（北区）', phone: '020-5550001' }, toast: 'error', says: /^班组名称暂不能修改：本班组2027年度申报正在等待单位联系人确认/, leftToOrdinary: true },
  { name: 'a new name of a team with no application (left to the ordinary path)', who: ADMIN, team: (_f, r) => r.loneTeam, form: { teamName: '深圳建设七班（南区）', memberCount: '9' }, toast: 'success', says: /^资料已保存$/, leftToOrdinary: true },
  { name: 'a name another team of the organisation has, in full width', who: ADMIN, team: (_f, r) => r.loneTeam, form: { teamName: '深圳建设　二班', memberCount: '8' }, toast: 'error', says: /已有名为“深圳建设二班”的班组/, leftToOrdinary: true },
  {
    name: 'a team that withdrew',
    who: ADMIN,
    team: (f) => f.teamD.id,
    form: { phone: '020-7654321' },
    toast: 'info',
    says: /当前状态为“已退出”/,
    leftToOrdinary: true,
    before: async (db, f) => {
      await db.update(teams).set({ status: 'withdrawn' }).where(eq(teams.id, f.teamD.id));
    },
  },
];

/** What the database holds that a save writes, without the times PostgreSQL stamps. */
async function snapshot(db: Db) {
  // a row seeded bears the real time; one the bot changed, the bot's clock
  const teamRows = (await db.select().from(teams).orderBy(teams.id)).map(({ createdAt: _c, updatedAt, ...t }) => ({ ...t, changedAt: updatedAt.getTime() === Date.parse(NOW) ? NOW : 'seeded' }));
  const persons = (await db.select().from(people).orderBy(people.openId)).map(({ createdAt: _c, updatedAt: _u, ...p }) => p);
  const members = (await db.select().from(teamMembers).orderBy(teamMembers.teamId, teamMembers.openId)).map(({ createdAt: _c, ...m }) => m);
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, at: _a, ...a }) => a);
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_profile_%')).orderBy(processedEvents.eventId);
  return { teamRows, persons, members, audits, out, events };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  teams: (await db.select().from(teams).orderBy(teams.id)).map((t) => JSON.stringify(t)),
});

describe('班组资料 保存: the one statement answers and writes what the ordinary transaction does', () => {
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
        await leavesToOrdinary(() => counts(db), () => fastSaveProfile(h.db, event, parseProfile(step.form), h.clock.now(), async () => 'read'));
      }
      const body: Body = await h.click(step.who, { action: 'team.editSave', teamId }, step.form, { eventId: step.eventId ?? `evt_profile_${i}` });
      expectAnswer(body, step, mode);
      if (mode === 'fast') {
        // on PostgreSQL a success is the statement's but for a new contact, and nothing ends in a race; on PGlite there is no statement
        const pg = testDatabaseKind() === 'postgres';
        expect(fastMembersEnds).toEqual({ done: ends.done + (pg && !step.leftToOrdinary ? 1 : 0), raced: ends.raced });
      }
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('the fake Open Platform received the same messages in both (the new contact told, the pending request moved)', async () => {
    for (const { h } of Object.values(worlds)) await h.drain();
    const sent = (h: Harness) => h.fake.messages.map((m) => [m.receiveId, m.msgType, m.content]);
    expect(sent(worlds.fast.h).some(([to]) => to === NEW_CONTACT)).toBe(true);
    expect(sent(worlds.fast.h)).toEqual(sent(worlds.ordinary.h));
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('班组资料 保存 on PostgreSQL: one round trip', () => {
  const bot = countedFixtureBot();
  const click = (openId: string, value: Record<string, unknown>, formValue: Record<string, unknown> = {}) => bot.click<Body>(openId, value, formValue);

  it('保存 costs one round trip on a warm connection (the ordinary path: more)', async () => {
    const figures: Record<string, number> = {};
    let n = 0;
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (let warm = 0; warm < 2; warm++) {
        const phone = `020-76500${String(n++).padStart(2, '0')}`;
        const { body, trips } = await click(personas.leader, { action: 'team.editSave', teamId: bot.f.teamA.id }, { phone });
        expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
        expect((await bot.db.select().from(teams).where(eq(teams.id, bot.f.teamA.id)))[0].phone).toBe(phone);
        figures[`team.editSave (${fast ? 'one statement' : 'ordinary path'})`] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`班组资料 保存 round trips (warm): ${JSON.stringify(figures)}`);
    expect(figures['team.editSave (one statement)']).toBe(1);
  });
});

describe('班组资料 保存 twice at once, the fast paths on', () => {
  let h: Harness;
  let f: Fixture;
  const db = (): Db => h.db.db;

  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });

  afterAll(async () => {
    await h?.close();
  });

  const saves = async () => (await db().select().from(auditLog).where(eq(auditLog.action, 'team.update'))).length;

  it('the same form saved twice at once: one saves, the other is told when it was saved', async () => {
    for (let round = 0; round < 3; round++) {
      const before = await saves();
      const phone = `020-88800${round}0`;
      const both: Body[] = await Promise.all([0, 1].map(() => h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { phone })));
      const [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
      expect(first.toast).toEqual({ type: 'success', content: '资料已保存' });
      expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
      expect(second.toast?.content).toMatch(/^已于 .* 保存，无需重复保存。$/);
      expect(second.card?.data?.header?.title?.content).toBe(first.card?.data?.header?.title?.content);
      expect(await saves()).toBe(before + 1);
      expect((await db().select().from(teams).where(eq(teams.id, f.teamA.id)))[0].phone).toBe(phone);
    }
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('a save waiting for the team’s row that another save changed meanwhile leaves nothing of the statement', async () => {
    const raced = fastMembersEnds.raced;
    const before = await saves();
    // another save of the same phone, not yet committed: the statement reads the old row, then waits for it
    const other = await heldTransaction(db(), async (tx) => {
      await tx.update(teams).set({ phone: '020-9990000', updatedAt: h.clock.now() }).where(eq(teams.id, f.teamA.id));
      await tx.insert(auditLog).values({ actor: personas.leader, action: 'team.update', entity: 'team', entityId: String(f.teamA.id), details: { changed: ['phone'] } });
    });
    let answered = false;
    const clicked = h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { phone: '020-9990000' }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const body: Body = await clicked;
    // the ordinary path answered, on what the other save left: nothing to change
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    expect(body.toast?.content).toMatch(/^已于 .* 保存，无需重复保存。$/);
    expect(fastMembersEnds.raced).toBe(raced + 1);
    expect(await saves()).toBe(before + 1);
  });
});
