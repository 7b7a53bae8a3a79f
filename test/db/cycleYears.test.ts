import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, auditLog, cycles, honours } from '../../db/schema.js';
import { adminOverview } from '../../src/adminOverview.js';
import { ManualClock } from '../../src/clock.js';
import { fastOpenCycle, openCycleInput } from '../../src/fast/cycleSteps.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardText } from '../support/cards.js';
import { ADMIN, startHarness } from '../support/harness.js';
import { randomEventId } from '../support/larkEvents.js';
import { seedScoredTeam } from '../support/scoredTeams.js';
import { expectAnswer, inEachWorld, MODES_HERE, twoWorlds, writtenCounts } from '../support/worlds.js';

/**
 * 第十九条 (评审每年一次) across the years, on both paths of 开启年度评审 and 修改设置 (the one statement of
 * src/fast/ and the ordinary transaction): the years open in order, each once, none whose
 * titles were imported; each date in its 评审年度 or the year after (so a year mistyped alone is caught by its dates).
 */

const form = (year: number, dates: [string, string, string] = [`${year}-05-31`, `${year}-06-30`, `${year}-07-15`]) => ({
  year: String(year),
  applicationDeadline: dates[0],
  scoringDeadline: dates[1],
  reviewMeetingDate: dates[2],
  awardThreshold: '85',
  expertsPerApplication: '3',
  recommendShare: '10%',
});

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

interface Step {
  name: string;
  /** The bot's clock for the step (Asia/Shanghai). */
  at: string;
  /** 开启 with this form, or 修改设置 of the year's cycle with these fields. */
  open?: Record<string, string>;
  settings?: { year: number; form: Record<string, string> };
  toast: 'success' | 'error';
  says: RegExp;
  /** Every cycle there after the step, year and status. */
  cycles: string[];
  /** Run in each world before the step. */
  before?: (db: Db) => Promise<void>;
}

const publish = (year: number) => async (db: Db) => {
  await db.update(cycles).set({ status: 'published' }).where(eq(cycles.year, year));
};

const steps: Step[] = [
  { name: '2027 opened in March 2027', at: '2027-03-10T09:00:00+08:00', open: form(2027), toast: 'success', says: /^已开启2027年度评审/, cycles: ['2027:open'] },
  {
    name: 'after 2027 is published, a 2026 review (its dates in 2027) is a second review in 2027',
    at: '2027-08-01T09:00:00+08:00',
    before: publish(2027),
    open: form(2026, ['2027-09-30', '2027-10-15', '2027-10-30']),
    toast: 'error',
    says: /^第十九条：评审每年一次、逐年开启：已开启过的最近一次是2027年度评审（结果已公布），不能再开启更早的2026年度评审，请填写2028年度或之后的年度。$/,
    cycles: ['2027:published'],
  },
  { name: 'next year’s review opened in December', at: '2027-12-01T09:00:00+08:00', open: form(2028), toast: 'success', says: /^已开启2028年度评审/, cycles: ['2027:published', '2028:open'] },
  {
    name: '修改设置: the 2028 deadline brought into 2027, before its 评审年度',
    at: '2027-12-01T09:00:00+08:00',
    settings: { year: 2028, form: { applicationDeadline: '2027-12-20' } },
    toast: 'error',
    says: /^申报截止日期：2027年12月20日不在评审年度（2028年度）或次年（2029年）内，请检查年份是否输错$/,
    cycles: ['2027:published', '2028:open'],
  },
  {
    name: 'in March 2029 a "2030" review (a typo for 2029) with its dates in 2029',
    at: '2029-03-10T09:00:00+08:00',
    before: publish(2028),
    open: form(2030, ['2029-05-31', '2029-06-30', '2029-07-15']),
    toast: 'error',
    // each of the three dates is off the year: told at once, each in the toast
    says: /^3 处需修改：1\. 申报截止日期：2029年5月31日不在评审年度（2030年度）或次年（2031年）内，请检查年份是否输错；2\. 专家评分截止日期：[^；]+；3\. 评审会日期：[^；]+$/,
    cycles: ['2027:published', '2028:published'],
  },
  { name: 'then 2029 opens', at: '2029-03-10T09:00:00+08:00', open: form(2029), toast: 'success', says: /^已开启2029年度评审/, cycles: ['2027:published', '2028:published', '2029:open'] },
  {
    name: 'after 2029 is published, 2028 again (a year it had) is refused as before',
    at: '2029-08-01T09:00:00+08:00',
    before: publish(2029),
    open: form(2028, ['2029-09-30', '2029-10-15', '2029-10-30']),
    toast: 'error',
    says: /^第十九条：评审每年一次，2028年度评审已经开启过（结果已公布）。$/,
    cycles: ['2027:published', '2028:published', '2029:published'],
  },
];

const cycleRows = async (db: Db) => (await db.select({ year: cycles.year, status: cycles.status }).from(cycles).orderBy(cycles.year)).map((c) => `${c.year}:${c.status}`);

