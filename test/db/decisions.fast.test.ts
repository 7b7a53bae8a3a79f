import { asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { complaintDecidedCard, complaintOutcomeCard, complaintUpheldNoticeCard, revocationDecidedCard, titleRevokedNoticeCard } from '../../cards/complaints.js';
import type { Db } from '../../db/index.js';
import { auditLog, certificates, complaints, cycles, honours, organizations, outbox, people, processedEvents, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { complaintOutcomeRenderer, complaintSummary, complaintTeam, complaintView, getComplaint, titleRevokedRenderer, titleStatus } from '../../src/complaints.js';
import { fastDecideComplaint, fastKeepTitle, fastRevokeTitle, revocationRunSql } from '../../src/fast/decisions.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { rowsOf } from '../../src/outbox.js';
import { revocationRun } from '../../src/complaints.js';
import { sql } from 'drizzle-orm';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent, randomEventId } from '../support/larkEvents.js';
import { countedBot } from '../support/wire.js';
import { inEachWorld, twoWorlds } from '../support/worlds.js';
import { snapshot } from './securityFixture.js';
import { upheldRun } from '../support/upheldRun.js';

/**
 * 投诉成立 / 不成立, 保留称号 and 撤销称号 in one statement (src/fast/decisions.ts) against the ordinary path they stand
 * for: the same clicks, with the same event ids, on two bots over equal fresh databases, one with fast paths and one
 * without, answer the same and leave the same rows and the same messages; the notices are the cards the ordinary path
 * drew before they were drawn at send time. On PostgreSQL each decision costs one round trip; PGlite has only the
 * ordinary path, so there one bot stands for both (twoWorlds' oneOnPglite) and the comparison holds trivially.
 */

const TZ = 'Asia/Shanghai';
const NOW = '2027-03-10T09:00:00+08:00';
const CUSTOMER = 'ou_deccustomer00000000000000000000001';
const SECOND_ADMIN = 'ou_decadmin000000000000000000000000002';
const STRANGER = 'ou_decstranger00000000000000000000001';

interface Seeded {
  /** Title holder with one upheld complaint since its award, and two open ones from a customer in chat. */
  titled: { team: number; honour: number; open: number[]; leader: string; contact: string };
  /** Title holder with two upheld complaints: the alert awaits 撤销 / 保留. */
  alerted: { team: number; honour: number };
  /** Title holder with a certificate and two upheld complaints (the alert awaits 撤销 / 保留), leader and contact two people. */
  certified: { team: number; honour: number; leader: string; contact: string };
  /** A team without a title, with open complaints (one from the web, with no complainant). */
  plain: { team: number; open: number[] };
  /** A title holder whose leader is the second administrator. */
  adminLed: { team: number; honour: number; open: number };
}

let nextTeam = 0;
/** The same rows in each database, in the same order, so their ids agree. */
async function seed(db: Db): Promise<Seeded> {
  await db.insert(cycles).values({
    year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20', scoreSheet: defaultScoreSheet,
    settings: { revocationBarDays: 200 },
  });
  const [org] = await db.insert(organizations).values({ name: '珠海市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: SECOND_ADMIN, name: '第二管理员', roles: ['admin'] }, { openId: CUSTOMER }, { openId: STRANGER }]);
  const team = async (name: string, leaderId?: string) => {
    const n = ++nextTeam;
    const leader = leaderId ?? `ou_decleader${String(n).padStart(24, '0')}`;
    const contact = `ou_deccontact${String(n).padStart(23, '0')}`;
    await db.insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'] }]).onConflictDoNothing();
    const [row] = await db
      .insert(teams)
      .values({
        code: `GDSZ-2025-${String(n).padStart(4, '0')}`, name, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader,
        phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
      })
      .returning();
    return { id: row.id, leader, contact };
  };
  const honour = async (teamId: number) => (await db.insert(honours).values({ teamId, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning())[0].id;
  let ref = 0;
  const complaint = async (teamId: number, day: number, status: 'open' | 'upheld', complainant: string | null = CUSTOMER) =>
    (
      await db
        .insert(complaints)
        .values({
          reference: `TS-2027-${String(++ref).padStart(4, '0')}`, teamId, content: `井盖松动（第 ${ref} 处）`, channel: complainant ? 'chat' : 'web', complainantOpenId: complainant, status,
          ...(status === 'upheld' ? { note: '属实', decidedBy: ADMIN, decidedAt: new Date(`2027-02-${String(day + 1).padStart(2, '0')}T10:00:00+08:00`) } : {}),
          createdAt: new Date(`2027-02-${String(day).padStart(2, '0')}T10:00:00+08:00`),
        })
        .returning()
    )[0].id;
  const t1 = await team('珠海路灯维护班');
  const h1 = await honour(t1.id);
  await complaint(t1.id, 1, 'upheld');
  const open1 = [await complaint(t1.id, 3, 'open'), await complaint(t1.id, 4, 'open')];
  const t2 = await team('珠海排水班');
  const h2 = await honour(t2.id);
  await complaint(t2.id, 1, 'upheld', null);
  await complaint(t2.id, 2, 'upheld', null);
  const t3 = await team('珠海绿化班');
  const h3 = await honour(t3.id);
  await db.insert(certificates).values({
    number: 'GDSZ-ZS-2026-0007', honourId: h3, teamId: t3.id, year: 2026, association: '广东省市政行业协会', teamName: '珠海绿化班', organization: '珠海市政养护有限公司',
    title: '质量信得过班组', issuedAt: new Date('2026-12-05T10:00:00+08:00'),
  });
  await complaint(t3.id, 1, 'upheld', null);
  await complaint(t3.id, 2, 'upheld', null);
  const t4 = await team('珠海桥梁班');
  const plainOpen = [await complaint(t4.id, 5, 'open'), await complaint(t4.id, 6, 'open', null), await complaint(t4.id, 7, 'open')];
  const t5 = await team('珠海隧道班', SECOND_ADMIN);
  const h5 = await honour(t5.id);
  const open5 = await complaint(t5.id, 8, 'open', null);
  return {
    titled: { team: t1.id, honour: h1, open: open1, leader: t1.leader, contact: t1.contact },
    alerted: { team: t2.id, honour: h2 },
    certified: { team: t3.id, honour: h3, leader: t3.leader, contact: t3.contact },
    plain: { team: t4.id, open: plainOpen },
    adminLed: { team: t5.id, honour: h5, open: open5 },
  };
}

/** The rows the decisions write, as both paths must leave them (an outbox row's times and id are the dispatcher's, not the action's). */
async function rows(db: Db) {
  return {
    complaints: await db.select().from(complaints).orderBy(asc(complaints.id)),
    honours: await db.select().from(honours).orderBy(asc(honours.id)),
    audit: await db.select({ id: auditLog.id, actor: auditLog.actor, action: auditLog.action, entity: auditLog.entity, entityId: auditLog.entityId, details: auditLog.details, at: auditLog.at }).from(auditLog).orderBy(asc(auditLog.id)),
    outbox: (await db.select().from(outbox).orderBy(asc(outbox.dedupeKey))).map(({ id: _id, createdAt: _c, nextAttemptAt: _n, claimedAt: _l, sentAt: _s, messageId: _m, ...r }) => r),
    processed: await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).orderBy(asc(processedEvents.eventId)),
  };
}

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: any } };
const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

interface Twin {
  h: Harness;
  s: Seeded;
}

describe('complaint and title decisions with and without their one-statement path: the same answers, rows and messages', () => {
  const { fast, ordinary } = twoWorlds(async (): Promise<Twin> => {
    nextTeam = 0;
    const h = await startHarness({ clock: new ManualClock(NOW) });
    return { h, s: await seed(h.db.db) };
  }, { oneOnPglite: true });
  /** The bots to change alike: on PGlite the one bot standing for both. */
  const twins = [...new Set([fast, ordinary])];
  beforeAll(() => expect(fast.s).toEqual(ordinary.s));

  /** One signed, encrypted callback to each bot with the same event id; the answers, then the rows and the messages, compared. */
  async function both(openId: string, value: Record<string, unknown>, form: Record<string, unknown>, eventId = randomEventId()) {
    const post = async (t: Twin) => {
      const sentBefore = t.h.fake.messages.length;
      const res = await t.h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, formValue: form, eventId }));
      expect(res.status).toBe(200);
      const queued = await rows(t.h.db.db);
      await t.h.drain();
      const sent = t.h.fake.messages.slice(sentBefore).map((m) => ({ to: `${m.receiveIdType}:${m.receiveId}`, msgType: m.msgType, content: m.content }));
      sent.sort((a, b) => a.to.localeCompare(b.to));
      return { body: res.body as Body, queued, sent, after: await rows(t.h.db.db) };
    };
    const { fast: f, ordinary: o } = await inEachWorld({ fast, ordinary }, post);
    expect(f.body, 'the answer').toEqual(o.body);
    expect(f.queued, 'the rows as the callback left them').toEqual(o.queued);
    expect(f.sent, 'the messages sent').toEqual(o.sent);
    expect(f.after, 'the rows once sent').toEqual(o.after);
    return { ...f, eventId };
  }

  /** The answer and the complainant's notice as the ordinary path drew them before the notice was drawn at send time. */
  async function expectDecided(r: Awaited<ReturnType<typeof both>>, complaintId: number, decision: 'uphold' | 'dismiss', complainant?: string) {
    const db = fast.h.db.db;
    const found = (await getComplaint(db, complaintId))!;
    const view = complaintView(found.complaint, found.team, TZ);
    expect(found.complaint.status).toBe(decision === 'uphold' ? 'upheld' : 'dismissed');
    const title = (await titleStatus(db, found.team.id))?.view;
    expect(r.body).toEqual(
      plain({ toast: { type: 'success', content: decision === 'uphold' ? '已认定投诉成立' : '已认定投诉不成立' }, card: { type: 'raw', data: complaintDecidedCard(view, { title, revocationRaised: false }) } }),
    );
    const notices = r.sent.filter((m) => m.to === `open_id:${complainant}`);
    expect(notices.map((m) => m.content)).toEqual(complainant ? [plain(complaintOutcomeCard(view))] : []);
    const queued = r.queued.outbox.filter((o) => o.dedupeKey.startsWith(`complaint:decided:${complaintId}:`));
    expect(queued.map((o) => [o.dedupeKey, o.priority, o.card])).toEqual(
      complainant ? [[`complaint:decided:${complaintId}:complainant`, 1, { render: { kind: 'complaintOutcome', complaintId } }]] : [],
    );
    const [audit] = await db.select().from(auditLog).where(eq(auditLog.action, `complaint.${decision}`)).orderBy(sql`${auditLog.id} desc`).limit(1);
    expect(audit).toMatchObject({ entityId: String(complaintId), details: { reference: found.complaint.reference, teamId: found.team.id } });
    return title;
  }

  it('不成立 of a title holder\'s complaint from chat: the complainant told, the run ended', async () => {
    const id = fast.s.titled.open[0];
    const r = await both(ADMIN, { action: 'complaint.dismiss', complaintId: id }, { note: '经核实不属实' });
    expect(await expectDecided(r, id, 'dismiss', CUSTOMER)).toMatchObject({ run: 0, required: 2 });
  });

  it('成立 short of the run, by an administrator of the stored role: the run says 1 of 2; the team\'s leader and contact told', async () => {
    const id = fast.s.titled.open[1];
    const r = await both(SECOND_ADMIN, { action: 'complaint.uphold', complaintId: id }, { note: '经核实属实' });
    expect(await expectDecided(r, id, 'uphold', CUSTOMER)).toMatchObject({ run: 1, required: 2 });
    const { leader, contact } = fast.s.titled;
    expect(r.queued.outbox.filter((o) => o.dedupeKey.startsWith(`complaint:upheld:${id}:`)).map((o) => [o.dedupeKey, o.receiver, o.card])).toEqual(
      [leader, contact].map((p) => [`complaint:upheld:${id}:user:${p}`, p, { render: { kind: 'complaintUpheld', complaintId: id } }]).sort(),
    );
    const found = (await getComplaint(fast.h.db.db, id))!;
    const notice = plain(complaintUpheldNoticeCard(complaintSummary(found.complaint, found.team, TZ), { honourId: fast.s.titled.honour, year: 2026, run: 1, required: 2 }));
    for (const to of [leader, contact]) expect(r.sent.filter((m) => m.to === `open_id:${to}`).map((m) => m.content)).toEqual([notice]);
    const text = JSON.stringify(notice);
    expect(text).toContain('经核实属实');
    expect(text).toContain('目前连续成立的投诉 1 次');
    // who complained is not the team's to know
    expect(text).not.toContain(CUSTOMER);
  });

  it('成立 and 不成立 of a team without a title, from chat and from the web', async () => {
    const [a, b, c] = fast.s.plain.open;
    expect(await expectDecided(await both(ADMIN, { action: 'complaint.uphold', complaintId: a }, { note: '属实' }), a, 'uphold', CUSTOMER)).toBeUndefined();
    expect(await expectDecided(await both(ADMIN, { action: 'complaint.dismiss', complaintId: b }, { note: '不属实' }), b, 'dismiss')).toBeUndefined();
    // two upheld in a row without a title: no alert, nothing to revoke
    expect(await expectDecided(await both(ADMIN, { action: 'complaint.uphold', complaintId: c }, { note: '属实' }), c, 'uphold', CUSTOMER)).toBeUndefined();
  });

  it('保留称号: the decision on record, the run no longer counted', async () => {
    const { honour, team } = fast.s.alerted;
    const r = await both(ADMIN, { action: 'revocation.keep', honourId: honour }, { reason: '已整改，回访满意' });
    const db = fast.h.db.db;
    expect(r.body).toEqual(plain({ toast: { type: 'success', content: '已保留称号' }, card: { type: 'raw', data: revocationDecidedCard({ team: (await complaintTeam(db, team))!, year: 2026, decision: 'kept', reason: '已整改，回访满意' }) } }));
    expect(r.sent).toEqual([]);
    const [audit] = await db.select().from(auditLog).where(eq(auditLog.action, 'honour.keep'));
    expect(audit.details).toEqual({ teamId: team, year: 2026, reason: '已整改，回访满意', run: 2 });
    // the same delivery again (its answer lost): the decided card, and a toast that the decision stands as the clicker's
    // (true whether this delivery made it or was refused beside it), nothing written
    const unchanged = await rows(db);
    const redelivered = await both(ADMIN, { action: 'revocation.keep', honourId: honour }, { reason: '已整改，回访满意' }, r.eventId);
    expect(redelivered.body.card).toEqual(r.body.card);
    expect(redelivered.body.toast).toEqual({ type: 'info', content: '“保留称号”：这次点击已收到并处理过，该称号已由你决定保留' });
    expect(redelivered.sent).toEqual([]);
    expect(await rows(db)).toEqual(unchanged);
    // the other administrator's copy of the same alert: 撤销 no longer applies, on both paths, and changes nothing
    const before = await rows(db);
    const late = await both(SECOND_ADMIN, { action: 'revocation.revoke', honourId: honour }, { reason: '连续投诉' });
    expect(late.body.toast).toEqual({ type: 'info', content: expect.stringMatching(/^第二十二条：其他管理员已于 2027年\d+月\d+日 \d{2}:\d{2} 决定保留 .* 的 2026 年度称号（理由：已整改，回访满意），无需再处理/) });
    expect(late.sent).toEqual([]);
    expect({ ...(await rows(db)), processed: [] }).toEqual({ ...before, processed: [] });
  });

  it('撤销称号: the leader and the contact told, drawn when sent as the decision drew it; the certificate named', async () => {
    const { honour, team, leader, contact } = fast.s.certified;
    const r = await both(SECOND_ADMIN, { action: 'revocation.revoke', honourId: honour }, { reason: '质量问题屡次被投诉' });
    const t = (await complaintTeam(fast.h.db.db, team))!;
    const drawn = { team: t, year: 2026, reason: '质量问题屡次被投诉', certificate: 'GDSZ-ZS-2026-0007', barDays: 200 };
    expect(r.body).toEqual(plain({ toast: { type: 'success', content: '已撤销称号，已通知班组长和单位联系人' }, card: { type: 'raw', data: revocationDecidedCard({ ...drawn, decision: 'revoked' }) } }));
    expect(r.sent.map((m) => [m.to, m.content])).toEqual([`open_id:${contact}`, `open_id:${leader}`].sort().map((to) => [to, plain(titleRevokedNoticeCard(drawn))]));
    expect(r.queued.outbox.filter((o) => o.dedupeKey.startsWith('revocation:revoked:')).map((o) => [o.dedupeKey, o.priority, o.card])).toEqual(
      [leader, contact].map((p) => [`revocation:revoked:${honour}:user:${p}`, 1, { render: { kind: 'titleRevoked', honourId: honour } }]).sort(),
    );
    const [audit] = await fast.h.db.db.select().from(auditLog).where(eq(auditLog.action, 'honour.revoke'));
    expect(audit.details).toEqual({ teamId: team, year: 2026, reason: '质量问题屡次被投诉', certificate: 'GDSZ-ZS-2026-0007' });
    // the same delivery again (its answer lost): the decided card, and a toast that the decision stands as the clicker's
    const redelivered = await both(SECOND_ADMIN, { action: 'revocation.revoke', honourId: honour }, { reason: '质量问题屡次被投诉' }, r.eventId);
    expect(redelivered.body.card).toEqual(r.body.card);
    expect(redelivered.body.toast?.type).toBe('info');
    expect(redelivered.body.toast?.content).toMatch(/^“撤销称号”：这次点击已收到并处理过，该称号已由你撤销，/);
    expect(redelivered.sent).toEqual([]);
  });

  it('撤销称号 without a certificate, by the bootstrap administrator, and 撤销 of a title already revoked (told when, as before)', async () => {
    const { honour } = fast.s.titled;
    // its run short of the threshold: refused on both paths, nothing changed
    const before = await rows(fast.h.db.db);
    const early = await both(ADMIN, { action: 'revocation.revoke', honourId: honour }, { reason: '连续投诉' });
    expect(early.body.toast).toEqual({ type: 'info', content: '第二十二条：珠海路灯维护班 目前连续成立的投诉为 1 次（连续 2 次才提醒撤销），没有待决定的撤销提醒。' });
    expect({ ...(await rows(fast.h.db.db)), processed: [] }).toEqual({ ...before, processed: [] });
    // two upheld complaints in a row: the alert it answers
    for (const t of twins) await upheldRun(t.h.db.db, t.s.titled.team);
    await both(ADMIN, { action: 'revocation.revoke', honourId: honour }, { reason: '连续投诉' });
    const [audit] = await fast.h.db.db.select().from(auditLog).where(eq(auditLog.entityId, String(honour)));
    expect(audit.details).toEqual({ teamId: fast.s.titled.team, year: 2026, reason: '连续投诉' });
    const again = await both(ADMIN, { action: 'revocation.revoke', honourId: honour }, { reason: '再次' });
    expect(again.body.toast).toMatchObject({ type: 'info' });
  });

  it('撤销称号 of a team whose leader an import named by mobile and who never wrote to the bot: the contact told, the leader named as not told', async () => {
    const PENDING = 'pending:m:13900000088';
    let made = { team: 0, honour: 0, contact: '' };
    for (const t of twins) {
      const db = t.h.db.db;
      const [org] = await db.select().from(organizations).limit(1);
      const contact = 'ou_deccontactunlinkedleader0000000001';
      await db.insert(people).values([{ openId: PENDING }, { openId: contact, roles: ['org_contact'] }]);
      const [row] = await db
        .insert(teams)
        .values({
          code: 'GDSZ-2025-0088', name: '珠海管廊班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: PENDING,
          phone: '020-12345678', memberCount: 8, functions: '管廊巡检', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
        })
        .returning();
      const [h] = await db.insert(honours).values({ teamId: row.id, year: 2026, awardedAt: new Date('2026-12-01T10:00:00+08:00') }).returning();
      await upheldRun(db, row.id);
      made = { team: row.id, honour: h.id, contact };
    }
    const r = await both(ADMIN, { action: 'revocation.revoke', honourId: made.honour }, { reason: '连续投诉' });
    expect(r.body.toast).toEqual({ type: 'success', content: '已撤销称号，已通知单位联系人（班组长尚未关联飞书，未通知，关联后也不会补发）' });
    expect(JSON.stringify(r.body.card)).toContain('已通知单位联系人（班组长尚未关联飞书，未通知，关联后也不会补发）');
    expect(JSON.stringify(r.body.card)).not.toContain('pending:');
    expect(r.sent.map((m) => m.to)).toEqual([`open_id:${made.contact}`]);
  });

  it('refusals and second clicks answer as the ordinary path answers them, and change nothing but the event', async () => {
    const before = await rows(fast.h.db.db);
    const decided = fast.s.titled.open[0];
    const cases: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
      ['not an administrator', STRANGER, { action: 'complaint.uphold', complaintId: fast.s.adminLed.open }, { note: '属实' }],
      ['no note', ADMIN, { action: 'complaint.dismiss', complaintId: fast.s.adminLed.open }, { note: '' }],
      ['a note too long', ADMIN, { action: 'complaint.dismiss', complaintId: fast.s.adminLed.open }, { note: '长'.repeat(501) }],
      ['no such complaint', ADMIN, { action: 'complaint.dismiss', complaintId: 999_999 }, { note: '不属实' }],
      ['decided the same way before', ADMIN, { action: 'complaint.dismiss', complaintId: decided }, { note: '不属实' }],
      ['decided the other way before', ADMIN, { action: 'complaint.uphold', complaintId: decided }, { note: '属实' }],
      ['a stale button', ADMIN, { action: 'complaint.uphold', complaintId: 'x' }, { note: '属实' }],
      ['keep, not an administrator', STRANGER, { action: 'revocation.keep', honourId: fast.s.adminLed.honour }, { reason: '整改到位' }],
      ['keep, no alert waiting', ADMIN, { action: 'revocation.keep', honourId: fast.s.adminLed.honour }, { reason: '整改到位' }],
      ['keep, kept before', ADMIN, { action: 'revocation.keep', honourId: fast.s.alerted.honour }, { reason: '整改到位' }],
      ['keep, no reason', ADMIN, { action: 'revocation.keep', honourId: fast.s.alerted.honour }, {}],
      ['revoke, no alert waiting', ADMIN, { action: 'revocation.revoke', honourId: fast.s.adminLed.honour }, { reason: '连续投诉' }],
      ['revoke, no alert waiting, no reason', ADMIN, { action: 'revocation.revoke', honourId: fast.s.adminLed.honour }, {}],
      ['revoke, no such title', ADMIN, { action: 'revocation.revoke', honourId: 999_999 }, { reason: '连续投诉' }],
      ['revoke, not an administrator', STRANGER, { action: 'revocation.revoke', honourId: fast.s.adminLed.honour }, { reason: '连续投诉' }],
    ];
    const events: string[] = [];
    for (const [name, who, value, form] of cases) {
      const r = await both(who, value, form);
      events.push(r.eventId);
      expect(r.body.toast, name).toBeDefined();
      expect(r.body.toast!.type, name).not.toBe('success');
      expect(r.sent, name).toEqual([]);
    }
    const after = await rows(fast.h.db.db);
    expect({ ...after, processed: [] }).toEqual({ ...before, processed: [] });
  });

  it('a decision whose notice would go to the actor themself is the ordinary path\'s, and answers as it does', async () => {
    // the leader of the team is the administrator revoking: their own notice is interactive there (the alert it answers: two upheld complaints)
    for (const t of twins) await upheldRun(t.h.db.db, t.s.adminLed.team);
    const r = await both(SECOND_ADMIN, { action: 'revocation.revoke', honourId: fast.s.adminLed.honour }, { reason: '连续投诉' });
    expect(r.body.toast).toEqual({ type: 'success', content: '已撤销称号，已通知班组长和单位联系人' });
    expect(r.queued.outbox.find((o) => o.dedupeKey.endsWith(`:user:${SECOND_ADMIN}`))?.priority).toBe(0);
  });

  it('成立 that completes the run is the ordinary path\'s: the revocation alert raised once, as before', async () => {
    const db = (t: Twin) => t.h.db.db;
    // a fresh run on the certified team: revoked now, so a new title to complain about
    for (const t of twins) {
      const [h] = await db(t).insert(honours).values({ teamId: t.s.plain.team, year: 2027, awardedAt: new Date('2027-03-01T10:00:00+08:00') }).returning();
      for (const n of [1, 2]) {
        await db(t).insert(complaints).values({ reference: `TS-2027-09${n}`, teamId: t.s.plain.team, content: '路面沉降', channel: 'web', status: 'open', createdAt: new Date(`2027-03-0${n + 1}T10:00:00+08:00`) });
      }
      expect(h.id).toBeGreaterThan(0);
    }
    const ids = (await db(fast).select({ id: complaints.id }).from(complaints).where(sql`${complaints.reference} in ('TS-2027-091', 'TS-2027-092')`).orderBy(asc(complaints.id))).map((c) => c.id);
    await both(ADMIN, { action: 'complaint.uphold', complaintId: ids[0] }, { note: '属实' });
    const r = await both(ADMIN, { action: 'complaint.uphold', complaintId: ids[1] }, { note: '属实' });
    expect(r.body.toast).toEqual({ type: 'success', content: '已认定投诉成立，撤销称号提醒已发出' });
  });

  it('the notices are drawn from the rows as they stand when sent; one of nothing is not sent', async () => {
    const db = fast.h.db.db;
    const found = (await getComplaint(db, fast.s.titled.open[0]))!;
    expect(await complaintOutcomeRenderer(db, TZ)([{ kind: 'complaintOutcome', complaintId: found.complaint.id }, { kind: 'complaintOutcome', complaintId: 999_999 }, { kind: 'complaintOutcome', complaintId: fast.s.adminLed.open }])).toEqual([
      { card: complaintOutcomeCard(complaintView(found.complaint, found.team, TZ)) },
      { drop: '投诉 999999 不存在或尚未认定' },
      { drop: `投诉 ${fast.s.adminLed.open} 不存在或尚未认定` },
    ]);
    expect(await titleRevokedRenderer(db)([{ kind: 'titleRevoked', honourId: fast.s.alerted.honour }])).toEqual([{ drop: `称号 ${fast.s.alerted.honour} 不存在或未撤销` }]);
  });

  it('revocationRun in SQL reads what TypeScript reads, or says it cannot (null) and the ordinary path decides', async () => {
    const db = fast.h.db.db;
    for (const value of [undefined, null, 1, 2, 3, 20, 21, 0, -1, 1.5, 2.5, 3.0, '1', '3', ' 4 ', '', true, [5], { n: 1 }]) {
      await db.update(cycles).set({ settings: value === undefined ? {} : { revocationRun: value } });
      const [row] = rowsOf(await db.execute(sql.raw(`select ${revocationRunSql} as n`))) as { n: number | null }[];
      if (row.n !== null) expect(row.n, JSON.stringify(value)).toBe(await revocationRun(db));
      else expect(typeof value === 'string' || typeof value === 'boolean' || typeof value === 'object', JSON.stringify(value)).toBe(true);
    }
    await db.update(cycles).set({ settings: { revocationBarDays: 200 } });
    // a run of 1, which the form took once, is no run (第二十二条: 连续出现): both read it as 2
    await db.update(cycles).set({ settings: { revocationRun: 1 } });
    expect(rowsOf(await db.execute(sql.raw(`select ${revocationRunSql} as n`)))).toEqual([{ n: 2 }]);
    expect(await revocationRun(db)).toBe(2);
    await db.update(cycles).set({ settings: { revocationBarDays: 200 } });
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('complaint and title decisions in one statement (PostgreSQL)', () => {
  const bot = countedBot({ clock: NOW, db: 'counted', seed: async (db) => {
    nextTeam = 0;
    return seed(db);
  } });
  const click = (openId: string, value: Record<string, unknown>, formValue: Record<string, unknown>) => bot.click<Body>(openId, value, formValue);

  /** A fresh open complaint of a team, from the web. */
  async function openComplaint(teamId: number, day: number) {
    const [c] = await bot.db
      .insert(complaints)
      .values({ reference: `TS-2027-8${teamId}${day}${Math.random().toString().slice(2, 6)}`, teamId, content: '路面开裂', channel: 'web', status: 'open', createdAt: new Date(`2027-03-0${day}T10:00:00+08:00`) })
      .returning();
    return c.id;
  }

  it('each decision costs one round trip on a warm connection', async () => {
    const figures: string[] = [];
    const measure = async (name: string, warm: () => Promise<unknown>, run: () => ReturnType<typeof click>) => {
      await warm();
      const r = await run();
      expect(r.body.toast?.type, name).toBe('success');
      expect(r.trips, `${name}: ${r.statements.join('\n')}`).toBe(1);
      figures.push(`  ${name.padEnd(20)} ${r.trips} round trip, ${r.statements.length} statements`);
    };
    const [w1, m1, w2, m2] = [await openComplaint(bot.f.plain.team, 1), await openComplaint(bot.f.plain.team, 2), await openComplaint(bot.f.plain.team, 3), await openComplaint(bot.f.plain.team, 4)];
    await measure('complaint.dismiss', () => click(ADMIN, { action: 'complaint.dismiss', complaintId: w1 }, { note: '不属实' }), () => click(ADMIN, { action: 'complaint.dismiss', complaintId: m1 }, { note: '不属实' }));
    await measure('complaint.uphold', () => click(ADMIN, { action: 'complaint.uphold', complaintId: w2 }, { note: '属实' }), () => click(ADMIN, { action: 'complaint.uphold', complaintId: m2 }, { note: '属实' }));
    // the warm 保留: a second upheld complaint of the titled team completes its run (the ordinary path raises the alert)
    const warmKeep = async () => {
      expect((await click(ADMIN, { action: 'complaint.uphold', complaintId: bot.f.titled.open[0] }, { note: '属实' })).body.toast?.content).toBe('已认定投诉成立，撤销称号提醒已发出');
      return click(ADMIN, { action: 'revocation.keep', honourId: bot.f.titled.honour }, { reason: '已整改' });
    };
    await measure('revocation.keep', warmKeep, () => click(ADMIN, { action: 'revocation.keep', honourId: bot.f.alerted.honour }, { reason: '已整改' }));
    await upheldRun(bot.db, bot.f.adminLed.team);
    await measure('revocation.revoke', () => click(ADMIN, { action: 'revocation.revoke', honourId: bot.f.adminLed.honour }, { reason: '连续投诉' }), () => click(ADMIN, { action: 'revocation.revoke', honourId: bot.f.certified.honour }, { reason: '连续投诉' }));
    // what a second click costs now: the fast attempt, which writes nothing, then the ordinary path's answer (reported)
    const again = await click(ADMIN, { action: 'complaint.dismiss', complaintId: m1 }, { note: '不属实' });
    expect(again.body.toast?.type).toBe('info');
    figures.push(`  ${'dismiss, second click'.padEnd(20)} ${again.trips} round trips, ${again.statements.length} statements`);
    const revokedAgain = await click(ADMIN, { action: 'revocation.revoke', honourId: bot.f.certified.honour }, { reason: '连续投诉' });
    expect(revokedAgain.body.toast?.type).toBe('info');
    figures.push(`  ${'revoke, second click'.padEnd(20)} ${revokedAgain.trips} round trips, ${revokedAgain.statements.length} statements`);
    bot.app.processor.fastPaths = false;
    try {
      const ordinaryAgain = await click(ADMIN, { action: 'complaint.dismiss', complaintId: m1 }, { note: '不属实' });
      figures.push(`  ${'the same, ordinary'.padEnd(20)} ${ordinaryAgain.trips} round trips, ${ordinaryAgain.statements.length} statements`);
    } finally {
      bot.app.processor.fastPaths = true;
    }
    console.log(`投诉认定 / 撤销 / 保留, warm, one connection:\n${figures.join('\n')}`);
  });

  /** The statement on its own, for a case it must leave to the ordinary path: it answers undefined and writes nothing at all. */
  async function leavesIt(run: () => Promise<unknown>) {
    const db = bot.db;
    const before = { tables: await snapshot(db), events: await db.$count(processedEvents) };
    expect(await run()).toBeUndefined();
    expect({ tables: await snapshot(db), events: await db.$count(processedEvents) }).toEqual(before);
  }
  const who = (openId = ADMIN, eventId = randomEventId()) => ({ eventId, eventType: 'card.action.trigger', openId, now: new Date(NOW), bootstrapAdmins: [ADMIN], timezone: TZ });

  it('writes nothing, not even the claim, for what it leaves to the ordinary path', async () => {
    const open = await openComplaint(bot.f.plain.team, 5);
    const decide = (over: Partial<Parameters<typeof fastDecideComplaint>[1]> = {}) => () =>
      fastDecideComplaint(bot.counted, { ...who(), complaintId: open, decision: 'uphold', note: '属实', ...over });
    await leavesIt(decide({ openId: STRANGER }));
    await leavesIt(decide({ complaintId: 999_999 }));
    const decided = await openComplaint(bot.f.plain.team, 5);
    await click(ADMIN, { action: 'complaint.dismiss', complaintId: decided }, { note: '不属实' });
    await leavesIt(decide({ complaintId: decided }));
    await leavesIt(decide({ complaintId: decided, decision: 'dismiss' }));
    const seen = randomEventId();
    await bot.db.insert(processedEvents).values({ eventId: seen, eventType: 'card.action.trigger' });
    await leavesIt(decide({ ...who(ADMIN, seen) }));
    // the complainant deciding their own complaint (their notice is interactive on the ordinary path)
    await bot.db.update(people).set({ roles: ['admin'] }).where(eq(people.openId, CUSTOMER));
    await leavesIt(decide({ openId: CUSTOMER, complaintId: bot.f.titled.open[1], decision: 'dismiss' }));
    await bot.db.update(people).set({ roles: [] }).where(eq(people.openId, CUSTOMER));
    // an uphold that completes the run of a title: the alert is the ordinary path's (awarded after the complaints
    // decided so far, whose two upheld in a row would count otherwise)
    const [h] = await bot.db.insert(honours).values({ teamId: bot.f.plain.team, year: 2027, awardedAt: new Date('2027-03-05T12:00:00+08:00') }).returning();
    const [a, b] = [await openComplaint(bot.f.plain.team, 6), await openComplaint(bot.f.plain.team, 7)];
    expect((await click(ADMIN, { action: 'complaint.uphold', complaintId: a }, { note: '属实' })).trips).toBe(1);
    await leavesIt(decide({ complaintId: b }));
    // a run setting of a form only TypeScript reads
    await bot.db.update(cycles).set({ settings: { revocationRun: '3' } });
    await leavesIt(decide({ complaintId: b, decision: 'dismiss' }));
    await bot.db.update(cycles).set({ settings: { revocationBarDays: 200 } });
    // keep: not an administrator, no alert waiting, not the current title, revoked, unknown
    const keep = (honourId: number, openId = ADMIN) => () => fastKeepTitle(bot.counted, { ...who(openId), honourId, reason: '已整改' });
    await leavesIt(keep(h.id, STRANGER));
    await leavesIt(keep(bot.f.adminLed.honour));
    await leavesIt(keep(bot.f.certified.honour));
    await leavesIt(keep(999_999));
    // revoke: not an administrator, revoked before, unknown, the leader deciding
    const revoke = (honourId: number, openId = ADMIN) => () => fastRevokeTitle(bot.counted, { ...who(openId), honourId, reason: '连续投诉' });
    await leavesIt(revoke(h.id, STRANGER));
    await leavesIt(revoke(bot.f.certified.honour));
    await leavesIt(revoke(999_999));
    // revoke: the run of one upheld complaint short of the threshold, no alert waiting
    await leavesIt(revoke(h.id));
    for (const own of [bot.f.titled.leader, bot.f.titled.contact]) {
      await leavesIt(revoke(bot.f.titled.honour, own));
      await bot.db.update(people).set({ roles: ['admin'] }).where(eq(people.openId, own));
      await leavesIt(revoke(bot.f.titled.honour, own));
      await bot.db.update(people).set({ roles: [] }).where(eq(people.openId, own));
    }
    // the last seen before
    await leavesIt(() => fastRevokeTitle(bot.counted, { ...who(ADMIN, seen), honourId: h.id, reason: '连续投诉' }));
    await leavesIt(() => fastKeepTitle(bot.counted, { ...who(ADMIN, seen), honourId: h.id, reason: '已整改' }));
    // the run of the title reached (the alert raised by the ordinary path): 保留 of a later title of the team, awarded
    // after the run began (so not one it is against, titlesOfRun), is refused
    const [later] = await bot.db.insert(honours).values({ teamId: bot.f.plain.team, year: 2028, awardedAt: new Date('2027-03-09T00:00:00+08:00') }).returning();
    expect((await click(ADMIN, { action: 'complaint.uphold', complaintId: b }, { note: '属实' })).body.toast?.content).toBe('已认定投诉成立，撤销称号提醒已发出');
    await leavesIt(keep(later.id));
    // and 保留 of the title once it is revoked, its run still reached
    expect((await click(ADMIN, { action: 'revocation.revoke', honourId: h.id }, { reason: '连续投诉' })).trips).toBe(1);
    await leavesIt(keep(h.id));
  });

  it('at once: two clicks on one complaint, or 撤销 and 保留 of one title, end as the ordinary path ends them', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await openComplaint(bot.f.plain.team, 8);
      const [x, y] = await Promise.all([
        click(ADMIN, { action: 'complaint.uphold', complaintId: id }, { note: '属实' }),
        click(SECOND_ADMIN, { action: round % 2 ? 'complaint.dismiss' : 'complaint.uphold', complaintId: id }, { note: '核实' }),
      ]);
      const types = [x.body.toast?.type, y.body.toast?.type].sort();
      expect(types, JSON.stringify([x.body.toast, y.body.toast])).toEqual(['info', 'success']);
      expect(await bot.db.$count(auditLog, sql`${auditLog.entityId} = ${String(id)} and ${auditLog.action} like 'complaint.%'`)).toBe(1);
    }
    // the team's 2026 title revoked before, so the 2027 title is the only one it holds (with the 2026 title held too, the run
    // would count from the 2026 award, and the 保留 decided on it at this same frozen instant would end it)
    await bot.db.update(honours).set({ revokedAt: new Date('2027-02-20T10:00:00+08:00'), revokedReason: '连续投诉' }).where(eq(honours.id, bot.f.alerted.honour));
    const [h] = await bot.db.insert(honours).values({ teamId: bot.f.alerted.team, year: 2027, awardedAt: new Date('2027-03-01T00:00:00+08:00') }).returning();
    const [a, b] = [await openComplaint(bot.f.alerted.team, 2), await openComplaint(bot.f.alerted.team, 3)];
    await click(ADMIN, { action: 'complaint.uphold', complaintId: a }, { note: '属实' });
    await click(ADMIN, { action: 'complaint.uphold', complaintId: b }, { note: '属实' });
    const [k, r] = await Promise.all([
      click(ADMIN, { action: 'revocation.keep', honourId: h.id }, { reason: '已整改' }),
      click(SECOND_ADMIN, { action: 'revocation.revoke', honourId: h.id }, { reason: '连续投诉' }),
    ]);
    const [row] = await bot.db.select().from(honours).where(eq(honours.id, h.id));
    // whichever came first stands: the other is refused (a keep after a revoke, or a revoke after a keep), never both
    expect([k.body.toast?.type, r.body.toast?.type].sort(), JSON.stringify([k.body.toast, r.body.toast])).toEqual(['info', 'success']);
    if (r.body.toast?.type === 'success') expect([row.revokedAt, row.keptAt].map((x) => x !== null)).toEqual([true, false]);
    else expect([row.revokedAt, row.keptAt].map((x) => x !== null)).toEqual([false, true]);
  });
});
