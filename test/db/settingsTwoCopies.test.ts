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

    it('a copy saved unchanged changes nothing and says so', async () => {
      const copy = (await h.click(personas.admin, { action: 'cycle.settings', cycleId: f.cycleId })).card.data;
      const again = await h.click(personas.admin, cardActions(copy).find((a) => a.action === 'cycle.settingsSave')!, shownValues(copy));
      expect(again.toast.content).toContain('无需重复保存');
    });
  });
}
