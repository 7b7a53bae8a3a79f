import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 我的投诉, 投诉进度, 查询我的投诉, my complaints, with no reference: the complainant who filed in chat gets their own
 * complaints, newest first, with where each stands, the first five and how many more; someone who filed none is told
 * how to file one; an administrator gets the list to handle. Never the measures' 第二十二条.
 */

const clock = new ManualClock('2027-03-01T10:00:00+08:00');
const COMPLAINANT = 'ou_mine_complainant00000000000001';
const NOBODY = 'ou_mine_nobody0000000000000000001';
// complaint status, 投诉状态 were read as a complaint about a team named status / 状态
const PHRASES = ['我的投诉', '投诉进度', '查询我的投诉', '查看我的投诉', 'my complaints', '我的投诉。', 'complaint status', 'Complaint status?', 'complaints status', '投诉状态', '我的投诉状态'];
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '我的投诉市政公司' }).returning();
  await db.insert(people).values([{ openId: 'ou_mine_leader' }, { openId: 'ou_mine_contact', roles: ['org_contact'] }, { openId: COMPLAINANT }, { openId: NOBODY }]);
  const [team] = await db
    .insert(teams)
    .values({ code: 'GDSZ-2025-0801', name: '我的投诉养护一班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: 'ou_mine_leader', phone: '020-12345678', memberCount: 6, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: 'ou_mine_contact', registeredAt: '2025-01-10' })
    .returning();
  // seven in chat, a day apart (TS-2027-0001 the oldest), the first two decided; one on the web, which has no complainant
  const statuses = ['upheld', 'dismissed', 'open', 'open', 'open', 'open', 'open'] as const;
  await db.insert(complaints).values(
    statuses.map((status, i) => ({
      reference: `TS-2027-000${i + 1}`,
      teamId: team.id,
      content: `问题 ${i + 1}`,
      channel: 'chat',
      complainantOpenId: COMPLAINANT,
      status,
      createdAt: new Date(Date.parse('2027-02-01T10:00:00+08:00') + i * 86_400_000),
      ...(status === 'open' ? {} : { note: '已核查', decidedBy: ADMIN, decidedAt: new Date('2027-02-10T10:00:00+08:00') }),
    })),
  );
  await db.insert(complaints).values({ reference: 'TS-2027-0008', teamId: team.id, content: '夜间施工噪音', channel: 'web', contact: '王先生' });
}, 120_000);
afterAll(async () => h?.close());

async function ask(openId: string, text: string) {
  const before = h.fake.messages.length;
  const res = await h.say(openId, text);
  expect(res.status).toBe(200);
  const sent = h.fake.messages.slice(before).filter((m) => m.receiveIdType === 'open_id' && m.receiveId === openId);
  expect(sent, text).toHaveLength(1);
  return sent[0];
}

describe('asking after one’s own complaints without a reference', () => {
  it('the complainant gets their complaints, newest first, where each stands, and how many more', async () => {
    for (const typed of PHRASES) {
      const m = await ask(COMPLAINANT, typed);
      expect(m.msgType, typed).toBe('text');
      const text: string = m.content.text;
      expect(text, typed).not.toContain('第二十二条');
      expect(text, typed).toContain('你在飞书提交的投诉共 7 件');
      // the newest five, newest first; the two oldest counted, not listed
      const shown = [...text.matchAll(/TS-2027-000(\d)｜/g)].map((x) => Number(x[1]));
      expect(shown, typed).toEqual([7, 6, 5, 4, 3]);
      expect(text, typed).toContain('另有 2 件较早的投诉未列出');
      expect(text).toContain('TS-2027-0007｜我的投诉养护一班（GDSZ-2025-0801）｜2027年2月7日｜已受理，核查中');
      expect(text).not.toContain('TS-2027-0008');
    }
  });

  it('decided complaints say 成立 / 不成立', async () => {
    await h.db.db.delete(complaints).where((await import('drizzle-orm')).inArray(complaints.reference, ['TS-2027-0005', 'TS-2027-0006', 'TS-2027-0007']));
    const text: string = (await ask(COMPLAINANT, '我的投诉')).content.text;
    expect(text).toContain('共 4 件');
    expect(text).toContain('TS-2027-0002｜我的投诉养护一班（GDSZ-2025-0801）｜2027年2月2日｜不成立');
    expect(text).toContain('TS-2027-0001｜我的投诉养护一班（GDSZ-2025-0801）｜2027年2月1日｜成立');
    expect(text).not.toContain('另有');
  });

  it('someone who filed none is told so and how to file one', async () => {
    for (const typed of PHRASES) {
      const m = await ask(NOBODY, typed);
      expect(m.msgType, typed).toBe('text');
      expect(m.content.text, typed).toContain('你还没有在飞书提交过投诉');
      expect(m.content.text, typed).toContain('投诉 班组名称');
      expect(m.content.text, typed).not.toContain('第二十二条');
    }
  });

  it('the 帮助 menu tells a complainant how to follow their complaints; an administrator’s does not', async () => {
    const menu = cardText((await ask(COMPLAINANT, '帮助')).content);
    expect(menu).toContain('发送“我的投诉”（my complaints；也可发送“投诉进度”“投诉状态”“complaint status”）查看你在飞书提交的投诉');
    expect(cardText((await ask(ADMIN, '帮助')).content)).not.toContain('我的投诉');
  });

  it('an administrator gets the list of complaints to handle', async () => {
    for (const typed of PHRASES) {
      const m = await ask(ADMIN, typed);
      expect(m.msgType, typed).toBe('interactive');
      expect(cardActions(m.content).some((a) => a.action === 'complaint.open'), typed).toBe(true);
    }
  });
});
