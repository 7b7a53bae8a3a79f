import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, bulkJobs, complaints, cycles, honours, imports, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { importDataVersion } from '../../src/import/dataVersion.js';
import { applicationStatusNames } from '../../src/applications.js';
import { cycleScoreSheet } from '../../src/cycles.js';
import { rowsOf } from '../../src/outbox.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet, sheetItems } from '../../src/scoreSheet.js';
import { ADMIN } from '../support/harness.js';
import { applicationForm, registrationForm as sharedRegistrationForm } from '../support/forms.js';
import { ManualClock } from '../../src/clock.js';
import type { BotRegistry, CardActionDef } from '../../src/handlers.js';
import type { Role } from '../../src/people.js';
import { startHarness, type Harness } from '../support/harness.js';
import { type CountedBot, countedBot, type CountedBotOptions } from '../support/wire.js';

/**
 * One database with a row of every kind a card action names, owned by known people: the six personas
 * of the role matrix, and others whose rows are "foreign" to every persona. Used by the role matrix
 * and the fuzz test.
 */

export const personas = {
  public: 'ou_public00000000000000000000000001',
  member: 'ou_member00000000000000000000000001',
  leader: 'ou_leader00000000000000000000000001',
  contact: 'ou_contact0000000000000000000000001',
  expert: 'ou_expert00000000000000000000000001',
  admin: ADMIN,
} as const;
export type Persona = keyof typeof personas;
export const personaNames = Object.keys(personas) as Persona[];

export const OTHER_LEADER = 'ou_otherleader000000000000000000001';
export const OTHER_CONTACT = 'ou_othercontact00000000000000000001';
export const OTHER_EXPERT = 'ou_otherexpert000000000000000000001';
export const NEWCOMER = 'ou_newcomer0000000000000000000000001';

export const ORG_A = '广州市市政工程维修有限公司';
export const ORG_B = '深圳市政建设集团';
export const ORG_POOL = '广东省市政行业专家委员会';
export const YEAR = 2027;
/** The bot's today: the 2027 cycle takes applications, team A is more than a year old. */
export const NOW = '2027-03-10T09:00:00+08:00';
/** NOW's day in the bot's timezone. */
export const TODAY = '2027-03-10';

export interface Fixture {
  cycleId: number;
  /** A finished 分配专家 job of the cycle: its card can be shown, 重试 leaves it as it is. */
  bulkJobId: number;
  /** Team A: led by the leader persona, with the member persona and the contact persona. */
  teamA: { id: number; code: string };
  /** Teams of other people (the contact is OTHER_CONTACT). */
  teamB: { id: number; code: string };
  teamC: { id: number; code: string };
  teamD: { id: number; code: string };
  appA: number; // submitted, waits for the contact persona
  appB: number; // submitted, waits for OTHER_CONTACT
  appC: number; // recommended, waits for the formal check
  appD: number; // scoring
  ownTask: number; // the expert persona's assignment on appD
  foreignTask: number; // OTHER_EXPERT's assignment on appD
  complaintId: number; // open, against team A
  honourId: number; // team A's 2026 title
  importId: number; // a previewed workbook with one new organisation
}

export { applicationForm };

export const registrationForm = (n: number | string, overrides: Record<string, unknown> = {}) =>
  sharedRegistrationForm(`测试养护${n}班`, personas.contact, { organization: ORG_A, ...overrides });

/** A complete score form of the default sheet, every item at its maximum less what `off` takes away. */
export function scoreForm(off = 10): Record<string, string> {
  const out: Record<string, string> = { comment: '材料翔实' };
  for (const f of scoreFields(defaultScoreSheet)) {
    const cut = Math.min(f.max, off);
    out[f.field] = String(f.max - cut);
    off -= cut;
  }
  return out;
}

