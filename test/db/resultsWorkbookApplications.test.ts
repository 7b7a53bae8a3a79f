import ExcelJS from 'exceljs';
import { asc, eq, inArray, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, bulkJobs, chatBindings, outbox, teamMembers, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreForm } from '../support/forms.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * The results workbook's 申报 sheet has a row for every application of the year, as the admin card's 申报情况 counts
 * them — those never reviewed too (still waiting for their organisation, returned, refused at the formal check, drafts),
 * each with its 状态 in Chinese — while 结果 and 专家评分 stay the reviewed applications' and their sheets'. 公布结果 on
 * PostgreSQL starts its job in one statement; the workbook is the job's either way.
 *
 * RULES row 21 (results announced to all applicants): a team whose application never reached the review — unconfirmed
 * by its organisation, or returned and not submitted again (left returned, or saved back as a draft) — is told too, that
 * it took no part; a draft never submitted is no application, and a refusal at the formal check was told when it came.
 */
const GROUP = 'oc_resultsworkbookapps0000000000001';

/** The 状态 of the five applications never reviewed, in code order: unconfirmed, returned, refused, returned and saved, a draft. */
const neverReviewed = ['单位未确认，未参加本年度评审', '退回后未重新提交，未参加本年度评审', '未受理', '退回后未重新提交，未参加本年度评审', '草稿未提交，未参加本年度评审'];

async function applicationsSheet(bytes: unknown) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as ArrayBuffer);
  const sheet = wb.getWorksheet('申报')!;
  const header = (sheet.getRow(1).values as unknown[]).slice(1);
  const col = (name: string) => header.indexOf(name);
  const rows: unknown[][] = [];
  sheet.eachRow((row, n) => {
    if (n > 1) rows.push((row.values as unknown[]).slice(1));
  });
  return { wb, col, rows };
}
const statuses = ({ col, rows }: { col: (name: string) => number; rows: unknown[][] }) => rows.map((r) => r[col('状态')]);

