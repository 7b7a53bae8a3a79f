import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { applicationForm } from '../../src/applications.js';
import { ManualClock } from '../../src/clock.js';
import { cycleForm, ruleFields } from '../../src/cycles.js';
import { type FieldSpec, fieldName, numericFields } from '../../src/forms.js';
import { expertAddForm } from '../../src/review/experts.js';
import { scoreFields, scoreSheetForm } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { profileForm, registrationForm } from '../../src/teams.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { fullWidth, validFormValue } from '../support/forms.js';

/**
 * Acceptance 2 of the forms: every numeric field of every form, through signed card callbacks, reads
 * “７”, “４．５”, “4。5”, “85分”, “９６％”, “ 7 ” where they are in range and refuses “abc”, “-1” and “0.3” (where
 * only whole or half numbers are allowed) naming the field, with what was typed still in the card.
 */

const LEADER = 'ou_numleader0000000000000000000001';
const CONTACT = 'ou_numcontact000000000000000000001';
const EXPERTS = ['ou_numexpert0000000000000000000001', 'ou_numexpert0000000000000000000002', 'ou_numexpert0000000000000000000003'];

let h: Harness;
const clock = new ManualClock('2027-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  await h.db.db.insert(people).values({ openId: CONTACT, roles: ['org_contact'] });
});
afterAll(async () => {
  await h?.close();
});
const db = () => h.db.db;

type NumberSpec = Extract<FieldSpec, { min: number }>;

/** The spellings a person may type, each with the number it means, kept where the field allows that number. */
function accepted(f: NumberSpec): [string, number][] {
  const fits = (n: number) => n >= f.min && n <= f.max && (f.kind !== 'integer' || Number.isInteger(n)) && (!f.step || Math.abs(n / f.step - Math.round(n / f.step)) < 1e-9);
  const inRange = Math.min(f.max, Math.max(f.min, 96));
  const spellings: [string, number][] = [
    ['７', 7],
    ['４．５', 4.5],
    // 。 for the decimal point, as a Chinese keyboard types it
    ['4。5', 4.5],
    ['85分', 85],
    ['９６％', 96],
    [' 7 ', 7],
    [fullWidth(String(inRange)), inRange],
  ];
  return [...spellings.filter(([, n]) => fits(n)), ...(f.share ? ([['１０％', 0.1]] as [string, number][]) : [])];
}

function refused(f: NumberSpec): string[] {
  return ['abc', ...(f.min > -1 ? ['-1'] : []), ...(f.kind === 'integer' || f.step === 0.5 ? ['0.3'] : [])];
}

function find(node: unknown, name: string): Record<string, any> | undefined {
  if (Array.isArray(node)) return node.map((n) => find(n, name)).find(Boolean);
  if (!node || typeof node !== 'object') return undefined;
  if ((node as Record<string, unknown>).name === name) return node as Record<string, any>;
  return Object.values(node).map((n) => find(n, name)).find(Boolean);
}

/** A refusal names the field and keeps what was typed in the card it returns. */
function expectRefusal(res: any, label: string, key: string, typed: string) {
  expect(res.toast.type, res.toast.content).toBe('error');
  expect(res.toast.content).toContain(label);
  expect(find(res.card?.data, key)?.default_value).toBe(typed);
}

let serial = 0;
/** A team registered long enough ago to apply (第十六条), led by a leader of its own. */
async function oldTeam() {
  serial += 1;
  const leader = `ou_numoldleader00000000000000000${String(serial).padStart(3, '0')}`;
  const [org] = await db().insert(organizations).values({ name: `老单位${serial}` }).returning();
  await db().insert(people).values({ openId: leader });
  const [team] = await db()
    .insert(teams)
    .values({
      code: `GDSZ-2025-09${String(serial).padStart(2, '0')}`, name: `老班组${serial}`, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: leader,
      phone: '020-1234567', memberCount: 10, functions: '道路养护', goals: '合格率 98%', plan: 'QC 活动', contactOpenId: CONTACT, registeredAt: '2025-01-10',
    })
    .returning();
  await db().insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
  return { team, leader };
}

