import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../db/schema.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { type Fixture, ORG_B, ORG_POOL, personas, startSecurityHarness } from './securityFixture.js';

/**
 * 第十七条 (公开、公平、公正): the audit log of every change says who changed what and when, and where a change writes
 * over something, what it was before — so that “who changed this, and from what” has an answer once the row shows only
 * the latest. On PostgreSQL these run the one-statement paths (src/fast/), on PGlite the ordinary ones: the rows are the same.
 */
describe('an overwrite keeps what it overwrote in its audit row', () => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
  });
  afterAll(async () => {
    await h?.close();
  });

  const latest = async (action: string, entityId: string | number) =>
    (await h.db.db.select().from(auditLog).where(and(eq(auditLog.action, action), eq(auditLog.entityId, String(entityId)))).orderBy(desc(auditLog.id)).limit(1))[0];

  it('修改资料: each field changed, from what it was to what it is', async () => {
    const saved = await h.click(personas.leader, { action: 'team.editSave', teamId: f.teamA.id }, { phone: '020-7654321', memberCount: '11', plan: '每周 QC 活动' });
    expect(saved.toast?.type, JSON.stringify(saved.toast)).toBe('success');
    const row = await latest('team.update', f.teamA.id);
    expect(row.actor).toBe(personas.leader);
    expect(row.details).toMatchObject({
      changed: ['phone', 'memberCount', 'plan'],
      changes: { phone: { from: '020-1234567', to: '020-7654321' }, memberCount: { from: expect.any(Number), to: 11 }, plan: { from: expect.any(String), to: '每周 QC 活动' } },
    });
    expect((row.details as { changes: { memberCount: { from: number } } }).changes.memberCount.from).not.toBe(11);
    // an administrator's save over the leader's: the leader's value is what it overwrote
    const again = await h.click(ADMIN, { action: 'team.editSave', teamId: f.teamA.id }, { phone: '020-7650000' });
    expect(again.toast?.type, JSON.stringify(again.toast)).toBe('success');
    const second = await latest('team.update', f.teamA.id);
    expect(second.actor).toBe(ADMIN);
    expect(second.details).toEqual({ changed: ['phone'], changes: { phone: { from: '020-7654321', to: '020-7650000' } } });
  });

  it('专家库 保存修改: the organisation, specialities and load limit the expert had', async () => {
    const edit = (form: Record<string, unknown>) => h.click(ADMIN, { action: 'experts.add', edit: true, openId: personas.expert }, { experts: [personas.expert], ...form });
    const first = await edit({ organization: ORG_POOL, specialities: '道路养护', maxLoad: '3' });
    expect(first.toast?.type, JSON.stringify(first.toast)).toBe('success');
    const second = await edit({ organization: ORG_B, specialities: '桥梁检测', maxLoad: '5' });
    expect(second.toast?.type, JSON.stringify(second.toast)).toBe('success');
    const row = await latest('expert.add', personas.expert);
    expect(row.actor).toBe(ADMIN);
    expect(row.details).toEqual({
      organization: ORG_B,
      specialities: ['桥梁检测'],
      maxLoad: 5,
      before: { expert: true, active: true, organization: ORG_POOL, specialities: ['道路养护'], maxLoad: 3 },
    });
  });

  it('添加专家 of someone new: nothing was before, so no before', async () => {
    const added = await h.click(ADMIN, { action: 'experts.add' }, { experts: ['ou_auditnewexpert00000000000000001'], organization: ORG_POOL, specialities: '道路养护', maxLoad: '4' });
    expect(added.toast?.type, JSON.stringify(added.toast)).toBe('success');
    const row = await latest('expert.add', 'ou_auditnewexpert00000000000000001');
    expect(row.details).toEqual({ organization: ORG_POOL, specialities: ['道路养护'], maxLoad: 4 });
  });
});
