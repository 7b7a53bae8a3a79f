import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * An imported leader (pending:m:…) writes to the bot for the first time and the linking fails (a database error, a
 * deadlock): nothing is linked. Their sender was marked as checked before the linking ran, so their next messages
 * tried nothing until the process restarted or an import added someone new; the next message now tries again.
 */
describe('a linking that failed is tried again at the next message', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
  }, 120_000);
  afterAll(async () => h?.close());

  it('links at the second message', async () => {
    const db = h.db.db;
    const mobile = '13900000731';
    await db.insert(people).values([{ openId: `pending:m:${mobile}`, name: '导入班长' }, { openId: 'ou_linkretry_contact0000000000001' }]);
    const [org] = await db.insert(organizations).values({ name: '重试关联公司' }).returning();
    const [team] = await db
      .insert(teams)
      .values({
        code: 'GDSZ-2027-0731', name: '重试关联班', organizationId: org.id, department: '', type: 'project', leaderOpenId: `pending:m:${mobile}`, phone: '020-1234567',
        memberCount: 9, functions: '', goals: '', plan: '', contactOpenId: 'ou_linkretry_contact0000000000001', registeredAt: '2027-01-10',
      })
      .returning();
    const leader = h.fake.addUser({ name: '导入班长', mobile }).openId;
    // the first linking fails as it moves the leadership
    await db.execute(sql.raw(`create function test_refuse_linking() returns trigger language plpgsql as $$ begin raise exception 'linking refused'; end $$`));
    await db.execute(sql.raw(`create trigger test_refuse_linking before update of leader_open_id on teams for each row execute function test_refuse_linking()`));
    try {
      await h.say(leader, '帮助');
    } finally {
      await db.execute(sql.raw('drop trigger test_refuse_linking on teams'));
      await db.execute(sql.raw('drop function test_refuse_linking()'));
    }
    expect((await db.select().from(teams).where(eq(teams.id, team.id)))[0].leaderOpenId).toBe(`pending:m:${mobile}`);
    await h.say(leader, '帮助');
    expect((await db.select().from(teams).where(eq(teams.id, team.id)))[0].leaderOpenId).toBe(leader);
  });
});
