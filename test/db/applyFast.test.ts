import { asc, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endorsementRequestCard } from '../../cards/applications.js';
import type { Db } from '../../db/index.js';
import { applications, auditLog, cycles, honours, outbox, people, processedEvents, teamMembers, teams } from '../../db/schema.js';
import { applicationLabels, applicationSchema, endorsementForm, getApplication, summaryOf } from '../../src/applications.js';
import { parseForm } from '../../src/forms.js';
import { fastSaveDraft, fastSubmitApplication, revocationBarSql } from '../../src/fast/apply.js';
import { rowsOf } from '../../src/outbox.js';
import { revocationBarDays } from '../../src/policy.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import type { Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { lockWaits, until } from '../support/waiting.js';
import { twoWorlds } from '../support/worlds.js';
import { applicationForm, countedFixtureBot, type Fixture, NOW, OTHER_LEADER, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 申报 保存 and 提交 take one statement on PostgreSQL (src/fast/apply.ts) when they succeed, and the ordinary path
 * otherwise. Every case runs on two bots over two databases seeded alike, one with the fast paths on and one with
 * them off, through signed, encrypted callbacks with the same event ids: the answers and every row written
 * (applications, audit, outbox, events) must be the same, and the request the contact receives must be the card
 * 提交 drew before it was drawn at send time. On PGlite both bots take the ordinary path.
 */

const PENDING_CONTACT = 'pending:13800009999';
/** Named as a team's leader, but no leader in team_members: not the leader persona. */
const UNLISTED_LEADER = 'ou_unlistedleader0000000000000000001';
const SAME_TIME = /\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/g;
const doneAt = /已于 ?\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const isPostgres = testDatabaseKind() === 'postgres';
/** What 提交 stores for applicationForm(): the other click of a double click, racing this one, wrote the same. */
const sameForm = () => JSON.stringify(parseForm(applicationSchema, applicationForm(), applicationLabels));

/** A team like team A (a year old by the deadline, the contact persona), led by the leader persona unless `over` says otherwise. */
async function freshTeam(db: Db, f: Fixture, over: Partial<typeof teams.$inferInsert> = {}): Promise<number> {
  const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
  // named after how many teams there are: the same on two databases seeded alike
  const n = 500 + (await db.select({ n: count() }).from(teams))[0].n;
  const [t] = await db
    .insert(teams)
    .values({ ...a, id: undefined, code: `GDSZ-2025-0${n}`, name: `一趟申报${n}班`, createdAt: undefined, updatedAt: undefined, ...over })
    .returning();
  await db.insert(teamMembers).values({ teamId: t.id, openId: t.leaderOpenId, role: 'leader' }).onConflictDoNothing();
  return t.id;
}

/** An application of the team in the fixture's cycle. */
async function applicationOf(db: Db, f: Fixture, teamId: number, status: string, extra: Partial<typeof applications.$inferInsert> = {}): Promise<number> {
  const [a] = await db.insert(applications).values({ teamId, cycleId: f.cycleId, status, form: { title: '旧草稿' }, ...extra }).returning();
  return a.id;
}

type Snapshot = Record<string, Record<string, unknown>[]>;

async function snapshot(db: Db): Promise<Snapshot> {
  return {
    applications: await db.select().from(applications).orderBy(asc(applications.id)),
    audit: await db.select().from(auditLog).orderBy(asc(auditLog.id)),
    outbox: await db.select().from(outbox).orderBy(asc(outbox.id)),
    events: await db.select().from(processedEvents).orderBy(asc(processedEvents.eventId)),
  };
}

/** A time the database stamped (now()), or the bot took from the real clock: never the same on two bots. */
function normalised(v: unknown, key = ''): unknown {
  if (v instanceof Date) return Math.abs(v.getTime() - Date.now()) < 15 * 60_000 ? '<now>' : v.toISOString();
  if (key === 'messageId') return v === null ? null : '<message id>';
  if (Array.isArray(v)) return v.map((x) => normalised(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalised(x, k)]));
  return v;
}

/** The rows added or changed between two snapshots, by table. */
function changes(before: Snapshot, after: Snapshot) {
  const key = (r: Record<string, unknown>) => String(r.id ?? r.eventId);
  return Object.fromEntries(
    Object.entries(after).map(([table, rows]) => {
      const old = new Map(before[table].map((r) => [key(r), JSON.stringify(normalised(r))]));
      return [table, rows.map((r) => normalised(r)).filter((r) => old.get(key(r as never)) !== JSON.stringify(r))];
    }),
  );
}

/** The answer as a person reads it; the minute a thing was done (read from a row the database stamped) aside. */
const answerText = (a: unknown) => JSON.parse(JSON.stringify(a ?? null).replace(SAME_TIME, '<time>'));

interface Step {
  who: string;
  value: Record<string, unknown>;
  form?: Record<string, unknown>;
  eventId: string;
}

interface Case<V> {
  setup(h: Harness, f: Fixture): Promise<V>;
  steps(v: V): Step[];
  after?(h: Harness, f: Fixture): Promise<void>;
}

