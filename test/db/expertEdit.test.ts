import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, organizations, people } from '../../db/schema.js';
import { cardActions, cardText, inputValues } from '../support/cards.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { type Fixture, ORG_B, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 专家库's 修改 (第十一条、第十七条): the add form's picker offers nobody already in the pool, so an expert's organisation,
 * specialities and load limit are changed from their own line: 修改 fills the form with their record and picks them, and
 * 保存修改 saves over it as 添加专家 does — an expert who moved into the organisation of a team they hold to score steps
 * aside from it (回避).
 */
describe('修改 of an expert in 专家库', () => {
  let h: Harness;
  let f: Fixture;
  let messageId: string;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    const sent = h.fake.messages.length;
    await h.say(ADMIN, '管理');
    messageId = h.fake.messages.slice(sent).find((m) => m.receiveId === ADMIN)!.messageId;
    expect((await h.clickCard(ADMIN, messageId, { action: 'experts.list' })).refused).toBeUndefined();
  });
  afterAll(async () => {
    await h?.close();
  });
  const record = async () => {
    const [row] = await h.db.db.select({ specialities: people.specialities, maxLoad: people.maxLoad, org: organizations.name }).from(people).leftJoin(organizations, eq(organizations.id, people.organizationId)).where(eq(people.openId, personas.expert));
    return row;
  };

  it('修改 of an expert known by open_id alone (picked, or added by mobile) names them by a mention, not “未填姓名”', async () => {
    await h.db.db.update(people).set({ name: null }).where(eq(people.openId, personas.expert));
    try {
      const opened = await h.clickCard(ADMIN, messageId, { action: 'experts.edit', openId: personas.expert, page: 1 });
      expect(opened.refused).toBeUndefined();
      expect(cardText(opened.body.card.data)).toContain(`修改专家：<at id=${personas.expert}></at>`);
    } finally {
      await h.db.db.update(people).set({ name: '专家' }).where(eq(people.openId, personas.expert));
    }
  });

  it('picking an expert already in the pool on the plain form is what Feishu refuses', async () => {
    const picked = await h.clickCard(ADMIN, messageId, { action: 'experts.add' }, { experts: [personas.expert], organization: ORG_B, maxLoad: '2' });
    expect(picked.refused).toBeDefined();
  });

  it('修改 fills the form with the expert’s record, and 保存修改 changes their organisation and load limit', async () => {
    const opened = await h.clickCard(ADMIN, messageId, { action: 'experts.edit', openId: personas.expert, page: 1 });
    expect(opened.refused).toBeUndefined();
    const card = opened.body.card.data;
    expect(cardText(card)).toContain('修改专家：专家');
    expect(inputValues(card)).toMatchObject({ organization: '广东省市政行业专家委员会', specialities: '道路养护' });
    expect(inputValues(card).maxLoad ?? '').toBe('');
    const saved = await h.clickCard(ADMIN, messageId, { action: 'experts.add', edit: true, openId: personas.expert }, { experts: [personas.expert], organization: ORG_B, specialities: '道路养护', maxLoad: '2' });
    expect(saved.refused).toBeUndefined();
    expect(saved.body.toast).toEqual({ type: 'success', content: `已保存：专家 的专家信息（${ORG_B}）` });
    const [row] = await h.db.db.select({ maxLoad: people.maxLoad, org: organizations.name, active: people.expertActive }).from(people).leftJoin(organizations, eq(organizations.id, people.organizationId)).where(eq(people.openId, personas.expert));
    expect(row).toEqual({ maxLoad: 2, org: ORG_B, active: true });
    // now of team D's organisation: their pending task on its application is theirs no more (回避)
    const [task] = await h.db.db.select({ status: assignments.status }).from(assignments).where(eq(assignments.id, f.ownTask));
    expect(task.status).not.toBe('assigned');
  });

  it('保存修改 with 专业特长 and 评审上限 left blank keeps them, and says nothing changed', async () => {
    expect((await h.clickCard(ADMIN, messageId, { action: 'experts.edit', openId: personas.expert, page: 1 })).refused).toBeUndefined();
    const again = await h.clickCard(ADMIN, messageId, { action: 'experts.add', edit: true, openId: personas.expert }, { experts: [personas.expert], organization: ORG_B, specialities: '', maxLoad: '' });
    expect(again.refused).toBeUndefined();
    expect(again.body.toast).toEqual({ type: 'info', content: '没有改动：专家 的专家信息与专家库中一致。' });
    expect(await record()).toEqual({ specialities: ['道路养护'], maxLoad: 2, org: ORG_B });
  });

  it('a 专业特长 typed replaces the stored ones, a 评审上限 left blank is kept', async () => {
    expect((await h.clickCard(ADMIN, messageId, { action: 'experts.edit', openId: personas.expert, page: 1 })).refused).toBeUndefined();
    const saved = await h.clickCard(ADMIN, messageId, { action: 'experts.add', edit: true, openId: personas.expert }, { experts: [personas.expert], organization: ORG_B, specialities: '桥梁检测', maxLoad: '' });
    expect(saved.body.toast).toEqual({ type: 'success', content: `已保存：专家 的专家信息（${ORG_B}）` });
    expect(await record()).toEqual({ specialities: ['桥梁检测'], maxLoad: 2, org: ORG_B });
  });

  it('添加专家 of someone already in the pool, picked on a stale form, keeps what a blank field leaves out', async () => {
    // the card itself would not offer them (a form drawn before they joined): the callback as it comes
    const added = await h.click(ADMIN, { action: 'experts.add' }, { experts: [personas.expert], organization: '广东省市政行业专家委员会', specialities: '', maxLoad: '' });
    expect(added.toast.type).toBe('success');
    expect(await record()).toEqual({ specialities: ['桥梁检测'], maxLoad: 2, org: '广东省市政行业专家委员会' });
  });

  it('添加专家 of someone already in the pool, found by e-mail, keeps what a blank field leaves out', async () => {
    h.fake.addUser({ openId: personas.expert, name: '专家', email: 'expert@example.com' });
    const added = await h.clickCard(ADMIN, messageId, { action: 'experts.add' }, { experts: [], expertsLookup: 'expert@example.com', organization: ORG_B, specialities: '', maxLoad: '' });
    expect(added.refused).toBeUndefined();
    expect(added.body.toast.type).toBe('success');
    expect(await record()).toEqual({ specialities: ['桥梁检测'], maxLoad: 2, org: ORG_B });
    // a typed value still replaces
    await h.clickCard(ADMIN, messageId, { action: 'experts.add' }, { experts: [], expertsLookup: 'expert@example.com', organization: ORG_B, specialities: '', maxLoad: '5' });
    expect(await record()).toEqual({ specialities: ['桥梁检测'], maxLoad: 5, org: ORG_B });
  });

  /** 修改 of the expert, then 保存修改 with `form`. */
  const editAndSave = async (form: Record<string, unknown>) => {
    expect((await h.clickCard(ADMIN, messageId, { action: 'experts.edit', openId: personas.expert, page: 1 })).refused).toBeUndefined();
    const saved = await h.clickCard(ADMIN, messageId, { action: 'experts.add', edit: true, openId: personas.expert }, { experts: [personas.expert], ...form });
    expect(saved.refused).toBeUndefined();
    return saved.body;
  };

  it('评审上限 typed as 不限 (or 无上限, 0) clears the limit, and 专业特长 typed as 无 clears them', async () => {
    await editAndSave({ organization: ORG_B, specialities: '桥梁检测', maxLoad: '5' });
    const cleared = await editAndSave({ organization: ORG_B, specialities: '无', maxLoad: '不限' });
    expect(cleared.toast).toEqual({ type: 'success', content: `已保存：专家 的专家信息（${ORG_B}）` });
    expect(await record()).toEqual({ specialities: [], maxLoad: null, org: ORG_B });
    for (const typed of ['无上限', '０', ' 不限量 ']) {
      await editAndSave({ organization: ORG_B, specialities: '', maxLoad: '8' });
      expect((await record()).maxLoad).toBe(8);
      expect((await editAndSave({ organization: ORG_B, specialities: '', maxLoad: typed })).toast.type).toBe('success');
      expect(await record()).toEqual({ specialities: [], maxLoad: null, org: ORG_B });
    }
    // 暂无 (none yet) and 无限 (unlimited), as a secretary writes them, are none and no limit too, never a speciality named 暂无
    await editAndSave({ organization: ORG_B, specialities: '桥梁检测', maxLoad: '8' });
    expect((await editAndSave({ organization: ORG_B, specialities: '暂无', maxLoad: '无限' })).toast.type).toBe('success');
    expect(await record()).toEqual({ specialities: [], maxLoad: null, org: ORG_B });
    // the form says how
    const opened = await h.clickCard(ADMIN, messageId, { action: 'experts.edit', openId: personas.expert, page: 1 });
    expect(JSON.stringify(opened.body.card.data)).toContain('填“不限”');
  });

  it('a refused 保存修改 redraws the same expert’s edit form, with the refusal and what was typed', async () => {
    const refused = await editAndSave({ organization: '', specialities: '隧道', maxLoad: '7' });
    const card = refused.card.data;
    expect(cardText(card)).toContain('未保存');
    expect(cardText(card)).toContain('所在单位');
    expect(cardText(card)).toContain('修改专家：专家');
    expect(JSON.stringify(card)).toContain('保存修改');
    expect(JSON.stringify(card)).not.toContain('添加到专家库');
    expect(inputValues(card)).toMatchObject({ specialities: '隧道', maxLoad: '7' });
    // and saved from there (the card as redrawn), it is 保存修改 still
    const saved = await h.clickCard(ADMIN, messageId, { action: 'experts.add', edit: true, openId: personas.expert }, { experts: [personas.expert], organization: ORG_B, specialities: '隧道', maxLoad: '7' });
    expect(saved.refused).toBeUndefined();
    expect(saved.body.toast).toEqual({ type: 'success', content: `已保存：专家 的专家信息（${ORG_B}）` });
    expect(await record()).toEqual({ specialities: ['隧道'], maxLoad: 7, org: ORG_B });
  });

  it('a stopped expert has no 修改: 启用 first', async () => {
    await h.click(ADMIN, { action: 'experts.deactivate', openId: personas.expert, page: 1 });
    const pool = await h.click(ADMIN, { action: 'experts.list' });
    expect(cardActions(pool.card.data).filter((a) => a.action === 'experts.edit').map((a) => a.openId)).not.toContain(personas.expert);
  });

  it('保存修改 on an edit form drawn before the expert was stopped saves nothing and does not start them again', async () => {
    const active = async () => (await h.db.db.select({ active: people.expertActive }).from(people).where(eq(people.openId, personas.expert)))[0].active;
    expect(await active()).toBe(false);
    // started again, its 修改 form drawn, then stopped from another card
    await h.click(ADMIN, { action: 'experts.activate', openId: personas.expert, page: 1 });
    expect((await h.clickCard(ADMIN, messageId, { action: 'experts.edit', openId: personas.expert, page: 1 })).refused).toBeUndefined();
    await h.click(ADMIN, { action: 'experts.deactivate', openId: personas.expert, page: 1 });
    expect(await active()).toBe(false);
    const before = await record();
    const stale = await h.clickCard(ADMIN, messageId, { action: 'experts.add', edit: true, openId: personas.expert }, { experts: [personas.expert], organization: ORG_B, specialities: '桥梁', maxLoad: '9' });
    expect(stale.refused).toBeUndefined();
    expect(stale.body.toast?.type).not.toBe('success');
    expect(stale.body.toast?.content).toBe('专家 已停用，本次没有保存：保存修改不会重新启用专家。如需修改，请先在专家库中点“启用”，再点“修改”。');
    // the pool as it is: the expert stopped, with 启用
    expect(cardActions(stale.body.card.data)).toContainEqual({ action: 'experts.activate', openId: personas.expert, page: 1 });
    expect(await active()).toBe(false);
    expect(await record()).toEqual(before);
  });
});
