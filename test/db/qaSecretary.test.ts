import ExcelJS from 'exceljs';
import { asc, eq, sql } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, auditLog, certificates, chatBindings, cycles, imports, teams } from '../../db/schema.js';
import { applicationForm as applicationDescriptor } from '../../src/applications.js';
import { ManualClock } from '../../src/clock.js';
import { formSchema } from '../../src/forms.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { fileMessageEvent } from '../support/larkEvents.js';
import { seedScoredTeam } from '../support/scoredTeams.js';

/**
 * The association's secretary, who keeps everything in Excel, uses the bot as she would: she downloads the import
 * template and fills it her way (a title row over the header, dates typed three ways, mobiles as numbers, codes with
 * spaces and in full width, a blank row, a sheet of her own), sends the wrong kind of file, confirms twice, and opens
 * what the bot sends her at 公布结果 (the results workbook, the certificates' zip) in Excel.
 */

const ADMIN_GROUP = 'oc_secretarygroup00000000000000000001';
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock, outboxLimits: { perApp: 1000, perReceiver: 1000 } });
});
afterAll(async () => {
  await h?.close();
});

const db = () => h.db.db;
const openWorkbook = async (bytes: Buffer) => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb;
};

let sent = 0;
/** She sends a file to the bot in the p2p chat; the answer is the last message the bot sent her. */
async function sendFile(bytes: Buffer, fileName: string, from = ADMIN) {
  sent++;
  const messageId = `om_secretary_${sent}`;
  const fileKey = `file_v2_secretary_${sent}`;
  h.fake.addMessageFile(messageId, fileKey, bytes);
  const res = await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: from, messageId, fileKey, fileName }));
  expect(res.status).toBe(200);
  await h.drain();
  return [...h.fake.messages].reverse().find((m) => m.receiveId === from)!;
}
const answerText = (m: { msgType: string; content: any }) => (m.msgType === 'interactive' ? cardText(m.content) : String(m.content.text));

