import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cycleDefaults } from '../../src/cycles.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 投诉处理 (complaint.list) with 35 open complaints: a page at a time, oldest first, each one reachable through
 * 上一页 / 下一页; a page button drawn before some were handled still answers (with the last page); titles awaiting
 * 撤销 / 保留 (第二十二条) are paged with them, none cut off.
 */

const clock = new ManualClock('2027-03-01T10:00:00+08:00');
const START = new Date('2027-02-01T02:00:00Z').getTime();
let h: Harness;
let orgId: number;
/** The open complaints' ids, oldest first. */
let ids: number[] = [];

async function newTeam(n: number): Promise<number> {
  const [t] = await h.db.db
    .insert(teams)
    .values({ code: `GDSZ-2025-${String(500 + n).padStart(4, '0')}`, name: `清单测试养护${n}班`, organizationId: orgId, department: '养护部', type: 'project', leaderOpenId: 'ou_list_leader', phone: '020-12345678', memberCount: 6, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: 'ou_list_contact', registeredAt: '2025-01-10' })
    .returning();
  return t.id;
}

beforeAll(async () => {
  h = await startHarness({ clock });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '清单测试市政公司' }).returning();
  orgId = org.id;
  await db.insert(people).values([{ openId: 'ou_list_leader' }, { openId: 'ou_list_contact', roles: ['org_contact'] }]);
  const teamId = await newTeam(0);
  // received a minute apart, inserted out of order: the list orders by when they came in, not by id
  const order = Array.from({ length: 35 }, (_, i) => i).sort((a, b) => ((a * 7) % 35) - ((b * 7) % 35) || a - b);
  for (const i of order) {
    await db.insert(complaints).values({ reference: `TS-2027-${String(i + 1).padStart(4, '0')}`, teamId, content: `第 ${i + 1} 件：路面开裂，未及时修补`, channel: 'web', createdAt: new Date(START + i * 60_000) });
  }
  ids = (await db.select({ id: complaints.id }).from(complaints).where(eq(complaints.status, 'open')).orderBy(complaints.createdAt, complaints.id)).map((r) => r.id);
  expect(ids).toHaveLength(35);
}, 120_000);
afterAll(async () => h?.close());

/** A fresh 协会管理 card in the administrator's chat: its message is where the list is drawn and paged. */
async function adminCard(): Promise<string> {
  await h.say(ADMIN, '管理');
  const menu = [...h.fake.messages].reverse().find((m) => m.receiveIdType === 'open_id' && m.receiveId === ADMIN && m.msgType === 'interactive')!;
  expect(cardActions(menu.content)).toContainEqual({ action: 'complaint.list' });
  return menu.messageId;
}

/**
 * A click on a button the card `messageId` shows, as a Feishu client makes it: the simulated platform refuses a value
 * the card does not show, judges the answer by Feishu's card rules, and puts it in the card's place.
 */
async function list(messageId: string, value: Record<string, unknown>) {
  const res = await h.clickCard(ADMIN, messageId, value);
  expect(res.refused).toBeUndefined();
  return read(res.body);
}
function read(body: any) {
  const card = body.card.data;
  expectValidCard(card);
  return { card, text: cardText(card), actions: cardActions(card) };
}
/** A value no button shows (a page typed in by hand): straight to the bot. */
const crafted = async (value: Record<string, unknown>) => read(await h.click(ADMIN, value));

const opened = (actions: Record<string, unknown>[]) => actions.filter((a) => a.action === 'complaint.open').map((a) => a.complaintId as number);
const pageButtons = (actions: Record<string, unknown>[]) => actions.filter((a) => a.action === 'complaint.list');

