import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycles, honours } from '../../db/schema.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * 下载结果工作簿 says what the 评审结果 card says of a title held back at 公布结果 (E5: the team's earlier title revoked
 * since 受理, 第二十二条): not 授予称号, and its 推荐 place passed to the next title (第二十条). Before, the workbook made
 * before publishing gave the held-back team 授予称号 and 推荐全国 是, and the one after gave it 未获称号 with no reason;
 * a workbook made before publishing now says it is not the list published.
 */
const clock = new ManualClock('2028-03-05T09:00:00+08:00');
let h: Harness;
let cycleId: number;
const db = () => h.db.db;
const drawing = { png: CertificateRenderer.prototype.png, pdf: CertificateRenderer.prototype.pdf };

beforeAll(async () => {
  CertificateRenderer.prototype.png = async () => Buffer.from('png');
  CertificateRenderer.prototype.pdf = async () => Buffer.from('%PDF-1.4');
  h = await startHarness({ clock, outboxLimits: { perApp: 100000, perReceiver: 100000 } });
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2028', applicationDeadline: '2028-05-31', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15' });
  [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2028));
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  // ten titles, 94 down to 85; 汇总 recommended the first (10 %, at least one)
  for (let n = 1; n <= 10; n++) {
    const team = await seedScoredTeam(db(), {
      cycleId,
      n,
      code: `GDSZ-2025-${String(n).padStart(4, '0')}`,
      name: `留置${n}班`,
      leader: `ou_wwlead${String(n).padStart(26, '0')}`,
      contact: `ou_wwcont${String(n).padStart(26, '0')}`,
      aggregatedAt: clock.now(),
      recommended: n === 1,
    });
    // the first team's 2027 title revoked three days ago, after its application was accepted
    if (n === 1) await db().insert(honours).values({ teamId: team.id, year: 2027, awardedAt: new Date('2027-08-01T00:00:00Z'), revokedAt: new Date('2028-03-02T01:00:00Z'), revokedReason: '连续投诉' });
  }
}, 120_000);
afterAll(async () => {
  CertificateRenderer.prototype.png = drawing.png;
  CertificateRenderer.prototype.pdf = drawing.pdf;
  await h?.close();
});

const workbooks = () => h.fake.messages.filter((m) => m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).filter((u) => u.fileName?.endsWith('.xlsx'));

/** The 结果 sheet's first two teams as [code, 结论, 推荐全国], and its 结论 header. */
async function firstTwo(bytes: unknown) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as ArrayBuffer);
  const sheet = wb.getWorksheet('结果')!;
  const header = Array.from(sheet.getRow(1).values as unknown[], (v) => String(v ?? ''));
  const at = (prefix: string) => header.findIndex((x) => x.startsWith(prefix));
  const rows = [2, 3].map((i) => sheet.getRow(i).values as unknown[]).map((r) => [r[at('班组编号')], r[at('结论')], r[at('推荐全国')] ?? '']);
  return { decisionHeader: header[at('结论')], rows };
}

describe('the results workbook and a title held back at 公布结果 (E5)', () => {
  it('before publishing: the held-back title as the card says it, its 推荐 place passed on, and the file and column say 待公布', async () => {
    const preview = cardText((await h.click(ADMIN, { action: 'results.preview', cycleId })).card.data);
    expect(preview).toContain('GDSZ-2025-0001 留置1班：**94** 分 · 不授予称号（其称号此前已撤销）');
    expect(preview).toMatch(/GDSZ-2025-0002 留置2班：\*\*93\*\* 分 · 授予称号 · 推荐/);
    const answer = await h.click(ADMIN, { action: 'results.workbook', cycleId });
    expect(answer.toast.content).toContain('（待公布）');
    await h.drain();
    const file = workbooks().at(-1)!;
    expect(file.fileName).toBe('2028年度质量信得过班组评审结果（待公布）（2028-03-05）.xlsx');
    expect(await firstTwo(file.bytes)).toEqual({
      decisionHeader: '结论（待公布）',
      rows: [
        ['GDSZ-2025-0001', '不授予称号（其称号此前已撤销，第二十二条）', ''],
        ['GDSZ-2025-0002', '授予称号', '是'],
      ],
    });
  });

  it('after publishing: the same, the file and column no longer 待公布', async () => {
    const preview = await h.click(ADMIN, { action: 'results.preview', cycleId });
    const m = /"aggregationId":(\d+)/.exec(JSON.stringify(preview.card.data));
    expect((await h.click(ADMIN, { action: 'results.publish', cycleId, ...(m ? { aggregationId: Number(m[1]) } : {}) })).toast.type).toBe('success');
    await h.drain();
    clock.advance(60_000);
    await h.click(ADMIN, { action: 'results.workbook', cycleId });
    await h.drain();
    const file = workbooks().at(-1)!;
    expect(file.fileName).toBe('2028年度质量信得过班组评审结果（2028-03-05）.xlsx');
    expect(await firstTwo(file.bytes)).toEqual({
      decisionHeader: '结论',
      rows: [
        ['GDSZ-2025-0001', '不授予称号（其称号此前已撤销，第二十二条）', ''],
        ['GDSZ-2025-0002', '授予称号', '是'],
      ],
    });
  });
});
