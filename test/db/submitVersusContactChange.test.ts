import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, teamMembers, teams } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { applicationForm, type Fixture, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 提交申报 and a change of 单位联系人 in 修改资料 of the same team at the same moment: both take the team's row before
 * the running year's, so one waits for the other and both are done. Taken the other way round (the submit the year's
 * row first, the save the team's first), PostgreSQL aborted one of them as a deadlock and its leader was told
 * “出了点问题”. Each round a fresh team; the submit on its one-statement path too (a new contact is always the ordinary
 * path's).
 */
describe.each(MODES_HERE)('提交申报 and 修改资料’s 单位联系人 at once (submit on the %s path)', (mode) => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    h.app.processor.fastPaths = mode === 'fast';
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('both are done, each round', async () => {
    const db = h.db.db;
    const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
    for (let round = 1; round <= 6; round++) {
      const [t] = await db
        .insert(teams)
        .values({ ...a, id: undefined, code: `GDSZ-2025-08${round}${mode === 'fast' ? 1 : 0}`, name: `联系人竞态${round}班`, createdAt: undefined, updatedAt: undefined })
        .returning();
      await db.insert(teamMembers).values({ teamId: t.id, openId: personas.leader, role: 'leader' });
      const newContact = `ou_racecontact${mode}${round}`.padEnd(35, '0');
      const [submitted, saved] = await Promise.all([
        h.click(personas.leader, { action: 'application.submit', teamId: t.id, year: YEAR }, applicationForm()),
        h.click(personas.leader, { action: 'team.editSave', teamId: t.id }, { contact: newContact }),
      ]);
      expect(submitted.toast, `round ${round}: ${JSON.stringify(submitted.toast)}`).toMatchObject({ type: 'success' });
      expect(saved.toast, `round ${round}: ${JSON.stringify(saved.toast)}`).toMatchObject({ type: 'success' });
      const [app] = await db.select().from(applications).where(eq(applications.teamId, t.id));
      expect(app.status).toBe('submitted');
      const [after] = await db.select().from(teams).where(eq(teams.id, t.id));
      expect(after.contactOpenId).toBe(newContact);
    }
  }, 120_000);
});