describe('申报 保存 and 提交 with the fast paths on and off: the same answers, the same rows', () => {
  const worlds = twoWorlds(startSecurityHarness, { oneOnPglite: true });
  let fast: Harness;
  let ordinary: Harness;
  let f: Fixture;

  beforeAll(() => {
    [fast, ordinary, f] = [worlds.fast.h, worlds.ordinary.h, worlds.fast.f];
    // seeded alike: the same ids on both databases
    expect(worlds.ordinary.f).toEqual(f);
  });

  /** The case on both bots (on PGlite the one bot standing for both); what each answered and changed must be the same. Returns the fast bot's. */
  async function onBoth<V>(c: Case<V>) {
    const runs = [];
    // the same clicks, with the same event ids, on both bots (the rows are the same: v is)
    let steps: Step[] | undefined;
    for (const h of new Set([fast, ordinary])) {
      const v = await c.setup(h, f);
      steps ??= c.steps(v);
      const before = await snapshot(h.db.db);
      const sentBefore = h.fake.messages.length;
      const answers = [];
      try {
        for (const s of steps) answers.push(await h.click(s.who, s.value, s.form, { eventId: s.eventId }));
      } finally {
        await c.after?.(h, f);
      }
      const after = await snapshot(h.db.db);
      const sent = h.fake.messages.slice(sentBefore).map((m) => ({ to: m.receiveId, type: m.msgType, content: m.content }));
      runs.push({ v, answers, changed: changes(before, after), sent, h });
    }
    const [onFast, onOrdinary] = [runs[0], runs.at(-1)!];
    expect(onFast.v).toEqual(onOrdinary.v);
    expect(answerText(onFast.answers)).toEqual(answerText(onOrdinary.answers));
    expect(onFast.changed).toEqual(onOrdinary.changed);
    expect(onFast.sent).toEqual(onOrdinary.sent);
    return onFast;
  }

  /** The contact's request as 提交 drew it before it was drawn at send time. */
  async function requestCardOf(db: Db, applicationId: number) {
    const row = (await getApplication(db, applicationId))!;
    return endorsementRequestCard(summaryOf(row.application, row.team, row.organization, row.cycle.year), { descriptor: endorsementForm });
  }

  const save = (teamId: number, form: Record<string, unknown>, who: string = personas.leader, eventId = randomEventId()): Step => ({ who, value: { action: 'application.save', teamId, year: YEAR }, form, eventId });
  const submit = (teamId: number, form: Record<string, unknown> = applicationForm(), who: string = personas.leader, eventId = randomEventId()): Step => ({
    who,
    value: { action: 'application.submit', teamId, year: YEAR },
    form,
    eventId,
  });

  // ---- what succeeds ----

  describe('a success', () => {
    it('保存 of a first draft: the form again, the draft created and audited', async () => {
      const e = randomEventId();
      const r = await onBoth({ setup: (h) => freshTeam(h.db.db, f), steps: (t) => [save(t, applicationForm({ title: '  新草稿 ', endDate: '' }), personas.leader, e)] });
      expect(r.answers[0].toast).toEqual({ type: 'success', content: '草稿已保存，可随时发送“申报”继续填写' });
      expect(r.changed.applications).toMatchObject([{ status: 'draft', form: { title: '新草稿' } }]);
      expect(r.changed.audit).toMatchObject([{ action: 'application.create', actor: personas.leader }]);
      expect(r.changed.events).toMatchObject([{ eventId: e }]);
      expect(r.changed.outbox).toEqual([]);
    });

    it('保存 over a draft and over a returned application: updated, the reason it was returned still on the form until it is submitted again', async () => {
      for (const status of ['draft', 'returned']) {
        const r = await onBoth({
          setup: async (h) => {
            const t = await freshTeam(h.db.db, f);
            await applicationOf(h.db.db, f, t, status, { endorsement: { decision: 'return', opinion: '请补充材料', returnReason: '缺少 QC 记录' } });
            return t;
          },
          steps: (t) => [save(t, { title: '改过的草稿', trainingRate: '８５' })],
        });
        // a returned application saved is still returned (saveReturned): 进度 and the reminders say so
        expect(r.changed.applications, status).toMatchObject([{ status, form: { title: '改过的草稿', trainingRate: '８５' } }]);
        expect(r.changed.audit, status).toMatchObject([{ action: 'application.save' }]);
        expect(JSON.stringify(r.answers[0].card), status).toContain('**退回意见：**缺少 QC 记录');
      }
    });

    it('提交 of a new application, of a draft and of a returned one: the summary card, one audit row, the contact’s request', async () => {
      for (const status of [undefined, 'draft', 'returned']) {
        const r = await onBoth({
          setup: async (h) => {
            const t = await freshTeam(h.db.db, f);
            if (status) await applicationOf(h.db.db, f, t, status);
            return t;
          },
          steps: (t) => [submit(t, applicationForm({ title: `提交${status ?? '新'}`, summary: '<at id=all></at> **成果**' }))],
        });
        expect(r.answers[0].toast, String(status)).toEqual({ type: 'success', content: '已提交，等待单位联系人确认（第十五条）' });
        const [application] = r.changed.applications as { id: number; status: string }[];
        expect(application.status).toBe('submitted');
        expect(r.changed.audit).toMatchObject([{ action: 'application.submit', details: { teamId: r.v, cycle: YEAR } }]);
        expect(r.changed.outbox).toMatchObject([{ dedupeKey: `endorse:request:${application.id}:${(r.changed.events[0] as { eventId: string }).eventId}`, receiver: personas.contact, priority: 1, status: 'sent' }]);
        // the request drawn at send time is the card 提交 built before
        expect(r.sent).toEqual([{ to: personas.contact, type: 'interactive', content: await requestCardOf(r.h.db.db, application.id) }]);
      }
    });

    it('提交 of an application returned by its contact, and by the association: the contact’s request says 重新提交 and the return it answers, alike on both paths', async () => {
      const returns = [
        { endorsement: { decision: 'return', truthful: false, opinion: '请补充 **QC** 记录', by: personas.contact, at: '2027-03-05T02:00:00.000Z' }, says: '这份申报曾被单位联系人 联系人退回（2027年3月5日），退回意见：请补充 &#42;&#42;QC&#42;&#42; 记录。' },
        { audit: { action: 'application.returnByAssociation', details: { reason: '缺少满意度证明' } }, endorsement: { decision: 'recommend', opinion: '同意', by: personas.contact, returnReason: '缺少满意度证明' }, says: '这份申报曾被协会形式审查退回（2027年3月6日），退回原因：缺少满意度证明。班组长修改后重新提交，请核对全部材料后再推荐或退回。' },
        // the form as it was returned kept in the audit log: the fields changed since are named
        {
          audit: { action: 'application.returnByOrganization', details: { opinion: '标题不准确', form: { ...JSON.parse(sameForm()), title: '退回时的标题' } } },
          endorsement: { decision: 'return', truthful: false, opinion: '标题不准确', by: personas.contact },
          says: '这份申报曾被单位联系人 联系人退回（2027年3月6日），退回意见：标题不准确。班组长修改了：成果名称。',
        },
      ];
      for (const [i, ret] of returns.entries() as IterableIterator<[number, { audit?: { action: string; details: Record<string, unknown> }; endorsement: Record<string, unknown>; says: string }]>) {
        const r = await onBoth({
          setup: async (h) => {
            const t = await freshTeam(h.db.db, f);
            const id = await applicationOf(h.db.db, f, t, 'returned', { endorsement: ret.endorsement, submittedAt: new Date('2027-03-01T02:00:00Z') });
            if (ret.audit) await h.db.db.insert(auditLog).values({ actor: ret.audit.action === 'application.returnByOrganization' ? personas.contact : personas.admin, entity: 'application', entityId: String(id), at: new Date('2027-03-06T02:00:00Z'), ...ret.audit });
            return t;
          },
          steps: (t) => [submit(t, applicationForm({ title: `重新提交${i}` }))],
        });
        expect(r.answers[0].toast, String(i)).toEqual({ type: 'success', content: '已提交，等待单位联系人确认（第十五条）' });
        expect(r.sent).toHaveLength(1);
        const card = r.sent[0].content as { header: { title: { content: string } } };
        expect(card.header.title.content).toMatch(/^请确认申报材料（重新提交）：/);
        expect(JSON.stringify(card)).toContain(ret.says);
      }
    });

    it('提交 with a contact not yet linked to Feishu: nothing is queued for them', async () => {
      const r = await onBoth({
        setup: async (h) => {
          await h.db.db.insert(people).values({ openId: PENDING_CONTACT, name: '待关联联系人', roles: ['org_contact'] }).onConflictDoNothing();
          return freshTeam(h.db.db, f, { contactOpenId: PENDING_CONTACT });
        },
        steps: (t) => [submit(t)],
      });
      expect(r.answers[0].toast.type).toBe('success');
      expect(r.changed.outbox).toEqual([]);
    });

    it('提交 by a leader who is also the contact: their request answers what they did (the ordinary path queues it)', async () => {
      const r = await onBoth({ setup: (h) => freshTeam(h.db.db, f, { contactOpenId: personas.leader }), steps: (t) => [submit(t)] });
      expect(r.changed.outbox).toMatchObject([{ receiver: personas.leader, priority: 0 }]);
    });

    it('提交 a calendar year after a title was revoked: the bar has passed (协会规定, a year by default)', async () => {
      const r = await onBoth({
        setup: async (h) => {
          const t = await freshTeam(h.db.db, f);
          await h.db.db.insert(honours).values({ teamId: t, year: 2025, revokedAt: new Date(new Date(NOW).getTime() - 365 * 86_400_000), revokedReason: '连续投诉成立' });
          return t;
        },
        steps: (t) => [submit(t)],
      });
      expect(r.answers[0].toast.type).toBe('success');
    });

    it('a team registered on 29 February is a year old on 28 February (第十六条)', async () => {
      for (const [registeredAt, ok] of [['2024-02-29', true], ['2024-03-01', false]] as const) {
        const r = await onBoth({
          setup: async (h) => {
            h.clock.set('2025-01-10T09:00:00+08:00');
            await h.db.db.update(cycles).set({ applicationDeadline: '2025-02-28' }).where(eq(cycles.id, f.cycleId));
            return freshTeam(h.db.db, f, { registeredAt });
          },
          // an activity ended by that deadline (活动结束日期 no later than the application deadline)
          steps: (t) => [save(t, { title: '闰年' }), submit(t, applicationForm({ startDate: '2024-04-01', endDate: '2025-01-31' }))],
          after: async (h) => {
            h.clock.set(NOW);
            await h.db.db.update(cycles).set({ applicationDeadline: '2027-05-31' }).where(eq(cycles.id, f.cycleId));
          },
        });
        // the form's year is the cycle's: 2027
        expect(r.answers.map((a) => a.toast.type), registeredAt).toEqual(ok ? ['success', 'success'] : ['info', 'error']);
      }
    });
  });

  // ---- what is refused: the ordinary path answers, and the fast attempt left nothing ----

  describe('a refusal, answered by the ordinary path as before', () => {
    it('保存 by the leader of another team, by someone who leads none, with a stale team id, for another year', async () => {
      const r = await onBoth({
        setup: async (h) => {
          await h.db.db.insert(people).values({ openId: UNLISTED_LEADER, name: '未登记班组长' }).onConflictDoNothing();
          const unlisted = await freshTeam(h.db.db, f, { leaderOpenId: UNLISTED_LEADER });
          await h.db.db.delete(teamMembers).where(eq(teamMembers.openId, UNLISTED_LEADER));
          return [await freshTeam(h.db.db, f), unlisted];
        },
        steps: ([t, unlisted]) => [
          save(t, { title: '他人' }, OTHER_LEADER),
          save(t, { title: '成员' }, personas.member),
          save(unlisted, { title: '未登记' }, UNLISTED_LEADER),
          submit(unlisted, applicationForm(), UNLISTED_LEADER),
          { who: personas.leader, value: { action: 'application.save', teamId: 'x1', year: YEAR }, form: { title: '坏按钮' }, eventId: randomEventId() },
          { who: personas.leader, value: { action: 'application.save', teamId: t, year: YEAR - 1 }, form: { title: '去年' }, eventId: randomEventId() },
        ],
      });
      expect(r.answers.map((a) => a.toast.content)).toEqual([
        '只有本班组的班组长可以填写和提交申报表。',
        '只有本班组的班组长可以使用此功能。',
        '只有本班组的班组长可以使用此功能。',
        '只有本班组的班组长可以使用此功能。',
        '这个按钮已失效，请重新打开菜单。',
        `这张申报表属于 ${YEAR - 1} 年度，已不能提交；请发送“申报”打开 ${YEAR} 年度申报表。`,
      ]);
      // last year's form kept in the chat: no form to fill in again, but a button to this year's
      const lastYear = JSON.stringify(r.answers[5].card);
      expect(lastYear).toContain(`${YEAR - 1} 年度申报表已失效`);
      expect(lastYear).not.toContain('"tag":"form"');
      expect(lastYear).toContain(`打开 ${YEAR} 年度申报表`);
      expect(lastYear).toMatch(/"action":"application\.open","teamId":\d+/);
      expect(r.changed.applications).toEqual([]);
      expect(r.changed.audit).toEqual([]);
    });

    it('保存 of an application already submitted, and of a team not a year old', async () => {
      const r = await onBoth({
        setup: async (h) => {
          const submitted = await freshTeam(h.db.db, f);
          await applicationOf(h.db.db, f, submitted, 'submitted');
          return [submitted, await freshTeam(h.db.db, f, { registeredAt: '2026-06-01' })];
        },
        steps: ([submitted, young]) => [save(submitted, { title: '晚了' }), save(young, { title: '太新' })],
      });
      expect(r.answers[0].toast).toEqual({ type: 'info', content: '当前状态为“待单位确认”，不能进行此操作。申报已提交，等待单位联系人确认；如需修改，班组长可发送“撤回申报”撤回后修改，或请单位联系人点“退回修改”。' });
      expect(r.answers[1].toast.content).toMatch(/^第十六条：注册满一年后方可参加评选/);
      expect(r.changed.applications).toEqual([]);
    });

    it('提交 of a form that does not parse, with an accident, with a low training rate: the draft kept, the field named', async () => {
      const r = await onBoth({
        setup: async (h) => [await freshTeam(h.db.db, f), await freshTeam(h.db.db, f), await freshTeam(h.db.db, f)],
        steps: ([a, b, c]) => [submit(a, applicationForm({ title: '' })), submit(b, applicationForm({ accidents: 'some' })), submit(c, applicationForm({ trainingRate: '80' }))],
      });
      expect(r.answers.map((a) => a.toast.type)).toEqual(['error', 'error', 'error']);
      expect(r.answers[1].toast.content).toMatch(/第十三条/);
      expect(r.answers[2].toast.content).toMatch(/培训率 80% 低于 90%/);
      expect((r.changed.applications as { status: string }[]).map((a) => a.status)).toEqual(['draft', 'draft', 'draft']);
      expect(r.changed.outbox).toEqual([]);
      expect((r.changed.audit as { action: string }[]).map((a) => a.action)).toEqual(['application.create', 'application.create', 'application.create']);
    });

    it('提交 within the bar after a revoked title, with the bar a cycle setting, and by a team not a year old', async () => {
      const r = await onBoth({
        setup: async (h) => {
          const revoked = async (days: number) => {
            const t = await freshTeam(h.db.db, f);
            await h.db.db.insert(honours).values({ teamId: t, year: 2025, revokedAt: new Date(new Date(NOW).getTime() - days * 86_400_000 + 1), revokedReason: '连续投诉成立' });
            return t;
          };
          await h.db.db.update(cycles).set({ settings: { revocationBarDays: 500 } }).where(eq(cycles.id, f.cycleId));
          return [await revoked(100), await revoked(499), await freshTeam(h.db.db, f, { registeredAt: '2026-06-01' })];
        },
        steps: ([recent, withinSetting, young]) => [submit(recent), submit(withinSetting), submit(young)],
        after: async (h) => void (await h.db.db.update(cycles).set({ settings: {} }).where(eq(cycles.id, f.cycleId))),
      });
      expect(r.answers[0].toast.content).toMatch(/^协会规定：撤销称号后 500 天内不受理该班组的申报/);
      expect(r.answers[1].toast.content).toMatch(/^协会规定：撤销称号后 500 天内/);
      expect(r.answers[2].toast.content).toMatch(/^第十六条：注册满一年后方可参加评选，申报截止时还差 1 天满一年/);
      expect(r.changed.outbox).toEqual([]);
    });

    it('E5 told before the form when the bar outlasts the deadline, with its dates in the bot\'s timezone; a bar ending sooner, on submission', async () => {
      const r = await onBoth({
        setup: async (h) => {
          const revokedAt = async (at: string) => {
            const t = await freshTeam(h.db.db, f);
            await h.db.db.insert(honours).values({ teamId: t, year: 2025, revokedAt: new Date(at), revokedReason: '连续投诉成立' });
            return t;
          };
          // 07:30 in Shanghai is the day before in UTC
          return [await revokedAt('2026-06-01T07:30:00+08:00'), await revokedAt('2026-04-01T10:00:00+08:00')];
        },
        steps: ([outlasts, sooner]) => [
          { who: personas.leader, value: { action: 'application.open', teamId: outlasts }, eventId: randomEventId() },
          { who: personas.leader, value: { action: 'application.open', teamId: sooner }, eventId: randomEventId() },
          submit(sooner),
        ],
      });
      expect(r.answers[0].toast).toEqual({
        type: 'info',
        content: `协会规定：撤销称号后一年内不受理该班组的申报；本班组 2025 年度称号已于 2026年6月1日 撤销，2027年6月1日 07:30 起方可再申报。${YEAR} 年度申报 2027年5月31日 截止，本班组不能参加本年度评选。`,
      });
      expect(JSON.stringify(r.answers[1].card)).toContain('"tag":"form"');
      expect(r.answers[2].toast.content).toBe('协会规定：撤销称号后一年内不受理该班组的申报；本班组 2025 年度称号已于 2026年4月1日 撤销，2027年4月1日 10:00 起方可再申报。');
      expect(r.changed.outbox).toEqual([]);
    });

    it('提交 by the leader of another team, and after the deadline', async () => {
      const r = await onBoth({
        setup: (h) => freshTeam(h.db.db, f),
        steps: (t) => [submit(t, applicationForm(), OTHER_LEADER)],
      });
      expect(r.answers[0].toast.content).toBe('只有本班组的班组长可以填写和提交申报表。');
      const late = await onBoth({
        setup: async (h) => {
          h.clock.set('2027-06-01T00:00:00+08:00');
          return freshTeam(h.db.db, f);
        },
        steps: (t) => [submit(t), save(t, { title: '晚了' })],
        after: async (h) => h.clock.set(NOW),
      });
      expect(late.answers.map((a) => a.toast.content)).toEqual([`${YEAR} 年度申报已于 2027年5月31日 截止。`, `${YEAR} 年度申报已于 2027年5月31日 截止。`]);
      // past the deadline the card is no form to fix: it can no longer be saved or submitted
      for (const a of late.answers) {
        expect(JSON.stringify(a.card)).not.toContain('"tag":"form"');
        expect(JSON.stringify(a.card)).toContain('这张申报表不能再保存或提交');
      }
      // past the deadline nothing typed is kept, as 保存草稿 keeps nothing then: no draft, no audit row
      expect(late.changed.applications).toEqual([]);
      expect(late.changed.audit).toEqual([]);
      // an application returned before the deadline stays as it was returned, its form and status unchanged
      const returned = await onBoth({
        setup: async (h) => {
          const t = await freshTeam(h.db.db, f);
          await applicationOf(h.db.db, f, t, 'returned', { endorsement: { decision: 'return', opinion: '请补充材料' } });
          h.clock.set('2027-06-02T09:00:00+08:00');
          return t;
        },
        steps: (t) => [submit(t, applicationForm({ title: '截止后改过的标题' }))],
        after: async (h) => h.clock.set(NOW),
      });
      expect(returned.answers[0].toast.content).toBe(`${YEAR} 年度申报已于 2027年5月31日 截止。`);
      expect(returned.changed.applications).toEqual([]);
      expect(returned.changed.audit).toEqual([]);
    });

    it('提交 clicked twice: the second answers on the summary card, naming when it was submitted', async () => {
      const r = await onBoth({ setup: (h) => freshTeam(h.db.db, f), steps: (t) => [submit(t), submit(t)] });
      expect(r.answers[1].toast.type).toBe('info');
      expect(r.answers[1].toast.content).toMatch(doneAt);
      expect(r.answers[1].card).toEqual(r.answers[0].card);
      expect(r.changed.audit).toHaveLength(1);
      expect(r.changed.outbox).toHaveLength(1);
    });

    it('the same event delivered twice: the second changes nothing and says so', async () => {
      const [s, u] = [randomEventId(), randomEventId()];
      const r = await onBoth({
        setup: async (h) => [await freshTeam(h.db.db, f), await freshTeam(h.db.db, f)],
        steps: ([a, b]) => [save(a, { title: '一次' }, personas.leader, s), save(a, { title: '两次' }, personas.leader, s), submit(b, applicationForm(), personas.leader, u), submit(b, applicationForm(), personas.leader, u)],
      });
      expect(r.answers.map((a) => a.toast)).toEqual([
        { type: 'success', content: '草稿已保存，可随时发送“申报”继续填写' },
        { type: 'info', content: '“保存草稿”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' },
        { type: 'success', content: '已提交，等待单位联系人确认（第十五条）' },
        { type: 'info', content: '“提交申报”：这次点击已收到并处理过，请以卡片当前内容为准；如卡片未更新，请重新打开后再操作' },
      ]);
      expect(r.changed.audit).toHaveLength(2);
      expect(r.changed.events).toHaveLength(2);
    });

    it('no cycle taking applications', async () => {
      const r = await onBoth({
        setup: async (h) => {
          await h.db.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
          return freshTeam(h.db.db, f);
        },
        steps: (t) => [save(t, { title: '未开启' }), submit(t)],
        after: async (h) => void (await h.db.db.update(cycles).set({ status: 'open' }).where(eq(cycles.id, f.cycleId))),
      });
      expect(r.answers.map((a) => a.toast.type)).toEqual(['info', 'info']);
      // the year's cycle is past 截止申报, not yet to open
      expect(r.answers[0].toast.content).toBe(`${YEAR} 年度申报已截止，评审正在进行（专家评分中）。发送“进度”查看本班组的申报情况。`);
    });
  });

  // ---- two events for the same application at once, with the fast paths on ----

  describe('two events at once', () => {
    const counts = async (db: Db, teamId: number) => {
      const [a] = await db.select().from(applications).where(eq(applications.teamId, teamId));
      const audits = a ? await db.select().from(auditLog).where(eq(auditLog.entityId, String(a.id))) : [];
      const requests = a ? (rowsOf(await db.execute(sql`select count(*)::int as n from outbox where dedupe_key like ${`endorse:request:${a.id}:%`}`))[0] as { n: number }).n : 0;
      return { application: a, audits: audits.map((x) => x.action).sort(), requests };
    };

    it('提交 clicked twice at once, on a new application and on a draft: one success, one done naming when', async () => {
      for (const draft of [false, true]) {
        const t = await freshTeam(fast.db.db, f);
        if (draft) await applicationOf(fast.db.db, f, t, 'draft');
        const both = await Promise.all([fast.click(personas.leader, submit(t).value, applicationForm()), fast.click(personas.leader, submit(t).value, applicationForm())]);
        const [first, second] = both[0].toast.type === 'success' ? both : [both[1], both[0]];
        expect(first.toast.type, String(draft)).toBe('success');
        expect(second.toast.type).toBe('info');
        expect(second.toast.content).toMatch(doneAt);
        expect(second.card).toEqual(first.card);
        const c = await counts(fast.db.db, t);
        expect(c.application.status).toBe('submitted');
        expect(c.audits).toEqual(draft ? ['application.submit'] : ['application.submit']);
        expect(c.requests).toBe(1);
      }
    });

    it('保存 clicked twice at once on a new draft: one application, each answered as the ordinary path answers', async () => {
      const t = await freshTeam(fast.db.db, f);
      const both = await Promise.all([fast.click(personas.leader, save(t, {}).value, { title: '甲' }), fast.click(personas.leader, save(t, {}).value, { title: '乙' })]);
      for (const b of both) expect(['草稿已保存，可随时发送“申报”继续填写', '本班组本年度已有一份申报（第十九条：评审交流活动每年一次），请刷新后继续填写。']).toContain(b.toast.content);
      expect(both.some((b) => b.toast.type === 'success')).toBe(true);
      const rows = await fast.db.db.select().from(applications).where(eq(applications.teamId, t));
      expect(rows).toHaveLength(1);
      expect(['甲', '乙']).toContain((rows[0].form as { title: string }).title);
    });

    it.skipIf(!isPostgres)('提交 waiting for a submit another connection holds on the draft: answered as done when it commits', async () => {
      const t = await freshTeam(fast.db.db, f);
      const id = await applicationOf(fast.db.db, f, t, 'draft');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const other = fast.db.db.transaction(async (tx) => {
        await tx.execute(sql`select 1 from applications where id = ${id} for update`);
        locked();
        await held;
        await tx.execute(sql`update applications set status = 'submitted', form = ${sameForm()}::jsonb, submitted_at = now() where id = ${id}`);
        await tx.execute(sql`insert into audit_log (actor, action, entity, entity_id, details) values (${personas.leader}, 'application.submit', 'application', ${String(id)}, '{}')`);
      });
      await isLocked;
      let answered = false;
      const clicking = fast.click(personas.leader, submit(t).value, applicationForm()).finally(() => (answered = true));
      await until(async () => answered || (await lockWaits(fast.db.db)) > 0);
      expect(answered).toBe(false);
      release();
      await other;
      const body = await clicking;
      expect(body.toast.type).toBe('info');
      expect(body.toast.content).toMatch(doneAt);
      const c = await counts(fast.db.db, t);
      expect(c.audits).toEqual(['application.submit']);
      expect(c.requests).toBe(0);
    });

    it.skipIf(!isPostgres)('提交 of a new application another connection is creating: the insert that loses leaves nothing, and the answer is done', async () => {
      const t = await freshTeam(fast.db.db, f);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let inserted!: () => void;
      const isInserted = new Promise<void>((r) => (inserted = r));
      const other = fast.db.db.transaction(async (tx) => {
        const rows = await tx.execute(sql`insert into applications (team_id, cycle_id, status, form, submitted_at) values (${t}, ${f.cycleId}, 'submitted', ${sameForm()}::jsonb, now()) returning id`);
        const id = (rowsOf(rows)[0] as { id: number }).id;
        await tx.execute(sql`insert into audit_log (actor, action, entity, entity_id, details) values (${personas.leader}, 'application.submit', 'application', ${String(id)}, '{}')`);
        inserted();
        await held;
      });
      await isInserted;
      const eventsBefore = (await fast.db.db.select({ n: count() }).from(processedEvents))[0].n;
      let answered = false;
      const clicking = fast.click(personas.leader, submit(t).value, applicationForm()).finally(() => (answered = true));
      await until(async () => answered || (await lockWaits(fast.db.db)) > 0);
      expect(answered).toBe(false);
      release();
      await other;
      const body = await clicking;
      expect(body.toast.type).toBe('info');
      expect(body.toast.content).toMatch(doneAt);
      const c = await counts(fast.db.db, t);
      expect(c.audits).toEqual(['application.submit']);
      expect(c.requests).toBe(0);
      // one event recorded: the ordinary path's answer, nothing of the fast attempt
      expect((await fast.db.db.select({ n: count() }).from(processedEvents))[0].n).toBe(eventsBefore + 1);
    });
  });
});

