import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { assignments, auditLog, cycles, people, teamMembers, teams } from '../../db/schema.js';
import { complaintDecisionForm, complaintTextForm } from '../../src/complaints.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { validFormValue } from '../support/forms.js';
import type { Harness } from '../support/harness.js';
import { applicationForm, type Fixture, NEWCOMER, NOW, ORG_POOL, personas, registrationForm, scoreForm, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * Every form (and 重开评分, a button that changes a state once) submitted twice, one click after the other
 * and both at once: one effect (the audit rows of one submit), the second answer on the same success card
 * with an info toast saying when it was done (read after the lock), and never an empty or "null" value in
 * what is said.
 */

interface FormCase {
  name: string;
  persona: keyof typeof personas;
  /** Rows the form acts on, made fresh for each mode; returns the button's value. */
  setup(db: Db, f: Fixture): Promise<Record<string, unknown>>;
  form: (f: Fixture) => Record<string, unknown>;
  action: string;
  /** Who clicks, when not the persona's own open_id. */
  openId?: string;
  /** Run just before the case, after the cases before it. */
  before?(db: Db, f: Fixture): Promise<void>;
}

const SECOND_EXPERT = 'ou_secondexpert00000000000000000001';
/** Leads one team and hands it over: a member, and no leader, after the first 确认更换. */
const HANDING_LEADER = 'ou_handingleader0000000000000000001';
const REOPENED_EXPERT = 'ou_reopenedexpert000000000000000001';

/** A team of the leader persona, old enough to apply, with no application yet. */
async function freshTeam(db: Db, f: Fixture, n: string): Promise<number> {
  const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
  const [t] = await db
    .insert(teams)
    .values({ ...a, id: undefined, code: `GDSZ-2025-${n}`, name: `双击测试${n}班`, createdAt: undefined, updatedAt: undefined })
    .returning();
  await db.insert(teamMembers).values({ teamId: t.id, openId: personas.leader, role: 'leader' });
  return t.id;
}

const cases: FormCase[] = [
  { name: '注册表', action: 'team.register', persona: 'public', setup: async () => ({}), form: () => registrationForm('双击') },
  { name: '班组资料', action: 'team.editSave', persona: 'leader', setup: async (_db, f) => ({ teamId: f.teamA.id }), form: () => ({ phone: '020-7654321' }) },
  { name: '成员添加', action: 'team.memberAdd', persona: 'leader', setup: async (_db, f) => ({ teamId: f.teamA.id }), form: () => ({ members: [NEWCOMER] }) },
  {
    name: '申报表',
    action: 'application.submit',
    persona: 'leader',
    setup: async (db, f) => ({ teamId: await freshTeam(db, f, '0101'), year: YEAR }),
    form: () => applicationForm(),
  },
  { name: '单位推荐', action: 'endorse.recommend', persona: 'contact', setup: async (_db, f) => ({ applicationId: f.appA }), form: () => ({ truthful: true, opinion: '材料属实，同意推荐' }) },
  { name: '形式审查受理', action: 'check.accept', persona: 'admin', setup: async (_db, f) => ({ applicationId: f.appC }), form: () => ({}) },
  { name: '年度设置', action: 'cycle.settingsSave', persona: 'admin', setup: async (_db, f) => ({ cycleId: f.cycleId }), form: () => ({ awardThreshold: '88' }) },
  // before the first sheet is submitted (第十八条), and the same items under another title: the sheets below still fit
  {
    name: '评分表载入',
    action: 'cycle.sheetLoad',
    persona: 'admin',
    setup: async (_db, f) => ({ cycleId: f.cycleId }),
    form: () => ({ sheet: JSON.stringify({ ...defaultScoreSheet, title: '正式评分表' }) }),
  },
  { name: '专家评分', action: 'review.submit', persona: 'expert', setup: async (_db, f) => ({ assignmentId: f.ownTask }), form: () => scoreForm() },
  {
    name: '谢绝评分',
    action: 'review.decline',
    persona: 'expert',
    setup: async (db, f) => {
      const [a] = await db.insert(assignments).values({ applicationId: f.appC, expertOpenId: personas.expert, status: 'assigned' }).returning();
      return { assignmentId: a.id };
    },
    form: () => ({ kind: 'unavailable', reason: '评审期间出差' }),
  },
  {
    name: '重开评分',
    action: 'review.reopen',
    persona: 'admin',
    setup: async (db, f) => {
      await db.insert(people).values({ openId: REOPENED_EXPERT, name: '重开专家', roles: ['expert'] }).onConflictDoNothing();
      const [a] = await db.insert(assignments).values({ applicationId: f.appD, expertOpenId: REOPENED_EXPERT, status: 'assigned' }).returning();
      return { assignmentId: a.id };
    },
    // submitted when its case comes, not at set-up: 评分表载入 before it needs no sheet submitted yet (第十八条)
    before: async (db) => {
      await db
        .update(assignments)
        .set({ status: 'submitted', scores: { '1.1': 5 }, total: 90, submittedAt: new Date(NOW) })
        .where(eq(assignments.expertOpenId, REOPENED_EXPERT));
    },
    form: () => ({}),
  },
  {
    name: '更换班组长',
    action: 'team.leaderChange',
    persona: 'leader',
    openId: HANDING_LEADER,
    setup: async (db, f) => {
      const teamId = await freshTeam(db, f, '0102');
      await db.insert(people).values({ openId: HANDING_LEADER, name: '交班组长' }).onConflictDoNothing();
      await db.update(teams).set({ leaderOpenId: HANDING_LEADER }).where(eq(teams.id, teamId));
      await db.update(teamMembers).set({ openId: HANDING_LEADER }).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.openId, personas.leader)));
      await db.insert(teamMembers).values({ teamId, openId: personas.member, role: 'member' });
      return { teamId, from: HANDING_LEADER };
    },
    form: () => ({ leader: personas.member }),
  },
  { name: '利益冲突声明', action: 'experts.conflictAdd', persona: 'expert', setup: async () => ({}), form: (f) => ({ kind: 'team', target: f.teamB.code, reason: '曾为该班组提供咨询' }) },
  { name: '专家入库', action: 'experts.add', persona: 'admin', setup: async () => ({}), form: () => ({ experts: [SECOND_EXPERT], organization: ORG_POOL, specialities: '桥梁检测', maxLoad: '10' }) },
  {
    name: '投诉',
    action: 'complaint.submit',
    persona: 'public',
    setup: async (_db, f) => ({ teamId: f.teamB.id, formKey: 'double-submit' }),
    form: () => validFormValue(complaintTextForm, { content: '施工围挡占道，未按期恢复', contact: '13800000000' }),
  },
  { name: '投诉认定', action: 'complaint.uphold', persona: 'admin', setup: async (_db, f) => ({ complaintId: f.complaintId }), form: () => validFormValue(complaintDecisionForm, { note: '经核实属实' }) },
  {
    name: '开启年度评审',
    action: 'cycle.open',
    persona: 'admin',
    // one cycle runs at a time (第十九条): this year's is over by then
    setup: async () => ({}),
    before: async (db, f) => {
      await db.update(cycles).set({ status: 'published' }).where(eq(cycles.id, f.cycleId));
    },
    form: () => ({ year: '2028', applicationDeadline: '2028-05-31', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15', awardThreshold: '85', expertsPerApplication: '3', recommendShare: '0.1' }),
  },
];

const auditRows = async (db: Db) => (await db.select({ n: count() }).from(auditLog))[0].n;
const title = (res: { card?: { data?: { header?: { title?: { content?: string } } } } }) => res.card?.data?.header?.title?.content;
/** 已于 2027年3月10日 09:00 提交: the day and the minute, as people read them. */
const doneAt = /已于 ?\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;

function expectNothingEmpty(res: unknown, who: string) {
  const said = JSON.stringify(res);
  expect(said, who).not.toMatch(/null|undefined|NaN|已于\s*[^\d\s]|已于\s{2}/);
}

const effects = new Map<string, number>();

describe.each(['sequential', 'concurrent'] as const)('a form submitted twice, %s', (mode) => {
  let h: Harness;
  let f: Fixture;
  const values = new Map<string, Record<string, unknown>>();
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    for (const c of cases) values.set(c.name, await c.setup(h.db.db, f));
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const value = { action: c.action, ...values.get(name) };
    const form = c.form(f);
    const who = c.openId ?? personas[c.persona];
    // a double tap: both submits come from the one card (its message), as Feishu sends them
    const card = { messageId: `om_doubletap_${mode}_${cases.indexOf(c)}` };
    await c.before?.(h.db.db, f);
    const before = await auditRows(h.db.db);
    let first: any;
    let second: any;
    if (mode === 'sequential') {
      first = await h.click(who, value, form, card);
      const once = (await auditRows(h.db.db)) - before;
      effects.set(name, once);
      expect(once, `${name}: the first submit changes something`).toBeGreaterThan(0);
      second = await h.click(who, value, form, card);
    } else {
      const both = await Promise.all([h.click(who, value, form, card), h.click(who, value, form, card)]);
      [first, second] = both[0].toast?.type === 'success' ? both : [both[1], both[0]];
    }
    expect(first.toast, `${name}: first ${JSON.stringify(first.toast)}`).toMatchObject({ type: 'success' });
    expect(second.toast?.type, `${name}: second ${JSON.stringify(second.toast)}`).toBe('info');
    expect(second.toast.content, name).toMatch(doneAt);
    expect(title(second), `${name}: the second answer shows the success card`).toBe(title(first));
    expectNothingEmpty(first, name);
    expectNothingEmpty(second, name);
    const added = (await auditRows(h.db.db)) - before;
    if (mode === 'sequential') expect(added, `${name}: one effect`).toBe(effects.get(name));
    else if (effects.has(name)) expect(added, `${name}: one effect`).toBe(effects.get(name));
  });
});
