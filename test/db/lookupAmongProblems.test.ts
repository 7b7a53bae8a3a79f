import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people, teams } from '../../db/schema.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/**
 * 注册 and 修改资料 with a 单位联系人 typed by mobile that Feishu does not find and other mistakes on the form: every
 * problem is told at once (N 处需修改：1. …；2. …, the card's list), as the 申报表 tells them, not the look-up first and the
 * rest on the next submit; the card comes back with what was typed.
 */
const LEADER = 'ou_lookupamong_leader0000000000001';
const CONTACT = 'ou_lookupamong_contact000000000001';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.db.db.insert(people).values({ openId: CONTACT, name: '王联系' });
});
afterAll(async () => {
  await h?.close();
});

const text = (card: unknown) => JSON.stringify(card);

describe('a contact not found beside other mistakes', () => {
  it('注册: the look-up and 成员人数 are refused together, the form kept as typed', async () => {
    const res = await h.click(LEADER, { action: 'team.register' }, registrationForm('查无此人班', '', { memberCount: '十二', phone: '12', contactLookup: '13900000000' }));
    expect(res.toast.type).toBe('error');
    expect(res.toast.content).toMatch(/^3 处需修改：1\. /);
    const card = text(res.card?.data);
    expect(card).toContain('没有找到 手机号 13900000000');
    expect(card).toContain('成员人数');
    expect(card).toContain('联系电话');
    // what was typed is on the card returned
    expect(card).toContain('查无此人班');
    expect(card).toContain('13900000000');
    expect(await h.db.db.select().from(teams).where(eq(teams.name, '查无此人班'))).toEqual([]);
  });

  it('注册: a look-up not found on an otherwise good form is refused alone, as before', async () => {
    const res = await h.click(LEADER, { action: 'team.register' }, registrationForm('查无此人班', '', { contactLookup: '13900000000' }));
    expect(res.toast.content).toMatch(/^单位联系人：没有找到 手机号 13900000000/);
  });

  it('修改资料: the look-up and 成员人数 are refused together', async () => {
    const ok = await h.click(LEADER, { action: 'team.register' }, registrationForm('资料班', CONTACT));
    expect(ok.toast.type, JSON.stringify(ok.toast)).toBe('success');
    const [t] = await h.db.db.select().from(teams).where(eq(teams.name, '资料班'));
    const res = await h.click(LEADER, { action: 'team.editSave', teamId: t.id }, { contact: CONTACT, contactLookup: 'nobody@example.com', memberCount: '0' });
    expect(res.toast.content).toMatch(/^2 处需修改：1\. /);
    const card = text(res.card?.data);
    expect(card).toContain('没有找到 邮箱 nobody@example.com');
    expect(card).toContain('成员人数');
    const [after] = await h.db.db.select().from(teams).where(eq(teams.id, t.id));
    expect(after.contactOpenId).toBe(CONTACT);
  });

  it('添加专家: the look-up and 评审上限 are refused together; 不限 typed is no problem of the form', async () => {
    const res = await h.click(ADMIN, { action: 'experts.add' }, { expertsLookup: '13900000001', organization: '', specialities: '道路', maxLoad: '很多' });
    expect(res.toast.content).toMatch(/^3 处需修改：1\. /);
    const card = text(res.card?.data);
    expect(card).toContain('没有找到 手机号 13900000001');
    expect(card).toContain('评审上限');
    const alone = await h.click(ADMIN, { action: 'experts.add' }, { expertsLookup: '13900000001', organization: '广州市市政工程设计研究总院', specialities: '无', maxLoad: '不限' });
    expect(alone.toast.content).toMatch(/^专家：没有找到 手机号 13900000001/);
  });
});
