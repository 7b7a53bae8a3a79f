import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, auditLog, bulkJobs, cycles, teamMembers, teams } from '../../db/schema.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { applicationForm, type Fixture, OTHER_EXPERT, OTHER_LEADER, personas, scoreForm, securityBotForBlock } from './securityFixture.js';

/**
 * Old cards clicked after the year moved on: each refusal says what holds now and what can still be done, worded for
 * who clicked (the administrator is not told to ask the administrator), on the one-statement path and the ordinary one.
 */
describe.each(MODES_HERE)('old cards after the year moved on (%s path)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b), mode);
  const db = () => h.db.db;
  let newTeam = 0;

  it('set-up: a team that never applied; scoring; 结束评分并汇总', async () => {
    const [t] = await db()
      .insert(teams)
      .values({ code: 'GDSZ-2025-0009', name: '新九班', organizationId: 1, department: '工程部', type: 'project', leaderOpenId: OTHER_LEADER, phone: '020-1234567', memberCount: 5, functions: '养护', goals: '合格', plan: '计划', contactOpenId: personas.contact, registeredAt: '2025-01-10' })
      .returning();
    await db().insert(teamMembers).values({ teamId: t.id, openId: OTHER_LEADER, role: 'leader' });
    newTeam = t.id;
    for (const id of [f.appA, f.appB, f.appC]) await db().update(applications).set({ status: 'returned' }).where(eq(applications.id, id));
    await db().update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
    expect((await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(10))).toast.type).toBe('success');
    expect((await h.click(OTHER_EXPERT, { action: 'review.submit', assignmentId: f.foreignTask }, scoreForm(30))).toast.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId: f.cycleId })).toast.type).toBe('success');
  });

  it('更换专家 after 汇总: the administrator is told scoring has ended and that 重开评分 is what remains', async () => {
    const res = await h.click(ADMIN, { action: 'review.swap', assignmentId: f.foreignTask });
    expect(res.toast.content).toContain('不能再更换专家');
    expect(res.toast.content).toContain('重开评分');
    expect(res.toast.content).not.toMatch(/提交或谢绝|请联系协会管理员/);
  });

  it('重试 on a failed 分配专家 once scoring has ended: refused up front, the job left failed, no retry on record', async () => {
    await db().update(bulkJobs).set({ status: 'failed', error: '网络超时', finishedAt: new Date() }).where(eq(bulkJobs.id, f.bulkJobId));
    const res = await h.click(ADMIN, { action: 'bulk.retry', jobId: f.bulkJobId });
    await h.drain();
    expect(res.toast.type).not.toBe('success');
    expect(res.toast.content).toContain('不能再分配专家');
    const [job] = await db().select().from(bulkJobs).where(eq(bulkJobs.id, f.bulkJobId));
    expect(job.status).toBe('failed');
    expect(await db().select().from(auditLog).where(eq(auditLog.action, 'bulk.assign.retry'))).toHaveLength(0);
  });

  it('保存 on an old 年度设置 card after 汇总 and after 公布: the stage reads as Chinese', async () => {
    const closed = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { awardThreshold: '88' });
    expect(closed.toast.content).toContain('2027年度评审已汇总专家评分，评审设置不能再修改');
    await db().update(cycles).set({ status: 'published' }).where(eq(cycles.id, f.cycleId));
    const published = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { awardThreshold: '88' });
    expect(published.toast.content).toContain('2027年度评审结果已公布，评审设置不能再修改');
    const [cycle] = await db().select().from(cycles).where(eq(cycles.id, f.cycleId));
    expect(Number(cycle.awardThreshold)).not.toBe(88);
  });

  it('提交申报 / 保存草稿 on a 2027 form after 2027 is published: 2027 is over, not “not yet open”', async () => {
    for (const action of ['application.submit', 'application.save']) {
      const res = await h.click(OTHER_LEADER, { action, teamId: newTeam, year: 2027 }, applicationForm());
      expect(res.toast.content).toContain('2027 年度评审已结束');
      expect(res.toast.content).not.toContain('尚未开启申报');
    }
    expect(await db().select().from(applications).where(eq(applications.teamId, newTeam))).toHaveLength(0);
  });
});
