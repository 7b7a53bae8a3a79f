import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { people } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { readAnswer, type TypedAnswer, typedAsker } from '../support/typedAnswers.js';
import { MODES_HERE } from '../support/worlds.js';
import { personas, securityBotForBlock } from './securityFixture.js';

/**
 * Commands as people type them on a phone, in the p2p chat and in a group where the bot is mentioned
 * (im.message.receive_v1: the text holds "@_user_1", message.mentions lists the bot): the 帮助 card names only the
 * commands the caller may use; a slip of the thumb or a button's label typed gets the command meant, while a question
 * keeps its answer from the measures; a colon, an emoji or a [表情] code after a command leaves it the command.
 */

const GROUP = 'oc_typedcommands0001';

type Answer = TypedAnswer;

const typed = typedAsker('om_typedcmd', GROUP);
const ask = (h: Harness, who: keyof typeof personas, text: string, chat: 'p2p' | 'group' = 'p2p') => typed(h, personas[who], text, chat);
const read = readAnswer;

const MENU = '[card 质量信得过班组助手]';
/** The commands a 帮助 card names, as `注册` / `register`: the Chinese ones. */
const listed = (a: Answer) => [...a.text.matchAll(/`([^`]+)` \/ `([^`]+)`/g)].map((m) => m[1]);

for (const mode of MODES_HERE) {
  describe(`帮助 names only the commands the caller may use (fast paths ${mode === 'fast' ? 'on' : 'off'})`, () => {
    let h: Harness;
    securityBotForBlock((bot) => ({ h } = bot), mode);

    it.each(['public', 'leader', 'contact', 'member'] as const)('the menu of a %s (no admin, no expert) names neither `管理` nor `评分`, which refuse them', async (who) => {
      const menu = await ask(h, who, '帮助');
      expect(menu.text).toContain(MENU);
      // one sentence, the article in brackets: not the refusal said twice over
      const refused = (await ask(h, who, '管理')).text;
      expect(refused).toContain('只有协会管理员可以使用“管理”（第十四条：评审工作由广东省市政行业协会负责实施）。');
      expect(refused.match(/只有协会管理员/g)).toHaveLength(1);
      expect((await ask(h, who, '评分')).text).toContain('供评审专家使用');
      expect(listed(menu)).not.toContain('管理');
      expect(listed(menu)).not.toContain('评分');
      expect(menu.text).toContain('`进度` / `status` 我的班组');
    });

    it.each([
      ['public', ['注册', '进度', '投诉', '查询证书', '条款 16', '联系协会']],
      ['leader', ['注册', '申报', '进度', '更换班组长', '投诉', '查询证书', '条款 16', '联系协会']],
      ['expert', ['注册', '进度', '评分', '投诉', '查询证书', '条款 16', '联系协会']],
      ['admin', ['注册', '进度', '投诉处理', '管理', '投诉', '查询证书', '条款 16', '联系协会']],
    ] as const)('a %s’s menu names %j, each with the button it does', async (who, commands) => {
      expect(listed(await ask(h, who, '帮助'))).toEqual(commands);
    });

    it('a group’s shared card names no command; its button sends each person’s own menu, naming their commands', async () => {
      const shared = await ask(h, 'admin', '帮助', 'group');
      expect(shared.text).toContain(MENU);
      expect(listed(shared)).toEqual([]);
      expect(shared.actions).toEqual(['help.private']);
      h.fake.reset();
      const clicked = await h.click(personas.admin, { action: 'help.private' }, undefined, { chatId: GROUP, messageId: 'om_typedcmd_shared' });
      expect(clicked.toast?.content).toBe('菜单已通过私聊发给你');
      await h.drain();
      const own = read(h);
      expect(own.text).toContain(MENU);
      expect(listed(own)).toEqual(['注册', '进度', '投诉处理', '管理', '投诉', '查询证书', '条款 16', '联系协会']);
    });
  });
}

