import ExcelJS from 'exceljs';
import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, cycles, organizations, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { fastRegister } from '../../src/fast/register.js';
import { fastAddMembers } from '../../src/fast/teams.js';
import { applyImport, previewImport } from '../../src/import/index.js';
import { cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { registrationForm } from '../support/forms.js';
import { randomEventId } from '../support/larkEvents.js';

/**
 * 回避 (第十七条; RULES.md: no expert from the applicant's own organisation) where someone joins a team of the
 * organisation whose other team they hold to score. The planner counts a team's leader, member and contact as of its
 * organisation, and the submit refuses their sheet (与该班组同属一个单位，须回避); yet 修改资料 naming them contact of
 * team A, or 添加成员 adding them to A, stepped them aside from A's application alone: their task of B, A's sister team,
 * stayed assigned, neither to be scored nor replaced until an administrator noticed, and nobody was told. It is now
 * declined and replaced in the same transaction, the expert told why, a sheet already submitted reported and kept.
 */

const COMMITTEE = '广东省市政行业专家委员会';
const cycleForm = { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '3' };
const P = (n: number) => `ou_colleaguepool${String(n).padStart(19, '0')}`;
const LEADER = 'ou_colleagueleader000000000000000001';
const CONTACT = 'ou_colleaguecontact00000000000000001';
const pg = testDatabaseKind() === 'postgres';

let h: Harness;
let sister: { id: number; code: string; name: string };
let b: { id: number; code: string; name: string };
let app: number;

const taskOf = async (expert: string) => (await h.db.db.select().from(assignments).where(and(eq(assignments.applicationId, app), eq(assignments.expertOpenId, expert))))[0];
const panel = async () =>
  (await h.db.db.select({ expert: assignments.expertOpenId }).from(assignments).where(and(eq(assignments.applicationId, app), eq(assignments.status, 'assigned')))).map((a) => a.expert).sort();
const outboxLike = (pattern: string) => h.db.db.select().from(outbox).where(like(outbox.dedupeKey, pattern)).orderBy(asc(outbox.id));
const told = async (openId: string) => (await outboxLike(`review:recused:${b.id}:${openId}:%`)).map((r) => (r.card as { text: string }).text);

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
  expect((await h.click(ADMIN, { action: 'cycle.open' }, cycleForm)).toast.type).toBe('success');
  expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: [1, 2, 3, 4, 5, 6, 7].map(P), organization: COMMITTEE })).toast.type).toBe('success');
  const [{ id: cycleId }] = await h.db.db.select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '同单位市政公司' }).returning();
  await db.insert(people).values([LEADER, CONTACT, 'ou_colleagueleader000000000000000002'].map((openId) => ({ openId }))).onConflictDoNothing();
  const base = { organizationId: org.id, department: '工程部', type: 'project', phone: '020-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: CONTACT, registeredAt: '2025-01-10' };
  // A: the team the experts join, with no application; B: its sister team, under review
  [sister] = await db.insert(teams).values({ ...base, code: 'GDSZ-2025-0601', name: '同单位一班', leaderOpenId: LEADER }).returning();
  [b] = await db.insert(teams).values({ ...base, code: 'GDSZ-2025-0602', name: '同单位二班', leaderOpenId: 'ou_colleagueleader000000000000000002' }).returning();
  await db.insert(teamMembers).values([
    { teamId: sister.id, openId: LEADER, role: 'leader' },
    { teamId: b.id, openId: 'ou_colleagueleader000000000000000002', role: 'leader' },
  ]);
  const [application] = await db.insert(applications).values({ teamId: b.id, cycleId, status: 'scoring', form: { title: '成果', category: 'engineering' }, submittedAt: new Date('2027-04-01T00:00:00Z') }).returning();
  app = application.id;
  await db.insert(assignments).values([
    { applicationId: app, expertOpenId: P(1), status: 'assigned' },
    { applicationId: app, expertOpenId: P(2), status: 'assigned' },
    { applicationId: app, expertOpenId: P(3), status: 'submitted', scores: {}, total: 88, submittedAt: new Date('2027-03-04T00:00:00Z') },
  ]);
}, 120_000);
afterAll(async () => h?.close());

