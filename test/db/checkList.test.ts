import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMAL_CHECK_TEXT_SHOWN, formalCheckPageSize } from '../../cards/applications.js';
import { applications, cycles, organizations, people, teams } from '../../db/schema.js';
import { awaitingFormalCheckPage } from '../../src/applications.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 形式审查 (check.list) with 40 recommended applications waiting: a page at a time, first submitted first, each one
 * reachable through 上一页 / 下一页; a decision made on a page answers with that page; a page button drawn before some
 * were checked still answers (with the last page); nothing waiting says so.
 */

const clock = new ManualClock('2027-03-20T10:00:00+08:00');
const START = new Date('2027-03-01T02:00:00Z').getTime();
const WAITING = 40;
const PAGES = Math.ceil(WAITING / formalCheckPageSize);
const CONTACT = 'ou_checklist_contact';
let h: Harness;
/** The waiting applications' ids, in the order the list shows them (first submitted first). */
let ids: number[] = [];
/** Applications of the same year not waiting for the check: never on the list, never counted. */
let notWaiting: number[] = [];

beforeAll(async () => {
  h = await startHarness({ clock });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '审查清单测试市政公司' }).returning();
  await db.insert(people).values([{ openId: CONTACT, name: '审查清单联系人', roles: ['org_contact'] }, ...Array.from({ length: WAITING + 2 }, (_, n) => ({ openId: `ou_checklist_leader${n}` }))]);
  const [cycle] = await db
    .insert(cycles)
    .values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN })
    .returning();
  const teamRows = await db
    .insert(teams)
    .values(
      Array.from({ length: WAITING + 2 }, (_, n) => ({
        code: `GDSZ-2025-${String(700 + n).padStart(4, '0')}`,
        name: `审查清单养护${n + 1}班`,
        organizationId: org.id,
        department: '养护部',
        type: 'project',
        leaderOpenId: `ou_checklist_leader${n}`,
        phone: '020-12345678',
        memberCount: 6,
        functions: '道路养护',
        goals: '零缺陷',
        plan: '每月 QC 活动',
        contactOpenId: CONTACT,
        registeredAt: '2025-01-10',
      })),
    )
    .returning();
  const form = (n: number) => ({ ...applicationForm({ title: `第 ${n + 1} 份：提高沥青路面修补一次合格率` }), startDate: '2026-04-01', goalRate: 100, trainingRate: 96, examPassRate: 93.5 });
  // submitted a minute apart, inserted out of order: the list orders by when they were submitted, not by id
  const order = Array.from({ length: WAITING }, (_, i) => i).sort((a, b) => ((a * 7) % WAITING) - ((b * 7) % WAITING) || a - b);
  for (const n of order) {
    await db.insert(applications).values({
      teamId: teamRows[n].id,
      cycleId: cycle.id,
      status: 'recommended',
      form: form(n),
      endorsement: { decision: 'recommend', truthful: true, opinion: `第 ${n + 1} 份的推荐意见`, by: CONTACT },
      submittedAt: new Date(START + n * 60_000),
    });
  }
  // one still with the contact, one already accepted
  notWaiting = (
    await db
      .insert(applications)
      .values([
        { teamId: teamRows[WAITING].id, cycleId: cycle.id, status: 'submitted', form: form(WAITING), submittedAt: new Date(START - 60_000) },
        { teamId: teamRows[WAITING + 1].id, cycleId: cycle.id, status: 'accepted', form: form(WAITING + 1), endorsement: { decision: 'recommend', truthful: true, opinion: '已受理', by: CONTACT }, submittedAt: new Date(START - 120_000) },
      ])
      .returning()
  ).map((a) => a.id);
  ids = (await db.select({ id: applications.id }).from(applications).where(eq(applications.status, 'recommended')).orderBy(asc(applications.submittedAt), asc(applications.id))).map((r) => r.id);
  expect(ids).toHaveLength(WAITING);
}, 120_000);
afterAll(async () => h?.close());

/** A fresh 协会管理 card in the administrator's chat: its message is where the list is drawn and paged. */
async function adminCard(): Promise<string> {
  await h.say(ADMIN, '管理');
  const menu = [...h.fake.messages].reverse().find((m) => m.receiveIdType === 'open_id' && m.receiveId === ADMIN && m.msgType === 'interactive')!;
  expect(cardActions(menu.content)).toContainEqual({ action: 'check.list' });
  return menu.messageId;
}

/**
 * A click on a button the card `messageId` shows, as a Feishu client makes it: the simulated platform refuses a value
 * the card does not show, judges the answer by Feishu's card rules, and puts it in the card's place.
 */
async function click(messageId: string, value: Record<string, unknown>, form?: Record<string, unknown>) {
  const res = await h.clickCard(ADMIN, messageId, value, form);
  expect(res.refused).toBeUndefined();
  return read(res.body);
}
function read(body: any) {
  const card = body.card.data;
  expectValidCard(card);
  return { card, text: cardText(card), actions: cardActions(card), toast: body.toast as { type: string; content: string } | undefined };
}
/** A value no button shows (a page typed in by hand): straight to the bot. */
const crafted = async (value: Record<string, unknown>) => read(await h.click(ADMIN, value));

