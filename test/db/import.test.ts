import ExcelJS from 'exceljs';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, auditLog, bulkJobs, honours, imports, outbox, people, teamMembers, teams } from '../../db/schema.js';
import { importPreviewCard, REFUSALS_PER_PAGE } from '../../cards/import.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { cardActionEvent, fileMessageEvent } from '../support/larkEvents.js';

let h: Harness;
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

const ORGS = Array.from({ length: 10 }, (_, k) => `广州市政工程第${k + 1}公司`);
const TYPES = ['行政班组', '项目团队', '部门'];
const leaderMobile = (i: number) => `1390000${String(i).padStart(4, '0')}`;
const contactEmail = (k: number) => `contact${k}@example.com`;
const expertMobile = (j: number) => `1370000${String(j).padStart(4, '0')}`;
const code = (i: number) => `GDSZ-2024-${String(i).padStart(4, '0')}`;
/** teams 1–150 keep a 2024 code; 151–200 have none and were registered in June 2025 */
const registered = (i: number) => (i <= 150 ? '2024-02-20' : '2025-06-01');

/** The workbook an association fills by hand: 200 good teams, 40 experts, 30 honours and 12 rows that are wrong in 12 ways. */
async function associationWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ...ORGS.map((o) => [o])]);
  const t = wb.addWorksheet('班组');
  t.addRow(['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']);
  for (let i = 1; i <= 200; i++) {
    const date = registered(i);
    t.addRow([
      i <= 150 ? code(i) : '',
      `养护${i}班`,
      ORGS[i % 10],
      TYPES[i % 3],
      // Excel shows mobiles as numbers unless the cell is text
      i % 2 ? leaderMobile(i) : Number(leaderMobile(i)),
      `班长${i}`,
      // e-mails typed in Excel become hyperlinks
      i % 3 ? contactEmail(i % 10) : { text: contactEmail(i % 10), hyperlink: `mailto:${contactEmail(i % 10)}` },
      `联系人${i % 10}`,
      i % 4 ? new Date(`${date}T00:00:00Z`) : date.replace(/-/g, '/'),
      8 + (i % 20),
      '养护部',
    ]);
  }
  // eight bad teams, rows 202–209
  const bad = (over: Partial<Record<number, unknown>>) => {
    const row: unknown[] = ['', '坏班组', ORGS[0], TYPES[0], leaderMobile(1), '', contactEmail(0), '', '2024-01-01', 10, ''];
    for (const [k, v] of Object.entries(over)) row[Number(k)] = v;
    t.addRow(row);
  };
  bad({ 1: '日期错班', 8: '2024-02-30' });
  bad({ 1: '无单位班', 2: '不存在的公司' });
  bad({ 0: code(1), 1: '重号班' });
  bad({ 1: '查无此人班', 4: 'zhang san' });
  bad({ 1: '类型错班', 3: '突击队' });
  bad({ 1: '人数错班', 9: 0 });
  bad({ 1: '' });
  bad({ 1: '未来班', 8: '2026-12-01' });

  const e = wb.addWorksheet('专家');
  e.addRow(['姓名*', '手机或邮箱*', '所属单位*', '专业特长', '评审上限']);
  for (let j = 1; j <= 40; j++) e.addRow([`专家${j}`, expertMobile(j), ORGS[j % 10], j % 2 ? '道路、桥梁' : '检测', 5 + (j % 5)]);
  e.addRow(['上限错', expertMobile(41), ORGS[0], '道路', 'abc']); // row 42
  e.addRow(['号码错', '12345', ORGS[0], '道路', 3]); // row 43

  const o = wb.addWorksheet('荣誉');
  o.addRow(['班组编号或名称*', '年度*', '称号*']);
  for (let n = 1; n <= 25; n++) o.addRow([code(n), 2025, '广东省市政工程质量信得过班组']);
  for (let n = 151; n <= 155; n++) o.addRow([`养护${n}班`, 2025, '广东省市政工程质量信得过班组']);
  o.addRow(['GDSZ-1999-0001', 2025, '广东省市政工程质量信得过班组']); // row 32
  o.addRow([code(2), 2031, '广东省市政工程质量信得过班组']); // row 33
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const BAD_ROWS: [string, RegExp][] = [
  ['班组第 202 行', /注册日期“2024-02-30”无法识别/],
  ['班组第 203 行', /所属单位“不存在的公司”不在“单位”表中/],
  ['班组第 204 行', /班组编号“GDSZ-2024-0001”与第 2 行重复/],
  ['班组第 205 行', /班组长“zhang san”不是有效的手机号或邮箱/],
  ['班组第 206 行', /班组类型“突击队”须为/],
  ['班组第 207 行', /成员人数“0”须为 1–500 的整数/],
  ['班组第 208 行', /缺少班组名称/],
  ['班组第 209 行', /注册日期 2026年12月1日 晚于今天/],
  ['专家第 42 行', /评审上限“abc”须为 1–500 的整数/],
  ['专家第 43 行', /“12345”不是有效的手机号或邮箱/],
  ['荣誉第 32 行', /找不到班组“GDSZ-1999-0001”/],
  ['荣誉第 33 行', /年度“2031”须为 1990–2026 的年份/],
];

