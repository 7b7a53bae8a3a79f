import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness, workbookSender } from '../support/harness.js';

/**
 * What an administrator is told when what they sent cannot be imported as it is. A workbook of 60 rows carrying a pasted
 * 11 MB picture was told only to split it into several workbooks; a link to the list on Feishu (飞书表格, 多维表格, a 知识库
 * page), sent for the file, was answered 没有听懂这句话 or with 第二十条.
 */
let h: Harness;
const LEADER = 'ou_fileadviceleader0000000000001';
const CONTACT = 'ou_fileadvicecontact000000000001';
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  expect((await h.click(LEADER, { action: 'team.register' }, registrationForm('市政养护一班', CONTACT))).toast.type).toBe('success');
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());
const send = workbookSender(() => h, 'advice');

/** The one message `who` got for what they said. */
async function answerOf(who: string, text: string): Promise<string> {
  await h.say(who, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === who);
  expect(sent).toHaveLength(1);
  const [m] = sent;
  return m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`;
}

describe('a file too large', () => {
  it('of few rows and a large picture: says the size may come from pictures and to delete them, or to split many rows', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
    const ws = wb.addWorksheet('班组');
    ws.addRow(['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']);
    for (let i = 1; i <= 60; i++) ws.addRow(['', `养护${i}班`, '广州市政公司', '行政班组', `138000000${String(i).padStart(2, '0')}`, '张', '13900000001', '李', '2023-05-01', 12, '']);
    // a screenshot pasted in: bytes that do not compress
    const picture = wb.addImage({ buffer: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(11 * 1024 * 1024)]) as never, extension: 'png' });
    ws.addImage(picture, 'M2:P10');
    const m = await send(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(m.msgType).toBe('text');
    const text = String(m.content.text);
    expect(text).toMatch(/^文件超过 10 MB/);
    expect(text).toContain('图片');
    expect(text).toMatch(/删除/);
    expect(text).toContain('分成几个工作簿');
  }, 60_000);
});

describe('a link to the list on Feishu instead of the file', () => {
  it.each([
    'https://gdsz.feishu.cn/sheets/shtcnAbCdEf123456',
    'https://gdsz.feishu.cn/sheets/shtcnAbCdEf123456 班组名单',
    '导入 https://gdsz.feishu.cn/sheets/shtcnAbCdEf123456',
    '名单在这里 https://gdsz.feishu.cn/base/bascnAbCdEf123456?table=tbl1',
    'https://gdsz.feishu.cn/wiki/wikcnAbCdEf123456',
    // an Excel file uploaded to the cloud drive, or its folder
    'https://gdsz.feishu.cn/file/boxcnAbCdEf123456',
    '导入 https://gdsz.feishu.cn/drive/folder/fldcnAbCdEf123456',
  ])('%j from an administrator: download it as Excel and send the file', async (text) => {
    const answer = await answerOf(ADMIN, text);
    expect(answer).toMatch(/^这是飞书云文档的链接/);
    expect(answer).toContain('下载为 → Excel');
    expect(answer).toContain('.xlsx 文件直接发给我');
  });

  it('from a team leader: answered as before, not told to import', async () => {
    expect(await answerOf(LEADER, 'https://gdsz.feishu.cn/sheets/shtcnAbCdEf123456')).not.toMatch(/飞书云文档|Excel/);
  });

  it('a link elsewhere from an administrator is no sheet to import', async () => {
    expect(await answerOf(ADMIN, 'https://www.gdsz.org.cn/news/2026.html')).not.toMatch(/飞书云文档/);
  });
});
