import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflicts, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

// 声明利益冲突 (第十七条) against a team as an expert copies it: the task card prints 班组名（GDSZ-2027-00002）
const EXPERTS = ['ou_copiedconflict0000000000000000001', 'ou_copiedconflict0000000000000000002', 'ou_copiedconflict0000000000000000003', 'ou_copiedconflict0000000000000000004'];
const E1 = EXPERTS[0];
/** As a phone's full-width keyboard types it: ｇｄｓｚ－２０２７－０００４ */
const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

for (const mode of MODES_HERE) {
  describe(`declaring a conflict with the team as the card shows it (${mode})`, () => {
    let h: Harness;
    let all: { id: number; code: string; name: string }[];
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      const { cycleId } = await seedLargeCycle(h.db.db, { applications: 5, experts: 0, organizations: 5, year: 2030 });
      await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
      await h.drain();
      all = await h.db.db.select({ id: teams.id, code: teams.code, name: teams.name }).from(teams).orderBy(asc(teams.code));
    });
    afterAll(async () => h?.close());

    const declare = (target: string) => h.click(E1, { action: 'experts.conflictAdd' }, { kind: 'team', target, reason: '亲属在该班组' });
    const declaredTeams = async () => (await h.db.db.select({ teamId: conflicts.teamId }).from(conflicts).where(eq(conflicts.expertOpenId, E1))).map((c) => c.teamId);

    it('finds the code in 班组名（编号）, 编号…, “编号 班组名”, and typed in full width and lower case', async () => {
      const spellings = [`${all[0].name}（${all[0].code}）`, `编号${all[1].code}`, `${all[2].code} ${all[2].name}`, `${all[3].name}(${fullWidth(all[3].code.toLowerCase())})`];
      for (const [i, target] of spellings.entries()) {
        const r = await declare(target);
        expect(r.toast.type, `${target}: ${r.toast.content}`).toBe('success');
        expect(r.toast.content).toContain(all[i].code);
      }
      expect((await declaredTeams()).sort()).toEqual(all.slice(0, 4).map((t) => t.id).sort());
    });

    it('takes the team’s full name typed without its code, the stop a phone adds after it too, and one with a number in brackets', async () => {
      // a name with a short part in brackets, read as a code first: no team has that code, so the name
      const [bracketed] = await h.db.db.update(teams).set({ name: '广州养护（1）班' }).where(eq(teams.id, all[3].id)).returning();
      await h.db.db.delete(conflicts).where(and(eq(conflicts.expertOpenId, E1), eq(conflicts.teamId, bracketed.id)));
      const inBrackets = await declare('广州养护（1）班');
      expect(inBrackets.toast.type, inBrackets.toast.content).toBe('success');
      expect(inBrackets.toast.content).toContain(bracketed.code);
      const r = await declare(`${all[4].name}。`);
      expect(r.toast.type, r.toast.content).toBe('success');
      expect(r.toast.content).toContain(all[4].code);
      expect(await declaredTeams()).toContain(all[4].id);
    });

    it('refuses, changing nothing, when no team has the name or code typed, or two teams are named', async () => {
      const before = await declaredTeams();
      const none = await declare('没有这个班组');
      expect(none.toast.type).toBe('error');
      expect(none.toast.content).toBe('找不到名为“没有这个班组”的班组，请填写班组全称或班组编号（如 GDSZ-2026-0001，见评分任务卡片上班组名后的括号）。');
      const unknown = await declare(`${all[4].name}（GDSZ-2027-09999）`);
      expect(unknown.toast.content).toContain('找不到编号或名称为');
      const two = await declare(`${all[4].code}、${all[0].code}`);
      expect(two.toast.type).toBe('error');
      expect(two.toast.content).toContain('请一次只填写一个班组编号');
      expect(await declaredTeams()).toEqual(before);
    });
  });
}
