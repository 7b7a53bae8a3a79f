import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamData } from '../../bot/teams/view.js';
import { contactNamedCard, registeredCard } from '../../cards/teams.js';
import type { Db } from '../../db/index.js';
import { auditLog, codeSequences, organizations, outbox, people, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { oneYearAfter } from '../../src/applications.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { ManualClock } from '../../src/clock.js';
import { formatDateZh } from '../../src/dates.js';
import { cardSpecOf, rowsOf } from '../../src/outbox.js';
import { testDatabaseKind } from '../support/db.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { lockWaits, until } from '../support/waiting.js';
import { randomEventId } from '../support/larkEvents.js';
import { countedBot } from '../support/wire.js';
import { inEachWorld, twoWorlds } from '../support/worlds.js';

/**
 * 注册's one-statement path (src/fast/register.ts) against the ordinary one: the same script of registrations runs on
 * two bots, each on a database of its own, one with the fast paths on and one with them off, with the same event ids
 * and people, and after every step the answers, the rows (teams, organisations, people, members, the code serial, the
 * events recorded, the audit rows, the outbox) and the messages sent are the same. PGlite has only the ordinary path:
 * there one bot stands for both (twoWorlds' oneOnPglite).
 * The refusals and the cases left to the ordinary path are in the script too: with the fast path on they answer as
 * before and leave nothing of the fast attempt (no claim, audit or outbox row, no code drawn, no team id taken).
 * Organisation ids are not compared: the ordinary path's upsert takes one from the sequence even when it is refused,
 * and once more when a guessed actor is found wrong and the event runs again (src/pipeline.ts), which the two bots'
 * histories of known senders make differ.
 */

const TZ = 'Asia/Shanghai';
const NOW = '2026-03-01T09:00:00+08:00';
const ORG = '广州市市政工程维修有限公司';

const LEADER_NEW = 'ou_fastreg_leader_new0000000000001';
const LEADER_KNOWN = 'ou_fastreg_leader_known00000000001';
const LEADER_NAMED = 'ou_fastreg_leader_named00000000001';
const LEADER_BOOT = 'ou_fastreg_leader_boot000000000001';
const LEADER_LOOKUP = 'ou_fastreg_leader_lookup0000000001';
const LEADER_LAST = 'ou_fastreg_leader_last00000000001';
const STRANGER = 'ou_fastreg_stranger000000000000001';
const CONTACT_NEW = 'ou_fastreg_contact_new00000000001';
const CONTACT_KNOWN = 'ou_fastreg_contact_known000000001';
const CONTACT_FOUND = 'ou_fastreg_contact_found000000001';
const STORED_ADMIN = 'ou_fastreg_admin00000000000000001';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: any } };

/** 已于 2026年3月1日 09:00 注册: the minute is the database's time of the first registration; it is checked, then set aside. */
const doneAt = /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} /;
const withoutTime = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 (time) '));

/** Every row a registration may touch, without the times the database stamps. */
async function state(db: Db) {
  return {
    teams: await db.select().from(teams).orderBy(asc(teams.id)).then((rows) => rows.map(({ createdAt, updatedAt, ...t }) => t)),
    organizations: await db.select({ id: organizations.id, name: organizations.name }).from(organizations).orderBy(asc(organizations.id)),
    people: await db
      .select()
      .from(people)
      .orderBy(asc(people.openId))
      .then((rows) => rows.map(({ createdAt, updatedAt, ...p }) => ({ ...p, roles: [...p.roles].sort() }))),
    members: await db.select({ teamId: teamMembers.teamId, openId: teamMembers.openId, role: teamMembers.role }).from(teamMembers).orderBy(asc(teamMembers.teamId), asc(teamMembers.openId)),
    codes: await db.select().from(codeSequences).orderBy(asc(codeSequences.scope)),
    events: await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).orderBy(asc(processedEvents.eventId)),
    audit: await db
      .select({ id: auditLog.id, actor: auditLog.actor, action: auditLog.action, entity: auditLog.entity, entityId: auditLog.entityId, details: auditLog.details })
      .from(auditLog)
      .orderBy(asc(auditLog.id)),
    outbox: await db
      .select({
        key: outbox.dedupeKey, kind: outbox.kind, type: outbox.receiveIdType, receiver: outbox.receiver, rateKey: outbox.rateKey, msgType: outbox.msgType,
        priority: outbox.priority, card: outbox.card, status: outbox.status, attempts: outbox.attempts,
      })
      .from(outbox)
      .orderBy(asc(outbox.dedupeKey)),
  };
}