describe('导入: the template as Excel shows it, and filled as a secretary fills it', () => {
  let template: Buffer;

  it('下载导入模板 sends a workbook with a guide, four sheets of Chinese headers, a frozen header row, an example row and Excel’s checks', async () => {
    const res = await h.click(ADMIN, { action: 'import.template' });
    expect(res.toast).toEqual({ type: 'success', content: '导入模板已发到与你的单聊' });
    const file = h.fake.messages.filter((m) => m.receiveId === ADMIN && m.msgType === 'file').at(-1)!;
    const upload = h.fake.upload(file.content.file_key)!;
    expect(upload.fileName).toBe('质量信得过班组导入模板.xlsx');
    template = upload.bytes;
    const wb = await openWorkbook(template);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['说明', '单位', '班组', '专家', '荣誉']);
    const teamSheet = wb.getWorksheet('班组')!;
    expect((teamSheet.getRow(1).values as unknown[]).slice(1)).toEqual([
      '班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门',
    ]);
    expect(teamSheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    // wide enough for what goes in: an organisation's name, a mobile or an e-mail
    expect(teamSheet.getColumn(3).width).toBeGreaterThanOrEqual(24);
    expect(teamSheet.getColumn(5).width).toBeGreaterThanOrEqual(20);
    expect(teamSheet.getCell('I2').value).toEqual(new Date('2024-03-15T00:00:00Z'));
    expect(teamSheet.getCell('D3').dataValidation).toMatchObject({ type: 'list', formulae: ['"行政班组,项目团队,部门"'] });
    expect(teamSheet.getCell('I3').dataValidation).toMatchObject({ type: 'date', error: '注册日期须为日期，如 2024-03-15' });
    expect(String(wb.getWorksheet('说明')!.getCell('A2').value)).toContain('第 2 行是示例');
  });

  /** Her list of teams: a merged title row over the header, then rows as people type them. */
  async function secretaryWorkbook(): Promise<Buffer> {
    const wb = await openWorkbook(template);
    wb.getWorksheet('单位')!.getRow(2).values = ['越秀市政养护有限公司 '];
    // she puts a title over the table, as on every sheet she prints
    const old = wb.getWorksheet('班组')!;
    const header = (old.getRow(1).values as unknown[]).slice(1);
    wb.removeWorksheet(old.id);
    const t = wb.addWorksheet('班组');
    t.addRow(['越秀区2024年度质量信得过班组名单']);
    t.mergeCells('A1:K1');
    t.addRow(header);
    const org = '越秀市政养护有限公司';
    // row 3: an Excel date, the mobile typed as a number, the code with trailing spaces
    t.addRow(['GDSZ-2024-0301  ', '越秀养护一班', org, '行政班组', 13900000301, '王一', 'yuexiu@example.com', '陈联系', new Date(Date.UTC(2024, 2, 1)), 12, '养护部']);
    // row 4: a date typed as text with slashes; code and mobile in full width (a Chinese keyboard), member count too
    t.addRow(['ＧＤＳＺ－２０２４－０３０２', '越秀养护二班', org, '项目团队', '１３９ ０００ ００３０２', '王二', 'yuexiu@example.com', '陈联系', '2024/3/1', '１０', '']);
    // row 5 left empty; row 6: a date written in Chinese, a lower-case code
    t.addRow([]);
    t.addRow(['gdsz-2024-0303', '越秀养护三班', org, '部门', '139-0000-0303', '王三', 'yuexiu@example.com', '陈联系', '2024年3月1日', 9, '']);
    // row 7: a date that is none
    t.addRow(['', '越秀养护四班', org, '部门', '13900000304', '王四', 'yuexiu@example.com', '陈联系', '2024年2月30日', 9, '']);
    // the example row of 专家 is deleted, as the guide says; she has no past titles, so she empties 荣誉 altogether
    wb.getWorksheet('专家')!.spliceRows(2, 1);
    wb.removeWorksheet(wb.getWorksheet('荣誉')!.id);
    wb.addWorksheet('荣誉');
    // and a sheet of her own
    wb.addWorksheet('我的备注').addRow(['二班的注册日期待核对']);
    return Buffer.from(await wb.xlsx.writeBuffer());
  }

  let workbook: Buffer;
  let importId: number;

  it('reads the header under her title row and passes over the sheet she emptied: each row is found at its Excel row number, every way of typing read alike', async () => {
    for (const [n, mobile] of [[301, '13900000301'], [302, '13900000302'], [303, '13900000303']] as const) h.fake.addUser({ name: `王${n}`, mobile });
    workbook = await secretaryWorkbook();
    const answer = await sendFile(workbook, '越秀区班组名单.xlsx');
    expect(answer.msgType).toBe('interactive');
    expectValidCard(answer.content);
    const text = cardText(answer.content);
    expect(text).toContain('| 班组 | 3 | 0 | 0 | 1 |');
    expect(text).toContain('第 3 行 GDSZ-2024-0301 越秀养护一班');
    expect(text).toContain('第 4 行 GDSZ-2024-0302 越秀养护二班');
    expect(text).toContain('第 6 行 GDSZ-2024-0303 越秀养护三班');
    // the refusal names the sheet, the row as Excel numbers it, the column and what to write
    expect(text).toContain('班组第 7 行 越秀养护四班（越秀市政养护有限公司）：注册日期“2024年2月30日”无法识别，请写成 2024-03-15');
    [{ id: importId }] = await db().select({ id: imports.id }).from(imports).orderBy(sql`${imports.id} desc`).limit(1);
  });

  it('a header she renamed is named with the row it is on, under her title row; a sheet with no header says so', async () => {
    const wb = await openWorkbook(await secretaryWorkbook());
    wb.getWorksheet('班组')!.getCell('I2').value = '注册时间';
    expect(answerText(await sendFile(Buffer.from(await wb.xlsx.writeBuffer()), '越秀区班组名单（改）.xlsx'))).toBe(
      '“班组”表第 2 行的表头缺少列：注册日期。请按导入模板（管理 → 导入 → 下载导入模板）的列名填写表头。',
    );
    const bare = new ExcelJS.Workbook();
    bare.addWorksheet('专家').addRows([['陈工', '13900000501', '越秀市政养护有限公司']]);
    expect(answerText(await sendFile(Buffer.from(await bare.xlsx.writeBuffer()), '专家.xlsx'))).toBe(
      '“专家”表前 10 行中找不到表头，缺少列：姓名、手机或邮箱、所属单位。请按导入模板（管理 → 导入 → 下载导入模板）的列名填写表头。',
    );
  });

  it('确认导入 stores the codes as the bot reads codes, the dates and the people; a second click says when it was done', async () => {
    const first = await h.click(ADMIN, { action: 'import.apply', importId });
    expect(first.toast.type).toBe('success');
    const stored = await db().select({ code: teams.code, registeredAt: teams.registeredAt, memberCount: teams.memberCount }).from(teams).orderBy(asc(teams.code));
    expect(stored).toEqual([
      { code: 'GDSZ-2024-0301', registeredAt: '2024-03-01', memberCount: 12 },
      { code: 'GDSZ-2024-0302', registeredAt: '2024-03-01', memberCount: 10 },
      { code: 'GDSZ-2024-0303', registeredAt: '2024-03-01', memberCount: 9 },
    ]);
    const audits = await db().select().from(auditLog).where(eq(auditLog.action, 'team.import'));
    const second = await h.click(ADMIN, { action: 'import.apply', importId });
    expect(second.toast.type).toBe('info');
    expect(second.toast.content).toMatch(/^文件“越秀区班组名单\.xlsx”已经导入过（2026年3月1日 \d\d:\d\d 导入完成），无需重复确认$/);
    expect(await db().select().from(auditLog).where(eq(auditLog.action, 'team.import'))).toHaveLength(audits.length);
  });

  it('the same file sent again changes nothing: the full-width and lower-case codes are the teams just imported', async () => {
    const answer = await sendFile(workbook, '越秀区班组名单.xlsx');
    const text = cardText(answer.content);
    expect(text).toContain('| 班组 | 0 | 0 | 3 | 1 |');
    expect(text).toContain('没有需要导入的变化');
    expect(await db().select().from(teams)).toHaveLength(3);
  });

  it('the template’s example rows left in the file are refused as examples, not imported as a team, an expert and a title nobody has', async () => {
    const wb = await openWorkbook(template);
    // she types her own rows under the examples and forgets to delete them
    wb.getWorksheet('单位')!.getRow(3).values = ['荔湾市政工程有限公司'];
    wb.getWorksheet('班组')!.getRow(3).values = ['', '荔湾抢修班', '荔湾市政工程有限公司', '项目团队', '13900000401', '赵班长', 'liwan@example.com', '钱联系', '2024-05-06', 8, ''];
    const before = await db().select().from(teams);
    const answer = await sendFile(Buffer.from(await wb.xlsx.writeBuffer()), '荔湾班组.xlsx');
    const text = cardText(answer.content);
    for (const sheet of ['单位', '班组', '专家', '荣誉']) expect(text).toContain(`- ${sheet}第 2 行 `);
    expect(text).toContain('班组第 2 行 市政养护一班（广州市市政工程有限公司）：这是导入模板的示例行，不会导入：请删除该行，或改成真实数据');
    expect(text).toContain('| 班组 | 1 | 0 | 0 | 1 |');
    expect(text).toContain('| 专家 | 0 | 0 | 0 | 1 |');
    expect(text).toContain('第 3 行 （分配编号） 荔湾抢修班');
    expect(text).not.toContain('市政养护一班（广州市市政工程有限公司）；');
    const [latest] = await db().select({ id: imports.id }).from(imports).orderBy(sql`${imports.id} desc`).limit(1);
    await h.click(ADMIN, { action: 'import.apply', importId: latest.id });
    const after = await db().select().from(teams);
    expect(after.map((t) => t.name).filter((n) => !before.some((b) => b.name === n))).toEqual(['荔湾抢修班']);
  });

  it('a .xls, a .csv or a WPS table sent by mistake is answered with how to make the .xlsx, not “only text”', async () => {
    for (const name of ['班组名单.xls', '班组名单.CSV', '班组名单.et']) {
      const answer = answerText(await sendFile(Buffer.from('班组名称,所属单位\n一班,某公司\n'), name));
      const ext = name.slice(name.lastIndexOf('.')).toLowerCase();
      expect(answer).toBe(
        `“${name}”是 ${ext} 文件，导入只读取 .xlsx 工作簿：请用 Excel 或 WPS 打开它，“另存为”Excel 工作簿（*.xlsx）后再发给我；也可以把数据粘贴进导入模板（管理 → 导入 → 下载导入模板）。`,
      );
    }
    // someone who is no administrator gets the usual answer to a file
    expect(answerText(await sendFile(Buffer.from('a,b'), '名单.csv', 'ou_notadmin0000000000000000000000001'))).toContain('目前只能识别文字消息');
  });

  it('a file of 0 bytes is said to be empty', async () => {
    expect(answerText(await sendFile(Buffer.alloc(0), '班组名单.xlsx'))).toBe('“班组名单.xlsx”是空文件（0 字节）：请在 Excel 中打开并保存导入工作簿后，再把它发给我。');
  });
});

