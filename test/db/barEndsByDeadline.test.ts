import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { applications, cycles, honours, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { runReminders } from '../../src/jobs/reminders.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A team whose bar after a revoked title (协会规定) ends on the deadline day, after today: it may apply, but 提交 is
 * refused until the bar's minute. The open notice, the deadline's reminder, 申报's form and 进度's 下一步 each say so
 * (“… 起方可提交，之前可先填写并保存草稿”), rather than only the refusal at 提交 on the last morning.
 */
const LEADER = 'ou_barbydeadlineleader00000000000001';
const CONTACT = 'ou_barbydeadlinecontact0000000000001';
const SUBMIT_FROM = '协会规定撤销称号后一年内不受理申报，2027年5月31日 10:00 起方可提交，之前可先填写并保存草稿';

describe('a bar that ends on the deadline day', () => {
  let h: Harness;
  let teamId: number;
  const remind = (at: string) => {
    h.clock.set(at);
    return runReminders(h.db.db, { now: h.clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS });
  };
  const lastTo = (openId: string) => {
    const m = h.fake.messages.filter((x) => x.receiveId === openId).at(-1)!;
    return m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`;
  };
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
    const db = h.db.db;
    const [org] = await db.insert(organizations).values({ name: '江门市政养护有限公司' }).returning();
    await db.insert(people).values([{ openId: LEADER, name: '梁班长' }, { openId: CONTACT, name: '陈联系人', roles: ['org_contact'] }]);
    await db.insert(cycles).values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet });
    const [t] = await db
      .insert(teams)
      .values({
        code: 'GDSZ-2024-0071', name: '撤销班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER,
        phone: '0750-1234567', memberCount: 8, functions: '道路养护', goals: '合格率 98%', plan: '每月巡查', contactOpenId: CONTACT, registeredAt: '2024-02-01',
      })
      .returning();
    teamId = t.id;
    await db.insert(teamMembers).values({ teamId, openId: LEADER, role: 'leader' });
    await db.insert(honours).values({ teamId, year: 2025, awardedAt: new Date('2025-08-01T10:00:00+08:00'), revokedAt: new Date('2026-05-31T10:00:00+08:00'), revokedReason: '连续投诉成立' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the open notice says from when 提交 is taken', async () => {
    await remind('2027-03-10T09:00:00+08:00');
    await h.drain();
    const notice = lastTo(LEADER);
    expect(notice).toContain('2027 年度申报已开启');
    expect(notice).toContain(`**撤销班**（GDSZ-2024-0071）申报截止时注册满一年，可以申报（第十六条）；${SUBMIT_FROM}。`);
  });

  it('申报 opens the form with the same words above it', async () => {
    await h.say(LEADER, '申报');
    const form = lastTo(LEADER);
    expect(form).toContain('2027 年度申报：撤销班');
    expect(form).toContain(`${SUBMIT_FROM}。`);
  });

  it('进度’s 下一步 says it, not only 参评资格', async () => {
    const text = cardText((await h.click(LEADER, { action: 'team.status' })).card.data);
    expect(text).toContain(`2027 年度申报进行中，2027年5月31日 截止：${SUBMIT_FROM}（点“年度申报”填写）。`);
    expect(text).not.toContain('截止：点“年度申报”填写');
  });

  it('the T-7 reminder says it beside the form’s state', async () => {
    await remind('2027-05-24T09:00:00+08:00');
    await h.drain();
    const reminder = lastTo(LEADER);
    expect(reminder).toContain('2027 年度申报还有 7 天截止');
    expect(reminder).toContain(`可参加 2027 年度评选（第十六条）；尚未填写申报表；${SUBMIT_FROM}。`);
  });

  it.each([true, false])('保存草稿 answers with the form saying it again (one-statement path %s)', async (fast) => {
    h.app.processor.fastPaths = fast;
    try {
      const answer = await h.click(LEADER, { action: 'application.save', teamId, year: 2027 }, applicationForm({ title: fast ? '路面快速修补' : '路面慢速修补' }));
      expect(answer.toast?.content).toContain('草稿已保存');
      const text = cardText(answer.card.data);
      expect(text).toContain(fast ? '路面快速修补' : '路面慢速修补');
      expect(text).toContain(`${SUBMIT_FROM}。`);
    } finally {
      h.app.processor.fastPaths = true;
    }
  });

  it('提交 is refused until 10:00 on the deadline day and taken after; the form then says nothing of the bar', async () => {
    const submit = () => h.click(LEADER, { action: 'application.submit', teamId, year: 2027 }, applicationForm());
    h.clock.set('2027-05-31T09:59:00+08:00');
    expect((await submit()).toast?.content).toContain('2027年5月31日 10:00 起方可再申报。');
    h.clock.set('2027-05-31T10:00:00+08:00');
    await h.say(LEADER, '申报');
    expect(lastTo(LEADER)).not.toContain('起方可提交');
    h.clock.set('2027-05-31T10:00:30+08:00');
    expect((await submit()).toast?.type).toBe('success');
    expect((await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.teamId, teamId)))[0].status).toBe('submitted');
  });
});
