import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignments, people } from '../../db/schema.js';
import { PANEL_MEMBER_REFUSAL } from '../../src/review/scoring.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN } from '../support/harness.js';
import { type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';
import { scoreForm, startSecurityHarness } from './securityFixture.js';

/**
 * 第十七条: experts are blind to each other until the panel closes. An administrator who is also an expert with a sheet
 * of a panel still to submit is shown, on that panel's card (专家组, 按班组编号查看, the card redrawn after a refusal), no
 * other expert's total and no 更换专家 or 重开评分 on their sheets, with the reason; those clicked anyway are refused on
 * both paths, nothing written. Their own sheet submitted, they see the panel as any administrator does; another
 * administrator sees it whole throughout.
 */

const AE = 'ou_adminexpert0000000000000000000001';
const NOTE = '你是本专家组成员，提交评分前不显示其他专家的分数';

type Body = { toast?: { type: string; content: string }; card?: { data?: unknown } };

describe('第十七条: an administrator on a panel does not see the other experts’ scores before scoring', () => {
  const worlds = twoWorlds(async (mode: Mode) => {
    const { h, f } = await startSecurityHarness();
    await h.db.db.insert(people).values({ openId: AE, name: '管理员兼专家', roles: ['admin', 'expert'] });
    const [own] = await h.db.db.insert(assignments).values({ applicationId: f.appD, expertOpenId: AE, status: 'assigned' }).returning();
    await h.db.db.update(assignments).set({ status: 'submitted', total: 88, submittedAt: new Date() }).where(eq(assignments.id, f.foreignTask));
    return { h, f, mode, own: own.id, answers: [] as Body[] };
  }, { oneOnPglite: true });

  async function click(mode: Mode, who: string, value: Record<string, unknown>, form?: Record<string, unknown>): Promise<Body> {
    const w = worlds[mode];
    const body: Body = await w.h.click(who, value, form);
    w.answers.push(body);
    return body;
  }

  /** The actions of the card's buttons on a task. */
  const onTasks = (card: unknown) => cardActions(card).filter((a) => a.assignmentId !== undefined);

  /** The panel as the administrator-expert still scoring sees it: no other total, no action on another's sheet, the reason. */
  function expectBlind(own: number, card: unknown): void {
    const text = cardText(card);
    expect(text).not.toContain('88 分');
    expect(text).toContain(NOTE);
    expect(text).toContain('已提交');
    // their own pending sheet they may still hand on (更换专家), as before
    expect(onTasks(card)).toEqual([{ action: 'review.swap', assignmentId: own }]);
  }

  it.each(MODES_HERE)('%s: 专家组 and 按班组编号查看 leave out the other experts’ totals and buttons', async (mode) => {
    const { f, own } = worlds[mode];
    expectBlind(own, (await click(mode, AE, { action: 'review.panel', applicationId: f.appD })).card?.data);
    expectBlind(own, (await click(mode, AE, { action: 'review.panelByCode', cycleId: f.cycleId }, { code: f.teamD.code })).card?.data);
  });

  it.each(MODES_HERE)('%s: another administrator still sees the panel whole', async (mode) => {
    const { f } = worlds[mode];
    const card = (await click(mode, ADMIN, { action: 'review.panel', applicationId: f.appD })).card?.data;
    expect(cardText(card)).toContain('88 分');
    expect(cardText(card)).not.toContain(NOTE);
    expect(onTasks(card).map((a) => a.action).sort()).toEqual(['review.reopen', 'review.swap', 'review.swap']);
  });

  it.each(MODES_HERE)('%s: 重开评分 and 更换专家 on a co-panellist’s sheet are refused with the reason, nothing written', async (mode) => {
    const { h, f, own } = worlds[mode];
    const reopened = await click(mode, AE, { action: 'review.reopen', assignmentId: f.foreignTask });
    expect(reopened.toast?.content).toBe(PANEL_MEMBER_REFUSAL);
    expectBlind(own, reopened.card?.data);
    const swapped = await click(mode, AE, { action: 'review.swap', assignmentId: f.ownTask });
    expect(swapped.toast?.content).toBe(PANEL_MEMBER_REFUSAL);
    expectBlind(own, swapped.card?.data);
    const rows = await h.db.db.select({ id: assignments.id, status: assignments.status }).from(assignments).where(eq(assignments.applicationId, f.appD)).orderBy(asc(assignments.id));
    expect(rows).toEqual([
      { id: f.ownTask, status: 'assigned' },
      { id: f.foreignTask, status: 'submitted' },
      { id: own, status: 'assigned' },
    ]);
  });

  it.each(MODES_HERE)('%s: their own sheet submitted, they see the panel as any administrator does', async (mode) => {
    const { f, own } = worlds[mode];
    const submitted = await click(mode, AE, { action: 'review.submit', assignmentId: own }, scoreForm());
    expect(submitted.toast?.type).toBe('success');
    const card = (await click(mode, AE, { action: 'review.panel', applicationId: f.appD })).card?.data;
    expect(cardText(card)).toContain('88 分');
    expect(cardText(card)).not.toContain(NOTE);
    expect(onTasks(card).map((a) => [a.action, a.assignmentId])).toEqual(
      expect.arrayContaining([
        ['review.swap', f.ownTask],
        ['review.reopen', f.foreignTask],
        ['review.reopen', own],
      ]),
    );
  });

  it('both paths answered alike', () => {
    expect(worlds.fast.answers).toEqual(worlds.ordinary.answers);
  });
});