describe('公布结果: the results workbook and the certificates as the secretary opens them', () => {
  const NAMES = ['越秀养护“一”班', '海珠桥梁二班', '天河管网三班'];
  let cycleId: number;

  it('publishes a year of three ranked applications to the administrators’ group', async () => {
    clock.set('2027-03-05T09:00:00+08:00');
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' });
    [{ id: cycleId }] = await db().select({ id: cycles.id }).from(cycles).where(eq(cycles.year, 2027));
    await db().update(cycles).set({ status: 'closed' }).where(eq(cycles.id, cycleId));
    // codes in the opposite order of the ranking, so the sheet's order shows which one it follows
    for (let n = 1; n <= 3; n++) {
      await seedScoredTeam(db(), { cycleId, n, code: `GDSZ-2025-090${4 - n}`, name: NAMES[n - 1], leader: `ou_secretaryleader000000000000000${n}`, contact: `ou_secretarycontact00000000000000${n}`, aggregatedAt: clock.now(), awarded: n < 3 });
    }
    const stored = formSchema(applicationDescriptor).parse(applicationForm()) as Record<string, unknown>;
    await db().update(applications).set({ form: stored }).where(eq(applications.cycleId, cycleId));
    await db().insert(chatBindings).values({ chatId: ADMIN_GROUP, purpose: 'admin', boundBy: ADMIN });
    const res = await h.click(ADMIN, { action: 'results.publish', cycleId });
    expect(res.toast.type).toBe('success');
  }, 120_000);

  const groupFile = (suffix: string) =>
    h.fake.messages
      .filter((m) => m.receiveId === ADMIN_GROUP && m.msgType === 'file')
      .map((m) => h.fake.upload(m.content.file_key)!)
      .find((u) => u.fileName!.endsWith(suffix))!;

  it('the workbook: dates are dates and numbers numbers, headers Chinese and frozen, 结果 in the ranking’s order', async () => {
    const upload = groupFile('.xlsx');
    expect(upload.fileName).toBe('2027年度质量信得过班组评审结果.xlsx');
    const wb = await openWorkbook(upload.bytes);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['申报', '专家评分', '结果']);
    for (const ws of wb.worksheets) expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });

    const apps = wb.getWorksheet('申报')!;
    const header = (apps.getRow(1).values as unknown[]).slice(1) as string[];
    const at = (label: string) => header.indexOf(label) + 1;
    const row = apps.getRow(2);
    // the 申报表's dates sort and filter as dates in Excel, shown as 2026-04-01
    expect(row.getCell(at('活动开始日期')).value).toEqual(new Date('2026-04-01T00:00:00Z'));
    expect(row.getCell(at('活动结束日期')).value).toEqual(new Date('2027-03-31T00:00:00Z'));
    expect(row.getCell(at('活动开始日期')).numFmt).toBe('yyyy-mm-dd');
    expect(apps.getColumn(at('活动开始日期')).width).toBeGreaterThanOrEqual(10);
    expect(row.getCell(at('培训率（%）')).value).toBe(96);
    expect(row.getCell(at('考试合格率（%）')).value).toBe(93.5);

    const results = wb.getWorksheet('结果')!;
    const table = [2, 3, 4].map((i) => (results.getRow(i).values as unknown[]).slice(1, 6));
    expect(table).toEqual([
      [1, 'GDSZ-2025-0903', NAMES[0], '广东第1市政工程有限公司', 94],
      [2, 'GDSZ-2025-0902', NAMES[1], '广东第2市政工程有限公司', 93],
      [3, 'GDSZ-2025-0901', NAMES[2], '广东第3市政工程有限公司', 70],
    ]);
    // the ranking names no expert: the scores by expert are a sheet of their own, for the association (第十七条)
    expect((results.getRow(1).values as unknown[]).join()).not.toMatch(/专家/);
  });

  it('the zip: one PNG and one PDF per title, named by certificate number (team-code order) and team, Chinese names flagged UTF-8', async () => {
    const upload = groupFile('.zip');
    expect(upload.fileName).toBe('2027年度质量信得过班组荣誉证书.zip');
    const names = Object.keys(unzipSync(new Uint8Array(upload.bytes)));
    const issued = await db().select().from(certificates).where(eq(certificates.cycleId, cycleId)).orderBy(asc(certificates.number));
    expect(issued).toHaveLength(2);
    expect(names.sort()).toEqual(issued.flatMap((c) => [`${c.number}_${c.teamName}.pdf`, `${c.number}_${c.teamName}.png`]).sort());
    // every entry of the central directory has bit 11 of its flags (UTF-8 names), so Windows' Explorer shows 越秀, not mojibake
    const bytes = upload.bytes;
    const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const count = bytes.readUInt16LE(end + 10);
    expect(count).toBe(4);
    for (let i = 0, at = bytes.readUInt32LE(end + 16); i < count; i++) {
      expect(bytes.readUInt32LE(at)).toBe(0x02014b50);
      expect(bytes.readUInt16LE(at + 8) & 0x800).toBe(0x800);
      at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    }
  });
});