describe('a slip of the thumb or a button’s label typed gets the command meant', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  it.each([
    ['leader', 'regster', '你是不是想发送“注册”（register）？', 'team.registerForm'],
    ['leader', 'stauts', '你是不是想发送“进度”（status）？', 'team.status'],
    ['leader', 'aplly', '你是不是想发送“申报”（apply）？', 'application.start'],
    ['leader', '进渡', '你是不是想发送“进度”（status）？', 'team.status'],
    ['leader', '注删', '你是不是想发送“注册”（register）？', 'team.registerForm'],
    ['expert', '评份', '你是不是想发送“评分”（review）？', 'review.list'],
    ['leader', '我的班级', '你是不是想发送“进度”（status）？', 'team.status'],
  ] as const)('%s types %s: %s, with the button', async (who, text, said, action) => {
    const answer = await ask(h, who, text);
    expect(answer.text).toContain(said);
    expect(answer.actions).toEqual([action]);
  });

  it('artcle 16 is told 条款 16 (article 16), and an English slip is answered in English too', async () => {
    const answer = await ask(h, 'leader', 'artcle 16');
    expect(answer.text).toContain('Did you mean “article 16”?');
    expect(answer.text).toContain('你是不是想发送“条款 16”（article 16）？');
  });

  it('a button’s label typed does what the button does: 我的班组 is 进度, 协会管理 (an admin’s) is 管理', async () => {
    expect((await ask(h, 'leader', '我的班组')).text).toContain('[card 我的班组]');
    expect((await ask(h, 'admin', '协会管理')).text).toContain('[card 协会管理]');
  });

  it('形式审查 typed by an admin offers its button (no command opens it); in a group it says where the button is', async () => {
    const own = await ask(h, 'admin', '形式审查');
    expect(own.text).toContain('“形式审查”是菜单中的按钮');
    expect(own.actions).toEqual(['check.list']);
    const inGroup = await ask(h, 'admin', '形式审查', 'group');
    expect(inGroup.text).toContain('请在与我的单聊中发送“帮助”');
    expect(inGroup.actions).toEqual([]);
  });

  it('in a group the command is named without a button: a group’s card is everyone’s there', async () => {
    const answer = await ask(h, 'leader', '进渡', 'group');
    expect(answer.text).toContain('你是不是想发送“进度”（status）？');
    expect(answer.actions).toEqual([]);
  });

  it('a command the caller’s menu does not offer is not suggested: 管里 to a leader, 协会管理 to a visitor stays a question', async () => {
    expect((await ask(h, 'leader', '管里')).text).not.toContain('管理');
    expect((await ask(h, 'public', '协会管理')).text).toContain('[card 办法中的相关条款]');
  });

  it.each(['条件', '评选', '注册多久才能参加评选', '怎么注册'])('the question %s keeps its answer from the measures', async (text) => {
    const answer = await ask(h, 'leader', text);
    expect(answer.text).toContain('[card 办法中的相关条款]');
    expect(answer.text).not.toContain('你是不是想');
  });
});

describe('a command with what a phone adds after it', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  it.each([
    ['帮助：', 'p2p'],
    ['help:', 'p2p'],
    ['帮助🙏', 'p2p'],
    ['帮助[微笑]', 'p2p'],
    ['帮助 👍🏻', 'p2p'],
    ['。', 'group'], // "@_user_1 。": a bare mention with the keyboard's stop
    ['！', 'group'],
    ['帮助：', 'group'],
  ] as const)('%s (%s) opens the menu', async (text, chat) => {
    expect((await ask(h, 'leader', text, chat)).text).toContain(MENU);
  });

  it('status： and 进度[微笑] show the caller’s teams, as status does', async () => {
    expect((await ask(h, 'leader', 'status')).text).toContain('[card 我的班组]');
    expect((await ask(h, 'leader', 'status：')).text).toContain('[card 我的班组]');
    expect((await ask(h, 'leader', '进度[微笑]')).text).toContain('[card 我的班组]');
  });

  it('条款 16🙏 opens 第十六条', async () => {
    expect((await ask(h, 'leader', '条款 16🙏')).text).toContain('[card 第十六条]');
  });

  it('a stop alone in the p2p chat is still not understood (no mention calls for the menu there)', async () => {
    expect((await ask(h, 'leader', '。')).text).not.toContain(MENU);
  });

  it.each(['条款，16', '条款-16', '条款（16）'])('%s opens 第十六条', async (text) => {
    expect((await ask(h, 'leader', text)).text).toContain('[card 第十六条]');
  });

  it.each([
    ['绑定通知，专家', '解绑，专家'],
    ['绑定通知（专家）', '解绑（专家）'],
    ['bind,experts', 'unbind,experts'],
  ])('%s binds the group for the experts and %s unbinds it', async (bind, unbind) => {
    expect((await ask(h, 'admin', bind, 'group')).text).toContain('[card 已绑定：评审专家通知]');
    expect((await ask(h, 'admin', unbind, 'group')).text).toContain('[card 已解绑：评审专家通知]');
  });
});

