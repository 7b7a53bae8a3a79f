import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { applications, cycles, honours, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText } from '../support/cards.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * E5 in 进度: a team whose title was revoked within the association's bar is told so under 参评资格, with the day the
 * bar ends; when that day falls after this year's deadline, 下一步 says the team cannot take part this year and the
 * 年度申报 button is not offered. The day is the bot's (a revocation at 07:30 in Shanghai is that day, not UTC's).
 */
const LEADER = 'ou_statusbarleader000000000000000001';
const CONTACT = 'ou_statusbarcontact00000000000000001';

describe('进度 of a team within the bar after a revoked title', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
    const db = h.db.db;
    const [org] = await db.insert(organizations).values({ name: '汕头市政养护有限公司' }).returning();
    await db.insert(people).values([{ openId: LEADER, name: '许班长' }, { openId: CONTACT, name: '蔡联系人', roles: ['org_contact'] }]);
    await db.insert(cycles).values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet });
    for (const [n, revokedAt] of [[1, '2026-06-01T07:30:00+08:00'], [2, '2026-04-01T10:00:00+08:00'], [3, '2026-03-10T10:00:00+08:00']] as const) {
      const [t] = await db
        .insert(teams)
        .values({
          code: `GDSZ-2024-000${n}`, name: `汕头道路${n}班`, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
          phone: '0754-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: CONTACT, registeredAt: '2024-02-01',
        })
        .returning();
      await db.insert(teamMembers).values({ teamId: t.id, openId: LEADER, role: 'leader' });
      await db.insert(honours).values({ teamId: t.id, year: 2025, awardedAt: new Date('2025-12-01T10:00:00+08:00'), revokedAt: new Date(revokedAt), revokedReason: '连续投诉成立' });
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it('says until when, to the minute, and offers 年度申报 only to the teams whose bar ends before the deadline', async () => {
    const card = (await h.click(LEADER, { action: 'team.status' })).card.data;
    const text = cardText(card);
    expect(text).toContain('协会规定：撤销称号后一年内不受理申报；本班组 2025 年度称号已撤销，2027年6月1日 07:30 起方可再申报');
    expect(text).toContain('2027 年度申报 2027年5月31日 截止，届时仍在撤销称号后的不受理期内，本班组不能参加本年度评选。');
    expect(text).toContain('2027年4月1日 10:00 起方可再申报');
    // the bar's last day: still barred until 10:00 (it is 09:00), as 提交 would be
    expect(text).toContain('2027年3月10日 10:00 起方可再申报');
    const applyButtons = cardActions(card).filter((a) => a.action === 'application.open');
    expect(applyButtons).toHaveLength(2);
  });

  it('a draft of a team barred past the deadline: 下一步 says it cannot take part, and 申报 refuses before the form', async () => {
    const [t] = await h.db.db.select().from(teams).where(eq(teams.code, 'GDSZ-2024-0001'));
    const [cycle] = await h.db.db.select().from(cycles);
    await h.db.db.insert(applications).values({ teamId: t.id, cycleId: cycle.id, status: 'draft', form: { title: '草稿' } });
    const text = cardText((await h.click(LEADER, { action: 'team.status' })).card.data);
    expect(text).not.toContain('草稿尚未提交');
    expect(text.split('届时仍在撤销称号后的不受理期内')).toHaveLength(2);
    const open = await h.click(LEADER, { action: 'application.open', teamId: t.id });
    expect(open.toast?.content).toContain('2027年6月1日 07:30 起方可再申报');
    expect(JSON.stringify(open.card ?? null)).not.toContain('"tag":"form"');
  });
});
