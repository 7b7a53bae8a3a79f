import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications } from '../../db/schema.js';
import { cardActions, cardText, expectValidCard } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { ADMIN } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { applicationForm, type Fixture, ORG_A, personas, securityBotForBlock, YEAR } from './securityFixture.js';

/**
 * A returned application as its leader meets it on a phone, and its contact once it is submitted again (重新提交): 退回原因 (为什么被退回, why was it returned…) answers with
 * who returned it, when and the opinion, and 修改申报, where it got 没有听懂; 进度 shows the opinion beside 请按退回意见修改.
 */
const asked = ['退回原因', '为什么被退回', '为什么被退回了？', '退回意见', '退回原因是什么', 'why was it returned?', 'Why was my application returned', 'return reason'];

/** The one message `openId` got for what they said: a text's text, or a card's title then its text, and its buttons. */
async function answerTo(h: Harness, openId: string, text: string) {
  h.fake.reset();
  await h.say(openId, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === openId);
  expect(sent, text).toHaveLength(1);
  const [m] = sent;
  if (m.msgType === 'text') return { text: String(m.content.text), actions: [] as unknown[] };
  expectValidCard(m.content);
  return { text: `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`, actions: cardActions(m.content) as unknown[] };
}

for (const mode of MODES_HERE) {
  describe(`退回原因 and 进度 of a returned application (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((bot) => ({ h, f } = bot), mode);
    const opinion = '请补充 **QC** 活动记录 <at id=all></at>';

    it('nothing returned: 退回原因 says so, not 没有听懂', async () => {
      for (const text of asked) {
        const answer = await answerTo(h, personas.leader, text);
        expect(answer.text, text).toBe(`你的班组 ${YEAR} 年度没有被退回的申报。发送“进度”查看申报进展。`);
      }
      expect((await answerTo(h, personas.public, '退回原因')).text).toMatch(/^你还没有加入任何班组，没有被退回的申报。/);
      // the 单位联系人, who leads no team: the teams they confirm for, the association's 形式审查 among who may return
      for (const text of ['退回原因', 'why was it returned?']) {
        const answer = await answerTo(h, personas.contact, text);
        expect(answer.text, text).toBe(`你确认推荐的 ${ORG_A} 的班组 ${YEAR} 年度没有被退回的申报（你退回的或协会形式审查退回的都没有）。发送“待确认”查看待你确认的申报，发送“进度”查看申报进展。`);
      }
    });

    it('returned by the contact: 退回原因 names who, when and the opinion (escaped), with 修改申报; a member reads it without the button', async () => {
      const ret = await h.click(personas.contact, { action: 'endorse.return', applicationId: f.appA }, { opinion });
      expect(ret.toast?.type, JSON.stringify(ret.toast)).toBe('success');
      for (const text of asked) {
        const answer = await answerTo(h, personas.leader, text);
        expect(answer.text, text).toContain(`[${YEAR} 年度申报退回意见]`);
        expect(answer.text).toContain('**广州养护一班**');
        expect(answer.text).toContain('**退回方**：单位联系人 联系人');
        expect(answer.text).toMatch(/\*\*退回时间\*\*：2027年3月10日 09:00/);
        expect(answer.text).toContain('&#42;&#42;QC&#42;&#42;');
        expect(answer.text).not.toContain('<at id=all>');
        expect(answer.actions).toEqual([{ action: 'application.open', teamId: f.teamA.id }]);
      }
      const member = await answerTo(h, personas.member, '退回原因');
      expect(member.text).toContain('**退回意见**：请补充');
      expect(member.actions).toEqual([]);
    });

    it('进度 shows the opinion beside 请按退回意见修改, cut short when long', async () => {
      const card = (await h.click(personas.leader, { action: 'team.status' })).card.data;
      expectValidCard(card);
      const text = cardText(card);
      expect(text).toContain('请按退回意见修改后');
      expect(text).toContain('**退回意见**：单位联系人 联系人（2027年3月10日）：请补充 &#42;&#42;QC&#42;&#42; 活动记录');
      await h.db.db.update(applications).set({ status: 'submitted' }).where(eq(applications.id, f.appA));
      const long = '材'.repeat(300);
      expect((await h.click(personas.contact, { action: 'endorse.return', applicationId: f.appA }, { opinion: long })).toast?.type).toBe('success');
      const after = cardText((await h.click(personas.leader, { action: 'team.status' })).card.data);
      expect(after).toContain(`：${'材'.repeat(60)}…（全文请发送“退回原因”）`);
      expect((await answerTo(h, personas.leader, '退回原因')).text).toContain(long);
    });

    it('returned by the association: 退回原因 names the formal check and its reason', async () => {
      // resubmitted and recommended, then returned at the formal check
      const submitted = await h.click(personas.leader, { action: 'application.submit', teamId: f.teamA.id, year: YEAR }, applicationForm({ title: '改过的课题' }));
      expect(submitted.toast?.type, JSON.stringify(submitted.toast)).toBe('success');
      // the contact's request says it is submitted again, after which return, as does the same request opened from the list
      const request = h.fake.messages.filter((m) => m.receiveId === personas.contact && m.msgType === 'interactive').at(-1)!;
      expectValidCard(request.content);
      expect(request.content.header.title.content).toBe('请确认申报材料（重新提交）：广州养护一班');
      // the fixture's form was stored apart from what the form parses to: five fields differ, four named
      expect(cardText(request.content)).toContain(`这份申报曾被单位联系人 联系人退回（2027年3月10日），退回意见：${'材'.repeat(60)}…。班组长修改了：成果名称、活动开始日期、目标完成率（%）、培训率（%） 等 5 项。`);
      const opened = (await h.click(personas.contact, { action: 'endorse.open', applicationId: f.appA })).card.data;
      expect(cardText(opened)).toBe(cardText(request.content));
      expect((await h.click(personas.contact, { action: 'endorse.recommend', applicationId: f.appA }, { truthful: true, opinion: '同意推荐' })).toast?.type).toBe('success');
      const back = await h.click(ADMIN, { action: 'check.return', applicationId: f.appA }, { [`reason_${f.appA}`]: '缺少满意度证明' });
      expect(back.toast?.type, JSON.stringify(back.toast)).toBe('success');
      const answer = await answerTo(h, personas.leader, '为什么被退回');
      expect(answer.text).toContain('**退回方**：协会形式审查');
      expect(answer.text).toContain('**退回原因**：缺少满意度证明');
      const text = cardText((await h.click(personas.leader, { action: 'team.status' })).card.data);
      expect(text).toContain('**退回原因**：协会形式审查（2027年3月10日）：缺少满意度证明');
      // submitted again as it was returned: the contact is told nothing changed
      const again = await h.click(personas.leader, { action: 'application.submit', teamId: f.teamA.id, year: YEAR }, applicationForm({ title: '改过的课题' }));
      expect(again.toast?.type, JSON.stringify(again.toast)).toBe('success');
      const second = h.fake.messages.filter((m) => m.receiveId === personas.contact && m.msgType === 'interactive').at(-1)!;
      expect(cardText(second.content)).toContain('这份申报曾被协会形式审查退回（2027年3月10日），退回原因：缺少满意度证明。重新提交的内容与退回时相同。');
      // and changed in three fields: named, in the form's order
      await h.db.db.update(applications).set({ status: 'submitted' }).where(eq(applications.id, f.appA));
      expect((await h.click(personas.contact, { action: 'endorse.return', applicationId: f.appA }, { opinion: '再改' })).toast?.type).toBe('success');
      const third = await h.click(personas.leader, { action: 'application.submit', teamId: f.teamA.id, year: YEAR }, applicationForm({ title: '第三次', qc: '成立 QC 小组 3 个', goalRate: '99' }));
      expect(third.toast?.type, JSON.stringify(third.toast)).toBe('success');
      const last = h.fake.messages.filter((m) => m.receiveId === personas.contact && m.msgType === 'interactive').at(-1)!;
      expect(cardText(last.content)).toMatch(/退回意见：再改。班组长修改了：成果名称、[^、]+、[^、。]+。/);
    });

    it('returned and the year’s applications closed since: 退回原因 says it can no longer be submitted again, with no 修改申报', async () => {
      expect((await h.click(personas.contact, { action: 'endorse.return', applicationId: f.appA }, { opinion: '最后一次' })).toast?.type).toBe('success');
      h.clock.advanceDays(90);
      const answer = await answerTo(h, personas.leader, '退回原因');
      expect(answer.text).toContain('**退回意见**：最后一次');
      expect(answer.text).toContain(`${YEAR} 年度申报已于 2027年5月31日 截止，这份申报不能再修改提交，不参加本年度评审`);
      expect(answer.actions).toEqual([]);
      h.clock.advanceDays(-90);
    });
  });
}
