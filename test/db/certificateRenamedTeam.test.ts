import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * 第二十一条: a client holding a certificate checks the team it names. The team was renamed after the certificate was
 * issued (修改资料 keeps the name the certificate carries), and another organisation's team now goes by the name printed
 * on it. Asked by that name, the answer must still find the certificate's team and say which name the certificate
 * carries; asked by the number, it says what the team is called now.
 */

const STRANGER = 'ou_stranger_renamed00000000000000001';
const LEADER = 'ou_leader_renamed000000000000000000001';
const CONTACT = 'ou_contact_renamed00000000000000000001';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2028-09-01T10:00:00+08:00') });
  const db = h.db.db;
  const [a, b] = await db.insert(organizations).values([{ name: '广州市政养护有限公司' }, { name: '深圳市政工程有限公司' }]).returning();
  await db.insert(people).values([{ openId: LEADER, name: '李班长' }, { openId: CONTACT, name: '王联系人', roles: ['org_contact'] }]);
  const team = (code: string, name: string, organizationId: number) => ({
    code, name, organizationId, department: '养护部', type: 'project', leaderOpenId: LEADER, phone: '020-1234567', memberCount: 8,
    functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: CONTACT, registeredAt: '2025-02-01',
  });
  // the titled team, renamed since its certificate was issued; another organisation's team now has the old name
  const [renamed] = await db.insert(teams).values(team('GDSZ-2025-0201', '道路养护一班（东区）', a.id)).returning();
  await db.insert(teams).values(team('GDSZ-2026-0305', '道路养护一班', b.id));
  const [honour] = await db.insert(honours).values({ teamId: renamed.id, year: 2027, awardedAt: new Date('2027-07-20T10:00:00+08:00') }).returning();
  await db.insert(certificates).values({
    number: 'GDSZ-ZS-2027-0004', honourId: honour.id, teamId: renamed.id, year: 2027, association: '广东省市政行业协会', teamName: '道路养护一班',
    organization: '广州市政养护有限公司', title: '广东省市政工程质量信得过班组', issuedAt: new Date('2027-07-20T10:00:00+08:00'),
  });
});

afterAll(async () => {
  await h?.close();
});

const shown = (s: string) => s.replace(/\*\*/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));

async function answerTo(text: string): Promise<string> {
  h.fake.reset();
  await h.say(STRANGER, text);
  const got = h.fake.messages.filter((m) => m.receiveId === STRANGER);
  expect(got, text).toHaveLength(1);
  expectValidCard(got[0].content);
  return `[${got[0].content.header?.title?.content ?? ''}] ${shown(cardText(got[0].content))}`;
}

describe('a certificate whose team was renamed, its old name now another team’s', () => {
  it.each(['道路养护一班是质量信得过班组吗', '查询证书 道路养护一班'])('%s: the certificate’s team is found too, with the name its certificate carries', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toContain('道路养护一班（东区）（编号 GDSZ-2025-0201，广州市政养护有限公司）：');
    expect(answer).toContain('2027年度“广东省市政工程质量信得过班组”：有效（证书所载班组名称：道路养护一班）');
    // the team that has the name now, and no title, is still listed
    expect(answer).toContain('道路养护一班（编号 GDSZ-2026-0305，深圳市政工程有限公司）：没有获得过质量信得过班组称号。');
  });

  it('the certificate checked by its number names the team as printed and as it is called now', async () => {
    const answer = await answerTo('查询证书 GDSZ-ZS-2027-0004');
    expect(answer).toContain('[荣誉证书 GDSZ-ZS-2027-0004：有效]');
    expect(answer).toContain('班组：道路养护一班（编号 GDSZ-2025-0201，现名 道路养护一班（东区））');
  });

  it('a team asked by its present name gets no note of a certificate name that is the same', async () => {
    const answer = await answerTo('道路养护一班（东区）是质量信得过班组吗');
    expect(answer).toContain('2027年度“广东省市政工程质量信得过班组”：有效（证书所载班组名称：道路养护一班）');
    expect(answer).not.toContain('GDSZ-2026-0305');
  });
});