/** The one statement alone on a refusal it must leave to the ordinary path: undefined, nothing written (PGlite: always undefined). */
async function fastLeaves(h: { db: Parameters<typeof fastOpenCycle>[0]; clock: ManualClock }, formValue: Record<string, string>) {
  const db = h.db.db;
  const values = openCycleInput(formValue, h.clock.now(), 'Asia/Shanghai');
  if (!values) return;
  const before = { ...(await writtenCounts(db)), cycles: await cycleRows(db) };
  const direct = await fastOpenCycle(
    h.db,
    {
      eventId: `probe_${randomEventId()}`,
      eventType: 'card.action.trigger',
      openId: ADMIN,
      values,
      now: h.clock.now(),
      bootstrapAdmins: [ADMIN],
      notice: { dedupeKey: `cycle:opened:${values.year}`, card: { probe: true } },
    },
    (read) => adminOverview(read, '2027-03-10'),
  );
  expect(direct, `the one statement opened ${values.year}`).toBeUndefined();
  expect({ ...(await writtenCounts(db)), cycles: await cycleRows(db) }).toEqual(before);
}

describe('第十九条: one review a year, the years in order, on both paths', () => {
  const worlds = twoWorlds(async () => ({ h: await startHarness({ clock: new ManualClock(steps[0].at) }) }), { oneOnPglite: true });

  it.each(steps.map((s) => [s.name, s] as const))('%s', async (_name, step) => {
    const answers = await inEachWorld(worlds, async ({ h }, mode) => {
      const db = h.db.db;
      h.clock.set(new Date(step.at));
      await step.before?.(db);
      let answer: Body;
      if (step.open) {
        if (mode === 'fast' && step.toast !== 'success') await fastLeaves(h, step.open);
        answer = await h.click(ADMIN, { action: 'cycle.open' }, step.open);
      } else {
        const [cycle] = await db.select().from(cycles).where(eq(cycles.year, step.settings!.year));
        answer = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId: cycle.id }, step.settings!.form);
      }
      expectAnswer(answer, step, mode);
      expect(await cycleRows(db), mode).toEqual(step.cycles);
      return answer;
    });
    expect(answers.fast.toast).toEqual(answers.ordinary.toast);
    expect(cardText(answers.fast.card?.data)).toEqual(cardText(answers.ordinary.card?.data));
  });

  it('the refused settings left the 2028 deadline as it was', async () => {
    for (const mode of MODES_HERE) {
      const [c] = await worlds[mode].h.db.db.select().from(cycles).where(eq(cycles.year, 2028));
      expect(c.applicationDeadline, mode).toBe('2028-05-31');
    }
  });
});

const LEADER = 'ou_yrs_leaderX00000000000000000001';
const CONTACT = 'ou_yrs_contactX0000000000000000001';

describe('第十九条: a year whose titles were imported is not reviewed again, on both paths', () => {
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
    const db = h.db.db;
    // 2026, reviewed here, holds the team; 2027's titles were decided before the programme and imported as the import
    // writes them (src/import/apply.ts: no cycle)
    const [c26] = await db
      .insert(cycles)
      .values({ year: 2026, applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15', status: 'published', scoreSheet: defaultScoreSheet, openedBy: ADMIN })
      .returning();
    const team = await seedScoredTeam(db, { cycleId: c26.id, n: 1, code: 'GDSZ-2025-0001', name: '养护一班', leader: LEADER, contact: CONTACT, aggregatedAt: new Date('2026-07-01T00:00:00Z'), awarded: false });
    await db.update(applications).set({ status: 'decided' });
    await db.insert(honours).values({ teamId: team.id, year: 2027, title: '2027年度广东省市政工程质量信得过班组', awardedAt: new Date('2027-03-10T01:00:00Z') });
    return { h };
  }, { oneOnPglite: true });

  it('refuses 2027 with what to fill in instead; nothing written', async () => {
    const answers = await inEachWorld(worlds, async ({ h }, mode) => {
      const db = h.db.db;
      const audits = (await db.select().from(auditLog)).length;
      if (mode === 'fast') await fastLeaves(h, form(2027));
      const answer: Body = await h.click(ADMIN, { action: 'cycle.open' }, form(2027));
      expectAnswer(answer, { toast: 'error', says: /^第十九条：评审每年一次：2027年度的称号已从往年名单导入，该年度的评审已经举行过，不能再开启，请填写2028年度或之后的年度。$/ }, mode);
      expect(await cycleRows(db), mode).toEqual(['2026:published']);
      expect((await db.select().from(auditLog)).length, mode).toBe(audits);
      return answer;
    });
    expect(answers.fast.toast).toEqual(answers.ordinary.toast);
  });

  it('the form of a new review suggests the year after the imported one, and that year opens', async () => {
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      const shown = await h.click(ADMIN, { action: 'cycle.form' });
      expect(JSON.stringify(shown.card?.data), mode).toContain('"2028"');
      const opened = await h.click(ADMIN, { action: 'cycle.open' }, form(2028));
      expectAnswer(opened, { toast: 'success', says: /^已开启2028年度评审/ }, mode);
      expect(await cycleRows(h.db.db), mode).toEqual(['2026:published', '2028:open']);
    }
  });
});
