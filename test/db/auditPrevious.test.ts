import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../db/schema.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { type Fixture, personas, startSecurityHarness } from './securityFixture.js';

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
});
