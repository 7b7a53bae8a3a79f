import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignments, bulkJobs, chatBindings, cycles, people, teams } from '../../db/schema.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import type { SentMessage } from '../../src/local/fakeOpenPlatform.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES, type Mode, twoWorlds } from '../support/worlds.js';
import { type Fixture, OTHER_EXPERT, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 第十七条: expert names and scores are for administrators only. A card in the bound 协会管理群 is one card for everyone
 * there, so 查看专家组 on an alert there (and the panel's own actions, 按班组编号查看, 更换专家, 重开评分, should a panel card
 * be in the group) sends the panel to the clicking administrator privately and answers with a toast; in the p2p chat the
 * panel is still the answer. The fast paths of 更换专家 and 重开评分 leave a group's click to the ordinary path: both
 * worlds answer alike. 专家库 on the same alert goes privately as well: the alert stays for the others.
 */

const GROUP = 'oc_panelprivate_admin_group_00000001';
const SCORER = '周其他专家';
/** Two experts put on the panel once the alert is out, and one free to take a place. */
const ON_PANEL = ['ou_panelprivateexpert0000000000001', 'ou_panelprivateexpert0000000000002'];
const FREE = 'ou_panelprivateexpert0000000000003';
const FREE_NAME = '吴替补专家';

type Body = { toast?: { type: string; content: string }; card?: { data?: unknown } };

async function seed(h: Harness, f: Fixture): Promise<void> {
  await h.db.db.insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
  await h.db.db.update(people).set({ name: SCORER }).where(eq(people.openId, OTHER_EXPERT));
  // the other expert has scored (88), the expert persona has not
  await h.db.db.update(assignments).set({ status: 'submitted', total: 88, submittedAt: new Date() }).where(eq(assignments.id, f.foreignTask));
}

/** What the bot sent the administrator privately since `since` messages (their p2p chat). */
const privateTo = (h: Harness, since: number): SentMessage[] => h.fake.messages.slice(since).filter((m) => m.receiveIdType === 'open_id' && m.receiveId === ADMIN);

describe('第十七条: a group unbound since keeps its cards: 更换专家 and 重开评分 clicked there send the panel privately, on both paths', () => {
  const worlds = twoWorlds(async (mode: Mode) => {
    const { h, f } = await startSecurityHarness();
    await seed(h, f);
    return { h, f, mode, answers: [] as Body[] };
  });
  async function inGroup(mode: Mode, value: Record<string, unknown>, alertId: string): Promise<Body> {
    const w = worlds[mode];
    const body: Body = await w.h.click(ADMIN, value, undefined, { chatId: GROUP, messageId: alertId });
    w.answers.push(body);
    return body;
  }
  const alertOf = (h: Harness) => [...h.fake.messages].reverse().find((m) => m.receiveId === GROUP && /查看专家组/.test(JSON.stringify(m.content)));

  it.each(MODES)('%s: the alert reached the group, then the group was unbound; 更换专家 and 重开评分 there go privately', async (mode) => {
    const { h, f } = worlds[mode];
    await h.click(personas.expert, { action: 'review.decline', assignmentId: f.ownTask }, { kind: 'unavailable', reason: '本周出差，无法评审' });
    const alertId = alertOf(h)!.messageId;
    await h.db.db.delete(chatBindings).where(eq(chatBindings.chatId, GROUP));
    await h.db.db.insert(people).values([
      ...ON_PANEL.map((openId, i) => ({ openId, name: `郑在组专家${i + 1}`, roles: ['expert'] })),
      { openId: FREE, name: FREE_NAME, roles: ['expert'] },
    ]);
    const [first] = await h.db.db.insert(assignments).values(ON_PANEL.map((expertOpenId) => ({ applicationId: f.appD, expertOpenId, status: 'assigned' }))).returning();
    let before = h.fake.messages.length;
    const swapped = await inGroup(mode, { action: 'review.swap', assignmentId: first.id }, alertId);
    expect(swapped.card).toBeUndefined();
    expect(swapped.toast?.content).toContain('专家组已私信发给你');
    expect(privateTo(h, before).some((m) => /专家组：/.test(cardText(m.content)))).toBe(true);
    before = h.fake.messages.length;
    const reopened = await inGroup(mode, { action: 'review.reopen', assignmentId: f.foreignTask }, alertId);
    expect(reopened.card).toBeUndefined();
    expect(reopened.toast?.content).toContain('专家组已私信发给你');
    expect(privateTo(h, before).some((m) => /专家组：/.test(cardText(m.content)))).toBe(true);
  });

  it('the fast world answered as the ordinary one did', () => {
    expect(worlds.fast.answers).toEqual(worlds.ordinary.answers);
  });
});
