import { describe, expect, it } from 'vitest';
import { createBot } from '../bot/index.js';
import { adminCard } from '../cards/admin.js';
import { commandSuggestionCard, helpCard } from '../cards/help.js';
import { trailingRun } from '../src/forms.js';
import { onlyStops } from '../src/handlers.js';
import { parseArticleArgument } from '../src/measures/index.js';
import { menuButtons } from '../src/helpMenuCards.js';
import { editDistance, slipDistance } from '../src/nearestCommand.js';
import type { Role } from '../src/people.js';

/**
 * Commands as people type them on a phone: what the keyboard adds after one (a colon, an emoji, a [表情] code), a
 * slip of the thumb on one, a menu button's label typed; and the 帮助 card naming only the commands the caller may use.
 */

const bot = createBot();
const markdownOf = (card: unknown) => JSON.stringify(card);

describe('a command with what a phone adds after it', () => {
  it.each([
    ['帮助：', '帮助', ''],
    ['help:', '帮助', ''],
    ['status：', '进度', ''],
    ['进度 :', '进度', ''],
    ['帮助🙏', '帮助', ''],
    ['帮助 👍🏻', '帮助', ''],
    ['注册❤️', '注册', ''],
    ['帮助[微笑]', '帮助', ''],
    ['help[OK]', '帮助', ''],
    ['进度。[微笑]', '进度', ''],
    ['条款 16[微笑]', '条款', '16'],
    ['条款 16：', '条款', '16'],
    ['绑定通知 专家🙏', '绑定通知', '专家'],
    // a comma, a dash or a bracket between the name and its keyword, as a phone's keyboard types them
    ['绑定通知，专家', '绑定通知', '专家'],
    ['绑定通知、专家', '绑定通知', '专家'],
    ['绑定通知（专家）', '绑定通知', '专家'],
    ['绑定通知（专家）。', '绑定通知', '专家'],
    ['bind,experts', '绑定通知', 'experts'],
    ['bind (experts)', '绑定通知', 'experts'],
    ['解绑，专家', '解绑', '专家'],
    ['条款，16', '条款', '16'],
    ['条款-16', '条款', '16'],
    ['条款——16', '条款', '16'],
    ['条款【16】', '条款', '16'],
    ['article-16', '条款', '16'],
    // 协会联系方式, asked as people ask it
    ['联系协会。', '联系协会', ''],
    ['协会联系方式？', '联系协会', ''],
    ['Contact association', '联系协会', ''],
    ['我要联系协会', '联系协会', ''],
    // a certificate checked (第二十一条): its number after the name, glued or after a colon, or in English
    ['查询证书 GDSZ-ZS-2026-0001', '查询证书', 'GDSZ-ZS-2026-0001'],
    ['证书查询：GDSZ-ZS-2026-0001', '查询证书', 'GDSZ-ZS-2026-0001'],
    ['Verify certificate GDSZ-ZS-2026-0001', '查询证书', 'GDSZ-ZS-2026-0001'],
    ['查询证书。', '查询证书', ''],
  ])('%j is %s', (t, name, argument) => {
    const m = bot.matchCommand(t);
    expect(m?.def.names).toContain(name);
    expect(m?.argument).toBe(argument);
  });

  it('keeps brackets in a team’s name searched as typed', () => {
    expect(bot.matchCommand('投诉 市政养护一班[东区]')?.argument).toBe('市政养护一班[东区]');
    expect(bot.matchCommand('投诉（东区）养护一班')).toMatchObject({ argument: '（东区）养护一班', glued: true });
  });

  it('投诉，市政养护一班 is 投诉 with the team typed after the comma, still declined when it names no team', () => {
    expect(bot.matchCommand('投诉，市政养护一班')).toMatchObject({ argument: '市政养护一班', glued: true });
  });

  it.each(['👍', '🙂', '[微笑]'])('%s alone is no command (small talk answers it)', (t) => {
    expect(bot.matchCommand(t)).toBeUndefined();
  });

  it('a mention followed only by stops is a bare mention', () => {
    for (const t of ['', '。', ' 。', '!', '…', '，', '：']) expect(onlyStops(t), t).toBe(true);
    for (const t of ['帮助', '👍', '16', 'a']) expect(onlyStops(t), t).toBe(false);
  });
});

