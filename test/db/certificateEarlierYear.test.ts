import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, honours, organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * 第二十条 awards the title of a year. A client shown a 2026 certificate in 2029 checks it: the answer was a green
 * “有效” and nothing else, read as the team holding the title now. It says the certificate proves the 2026 title, not
 * the years after, and what the team holds since (its later titles, or none up to the latest year reviewed).
 */

const STRANGER = 'ou_stranger_earlier000000000000000001';
const LEADER = 'ou_leader_earlier0000000000000000000001';
const CONTACT = 'ou_contact_earlier000000000000000000001';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2029-03-01T10:00:00+08:00') });
  const db = h.db.db;
  for (const year of [2026, 2027, 2028]) {
    await db.execute(sql`insert into cycles (year, status, application_deadline, score_sheet, scoring_deadline, review_meeting_date, opened_by)
      values (${year}, 'published', ${`${year}-05-31`}, ${JSON.stringify(defaultScoreSheet)}::jsonb, ${`${year}-06-30`}, ${`${year}-07-15`}, 'system:test')`);
  }
  const [org] = await db.insert(organizations).values({ name: '佛山市政养护有限公司' }).returning();
  await db.insert(people).values([{ openId: LEADER, name: '李班长' }, { openId: CONTACT, name: '王联系人', roles: ['org_contact'] }]);
  const team = (code: string, name: string) => ({
    code, name, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER, phone: '0757-7654321', memberCount: 8,
    functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: CONTACT, registeredAt: '2024-02-01',
  });
  const [again, once] = await db.insert(teams).values([team('GDSZ-2024-0061', '养护一班'), team('GDSZ-2024-0062', '养护二班')]).returning();
  const [a2026, a2028, b2026] = await db
    .insert(honours)
    .values([
      { teamId: again.id, year: 2026, awardedAt: new Date('2026-07-20T10:00:00+08:00') },
      { teamId: again.id, year: 2028, awardedAt: new Date('2028-07-20T10:00:00+08:00') },
      { teamId: once.id, year: 2026, awardedAt: new Date('2026-07-20T10:00:00+08:00') },
    ])
    .returning();
  const issued = { association: '广东省市政行业协会', organization: '佛山市政养护有限公司', title: '广东省市政工程质量信得过班组' };
  await db.insert(certificates).values([
    { ...issued, number: 'GDSZ-ZS-2026-0007', honourId: a2026.id, teamId: again.id, year: 2026, teamName: '养护一班', issuedAt: new Date('2026-07-20T10:00:00+08:00') },
    { ...issued, number: 'GDSZ-ZS-2028-0003', honourId: a2028.id, teamId: again.id, year: 2028, teamName: '养护一班', issuedAt: new Date('2028-07-20T10:00:00+08:00') },
    { ...issued, number: 'GDSZ-ZS-2026-0008', honourId: b2026.id, teamId: once.id, year: 2026, teamName: '养护二班', issuedAt: new Date('2026-07-20T10:00:00+08:00') },
  ]);
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
  return shown(cardText(got[0].content));
}

describe('a certificate of an earlier year', () => {
  it('says it proves that year’s title, and names the team’s later titles', async () => {
    const answer = await answerTo('查询证书 GDSZ-ZS-2026-0007');
    expect(answer).toContain('状态：有效');
    expect(answer).toContain('称号按年度授予（第二十条）：这份证书证明该班组获得 2026 年度称号，不证明此后年度。该班组此后获得的称号：2028年度（有效）。');
  });

  it('says when the team has held none since, up to the latest year reviewed', async () => {
    expect(await answerTo('查询证书 GDSZ-ZS-2026-0008')).toContain('该班组此后年度（至 2028 年度）没有获得质量信得过班组称号。');
  });

  it('the latest year’s certificate needs no such line', async () => {
    const answer = await answerTo('查询证书 GDSZ-ZS-2028-0003');
    expect(answer).toContain('状态：有效');
    expect(answer).not.toContain('不证明此后年度');
  });
});