/** The fast functions alone: each case the ordinary path refuses answers undefined and writes nothing at all. */
describe.skipIf(!isPostgres)('the one statement alone: a case it does not take writes nothing (PostgreSQL)', () => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await h?.close();
  });

  const totals = async () =>
    Object.fromEntries(
      await Promise.all(
        ([['applications', applications], ['audit', auditLog], ['outbox', outbox], ['events', processedEvents]] as const).map(async ([k, t]) => [k, (await h.db.db.select({ n: count() }).from(t))[0].n] as const),
      ),
    );
  const event = (teamId: number, over: Partial<Parameters<typeof fastSubmitApplication>[1]> = {}) => ({
    eventId: randomEventId(),
    eventType: 'card.action.trigger',
    openId: personas.leader,
    teamId,
    year: YEAR,
    values: applicationForm(),
    now: new Date(NOW),
    today: '2027-03-10',
    timezone: 'Asia/Shanghai',
    ...over,
  });

  it('refusals of every kind, a duplicate event, and the contact who is the leader', async () => {
    const db = h.db.db;
    const team = await freshTeam(db, f);
    const young = await freshTeam(db, f, { registeredAt: '2026-06-01' });
    const revoked = await freshTeam(db, f);
    await db.insert(honours).values({ teamId: revoked, year: 2025, revokedAt: new Date('2027-01-01T00:00:00Z'), revokedReason: '连续投诉成立' });
    const submitted = await freshTeam(db, f);
    await applicationOf(db, f, submitted, 'submitted');
    const selfContact = await freshTeam(db, f, { contactOpenId: personas.leader });
    await db.insert(people).values({ openId: UNLISTED_LEADER, name: '未登记班组长' }).onConflictDoNothing();
    const unlisted = await freshTeam(db, f, { leaderOpenId: UNLISTED_LEADER });
    await db.delete(teamMembers).where(eq(teamMembers.openId, UNLISTED_LEADER));
    const seen = randomEventId();
    await db.insert(processedEvents).values({ eventId: seen, eventType: 'card.action.trigger' });
    const before = await totals();
    const refused: [string, Parameters<typeof fastSubmitApplication>[1]][] = [
      ['another leader', event(team, { openId: OTHER_LEADER })],
      ['no leader at all', event(team, { openId: personas.member })],
      ['named leader, but no leader persona', event(unlisted, { openId: UNLISTED_LEADER })],
      ['another year', event(team, { year: YEAR + 1 })],
      ['after the deadline', event(team, { today: '2027-06-01' })],
      ['a team not a year old', event(young)],
      ['a title revoked within the bar', event(revoked)],
      ['submitted already', event(submitted)],
      ['the contact is the leader', event(selfContact)],
      ['no such team', event(999_999)],
      ['the event seen before', event(team, { eventId: seen })],
      ['a form that does not parse', event(team, { values: applicationForm({ goalRate: '很多' }) })],
      ['an accident', event(team, { values: applicationForm({ accidents: 'some' }) })],
    ];
    for (const [name, e] of refused) expect(await fastSubmitApplication(h.db, e), name).toBeUndefined();
    // 保存 has no E5, no contact and no form to refuse
    const submitOnly = new Set(['a title revoked within the bar', 'the contact is the leader', 'a form that does not parse', 'an accident']);
    for (const [name, e] of refused.filter(([n]) => !submitOnly.has(n))) expect(await fastSaveDraft(h.db, e), `保存: ${name}`).toBeUndefined();
    expect(await totals()).toEqual(before);
    // and the same rows take a save and a submit that pass
    expect((await fastSaveDraft(h.db, event(team)))?.application).toMatchObject({ status: 'draft', teamId: team });
    const done = await fastSubmitApplication(h.db, event(team));
    expect(done).toMatchObject({ application: { status: 'submitted', teamId: team }, queued: 1 });
  });
});