describe('asking to see the complaints or one’s score, in the words people use', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  const LIST = '[card 待处理投诉]';
  const FORM = '[card 质量投诉]';

  it.each(['查看投诉', '看看投诉', '查询投诉', '投诉列表', '投诉清单', '处理投诉', '投诉处理', '查看投诉列表'])('%s by an administrator opens the complaints to handle', async (text) => {
    const answer = await ask(h, 'admin', text);
    expect(answer.text).toContain(LIST);
    expect(answer.actions).toContain('complaint.open');
    expect(answer.text).not.toContain(FORM);
  });

  it('an administrator who wants to complain still gets the form: 我要投诉, 投诉', async () => {
    expect((await ask(h, 'admin', '我要投诉')).text).toContain(FORM);
    expect((await ask(h, 'admin', '投诉')).text).toContain(FORM);
  });

  it('查看投诉 by an administrator in a group sends the list privately and says so there', async () => {
    h.fake.reset();
    await ask(h, 'admin', '查看投诉', 'group');
    const privately = h.fake.messages.filter((m) => m.receiveId === personas.admin);
    expect(privately.map((m) => m.content?.header?.title?.content)).toEqual(['待处理投诉']);
    expect(h.fake.messages.some((m) => m.msgType === 'text' && String(m.content?.text).includes('已通过私聊把投诉清单发给你'))).toBe(true);
  });

  it.each(['查看投诉', '查询投诉', '看看投诉', 'view complaints', 'show complaints', 'check complaints', 'complaint handling', 'handle complaints', 'complaint list'])('%s by an administrator still opens the complaints to handle', async (text) => {
    expect((await ask(h, 'admin', text)).text).toContain(LIST);
  });

  // 查看投诉 / 查询投诉 with nothing after asked for the complaints, not to make one: someone with none to handle gets their own
  it.each(['leader', 'public'] as const)('a %s gets their own complaints for 查看投诉, 查询投诉 and view complaints, the form for 打开投诉, the measures for 处理投诉 and 投诉列表', async (who) => {
    for (const text of ['查看投诉', '查询投诉', '看看投诉', 'view complaints', 'show complaints', 'check complaints']) {
      const answer = await ask(h, who, text);
      expect(answer.text, text).toContain('你还没有在飞书提交过投诉。');
      expect(answer.text, text).not.toContain(FORM);
    }
    expect((await ask(h, who, '打开投诉')).text).toContain(FORM);
    // asked in English, the measures answer in English: how complaints are handled, not a form about a team named handling
    const english = await ask(h, who, 'complaint handling');
    expect(english.text).toContain('办法中的相关条款');
    expect(english.text).not.toContain(FORM);
    expect(english.text).not.toContain('handling”');
    for (const text of ['处理投诉', '投诉列表']) {
      const answer = await ask(h, who, text);
      expect(answer.text, text).toContain('[card 办法中的相关条款]');
      expect(answer.text, text).not.toContain(LIST);
    }
  });

  it.each(['查看评分', '我的评分', '看看评分'])('%s by a team leader points to 进度, not to the experts’ 评分', async (text) => {
    const answer = await ask(h, 'leader', text);
    expect(answer.text).toContain('请发送“进度”查看');
    expect(answer.text).not.toContain('供评审专家使用');
  });

  it('我的评分 by an expert is the tasks; by someone of no team it is still 评分 for experts', async () => {
    expect((await ask(h, 'expert', '我的评分')).text).toContain('[card 我的评分任务]');
    expect((await ask(h, 'public', '我的评分')).text).toContain('供评审专家使用');
  });
});