describe('投诉处理 with 35 open complaints', () => {
  let stalePage3: Record<string, unknown>;
  /** A list card left at page 2, with its 下一页 to page 3. */
  let leftAtPage2: string;

  it('three pages of the oldest first; 下一页 / 上一页 carry the page; every complaint reached once', async () => {
    const msg = await adminCard();
    const p1 = await list(msg, { action: 'complaint.list' });
    expect(p1.text).toContain('共 35 件');
    expect(p1.text).toContain('第 1 / 3 页');
    expect(p1.text).toContain('本页第 1–15 件');
    expect(p1.text).not.toContain('仅显示');
    expect(opened(p1.actions)).toEqual(ids.slice(0, 15));
    expect(pageButtons(p1.actions)).toEqual([{ action: 'complaint.list', page: 2 }]);

    const p2 = await list(msg, pageButtons(p1.actions)[0]);
    expect(p2.text).toContain('共 35 件');
    expect(p2.text).toContain('第 2 / 3 页');
    expect(p2.text).toContain('本页第 16–30 件');
    expect(opened(p2.actions)).toEqual(ids.slice(15, 30));
    expect(pageButtons(p2.actions)).toEqual([
      { action: 'complaint.list', page: 1 },
      { action: 'complaint.list', page: 3 },
    ]);
    stalePage3 = pageButtons(p2.actions)[1];

    const p3 = await list(msg, stalePage3);
    expect(p3.text).toContain('第 3 / 3 页');
    expect(p3.text).toContain('本页第 31–35 件');
    expect(opened(p3.actions)).toEqual(ids.slice(30));
    expect(pageButtons(p3.actions)).toEqual([{ action: 'complaint.list', page: 2 }]);
    expect(p3.text).toContain('TS-2027-0035');

    const back = await list(msg, pageButtons(p3.actions)[0]);
    expect(opened(back.actions)).toEqual(ids.slice(15, 30));
    leftAtPage2 = msg;

    // every one reached, each once, oldest first
    expect([...opened(p1.actions), ...opened(p2.actions), ...opened(p3.actions)]).toEqual(ids);
  });

  it('a page past the end, or not a number, shows the last page or the first', async () => {
    const far = await crafted({ action: 'complaint.list', page: 9 });
    expect(far.text).toContain('第 3 / 3 页');
    expect(far.text).toContain('第 9 页已没有内容');
    expect(opened(far.actions)).toEqual(ids.slice(30));
    const junk = await crafted({ action: 'complaint.list', page: 'x' });
    expect(junk.text).toContain('第 1 / 3 页');
    expect(opened(junk.actions)).toEqual(ids.slice(0, 15));
  });

  it('10 handled since: the old card’s 下一页 (page 3) answers with the last page of the 25 left, counted right', async () => {
    for (const complaintId of ids.slice(0, 10)) {
      const res = await h.click(ADMIN, { action: 'complaint.dismiss', complaintId }, { note: '经核实不成立' });
      expect(res.toast.type).toBe('success');
    }
    const left = ids.slice(10);
    const stale = await list(leftAtPage2, stalePage3);
    expect(stale.text).toContain('共 25 件');
    expect(stale.text).toContain('第 2 / 2 页');
    expect(stale.text).toContain('第 3 页已没有内容');
    expect(stale.text).toContain('本页第 16–25 件');
    expect(opened(stale.actions)).toEqual(left.slice(15));
    expect(pageButtons(stale.actions)).toEqual([{ action: 'complaint.list', page: 1 }]);

    const first = await list(leftAtPage2, pageButtons(stale.actions)[0]);
    expect(first.text).toContain('第 1 / 2 页');
    expect(opened(first.actions)).toEqual(left.slice(0, 15));
    expect(opened(first.actions)).not.toContain(ids[0]);
  });

  it('all handled: the stale 上一页 says there is nothing left', async () => {
    const again = await adminCard();
    await list(again, { action: 'complaint.list' });
    await list(again, { action: 'complaint.list', page: 2 });
    await h.db.db.update(complaints).set({ status: 'dismissed', note: '不成立', decidedBy: ADMIN, decidedAt: clock.now() }).where(eq(complaints.status, 'open'));
    const none = await list(again, { action: 'complaint.list', page: 1 });
    expect(none.text).toContain('共 0 件');
    expect(none.text).toContain('目前没有待处理的投诉');
    expect(opened(none.actions)).toEqual([]);
    expect(pageButtons(none.actions)).toEqual([]);
    // the stored ones back to open for what follows
    await h.db.db.update(complaints).set({ status: 'open', note: null, decidedBy: null, decidedAt: null }).where(inArray(complaints.id, ids));
  });
});

describe('投诉处理 with titles awaiting 撤销 / 保留 as well', () => {
  it('17 titles and 35 complaints: four pages, titles first, none cut off', async () => {
    const honourIds: number[] = [];
    for (let n = 1; n <= 17; n++) {
      const teamId = await newTeam(n);
      const [honour] = await h.db.db.insert(honours).values({ teamId, year: 2026, awardedAt: new Date(START - 30 * 86_400_000) }).returning();
      honourIds.push(honour.id);
      for (let k = 0; k < cycleDefaults.revocationRun; k++) {
        await h.db.db.insert(complaints).values({ reference: `TS-2027-${9000 + n * 10 + k}`, teamId, content: '井盖松动', channel: 'web', status: 'upheld', note: '成立', decidedBy: ADMIN, decidedAt: new Date(START - 86_400_000), createdAt: new Date(START - 10 * 86_400_000 + k * 60_000) });
      }
    }
    const seenTitles: number[] = [];
    const seenComplaints: number[] = [];
    const msg = await adminCard();
    let page: Record<string, unknown> = { action: 'complaint.list' };
    for (let p = 1; p <= 4; p++) {
      const shown = await list(msg, page);
      expect(shown.text).toContain('共 35 件，17 个称号待决定');
      expect(shown.text).toContain(`第 ${p} / 4 页`);
      seenTitles.push(...shown.actions.filter((a) => a.action === 'revocation.open').map((a) => a.honourId as number));
      seenComplaints.push(...opened(shown.actions));
      if (p === 2) {
        // the last two titles, then the complaints from the oldest
        expect(shown.text).toContain('待决定是否撤销的称号 17 个');
        expect(shown.text).toContain('本页第 1–13 件');
      }
      const next = pageButtons(shown.actions).find((a) => a.page === p + 1);
      if (p < 4) page = next!;
      else expect(next).toBeUndefined();
    }
    expect([...seenTitles].sort((a, b) => a - b)).toEqual(honourIds);
    expect(seenComplaints).toEqual(ids);
  });
});
