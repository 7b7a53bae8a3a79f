import ExcelJS from 'exceljs';
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, chatBindings, teamMembers, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES } from '../support/worlds.js';

/**
 * The results workbook's 申报 sheet has a row for every application of the year, as the admin card's 申报情况 counts
 * them — those never reviewed too (still waiting for their organisation, returned, refused at the formal check), each
 * with its 状态 in Chinese — while 结果 and 专家评分 stay the reviewed applications' and their sheets'. 公布结果 on
 * PostgreSQL starts its job in one statement; the workbook is the job's either way.
 */
const GROUP = 'oc_resultsworkbookapps0000000000001';

describe.each(MODES)('the 申报 sheet lists every application of the year (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  const db = () => h.db.db;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    ({ cycleId } = await seedLargeCycle(db(), { applications: 5, experts: 3, organizations: 5, year: 2030 }));
    await db().insert(chatBindings).values({ chatId: GROUP, purpose: 'admin', boundBy: ADMIN });
    // two accepted applications go to review; the other three never do
    const apps = await db().select({ id: applications.id, teamId: applications.teamId, leader: teams.leaderOpenId }).from(applications).innerJoin(teams, eq(teams.id, applications.teamId)).orderBy(asc(teams.code));
    const never = { submitted: apps[2].id, returned: apps[3].id, rejected: apps[4].id };
    for (const [status, id] of Object.entries(never)) await db().update(applications).set({ status }).where(eq(applications.id, id));
    // the returned one's leader saves it as a draft through the card (保存草稿) before the deadline: its numbers are kept as typed
    h.clock.set('2030-05-20T09:00:00+08:00');
    await db().insert(teamMembers).values({ teamId: apps[3].teamId, openId: apps[3].leader, role: 'leader' });
    const draft = { title: '成果草稿', category: 'project', goalRate: '95%', trainingRate: '９６', examPassRate: '97', startDate: '2029-01-01', endDate: '2029-12-31' };
    const saved = await h.click(apps[3].leader, { action: 'application.save', teamId: apps[3].teamId, year: 2030 }, draft);
    expect(saved.toast, JSON.stringify(saved.toast)).toMatchObject({ type: 'success' });
    h.clock.set('2030-06-01T09:00:00+08:00');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('publishes a workbook whose 申报 sheet has all five with their 状态; 结果 and 专家评分 only the two reviewed', async () => {
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    await h.drain();
    const tasks = await db().select().from(assignments).orderBy(asc(assignments.id));
    const perApplication = tasks.length / 2;
    expect(new Set(tasks.map((t) => t.applicationId)).size).toBe(2);
    for (const [i, t] of tasks.entries()) {
      expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90 - i, `意见${i}`))).toast?.type).toBe('success');
    }
    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    h.fake.reset();
    expect((await h.click(ADMIN, { action: 'results.publish', cycleId })).toast?.type).toBe('success');
    await h.drain();

    const file = h.fake.messages.filter((m) => m.receiveId === GROUP && m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).find((u) => u.fileName!.endsWith('.xlsx'));
    expect(file).toBeDefined();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file!.bytes as unknown as ArrayBuffer);

    const sheet = wb.getWorksheet('申报')!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    const col = (name: string) => header.indexOf(name);
    const rows: unknown[][] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) rows.push((row.values as unknown[]).slice(1));
    });
    const all = await db().select({ code: teams.code }).from(applications).innerJoin(teams, eq(teams.id, applications.teamId)).where(eq(applications.cycleId, cycleId)).orderBy(asc(teams.code));
    expect(rows.map((r) => r[col('班组编号')])).toEqual(all.map((a) => a.code));
    // the returned one, saved again by its leader, is a 草稿 again
    expect(rows.map((r) => r[col('状态')])).toEqual(['已公布结果', '已公布结果', '待单位确认', '草稿', '未受理']);
    expect(rows.map((r) => r[col('已提交评分')])).toEqual([perApplication, perApplication, 0, 0, 0]);
    expect(rows.slice(2).map((r) => r[col('最终得分')] ?? null)).toEqual([null, null, null]);
    // the draft's rates are numbers, as a submitted form's are (not the text “95%%”)
    expect(['目标完成率（%）', '培训率（%）', '考试合格率（%）'].map((name) => rows[3][col(name)])).toEqual([95, 96, 97]);

    // the other sheets are the review's
    expect(wb.getWorksheet('结果')!.rowCount - 1).toBe(2);
    expect(wb.getWorksheet('专家评分')!.rowCount - 1).toBe(tasks.length);
    const reviewed = await db().select().from(applications).where(inArray(applications.status, ['decided']));
    expect(reviewed).toHaveLength(2);
  }, 60_000);
});
