import ExcelJS from 'exceljs';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, people } from '../../db/schema.js';
import { addressBookNames, ASK_AGAIN_MS, FAILED_RUN, NAMELESS_RUN } from '../../src/addressBookNames.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { createLogger } from '../../src/log.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * Experts picked in 添加专家 (or found by mobile) are known by open_id alone: Feishu's events carry no name. The files the
 * secretary works from name them from the address book as they are made (contact/v3/users/:user_id, whose name needs
 * contact:user.base:readonly), and keep the name; a name the association typed stays; someone Feishu gives no name for
 * is shown as before, by open_id, and asked again only later.
 */
const clock = new ManualClock('2029-03-05T09:00:00+08:00');
let h: Harness;
let cycleId: number;
const db = () => h.db.db;
const drawing = { png: CertificateRenderer.prototype.png, pdf: CertificateRenderer.prototype.pdf };
const id = (tag: string) => `ou_names${tag.padStart(27, '0')}`;
/** in the address book as 周评审, picked in 添加专家: no name on record */
const PICKED = id('picked');
/** typed as 李专家 (修改专家, an import); the address book says 李四 */
const TYPED = id('typed');
/** outside the app's contact range: Feishu refuses their profile */
const OUTSIDE = id('outside');
/** picked too, named only once the permission is granted */
const LATER = id('later');

beforeAll(async () => {
  CertificateRenderer.prototype.png = async () => Buffer.from('png');
  CertificateRenderer.prototype.pdf = async () => Buffer.from('%PDF-1.4');
  h = await startHarness({ clock, outboxLimits: { perApp: 100000, perReceiver: 100000 } });
  h.fake.addUser({ openId: PICKED, name: '周评审', mobile: '13700000201' });
  h.fake.addUser({ openId: TYPED, name: '李四', mobile: '13700000202' });
  h.fake.addUser({ openId: LATER, name: '吴后补', mobile: '13700000203' });
  await h.click(ADMIN, { action: 'cycle.open' }, { year: '2029', applicationDeadline: '2029-05-31', scoringDeadline: '2029-06-30', reviewMeetingDate: '2029-07-15' });
  [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2029));
  await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
  await db()
    .insert(people)
    .values([PICKED, TYPED, OUTSIDE, LATER].map((openId) => ({ openId, name: openId === TYPED ? '李专家' : null, roles: ['expert'] })));
  for (let n = 1; n <= 2; n++) {
    await seedScoredTeam(db(), {
      cycleId, n, code: `GDSZ-2025-${String(n).padStart(4, '0')}`, name: `命名${n}班`, leader: id(`lead${n}`), contact: id(`cont${n}`), aggregatedAt: clock.now(), awarded: true,
    });
  }
  const apps = await db().select({ id: applications.id }).from(applications).where(eq(applications.cycleId, cycleId));
  await db()
    .insert(assignments)
    .values(
      apps.flatMap((a) =>
        [PICKED, TYPED, OUTSIDE].map((expertOpenId, i) => ({ applicationId: a.id, expertOpenId, status: 'submitted', scores: {}, total: 90 - i, submittedAt: clock.now() })),
      ),
    );
}, 120_000);
afterAll(async () => {
  CertificateRenderer.prototype.png = drawing.png;
  CertificateRenderer.prototype.pdf = drawing.pdf;
  await h?.close();
});

const files = (prefix: string) =>
  h.fake.messages
    .filter((m) => m.msgType === 'file' && m.receiveId === ADMIN)
    .map((m) => h.fake.upload(m.content.file_key)!)
    .filter((u) => u.fileName?.startsWith(prefix));

async function latest(prefix: string, action: Record<string, unknown>): Promise<ExcelJS.Workbook> {
  const before = files(prefix).length;
  expect((await h.click(ADMIN, action)).toast.type).toBe('success');
  await h.drain();
  expect(files(prefix)).toHaveLength(before + 1);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(files(prefix).at(-1)!.bytes as unknown as ArrayBuffer);
  return wb;
}

/** The 专家评分 sheet's expert column, one entry per distinct expert. */
async function expertsInResults(): Promise<string[]> {
  // a new click: the workbook made for the last one is kept a few minutes by its time (withResultsWorkbook)
  clock.advance(1000);
  const wb = await latest('2029年度质量信得过班组评审结果', { action: 'results.workbook', cycleId });
  const sheet = wb.getWorksheet('专家评分')!;
  const header = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
  const column = header.indexOf('专家') + 1;
  expect(column).toBeGreaterThan(0);
  const names = new Set<string>();
  sheet.eachRow((row, n) => void (n > 1 && names.add(String(row.getCell(column).value))));
  return [...names].sort();
}

const storedNames = async (ids: string[]) =>
  Object.fromEntries((await db().select({ openId: people.openId, name: people.name }).from(people).where(inArray(people.openId, ids))).map((p) => [p.openId, p.name]));

