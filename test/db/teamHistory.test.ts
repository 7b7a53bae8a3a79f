import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_BYTES_BUDGET, cardBodyBytes } from '../../cards/kit.js';
import { auditLog, people } from '../../db/schema.js';
import { describeEntry } from '../../src/teamHistory.js';
import { cardText, expectValidCard } from '../support/cards.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { type Fixture, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 变更记录 <班组编号> / history (第十七条): an administrator asked “who changed this team, and when” reads the team's audit
 * rows (its record, applications, titles and complaints), latest first, fifteen a page, with who and from what to what;
 * anyone else is told it is the administrators'.
 */
describe('变更记录 of a team', () => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await h?.close();
  });

  /** What `openId` got from the bot after `text`: the cards and texts. */
  async function ask(openId: string, text: string) {
    const sent = h.fake.messages.length;
    await h.say(openId, text);
    return h.fake.messages.slice(sent).filter((m) => m.receiveId === openId);
  }

  it('shows a 修改资料 with who made it, when, and each field from what it was to what it is', async () => {
    expect((await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { phone: '020-7654321' })).toast?.type).toBe('success');
    const [reply] = await ask(ADMIN, `变更记录 ${f.teamA.code}`);
    expect(reply.msgType).toBe('interactive');
    expectValidCard(reply.content);
    const text = cardText(reply.content);
    expect(reply.content.header.title.content).toMatch(/^变更记录：/);
    expect(reply.content.header.subtitle.content).toBe(`${f.teamA.code} · 第 1 页`);
    expect(text).toMatch(/班组长：修改资料/);
    expect(text).toContain('联系电话：020-1234567 → 020-7654321');
    expect(text).toContain('以上是全部记录。');
  });

  it('the English alias, and the code glued to the name', async () => {
    const [en] = await ask(ADMIN, `history ${f.teamA.code}`);
    expect(cardText(en.content)).toContain('联系电话：020-1234567 → 020-7654321');
    const [glued] = await ask(ADMIN, `变更记录${f.teamA.code}`);
    expect(glued.content.header.subtitle.content).toBe(`${f.teamA.code} · 第 1 页`);
  });

  it('pages fifteen at a time, the latest first, and says how to ask for the page before', async () => {
    const base = h.clock.now().getTime();
    await h.db.db.insert(auditLog).values(
      Array.from({ length: 20 }, (_, i) => ({ actor: ADMIN, action: 'team.update', entity: 'team', entityId: String(f.teamA.id), at: new Date(base + (i + 1) * 60_000), details: { changed: ['goals'], changes: { goals: { from: `目标${i}`, to: `目标${i + 1}` } } } })),
    );
    const [first] = await ask(ADMIN, `变更记录 ${f.teamA.code}`);
    const one = cardText(first.content);
    expectValidCard(first.content);
    expect(one).toContain('质量目标：目标19 → 目标20');
    expect(one).not.toContain('质量目标：目标4 → 目标5');
    expect(one).toContain(`更早的记录：发送“变更记录 ${f.teamA.code} 第2页”。`);
    const [second] = await ask(ADMIN, `变更记录 ${f.teamA.code} 第2页`);
    const two = cardText(second.content);
    expect(two).toContain('质量目标：目标4 → 目标5');
    expect(two).toContain('联系电话：020-1234567 → 020-7654321');
    expect(two).not.toContain('质量目标：目标19 → 目标20');
  });

  it('an administrator’s 帮助 says how to ask for it; a leader’s does not', async () => {
    const [admin] = await ask(ADMIN, '帮助');
    expect(cardText(admin.content)).toContain('发送“变更记录 班组编号”（history）');
    const [leader] = await ask(personas.leader, '帮助');
    expect(cardText(leader.content)).not.toContain('变更记录');
  });

  it('refuses anyone not an administrator, and an unknown code says what to type', async () => {
    const [refused] = await ask(personas.leader, `变更记录 ${f.teamA.code}`);
    expect(refused.msgType).toBe('text');
    expect(JSON.stringify(refused.content)).toContain('只有协会管理员可以使用“变更记录”');
    const [unknown] = await ask(ADMIN, '变更记录 GDSZ-1999-0999');
    expect(JSON.stringify(unknown.content)).toContain('找不到编号为“GDSZ-1999-0999”的班组');
    // words with no code are a question, for the measures as before
    const [question] = await ask(personas.leader, 'history of the programme');
    expect(JSON.stringify(question.content)).not.toContain('变更记录');
    const [none] = await ask(ADMIN, '变更记录');
    expect(JSON.stringify(none.content)).toContain('请在命令后写上班组编号');
  });
  /** Rows of the team recorded `days` days after the fixture's clock, a minute apart: the latest on the card. */
  async function record(days: number, rows: { action: string; details: Record<string, unknown> }[]) {
    const base = h.clock.now().getTime() + days * 86_400_000;
    await h.db.db.insert(auditLog).values(rows.map((r, i) => ({ actor: ADMIN, entity: 'team', entityId: String(f.teamA.id), at: new Date(base + (i + 1) * 60_000), ...r })));
  }

  it('names a complaint’s decision as recorded, and an expert stepping aside with their name', async () => {
    const named = (action: string) => describeEntry({ at: new Date(), actor: ADMIN, actorName: null, action, entity: 'complaint', entityId: '1', details: {} }, (id) => id).what;
    expect([named('complaint.uphold'), named('complaint.dismiss'), named('complaint.withdraw'), named('complaint.duplicate')]).toEqual(['投诉成立', '投诉不成立', '投诉已撤回', '重复投诉']);
    await h.db.db.insert(people).values({ openId: 'ou_history_expert', name: '回避专家甲' }).onConflictDoNothing();
    await record(1, [{ action: 'review.recuse', details: { expert: 'ou_history_expert', role: 'member', declined: [], scored: [] } }]);
    const text = cardText((await ask(ADMIN, `变更记录 ${f.teamA.code}`))[0].content);
    expect(text).toContain('专家回避');
    expect(text).toContain('回避的专家：回避专家甲');
    expect(text).not.toContain('review.recuse');
  });

  it('shows what someone typed as typed: a 请联系协会 in it is no phrase the association’s contact goes after', async () => {
    await record(2, [{ action: 'team.update', details: { changed: ['goals'], changes: { goals: { from: '旧目标', to: '有疑问请联系协会' } } } }]);
    const [reply] = await ask(ADMIN, `变更记录 ${f.teamA.code}`);
    const shown = JSON.stringify(reply.content);
    expect(shown).toContain('有疑问请联系&#21327;会');
    expect(shown).not.toContain('有疑问请联系协会');
  });

  it('names ten of many members added, keeps the card within Feishu’s size, and cuts a long value without splitting an emoji', async () => {
    const many = Array.from({ length: 200 }, (_, i) => `ou_history_member_${i}`);
    await record(3, [
      ...Array.from({ length: 7 }, () => ({ action: 'team.members.add', details: { added: many } })),
      // every field changed to a value that escaping makes six times as long
      ...Array.from({ length: 8 }, () => ({ action: 'team.import.update', details: { changes: Object.fromEntries(['phone', 'memberCount', 'functions', 'goals', 'plan', 'name', 'type', 'department', 'registeredAt', 'leader', 'contact', 'organization'].map((k) => [k, { from: '|'.repeat(30), to: '|'.repeat(30) }])) } })),
    ]);
    const [reply] = await ask(ADMIN, `变更记录 ${f.teamA.code}`);
    expect(reply?.msgType).toBe('interactive');
    expectValidCard(reply.content);
    expect(cardBodyBytes(reply.content)).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
    const text = cardText(reply.content);
    expect(text).toContain('等 200 人');
    const cut = describeEntry(
      { at: new Date(), actor: ADMIN, actorName: null, action: 'team.update', entity: 'team', entityId: '1', details: { changes: { goals: { from: '旧', to: `${'目'.repeat(29)}😀后面的字` } } } },
      (id) => id,
    );
    expect(String(cut.detail)).toBe(`质量目标：旧 → ${'目'.repeat(29)}…`);
  });

  it('names someone imported and not yet linked by the name on record', async () => {
    await h.db.db.insert(people).values({ openId: 'pending:m:13900009999', name: '待关联成员' }).onConflictDoNothing();
    await record(4, [{ action: 'team.members.add', details: { added: ['pending:m:13900009999', 'pending:e:nobody@example.com'] } }]);
    const text = cardText((await ask(ADMIN, `变更记录 ${f.teamA.code}`))[0].content);
    expect(text).toContain('待关联成员（尚未关联飞书）、nobody@example.com（尚未关联飞书）');
  });

  it('names someone the bot has no name for (picked, or added by mobile, never imported) by a mention, which Feishu shows by name', async () => {
    const unnamed = 'ou_historyunnamedmember000000001';
    const actor = 'ou_historyunnamedactor0000000001';
    await h.db.db.insert(people).values([{ openId: unnamed }, { openId: actor }]).onConflictDoNothing();
    await h.db.db.insert(auditLog).values({ actor, action: 'team.members.add', entity: 'team', entityId: String(f.teamA.id), at: new Date(h.clock.now().getTime() + 30 * 86_400_000), details: { added: [unnamed] } });
    const [reply] = await ask(ADMIN, `变更记录 ${f.teamA.code}`);
    expectValidCard(reply.content);
    const text = cardText(reply.content);
    expect(text).toContain(`<at id=${actor}></at>：添加成员\n<at id=${unnamed}></at>`);
    expect(text).not.toContain('未登记姓名的用户');
  });

  it('a page number past any history says the page is empty', async () => {
    const [reply] = await ask(ADMIN, `变更记录 ${f.teamA.code} 第99999999999999999999页`);
    expect(reply?.msgType).toBe('interactive');
    expect(reply.content.header.subtitle.content).toBe(`${f.teamA.code} · 第 100000 页`);
    expect(cardText(reply.content)).toContain('这一页没有记录。');
  });
});
