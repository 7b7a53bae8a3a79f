import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, chatBindings, cycles, people, teams } from '../../db/schema.js';
import { cardText } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { TEST_ENCRYPT_KEY, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent, signedRequest, urlVerification } from '../support/larkEvents.js';
import { MODES, MODES_HERE, type Mode, twoWorlds } from '../support/worlds.js';
import { type ActionSpec, type Fixture, OTHER_EXPERT, personas, registrationForm, snapshot, securityBotForBlock, startSecurityHarness } from './securityFixture.js';
import { formatDateTimeZh } from '../../src/dates.js';

/**
 * The bot as its users and an outside check meet it: chat commands as people type them on a phone, in p2p and in a
 * group with the bot mentioned; the callback endpoints' answers; every state-changing button clicked twice on both
 * paths (the one statement and the ordinary transaction); a phone number typed in full width.
 */

/** What one message to the bot brought back: each message's card title or text, p2p and group replies apart. */
interface Said {
  p2p: string[];
  group: string[];
}

const shown = (m: { msgType: string; content: any }) => (m.msgType === 'interactive' ? `card:${m.content?.header?.title?.content ?? ''}` : `text:${m.content?.text ?? ''}`);

let seq = 0;
async function ask(h: Harness, openId: string, text: string, where: 'p2p' | 'group' = 'p2p'): Promise<Said> {
  h.fake.reset();
  const messageId = `om_qa${String(++seq).padStart(8, '0')}`;
  const res = await h.post(
    '/lark/events',
    messageEvent({ token: TEST_VERIFICATION_TOKEN, openId, text, messageId, ...(where === 'group' ? { chatType: 'group' as const, chatId: 'oc_qagroup0001', mentionBot: true } : {}) }),
  );
  expect(res.status).toBe(200);
  await h.drain();
  return {
    p2p: h.fake.messages.filter((m) => m.receiveId === openId && !m.replyTo).map(shown),
    group: h.fake.messages.filter((m) => m.replyTo === messageId).map(shown),
  };
}

