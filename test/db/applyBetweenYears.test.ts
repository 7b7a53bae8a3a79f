import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles, honours, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 申报 between two years (July to spring: the last year's results published, the next year not open): the year is
 * said to be over, not “本年度评审尚未开启申报”; a team whose title was revoked is told when its bar ends, as 进度 says.
 */

const LEADER = 'ou_betweenleader000000000000000001';
const BARRED = 'ou_betweenleader000000000000000002';
const CONTACT = 'ou_betweencontact00000000000000001';
let h: Harness;

async function team(n: number, leader: string) {
  const [org] = await h.db.db.select().from(organizations);
  const [t] = await h.db.db
    .insert(teams)
    .values({
      code: `GDSZ-2024-000${n}`, name: `年度之间${n}班`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader,
      phone: '020-1234567', memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: CONTACT, registeredAt: '2024-01-01',
    })
    .returning();
  await h.db.db.insert(teamMembers).values({ teamId: t.id, openId: leader, role: 'leader' });
  return t.id;
}

const lastText = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId).at(-1)?.content;

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-09-01T10:00:00+08:00') });
  const [org] = await h.db.db.insert(organizations).values({ name: '广州市市政工程维修有限公司' }).returning();
  await h.db.db.insert(people).values([
    { openId: LEADER, name: '班组长' },
    { openId: BARRED, name: '撤销班组长' },
    { openId: CONTACT, name: '联系人', roles: ['org_contact'], organizationId: org.id },
  ]);
  await team(1, LEADER);
  const barred = await team(2, BARRED);
  await h.db.db.insert(cycles).values({ year: 2027, status: 'published', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN });
  // its 2026 title revoked on 2027-08-20 (第二十二条): barred a calendar year, to 2028-08-20 10:00
  await h.db.db.insert(honours).values({ teamId: barred, year: 2026, score: 90, awardedAt: new Date('2026-07-20T00:00:00Z'), revokedAt: new Date('2027-08-20T10:00:00+08:00'), revokedReason: '连续两次投诉成立' });
});
afterAll(async () => {
  await h?.close();
});

describe('申报 once the year\'s results are published', () => {
  it('says the year is over and the next one will be announced', async () => {
    await h.say(LEADER, '申报');
    expect(lastText(LEADER)).toEqual({ text: '2027 年度评审已结束（结果已公布）；下一年度评审开启后我会提醒你。' });
    // the menu's 年度申报 button says the same
    const clicked = await h.click(LEADER, { action: 'application.start' });
    expect(clicked.toast).toEqual({ type: 'info', content: '2027 年度评审已结束（结果已公布）；下一年度评审开启后我会提醒你。' });
  });

  it('to a team whose title was revoked, also the day its bar ends', async () => {
    await h.say(BARRED, '申报');
    expect(lastText(BARRED)).toEqual({
      text: '2027 年度评审已结束（结果已公布）；下一年度评审开启后我会提醒你。协会规定：撤销称号后一年内不受理该班组的申报；本班组 2026 年度称号已于 2027年8月20日 撤销，2028年8月20日 10:00 起方可再申报。',
    });
  });
});
