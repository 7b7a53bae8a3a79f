import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { linkPendingPerson } from '../../src/import/linking.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';

/**
 * 更换班组长 of a team whose leader is still an imported placeholder (pending:…) with no membership row of its own,
 * beside the linking of that placeholder (the person it names writes to the bot for the first time). The change took
 * the team's row, then inserted the former leader's membership, whose foreign key waits on the placeholder's person
 * row; the linking took that row for update, then waited on the team's row to move the leadership: a deadlock, and
 * PostgreSQL aborted one of them (an error). The change now takes the people it touches (key share) before the team,
 * in the global order (cycle → organisation → people → team → code), in the same round trip: whichever comes first
 * stands, and the other goes on behind it. So too 修改资料 naming as the team's contact the person its pending contact
 * names: it locked the team, then granted the contact's role on their row, which the linking had written before
 * waiting on the team; the save now makes sure of that row, locked, before the team's.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('更换班组长 and 修改资料 beside the linking of a pending leader or contact (PostgreSQL)', () => {
  let h: Harness;
  const TODAY = '2027-03-05';
  const id = (s: string) => `ou_leaderlinkorder_${s.padEnd(16, '0')}`;

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
  }, 120_000);
  afterAll(async () => h?.close());

  /** A team led by the placeholder of `mobile` (no membership row of its own), `member` its one member. */
  async function importedTeam(code: string, name: string, mobile: string, member: string) {
    const db = h.db.db;
    const placeholder = `pending:m:${mobile}`;
    const contact = id(`contact${code.slice(-2)}`);
    await db.insert(people).values([{ openId: placeholder, name: '导入班长' }, { openId: member, name: '成员' }, { openId: contact }]);
    const [org] = await db.insert(organizations).values({ name: `${name}公司` }).returning();
    const [team] = await db
      .insert(teams)
      .values({
        code, name, organizationId: org.id, department: '', type: 'project', leaderOpenId: placeholder, phone: '020-1234567',
        memberCount: 9, functions: '', goals: '', plan: '', contactOpenId: contact, registeredAt: '2027-01-10',
      })
      .returning();
    await db.insert(teamMembers).values({ teamId: team.id, openId: member, role: 'member' });
    return { team, placeholder };
  }

  const link = (person: string, mobile: string) =>
    h.db.db
      .transaction((tx) => linkPendingPerson(tx, person, [`m:${mobile}`], h.clock.now(), TODAY, { bootstrapAdmins: [ADMIN] }))
      .then(
        (keys) => keys,
        (err: Error & { cause?: { code?: string }; code?: string }) => err.cause?.code ?? err.code ?? err.message,
      );

  it('the change paused on the membership it hands over, the linking behind it: the change stands, the person linked joins as a member', async () => {
    const db = h.db.db;
    const mobile = '13900000291';
    const m = id('memberA');
    const person = id('linkedA');
    const { team, placeholder } = await importedTeam('GDSZ-LINK-0101', '关联序甲班', mobile, m);
    // the change waits on the new leader's membership, locked elsewhere: by then it holds the team's row
    const held = await heldTransaction(db, (tx) => tx.execute(sql`select team_id from team_members where team_id = ${team.id} and open_id = ${m} for update`));
    const change = h.click(ADMIN, { action: 'team.leaderChange', teamId: team.id, from: placeholder }, { leader: m }, { messageId: 'om_leaderlinkorder_a' });
    let linked: Promise<string[] | string>;
    try {
      await until(async () => (await lockWaits(db)) >= 1);
      linked = link(person, mobile);
      // the linking waits too: on the team's row (before) or the placeholder's (now, the change holding it first)
      await until(async () => (await lockWaits(db)) >= 2);
    } finally {
      held.release();
      await held.ended;
    }
    const [answer, keys] = await Promise.all([change, linked!]);
    expect(answer.toast).toMatchObject({ type: 'success', content: '班组长已更换' });
    expect(keys).toEqual([`m:${mobile}`]);
    const [row] = await db.select({ leader: teams.leaderOpenId }).from(teams).where(eq(teams.id, team.id));
    expect(row.leader).toBe(m);
    const members = await db.select({ openId: teamMembers.openId, role: teamMembers.role }).from(teamMembers).where(eq(teamMembers.teamId, team.id)).orderBy(asc(teamMembers.openId));
    expect(members).toEqual([
      { openId: person, role: 'member' },
      { openId: m, role: 'leader' },
    ]);
    expect(await db.select().from(people).where(eq(people.openId, placeholder))).toEqual([]);
  });

  it('the linking paused on the person it links, the placeholder held, the change behind it: the change waits for it and is refused as stale', async () => {
    const db = h.db.db;
    const mobile = '13900000293';
    const m = id('memberC');
    const person = id('linkedC');
    const { team, placeholder } = await importedTeam('GDSZ-LINK-0103', '关联序丙班', mobile, m);
    await db.insert(people).values({ openId: person });
    // the linking waits on the person's own row, locked elsewhere: by then it holds the placeholder's, not yet the team's
    const held = await heldTransaction(db, (tx) => tx.execute(sql`select open_id from people where open_id = ${person} for update`));
    const linked = link(person, mobile);
    let change: Promise<{ toast: { type: string; content: string } }>;
    try {
      await until(async () => (await lockWaits(db)) >= 1);
      change = h.click(ADMIN, { action: 'team.leaderChange', teamId: team.id, from: placeholder }, { leader: m }, { messageId: 'om_leaderlinkorder_c' });
      // the change waits on the placeholder (now; before, it took the team's row first and then waited)
      await until(async () => (await lockWaits(db)) >= 2);
    } finally {
      held.release();
      await held.ended;
    }
    const [keys, answer] = await Promise.all([linked, change!]);
    expect(keys).toEqual([`m:${mobile}`]);
    expect(answer.toast).toMatchObject({ type: 'error', content: expect.stringContaining('卡片已过期') });
    const [row] = await db.select({ leader: teams.leaderOpenId }).from(teams).where(eq(teams.id, team.id));
    expect(row.leader).toBe(person);
  });

  it('the linking first, the change behind it: the person linked leads the team, the change is refused as made on a card gone stale', async () => {
    const db = h.db.db;
    const mobile = '13900000292';
    const m = id('memberB');
    const person = id('linkedB');
    const { team, placeholder } = await importedTeam('GDSZ-LINK-0102', '关联序乙班', mobile, m);
    // the linking waits on the team's row, locked elsewhere: by then it holds the placeholder's
    const held = await heldTransaction(db, (tx) => tx.execute(sql`select id from teams where id = ${team.id} for update`));
    const linked = link(person, mobile);
    let change: Promise<{ toast: { type: string; content: string } }>;
    try {
      await until(async () => (await lockWaits(db)) >= 1);
      change = h.click(ADMIN, { action: 'team.leaderChange', teamId: team.id, from: placeholder }, { leader: m }, { messageId: 'om_leaderlinkorder_b' });
      await until(async () => (await lockWaits(db)) >= 2);
    } finally {
      held.release();
      await held.ended;
    }
    const [keys, answer] = await Promise.all([linked, change!]);
    expect(keys).toEqual([`m:${mobile}`]);
    expect(answer.toast).toMatchObject({ type: 'error', content: expect.stringContaining('卡片已过期') });
    const [row] = await db.select({ leader: teams.leaderOpenId }).from(teams).where(eq(teams.id, team.id));
    expect(row.leader).toBe(person);
    const changes = await db.select().from(auditLog).where(and(eq(auditLog.action, 'team.leader.change'), eq(auditLog.entityId, String(team.id))));
    expect(changes).toEqual([]);
  });

  it('修改资料 naming as contact the person its pending contact names, paused on the team, beside the linking of that person: both are kept', async () => {
    const db = h.db.db;
    const mobile = '13900000294';
    const leader = id('leaderD');
    const person = id('linkedD');
    const placeholder = `pending:m:${mobile}`;
    await db.insert(people).values([{ openId: placeholder, name: '导入联系人' }, { openId: leader, name: '班组长' }]);
    const [org] = await db.insert(organizations).values({ name: '关联序丁班公司' }).returning();
    const [team] = await db
      .insert(teams)
      .values({
        code: 'GDSZ-LINK-0104', name: '关联序丁班', organizationId: org.id, department: '', type: 'project', leaderOpenId: leader, phone: '020-1234567',
        memberCount: 9, functions: '', goals: '', plan: '', contactOpenId: placeholder, registeredAt: '2027-01-10',
      })
      .returning();
    await db.insert(teamMembers).values({ teamId: team.id, openId: leader, role: 'leader' });
    // the save waits on the team's row, locked elsewhere
    const held = await heldTransaction(db, (tx) => tx.execute(sql`select id from teams where id = ${team.id} for update`));
    h.app.processor.fastPaths = false;
    let saved: Promise<{ toast: { type: string; content: string } }>;
    let linked: Promise<string[] | string>;
    try {
      saved = h.click(leader, { action: 'team.editSave', teamId: team.id }, { contact: person });
      await until(async () => (await lockWaits(db)) >= 1);
      // the linking waits too: on the team's row behind the save (before), or on the person's row the save holds (now)
      linked = link(person, mobile);
      await until(async () => (await lockWaits(db)) >= 2);
    } finally {
      h.app.processor.fastPaths = true;
      held.release();
      await held.ended;
    }
    const [answer, keys] = await Promise.all([saved!, linked!]);
    expect(answer.toast).toMatchObject({ type: 'success' });
    expect(keys).toEqual([`m:${mobile}`]);
    const [row] = await db.select({ contact: teams.contactOpenId }).from(teams).where(eq(teams.id, team.id));
    expect(row.contact).toBe(person);
    expect(await db.select().from(people).where(eq(people.openId, placeholder))).toEqual([]);
  });
});
