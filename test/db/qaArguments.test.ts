import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatBindings, complaints, conflicts, organizations, teams } from '../../db/schema.js';
import type { Harness } from '../support/harness.js';
import { TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent } from '../support/larkEvents.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, personas, securityBotForBlock } from './securityFixture.js';

/**
 * The arguments of chat commands (and the codes typed into a card) as a Chinese IME on a phone types them: full-width
 * letters and digits, the ideographic space. A keyword, a number, a purpose or a code is read in half width; a team's
 * name, searched as typed, is not (it may hold full-width brackets).
 */

interface Said {
  p2p: { title?: string; text: string }[];
  group: { title?: string; text: string }[];
}

const GROUP = 'oc_qaargs00000001';

const shown = (m: { msgType: string; content: any }) =>
  m.msgType === 'interactive' ? { title: m.content?.header?.title?.content as string, text: JSON.stringify(m.content) } : { text: String(m.content?.text ?? '') };

let seq = 0;
async function ask(h: Harness, openId: string, text: string, where: 'p2p' | 'group' = 'p2p'): Promise<Said> {
  h.fake.reset();
  const messageId = `om_qaarg${String(++seq).padStart(8, '0')}`;
  const res = await h.post(
    '/lark/events',
    messageEvent({ token: TEST_VERIFICATION_TOKEN, openId, text, messageId, ...(where === 'group' ? { chatType: 'group' as const, chatId: GROUP, mentionBot: true } : {}) }),
  );
  expect(res.status).toBe(200);
  await h.drain();
  return {
    p2p: h.fake.messages.filter((m) => m.receiveId === openId && !m.replyTo).map(shown),
    group: h.fake.messages.filter((m) => m.replyTo === messageId).map(shown),
  };
}

describe('chat command arguments typed in full width', () => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot));
  const bindings = async () => (await h.db.db.select({ purpose: chatBindings.purpose }).from(chatBindings).where(eq(chatBindings.chatId, GROUP))).map((b) => b.purpose).sort();
  beforeEach(async () => {
    await h.db.db.delete(chatBindings).where(eq(chatBindings.chatId, GROUP));
  });

  // 绑定通知 / 解绑: the purpose is a keyword
  // in traditional characters the purpose is read as the command's name is (README: 註冊 is 注册)
  it.each(['绑定通知 ｅｘｐｅｒｔ', '绑定通知 ＥＸＰＥＲＴＳ', '绑定通知　专家', 'ｂｉｎｄ　ｅｘｐｅｒｔ', 'ＢＩＮＤ ｅｘｐｅｒｔ．', '绑定通知：ｅｘｐｅｒｔ', '綁定通知 專家', '绑定通知 評審專家', '綁定通知專家'])(
    '%s binds the group for experts',
    async (typed) => {
      const bound = await ask(h, personas.admin, typed, 'group');
      expect(bound.group).toHaveLength(1);
      expect(bound.group[0].text).not.toMatch(/不认识/);
      expect(await bindings()).toEqual(['experts']);
    },
  );

  it('解绑 ｅｘｐｅｒｔ removes the experts\' binding only, 解绑　ＡＤＭＩＮ the administrators\'', async () => {
    await ask(h, personas.admin, '绑定通知', 'group');
    await ask(h, personas.admin, '绑定通知 专家', 'group');
    expect(await bindings()).toEqual(['admin', 'experts']);
    const unbound = await ask(h, personas.admin, '解绑 ｅｘｐｅｒｔ', 'group');
    expect(unbound.group[0].text).not.toMatch(/不认识/);
    expect(await bindings()).toEqual(['admin']);
    await ask(h, personas.admin, 'ｕｎｂｉｎｄ　ＡＤＭＩＮ', 'group');
    expect(await bindings()).toEqual([]);
  });

  // the English words as an English speaker names the two groups
  it.each(['bind administrators', 'bind association', 'BIND Administrator', 'bind the association'])('%s binds the group for the administrators', async (typed) => {
    const bound = await ask(h, personas.admin, typed, 'group');
    expect(bound.group).toHaveLength(1);
    expect(bound.group[0].text).not.toMatch(/不认识/);
    expect(await bindings()).toEqual(['admin']);
  });

  it('unbind administrators / unbind association removes the administrators\' binding only', async () => {
    for (const typed of ['unbind administrators', 'unbind association']) {
      await ask(h, personas.admin, '绑定通知', 'group');
      await ask(h, personas.admin, '绑定通知 专家', 'group');
      const unbound = await ask(h, personas.admin, typed, 'group');
      expect(unbound.group[0].text).not.toMatch(/不认识/);
      expect(await bindings()).toEqual(['experts']);
      await ask(h, personas.admin, '解绑', 'group');
    }
  });

  it('an unknown purpose in full width is still refused, naming it and the choices', async () => {
    const refused = await ask(h, personas.admin, '绑定通知 ｆｏｏ', 'group');
    expect(refused.group.map((m) => m.text)).toEqual([
      '不认识“foo”这个用途。用途可以是“管理”（admin，默认，协会管理通知）或“专家”（experts，评审专家通知），例如：绑定通知 专家 / bind experts',
    ]);
    expect(await bindings()).toEqual([]);
  });

  // 条款: the argument is an article's number (or keywords, which the measures' search reads in NFKC anyway)
  it.each(['条款 １６．', '条款　１６', 'ＡＲＴＩＣＬＥ　１６！', '条款 第１６条．'])('%s opens 第十六条, in p2p and in a group', async (typed) => {
    expect((await ask(h, personas.public, typed)).p2p.map((m) => m.title)).toEqual(['第十六条']);
    const inGroup = await ask(h, personas.public, typed, 'group');
    expect(inGroup.group.map((m) => m.title)).toEqual(['第十六条']);
  });

  // 投诉: the argument is a team's code or name; the code is read in half width, the name as typed
  it.each(['投诉 ＧＤＳＺ－２０２５－０００１', '投诉　ｇｄｓｚ－２０２５－０００１', 'ＣＯＭＰＬＡＩＮ ＧＤＳＺ－２０２５－０００１。'])(
    '%s sends the complaint form for that team, in p2p and from a group',
    async (typed) => {
      for (const where of ['p2p', 'group'] as const) {
        const asked = await ask(h, personas.public, typed, where);
        expect(asked.p2p.map((m) => m.title)).toEqual(['质量投诉']);
        expect(asked.p2p[0].text).toContain(`被投诉班组：**广州养护一班**（${f.teamA.code}）`);
        expect(asked.p2p[0].text).not.toMatch(/找不到班组/);
        if (where === 'group') expect(asked.group).toHaveLength(1);
      }
    },
  );

  it('投诉 with a team name in full-width brackets finds it as typed, and not a half-width namesake', async () => {
    const [team] = await h.db.db.select().from(teams).where(eq(teams.id, f.teamA.id));
    const { id: _id, code: _code, ...rest } = team;
    // one organisation holds one of the two (a name is unique by its key in it): the namesake is another's
    const [other] = await h.db.db.insert(organizations).values({ name: '广州另一市政公司' }).returning();
    await h.db.db.insert(teams).values([
      { ...rest, code: 'GDSZ-2025-0901', name: '广州养护（１）班' },
      { ...rest, code: 'GDSZ-2025-0902', name: '广州养护(1)班', organizationId: other.id },
    ]);
    const asked = await ask(h, personas.public, '投诉 广州养护（１）班');
    expect(asked.p2p.map((m) => m.title)).toEqual(['质量投诉']);
    expect(asked.p2p[0].text).toContain('被投诉班组：**广州养护（１）班**（GDSZ-2025-0901）');
  });
});

