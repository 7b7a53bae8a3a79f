import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { honours, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { cardActionEvent, fileMessageEvent } from '../support/larkEvents.js';

/**
 * A 荣誉 row whose year is before its team's 注册日期 (第十六条: 注册一年后方可参加评选) is refused in the preview, naming
 * the row, the year and the date, for a team the same file adds and for one already in the bot (its date on record);
 * a title of the registration year itself is kept, historical records being loose, with a note.
 */

let h: Harness;
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock });
  h.fake.addUser({ name: '班长甲', mobile: '13900001111' });
  h.fake.addUser({ name: '班长乙', mobile: '13900002222' });
  h.fake.addUser({ name: '联系人甲', email: 'c1@example.com' });
});
afterAll(async () => {
  await h?.close();
});

const TEAM_HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];

async function workbook(teamRows: unknown[][], honourRows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政工程第一公司']]);
  wb.addWorksheet('班组').addRows([TEAM_HEADER, ...teamRows]);
  wb.addWorksheet('荣誉').addRows([['班组编号或名称*', '年度*', '称号*'], ...honourRows]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

let fileCount = 0;
async function preview(bytes: Buffer) {
  fileCount++;
  h.fake.addMessageFile(`om_hbr_${fileCount}`, `file_hbr_${fileCount}`, bytes);
  await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: `om_hbr_${fileCount}`, fileKey: `file_hbr_${fileCount}`, fileName: '名册.xlsx' }));
  await h.drain();
  const card = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN)!.content;
  expectValidCard(card);
  return card;
}

async function apply(card: unknown) {
  const confirm = cardActions(card).find((a) => a.action === 'import.apply')!;
  await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'import.apply', importId: confirm.importId }, messageId: `om_hbr_preview_${fileCount}` }));
  await h.drain();
}

async function yearsHeld(code: string) {
  const [team] = await h.db.db.select().from(teams).where(eq(teams.code, code));
  return (await h.db.db.select({ year: honours.year }).from(honours).where(eq(honours.teamId, team.id))).map((x) => x.year).sort();
}

const lineOf = (text: string, where: string) => text.split('\n').find((l) => l.includes(where));

describe('荣誉 rows and the team’s 注册日期 (第十六条)', () => {
  it('a team added by the same file: a title before its registration year refused, one of that year kept with a note', async () => {
    const card = await preview(
      await workbook(
        [['GDSZ-2025-0100', '新建养护班', '广州市政工程第一公司', '项目团队', '13900001111', '班长甲', 'c1@example.com', '联系人甲', '2025-06-01', 10, '养护部']],
        [
          ['GDSZ-2025-0100', 2020, '广东省市政工程质量信得过班组'],
          ['GDSZ-2025-0100', 2025, '广东省市政工程质量信得过班组'],
        ],
      ),
    );
    const text = cardText(card);
    expect(lineOf(text, '荣誉第 2 行'), text).toMatch(/2020 年度的称号早于该班组的注册日期 2025年6月1日，而班组注册一年后方可参加评选（第十六条），请核对本行的年度，或“班组”表中该班组的注册日期/);
    expect(lineOf(text, '荣誉第 3 行')).toBeUndefined();
    expect(text).toContain('“荣誉”表第 3 行的称号年度与班组注册同年（第十六条规定班组注册一年后方可参加评选），仍照文件导入');
    await apply(card);
    expect(await yearsHeld('GDSZ-2025-0100')).toEqual([2025]);
  });

  it('a team already in the bot, not in the file: its 注册日期 on record decides', async () => {
    await apply(await preview(await workbook([['GDSZ-2024-0200', '老牌养护班', '广州市政工程第一公司', '项目团队', '13900002222', '班长乙', 'c1@example.com', '联系人甲', '2024-02-20', 12, '养护部']], [])));
    const card = await preview(
      await workbook(
        [],
        [
          ['GDSZ-2024-0200', 2023, '广东省市政工程质量信得过班组'],
          ['老牌养护班', 2024, '广东省市政工程质量信得过班组'],
          ['GDSZ-2024-0200', 2025, '广东省市政工程质量信得过班组'],
        ],
      ),
    );
    const text = cardText(card);
    expect(lineOf(text, '荣誉第 2 行'), text).toMatch(/2023 年度的称号早于该班组的注册日期 2024年2月20日，而班组注册一年后方可参加评选（第十六条）/);
    expect(text).toContain('“荣誉”表第 3 行的称号年度与班组注册同年');
    expect(lineOf(text, '荣誉第 4 行')).toBeUndefined();
    await apply(card);
    expect(await yearsHeld('GDSZ-2024-0200')).toEqual([2024, 2025]);
  });

  it('the file moving a team’s 注册日期 later: its titles are read against the date the file gives', async () => {
    const card = await preview(
      await workbook(
        [['GDSZ-2024-0200', '老牌养护班', '广州市政工程第一公司', '项目团队', '13900002222', '班长乙', 'c1@example.com', '联系人甲', '2025-03-01', 12, '养护部']],
        [['GDSZ-2024-0200', 2024, '广东省市政工程质量信得过班组']],
      ),
    );
    expect(lineOf(cardText(card), '荣誉第 2 行')).toMatch(/2024 年度的称号早于该班组的注册日期 2025年3月1日/);
  });
});