describe('chat commands as people type them', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  // DESIGN.md's commands, each with its English alias, as the administrator (who may use every one of them)
  const pairs = [
    ['帮助', 'help', 'card:质量信得过班组助手'],
    ['注册', 'register', 'card:注册质量信得过班组'],
    ['申报', 'apply', 'card:年度申报'],
    ['进度', 'status', 'card:我的班组'],
    ['评分', 'review', 'text:“评分”供评审专家使用'],
    ['投诉', 'complain', 'card:质量投诉'],
    ['管理', 'admin', 'card:协会管理'],
    ['条款 16', 'article 16', 'card:第十六条'],
  ] as const;

  it.each(pairs)('%s and %s answer alike in p2p', async (zhName, enName, starts) => {
    const zh = await ask(h, personas.admin, zhName);
    const en = await ask(h, personas.admin, enName);
    expect(zh.p2p).toHaveLength(1);
    expect(zh.p2p[0].startsWith(starts), zh.p2p[0]).toBe(true);
    expect(en).toEqual(zh);
  });

  it.each(pairs)('%s and %s answer alike in a group when the bot is mentioned', async (zhName, enName) => {
    const zh = await ask(h, personas.admin, zhName, 'group');
    const en = await ask(h, personas.admin, enName, 'group');
    // the group hears a reply (the answer, or a note that it went to the p2p chat)
    expect(zh.group).toHaveLength(1);
    expect(en).toEqual(zh);
  });

  it('评分 from someone who is no expert (“评分？” from a leader) says who it is for, and where a leader finds the standard and the scores', async () => {
    for (const text of ['评分', '评分？', 'review?']) {
      const answer = await ask(h, personas.leader, text);
      expect(answer.p2p).toHaveLength(1);
      expect(answer.p2p[0]).toMatch(/^text:“评分”供评审专家使用/);
      expect(answer.p2p[0]).toContain('想了解评审标准，发送“条款 18”；查看你的班组申报和得分，发送“进度”。');
    }
  });

  it('评分 from an administrator who is no expert says how to join the pool (管理 → 专家库), not to ask an administrator', async () => {
    for (const text of ['评分', 'review']) {
      const answer = await ask(h, personas.admin, text);
      expect(answer.p2p).toHaveLength(1);
      expect(answer.p2p[0]).toContain('发送“管理”，点“专家库”，在“添加专家”中选择自己');
      expect(answer.p2p[0]).not.toContain('请联系协会管理员');
    }
  });

  it('bind / 绑定通知 in p2p says where to send it; in a group by someone not an administrator, who may', async () => {
    for (const name of ['绑定通知', 'bind', '解绑', 'unbind']) {
      const p2p = await ask(h, personas.admin, name);
      expect(p2p.p2p.join()).toMatch(/群聊中 @机器人/);
      const refused = await ask(h, personas.leader, name, 'group');
      expect(refused.group.join()).toMatch(/只有协会管理员/);
    }
  });

  it('bind / 绑定通知 in p2p by someone not an administrator is refused there, not sent to a group to be refused again', async () => {
    for (const name of ['绑定通知', 'bind', '解绑', 'unbind', '绑定通知 专家']) {
      const refused = await ask(h, personas.leader, name);
      expect(refused.p2p.join(), name).toMatch(/只有协会管理员/);
      expect(refused.p2p.join(), name).not.toMatch(/群聊中/);
    }
  });

  // a phone's keyboard in full-width mode, a sentence's last stop, a capital letter, two spaces
  it.each([
    ['ＨＥＬＰ', '帮助'],
    ['Ｈｅｌｐ', '帮助'],
    ['帮助。', '帮助'],
    ['帮助！', '帮助'],
    ['HELP', '帮助'],
    ['  help  ', '帮助'],
    ['进度？', '进度'],
    ['Status.', '进度'],
    ['申报。', '申报'],
    ['注册！', '注册'],
    ['ＲＥＧＩＳＴＥＲ', '注册'],
    ['进度……', '进度'],
    ['帮助~', '帮助'],
    // a comma or a semicolon in either width, an enumeration comma, and what a paste hides at the end of a line
    ['帮助，', '帮助'],
    ['help,', '帮助'],
    ['进度；', '进度'],
    ['Status;', '进度'],
    ['申报、', '申报'],
    ['帮助\u200b', '帮助'],
    ['进度\u2060', '进度'],
    ['注册\ufeff', '注册'],
  ])('%j is read as %s', async (typed, meant) => {
    const asked = await ask(h, personas.admin, typed);
    expect(asked.p2p).toHaveLength(1);
    expect(asked).toEqual(await ask(h, personas.admin, meant));
  });

  it.each(['绑定通知 专家。', '绑定通知 专家.', '绑定通知 专家…'])('%s, with the stop a phone adds, binds the group for experts, and 解绑 专家！ undoes it', async (typed) => {
    const bound = await ask(h, personas.admin, typed, 'group');
    expect(bound.group.join()).not.toMatch(/不认识/);
    expect(await h.db.db.select({ purpose: chatBindings.purpose }).from(chatBindings).where(eq(chatBindings.chatId, 'oc_qagroup0001'))).toEqual([{ purpose: 'experts' }]);
    await ask(h, personas.admin, '解绑 专家！', 'group');
    expect(await h.db.db.select().from(chatBindings).where(eq(chatBindings.chatId, 'oc_qagroup0001'))).toEqual([]);
  });

  it('reads ＨＥＬＰ in a group the bot is mentioned in', async () => {
    const asked = await ask(h, personas.leader, 'ＨＥＬＰ', 'group');
    expect(asked).toEqual(await ask(h, personas.leader, '帮助', 'group'));
  });

  it.each(['条款１６', '条款 １６', 'ARTICLE  16', 'Article 16.', 'article16', '条款十六', '条款 十六', '第十六条', '条款第16条', '条款 16。'])('%s opens 第十六条', async (typed) => {
    const asked = await ask(h, personas.public, typed);
    expect(asked.p2p).toEqual(['card:第十六条']);
  });

  it.each([
    ['条款 23', 23],
    ['article 0', 0],
    ['条款 ２３', 23],
    // a numeral of hundreds is that number, not its first digit's article
    ['条款 一百', 100],
    ['条款 一百零一', 101],
    ['article 一百', 100],
    ['条款 两百', 200],
  ])('%s names the range of the articles', async (typed, n) => {
    const asked = await ask(h, personas.public, typed);
    const zh = `办法中没有第 ${n} 条。办法共 22 条，请发送“条款 1”至“条款 22”，例如“条款 16”。`;
    // asked in English (article 0; article 一百 reads as Chinese): the same, then in English
    const en = `\nThe measures have no article ${n}. They have 22 articles: send “article 1” to “article 22”, for example “article 16”.`;
    expect(asked.p2p).toEqual([`text:${zh}${typed === 'article 0' ? en : ''}`]);
  });

  it.each(['条款', 'article', 'ARTICLE。'])('%s alone says how to ask for an article', async (typed) => {
    const asked = await ask(h, personas.public, typed);
    const en = '\nThe measures have 22 articles: send “article 1” to “article 22”, for example “article 16”.';
    expect(asked.p2p).toEqual([`text:办法共 22 条，请发送“条款 1”至“条款 22”，例如“条款 16”。${typed === '条款' ? '' : en}`]);
  });

  it('a group message delivered again under a new event_id is answered once', async () => {
    h.fake.reset();
    const event = (eventId: string) =>
      messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: personas.leader, text: '进度', chatType: 'group', chatId: 'oc_qagroup0002', mentionBot: true, messageId: 'om_qaredelivered0001', eventId });
    for (const eventId of ['evt_qa_group_first', 'evt_qa_group_again']) expect((await h.post('/lark/events', event(eventId))).status).toBe(200);
    await h.drain();
    expect(h.fake.messages.filter((m) => m.replyTo === 'om_qaredelivered0001')).toHaveLength(1);
    expect(h.fake.messages.filter((m) => m.receiveId === personas.leader && !m.replyTo)).toHaveLength(1);
  });

  it('keeps the argument as typed: a complaint about a team named in full width is about that team', async () => {
    const asked = await ask(h, personas.public, '投诉　广州养护一班（东区）');
    expect(asked.p2p).toHaveLength(1);
    expect(asked.p2p[0]).toMatch(/^card:|^text:/);
    // the full-width parentheses reached the look-up as typed, not as ( )
    expect(cardText(h.fake.messages[0].content)).toContain('找不到班组“广州养护一班（东区）”');
  });
});

