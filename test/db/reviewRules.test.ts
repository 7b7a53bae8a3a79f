import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, auditLog, cycles, outbox, people } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import type { CardActionInput, FastContext } from '../../src/handlers.js';
import { revocationRun } from '../../src/complaints.js';
import { cycleDefaults, cycleForm, settingsForm } from '../../src/cycles.js';
import { aggregationRuleSql } from '../../src/fast/sql.js';
import { rowsOf } from '../../src/outbox.js';
import { aggregationRuleOf } from '../../src/review/aggregation.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * The review's rules as per-cycle settings (RULES.md, "Review defaults"): 去掉最高最低分的专家人数下限,
 * 偏离中位数提醒分差 and 连续成立投诉提醒次数, set on the 修改设置 form, kept in cycles.settings, and read where the
 * panels are aggregated, outliers flagged and the revocation run counted. On both paths.
 */
const EXPERTS = ['ou_rulesexpert000000000000000000001', 'ou_rulesexpert000000000000000000002', 'ou_rulesexpert000000000000000000003'];
const fields = scoreFields(defaultScoreSheet);

/** A score sheet totalling `total`, filled from the first item. */
function sheet(total: number): Record<string, string> {
  const out: Record<string, string> = { comment: '' };
  let left = total;
  for (const f of fields) {
    const v = Math.min(f.max, left);
    out[f.field] = String(v);
    left -= v;
  }
  return out;
}

describe('the rules on the forms', () => {
  it('offers the three rules on the settings form and on the opening form, optional, with the defaults', () => {
    for (const form of [cycleForm, settingsForm]) {
      expect(form.fields.dropExtremesFrom).toMatchObject({ label: '去掉最高最低分的专家人数下限', min: 3, max: 20, required: false, placeholder: '默认 5' });
      expect(form.fields.outlierDistance).toMatchObject({ label: '偏离中位数提醒分差', min: 1, max: 100, step: 0.5, required: false, placeholder: '默认 15' });
      expect(form.fields.revocationRun).toMatchObject({ label: '连续成立投诉提醒次数', article: '第二十二条', min: 2, max: 20, required: false, placeholder: '默认 2' });
      // 第二十二条 speaks of complaints 连续出现: one is no run, and the form says so before it is refused
      expect(form.fields.revocationRun.help).toContain('至少 2 次');
    }
    expect(cycleDefaults.revocationRun).toBe(2);
  });
});