describe('a command’s two names typed together, and what a command acts on after it', () => {
  it.each([
    ['help 帮助', '帮助', ''],
    ['帮助 help', '帮助', ''],
    ['帮助，help', '帮助', ''],
    ['进度 status', '进度', ''],
    ['status 进度', '进度', ''],
    // as the 帮助 card prints them, and the hints: `进度` / `status`, 发送“进度”（status）
    ['进度 / status', '进度', ''],
    ['进度/status。', '进度', ''],
    ['`进度` / `status`', '进度', ''],
    ['“进度”（status）', '进度', ''],
    ['“绑定通知”（bind）', '绑定通知', ''],
    ['条款 16 / article 16', '条款', '16'],
    // 投诉 and its English name, not a complaint about a team named complain
    ['投诉 complain', '投诉', ''],
  ])('%j is %s', (t, name, argument) => {
    const m = bot.matchCommand(t);
    expect(m?.def.names[0]).toBe(name);
    expect(m?.argument).toBe(argument);
  });

  it.each([
    ['register my team', '注册'],
    ['register team', '注册'],
    ['register a team', '注册'],
    ['Register our new team.', '注册'],
    ['I want to register my team', '注册'],
    ['注册我的班组', '注册'],
    ['注册新班组', '注册'],
    ['apply for my team', '申报'],
    ['status of my team', '进度'],
    ['check my status', '进度'],
    // 我的班组 is the label of the button 进度 opens
    ['my team', '进度'],
    ['show my team', '进度'],
  ])('%j is %s', (t, name) => {
    expect(bot.matchCommand(t)).toMatchObject({ def: { names: expect.arrayContaining([name]) }, argument: '' });
  });

  it.each([
    '注册 help',
    '帮助 注册',
    'how do I register?',
    'what is the status of complaints',
    'register my team and apply',
    '注册多久才能参加评选',
    '注册班组需要什么材料',
    'status of complaints',
  ])('%j stays no command (a question, or two commands)', (t) => {
    expect(bot.matchCommand(t)).toBeUndefined();
  });

  it('two names with two arguments are one name and its argument, as before: 条款 16 / article 17 names both', () => {
    expect(bot.matchCommand('条款 16 / article 17')).toMatchObject({ def: { names: expect.arrayContaining(['条款']) }, argument: '16 / article 17' });
  });
});

describe('the nearest command to a slip', () => {
  it('counts a swapped pair as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('regster', 'register')).toBe(1);
    expect(editDistance('aplly', 'apply')).toBe(1);
    expect(slipDistance('进渡', '进度')).toBe(1);
    expect(slipDistance('进度', '进度')).toBeUndefined();
    expect(slipDistance('进', '进度')).toBeUndefined();
    expect(slipDistance('report', 'import')).toBeUndefined();
  });

  const leader: Role[] = ['leader', 'member'];
  it.each([
    ['regster', leader, '注册'],
    ['stauts', leader, '进度'],
    ['aplly', leader, '申报'],
    ['artcle 16', leader, '条款 16'],
    ['条欵 16', leader, '条款 16'],
    ['进渡', leader, '进度'],
    ['注删', leader, '注册'],
    ['hepl', leader, '帮助'],
    ['评份', ['expert'], '评分'],
    ['管里', ['admin'], '管理'],
    ['我的班级', leader, '进度'],
  ] as const)('%s (%j) is a slip for %s', (t, roles, command) => {
    const near = bot.nearestCommand(t, roles);
    expect(near?.command?.[0]).toBe(command);
    expect(near?.exact).toBe(false);
  });

  it('names a command the caller’s menu does not offer to no one: 评分 to a leader, 管理 to a visitor', () => {
    expect(bot.nearestCommand('评份', leader)).toBeUndefined();
    expect(bot.nearestCommand('管里', [])).toBeUndefined();
    expect(bot.nearestCommand('aplly', [])).toBeUndefined();
  });

  it.each([
    ['绑定通之', '绑定通知'],
    ['bnid', '绑定通知'],
    ['解帮', '解绑'],
    ['unbnid', '解绑'],
    ['导人', '导入'],
    ['improt', '导入'],
  ] as const)('names the administrators’ %s (%s) to an administrator only', (t, command) => {
    expect(bot.nearestCommand(t, ['admin'])?.command?.[0]).toBe(command);
    for (const roles of [[], leader, ['expert'], ['org_contact']] as Role[][]) expect(bot.nearestCommand(t, roles)).toBeUndefined();
  });

  it('finds a button of the caller’s menu by its label typed exactly', () => {
    expect(bot.nearestCommand('我的班组', leader)).toMatchObject({ exact: true, command: ['进度', 'status'], entry: { action: 'team.status' } });
    expect(bot.nearestCommand('协会管理', ['admin'])).toMatchObject({ exact: true, command: ['管理', 'admin'] });
    expect(bot.nearestCommand('形式审查', ['admin'])).toMatchObject({ exact: true, entry: { action: 'check.list' } });
    expect(bot.nearestCommand('形式审查', leader)).toBeUndefined();
    expect(bot.nearestCommand('协会管理', leader)).toBeUndefined();
  });

  it.each(['注册多久才能参加评选', '我要申报需要什么条件呢', 'how often is the review held', ''])('%j is no slip', (t) => {
    expect(bot.nearestCommand(t, ['admin', 'expert', 'leader', 'member', 'org_contact'])).toBeUndefined();
  });
});

