import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cycles } from '../../db/schema.js';
import { cardText } from '../support/cards.js';
import { type Harness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent } from '../support/larkEvents.js';
import { type Fixture, personas, securityBotForBlock, snapshot } from './securityFixture.js';

/**
 * Free text answered by who asks and what the bot holds: how to change the leader, the team's details or an application
 * (the asker's own, by its state), the administrators' line to them alone, the 进度 card's button labels typed, a code
 * sent alone, who the bot is, a command typed with a space inside. The fixture's team A (广州养护一班) is led by the
 * leader persona, its 2027 application submitted and waiting for the contact persona.
 */
describe('answers by who asks', () => {
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

  it.each(['班组长换人了怎么办', '怎么更换班组长', '班组长离职了'])('%s is told the command 更换班组长, among the team’s members linked to Feishu', async (text) => {
    expect(await answerTo(personas.leader, text)).toBe(
      '更换班组长：由班组长发送“更换班组长”（change leader），在本班组已关联飞书的成员中选择新班组长（新班组长须先在“班组成员”中添加）；协会管理员可发送“更换班组长 班组编号”办理。其他人请告知本班组的班组长或协会管理员办理。',
    );
  });

  it('How do I change the team leader? is told the same in English', async () => {
    const answer = await answerTo(personas.leader, 'How do I change the team leader?');
    expect(answer).toContain('the leader sends “更换班组长” (change leader)');
    expect(answer).not.toContain('ask the association');
  });

  it.each(['怎么修改班组信息', '怎么修改班组名称', '怎么更换单位联系人', '怎么修改单位联系人', '怎么添加班组成员', 'How do I change our team name?'])(
    '%s is pointed to 进度 → 修改资料 / 班组成员, not to an article',
    async (text) => {
      const answer = await answerTo(personas.leader, text);
      expect(answer).toMatch(/修改资料/);
      expect(answer).toMatch(/班组成员/);
      expect(answer).not.toMatch(/第[一二三四五六七八九十]+条|没有听懂/);
    },
  );

  it.each([
    ['修改资料', '[修改资料：广州养护一班]'],
    ['edit team', '[修改资料：广州养护一班]'],
    ['班组成员', '[班组成员：广州养护一班]'],
    ['添加成员', '[班组成员：广州养护一班]'],
    ['team members', '[班组成员：广州养护一班]'],
  ])('%s typed by the leader opens that card of their team', async (text, title) => {
    expect((await answerTo(personas.leader, text)).startsWith(title)).toBe(true);
  });

  it.each(['修改资料', '班组成员', '添加成员'])('%s typed by someone who leads no team says only the leader may, and changes nothing', async (text) => {
    for (const who of [personas.member, personas.public, personas.contact]) {
      const before = await snapshot(h.db.db, ['outbox']);
      expect(await answerTo(who, text)).toBe('只有班组长可以修改班组资料和成员：请本班组的班组长发送“进度”，在班组下点“修改资料”或“班组成员”。');
      expect(await snapshot(h.db.db, ['outbox'])).toEqual(before);
    }
    expect(await answerTo(personas.admin, text)).toMatch(/^协会管理员可以修改任一班组的资料和成员：请在命令后写上班组编号，如“(修改资料|班组成员) GDSZ-2025-0001”.*“更换班组长 班组编号”/);
  });

  it.each(['怎么修改申报', '申报提交了还能改吗', '怎么撤回申报', '申报填错了怎么办', '撤回'])(
    '%s from the leader is answered from their application waiting for the contact: 撤回申报 or the contact’s 退回修改, nothing about 注册',
    async (text) => {
      const answer = await answerTo(personas.leader, text);
      expect(answer).toContain('广州养护一班 2027 年度申报：申报已提交，等待单位联系人确认；如需修改，班组长可发送“撤回申报”取回后修改，或请单位联系人点“退回修改”。');
      expect(answer).not.toMatch(/发送“注册”|第[一二三四五六七八九十]+条|Article/);
    },
  );

  it('withdraw my application from the leader is the command itself: the card listing their application waiting for the contact, with 撤回申报', async () => {
    const answer = await answerTo(personas.leader, 'withdraw my application');
    expect(answer).toMatch(/^\[撤回申报\] /);
    expect(answer).toContain('广州养护一班');
    expect(answer).not.toMatch(/发送“注册”|Article/);
  });

  it('after the deadline the leader is not offered 撤回申报, which could not be submitted again: told to remind the contact, and after 截止申报 that it is out of the year', async () => {
    const [cycle] = await h.db.db.select().from(cycles).where(eq(cycles.id, f.cycleId));
    try {
      await h.db.db.update(cycles).set({ applicationDeadline: '2027-03-01' }).where(eq(cycles.id, f.cycleId));
      const waiting = await answerTo(personas.leader, '申报提交了还能改吗');
      expect(waiting).toContain('广州养护一班 2027 年度申报：申报已于 2027年3月1日 截止，等待单位联系人确认；截止后不能再撤回修改，请提醒单位联系人尽快确认（第十五条）。');
      expect(waiting).not.toContain('发送“撤回申报”');
      await h.db.db.update(cycles).set({ status: 'scoring' }).where(eq(cycles.id, f.cycleId));
      const out = await answerTo(personas.leader, '怎么修改申报');
      expect(out).toContain('广州养护一班 2027 年度申报：申报已于 2027年3月1日 截止，单位未确认，未参加本年度评审。');
      expect(out).not.toContain('发送“撤回申报”');
    } finally {
      await h.db.db.update(cycles).set({ status: cycle.status, applicationDeadline: cycle.applicationDeadline }).where(eq(cycles.id, f.cycleId));
    }
  });

  it('怎么修改申报 from the leader in a group says what each state allows, not their team’s application', async () => {
    h.fake.reset();
    const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: personas.leader, text: '怎么修改申报', messageId: 'om_answersgroup000001', chatType: 'group', chatId: 'oc_answersgroup000001', mentionBot: true });
    expect((await h.post('/lark/events', event)).status).toBe(200);
    await h.drain();
    const said = h.fake.messages.map((m) => JSON.stringify(m.content)).join('\n');
    expect(said).toContain('修改或撤回申报：提交前，草稿可随时修改');
    expect(said).not.toContain('广州养护一班');
  });

  it('怎么修改申报 from someone with no application says what each state allows', async () => {
    expect(await answerTo(personas.public, '怎么修改申报')).toBe(
      '修改或撤回申报：提交前，草稿可随时修改；提交后、单位联系人确认前，班组长可发送“撤回申报”取回修改，或请单位联系人点“退回修改”；单位推荐后、协会受理前如需修改，请联系协会退回；协会受理后不能再修改。发送“进度”查看申报到了哪一步。',
    );
  });

  it('a leader’s question answered with 第五章 (申报) does not tell them to register a team', async () => {
    const leader = await answerTo(personas.leader, '申报需要什么材料');
    expect(leader).toMatch(/第十五条/);
    expect(leader).not.toContain('发送“注册”登记班组');
    expect(await answerTo(personas.public, '申报需要什么材料')).toContain('发送“注册”登记班组');
  });

  it('我的申报到哪一步了 puts the 进度 line above the articles', async () => {
    await answersTo(personas.leader, '我的申报到哪一步了');
    const [m] = h.fake.messages.filter((x) => x.receiveId === personas.leader);
    expect(m.content.body.elements[0].content).toMatch(/^\*\*查看进度\*\*：发送“进度”/);
    expect(cardText(m.content)).toContain('第十五条');
  });

  it.each([
    ['When are results published?', 'Administrators'],
    ['怎么公布结果', '协会管理员'],
  ])('%s: the administrators’ line goes to administrators only', async (text, line) => {
    for (const who of [personas.leader, personas.expert, personas.public]) expect(await answerTo(who, text)).not.toContain(line);
    expect(await answerTo(personas.admin, text)).toContain(line);
  });

  it('GDSZ-2025-0001 alone is told what the code is for, in Chinese', async () => {
    expect(await answerTo(personas.leader, 'GDSZ-2025-0001')).toMatch(/^班组编号：.*发送“进度”.*发送“投诉 班组编号”/);
  });

  it('GDSZ-ZS-2026-0001 alone is checked as a certificate: none was issued with that number', async () => {
    expect(await answerTo(personas.leader, 'GDSZ-ZS-2026-0001')).toMatch(/^\[未找到荣誉证书：GDSZ-ZS-2026-0001\] .*没有颁发过编号为/s);
  });

  it('查询证书 GDSZ-ZS-2026-0001 is a Chinese question: no English line', async () => {
    expect(await answerTo(personas.leader, '查询证书 GDSZ-ZS-2026-0001')).not.toMatch(/Article|The measures|certificate/i);
  });

  it.each([
    ['你是谁', /^我是质量信得过班组助手，广东省市政行业协会“质量信得过班组”活动的飞书机器人/],
    ['who are you', /^I am 质量信得过班组助手/],
    ['how are you', /^Fine, thank you/],
    ['人工客服', /^这里是自动回复的机器人，没有人工客服。需要人工咨询的，请联系广东省市政行业协会秘书处（发送“联系协会”查看协会的联系方式）/],
    ['转人工', /^这里是自动回复的机器人/],
    ['不懂', /^发送“帮助”打开菜单/],
  ])('%s is answered about the bot, not 没有听懂', async (text, re) => {
    expect(await answerTo(personas.public, text)).toMatch(re);
  });

  it.each(['帮　助', '帮 助', '进　度'])('%s, a command with a space inside, is the command', async (text) => {
    expect(await answerTo(personas.leader, text)).toMatch(text.startsWith('帮') ? /^\[质量信得过班组助手\]/ : /^\[我的班组\]/);
  });

  it('联系方式 alone is 协会联系方式 (none set: the secretariat), not 第七条', async () => {
    const answer = await answerTo(personas.public, '联系方式');
    expect(answer).toMatch(/^\[协会联系方式\] /);
    expect(answer).toContain('协会尚未设置联系方式');
    expect(answer).toContain('请向广东省市政行业协会秘书处咨询');
    expect(answer).not.toContain('第七条');
  });

  it.each(['条款 15 16', '条款 15、16'])('%s shows both articles', async (text) => {
    const answer = await answerTo(personas.public, text);
    expect(answer).toContain('**第十五条**');
    expect(answer).toContain('**第十六条**');
  });

  it('条款-16 is still 第十六条 alone', async () => {
    expect(await answerTo(personas.public, '条款-16')).toMatch(/^\[第十六条\]/);
  });
});
