import { asc, desc, eq, gt } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, assignments, auditLog, cycles, organizations, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { fastReopen } from '../../src/fast/reopen.js';
import { fastSubmitScores } from '../../src/review/fastSubmit.js';
import { enqueueQuietly } from '../../src/outbox.js';
import { taskCardMessage } from '../../src/review/taskCards.js';
import { cardActions, cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { comparableAnswer, leavesToOrdinary, MODES, type Mode, writtenCounts } from '../support/worlds.js';

/**
 * 重开评分 of a sheet whose expert must step aside from the team (回避, 第十七条: a declared conflict, their own
 * organisation, a place in the team). The conflict alert tells the administrator 先“重开评分”，再“更换专家”: the reopen
 * is the first step of taking the expert off the panel, not a request to them to score the team again. So the sheet is
 * reopened (its application and a summed year back to scoring, audited) but no card goes to that expert, not even a task
 * card still waiting in the outbox, and the answer tells the administrator to 更换专家. The one-statement path leaves the
 * case to the ordinary one: both answer and write the same.
 */
const EXPERTS = Array.from({ length: 3 }, (_, i) => `ou_reopenrecused00000000000000000${i + 1}`);
const LEADER = 'ou_reopenrecusedleader0000000000001';
const CONTACT = 'ou_reopenrecusedcontact000000000001';
const REOPENED_NOTE = '协会管理员已重开这份评分';

async function start(mode: Mode): Promise<Harness> {
  const h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  h.app.processor.fastPaths = mode === 'fast';
  return h;
}

/** The 2027 cycle with panels of `experts`, one accepted application of its own organisation's team, scored by the first two experts. */
async function seedYear(h: Harness, experts: number) {
  const db = h.db.db;
  const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: String(experts) });
  expect(opened.toast?.type).toBe('success');
  const [{ id: cycleId }] = await db.select({ id: cycles.id }).from(cycles);
  const [o] = await db.insert(organizations).values({ name: '广东回避市政公司' }).returning();
  await db.insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'], organizationId: o.id }]);
  const [team] = await db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0001', name: '回避一班', organizationId: o.id, department: '工程部', type: 'project', leaderOpenId: LEADER, phone: '020-1234567',
      memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  await db.insert(teamMembers).values({ teamId: team.id, openId: LEADER, role: 'leader' });
  const [application] = await db
    .insert(applications)
    .values({
      teamId: team.id, cycleId, status: 'accepted', form: { title: '成果1', category: 'engineering', summary: '成果简介', materialsUrl: 'https://example.feishu.cn/docx/x' },
      submittedAt: new Date('2027-03-04T00:00:00Z'), endorsement: { decision: 'recommend', truthful: true, opinion: '同意', by: CONTACT, at: '2027-03-04T00:00:00Z' },
    })
    .returning();
  expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS.slice(0, 2), organization: '专家委员会', specialities: '', maxLoad: '20' })).toast?.type).toBe('success');
  expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
  const tasks = await db.select().from(assignments).orderBy(asc(assignments.id));
  expect(tasks).toHaveLength(experts);
  for (const t of tasks) expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90))).toast?.type).toBe('success');
  return { cycleId, organizationId: o.id, team, application, tasks };
}