describe('帮助 names the commands of the caller’s buttons', () => {
  it('every command a menu button names is a command, in both languages', () => {
    for (const entry of bot.menu.filter((e) => e.command)) {
      const [zh, en] = entry.command!;
      const [a, b] = [bot.matchCommand(zh), bot.matchCommand(en)];
      expect(a, zh).toBeDefined();
      expect(b?.def, en).toBe(a?.def);
      expect(b?.argument).toBe(a?.argument);
    }
  });

  it.each([
    [[], ['注册', '进度', '投诉', '查询证书', '条款 16', '联系协会']],
    [['leader', 'member'], ['注册', '申报', '进度', '更换班组长', '投诉', '查询证书', '条款 16', '联系协会']],
    [['org_contact'], ['注册', '进度', '待确认申报', '投诉', '查询证书', '条款 16', '联系协会']],
    [['expert'], ['注册', '进度', '评分', '投诉', '查询证书', '条款 16', '联系协会']],
    [['admin'], ['注册', '进度', '投诉处理', '管理', '投诉', '查询证书', '条款 16', '联系协会']],
  ] as [Role[], string[]][])('roles %j: %j', (roles, commands) => {
    const text = markdownOf(helpCard({ roles, buttons: menuButtons(bot.menuFor(roles)) }));
    const listed = [...text.matchAll(/`([^`]+)` \/ `([^`]+)`/g)].map((m) => m[1]);
    expect(listed).toEqual(commands);
    expect(text).toContain('`进度` / `status` 我的班组');
  });

  it('a contact’s 待确认申报 and an administrator’s 投诉处理 name the English typed for them', () => {
    expect(markdownOf(helpCard({ roles: ['org_contact'], buttons: menuButtons(bot.menuFor(['org_contact'])) }))).toContain('`待确认申报` / `pending applications` 待确认申报');
    expect(markdownOf(helpCard({ roles: ['admin'], buttons: menuButtons(bot.menuFor(['admin'])) }))).toContain('`投诉处理` / `complaints` 投诉处理');
  });

  it('协会管理 names the commands of its 投诉处理, 导入 and 历年评审结果 buttons, each a command in both languages', () => {
    const text = markdownOf(adminCard({ today: '2027年3月10日', applicationCounts: [], olderPublished: true }));
    const listed = [...text.matchAll(/`([^`]+)` \/ `([^`]+)`/g)].map((m) => [m[1], m[2]]);
    expect(listed).toEqual([['投诉处理', 'complaints'], ['导入', 'import'], ['历年评审结果', 'past results']]);
    for (const [zh, en] of listed) {
      expect(bot.matchCommand(zh)?.def.roles, zh).toEqual(['admin']);
      expect(bot.matchCommand(en)?.def, en).toBe(bot.matchCommand(zh)?.def);
    }
    // no 历年评审结果 button, no command for it
    expect(markdownOf(adminCard({ today: '2027年3月10日', applicationCounts: [] }))).not.toContain('past results');
  });

  it('an administrator’s menu says how to bind a group (a command said in a group, which no button can give); nobody else’s does', () => {
    expect(markdownOf(helpCard({ roles: ['admin'], buttons: menuButtons(bot.menuFor(['admin'])) }))).toContain('“绑定通知”（bind）');
    for (const roles of [[], ['leader'], ['expert'], ['org_contact']] as Role[][]) {
      expect(markdownOf(helpCard({ roles, buttons: menuButtons(bot.menuFor(roles)) }))).not.toContain('绑定通知');
    }
  });

  it('a group’s shared card names no command: its one button opens each person’s own menu', () => {
    const text = markdownOf(helpCard({ buttons: [{ action: 'help.private', label: '在私聊中打开我的菜单' }] }));
    expect(text).not.toContain('`');
    expect(text).not.toContain('直接发送命令');
  });

  it('the suggestion escapes what was typed after the command', () => {
    const text = markdownOf(commandSuggestionCard({ command: ['条款 *16*', 'article *16*'] }));
    expect(text).toContain('条款 &#42;16&#42;');
  });
});

