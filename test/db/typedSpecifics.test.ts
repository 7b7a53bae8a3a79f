import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, assignments, cycles, people } from '../../db/schema.js';
import { cardText } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { applicationForm, type Fixture, personas, securityBotForBlock, YEAR } from './securityFixture.js';

/**
 * What a leader, an organisation contact, an expert and an administrator type through a year, answered with what is
 * theirs rather than with the generic line: a contact's 推荐 or 确认 opens the applications waiting for them, an expert's
 * or an administrator's 进度 says where their own work is, a second 注册 names the team already led, 查进度 is 进度,
 * 申报 2027 is 申报, 申請 reads as 申请. The fixture's team A (广州养护一班) is led by the leader persona, its 2027
 * application submitted and waiting for the contact persona; the expert persona has one sheet to score.
 */
describe('typed words answered for who types them', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b));

  /** Every message `openId` got for `text`: a text's text, or a card's title then its text. */
  async function answersTo(openId: string, text: string): Promise<string[]> {
    h.fake.reset();
    await h.say(openId, text);
    return h.fake.messages.filter((m) => m.receiveId === openId).map((m) => (m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`));
  }
  async function answerTo(openId: string, text: string): Promise<string> {
    const answers = await answersTo(openId, text);
    expect(answers, text).toHaveLength(1);
    return answers[0];
  }

  it.each(['推荐', '同意推荐', '确认', '确认。'])('%s from a contact with an application waiting opens the applications to confirm, not the articles', async (text) => {
    const answer = await answerTo(personas.contact, text);
    expect(answer).toMatch(/^\[待确认的申报\]/);
    expect(answer).toContain('广州养护一班');
    expect(answer).not.toContain('发送“注册”登记班组');
  });

  it.each(['推荐', '确认'])('%s from anyone else is still a question for the measures', async (text) => {
    for (const who of [personas.public, personas.leader, personas.expert]) {
      const answer = await answerTo(who, text);
      expect(answer, who).toMatch(/^\[办法中的相关条款\]/);
    }
  });

  it('a question on taking part tells no contact and no expert to register a team; a visitor still is', async () => {
    for (const who of [personas.contact, personas.expert]) {
      const answer = await answerTo(who, '申报需要什么材料');
      expect(answer, who).toMatch(/第十五条/);
      expect(answer, who).not.toContain('发送“注册”登记班组');
    }
    expect(await answerTo(personas.public, '申报需要什么材料')).toContain('发送“注册”登记班组');
  });

  it.each(['进度', '進度'])('%s from an expert of no team says how their scoring stands and points to 评分, with no 注册', async (text) => {
    const answer = await answerTo(personas.expert, text);
    expect(answer).toContain('评分任务已完成 0 / 1，发送“评分”继续');
    expect(answer).not.toContain('注册');
    expect(answer).toContain('我的评分任务');
  });

  it('进度 from an administrator of no team points to 管理 → 评审进度, with no 注册', async () => {
    const answer = await answerTo(personas.admin, '进度');
    expect(answer).toContain('发送“管理”，在协会管理卡片上点“评审进度”');
    expect(answer).not.toContain('注册');
  });

  it('进度 from an expert who leads a team keeps the team’s card', async () => {
    await h.db.db.update(people).set({ roles: ['expert'] }).where(eq(people.openId, personas.leader));
    try {
      const answer = await answerTo(personas.leader, '进度');
      expect(answer).toMatch(/^\[我的班组\]/);
      expect(answer).toContain('广州养护一班');
    } finally {
      await h.db.db.update(people).set({ roles: [] }).where(eq(people.openId, personas.leader));
    }
  });

  it('注册 from a leader names the team they lead and how to change it, above the form for a second team', async () => {
    const answer = await answerTo(personas.leader, '注册');
    expect(answer).toMatch(/^\[注册质量信得过班组\]/);
    expect(answer).toContain(`你已是「广州养护一班」（${f.teamA.code}）的班组长`);
    expect(answer).toContain('修改资料');
    expect(answer).toContain('另一个班组');
    expect(await answerTo(personas.public, '注册')).not.toContain('你已是');
  });

  it.each(['查进度', '我的进度'])('%s from a leader is the 进度 card, not a line telling them to send 进度', async (text) => {
    const answer = await answerTo(personas.leader, text);
    expect(answer).toMatch(/^\[我的班组\]/);
    expect(answer).toContain('广州养护一班');
  });

  it.each(['申报 2027', '申报2027', '申报 2027年度', '申請', '申请'])('%s from a leader answers as 申报 does', async (text) => {
    const applied = await answerTo(personas.leader, '申报');
    expect(await answerTo(personas.leader, text)).toBe(applied);
  });

  it.each([
    ['申报 2028', '2028 年度评审尚未开启'],
    ['申报 2026', '2026 年度评审已结束'],
  ])('%s from a leader says why that year cannot be applied for, and which year can', async (text, why) => {
    const answer = await answerTo(personas.leader, text);
    expect(answer).toContain(why);
    expect(answer).toContain(`现在受理的是 ${YEAR} 年度申报`);
    expect(answer).not.toContain('第十五条');
  });

  it('申报 followed by a question is still a question for the measures', async () => {
    expect(await answerTo(personas.leader, '申报 需要什么条件')).toMatch(/^\[办法中的相关条款\].*第十三条/s);
  });

  it.each(['评分表', '下载工作簿'])('%s from an administrator opens the 协会管理 card, where its button is', async (text) => {
    expect(await answerTo(personas.admin, text)).toMatch(/^\[协会管理\]/);
  });

  it('评分表 from an administrator who is also an expert opens their next sheet while one is left, else the 协会管理 card', async () => {
    const [expert] = await h.db.db.select().from(people).where(eq(people.openId, personas.expert));
    const expertOnly = await answerTo(personas.expert, '评分表');
    try {
      await h.db.db.update(people).set({ roles: [...expert.roles, 'admin'] }).where(eq(people.openId, personas.expert));
      const sheet = await answerTo(personas.expert, '评分表');
      expect(sheet).not.toMatch(/^\[协会管理\]/);
      expect(sheet).toBe(expertOnly);
      // nothing left to score: the administrator's card, where 载入评分表 is
      await h.db.db.update(assignments).set({ status: 'declined', declineReason: '时间冲突' }).where(eq(assignments.id, f.ownTask));
      expect(await answerTo(personas.expert, '评分表')).toMatch(/^\[协会管理\]/);
    } finally {
      await h.db.db.update(assignments).set({ status: 'assigned', declineReason: null }).where(eq(assignments.id, f.ownTask));
      await h.db.db.update(people).set({ roles: expert.roles }).where(eq(people.openId, personas.expert));
    }
  });

  it('评分表 from anyone else is still a question for the measures (第十八条)', async () => {
    expect(await answerTo(personas.leader, '评分表')).toContain('第十八条');
  });

  it('a contact’s 进度 after the year is summed says they did not confirm, in the second person; the leader’s names the contact', async () => {
    const [cycle] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
    try {
      await h.db.db.update(cycles).set({ status: 'closed' }).where(eq(cycles.id, f.cycleId));
      const contact = await answerTo(personas.contact, '进度');
      expect(contact).toContain('你未确认，这份申报未参加本年度评审');
      expect(contact).not.toContain('单位联系人未确认');
      expect(await answerTo(personas.leader, '进度')).toContain('单位联系人未确认，这份申报未参加本年度评审');
    } finally {
      await h.db.db.update(cycles).set({ status: cycle.status }).where(eq(cycles.id, f.cycleId));
    }
  });

  it('a resubmitted application’s card ends the contact’s opinion once, when it was typed with its own stop', async () => {
    const returned = await h.click(personas.contact, { action: 'endorse.return', applicationId: f.appA }, { opinion: '请补充QC成果附件；材料链接打不开。' });
    expect(returned.toast?.type, JSON.stringify(returned.toast)).toBe('success');
    const again = await h.click(personas.leader, { action: 'application.submit', teamId: f.teamA.id, year: YEAR }, applicationForm({ title: '改过的课题' }));
    expect(again.toast?.type, JSON.stringify(again.toast)).toBe('success');
    const card = h.fake.messages.filter((m) => m.receiveId === personas.contact && m.msgType === 'interactive').at(-1)!;
    const text = cardText(card.content);
    expect(text).toContain('退回意见：请补充QC成果附件；材料链接打不开。班组长修改了：');
    expect(text).not.toContain('。。');
    const [row] = await h.db.db.select().from(applications).where(eq(applications.id, f.appA));
    expect(row.status).toBe('submitted');
  });
});
