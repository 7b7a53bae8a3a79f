import type { Db } from '../../db/index.js';
import { applications, assignments, chatBindings, complaints, cycles, honours, organizations, people, teams } from '../../db/schema.js';
import { addDays } from '../../src/dates.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';

/**
 * A generated 2027 cycle: teams in every situation a reminder distinguishes, a seeded number of each,
 * with who should be reminded written down from the situation, not from the queries under test.
 */

export const YEAR = 2027;
export const DEADLINE = '2027-05-31';
export const SCORING_DEADLINE = '2027-06-30';
export const MEETING = '2027-07-20';
export const ADMIN_CHAT = 'oc_admin_group_for_jobs_test_00001';
export const BOOTSTRAP_ADMIN = 'ou_admin_jobs_0000000000000000000001';

/** The situations; `remind` says who the application-deadline reminder reaches. */
export const scenarios = {
  eligibleNone: { eligible: true, status: null, remind: 'leader' },
  eligibleDraft: { eligible: true, status: 'draft', remind: 'leader' },
  eligibleReturned: { eligible: true, status: 'returned', remind: 'leader' },
  eligibleSubmitted: { eligible: true, status: 'submitted', remind: 'contact' },
  eligibleRecommended: { eligible: true, status: 'recommended', remind: null },
  eligibleAccepted: { eligible: true, status: 'accepted', remind: null },
  eligibleRejected: { eligible: true, status: 'rejected', remind: null },
  oneDayShortNone: { eligible: false, status: null, remind: null },
  youngDraft: { eligible: false, status: 'draft', remind: null },
  withdrawnNone: { eligible: true, status: null, remind: null, withdrawn: true },
  revokedNone: { eligible: true, status: null, remind: null, revoked: true },
} as const;
export type Scenario = keyof typeof scenarios;

export interface GeneratedTeam {
  id: number;
  scenario: Scenario;
  leader: string;
  contact: string;
  registeredAt: string;
  applicationId?: number;
}

export interface GeneratedCycle {
  cycleId: number;
  teams: GeneratedTeam[];
  /** Experts and how many tasks each still has `assigned`. */
  experts: Record<string, number>;
  contacts: string[];
  anniversaryTeam: GeneratedTeam;
  oldComplaintId: number;
}

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const id = (prefix: string, n: number) => `ou_${prefix}${String(n).padStart(30 - prefix.length, '0')}`;

/** Registered exactly a year before the deadline counts (第十六条); a day later does not. */
const lastEligibleDay = addDays(DEADLINE, -365);

