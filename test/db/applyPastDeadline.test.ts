import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * 申报 the day after the application deadline, before an administrator pressed 截止申报: as on the deadline day (the
 * status card) and after 截止申报 (the stage, 进度), a team's application of the year is shown as it stands — its status
 * and next step, no form and no 撤回申报 — not the bare “2027 年度申报已于 2027年5月31日 截止。”; a team without one is
 * told it does not take part and that the next year's opening will be announced; a leader of several teams gets each.
 */
const clock = new ManualClock('2027-03-10T09:00:00+08:00');
const CONTACT = 'ou_pastdeadline_contact00000000001';
const RECOMMENDED = 'ou_pastdeadline_leader000000000001';
const WAITING = 'ou_pastdeadline_leader000000000002';
const NONE = 'ou_pastdeadline_leader000000000003';
const SEVERAL = 'ou_pastdeadline_leader000000000004';
const cyc = { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', awardThreshold: '85', expertsPerApplication: '3', recommendShare: '10%' };

let h: Harness;
const teamOf = async (name: string) => (await h.db.db.select().from(teams).where(eq(teams.name, name)))[0];

beforeAll(async () => {
  h = await startHarness({ clock });
  await h.click(ADMIN, { action: 'cycle.open' }, cyc);
  await h.db.db.insert(people).values({ openId: CONTACT, name: '王联系' });
  for (const [leader, name] of [[RECOMMENDED, '推荐班'], [WAITING, '待确认班'], [NONE, '未申报班'], [SEVERAL, '草稿班'], [SEVERAL, '多班未报班']]) {
    const r = await h.click(leader, { action: 'team.register' }, registrationForm(name, CONTACT));
    expect(r.toast.type, JSON.stringify(r.toast)).toBe('success');
  }
  await h.db.db.update(teams).set({ registeredAt: '2025-01-01' });
  for (const [leader, name] of [[RECOMMENDED, '推荐班'], [WAITING, '待确认班']]) {
    const t = await teamOf(name);
    const r = await h.click(leader, { action: 'application.submit', teamId: t.id, year: 2027 }, applicationForm());
    expect(r.toast.type, JSON.stringify(r.toast)).toBe('success');
  }
  const [a] = await h.db.db.select().from(applications).where(eq(applications.teamId, (await teamOf('推荐班')).id));
  await h.click(CONTACT, { action: 'endorse.recommend', applicationId: a.id, submitted: a.submittedAt!.getTime() }, { truthful: true, opinion: '同意' });
  await h.click(SEVERAL, { action: 'application.save', teamId: (await teamOf('草稿班')).id, year: 2027 }, applicationForm());
  clock.set('2027-06-01T10:00:00+08:00');
});
afterAll(async () => {
  await h?.close();
});

const lastTo = (openId: string) => {
  const m = [...h.fake.messages].reverse().find((x) => x.receiveId === openId)!;
  return typeof m.content === 'string' ? JSON.parse(m.content) : m.content;
};
const noForm = (card: unknown) => {
  const s = JSON.stringify(card);
  expect(s).not.toContain('"tag":"form"');
  expect(cardActions(card).map((a: any) => a.action)).not.toContain('application.recall');
};

describe('申报 past the deadline, before 截止申报', () => {
  it('an application recommended: its status card, the stage and 进度', async () => {
    await h.say(RECOMMENDED, '申报');
    const card = lastTo(RECOMMENDED);
    const s = JSON.stringify(card);
    expect(s).toContain('2027 年度申报：待协会形式审查');
    expect(s).toContain('单位已推荐，等待协会形式审查');
    expect(s).toContain('进度');
    noForm(card);
  });

  it('the 年度申报 button answers the same card', async () => {
    const res = await h.click(RECOMMENDED, { action: 'application.start' });
    expect(JSON.stringify(res.card.data)).toContain('2027 年度申报：待协会形式审查');
    noForm(res.card.data);
  });

  it('an application waiting for the contact: its status, to remind the contact, no 撤回申报', async () => {
    await h.say(WAITING, '申报');
    const card = lastTo(WAITING);
    const s = JSON.stringify(card);
    expect(s).toContain('2027 年度申报：待单位确认');
    expect(s).toContain('本年度申报已截止，单位联系人尚未确认');
    expect(s).not.toContain('撤回');
    noForm(card);
  });

  it('a team without an application: the year is closed, it does not take part, the next year will be announced', async () => {
    await h.say(NONE, '申报');
    expect(lastTo(NONE).text).toBe('2027 年度申报已于 2027年5月31日 截止。本班组没有提交 2027 年度申报，不参加本年度评审；下一年度开启申报后我会提醒你。');
  });

  it('a leader of several teams: each team where it stands, and 进度', async () => {
    await h.say(SEVERAL, '申报');
    expect(lastTo(SEVERAL).text).toBe('2027 年度申报已于 2027年5月31日 截止。草稿班：草稿；多班未报班：未申报。发送“进度”查看各班组的申报情况和下一步。');
  });

  it('the team picker kept from before the deadline: the chosen team as it stands', async () => {
    const res = await h.click(SEVERAL, { action: 'application.open', teamId: (await teamOf('草稿班')).id });
    const s = JSON.stringify(res.card.data);
    expect(s).toContain('2027 年度申报：草稿');
    expect(s).toContain('本年度申报已截止，这份申报未提交');
    noForm(res.card.data);
  });
});