let fileCount = 0;
async function sendWorkbook(from: string, bytes: Buffer, fileName = '历年班组.xlsx') {
  fileCount++;
  const messageId = `om_import_${fileCount}`;
  const fileKey = `file_v2_import_${fileCount}`;
  h.fake.addMessageFile(messageId, fileKey, bytes);
  const res = await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: from, messageId, fileKey, fileName }));
  expect(res.status).toBe(200);
  await h.drain();
  return [...h.fake.messages].reverse().find((m) => m.receiveId === from)!;
}

async function counts() {
  const n = async (q: Promise<{ n: number }[]>) => Number((await q)[0].n);
  return {
    teams: await n(h.db.db.select({ n: sql<number>`count(*)` }).from(teams)),
    experts: await n(h.db.db.select({ n: sql<number>`count(*)` }).from(people).where(sql`'expert' = any(${people.roles})`)),
    honours: await n(h.db.db.select({ n: sql<number>`count(*)` }).from(honours)),
  };
}

describe('importing an association’s teams, experts and honours from a workbook sent in chat', () => {
  const leaders = new Map<number, string>();
  let workbook: Buffer;
  let importId: number;

  beforeAll(async () => {
    // everyone is in the address book except the leaders of teams 191–200
    for (let i = 1; i <= 190; i++) leaders.set(i, h.fake.addUser({ name: `班长${i}`, mobile: leaderMobile(i) }).openId);
    for (let k = 0; k < 10; k++) h.fake.addUser({ name: `联系人${k}`, email: contactEmail(k) });
    for (let j = 1; j <= 40; j++) h.fake.addUser({ name: `专家${j}`, mobile: expertMobile(j) });
    workbook = await associationWorkbook();
  });

  it('answers the file with a preview that names every refused row and why, storing nothing yet', async () => {
    const msg = await sendWorkbook(ADMIN, workbook);
    expect(msg.msgType).toBe('interactive');
    const preview = msg.content;
    expectValidCard(preview);
    const text = cardText(preview);
    expect(text).toContain('| 班组 | 200 | 0 | 0 | 8 |');
    expect(text).toContain('| 专家 | 40 | 0 | 0 | 2 |');
    expect(text).toContain('| 荣誉 | 30 | 0 | 0 | 2 |');
    expect(text).toContain('拒绝 12 行');
    for (const [where, why] of BAD_ROWS) {
      const line = text.split('\n').find((l) => l.includes(where));
      expect(line, where).toMatch(why);
    }
    // dates as people read them; an ISO date is only ever a cell as typed (in quotes) or the template's own example
    expect(text.replace(/“[^”]*”/g, '').replace('请写成 2024-03-15', '')).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(text).toContain('10 人暂未在飞书通讯录中找到');
    // teams 151–155, registered in June 2025, hold 2025 titles: kept, with a note (第十六条 asks a year first)
    expect(text).toContain('“荣誉”表第 27、28、29、30、31 行的称号年度与班组注册同年（第十六条规定班组注册一年后方可参加评选），仍照文件导入');
    // 确认导入 writes the rows in batches, each kept once written: the preview does not promise all or nothing
    expect(text).not.toContain('一次性导入');
    expect(text).toContain('分批导入');
    const confirm = cardActions(preview).find((a) => a.action === 'import.apply')!;
    importId = confirm.importId as number;
    expect(await counts()).toEqual({ teams: 0, experts: 0, honours: 0 });
    const lookups = h.fake.requests.filter((r) => r.path === '/open-apis/contact/v3/users/batch_get_id');
    expect(lookups.length).toBeGreaterThan(0);
    expect(h.fake.requests.some((r) => r.path === `/open-apis/im/v1/messages/om_import_${fileCount}/resources/file_v2_import_${fileCount}` && r.query.type === 'file')).toBe(true);
  });

  it('applies the rest in one confirmation: codes and dates kept, people linked, honours stored, all audited', async () => {
    const started = performance.now();
    const answer = await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'import.apply', importId }, messageId: 'om_import_preview' }));
    const ms = performance.now() - started;
    const res = answer.body;
    // the callback records the job and answers with its progress card; the worker writes the rows
    expect(res.toast).toMatchObject({ type: 'success', content: '正在导入，完成后卡片会更新' });
    expectValidCard(res.card.data);
    expect(cardText(res.card.data)).toContain('正在导入：已导入 0 / 280 行');
    expect(await counts()).toEqual({ teams: 0, experts: 0, honours: 0 });
    console.log(`import.apply callback for 280 rows: ${Math.round(ms)} ms`);
    await h.drain();
    expect(await counts()).toEqual({ teams: 200, experts: 40, honours: 30 });
    const [job] = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'));
    expect(job).toMatchObject({ status: 'done', done: 280, total: 280, messageId: 'om_import_preview' });
    const [final] = await h.db.db.select().from(outbox).where(eq(outbox.dedupeKey, `bulk:${job.id}:card:final`));
    expect(final).toMatchObject({ kind: 'update', receiver: 'om_import_preview' });
    expectValidCard(final.card);
    const finalText = cardText(final.card);
    expect(finalText).toMatch(/已导入 280 \/ 280 行，用时 \d+ 秒/);
    expect(finalText).toContain('新增 280 行，更新 0 行');
    // the rows the preview refused are listed again, with why
    expect(finalText).toContain('12 行未导入');
    expect(finalText).toMatch(/班组第 202 行 日期错班.*：注册日期“2024-02-30”无法识别/);
    const [record] = await h.db.db.select().from(imports).where(eq(imports.id, importId));
    expect(record.status).toBe('applied');
    expect((record.summary as { add: unknown[] }).add).toHaveLength(280);

    const [first] = await h.db.db.select().from(teams).where(eq(teams.code, code(1)));
    expect(first).toMatchObject({ name: '养护1班', registeredAt: '2024-02-20', leaderOpenId: leaders.get(1), memberCount: 9 });
    const uncoded = await h.db.db.select().from(teams).where(eq(teams.name, '养护151班'));
    expect(uncoded[0].code).toMatch(/^GDSZ-2025-\d{4}$/);
    expect(uncoded[0].registeredAt).toBe('2025-06-01');
    const pendingLeader = await h.db.db.select().from(teams).where(eq(teams.name, '养护195班'));
    expect(pendingLeader[0].leaderOpenId).toBe(`pending:m:${leaderMobile(195)}`);
    const [named] = await h.db.db.select().from(honours).where(eq(honours.teamId, uncoded[0].id));
    expect(named).toMatchObject({ year: 2025, title: '广东省市政工程质量信得过班组', cycleId: null });

    const audits = await h.db.db.select({ action: auditLog.action, n: sql<number>`count(*)` }).from(auditLog).groupBy(auditLog.action);
    const byAction = Object.fromEntries(audits.map((a) => [a.action, Number(a.n)]));
    expect(byAction).toMatchObject({ 'team.import': 200, 'expert.import': 40, 'honour.import': 30, 'organization.import': 10, 'import.apply': 1 });

    const told = h.fake.messages.filter((m) => m.receiveId === leaders.get(1) && m.msgType === 'interactive');
    expect(cardText(told.at(-1)!.content)).toContain('GDSZ-2024-0001');
    expect(cardText(told.at(-1)!.content)).toContain('注册已满一年，可以参加评选');
    expect(h.fake.messages.some((m) => m.receiveId.startsWith('pending:'))).toBe(false);
  });

  it('confirms once: a second click changes nothing and says so', async () => {
    const res = await h.click(ADMIN, { action: 'import.apply', importId });
    expect(res.toast.type).toBe('info');
    expect(res.toast.content).toContain('已经导入过');
    expect(res.toast.content).toMatch(/2026年3月1日 \d\d:\d\d 导入完成/);
    expect(cardText(res.card.data)).toContain('已导入。');
    expect(await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'import'))).toHaveLength(1);
    expect(await counts()).toEqual({ teams: 200, experts: 40, honours: 30 });
  });

  it('imports the same file again as nothing to do', async () => {
    const before = await h.db.db.select().from(teams).orderBy(teams.id);
    const auditsBefore = (await h.db.db.select({ n: sql<number>`count(*)` }).from(auditLog))[0].n;
    const msg = await sendWorkbook(ADMIN, workbook);
    const text = cardText(msg.content);
    expect(text).toContain('| 班组 | 0 | 0 | 200 | 8 |');
    expect(text).toContain('| 专家 | 0 | 0 | 40 | 2 |');
    expect(text).toContain('| 荣誉 | 0 | 0 | 30 | 2 |');
    expect(text).toContain('没有需要导入的变化');
    expect(cardActions(msg.content).some((a) => a.action === 'import.apply')).toBe(false);
    const [latest] = await h.db.db.select().from(imports).orderBy(sql`${imports.id} desc`).limit(1);
    await h.click(ADMIN, { action: 'import.apply', importId: latest.id });
    expect(await h.db.db.select().from(teams).orderBy(teams.id)).toEqual(before);
    // only the file's reading (its job started and done), the preview and the (empty) apply are on record
    const audited = await h.db.db.select({ action: auditLog.action }).from(auditLog).orderBy(auditLog.id).offset(Number(auditsBefore));
    expect(audited.map((a) => a.action).sort()).toEqual(['bulk.importPreview.done', 'bulk.importPreview.start', 'import.apply', 'import.preview'].sort());
  });

  it('lets a team registered two years ago apply at once (第十六条 by its original date), and not one registered last June', async () => {
    clock.set('2026-03-05T09:00:00+08:00');
    const open = await h.click(ADMIN, { action: 'cycle.open' }, {
      year: '2026', applicationDeadline: '2026-05-31', scoringDeadline: '2026-06-30', reviewMeetingDate: '2026-07-15',
      awardThreshold: '85', expertsPerApplication: '3', recommendShare: '0.1',
    });
    expect(open.toast?.type).toBe('success');
    const [old] = await h.db.db.select().from(teams).where(eq(teams.code, code(7)));
    // an activity of the year before, ended by the 2026 deadline
    const lastYears = applicationForm({ startDate: '2025-04-01', endDate: '2026-03-31' });
    const res = await h.click(leaders.get(7)!, { action: 'application.submit', teamId: old.id, year: 2026 }, lastYears);
    expect(res.toast.type).toBe('success');
    const [app] = await h.db.db.select().from(applications).where(eq(applications.teamId, old.id));
    expect(app.status).toBe('submitted');

    const [young] = await h.db.db.select().from(teams).where(eq(teams.name, '养护160班'));
    const refused = await h.click(leaders.get(160)!, { action: 'application.submit', teamId: young.id, year: 2026 }, lastYears);
    expect(refused.toast.type).toBe('error');
    expect(refused.toast.content).toContain('第十六条');
  });

  it('links a leader Feishu could not find when they first message the bot, and tells them', async () => {
    const newcomer = h.fake.addUser({ name: '班长195', mobile: `+86${leaderMobile(195)}` });
    await h.say(newcomer.openId, '进度');
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, '养护195班'));
    expect(team.leaderOpenId).toBe(newcomer.openId);
    const members = await h.db.db.select().from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.role, 'leader')));
    expect(members.map((m) => m.openId)).toEqual([newcomer.openId]);
    expect(await h.db.db.select().from(people).where(eq(people.openId, `pending:m:${leaderMobile(195)}`))).toEqual([]);
    const texts = h.fake.messages.filter((m) => m.receiveId === newcomer.openId).map((m) => cardText(m.content));
    expect(texts.some((t) => t.includes('班组已转入本机器人管理') && t.includes('养护195班'))).toBe(true);
    // a code the association gave at the import is not said to be the team's old one
    expect(texts.filter((t) => t.includes('转入')).every((t) => !t.includes('编号和注册日期沿用原来的') && t.includes('没有编号的由协会新分配'))).toBe(true);
    expect(texts.some((t) => t.includes('养护195班') && !t.includes('转入'))).toBe(true);
    // the same workbook still changes nothing: the link is remembered
    const msg = await sendWorkbook(ADMIN, workbook);
    expect(cardText(msg.content)).toContain('| 班组 | 0 | 0 | 200 | 8 |');
  });

  it('treats a non-administrator’s file as any other message, and refuses a file that is no workbook', async () => {
    const before = (await h.db.db.select({ n: sql<number>`count(*)` }).from(imports))[0].n;
    await sendWorkbook(leaders.get(1)!, workbook);
    expect((await h.db.db.select({ n: sql<number>`count(*)` }).from(imports))[0].n).toBe(before);
    const msg = await sendWorkbook(ADMIN, Buffer.from('not a workbook'), '名单.xlsx');
    expect(msg.msgType).toBe('text');
    expect(msg.content.text).toContain('无法读取该文件');
  });
});

