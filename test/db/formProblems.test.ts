import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText, inputValues } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';

/**
 * A form is refused with every problem at once: one line per field in the form's order under the card's 请修改, the toast
 * saying how many and the first, what was typed kept. 材料链接 with words after it is refused, not encoded into a link that
 * does not open; 活动起止日期 are held to the review's year and its application deadline. The same on the one-statement
 * path (PostgreSQL) as on the ordinary one.
 */

const L = 'ou_leader00000000000000000000000001';
const C = 'ou_contact0000000000000000000000001';
const NEW_LEADER = 'ou_newleader000000000000000000000001';
const submit = { action: 'application.submit', teamId: 1, year: 2027 };
const lastTo = (h: Harness, openId: string) => h.fake.messages.filter((m) => m.receiveId === openId).at(-1)!;

for (const mode of MODES_HERE) {
  describe(`form problems (${mode})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
      h.app.processor.fastPaths = mode === 'fast';
      await h.click(L, { action: 'team.register' }, registrationForm('一班', C));
      h.clock.set('2027-03-10T09:00:00+08:00');
      await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
    }, 120_000);
    afterAll(async () => h?.close());

    it('a 申报表 with five mistakes is refused once, each named in the form’s order, what was typed kept', async () => {
      const typed = applicationForm({ title: '', examPassRate: 'abc', materialsUrl: 'foo', endDate: '2026-01-01', customer: '' });
      const a = await h.click(L, submit, typed);
      expect(a.toast).toEqual({
        type: 'error',
        content:
          '5 处需修改：1. 请填写成果名称；2. 活动结束日期（2026年1月1日）早于开始日期（2026年4月1日），请核对活动起止日期；3. 考试合格率（%）须为数字；4. 请填写顾客确认与满意情况；5. 材料链接须为以 http:// 或 https:// 开头的链接',
      });
      const text = cardText(a.card.data);
      expect(text).toContain(
        [
          "<font color='red'>**请修改（共 5 处）：**</font>",
          '- 请填写成果名称',
          '- 活动结束日期（2026年1月1日）早于开始日期（2026年4月1日），请核对活动起止日期',
          '- 考试合格率（%）须为数字',
          '- 请填写顾客确认与满意情况',
          // the colon of :// written as an entity in card markdown (shown as typed, never linked)
          '- 材料链接须为以 http&#58;// 或 https&#58;// 开头的链接',
        ].join('\n'),
      );
      expect(inputValues(a.card.data)).toMatchObject({ examPassRate: 'abc', materialsUrl: 'foo', qc: typed.qc });
      // all fixed, one more submit
      const fixed = await h.click(L, submit, { ...typed, title: '成果', examPassRate: '95', materialsUrl: 'https://example.feishu.cn/docx/abc', endDate: '2027-03-31', customer: '满意' });
      expect(fixed.toast).toEqual({ type: 'success', content: '已提交，等待单位联系人确认（第十五条）' });
      // back to a returned one for the next cases
      await h.click(C, { action: 'endorse.return', applicationId: 1 }, { opinion: '请再核对' });
      expect((await h.db.db.select().from(applications))[0].status).toBe('returned');
    });

    it('a single mistake reads as before', async () => {
      const a = await h.click(L, submit, applicationForm({ title: '' }));
      expect(a.toast).toEqual({ type: 'error', content: '请填写成果名称' });
      expect(cardText(a.card.data)).toContain("<font color='red'>**请修改：** 请填写成果名称</font>");
    });

    it('申报 with a link that is none and 考试合格率 88 names both in one submit, 第七条 cited in the field’s place; nothing submitted', async () => {
      const typed = applicationForm({ materialsUrl: 'foo', examPassRate: '88' });
      const a = await h.click(L, submit, typed);
      expect(a.toast).toEqual({
        type: 'error',
        content: '2 处需修改：1. 第七条第4款：班组成员培训率和考试合格率须达 90% 以上；考试合格率 88% 低于 90%。请核实所填数值；达到 90% 后方可申报；2. 材料链接须为以 http:// 或 https:// 开头的链接',
      });
      expect(cardText(a.card.data)).toContain(
        [
          "<font color='red'>**请修改（共 2 处）：**</font>",
          '- 第七条第4款：班组成员培训率和考试合格率须达 90% 以上；考试合格率 88% 低于 90%。请核实所填数值；达到 90% 后方可申报。',
          '- 材料链接须为以 http&#58;// 或 https&#58;// 开头的链接',
        ].join('\n'),
      );
      expect(inputValues(a.card.data)).toMatchObject({ examPassRate: '88', materialsUrl: 'foo', title: typed.title });
      expect((await h.db.db.select().from(applications))[0].status).toBe('returned');
      // 事故 declared beside a blank field (第十三条第5款); a rate that is no number is told so and not judged against 90%
      const b = await h.click(L, submit, applicationForm({ title: '', accidents: 'some', trainingRate: 'abc', examPassRate: '80' }));
      expect(b.toast.content).toBe(
        '4 处需修改：1. 请填写成果名称；2. 培训率（%）须为数字；3. 第七条第4款：班组成员培训率和考试合格率须达 90% 以上；考试合格率 80% 低于 90%。请核实所填数值；达到 90% 后方可申报；' +
          '4. 第十三条第5款：班组近三年须无质量、安全、环保事故：有事故的班组，事故满三年后方可申报；如选错，请改选“无”',
      );
      expect((await h.db.db.select().from(applications))[0].status).toBe('returned');
    });

    it('注册 with 成员人数 十二人 and a phone that is none names both in one submit; no team', async () => {
      const r = await h.click(NEW_LEADER, { action: 'team.register' }, registrationForm('二班', C, { memberCount: '十二人', phone: 'abc' }));
      expect(r.toast).toEqual({ type: 'error', content: '2 处需修改：1. 联系电话须为电话号码（至少 7 位数字，可含 - + 空格、括号和“转”分机，两个号码用顿号隔开），如 020-××××××××；2. 成员人数须为数字' });
      expect(cardText(r.card.data)).toContain("**请修改（共 2 处）：**</font>\n- 联系电话须为电话号码（至少 7 位数字，可含 - + 空格、括号和“转”分机，两个号码用顿号隔开），如 020-××××××××\n- 成员人数须为数字");
      expect(inputValues(r.card.data)).toMatchObject({ teamName: '二班', memberCount: '十二人', phone: 'abc' });
      expect(await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, NEW_LEADER))).toEqual([]);
    });

    it('注册 with three mistakes names the three', async () => {
      const r = await h.click(NEW_LEADER, { action: 'team.register' }, registrationForm('', C, { phone: 'x', memberCount: '0' }));
      expect(r.toast.type).toBe('error');
      expect(r.toast.content).toMatch(/^3 处需修改：1\. 请填写班组名称；2\. 联系电话[^；]*；3\. 成员人数须在 1 到 \d+ 人之间/);
      const text = cardText(r.card.data);
      expect(text).toContain("**请修改（共 3 处）：**</font>\n- 请填写班组名称\n- 联系电话");
      expect(text).toMatch(/\n- 成员人数须在 1 到 \d+ 人之间/);
      expect(await h.db.db.select().from(teams).where(eq(teams.leaderOpenId, NEW_LEADER))).toEqual([]);
    });

    it('材料链接 with words after it is refused; spaces around it are dropped', async () => {
      const a = await h.click(L, submit, applicationForm({ materialsUrl: 'https://example.feishu.cn/docx/abc 申报材料（请查阅）' }));
      expect(a.toast).toEqual({ type: 'error', content: '材料链接中不能有空格或文字说明，只填链接' });
      expect((await h.db.db.select().from(applications))[0].status).toBe('returned');
      // the field says to open the document to the organisation
      expect(JSON.stringify(a.card.data)).toContain('组织内获得链接的人可阅读');
      const ok = await h.click(L, submit, applicationForm({ materialsUrl: '  https://example.feishu.cn/docx/abc\u3000' }));
      expect(ok.toast.type).toBe('success');
      expect((await h.db.db.select().from(applications))[0].form).toMatchObject({ materialsUrl: 'https://example.feishu.cn/docx/abc' });
      expect(cardText(lastTo(h, C).content)).toContain('[查看完整材料](https://example.feishu.cn/docx/abc)');
      await h.click(C, { action: 'endorse.return', applicationId: 1 }, { opinion: '请再核对' });
    });

    it('活动起止日期 of 1900 to 2099 are refused, both named; an end after the deadline too', async () => {
      const a = await h.click(L, submit, applicationForm({ startDate: '1900-01-01', endDate: '2099-12-31' }));
      expect(a.toast).toEqual({
        type: 'error',
        content:
          '2 处需修改：1. 活动开始日期（1900年1月1日）早于 2022年1月1日：申报的是近年开展的班组活动，请核对年份；2. 活动结束日期（2099年12月31日）晚于本年度申报截止日期（2027年4月30日）：申报的是已开展的活动及其成果，请填写活动实际结束的日期',
      });
      expect(cardText(a.card.data)).toContain('- 活动结束日期（2099年12月31日）晚于本年度申报截止日期（2027年4月30日）：申报的是已开展的活动及其成果，请填写活动实际结束的日期');
      // a month after the deadline: on the one-statement path only its statement knows the deadline
      const late = await h.click(L, submit, applicationForm({ endDate: '2027-05-31' }));
      expect(late.toast).toEqual({ type: 'error', content: '活动结束日期（2027年5月31日）晚于本年度申报截止日期（2027年4月30日）：申报的是已开展的活动及其成果，请填写活动实际结束的日期' });
      expect((await h.db.db.select().from(applications))[0].status).toBe('returned');
      // an activity not begun yet (today is 2027年3月10日) has no results to report: refused on both paths
      const notYet = await h.click(L, submit, applicationForm({ startDate: '2027-03-11', endDate: '2027-04-20' }));
      expect(notYet.toast).toEqual({
        type: 'error',
        content: '活动开始日期（2027年3月11日）晚于今天（2027年3月10日）：申报的是已开展的活动及其成果，请在活动开展后再提交，或核对日期（草稿可先保存）',
      });
      expect((await h.db.db.select().from(applications))[0].status).toBe('returned');
      // the first day allowed and the deadline itself are taken
      const edge = await h.click(L, submit, applicationForm({ startDate: '2022-01-01', endDate: '2027-04-30' }));
      expect(edge.toast.type).toBe('success');
      expect((await h.db.db.select().from(applications))[0].form).toMatchObject({ startDate: '2022-01-01', endDate: '2027-04-30' });
    });
  });
}

describe('form problems of the association’s forms and the public complaint page', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00') });
  }, 120_000);
  afterAll(async () => h?.close());

  it('开启年度评审 with a wrong threshold and dates out of order names both, the dates’ order checked beside the wrong field', async () => {
    const r = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-04-01', reviewMeetingDate: '2027-06-15', awardThreshold: '200' });
    expect(r.toast.type).toBe('error');
    expect(r.toast.content).toMatch(/^2 处需修改：1\. 专家评分截止日期：不能早于申报截止日期（2027年4月30日）；2\. 授予称号分数线[^；]*0 到 100/);
    expect(cardText(r.card.data)).toMatch(/\*\*未保存（共 2 处）：\*\*<\/font>\n- 专家评分截止日期：不能早于申报截止日期（2027年4月30日）\n- 授予称号分数线[^\n]*0 到 100/);
    expect(inputValues(r.card.data)).toMatchObject({ awardThreshold: '200' });
  });

  it('the public page’s answer names each problem', async () => {
    const res = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: '', content: '' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 400, msg: '共 2 处需修改：请填写被投诉班组；请填写投诉内容', field: 'team' });
  });
});
