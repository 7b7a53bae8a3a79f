import { and, count, eq, like } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it, vi } from 'vitest';
import { formalCheckRequestCard, leaderNoticeCard } from '../../cards/applications.js';
import type { Database, Db } from '../../db/index.js';
import { applications, auditLog, chatBindings, outbox, people, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { getApplication, summaryOf } from '../../src/applications.js';
import { cardRenderers } from '../../src/cardRenderers.js';
import { ManualClock } from '../../src/clock.js';
import { fastEndorse, type FastEndorseEvent } from '../../src/fast/endorse.js';
import { cardSpecOf } from '../../src/outbox.js';
import { cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { cardActionEvent, randomEventId } from '../support/larkEvents.js';
import { lockWaits, until } from '../support/waiting.js';
import { inEachWorld, twoWorlds } from '../support/worlds.js';
import { applicationForm, countedFixtureBot, type Fixture, NOW, OTHER_CONTACT, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 推荐 / 退回 by the organisation contact (第十五条) on its one-statement path (src/fast/endorse.ts) and on the
 * ordinary transaction: two bots, each on a fresh database seeded alike, one with the fast paths on and one with
 * them off, get the same signed, encrypted callbacks. The answers, the rows each leaves and the cards its notices
 * draw are the same, and the cards are those the handler built before the notices were drawn at send time. PGlite
 * has only the ordinary path (the fast one answers undefined there), so there one bot stands for both (twoWorlds'
 * oneOnPglite) and the comparisons hold trivially.
 */

type Body = { toast?: { type: string; content: string }; card?: { type: string; data?: any } };
const PG = testDatabaseKind() === 'postgres';
const SECOND_ADMIN = 'ou_endorseadmin00000000000000000002';
const PENDING_LEADER = 'pending:13800000099';
/** A team's registered contact whose org_contact role was taken away since. */
const ROLELESS_CONTACT = 'ou_rolelesscontact00000000000000001';
const TZ = 'Asia/Shanghai';

interface Side {
  h: Harness;
  f: Fixture;
  db: Db;
}

describe('推荐 / 退回: the one-statement path and the ordinary one', () => {
  const { fast, ordinary } = twoWorlds(async (): Promise<Side> => {
    const { h, f } = await startSecurityHarness();
    await h.db.db.insert(people).values([
      { openId: SECOND_ADMIN, name: '第二管理员', roles: ['admin'] },
      { openId: PENDING_LEADER, name: '待关联班组长' },
      { openId: ROLELESS_CONTACT, name: '前联系人' },
    ]);
    return { h, f, db: h.db.db };
  }, { oneOnPglite: true });
  /** The bots to change alike: on PGlite the one bot standing for both. */
  const sides = () => [...new Set([fast, ordinary])];

  let serial = 500;
  /** The same fresh team and application on both sides (the same ids: the databases are seeded alike); its id. */
  async function submittedApplication(opts: { status?: string; leader?: string; contact?: string; member?: string; leaderRow?: boolean } = {}): Promise<number> {
    const n = serial++;
    const ids = await Promise.all(
      sides().map(async ({ db, f }) => {
        const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
        const leader = opts.leader ?? personas.leader;
        const [t] = await db
          .insert(teams)
          .values({ ...a, id: undefined, code: `GDSZ-2025-0${n}`, name: `推荐测试${n}班`, leaderOpenId: leader, contactOpenId: opts.contact ?? personas.contact, createdAt: undefined, updatedAt: undefined })
          .returning();
        if (opts.leaderRow !== false) await db.insert(teamMembers).values({ teamId: t.id, openId: leader, role: 'leader' });
        if (opts.member) await db.insert(teamMembers).values({ teamId: t.id, openId: opts.member, role: 'member' });
        const [app] = await db
          .insert(applications)
          .values({ teamId: t.id, cycleId: f.cycleId, status: opts.status ?? 'submitted', form: applicationForm({ title: `成果${n}` }), submittedAt: new Date('2027-03-01T00:00:00Z') })
          .returning();
        return app.id;
      }),
    );
    expect(ids[0]).toBe(ids.at(-1));
    return ids[0];
  }

  /** One callback to one side, answered; the outbox is left as the callback left it (nothing is sent). */
  async function post(side: Side, openId: string, value: Record<string, unknown>, formValue: Record<string, unknown>, eventId: string): Promise<Body> {
    const res = await side.h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId, value, formValue, eventId }));
    expect(res.status).toBe(200);
    return res.body as Body;
  }

  /** The same callback to both sides: the two answers (on PGlite the one side's, as both). */
  async function both(openId: string, value: Record<string, unknown>, formValue: Record<string, unknown>, eventId = randomEventId()): Promise<[Body, Body]> {
    const answers = await inEachWorld({ fast, ordinary }, (side) => post(side, openId, value, formValue, eventId));
    return [answers.fast, answers.ordinary];
  }

  /** What a decision leaves: the application, its audit rows, the event's outbox rows and its claim (database-made times and ids aside). */
  async function leftBy(db: Db, applicationId: number, eventId: string) {
    const [{ createdAt: _c, ...application }] = await db.select().from(applications).where(eq(applications.id, applicationId));
    const audits = (await db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(applicationId))))).map(({ id: _i, at: _a, ...r }) => r);
    const rows = (await db.select().from(outbox).where(like(outbox.dedupeKey, `%${eventId}%`)).orderBy(outbox.dedupeKey)).map(
      ({ id: _i, createdAt: _c2, nextAttemptAt: _n, ...r }) => r,
    );
    const claims = (await db.select().from(processedEvents).where(eq(processedEvents.eventId, eventId))).map(({ receivedAt: _r, ...r }) => r);
    return { application, audits, outbox: rows, claims };
  }

  /** The event's outbox cards drawn by the renderers the dispatcher uses, by dedupe key. */
  async function drawn(db: Db, eventId: string): Promise<Record<string, unknown>> {
    const renderers = cardRenderers(db, TZ, new ManualClock(NOW));
    const out: Record<string, unknown> = {};
    for (const row of await db.select().from(outbox).where(like(outbox.dedupeKey, `%${eventId}%`))) {
      const spec = cardSpecOf(row);
      expect(spec, `${row.dedupeKey} is drawn when it is sent`).toBeDefined();
      const [card] = await renderers[spec!.kind]([spec!], [row]);
      out[row.dedupeKey] = card;
    }
    return out;
  }

  /** The cards the handler built before they were drawn at send time: the same functions on the application as the decision left it. */
  async function cardsBefore(db: Db, applicationId: number, decision: 'recommend' | 'return', opinion: string) {
    const row = (await getApplication(db, applicationId))!;
    const summary = summaryOf(row.application, row.team, row.organization, row.cycle.year);
    // the administrators' request names who recommended: the contact persona, 联系人 in people
    return { leader: leaderNoticeCard(summary, decision === 'recommend' ? 'recommended' : 'returnedByOrganization', opinion), admins: formalCheckRequestCard(summary, '联系人') };
  }

  const recommendForm = { truthful: true, opinion: '材料属实，同意推荐' };
  const returnForm = { opinion: '材料链接无法打开，请补充' };

  describe.each([
    { name: '推荐, administrators in p2p', action: 'endorse.recommend', decision: 'recommend', form: recommendForm, group: false, leader: undefined },
    { name: '推荐, to the bound admin group', action: 'endorse.recommend', decision: 'recommend', form: recommendForm, group: true, leader: undefined },
    { name: '退回', action: 'endorse.return', decision: 'return', form: returnForm, group: false, leader: undefined },
    { name: '推荐 of a team whose leader is not linked to Feishu yet', action: 'endorse.recommend', decision: 'recommend', form: recommendForm, group: false, leader: PENDING_LEADER },
    { name: '退回 of a team whose leader an import named by mobile and who never wrote to the bot', action: 'endorse.return', decision: 'return', form: returnForm, group: false, leader: PENDING_LEADER },
  ] as const)('$name', ({ action, decision, form, group, leader }) => {
    it('answers, writes and queues the same; the notices draw the cards the handler built', async () => {
      if (group) for (const { db } of sides()) await db.insert(chatBindings).values({ chatId: 'oc_endorse_admins', purpose: 'admin', boundBy: ADMIN });
      try {
        const applicationId = await submittedApplication({ leader });
        const eventId = randomEventId();
        // the fast side's answer comes from its one statement on PostgreSQL (the processor's bookkeeping of a fast outcome)
        const tookFast = vi.spyOn(fast.h.app.processor as unknown as { answered(...args: unknown[]): unknown }, 'answered');
        const [a, b] = await both(personas.contact, { action, applicationId }, form, eventId);
        expect(tookFast).toHaveBeenCalledTimes(PG ? 1 : 0);
        tookFast.mockRestore();
        expect(a.toast).toEqual({ type: 'success', content: decision === 'recommend' ? '已推荐，报协会形式审查' : leader ? '已退回；班组长尚未关联飞书，未收到你的意见' : '已退回，班组长会收到你的意见' });
        if (decision === 'return') {
          expect(cardText(a.card!.data)).toContain(leader ? '班组长尚未关联飞书，未通知，关联后不会补发，可在“进度”中看到退回意见；请转告其修改后重新提交。' : '已通知班组长修改后重新提交。');
        }
        expect(a.card?.data?.header?.title?.content).toBe(`${decision === 'recommend' ? '已推荐' : '已退回'}：推荐测试${serial - 1}班`);
        expect(a).toEqual(b);

        const [left, leftOrdinary] = [await leftBy(fast.db, applicationId, eventId), await leftBy(ordinary.db, applicationId, eventId)];
        expect(left).toEqual(leftOrdinary);
        expect(left.application.status).toBe(decision === 'recommend' ? 'recommended' : 'returned');
        expect(left.audits).toEqual([{ actor: personas.contact, action: `application.${decision === 'recommend' ? 'recommend' : 'returnByOrganization'}`, entity: 'application', entityId: String(applicationId), details: decision === 'recommend' ? { opinion: form.opinion } : { opinion: form.opinion, form: left.application.form } }]);
        expect(left.claims).toHaveLength(1);
        const receivers = left.outbox.map((r) => r.receiver).sort();
        const admins = decision === 'return' ? [] : group ? ['oc_endorse_admins'] : [ADMIN, SECOND_ADMIN];
        expect(receivers).toEqual([...(leader ? [] : [personas.leader]), ...admins].sort());

        const cards = await drawn(fast.db, eventId);
        expect(cards).toEqual(await drawn(ordinary.db, eventId));
        const before = await cardsBefore(fast.db, applicationId, decision, form.opinion);
        for (const row of left.outbox) {
          expect(cards[row.dedupeKey], row.dedupeKey).toEqual({ card: row.dedupeKey.startsWith('check:request:') ? before.admins : before.leader });
        }

        // what Feishu receives when the outbox sends them
        const sent = async (side: Side) => {
          side.h.fake.reset();
          await side.h.drain();
          return side.h.fake.messages.map((m) => ({ to: m.receiveId, type: m.msgType, content: m.content })).sort((x, y) => x.to.localeCompare(y.to));
        };
        const { fast: sentFast, ordinary: sentOrdinary } = await inEachWorld({ fast, ordinary }, sent);
        expect(sentFast).toEqual(sentOrdinary);
        expect(sentFast.map((m) => m.to)).toEqual(receivers);
      } finally {
        if (group) for (const { db } of sides()) await db.delete(chatBindings).where(eq(chatBindings.chatId, 'oc_endorse_admins'));
      }
    });
  });

  it('a notice drawn after the application moved on still shows the state the decision made; one of no application is dropped', async () => {
    const applicationId = await submittedApplication();
    const eventId = randomEventId();
    await post(fast, personas.contact, { action: 'endorse.recommend', applicationId }, recommendForm, eventId);
    const before = await cardsBefore(fast.db, applicationId, 'recommend', recommendForm.opinion);
    // 形式审查 accepted it before the outbox sent the notices
    await fast.db.update(applications).set({ status: 'accepted' }).where(eq(applications.id, applicationId));
    const cards = await drawn(fast.db, eventId);
    expect(Object.keys(cards)).toHaveLength(3);
    for (const [key, card] of Object.entries(cards)) expect(card, key).toEqual({ card: key.startsWith('check:request:') ? before.admins : before.leader });
    const renderers = cardRenderers(fast.db, TZ);
    expect(await renderers.endorsementLeaderNotice([{ kind: 'endorsementLeaderNotice', applicationId: 2_000_000_000, decision: 'return', opinion: '请补充' }])).toEqual([
      { drop: '申报 2000000000 不存在' },
    ]);
    expect(await renderers.formalCheckRequest([{ kind: 'formalCheckRequest', applicationId: 2_000_000_000 }])).toEqual([{ drop: '申报 2000000000 不存在' }]);
    expect(await renderers.endorsementLeaderNotice([{ kind: 'endorsementLeaderNotice', applicationId }])).toMatchObject([{ error: expect.stringContaining('推荐通知的描述不完整') }]);
  });

  // ---- refusals: the fast path writes nothing and the ordinary path answers them as it always has ----

  interface Refusal {
    name: string;
    setup(): Promise<{ openId: string; value: Record<string, unknown>; form: Record<string, unknown> }>;
    toast: { type: string; content: string | RegExp };
  }

  const refusals: Refusal[] = [
    {
      name: 'another organisation contact',
      setup: async () => ({ openId: OTHER_CONTACT, value: { action: 'endorse.recommend', applicationId: await submittedApplication() }, form: recommendForm }),
      toast: { type: 'error', content: '第十五条：只有该班组登记的单位联系人可以确认和推荐申报材料。' },
    },
    {
      name: 'someone who is no organisation contact at all',
      setup: async () => ({ openId: personas.member, value: { action: 'endorse.return', applicationId: await submittedApplication() }, form: returnForm }),
      toast: { type: 'error', content: '第十五条：只有该班组登记的单位联系人可以使用此功能。' },
    },
    {
      name: 'the team\'s contact whose org_contact role was taken away',
      setup: async () => ({ openId: ROLELESS_CONTACT, value: { action: 'endorse.recommend', applicationId: await submittedApplication({ contact: ROLELESS_CONTACT }) }, form: recommendForm }),
      toast: { type: 'error', content: '第十五条：只有该班组登记的单位联系人可以使用此功能。' },
    },
    {
      name: 'the contact who leads the team',
      setup: async () => ({ openId: personas.contact, value: { action: 'endorse.recommend', applicationId: await submittedApplication({ leader: personas.contact }) }, form: recommendForm }),
      toast: { type: 'error', content: /^第十五条：申报材料须由所在单位确认并填写推荐意见，班组长和班组成员不能确认本班组的申报/ },
    },
    {
      // teams.leader_open_id alone names them (no team_members row): the leader is still the team
      name: 'the contact named as leader of the team only',
      setup: async () => ({ openId: personas.contact, value: { action: 'endorse.return', applicationId: await submittedApplication({ leader: personas.contact, leaderRow: false }) }, form: returnForm }),
      toast: { type: 'error', content: /^第十五条：申报材料须由所在单位确认并填写推荐意见，班组长和班组成员不能确认本班组的申报/ },
    },
    {
      name: 'the contact who is a member of the team',
      setup: async () => ({ openId: personas.contact, value: { action: 'endorse.return', applicationId: await submittedApplication({ member: personas.contact }) }, form: returnForm }),
      toast: { type: 'error', content: /^第十五条：申报材料须由所在单位确认并填写推荐意见，班组长和班组成员不能确认本班组的申报/ },
    },
    {
      name: 'a draft, not submitted',
      setup: async () => ({ openId: personas.contact, value: { action: 'endorse.recommend', applicationId: await submittedApplication({ status: 'draft' }) }, form: recommendForm }),
      toast: { type: 'info', content: '当前状态为“草稿”，不能进行此操作。申报还是草稿：请班组长填写完整后点“提交申报”。' },
    },
    {
      name: 'an application recommended by another contact, returned',
      setup: async () => ({ openId: OTHER_CONTACT, value: { action: 'endorse.return', applicationId: fast.f.appC }, form: returnForm }),
      toast: { type: 'info', content: '当前状态为“待协会形式审查”，不能进行此操作。单位已推荐，等待协会形式审查；如需修改，请联系协会退回。' },
    },
    {
      name: 'a recommendation without its opinion',
      setup: async () => ({ openId: personas.contact, value: { action: 'endorse.recommend', applicationId: await submittedApplication() }, form: { truthful: true, opinion: '' } }),
      toast: { type: 'error', content: /推荐意见/ },
    },
    {
      name: 'a recommendation without the truthfulness confirmed',
      setup: async () => ({ openId: personas.contact, value: { action: 'endorse.recommend', applicationId: await submittedApplication() }, form: { opinion: '同意推荐' } }),
      toast: { type: 'error', content: /材料真实性确认/ },
    },
    {
      name: 'a return without its opinion',
      setup: async () => ({ openId: personas.contact, value: { action: 'endorse.return', applicationId: await submittedApplication() }, form: { opinion: '  ' } }),
      toast: { type: 'error', content: /退回意见/ },
    },
    {
      name: 'a button whose id does not parse',
      setup: async () => ({ openId: personas.contact, value: { action: 'endorse.recommend', applicationId: 'x1' }, form: recommendForm }),
      toast: { type: 'error', content: '这个按钮已失效，请重新打开菜单。' },
    },
  ];

  const totals = async (db: Db) => ({
    audit: (await db.select({ n: count() }).from(auditLog))[0].n,
    outbox: (await db.select({ n: count() }).from(outbox))[0].n,
    applications: JSON.stringify(await db.select().from(applications).orderBy(applications.id)),
  });

  it.each(refusals.map((r) => [r.name, r] as const))('refused as before: %s', async (_name, r) => {
    const { openId, value, form } = await r.setup();
    const before = await Promise.all(sides().map(({ db }) => totals(db)));
    const eventId = randomEventId();
    const [a, b] = await both(openId, value, form, eventId);
    expect(a).toEqual(b);
    expect(a.toast?.type).toBe(r.toast.type);
    if (typeof r.toast.content === 'string') expect(a.toast?.content).toBe(r.toast.content);
    else expect(a.toast?.content).toMatch(r.toast.content);
    // nothing changed but the event's record, which the ordinary refusal writes (one row)
    for (const [i, { db }] of sides().entries()) {
      expect(await totals(db)).toEqual(before[i]);
      expect(await db.select().from(processedEvents).where(eq(processedEvents.eventId, eventId))).toHaveLength(1);
    }
  });

  it('退回 past the deadline asks first, then takes the application out of the year, and every message says so', async () => {
    const applicationId = await submittedApplication();
    for (const { h } of sides()) h.clock.set('2027-06-01T10:00:00+08:00');
    try {
      const value = { action: 'endorse.return', applicationId };
      const form = { truthful: true, opinion: '缺少 QC 活动记录' };
      const asked = await both(personas.contact, value, form);
      expect(asked[0]).toEqual(asked[1]);
      expect(asked[0].toast).toMatchObject({ type: 'info', content: expect.stringContaining('退回后班组不能再修改提交，这份申报将不参加 2027 年度评审') });
      const again = JSON.stringify(asked[0].card!.data);
      expect(again).toContain('确认退回（不参加本年度评审）');
      expect(again).toContain('缺少 QC 活动记录');
      expect(again).toMatch(/"action":"endorse\.return","applicationId":\d+,"submitted":\d+,"late":true/);
      for (const { db } of sides()) expect((await db.select().from(applications).where(eq(applications.id, applicationId)))[0].status).toBe('submitted');

      const eventId = randomEventId();
      const confirmed = await both(personas.contact, { ...value, late: true }, form, eventId);
      expect(confirmed[0]).toEqual(confirmed[1]);
      expect(confirmed[0].toast).toEqual({ type: 'success', content: '已退回，班组长会收到你的意见；申报已截止，这份申报不参加本年度评审' });
      expect(JSON.stringify(confirmed[0].card!.data)).toContain('这份申报不能再修改提交，不参加本年度评审');
      for (const { db, h } of sides()) {
        expect((await db.select().from(applications).where(eq(applications.id, applicationId)))[0].status).toBe('returned');
        const renderers = cardRenderers(db, TZ, h.clock);
        const [row] = await db.select().from(outbox).where(like(outbox.dedupeKey, `%${eventId}%`));
        const [notice] = await renderers[cardSpecOf(row)!.kind]([cardSpecOf(row)!], [row]);
        const text = JSON.stringify(notice);
        expect(text).toContain('2027 年度申报已于 2027年5月31日 截止，这份申报不能再修改提交，不参加本年度评审');
        expect(text).not.toContain('application.open');
      }
    } finally {
      for (const { h } of sides()) h.clock.set(NOW);
    }
  });

  it('a second click, one after the other: the done card, and when it was done', async () => {
    const applicationId = await submittedApplication();
    const value = { action: 'endorse.recommend', applicationId };
    const first = await both(personas.contact, value, recommendForm);
    const [a, b] = await both(personas.contact, value, recommendForm);
    expect(a).toEqual(b);
    expect(a.toast?.type).toBe('info');
    expect(a.toast?.content).toMatch(/^已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 推荐，无需重复推荐。$/);
    expect(a.card).toEqual(first[0].card);
    for (const { db } of sides()) {
      expect(await db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(applicationId))))).toHaveLength(1);
    }
  });

  it('the same delivery twice: done once, the second told it was handled', async () => {
    const applicationId = await submittedApplication();
    const eventId = randomEventId();
    const value = { action: 'endorse.return', applicationId };
    await both(personas.contact, value, returnForm, eventId);
    const [a, b] = await both(personas.contact, value, returnForm, eventId);
    expect(a).toEqual(b);
    expect(a).toEqual({ toast: { type: 'info', content: '“退回修改”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' } });
    for (const { db } of sides()) {
      expect(await db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(applicationId))))).toHaveLength(1);
      expect(await db.select().from(outbox).where(like(outbox.dedupeKey, `%${eventId}%`))).toHaveLength(1);
    }
  });

  // ---- at once, fast paths on ----

  it('the same click twice at once, under two event ids: one success, one told when it was done', async () => {
    const applicationId = await submittedApplication();
    const value = { action: 'endorse.recommend', applicationId };
    const answers = await Promise.all([randomEventId(), randomEventId()].map((eventId) => post(fast, personas.contact, value, recommendForm, eventId)));
    expect(answers.map((x) => x.toast?.type).sort()).toEqual(['info', 'success']);
    const [ok, again] = answers[0].toast?.type === 'success' ? answers : [answers[1], answers[0]];
    expect(again.toast?.content).toMatch(/^已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 推荐，无需重复推荐。$/);
    expect(again.card).toEqual(ok.card);
    expect(await fast.db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(applicationId))))).toHaveLength(1);
    expect(await fast.db.select().from(outbox).where(like(outbox.dedupeKey, `%:${applicationId}:%`))).toHaveLength(3);
  });

  it('推荐 and 退回 of one application at once: one is made, the other told which was made and when', async () => {
    const applicationId = await submittedApplication();
    const answers = await Promise.all([
      post(fast, personas.contact, { action: 'endorse.recommend', applicationId }, recommendForm, randomEventId()),
      post(fast, personas.contact, { action: 'endorse.return', applicationId }, returnForm, randomEventId()),
    ]);
    const made = answers.filter((x) => x.toast?.type === 'success');
    expect(made).toHaveLength(1);
    const other = answers.find((x) => x !== made[0])!;
    const [, did, asked] = /^你已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} (推荐|退回)这份申报，无需再(退回|推荐)。$/.exec(other.toast?.content ?? '') ?? [];
    expect(did, other.toast?.content).toBe(made[0] === answers[0] ? '推荐' : '退回');
    expect(asked).toBe(made[0] === answers[0] ? '退回' : '推荐');
    expect(await fast.db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(applicationId))))).toHaveLength(1);
  });

  it.skipIf(!PG)('two clicks waiting on the application row together: the first to take it decides, the second finds it done', async () => {
    const applicationId = await submittedApplication();
    const holder = postgres(fast.h.db.url!, { max: 1, onnotice: () => {} });
    try {
      let clicks: Promise<Body[]> | undefined;
      await holder.begin(async (tx) => {
        await tx`select 1 from applications where id = ${applicationId} for update`;
        const value = { action: 'endorse.recommend', applicationId };
        clicks = Promise.all([randomEventId(), randomEventId()].map((eventId) => post(fast, personas.contact, value, recommendForm, eventId)));
        // both fast attempts wait for the lock the ordinary UPDATE takes, before either statement decides
        await until(async () => (await lockWaits(fast.db)) >= 2);
      });
      const answers = await clicks!;
      expect(answers.map((x) => x.toast?.type).sort()).toEqual(['info', 'success']);
      expect(answers.find((x) => x.toast?.type === 'info')!.toast!.content).toMatch(/^已于 .+ 推荐，无需重复推荐。$/);
      expect(await fast.db.select().from(auditLog).where(and(eq(auditLog.entity, 'application'), eq(auditLog.entityId, String(applicationId))))).toHaveLength(1);
    } finally {
      await holder.end();
    }
  });

  // ---- the fast path itself, on PostgreSQL: a refusal writes nothing at all, not even the claim ----

  it.skipIf(!PG)('leaves every refusal to the ordinary path having written nothing', async () => {
    const db = fast.db;
    const event = (applicationId: number, over: Partial<FastEndorseEvent> = {}): FastEndorseEvent => ({
      eventId: randomEventId(),
      eventType: 'card.action.trigger',
      openId: personas.contact,
      applicationId,
      decision: 'recommend',
      input: { truthful: true, opinion: '同意推荐' },
      now: new Date(NOW),
      bootstrapAdmins: [ADMIN],
      today: '2027-03-10',
      ...over,
    });
    const cases: [string, FastEndorseEvent][] = [
      ['another contact', event(await submittedApplication(), { openId: OTHER_CONTACT })],
      ['no org_contact persona', event(await submittedApplication(), { openId: personas.member })],
      ['the contact without the org_contact role', event(await submittedApplication({ contact: ROLELESS_CONTACT }), { openId: ROLELESS_CONTACT })],
      ['the leader as contact', event(await submittedApplication({ leader: personas.contact }))],
      ['the leader as contact, without a member row', event(await submittedApplication({ leader: personas.contact, leaderRow: false }))],
      ['a member as contact', event(await submittedApplication({ member: personas.contact }), { decision: 'return' })],
      ['a draft', event(await submittedApplication({ status: 'draft' }))],
      ['returned already', event(await submittedApplication({ status: 'returned' }), { decision: 'return' })],
      ['no such application', event(2_000_000_000)],
      ['an administrator told in p2p', event(await submittedApplication(), { bootstrapAdmins: [ADMIN, personas.contact] })],
      ['a return past the deadline (asked to confirm)', event(await submittedApplication(), { decision: 'return', today: '2027-06-01' })],
    ];
    for (const [name, e] of cases) {
      const before = await totals(db);
      expect(await fastEndorse(fast.h.db as Database, e), name).toBeUndefined();
      expect(await totals(db), name).toEqual(before);
      expect(await db.select().from(processedEvents).where(eq(processedEvents.eventId, e.eventId)), name).toHaveLength(0);
    }
    // an event seen before: not claimed again, nothing written
    const seen = event(await submittedApplication());
    await db.insert(processedEvents).values({ eventId: seen.eventId, eventType: 'card.action.trigger' });
    const before = await totals(db);
    expect(await fastEndorse(fast.h.db as Database, seen)).toBeUndefined();
    expect(await totals(db)).toEqual(before);
    // and the success it is for
    const ok = event(await submittedApplication());
    expect(await fastEndorse(fast.h.db as Database, ok)).toMatchObject({ application: { status: 'recommended' }, queued: 3 });
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('推荐 / 退回 round trips, warm, on one connection (PostgreSQL)', () => {
  const bot = countedFixtureBot(undefined, { db: 'counted', countUntil: 'answer' });
  const click = (openId: string, value: Record<string, unknown>, form: Record<string, unknown>) => bot.click<Body>(openId, value, form);
  const setFast = (on: boolean) => void (bot.app.processor.fastPaths = on);
  let n = 700;
  const fresh = async () => {
    const { db, f } = bot;
    const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
    const [t] = await db.insert(teams).values({ ...a, id: undefined, code: `GDSZ-2025-0${n}`, name: `往返推荐${n++}班`, createdAt: undefined, updatedAt: undefined }).returning();
    await db.insert(teamMembers).values({ teamId: t.id, openId: personas.leader, role: 'leader' });
    const [app2] = await db.insert(applications).values({ teamId: t.id, cycleId: f.cycleId, status: 'submitted', form: applicationForm() }).returning();
    return app2.id;
  };

  const forms = { 'endorse.recommend': { truthful: true, opinion: '材料属实，同意推荐' }, 'endorse.return': { opinion: '请补充材料' } } as const;

  it.each(Object.keys(forms) as (keyof typeof forms)[])('%s: one round trip on the fast path (the ordinary path beside it)', async (action) => {
    const trips: Record<string, number> = {};
    for (const on of [false, true]) {
      setFast(on);
      try {
        // warm: the statements get prepared on the connection
        expect((await click(personas.contact, { action, applicationId: await fresh() }, forms[action])).body.toast?.type).toBe('success');
        const r = await click(personas.contact, { action, applicationId: await fresh() }, forms[action]);
        expect(r.body.toast?.type).toBe('success');
        trips[on ? 'fast' : 'ordinary'] = r.trips;
      } finally {
        setFast(true);
      }
    }
    console.log(`${action}: ${trips.fast} round trip(s) on the fast path, ${trips.ordinary} on the ordinary path`);
    expect(trips.fast).toBe(1);
    expect(trips.ordinary).toBeGreaterThan(1);
  });
});
