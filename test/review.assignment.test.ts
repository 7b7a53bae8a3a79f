import { describe, expect, it } from 'vitest';
import { generatedCycle } from '../scripts/bench-assign.js';
import { type AssignmentPlan, type AssignmentProblem, explainUnfilled, planAssignments } from '../src/review/assignment.js';

/** Every panel after the plan (existing active ones and new ones), by application. */
function panels(problem: AssignmentProblem, plan: AssignmentPlan): Map<number, string[]> {
  const out = new Map<number, string[]>(problem.applications.map((a) => [a.id, []]));
  for (const e of problem.existing) if ((e.status === 'assigned' || e.status === 'submitted') && out.has(e.applicationId)) out.get(e.applicationId)!.push(e.expertOpenId);
  for (const a of plan.added) out.get(a.applicationId)!.push(a.expertOpenId);
  return out;
}

function expectRulesKept(problem: AssignmentProblem, plan: AssignmentPlan): void {
  const experts = new Map(problem.experts.map((e) => [e.openId, e]));
  const apps = new Map(problem.applications.map((a) => [a.id, a]));
  const barred = new Set(problem.existing.map((e) => `${e.applicationId}:${e.expertOpenId}`));
  for (const a of plan.added) {
    const app = apps.get(a.applicationId)!;
    const expert = experts.get(a.expertOpenId)!;
    expect(expert.active).toBe(true);
    expect(expert.organizationId).not.toBe(app.organizationId);
    expect(barred.has(`${a.applicationId}:${a.expertOpenId}`)).toBe(false);
    expect(app.insiders ?? [], `${a.expertOpenId} of the team of application ${a.applicationId}`).not.toContain(a.expertOpenId);
    const conflict = problem.conflicts.some((c) => c.expertOpenId === a.expertOpenId && (c.teamId === app.teamId || c.organizationId === app.organizationId));
    expect(conflict, `${a.expertOpenId} on application ${a.applicationId}`).toBe(false);
  }
  const unfilled = new Map(plan.unfilled.map((u) => [u.applicationId, u]));
  for (const [id, panel] of panels(problem, plan)) {
    expect(new Set(panel).size).toBe(panel.length);
    if (panel.length < problem.perApplication) {
      expect(unfilled.get(id)?.missing).toBe(problem.perApplication - panel.length);
      expect(unfilled.get(id)?.reason).toMatch(/只有 \d+ 位专家可用|专家库中没有专家/);
    } else expect(unfilled.has(id)).toBe(false);
  }
  for (const e of problem.experts) if (e.maxLoad !== null && e.active) expect(plan.loads[e.openId]).toBeLessThanOrEqual(e.maxLoad);
}

describe('planAssignments on a generated cycle (300 applications, 40 experts, 8 organisations, declared conflicts)', () => {
  const problem = generatedCycle({ applications: 300, experts: 40, organizations: 8, perApplication: 3, seed: 7 });

  it('violates no conflict, fills every panel and keeps the loads within one', () => {
    expect(problem.conflicts.length).toBeGreaterThan(0);
    const plan = planAssignments(problem);
    expectRulesKept(problem, plan);
    expect(plan.added).toHaveLength(900);
    expect(plan.unfilled).toEqual([]);
    const loads = Object.values(plan.loads);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
    expect(plan.spread).toBeLessThanOrEqual(1);
  });

  it('is deterministic whatever the order of its input', () => {
    const a = planAssignments(problem);
    const b = planAssignments({ ...problem, applications: [...problem.applications].reverse(), experts: [...problem.experts].reverse(), conflicts: [...problem.conflicts].reverse() });
    const key = (p: AssignmentPlan) => p.added.map((x) => `${x.applicationId}:${x.expertOpenId}`).sort();
    expect(key(b)).toEqual(key(a));
  });
});

