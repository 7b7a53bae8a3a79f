/**
 * Cards in a group are one card for everyone there: an administrator's view asked for from one (a digest's 协会管理,
 * 投诉处理, 处理) goes to the clicker privately, in a bound group and in one unbound since (its old digests and alerts
 * are still there), while the same click in the administrator's p2p chat redraws the card in place.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent } from '../support/larkEvents.js';

const GROUP = 'oc_groupcardsprivately0001';
const OTHER_GROUP = 'oc_groupcardsnotbound00001';
let h: Harness;
let n = 0;
let complaintIds: number[] = [];

/** `text` said by the administrator in `chatId` with the bot mentioned. */
async function inGroup(text: string, chatId = GROUP) {
  const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, text, chatType: 'group', chatId, mentionBot: true, messageId: `om_gcp${++n}` }));
  expect(res.status).toBe(200);
  await h.drain();
}
/** A click on a card the bot posted in `chatId` (a digest, an alert): the answer Feishu draws over that shared card. */
const clickIn = (chatId: string, value: Record<string, unknown>) => h.click(ADMIN, value, undefined, { messageId: `om_card_in_${chatId}`, chatId });
/** A click in the administrator's p2p chat with the bot (the harness's default chat). */
const clickPrivately = (value: Record<string, unknown>) => h.click(ADMIN, value, undefined, { messageId: 'om_card_in_p2p' });
const privateCards = () => h.fake.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === ADMIN && m.msgType === 'interactive');

beforeAll(async () => {
  h = await startHarness();
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '广东第1市政' }).returning();
  await db.insert(people).values([{ openId: 'ou_gcpleader1' }, { openId: 'ou_gcpcontact1', roles: ['org_contact'], organizationId: org.id }]);
  const [team] = await db
    .insert(teams)
    .values({ code: 'GDSZ-2025-0001', name: '养护一班', organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: 'ou_gcpleader1', phone: '020-1234567', memberCount: 5, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: 'ou_gcpcontact1', registeredAt: '2025-01-10' })
    .returning();
  const rows = await db
    .insert(complaints)
    .values([1, 2, 3].map((i) => ({ reference: `TS-2026-000${i}`, teamId: team.id, content: `井盖松动第${i}次`, channel: 'web', contact: '13800000000' })))
    .returning({ id: complaints.id });
  complaintIds = rows.map((r) => r.id);
});
afterAll(async () => {
  await h?.close();
});

describe('an administrator view clicked on a group card', () => {
  it('bound: 协会管理 and 投诉处理 go privately, the group card stays', async () => {
    await inGroup('绑定通知');
    for (const action of ['admin.menu', 'complaint.list']) {
      const before = privateCards().length;
      const answer = await clickIn(GROUP, { action });
      expect(answer.card).toBeUndefined();
      expect(answer.toast.content).toContain('已私信发给你');
      expect(privateCards()).toHaveLength(before + 1);
    }
  });

  it('after 解绑 the group keeps its old cards: the same clicks still go privately, no complaint drawn into them', async () => {
    await inGroup('解绑');
    const before = privateCards().length;
    const menu = await clickIn(GROUP, { action: 'admin.menu' });
    const list = await clickIn(GROUP, { action: 'complaint.list' });
    expect(menu.card).toBeUndefined();
    expect(list.card).toBeUndefined();
    expect(JSON.stringify(list)).not.toContain('井盖松动');
    expect([menu.toast.content, list.toast.content]).toEqual(['协会管理卡片已私信发给你', '投诉清单已私信发给你']);
    const sent = privateCards().slice(before);
    expect(sent).toHaveLength(2);
    expect(cardText(sent[1].content)).toContain('井盖松动第1次');
  });

  it('a group never bound that the bot answered in is shared too', async () => {
    await inGroup('帮助', OTHER_GROUP);
    const answer = await clickIn(OTHER_GROUP, { action: 'complaint.list' });
    expect(answer.card).toBeUndefined();
    expect(answer.toast.content).toBe('投诉清单已私信发给你');
  });

  it('in the p2p chat (where the bot has sent much by now) the view is drawn in place', async () => {
    const before = privateCards().length;
    const answer = await clickPrivately({ action: 'complaint.list' });
    expect(cardText(answer.card.data)).toContain('井盖松动第1次');
    expect(answer.toast).toBeUndefined();
    expect(privateCards()).toHaveLength(before);
  });
});

describe('处理 on a complaint row of a card in the bound admin group', () => {
  it('goes privately with a toast; the group card stays as it is', async () => {
    await inGroup('绑定通知');
    const before = privateCards().length;
    const answer = await clickIn(GROUP, { action: 'complaint.open', complaintId: complaintIds[0] });
    expect(answer.card).toBeUndefined();
    expect(answer.toast).toEqual({ type: 'info', content: '投诉处理卡片已私信发给你' });
    const sent = privateCards().slice(before);
    expect(sent).toHaveLength(1);
    expect(cardText(sent[0].content)).toContain('TS-2026-0001');
  });

  it('不成立 on that private card decides the complaint and redraws it there', async () => {
    const [card] = privateCards().slice(-1);
    const { body } = await h.clickCard(ADMIN, card.messageId, { action: 'complaint.dismiss', complaintId: complaintIds[0] }, { note: '经核实井盖已修复' });
    expect(body.toast.type).toBe('success');
    expect(cardText(body.card.data)).toContain('TS-2026-0001');
    const [row] = await h.db.db.select({ status: complaints.status }).from(complaints).where(eq(complaints.id, complaintIds[0]));
    expect(row.status).toBe('dismissed');
  });

  it('in the p2p chat 处理 draws the complaint in place', async () => {
    const answer = await clickPrivately({ action: 'complaint.open', complaintId: complaintIds[1] });
    expect(cardText(answer.card.data)).toContain('TS-2026-0002');
  });
});