/** revocationBarDays in SQL: the same days for every setting zod reads as a number, and never fewer. */
describe('the revocation bar in SQL against revocationBarDays', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it.each([
    ['unset', {}],
    ['null settings', null],
    ['400', { revocationBarDays: 400 }],
    ['0', { revocationBarDays: 0 }],
    ['3650', { revocationBarDays: 3650 }],
    ['3651', { revocationBarDays: 3651 }],
    ['-1', { revocationBarDays: -1 }],
    ['12.5', { revocationBarDays: 12.5 }],
    ['12.0', { revocationBarDays: 12.0 }],
    ['"400"', { revocationBarDays: '400' }],
    ['"abc"', { revocationBarDays: 'abc' }],
    ['true', { revocationBarDays: true }],
    ['null', { revocationBarDays: null }],
    ['an array of settings', [1, 2]],
  ])('%s', async (_name, settings) => {
    const rows = await db.db.execute(sql.raw(`select ${revocationBarSql} as days from (select ${settings === null ? 'null::jsonb' : `'${JSON.stringify(settings)}'::jsonb`} as settings) c`));
    const raw = (rowsOf(rows)[0] as { days: number | null }).days;
    const days = raw === null ? null : Number(raw);
    const ts = revocationBarDays({ settings });
    const asNumber = settings && !Array.isArray(settings) && 'revocationBarDays' in settings ? typeof settings.revocationBarDays === 'number' : true;
    // null: one calendar year, at most 366 days
    if (asNumber) expect(days).toBe(ts);
    else expect(days).toBeGreaterThanOrEqual(ts ?? 366);
  });
});

