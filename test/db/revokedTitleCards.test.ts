import { asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { complaints, cycles, honours, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

// A title revoked (第二十二条) a year on: the team's old cards no longer say the title is held, and a kept form of a
// past year does not send a team barred from the running year (E5, or 第十六条) to a form that would refuse it.

const form = (year: number) => ({ year: String(year), applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15`, awardThreshold: '85', expertsPerApplication: '3', recommendShare: '10%' });
const LEADER = 'ou_rvk_leader00000000000000000000001';
const CONTACT = 'ou_rvk_contact0000000000000000000001';
const YOUNG = 'ou_rvk_young000000000000000000000001';
let h: Harness;
const cycleOf = async (year: number) => (await h.db.db.select().from(cycles).where(eq(cycles.year, year)))[0];

beforeEach(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterEach(async () => {
  await h?.close();
});

/** 2027 awarded and published; its title revoked on 2028年6月1日 after two upheld complaints; the 2029 review opened on 2029-03-05. */
async function revokedThenNextYear() {
  expect((await h.click(ADMIN, { action: 'cycle.open' }, form(2027))).toast.type).toBe('success');
  const c27 = await cycleOf(2027);
  await h.db.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, c27.id));
  const team = await seedScoredTeam(h.db.db, { cycleId: c27.id, n: 1, code: 'GDSZ-2025-0001', name: '养护一班', leader: LEADER, contact: CONTACT, aggregatedAt: new Date('2027-07-01T00:00:00Z') });
  h.clock.set(new Date('2027-07-20T09:00:00+08:00'));
  expect((await h.click(ADMIN, { action: 'results.publish', cycleId: c27.id })).toast.type).toBe('success');
  await h.drain();
  h.clock.set(new Date('2028-03-01T09:00:00+08:00'));
  expect((await h.click(ADMIN, { action: 'cycle.open' }, form(2028))).toast.type).toBe('success');
  h.clock.set(new Date('2028-06-01T09:00:00+08:00'));
  for (const i of [1, 2]) {
    const [c] = await h.db.db.insert(complaints).values({ reference: `TS-2028-90${i}`, teamId: team.id, content: `路面修补质量差（第 ${i} 次）`, channel: 'web', status: 'open', createdAt: new Date(`2028-05-3${i - 1}T02:00:00Z`) }).returning();
    expect((await h.click(ADMIN, { action: 'complaint.uphold', complaintId: c.id }, { note: '经核实属实' })).toast.type).toBe('success');
  }
  const [h27] = await h.db.db.select().from(honours).where(eq(honours.teamId, team.id)).orderBy(asc(honours.year));
  expect((await h.click(ADMIN, { action: 'revocation.revoke', honourId: h27.id }, { reason: '连续两次顾客投诉成立' })).toast.type).toBe('success');
  // the 2028 review over, with no application of the team
  await h.db.db.update(cycles).set({ status: 'published' }).where(eq(cycles.year, 2028));
  h.clock.set(new Date('2029-03-05T09:00:00+08:00'));
  expect((await h.click(ADMIN, { action: 'cycle.open' }, form(2029))).toast.type).toBe('success');
  return team;
}

describe('a revoked title on the cards of its year', () => {
  it('进度 lists the year as 授予称号（已撤销）, as its 荣誉 line and the results do', async () => {
    await revokedThenNextYear();
    const status = cardText((await h.click(LEADER, { action: 'team.status' })).card.data);
    expect(status).toContain('2027 年度：已公布结果（成果1），得分 94，授予称号（已撤销）');
    expect(status).toContain('2027 年度质量信得过班组（已撤销）');
  });

  it('the kept 2027 form, clicked, shows the application with its title revoked since', async () => {
    const team = await revokedThenNextYear();
    const submit = await h.click(LEADER, { action: 'application.submit', teamId: team.id, year: 2027 }, applicationForm());
    const card = cardText(submit.card.data);
    expect(card).toContain('**状态**：已公布结果。结果已公布：授予年度“质量信得过班组”称号（第二十条），该称号已于 2028年6月1日 撤销（第二十二条）。');
  });

  it('a kept form of a past year tells the barred team it cannot apply in 2029, rather than to open the form (E5)', async () => {
    const team = await revokedThenNextYear();
    const submit = await h.click(LEADER, { action: 'application.submit', teamId: team.id, year: 2027 }, applicationForm());
    const open = await h.click(LEADER, { action: 'application.open', teamId: team.id, year: 2029 });
    expect(open.toast.content).toMatch(/^协会规定：.*2027 年度称号已于 2028年6月1日 撤销.*本班组不能参加本年度评选。$/s);
    // the refusal 申报 gives, after what the form is
    expect(submit.toast.content).toBe(`这张申报表属于 2027 年度，已不能提交。${open.toast.content}`);

    // a 2028 form never saved: no application to show, and no button to a 2029 form that would be refused
    const save = await h.click(LEADER, { action: 'application.save', teamId: team.id, year: 2028 }, { title: '去年' });
    expect(save.toast.content).toBe(`这张申报表属于 2028 年度，已不能提交。${open.toast.content}`);
    expect(cardText(save.card.data)).toContain('2028 年度申报表已失效');
    expect(JSON.stringify(save.card.data)).not.toContain('application.open');
  });

  it('a kept form of a team not a year old by the running deadline is told so (第十六条); one that is is sent to the new form', async () => {
    await revokedThenNextYear();
    const [org] = await h.db.db.select().from(organizations).limit(1);
    await h.db.db.insert(people).values({ openId: YOUNG });
    const team = async (code: string, registeredAt: string) => {
      const [t] = await h.db.db
        .insert(teams)
        .values({ code, name: `新班${code.slice(-1)}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: YOUNG, phone: '020-1234567', memberCount: 12, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: CONTACT, registeredAt })
        .returning();
      await h.db.db.insert(teamMembers).values({ teamId: t.id, openId: YOUNG, role: 'leader' });
      return t;
    };
    const young = await team('GDSZ-2028-0001', '2028-07-01');
    const old = await team('GDSZ-2028-0002', '2028-05-01');
    const refused = await h.click(YOUNG, { action: 'application.save', teamId: young.id, year: 2028 }, { title: '去年' });
    expect(refused.toast.content).toMatch(/^这张申报表属于 2028 年度，已不能提交。第十六条：注册满一年后方可参加评选。.*2029 年度申报 2029年5月31日 截止/);
    expect(JSON.stringify(refused.card.data)).not.toContain('application.open');
    const sent = await h.click(YOUNG, { action: 'application.save', teamId: old.id, year: 2028 }, { title: '去年' });
    expect(sent.toast.content).toBe('这张申报表属于 2028 年度，已不能提交；请发送“申报”打开 2029 年度申报表。');
    expect(JSON.stringify(sent.card.data)).toContain('"action":"application.open"');
  });
});
