import { count, eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, auditLog, teamMembers, teams } from '../../db/schema.js';
import { staleButtonMessage } from '../../src/handlers.js';
import { cardActions, cardText } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { applicationForm, type Fixture, personas, securityBotForBlock, YEAR } from './securityFixture.js';

/**
 * 第十五条: the organisation confirms the materials it saw, and the association accepts what was recommended. The
 * contact keeps two copies of the request (the p2p message and the one 待确认申报 opened), returns on one, the leader
 * changes the application and submits it again: 推荐 or 退回 on the other, older copy is refused and the card redrawn
 * with what was submitted last, from which 推荐 works. The same for 受理 on an old copy of the formal-check list once
 * the application was returned, submitted and recommended again. The list and the administrators' notice name who
 * recommended. Both modes: with the one-statement paths on (they run on PostgreSQL) and off.
 */

const PG = testDatabaseKind() === 'postgres';
type Body = { toast?: { type: string; content: string }; card?: { type: string; data?: any } };

/** The decision buttons' values of a card, by verb. */
function buttons(card: unknown, applicationId: number): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const v of cardActions(card)) if (v.applicationId === applicationId && typeof v.action === 'string') out[v.action] = v;
  return out;
}

const statusOf = async (db: Db, id: number) => (await db.select({ status: applications.status }).from(applications).where(eq(applications.id, id)))[0].status;
const auditRows = async (db: Db) => (await db.select({ n: count() }).from(auditLog))[0].n;

