import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 谢绝此任务 for a conflict of interest (第十七条) keeps only that team from the expert: an expert with other tasks of
 * the same organisation is told how many, and that 声明利益冲突 with 单位 sends them to other experts too.
 */
const EXPERTS = ['ou_declineorgtasks0000000000000000001', 'ou_declineorgtasks0000000000000000002', 'ou_declineorgtasks0000000000000000003'];
const E1 = EXPERTS[0];

describe('谢绝此任务 beside other tasks of the same organisation', () => {
  let h: Harness;
  let byOrganization: Map<string, number[]>;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    // six teams of three organisations: two of each, every one scored by the three experts
    const { cycleId } = await seedLargeCycle(h.db.db, { applications: 6, experts: 0, organizations: 3, year: 2030 });
    await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    await h.drain();
    const rows = (await h.db.db.execute(sql`
      select a.id, o.name from assignments a join applications ap on ap.id = a.application_id join teams t on t.id = ap.team_id
      join organizations o on o.id = t.organization_id where a.expert_open_id = ${E1} order by a.id`)) as unknown as { rows?: { id: number; name: string }[] } | { id: number; name: string }[];
    byOrganization = new Map();
    for (const r of Array.isArray(rows) ? rows : (rows.rows ?? [])) byOrganization.set(r.name, [...(byOrganization.get(r.name) ?? []), Number(r.id)]);
  });
  afterAll(async () => h?.close());

  it('the decline form names the other task of that organisation and offers 声明利益冲突', async () => {
    const [organization, [task, other]] = [...byOrganization.entries()][0];
    expect(other).toBeDefined();
    const form = await h.click(E1, { action: 'review.declineForm', assignmentId: task });
    const text = cardText(form.card.data);
    expect(text).toContain(`你还有 1 项同属“${organization}”的评分任务`);
    expect(cardActions(form.card.data)).toContainEqual({ action: 'experts.conflictForm' });
    expect(cardActions(form.card.data)).toContainEqual({ action: 'review.decline', assignmentId: task });
  });

  it('once that task is declined, the other’s form says nothing of it', async () => {
    const [, [task, other]] = [...byOrganization.entries()][1];
    expect((await h.click(E1, { action: 'review.decline', assignmentId: task }, { kind: 'unavailable', reason: '六月出差' })).toast.type).toBe('success');
    const form = await h.click(E1, { action: 'review.declineForm', assignmentId: other });
    expect(cardText(form.card.data)).not.toContain('你还有');
    expect(cardActions(form.card.data)).not.toContainEqual({ action: 'experts.conflictForm' });
  });
});