describe('planAssignments, rule by rule', () => {
  const apps = (n: number, org: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, teamId: 100 + i, organizationId: org(i) }));
  const expert = (id: string, organizationId: number | null, maxLoad: number | null = null, active = true) => ({ openId: id, organizationId, maxLoad, active });

  it('keeps existing assignments and fills only what is missing; a declined expert never comes back to that application', () => {
    const problem: AssignmentProblem = {
      applications: apps(2, () => 1),
      experts: ['ou_a', 'ou_b', 'ou_c', 'ou_d'].map((id) => expert(id, 2)),
      conflicts: [],
      perApplication: 2,
      existing: [
        { applicationId: 1, expertOpenId: 'ou_a', status: 'submitted' },
        { applicationId: 1, expertOpenId: 'ou_b', status: 'declined' },
      ],
    };
    const plan = planAssignments(problem);
    expectRulesKept(problem, plan);
    const first = plan.added.filter((a) => a.applicationId === 1).map((a) => a.expertOpenId);
    expect(first).toHaveLength(1);
    expect(first).not.toContain('ou_b');
    expect(plan.added.filter((a) => a.applicationId === 2)).toHaveLength(2);
  });

  it('one who left a panel because a conflict was declared after the assignment is counted as the conflict, not as 已谢绝', () => {
    const problem: AssignmentProblem = {
      applications: [{ id: 1, teamId: 10, organizationId: 1 }],
      experts: ['ou_a', 'ou_b', 'ou_c', 'ou_d'].map((id) => expert(id, 2)),
      conflicts: [{ expertOpenId: 'ou_c', organizationId: 1 }],
      perApplication: 3,
      existing: [
        { applicationId: 1, expertOpenId: 'ou_a', status: 'assigned' },
        { applicationId: 1, expertOpenId: 'ou_b', status: 'declined' },
        // stepped aside by the conflict declared since
        { applicationId: 1, expertOpenId: 'ou_c', status: 'declined' },
      ],
    };
    const plan = planAssignments(problem);
    expect(plan.unfilled[0].reason).toBe('需要 3 位，缺 1 位。只有 2 位专家可用：其余 2 位中，1 位声明了利益冲突，1 位已谢绝或被更换出该评审任务。');
  });

  it('explains an unfilled slot: "只有 2 位专家可用：其余 5 位与申报单位同属一家单位"', () => {
    const problem: AssignmentProblem = {
      applications: [{ id: 1, teamId: 1, organizationId: 1 }],
      experts: [...['ou_1', 'ou_2', 'ou_3', 'ou_4', 'ou_5'].map((id) => expert(id, 1)), expert('ou_x', 2), expert('ou_y', 3)],
      conflicts: [],
      perApplication: 3,
      existing: [],
    };
    const plan = planAssignments(problem);
    expect(plan.added).toHaveLength(2);
    expect(plan.unfilled).toEqual([
      expect.objectContaining({ applicationId: 1, missing: 1, available: 2, reason: '需要 3 位，缺 1 位。只有 2 位专家可用：其余 5 位与申报单位同属一家单位。' }),
    ]);
  });

  it('names every reason when several apply, and an empty pool', () => {
    expect(explainUnfilled(3, 1, 2, { inactive: 1, sameOrganization: 2, ownTeam: 2, conflict: 1, declined: 1, atCapacity: 3 })).toBe(
      '需要 3 位，缺 2 位。只有 1 位专家可用：其余 10 位中，2 位与申报单位同属一家单位，2 位是该班组的班组长、成员或单位联系人（应回避），1 位声明了利益冲突，1 位已谢绝或被更换出该评审任务，3 位已达评审上限，1 位已停用。',
    );
    const plan = planAssignments({ applications: apps(1, () => 1), experts: [], conflicts: [], perApplication: 3, existing: [] });
    expect(plan.unfilled[0].reason).toContain('专家库中没有专家');
  });

  it('respects declared conflicts with a team and with an organisation, and inactive experts', () => {
    const problem: AssignmentProblem = {
      applications: apps(4, (i) => 1 + (i % 2)),
      experts: [expert('ou_a', 9), expert('ou_b', 9), expert('ou_c', 9), expert('ou_d', 9, null, false)],
      conflicts: [
        { expertOpenId: 'ou_a', teamId: 100 },
        { expertOpenId: 'ou_b', organizationId: 2 },
      ],
      perApplication: 3,
      existing: [],
    };
    const plan = planAssignments(problem);
    expectRulesKept(problem, plan);
    expect(plan.unfilled.map((u) => u.applicationId).sort()).toEqual([1, 2, 4]);
    expect(plan.unfilled.find((u) => u.applicationId === 2)?.reason).toBe('需要 3 位，缺 1 位。只有 2 位专家可用：其余 2 位中，1 位声明了利益冲突，1 位已停用。');
  });

  it('never puts a team’s own leader, member or organisation contact on its panel, whatever organisation their expert record names (第十七条)', () => {
    // ou_lead, ou_memb and ou_cont are filed under another organisation (9) than their team's (1)
    const problem: AssignmentProblem = {
      applications: [
        { id: 1, teamId: 100, organizationId: 1, insiders: ['ou_lead', 'ou_cont', 'ou_memb'] },
        { id: 2, teamId: 101, organizationId: 2, insiders: ['ou_other', 'ou_other2'] },
      ],
      experts: [expert('ou_lead', 9), expert('ou_memb', 9), expert('ou_cont', 9), expert('ou_x', 3), expert('ou_y', 3)],
      conflicts: [],
      perApplication: 3,
      existing: [],
    };
    const plan = planAssignments(problem);
    expectRulesKept(problem, plan);
    const panel = (id: number) => plan.added.filter((a) => a.applicationId === id).map((a) => a.expertOpenId).sort();
    expect(panel(1)).toEqual(['ou_x', 'ou_y']);
    // another team's application takes them as any expert
    expect(panel(2)).toEqual(['ou_cont', 'ou_lead', 'ou_memb']);
    expect(plan.unfilled).toEqual([
      expect.objectContaining({ applicationId: 1, missing: 1, available: 2, reason: '需要 3 位，缺 1 位。只有 2 位专家可用：其余 3 位是该班组的班组长、成员或单位联系人（应回避）。' }),
    ]);
  });

  it('keeps the team’s own people off its panel through the balancing and capped passes too', () => {
    // the insiders are the least loaded: rebalance and augment must not hand them their own team's application
    const problem: AssignmentProblem = {
      applications: apps(8, (i) => 1 + (i % 4)).map((a) => ({ ...a, insiders: a.id % 2 ? ['ou_a', 'ou_b'] : ['ou_c'] })),
      experts: [expert('ou_a', 9), expert('ou_b', 9), expert('ou_c', 9, 3), expert('ou_d', 9, 4), expert('ou_e', 9)],
      conflicts: [],
      perApplication: 2,
      existing: [{ applicationId: 99, expertOpenId: 'ou_e', status: 'assigned' }],
    };
    const plan = planAssignments(problem);
    expectRulesKept(problem, plan);
    expect(plan.unfilled).toEqual([]);
  });

  it('stops at each expert’s cap and says so; the spread ignores a capped expert', () => {
    const problem: AssignmentProblem = {
      applications: apps(10, () => 1),
      experts: [expert('ou_a', 2, 2), expert('ou_b', 2, 3), expert('ou_c', 2)],
      conflicts: [],
      perApplication: 2,
      existing: [],
    };
    const plan = planAssignments(problem);
    expectRulesKept(problem, plan);
    expect(plan.loads).toEqual({ ou_a: 2, ou_b: 3, ou_c: 10 });
    expect(plan.unfilled).toHaveLength(5);
    expect(plan.unfilled[0].reason).toContain('2 位已达评审上限');
    expect(plan.spread).toBe(0);
  });

  it('balances by moving work from the busiest experts to those the first pass could not use', () => {
    // organisation 1's experts cannot take its own applications, which come first
    const problem: AssignmentProblem = {
      applications: [...apps(6, () => 1), ...apps(6, () => 2).map((a) => ({ ...a, id: a.id + 6, teamId: a.teamId + 6 }))],
      experts: [expert('ou_a', 1), expert('ou_b', 1), expert('ou_c', 3), expert('ou_d', 3)],
      conflicts: [],
      perApplication: 2,
      existing: [],
    };
    const plan = planAssignments(problem);
    expectRulesKept(problem, plan);
    expect(plan.unfilled).toEqual([]);
    const loads = Object.values(plan.loads);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
  });
});
