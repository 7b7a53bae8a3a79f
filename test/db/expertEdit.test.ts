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
    const saved = await h.clickCard(ADMIN, messageId, { action: 'experts.add' }, { experts: [personas.expert], organization: ORG_B, specialities: '道路养护', maxLoad: '2' });
    expect(saved.refused).toBeUndefined();
    expect(saved.body.toast.type).toBe('success');
    const [row] = await h.db.db.select({ maxLoad: people.maxLoad, org: organizations.name, active: people.expertActive }).from(people).leftJoin(organizations, eq(organizations.id, people.organizationId)).where(eq(people.openId, personas.expert));
    expect(row).toEqual({ maxLoad: 2, org: ORG_B, active: true });
    // now of team D's organisation: their pending task on its application is theirs no more (回避)
    const [task] = await h.db.db.select({ status: assignments.status }).from(assignments).where(eq(assignments.id, f.ownTask));
    expect(task.status).not.toBe('assigned');
  });

  it('a stopped expert has no 修改: 启用 first', async () => {
    await h.click(ADMIN, { action: 'experts.deactivate', openId: personas.expert, page: 1 });
    const pool = await h.click(ADMIN, { action: 'experts.list' });
    expect(cardActions(pool.card.data).filter((a) => a.action === 'experts.edit').map((a) => a.openId)).not.toContain(personas.expert);
  });
});