export async function seedFixture(db: Db): Promise<Fixture> {
  const [orgA, orgB, orgPool] = await db.insert(organizations).values([{ name: ORG_A }, { name: ORG_B }, { name: ORG_POOL }]).returning();
  await db.insert(people).values([
    { openId: personas.member, name: '成员' },
    { openId: personas.leader, name: '班组长' },
    { openId: personas.contact, name: '联系人', roles: ['org_contact'], organizationId: orgA.id },
    { openId: personas.expert, name: '专家', roles: ['expert'], organizationId: orgPool.id, specialities: ['道路养护'] },
    { openId: OTHER_LEADER, name: '其他班组长' },
    { openId: OTHER_CONTACT, name: '其他联系人', roles: ['org_contact'], organizationId: orgB.id },
    { openId: OTHER_EXPERT, name: '其他专家', roles: ['expert'], organizationId: orgPool.id },
  ]);
  const team = (n: string, name: string, orgId: number, leader: string, contact: string) => ({
    code: `GDSZ-2025-${n}`,
    name,
    organizationId: orgId,
    department: '工程部',
    type: 'project',
    leaderOpenId: leader,
    phone: '020-1234567',
    memberCount: 10,
    functions: '道路养护',
    goals: '合格率 98%',
    plan: '每月 QC 活动',
    contactOpenId: contact,
    registeredAt: '2025-01-10',
  });
  const [a, b, c, d] = await db
    .insert(teams)
    .values([
      team('0001', '广州养护一班', orgA.id, personas.leader, personas.contact),
      team('0002', '深圳建设二班', orgB.id, OTHER_LEADER, OTHER_CONTACT),
      team('0003', '深圳建设三班', orgB.id, OTHER_LEADER, OTHER_CONTACT),
      team('0004', '深圳建设四班', orgB.id, OTHER_LEADER, OTHER_CONTACT),
    ])
    .returning();
  await db.insert(teamMembers).values([
    { teamId: a.id, openId: personas.leader, role: 'leader' },
    { teamId: a.id, openId: personas.member, role: 'member' },
    ...[b, c, d].map((t) => ({ teamId: t.id, openId: OTHER_LEADER, role: 'leader' })),
  ]);
  const [cycle] = await db
    .insert(cycles)
    .values({ year: YEAR, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN })
    .returning();
  const form = applicationForm();
  const submittedAt = new Date('2027-03-01T00:00:00Z');
  const [appA, appB, appC, appD] = await db
    .insert(applications)
    .values([
      { teamId: a.id, cycleId: cycle.id, status: 'submitted', form, submittedAt },
      { teamId: b.id, cycleId: cycle.id, status: 'submitted', form, submittedAt },
      { teamId: c.id, cycleId: cycle.id, status: 'recommended', form, submittedAt, endorsement: { decision: 'recommend', truthful: true, opinion: '同意推荐', by: OTHER_CONTACT } },
      { teamId: d.id, cycleId: cycle.id, status: 'scoring', form, submittedAt, endorsement: { decision: 'recommend', truthful: true, opinion: '同意推荐', by: OTHER_CONTACT } },
    ])
    .returning();
  const [own, foreign] = await db
    .insert(assignments)
    .values([
      { applicationId: appD.id, expertOpenId: personas.expert, status: 'assigned' },
      { applicationId: appD.id, expertOpenId: OTHER_EXPERT, status: 'assigned' },
    ])
    .returning();
  const [complaint] = await db
    .insert(complaints)
    .values({ reference: `TS-${YEAR}-0001`, teamId: a.id, content: '路面修补后一周即开裂', channel: 'web', status: 'open', createdAt: new Date('2027-03-02T10:00:00+08:00') })
    .returning();
  const [honour] = await db.insert(honours).values({ teamId: a.id, year: 2026, score: 91, awardedAt: new Date('2026-08-01T00:00:00Z') }).returning();
  await db.execute(sql`insert into code_sequences (scope, last) values ('team:2025', 4), ('complaint:2027', 1) on conflict do nothing`);
  const summary = { add: [{ sheet: 'organizations', row: 2, label: '矩阵导入单位' }], update: [], unchanged: { organizations: 0, teams: 0, experts: 0, honours: 0 }, refused: [], pending: [] };
  const [preview] = await db
    .insert(imports)
    .values({ actor: ADMIN, fileName: '矩阵.xlsx', sha256: '0'.repeat(64), rows: { organizations: [{ row: 2, name: '矩阵导入单位' }], teams: [], experts: [], honours: [] }, summary, dataVersion: await importDataVersion(db, TODAY) })
    .returning();
  const [job] = await db
    .insert(bulkJobs)
    .values({ kind: 'assign', cycleId: cycle.id, params: { year: YEAR }, status: 'done', done: 1, total: 1, createdBy: ADMIN, finishedAt: new Date('2027-03-05T09:00:00+08:00') })
    .returning();
  return {
    cycleId: cycle.id,
    bulkJobId: job.id,
    teamA: { id: a.id, code: a.code },
    teamB: { id: b.id, code: b.code },
    teamC: { id: c.id, code: c.code },
    teamD: { id: d.id, code: d.code },
    appA: appA.id,
    appB: appB.id,
    appC: appC.id,
    appD: appD.id,
    ownTask: own.id,
    foreignTask: foreign.id,
    complaintId: complaint.id,
    honourId: honour.id,
    importId: preview.id,
  };
}

