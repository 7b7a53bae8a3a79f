import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { fastSubmitScores } from '../../src/review/fastSubmit.js';
import { cardActions, cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { MODES_HERE, writtenCounts } from '../support/worlds.js';
import { testDatabaseKind } from '../support/db.js';

/**
 * After 结束评分并汇总, 重开评分 takes the year back to scoring for the reopened sheets alone. Once the last of them is
 * in again, the year can be summed again: the administrators are told so, once, in the transaction of the step that
 * completed the last panel (a 提交评分 here). The one-statement submit leaves such a sheet to the ordinary path
 * (migration 0015); a sheet that leaves another of the year pending, or a year never summed, tells nobody.
 */
const EXPERTS = Array.from({ length: 2 }, (_, i) => `ou_reopeningdone00000000000000000${i + 1}`);
const TITLE = '重开的评分已全部完成';

describe.each(MODES_HERE)('the administrators hear when a reopened year can be summed again (%s path)', (mode) => {
  let h: Harness;
  beforeEach(async () => {
    await h?.close();
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => h.db.db;

  /** The 2027 cycle, two accepted applications of two organisations, both experts on each panel. */
  async function seedYear() {
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '2' });
    expect(opened.toast?.type).toBe('success');
    const [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
    const apps: number[] = [];
    for (const n of [1, 2]) {
      const leader = `ou_reopeningdoneleader00000000000${n}`;
      const contact = `ou_reopeningdonecontact0000000000${n}`;
      const [o] = await db().insert(organizations).values({ name: `广东汇总第${n}市政公司` }).returning();
      await db().insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'], organizationId: o.id }]);
      const [team] = await db()
        .insert(teams)
        .values({
          code: `GDSZ-2025-000${n}`, name: `汇总${n}班`, organizationId: o.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
          memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
        })
        .returning();
      await db().insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
      const [a] = await db()
        .insert(applications)
        .values({
          teamId: team.id, cycleId, status: 'accepted', form: { title: `成果${n}`, category: 'engineering', summary: '成果简介', materialsUrl: 'https://example.feishu.cn/docx/x' },
          submittedAt: new Date('2027-03-04T00:00:00Z'), endorsement: { decision: 'recommend', truthful: true, opinion: '同意', by: contact, at: '2027-03-04T00:00:00Z' },
        })
        .returning();
      apps.push(a.id);
    }
    expect((await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '', maxLoad: '20' })).toast?.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    const tasks = await db().select().from(assignments).orderBy(asc(assignments.id));
    expect(tasks).toHaveLength(4);
    return { cycleId, apps, tasks };
  }

  const submit = async (t: { id: number; expertOpenId: string }, total = 90) => {
    const body = await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(total));
    expect(body.toast?.type, JSON.stringify(body.toast)).toBe('success');
  };
  const reopen = async (id: number) => expect((await h.click(ADMIN, { action: 'review.reopen', assignmentId: id })).toast?.type).toBe('success');
  const sheetOf = <T extends { applicationId: number }>(tasks: T[], applicationId: number): T => tasks.find((t) => t.applicationId === applicationId)!;

  /** The notices queued to the administrators, and the cards of them Feishu received. */
  const notices = async () => ({
    rows: (await db().select().from(outbox).where(like(outbox.dedupeKey, 'review:reopeningDone:%'))).map((r) => [r.dedupeKey.replace(/:\d+:\d+:/, ':<cycle>:<reopen>:'), r.receiver]),
    received: h.fake.messages.filter((m) => m.receiveId === ADMIN && cardText(m.content).includes(TITLE)),
  });

  it('told once when the last reopened sheet comes back, not before; 结束评分并汇总 then passes; a later reopening tells again', async () => {
    const { cycleId, apps, tasks } = await seedYear();
    for (const t of tasks) await submit(t);
    expect(await notices()).toEqual({ rows: [], received: [] });
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');

    // two sheets of two applications reopened: the first back leaves the other to wait, and nobody is told
    const [a, b] = [sheetOf(tasks, apps[0]), sheetOf(tasks, apps[1])];
    await reopen(a.id);
    await reopen(b.id);
    await submit(a, 92);
    expect((await notices()).rows).toEqual([]);

    // the one statement leaves the last one to the ordinary path, having written nothing (on PGlite there is none)
    if (mode === 'fast' && testDatabaseKind() === 'postgres') {
      const before = await writtenCounts(db());
      const tried = await fastSubmitScores(h.db, { eventId: randomEventId(), eventType: 'card.action.trigger', openId: b.expertOpenId, assignmentId: b.id, formValue: scoreForm(93), now: h.clock.now(), timezone: 'Asia/Shanghai' });
      expect(tried).toEqual({ kind: 'ordinary' });
      expect(await writtenCounts(db())).toEqual(before);
    }

    await submit(b, 93);
    const told = await notices();
    expect(told.rows).toEqual([['review:reopeningDone:<cycle>:<reopen>:user:' + ADMIN, ADMIN]]);
    expect(told.received).toHaveLength(1);
    const text = cardText(told.received[0].content);
    expect(text).toContain('2027年度评审');
    expect(text).toContain('最后完成的是 **GDSZ-2025-0002 汇总2班**');
    expect(text).toContain('结束评分并汇总');
    expect(cardActions(told.received[0].content)).toEqual([{ action: 'review.progress', cycleId }]);

    // the same sheet sent again changes nothing and tells nobody again
    const again = await h.click(b.expertOpenId, { action: 'review.submit', assignmentId: b.id }, scoreForm(93));
    expect(again.toast?.type).toBe('info');
    expect((await notices()).received).toHaveLength(1);

    // what the notice says is so: the year sums again
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    expect((await db().select({ status: cycles.status }).from(cycles))[0].status).toBe('closed');

    // a second reopening of the same year is told again, once
    await reopen(a.id);
    await submit(a, 91);
    expect((await notices()).received).toHaveLength(2);
    // keyed by the reopening: two keys
    const keys = (await db().select({ key: outbox.dedupeKey }).from(outbox).where(like(outbox.dedupeKey, 'review:reopeningDone:%'))).map((r) => r.key);
    expect(new Set(keys).size).toBe(2);
  });

  it('the last two reopened sheets, of two applications, submitted at once: one notice each reopening', async () => {
    const { cycleId, apps, tasks } = await seedYear();
    for (const t of tasks) await submit(t);
    const [a, b] = [sheetOf(tasks, apps[0]), sheetOf(tasks, apps[1])];
    for (let round = 1; round <= 3; round++) {
      expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
      await reopen(a.id);
      await reopen(b.id);
      const both = await Promise.all([a, b].map((t) => h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90 + round))));
      expect(both.map((x) => x.toast?.type)).toEqual(['success', 'success']);
      await h.drain();
      expect((await notices()).received, `round ${round}`).toHaveLength(round);
      expect((await db().select({ status: applications.status }).from(applications)).map((r) => r.status)).toEqual(['scored', 'scored']);
    }
  });

  it('nobody is told when a year never summed completes its panels, nor when a sheet reopened before 汇总 comes back', async () => {
    const { apps, tasks } = await seedYear();
    for (const t of tasks) await submit(t);
    const a = sheetOf(tasks, apps[0]);
    await reopen(a.id);
    await submit(a, 88);
    expect(await notices()).toEqual({ rows: [], received: [] });
    expect((await db().select().from(applications).where(and(eq(applications.id, apps[0]), eq(applications.status, 'scored'))))).toHaveLength(1);
  });
});
