import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

// README: a card's title or button label typed is that card, not an article; the expert's cards' buttons typed
const EXPERTS = ['ou_typedbuttons00000000000000000001', 'ou_typedbuttons00000000000000000002', 'ou_typedbuttons00000000000000000003'];
const E1 = EXPERTS[0];
const IDLE = 'ou_typedbuttonsidle0000000000000001';
const LEADER = 'ou_b2030_leader_1';

describe('an expert typing the buttons of their cards', () => {
  let h: Harness;
  let mine: number[];
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const { cycleId } = await seedLargeCycle(h.db.db, { applications: 2, experts: 0, organizations: 2, year: 2030 });
    await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    await h.drain();
    await h.db.db.insert(people).values({ openId: IDLE, name: '闲专家', roles: ['expert'] });
    mine = (await h.db.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.expertOpenId, E1)).orderBy(asc(assignments.id))).map((a) => a.id);
  });
  afterAll(async () => h?.close());

  const answers = async (openId: string, text: string) => {
    h.fake.reset();
    await h.say(openId, text);
    await h.drain();
    return h.fake.messages.filter((m) => m.receiveId === openId);
  };

  it.each(['评下一份', '下一份评分', '打开评分表', 'next', 'Next task'])('%j opens the sheet of the next task to score, as 评下一份 does', async (text) => {
    const pressed = await h.click(E1, { action: 'review.next' });
    const next = cardActions(pressed.card.data).find((a) => a.action === 'review.submit')!.assignmentId;
    expect(mine).toContain(next);
    const [m, ...rest] = await answers(E1, text);
    expect(rest).toEqual([]);
    expect(m.msgType).toBe('interactive');
    expect(cardActions(m.content)).toContainEqual(expect.objectContaining({ action: 'review.submit', assignmentId: next }));
    expect(cardText(m.content)).not.toContain('**第十八条**');
  });

  // the scoring reminder's button: typed, it opened 第十八条
  it.each(['开始下一份评分'])('%j, the scoring reminder’s button, opens the sheet of the next task to score', async (text) => {
    const [m, ...rest] = await answers(E1, text);
    expect(rest).toEqual([]);
    expect(cardActions(m.content)).toContainEqual(expect.objectContaining({ action: 'review.submit' }));
    expect(cardText(m.content)).not.toContain('**第十八条**');
  });

  // the task list's button: typed, it answered 第十七条 saying to press 声明利益冲突, with no such button
  it('声明利益冲突, the task list’s button, sends the declaration form', async () => {
    const [m, ...rest] = await answers(E1, '声明利益冲突');
    expect(rest).toEqual([]);
    expect(cardActions(m.content)).toContainEqual({ action: 'experts.conflictAdd' });
    expect(cardText(m.content)).not.toContain('**第十七条**');
  });

  it('查看申报表全文 and 谢绝此任务 / decline say where the button is', async () => {
    const [whole] = await answers(E1, '查看申报表全文');
    expect(whole.content.text).toContain('查看申报表全文：发送“评分”打开你的评分任务');
    for (const text of ['decline', '谢绝此任务']) {
      const [m] = await answers(E1, text);
      expect(m.content.text).toContain('谢绝评分任务：发送“评分”打开你的评分任务');
      expect(m.content.text).not.toContain('The measures say nothing');
    }
  });

  it('an expert with no task is shown the list that says so, not 全部完成', async () => {
    const [m] = await answers(IDLE, '评下一份');
    expect(cardText(m.content)).toContain('暂未给你分配评分任务');
    expect(cardText(m.content)).not.toContain('全部完成');
  });

  it('for someone who is no expert they are questions for the measures', async () => {
    const [m] = await answers(LEADER, '评下一份');
    expect(m.msgType === 'interactive' ? cardActions(m.content) : []).not.toContainEqual(expect.objectContaining({ action: 'review.submit' }));
    const [conflict] = await answers(LEADER, '声明利益冲突');
    expect(conflict.msgType === 'interactive' ? cardActions(conflict.content) : []).not.toContainEqual({ action: 'experts.conflictAdd' });
  });
});
