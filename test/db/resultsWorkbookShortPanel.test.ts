import ExcelJS from 'exceljs';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { scoreForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * A panel never filled (the pool too small: each team is of one of the three experts' organisations) is summed from the
 * sheets it has. The preview says so (评分专家不足, “2 位专家评分”); so does the workbook's 结果 sheet, whose 计分规则
 * names the year's panel size beside the sheets counted, so the secretary can tell a short panel in Excel too.
 */
describe('a panel summed from fewer sheets than the year’s panel size', () => {
  let h: Harness;
  let cycleId: number;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    // three experts, of 单位2, 单位3 and 单位4; the teams are of 单位2, 单位3 and 单位4: two experts each
    ({ cycleId } = await seedLargeCycle(h.db.db, { applications: 3, experts: 3, organizations: 10, year: 2030 }));
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId })).toast?.type).toBe('success');
    for (const t of await h.db.db.select().from(assignments).orderBy(asc(assignments.id))) {
      expect((await h.click(t.expertOpenId, { action: 'review.submit', assignmentId: t.id }, scoreForm(90))).toast?.type).toBe('success');
    }
  }, 120_000);
  afterAll(async () => h?.close());

  it('before 汇总, 评审进度 lists the scored panels short of an expert, and each panel says so with 分配专家', async () => {
    const progress = await h.click(ADMIN, { action: 'review.progress', cycleId });
    const text = cardText(progress.card.data);
    expect(text).toContain('已完成评分但专家人数不足的申报（3 份）');
    expect(text).toContain('汇总时按已提交的评分计算');
    expect(text.match(/已交 2<font color='red'>，缺 1 位/g)).toHaveLength(3);
    const [first] = await h.db.db.select({ applicationId: assignments.applicationId }).from(assignments).orderBy(asc(assignments.id)).limit(1);
    const panel = await h.click(ADMIN, { action: 'review.panel', applicationId: first.applicationId });
    expect(cardText(panel.card.data)).toContain('专家组缺 1 位');
    expect(cardActions(panel.card.data).map((a) => a.action)).toContain('review.assign');
  });

  it('is marked in the preview and in the workbook’s 计分规则', async () => {
    const closed = await h.click(ADMIN, { action: 'results.close', cycleId });
    expect(cardText(closed.card.data)).toContain('2 位专家评分');
    h.clock.advance(60_000);
    expect((await h.click(ADMIN, { action: 'results.workbook', cycleId })).toast.type).toBe('success');
    await h.drain();
    const file = h.fake.messages.filter((m) => m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).find((u) => u.fileName!.endsWith('.xlsx'))!;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.bytes as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('结果')!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    const rules: unknown[] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) rules.push((row.values as unknown[]).slice(1)[header.indexOf('计分规则')]);
    });
    expect(rules).toEqual(['平均（2 份，少于每份 3 位）', '平均（2 份，少于每份 3 位）', '平均（2 份，少于每份 3 位）']);
  });

  it('once summed, no expert can be added (第十七条): neither the progress nor the panel speaks of one short', async () => {
    const [first] = await h.db.db.select({ applicationId: assignments.applicationId }).from(assignments).orderBy(asc(assignments.id)).limit(1);
    const panel = await h.click(ADMIN, { action: 'review.panel', applicationId: first.applicationId });
    expect(cardText(panel.card.data)).not.toContain('专家组缺');
    expect(cardActions(panel.card.data).map((a) => a.action)).not.toContain('review.assign');
  });
});
