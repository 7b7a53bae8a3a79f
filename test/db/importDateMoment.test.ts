import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { importDate } from '../../src/import/plan.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { cardActionEvent, fileMessageEvent } from '../support/larkEvents.js';

/**
 * A 注册日期 that another system exported as a moment with its offset: Beijing's midnight of 15 March written in UTC,
 * 2024-03-14T16:00:00.000Z (JSON's way of writing a date), was imported as registered on 14 March, a day early, which
 * moves the day 第十六条's year is counted from; it is the day that moment is in BOT_TIMEZONE. A day written as a day,
 * or with the date picker's offset and no time, is the day written.
 */

const TEAM_HEADER = ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'];

async function workbook(teamRows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政工程第一公司']]);
  wb.addWorksheet('班组').addRows([TEAM_HEADER, ...teamRows]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const row = (code: string, name: string, registeredAt: string) => [code, name, '广州市政工程第一公司', '项目团队', '13900001111', '班长甲', 'c1@example.com', '联系人甲', registeredAt, 10, '养护部'];

describe.each([
  { zone: 'Asia/Shanghai', moments: [['GDSZ-2024-0101', '时刻一班', '2024-03-14T16:00:00.000Z', '2024-03-15'], ['GDSZ-2024-0102', '时刻二班', '2024-03-15T00:00:00+08:00', '2024-03-15'], ['GDSZ-2024-0103', '时刻三班', '2024-03-15 23:30:00 -0500', '2024-03-16']] },
  { zone: 'America/New_York', moments: [['GDSZ-2024-0101', '时刻一班', '2024-03-15T04:00:00Z', '2024-03-15'], ['GDSZ-2024-0102', '时刻二班', '2024-03-15T00:00:00+08:00', '2024-03-14'], ['GDSZ-2024-0103', '时刻三班', '2024-03-15 +0800', '2024-03-15']] },
])('a 注册日期 written as a moment, BOT_TIMEZONE $zone', ({ zone, moments }) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), env: { BOT_TIMEZONE: zone } });
    h.fake.addUser({ name: '班长甲', mobile: '13900001111' });
    h.fake.addUser({ name: '联系人甲', email: 'c1@example.com' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is registered on that moment’s day there, as the preview shows it', async () => {
    h.fake.addMessageFile('om_idm_1', 'file_idm_1', await workbook(moments.map(([code, name, at]) => row(code, name, at))));
    await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_idm_1', fileKey: 'file_idm_1', fileName: '名册.xlsx' }));
    await h.drain();
    const card = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN)!.content;
    expectValidCard(card);
    expect(cardText(card)).not.toContain('无法识别');
    const confirm = cardActions(card).find((a) => a.action === 'import.apply')!;
    expect(confirm, cardText(card)).toBeDefined();
    await h.post('/lark/cards', cardActionEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, value: { action: 'import.apply', importId: confirm.importId }, messageId: 'om_idm_preview_1' }));
    await h.drain();
    for (const [code, , at, day] of moments) {
      const [team] = await h.db.db.select().from(teams).where(eq(teams.code, code));
      expect(team?.registeredAt, `${at} in ${zone}`).toBe(day);
    }
  });
});

describe('importDate', () => {
  it('reads a moment in the zone given, a day as written', () => {
    expect(importDate('2024-03-14T16:00:00.000Z', 'Asia/Shanghai')).toBe('2024-03-15');
    expect(importDate('2024-03-14T15:59:59Z', 'Asia/Shanghai')).toBe('2024-03-14');
    expect(importDate('2024-03-14 16:00', 'Asia/Shanghai')).toBe('2024-03-14');
    expect(importDate('2024-03-14 +0800', 'America/New_York')).toBe('2024-03-14');
    expect(importDate('2024/3/14 0:00:00', 'America/New_York')).toBe('2024-03-14');
    expect(importDate('2024-02-30T16:00:00Z', 'Asia/Shanghai')).toBeUndefined();
  });
});
