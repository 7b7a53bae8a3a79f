import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.js';
import { applications, auditLog, certificates, teamMembers, teams } from '../../db/schema.js';
import { cardText, expectValidCard, formFieldNames, inputValues } from '../support/cards.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { type Fixture, OTHER_LEADER, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 修改资料's 班组名称: a rename is saved and shown, audited as team.rename with the old and the new name; refused
 * (nothing of the form saved) when another team of the organisation has the name in any spelling, and while the
 * running year's application is with the organisation, the association or the experts; a certificate keeps the name
 * it was issued under.
 */

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

let h: Harness;
let f: Fixture;
const db = (): Db => h.db.db;

/** Another team of organisation A, led by the leader persona too, with no application this year. */
let sibling: number;

beforeAll(async () => {
  ({ h, f } = await startSecurityHarness());
  const [a] = await db().select().from(teams).where(eq(teams.id, f.teamA.id));
  const [s] = await db()
    .insert(teams)
    .values({ ...a, id: undefined, code: 'GDSZ-2025-0401', name: '广州养护（二）班 QC', createdAt: undefined, updatedAt: undefined })
    .returning();
  sibling = s.id;
  await db().insert(teamMembers).values({ teamId: sibling, openId: personas.leader, role: 'leader' });
});

afterAll(async () => {
  await h?.close();
});

const teamRow = async (id: number) => (await db().select().from(teams).where(eq(teams.id, id)))[0];
const audits = (id: number) => db().select().from(auditLog).where(eq(auditLog.entityId, String(id))).orderBy(auditLog.id);
const save = (who: string, teamId: number, form: Record<string, unknown>): Promise<Body> => h.click(who, { action: 'team.editSave', teamId }, form);
const setStatus = (id: number, status: string) => db().update(applications).set({ status }).where(eq(applications.id, id));

