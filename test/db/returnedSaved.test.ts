import { readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, cycles } from '../../db/schema.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import type { Harness } from '../support/harness.js';
import { ADMIN } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { applicationForm, type Fixture, personas, securityBotForBlock, YEAR } from './securityFixture.js';

/**
 * A returned application the leader saves (保存草稿, or what a refused resubmission keeps) is still returned: it became
 * a draft, and 进度 then said “草稿尚未提交”, and after the deadline “这份申报未提交”, of an application submitted and
 * returned by its contact (第十五条).
 */
const statusLines = (card: unknown) => (JSON.stringify(card).match(/2027 年度：[^"\\]*/g) ?? []).join(' | ');

for (const mode of MODES_HERE) {
  describe(`a returned application saved (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((bot) => ({ h, f } = bot), mode);
    const statusOf = async () => (await h.db.db.select().from(applications).where(eq(applications.id, f.appA)))[0];

    it('a refused resubmission keeps what was typed and the application stays returned; 进度 says so before and after the deadline', async () => {
      const ret = await h.click(personas.contact, { action: 'endorse.return', applicationId: f.appA }, { opinion: '请补充 QC 活动记录' });
      expect(ret.toast?.type, JSON.stringify(ret.toast)).toBe('success');
      expect((await statusOf()).status).toBe('returned');
      const refused = await h.click(personas.leader, { action: 'application.submit', teamId: f.teamA.id, year: YEAR }, applicationForm({ trainingRate: '9.6', title: '改过的课题' }));
      expect(refused.toast?.type).toBe('error');
      const after = await statusOf();
      expect(after.status).toBe('returned');
      expect(after.form).toMatchObject({ title: '改过的课题' });
      const open = JSON.stringify((await h.click(personas.leader, { action: 'team.status' })).card);
      expect(statusLines(JSON.parse(open))).toContain('退回修改');
      expect(open).not.toContain('草稿');
      h.clock.advanceDays(90);
      const lateCard = JSON.stringify((await h.click(personas.leader, { action: 'team.status' })).card);
      // past the deadline it can no longer be submitted again: returned, and out of the year
      expect(statusLines(JSON.parse(lateCard))).toContain('已退回，不参加本年度评审');
      expect(lateCard).not.toMatch(/草稿|未提交/);
    });

    it('保存草稿 over a returned application keeps it returned, and it can be submitted again', async () => {
      h.clock.advanceDays(-90);
      const saved = await h.click(personas.leader, { action: 'application.save', teamId: f.teamA.id, year: YEAR }, applicationForm({ title: '再改一次' }));
      expect(saved.toast?.type, JSON.stringify(saved.toast)).toBe('success');
      expect(await statusOf()).toMatchObject({ status: 'returned', form: expect.objectContaining({ title: '再改一次' }) });
      const submitted = await h.click(personas.leader, { action: 'application.submit', teamId: f.teamA.id, year: YEAR }, applicationForm({ title: '再改一次' }));
      expect(submitted.toast?.type, JSON.stringify(submitted.toast)).toBe('success');
      expect((await statusOf()).status).toBe('submitted');
    });
  });
}

describe('a past year’s draft never submitted', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));

  it('进度 says it was not submitted and took no part, not “草稿” as if it could still be', async () => {
    const [past] = await h.db.db
      .insert(cycles)
      .values({ year: 2026, status: 'published', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', scoreSheet: defaultScoreSheet, openedBy: ADMIN })
      .returning();
    await h.db.db.insert(applications).values({ teamId: f.teamA.id, cycleId: past.id, status: 'draft', form: { title: '去年的草稿' } });
    const text = JSON.stringify((await h.click(personas.leader, { action: 'team.status' })).card);
    expect(text).toMatch(/2026 年度：草稿未提交，未参加本年度评审/);
  });
});

describe('migration 0019', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));

  it('puts back as returned a draft submitted before (one saved after a return), and leaves a draft never submitted', async () => {
    await h.db.db.update(applications).set({ status: 'draft', submittedAt: new Date('2027-03-01T10:00:00+08:00') }).where(eq(applications.id, f.appA));
    await h.db.db.update(applications).set({ status: 'draft', submittedAt: null }).where(eq(applications.id, f.appB));
    await h.db.db.execute(sql.raw(readFileSync('db/migrations/0019_saved_returned_stays_returned.sql', 'utf8')));
    const rows = await h.db.db.select({ id: applications.id, status: applications.status }).from(applications);
    expect(rows.find((r) => r.id === f.appA)?.status).toBe('returned');
    expect(rows.find((r) => r.id === f.appB)?.status).toBe('draft');
  });
});
