import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * Questions of a team's later years. Whether it may apply again after a title or after not being awarded: 第十九条
 * alone, which does not say yes. A leader whose team moved to another organisation (or whose company merged or was renamed) asks what to do. 修改资料
 * does not change 所属单位: the answer says so and to contact the association, where it was 没有听懂 (更换所属单位) or
 * 第五条 and 第十条, which say nothing of it.
 */

const LEADER = 'ou_orgchangeleader0000000000000001';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
  const [org] = await h.db.db.insert(organizations).values({ name: '江门市政工程有限公司' }).returning();
  await h.db.db.insert(people).values([{ openId: LEADER }, { openId: 'ou_orgchangecontact000000000000001', roles: ['org_contact'], organizationId: org.id }]);
  const [t] = await h.db.db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0301', name: '调动一班', organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: LEADER, phone: '020-1234567',
      memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: 'ou_orgchangecontact000000000000001', registeredAt: '2025-01-10',
    })
    .returning();
  await h.db.db.insert(teamMembers).values({ teamId: t.id, openId: LEADER, role: 'leader' });
});
afterAll(async () => {
  await h?.close();
});

async function answerTo(text: string): Promise<string> {
  h.fake.reset();
  await h.say(LEADER, text);
  const m = h.fake.messages.filter((x) => x.receiveId === LEADER).at(-1)!;
  return (m.content as { text?: string }).text ?? cardText(m.content);
}

describe('a team whose organisation changed', () => {
  it.each(['更换所属单位', '我们班组调到另一个单位了怎么办', '单位合并了怎么办'])('%s is told to contact the association, not 修改资料', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toContain('所属单位是注册时登记的，“修改资料”不能更改');
    expect(answer).toContain('发送“联系协会”');
    expect(answer).not.toMatch(/没有听懂|第[五十]条/);
  });
});

describe('a team asking whether it may apply again', () => {
  it.each(['我们去年评上了今年还能申报吗', '落选了明年还能报吗'])('%s is told yes, and of the form’s 沿用 button', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toContain('都可以参加下一年度评审，每个班组每年一份申报');
    expect(answer).toContain('“沿用 某年度内容”');
  });
});