describe.each(MODES_HERE)('per-cycle review rules (%s path)', (mode) => {
  let h: Harness;
  let cycleId: number;
  const db = () => h.db.db;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    h.app.processor.fastPaths = mode === 'fast';
    ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 3, experts: 0, organizations: 3, year: 2030 }));
    await db().insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i + 1}`, roles: ['expert'] })));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reads a stored rule in SQL as TypeScript reads it', async () => {
    const values: unknown[] = [undefined, null, 3, 5, 20, 2, 21, 4.5, 7.5, 1, 100, 0.5, 100.5, 7.25, '4', true, [], { a: 1 }, 1e400];
    for (const dropExtremesFrom of values) {
      for (const outlierDistance of [values[0], values[8], values[13], values[(values.indexOf(dropExtremesFrom) + 3) % values.length]]) {
        const settings = JSON.stringify({ dropExtremesFrom, outlierDistance });
        const [row] = rowsOf(
          await db().execute(sql.raw(`select ${aggregationRuleSql('s.v', 'dropExtremesFrom')} as d, ${aggregationRuleSql('s.v', 'outlierDistance')} as o from (select '${settings}'::jsonb as v) s`)),
        ) as { d: number; o: number }[];
        expect({ dropExtremesFrom: Number(row.d), outlierDistance: Number(row.o) }, settings).toEqual(aggregationRuleOf(JSON.parse(settings)));
      }
    }
    for (const v of ['[1]', '"x"', 'null']) {
      const [row] = rowsOf(await db().execute(sql.raw(`select ${aggregationRuleSql(`'${v}'::jsonb`, 'outlierDistance')} as o`))) as { o: number }[];
      expect(Number(row.o)).toBe(15);
    }
  });

  it('refuses a rule the form does not take, saying what to fix, and keeps the settings', async () => {
    const before = (await db().select().from(cycles))[0];
    for (const [typed, says] of [
      [{ dropExtremesFrom: '2' }, '去掉最高最低分的专家人数下限'],
      [{ dropExtremesFrom: '4.5' }, '去掉最高最低分的专家人数下限'],
      [{ outlierDistance: '7.3' }, '偏离中位数提醒分差须为整分或半分'],
      [{ outlierDistance: '101' }, '偏离中位数提醒分差'],
      [{ revocationRun: '21' }, '连续成立投诉提醒次数'],
      [{ revocationRun: '1' }, '连续成立投诉提醒次数须在 2 到 20 次之间：第二十二条说的是“连续出现”的投诉，一次成立不算连续，最少填 2'],
      [{ revocationRun: '0' }, '连续成立投诉提醒次数须在 2 到 20 次之间'],
    ] as const) {
      const r = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, typed);
      expect(r.toast?.type, JSON.stringify(typed)).toBe('error');
      expect(JSON.stringify(r), JSON.stringify(typed)).toContain(says);
    }
    expect((await db().select().from(cycles))[0]).toEqual(before);
  });

  it('saves the three rules into cycles.settings with one audit row, from the defaults', async () => {
    const typed = { dropExtremesFrom: '3', outlierDistance: '7.5', revocationRun: '3' };
    let r;
    if (mode === 'fast' && testDatabaseKind() === 'postgres') {
      // the one-statement save itself takes it (not left to the ordinary path)
      const fx: FastContext = { database: h.db, eventId: 'evt_rules_save', eventType: 'card.action.trigger', openId: ADMIN, clock: h.clock, config: h.app.config, log: { child: () => ({}) } as never };
      const input: CardActionInput = { value: { action: 'cycle.settingsSave', cycleId }, formValue: typed };
      const done = await h.app.registry.action('cycle.settingsSave')!.fast!(fx, input);
      expect(done).toMatchObject({ outcome: 'ok' });
      r = (done as { answer: { toast: unknown } }).answer;
    } else r = await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, typed);
    expect(r.toast).toMatchObject({ type: 'success', content: '已保存2030年度评审设置：去掉最高最低分的专家人数下限、偏离中位数提醒分差、连续成立投诉提醒次数' });
    const [cycle] = await db().select().from(cycles);
    expect(cycle.settings).toMatchObject({ dropExtremesFrom: 3, outlierDistance: 7.5, revocationRun: 3 });
    const audits = await db().select().from(auditLog).where(eq(auditLog.action, 'cycle.updateSettings'));
    expect(audits).toHaveLength(1);
    expect(audits[0].details).toEqual({
      changes: { dropExtremesFrom: { from: 5, to: 3 }, outlierDistance: { from: 15, to: 7.5 }, revocationRun: { from: 2, to: 3 } },
    });
    expect(await revocationRun(db())).toBe(3);
    // the same values again change nothing; another field keeps the rules
    expect((await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { dropExtremesFrom: '3', outlierDistance: '7.5' })).toast?.content).toContain('无需重复保存');
    expect((await h.click(ADMIN, { action: 'cycle.settingsSave', cycleId }, { awardThreshold: '80' })).toast?.type).toBe('success');
    expect((await db().select().from(cycles))[0].settings).toMatchObject({ dropExtremesFrom: 3, outlierDistance: 7.5, revocationRun: 3 });
  });

  it("shows the cycle's rules on the settings form", async () => {
    const r = await h.click(ADMIN, { action: 'cycle.settings', cycleId });
    const text = JSON.stringify(r.card);
    expect(text).toContain('去掉最高最低分的专家人数下限');
    expect(text).toMatch(/"default_value":"7.5"/);
  });

  it('flags a total 14 points off the median (more than 7.5) and trims a panel of three', async () => {
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    const tasks = await db().select().from(assignments).orderBy(asc(assignments.id));
    expect(tasks).toHaveLength(9);
    const firstOf = new Set<number>();
    const seen = new Set<number>();
    for (const t of tasks) if (!seen.has(t.applicationId)) (seen.add(t.applicationId), firstOf.add(t.id));
    for (const t of tasks) {
      expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, sheet(firstOf.has(t.id) ? 70 : 84))).toast?.type).toBe('success');
    }
    // 70 is 14 from the median 84: with the default 15 nobody would be flagged
    const completed = await db().select().from(auditLog).where(eq(auditLog.action, 'application.completePanel'));
    expect(completed).toHaveLength(3);
    for (const a of completed) expect((a.details as { outliers: unknown[] }).outliers).toHaveLength(1);
    const alerts = await db().select().from(outbox).where(sql`${outbox.dedupeKey} like 'review:outlier:%'`);
    expect(alerts.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(alerts[0].card)).toContain('相差超过 7.5 分');

    expect((await h.click(ADMIN, { action: 'results.close', cycleId })).toast?.type).toBe('success');
    // three sheets reach dropExtremesFrom 3: 70 and one 84 dropped, 84 (the default would average to 79.33)
    const apps = await db().select().from(applications).where(and(eq(applications.cycleId, cycleId), eq(applications.status, 'scored')));
    expect(apps).toHaveLength(3);
    for (const a of apps) {
      expect(a.finalScore).toBe(84);
      expect(a.review).toMatchObject({ rule: 'trimmedMean', outliers: [expect.objectContaining({ total: 70, distance: 14 })] });
    }
  });
});
