import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * The association's secretary through whole years. A year nobody could apply to ended 截止申报 told that experts were
 * “not yet assigned” as though applications waited for the formal check, and stayed 专家评分中; the next year's
 * 开启年度评审 was refused with a 协会管理 card that had no way to end it. 评审进度 left out the applications waiting for
 * the formal check that 结束评分并汇总 then refused for, flagged no panel an expert short, and the alert that nobody
 * could replace an expert said to press 分配专家 on a card without it.
 */

const form = (year: number) => ({ year: String(year), applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, awardThreshold: '85', expertsPerApplication: '3', recommendShare: '10%' });
const actionsOf = (card: unknown) => cardActions(card).map((a) => a.action);

describe('a year nobody applied to', () => {
  let h: Harness;
  const clock = new ManualClock('2026-03-01T09:00:00+08:00');
  beforeAll(async () => {
    h = await startHarness({ clock });
  });
  afterAll(async () => {
    await h?.close();
  });
  const cycleOf = async (year: number) => (await h.db.db.select().from(cycles).where(eq(cycles.year, year)))[0];

  it('截止申报 says the year had no applications and how it ends, in a short toast; 管理 offers 结束评分并汇总, not 分配专家', async () => {
    expect((await h.click(ADMIN, { action: 'cycle.open' }, form(2026))).toast.type).toBe('success');
    clock.set('2026-05-01T09:00:00+08:00');
    const c = await cycleOf(2026);
    const closed = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: c.id });
    expect(closed.toast.type).toBe('success');
    expect(closed.toast.content).toContain('没有申报');
    expect(closed.toast.content).not.toContain('形式审查');
    expect(closed.toast.content.length).toBeLessThanOrEqual(60);
    expectValidCard(closed.card.data);
    const text = cardText(closed.card.data);
    expect(text).toContain('结束评分并汇总');
    expect(text).toContain('公布结果');
    expect(actionsOf(closed.card.data)).toContain('results.close');
    expect(actionsOf(closed.card.data)).not.toContain('review.assign');

    const menu = await h.click(ADMIN, { action: 'admin.menu' });
    expect(actionsOf(menu.card.data)).toContain('results.close');
    expect(actionsOf(menu.card.data)).not.toContain('review.assign');
  });

  it('开启年度评审 the next spring names the next step, on a card with its button', async () => {
    clock.set('2027-03-10T09:00:00+08:00');
    for (const [value, formValue] of [[{ action: 'cycle.form' }, undefined], [{ action: 'cycle.open' }, form(2027)]] as const) {
      const refused = await h.click(ADMIN, value, formValue);
      expect(refused.toast.content).toContain('2026年度评审仍在进行');
      expect(refused.toast.content).toContain('结束评分并汇总');
      expect(refused.toast.content).toContain('公布结果');
      expect(actionsOf(refused.card.data)).toContain('results.close');
    }
    const c = await cycleOf(2026);
    expect((await h.click(ADMIN, { action: 'results.close', cycleId: c.id })).toast.type).toBe('success');
    // summed: the next step is 公布结果, reached from 评审进度/结果
    const refused = await h.click(ADMIN, { action: 'cycle.form' });
    expect(refused.toast.content).toContain('公布结果');
    expect(refused.toast.content).toContain('评审进度/结果');
    expect(cardText(refused.card.data)).toContain('评审进度/结果');
  });
});

