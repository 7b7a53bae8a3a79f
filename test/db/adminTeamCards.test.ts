import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { teams } from '../../db/schema.js';
import { cardActions, cardText, inputValues } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { type Fixture, OTHER_CONTACT, personas, securityBotForBlock, snapshot } from './securityFixture.js';

/**
 * An administrator corrects any team's record (第十七条): 修改资料 and 班组成员 typed with the team's code open that
 * team's card, as 更换班组长 does, and the team's cards drawn for an administrator who does not lead it lead back to
 * 协会管理 (their 进度 holds no such team) rather than to 返回进度. The leader's own cards are as before. The fixture's
 * team A (广州养护一班) is led by the leader persona.
 */
describe('an administrator and a team’s cards', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((b) => ({ h, f } = b));

  /** What `openId` got for `text`: each message's title (a card's) or text, with the card's button values. */
  async function answersTo(openId: string, text: string) {
    h.fake.reset();
    await h.say(openId, text);
    return h.fake.messages
      .filter((m) => m.receiveId === openId)
      .map((m) => (m.msgType === 'text' ? { text: String(m.content.text), actions: [] as string[] } : { text: `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`, actions: cardActions(m.content).map((a) => String(a.action)) }));
  }
  async function answerTo(openId: string, text: string) {
    const answers = await answersTo(openId, text);
    expect(answers, text).toHaveLength(1);
    return answers[0];
  }

  it('修改资料 and 班组成员 alone tell an administrator to add the team’s code', async () => {
    for (const command of ['修改资料', '班组成员']) {
      expect((await answerTo(personas.admin, command)).text).toBe(
        `协会管理员可以修改任一班组的资料和成员：请在命令后写上班组编号，如“${command} GDSZ-2025-0001”（各班组的编号在名册中，发送“导出名册”获取）；更换班组长发送“更换班组长 班组编号”。`,
      );
    }
  });

  it('修改资料 with a code opens that team’s form for an administrator, leading back to 协会管理', async () => {
    for (const text of [`修改资料 ${f.teamA.code}`, `修改资料${f.teamA.code}`, `edit team ${f.teamA.code.toLowerCase()}`, `修改资料 “${f.teamA.code}”`]) {
      const answer = await answerTo(personas.admin, text);
      expect(answer.text.startsWith('[修改资料：广州养护一班]'), text).toBe(true);
      expect(answer.actions, text).toEqual(expect.arrayContaining(['team.editSave', 'team.leaderForm', 'admin.menu']));
      expect(answer.actions, text).not.toContain('team.status');
    }
  });

  it('班组成员 with a code opens the members card, with 修改资料 and 协会管理', async () => {
    const answer = await answerTo(personas.admin, `班组成员 ${f.teamA.code}`);
    expect(answer.text.startsWith('[班组成员：广州养护一班]')).toBe(true);
    expect(answer.actions).toEqual(expect.arrayContaining(['team.memberAdd', 'team.editForm', 'team.leaderForm', 'admin.menu']));
    expect(answer.actions).not.toContain('team.status');
  });

  it('the cards an administrator reaches by clicking lead back to 协会管理 too', async () => {
    for (const action of ['team.members', 'team.editForm', 'team.leaderForm']) {
      const answer = await h.click(personas.admin, { action, teamId: f.teamA.id });
      const actions = cardActions(answer.card.data).map((a) => String(a.action));
      expect(actions, action).toContain('admin.menu');
      expect(actions, action).not.toContain('team.status');
    }
  });

  it('an administrator’s save of a team’s details answers with its form as saved, the leader’s with their 进度 (both paths)', async () => {
    for (const fast of [true, false]) {
      h.app.processor.fastPaths = fast;
      try {
        const phone = fast ? '020-87654321' : '020-87654322';
        const saved = await h.click(personas.admin, { action: 'team.editSave', teamId: f.teamA.id }, { phone });
        expect(saved.toast, `fast ${fast}`).toEqual({ type: 'success', content: '资料已保存' });
        expect(saved.card.data.header.title.content, `fast ${fast}`).toBe('修改资料：广州养护一班');
        expect(inputValues(saved.card.data).phone, `fast ${fast}`).toBe(phone);
        expect(cardActions(saved.card.data).map((a) => String(a.action)), `fast ${fast}`).toContain('admin.menu');
        expect((await h.db.db.select({ phone: teams.phone }).from(teams).where(eq(teams.id, f.teamA.id)))[0].phone).toBe(phone);
        const own = await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { phone: '020-12345678' });
        expect(own.toast, `fast ${fast}`).toEqual({ type: 'success', content: '资料已保存' });
        expect(cardActions(own.card.data).map((a) => String(a.action)), `fast ${fast}`).not.toContain('admin.menu');
        expect(own.card.data.header.title.content, `fast ${fast}`).not.toMatch(/^修改资料/);
      } finally {
        h.app.processor.fastPaths = true;
      }
    }
  });

  it('a contact an administrator names is told the administrator named them, not the team’s leader', async () => {
    h.fake.reset();
    const saved = await h.click(personas.admin, { action: 'team.editSave', teamId: f.teamA.id }, { contact: OTHER_CONTACT });
    expect(saved.toast.type).toBe('success');
    const told = h.fake.messages.filter((m) => m.receiveId === OTHER_CONTACT && m.content?.header?.title?.content === '你被登记为班组的单位联系人');
    expect(told).toHaveLength(1);
    const text = JSON.stringify(told[0].content);
    expect(text).toContain(`协会管理员 <at id=${personas.admin}></at> 在班组资料中将你登记为`);
    expect(text).not.toContain(`<at id=${personas.leader}></at> 在班组资料中`);
    expect(text).toContain('请联系协会管理员更正');
    // and back, by its leader: told by the leader's name, as before
    h.fake.reset();
    expect((await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { contact: personas.contact })).toast.type).toBe('success');
    const back = JSON.stringify(h.fake.messages.find((m) => m.receiveId === personas.contact && m.content?.header?.title?.content === '你被登记为班组的单位联系人')?.content);
    expect(back).toContain(`<at id=${personas.leader}></at> 在班组资料中将你登记为`);
    expect(back).not.toContain('协会管理员');
  });

  it('the leader’s own cards, typed with the code or without, still lead back to 返回进度', async () => {
    for (const text of ['班组成员', `班组成员 ${f.teamA.code}`, '修改资料', `修改资料 ${f.teamA.code}`, 'edit team details']) {
      const answer = await answerTo(personas.leader, text);
      expect(answer.actions, text).toContain('team.status');
      expect(answer.actions, text).not.toContain('admin.menu');
    }
    const clicked = await h.click(personas.leader, { action: 'team.members', teamId: f.teamA.id });
    expect(cardActions(clicked.card.data).map((a) => String(a.action))).not.toContain('team.editForm');
  });

  it('someone who neither leads the team nor administers is refused by the team’s code, and nothing changes', async () => {
    for (const who of [personas.member, personas.contact, personas.public]) {
      const before = await snapshot(h.db.db, ['outbox']);
      const answer = await answerTo(who, `修改资料 ${f.teamA.code}`);
      expect(answer.actions).toEqual([]);
      expect(answer.text).not.toMatch(/^\[/);
      expect(await snapshot(h.db.db, ['outbox'])).toEqual(before);
    }
  });

  it('an administrator asked for a team’s code is told where the codes are: the roster (导出名册), not a 进度 of no team', async () => {
    for (const text of ['更换班组长', '更换班组长 GDSZ-2099-0001', '变更记录', '变更记录 GDSZ-2099-0001']) {
      const answer = (await answerTo(personas.admin, text)).text;
      expect(answer, text).toContain('各班组的编号在名册中，发送“导出名册”获取');
      expect(answer, text).not.toContain('“进度”');
    }
    expect((await answerTo(personas.leader, '更换班组长 GDSZ-2099-0001')).text).toContain('编号见班组的卡片或“进度”');
  });

  it('a team named by its full name, as a secretary working from a workbook types it, is the team its code would be', async () => {
    const members = await answerTo(personas.admin, '班组成员 广州养护一班');
    expect(members.text.startsWith('[班组成员：广州养护一班]')).toBe(true);
    expect(members.actions).toContain('admin.menu');
    expect((await answerTo(personas.admin, '修改资料 “广州养护一班”')).text.startsWith('[修改资料：广州养护一班]')).toBe(true);
    expect((await answerTo(personas.admin, '更换班组长 广州养护一班')).text.startsWith('[更换班组长：广州养护一班]')).toBe(true);
    expect((await answerTo(personas.admin, '变更记录 广州养护一班')).text).toMatch(/^\[变更记录/);
    // its leader too, by its name
    expect((await answerTo(personas.leader, '班组成员 广州养护一班')).text.startsWith('[班组成员：广州养护一班]')).toBe(true);
  });

  it('a name no team has, to an administrator: the teams whose names contain it, by code; none, how to name one', async () => {
    const like = (await answerTo(personas.admin, '修改资料 深圳建设')).text;
    expect(like).toContain('没有名为“深圳建设”的班组。名称含“深圳建设”的班组：');
    for (const code of ['GDSZ-2025-0002', 'GDSZ-2025-0003', 'GDSZ-2025-0004']) expect(like).toContain(code);
    expect(like).toContain('请在命令后写上其中一个的班组编号，如“修改资料 GDSZ-2025-');
    expect((await answerTo(personas.admin, '班组成员 不存在的班')).text).toBe(
      '找不到名为“不存在的班”的班组：请在命令后写上班组全称或班组编号，如“班组成员 GDSZ-2025-0001”（各班组的编号在名册中，发送“导出名册”获取）。',
    );
  });

  it('a code no team has is told so; anything else after the name is not this command', async () => {
    expect((await answerTo(personas.admin, '班组成员 GDSZ-2099-0001')).text).toBe('找不到编号为“GDSZ-2099-0001”的班组：请核对编号（各班组的编号在名册中，发送“导出名册”获取）。');
    expect((await answerTo(personas.leader, '修改资料 gdsz 2099 1')).text).toBe('找不到编号为“GDSZ-2099-0001”的班组：请核对编号（编号见班组的卡片或“进度”）。');
    for (const text of ['班组成员有哪些', '修改资料需要什么手续']) {
      const answers = await answersTo(personas.admin, text);
      expect(answers.map((a) => a.text).join('\n'), text).not.toMatch(/协会管理员可以修改任一班组|找不到编号|^\[班组成员|^\[修改资料/);
    }
  });

  it('an administrator’s 更换班组长 answers with the team’s members and 协会管理, not a 进度 of no team', async () => {
    const changed = await h.click(personas.admin, { action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader }, { leader: personas.member });
    expect(changed.toast).toEqual({ type: 'success', content: '班组长已更换' });
    expect(cardActions(changed.card.data)).toEqual([{ action: 'team.members', teamId: f.teamA.id }, { action: 'admin.menu' }]);
    // back as it was, by the administrator again
    const back = await h.click(personas.admin, { action: 'team.leaderChange', teamId: f.teamA.id, from: personas.member }, { leader: personas.leader });
    expect(back.toast.type).toBe('success');
  });

  it('添加 refused for a mobile no one has keeps the people picked picked, and adds no one', async () => {
    const refused = await h.click(personas.leader, { action: 'team.memberAdd', teamId: f.teamA.id }, { members: [personas.expert], membersLookup: '13999999999' });
    expect(refused.toast.type).toBe('error');
    const picker = JSON.stringify(refused.card.data);
    expect(picker).toContain(`"selected_values":["${personas.expert}"]`);
    expect(inputValues(refused.card.data).membersLookup).toBe('13999999999');
  });

  it('the 帮助 card tells an administrator how to open any team’s cards, and no one else', async () => {
    const line = '更正班组记录：发送“修改资料 班组编号”“班组成员 班组编号”“更换班组长 班组编号”（也可写班组全称）';
    expect((await answerTo(personas.admin, '帮助')).text).toContain(line);
    expect((await answerTo(personas.leader, '帮助')).text).not.toContain(line);
  });
});