/** How a persona may use an action with a given value: allowed, or refused with nothing changed. */
export interface ActionCase {
  value: Record<string, unknown>;
  form?: Record<string, unknown>;
  /** Who may do it, read from the action's declaration in the registry; everyone else must be refused. */
  allowed: Persona[] | 'all';
}

export interface ActionSpec {
  /** Changes rows when allowed (read-only actions are also checked to change nothing when allowed). */
  mutates: boolean;
  /** The value naming the personas' own rows (team A, the contact's application, the expert's task). */
  own: ActionCase;
  /** The same action on rows of other people. */
  foreign?: ActionCase;
}

/** What the fixture gives each action to act on: values and forms only; who may act comes from the registry. */
type ActionRows = { mutates: boolean; own: Omit<ActionCase, 'allowed'>; foreign?: Omit<ActionCase, 'allowed'> };

/** The roles each persona's actor holds in the seeded database (a leader is also a member of their team). */
export const personaRoles: Record<Persona, Role[]> = { public: [], member: ['member'], leader: ['leader', 'member'], contact: ['org_contact'], expert: ['expert'], admin: ['admin'] };

/**
 * Who may use an action, from its declaration: a plain role lets in whoever holds it; a row role lets in
 * its persona on the personas' own rows only (team A, the contact's application, the expert's task), and one for who
 * the row named before (a former leader) lets in nobody: the rows name who holds them now.
 */
export function allowedBy(def: Pick<CardActionDef, 'roles'>, rows: 'own' | 'foreign'): Persona[] | 'all' {
  if (def.roles.includes('public')) return 'all';
  return personaNames.filter((p) => def.roles.some((r) => (typeof r === 'string' ? personaRoles[p].includes(r as Role) : rows === 'own' && !r.former && personaRoles[p].includes(r.persona))));
}

/** Send limits out of the way, the simulated platform's per-receiver limit lifted with them (fakePerReceiver): no test here waits on the outbox's pace. */
export const NO_SEND_LIMITS = { perApp: 1000, perReceiver: 1000 };

/** The bot on a fresh database with the fixture seeded, at NOW, with send limits out of the way. */
export async function startSecurityHarness(): Promise<{ h: Harness; f: Fixture; table: Record<string, ActionSpec> }> {
  const h = await startHarness({ clock: new ManualClock(NOW), outboxLimits: NO_SEND_LIMITS });
  const f = await seedFixture(h.db.db);
  return { h, f, table: actionTable(f, h.app.registry) };
}

/**
 * The fixture's bot for the describe block this is called in, on a database of its own, with the one-statement paths
 * on ('fast', the default) or off; `take` receives it once started, and it is closed after the block.
 */
