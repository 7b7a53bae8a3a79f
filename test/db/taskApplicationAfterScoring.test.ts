import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 查看申报表全文 pressed on a task that is no longer to score: a sheet submitted gets the 申报表 message, which does not
 * tell the expert to go on scoring in the sheet, nor offer 打开评分表 as a way back to it; a task declined or given to
 * another expert gets none (第十七条), the toast saying why.
 */
const EXPERTS = ['ou_appafterscoring000000000000000001', 'ou_appafterscoring000000000000000002', 'ou_appafterscoring000000000000000003', 'ou_appafterscoring000000000000000004'];
const E1 = EXPERTS[0];
const KEEP_SCORING = '请在原评分卡片中继续打分';

describe('the 申报表全文 of a task no longer to score', () => {
  let h: Harness;
  let mine: number[];
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const { cycleId } = await seedLargeCycle(h.db.db, { applications: 6, experts: 0, organizations: 2, year: 2030 });
    await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    await h.drain();
    mine = (await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.expertOpenId, E1)).orderBy(asc(assignments.id))).map((a) => a.id);
    expect(mine.length).toBeGreaterThanOrEqual(3);
  });
  afterAll(async () => h?.close());

  /** 查看申报表全文 pressed on the task: its toast and the 申报表 message it sent. */
  async function fullApplication(assignmentId: number) {
    h.clock.advance(60_000);
    h.fake.reset();
    const r = await h.click(E1, { action: 'review.application', assignmentId });
    const [m] = h.fake.messages.filter((x) => x.receiveId === E1);
    return { toast: r.toast.content as string, text: cardText(m.content), actions: cardActions(m.content) };
  }

  it('a task still to score: go on in the sheet, or 打开评分表', async () => {
    const { text, actions } = await fullApplication(mine[0]);
    expect(text).toContain(KEEP_SCORING);
    expect(actions).toEqual([{ action: 'review.open', assignmentId: mine[0] }]);
  });

  it('a sheet submitted: says so, and what to do to change it', async () => {
    expect((await h.click(E1, { action: 'review.submit', assignmentId: mine[0] }, scoreForm(88))).toast.type).toBe('success');
    const { toast, text } = await fullApplication(mine[0]);
    expect(text).not.toContain(KEEP_SCORING);
    expect(text).toContain('已提交');
    expect(text).toContain('联系协会管理员重开');
    expect(toast).toContain('已提交');
  });

  // 第十七条: a task declined or given to another expert is no longer theirs to read (test/db/taskApplicationOffPanel.test.ts)
  it('a task declined: no 申报表, the toast says why', async () => {
    expect((await h.click(E1, { action: 'review.decline', assignmentId: mine[1] }, { kind: 'unavailable', reason: '六月出差' })).toast.type).toBe('success');
    h.clock.advance(60_000);
    h.fake.reset();
    const r = await h.click(E1, { action: 'review.application', assignmentId: mine[1] });
    expect(r.toast.content).toContain('你已谢绝这项评分任务');
    expect(r.toast.content).not.toContain(KEEP_SCORING);
    expect(h.fake.messages.filter((x) => x.receiveId === E1)).toEqual([]);
  });

  it('a task given to another expert: no 申报表, the toast says why', async () => {
    expect((await h.click(ADMIN, { action: 'review.swap', assignmentId: mine[2] })).toast.type).toBe('success');
    h.clock.advance(60_000);
    h.fake.reset();
    const r = await h.click(E1, { action: 'review.application', assignmentId: mine[2] });
    expect(r.toast.content).toContain('改派给其他专家');
    expect(h.fake.messages.filter((x) => x.receiveId === E1)).toEqual([]);
  });
});