describe('申报 once the year\'s applications are closed', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));

  it.each([
    ['scoring', '专家评分中'],
    ['closed', '评分结束，评定中'],
  ])('a running cycle at %s: closed, not “not opened yet”, and where to see the team\'s application', async (status, stage) => {
    await h.db.db.update(cycles).set({ status }).where(eq(cycles.id, f.cycleId));
    const asked = await ask(h, personas.leader, '申报');
    expect(asked.p2p).toEqual([`text:2027 年度申报已截止，评审正在进行（${stage}）。发送“进度”查看本班组的申报情况。`]);
    // the draft or form of that year, clicked later, is told the same
    const late = await h.click(personas.leader, { action: 'application.submit', teamId: f.teamA.id, year: 2027 }, {});
    expect(late.toast).toEqual({ type: 'info', content: `2027 年度申报已截止，评审正在进行（${stage}）。发送“进度”查看本班组的申报情况。` });
  });

  it('no cycle running, the last year published: that year is over, the next one will be announced', async () => {
    await h.db.db.update(cycles).set({ status: 'published' }).where(eq(cycles.id, f.cycleId));
    const asked = await ask(h, personas.leader, '申报');
    expect(asked.p2p).toEqual(['text:2027 年度评审已结束（结果已公布）；下一年度评审开启后我会提醒你。']);
  });
});

describe('评审进度: 查看专家组 by team code', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));

  it('an empty code asks for one, on the progress card, instead of naming an empty code', async () => {
    const res = await h.click(personas.admin, { action: 'review.panelByCode', cycleId: f.cycleId }, {});
    expect(res.toast).toEqual({ type: 'error', content: '请填写要查看的班组编号（如 GDSZ-2026-0001）。' });
    expect(res.card?.data?.header?.title?.content).toMatch(/评审进度/);
    const blank = await h.click(personas.admin, { action: 'review.panelByCode', cycleId: f.cycleId }, { code: '  ' });
    expect(blank.toast).toEqual(res.toast);
  });

  it('a code typed in lower case opens that team\'s panel', async () => {
    const res = await h.click(personas.admin, { action: 'review.panelByCode', cycleId: f.cycleId }, { code: f.teamD.code.toLowerCase() });
    expect(res.toast).toBeUndefined();
    expect(res.card?.data?.header?.title?.content).toMatch(/^专家组：/);
  });
});