const shown = (actions: Record<string, unknown>[]) => actions.filter((a) => a.action === 'check.accept').map((a) => a.applicationId as number);
const pageButtons = (actions: Record<string, unknown>[]) => actions.filter((a) => a.action === 'check.list' && a.page !== undefined);
const slice = (xs: number[], page: number) => xs.slice((page - 1) * formalCheckPageSize, page * formalCheckPageSize);
const place = (page: number, total: number) => {
  const first = (page - 1) * formalCheckPageSize + 1;
  const last = Math.min(total, page * formalCheckPageSize);
  return last > first ? `本页第 ${first}–${last} 份` : `本页第 ${first} 份`;
};

describe(`形式审查 with ${WAITING} applications waiting`, () => {
  /** A list card left at the last page, and its 上一页 (to the page before). */
  let leftAtLast: string;
  let staleLastPage: Record<string, unknown>;

  it(`${PAGES} pages, first submitted first; 下一页 / 上一页 carry the page; every application reached once`, async () => {
    const msg = await adminCard();
    const seen: number[] = [];
    let value: Record<string, unknown> = { action: 'check.list' };
    for (let p = 1; p <= PAGES; p++) {
      const page = await click(msg, value);
      expect(page.text).toContain(`待审查 ${WAITING} 份`);
      expect(page.text).toContain(`第 ${p} / ${PAGES} 页`);
      expect(page.text).toContain(place(p, WAITING));
      expect(page.text).not.toContain('此处显示前');
      expect(shown(page.actions)).toEqual(slice(ids, p));
      for (const id of notWaiting) expect(shown(page.actions)).not.toContain(id);
      // each decision and 刷新 answer with this page
      for (const a of page.actions.filter((x) => x.action === 'check.accept' || x.action === 'check.return')) expect(a.page).toBe(p > 1 ? p : undefined);
      const expected = [...(p > 1 ? [{ action: 'check.list', page: p - 1 }] : []), ...(p < PAGES ? [{ action: 'check.list', page: p + 1 }] : []), ...(p > 1 ? [{ action: 'check.list', page: p }] : [])];
      expect(pageButtons(page.actions)).toEqual(expected);
      seen.push(...shown(page.actions));
      if (p < PAGES) value = { action: 'check.list', page: p + 1 };
      else staleLastPage = { action: 'check.list', page: p };
    }
    expect(seen).toEqual(ids);
    // 上一页 from the last page
    const back = await click(msg, { action: 'check.list', page: PAGES - 1 });
    expect(shown(back.actions)).toEqual(slice(ids, PAGES - 1));
    // left at the last page, with its 刷新 (page 14) for later
    await click(msg, staleLastPage);
    leftAtLast = msg;
  });

  it('a page past the end shows the last page with a note; a page that is not a number shows the first', async () => {
    const far = await crafted({ action: 'check.list', page: 99 });
    expect(far.text).toContain(`第 ${PAGES} / ${PAGES} 页`);
    expect(far.text).toContain('第 99 页已没有内容');
    expect(shown(far.actions)).toEqual(slice(ids, PAGES));
    const junk = await crafted({ action: 'check.list', page: 'x' });
    expect(junk.text).toContain(`第 1 / ${PAGES} 页`);
    expect(shown(junk.actions)).toEqual(slice(ids, 1));
  });

  it('受理 and a refused 退回 on page 5 answer with page 5 of what is left, counted right', async () => {
    const msg = await adminCard();
    await click(msg, { action: 'check.list' });
    for (let p = 2; p <= 5; p++) await click(msg, { action: 'check.list', page: p });
    const onPage = slice(ids, 5);
    const page5 = await click(msg, { action: 'check.list', page: 5 });
    const accept = page5.actions.find((a) => a.action === 'check.accept' && a.applicationId === onPage[0])!;
    expect(accept.page).toBe(5);
    const after = await click(msg, accept, { [`reason_${onPage[0]}`]: '' });
    expect(after.toast).toEqual({ type: 'success', content: expect.stringMatching(/^已受理：/) });
    const left = ids.filter((id) => id !== onPage[0]);
    expect(after.text).toContain(`待审查 ${WAITING - 1} 份`);
    expect(after.text).toContain(`第 5 / ${Math.ceil((WAITING - 1) / formalCheckPageSize)} 页`);
    expect(shown(after.actions)).toEqual(slice(left, 5));
    const [row] = await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.id, onPage[0]));
    expect(row.status).toBe('accepted');

    // 退回 without its reason: refused, the same page again with what to fix
    const returned = after.actions.find((a) => a.action === 'check.return')!;
    const refused = await click(msg, returned, { [`reason_${returned.applicationId}`]: '  ' });
    expect(refused.toast?.type).toBe('error');
    expect(refused.text).toContain('请修改');
    expect(refused.text).toContain(`第 5 / ${Math.ceil((WAITING - 1) / formalCheckPageSize)} 页`);
    expect(shown(refused.actions)).toEqual(slice(left, 5));
  });

  it('checked since: the old card’s page button answers with the last page of what is left', async () => {
    // since the card was drawn: the ten first submitted checked (the one accepted on page 5 put back, for a round figure)
    await h.db.db.update(applications).set({ status: 'recommended' }).where(inArray(applications.id, ids));
    await h.db.db.update(applications).set({ status: 'accepted' }).where(inArray(applications.id, ids.slice(0, 10)));
    const left = ids.slice(10);
    const pages = Math.ceil(left.length / formalCheckPageSize);
    const stale = await click(leftAtLast, staleLastPage);
    expect(stale.text).toContain(`待审查 ${left.length} 份`);
    expect(stale.text).toContain(`第 ${pages} / ${pages} 页`);
    expect(stale.text).toContain(`第 ${PAGES} 页已没有内容`);
    expect(stale.text).toContain(place(pages, left.length));
    expect(shown(stale.actions)).toEqual(slice(left, pages));
    expect(pageButtons(stale.actions)).toEqual([
      { action: 'check.list', page: pages - 1 },
      { action: 'check.list', page: pages },
    ]);

    // only the page is read, with the count of all
    const read = await awaitingFormalCheckPage(h.db.db, 2, formalCheckPageSize);
    expect(read).toMatchObject({ total: left.length, page: 2, pages });
    expect(read.rows.map((r) => r.application.id)).toEqual(slice(left, 2));
  });

  it('none waiting: the stale page button says there is nothing to check', async () => {
    const msg = await adminCard();
    await click(msg, { action: 'check.list' });
    await click(msg, { action: 'check.list', page: 2 });
    await h.db.db.update(applications).set({ status: 'accepted' }).where(eq(applications.status, 'recommended'));
    const none = await click(msg, { action: 'check.list', page: 1 });
    expect(none.text).toContain('待审查 0 份');
    expect(none.text).toContain('没有待形式审查的申报');
    expect(none.text).not.toContain('页');
    expect(shown(none.actions)).toEqual([]);
    expect(pageButtons(none.actions)).toEqual([]);
    const crafted3 = await crafted({ action: 'check.list', page: 3 });
    expect(crafted3.text).toContain('没有待形式审查的申报');
    expect(crafted3.text).not.toContain('已没有内容');
  });
});

