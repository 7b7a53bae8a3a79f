import { beforeAll, describe, expect, it } from 'vitest';
import { organizations, teams } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { readAnswer, type TypedAnswer, typedAsker } from '../support/typedAnswers.js';
import { personas, securityBotForBlock } from './securityFixture.js';

/**
 * Commands asked for in one's own words on a phone: a request's words before the command (请 / 我要 / 我想 / 帮我 /
 * 麻烦 / 查一下 / 看一下 / 看看 / 给我), after it (吧 / 一下 / 。/ ？) and in English (list complaints, check status,
 * I want to apply, register please) reach the command the words wrap, as the command typed alone does; a question about
 * the same thing (申报需要什么条件, 投诉需要什么材料) keeps its answer from the measures. Asking to see the complaints is
 * the list to handle for an administrator and one's own complaints (我的投诉) for anyone else.
 */

const GROUP = 'oc_typedrequests0001';

type Answer = TypedAnswer;

const typed = typedAsker('om_typedreq', GROUP);
const ask = (h: Harness, who: keyof typeof personas, text: string, chat: 'p2p' | 'group' = 'p2p') => typed(h, personas[who], text, chat);
const read = readAnswer;

/** The measures' answer, in Chinese or English (`[card From the measures · 办法中的相关条款]`). */
const MEASURES = '办法中的相关条款]';
const LIST = '[card 待处理投诉]';
const FORM = '[card 质量投诉]';
/** 我的投诉 of someone who filed none. */
const MINE = '你还没有在飞书提交过投诉。';

describe('a command asked for in the words of a request reaches the command, as typed alone', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  it.each([
    // 帮助
    ['leader', '请给我帮助', '帮助'],
    ['leader', '请帮助', '帮助'],
    ['leader', '看一下菜单', '帮助'],
    ['leader', 'help me', '帮助'],
    ['leader', 'help please', '帮助'],
    // 注册
    ['public', '我要注册', '注册'],
    ['public', '我想注册班组', '注册'],
    ['public', '我想注册一个班组', '注册'],
    ['public', '帮我注册一下', '注册'],
    ['public', '注册一下吧', '注册'],
    ['public', '麻烦注册一下', '注册'],
    ['public', '注册吧', '注册'],
    ['public', 'register please', '注册'],
    ['public', 'I want to register', '注册'],
    ['public', 'please register my team', '注册'],
    // 申报
    ['leader', '我要申报', '申报'],
    ['leader', '我想申报', '申报'],
    ['leader', '帮我申报一下', '申报'],
    ['leader', '申报一下吧', '申报'],
    ['leader', '申报一下', '申报'],
    ['leader', '麻烦帮我申报吧', '申报'],
    ['leader', '我要申报。', '申报'],
    ['leader', 'I want to apply', '申报'],
    ['leader', 'apply please', '申报'],
    ['leader', "I'd like to apply for my team", '申报'],
    // 进度
    ['leader', '帮我查一下进度', '进度'],
    ['leader', '查一下进度', '进度'],
    ['leader', '查下进度', '进度'],
    ['leader', '看一下进度', '进度'],
    ['leader', '看看进度吧', '进度'],
    ['leader', '我想看看进度', '进度'],
    ['leader', '进度？', '进度'],
    ['leader', '麻烦查一下进度。', '进度'],
    ['leader', 'check status', '进度'],
    ['leader', 'check my status', '进度'],
    ['leader', 'show my status', '进度'],
    ['leader', 'view my status', '进度'],
    ['leader', 'status please', '进度'],
    ['leader', 'progress', '进度'],
    ['admin', 'progress', '进度'],
    // 评分
    ['expert', '看一下评分任务', '评分'],
    ['expert', '查一下我的评分任务', '评分'],
    ['expert', '我要评分', '评分'],
    ['expert', '看看我的任务', '评分'],
    ['expert', '帮我打开评分', '评分'],
    ['expert', 'show my tasks', '评分'],
    ['expert', 'list my tasks', '评分'],
    ['expert', 'show my tasks please', '评分'],
    ['expert', 'list my tasks please', '评分'],
    ['expert', 'review please', '评分'],
    ['expert', 'I want to review', '评分'],
    ['expert', '查看任务', '评分'],
    ['expert', '看一下任务', '评分'],
    ['expert', '我要打分', '评分'],
    ['expert', '查看评审任务', '评分'],
    // 待确认的申报
    ['contact', '我要推荐', '待确认申报'],
    ['contact', '帮我审核一下', '待确认申报'],
    ['contact', '请确认', '待确认申报'],
    // 我的评分 of a team: where its score is (进度)
    ['leader', 'what is our score', '我的评分'],
    ['leader', 'what’s my score', '我的评分'],
    ['leader', 'show my score', '我的评分'],
    // 班组编号
    ['leader', '查一下班组编号', '班组编号'],
    ['leader', 'what is my team code', '班组编号'],
    // 投诉
    ['leader', '我要投诉', '投诉'],
    ['leader', '我想投诉', '投诉'],
    ['leader', '投诉一下', '投诉'],
    ['leader', '我要投诉一下', '投诉'],
    ['leader', '投诉一下吧', '投诉'],
    ['leader', '我要投诉一下吧', '投诉'],
    ['leader', '投诉一下[微笑]', '投诉'],
    ['leader', '投诉 一下 吧', '投诉'],
    ['leader', '帮我投诉', '投诉'],
    ['leader', 'I want to complain', '投诉'],
    ['leader', 'complain please', '投诉'],
    ['leader', "I'd like to file a complaint", '投诉'],
    // 管理
    ['admin', '打开管理', '管理'],
    ['admin', '请打开管理', '管理'],
    ['admin', '看一下管理', '管理'],
    ['admin', 'show admin menu', '管理'],
    ['admin', 'admin please', '管理'],
    // 条款
    ['leader', '查一下条款 16', '条款 16'],
    ['leader', '看一下条款16', '条款 16'],
    ['leader', '请给我条款 16', '条款 16'],
    ['leader', 'show article 16', '条款 16'],
    ['leader', '查一下第十六条', '条款 16'],
    // 联系协会
    ['leader', '我要联系协会', '联系协会'],
    ['leader', '查一下协会联系方式', '联系协会'],
    ['leader', '请给我协会联系方式', '联系协会'],
  ] as const)('%s: %s is %s', async (who, typed, command) => {
    const meant = (await ask(h, who, command)).place;
    expect(meant).not.toContain(MEASURES);
    expect((await ask(h, who, typed)).place).toBe(meant);
  });

  it.each([
    ['请绑定通知 专家', '解绑 专家'],
    ['帮我绑定通知，专家', '请解绑，专家'],
    ['please bind experts', 'please unbind experts'],
  ])('an administrator’s %s in a group binds it for the experts, and %s unbinds it', async (bind, unbind) => {
    expect((await ask(h, 'admin', bind, 'group')).text).toContain('[card 已绑定：评审专家通知]');
    expect((await ask(h, 'admin', unbind, 'group')).text).toContain('[card 已解绑：评审专家通知]');
  });
});