describe('the words of one’s own work open one’s own list, not an article of the measures', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  const MEASURES = '[card 办法中的相关条款]';
  const TASKS = '[card 我的评分任务]';
  const TO_CONFIRM = '[card 待确认的申报]';

  it.each(['任务', '查看任务', '打分', '评审', '评审任务', '打分任务', '任务列表'])('%s by an expert is their tasks, as 评分 is', async (text) => {
    const answer = await ask(h, 'expert', text);
    expect(answer.place).toBe(TASKS);
    expect(answer.text).not.toContain(MEASURES);
  });

  it.each(['任务', '打分', '评审'])('%s by a team leader or a visitor is still a question for the measures', async (text) => {
    for (const who of ['leader', 'public'] as const) expect((await ask(h, who, text)).place, who).toBe(MEASURES);
  });

  it.each(['评分表', '查看评分表', 'score sheet'])('%s by an expert opens the next sheet to score, as 打开评分表 does', async (text) => {
    const sheet = (await ask(h, 'expert', '打开评分表')).place;
    expect(sheet).not.toBe(MEASURES);
    expect((await ask(h, 'expert', text)).place).toBe(sheet);
  });

  it.each(['确认', '推荐', '我要推荐', '审核', '审核申报', '退回', 'return'])('%s by an organisation contact is the applications waiting for them', async (text) => {
    const answer = await ask(h, 'contact', text);
    expect(answer.place).toBe(TO_CONFIRM);
    expect(answer.text).toContain('广州养护一班');
  });

  it.each(['确认', '推荐', '审核'])('%s by a contact with none waiting is their list, saying none waits', async (text) => {
    // the member persona made a contact of no team's
    await h.db.db.update(people).set({ roles: ['org_contact'] }).where(eq(people.openId, personas.member));
    try {
      const answer = await ask(h, 'member', text);
      expect(answer.place).toBe(TO_CONFIRM);
      expect(answer.text).toContain('目前没有等待你确认的申报。');
    } finally {
      await h.db.db.update(people).set({ roles: [] }).where(eq(people.openId, personas.member));
    }
  });

  it('审核 (退回) by anyone who is no contact is not the contacts’ list', async () => {
    for (const who of ['leader', 'public', 'expert'] as const) expect((await ask(h, who, '审核')).place, who).not.toBe(TO_CONFIRM);
    for (const who of ['leader', 'public', 'expert'] as const) expect((await ask(h, who, '退回')).place, who).not.toBe(TO_CONFIRM);
  });

  it.each(['取消', '撤销', '取消。', 'cancel'])('%s by a team leader says where their application stands and how to take it back, not 第二十二条', async (text) => {
    const answer = await ask(h, 'leader', text);
    expect(answer.text).toContain('广州养护一班 2027 年度申报：申报已提交，等待单位联系人确认；如需修改，班组长可发送“撤回申报”取回后修改');
    expect(answer.text).not.toMatch(/第二十二条|Article 22/);
    expect(answer.place).not.toBe(MEASURES);
  });

  it('取消 by a visitor says what may be taken back and where revoking a title is, not 第二十二条 itself', async () => {
    const answer = await ask(h, 'public', '取消');
    expect(answer.text).toContain('发送“撤回申报”');
    expect(answer.text).toContain('发送“条款 22”查看');
    expect(answer.text).not.toContain('第二十二条');
    expect((await ask(h, 'public', '取消称号')).text).toContain('第二十二条');
  });

  it.each(['my score', 'our score', 'what is our score', 'my team score', 'team score'])('%s by a team leader points to 进度, as 我的评分 does', async (text) => {
    const chinese = (await ask(h, 'leader', '我的评分')).text;
    expect(chinese).toContain('请发送“进度”查看');
    expect((await ask(h, 'leader', text)).text).toBe(chinese);
  });

  it.each(['我的班组编号是多少', '班组编号', '我们的班组编号', 'my team code', 'what is our team code'])('%s by someone of a team names the team’s code', async (text) => {
    for (const who of ['leader', 'member', 'contact'] as const) {
      const answer = await ask(h, who, text);
      expect(answer.text, who).toContain('广州养护一班');
      expect(answer.text, who).toContain('GDSZ-2025-0001');
      expect(answer.text, who).not.toContain('The measures say nothing');
    }
  });

  it('班组编号 by someone of no team says when a team gets one', async () => {
    const answer = await ask(h, 'public', '我的班组编号是多少');
    expect(answer.text).toContain('班组注册时得到班组编号');
    expect(answer.text).toContain('发送“注册”');
  });
});