describe('评审进度 while the experts score', () => {
  let h: Harness;
  const clock = new ManualClock('2027-06-01T09:00:00+08:00');
  const EXPERTS = ['ou_flowexpert00000000000000000000001', 'ou_flowexpert00000000000000000000002', 'ou_flowexpert00000000000000000000003'];
  beforeAll(async () => {
    h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => h.db.db;

  async function seed(cycleId: number, n: number, status: 'accepted' | 'recommended') {
    const [org] = await db().insert(organizations).values({ name: `进度单位${n}` }).returning();
    const leader = `ou_flowleader00000000000000000000${n}`;
    const contact = `ou_flowcontact0000000000000000000${n}`;
    await db().insert(people).values([{ openId: leader }, { openId: contact, roles: ['org_contact'] }]);
    const [team] = await db()
      .insert(teams)
      .values({
        code: `GDSZ-2025-040${n}`, name: `进度班组${n}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader, phone: '020-1234567',
        memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: 'QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
      })
      .returning();
    const [app] = await db().insert(applications).values({ teamId: team.id, cycleId, status, form: { title: `成果${n}` } }).returning();
    return app.id;
  }

  let cycleId: number;
  let first: number;

  it('an expert declines and nobody can take the task: the alert carries 分配专家 and the reason as typed, trimmed', async () => {
    await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '道路', maxLoad: '10' });
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-06-01', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles);
    first = await seed(cycleId, 1, 'accepted');
    await seed(cycleId, 2, 'recommended');
    // before 截止申报 no panel is drawn yet: an accepted application waits for its experts, it is not an expert short
    const early = cardText((await h.click(ADMIN, { action: 'review.progress', cycleId })).card.data);
    expect(early).toMatch(/GDSZ-2025-0401 进度班组1：已交 0，待评 0/);
    expect(early).not.toContain('缺');
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast.type).toBe('success');
    const [task] = await db().select().from(assignments).where(eq(assignments.applicationId, first));
    const declined = await h.click(task.expertOpenId, { action: 'review.decline', assignmentId: task.id }, { kind: 'unavailable', reason: '我曾在该单位任职 ' });
    expect(declined.toast.type).toBe('success');
    const alert = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN && m.msgType === 'interactive' && cardText(m.content).includes('无法自动改派专家'))!;
    expect(alert).toBeDefined();
    expectValidCard(alert.content);
    expect(cardText(alert.content)).toContain('专家谢绝了评分任务（我曾在该单位任职）');
    expect(cardText(alert.content)).toContain('分配专家');
    expect(cardActions(alert.content)).toContainEqual({ action: 'review.assign', cycleId });
  });

  it('shows the panel an expert short, and the applications waiting for the formal check with 形式审查', async () => {
    const progress = await h.click(ADMIN, { action: 'review.progress', cycleId });
    expectValidCard(progress.card.data);
    const text = cardText(progress.card.data);
    expect(text).toMatch(/GDSZ-2025-0401 进度班组1：已交 0，待评 2.*缺 1 位/);
    expect(text).toContain('待协会形式审查 1');
    expect(actionsOf(progress.card.data)).toContain('check.list');
  });

  it('结束评分并汇总 refused for the formal check answers with a card that has 形式审查', async () => {
    const refused = await h.click(ADMIN, { action: 'results.close', cycleId });
    expect(refused.toast.content).toContain('待形式审查');
    expect(actionsOf(refused.card.data)).toContain('check.list');
  });
});

describe('截止申报 with an application still waiting for its contact and none accepted', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-06-01T09:00:00+08:00') });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers with a short toast, and the card names the application and says why no expert was assigned', async () => {
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-06-01', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    const [{ id: cycleId }] = await h.db.db.select({ id: cycles.id }).from(cycles);
    const [org] = await h.db.db.insert(organizations).values({ name: '市政养护公司' }).returning();
    await h.db.db.insert(people).values([{ openId: 'ou_waitleader0000000000000000000001' }, { openId: 'ou_waitcontact000000000000000000001', roles: ['org_contact'] }]);
    const [team] = await h.db.db
      .insert(teams)
      .values({
        code: 'GDSZ-2025-0501', name: '市政养护一班', organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: 'ou_waitleader0000000000000000000001', phone: '020-1234567',
        memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: 'QC 活动', contactOpenId: 'ou_waitcontact000000000000000000001', registeredAt: '2025-01-10',
      })
      .returning();
    await h.db.db.insert(applications).values({ teamId: team.id, cycleId, status: 'submitted', form: { title: '成果' }, submittedAt: new Date('2027-05-20T00:00:00Z') });
    const closed = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    expect(closed.toast).toEqual({ type: 'success', content: '2027年度申报已截止，进入专家评分阶段。另有 1 份申报仍待单位确认，见卡片。专家尚未分配，见卡片。' });
    expectValidCard(closed.card.data);
    const text = cardText(closed.card.data);
    expect(text).toContain('市政养护一班');
    expect(text).toContain('专家尚未分配');
    expect(text).toContain('形式审查');
    // still to come: 分配专家 stays
    expect(actionsOf(closed.card.data)).toContain('review.assign');
  });
});
