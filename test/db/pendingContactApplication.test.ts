import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { applicationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { fileMessageEvent } from '../support/larkEvents.js';

/**
 * A team imported with a contact the address book did not show yet (pending until they message the bot) applies: the
 * leader is told the contact has not joined yet, rather than that the materials went to them; and when the contact
 * sends the bot a first message and is linked, the request to confirm the application (第十五条) reaches them.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
});
afterAll(async () => {
  await h?.close();
});

describe('an application whose contact is not yet linked', () => {
  it('tells the leader so, and sends the contact the request once they are linked', async () => {
    const leader = h.fake.addUser({ name: '张班长', mobile: '13911112222' }).openId;
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政一公司']]);
    wb.addWorksheet('班组').addRows([
      ['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门'],
      ['GDSZ-2024-0100', '养护一班', '广州市政一公司', '项目团队', '13911112222', '张班长', 'hr@gzsz1.com', '李联系人', '2024-03-01', 12, ''],
    ]);
    h.fake.addMessageFile('om_pendingcontact1', 'fk_pendingcontact1', Buffer.from(await wb.xlsx.writeBuffer()));
    await h.post('/lark/events', fileMessageEvent({ token: TEST_VERIFICATION_TOKEN, openId: ADMIN, messageId: 'om_pendingcontact1', fileKey: 'fk_pendingcontact1', fileName: '名单.xlsx' }));
    await h.drain();
    const preview = [...h.fake.messages].reverse().find((m) => m.receiveId === ADMIN)!;
    await h.click(ADMIN, cardActions(preview.content).find((a) => a.action === 'import.apply') as never);
    await h.drain();
    expect((await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15' })).toast?.type).toBe('success');
    const [team] = await h.db.db.select().from(teams);
    expect(team.contactOpenId.startsWith('pending:')).toBe(true);

    const submitted = await h.click(leader, { action: 'application.submit', teamId: team.id, year: 2027 }, applicationForm());
    expect(submitted.toast?.type).toBe('success');
    const text = cardText(submitted.card.data);
    expect(text).toContain('尚未在飞书中与机器人关联');
    expect(text).not.toContain('申报材料已发送给单位联系人');

    const contact = h.fake.addUser({ name: '李联系人', email: 'hr@gzsz1.com' }).openId;
    await h.say(contact, '你好');
    await h.drain();
    const [application] = await h.db.db.select().from(applications);
    const requests = h.fake.messages.filter((m) => m.receiveId === contact && m.msgType === 'interactive' && cardActions(m.content).some((a) => a.action === 'endorse.recommend' && a.applicationId === application.id));
    expect(requests).toHaveLength(1);
    expect(cardText(requests[0].content)).toContain('请确认申报材料：养护一班');
  });
});
