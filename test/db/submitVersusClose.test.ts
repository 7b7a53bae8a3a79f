import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, cycles, teamMembers, teams } from '../../db/schema.js';
import { closeApplications } from '../../src/cycles.js';
import { openDatabase } from '../../db/index.js';
import { TEST_CONNECT_TIMEOUT_S, testDatabaseKind } from '../support/db.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { applicationForm, type Fixture, NOW, personas, startSecurityHarness, YEAR } from './securityFixture.js';

/**
 * 第十五条's deadline against a 提交申报 in flight: a submit that read the cycle as open while 截止申报 was
 * committing used to wait on the close's row lock only for its foreign-key check, then land as 'submitted' in a cycle
 * already scoring (and the contact could recommend it). The submit reads the cycle FOR SHARE, on both paths: it waits
 * for the close and is refused as a submit a moment later is.
 */
describe.skipIf(testDatabaseKind() !== 'postgres').each(['fast', 'ordinary'] as const)('提交申报 while 截止申报 commits (%s path)', (mode) => {
  let h: Harness;
  let f: Fixture;
  beforeAll(async () => {
    ({ h, f } = await startSecurityHarness());
    h.app.processor.fastPaths = mode === 'fast';
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('waits for the close and is refused: no application enters the closed year', async () => {
    const db = h.db.db;
    const [a] = await db.select().from(teams).where(eq(teams.id, f.teamA.id));
    const [t] = await db.insert(teams).values({ ...a, id: undefined, code: 'GDSZ-2025-0901', name: '截止竞态班', createdAt: undefined, updatedAt: undefined }).returning();
    await db.insert(teamMembers).values({ teamId: t.id, openId: personas.leader, role: 'leader' });

    // another connection's 截止申报, the bot's own function, held open before its COMMIT
    const other = await openDatabase({ databaseUrl: h.db.url!, max: 1, migrate: false, connectTimeout: TEST_CONNECT_TIMEOUT_S });
    const close = await heldTransaction(other.db, (tx) => closeApplications(tx as never, { openId: ADMIN, name: '管理员', roles: ['admin'] }, f.cycleId, new Date(NOW)));
    const submit = h.click(personas.leader, { action: 'application.submit', teamId: t.id, year: YEAR }, applicationForm());
    await until(async () => (await lockWaits(db)) > 0);
    close.release();
    await close.ended;
    const answer = await submit;
    await other.close();

    expect(answer.toast?.content).toMatch(/申报已截止/);
    const [cycle] = await db.select().from(cycles).where(eq(cycles.id, f.cycleId));
    expect(cycle.status).toBe('scoring');
    expect(await db.select().from(applications).where(eq(applications.teamId, t.id))).toEqual([]);
  }, 120_000);
});