describe('the callback endpoints', () => {
  let h: Harness;
  securityBotForBlock((bot) => ({ h } = bot));

  async function raw(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
    const res = await fetch(h.app.url + path, { method: 'POST', headers, body });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  }

  it('answers 401 with JSON to an unsigned, stale, future or wrong-token callback on both URLs, and the challenge by its token', async () => {
    const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId: personas.leader, text: '帮助' });
    const now = Math.floor(Date.now() / 1000);
    for (const path of ['/lark/events', '/lark/cards']) {
      const answers = [
        await raw(path, JSON.stringify(event)),
        await raw(path, ...signedArgs(event, now - 400)),
        await raw(path, ...signedArgs(event, now + 400)),
        await raw(path, ...signedArgs(messageEvent({ token: 'not-our-token', openId: personas.leader, text: '帮助' }), now)),
      ];
      for (const a of answers) {
        expect(a.status, `${path} ${a.body}`).toBe(401);
        expect(a.type).toMatch(/^application\/json/);
        expect(JSON.parse(a.body)).toMatchObject({ code: 401 });
      }
      expect(await raw(path, JSON.stringify(urlVerification({ token: 'not-our-token' })))).toMatchObject({ status: 401 });
      const challenge = await raw(path, JSON.stringify(urlVerification({ token: TEST_VERIFICATION_TOKEN, challenge: 'qa-challenge' })));
      expect(JSON.parse(challenge.body)).toEqual({ challenge: 'qa-challenge' });
    }
    // nothing of the refused callbacks reached the bot
    expect(h.fake.messages).toHaveLength(0);
  });

  function signedArgs(payload: object, timestamp: number): [string, Record<string, string>] {
    const req = signedRequest(payload, { encryptKey: TEST_ENCRYPT_KEY, timestamp });
    return [req.body, req.headers];
  }
});

/** A card answer's toast, its day and minute (which differ between two databases' clocks) left out. */
const toastOf = (r: any) => ({ type: r?.toast?.type as string | undefined, content: String(r?.toast?.content ?? '').replace(/\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/g, '<when>') });

describe('every state-changing button clicked twice, on both paths', () => {
  const worlds = twoWorlds(async () => startSecurityHarness(), { oneOnPglite: true });
  const seconds: Record<Mode, Record<string, { type?: string; says: string; changed: string[]; firstType?: string }>> = { fast: {}, ordinary: {} };

  beforeAll(async () => {
    // one world standing for both (PGlite) is clicked once: what it said is both's
    if (worlds.ordinary === worlds.fast) seconds.ordinary = seconds.fast;
    for (const mode of MODES_HERE) {
      const { h, table } = worlds[mode] as { h: Harness; table: Record<string, ActionSpec> };
      for (const [action, spec] of Object.entries(table)) {
        if (!spec.mutates) continue;
        const persona = spec.own.allowed === 'all' ? 'public' : spec.own.allowed[0];
        if (!persona) continue;
        const value = { action, ...spec.own.value };
        const first = await h.click(personas[persona], value, spec.own.form);
        const before = await snapshot(h.db.db, ['outbox']);
        const second = await h.click(personas[persona], value, spec.own.form);
        const after = await snapshot(h.db.db, ['outbox']);
        seconds[mode][action] = { firstType: toastOf(first).type, type: toastOf(second).type, says: toastOf(second).content, changed: Object.keys(after).filter((t) => after[t] !== before[t]) };
      }
    }
  }, 300_000);

  it('the second click changes no row and is no error unless the first was one, said alike on both paths', () => {
    expect(Object.keys(seconds.fast).length).toBeGreaterThan(25);
    for (const mode of MODES) {
      for (const [action, s] of Object.entries(seconds[mode])) {
        expect(s.changed, `${mode} ${action}: rows changed by the second click`).toEqual([]);
        if (s.firstType !== 'error') expect(s.type, `${mode} ${action}`).not.toBe('error');
      }
    }
    expect(seconds.ordinary).toEqual(seconds.fast);
  });
});

