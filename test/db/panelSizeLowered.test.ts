import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignments, cycles, people } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { type Fixture, personas, securityBotForBlock } from './securityFixture.js';

/**
 * 更换专家 on a panel formed before 每份申报专家人数 was lowered: the panel keeps as many experts as the setting asks,
 * so nobody takes over, and the toast says that, not that no expert can be found (the pool had one; 分配专家 would
 * answer that every panel is full).
 */
const THIRD = 'ou_panelsizelowered000000000000001';
const SPARE = 'ou_panelsizelowered000000000000002';

describe('更换专家 after 每份申报专家人数 is lowered', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));

  it('takes the expert off and says the panel has its experts', async () => {
    const db = h.db.db;
    await db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
    await db.insert(people).values([THIRD, SPARE].map((openId, i) => ({ openId, name: `第${i + 3}位专家`, roles: ['expert'] })));
    await db.insert(assignments).values({ applicationId: f.appD, expertOpenId: THIRD, status: 'assigned' });
    expect((await h.click(personas.admin, { action: 'cycle.settingsSave', cycleId: f.cycleId }, { expertsPerApplication: '2' })).toast.type).toBe('success');

    const swapped = await h.click(personas.admin, { action: 'review.swap', assignmentId: f.foreignTask });
    expect(swapped.toast).toEqual({ type: 'success', content: expect.stringMatching(/^已撤下原专家：.+的专家组已有 2 位专家（每份申报 2 位），无需接替。$/) });
    const pending = await db.select({ expert: assignments.expertOpenId }).from(assignments).where(and(eq(assignments.applicationId, f.appD), eq(assignments.status, 'assigned')));
    expect(pending.map((p) => p.expert).sort()).toEqual([personas.expert, THIRD].sort());
  });
});
