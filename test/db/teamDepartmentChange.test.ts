import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { auditLog, teams } from '../../db/schema.js';
import { cardText, expectValidCard, formFieldNames, inputValues } from '../support/cards.js';
import type { Harness } from '../support/harness.js';
import { type Fixture, personas, startSecurityHarness } from './securityFixture.js';

/**
 * A company reorganises: the team's 主管部门 is another department, or its 班组类型 (第二条) was chosen wrongly at 注册.
 * 修改资料 offered neither: the leader could not correct them, and asking how (“主管部门变了怎么改”) was answered with
 * 第三条 and 第二十二条. The form now shows both as stored and saves them (one team.update row naming them), also while
 * the application waits for the contact (neither is on an application), the registration date untouched (第十六条).
 */

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

let h: Harness;
let f: Fixture;
const db = (): Db => h.db.db;

beforeAll(async () => {
  ({ h, f } = await startSecurityHarness());
});
afterAll(async () => {
  await h?.close();
});

const teamRow = async (id: number) => (await db().select().from(teams).where(eq(teams.id, id)))[0];

describe('修改资料: 主管部门 and 班组类型', () => {
  it('the form shows both as stored', async () => {
    const body: Body = await h.click(personas.leader, { action: 'team.editForm', teamId: f.teamA.id });
    const card = body.card?.data;
    expectValidCard(card);
    expect(formFieldNames(card)).toEqual(expect.arrayContaining(['teamName', 'department', 'teamType', 'phone', 'contact']));
    const stored = await teamRow(f.teamA.id);
    expect(inputValues(card).department).toBe(stored.department);
    // the select starts at the type stored (项目团队), so a save of other fields keeps it
    let select: { initial_option?: string } | undefined;
    JSON.stringify(card, (_k, v) => {
      if (v && typeof v === 'object' && v.name === 'teamType') select = v;
      return v;
    });
    expect(select?.initial_option).toBe(stored.type);
  });

  it('saves a new department and type while the application waits for the contact; the registration date stays', async () => {
    const before = await teamRow(f.teamA.id);
    expect(before.type).toBe('project');
    const body: Body = await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { department: '养护管理部', teamType: 'department' });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    const after = await teamRow(f.teamA.id);
    expect(after).toMatchObject({ department: '养护管理部', type: 'department', name: before.name, registeredAt: before.registeredAt, organizationId: before.organizationId });
    const [logged] = await db().select().from(auditLog).where(eq(auditLog.action, 'team.update')).orderBy(auditLog.id);
    expect(logged).toMatchObject({ actor: personas.leader, entityId: String(f.teamA.id), details: { changed: ['department', 'type'] } });
    // the form drawn again shows what was saved
    const form: Body = await h.click(personas.leader, { action: 'team.editForm', teamId: f.teamA.id });
    expect(inputValues(form.card?.data).department).toBe('养护管理部');
  });

  it('a type that is none of 第二条\'s is refused on the field, nothing saved', async () => {
    const body: Body = await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { teamType: 'squad', phone: '020-5550123' });
    expect(body.toast?.type).toBe('error');
    expect((await teamRow(f.teamA.id)).type).toBe('department');
    expect((await teamRow(f.teamA.id)).phone).not.toBe('020-5550123');
  });

  it.each(['主管部门变了怎么改', '班组类型填错了怎么改'])('%s is told 修改资料', async (text) => {
    h.fake.reset();
    await h.say(personas.leader, text);
    const m = h.fake.messages.filter((x) => x.receiveId === personas.leader).at(-1)!;
    const answer = (m.content as { text?: string }).text ?? cardText(m.content);
    expect(answer).toContain('“修改资料”修改班组名称、主管部门、班组类型');
  });
});