describe('形式审查 shows the 申报表’s long answers it accepts the form on (第十五条 按照填报要求)', () => {
  it('顾客确认与满意情况, QC小组活动情况 (第十条), 主要成果简介 and 特色与推广意义, as typed; a long one cut with a note', async () => {
    const [first, second] = ids;
    // typed with markup, which shows as written; the summary pasted at the form's 1 000 characters
    const pasted = `**成果**${'修补一次合格率由 86% 提升到 97%，'.repeat(60)}`.slice(0, 1000);
    const form = { ...applicationForm({ title: '长答案的申报' }), customer: '业主书面确认，满意度 97%', qc: '[QC小组](https://example.com) 2 个', summary: pasted, features: '冷补料快速修补工法可在全省推广' };
    await h.db.db.update(applications).set({ status: 'recommended', form }).where(eq(applications.id, first));
    await h.db.db.update(applications).set({ status: 'recommended' }).where(eq(applications.id, second));
    const page = await click(await adminCard(), { action: 'check.list' });
    expect(shown(page.actions)).toEqual([first, second]);
    const raw = JSON.stringify(page.card);
    for (const label of ['顾客确认与满意情况', 'QC小组活动情况', '主要成果简介', '特色与推广意义']) expect(page.text).toContain(`**${label}**`);
    expect(page.text).toContain('业主书面确认，满意度 97%');
    expect(page.text).toContain('冷补料快速修补工法可在全省推广');
    // the second application's answers too (applicationForm's), each once per application
    expect(page.text).toContain('成立 QC 小组 2 个，完成课题 3 项');
    expect(page.text.split('**主要成果简介**')).toHaveLength(3);
    // people's words escaped: no bold, no link
    expect(raw).toContain('&#91;QC小组&#93;&#40;https&#58;//example.com&#41; 2 个');
    expect(raw).toContain(`&#42;&#42;成果&#42;&#42;${pasted.slice(6, FORMAL_CHECK_TEXT_SHOWN)}…`);
    expect(page.text).not.toContain(pasted.slice(6, FORMAL_CHECK_TEXT_SHOWN + 1));
    expect(page.text).toContain(`以上长文本只显示前 ${FORMAL_CHECK_TEXT_SHOWN} 字，全文点“查看申报表全文”（另发一条消息，这里填的退回原因不受影响）；完整材料见材料链接。`);
    // the note is said where a text was cut, once
    expect(page.text.split('以上长文本只显示前')).toHaveLength(2);
  });
});