describe('the preview card within Feishu’s limits', () => {
  it('pages a long list of refusals, each name unique card-wide', () => {
    const refused = Array.from({ length: 40 }, (_, i) => ({ sheet: 'teams' as const, row: i + 2, label: `班组${i}`, reason: '注册日期“x”无法识别，请写成 2024-03-15' }));
    const add = Array.from({ length: 300 }, (_, i) => ({ sheet: 'teams' as const, row: i + 50, label: `新班组${i}（某单位）` }));
    const data = { importId: 9, fileName: 'a.xlsx', status: 'planned' as const, add, update: [], unchanged: { organizations: 0, teams: 0, experts: 0, honours: 0 }, refused, pending: [] };
    const pages = Math.ceil(40 / REFUSALS_PER_PAGE);
    const seen = new Set<string>();
    for (let p = 0; p < pages; p++) {
      const c = importPreviewCard(data, p);
      expectValidCard(c);
      const names = JSON.stringify(c).match(/"name":"[^"]+"/g) ?? [];
      expect(new Set(names).size).toBe(names.length);
      for (const r of refused) if (cardText(c).includes(`班组第 ${r.row} 行 ${r.label}：`)) seen.add(r.label);
      const nav = cardActions(c).filter((a) => a.action === 'import.page').map((a) => a.page);
      expect(nav).toEqual([p > 0 ? p - 1 : undefined, p < pages - 1 ? p + 1 : undefined].filter((x) => x !== undefined));
    }
    expect(seen.size).toBe(40);
  });

  it('asks to confirm with the counts, naming refused rows only when there are some', () => {
    const add = [{ sheet: 'teams' as const, row: 2, label: '新班组（某单位）' }];
    const update = [{ sheet: 'teams' as const, row: 3, label: 'GDSZ-2024-0001 养护一班（某单位）（成员人数）' }];
    const base = { importId: 9, fileName: 'a.xlsx', status: 'planned' as const, add, update, unchanged: { organizations: 0, teams: 0, experts: 0, honours: 0 }, pending: [] };
    const confirmText = (c: unknown) => /"title":\{"tag":"plain_text","content":"确认导入"\},"text":\{"tag":"plain_text","content":"([^"]+)"/.exec(JSON.stringify(c))?.[1];
    expect(confirmText(importPreviewCard({ ...base, refused: [] }, 0))).toBe('新增 1 行、更新 1 行。');
    expect(confirmText(importPreviewCard({ ...base, refused: [{ sheet: 'teams' as const, row: 4, label: '班组', reason: '缺少注册日期' }] }, 0))).toBe('新增 1 行、更新 1 行，拒绝的 1 行不导入。');
  });
});
