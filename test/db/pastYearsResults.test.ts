import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates, cycles } from '../../db/schema.js';
import { CertificateRenderer } from '../../src/certificates/render.js';
import { ManualClock } from '../../src/clock.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { seedScoredTeam } from '../support/scoredTeams.js';
import { upheldRun } from '../support/upheldRun.js';
import { OWN_RESULTS, ownResultsPublished, PUBLIC_RESULTS } from '../../bot/respond.js';

/**
 * The secretary lives in Excel. In 2029 she wants 2026's results back: 管理 has a button for the latest published year
 * only (2028); every other published year is behind 历年评审结果 (a page of years, each with its counts and a button
 * to its results card), or typed (评审结果 2026, 2026年度评审结果, results 2026). An old year's card and workbook are
 * that year's, a title revoked since (第二十二条) reading as revoked, as the latest year's do.
 */
const clock = new ManualClock('2026-03-05T09:00:00+08:00');
const LEADER = (year: number, n: number) => `ou_pylead${year}${String(n).padStart(22, '0')}`;
const CONTACT = (year: number, n: number) => `ou_pycont${year}${String(n).padStart(22, '0')}`;
const code = (year: number, n: number) => `GDSZ-${year - 1}-${String(n).padStart(4, '0')}`;
const teamName = (year: number, n: number) => `${year}届市政养护第${n}班组`;
const YEARS = [2026, 2027, 2028];
let h: Harness;
const db = () => h.db.db;
const cycleIds = new Map<number, number>();

// the worker's other test files share the module: the real drawings are put back after this file
const drawing = { png: CertificateRenderer.prototype.png, pdf: CertificateRenderer.prototype.pdf };

beforeAll(async () => {
  CertificateRenderer.prototype.png = async () => Buffer.from('png');
  CertificateRenderer.prototype.pdf = async () => Buffer.from('%PDF-1.4');
  h = await startHarness({ clock, outboxLimits: { perApp: 100000, perReceiver: 100000 } });
  // three years published through the bot, each with three teams of its own (two awarded, one not)
  for (const year of YEARS) {
    clock.set(new Date(`${year}-03-05T09:00:00+08:00`));
    const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: String(year), applicationDeadline: `${year}-05-31`, scoringDeadline: `${year}-06-30`, reviewMeetingDate: `${year}-07-15` });
    expect(opened.toast.type, JSON.stringify(opened.toast)).toBe('success');
    const [{ id }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, year));
    cycleIds.set(year, id);
    await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, id));
    // seedScoredTeam names the organisation by n: one of its own for each team (ranked 1, 2, 3 in 2026, 4, 5, 6 in 2027…)
    for (const n of [1, 2, 3]) {
      await seedScoredTeam(db(), { cycleId: id, n: (year - 2026) * 3 + n, code: code(year, n), name: teamName(year, n), leader: LEADER(year, n), contact: CONTACT(year, n), aggregatedAt: clock.now(), awarded: n < 3, recommended: n === 1 });
    }
    expect((await h.click(ADMIN, { action: 'results.publish', cycleId: id })).toast.type).toBe('success');
    await h.drain();
  }
  // 2026's first title revoked in 2028, after its year was published (第二十二条)
  clock.set(new Date('2028-09-01T09:00:00+08:00'));
  const [c] = await db().select().from(certificates).where(eq(certificates.teamName, teamName(2026, 1)));
  await upheldRun(db(), c.teamId);
  expect((await h.click(ADMIN, { action: 'revocation.revoke', honourId: c.honourId }, { reason: '连续两次顾客投诉经核实成立' })).toast.type).toBe('success');
  // and 2029 running
  clock.set(new Date('2029-03-05T09:00:00+08:00'));
  expect((await h.click(ADMIN, { action: 'cycle.open' }, { year: '2029', applicationDeadline: '2029-05-31', scoringDeadline: '2029-06-30', reviewMeetingDate: '2029-07-15' })).toast.type).toBe('success');
}, 300_000);
afterAll(async () => {
  CertificateRenderer.prototype.png = drawing.png;
  CertificateRenderer.prototype.pdf = drawing.pdf;
  await h?.close();
});

