import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bulkJobs, imports } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, startHarness, TEST_VERIFICATION_TOKEN, type Harness } from '../support/harness.js';
import { fileMessageEvent } from '../support/larkEvents.js';
import { registrationForm } from '../support/forms.js';

/**
 * An app set up without a permission Feishu asks for (not requested, or not in the published version): Feishu answers
 * the call HTTP 400, 99991672 "Access denied. One of the following scopes is required: […]"
 * (https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code), and keeps answering so until an
 * administrator of the app adds it. An import is told which permission to add, not “意外错误，请点重试”, and no alert
 * goes out as for a fault; the same workbook sent again once it is added is read.
 */
let h: Harness;
const clock = new ManualClock('2026-03-01T09:00:00+08:00');
beforeAll(async () => {
  h = await startHarness({ clock });
  h.fake.addUser({ name: '王班长', mobile: '13911110001' });
  h.fake.addUser({ name: '周联系人', mobile: '13911110002' });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.grantScopes('contact:user.id:readonly', 'im:message', 'im:message:readonly'));

async function workbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['佛山市政养护公司']]);
  wb.addWorksheet('班组').addRows([
    ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
    ['', '排水一班', '佛山市政养护公司', '行政班组', '13911110001', '王班长', '13911110002', '周联系人', '2024-05-06', 12, ''],
  ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

let n = 0;
async function sendWorkbook(): Promise<string> {
  n++;
  h.fake.addMessageFile(`om_scope_${n}`, `file_v2_scope_${n}`, await workbook());
  await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: `om_scope_${n}`, fileKey: `file_v2_scope_${n}`, fileName: '佛山班组.xlsx' }));
  await h.drain();
  const texts = h.fake.messages.filter((m) => m.receiveId === ADMIN || m.replyTo === `om_scope_${n}`).map((m) => (m.msgType === 'text' ? String(m.content.text) : JSON.stringify(m.content)));
  return texts.at(-1) ?? '';
}

describe('an import while the app lacks a permission', () => {
  it('contact:user.id:readonly missing: the administrator is told to add it, the job is not failed, nobody is alerted; sent again once added, the preview comes', async () => {
    h.fake.revokeScopes('contact:user.id:readonly');
    const before = h.fake.messages.length;
    const said = await sendWorkbook();
    expect(said).toContain('contact:user.id:readonly');
    expect(said).toContain('开发者后台');
    expect(said).not.toContain('意外错误');
    // the receipt of the file, and the answer: no alert of a failed job beside them
    const sent = h.fake.messages.slice(before).map((m) => JSON.stringify(m.content));
    expect(sent).toHaveLength(2);
    expect(sent.filter((t) => /未完成|意外错误|重试/.test(t))).toEqual([]);
    const jobs = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'importPreview'));
    expect(jobs.at(-1)?.status).toBe('done');
    expect(await h.db.db.select().from(imports)).toHaveLength(0);

    h.fake.grantScopes('contact:user.id:readonly');
    const again = await sendWorkbook();
    expect(again).toContain('排水一班');
    expect(await h.db.db.select().from(imports)).toHaveLength(1);
  });

  it('no permission to read the file in the message: told which to add', async () => {
    h.fake.revokeScopes('im:message', 'im:message:readonly');
    const said = await sendWorkbook();
    expect(said).toContain('im:message:readonly');
    expect(said).not.toContain('意外错误');
    const jobs = await h.db.db.select().from(bulkJobs).where(eq(bulkJobs.kind, 'importPreview'));
    expect(jobs.at(-1)?.status).toBe('done');
  });
});

describe('a form’s look-up field while the app lacks contact:user.id:readonly', () => {
  it('注册 naming the contact by mobile: told the bot cannot look people up yet and to pick from the list, not to try later', async () => {
    h.fake.revokeScopes('contact:user.id:readonly');
    const leader = 'ou_scope_leader000000000000000001';
    const res = await h.click(leader, { action: 'team.register' }, registrationForm('查号班', '', { contactLookup: '13911110002' }));
    expect(res.toast?.type).toBe('error');
    const said = JSON.stringify(res);
    expect(said).toContain('contact:user.id:readonly');
    expect(said).toContain('从列表中选择');
    expect(said).not.toContain('请稍后再试');
  });
});