describe('asking to see the complaints: an administrator’s list, anyone else’s own', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  const SEEING = [
    '查一下投诉',
    '看一下投诉',
    '查下投诉',
    '查一下投诉。',
    '帮我查一下投诉',
    '查一下我的投诉',
    '看看我的投诉',
    '我想看看我的投诉',
    '帮我查一下我的投诉',
    '查一下投诉进度',
    '看一下投诉清单',
    '麻烦看一下投诉吧',
    'list complaints',
    'list my complaints',
    'show my complaints',
    'show me my complaints',
    'check my complaints',
    'view my complaints',
    'show complaints please',
    'my complaints please',
  ];

  it.each(SEEING)('%s by an administrator opens the complaints to handle', async (text) => {
    const answer = await ask(h, 'admin', text);
    expect(answer.place).toBe(LIST);
  });

  it.each(SEEING)('%s by a team leader or a visitor brings their own complaints (我的投诉)', async (text) => {
    for (const who of ['leader', 'public'] as const) {
      const answer = await ask(h, who, text);
      expect(answer.text, who).toContain(MINE);
      expect(answer.text, who).not.toContain(FORM);
      expect(answer.text, who).not.toContain(MEASURES);
    }
  });
});

describe('a team whose name starts with a word of a request is still the team complained about', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));
  beforeAll(async () => {
    const db = h.db.db;
    const [org] = await db.select().from(organizations).limit(1);
    const team = (code: string, name: string) => ({
      code, name, organizationId: org.id, department: '工程部', type: 'project', leaderOpenId: personas.leader, phone: '020-1234567',
      memberCount: 6, functions: '道路养护', goals: 'x', plan: 'y', contactOpenId: personas.contact, registeredAt: '2025-01-10',
    });
    await db.insert(teams).values([team('GDSZ-2025-0901', '吧台班'), team('GDSZ-2025-0902', '下水道养护班'), team('GDSZ-2025-0903', '一下午班')]);
  });

  it.each([
    ['投诉 吧台班', '吧台班'],
    ['投诉吧台班', '吧台班'],
    ['我要投诉吧台班', '吧台班'],
    ['投诉 下水道养护班', '下水道养护班'],
    ['投诉下水道养护班', '下水道养护班'],
    ['投诉 一下午班', '一下午班'],
    ['投诉一下午班', '一下午班'],
  ])('%s opens the form of %s', async (text, name) => {
    const answer = await ask(h, 'public', text);
    expect(answer.place).toBe(FORM);
    expect(answer.text).toContain(`被投诉班组：**${name}**`);
  });

  it.each(['投诉一下吧', '我要投诉一下吧', '投诉一下[微笑]', '投诉吧'])('%s opens the empty form, no team named', async (text) => {
    const answer = await ask(h, 'public', text);
    expect(answer.place).toBe(FORM);
    expect(answer.text).not.toContain('被投诉班组：**');
  });
});

describe('a question about a command stays a question for the measures', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  it.each([
    ['leader', '申报需要什么条件'],
    ['leader', '我想知道申报需要什么条件'],
    ['leader', '查一下申报条件'],
    ['leader', '请问怎么注册'],
    ['leader', '投诉怎么处理的'],
    ['leader', '投诉需要什么材料'],
    ['admin', '投诉需要什么材料'],
    ['admin', '查一下投诉需要什么材料'],
    ['public', '帮我查一下投诉流程'],
    ['expert', '看一下评分标准'],
    ['leader', 'how do I apply'],
  ] as const)('%s: %s', async (who, text) => {
    const answer = await ask(h, who, text);
    expect(answer.place).toContain(MEASURES);
    expect(answer.text).not.toContain('你是不是想');
  });
});
