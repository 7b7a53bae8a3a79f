import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, people } from '../../db/schema.js';
import { addAdministrators } from '../../src/admins.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN } from '../support/harness.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { NEWCOMER, startSecurityHarness } from './securityFixture.js';

const SECOND_ADMIN = 'ou_secondadmin000000000000000000001';

/**
 * Two administrators adding the same person, who has never written to the bot, at the same moment: the second waited
 * on the person's row, and there was none yet, so both added them and both read “已添加 1 位管理员”, with two admin.add
 * rows on record. The second now waits for the first and is told when it was done. PostgreSQL only: PGlite has one
 * connection and cannot race.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('添加管理员 of someone new, by two administrators at once', () => {
  it('one adds, the other is told it was done, one audit row', async () => {
    const { h } = await startSecurityHarness();
    try {
      const db = h.db.db;
      await db.insert(people).values({ openId: SECOND_ADMIN, name: '第二管理员', roles: ['admin'] });
      const waits = await lockWaits(db);
      const actor = { openId: ADMIN, name: null, roles: ['admin' as const] };
      const first = await heldTransaction(db, (tx) => addAdministrators(tx, actor, { admins: [NEWCOMER] }, h.clock.now()));
      const second = h.click(SECOND_ADMIN, { action: 'admins.add' }, { admins: [NEWCOMER] });
      try {
        // the second waits on the first (or, as before, does not and is done before it commits)
        await Promise.race([second, until(async () => (await lockWaits(db)) > waits)]);
      } finally {
        first.release();
        await first.ended;
      }
      const answer = await second;
      expect(answer.toast.type).toBe('info');
      expect(answer.toast.content).toMatch(/^已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 添加1 位管理员，无需重复添加。$/);
      const added = await db.select().from(auditLog).where(and(eq(auditLog.action, 'admin.add'), eq(auditLog.entityId, NEWCOMER)));
      expect(added).toHaveLength(1);
      const [person] = await db.select({ roles: people.roles }).from(people).where(eq(people.openId, NEWCOMER));
      expect(person.roles).toEqual(['admin']);
    } finally {
      await h.close();
    }
  });
});
