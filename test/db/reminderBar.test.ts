import { Writable } from 'node:stream';
import { and, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { honours, organizations, outbox, people, teams } from '../../db/schema.js';
import { scheduledJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log.js';
import type { Harness } from '../support/harness.js';
import { securityBotForBlock } from './securityFixture.js';

/**
 * The deadline reminder's audience counts the association's bar after a revoked title as 申报 counts it (requireNotBarred):
 * at the deadline. A team whose bar ends by the deadline may apply then, and is reminded; one barred past it is not.
 */
const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));

describe('申报截止提醒 and a revoked title’s bar', () => {
  let h: Harness;
  securityBotForBlock((b) => ({ h } = b), 'ordinary');

  it('reminds a team whose bar ends before the deadline, not one barred past it', async () => {
    const db = h.db.db;
    // the fixture's cycle takes applications until 2027-05-31; T-7 is 2027-05-24
    const [org] = await db.insert(organizations).values({ name: '韶关市政提醒测试公司' }).returning();
    const team = async (n: number, revokedAt: Date) => {
      const leader = `ou_barleader${n}0000000000000000000001`;
      await db.insert(people).values([{ openId: leader }, { openId: `ou_barcontact${n}000000000000000000001`, roles: ['org_contact'] }]).onConflictDoNothing();
      const [t] = await db
        .insert(teams)
        .values({ code: `GDSZ-2024-09${n}0`, name: `撤销测试${n}班`, organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: leader, phone: '0751-1234567', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC 活动', contactOpenId: `ou_barcontact${n}000000000000000000001`, registeredAt: '2024-01-10' })
        .returning();
      await db.insert(honours).values({ teamId: t.id, year: 2025, title: '广东省市政工程质量信得过班组', awardedAt: new Date('2025-08-01T10:00:00+08:00'), revokedAt, revokedReason: '投诉成立' });
      return { ...t, leader };
    };
    // the bar, a year by default, ends on 2027-05-30, the day before the deadline: it may apply
    const endsBefore = await team(1, new Date('2026-05-30T10:00:00+08:00'));
    // bar ends on 2027-06-02, after the deadline: it may not
    const endsAfter = await team(2, new Date('2026-06-02T10:00:00+08:00'));
    h.clock.set('2027-05-24T09:00:00+08:00');
    await scheduledJob('reminders', { db, now: () => h.clock.now(), timezone: h.app.config.BOT_TIMEZONE, bootstrapAdmins: h.app.config.ADMIN_OPEN_IDS, log: quiet, nudge: () => {} })();
    await h.drain();
    const toLeader = async (openId: string) => db.select({ key: outbox.dedupeKey }).from(outbox).where(and(eq(outbox.receiver, openId), like(outbox.dedupeKey, 'remind:%')));
    expect(await toLeader(endsBefore.leader)).toHaveLength(1);
    expect(await toLeader(endsAfter.leader)).toHaveLength(0);
  });
});
