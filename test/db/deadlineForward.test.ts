import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, cycles, teams } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, personas, securityBotForBlock } from './securityFixture.js';

/**
 * 第十六条 is checked when an application is submitted, against the deadline then. An administrator bringing the deadline
 * forward must not leave in the review an application whose team is no longer a year old by the new deadline: the
 * change is refused, naming the teams and the earliest date that keeps them, on both paths.
 */
for (const mode of MODES_HERE) {
  describe(`申报截止日期 brought forward (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((b) => ({ h, f } = b), mode);

    it('is refused while a submitted application’s team would not be a year old by it; a date that keeps it is saved', async () => {
      const db = h.db.db;
      // team A registered on 2026-05-20: a year old on 2027-05-20, before the deadline in force (2027-05-31)
      await db.update(teams).set({ registeredAt: '2026-05-20' }).where(eq(teams.id, f.teamA.id));
      expect((await db.select({ status: applications.status }).from(applications).where(eq(applications.id, f.appA)))[0].status).toBe('submitted');
      const refused = await h.click(personas.admin, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { applicationDeadline: '2027-05-10' });
      expect(refused.toast?.type).toBe('error');
      expect(refused.toast?.content).toContain('第十六条');
      expect(refused.toast?.content).toContain(`${f.teamA.code}，2027年5月20日满一年`);
      expect(refused.toast?.content).toContain('请选择不早于2027年5月20日的日期');
      expect((await db.select({ d: cycles.applicationDeadline }).from(cycles).where(eq(cycles.id, f.cycleId)))[0].d).toBe('2027-05-31');
      const saved = await h.click(personas.admin, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { applicationDeadline: '2027-05-20' });
      expect(saved.toast?.type, saved.toast?.content).toBe('success');
      expect((await db.select({ d: cycles.applicationDeadline }).from(cycles).where(eq(cycles.id, f.cycleId)))[0].d).toBe('2027-05-20');
    });

    // 分配专家 may run while applications are open: an application already being scored (or scored) is in the review too
    for (const status of ['scoring', 'scored'] as const) {
      it(`is refused while the team’s application is ${status}`, async () => {
        const db = h.db.db;
        await db.update(teams).set({ registeredAt: '2026-05-20' }).where(eq(teams.id, f.teamA.id));
        await db.update(applications).set({ status }).where(eq(applications.id, f.appA));
        const deadline = async () => (await db.select({ d: cycles.applicationDeadline }).from(cycles).where(eq(cycles.id, f.cycleId)))[0].d;
        const before = await deadline();
        const refused = await h.click(personas.admin, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { applicationDeadline: '2027-05-10' });
        expect(refused.toast?.type).toBe('error');
        expect(refused.toast?.content).toContain(`${f.teamA.code}，2027年5月20日满一年`);
        expect(await deadline()).toBe(before);
      });
    }
  });
}
