import { desc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, cycles } from '../../db/schema.js';
import { cardActions } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, personas, securityBotForBlock } from './securityFixture.js';

/**
 * Two administrators open 修改设置 at once. Feishu sends every input's value with the submit, the ones left as drawn
 * too: A saved 授予称号分数线 88, then B, on the copy drawn before, changed only 择优推荐比例, and the threshold went back
 * to 85 under B's name, B's toast naming it among B's changes. A save changes only what was changed on its copy.
 */
function shownValues(card: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  JSON.stringify(card, (_k, v) => {
    if (v && typeof v === 'object' && typeof v.name === 'string') {
      const shown = v.default_value ?? v.initial_date ?? v.initial_option;
      if (shown !== undefined) out[v.name] = String(shown);
    }
    return v;
  });
  return out;
}

for (const mode of MODES_HERE) {
  describe(`two copies of 修改设置 (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((bot) => ({ h, f } = bot), mode);

    it('the later save changes only what was changed on its copy', async () => {
      const [before] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      const copyA = (await h.click(personas.admin, { action: 'cycle.settings', cycleId: f.cycleId })).card.data;
      const copyB = (await h.click(personas.admin, { action: 'cycle.settings', cycleId: f.cycleId })).card.data;
      const save = (copy: unknown) => cardActions(copy).find((a) => a.action === 'cycle.settingsSave')!;
      const threshold = String(Number(before.awardThreshold) + 3);
      const a = await h.click(personas.admin, save(copyA), { ...shownValues(copyA), awardThreshold: threshold });
      expect(a.toast.content).toMatch(/已保存.*授予称号分数线$/);
      const b = await h.click(personas.admin, save(copyB), { ...shownValues(copyB), recommendShare: '0.2' });
      expect(b.toast.type).toBe('success');
      expect(b.toast.content).not.toContain('授予称号分数线');
      const [after] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect([Number(after.awardThreshold), Number(after.recommendShare)]).toEqual([Number(threshold), 0.2]);
      const [last] = await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'cycle.updateSettings')).orderBy(desc(auditLog.id)).limit(1);
      expect(JSON.stringify(last.details)).not.toContain('awardThreshold');
    });

    it('a setting another administrator changed since the copy was drawn is not overwritten unseen', async () => {
      const [before] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      const copyA = (await h.click(personas.admin, { action: 'cycle.settings', cycleId: f.cycleId })).card.data;
      const copyB = (await h.click(personas.admin, { action: 'cycle.settings', cycleId: f.cycleId })).card.data;
      const save = (copy: unknown) => cardActions(copy).find((a) => a.action === 'cycle.settingsSave')!;
      const drawn = Number(before.awardThreshold);
      const [bySomeone, byOther] = [String(drawn - 2), String(drawn - 4)];
      const a = await h.click(personas.admin, save(copyA), { ...shownValues(copyA), awardThreshold: bySomeone });
      expect(a.toast.type).toBe('success');
      // B, on the copy drawn before A's save, types another threshold and 择优推荐比例
      const b = await h.click(personas.admin, save(copyB), { ...shownValues(copyB), awardThreshold: byOther, recommendShare: '0.25' });
      expect(b.toast.type).toBe('error');
      // both copies are this administrator's: told it was their own change, as 截止申报's stale refusal says it
      expect(b.toast.content).toMatch(/^授予称号分数线：你已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} /);
      expect(b.toast.content).toContain(`改为${bySomeone}分（你打开表单时为${drawn}分），你填写的${byOther}分没有保存`);
      const [after] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      // nothing of B's save was kept: the threshold is A's, the share as it was
      expect([Number(after.awardThreshold), Number(after.recommendShare)]).toEqual([Number(bySomeone), Number(before.recommendShare)]);
      // B's form again: what B typed, drawn now with A's threshold, so saving it again is B's deliberate change
      const again = b.card.data;
      expect(shownValues(again)).toMatchObject({ awardThreshold: byOther, recommendShare: '0.25' });
      const c = await h.click(personas.admin, save(again), shownValues(again));
      expect(c.toast.type).toBe('success');
      const [last] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      expect([Number(last.awardThreshold), Number(last.recommendShare)]).toEqual([Number(byOther), 0.25]);
    });

    it('a setting changed since by another way than 修改设置 (截止申报 moves the deadline) is not credited to the last save', async () => {
      const [before] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
      const save = (copy: unknown) => cardActions(copy).find((a) => a.action === 'cycle.settingsSave')!;
      const drawn = Number(before.awardThreshold);
      const copyA = (await h.click(personas.admin, { action: 'cycle.settings', cycleId: f.cycleId })).card.data;
      expect((await h.click(personas.admin, save(copyA), { ...shownValues(copyA), awardThreshold: String(drawn + 1) })).toast.type).toBe('success');
      const copyB = (await h.click(personas.admin, { action: 'cycle.settings', cycleId: f.cycleId })).card.data;
      // changed with no 修改设置 row (as 截止申报 moves the application deadline)
      await h.db.db.update(cycles).set({ awardThreshold: drawn + 2 }).where(eq(cycles.id, f.cycleId));
      const b = await h.click(personas.admin, save(copyB), { ...shownValues(copyB), awardThreshold: String(drawn + 5) });
      expect(b.toast.type).toBe('error');
      expect(b.toast.content).not.toContain('你已于');
      expect(b.toast.content).toContain(`此后已改为${drawn + 2}分（你打开表单时为${drawn + 1}分），你填写的${drawn + 5}分没有保存`);
      await h.db.db.update(cycles).set({ awardThreshold: Number(before.awardThreshold) }).where(eq(cycles.id, f.cycleId));
    });

    it('a copy saved unchanged changes nothing and says so', async () => {
      const copy = (await h.click(personas.admin, { action: 'cycle.settings', cycleId: f.cycleId })).card.data;
      const again = await h.click(personas.admin, cardActions(copy).find((a) => a.action === 'cycle.settingsSave')!, shownValues(copy));
      expect(again.toast.content).toContain('无需重复保存');
    });
  });
}
