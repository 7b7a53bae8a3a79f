import { and, count, eq, inArray, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, cycles, organizations, people, processedEvents } from '../../db/schema.js';
import type { CardActionInput, FastContext } from '../../src/handlers.js';
import { racedStatements } from '../../src/fast/admin.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { expectAnswer, expectSameWorlds, leavesToOrdinary, MODES_HERE, outboxRows, twoWorlds, writtenCounts } from '../support/worlds.js';
import { countedFixtureBot, type Fixture, NOW, ORG_POOL, OTHER_EXPERT, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 启用专家 / 停用专家 / 添加专家 / 评审设置 / 评分表 in one statement each (src/fast/admin.ts) against the ordinary
 * transaction: the same answers, rows, audit trail, outbox rows and messages, on the same rows; every refusal still
 * answered by the ordinary path with nothing of the fast attempt kept; one round trip on a warm connection; two
 * clicks at once end as the ordinary path ends them.
 */

/** An administrator by the stored role (the fixture's ADMIN is one by ADMIN_OPEN_IDS). */
const ROLE_ADMIN = 'ou_roleadmin0000000000000000000001';
const NEW_EXPERT = 'ou_newexpert00000000000000000000001';
const TWICE_PICKED = 'ou_twicepicked000000000000000000001';
const NEW_ORG = '佛山市政设计研究院';

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };
type Action = 'experts.activate' | 'experts.deactivate' | 'experts.add' | 'cycle.settingsSave' | 'cycle.sheetLoad';

/** The time a done deed is named by, read from the audit row (real time): compared as a placeholder. */
const doneAt = /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/;
const comparable = (b: Body) => JSON.parse(JSON.stringify(b).replace(new RegExp(doneAt.source, 'g'), '已于 <when>'));

const sheetText = (last: string) => `评分表：快速路径评分表\n总分：100\n1 基础\n1.1 甲 50\n1.2 乙 ${last}\n1.3 丙 ${50 - Number(last)}`;

interface Step {
  name: string;
  who: string;
  action: Action;
  value?: (f: Fixture) => Record<string, unknown>;
  form?: Record<string, unknown>;
  /** A fixed event id (a delivery repeated); a fresh one otherwise. */
  eventId?: string;
  toast: 'success' | 'error' | 'info' | 'warning';
  says: RegExp;
  /** A refusal (or a case the fast path leaves): the fast path, called directly, must answer undefined and write nothing. */
  leftToOrdinary?: boolean;
  before?: (db: Db, f: Fixture) => Promise<void>;
}

const onCycle = (f: Fixture) => ({ cycleId: f.cycleId });
const addForm = (experts: string[], organization = ORG_POOL, extra: Record<string, unknown> = {}) => ({ experts, organization, specialities: '桥梁检测，道路养护', maxLoad: '12', ...extra });
const setStatus = (status: string) => async (db: Db, f: Fixture) => void (await db.update(cycles).set({ status }).where(eq(cycles.id, f.cycleId)));

