import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText, inputValues } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

// 我的评分任务 pressed on a half-filled sheet whose task is listed past the list's first page (an expert with more than 20 tasks)
const EXPERTS = ['ou_sheetlaterpage000000000000000001', 'ou_sheetlaterpage000000000000000002', 'ou_sheetlaterpage000000000000000003'];
const E1 = EXPERTS[0];
const fields = scoreFields(defaultScoreSheet);
const half = (): Record<string, string> => ({ ...Object.fromEntries(fields.slice(0, 4).map((f) => [f.field, String(f.max)])), comment: '现场资料齐全' });

describe('我的评分任务 from the sheet of a task on the list’s second page', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const { cycleId } = await seedLargeCycle(h.db.db, { applications: 25, experts: 0, organizations: 5, year: 2030 });
    await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    await h.drain();
  });
  afterAll(async () => h?.close());

  const typedBack = (card: unknown) => Object.fromEntries(Object.entries(inputValues(card)).filter(([, v]) => v !== undefined && v !== ''));

  it('shows the page the task is on, whose 评分 brings the sheet back as it was typed', async () => {
    // the list's last task to score: on page 2 of 25
    const page2 = await h.click(E1, { action: 'review.list', page: 2 });
    const task = cardActions(page2.card.data).filter((a) => a.action === 'review.open').at(-1)!.assignmentId as number;
    const sheet = h.fake.messages.find((m) => m.receiveId === E1 && cardActions(m.content).some((a) => a.action === 'review.submit' && a.assignmentId === task))!;

    const list = await h.clickCard(E1, sheet.messageId, { action: 'review.list', from: task }, half());
    expect(cardText(list.body.card.data)).toContain('第 2 / 2 页');
    const back = cardActions(list.body.card.data).find((a) => a.action === 'review.open' && a.assignmentId === task)!;
    expect(back).toBeDefined();
    const again = await h.clickCard(E1, sheet.messageId, back);
    expect(typedBack(again.body.card.data)).toEqual(half());
  });

  it('上一页 / 下一页 and 刷新 still page as before', async () => {
    const first = await h.click(E1, { action: 'review.list' });
    expect(cardText(first.card.data)).toContain('第 1 / 2 页');
    const second = await h.click(E1, { action: 'review.list', page: 2 });
    expect(cardText(second.card.data)).toContain('第 2 / 2 页');
  });
});
