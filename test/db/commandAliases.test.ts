import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { PUBLIC_RESULTS } from '../../bot/respond.js';

/**
 * A command as a team leader types it in the p2p chat (DESIGN.md: each command has its English alias): both its names
 * together, as the 帮助 card prints them (`进度` / `status`) or to be sure (help 帮助); an English command with what it
 * acts on (register my team); my team as 我的班组; art. 16 as article 16. Questions keep their answers from the
 * measures, and a text not understood that has English in it is answered in English too.
 */

let h: Harness;
const LEADER = 'ou_aliasleader000000000000000001';
const CONTACT = 'ou_aliascontact00000000000000001';

beforeAll(async () => {
  h = await startHarness();
  expect((await h.click(LEADER, { action: 'team.register' }, registrationForm('市政养护一班', CONTACT))).toast.type).toBe('success');
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.fake.reset());

/** The one message the leader got for what they said: a text's text, or a card's title then its text. */
async function answerTo(text: string): Promise<string> {
  await h.say(LEADER, text);
  const sent = h.fake.messages.filter((m) => m.receiveId === LEADER);
  expect(sent).toHaveLength(1);
  const [m] = sent;
  return m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`;
}

describe('a command’s Chinese and English names sent together are the command', () => {
  it.each(['help 帮助', '帮助 help', '帮助，help'])('%j opens the menu, not 没有听懂 and 发送“帮助”', async (text) => {
    expect(await answerTo(text)).toMatch(/^\[质量信得过班组助手\]/);
  });

  it.each(['进度 status', 'status 进度', '进度 / status', '`进度` / `status`', '“进度”（status）'])('%j shows the leader’s team, not a hint to send 进度', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toMatch(/^\[我的班组\]/);
    expect(answer).toContain('市政养护一班');
  });
});

describe('an English command with what it acts on', () => {
  it.each(['register my team', 'register team', 'register a team', '注册我的班组'])('%j opens the registration form, not 第十六条', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toMatch(/^\[注册质量信得过班组\]/);
    expect(answer).not.toContain('Article 16');
  });

  it.each(['my team', 'show my team', 'status of my team'])('%j shows the leader’s team, as 我的班组 does', async (text) => {
    expect(await answerTo(text)).toMatch(/^\[我的班组\]/);
  });

  it('apply for my team answers as 申报 does, not with 第十五条', async () => {
    const applied = await answerTo('申报');
    h.fake.reset();
    expect(await answerTo('apply for my team')).toBe(applied);
  });

  // the labels of the form's and the notices' buttons (提交申报, 修改申报, 继续填写) and what a leader types for the form
  it.each(['申报表', '年度申报', '我的申报', '填写申报表', '修改申报', '提交申报', '继续填写', '继续申报', '重新提交', '重新申报', 'my application', 'edit application', 'resubmit'])(
    '%j answers as 申报 does, not with 第十五条 nor 没有听懂',
    async (text) => {
      const applied = await answerTo('申报');
      h.fake.reset();
      expect(await answerTo(text)).toBe(applied);
    },
  );
});

describe('art. 16 is article 16', () => {
  it.each(['art 16', 'Art. 16', 'what does art. 16 say'])('%j opens 第十六条 in English', async (text) => {
    const answer = await answerTo(text);
    expect(answer).toContain('第十六条 / Article 16');
    expect(answer).not.toContain('say nothing');
  });
});

describe('questions stay questions', () => {
  it.each([
    ['how do I register?', 'Article 16'],
    ['what is the status of complaints', 'Article 22'],
    ['注册多久才能参加评选', '第十六条'],
  ])('%j is answered from the measures (%s)', async (text, article) => {
    const answer = await answerTo(text);
    expect(answer).toContain(article);
    expect(answer).not.toMatch(/^\[(注册质量信得过班组|我的班组)\]/);
  });
});

describe('a text not understood', () => {
  it('with English words in it is answered in English too', async () => {
    const answer = await answerTo('随便说点什么 ok');
    expect(answer).toContain('没有听懂这句话');
    expect(answer).toContain('Send “help” for the menu');
  });

  it('in Chinese alone stays Chinese', async () => {
    expect(await answerTo('随便说点什么')).toBe('没有听懂这句话。发送“帮助”查看可用的命令。');
  });
});

describe('a card’s title or button label typed is that card, not an article', () => {
  let experts: Harness;
  let expert = '';
  const contact = 'ou_b2030_contact_2';
  beforeAll(async () => {
    experts = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const fx = await seedLargeCycle(experts.db.db, { applications: 4, experts: 4, organizations: 8, year: 2030 });
    await experts.click(ADMIN, { action: 'cycle.closeApplications', cycleId: fx.cycleId });
    [{ expertOpenId: expert }] = await experts.db.db.select().from(assignments).orderBy(asc(assignments.id)).limit(1);
  }, 120_000);
  afterAll(async () => {
    await experts?.close();
  });
  beforeEach(() => experts.fake.reset());

  /** The one message `openId` got for what they said, as answerTo reads it. */
  async function answerOf(openId: string, text: string): Promise<string> {
    await experts.say(openId, text);
    const sent = experts.fake.messages.filter((m) => m.receiveId === openId);
    expect(sent).toHaveLength(1);
    const [m] = sent;
    return m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`;
  }

  it.each(['评分', '评分任务', 'review', '我的评分任务', '评分列表', '评分任务列表', '我的任务', 'review tasks', 'review list', 'my review tasks', 'my reviews', 'my tasks'])(
    '%j shows the expert’s tasks, not 第十八条',
    async (text) => {
      const answer = await answerOf(expert, text);
      expect(answer).toMatch(/^\[我的评分任务\]/);
      expect(answer).toMatch(/已完成 0 \/ \d+/);
    },
  );

  it.each(['评分标准', 'review standard'])('%j is still a question (第十八条)', async (text) => {
    expect(await answerOf(expert, text)).toContain('第十八条');
  });

  it.each(['投诉处理', '待处理投诉', 'complaint list', 'complain list', '投诉 清单', 'complaints', 'open complaints'])('%j shows an administrator the complaints to handle', async (text) => {
    expect(await answerOf(ADMIN, text)).toMatch(/^\[待处理投诉\]/);
  });

  it.each(['待确认的申报', '待确认申报', 'pending applications', 'applications to confirm', '待确认', '待确认。', '确认申报', '待我确认', '待我确认的申报', '待我确认的申报（3）', '查看待确认'])(
    '%j shows an organisation contact the applications waiting for them, not the measures',
    async (text) => {
      expect(await answerOf(contact, text)).toMatch(/^\[待确认的申报\]/);
    },
  );

  it('我的单位 shows a contact the teams they confirm for, as 进度 does', async () => {
    /** Every message `text` brought the contact, as answerOf reads one. */
    const answersTo = async (text: string) => {
      experts.fake.reset();
      await experts.say(contact, text);
      return experts.fake.messages.filter((m) => m.receiveId === contact).map((m) => (m.msgType === 'text' ? String(m.content.text) : `[${m.content.header?.title?.content ?? ''}] ${cardText(m.content)}`));
    };
    const status = await answersTo('进度');
    expect(status[0]).toMatch(/^\[我的班组\]/);
    expect(await answersTo('我的单位')).toEqual(status);
  });

  it.each(['分配专家', '评审进度', '公布结果', '截止申报', '专家库', '结束评分并汇总', '开启年度评审', 'admin menu', 'administration'])(
    '%j typed by an administrator opens the 协会管理 card, where that button is, and does nothing itself',
    async (text) => {
      expect(await answerOf(ADMIN, text)).toMatch(/^\[协会管理\]/);
    },
  );

  it.each(['分配专家', '公布结果'])('%j typed by an expert is a question for the measures, not the administrators’ card', async (text) => {
    expect(await answerOf(expert, text)).not.toMatch(/^\[协会管理\]/);
  });

  it.each(['评审结果', 'results'])('%j typed by an expert (no team) is told how results are made known and a title checked: not 管理’s refusal, not the card', async (text) => {
    const answer = await answerOf(expert, text);
    expect(answer).not.toMatch(/^\[协会管理\]/);
    expect(answer).not.toContain('只有协会管理员');
    expect(answer).toBe(PUBLIC_RESULTS);
  });

  it.each(['待确认的申报', '待确认', '确认申报', 'pending applications'])('%j from someone who is nobody’s contact says the list is the contacts’, not an empty list nor how to register', async (text) => {
    expect(await answerOf(expert, text)).toBe('第十五条：只有班组登记的单位联系人可以查看待确认的申报：班组提交申报后，由单位联系人确认申报材料并填写推荐意见。发送“帮助”查看你可以使用的功能。');
  });

  it('确认申报 from a team leader sends them to 进度 for their own application', async () => {
    await h.say(LEADER, '确认申报');
    const [m] = h.fake.messages.filter((x) => x.receiveId === LEADER);
    expect(m.content.text).toBe('第十五条：只有班组登记的单位联系人可以查看待确认的申报：班组提交申报后，由单位联系人确认申报材料并填写推荐意见。本班组的申报到了哪一步，请发送“进度”查看。');
  });
});