export async function generateCycle(db: Db, seed = 42, opts: { anniversaryOn?: string } = {}): Promise<GeneratedCycle> {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const orgs = await db
    .insert(organizations)
    .values([0, 1, 2].map((i) => ({ name: `测试市政工程公司${seed}-${i}` })))
    .returning({ id: organizations.id });
  const contacts = [0, 1, 2].map((i) => id('contact', seed * 10 + i));
  const expertIds = [0, 1, 2, 3].map((i) => id('expert', seed * 10 + i));
  await db
    .insert(people)
    .values([...contacts.map((openId) => ({ openId, roles: ['org_contact'] })), ...expertIds.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] }))])
    .onConflictDoNothing();
  const [cycle] = await db
    .insert(cycles)
    .values({ year: YEAR, status: 'open', applicationDeadline: DEADLINE, scoringDeadline: SCORING_DEADLINE, reviewMeetingDate: MEETING, scoreSheet: defaultScoreSheet })
    .returning({ id: cycles.id });
  await db.insert(chatBindings).values({ chatId: ADMIN_CHAT, purpose: 'admin', boundBy: BOOTSTRAP_ADMIN }).onConflictDoNothing();

  const generated: GeneratedTeam[] = [];
  let n = 0;
  for (const [scenario, s] of Object.entries(scenarios) as [Scenario, (typeof scenarios)[Scenario]][]) {
    const count = 1 + Math.floor(random() * 3);
    for (let k = 0; k < count; k++) {
      n++;
      const leader = id('leader', seed * 100 + n);
      const contact = pick(contacts);
      const registeredAt =
        scenario === 'oneDayShortNone' ? addDays(lastEligibleDay, 1) : s.eligible ? addDays(lastEligibleDay, -Math.floor(random() * 400)) : addDays(lastEligibleDay, 30 + Math.floor(random() * 200));
      generated.push(await insertTeam(db, { seed, n, scenario, leader, contact, registeredAt, organizationId: pick(orgs).id, cycleId: cycle.id }));
    }
  }
  // the day a team turns one year old (it is also an eligible team without an application)
  const anniversaryOn = opts.anniversaryOn ?? '2027-05-28';
  n++;
  const anniversaryTeam = await insertTeam(db, { seed, n, scenario: 'eligibleNone', leader: id('leader', seed * 100 + n), contact: contacts[0], registeredAt: addDays(anniversaryOn, -365), organizationId: orgs[0].id, cycleId: cycle.id });
  generated.push(anniversaryTeam);

  for (const t of generated) {
    if ('revoked' in scenarios[t.scenario]) {
      await db.insert(honours).values({ teamId: t.id, year: YEAR - 1, awardedAt: new Date('2026-08-01T00:00:00Z'), revokedAt: new Date('2027-01-15T00:00:00Z'), revokedReason: '连续投诉成立' });
    }
  }

  // experts: 0 has two unfinished, 1 finished everything, 2 declined/replaced only, 3 one unfinished
  const accepted = generated.filter((t) => t.scenario === 'eligibleAccepted');
  const plan: [number, string][] = [
    [0, 'assigned'],
    [0, 'assigned'],
    [0, 'submitted'],
    [1, 'submitted'],
    [1, 'submitted'],
    [2, 'declined'],
    [2, 'replaced'],
    [3, 'assigned'],
  ];
  const used = new Set<string>();
  for (const [i, [expert, status]] of plan.entries()) {
    const app = accepted.find((a) => !used.has(`${a.applicationId}:${expert}`)) ?? accepted[i % accepted.length];
    used.add(`${app.applicationId}:${expert}`);
    await db.insert(assignments).values({ applicationId: app.applicationId!, expertOpenId: expertIds[expert], status }).onConflictDoNothing();
  }
  const assignedRows = await db.select().from(assignments);
  const experts: Record<string, number> = {};
  for (const a of assignedRows) if (a.status === 'assigned') experts[a.expertOpenId] = (experts[a.expertOpenId] ?? 0) + 1;

  const [old] = await db
    .insert(complaints)
    .values({ reference: `TS-${YEAR}-9${String(seed).padStart(3, '0')}`, teamId: generated[0].id, content: '路面修补后一周即开裂', channel: 'web', status: 'open', createdAt: new Date('2027-05-10T10:00:00+08:00') })
    .returning({ id: complaints.id });

  return { cycleId: cycle.id, teams: generated, experts, contacts, anniversaryTeam, oldComplaintId: old.id };
}

async function insertTeam(
  db: Db,
  t: { seed: number; n: number; scenario: Scenario; leader: string; contact: string; registeredAt: string; organizationId: number; cycleId: number },
): Promise<GeneratedTeam> {
  const s = scenarios[t.scenario];
  await db.insert(people).values({ openId: t.leader }).onConflictDoNothing();
  const [team] = await db
    .insert(teams)
    .values({
      code: `GDSZ-2026-${String(t.seed).padStart(2, '0')}${String(t.n).padStart(2, '0')}`,
      name: `测试班组${t.seed}-${t.n}`,
      organizationId: t.organizationId,
      department: '工程部',
      type: 'project',
      leaderOpenId: t.leader,
      phone: '020-12345678',
      memberCount: 10,
      functions: '道路养护',
      goals: '零缺陷',
      plan: '每月 QC 活动',
      contactOpenId: t.contact,
      registeredAt: t.registeredAt,
      status: 'withdrawn' in s ? 'withdrawn' : 'active',
    })
    .returning({ id: teams.id });
  let applicationId: number | undefined;
  if (s.status) {
    const [app] = await db.insert(applications).values({ teamId: team.id, cycleId: t.cycleId, status: s.status }).returning({ id: applications.id });
    applicationId = app.id;
  }
  return { id: team.id, scenario: t.scenario, leader: t.leader, contact: t.contact, registeredAt: t.registeredAt, applicationId };
}