export function securityBotForBlock(take: (bot: { h: Harness; f: Fixture }) => void, mode: 'fast' | 'ordinary' = 'fast'): void {
  let started: Harness | undefined;
  beforeAll(async () => {
    const bot = await startSecurityHarness();
    bot.h.app.processor.fastPaths = mode === 'fast';
    started = bot.h;
    take(bot);
  });
  afterAll(async () => {
    await started?.close();
  });
}

/**
 * The counted bot (`countedBot`, test/support/wire.ts) on the fixture, at NOW, with send limits out of the way, for the
 * describe block it is called in; `more` seeds after the fixture, before the bot starts. `f` is the fixture.
 */
export function countedFixtureBot(more?: (db: Db, f: Fixture) => Promise<unknown>, opts: Pick<CountedBotOptions<Fixture>, 'db' | 'countUntil'> = {}): CountedBot<Fixture> {
  const seed = async (db: Db) => {
    const f = await seedFixture(db);
    await more?.(db, f);
    return f;
  };
  return countedBot({ clock: NOW, outboxLimits: NO_SEND_LIMITS, seed, ...opts });
}

/** Each registered action with the rows it is tried on and who may use it, as its declaration says. */
export function actionTable(f: Fixture, registry: BotRegistry): Record<string, ActionSpec> {
  const out: Record<string, ActionSpec> = {};
  for (const [action, rows] of Object.entries(actionRows(f))) {
    const def = registry.action(action);
    if (!def) continue;
    out[action] = {
      mutates: rows.mutates,
      own: { ...rows.own, allowed: allowedBy(def, 'own') },
      ...(rows.foreign ? { foreign: { ...rows.foreign, allowed: allowedBy(def, 'foreign') } } : {}),
    };
  }
  return out;
}

/**
 * The rows every card action is tried on. A new action without an entry here fails the matrix test
 * until its rows are written; who may use it is never written here.
 */