/** One round trip each on a warm connection, where the ordinary path takes four. */
describe.skipIf(!isPostgres)('round trips of 申报 保存 and 提交 (PostgreSQL)', () => {
  const bot = countedFixtureBot(undefined, { db: 'counted' });

  async function trips(action: string, teamId: number) {
    const { body, trips, statements } = await bot.click<{ toast: { type: string } }>(personas.leader, { action, teamId, year: YEAR }, applicationForm());
    expect(body.toast.type).toBe('success');
    return { trips, statements };
  }

  it.each(['application.save', 'application.submit'])('%s: one round trip once warm; the ordinary path, four', async (action) => {
    await trips(action, await freshTeam(bot.db, bot.f));
    const warm = await trips(action, await freshTeam(bot.db, bot.f));
    expect(warm.trips).toBe(1);
    expect(warm.statements.filter((s) => s.startsWith('with c as'))).toHaveLength(1);
    bot.app.processor.fastPaths = false;
    try {
      await trips(action, await freshTeam(bot.db, bot.f));
      const ordinary = await trips(action, await freshTeam(bot.db, bot.f));
      expect(ordinary.trips).toBeGreaterThan(1);
      console.log(`${action}: ${warm.trips} round trip (one statement), ${ordinary.trips} on the ordinary path`);
    } finally {
      bot.app.processor.fastPaths = true;
    }
  });
});