/** Where the rows stood before a step: what it and the steps after it write is read after these ids. */
async function mark(db: Db) {
  const [a] = await db.select({ id: auditLog.id }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
  const [o] = await db.select({ id: outbox.id }).from(outbox).orderBy(desc(outbox.id)).limit(1);
  return { audit: a?.id ?? 0, outbox: o?.id ?? 0 };
}

/** What the steps since `since` wrote and the state they left, without ids and times the two databases stamp apart. */
async function writtenSince(db: Db, since: Awaited<ReturnType<typeof mark>>) {
  const sheets = (await db.select().from(assignments).orderBy(asc(assignments.id))).map(({ assignedAt: _a, submittedAt: _s, ...a }) => a);
  const apps = await db.select({ id: applications.id, status: applications.status }).from(applications).orderBy(asc(applications.id));
  const years = await db.select({ id: cycles.id, status: cycles.status }).from(cycles);
  const audits = (await db.select().from(auditLog).where(gt(auditLog.id, since.audit)).orderBy(asc(auditLog.id))).map(({ id: _i, ...a }) => a);
  const out = (await db.select().from(outbox).where(gt(outbox.id, since.outbox)).orderBy(asc(outbox.id))).map((o) => ({ dedupeKey: o.dedupeKey, receiver: o.receiver, status: o.status, card: o.card }));
  return { sheets, apps, years, audits, out };
}

/** Every message Feishu received, as its receiver reads it. */
const received = (h: Harness, since: number) => h.fake.messages.slice(since).map((m) => ({ to: m.receiveId, text: typeof m.content === 'object' ? cardText(m.content) : m.content }));

const reopenedSheetsTo = (h: Harness, openId: string, since: number) =>
  h.fake.messages.slice(since).filter((m) => m.receiveId === openId && m.msgType === 'interactive' && JSON.stringify(m.content).includes(REOPENED_NOTE));

/** The time a done deed is named by, read from the audit row: compared as a placeholder. */
const comparable = (b: any) => JSON.parse(JSON.stringify(comparableAnswer(b)).replace(/已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/g, '已于 <when>'));

describe('重开评分 of a sheet whose expert must step aside (回避, 第十七条)', () => {
  it('a conflict declared after 汇总: the sheet is reopened without a card to that expert, the answer says to 更换专家, and 更换专家 then takes them off; both paths alike', async () => {
    const worlds = {} as Record<Mode, unknown>;
    for (const mode of MODES) {
      const h = await start(mode);
      try {
        const db = h.db.db;
        const { cycleId, team, tasks } = await seedYear(h, 2);
        expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
        await h.click(ADMIN, { action: 'experts.add' }, { experts: [EXPERTS[2]], organization: '专家委员会', specialities: '', maxLoad: '20' });
        const conflicted = tasks[0];
        const declared = await h.click(conflicted.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: team.code, reason: '亲属在该班组' });
        expect(declared.toast?.type).toBe('success');

        // the one statement leaves it, having written nothing (on PGlite there is none: undefined at once)
        await leavesToOrdinary(
          () => writtenCounts(db),
          () => fastReopen(h.db, { eventId: randomEventId(), eventType: 'card.action.trigger', openId: ADMIN, assignmentId: conflicted.id, now: h.clock.now(), bootstrapAdmins: [ADMIN] }),
        );

        const sent = h.fake.messages.length;
        const before = await mark(db);
        const reopened = await h.click(ADMIN, { action: 'review.reopen', assignmentId: conflicted.id });
        expect(reopened.toast?.type, `${mode}: ${JSON.stringify(reopened.toast)}`).toBe('warning');
        expect(reopened.toast?.content).toBe(
          '已重开评分：回避一班。第十七条：评审坚持公开、公平和公正原则，该专家已声明与该班组存在利益冲突，须回避该班组的评审：未通知其重新评分，请接着点该专家的“更换专家”改派其他专家。',
        );
        // the panel: the sheet pending again, with its 更换专家
        expect(cardActions(reopened.card.data)).toContainEqual({ action: 'review.swap', assignmentId: conflicted.id });
        // what the reopen changed: the sheet, the application, the year; nothing to the expert who must step aside
        expect((await db.select().from(assignments).where(eq(assignments.id, conflicted.id)))[0]).toMatchObject({ status: 'assigned', submittedAt: null, total: 90 });
        expect((await db.select({ status: cycles.status }).from(cycles))[0].status).toBe('scoring');
        expect(h.fake.messages.slice(sent).filter((m) => m.receiveId === conflicted.expertOpenId), mode).toEqual([]);
        const [trail] = await db.select().from(auditLog).where(eq(auditLog.action, 'review.reopen'));
        expect(trail.details).toMatchObject({ expert: conflicted.expertOpenId, previousTotal: 90, cardKey: null, recused: '已声明与该班组存在利益冲突' });

        // clicked again: done, and what is left to do
        const again = await h.click(ADMIN, { action: 'review.reopen', assignmentId: conflicted.id });
        expect(again.toast?.type).toBe('info');
        expect(again.toast?.content).toMatch(/^已于 .* 重开评分（回避一班；该专家须回避，未通知其重新评分，请点“更换专家”改派），无需重复重开。$/);

        // 更换专家: the expert off the panel, the new one gets the task
        const swapped = await h.click(ADMIN, { action: 'review.swap', assignmentId: conflicted.id });
        expect(swapped.toast, mode).toMatchObject({ type: 'success', content: '已更换专家：回避一班' });
        const [replacement] = await db.select().from(assignments).where(eq(assignments.expertOpenId, EXPERTS[2]));
        expect(replacement).toMatchObject({ status: 'assigned', scores: null });
        expect(h.fake.messages.slice(sent).filter((m) => m.receiveId === EXPERTS[2] && m.msgType === 'interactive')).toHaveLength(1);
        expect(reopenedSheetsTo(h, conflicted.expertOpenId, sent), mode).toEqual([]);

        worlds[mode] = { answers: [reopened, again, swapped].map(comparable), rows: await writtenSince(db, before), received: received(h, sent) };
      } finally {
        await h.close();
      }
    }
    expect(worlds.fast).toEqual(worlds.ordinary);
  });

  it('the reopened sheet stays unscorable by the expert who must step aside: their 提交评分 is refused citing 第十七条, nothing stored, until 更换专家; both paths alike', async () => {
    const worlds = {} as Record<Mode, unknown>;
    for (const mode of MODES) {
      const h = await start(mode);
      try {
        const db = h.db.db;
        const { cycleId, team, tasks } = await seedYear(h, 2);
        expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
        const conflicted = tasks[0];
        expect((await h.click(conflicted.expertOpenId, { action: 'experts.conflictAdd' }, { kind: 'team', target: team.code, reason: '亲属在该班组' })).toast?.type).toBe('success');
        expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: conflicted.id })).toast?.type).toBe('warning');
        const sheet = (await db.select().from(assignments).where(eq(assignments.id, conflicted.id)))[0];

        // the one statement leaves it to the ordinary path, having written nothing (on PGlite there is none)
        const counts = await writtenCounts(db);
        const fast = await fastSubmitScores(h.db, {
          eventId: randomEventId(), eventType: 'card.action.trigger', openId: conflicted.expertOpenId, assignmentId: conflicted.id, formValue: scoreForm(60), now: h.clock.now(), timezone: 'Asia/Shanghai',
        });
        expect(fast === undefined || fast.kind === 'ordinary', JSON.stringify(fast)).toBe(true);
        expect(await writtenCounts(db)).toEqual(counts);

        // the expert's old card: refused, the sheet as the reopen left it, the year still waiting for it
        const before = await mark(db);
        const refused = await h.click(conflicted.expertOpenId, { action: 'review.submit', assignmentId: conflicted.id }, scoreForm(60));
        expect(refused.toast, mode).toEqual({ type: 'error', content: '第十七条：评审坚持公开、公平和公正原则。你已声明与该班组存在利益冲突，须回避该班组的评审，这份评分不能提交；协会管理员将改派其他专家。' });
        expect((await db.select().from(assignments).where(eq(assignments.id, conflicted.id)))[0]).toEqual(sheet);
        expect((await db.select({ status: applications.status }).from(applications))[0].status).toBe('scoring');
        worlds[mode] = { answer: comparable(refused), rows: await writtenSince(db, before) };
      } finally {
        await h.close();
      }
    }
    expect(worlds.fast).toEqual(worlds.ordinary);
  });

  it('an expert of the team’s own organisation, their task card still waiting in the outbox: that card is not sent either', async () => {
    const worlds = {} as Record<Mode, unknown>;
    for (const mode of MODES) {
      const h = await start(mode);
      try {
        const db = h.db.db;
        const { organizationId, tasks } = await seedYear(h, 2);
        const [colleague] = tasks;
        // the expert's 所在单位 is now the team's (as an import records it), and a copy of their task card still waits
        // for its first attempt (as when the expert submitted from the 评分 list before it went out)
        await db.update(people).set({ organizationId }).where(eq(people.openId, colleague.expertOpenId));
        await db.delete(outbox).where(eq(outbox.dedupeKey, `review:task:${colleague.id}`));
        await enqueueQuietly(db, taskCardMessage({ id: colleague.id, expertOpenId: colleague.expertOpenId }));
        expect(await db.select({ status: outbox.status }).from(outbox).where(eq(outbox.dedupeKey, `review:task:${colleague.id}`))).toEqual([{ status: 'pending' }]);
        const sent = h.fake.messages.length;
        const before = await mark(db);
        const reopened = await h.click(ADMIN, { action: 'review.reopen', assignmentId: colleague.id });
        expect(reopened.toast?.type, `${mode}: ${JSON.stringify(reopened.toast)}`).toBe('warning');
        expect(reopened.toast?.content).toContain('该专家与该班组同属一个单位，须回避该班组的评审：未通知其重新评分，请接着点该专家的“更换专家”');
        await h.drain();
        expect(h.fake.messages.slice(sent).filter((m) => m.receiveId === colleague.expertOpenId), mode).toEqual([]);
        expect((await db.select({ status: applications.status }).from(applications))[0].status).toBe('scoring');
        worlds[mode] = { answer: comparable(reopened), rows: await writtenSince(db, before), received: received(h, sent) };
      } finally {
        await h.close();
      }
    }
    expect(worlds.fast).toEqual(worlds.ordinary);
  });

  it('an expert with no reason to step aside still gets the reopened sheet', async () => {
    for (const mode of MODES) {
      const h = await start(mode);
      try {
        const { tasks } = await seedYear(h, 2);
        const sent = h.fake.messages.length;
        const reopened = await h.click(ADMIN, { action: 'review.reopen', assignmentId: tasks[1].id });
        expect(reopened.toast, mode).toEqual({ type: 'success', content: '已重开评分并通知专家：回避一班' });
        expect(reopenedSheetsTo(h, tasks[1].expertOpenId, sent), mode).toHaveLength(1);
      } finally {
        await h.close();
      }
    }
  });
});