describe.each(MODES_HERE)('the 申报 sheet lists every application of the year (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  let team: (typeof teams.$inferSelect)[] = [];
  const db = () => h.db.db;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    ({ cycleId } = await seedLargeCycle(db(), { applications: 7, experts: 3, organizations: 5, year: 2030 }));
    await db().insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
    // two accepted applications go to review; the other five never do
    const apps = await db().select({ id: applications.id, teamId: applications.teamId, leader: teams.leaderOpenId }).from(applications).innerJoin(teams, eq(teams.id, applications.teamId)).orderBy(asc(teams.code));
    const never = { submitted: apps[2].id, returned: apps[3].id, rejected: apps[4].id };
    for (const [status, id] of Object.entries(never)) await db().update(applications).set({ status }).where(eq(applications.id, id));
    // returned, and saved by its leader through the card (保存草稿) before the deadline: still returned (saveReturned),
    // it keeps its submission's time, and its numbers as typed; a draft never submitted
    await db().update(applications).set({ status: 'returned' }).where(eq(applications.id, apps[5].id));
    h.clock.set('2030-05-20T09:00:00+08:00');
    await db().insert(teamMembers).values({ teamId: apps[5].teamId, openId: apps[5].leader, role: 'leader' });
    const draft = { title: '成果草稿', category: 'project', goalRate: '95%', trainingRate: '９６', examPassRate: '97', startDate: '2029-01-01', endDate: '2029-12-31' };
    const saved = await h.click(apps[5].leader, { action: 'application.save', teamId: apps[5].teamId, year: 2030 }, draft);
    expect(saved.toast, JSON.stringify(saved.toast)).toMatchObject({ type: 'success' });
    h.clock.set('2030-06-01T09:00:00+08:00');
    await db().update(applications).set({ status: 'draft', submittedAt: null }).where(eq(applications.id, apps[6].id));
    // the returned team's leader is its contact too: told once
    team = await db().select().from(teams).orderBy(asc(teams.code));
    await db().update(teams).set({ contactOpenId: team[3].leaderOpenId }).where(eq(teams.id, team[3].id));
    team = await db().select().from(teams).orderBy(asc(teams.code));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('publishes a workbook whose 申报 sheet has all seven with their 状态; 结果 and 专家评分 only the two reviewed', async () => {
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    await h.drain();
    const tasks = await db().select().from(assignments).orderBy(asc(assignments.id));
    const perApplication = tasks.length / 2;
    expect(new Set(tasks.map((t) => t.applicationId)).size).toBe(2);
    for (const [i, t] of tasks.entries()) {
      expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90 - i, `意见${i}`))).toast?.type).toBe('success');
    }
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    // the workbook made before publishing: the review has taken no more since 汇总, and says so already
    h.fake.reset();
    expect((await h.click(ADMIN, { action: 'results.workbook', cycleId })).toast?.type).toBe('success');
    await h.drain();
    const before = h.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).find((u) => u.fileName!.endsWith('.xlsx'));
    expect(statuses(await applicationsSheet(before!.bytes))).toEqual(['评审完成', '评审完成', ...neverReviewed]);
    h.fake.reset();
    h.clock.advance(60_000);
    const publishing = await h.click(ADMIN, { action: 'results.publish', cycleId });
    expect(publishing.toast?.type).toBe('success');
    // the teams it will tell: the two reviewed and the three that applied and were never reviewed
    expect(JSON.stringify(publishing.card?.data)).toContain('已通知 0 / 5');
    await h.drain();

    const file = h.fake.messages.filter((m) => m.receiveId === GROUP && m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).find((u) => u.fileName!.endsWith('.xlsx'));
    expect(file).toBeDefined();
    const { wb, col, rows } = await applicationsSheet(file!.bytes);
    const all = await db().select({ code: teams.code }).from(applications).innerJoin(teams, eq(teams.id, applications.teamId)).where(eq(applications.cycleId, cycleId)).orderBy(asc(teams.code));
    expect(rows.map((r) => r[col('班组编号')])).toEqual(all.map((a) => a.code));
    // once the review takes no more, nothing waits for the organisation or the leader: 状态 says what 进度 says, not
    // 待单位确认 or 退回修改 as if it still could go on
    expect(statuses({ col, rows })).toEqual(['已公布结果', '已公布结果', ...neverReviewed]);
    expect(rows.map((r) => r[col('已提交评分')])).toEqual([perApplication, perApplication, 0, 0, 0, 0, 0]);
    expect(rows.slice(2).map((r) => r[col('最终得分')] ?? null)).toEqual([null, null, null, null, null]);
    // the draft's rates are numbers, as a submitted form's are (not the text “95%%”)
    expect(['目标完成率（%）', '培训率（%）', '考试合格率（%）'].map((name) => rows[5][col(name)])).toEqual([95, 96, 97]);

    // the other sheets are the review's
    expect(wb.getWorksheet('结果')!.rowCount - 1).toBe(2);
    // 结果's area columns say out of how many points, as 专家评分's items do; they add up to the 最终得分
    const results = wb.getWorksheet('结果')!;
    const resultsHeader = (results.getRow(1).values as unknown[]).slice(1);
    const areas = ['1 班组基础建设（20）', '2 班组组织建设（10）', '3 班组规范建设（15）', '4 班组技能建设（15）', '5 健康安全环保建设（10）', '6 质量改进和创新（15）', '7 建设成效（15）'];
    expect(resultsHeader.slice(resultsHeader.indexOf('最终得分') + 1, resultsHeader.indexOf('最终得分') + 1 + areas.length)).toEqual(areas);
    for (const n of [2, 3]) {
      const row = (results.getRow(n).values as unknown[]).slice(1);
      const sum = areas.reduce((t, a) => t + Number(row[resultsHeader.indexOf(a)]), 0);
      expect(Math.round(sum * 100) / 100).toBe(row[resultsHeader.indexOf('最终得分')]);
    }
    expect(wb.getWorksheet('专家评分')!.rowCount - 1).toBe(tasks.length);
    const reviewed = await db().select().from(applications).where(inArray(applications.status, ['decided']));
    expect(reviewed).toHaveLength(2);
  }, 120_000);

  it('tells every applicant: a result to the reviewed, a notice to those never reviewed; none to a refusal or a draft never submitted', async () => {
    const keys = await db().select({ key: outbox.dedupeKey, receiver: outbox.receiver, card: outbox.card }).from(outbox).where(like(outbox.dedupeKey, 'results:published:2030:team-%')).orderBy(asc(outbox.dedupeKey));
    const of = (i: number) => keys.filter((k) => k.key.startsWith(`results:published:2030:team-${team[i].id}:`));
    // the reviewed: their result cards, to leader and contact
    for (const i of [0, 1]) expect(of(i).map((k) => k.receiver).sort()).toEqual([team[i].leaderOpenId, team[i].contactOpenId].sort());
    // never reviewed: one notice each to leader and contact, saying why; the team whose leader is its contact, one
    const notice = (i: number) => of(i).map((k) => [k.key.split(':').at(-1), k.receiver]);
    expect(notice(2)).toEqual([['contact', team[2].contactOpenId], ['leader', team[2].leaderOpenId]]);
    expect(notice(3)).toEqual([['leader', team[3].leaderOpenId]]);
    expect(notice(5)).toEqual([['contact', team[5].contactOpenId], ['leader', team[5].leaderOpenId]]);
    expect(of(4)).toEqual([]);
    expect(of(6)).toEqual([]);
    const sent = (i: number, openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && m.msgType === 'interactive').map((m) => cardText(m.content)).filter((t) => t.includes(team[i].code));
    expect(sent(2, team[2].leaderOpenId)).toEqual([expect.stringContaining(`2030年度评审结果已公布。你的班组 **${team[2].name}**（${team[2].code}）的申报未进入评审（单位未确认），本年度未参加评选。`)]);
    expect(sent(2, team[2].contactOpenId)).toEqual([expect.stringContaining(`贵单位的班组 **${team[2].name}**（${team[2].code}）的申报未进入评审（单位未确认）`)]);
    expect(sent(3, team[3].leaderOpenId)).toEqual([expect.stringContaining('（退回后未重新提交），本年度未参加评选')]);
    expect(sent(5, team[5].leaderOpenId)).toEqual([expect.stringContaining('（退回后未重新提交），本年度未参加评选')]);
    expect(sent(4, team[4].leaderOpenId)).toEqual([]);
    expect(sent(6, team[6].leaderOpenId)).toEqual([]);
    // the job counts the teams it told: two results and three notices
    expect((await db().select().from(bulkJobs).where(eq(bulkJobs.kind, 'publish'))).map((j) => [j.status, j.done, j.total])).toEqual([['done', 5, 5]]);

    // 进度 of the returned team: out of the year, as an unconfirmed one is
    h.fake.reset();
    await h.say(team[3].leaderOpenId, '进度');
    await h.drain();
    const status = cardText(h.fake.messages.filter((m) => m.receiveId === team[3].leaderOpenId).at(-1)!.content);
    expect(status).toContain('退回后未重新提交，未参加本年度评审');
    expect(status).not.toContain('退回修改');
  }, 120_000);
});