describe.each(MODES_HERE)('a decision on an old copy of a card, paths %s', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot), mode);

  /** The request cards the contact received in p2p for an application, oldest first. */
  const requestsTo = (applicationId: number) =>
    h.fake.messages.filter((m) => m.receiveId === personas.contact && m.msgType === 'interactive' && buttons(m.content, applicationId)['endorse.recommend']).map((m) => m.content);

  /** A click, and whether the one-statement path answered it. */
  async function click(openId: string, value: Record<string, unknown>, form: Record<string, unknown> = {}): Promise<{ body: Body; fast: boolean }> {
    const answered = vi.spyOn(h.app.processor as unknown as { answered(...args: unknown[]): unknown }, 'answered');
    try {
      const body = (await h.click(openId, value, form)) as Body;
      return { body, fast: answered.mock.calls.length > 0 };
    } finally {
      answered.mockRestore();
    }
  }

  let applicationId: number;

  it('推荐 or 退回 on a copy of an earlier submission is refused; the card shows the latest, and 推荐 from it works', async () => {
    const db = h.db.db;
    const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
    const [team] = await db.insert(teams).values({ ...a, id: undefined, code: 'GDSZ-2025-0701', name: '旧卡测试班', createdAt: undefined, updatedAt: undefined }).returning();
    await db.insert(teamMembers).values({ teamId: team.id, openId: personas.leader, role: 'leader' });

    h.clock.set('2027-03-10T09:00:00+08:00');
    const submitted = (await h.click(personas.leader, { action: 'application.submit', teamId: team.id, year: YEAR }, applicationForm({ title: '冷补料修补工法' }))) as Body;
    expect(submitted.toast?.type).toBe('success');
    [{ id: applicationId }] = await db.select({ id: applications.id }).from(applications).where(eq(applications.teamId, team.id));

    // two copies of the same request: the p2p message, and the card 待确认申报 opened
    const [p2p] = requestsTo(applicationId);
    const opened = ((await h.click(personas.contact, { action: 'endorse.open', applicationId })) as Body).card!.data;
    const first = buttons(p2p, applicationId)['endorse.recommend'];
    expect(first.submitted).toEqual(expect.any(Number));
    expect(buttons(opened, applicationId)['endorse.recommend']).toEqual(first);
    expect(buttons(opened, applicationId)['endorse.return']).toEqual({ action: 'endorse.return', applicationId, submitted: first.submitted });

    // returned on the p2p copy; the leader changes the title and submits again
    const returned = await click(personas.contact, buttons(p2p, applicationId)['endorse.return'], { opinion: '请补充 QC 活动记录' });
    expect(returned.body.toast?.type).toBe('success');
    expect(await statusOf(db, applicationId)).toBe('returned');
    h.clock.set('2027-03-12T10:20:00+08:00');
    const again = (await h.click(personas.leader, { action: 'application.submit', teamId: team.id, year: YEAR }, applicationForm({ title: '冷补料修补工法（补充 QC 记录）' }))) as Body;
    expect(again.toast?.type).toBe('success');
    expect(await statusOf(db, applicationId)).toBe('submitted');
    const latest = requestsTo(applicationId).at(-1);
    expect(cardText(latest)).toContain('补充 QC 记录');
    expect(buttons(latest, applicationId)['endorse.recommend'].submitted).not.toBe(first.submitted);

    // 推荐 and 退回 on the old copy: refused, nothing changed, the card redrawn with what was submitted last
    const audits = await auditRows(db);
    for (const [verb, what, form] of [
      ['endorse.recommend', '推荐', { truthful: true, opinion: '材料属实，同意推荐' }],
      ['endorse.return', '退回', { opinion: '仍缺少记录' }],
    ] as const) {
      const stale = await click(personas.contact, buttons(opened, applicationId)[verb], form);
      expect(stale.fast).toBe(false);
      expect(stale.body.toast).toEqual({ type: 'info', content: `这份申报已于 2027年3月12日 10:20 重新提交，内容可能已修改：请看本卡片上的最新内容后再${what}。` });
      expect(await statusOf(db, applicationId)).toBe('submitted');
      expect(await auditRows(db)).toBe(audits);
      const redrawn = stale.body.card!.data;
      expect(redrawn.header.title.content).toBe('请确认申报材料：旧卡测试班');
      expect(cardText(redrawn)).toContain('冷补料修补工法（补充 QC 记录）');
      expect(cardText(redrawn)).toContain('请注意：');
      expect(buttons(redrawn, applicationId)).toEqual(buttons(latest, applicationId));
    }

    // 推荐 from the card as it is now works (on PostgreSQL with the fast paths on, in one statement)
    const done = await click(personas.contact, buttons(latest, applicationId)['endorse.recommend'], { truthful: true, opinion: '材料属实，同意推荐' });
    expect(done.body.toast).toEqual({ type: 'success', content: '已推荐，报协会形式审查' });
    expect(done.fast).toBe(PG && mode === 'fast');
    expect(await statusOf(db, applicationId)).toBe('recommended');

    // the administrators' notice names who recommended
    const notice = h.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'interactive' && cardText(m.content).includes('旧卡测试班')).at(-1);
    expect(cardText(notice?.content)).toContain('已经单位推荐（联系人）');
  });

  it('受理 on a copy of the formal-check list from before the application was returned, submitted and recommended again is refused', async () => {
    const db = h.db.db;
    const [team] = await db.select({ id: teams.id }).from(teams).where(eq(teams.code, 'GDSZ-2025-0701'));
    // two copies of the list, each with the application as recommended the first time
    const listA = ((await h.click(ADMIN, { action: 'check.list' })) as Body).card!.data;
    const listB = ((await h.click(ADMIN, { action: 'check.list' })) as Body).card!.data;
    const seen = buttons(listA, applicationId);
    expect(seen['check.accept'].submitted).toEqual(expect.any(Number));
    expect(buttons(listB, applicationId)).toEqual(seen);
    // the organisation's opinion with who gave it: the contact persona (联系人), and 其他联系人 for the fixture's team C
    expect(cardText(listA)).toContain('单位推荐意见（联系人）');
    expect(cardText(listA)).toContain('单位推荐意见（其他联系人）');

    // returned on one copy; submitted again changed, recommended again
    const returned = await click(ADMIN, buttons(listB, applicationId)['check.return'], { [`reason_${applicationId}`]: '材料链接无法打开' });
    expect(returned.body.toast?.type).toBe('success');
    expect(await statusOf(db, applicationId)).toBe('returned');
    // the contact's 退回 or 推荐 on the request they recommended from: the association returned it since, not they
    const recommendedFrom = requestsTo(applicationId).at(-1);
    const afterReturn = await auditRows(db);
    for (const [verb, what, form] of [
      ['endorse.return', '退回', { opinion: '请再补充' }],
      ['endorse.recommend', '推荐', { truthful: true, opinion: '同意推荐' }],
    ] as const) {
      const late = await click(personas.contact, buttons(recommendedFrom, applicationId)[verb], form);
      expect(late.body.toast).toEqual({ type: 'info', content: `第十五条：协会形式审查已退回这份申报（退回原因：材料链接无法打开），无需再${what}；班组长修改后重新提交时，会再发给你确认并填写推荐意见。` });
      expect(await statusOf(db, applicationId)).toBe('returned');
      expect(await auditRows(db)).toBe(afterReturn);
    }
    h.clock.set('2027-03-15T14:05:00+08:00');
    const again = (await h.click(personas.leader, { action: 'application.submit', teamId: team.id, year: YEAR }, applicationForm({ title: '冷补料修补工法（第三稿）' }))) as Body;
    expect(again.toast?.type).toBe('success');
    const request = requestsTo(applicationId).at(-1);
    const recommended = await click(personas.contact, buttons(request, applicationId)['endorse.recommend'], { truthful: true, opinion: '已按协会意见补充' });
    expect(recommended.body.toast?.type).toBe('success');
    expect(await statusOf(db, applicationId)).toBe('recommended');

    // 受理 and 退回 on the old copy: refused, nothing changed, the list as it is now
    const audits = await auditRows(db);
    for (const [verb, form] of [
      ['check.accept', {}],
      ['check.return', { [`reason_${applicationId}`]: '不符合要求' }],
    ] as const) {
      const stale = await click(ADMIN, seen[verb], form);
      expect(stale.fast).toBe(false);
      expect(stale.body.toast).toEqual({ type: 'info', content: '旧卡测试班的申报已于 2027年3月15日 14:05 重新提交并重新推荐，内容可能已修改：请看最新内容后再审查。' });
      expect(await statusOf(db, applicationId)).toBe('recommended');
      expect(await auditRows(db)).toBe(audits);
      const redrawn = stale.body.card!.data;
      expect(cardText(redrawn)).toContain('冷补料修补工法（第三稿）');
      expect(cardText(redrawn)).toContain('单位推荐意见（联系人）**：已按协会意见补充');
      expect(buttons(redrawn, applicationId)['check.accept'].submitted).not.toBe(seen['check.accept'].submitted);
    }

    // 受理 from the list as it is now works
    const fresh = buttons(((await h.click(ADMIN, { action: 'check.list' })) as Body).card!.data, applicationId);
    const accepted = await click(ADMIN, fresh['check.accept']);
    expect(accepted.body.toast).toEqual({ type: 'success', content: '已受理：旧卡测试班' });
    expect(accepted.fast).toBe(PG && mode === 'fast');
    // the list answered (read back by the one statement's path too) still names who recommended the others
    expect(cardText(accepted.body.card!.data)).toContain('单位推荐意见（其他联系人）');
    expect(await statusOf(db, applicationId)).toBe('accepted');
  });

  it('a button without the submission (a card sent before) acts as it did; one whose submission does not read is spent', async () => {
    const db = h.db.db;
    const spent = await click(personas.contact, { action: 'endorse.recommend', applicationId: f.appA, submitted: 'yesterday' }, { truthful: true, opinion: '同意' });
    expect(spent.body.toast).toEqual({ type: 'error', content: staleButtonMessage });
    expect(await statusOf(db, f.appA)).toBe('submitted');
    const old = await click(personas.contact, { action: 'endorse.recommend', applicationId: f.appA }, { truthful: true, opinion: '同意推荐' });
    expect(old.body.toast?.type).toBe('success');
    expect(await statusOf(db, f.appA)).toBe('recommended');
  });

  it('a recommender the bot has no name for is mentioned: Feishu draws the mention as their name', async () => {
    const db = h.db.db;
    await db.update(applications).set({ endorsement: { decision: 'recommend', truthful: true, opinion: '同意推荐', by: 'ou_unnamed000000000000000000000001' } }).where(eq(applications.id, f.appC));
    const list = ((await h.click(ADMIN, { action: 'check.list' })) as Body).card!.data;
    expect(cardText(list)).toContain('单位推荐意见（<at id=ou_unnamed000000000000000000000001></at>）');
  });
});