describe.each(MODES_HERE)('停用 / 启用 an expert, clicked twice (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot), mode);

  const audits = async (openId: string) => (await h.db.db.select().from(auditLog).where(eq(auditLog.entityId, openId))).filter((a) => a.action.startsWith('expert.'));
  const active = async (openId: string) => (await h.db.db.select({ a: people.expertActive }).from(people).where(eq(people.openId, openId)))[0].a;

  it.each([
    ['experts.deactivate', personas.expert, '停用', false],
    // the same expert, inactive by then
    ['experts.activate', personas.expert, '启用', true],
  ] as const)('%s: the second click ends on the pool with when it was done, and no second audit row', async (action, expert, verb, after) => {
    expect(f.cycleId).toBeGreaterThan(0);
    const before = (await audits(expert)).length;
    const first = await h.click(personas.admin, { action, openId: expert });
    expect(first.toast.type).toBe('success');
    const second = await h.click(personas.admin, { action, openId: expert });
    expect(second.toast).toEqual({ type: 'info', content: expect.stringMatching(new RegExp(`^已于 \\d{4}年\\d{1,2}月\\d{1,2}日 \\d{2}:\\d{2} ${verb}该专家，无需重复${verb}。$`)) });
    expect(second.card?.data?.header?.title?.content).toBe(first.card?.data?.header?.title?.content);
    expect(await audits(expert)).toHaveLength(before + 1);
    expect(await active(expert)).toBe(after);
  });

  it('启用 of an expert active all along says so, without a time it never had', async () => {
    const res = await h.click(personas.admin, { action: 'experts.activate', openId: OTHER_EXPERT });
    expect(res.toast).toEqual({ type: 'info', content: '已启用该专家，无需重复启用。' });
    expect(res.card?.data?.header?.title?.content).toMatch(/专家库/);
    expect(await audits(OTHER_EXPERT)).toEqual([]);
  });

  it('启用 of an expert that 添加专家 made active again is told that time, not an older 启用', async () => {
    await h.click(personas.admin, { action: 'experts.activate', openId: personas.expert });
    h.clock.advance(24 * 3600_000);
    await h.click(personas.admin, { action: 'experts.deactivate', openId: personas.expert });
    h.clock.advance(24 * 3600_000);
    const added = await h.click(personas.admin, { action: 'experts.add' }, { experts: [personas.expert], organization: '广东省市政设计研究院', specialities: '桥梁', maxLoad: '10' });
    expect(added.toast.type).toBe('success');
    expect(await active(personas.expert)).toBe(true);
    const [addedAt] = (await audits(personas.expert)).filter((a) => a.action === 'expert.add').map((a) => a.at).sort((a, b) => b.getTime() - a.getTime());
    const res = await h.click(personas.admin, { action: 'experts.activate', openId: personas.expert });
    expect(res.toast).toEqual({ type: 'info', content: `已于 ${formatDateTimeZh(addedAt, 'Asia/Shanghai')} 启用该专家，无需重复启用。` });
  });

  it('two clicks at once: one change, one audit row, the other told it is done', async () => {
    await h.click(personas.admin, { action: 'experts.activate', openId: personas.expert });
    const before = (await audits(personas.expert)).length;
    const both = await Promise.all([0, 1].map(() => h.click(personas.admin, { action: 'experts.deactivate', openId: personas.expert })));
    expect(both.map((b) => b.toast.type).sort()).toEqual(['info', 'success']);
    expect(await audits(personas.expert)).toHaveLength(before + 1);
    expect(await active(personas.expert)).toBe(false);
  });
});

describe.each(MODES_HERE)('移除成员 clicked twice (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot), mode);

  it('the second ends on the members card with when the member was removed', async () => {
    const value = { action: 'team.memberRemove', teamId: f.teamA.id, openId: personas.member };
    const first = await h.click(personas.leader, value);
    expect(first.toast).toEqual({ type: 'success', content: '已移除' });
    const second = await h.click(personas.leader, value);
    expect(second.toast).toEqual({ type: 'info', content: expect.stringMatching(/^已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 移除该成员，无需重复移除。$/) });
    expect(second.card?.data?.header?.title?.content).toBe(first.card?.data?.header?.title?.content);
    expect((await h.db.db.select().from(auditLog).where(eq(auditLog.action, 'team.members.remove'))).length).toBe(1);
  });

  it('someone who never was a member is said to be not in the team, without a time', async () => {
    const res = await h.click(personas.leader, { action: 'team.memberRemove', teamId: f.teamA.id, openId: OTHER_EXPERT });
    expect(res.toast).toEqual({ type: 'info', content: '该成员已不在班组中。' });
  });
});

describe.each(MODES_HERE)('a phone number typed in full width (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot), mode);
  beforeEach(() => h.fake.reset());

  it('registers, keeping the number in half width', async () => {
    const res = await h.click(personas.public, { action: 'team.register' }, registrationForm('全角', { phone: '０２０－８７６５４３２１' }));
    expect(res.toast).toMatchObject({ type: 'success' });
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, '测试养护全角班'));
    expect(team.phone).toBe('020-87654321');
  });

  it('saves it on 修改资料', async () => {
    const res = await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { phone: '１３８ ００１３ ８０００' });
    expect(res.toast).toMatchObject({ type: 'success' });
    const [team] = await h.db.db.select().from(teams).where(eq(teams.id, f.teamA.id));
    expect(team.phone).toBe('138 0013 8000');
  });

  it('still refuses what is no phone number, naming the field', async () => {
    const res = await h.click(personas.public, { action: 'team.register' }, registrationForm('全角二', { phone: '电话见附件' }));
    expect(res.toast).toEqual({ type: 'error', content: '联系电话须为电话号码（至少 7 位数字，可含 - + 空格、括号和“转”分机，两个号码用顿号隔开），如 020-××××××××' });
  });
});