describe('someone joining a team who holds a sister team of its organisation to score', () => {
  it('修改资料 naming them the contact of A: their task of B is declined and replaced, and they are told why', async () => {
    const body = await h.click(LEADER, { action: 'team.editSave', teamId: sister.id }, { contact: P(1) });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    const old = await taskOf(P(1));
    expect(old.status).toBe('declined');
    expect(old.declineReason).toBe(`存在利益冲突：已成为同单位班组“${sister.name}”的单位联系人，与该班组同属一个单位，须回避`);
    // the replacement is someone outside the organisation's teams
    expect(await panel()).toEqual([P(2), P(4)]);
    const [line] = await told(P(1));
    expect(line).toContain(`你已成为“${sister.name}（${sister.code}）”的单位联系人，与“${b.name}（${b.code}）”同属一个单位，须回避该班组的评审`);
    expect(line).toContain('改派其他专家');
    const recusals = await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'review.recuse'));
    expect(recusals).toHaveLength(1);
    expect(recusals[0]).toMatchObject({ actor: LEADER, entityId: String(b.id), details: { expert: P(1), role: 'contact', via: sister.id, declined: [old.id], scored: [] } });
  });

  it('添加成员 adding them to A: the one statement gives way, and the click steps them aside from B', async () => {
    if (pg) {
      const before = await h.db.db.select().from(teamMembers).orderBy(asc(teamMembers.openId));
      const event = { eventId: randomEventId(), eventType: 'card.action.trigger', openId: LEADER, teamId: sister.id, bootstrapAdmins: [ADMIN] };
      expect(await fastAddMembers(h.db, event, [P(2)], h.clock.now(), async () => undefined)).toBeUndefined();
      expect(await h.db.db.select().from(teamMembers).orderBy(asc(teamMembers.openId))).toEqual(before);
    }
    const body = await h.click(LEADER, { action: 'team.memberAdd', teamId: sister.id }, { members: [P(2)] });
    expect(body.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
    expect((await taskOf(P(2))).status).toBe('declined');
    expect(await panel()).toEqual([P(4), P(5)]);
    expect((await told(P(2)))[0]).toContain(`的班组成员，与“${b.name}（${b.code}）”同属一个单位`);
  });

  it('a sheet already submitted for B: kept and counted, the administrators hear of it', async () => {
    const body = await h.click(LEADER, { action: 'team.memberAdd', teamId: sister.id }, { members: [P(3)] });
    expect(body.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
    expect(await taskOf(P(3))).toMatchObject({ status: 'submitted', total: 88 });
    const alerts = await outboxLike(`review:recusedScored:${b.id}:${P(3)}:%`);
    expect(alerts.map((a) => a.receiver)).toEqual([ADMIN]);
    expect(cardText(alerts[0].card)).toContain(`已成为“${sister.code} ${sister.name}”的班组成员（与下列班组同属一个单位），须回避`);
    expect((await told(P(3)))[0]).toContain('你此前已提交的 1 份该班组评分已报协会管理员处理');
  });

  it('someone holding no task of the organisation is added by the one statement as before', async () => {
    const body = await h.click(LEADER, { action: 'team.memberAdd', teamId: sister.id }, { members: [P(7)] });
    expect(body.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
    expect(await panel()).toEqual([P(4), P(5)]);
  });
});

describe('注册 of a team of the organisation by, or naming, someone who holds a sister team to score (第十七条)', () => {
  it('an expert registering a team of it, naming another expert its contact: both step aside from B, replaced and told', async () => {
    const form = registrationForm('同单位三班', P(4), { organization: '同单位市政公司' });
    if (pg) {
      // the one statement gives way to the ordinary path, writing nothing
      const event = { eventId: randomEventId(), eventType: 'card.action.trigger', openId: P(5), formValue: form, today: '2027-03-05', now: h.clock.now(), bootstrapAdmins: [ADMIN] };
      expect(await fastRegister(h.db, event)).toBeUndefined();
      expect(await h.db.db.select().from(teams).where(eq(teams.name, '同单位三班'))).toEqual([]);
    }
    const body = await h.click(P(5), { action: 'team.register' }, form);
    expect(body.toast.type).toBe('success');
    const [third] = await h.db.db.select().from(teams).where(eq(teams.name, '同单位三班'));
    expect(third).toMatchObject({ leaderOpenId: P(5), contactOpenId: P(4) });
    expect(await taskOf(P(4))).toMatchObject({ status: 'declined', declineReason: '存在利益冲突：已成为同单位班组“同单位三班”的单位联系人，与该班组同属一个单位，须回避' });
    expect(await taskOf(P(5))).toMatchObject({ status: 'declined', declineReason: '存在利益冲突：已成为同单位班组“同单位三班”的班组长，与该班组同属一个单位，须回避' });
    // P(6) is the one left outside the organisation's teams; the other place the administrators are asked to fill
    expect(await panel()).toEqual([P(6)]);
    expect((await told(P(4)))[0]).toContain(`你已成为“同单位三班（${third.code}）”的单位联系人，与“${b.name}（${b.code}）”同属一个单位，须回避该班组的评审`);
    expect((await told(P(5)))[0]).toContain(`你已成为“同单位三班（${third.code}）”的班组长，与“${b.name}（${b.code}）”同属一个单位`);
    const recusals = await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, 'review.recuse'), eq(auditLog.actor, P(5))));
    expect(recusals.map((r) => (r.details as { expert: string }).expert).sort()).toEqual([P(4), P(5)]);
  });

  it('someone holding nothing of the organisation registers as before (on PostgreSQL by the one statement)', async () => {
    const form = registrationForm('同单位四班', CONTACT, { organization: '同单位市政公司' });
    const leader = 'ou_colleagueleader000000000000000004';
    if (pg) {
      const event = { eventId: randomEventId(), eventType: 'card.action.trigger', openId: leader, formValue: form, today: '2027-03-05', now: h.clock.now(), bootstrapAdmins: [ADMIN] };
      expect((await fastRegister(h.db, event))?.team.name).toBe('同单位四班');
    } else {
      expect((await h.click(leader, { action: 'team.register' }, form)).toast.type).toBe('success');
    }
    expect(await panel()).toEqual([P(6)]);
  });
});

