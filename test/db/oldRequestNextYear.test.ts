import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * The year rolled over: 2026's results are published and 2027 takes applications. An organisation contact clicks
 * 推荐 on a 2026 request card still in the chat (never answered that year) while the team's 2027 application waits for
 * them: the refusal points to 2027's (待确认的申报), not only 联系协会; one with nothing waiting is told to ask the association.
 */

const LEADER = 'ou_oldrequestleader000000000000001';
const CONTACT = 'ou_oldrequestcontact00000000000001';
const IDLE = 'ou_oldrequestcontact00000000000002';
let h: Harness;
let old2026: number;
let idle2026: number;

const endorsement = { truthful: true, opinion: '同意推荐' };

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
  const db = h.db.db;
  const [org] = await db.insert(organizations).values({ name: '佛山市市政工程有限公司' }).returning();
  await db.insert(people).values([{ openId: LEADER }, { openId: CONTACT, roles: ['org_contact'], organizationId: org.id }, { openId: IDLE, roles: ['org_contact'], organizationId: org.id }]);
  const team = (n: number, contact: string) => ({
    code: `GDSZ-2025-010${n}`, name: `换年${n}班`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: LEADER, phone: '020-1234567',
    memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: contact, registeredAt: '2025-01-10',
  });
  const [t1, t2] = await db.insert(teams).values([team(1, CONTACT), team(2, IDLE)]).returning();
  await db.insert(teamMembers).values([{ teamId: t1.id, openId: LEADER, role: 'leader' }, { teamId: t2.id, openId: LEADER, role: 'leader' }]);
  const year = (y: number, status: string) => ({ year: y, status, applicationDeadline: `${y}-05-31`, scoringDeadline: `${y}-06-30`, reviewMeetingDate: `${y}-07-15`, scoreSheet: defaultScoreSheet, openedBy: ADMIN });
  const [c26, c27] = await db.insert(cycles).values([year(2026, 'published'), year(2027, 'open')]).returning();
  const submitted = (teamId: number, cycleId: number, title: string) => ({ teamId, cycleId, status: 'submitted', form: { title }, submittedAt: new Date('2026-05-20T02:00:00Z') });
  const rows = await db.insert(applications).values([submitted(t1.id, c26.id, '2026年度成果'), submitted(t2.id, c26.id, '2026年度成果二'), submitted(t1.id, c27.id, '2027年度成果')]).returning();
  [old2026, idle2026] = [rows[0].id, rows[1].id];
});
afterAll(async () => {
  await h?.close();
});

const statusOf = async (id: number) => (await h.db.db.select().from(applications).where(eq(applications.id, id)))[0].status;

describe('a 2026 request card clicked once 2027 takes applications', () => {
  it('推荐 on it says 2026 is over and where 2027’s applications wait', async () => {
    const r = await h.click(CONTACT, { action: 'endorse.recommend', applicationId: old2026 }, endorsement);
    expect(r.toast).toEqual({ type: 'info', content: '2026年度评审结果已公布，不能再推荐这份申报。现在有 1 份 2027 年度申报等待你确认，请发送“待确认的申报”查看并推荐。' });
    expect(cardText(r.card.data)).toContain('现在有 1 份 2027 年度申报等待你确认');
    expect(await statusOf(old2026)).toBe('submitted');
  });

  it('opened, it says the same', async () => {
    const r = await h.click(CONTACT, { action: 'endorse.open', applicationId: old2026 });
    expect(r.toast).toEqual({ type: 'info', content: '2026年度评审结果已公布，不能再推荐或退回这份申报。现在有 1 份 2027 年度申报等待你确认，请发送“待确认的申报”查看并推荐。' });
  });

  it('a contact with nothing of 2027 waiting is told to ask the association', async () => {
    const r = await h.click(IDLE, { action: 'endorse.recommend', applicationId: idle2026 }, endorsement);
    expect(r.toast).toEqual({ type: 'info', content: '2026年度评审结果已公布，不能再推荐这份申报。如有疑问，请联系协会。' });
    expect(await statusOf(idle2026)).toBe('submitted');
  });
});
