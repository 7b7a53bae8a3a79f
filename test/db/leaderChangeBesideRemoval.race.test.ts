import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, teamMembers, teams } from '../../db/schema.js';
import { removeMember } from '../../src/teams.js';
import { testDatabaseKind } from '../support/db.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';
import { personas, startSecurityHarness } from './securityFixture.js';

/**
 * 移除 of a member and 更换班组长 to that member, pressed at once (two cards, two devices, or the leader and an
 * administrator): 移除 takes the membership without the team's lock, so 更换班组长 read the member as still there and
 * handed the team over to someone whose membership was gone a moment later. Both said they were done (“已移除”,
 * “班组长已更换”), and the team was led by a person its member list no longer held. The membership is now read under its
 * lock: whichever commits first stands, and the other is refused on what it left. PostgreSQL only: PGlite has one
 * connection and cannot race.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('更换班组长 to a member being removed', () => {
  it('the removal commits first: the change is refused, the team keeps its leader, nobody leads it from outside the list', async () => {
    const { h, f } = await startSecurityHarness();
    try {
      const db = h.db.db;
      const actor = { openId: personas.leader, name: '班组长', roles: ['leader' as const, 'member' as const] };
      const waits = await lockWaits(db);
      // the removal holds the member's row, committed only once the change waits behind it
      const removal = await heldTransaction(db, (tx) => removeMember(tx, actor, f.teamA.id, personas.member, h.clock.now()));
      const change = h.click(personas.leader, { action: 'team.leaderChange', teamId: f.teamA.id, from: personas.leader }, { leader: personas.member }, { messageId: 'om_leaderform' });
      try {
        await until(async () => (await lockWaits(db)) > waits);
      } finally {
        removal.release();
        await removal.ended;
      }
      const answer = await change;
      expect(answer.toast).toMatchObject({ type: 'error', content: expect.stringContaining('所选人员不是本班组的成员') });
      const [team] = await db.select({ leader: teams.leaderOpenId }).from(teams).where(eq(teams.id, f.teamA.id));
      expect(team.leader).toBe(personas.leader);
      const members = await db.select({ openId: teamMembers.openId, role: teamMembers.role }).from(teamMembers).where(eq(teamMembers.teamId, f.teamA.id));
      expect(members).toEqual([{ openId: personas.leader, role: 'leader' }]);
      const changes = await db.select().from(auditLog).where(and(eq(auditLog.action, 'team.leader.change'), eq(auditLog.entityId, String(f.teamA.id))));
      expect(changes).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