/** A card's buttons: what they read and the value they send. */
function buttonsOf(card: unknown): { text: string; value: Record<string, unknown> }[] {
  const out: { text: string; value: Record<string, unknown> }[] = [];
  JSON.stringify(card, (_k, v) => {
    if (v && v.tag === 'button') out.push({ text: String(v.text?.content), value: v.behaviors?.[0]?.value ?? {} });
    return v;
  });
  return out;
}
const buttonNamed = (card: unknown, text: string) => buttonsOf(card).find((b) => b.text === text);
const titleOf = (card: { header?: { title?: { content?: string } } }) => card.header?.title?.content ?? '';

/** Everything `who` was sent for what they typed. */
async function answersTo(who: string, text: string) {
  h.fake.reset();
  await h.say(who, text);
  return h.fake.messages.filter((m) => m.receiveId === who);
}

async function resultsSheet(bytes: unknown): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as ArrayBuffer);
  return wb.getWorksheet('结果')!.getSheetValues() as unknown[][];
}

describe('an earlier year’s results, reached by an administrator', () => {
  it('管理 keeps the latest year’s button and adds 历年评审结果: each year with its counts and a button to its card', async () => {
    const admin = await h.click(ADMIN, { action: 'admin.menu' });
    expect(titleOf(admin.card.data)).toBe('协会管理');
    expect(buttonsOf(admin.card.data).filter((b) => b.text.endsWith('年度评审结果')).map((b) => b.text)).toEqual(['2028年度评审结果']);
    const years = buttonNamed(admin.card.data, '历年评审结果');
    expect(years?.value).toEqual({ action: 'results.years' });

    const list = await h.click(ADMIN, years!.value);
    expectValidCard(list.card.data);
    expect(titleOf(list.card.data)).toBe('历年评审结果');
    const text = cardText(list.card.data);
    // newest first, each with its counts; 2026's revoked title counted apart
    expect(text.indexOf('2028年度')).toBeLessThan(text.indexOf('2027年度'));
    expect(text.indexOf('2027年度')).toBeLessThan(text.indexOf('2026年度'));
    expect(text).toContain('参评 3 份 · 授予称号 1 个（另有 1 个已撤销）· 推荐 0 个');
    expect(text).toContain('参评 3 份 · 授予称号 2 个 · 推荐 1 个');
    expect(buttonsOf(list.card.data).filter((b) => b.value.action === 'results.preview')).toEqual(
      [2028, 2027, 2026].map((y) => ({ text: `${y}年度评审结果`, value: { action: 'results.preview', cycleId: cycleIds.get(y) } })),
    );
    // pressed again (a double tap), the same card
    expect((await h.click(ADMIN, years!.value)).card.data).toEqual(list.card.data);
  });

  it('2026’s card and workbook are 2026’s, its title revoked in 2028 reading as revoked', async () => {
    const list = await h.click(ADMIN, { action: 'results.years' });
    const card = await h.click(ADMIN, buttonNamed(list.card.data, '2026年度评审结果')!.value);
    expectValidCard(card.card.data);
    expect(titleOf(card.card.data)).toBe('2026年度评审结果');
    const text = cardText(card.card.data);
    expect(text).toContain(`${code(2026, 1)} ${teamName(2026, 1)}`);
    expect(text).toMatch(/授予称号（已撤销）/);
    expect(text).not.toContain(teamName(2027, 1));
    expect(text).not.toContain(teamName(2028, 1));

    h.fake.reset();
    const download = buttonNamed(card.card.data, '下载结果工作簿')!;
    expect(download.value).toEqual({ action: 'results.workbook', cycleId: cycleIds.get(2026) });
    expect((await h.click(ADMIN, download.value)).toast.type).toBe('success');
    const files = h.fake.messages.filter((m) => m.msgType === 'file' && m.receiveId === ADMIN).map((m) => h.fake.upload(m.content.file_key)!);
    expect(files.map((f) => f.fileName)).toEqual(['2026年度质量信得过班组评审结果（2029-03-05）.xlsx']);
    const sheet = await resultsSheet(files[0].bytes);
    const codes = sheet.flatMap((r) => (r ?? []).filter((v) => typeof v === 'string' && /^GDSZ-\d{4}-\d{4}$/.test(v)));
    expect(codes.sort()).toEqual([code(2026, 1), code(2026, 2), code(2026, 3)]);
    expect(sheet.find((r) => r?.includes(code(2026, 1)))!.join('|')).toContain('授予称号（已于 2028-09-01 撤销，第二十二条）');
  });

  it.each(['评审结果 2026', '评审结果2026', '2026年度评审结果', '2026年评审结果', '2026 年度评审结果', 'results 2026', 'Results 2026', '2026 results', '评审结果 ２０２６。'])(
    '%j typed by an administrator sends 2026’s results card',
    async (typed) => {
      const sent = await answersTo(ADMIN, typed);
      expect(sent).toHaveLength(1);
      expect(sent[0].msgType).toBe('interactive');
      expect(titleOf(sent[0].content)).toBe('2026年度评审结果');
      expect(cardText(sent[0].content)).toContain(teamName(2026, 2));
    },
  );

  it('历年评审结果 typed is the list', async () => {
    for (const typed of ['历年评审结果', 'past results']) {
      const sent = await answersTo(ADMIN, typed);
      expect(sent.map((m) => titleOf(m.content))).toEqual(['历年评审结果']);
    }
  });

  it('评审结果 and results typed alone are the same: the 协会管理 card, where this year’s and every published year’s results are', async () => {
    for (const typed of ['评审结果', 'results', 'Results', '评审结果。']) {
      const sent = await answersTo(ADMIN, typed);
      expect(sent.map((m) => titleOf(m.content)), typed).toEqual(['协会管理']);
      expect(buttonsOf(sent[0].content).map((b) => b.text), typed).toEqual(expect.arrayContaining(['2028年度评审结果', '历年评审结果']));
    }
    // someone of a team asking so wants their own team's result: where it is (进度), not 管理's refusal, and that the
    // newest year their team was reviewed in is published (2029 runs; 2028 is the newest published, their team's is 2026)
    const leader = LEADER(2026, 2);
    for (const typed of ['评审结果', 'results']) expect((await answersTo(leader, typed)).map((m) => m.content.text), typed).toEqual([ownResultsPublished(2026)]);
    expect(ownResultsPublished(2026)).toBe('2026 年度评审结果已公布：你的班组的评审结果（得分和是否获得称号）请发送“进度”查看；公布时班组长和单位联系人已各收到一张结果卡片（第二十一条）。');
    expect((await answersTo(LEADER(2028, 1), '评审结果')).map((m) => m.content.text)).toEqual([ownResultsPublished(2028)]);
    // anyone else (the public, an expert): how a team's title is checked, not an article of the measures
    for (const [who, typed] of [['ou_pypublic0000000000000000000001', '评审结果'], ['ou_pypublic0000000000000000000001', 'results 2026'], ['ou_pypublic0000000000000000000001', '历年评审结果']] as const) {
      expect((await answersTo(who, typed)).map((m) => m.content.text), typed).toEqual([PUBLIC_RESULTS]);
    }
    expect(PUBLIC_RESULTS).toContain('查询证书 班组名称');
  });

  it('a year with no published results is told which years have them', async () => {
    const [none] = await answersTo(ADMIN, '评审结果 2025');
    expect(none.content.text).toBe('2025 年度没有已公布的评审结果。已公布评审结果的年度：2028、2027、2026（发送“评审结果 2028”查看，或点协会管理卡片上的“历年评审结果”）。');
    const [running] = await answersTo(ADMIN, '2029年度评审结果');
    expect(running.content.text).toBe('2029 年度评审正在进行（申报中），结果尚未公布。已公布评审结果的年度：2028、2027、2026（发送“评审结果 2028”查看，或点协会管理卡片上的“历年评审结果”）。');
  });

  it('someone of a team typing it is told where their own team’s result is; the year first is the measures’ answer: no results card, no workbook', async () => {
    const leader = LEADER(2026, 2);
    for (const [typed, answer] of [['2026年度评审结果', '办法中的相关条款']]) {
      const sent = await answersTo(leader, typed);
      expect(sent.map((m) => titleOf(m.content)), typed).toEqual([answer]);
      expect(JSON.stringify(sent[0].content)).not.toContain(teamName(2026, 1));
    }
    // asked with the year first, by someone of a team: where their own team's result is, no other team's
    expect(OWN_RESULTS).toContain('发送“进度”查看');
    for (const [typed, year] of [['评审结果 2026', 2026], ['历年评审结果', 2026]] as const) {
      const sent = await answersTo(leader, typed);
      expect(sent.map((m) => m.content.text), typed).toEqual([ownResultsPublished(year)]);
    }
    // a year published that their team was not in: no result card came to them, and it says so
    expect((await answersTo(leader, 'results 2027')).map((m) => m.content.text)).toEqual(['2027 年度评审结果已公布；你的班组没有参加 2027 年度评审。各年度的申报情况请发送“进度”查看。']);
    // a year not published yet, or never reviewed: said so, and where the result will be
    expect((await answersTo(leader, '评审结果 2029')).map((m) => m.content.text)).toEqual([`2029 年度评审结果尚未公布。${OWN_RESULTS}`]);
    expect((await answersTo(leader, 'results 2024')).map((m) => m.content.text)).toEqual([`2024 年度没有在本机器人中评审。${OWN_RESULTS}`]);
    // a question after it stays a question
    expect((await answersTo(leader, '评审结果什么时候公布')).map((m) => titleOf(m.content))).toEqual(['办法中的相关条款']);
    // the card's button refused too
    const refused = await h.click(leader, { action: 'results.years' });
    expect(refused.toast).toMatchObject({ type: 'error', content: expect.stringContaining('只有协会管理员') });
  });

  it('ten years and more page five at a time, 上一页 / 下一页', async () => {
    const [c2026] = await db().select().from(cycles).where(eq(cycles.year, 2026));
    const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = c2026;
    for (let year = 2016; year <= 2025; year++) await db().insert(cycles).values({ ...rest, year, status: 'published' });
    const first = await h.click(ADMIN, { action: 'results.years' });
    expectValidCard(first.card.data);
    const years = (card: unknown) => buttonsOf(card).filter((b) => b.value.action === 'results.preview').map((b) => b.text);
    expect(years(first.card.data)).toEqual(['2028年度评审结果', '2027年度评审结果', '2026年度评审结果', '2025年度评审结果', '2024年度评审结果']);
    expect(cardText(first.card.data)).toContain('第 1 / 3 页');
    expect(buttonNamed(first.card.data, '上一页')).toBeUndefined();
    const next = buttonNamed(first.card.data, '下一页')!;
    const third = await h.click(ADMIN, { ...next.value, page: 3 });
    expect(years(third.card.data)).toEqual(['2018年度评审结果', '2017年度评审结果', '2016年度评审结果']);
    // a page past the last (years removed meanwhile) is the last
    expect(years((await h.click(ADMIN, { action: 'results.years', page: 9 })).card.data)).toEqual(years(third.card.data));
    // a year with nothing scored counts its nothing
    expect(cardText(third.card.data)).toContain('参评 0 份');
  });
});
