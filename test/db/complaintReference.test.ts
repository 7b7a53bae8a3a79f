import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard, formFieldNames } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A complaint's reference sent to the bot (TS-2027-0001, as the 投诉已受理 card and the public page give it): an
 * administrator gets that complaint's card, with its 认定 buttons while open; the complainant who filed it in chat gets
 * where it stands; anyone else is told it is not theirs to see, and never gets a new complaint form against a team
 * named like the reference.
 */

const clock = new ManualClock('2027-03-01T10:00:00+08:00');
const COMPLAINANT = 'ou_ref_complainant0000000000000001';
const STRANGER = 'ou_ref_stranger000000000000000001';
let h: Harness;
let chatComplaint: number;

beforeAll(async () => {
  h = await startHarness({ clock });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '编号查询市政公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_ref_leader' }, { openId: 'ou_ref_contact', roles: ['org_contact'] }, { openId: COMPLAINANT }, { openId: STRANGER }]);
  const [team] = await db
    .insert(teams)
    .values({ code: 'GDSZ-2025-0701', name: '编号查询养护一班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_ref_leader', phone: '020-12345678', memberCount: 6, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: 'ou_ref_contact', registeredAt: '2025-01-10' })
    .returning();
  const [c] = await db.insert(complaints).values({ reference: 'TS-2027-0001', teamId: team.id, content: '井盖松动，多次反映未修', channel: 'chat', complainantOpenId: COMPLAINANT }).returning();
  chatComplaint = c.id;
  await db.insert(complaints).values({ reference: 'TS-2027-0002', teamId: team.id, content: '夜间施工噪音', channel: 'web', contact: '王先生' });
}, 120_000);
afterAll(async () => h?.close());

/** What the bot sent `openId` in p2p after `text`: the messages new since it was said. */
async function ask(openId: string, text: string) {
  const before = h.fake.messages.length;
  const res = await h.say(openId, text);
  expect(res.status).toBe(200);
  return h.fake.messages.slice(before).filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId);
}
const only = <T>(xs: T[]) => {
  expect(xs).toHaveLength(1);
  return xs[0];
};

describe('a complaint reference sent to the bot', () => {
  it('an administrator gets the complaint card with its 认定 buttons, however the reference is typed', async () => {
    for (const typed of ['TS-2027-0001', 'ts-2027-1', 'ＴＳ－２０２７－０００１。', '投诉 TS-2027-0001', '查看投诉 TS-2027-0001']) {
      const m = only(await ask(ADMIN, typed));
      expect(m.msgType, typed).toBe('interactive');
      expectValidCard(m.content);
      expect(cardText(m.content), typed).toContain('TS-2027-0001');
      expect(cardText(m.content)).toContain('井盖松动');
      expect(cardActions(m.content)).toContainEqual(expect.objectContaining({ action: 'complaint.uphold', complaintId: chatComplaint }));
    }
  });

  it('a reference that does not exist is named back to an administrator', async () => {
    const m = only(await ask(ADMIN, 'TS-2027-0099'));
    expect(m.msgType).toBe('text');
    expect(m.content.text).toContain('找不到投诉 TS-2027-0099');
  });

  it('the complainant sees it received, then decided; a stranger sees nothing of it', async () => {
    const received = only(await ask(COMPLAINANT, 'TS-2027-0001'));
    expect(received.msgType).toBe('interactive');
    expect(cardText(received.content)).toContain('投诉已受理');

    const stranger = only(await ask(STRANGER, 'TS-2027-0001'));
    expect(stranger.msgType).toBe('text');
    expect(stranger.content.text).toContain('找不到你提交的投诉 TS-2027-0001');
    expect(JSON.stringify(stranger.content)).not.toContain('井盖');
    // a web complaint has no complainant in the tenant: nobody but an administrator sees it
    const web = only(await ask(COMPLAINANT, '投诉 TS-2027-0002'));
    expect(web.content.text).toContain('找不到你提交的投诉 TS-2027-0002');
    expect(JSON.stringify(web.content)).not.toContain('噪音');

    // asked in words around the reference, as people ask: where it stands, not the measures or “没有听懂”
    for (const typed of ['TS-2027-0001 处理了吗', '我的投诉 ts-2027-1 有结果了吗？', '投诉 TS-2027-0001 怎么样了', '投诉TS-2027-0001处理到哪了']) {
      const m = only(await ask(COMPLAINANT, typed));
      expect(m.msgType, typed).toBe('interactive');
      expect(cardText(m.content), typed).toContain('投诉已受理');
      expect(cardText(m.content), typed).toContain('TS-2027-0001');
      expect(cardText(m.content), typed).not.toContain('第二十二条');
    }
    // asked to withdraw it: told a complaint filed stays on record, and what to do instead
    for (const typed of ['撤回投诉 TS-2027-0001', '投诉 撤回 TS-2027-0001', '我想取消投诉TS-2027-0001']) {
      const m = only(await ask(COMPLAINANT, typed));
      expect(m.msgType, typed).toBe('interactive');
      expect(cardText(m.content), typed).toContain('投诉提交后不能撤回');
      expect(cardText(m.content), typed).toContain('请联系协会说明');
      expect(cardText(m.content), typed).not.toContain('第二十二条');
    }
    expect(cardText(only(await ask(STRANGER, '撤回投诉 TS-2027-0001')).content)).not.toContain('井盖');
    expect((await h.db.db.select().from(complaints).where(eq(complaints.id, chatComplaint)))[0].status).toBe('open');

    await h.db.db.update(complaints).set({ status: 'upheld', note: '已督促整改', decidedBy: ADMIN, decidedAt: new Date() }).where(eq(complaints.id, chatComplaint));
    expect(cardText(only(await ask(COMPLAINANT, '撤回投诉 TS-2027-0001')).content)).toContain('这件投诉已认定为“成立”，不能撤回');
    const decided = only(await ask(COMPLAINANT, 'TS-2027-0001'));
    expect(cardText(decided.content)).toContain('投诉处理结果：成立');
    expect(cardText(decided.content)).toContain('已督促整改');
    const admin = only(await ask(ADMIN, 'TS-2027-0001'));
    expect(cardActions(admin.content).filter((a) => a.action === 'complaint.uphold')).toEqual([]);
    expect(cardText(admin.content)).toContain('成立');
  });

  it('a new complaint naming an earlier reference is still a complaint against the team it names', async () => {
    const m = only(await ask(COMPLAINANT, '投诉 编号查询养护一班 TS-2027-0001 的问题又出现了'));
    expect(formFieldNames(m.content)).toContain('content');
    expect(cardText(m.content)).toContain('被投诉班组：**编号查询养护一班**');
  });
});
