import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, chatBindings, cycles, honours } from '../../db/schema.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';
import { upheldRun } from '../support/upheldRun.js';
import { resultsWorkbookFile, withResultsWorkbook } from '../../src/workbook.js';

/**
 * After 公布结果 a title is revoked (第二十二条). The secretary keeps her lists in Excel: the 评审结果 card lists 60 lines
 * and sends her to the workbook for the rest. 下载结果工作簿 sends one made now, which says the title was revoked and
 * when it was made; and 管理 leads back to the published year's results once the card posted at publishing no longer
 * takes clicks (14 days).
 */
const TEAMS = 65;
const ADMIN_GROUP = 'oc_resultsworkbooktest000000000000001';
const clock = new ManualClock('2027-03-05T09:00:00+08:00');
let h: Harness;
let cycleId: number;
const db = () => h.db.db;
const name = (n: number) => `市政养护第${n}班组`;

// the worker's other test files share the module: the real drawings are put back after this file
const drawing = { png: CertificateRenderer.prototype.png, pdf: CertificateRenderer.prototype.pdf };

beforeAll(async () => {
  // certificates are not what is looked at: small stand-ins keep the run short
  CertificateRenderer.prototype.png = async () => Buffer.from('png');
  CertificateRenderer.prototype.pdf = async () => Buffer.from('%PDF-1.4');
  h = await startHarness({ clock, outboxLimits: { perApp: 100000, perReceiver: 100000 } });
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
  [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  for (let n = 1; n <= TEAMS; n++) {
    await seedScoredTeam(db(), { cycleId, n, code: `GDSZ-2025-${String(n).padStart(4, '0')}`, name: name(n), leader: `ou_rwlead${String(n).padStart(26, '0')}`, contact: `ou_rwcont${String(n).padStart(26, '0')}`, aggregatedAt: clock.now() });
  }
  await db().insert(chatBindings).values({ chatId: ADMIN_GROUP, purpose: 'admin', boundBy: ADMIN });
  expect((await h.click(ADMIN, { action: 'results.publish', cycleId })).toast.type).toBe('success');
}, 300_000);
afterAll(async () => {
  CertificateRenderer.prototype.png = drawing.png;
  CertificateRenderer.prototype.pdf = drawing.pdf;
  await h?.close();
});

const workbooksSent = () =>
  h.fake.messages
    .filter((m) => m.msgType === 'file')
    .map((m) => ({ message: m, upload: h.fake.upload(m.content.file_key)! }))
    .filter((u) => u.upload.fileName?.endsWith('.xlsx'));

async function resultsSheet(bytes: unknown): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as ArrayBuffer);
  return wb.getWorksheet('结果')!.getSheetValues() as unknown[][];
}
const rowOf = (sheet: unknown[][], code: string) => sheet.find((r) => r && r.includes(code))!;