describe('a long run of stops at a text’s end', () => {
  // `(?:unit)+$` is tried from every unit of a run and reads to its end each time: 12 000 。 and a letter held the bot 11 s
  const STOP = String.raw`[\s.。!！?？~～…，,；;、:：\u200b\u2060\ufeff\u200d\ufe0f\u20e3\u{1f3fb}-\u{1f3ff}]|\p{Extended_Pictographic}|\[[^[\]\s]{1,8}\]`;
  const naive = new RegExp(`(?:${STOP})+$`, 'u');

  it('strips what the plain pattern strips', () => {
    const pieces = ['。', '!', ' ', 'a', '帮助', '👍', '🏻', '[微笑]', '[a', ']', '，', 'x'];
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let i = 0; i < 2000; i++) {
      const s = Array.from({ length: next() % 9 }, () => pieces[next() % pieces.length]).join('');
      expect(s.replace(trailingRun(STOP), ''), JSON.stringify(s)).toBe(s.replace(naive, ''));
    }
  });

  it('reads a run of 20 000 once, in a command and in an article’s number', () => {
    const article = '16' + '？'.repeat(20_000) + 'x';
    for (const text of ['帮助' + '。'.repeat(20_000) + 'x', 'help' + '[微笑]'.repeat(5_000) + 'x', '帮助' + '👍'.repeat(10_000) + 'x']) {
      const read = () => {
        bot.matchCommand(text);
        bot.nearestCommand(text, []);
        parseArticleArgument(article);
      };
      // once untimed: the first call compiles the patterns and the code (nothing is cached between calls), which on a
      // loaded machine took a good part of the bound
      read();
      const started = performance.now();
      read();
      // read quadratically, each of these took seconds (20 000 。: 12 s); read once, a few milliseconds
      expect(performance.now() - started).toBeLessThan(1000);
    }
    expect(bot.matchCommand('帮助' + '。'.repeat(20_000))?.def.names[0]).toBe('帮助');
  });
});

describe('what people type for a command’s work, read as that command', () => {
  it.each([
    ['查进度', '进度', ''],
    ['我的进度', '进度', ''],
    ['my progress', '进度', ''],
    ['progress', '进度', ''],
    ['Progress', '进度', ''],
    ['申请', '申报', ''],
    ['申請', '申报', ''],
    ['申报 2027', '申报', '2027'],
    ['申报2027', '申报', '2027'],
    ['apply 2027', '申报', '2027'],
    ['推荐', '推荐', ''],
    ['同意推荐', '推荐', ''],
    ['确认', '推荐', ''],
    ['评分表', '评分表', ''],
    ['下载工作簿', '下载结果工作簿', ''],
    ['审核', '推荐', ''],
    ['审核申报', '推荐', ''],
    ['任务', '任务', ''],
    ['查看任务', '任务', ''],
    ['评审', '任务', ''],
    ['打分', '任务', ''],
    ['评审任务', '任务', ''],
    ['my score', '评分', ''],
    ['what is our score', '评分', ''],
    ['我的班组编号是多少', '班组编号', ''],
    ['班组编号', '班组编号', ''],
    ['my team code', '班组编号', ''],
    ['what is our team code', '班组编号', ''],
  ])('%j is %s', (t, name, argument) => {
    const m = bot.matchCommand(t);
    expect(m?.def.names).toContain(name);
    expect(m?.argument).toBe(argument);
  });

  it('申报 followed by what is no year is 申报 with it, left to the command to hand to the measures', () => {
    expect(bot.matchCommand('申报需要什么条件')).toBeUndefined();
    expect(bot.matchCommand('申报 需要什么条件')?.argument).toBe('需要什么条件');
  });
});