describe('names of people the bot knows by open_id alone', () => {
  it('the results workbook names a picked expert from the address book and keeps the name; a typed name stays; one out of range shows the open_id', async () => {
    expect(await expertsInResults()).toEqual([OUTSIDE, '周评审', '李专家'].sort());
    expect(await storedNames([PICKED, TYPED, OUTSIDE])).toEqual({ [PICKED]: '周评审', [TYPED]: '李专家', [OUTSIDE]: null });
  });

  it('without contact:user.base:readonly the profile has no name: the open_id is shown, and the expert is asked again only after ten minutes', async () => {
    const apps = await db().select({ id: applications.id }).from(applications).where(eq(applications.cycleId, cycleId));
    await db().insert(assignments).values({ applicationId: apps[0].id, expertOpenId: LATER, status: 'submitted', scores: {}, total: 88, submittedAt: clock.now() });
    h.fake.revokeScopes('contact:user.base:readonly');
    try {
      expect(await expertsInResults()).toContain(LATER);
      h.fake.grantScopes('contact:user.base:readonly');
      // granted since, but the answer without a name is remembered for a while: no profile asked at each file
      clock.advance(5 * 60_000);
      expect(await expertsInResults()).toContain(LATER);
      clock.advance(6 * 60_000);
      expect(await expertsInResults()).toContain('吴后补');
      expect((await storedNames([LATER]))[LATER]).toBe('吴后补');
    } finally {
      h.fake.grantScopes('contact:user.base:readonly');
    }
  });

  it('导出当前名册 names a picked expert and a contact known by open_id alone', async () => {
    const contact = id('cont1');
    h.fake.addUser({ openId: contact, name: '钱联系人', mobile: '13600000201' });
    const picked = id('picked2');
    h.fake.addUser({ openId: picked, name: '孙新专家', mobile: '13700000204' });
    await db().insert(people).values({ openId: picked, roles: ['expert'] });
    const wb = await latest('质量信得过班组名册', { action: 'import.export' });
    const values = (sheet: string) => (wb.getWorksheet(sheet)!.getSheetValues() as unknown[][]).flatMap((r) => (r ?? []).map((v) => String(v ?? '')));
    expect(values('专家')).toContain('孙新专家');
    expect(values('班组')).toContain('钱联系人');
    expect(await storedNames([picked, contact])).toEqual({ [picked]: '孙新专家', [contact]: '钱联系人' });
  });

  it('profiles answered without a name (no field permission): the rest of the file’s are not asked, nor asked again for ten minutes', async () => {
    const many = Array.from({ length: 40 }, (_, i) => id(`many${i}`));
    await db().insert(people).values(many.map((openId) => ({ openId, roles: ['expert'] })));
    let asked = 0;
    let at = 0;
    const names = addressBookNames({ db: db(), reader: { userReach: async () => (asked++, {}) }, log: createLogger('silent'), now: () => at });
    expect((await names(many)).size).toBe(0);
    // the run that stopped it, and the calls already under way beside it
    expect(asked).toBeGreaterThanOrEqual(NAMELESS_RUN);
    expect(asked).toBeLessThan(NAMELESS_RUN + 4);
    const first = asked;
    expect((await names(many)).size).toBe(0);
    expect(asked).toBe(first);
    at += ASK_AGAIN_MS;
    await names(many);
    expect(asked).toBeGreaterThan(first);
  });

  it('a name typed while the address book was asked stays; failures in a row stop the file’s asking', async () => {
    const raced = id('raced');
    const failing = Array.from({ length: 20 }, (_, i) => id(`fail${i}`));
    await db().insert(people).values([raced, ...failing].map((openId) => ({ openId, roles: ['expert'] })));
    const quiet = createLogger('silent');
    // the association types the name (修改专家) while the profile is on its way: the profile's is not written over it
    const names = addressBookNames({
      db: db(),
      reader: {
        userReach: async (openId) => {
          await db().update(people).set({ name: '郑专家（已填）' }).where(eq(people.openId, openId));
          return { name: '郑某' };
        },
      },
      log: quiet,
    });
    expect((await names([raced])).size).toBe(0);
    expect((await storedNames([raced]))[raced]).toBe('郑专家（已填）');
    // Feishu failing (slow, 5xx): the file is made after FAILED_RUN failures, not after asking all twenty
    let calls = 0;
    const failingNames = addressBookNames({ db: db(), reader: { userReach: async () => (calls++, Promise.reject(new Error('socket hang up'))) }, log: quiet });
    expect((await failingNames(failing)).size).toBe(0);
    expect(calls).toBeGreaterThanOrEqual(FAILED_RUN);
    expect(calls).toBeLessThan(FAILED_RUN + 4);
  });
});