describe('修改资料: 班组名称', () => {
  it('the form shows the name as stored, beside the other fields', async () => {
    const body: Body = await h.click(personas.leader, { action: 'team.editForm', teamId: f.teamA.id });
    const card = body.card?.data;
    expectValidCard(card);
    expect(formFieldNames(card)).toEqual(expect.arrayContaining(['teamName', 'phone', 'contact']));
    expect(inputValues(card).teamName).toBe('广州养护一班');
  });

  it('is refused while the application waits for the contact, and nothing of the form is saved', async () => {
    const before = await teamRow(f.teamA.id);
    const logged = (await audits(f.teamA.id)).length;
    const body = await save(personas.leader, f.teamA.id, { teamName: '广州养护一班（北区）', phone: '020-5551234' });
    expect(body.toast?.type).toBe('error');
    expect(body.toast?.content).toMatch(/^班组名称暂不能修改：本班组2027年度申报正在等待单位联系人确认/);
    // the rule is stated: when a rename is allowed again
    expect(body.toast?.content).toContain('申报为草稿或退回修改时、或本年度评审结果公布后，可以修改班组名称');
    // the form again, with what was typed and the refusal above it
    expect(inputValues(body.card?.data).teamName).toBe('广州养护一班（北区）');
    expect(cardText(body.card?.data)).toContain('班组名称暂不能修改');
    const after = await teamRow(f.teamA.id);
    expect(after.name).toBe(before.name);
    expect(after.phone).toBe(before.phone);
    expect(await audits(f.teamA.id)).toHaveLength(logged);
  });

  it('is refused while the association or the experts have the application', async () => {
    for (const [teamId, says] of [
      [f.teamC.id, '正在等待协会形式审查'],
      [f.teamD.id, '正在专家评审中'],
    ] as const) {
      const body = await save(OTHER_LEADER, teamId, { teamName: '深圳建设新班' });
      expect(body.toast?.type).toBe('error');
      expect(body.toast?.content).toContain(says);
      expect((await teamRow(teamId)).name).not.toBe('深圳建设新班');
    }
  });

  it('once the contact returned the application: saved, audited as team.rename, shown on 进度', async () => {
    await setStatus(f.appA, 'returned');
    const body = await save(personas.leader, f.teamA.id, { teamName: ' 广州养护一班（北区） ' });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    // trimmed as at 注册
    expect((await teamRow(f.teamA.id)).name).toBe('广州养护一班（北区）');
    expect(cardText(body.card?.data)).toContain('广州养护一班（北区）');
    const rows = await audits(f.teamA.id);
    const renames = rows.filter((r) => r.action === 'team.rename');
    expect(renames).toHaveLength(1);
    expect(renames[0]).toMatchObject({ actor: personas.leader, entity: 'team', details: { from: '广州养护一班', to: '广州养护一班（北区）' } });
    // only the name changed: no team.update row beside it
    expect(rows.filter((r) => r.action === 'team.update')).toHaveLength(0);

    await h.say(personas.leader, '进度');
    const status = [...h.fake.messages].reverse().find((m) => m.receiveId === personas.leader && m.msgType === 'interactive');
    expect(cardText(status?.content)).toContain('广州养护一班（北区）');
  });

  it('the same name saved again is nothing to save, told when it was saved', async () => {
    const body = await save(personas.leader, f.teamA.id, { teamName: '广州养护一班（北区）' });
    expect(body.toast?.type).toBe('info');
    expect(body.toast?.content).toMatch(/^已于 .* 保存，无需重复保存。$/);
  });

  it.each([
    ['half-width brackets', '广州养护(二)班 QC'],
    ['full-width letters and an ideographic space', '广州养护（二）班　ＱＣ'],
    ['another letter case, no space', '广州养护(二)班qc'],
  ])('a name another team of the organisation has, in %s: refused on the field, nothing saved', async (_how, typed) => {
    const before = await teamRow(f.teamA.id);
    const logged = (await audits(f.teamA.id)).length;
    const body = await save(personas.leader, f.teamA.id, { teamName: typed, phone: '020-5559876', goals: '零投诉' });
    expect(body.toast?.type).toBe('error');
    expect(body.toast?.content).toContain(`已有名为“广州养护（二）班 QC”的班组（编号 GDSZ-2025-0401）`);
    expect(body.toast?.content).toContain('同一单位的班组名称不能相同');
    expect(inputValues(body.card?.data).teamName).toBe(typed);
    const after = await teamRow(f.teamA.id);
    expect(after).toEqual(before);
    expect(await audits(f.teamA.id)).toHaveLength(logged);
  });

  it('a team renamed to another spelling of its own name keeps its key and is saved', async () => {
    const body = await save(personas.leader, sibling, { teamName: '广州养护(二)班 QC' });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    expect((await teamRow(sibling)).name).toBe('广州养护(二)班 QC');
  });

  it('a name a team of another organisation has is no clash', async () => {
    const body = await save(personas.leader, sibling, { teamName: '深圳建设二班' });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    expect((await teamRow(sibling)).name).toBe('深圳建设二班');
  });

  it('two teams of the organisation renamed to one name at once: one is saved, the other refused on the field', async () => {
    const both = await Promise.all([
      save(personas.leader, f.teamA.id, { teamName: '广州养护联合班' }),
      save(ADMIN, sibling, { teamName: '广州养护联合班' }),
    ]);
    expect(both.map((b) => b.toast?.type).sort()).toEqual(['error', 'success']);
    const refused = both.find((b) => b.toast?.type === 'error')!;
    expect(refused.toast?.content).toContain('已有名为“广州养护联合班”的班组');
    expect(inputValues(refused.card?.data).teamName).toBe('广州养护联合班');
    const names = [(await teamRow(f.teamA.id)).name, (await teamRow(sibling)).name];
    expect(names.filter((n) => n === '广州养护联合班')).toHaveLength(1);
    // back to what the next cases expect
    const renamedOne = names[0] === '广州养护联合班' ? f.teamA.id : sibling;
    await save(personas.leader, renamedOne, { teamName: renamedOne === sibling ? '深圳建设二班' : '广州养护一班（北区）' });
    expect([(await teamRow(f.teamA.id)).name, (await teamRow(sibling)).name]).toEqual(['广州养护一班（北区）', '深圳建设二班']);
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('a name taken in another spelling after the check read (the unique index): refused as the check refuses it', async () => {
    const logged = (await audits(f.teamA.id)).length;
    // the sibling renamed, not yet committed: the save's check does not see it, its update waits on the index
    const other = await heldTransaction(db(), (tx) => tx.update(teams).set({ name: '广州养护(三)班' }).where(eq(teams.id, sibling)));
    let answered = false;
    const clicked = save(personas.leader, f.teamA.id, { teamName: '广州养护（三）班', phone: '020-5554321' }).finally(() => (answered = true));
    await until(async () => answered || (await lockWaits(db())) > 0);
    expect(answered).toBe(false);
    other.release();
    await other.ended;
    const body = await clicked;
    expect(body.toast?.type).toBe('error');
    expect(body.toast?.content).toContain('已有名为“广州养护（三）班”的班组');
    const row = await teamRow(f.teamA.id);
    expect([row.name, row.phone]).toEqual(['广州养护一班（北区）', '020-1234567']);
    expect(await audits(f.teamA.id)).toHaveLength(logged);
    await db().update(teams).set({ name: '深圳建设二班' }).where(eq(teams.id, sibling));
  });

  it('a certificate keeps the name it was issued under', async () => {
    await db().insert(certificates).values({
      number: 'GDSZ-ZS-2026-0001',
      honourId: f.honourId,
      teamId: f.teamA.id,
      year: 2026,
      association: '广东省市政行业协会',
      teamName: '广州养护一班（北区）',
      organization: '广州市市政工程维修有限公司',
      title: '广东省市政工程质量信得过班组',
      issuedAt: new Date('2026-08-01T00:00:00Z'),
    });
    const body = await save(personas.leader, f.teamA.id, { teamName: '广州养护一班（南区）', phone: '020-5550000' });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    const [cert] = await db().select().from(certificates).where(eq(certificates.teamId, f.teamA.id));
    expect(cert.teamName).toBe('广州养护一班（北区）');
    // a save of the name and another field: the field in team.update, the name in team.rename
    const rows = await audits(f.teamA.id);
    expect(rows.at(-2)).toMatchObject({ action: 'team.update', details: { changed: ['phone'] } });
    expect(rows.at(-1)).toMatchObject({ action: 'team.rename', details: { from: '广州养护一班（北区）', to: '广州养护一班（南区）' } });
    expect(cardText(body.card?.data)).toContain('证书编号 GDSZ-ZS-2026-0001');
  });

  it('a name left empty is kept', async () => {
    const renames = () => db().select().from(auditLog).where(and(eq(auditLog.action, 'team.rename'), eq(auditLog.entityId, String(f.teamA.id))));
    const before = (await renames()).length;
    const body = await save(personas.leader, f.teamA.id, { teamName: '', phone: '020-5550001' });
    expect(body.toast).toEqual({ type: 'success', content: '资料已保存' });
    const row = await teamRow(f.teamA.id);
    expect([row.name, row.phone]).toEqual(['广州养护一班（南区）', '020-5550001']);
    expect(await renames()).toHaveLength(before);
  });
});
