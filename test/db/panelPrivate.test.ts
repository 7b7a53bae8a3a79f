import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignments, bulkJobs, chatBindings, cycles, people, teams } from '../../db/schema.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import type { SentMessage } from '../../src/local/fakeOpenPlatform.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';
import { type Fixture, OTHER_EXPERT, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 第十七条: expert names and scores are for administrators only. A card in the bound 协会管理群 is one card for everyone
 * there, so 查看专家组 on an alert there (and the panel's own actions, 按班组编号查看, 更换专家, 重开评分, should a panel card
 * be in the group) sends the panel to the clicking administrator privately and answers with a toast; in the p2p chat the
 * panel is still the answer. The fast paths of 更换专家 and 重开评分 leave a group's click to the ordinary path: both
 * worlds answer alike. 专家库 on the same alert goes privately as well: the alert stays for the others. A group unbound
 * since keeps its cards, and its clicks go privately still.
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

describe('第十七条: the expert panel asked for in the bound admin group goes to the administrator privately', () => {
  const worlds = twoWorlds(async (mode: Mode) => {
    const { h, f } = await startSecurityHarness();
    await seed(h, f);
    return { h, f, mode, answers: [] as Body[] };
  }, { oneOnPglite: true });

  /** A click in the admin group on the alert `alertId`, as the administrator; the answer is kept for the comparison. */
  async function inGroup(mode: Mode, value: Record<string, unknown>, alertId: string, formValue?: Record<string, unknown>): Promise<Body> {
    const w = worlds[mode];
    const body: Body = await w.h.click(ADMIN, value, formValue, { chatId: GROUP, messageId: alertId });
    w.answers.push(body);
    return body;
  }

  /** The newest card to the group carrying 查看专家组. */
  const alertOf = (h: Harness) => [...h.fake.messages].reverse().find((m) => m.receiveId === GROUP && /查看专家组/.test(JSON.stringify(m.content)));

  it.each(MODES_HERE)('%s: 查看专家组 on the 无法自动改派专家 alert sends the panel privately and leaves the group card as it was', async (mode) => {
    const { h, f } = worlds[mode];
    const declined: Body = await h.click(personas.expert, { action: 'review.decline', assignmentId: f.ownTask }, { kind: 'unavailable', reason: '本周出差，无法评审' });
    expect(declined.toast?.type).toBe('success');
    const alert = alertOf(h);
    expect(alert, 'the administrators’ group is alerted with 查看专家组').toBeDefined();
    const groupCard = JSON.stringify(alert!.content);
    const before = h.fake.messages.length;
    const body = await inGroup(mode, { action: 'review.panel', applicationId: f.appD }, alert!.messageId);
    expect(body.card, 'the group’s shared card is not replaced by the panel').toBeUndefined();
    expect(body.toast).toEqual({ type: 'info', content: '专家组已私信发给你' });
    expect(JSON.stringify(alert!.content)).toBe(groupCard);
    expect(h.fake.messages.slice(before).filter((m) => m.receiveId === GROUP)).toEqual([]);
    const sent = privateTo(h, before);
    expect(sent).toHaveLength(1);
    const panel = cardText(sent[0].content);
    expect(panel).toContain(`${SCORER} · 已提交 · 88 分`);
    expect(panel).toContain('专家名单和分数仅协会管理员可见（第十七条）');
  });

  it.each(MODES_HERE)('%s: in the p2p chat the panel is still the answer, its names and scores on it', async (mode) => {
    const { h, f } = worlds[mode];
    const [privatePanel] = privateTo(h, 0).slice(-1);
    const before = h.fake.messages.length;
    const body: Body = await h.click(ADMIN, { action: 'review.panel', applicationId: f.appD }, undefined, { chatId: privatePanel.chatId, messageId: privatePanel.messageId });
    expect(cardText(body.card?.data)).toContain(`${SCORER} · 已提交 · 88 分`);
    expect(body.toast).toBeUndefined();
    expect(privateTo(h, before)).toEqual([]);
  });

  it.each(MODES_HERE)('%s: 按班组编号查看 in the group goes privately too', async (mode) => {
    const { h, f } = worlds[mode];
    const before = h.fake.messages.length;
    const body = await inGroup(mode, { action: 'review.panelByCode', cycleId: f.cycleId }, alertOf(h)!.messageId, { code: f.teamD.code });
    expect(body.card).toBeUndefined();
    expect(body.toast).toEqual({ type: 'info', content: '专家组已私信发给你' });
    expect(cardText(privateTo(h, before)[0]?.content)).toContain(`${SCORER} · 已提交 · 88 分`);
  });

  it.each(MODES_HERE)('%s: a refused 更换专家 in the group says why and draws no panel there', async (mode) => {
    const { h, f } = worlds[mode];
    const before = h.fake.messages.length;
    // a submitted sheet is not swapped
    const body = await inGroup(mode, { action: 'review.swap', assignmentId: f.foreignTask }, alertOf(h)!.messageId);
    expect(body.toast?.content).toBe('该专家已提交评分，不能更换；如评分有误，请先“重开评分”。');
    expect(body.card).toBeUndefined();
    expect(privateTo(h, before)).toEqual([]);
  });

  it.each(MODES_HERE)('%s: 更换专家 and 重开评分 clicked in the group are done, and their panel goes privately', async (mode) => {
    const { h, f } = worlds[mode];
    await h.db.db.insert(people).values([
      ...ON_PANEL.map((openId, i) => ({ openId, name: `郑在组专家${i + 1}`, roles: ['expert'] })),
      { openId: FREE, name: FREE_NAME, roles: ['expert'] },
    ]);
    const [first] = await h.db.db
      .insert(assignments)
      .values(ON_PANEL.map((expertOpenId) => ({ applicationId: f.appD, expertOpenId, status: 'assigned' })))
      .returning();
    const alertId = alertOf(h)!.messageId;

    let before = h.fake.messages.length;
    const swapped = await inGroup(mode, { action: 'review.swap', assignmentId: first.id }, alertId);
    expect(swapped.card).toBeUndefined();
    expect(swapped.toast).toEqual({ type: 'success', content: `已更换专家：${await teamName(h, f)}（专家组已私信发给你）` });
    expect((await h.db.db.select().from(assignments).where(eq(assignments.id, first.id)))[0].status).toBe('replaced');
    expect(cardText(privateTo(h, before).find((m) => /专家组：/.test(cardText(m.content)))?.content)).toContain(`${FREE_NAME} · 待评分`);
    expect(h.fake.messages.slice(before).filter((m) => m.receiveId === GROUP && /88 分/.test(cardText(m.content)))).toEqual([]);

    before = h.fake.messages.length;
    const reopened = await inGroup(mode, { action: 'review.reopen', assignmentId: f.foreignTask }, alertId);
    expect(reopened.card).toBeUndefined();
    expect(reopened.toast).toEqual({ type: 'success', content: `已重开评分并通知专家：${await teamName(h, f)}（专家组已私信发给你）` });
    expect((await h.db.db.select().from(assignments).where(eq(assignments.id, f.foreignTask)))[0].status).toBe('assigned');
    expect(cardText(privateTo(h, before).find((m) => /专家组：/.test(cardText(m.content)))?.content)).toContain(`${SCORER} · 待评分`);
  });

  it.each(MODES_HERE)('%s: 专家库 on the alert goes privately too, and the alert stays for the others', async (mode) => {
    const { h } = worlds[mode];
    const alert = alertOf(h)!;
    expect(JSON.stringify(alert.content)).toContain('experts.list');
    const groupCard = JSON.stringify(alert.content);
    const before = h.fake.messages.length;
    const body = await inGroup(mode, { action: 'experts.list' }, alert.messageId);
    expect(body.card).toBeUndefined();
    expect(body.toast).toEqual({ type: 'info', content: '专家库已私信发给你' });
    expect(JSON.stringify(alert.content)).toBe(groupCard);
    const sent = privateTo(h, before);
    expect(sent).toHaveLength(1);
    expect(cardText(sent[0].content)).toContain(SCORER);
    // in the p2p chat, the pool is the answer as before
    const inP2p: Body = await h.click(ADMIN, { action: 'experts.list' }, undefined, { chatId: sent[0].chatId, messageId: sent[0].messageId });
    expect(cardText(inP2p.card?.data)).toContain(SCORER);
  });

  it.each(MODES_HERE)('%s: 协会管理, 评审进度 and 投诉处理 clicked on a card in the group go privately; a refused 评审结果 redraws nothing there', async (mode) => {
    const { h, f } = worlds[mode];
    const alertId = alertOf(h)!.messageId;
    for (const [value, what, shows] of [
      [{ action: 'admin.menu' }, '协会管理卡片', /协会管理/],
      [{ action: 'review.progress', cycleId: f.cycleId }, '评审进度', /评审进度/],
      [{ action: 'complaint.list' }, '投诉清单', /投诉/],
    ] as const) {
      const before = h.fake.messages.length;
      const body = await inGroup(mode, value, alertId);
      expect(body.card, value.action).toBeUndefined();
      expect(body.toast).toEqual({ type: 'info', content: `${what}已私信发给你` });
      const sent = privateTo(h, before);
      expect(sent, value.action).toHaveLength(1);
      expect(cardText(sent[0].content)).toMatch(shows);
    }
    // the year's scoring is not closed: refused, and the group's card is not redrawn with the admin card
    const before = h.fake.messages.length;
    const refused = await inGroup(mode, { action: 'results.preview', cycleId: f.cycleId }, alertId);
    expect(refused.toast?.type).toMatch(/error|info/);
    expect(refused.card).toBeUndefined();
    expect(privateTo(h, before)).toEqual([]);
  });

  it('the fast world answered every click in the group as the ordinary one did', () => {
    expect(worlds.fast.answers).toHaveLength(worlds.ordinary.answers.length);
    expect(worlds.fast.answers).toEqual(worlds.ordinary.answers);
  });
});

/** The name of team D, whose application's panel the clicks act on. */
async function teamName(h: Harness, f: Fixture): Promise<string> {
  const [t] = await h.db.db.select().from(teams).where(eq(teams.id, f.teamD.id));
  return t.name;
}

describe('a refused button on a job card in the bound admin group leaves the card: the admin card is not drawn there', () => {
  const worlds = twoWorlds(async (mode: Mode) => {
    const h = await startHarness();
    await h.db.db.insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
    const [c] = await h.db.db
      .insert(cycles)
      .values({ year: 2026, status: 'closed', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN })
      .returning();
    const [job] = await h.db.db.insert(bulkJobs).values({ kind: 'assign', cycleId: c.id, status: 'failed', createdBy: ADMIN, error: 'boom', total: 3 }).returning();
    return { h, mode, jobId: job.id };
  }, { oneOnPglite: true });

  it.each(MODES_HERE)('%s: 重试 of a failed 分配专家 once scoring is closed, and 查看 of a job that is gone: the reason, and no card', async (mode) => {
    const { h, jobId } = worlds[mode];
    const retried: Body = await h.click(ADMIN, { action: 'bulk.retry', jobId }, undefined, { chatId: GROUP });
    expect(retried.toast?.content).toContain('不能再分配专家');
    expect(retried.card).toBeUndefined();
    const shown: Body = await h.click(ADMIN, { action: 'bulk.show', jobId: jobId + 1000 }, undefined, { chatId: GROUP });
    expect(shown.toast?.type).toBe('error');
    expect(shown.card).toBeUndefined();
    // in the p2p chat the refusal still redraws the admin card
    const inP2p: Body = await h.click(ADMIN, { action: 'bulk.retry', jobId });
    expect(cardText(inP2p.card?.data)).toContain('协会管理');
  });
});

describe('第十七条: a group unbound since keeps its cards: 更换专家 and 重开评分 clicked there send the panel privately, on both paths', () => {
  const worlds = twoWorlds(async (mode: Mode) => {
    const { h, f } = await startSecurityHarness();
    await seed(h, f);
    return { h, f, mode, answers: [] as Body[] };
  }, { oneOnPglite: true });
  async function inGroup(mode: Mode, value: Record<string, unknown>, alertId: string): Promise<Body> {
    const w = worlds[mode];
    const body: Body = await w.h.click(ADMIN, value, undefined, { chatId: GROUP, messageId: alertId });
    w.answers.push(body);
    return body;
  }
  const alertOf = (h: Harness) => [...h.fake.messages].reverse().find((m) => m.receiveId === GROUP && /查看专家组/.test(JSON.stringify(m.content)));

  it.each(MODES_HERE)('%s: the alert reached the group, then the group was unbound; 更换专家 and 重开评分 there go privately', async (mode) => {
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