describe('every numeric field of every form reads the same spellings (acceptance 2)', () => {
  let cycleId: number;

  it.each(refused(cycleForm.fields.year).map((typed) => [typed]))('the cycle year refuses %j naming the field', async (typed) => {
    const res = await h.click(ADMIN, { action: 'cycle.open' }, { year: typed, applicationDeadline: '2028-05-31', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15' });
    expectRefusal(res, '评审年度', 'year', typed);
    expect(await db().select().from(cycles)).toHaveLength(0);
  });

  it('opens the cycle with the year and the dates as people type them', async () => {
    const res = await h.click(ADMIN, { action: 'cycle.open' }, { year: '２０２７', applicationDeadline: '2027/5/31', scoringDeadline: '2027年6月30日', reviewMeetingDate: '２０２７－０７－１５ +0800' });
    expect(res.toast.type).toBe('success');
    const [cycle] = await db().select().from(cycles);
    expect(cycle).toMatchObject({ year: 2027, applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    cycleId = cycle.id;
  });

  const settings = numericFields(cycleForm).filter(([k]) => k !== 'year');
  for (const [key, f] of settings) {
    it.each(accepted(f))(`设置 ${f.label} reads %j as %d`, async (typed, n) => {
      const res = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { [key]: typed });
      expect(res.toast.type).not.toBe('error');
      const [cycle] = await db().select().from(cycles);
      // the review's rules are kept in cycles.settings
      const stored = (ruleFields as readonly string[]).includes(key) ? (cycle.settings as Record<string, unknown>)[key] : cycle[key as keyof typeof cycle];
      expect(stored).toBe(n);
    });
    it.each(refused(f).map((t) => [t]))(`设置 ${f.label} refuses %j naming the field`, async (typed) => {
      const before = (await db().select().from(cycles))[0];
      expectRefusal(await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { [key]: typed }), f.label, key, typed);
      expect((await db().select().from(cycles))[0]).toEqual(before);
    });
  }

  it('puts the settings back for the review below', async () => {
    await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { expertsPerApplication: '3' });
    expect((await db().select().from(cycles))[0].expertsPerApplication).toBe(3);
  });

  let registered = 0;
  for (const [key, f] of numericFields(registrationForm)) {
    it.each(accepted(f))(`注册 ${f.label} reads %j as %d`, async (typed, n) => {
      // one name per case: ７ and 7 in a name are the same team's (organization_key)
      const name = `数字班组${++registered}`;
      const res = await h.click(LEADER, { action: 'team.register' }, validFormValue(registrationForm, { teamName: name, contact: CONTACT, leader: LEADER, contactLookup: '', [key]: typed }, CONTACT));
      expect(res.toast.type).toBe('success');
      const [team] = await db().select().from(teams).where(eq(teams.name, name));
      expect(team[key as keyof typeof team]).toBe(n);
    });
    it.each(refused(f).map((t) => [t]))(`注册 ${f.label} refuses %j naming the field`, async (typed) => {
      const name = `拒绝班组${typed}`;
      const res = await h.click(LEADER, { action: 'team.register' }, validFormValue(registrationForm, { teamName: name, contact: CONTACT, leader: LEADER, contactLookup: '', [key]: typed }, CONTACT));
      expectRefusal(res, f.label, key, typed);
      expect(find(res.card.data, 'teamName')?.default_value).toBe(name);
      expect(await db().select().from(teams).where(eq(teams.name, name))).toHaveLength(0);
    });
  }

  for (const [key, f] of numericFields(profileForm)) {
    it.each(accepted(f))(`修改资料 ${f.label} reads %j as %d`, async (typed, n) => {
      const [team] = await db().select().from(teams).where(eq(teams.leaderOpenId, LEADER)).limit(1);
      const res = await h.click(LEADER, { action: 'team.editSave', teamId: team.id }, { [key]: typed });
      expect(res.toast.type).not.toBe('error');
      const [after] = await db().select().from(teams).where(eq(teams.id, team.id));
      expect(after[key as keyof typeof after]).toBe(n);
    });
    it.each(refused(f).map((t) => [t]))(`修改资料 ${f.label} refuses %j naming the field`, async (typed) => {
      const [team] = await db().select().from(teams).where(eq(teams.leaderOpenId, LEADER)).limit(1);
      expectRefusal(await h.click(LEADER, { action: 'team.editSave', teamId: team.id }, { [key]: typed, functions: '改过的职能' }), f.label, key, typed);
      expect(find((await h.click(LEADER, { action: 'team.editSave', teamId: team.id }, { [key]: typed, functions: '改过的职能' })).card.data, 'functions')?.default_value).toBe('改过的职能');
    });
  }

  for (const [key, f] of numericFields(applicationForm)) {
    const eligible = key === 'trainingRate' || key === 'examPassRate' ? 90 : 0;
    it.each(accepted(f))(`申报 ${f.label} reads %j as %d`, async (typed, n) => {
      const { team, leader } = await oldTeam();
      const res = await h.click(leader, { action: 'application.submit', teamId: team.id, year: 2027 }, validFormValue(applicationForm, { [key]: typed }));
      const [row] = await db().select().from(applications).where(eq(applications.teamId, team.id));
      if (n >= eligible) {
        expect(res.toast.type).toBe('success');
        expect((row.form as Record<string, unknown>)[key]).toBe(n);
      } else {
        // read as typed, then refused by 第七条第4款 with the number it read
        expect(res.toast.content).toContain(`${f.label} ${n}% 低于 90%`);
        expect(find(res.card.data, key)?.default_value).toBe(typed);
      }
    });
    it.each(refused(f).map((t) => [t]))(`申报 ${f.label} refuses %j naming the field`, async (typed) => {
      const { team, leader } = await oldTeam();
      const res = await h.click(leader, { action: 'application.submit', teamId: team.id, year: 2027 }, validFormValue(applicationForm, { [key]: typed, title: '保留的成果名称' }));
      expectRefusal(res, fieldName(f), key, typed);
      expect(find(res.card.data, 'title')?.default_value).toBe('保留的成果名称');
      // nothing is submitted; what was typed is kept as the team's draft
      expect((await db().select().from(applications).where(eq(applications.teamId, team.id))).map((a) => a.status)).toEqual(['draft']);
    });
  }

  it.each([
    // each row changes the value: the same value again is a second submit, answered as already done
    [' 7 ', 7],
    ['１２', 12],
    ['８５', 85],
  ])('专家 评审上限 reads %j as %d', async (typed, n) => {
    const res = await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '道路', maxLoad: typed });
    expect(res.toast.type).toBe('success');
    const rows = await db().select().from(people).where(eq(people.openId, EXPERTS[0]));
    expect(rows[0].maxLoad).toBe(n);
  });

  const [[, maxLoad]] = numericFields(expertAddForm);
  it.each(refused(maxLoad).map((t) => [t]))('专家 评审上限 refuses %j naming the field', async (typed) => {
    const res = await h.click(ADMIN, { action: 'experts.add' }, { experts: EXPERTS, organization: '专家委员会', specialities: '道路', maxLoad: typed });
    expectRefusal(res, maxLoad.label, 'maxLoad', typed);
    expect(find(res.card.data, 'organization')?.default_value).toBe('专家委员会');
    expect(find(res.card.data, 'experts')?.selected_values).toEqual(EXPERTS);
    expect((await db().select().from(people).where(eq(people.openId, EXPERTS[0])))[0].maxLoad).toBe(85);
  });

  describe('the score sheet, item by item', () => {
    // the items as the descriptor built from the sheet gives them: its numeric fields, each with its limits
    const items = numericFields(scoreSheetForm(defaultScoreSheet));
    const fields = scoreFields(defaultScoreSheet);
    const full = Object.fromEntries(items.map(([key, f]) => [key, String(f.max)]));
    let task: { id: number; expertOpenId: string };

    beforeAll(async () => {
      const { team } = await oldTeam();
      await db().insert(applications).values({ teamId: team.id, cycleId, status: 'accepted', form: validFormValue(applicationForm) });
      await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
      await h.click(ADMIN, { action: 'review.assign', cycleId });
      [task] = await db().select({ id: assignments.id, expertOpenId: assignments.expertOpenId }).from(assignments).limit(1);
    });

    it('has a field for every item of the sheet', () => {
      expect(items.map(([key, f]) => [key, f.label])).toEqual(fields.map((f) => [f.field, `${f.code} ${f.name}`]));
    });

    it.each(items.flatMap(([key, f]) => refused(f).map((typed) => [f.label, typed, key] as const)))(
      '%s refuses %j naming the item, the typed sheet kept',
      async (label, typed, key) => {
        const res = await h.click(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, { ...full, [key]: typed, comment: '保留的意见' });
        expect(res.toast.type).toBe('error');
        expect(res.toast.content).toContain(label);
        expect(find(res.card.data, key)?.default_value).toBe(typed);
        expect(find(res.card.data, 'comment')?.default_value).toBe('保留的意见');
        expect((await db().select().from(assignments).where(eq(assignments.id, task.id)))[0].status).toBe('assigned');
      },
    );

    it('reads every spelling, one per item, in one sheet', async () => {
      const spellings = ['４．５', '5分', ' 3 ', '４', '4.5', '５', '３．５', '4。5'];
      const typed = { ...full, ...Object.fromEntries(fields.slice(0, spellings.length).map((f, i) => [f.field, spellings[i]])) };
      const res = await h.click(task.expertOpenId, { action: 'review.submit', assignmentId: task.id }, typed);
      expect(res.toast.type).toBe('success');
      const [row] = await db().select().from(assignments).where(eq(assignments.id, task.id));
      expect(fields.slice(0, spellings.length).map((f) => (row.scores as Record<string, number>)[f.code])).toEqual([4.5, 5, 3, 4, 4.5, 5, 3.5, 4.5]);
    });
  });
});
