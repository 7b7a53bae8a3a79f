import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, auditLog, teams } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { applicationForm, type Fixture, personas, securityBotForBlock, YEAR } from './securityFixture.js';

/**
 * A team no longer in the register (已退出) may not apply (mayApply): 申报 refuses it before the form, and a form card
 * kept in the chat from before it withdrew refuses too, 保存草稿 as 提交 — with 申报's words, on the one-statement path
 * and the ordinary one alike — and changes nothing. Team A's application of 2027 is a draft here.
 */
const leader = personas.leader;
const REFUSAL = '广州养护一班已退出，不在册的班组不能申报；如需恢复，请联系协会。';

describe.each(MODES_HERE)('an old form card of a team that has withdrawn (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot), mode);

  async function state() {
    const [app] = await h.db.db.select({ status: applications.status, form: applications.form, updatedAt: applications.updatedAt }).from(applications).where(eq(applications.id, f.appA));
    const audits = await h.db.db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.entityId, String(f.appA)));
    return { app, audits: audits.length };
  }

  it('保存草稿 is refused with 申报’s words and nothing is saved; in the register again, it saves', async () => {
    await h.db.db.update(applications).set({ status: 'draft', form: { title: '旧草稿' } }).where(eq(applications.id, f.appA));
    await h.db.db.update(teams).set({ status: 'withdrawn' }).where(eq(teams.id, f.teamA.id));
    const before = await state();
    const saved = await h.click(leader, { action: 'application.save', teamId: f.teamA.id, year: YEAR }, { title: '退出后改的标题' });
    expect(saved.toast?.content, JSON.stringify(saved)).toBe(REFUSAL);
    expect(saved.toast?.type).not.toBe('success');
    expect(await state()).toEqual(before);
    // 提交 from the same card: refused too, nothing submitted
    const submitted = await h.click(leader, { action: 'application.submit', teamId: f.teamA.id, year: YEAR }, applicationForm());
    expect(submitted.toast?.content, JSON.stringify(submitted)).toBe(REFUSAL);
    expect(await state()).toEqual(before);

    await h.db.db.update(teams).set({ status: 'active' }).where(eq(teams.id, f.teamA.id));
    const again = await h.click(leader, { action: 'application.save', teamId: f.teamA.id, year: YEAR }, { title: '恢复后改的标题' });
    expect(again.toast).toMatchObject({ type: 'success' });
    expect((await state()).app.form).toMatchObject({ title: '恢复后改的标题' });
  });
});