const steps: Step[] = [
  // 停用 / 启用
  { name: '停用 by someone not an administrator', who: personas.leader, action: 'experts.deactivate', value: () => ({ openId: personas.expert }), toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: '停用 of a stale button', who: ADMIN, action: 'experts.deactivate', value: () => ({ openId: 'not-an-open-id' }), toast: 'error', says: /这个按钮已失效/, leftToOrdinary: true },
  { name: '停用 of someone not in the pool', who: ADMIN, action: 'experts.deactivate', value: () => ({ openId: personas.leader }), toast: 'error', says: /找不到这位专家/, leftToOrdinary: true },
  { name: '停用 of an expert with a task pending', who: ADMIN, action: 'experts.deactivate', value: () => ({ openId: personas.expert }), eventId: 'evt_adminfast_deactivate', toast: 'success', says: /^已停用，不再分配新任务；该专家还有 1 项未完成的评分任务/ },
  { name: 'the same delivery again', who: ADMIN, action: 'experts.deactivate', value: () => ({ openId: personas.expert }), eventId: 'evt_adminfast_deactivate', toast: 'info', says: /这次点击已收到/, leftToOrdinary: true },
  { name: '停用 clicked again', who: ROLE_ADMIN, action: 'experts.deactivate', value: () => ({ openId: personas.expert }), toast: 'info', says: /^已于 .* 停用该专家，无需重复停用。$/, leftToOrdinary: true },
  { name: '启用 on page 2 by an administrator of the stored role', who: ROLE_ADMIN, action: 'experts.activate', value: () => ({ openId: personas.expert, page: 2 }), toast: 'success', says: /^已启用，下次分配专家时会考虑该专家$/ },
  // 添加专家
  { name: '添加 by someone not an administrator', who: personas.expert, action: 'experts.add', form: addForm([NEW_EXPERT]), toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: '添加 without the organisation', who: ADMIN, action: 'experts.add', form: addForm([NEW_EXPERT], ''), toast: 'error', says: /所在单位/, leftToOrdinary: true },
  { name: '添加 by mobile (an address-book look-up)', who: ADMIN, action: 'experts.add', form: addForm([], ORG_POOL, { expertsLookup: '13800000000' }), toast: 'error', says: /专家/, leftToOrdinary: true },
  { name: '添加 one new and one in the pool', who: ADMIN, action: 'experts.add', form: addForm([NEW_EXPERT, OTHER_EXPERT]), eventId: 'evt_adminfast_add', toast: 'success', says: /^已添加 2 位专家（广东省市政行业专家委员会）$/ },
  { name: '添加 clicked again', who: ROLE_ADMIN, action: 'experts.add', form: addForm([NEW_EXPERT, OTHER_EXPERT]), toast: 'info', says: /^已于 .* 添加/, leftToOrdinary: true },
  { name: '添加 of one of them to a new organisation, 专业特长 typed (replaced), 评审上限 left blank (kept)', who: ROLE_ADMIN, action: 'experts.add', form: addForm([NEW_EXPERT], NEW_ORG, { maxLoad: '', specialities: '桥梁检测' }), toast: 'success', says: /^已添加 1 位专家（佛山市政设计研究院）$/ },
  { name: '添加 of him again, 评审上限 不限 and 专业特长 无 (both cleared)', who: ROLE_ADMIN, action: 'experts.add', form: addForm([NEW_EXPERT], NEW_ORG, { maxLoad: '不限', specialities: '无' }), toast: 'success', says: /^已添加 1 位专家（佛山市政设计研究院）$/ },
  { name: '添加 of him again, 评审上限 8', who: ROLE_ADMIN, action: 'experts.add', form: addForm([NEW_EXPERT], NEW_ORG, { maxLoad: '8', specialities: '' }), toast: 'success', says: /^已添加 1 位专家（佛山市政设计研究院）$/ },
  { name: '添加 of him again, 评审上限 0 (不限), 专业特长 left blank (kept)', who: ROLE_ADMIN, action: 'experts.add', form: addForm([NEW_EXPERT], NEW_ORG, { maxLoad: '0', specialities: '' }), toast: 'success', says: /^已添加 1 位专家（佛山市政设计研究院）$/ },
  { name: '添加 of him again, both left blank: as asked already', who: ROLE_ADMIN, action: 'experts.add', form: addForm([NEW_EXPERT], NEW_ORG, { maxLoad: '', specialities: '' }), toast: 'info', says: /^已于 .* 添加/, leftToOrdinary: true },
  { name: '添加 of someone picked twice', who: ADMIN, action: 'experts.add', form: addForm([TWICE_PICKED, TWICE_PICKED]), toast: 'success', says: /^已添加 2 位专家/, leftToOrdinary: true },
  // 评审设置
  { name: '设置 by someone not an administrator', who: personas.expert, action: 'cycle.settingsSave', value: onCycle, form: { awardThreshold: '88' }, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: '设置 of a cycle not there', who: ADMIN, action: 'cycle.settingsSave', value: () => ({ cycleId: 999_999 }), form: { awardThreshold: '88' }, toast: 'error', says: /找不到这一年度的评审/, leftToOrdinary: true },
  { name: '设置 out of range', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { awardThreshold: '101' }, toast: 'error', says: /授予称号分数线/, leftToOrdinary: true },
  { name: '设置 of a date in the past', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { applicationDeadline: '2027-03-01' }, toast: 'error', says: /不能早于今天/, leftToOrdinary: true },
  { name: '设置 of a meeting years off the cycle', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { reviewMeetingDate: '2072-07-15' }, toast: 'error', says: /评审会日期：2072年7月15日不在评审年度（2027年度）或次年（2028年）内/, leftToOrdinary: true },
  { name: '设置 of dates out of order', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { scoringDeadline: '2027-05-01' }, toast: 'error', says: /不能早于申报截止日期/, leftToOrdinary: true },
  { name: '设置 of the meeting before the scoring deadline moved', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { scoringDeadline: '2027-07-20' }, toast: 'error', says: /不能早于专家评分截止日期/, leftToOrdinary: true },
  { name: '设置 with nothing changed', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { awardThreshold: '85', expertsPerApplication: '' }, toast: 'info', says: /设置没有变化/, leftToOrdinary: true },
  { name: '设置 of two settings', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { awardThreshold: '88.5', recommendShare: '15%', expertsPerApplication: '3' }, eventId: 'evt_adminfast_settings', toast: 'success', says: /^已保存2027年度评审设置：授予称号分数线、择优推荐比例$/ },
  {
    name: '设置 of the review rules (cycles.settings)',
    who: ADMIN,
    action: 'cycle.settingsSave',
    value: onCycle,
    form: { dropExtremesFrom: '４', outlierDistance: '7.5', revocationRun: '3' },
    toast: 'success',
    says: /^已保存2027年度评审设置：去掉最高最低分的专家人数下限、偏离中位数提醒分差、连续成立投诉提醒次数$/,
  },
  {
    name: '设置 of a rule while another is stored as text, which only TypeScript reads',
    who: ADMIN,
    action: 'cycle.settingsSave',
    value: onCycle,
    form: { outlierDistance: '10' },
    toast: 'success',
    says: /^已保存2027年度评审设置：偏离中位数提醒分差$/,
    leftToOrdinary: true,
    before: async (db, f) => void (await db.execute(sql`update cycles set settings = jsonb_set(settings, '{revocationRun}', '"3"') where id = ${f.cycleId}`)),
  },
  {
    name: '设置 of one setting while another stored is out of the form\'s range',
    who: ADMIN,
    action: 'cycle.settingsSave',
    value: onCycle,
    form: { awardThreshold: '87' },
    toast: 'error',
    says: /每份申报的评审专家人数/,
    leftToOrdinary: true,
    before: async (db, f) => void (await db.update(cycles).set({ expertsPerApplication: 20 }).where(eq(cycles.id, f.cycleId))),
  },
  {
    name: '设置 of the whole form, as the card sends it',
    who: ROLE_ADMIN,
    action: 'cycle.settingsSave',
    value: onCycle,
    form: { year: String(YEAR), applicationDeadline: '2027-06-15 +0800', scoringDeadline: '2027年7月10日', reviewMeetingDate: '2027-07-15', awardThreshold: '88.50', expertsPerApplication: '５', recommendShare: '0.15' },
    toast: 'success',
    says: /^已保存2027年度评审设置：申报截止日期、专家评分截止日期、每份申报的评审专家人数$/,
  },
  // above 1 a number is no share: 10 read as 10%, and the answer says so
  { name: '设置 of 择优推荐比例 typed 12分, read as 12', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { recommendShare: '12分' }, toast: 'success', says: /^已保存2027年度评审设置：择优推荐比例（12 按前 12% 保存）$/ },
  { name: '设置 of 择优推荐比例 typed 1, the whole', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { recommendShare: '1' }, toast: 'success', says: /^已保存2027年度评审设置：择优推荐比例（1 即全部，前 100%）$/ },
  { name: '设置 of 择优推荐比例 typed 10, without its sign', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { recommendShare: '10' }, toast: 'success', says: /^已保存2027年度评审设置：择优推荐比例（10 按前 10% 保存）$/ },
  // 评分表
  { name: '评分表 by someone not an administrator', who: personas.leader, action: 'cycle.sheetLoad', value: onCycle, form: { sheet: sheetText('40') }, toast: 'error', says: /只有协会管理员/, leftToOrdinary: true },
  { name: '评分表 that does not add up', who: ADMIN, action: 'cycle.sheetLoad', value: onCycle, form: { sheet: sheetText('40').replace('总分：100', '总分：90') }, toast: 'error', says: /不一致/, leftToOrdinary: true },
  { name: '评分表 loaded', who: ADMIN, action: 'cycle.sheetLoad', value: onCycle, form: { sheet: sheetText('40') }, eventId: 'evt_adminfast_sheet', toast: 'success', says: /^已载入评分表“快速路径评分表”：1 个区域、3 项，共 100 分$/ },
  { name: '评分表 loaded again', who: ROLE_ADMIN, action: 'cycle.sheetLoad', value: onCycle, form: { sheet: sheetText('40') }, toast: 'info', says: /^已于 .* 载入评分表“快速路径评分表”/, leftToOrdinary: true },
  { name: '评分表 back to the default, as JSON', who: ROLE_ADMIN, action: 'cycle.sheetLoad', value: onCycle, form: { sheet: JSON.stringify(defaultScoreSheet) }, toast: 'success', says: /^已载入评分表“质量信得过班组建设评分表（默认）”/ },
  // a sheet over the card's inputs, read in order as one (each takes at most 1 000 characters)
  { name: '评分表 over two inputs', who: ADMIN, action: 'cycle.sheetLoad', value: onCycle, form: { sheet: '评分表：快速路径评分表\n总分：100\n1 基础\n1.1 甲 50', sheet2: '1.2 乙 30\n1.3 丙 20', sheet3: '' }, toast: 'success', says: /^已载入评分表“快速路径评分表”：1 个区域、3 项，共 100 分$/ },
  // once experts score
  { name: '评分表 once experts score', who: ADMIN, action: 'cycle.sheetLoad', value: onCycle, form: { sheet: sheetText('45') }, toast: 'error', says: /第十八条/, leftToOrdinary: true, before: setStatus('scoring') },
  { name: '设置 of the application deadline once experts score', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { applicationDeadline: '2027-06-20' }, toast: 'error', says: /申报已截止/, leftToOrdinary: true },
  { name: '设置 of the scoring deadline once experts score', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { scoringDeadline: '2027-07-12', reviewMeetingDate: '2027-07-20' }, toast: 'success', says: /^已保存2027年度评审设置：专家评分截止日期、评审会日期$/ },
  {
    name: '设置 of the scoring deadline to a day past',
    who: ADMIN,
    action: 'cycle.settingsSave',
    value: onCycle,
    form: { scoringDeadline: '2027-03-06' },
    toast: 'error',
    says: /专家评分截止日期：不能早于今天/,
    leftToOrdinary: true,
    before: async (db, f) => void (await db.update(cycles).set({ applicationDeadline: '2027-03-01', scoringDeadline: '2027-03-05' }).where(eq(cycles.id, f.cycleId))),
  },
  { name: '设置 of the meeting to a day past', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { reviewMeetingDate: '2027-03-08' }, toast: 'error', says: /评审会日期：不能早于今天/, leftToOrdinary: true },
  { name: '设置 once scoring closed', who: ADMIN, action: 'cycle.settingsSave', value: onCycle, form: { awardThreshold: '90' }, toast: 'error', says: /第十七条/, leftToOrdinary: true, before: setStatus('closed') },
];

