import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { inputValues } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A 班组长 on a phone's Chinese keyboard: a mobile in full-width digits in the look-up fields (注册's 单位联系人, 添加成员)
 * is the same mobile, as 联系电话 on the same form already takes it; a 联系电话 of separators alone (“-------”) is no
 * number and is refused naming the field, in 注册 and 修改资料, as is a mobile a digit short or long (1380000001), there and
 * in the look-up field, while a landline with or without its area code, a +86 form and an extension after 转 are taken;
 * 成员人数 typed “12个” or “１２个人” is 12, as “12人” is. A label before a number (手机 13800000009, 座机：020-…) is taken; 11
 * digits beginning 10–12 (no mobile, no landline) and a number with two extensions are refused.
 * On both paths (the one-statement path and the ordinary one).
 */

for (const fast of [true, false]) {
  describe(`what a phone keyboard types (fast paths ${fast ? 'on' : 'off'})`, () => {
    let h: Harness;
    let n = 0;
    const leader = () => `ou_phonekeyboard${fast ? 'f' : 'o'}${String(++n).padStart(17, '0')}`;
    const contact = `ou_phonekeyboardcontact${fast ? 'f' : 'o'}00000000001`;

    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
      h.app.processor.fastPaths = fast;
    }, 120_000);
    afterAll(async () => h?.close());

    it('注册 finds the 单位联系人 typed by a full-width mobile, with or without ideographic spaces', async () => {
      const li = h.fake.addUser({ name: '李联系人', mobile: '13800000002' });
      for (const [i, typed] of ['138 0000 0002', '１３８０００００００２', '１３８　００００　０００２'].entries()) {
        const me = leader();
        const answer = await h.click(me, { action: 'team.register' }, registrationForm(`市政养护联系${i}班`, '', { contact: undefined, contactLookup: typed }));
        expect(answer.toast, typed).toEqual({ type: 'success', content: expect.stringContaining('注册成功') });
        const [team] = await h.db.db.select({ contact: teams.contactOpenId }).from(teams).where(eq(teams.leaderOpenId, me));
        expect(team.contact, typed).toBe(li.openId);
      }
    });

    it('添加成员 finds a member typed by a full-width mobile', async () => {
      const wang = h.fake.addUser({ name: '王班员', mobile: '13900000003' });
      const me = leader();
      expect((await h.click(me, { action: 'team.register' }, registrationForm('市政养护成员班', contact))).toast.type).toBe('success');
      const [team] = await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, me));
      const answer = await h.click(me, { action: 'team.memberAdd', teamId: team.id }, { membersLookup: '１３９ ００００ ０００３' });
      expect(answer.toast).toEqual({ type: 'success', content: '已添加 1 名成员' });
      expect((await h.db.db.select().from(teamMembers).where(eq(teamMembers.teamId, team.id))).map((m) => m.openId)).toContain(wang.openId);
    });

    it('注册 refuses a 联系电话 of separators alone naming it, keeps what was typed, saves nothing', async () => {
      const me = leader();
      // a colon is taken only after a label (座机：…): 020:12345678 is no number
      for (const phone of ['-------', '( ) ( ) (', '＋＋＋＋＋＋＋', '020:12345678']) {
        const answer = await h.click(me, { action: 'team.register' }, registrationForm('市政养护电话班', contact, { phone }));
        expect(answer.toast, phone).toEqual({ type: 'error', content: '联系电话须为电话号码（至少 7 位数字，可含 - + 空格、括号和“转”分机，两个号码用顿号隔开），如 020-××××××××' });
        expect(inputValues(answer.card.data).teamName).toBe('市政养护电话班');
      }
      expect(await h.db.db.select({ id: teams.id }).from(teams).where(eq(teams.leaderOpenId, me))).toEqual([]);
    });

    it('修改资料 refuses it too and keeps the phone on file', async () => {
      const me = leader();
      expect((await h.click(me, { action: 'team.register' }, registrationForm('市政养护资料班', contact))).toast.type).toBe('success');
      const [team] = await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, me));
      const answer = await h.click(me, { action: 'team.editSave', teamId: team.id }, { phone: '-------' });
      expect(answer.toast).toEqual({ type: 'error', content: '联系电话须为电话号码（至少 7 位数字，可含 - + 空格、括号和“转”分机，两个号码用顿号隔开），如 020-××××××××' });
      expect((await h.db.db.select({ phone: teams.phone }).from(teams).where(eq(teams.id, team.id)))[0].phone).toBe('020-12345678');
    });

    it('注册 refuses a 联系电话 that is a mobile a digit short or long, naming the field and its digits; saves nothing', async () => {
      const me = leader();
      for (const [phone, digits] of [['1380000001', 10], ['13800000', 8], ['138 0000 00012', 12], ['+86 1380000001', 10], ['１３８００００００１', 10], ['86 1380000000', 10], ['86 138 0000 00012', 12]] as const) {
        const answer = await h.click(me, { action: 'team.register' }, registrationForm('市政养护手机班', contact, { phone }));
        expect(answer.toast, phone).toEqual({ type: 'error', content: `联系电话中的手机号应为 11 位数字，这里是 ${digits} 位，请核对后重填（座机号码请连区号填写，如 020-××××××××）` });
        expect(inputValues(answer.card.data).phone, phone).toBe(phone);
      }
      // two numbers written together: which digits are wrong is not known, what to do is
      const glued = await h.click(me, { action: 'team.register' }, registrationForm('市政养护手机班', contact, { phone: '1380000000912345678' }));
      expect(glued.toast.content).toBe('联系电话中的手机号应为 11 位数字，这里是 19 位，请核对后重填（座机号码请连区号填写，如 020-××××××××；两个号码请用顿号隔开，如 138××××××××、020-××××××××）');
      expect(await h.db.db.select({ id: teams.id }).from(teams).where(eq(teams.leaderOpenId, me))).toEqual([]);
    });

    it('注册 takes a landline with or without its area code, a +86 or 86 form, an extension after 转, 分机, ext or #, a Chinese keyboard’s dash and two numbers set apart by a space, as 协会联系方式 does', async () => {
      const extensions = ['020-1234567 分机 8001', '020-1234567分机号8001', '020-1234567 ext. 8001', '020-1234567 EXT 8001', '020-1234567#8001', '020—12345678', '020－12345678 转 8001', '13800000009；020-12345678', '13800000009; 020-12345678'];
      // what says which number it is, typed before it
      const labelled = ['手机13800000009', '手机 13800000009', '座机:020-12345678、手机 13800000009', 'Tel: 020-12345678', '办公电话020-12345678 转 8001', '座机号:020-12345678', 'Telephone: 020-12345678', '手机 138 0000 0009 座机 020-12345678', '020-12345678转分机8001'];
      for (const [i, phone] of ['020-12345678', '0755 1234 5678', '12345678', '86123456', '+86 138 0000 0009', '86 13800000009', '+86 20 1234 5678', '020-1234567 转 8001', '13800000009', '13800000009 020-12345678', '13800000009 12345678', ...extensions, ...labelled].entries()) {
        const me = leader();
        const answer = await h.click(me, { action: 'team.register' }, registrationForm(`市政养护座机${i}班`, contact, { phone }));
        expect(answer.toast, `${phone}: ${answer.toast.content}`).toMatchObject({ type: 'success' });
        // kept as typed, in half width (src/forms.ts)
        expect((await h.db.db.select({ phone: teams.phone }).from(teams).where(eq(teams.leaderOpenId, me)))[0].phone).toBe(phone.replace('－', '-').replace('；', ';'));
      }
    });

    it('注册 refuses 11 digits no mobile begins with, and a number with two extensions, naming the field; saves nothing', async () => {
      const me = leader();
      for (const phone of ['12345678901', '手机 10012345678', '123 4567 8901', '+86 120 1234 5678']) {
        const answer = await h.click(me, { action: 'team.register' }, registrationForm('市政养护号码班', contact, { phone }));
        expect(answer.toast, phone).toEqual({ type: 'error', content: '联系电话中的 11 位号码不是手机号（手机号以 13–19 开头），请核对后重填（座机号码请连区号填写，如 020-××××××××）' });
        expect(inputValues(answer.card.data).phone, phone).toBe(phone);
      }
      const twice = await h.click(me, { action: 'team.register' }, registrationForm('市政养护号码班', contact, { phone: '020-1234567 转 8001 转 9' }));
      expect(twice.toast).toEqual({ type: 'error', content: '联系电话中一个号码只能有一个分机，如 020-1234567 转 8001；两个号码请用顿号隔开' });
      expect(await h.db.db.select({ id: teams.id }).from(teams).where(eq(teams.leaderOpenId, me))).toEqual([]);
      // 手机 before a mobile a digit short: still the mobile's length that is told
      const short = await h.click(me, { action: 'team.register' }, registrationForm('市政养护号码班', contact, { phone: '手机：1380000000' }));
      expect(short.toast.content).toBe('联系电话中的手机号应为 11 位数字，这里是 10 位，请核对后重填（座机号码请连区号填写，如 020-××××××××）');
    });

    it('修改资料 refuses a mobile a digit short, keeping the phone on file, and saves an extension', async () => {
      const me = leader();
      expect((await h.click(me, { action: 'team.register' }, registrationForm('市政养护分机班', contact))).toast.type).toBe('success');
      const [team] = await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, me));
      const refused = await h.click(me, { action: 'team.editSave', teamId: team.id }, { phone: '1380000001' });
      expect(refused.toast).toEqual({ type: 'error', content: '联系电话中的手机号应为 11 位数字，这里是 10 位，请核对后重填（座机号码请连区号填写，如 020-××××××××）' });
      expect((await h.db.db.select({ phone: teams.phone }).from(teams).where(eq(teams.id, team.id)))[0].phone).toBe('020-12345678');
      expect((await h.click(me, { action: 'team.editSave', teamId: team.id }, { phone: '020-1234567 转 8001' })).toast.type).toBe('success');
      expect((await h.db.db.select({ phone: teams.phone }).from(teams).where(eq(teams.id, team.id)))[0].phone).toBe('020-1234567 转 8001');
    });

    it('注册 refuses a 单位联系人 typed as a mobile a digit short, saying so rather than that no one has it', async () => {
      const me = leader();
      const answer = await h.click(me, { action: 'team.register' }, registrationForm('市政养护查找班', '', { contact: undefined, contactLookup: '1380000002' }));
      expect(answer.toast).toEqual({ type: 'error', content: '单位联系人：“1380000002”少了数字，手机号应为 11 位数字，这里是 10 位，请改正。' });
      expect(await h.db.db.select({ id: teams.id }).from(teams).where(eq(teams.leaderOpenId, me))).toEqual([]);
    });

    it('reads 成员人数 typed as 12个 or １２个人 as 12', async () => {
      for (const [i, typed] of ['12个', '１２个人'].entries()) {
        const me = leader();
        const answer = await h.click(me, { action: 'team.register' }, registrationForm(`市政养护人数${i}班`, contact, { memberCount: typed }));
        expect(answer.toast.type, `${typed}: ${answer.toast.content}`).toBe('success');
        expect((await h.db.db.select({ n: teams.memberCount }).from(teams).where(eq(teams.leaderOpenId, me)))[0].n).toBe(12);
      }
    });
  });
}
