import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { saveDraft } from '../../src/applications.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A team registered in 2025 that applied in 2026 (returned by its organisation, never resubmitted) applies again in
 * 2027: the 2027 form starts empty, each year's answers its own, and offers 沿用 2026 年度内容, which saves last year's
 * answers as this year's draft (never over a draft already begun) and leaves the 2026 application as it was; 退回原因
 * shows 2026's opinion as 2026's, with where 2027's form is.
 */

const AGAIN = 'ou_againleader00000000000000000001';
const FIRST = 'ou_againleader00000000000000000002';
const CONTACT = 'ou_againcontact0000000000000000001';
let h: Harness;
let againId: number;

// as 提交申报 stores it (parseForm): the rates are numbers
const form2026 = {
  title: '2026年度道路养护质量提升', category: 'maintenance', startDate: '2025-03-01', endDate: '2026-02-28', goalRate: 96, trainingRate: 95, examPassRate: 93,
  accidents: 'none', customer: '业主书面确认满意', qc: '两个QC小组', summary: '去年的成果简介', features: '可推广', materialsUrl: 'https://example.feishu.cn/docx/old2026',
};

const lastCard = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId).at(-1)?.content;

async function team(n: number, leader: string) {
  const [org] = await h.db.db.select().from(organizations);
  const [t] = await h.db.db
    .insert(teams)
    .values({
      code: `GDSZ-2025-000${n}`, name: `再申报${n}班`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader,
      phone: '020-1234567', memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: '每月 QC 活动', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  await h.db.db.insert(teamMembers).values({ teamId: t.id, openId: leader, role: 'leader' });
  return t.id;
}

beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
  await h.db.db.insert(organizations).values({ name: '广州市市政工程维修有限公司' });
  const [org] = await h.db.db.select().from(organizations);
  await h.db.db.insert(people).values([{ openId: AGAIN }, { openId: FIRST }, { openId: CONTACT, roles: ['org_contact'], organizationId: org.id }]);
  againId = await team(1, AGAIN);
  await team(2, FIRST);
  const [c26] = await h.db.db
    .insert(cycles)
    .values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN })
    .returning();
  await h.db.db.insert(applications).values({ teamId: againId, cycleId: c26.id, status: 'returned', form: form2026, endorsement: { returnReason: '材料不全' } });
  await h.db.db.insert(cycles).values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN });
});
afterAll(async () => {
  await h?.close();
});

const rows = async (teamId: number) =>
  (await h.db.db.select({ year: cycles.year, status: applications.status, form: applications.form }).from(applications).innerJoin(cycles, eq(cycles.id, applications.cycleId)).where(eq(applications.teamId, teamId))).sort(
    (a, b) => a.year - b.year,
  );

describe('a team applying again the year after', () => {
  it('申报 opens an empty 2027 form offering 沿用 2026 年度内容', async () => {
    await h.say(AGAIN, '申报');
    const text = cardText(lastCard(AGAIN));
    expect(text).toContain('2027 年度申报：再申报1班');
    expect(text).toContain('沿用 2026 年度内容');
    // last year's answers are not this year's until asked for: nothing of them on the form, nor last year's return opinion
    expect(text).not.toContain(form2026.title);
    expect(text).not.toContain('材料不全');
    expect(await rows(againId)).toHaveLength(1);
  });

  it('退回原因 shows 2026’s return, as 2026’s, and where 2027’s form is', async () => {
    h.fake.reset();
    await h.say(AGAIN, '退回原因');
    const text = cardText(lastCard(AGAIN));
    expect(text).toContain('2026 年度申报退回意见');
    expect(text).toContain('材料不全');
    expect(text).toContain('这是 2026 年度的申报，退回后未重新提交，没有参加 2026 年度评审。现在受理 2027 年度申报（2027年5月31日 截止）');
    expect(text).not.toContain('修改申报');
    // a team with nothing returned either year is told so for this year
    await h.say(FIRST, '退回原因');
    expect(lastCard(FIRST)).toEqual({ text: '你的班组 2027 年度没有被退回的申报。发送“进度”查看申报进展。' });
  });

  it('a team that never applied is offered nothing to start from', async () => {
    await h.say(FIRST, '申报');
    const text = cardText(lastCard(FIRST));
    expect(text).toContain('2027 年度申报：再申报2班');
    expect(text).not.toContain('沿用');
  });

  it('沿用 saves last year’s answers as the 2027 draft and leaves 2026’s application as it was', async () => {
    const r = await h.click(AGAIN, { action: 'application.copyPrevious', teamId: againId, year: 2027 });
    expect(r.toast).toEqual({ type: 'success', content: '已把 2026 年度申报表的内容存为 2027 年度草稿：请按本年度情况逐项修改（活动起止日期、目标完成率、培训率、考试合格率等），并重新核对“近三年质量安全环保事故”和“材料链接”，再提交。' });
    const text = cardText(r.card.data);
    expect(text).toContain(form2026.title);
    expect(text).not.toContain('沿用');
    const [y2026, y2027] = await rows(againId);
    expect(y2026).toEqual({ year: 2026, status: 'returned', form: form2026 });
    expect(y2027.status).toBe('draft');
    expect(y2027.form).toEqual({ ...form2026, goalRate: '96', trainingRate: '95', examPassRate: '93' });
  });

  it('沿用 again never overwrites the draft begun since', async () => {
    const saved = await h.click(AGAIN, { action: 'application.save', teamId: againId, year: 2027 }, { title: '2027年度新成果' });
    expect(saved.toast.type).toBe('success');
    const r = await h.click(AGAIN, { action: 'application.copyPrevious', teamId: againId, year: 2027 });
    expect(r.toast).toEqual({ type: 'info', content: '本班组 2027 年度已有申报表，没有用往年的内容覆盖；请在这张表上继续填写。' });
    expect((await rows(againId))[1].form).toEqual({ title: '2027年度新成果' });
  });

  it('the copy itself saves only a new draft: one begun after the button read none (another device) is kept', async () => {
    // the button's read and the save are apart: the save, under the application's lock, is what keeps a draft begun between
    const [c27] = await h.db.db.select().from(cycles).where(eq(cycles.year, 2027));
    const actor = { openId: AGAIN, name: null, roles: ['leader' as const] };
    await expect(h.db.db.transaction((tx) => saveDraft(tx, actor, againId, c27, { title: '往年的内容' }, new Date(), { newOnly: true }))).rejects.toThrow(
      '本班组 2027 年度已有申报表，没有用往年的内容覆盖',
    );
    expect((await rows(againId))[1].form).toEqual({ title: '2027年度新成果' });
  });

  it('only the team’s leader may, and a 2026 card’s button points to 2027', async () => {
    const other = await h.click(FIRST, { action: 'application.copyPrevious', teamId: againId, year: 2027 });
    expect(other.toast.type).toBe('error');
    const old = await h.click(AGAIN, { action: 'application.copyPrevious', teamId: againId, year: 2026 });
    expect(old.toast).toEqual({ type: 'error', content: '这张申报表属于 2026 年度，已不能提交；请发送“申报”打开 2027 年度申报表。' });
    expect((await rows(againId))[1].form).toEqual({ title: '2027年度新成果' });
  });
});