/** What the database holds that these actions write, without the times PostgreSQL stamps and the serial ids. */
async function snapshot(db: Db) {
  const orgs = new Map((await db.select().from(organizations)).map((o) => [o.id, o.name]));
  const stamped = (d: Date) => (d.getTime() === Date.parse(NOW) ? NOW : 'not the bot');
  const persons = (await db.select().from(people).orderBy(people.openId)).map(({ createdAt: _c, updatedAt, organizationId, ...p }) => ({
    ...p,
    organization: organizationId === null ? null : orgs.get(organizationId),
    changedAt: stamped(updatedAt),
  }));
  const cycle = (await db.select().from(cycles).orderBy(cycles.id)).map(({ createdAt: _c, updatedAt, ...c }) => ({ ...c, changedAt: stamped(updatedAt) }));
  const audits = (await db.select().from(auditLog).orderBy(auditLog.id)).map(({ id: _i, ...a }) => a);
  const out = await outboxRows(db);
  const events = await db.select({ eventId: processedEvents.eventId, eventType: processedEvents.eventType }).from(processedEvents).where(like(processedEvents.eventId, 'evt_adminfast_%')).orderBy(processedEvents.eventId);
  return { orgs: [...orgs.values()].sort(), persons, cycle, audits, out, events };
}

