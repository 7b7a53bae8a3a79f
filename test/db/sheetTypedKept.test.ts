import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, inputValues } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

// 谢绝此任务 and 我的评分任务 pressed under a half-filled score sheet: the way back draws the sheet with what was typed
const EXPERTS = ['ou_sheettypedkept0000000000000000001', 'ou_sheettypedkept0000000000000000002', 'ou_sheettypedkept0000000000000000003'];
const E1 = EXPERTS[0];
const fields = scoreFields(defaultScoreSheet);
/** Four items scored and a few words, the rest still blank, as an expert leaves a sheet half done. */
const half = (): Record<string, string> => ({ ...Object.fromEntries(fields.slice(0, 4).map((f) => [f.field, String(f.max)])), comment: '现场资料齐全' });

describe('scores typed on a sheet survive 谢绝此任务 and 我的评分任务', () => {
  let h: Harness;
  let task: number;
  let sheet: { messageId: string; content: unknown };
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const { cycleId } = await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2030 });
    await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    await h.drain();
    [{ id: task }] = await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.expertOpenId, E1)).orderBy(asc(assignments.id));
    sheet = h.fake.messages.find((m) => m.receiveId === E1 && cardActions(m.content).some((a) => a.action === 'review.submit' && a.assignmentId === task))!;
  });
  afterAll(async () => h?.close());

  const typedBack = (card: unknown) => Object.fromEntries(Object.entries(inputValues(card)).filter(([, v]) => v !== undefined && v !== ''));

  it('the sheet’s 谢绝此任务 and 我的评分任务 are buttons of its form, its inputs not held back by the client', async () => {
    const json = JSON.stringify(sheet.content);
    expect(json).not.toContain('"required":true');
    const form = JSON.stringify((sheet.content as { body: { elements: { tag: string }[] } }).body.elements.find((e) => e.tag === 'form'));
    for (const action of ['review.declineForm', 'review.list']) expect(form).toContain(`"action":"${action}"`);
  });

  it('谢绝此任务, then 返回评分: the sheet as it was typed', async () => {
    const decline = await h.clickCard(E1, sheet.messageId, { action: 'review.declineForm', assignmentId: task }, half());
    const back = cardActions(decline.body.card.data).find((a) => a.action === 'review.open')!;
    const again = await h.clickCard(E1, sheet.messageId, back);
    expect(typedBack(again.body.card.data)).toEqual(half());
    expect(cardActions(again.body.card.data)).toContainEqual(expect.objectContaining({ action: 'review.submit', assignmentId: task }));
  });

  it('我的评分任务, then 评分 on that task: the sheet as it was typed; another task’s sheet is blank', async () => {
    const list = await h.clickCard(E1, sheet.messageId, { action: 'review.list', from: task }, half());
    const opens = cardActions(list.body.card.data).filter((a) => a.action === 'review.open');
    const again = await h.clickCard(E1, sheet.messageId, opens.find((a) => a.assignmentId === task)!);
    expect(typedBack(again.body.card.data)).toEqual(half());
    // the list again from this sheet, then another task: its sheet is blank
    const list2 = await h.clickCard(E1, sheet.messageId, { action: 'review.list', from: task }, half());
    const other = cardActions(list2.body.card.data).find((a) => a.action === 'review.open' && a.assignmentId !== task);
    expect(other).toEqual({ action: 'review.open', assignmentId: other!.assignmentId });
    expect(typedBack((await h.clickCard(E1, sheet.messageId, other!)).body.card.data)).toEqual({});
  });

  it('提交评分 of a half-filled sheet (no longer held back by the client) is refused by item, the sheet kept as typed', async () => {
    const r = await h.click(E1, { action: 'review.submit', assignmentId: task }, half());
    expect(r.toast.type).toBe('error');
    expect(r.toast.content).toContain(fields[4].code);
    expect(typedBack(r.card.data)).toEqual(half());
    expect((await h.db.db.select({ status: assignments.status }).from(assignments).where(eq(assignments.id, task)))[0].status).toBe('assigned');
  });

  it('a sheet left blank, or an old sheet whose buttons carry nothing, opens as before', async () => {
    const decline = await h.click(E1, { action: 'review.declineForm', assignmentId: task }, { comment: '' });
    const back = cardActions(decline.card.data).find((a) => a.action === 'review.open')!;
    expect(back).toEqual({ action: 'review.open', assignmentId: task });
    expect(typedBack((await h.click(E1, back)).card.data)).toEqual({});
    // 我的评分任务 of a card drawn before the button was part of the form: no `from`, nothing typed
    const list = await h.click(E1, { action: 'review.list' });
    expect(cardActions(list.card.data).filter((a) => a.action === 'review.open' && 'typed' in a)).toEqual([]);
  });
});