describe('an import moving an expert into the organisation and naming them contact of A', () => {
  it('reports their sheet of B to the administrators once, and tells them once', async () => {
    const db = h.db.db;
    const expert = P(8);
    const MOBILE = '13900000088';
    const [committee] = await db.select().from(organizations).where(eq(organizations.name, COMMITTEE));
    await db.insert(people).values({ openId: expert, name: '八号专家', roles: ['expert'], organizationId: committee.id });
    await db.insert(assignments).values({ applicationId: app, expertOpenId: expert, status: 'submitted', scores: {}, total: 80, submittedAt: new Date('2027-03-04T00:00:00Z') });
    const [a] = await db.select().from(teams).where(eq(teams.id, sister.id));
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['同单位市政公司']]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      [a.code, a.name, '同单位市政公司', '项目团队', '13900000081', '一班班长', MOBILE, '八号专家', a.registeredAt, a.memberCount, a.department],
    ]);
    wb.addWorksheet('专家').addRows([
      ['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限'],
      ['八号专家', MOBILE, '同单位市政公司', '', ''],
    ]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const lookup = async () => ({ byMobile: new Map([[MOBILE, expert], ['13900000081', LEADER]]), byEmail: new Map<string, string>() });
    const now = h.clock.now();
    const preview = await db.transaction((tx) => previewImport(tx, actor, { name: '同单位.xlsx', bytes }, lookup, '2027-03-05', now));
    await db.transaction((tx) => applyImport(tx, actor, preview.id, now, '2027-03-05', { bootstrapAdmins: [ADMIN] }));
    expect((await db.select().from(teams).where(eq(teams.id, sister.id)))[0].contactOpenId).toBe(expert);
    expect(await taskOf(expert)).toMatchObject({ status: 'submitted', total: 80 });
    const alerts = (await outboxLike('review:recusedScored:%')).filter((r) => r.dedupeKey.includes(`:${expert}:`));
    expect(alerts.map((r) => r.receiver)).toEqual([ADMIN]);
    const messages = (await outboxLike('review:recused:%')).filter((r) => r.receiver === expert);
    expect(messages).toHaveLength(1);
    const audits = (await db.select().from(auditLog).where(eq(auditLog.action, 'review.recuse'))).filter((r) => (r.details as { expert: string }).expert === expert);
    expect(audits).toHaveLength(1);
  });
});

describe('an import adding a team of the organisation whose contact holds a sister team to score', () => {
  it('steps them aside from B in the import, as 注册 does', async () => {
    const db = h.db.db;
    const MOBILE = '13900000086';
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['同单位市政公司']]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      ['', '同单位五班', '同单位市政公司', '项目团队', '13900000085', '五班班长', MOBILE, '六号专家', '2025-02-01', 9, '工程部'],
    ]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
    const lookup = async () => ({ byMobile: new Map([[MOBILE, P(6)], ['13900000085', 'ou_colleagueleader000000000000000005']]), byEmail: new Map<string, string>() });
    const now = h.clock.now();
    const preview = await db.transaction((tx) => previewImport(tx, actor, { name: '五班.xlsx', bytes }, lookup, '2027-03-05', now));
    await db.transaction((tx) => applyImport(tx, actor, preview.id, now, '2027-03-05', { bootstrapAdmins: [ADMIN] }));
    const [fifth] = await db.select().from(teams).where(eq(teams.name, '同单位五班'));
    expect(fifth.contactOpenId).toBe(P(6));
    expect(await taskOf(P(6))).toMatchObject({ status: 'declined', declineReason: '存在利益冲突：已成为同单位班组“同单位五班”的单位联系人，与该班组同属一个单位，须回避' });
    expect(await panel()).toEqual([]);
    expect((await told(P(6)))[0]).toContain(`你已成为“同单位五班（${fifth.code}）”的单位联系人，与“${b.name}（${b.code}）”同属一个单位`);
  });
});
