import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, cycles } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { type Fixture, OTHER_EXPERT, personas, scoreForm, securityBotForBlock } from './securityFixture.js';

/**
 * A sheet reopened (重开评分) after 结束评分并汇总 whose expert then leaves (停用): no other expert may score it now
 * (第十七条), and 更换专家 was refused, 重开评分 said it was reopened already, and 结束评分并汇总 waited for a sheet nobody
 * could submit, so the year could never be summed again nor published. 更换专家 takes the reopening back: the sheet
 * submitted before stands, the expert is told, and the year is summed again.
 */
describe('更换专家 on a sheet reopened after the sum, its expert gone', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));

  it('keeps the sheet submitted before, tells the expert, and lets the year be summed again', async () => {
    const db = h.db.db;
    await db.update(cycles).set({ status: 'scoring', expertsPerApplication: 2 }).where(eq(cycles.id, f.cycleId));
    // the fixture's other application under review would hold 汇总 back; it is not this test's
    await db.update(applications).set({ status: 'returned' }).where(eq(applications.id, f.appC));
    expect((await h.click(personas.expert, { action: 'review.submit', assignmentId: f.ownTask }, scoreForm(5))).toast.type).toBe('success');
    expect((await h.click(OTHER_EXPERT, { action: 'review.submit', assignmentId: f.foreignTask }, scoreForm(12))).toast.type).toBe('success');
    expect((await h.click(personas.admin, { action: 'results.close', cycleId: f.cycleId })).toast.type).toBe('success');
    const [before] = await db.select({ total: assignments.total, submittedAt: assignments.submittedAt }).from(assignments).where(eq(assignments.id, f.ownTask));
    h.clock.advance(3_600_000);
    expect((await h.click(personas.admin, { action: 'review.reopen', assignmentId: f.ownTask })).toast.type).toBe('success');
    expect((await h.click(personas.admin, { action: 'experts.deactivate', openId: personas.expert })).toast.type).not.toBe('error');
    expect((await h.click(personas.admin, { action: 'results.close', cycleId: f.cycleId })).toast.type).not.toBe('success');

    const sent = h.fake.messages.length;
    const swapped = await h.click(personas.admin, { action: 'review.swap', assignmentId: f.ownTask });
    expect(swapped.toast).toEqual({ type: 'success', content: expect.stringMatching(/^已撤回重开：.+保留该专家此前提交的评分（\d+(\.\d+)? 分）/) });
    const [after] = await db.select({ status: assignments.status, total: assignments.total, submittedAt: assignments.submittedAt }).from(assignments).where(eq(assignments.id, f.ownTask));
    // submitted when the expert submitted it, not when the reopening was taken back
    expect(after).toEqual({ status: 'submitted', total: before.total, submittedAt: before.submittedAt });
    expect(await db.select().from(auditLog).where(and(eq(auditLog.action, 'review.restore'), eq(auditLog.entityId, String(f.ownTask))))).toHaveLength(1);
    await h.drain();
    const told = h.fake.messages.slice(sent).filter((m) => m.receiveId === personas.expert && m.msgType === 'text');
    expect(told.map((m) => String(m.content.text))).toEqual([expect.stringContaining('你无需再提交')]);

    // a second click on the same button changes nothing more
    expect((await h.click(personas.admin, { action: 'review.swap', assignmentId: f.ownTask })).toast.type).not.toBe('success');
    expect((await h.click(personas.admin, { action: 'results.close', cycleId: f.cycleId })).toast.type).toBe('success');
    const [cycle] = await db.select({ status: cycles.status }).from(cycles).where(eq(cycles.id, f.cycleId));
    expect(cycle.status).toBe('closed');
  });
});