describe('the results workbook after a title is revoked (第二十二条)', () => {
  it('the 评审结果 card sends a workbook made now: the revoked title says so, with the date it was made', async () => {
    expect(workbooksSent()).toHaveLength(1);
    // 撤销称号 of the first team's title, two days later
    clock.advanceDays(2);
    const [c] = await db().select().from(certificates).where(eq(certificates.teamName, name(1)));
    await upheldRun(db(), c.teamId);
    expect((await h.click(ADMIN, { action: 'revocation.revoke', honourId: c.honourId }, { reason: '连续两次顾客投诉经核实成立' })).toast.type).toBe('success');
    const [honour] = await db().select().from(honours).where(eq(honours.id, c.honourId));
    expect(honour.revokedAt).not.toBeNull();

    // the card lists 60 lines and points to its button for the rest
    const preview = await h.click(ADMIN, { action: 'results.preview', cycleId });
    expectValidCard(preview.card.data);
    const text = cardText(preview.card.data);
    expect(text).toContain('完整结果请点“下载结果工作簿”');
    const download = cardActions(preview.card.data).find((a) => a.action === 'results.workbook');
    expect(download).toEqual({ action: 'results.workbook', cycleId });

    // clicked, and the click delivered twice: one workbook, to the clicker's chat
    const res = await h.click(ADMIN, download!, undefined, { eventId: 'evt_resultsworkbook_download_1' });
    expect(res.toast).toMatchObject({ type: 'success' });
    await h.click(ADMIN, download!, undefined, { eventId: 'evt_resultsworkbook_download_1' });
    const sent = workbooksSent();
    expect(sent).toHaveLength(2);
    const newest = sent.at(-1)!;
    expect(newest.message.receiveId).toBe(ADMIN);
    expect(newest.upload.fileName).toBe('2027年度质量信得过班组评审结果（2027-03-07）.xlsx');
    const sheet = await resultsSheet(newest.upload.bytes);
    const revoked = rowOf(sheet, 'GDSZ-2025-0001');
    expect(revoked.join('|')).toContain('授予称号（已于 2027-03-07 撤销，第二十二条）');
    expect(revoked).not.toContain('是');
    // a title that stands reads as before
    expect(rowOf(sheet, 'GDSZ-2025-0002')).toContain('授予称号');
    expect(sheet.some((r) => r?.some((v) => typeof v === 'string' && v.startsWith('生成于 2027年3月7日 09:00')))).toBe(true);

    // the workbook sent at publishing says when it was made too
    const first = await resultsSheet(sent[0].upload.bytes);
    expect(first.some((r) => r?.some((v) => typeof v === 'string' && v.startsWith('生成于 2027年3月5日')))).toBe(true);

    // each title's 荣誉证书 number, as the zip and the complaint form know it; a revoked title's is void (已作废)
    const numbers = new Map((await db().select().from(certificates)).map((x) => [x.teamName, x.number]));
    expect(numbers.size).toBe(TEAMS);
    const column = (s: unknown[][], name: string) => s[1].indexOf(name);
    expect(column(first, '证书编号')).toBeGreaterThan(0);
    expect(rowOf(first, 'GDSZ-2025-0001')[column(first, '证书编号')]).toBe(numbers.get(name(1)));
    expect(rowOf(first, 'GDSZ-2025-0065')[column(first, '证书编号')]).toBe(numbers.get(name(65)));
    expect(revoked[column(sheet, '证书编号')]).toBe(`${numbers.get(name(1))}（已作废）`);
    expect(rowOf(sheet, 'GDSZ-2025-0002')[column(sheet, '证书编号')]).toBe(numbers.get(name(2)));
  });

  it('each sheet filters from its frozen header row, the scores kept numbers shown to the cent, ranks and counts whole', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(workbooksSent()[0].upload.bytes as unknown as ArrayBuffer);
    const headers = (ws: ExcelJS.Worksheet) => (ws.getRow(1).values as unknown[]).slice(1).map(String);
    const columnOf = (ws: ExcelJS.Worksheet, name: string) => headers(ws).indexOf(name) + 1;
    const letter = (n: number) => (n > 26 ? String.fromCharCode(64 + Math.floor((n - 1) / 26)) : '') + String.fromCharCode(65 + ((n - 1) % 26));
    // 申报 and 结果 list the 65 applications, 专家评分 no sheet (none seeded): the filter covers the header row and the list
    for (const [name, rows] of [['申报', TEAMS + 1], ['专家评分', 1], ['结果', TEAMS + 1]] as const) {
      const ws = wb.getWorksheet(name)!;
      expect(ws.views[0], name).toMatchObject({ state: 'frozen', ySplit: 1 });
      // 结果's last header says when the list was made: a note beside the list, left out of the filter
      const last = name === '结果' ? headers(ws).length - 1 : headers(ws).length;
      expect(ws.autoFilter, name).toBe(`A1:${letter(last)}${rows}`);
    }
    const results = wb.getWorksheet('结果')!;
    const apps = wb.getWorksheet('申报')!;
    for (const [ws, name, format] of [[results, '最终得分', '0.00'], [results, '排名', '0'], [apps, '最终得分', '0.00'], [apps, '已提交评分', '0']] as const) {
      for (const row of [2, TEAMS + 1]) {
        const cell = ws.getRow(row).getCell(columnOf(ws, name));
        expect(typeof cell.value, `${ws.name} ${name} row ${row}`).toBe('number');
        expect(cell.numFmt, `${ws.name} ${name} row ${row}`).toBe(format);
      }
    }
    expect(results.getRow(2).getCell(columnOf(results, '最终得分')).value).toBe(94);
  });

  it('is for administrators alone, a refusal a toast', async () => {
    const before = workbooksSent().length;
    const res = await h.click('ou_rwlead00000000000000000000000002', { action: 'results.workbook', cycleId });
    expect(res.toast.type).not.toBe('success');
    expect(res.card).toBeUndefined();
    const missing = await h.click(ADMIN, { action: 'results.workbook', cycleId: cycleId + 1000 });
    expect(missing.toast.type).not.toBe('success');
    expect(missing.card).toBeUndefined();
    expect(workbooksSent()).toHaveLength(before);
  });

  it('is written once for the rows of one spec (公布结果 queues one per administrators’ group), again for another click or once kept long enough', async () => {
    const others: string[] = [];
    const next = Object.assign(async (spec: Record<string, unknown>) => (others.push(String(spec.kind)), { bytes: Buffer.from('certificate') }), {});
    const made = withResultsWorkbook(next as never, db(), 'Asia/Shanghai', 60_000);
    // what a renderer gives back is the bytes, or a reason not to send
    const bytesOf = async (p: ReturnType<typeof made>) => {
      const r = await p;
      if (!('bytes' in r)) throw new Error(`not sent: ${r.drop}`);
      return r;
    };
    const render = (spec: Parameters<typeof made>[0]) => bytesOf(made(spec));
    const spec = resultsWorkbookFile(cycleId, new Date('2027-03-05T01:00:00Z'));
    // two groups' rows sent at once, then a third a moment later: one workbook
    const [a, b] = await Promise.all([render(spec), render({ ...spec })]);
    expect(b.bytes).toBe(a.bytes);
    expect((await render({ ...spec })).bytes).toBe(a.bytes);
    expect((await resultsSheet(a.bytes)).some((r) => r?.some((v) => typeof v === 'string' && v.startsWith('生成于 2027年3月5日 09:00')))).toBe(true);
    // another click (another moment) is made afresh, from the results as they stand then
    const later = await render(resultsWorkbookFile(cycleId, new Date('2027-03-05T02:00:00Z')));
    expect(later.bytes).not.toBe(a.bytes);
    expect(others).toEqual([]);
    expect((await render({ kind: 'certificate', id: 1 })).bytes.toString()).toBe('certificate');
    expect(others).toEqual(['certificate']);
    // kept no longer than it is told: made again once that has passed
    const kept0 = withResultsWorkbook(next as never, db(), 'Asia/Shanghai', 0);
    const brief = (spec: Parameters<typeof made>[0]) => bytesOf(kept0(spec));
    const first = await brief(spec);
    await new Promise((r) => setTimeout(r, 5));
    expect((await brief(spec)).bytes).not.toBe(first.bytes);
  });

  it('管理 leads to the published year’s results (the published card’s 评审结果 stops taking clicks after 14 days)', async () => {
    clock.advanceDays(30);
    const menu = await h.click(ADMIN, { action: 'admin.menu' });
    const card = menu.card?.data ?? menu;
    expectValidCard(card);
    expect(cardText(card)).toContain('2027年度评审');
    const results = cardActions(card).find((a) => a.action === 'results.preview');
    expect(results).toEqual({ action: 'results.preview', cycleId });
    const preview = await h.click(ADMIN, results!);
    expect(cardText(preview.card.data)).toContain('2027年度评审结果');
  });

  it('and still once the next year is opened: its results and workbook are reached from 管理 (a 2027 title revoked in 2028 changes them)', async () => {
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2028', applicationDeadline: '2028-05-31', scoringDeadline: '2028-06-30', reviewMeetingDate: '2028-07-15' });
    expect(opened.toast?.type, JSON.stringify(opened.toast)).toBe('success');
    const menu = await h.click(ADMIN, { action: 'admin.menu' });
    const card = menu.card?.data ?? menu;
    expectValidCard(card);
    expect(cardText(card)).toContain('2028年度');
    const button = cardActions(card).find((a) => a.action === 'results.preview');
    expect(button).toEqual({ action: 'results.preview', cycleId });
    expect(JSON.stringify(card)).toContain('2027年度评审结果');
    const preview = await h.click(ADMIN, button!);
    expect(cardText(preview.card.data)).toContain('2027年度评审结果');
    expect(cardActions(preview.card.data).map((a) => a.action)).toContain('results.workbook');
  });
});
