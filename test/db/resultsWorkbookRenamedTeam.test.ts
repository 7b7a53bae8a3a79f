import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, cycles, organizations, teams } from '../../db/schema.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * A team renamed after 公布结果 (修改资料) keeps the name its certificate was issued under. The secretary sends the
 * recommendation list from the 结果 sheet: beside the certificate's number she needs the name printed on it, or the
 * list disagrees with the certificate. The columns before stay where they were (her formulas point at them). A team
 * moved to another organisation since (an import) keeps the organisation its certificate names, in the column after.
 */
const clock = new ManualClock('2029-03-05T09:00:00+08:00');
let h: Harness;
let cycleId: number;
const db = () => h.db.db;
const drawing = { png: CertificateRenderer.prototype.png, pdf: CertificateRenderer.prototype.pdf };

beforeAll(async () => {
  CertificateRenderer.prototype.png = async () => Buffer.from('png');
  CertificateRenderer.prototype.pdf = async () => Buffer.from('%PDF-1.4');
  h = await startHarness({ clock, outboxLimits: { perApp: 100000, perReceiver: 100000 } });
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2029', applicationDeadline: '2029-05-31', scoringDeadline: '2029-06-30', reviewMeetingDate: '2029-07-15' });
  [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2029));
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  for (let n = 1; n <= 3; n++) {
    await seedScoredTeam(db(), {
      cycleId, n, code: `GDSZ-2025-${String(n).padStart(4, '0')}`, name: `改名${n}班`, leader: `ou_rnlead${String(n).padStart(26, '0')}`,
      contact: `ou_rncont${String(n).padStart(26, '0')}`, aggregatedAt: clock.now(), recommended: n === 1, awarded: n < 3,
    });
  }
  expect((await h.click(ADMIN, { action: 'results.publish', cycleId })).toast.type).toBe('success');
  await h.drain();
  // the first team renamed since its certificate was issued, the second moved to another organisation (an import)
  await db().update(teams).set({ name: '改名1班（东区）' }).where(eq(teams.code, 'GDSZ-2025-0001'));
  const [moved] = await db().insert(organizations).values({ name: '改名后的新单位' }).returning();
  await db().update(teams).set({ organizationId: moved.id }).where(eq(teams.code, 'GDSZ-2025-0002'));
}, 120_000);
afterAll(async () => {
  CertificateRenderer.prototype.png = drawing.png;
  CertificateRenderer.prototype.pdf = drawing.pdf;
  await h?.close();
});

const workbooks = () => h.fake.messages.filter((m) => m.msgType === 'file').map((m) => h.fake.upload(m.content.file_key)!).filter((u) => u.fileName?.endsWith('.xlsx'));

describe('the results workbook of a team renamed after its certificate was issued', () => {
  it('names, beside the certificate number, the team and the organisation as the certificate names them; the columns before stay put', async () => {
    const before = workbooks().length;
    clock.advanceDays(1);
    expect((await h.click(ADMIN, { action: 'results.workbook', cycleId })).toast.type).toBe('success');
    await h.drain();
    expect(workbooks()).toHaveLength(before + 1);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(workbooks().at(-1)!.bytes as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('结果')!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1).map((v) => String(v ?? ''));
    const certificateColumn = header.indexOf('证书编号');
    const issuedAsColumn = header.findIndex((x) => x.startsWith('证书所载班组名称'));
    // added after the columns the secretary's formulas read, before the note of when the list was made
    expect(header.slice(0, 3)).toEqual(['排名', '班组编号', '班组名称']);
    expect(issuedAsColumn).toBe(certificateColumn + 1);
    expect(header.at(-1)).toMatch(/^生成于 /);
    const rows: unknown[][] = [];
    sheet.eachRow((row, n) => void (n > 1 && rows.push((row.values as unknown[]).slice(1))));
    const rowOf = (code: string) => rows.find((r) => r[1] === code)!;
    const [issued] = await db().select().from(certificates).where(eq(certificates.teamName, '改名1班'));
    const renamed = rowOf('GDSZ-2025-0001');
    expect(renamed[2]).toBe('改名1班（东区）');
    expect(renamed[certificateColumn]).toBe(issued.number);
    expect(renamed[issuedAsColumn]).toBe('改名1班');
    // a team under its certificate's name, and one with no certificate, leave the cell empty
    expect(rowOf('GDSZ-2025-0002')[issuedAsColumn] ?? null).toBeNull();
    expect(rowOf('GDSZ-2025-0003')[issuedAsColumn] ?? null).toBeNull();
    // the team moved since: its organisation now, and beside its certificate the one printed on it; the others' empty
    const [movedIssued] = await db().select().from(certificates).where(eq(certificates.teamName, '改名2班'));
    const moved = rowOf('GDSZ-2025-0002');
    expect(moved[3]).toBe('改名后的新单位');
    expect(moved[issuedAsColumn + 1]).toBe(movedIssued.organization);
    expect(movedIssued.organization).not.toBe('改名后的新单位');
    expect(renamed[issuedAsColumn + 1] ?? null).toBeNull();
    expect(rowOf('GDSZ-2025-0003')[issuedAsColumn + 1] ?? null).toBeNull();
    // the filter covers the new columns (the certificate's name, then its organisation), not the note of when the list was made
    const letter = (n: number) => String.fromCharCode(65 + n);
    expect(header[issuedAsColumn + 1]).toMatch(/^证书所载单位/);
    expect(sheet.autoFilter).toBe(`A1:${letter(issuedAsColumn + 1)}${rows.length + 1}`);
  });
});