/** The last id the teams' sequence gave, whether or not its row was kept. */
async function lastTeamId(db: Db): Promise<number> {
  const [row] = rowsOf(await db.execute(sql`select case when is_called then last_value else last_value - 1 end as n from teams_id_seq`)) as { n: string | number }[];
  return Number(row.n);
}

async function seed(db: Db) {
  const [org] = await db.insert(organizations).values({ name: ORG }).returning();
  await db.insert(people).values([
    { openId: LEADER_KNOWN, name: '老班长' },
    // an expert named as a contact keeps the role, gains org_contact, and the organisation as they have none
    { openId: CONTACT_KNOWN, name: '老联系人', roles: ['expert'] },
    { openId: STORED_ADMIN, name: '协会管理员', roles: ['admin'] },
    { openId: STRANGER, name: '路人' },
  ]);
  return org.id;
}

describe('注册: the one-statement path answers, writes and sends what the ordinary path does', () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock(NOW) });
    const orgId = await seed(h.db.db);
    h.fake.addUser({ openId: CONTACT_FOUND, name: '通讯录联系人', mobile: '13912345678' });
    return { h, orgId };
  }, { oneOnPglite: true });
  let fast: Harness;
  let ordinary: Harness;
  let orgId: number;

  beforeAll(() => {
    [fast, ordinary] = [worlds.fast.h, worlds.ordinary.h];
    expect(worlds.fast.orgId).toBe(worlds.ordinary.orgId);
    orgId = worlds.fast.orgId;
  });

  /**
   * The same callback on both bots (the fast one first; on PGlite the one bot standing for both), the outbox drained;
   * both answers, which must match, and both states.
   */
  async function both(openId: string, formValue: Record<string, unknown>, eventId: string): Promise<Body> {
    const seen = await inEachWorld(worlds, async ({ h }) => {
      const from = h.fake.messages.length;
      const answer: Body = await h.click(openId, { action: 'team.register' }, formValue, { eventId });
      const sent = h.fake.messages.slice(from).map((m) => ({ to: m.receiveId, type: m.receiveIdType, msgType: m.msgType, content: m.content }));
      return { answer, state: await state(h.db.db), sent };
    });
    expect(withoutTime(seen.fast.answer)).toEqual(withoutTime(seen.ordinary.answer));
    expect(seen.fast.state).toEqual(seen.ordinary.state);
    expect(seen.fast.sent).toEqual(seen.ordinary.sent);
    return seen.fast.answer;
  }

  const teamNamed = async (db: Db, name: string) => {
    const [row] = await db.select().from(teams).where(eq(teams.name, name));
    return row ? { ...row, organization: (await db.select().from(organizations).where(eq(organizations.id, row.organizationId)))[0].name } : undefined;
  };

  /** The cards as the ordinary path drew them before they were drawn at send time: the card functions on the stored row. */
  // `before`: the answer to a new form naming a team registered before (no card key: the harness's clicks carry none)
  const oldRegistered = (t: NonNullable<Awaited<ReturnType<typeof teamNamed>>>, before = false) => registeredCard(teamData(t), formatDateZh(oneYearAfter(t.registeredAt)), { before });
  const oldContactNamed = (t: NonNullable<Awaited<ReturnType<typeof teamNamed>>>) => contactNamedCard(teamData(t));

  /** The outbox rows of a team, their specs drawn by the registered renderers. */
  async function drawn(h: Harness, teamId: number) {
    const rows = (await h.db.db.select().from(outbox).orderBy(asc(outbox.id))).filter((r) => r.dedupeKey.startsWith(`team:registered:${teamId}`) || r.dedupeKey.startsWith(`team:contact-named:${teamId}:`));
    const renderers = cardRenderers(h.db.db, TZ, h.clock);
    const out: Record<string, unknown> = {};
    for (const row of rows) {
      const spec = cardSpecOf(row);
      expect(spec, row.dedupeKey).toBeDefined();
      const [card] = await renderers[spec!.kind]([spec!], [row]);
      out[row.dedupeKey] = card;
    }
    return out;
  }

  it('a new leader in a new organisation, naming a new contact: the same answer, rows and contact card, drawn as the card function drew it', async () => {
    const form = registrationForm('新单位一组', CONTACT_NEW, { organization: '深圳市政新单位' });
    const answer = await both(LEADER_NEW, form, 'ev_fastreg_01');
    expect(answer.toast).toEqual({ type: 'success', content: '注册成功，班组编号 GDSZ-2026-0001' });
    for (const h of new Set([fast, ordinary])) {
      const t = (await teamNamed(h.db.db, '新单位一组'))!;
      expect(answer.card?.data).toEqual(oldRegistered(t));
      expect(await drawn(h, t.id)).toEqual({ [`team:contact-named:${t.id}:${CONTACT_NEW}`]: { card: oldContactNamed(t) } });
      const [contact] = await h.db.db.select().from(people).where(eq(people.openId, CONTACT_NEW));
      expect(contact).toMatchObject({ roles: ['org_contact'], organizationId: t.organizationId });
    }
    expect(fast.fake.messages.filter((m) => m.receiveId === CONTACT_NEW).map((m) => m.content)).toEqual([oldContactNamed((await teamNamed(fast.db.db, '新单位一组'))!)]);
  });

  it('a known leader in a known organisation, naming an expert as contact: the role added, the organisation set', async () => {
    const answer = await both(LEADER_KNOWN, registrationForm('老单位二组', CONTACT_KNOWN), 'ev_fastreg_02');
    expect(answer.toast?.type).toBe('success');
    const [contact] = await fast.db.db.select().from(people).where(eq(people.openId, CONTACT_KNOWN));
    expect([...contact.roles].sort()).toEqual(['expert', 'org_contact']);
    expect(contact.organizationId).toBe(orgId);
  });

  it('an administrator (the stored role) registering another leader: the leader is sent the registered card as well', async () => {
    const answer = await both(STORED_ADMIN, registrationForm('代注册三组', CONTACT_NEW, { leader: LEADER_NAMED }), 'ev_fastreg_03');
    expect(answer.toast?.type).toBe('success');
    for (const h of new Set([fast, ordinary])) {
      const t = (await teamNamed(h.db.db, '代注册三组'))!;
      expect(t.leaderOpenId).toBe(LEADER_NAMED);
      expect(await drawn(h, t.id)).toEqual({
        [`team:registered:${t.id}`]: { card: oldRegistered(t) },
        [`team:contact-named:${t.id}:${CONTACT_NEW}`]: { card: oldContactNamed(t) },
      });
      const rows = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `team:registered:${t.id}`));
      expect(rows.map((r) => [r.receiver, r.priority])).toEqual([[LEADER_NAMED, 1]]);
    }
  });

  it('an administrator by ADMIN_OPEN_IDS alone registering another leader', async () => {
    const answer = await both(ADMIN, registrationForm('代注册四组', CONTACT_KNOWN, { leader: LEADER_BOOT }), 'ev_fastreg_04');
    expect(answer.toast?.type).toBe('success');
  });

  it('refusals answer as before, and the fast attempt leaves nothing', async () => {
    const idsBefore = await lastTeamId(fast.db.db);
    // someone else named as leader by one who is not an administrator
    const notAdmin = await both(STRANGER, registrationForm('冒名五组', CONTACT_NEW, { leader: LEADER_NEW }), 'ev_fastreg_05');
    expect(notAdmin.toast).toEqual({ type: 'error', content: '班组长须为注册人本人；如需代为注册，请由协会管理员操作。' });
    // 第十五条: the leader as contact
    const selfContact = await both(STRANGER, registrationForm('自荐六组', STRANGER), 'ev_fastreg_06');
    expect(selfContact.toast?.content).toContain('不能是班组长本人');
    // a field that does not parse
    const badInput = await both(STRANGER, registrationForm('输入七组', CONTACT_NEW, { memberCount: '十二' }), 'ev_fastreg_07');
    expect(badInput.toast?.type).toBe('error');
    expect(badInput.toast?.content).toContain('成员人数');
    // the same registration again (a second form's click after the first): done, naming when, the team as registered before
    const again = await both(LEADER_NEW, registrationForm('新单位一组', CONTACT_NEW, { organization: '深圳市政新单位' }), 'ev_fastreg_08');
    expect(again.toast?.type).toBe('info');
    expect(again.toast?.content).toMatch(doneAt);
    expect(again.toast?.content).toContain('注册，班组编号 GDSZ-2026-0001，无需重复注册。');
    expect(again.card?.data).toEqual(oldRegistered((await teamNamed(fast.db.db, '新单位一组'))!, true));
    // the name taken in the organisation by another leader
    const taken = await both(STRANGER, registrationForm('新单位一组', CONTACT_NEW, { organization: '深圳市政新单位' }), 'ev_fastreg_09');
    expect(taken.toast).toEqual({ type: 'info', content: '“深圳市政新单位”已有名为“新单位一组”的班组（编号 GDSZ-2026-0001），由另一位班组长注册。如是同一个班组，请其班组长在“班组成员”中添加你；如是另一个班组，请改用能区分的名称（如加上项目部或工区）后再提交。' });
    // the first registration's event delivered again
    const redelivered = await both(LEADER_NEW, registrationForm('新单位一组', CONTACT_NEW, { organization: '深圳市政新单位' }), 'ev_fastreg_01');
    expect(redelivered.toast).toEqual({ type: 'info', content: '“提交注册”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' });
    // each refusal recorded its event once, as the ordinary path records it; no code was drawn for any
    const events = await fast.db.db.select().from(processedEvents).where(sql`${processedEvents.eventId} like 'ev_fastreg_0%'`);
    expect(events.map((e) => e.eventId).sort()).toEqual(['ev_fastreg_01', 'ev_fastreg_02', 'ev_fastreg_03', 'ev_fastreg_04', 'ev_fastreg_05', 'ev_fastreg_06', 'ev_fastreg_07', 'ev_fastreg_08', 'ev_fastreg_09']);
    expect(await fast.db.db.select({ last: codeSequences.last }).from(codeSequences)).toEqual([{ last: 4 }]);
    // no statement got as far as the team's insert (an id taken is not given back when its transaction rolls back)
    expect(await lastTeamId(fast.db.db)).toBe(idsBefore);
  });

  it('cases left to the ordinary path: a contact looked up by mobile, an administrator naming themselves contact', async () => {
    const found = await both(LEADER_LOOKUP, registrationForm('查号十组', '', { contactLookup: '139 1234 5678' }), 'ev_fastreg_10');
    expect(found.toast?.type).toBe('success');
    expect((await teamNamed(fast.db.db, '查号十组'))!.contactOpenId).toBe(CONTACT_FOUND);
    const adminContact = await both(STORED_ADMIN, registrationForm('管理员联系十一组', STORED_ADMIN, { leader: LEADER_LOOKUP }), 'ev_fastreg_11');
    expect(adminContact.toast?.type).toBe('success');
    const t = (await teamNamed(fast.db.db, '管理员联系十一组'))!;
    // the contact is the one registering: their card is the answer's kind, interactive
    expect((await fast.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `team:contact-named:${t.id}:${STORED_ADMIN}`))).map((r) => r.priority)).toEqual([0]);
  });

  it('a registration after all of these takes the next code and the next id on both', async () => {
    const answer = await both(LEADER_LAST, registrationForm('最后十二组', CONTACT_NEW), 'ev_fastreg_12');
    expect(answer.toast).toEqual({ type: 'success', content: '注册成功，班组编号 GDSZ-2026-0007' });
  });

  it('the same registration twice at once under two event ids: one registered, the other told it is done', async () => {
    const form = registrationForm('并发十三组', CONTACT_NEW);
    const [a, b]: Body[] = await Promise.all([fast.click(LEADER_LAST, { action: 'team.register' }, form), fast.click(LEADER_LAST, { action: 'team.register' }, form)]);
    const [done, first] = [a, b].sort((x, y) => (x.toast!.type < y.toast!.type ? -1 : 1));
    expect(first.toast?.type).toBe('success');
    expect(done.toast?.type).toBe('info');
    expect(done.toast?.content).toMatch(doneAt);
    // the same team, registered by the other one: no 注册成功 of its own
    expect(done.card?.data).toEqual(oldRegistered((await teamNamed(fast.db.db, '并发十三组'))!, true));
    const t = (await teamNamed(fast.db.db, '并发十三组'))!;
    expect(await fast.db.db.select().from(teamMembers).where(eq(teamMembers.teamId, t.id))).toHaveLength(1);
    expect(await fast.db.db.select().from(auditLog).where(eq(auditLog.entityId, String(t.id)))).toHaveLength(1);
    expect((await fast.db.db.select().from(outbox).where(sql`${outbox.dedupeKey} like ${`team:contact-named:${t.id}:%`}`)).length).toBe(1);
    expect(await fast.db.db.select({ last: codeSequences.last }).from(codeSequences)).toEqual([{ last: 8 }]);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('注册 on PostgreSQL: one round trip on a warm connection', () => {
  const bot = countedBot({ clock: NOW, seed });
  /** The callback with the fast paths `fastPaths` (on again afterwards). */
  async function click(openId: string, formValue: Record<string, unknown>, fastPaths: boolean) {
    bot.app.processor.fastPaths = fastPaths;
    try {
      return await bot.click<Body>(openId, { action: 'team.register' }, formValue);
    } finally {
      bot.app.processor.fastPaths = true;
    }
  }

  it('a new team registered on a warm connection costs one round trip (the ordinary path, for comparison, more)', async () => {
    expect((await click(LEADER_NEW, registrationForm('往返预热组', CONTACT_NEW), true)).body.toast?.type).toBe('success');
    const measured = await click(LEADER_KNOWN, registrationForm('往返一组', CONTACT_KNOWN), true);
    expect(measured.body.toast?.type).toBe('success');
    expect(measured.trips).toBe(1);
    expect((await click(LEADER_NAMED, registrationForm('往返预热二组', CONTACT_NEW), false)).body.toast?.type).toBe('success');
    const ordinary = await click(LEADER_BOOT, registrationForm('往返二组', CONTACT_KNOWN), false);
    expect(ordinary.body.toast?.type).toBe('success');
    expect(ordinary.trips).toBeGreaterThan(1);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('注册 on PostgreSQL: two at once, the second past its snapshot', () => {
  let h: Harness;
  let n = 0;

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock(NOW) });
    await seed(h.db.db);
  });

  afterAll(async () => {
    await h?.close();
  });

  /**
   * The organisation's row held by the test: both registrations have taken their snapshot, checked, claimed their
   * event and wait at the organisation's upsert (or the second at the first's claim, for the same event). Let go, one
   * registers; the other's snapshot does not see that team, so its insert fails on the unique index, its transaction
   * is rolled back whole, and the ordinary path answers as it would have.
   */
  it.each([
    ['the same leader twice under two event ids (a double click)', LEADER_NEW, false, '注册，班组编号', false],
    ['another leader, the same team name', STRANGER, false, '已有名为“竞争', false],
    ['the same event delivered twice', LEADER_NEW, true, '这次点击已收到', false],
    // one team however it is typed: the index is on the name's key (migration 0007), not on the name as typed
    ['another leader, the same team name typed in full width', STRANGER, false, '已有名为“竞争', true],
  ] as const)('two at once on a held organisation: %s', async (_case, second, sameEvent, says, fullWidth) => {
    const name = `竞争${++n}组`;
    const form = registrationForm(name, CONTACT_NEW);
    // 竞争4组 as a phone's full-width keyboard types it: 竞争４组
    const otherForm = fullWidth ? registrationForm(name.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)), CONTACT_NEW) : form;
    const db = h.db.db;
    const [before] = await db.select().from(codeSequences);
    const idsBefore = await lastTeamId(db);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const held = new Promise<void>((r) => (locked = r));
    const holder = db.transaction(async (tx) => {
      await tx.execute(sql`select id from organizations where name = ${ORG} for update`);
      locked();
      await released;
    });
    await held;
    const eventId = sameEvent ? randomEventId() : undefined;
    const first = h.click(LEADER_NEW, { action: 'team.register' }, form, { eventId });
    const other = h.click(second, { action: 'team.register' }, otherForm, { eventId });
    await until(async () => (await lockWaits(db)) >= 2);
    release();
    await holder;
    const answers: Body[] = await Promise.all([first, other]);
    const ok = answers.filter((b) => b.toast?.type === 'success');
    const refused = answers.filter((b) => b.toast?.type !== 'success');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0].toast?.type).toBe('info');
    expect(refused[0].toast?.content).toContain(says);
    const kept = await db.select().from(teams).where(sql`organization_key(${teams.name}) = organization_key(${name})`);
    expect(kept).toHaveLength(1);
    const [t] = kept;
    expect(await db.select().from(teamMembers).where(eq(teamMembers.teamId, t.id))).toHaveLength(1);
    expect(await db.select().from(auditLog).where(eq(auditLog.entityId, String(t.id)))).toHaveLength(1);
    expect(await db.select().from(outbox).where(sql`${outbox.dedupeKey} like ${`team:contact-named:${t.id}:%`}`)).toHaveLength(1);
    // one code drawn: the other's was rolled back with everything else it wrote
    expect((await db.select().from(codeSequences))[0].last).toBe((before?.last ?? 0) + 1);
    // the other's statement reached its insert of the team (an id taken, then rolled back): the race was the statement's to lose
    if (!sameEvent) expect(await lastTeamId(db)).toBe(idsBefore + 2);
  });
});