export function actionRows(f: Fixture): Record<string, ActionRows> {
  const cycle = { cycleId: f.cycleId };
  // an action on rows nobody owns among the personas (the cycle, a complaint): one case
  const tried = (value: Record<string, unknown> = {}, form?: Record<string, unknown>, mutates = false): ActionRows => ({ mutates, own: { value, form } });
  const onTeam = (mutates: boolean, extra: Record<string, unknown> = {}, form?: Record<string, unknown>): ActionRows => ({
    mutates,
    own: { value: { teamId: f.teamA.id, ...extra }, form },
    foreign: { value: { teamId: f.teamB.id, ...extra }, form },
  });
  const onApplicationOfContact = (mutates: boolean, form?: Record<string, unknown>): ActionRows => ({
    mutates,
    own: { value: { applicationId: f.appA }, form },
    foreign: { value: { applicationId: f.appB }, form },
  });
  const onOwnTask = (mutates: boolean, form?: Record<string, unknown>): ActionRows => ({
    mutates,
    own: { value: { assignmentId: f.ownTask }, form },
    foreign: { value: { assignmentId: f.foreignTask }, form },
  });
  const endorsement = { truthful: true, opinion: '材料属实，同意推荐' };
  return {
    'help.menu': tried(),
    'help.private': { mutates: true, own: { value: {} } },
    'measures.article': tried({ article: 16 }),
    'measures.browse': tried(),
    'team.registerForm': tried(),
    'team.register': { mutates: true, own: { value: {}, form: registrationForm('矩阵') } },
    'team.status': tried(),
    'team.editForm': onTeam(false),
    'team.editSave': onTeam(true, {}, { phone: '020-7654321' }),
    'team.members': onTeam(false),
    'team.memberAdd': onTeam(true, {}, { members: [NEWCOMER] }),
    'team.memberRemove': onTeam(true, { openId: personas.member }),
    'team.leaderForm': onTeam(false),
    'team.leaderStart': tried(),
    // `from` the team's own leader, as its card is drawn for; the contact chosen, never a member (第十五条), so it is
    // refused for that: handed to a member, team A would have no leader persona for the actions tried after it (its
    // success path is measured in roundTrips.actions and test/db/teamLeaderChange.test.ts)
    'team.leaderChange': { mutates: true, own: { value: { teamId: f.teamA.id, from: personas.leader }, form: { leader: personas.contact } }, foreign: { value: { teamId: f.teamB.id, from: OTHER_LEADER }, form: { leader: personas.contact } } },
    'application.start': tried(),
    'application.open': onTeam(false, { year: YEAR }),
    'application.save': onTeam(true, { year: YEAR }, applicationForm()),
    'application.submit': onTeam(true, { year: YEAR }, applicationForm()),
    'application.copyPrevious': onTeam(true, { year: YEAR }),
    'application.recall': onTeam(true, { year: YEAR }),
    'application.recallList': tried(),
    'endorse.list': tried(),
    'endorse.open': onApplicationOfContact(false),
    'endorse.recommend': onApplicationOfContact(true, endorsement),
    'endorse.return': onApplicationOfContact(true, { opinion: '请补充 QC 活动记录' }),
    'check.list': tried(),
    'check.accept': tried({ applicationId: f.appC }, {}, true),
    'check.return': tried({ applicationId: f.appC }, { [`reason_${f.appC}`]: '缺少顾客确认材料' }, true),
    'check.application': tried({ applicationId: f.appC }, undefined, true), // sends the whole 申报表 as a message of its own
    'complaint.start': tried({ teamId: f.teamA.id }),
    'complaint.submit': { mutates: true, own: { value: { teamId: f.teamB.id, formKey: 'matrix-form' }, form: { content: '施工围挡占道，未按期恢复', contact: '13800000000' } } },
    'complaint.uphold': tried({ complaintId: f.complaintId }, { note: '经核实属实' }, true),
    'complaint.dismiss': tried({ complaintId: f.complaintId }, { note: '经核实不属实' }, true),
    // the fixture's one complaint named as its own copy: an administrator is refused for what was typed, not for who they are
    'complaint.duplicate': tried({ complaintId: f.complaintId }, { note: '与另一件投诉为同一件事', duplicateOf: `TS-${YEAR}-0001` }, true),
    'complaint.withdraw': tried({ complaintId: f.complaintId }, { note: '投诉人要求撤回' }, true),
    // the fixture's complaint is open: a correction is refused for that (its success path: test/db/complaintCorrection.test.ts)
    'complaint.correctAsk': tried({ complaintId: f.complaintId }),
    'complaint.correct': tried({ complaintId: f.complaintId, to: 'dismissed' }, { note: '误点成立' }, true),
    'complaint.list': tried(),
    'complaint.open': tried({ complaintId: f.complaintId }),
    'revocation.revoke': tried({ honourId: f.honourId }, { reason: '连续两次投诉成立' }, true),
    'revocation.open': tried({ honourId: f.honourId }),
    'revocation.keep': tried({ honourId: f.honourId }, { reason: '已整改到位' }, true),
    'admin.menu': tried(),
    'cycle.form': tried(),
    'cycle.open': tried(
      {},
      { year: '2028', applicationDeadline: '2028-05-31', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15', awardThreshold: '85', expertsPerApplication: '3', recommendShare: '0.1' },
      true,
    ),
    'cycle.settings': tried(cycle),
    'cycle.settingsSave': tried(cycle, { awardThreshold: '88' }, true),
    'cycle.sheetForm': tried(cycle),
    'cycle.sheetLoad': tried(cycle, { sheet: '不是评分表' }, true),
    'cycle.closeApplications': tried(cycle, {}, true),
    'admins.list': tried(),
    'admins.add': tried({}, { admins: [NEWCOMER] }, true),
    'admins.remove': tried({ openId: NEWCOMER }, undefined, true),
    'association.contactForm': tried(),
    'association.contactSave': tried({}, { contactName: '协会秘书处 张三', contactPhone: '020-12345678' }, true),
    'association.contact': tried(),
    'certificate.check': tried(),
    'experts.list': tried(),
    'experts.add': tried({}, { experts: [NEWCOMER], organization: ORG_POOL, specialities: '桥梁检测', maxLoad: '10' }, true),
    'experts.edit': tried({ openId: personas.expert }),
    'experts.deactivate': tried({ openId: personas.expert }, undefined, true),
    'experts.activate': tried({ openId: OTHER_EXPERT }, undefined, true),
    'experts.conflictForm': tried(),
    'experts.conflictAdd': tried({}, { kind: 'team', target: f.teamB.code, reason: '曾为该班组提供咨询' }, true),
    'review.list': tried(),
    'review.next': tried(),
    'review.open': onOwnTask(false),
    'review.application': onOwnTask(true), // sends the whole 申报表 as a message of its own
    'review.submit': onOwnTask(true, scoreForm()),
    'review.declineForm': onOwnTask(false),
    'review.decline': onOwnTask(true, { kind: 'unavailable', reason: '评审期间出差' }),
    'review.assign': tried(cycle, {}, true),
    'bulk.show': tried({ jobId: f.bulkJobId }),
    'bulk.retry': tried({ jobId: f.bulkJobId }),
    'review.progress': tried(cycle),
    'review.panel': tried({ applicationId: f.appD }),
    'review.panelByCode': tried(cycle, { code: f.teamD.code }),
    'review.swap': tried({ assignmentId: f.foreignTask }, undefined, true),
    'review.reopen': tried({ assignmentId: f.ownTask }, undefined, true),
    'results.close': tried(cycle, undefined, true),
    'results.preview': tried(cycle),
    'results.years': tried(),
    'results.publish': tried(cycle, undefined, true),
    // a file message to the administrator's own chat: an outbox row
    'results.workbook': tried(cycle, undefined, true),
    'import.guide': tried(),
    'import.template': tried({}, undefined, true),
    // 导出当前名册: a file message to the administrator's own chat, an outbox row
    'import.export': tried({}, undefined, true),
    'import.page': tried({ importId: f.importId, page: 0 }),
    'import.apply': tried({ importId: f.importId }, undefined, true),
  };
}

const admins: Persona[] = ['admin'];

/** Who may use each command (by its first name), and where it is sent. */
export const commandTable: Record<string, { allowed: Persona[] | 'all'; chat: 'p2p' | 'group' }> = {
  帮助: { allowed: 'all', chat: 'p2p' },
  // 协会联系方式 as set, or that none is: for anyone
  联系协会: { allowed: 'all', chat: 'p2p' },
  管理: { allowed: admins, chat: 'p2p' },
  条款: { allowed: 'all', chat: 'p2p' },
  注册: { allowed: 'all', chat: 'p2p' },
  进度: { allowed: 'all', chat: 'p2p' },
  申报: { allowed: 'all', chat: 'p2p' },
  // a leader's own team (or a picker of theirs); an administrator is told to name the team by its code
  更换班组长: { allowed: ['leader', 'admin'], chat: 'p2p' },
  // the 进度 card's buttons typed: the leader's card; an administrator is told to name the team by its code; anyone
  // else is told only the leader may
  修改资料: { allowed: ['leader', 'admin'], chat: 'p2p' },
  班组成员: { allowed: ['leader', 'admin'], chat: 'p2p' },
  // 变更记录 <班组编号>: who changed a team's record and when (第十七条), for administrators; alone, how to name the team
  变更记录: { allowed: admins, chat: 'p2p' },
  绑定通知: { allowed: admins, chat: 'group' },
  解绑: { allowed: admins, chat: 'group' },
  投诉: { allowed: 'all', chat: 'p2p' },
  // a certificate's number or a team checked (第二十一条): public facts, for anyone; alone, the form to fill
  查询证书: { allowed: 'all', chat: 'p2p' },
  // a complainant's own complaints; an administrator's list to handle
  我的投诉: { allowed: 'all', chat: 'p2p' },
  // an administrator's list of complaints; anyone else is answered from the measures on complaints, no refusal
  投诉处理: { allowed: 'all', chat: 'p2p' },
  评分: { allowed: ['expert'], chat: 'p2p' },
  // a button of an expert's cards typed: the next sheet, or how to press it; anyone else a question for the measures
  评下一份: { allowed: 'all', chat: 'p2p' },
  查看申报表全文: { allowed: 'all', chat: 'p2p' },
  谢绝此任务: { allowed: 'all', chat: 'p2p' },
  // the task list's button typed: an expert gets the declaration form privately; anyone else a question for the measures
  声明利益冲突: { allowed: 'all', chat: 'p2p' },
  导入: { allowed: admins, chat: 'p2p' },
  // 导出当前名册 typed: the register to the administrator's own chat (in a group, a note there)
  导出名册: { allowed: admins, chat: 'p2p' },
  导出: { allowed: admins, chat: 'p2p' },
  // 导入's card's labels typed (导入模板, 导入班组名单…): an administrator's 导入 card; anyone else what the text says otherwise
  下载导入模板: { allowed: 'all', chat: 'p2p' },
  // a button of the association's cards typed (分配专家…): an administrator's 协会管理 card; anyone else a question for the measures
  管理菜单: { allowed: 'all', chat: 'p2p' },
  // the same buttons named in English (assign experts, publish results): the 协会管理 card for an administrator; anyone else
  // a question for the measures
  'open review': { allowed: 'all', chat: 'p2p' },
  // 历年评审结果 / 评审结果 2026: an administrator's years of results; anyone else a question for the measures, as before
  历年评审结果: { allowed: 'all', chat: 'p2p' },
  // results alone: an administrator's 协会管理 card, as 评审结果 alone; someone of a team where their own result is (进度);
  // anyone else a question for the measures, as before
  results: { allowed: 'all', chat: 'p2p' },
  // 评审结果 alone, 管理's button typed, as results alone: an administrator's 协会管理 card; someone of a team where their own
  // result is (进度); anyone else a question for the measures
  评审结果: { allowed: 'all', chat: 'p2p' },
  // a leader's submitted applications to take back, each with its button; anyone else is told who can
  撤回申报: { allowed: 'all', chat: 'p2p' },
  // the caller's teams' returned applications with their opinions; anyone else is told there is none
  退回原因: { allowed: 'all', chat: 'p2p' },
  // a contact's list of applications to confirm; anyone else is told it is the contacts' (第十五条)
  待确认的申报: { allowed: ['contact'], chat: 'p2p' },
  // 推荐 / 确认: a contact's list of applications waiting for them; anyone else a question for the measures, as before
  推荐: { allowed: 'all', chat: 'p2p' },
  // 评分表: an administrator's 协会管理 card (载入评分表), an expert's next sheet; anyone else a question for the measures (第十八条), as before
  评分表: { allowed: 'all', chat: 'p2p' },
  // 任务 / 打分 / 评审: an expert's tasks; anyone else a question for the measures, as before
  任务: { allowed: 'all', chat: 'p2p' },
  // 班组编号: the caller's teams' codes; someone of no team is told when a team gets one
  班组编号: { allowed: 'all', chat: 'p2p' },
};

export const allows = (c: { allowed: Persona[] | 'all' }, p: Persona) => c.allowed === 'all' || c.allowed.includes(p);

/**
 * Every table's row count and a hash of its contents, in one statement: equal snapshots mean nothing
 * changed. processed_events is left out (each delivery adds its own dedupe row), and so are the
 * tables named in `except`.
 */
export async function snapshot(db: Db, except: string[] = []): Promise<Record<string, string>> {
  const tables = rowsOf(
    await db.execute(sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`),
  ).map((r) => (r as { name: string }).name);
  const kept = tables.filter((t) => t !== 'processed_events' && !except.includes(t));
  const parts = kept.map((t) => `select '${t}' as name, count(*)::int as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as h from "${t}" x`);
  const rows = rowsOf(await db.execute(sql.raw(parts.join(' union all ')))) as { name: string; n: number; h: string }[];
  return Object.fromEntries(rows.map((r) => [r.name, `${r.n}:${r.h}`]));
}

/** The schema's invariants as queries; each names the rows breaking it (none when the data is sound). */
export async function invariantViolations(db: Db): Promise<Record<string, unknown[]>> {
  const statuses = sql.join(Object.keys(applicationStatusNames).map((s) => sql`${s}`), sql`, `);
  const q = async (query: ReturnType<typeof sql>) => rowsOf(await db.execute(query));
  const out: Record<string, unknown[]> = {
    'application without its team or cycle': await q(sql`
      select a.id from applications a left join teams t on t.id = a.team_id left join cycles c on c.id = a.cycle_id
      where t.id is null or c.id is null`),
    'two applications of one team in one cycle': await q(sql`select team_id, cycle_id from applications group by 1, 2 having count(*) > 1`),
    'application in a state the machine does not know': await q(sql`select id, status from applications where status not in (${statuses})`),
    'assignment to someone who is not an expert': await q(sql`
      select s.id, s.expert_open_id from assignments s left join people p on p.open_id = s.expert_open_id
      where p.open_id is null or not ('expert' = any(p.roles))`),
    'expert assigned to an application of their own organisation': await q(sql`
      select s.id from assignments s join applications a on a.id = s.application_id join teams t on t.id = a.team_id
      join people p on p.open_id = s.expert_open_id
      where s.status in ('assigned', 'submitted') and p.organization_id = t.organization_id`),
    'team code not GDSZ-<year>-<serial>': await q(sql`select id, code from teams where code !~ '^GDSZ-[0-9]{4}-[0-9]{4}$'`),
    'team code used twice': await q(sql`select code from teams group by code having count(*) > 1`),
    'team whose leader is not its leader member': await q(sql`
      select t.id from teams t where (select count(*) from team_members m where m.team_id = t.id and m.role = 'leader') <> 1
      or not exists (select 1 from team_members m where m.team_id = t.id and m.role = 'leader' and m.open_id = t.leader_open_id)`),
    'outbox row without a key or with an unknown status': await q(sql`
      select id, status from outbox where coalesce(dedupe_key, '') = '' or status not in ('held', 'pending', 'sending', 'sent', 'undeliverable', 'dead', 'dropped')`),
    'cycle in an unknown state': await q(sql`select id, status from cycles where status not in ('open', 'scoring', 'closed', 'published')`),
    'complaint in an unknown state': await q(sql`select id, status from complaints where status not in ('open', 'upheld', 'dismissed', 'duplicate', 'withdrawn')`),
    // 重复 names another complaint of the same team that is not itself a 重复; nothing else names one
    'complaint 重复 of nothing, of itself, of another team or of a 重复': await q(sql`
      select c.id from complaints c left join complaints o on o.id = c.duplicate_of
      where (c.status = 'duplicate') <> (c.duplicate_of is not null)
        or (c.status = 'duplicate' and (o.id is null or o.id = c.id or o.team_id <> c.team_id or o.status = 'duplicate'))`),
  };
  const submitted = (await q(sql`
    select s.id, s.scores, s.total::float8 as total, c.score_sheet from assignments s join applications a on a.id = s.application_id
    join cycles c on c.id = a.cycle_id where s.status = 'submitted'`)) as { id: number; scores: Record<string, number> | string; total: number; score_sheet: unknown }[];
  out['score outside 0..max, or a total that is not their sum'] = submitted.filter((s) => {
    const scores = (typeof s.scores === 'string' ? JSON.parse(s.scores) : s.scores) ?? {};
    const items = sheetItems(cycleScoreSheet({ scoreSheet: typeof s.score_sheet === 'string' ? JSON.parse(s.score_sheet) : s.score_sheet }));
    const sum = items.reduce((n, i) => n + Number(scores[i.code]), 0);
    return items.some((i) => !(Number(scores[i.code]) >= 0 && Number(scores[i.code]) <= i.max)) || Math.abs(sum - Number(s.total)) > 0.001;
  });
  return Object.fromEntries(Object.entries(out).filter(([, rows]) => rows.length > 0));
}