describe.each(MODES_HERE)('team codes typed in full width into a card (%s)', (mode) => {
  let h: Harness;
  let f: Fixture;
  securityBotForBlock((bot) => ({ h, f } = bot), mode);

  it('查看专家组 opens the panel of the team coded ＧＤＳＺ－２０２５－０００４', async () => {
    const res = await h.click(personas.admin, { action: 'review.panelByCode', cycleId: f.cycleId }, { code: '　ＧＤＳＺ－２０２５－０００４　' });
    expect(res.toast).toBeUndefined();
    expect(res.card?.data?.header?.title?.content).toBe('专家组：深圳建设四班');
  });

  it('a complaint submitted with the team ＧＤＳＺ－２０２５－０００２ is taken against that team', async () => {
    const res = await h.click(personas.public, { action: 'complaint.submit', formKey: `fullwidth-${mode}` }, { team: 'ＧＤＳＺ－２０２５－０００２', content: '路面修补后一周即开裂，请核查' });
    expect(res.toast).toMatchObject({ type: 'success' });
    const [c] = await h.db.db.select().from(complaints).where(eq(complaints.content, '路面修补后一周即开裂，请核查'));
    expect(c.teamId).toBe(f.teamB.id);
  });

  it('a conflict declared with the team ｇｄｓｚ－２０２５－０００３ is recorded against that team', async () => {
    const res = await h.click(personas.expert, { action: 'experts.conflictAdd' }, { kind: 'team', target: 'ｇｄｓｚ－２０２５－０００３', reason: '曾任该班组技术顾问' });
    expect(res.toast).toMatchObject({ type: 'success' });
    const rows = await h.db.db.select().from(conflicts).where(and(eq(conflicts.expertOpenId, personas.expert), eq(conflicts.teamId, f.teamC.id)));
    expect(rows).toHaveLength(1);
  });
});