const counts = async (db: Db) => ({
  ...(await writtenCounts(db)),
  orgs: (await db.select({ n: count() }).from(organizations))[0].n,
  people: await db.select().from(people).orderBy(people.openId),
  cycles: await db.select().from(cycles).orderBy(cycles.id),
});

/** The fast path as the processor calls it, on this event. */
function tryFast(h: Harness, action: Action, who: string, eventId: string, value: Record<string, unknown>, formValue: Record<string, unknown>) {
  const def = h.app.registry.action(action)!;
  const fx: FastContext = { database: h.db, eventId, eventType: 'card.action.trigger', openId: who, clock: h.clock, config: h.app.config, log: { child: () => ({}) } as never };
  const input: CardActionInput = { value: { action, ...value }, formValue };
  return def.fast!(fx, input);
}

async function seedMore(db: Db) {
  await db.insert(people).values({ openId: ROLE_ADMIN, name: '协会管理员', roles: ['admin'] });
}

describe('专家库 and 评审设置: the one statement answers and writes what the ordinary transaction does', () => {
  const worlds = twoWorlds(async () => {
    const { h, f } = await startSecurityHarness();
    await seedMore(h.db.db);
    return { h, f, answers: [] as Body[], after: [] as Awaited<ReturnType<typeof snapshot>>[] };
  }, { oneOnPglite: true });

  it('declares a fast path for each of the five actions', () => {
    for (const action of ['experts.activate', 'experts.deactivate', 'experts.add', 'cycle.settingsSave', 'cycle.sheetLoad']) {
      expect(typeof worlds.fast.h.app.registry.action(action)?.fast, action).toBe('function');
    }
  });

  it.each(steps.map((s, i) => [s.name, s, i] as const))('%s', async (_name, step, i) => {
    for (const mode of MODES_HERE) {
      const { h, f } = worlds[mode];
      const db = h.db.db;
      await step.before?.(db, f);
      const value = { action: step.action, ...(step.value?.(f) ?? {}) };
      const form = step.form ?? {};
      const eventId = step.eventId ?? `evt_adminfast_${i}`;
      if (mode === 'fast' && step.leftToOrdinary) {
        // the fast path itself, on this case: it leaves it, having written nothing (on PGlite it has no statement: undefined at once)
        const raced = racedStatements.count;
        await leavesToOrdinary(() => counts(db), () => tryFast(h, step.action, step.who, eventId, value, form));
        // decided by the verdict, before any claim: not a claim undone
        expect(racedStatements.count).toBe(raced);
      }
      const body: Body = await h.click(step.who, value, form, { eventId });
      expectAnswer(body, step, mode);
      worlds[mode].answers[i] = body;
      worlds[mode].after[i] = await snapshot(db);
    }
    expectSameWorlds(worlds, i, comparable);
  });

  it('ends with the same rows, audit trail and messages sent in both', async () => {
    const { fast, ordinary } = worlds;
    expect(fast.after.at(-1)).toEqual(ordinary.after.at(-1));
    const sent = (h: Harness) => h.fake.messages.map((m) => ({ to: m.receiveId, type: m.msgType, content: m.content }));
    expect(sent(fast.h)).toEqual(sent(ordinary.h));
    const last = fast.after.at(-1)!;
    // what the successes wrote, as the ordinary path writes it
    expect(last.persons.find((p) => p.openId === NEW_EXPERT)).toMatchObject({ roles: ['expert'], organization: NEW_ORG, specialities: [], maxLoad: null, expertActive: true, changedAt: NOW });
    expect(last.persons.find((p) => p.openId === OTHER_EXPERT)).toMatchObject({ roles: ['expert'], organization: ORG_POOL, specialities: ['桥梁检测', '道路养护'], maxLoad: 12, changedAt: NOW });
    expect(last.cycle[0]).toMatchObject({ settings: { dropExtremesFrom: 4, outlierDistance: 10, revocationRun: 3 }, applicationDeadline: '2027-03-01', scoringDeadline: '2027-03-05', reviewMeetingDate: '2027-07-20', awardThreshold: 88.5, expertsPerApplication: 5, recommendShare: 0.1 });
    expect(last.audits.filter((a) => a.action === 'cycle.updateSettings').map((a) => a.details)).toEqual([
      { changes: { awardThreshold: { from: 85, to: 88.5 }, recommendShare: { from: 0.1, to: 0.15 } } },
      { changes: { dropExtremesFrom: { from: 5, to: 4 }, outlierDistance: { from: 15, to: 7.5 }, revocationRun: { from: 2, to: 3 } } },
      { changes: { outlierDistance: { from: 7.5, to: 10 } } },
      { changes: { applicationDeadline: { from: '2027-05-31', to: '2027-06-15' }, scoringDeadline: { from: '2027-06-30', to: '2027-07-10' }, expertsPerApplication: { from: 20, to: 5 } } },
      { changes: { recommendShare: { from: 0.15, to: 0.12 } } },
      { changes: { recommendShare: { from: 0.12, to: 1 } } },
      { changes: { recommendShare: { from: 1, to: 0.1 } } },
      { changes: { scoringDeadline: { from: '2027-07-10', to: '2027-07-12' }, reviewMeetingDate: { from: '2027-07-15', to: '2027-07-20' } } },
    ]);
    // each load keeps the sheet it wrote over, whole (第十七条)
    expect(last.audits.filter((a) => a.action === 'cycle.loadScoreSheet').map((a) => (a.details as { previousSheet: { title: string } }).previousSheet.title)).toEqual([
      defaultScoreSheet.title, '快速路径评分表', defaultScoreSheet.title,
    ]);
    expect(last.audits.filter((a) => a.action === 'cycle.loadScoreSheet').map(({ details: { previousSheet: _p, ...d } }: any) => d)).toEqual([
      { title: '快速路径评分表', total: 100, areas: 1, items: 3, previousTitle: defaultScoreSheet.title },
      { title: defaultScoreSheet.title, total: 100, areas: 7, items: 19, previousTitle: '快速路径评分表' },
      { title: '快速路径评分表', total: 100, areas: 1, items: 3, previousTitle: defaultScoreSheet.title },
    ]);
    expect(last.audits.filter((a) => a.action.startsWith('expert.')).map((a) => [a.action, a.entityId, a.actor])).toEqual([
      ['expert.deactivate', personas.expert, ADMIN],
      ['expert.activate', personas.expert, ROLE_ADMIN],
      ['expert.add', NEW_EXPERT, ADMIN],
      ['expert.add', OTHER_EXPERT, ADMIN],
      ['expert.add', NEW_EXPERT, ROLE_ADMIN],
      ['expert.add', NEW_EXPERT, ROLE_ADMIN],
      ['expert.add', NEW_EXPERT, ROLE_ADMIN],
      ['expert.add', NEW_EXPERT, ROLE_ADMIN],
      ['expert.add', TWICE_PICKED, ADMIN],
      ['expert.add', TWICE_PICKED, ADMIN],
    ]);
    expect(last.audits.every((a) => a.at.getTime() === Date.parse(NOW))).toBe(true);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('专家库 and 评审设置 on PostgreSQL: one round trip each, warm', () => {
  const bot = countedFixtureBot(seedMore);
  const click = (openId: string, value: Record<string, unknown>, formValue: Record<string, unknown> = {}) => bot.click<Body>(openId, value, formValue);

  it('each action costs one round trip on a warm connection (the ordinary path: more)', async () => {
    let n = 0;
    const serial = () => `ou_tripexpert${String(++n).padStart(22, '0')}`;
    let threshold = 86;
    let sheet = 40;
    // a second 停用 of the same expert is done already: each click takes the other of two
    const pair = [personas.expert, OTHER_EXPERT];
    let deactivated = 0;
    let activated = 0;
    const tries: Record<Action, () => [Record<string, unknown>, Record<string, unknown>]> = {
      'experts.deactivate': () => [{ action: 'experts.deactivate', openId: pair[deactivated++ % 2] }, {}],
      'experts.activate': () => [{ action: 'experts.activate', openId: pair[activated++ % 2] }, {}],
      'experts.add': () => [{ action: 'experts.add' }, addForm([serial()])],
      'cycle.settingsSave': () => [{ action: 'cycle.settingsSave', cycleId: bot.f.cycleId }, { awardThreshold: String(threshold++) }],
      'cycle.sheetLoad': () => [{ action: 'cycle.sheetLoad', cycleId: bot.f.cycleId }, { sheet: sheetText(String(sheet++)) }],
    };
    const figures: Record<string, number> = {};
    for (const fast of [true, false]) {
      bot.app.processor.fastPaths = fast;
      for (const [action, next] of Object.entries(tries)) {
        expect((await click(ADMIN, ...next())).body.toast?.type, `${action} warming`).toBe('success');
        const { body, trips } = await click(ADMIN, ...next());
        expect(body.toast?.type, `${action}: ${JSON.stringify(body.toast)}`).toBe('success');
        expect(body.card?.data).toBeTruthy();
        figures[`${action} (${fast ? 'one statement' : 'ordinary path'})`] = trips;
      }
    }
    bot.app.processor.fastPaths = true;
    console.log(`专家库 / 评审设置 round trips (warm): ${JSON.stringify(figures)}`);
    for (const action of Object.keys(tries)) expect(figures[`${action} (one statement)`], action).toBe(1);
  });
});

describe('专家库 and 评审设置 clicked twice at once, the fast paths on', () => {
  let h: Harness;
  let f: Fixture;
  const db = (): Db => h.db.db;

  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    await seedMore(h.db.db);
  });

  afterAll(async () => {
    await h?.close();
  });

  const both = async (action: Action, value: Record<string, unknown>, form: Record<string, unknown>) => {
    const answers: Body[] = await Promise.all([ADMIN, ROLE_ADMIN].map((who) => h.click(who, { action, ...value }, form)));
    return answers[0].toast?.type === 'success' ? answers : [answers[1], answers[0]];
  };
  const audits = async (action: string) => (await db().select().from(auditLog).where(eq(auditLog.action, action))).length;

  it('停用 twice at once: one done, the other told when it was done', async () => {
    const [first, second] = await both('experts.deactivate', { openId: OTHER_EXPERT }, {});
    expect(first.toast?.type).toBe('success');
    expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
    expect(second.toast?.content).toMatch(doneAt);
    expect((await db().select().from(people).where(eq(people.openId, OTHER_EXPERT)))[0].expertActive).toBe(false);
    expect(await audits('expert.deactivate')).toBe(1);
  });

  it('添加 twice at once: one added, the other told when it was done', async () => {
    for (let round = 0; round < 3; round++) {
      const who = `ou_concurrent${String(round).padStart(22, '0')}`;
      const [first, second] = await both('experts.add', {}, addForm([who]));
      expect(first.toast?.content).toMatch(/^已添加 1 位专家/);
      expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
      expect(second.toast?.content).toMatch(doneAt);
      expect((await db().select().from(auditLog).where(and(eq(auditLog.action, 'expert.add'), eq(auditLog.entityId, who)))).length).toBe(1);
    }
  });

  it('评审设置 and 评分表 twice at once: one saved, the other told when it was done', async () => {
    for (let round = 0; round < 3; round++) {
      const [first, second] = await both('cycle.settingsSave', { cycleId: f.cycleId }, { awardThreshold: String(80 + round) });
      expect(first.toast?.content).toMatch(/^已保存2027年度评审设置：授予称号分数线$/);
      expect(second.toast?.type, JSON.stringify(second.toast)).toBe('info');
      expect(second.toast?.content).toMatch(/设置没有变化|已于/);
      const [loaded, again] = await both('cycle.sheetLoad', { cycleId: f.cycleId }, { sheet: sheetText(String(30 + round)) });
      expect(loaded.toast?.content).toMatch(/^已载入评分表/);
      expect(again.toast?.type, JSON.stringify(again.toast)).toBe('info');
    }
    expect(await audits('cycle.updateSettings')).toBe(3);
    expect(await audits('cycle.loadScoreSheet')).toBe(3);
  });

  /** Holds `change` uncommitted while the click runs into its row lock; the click's answer once it commits. */
  async function raced(change: (tx: Db) => Promise<void>, clickIt: (eventId: string) => Promise<Body>, waiting: RegExp) {
    const eventId = randomEventId();
    const other = await heldTransaction(db(), async (tx) => {
      await change(tx);
    });
    let answered = false;
    const clicked = clickIt(eventId).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(db())) > 0);
    const waited = !answered;
    // the statement that waits for the row is the fast path's (its start, as pg_stat_activity keeps it), having claimed the event
    const blocked = await db().execute(sql`select query from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
    other.release();
    await other.ended;
    const body = await clicked;
    expect(waited).toBe(true);
    expect((blocked as unknown as { query: string }[]).map((r) => r.query).join('\n')).toMatch(waiting);
    // the event was claimed once, by whichever path answered
    expect(await db().select({ type: processedEvents.eventType }).from(processedEvents).where(inArray(processedEvents.eventId, [eventId]))).toEqual([{ type: 'card.action.trigger' }]);
    return body;
  }

  it.skipIf(testDatabaseKind() !== 'postgres')('评审设置 when the cycle changed under the statement: nothing of it kept, the ordinary path decides on the cycle as it is', async () => {
    await db().update(cycles).set({ status: 'scoring', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' }).where(eq(cycles.id, f.cycleId));
    const before = await audits('cycle.updateSettings');
    // scoring closes while the save waits for the cycle's row: the save is refused (第十七条)
    const body = await raced(
      async (tx) => void (await tx.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, f.cycleId))),
      // (a moved 评分截止 is told to the experts on the ordinary path: the meeting's date is one the statement saves)
      (eventId) => h.click(ADMIN, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { reviewMeetingDate: '2027-07-20' }, { eventId }),
      /^\s*with cycle as \(\s*-- lockCycle's row/,
    );
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('error');
    expect(body.toast?.content).toMatch(/第十七条/);
    expect(await audits('cycle.updateSettings')).toBe(before);
    expect((await db().select().from(cycles).where(eq(cycles.id, f.cycleId)))[0].reviewMeetingDate).toBe('2027-07-15');
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('停用 when the expert left the pool under the statement: nothing of it kept, the ordinary path refuses', async () => {
    const who = 'ou_leavingexpert0000000000000000001';
    await db().insert(people).values({ openId: who, name: '离开的专家', roles: ['expert'] });
    const body = await raced(
      async (tx) => void (await tx.update(people).set({ roles: [] }).where(eq(people.openId, who))),
      (eventId) => h.click(ADMIN, { action: 'experts.deactivate', openId: who }, {}, { eventId }),
      /^\s*with verdict as \(/,
    );
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('error');
    expect(body.toast?.content).toMatch(/找不到这位专家/);
    expect((await db().select().from(people).where(eq(people.openId, who)))[0].expertActive).toBe(true);
    expect((await db().select().from(auditLog).where(eq(auditLog.entityId, who))).length).toBe(0);
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('添加 when the person came to be meanwhile, as asked: nothing of the statement kept, the ordinary path answers it as done', async () => {
    const who = 'ou_arrivingexpert000000000000000001';
    const [pool] = await db().select().from(organizations).where(eq(organizations.name, ORG_POOL));
    const body = await raced(
      async (tx) => {
        await tx.execute(sql`select 1 from organizations where id = ${pool.id} for update`);
        await tx.insert(people).values({ openId: who, roles: ['expert'], organizationId: pool.id, specialities: ['桥梁检测', '道路养护'], maxLoad: 12, expertActive: true });
        await tx.insert(auditLog).values({ actor: ROLE_ADMIN, action: 'expert.add', entity: 'person', entityId: who });
      },
      (eventId) => h.click(ADMIN, { action: 'experts.add' }, addForm([who]), { eventId }),
      /^\s*with asked as \(/,
    );
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    expect(body.toast?.content).toMatch(/^已于 .* 添加/);
    expect((await db().select().from(auditLog).where(and(eq(auditLog.action, 'expert.add'), eq(auditLog.entityId, who)))).length).toBe(1);
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('添加 when the person was added meanwhile: nothing of the statement kept, the ordinary path answers it as done', async () => {
    const who = 'ou_racedexpert000000000000000000001';
    await db().insert(people).values({ openId: who, name: '并发专家' });
    const [pool] = await db().select().from(organizations).where(eq(organizations.name, ORG_POOL));
    const body = await raced(
      async (tx) => {
        await tx.execute(sql`select 1 from organizations where id = ${pool.id} for update`);
        await tx.update(people).set({ roles: ['expert'], organizationId: pool.id, specialities: ['桥梁检测', '道路养护'], maxLoad: 12, expertActive: true }).where(eq(people.openId, who));
        await tx.insert(auditLog).values({ actor: ROLE_ADMIN, action: 'expert.add', entity: 'person', entityId: who });
      },
      (eventId) => h.click(ADMIN, { action: 'experts.add' }, addForm([who]), { eventId }),
      /^\s*with asked as \(/,
    );
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('info');
    expect(body.toast?.content).toMatch(/^已于 .* 添加/);
    expect((await db().select().from(auditLog).where(and(eq(auditLog.action, 'expert.add'), eq(auditLog.entityId, who)))).length).toBe(1);
  });
});
