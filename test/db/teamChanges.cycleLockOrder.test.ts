import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications, assignments, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { fastRegister } from '../../src/fast/register.js';
import { linkPendingPerson } from '../../src/import/linking.js';
import { testDatabaseKind } from '../support/db.js';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { randomEventId } from '../support/larkEvents.js';
import { heldTransaction, lockWaits, until } from '../support/waiting.js';

/**
 * 注册's one statement takes the running cycles (for share) before the organisation and the people. 修改资料 naming a
 * new contact, 添加成员 and a linking took the team's or the people's rows first and the cycles only at the end (回避,
 * recuseInsiders), for no key update: beside a one-statement 注册 naming the same person, each waited on the cycle the
 * statement held while the statement waited on that person's row, and PostgreSQL aborted one of them (an error). Each
 * now takes the cycles first; so does 添加专家 moving an expert into the organisation being registered in. And two ordinary registrations that both found a task appear under the share lock (a
 * 分配专家 batch that committed meanwhile) both upgraded it in place and deadlocked: the share lock is now let go first.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('team changes beside the one-statement 注册 while a cycle is open (PostgreSQL)', () => {
  let h: Harness;
  const YEAR = '2027';
  const TODAY = '2027-03-05';
  const cycleForm = { year: YEAR, applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', expertsPerApplication: '3' };
  const id = (s: string) => `ou_teamlockorder_${s.padEnd(18, '0')}`;
  const fast = (leader: string, team: string, contact: string, organization: string) =>
    fastRegister(h.db, {
      eventId: randomEventId(),
      eventType: 'card.action.trigger',
      openId: leader,
      formValue: registrationForm(team, contact, { organization }),
      today: TODAY,
      now: h.clock.now(),
      bootstrapAdmins: [ADMIN],
    }).then(
      (r) => r,
      (err: Error & { code?: string }) => err.code ?? err.message,
    );
  const registered = async (leader: string, name: string, contact: string, organization: string) => {
    expect((await h.click(leader, { action: 'team.register' }, registrationForm(name, contact, { organization }))).toast.type).toBe('success');
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, name));
    return team;
  };
  /** `ordinary` on the ordinary path until it waits on the hold, then the one statement until it waits too; then the hold is let go. */
  async function beside<T>(held: { release(): void; ended: Promise<void> }, ordinary: () => Promise<T>, statement: () => Promise<unknown>) {
    h.app.processor.fastPaths = false;
    let first: Promise<T>;
    try {
      first = ordinary();
      await until(async () => (await lockWaits(h.db.db)) >= 1);
    } finally {
      h.app.processor.fastPaths = true;
    }
    const second = statement();
    await until(async () => (await lockWaits(h.db.db)) >= 2);
    held.release();
    await held.ended;
    return Promise.all([first!, second]);
  }

  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-05T09:00:00+08:00') });
    expect((await h.click(ADMIN, { action: 'cycle.open' }, cycleForm)).toast.type).toBe('success');
  }, 120_000);
  afterAll(async () => h?.close());

  it('修改资料 naming a new contact, paused on its new name, and a one-statement 注册 naming that contact: both are kept', async () => {
    const db = h.db.db;
    const team = await registered(id('leaderA'), '锁序戊班', id('contactA'), '锁序戊公司');
    const y = id('newcontactY');
    await db.insert(people).values([{ openId: y }, { openId: id('holderA') }, { openId: id('holderB') }]);
    // the save waits on the new name: a team of that name in the organisation, inserted elsewhere, not yet committed
    const held = await heldTransaction(
      db,
      (tx) =>
        tx.insert(teams).values({
          code: 'GDSZ-LOCK-0101', name: '锁序戊改名班', organizationId: team.organizationId, department: '', type: 'project', leaderOpenId: id('holderA'), phone: '020-1234567',
          memberCount: 9, functions: '', goals: '', plan: '', contactOpenId: id('holderB'), registeredAt: '2027-01-10',
        }),
      { rollback: true },
    );
    const [saved, one] = await beside(
      held,
      () => h.click(id('leaderA'), { action: 'team.editSave', teamId: team.id }, { contact: y, teamName: '锁序戊改名班' }),
      () => fast(id('leaderB'), '锁序己班', y, '锁序己公司'),
    );
    expect(saved.toast).toMatchObject({ type: 'success' });
    expect(one).toMatchObject({ team: { name: '锁序己班', contactOpenId: y } });
    expect((await db.select().from(teams).where(eq(teams.id, team.id)))[0]).toMatchObject({ contactOpenId: y, name: '锁序戊改名班' });
  });

  it('添加成员 paused on the new membership and a one-statement 注册 naming that member as contact: both are kept', async () => {
    const db = h.db.db;
    const team = await registered(id('leaderC'), '锁序辛班', id('contactC'), '锁序辛公司');
    const m = id('memberM');
    await db.insert(people).values({ openId: m });
    // the addition waits on the membership: the same one inserted elsewhere, not yet committed
    const held = await heldTransaction(db, (tx) => tx.insert(teamMembers).values({ teamId: team.id, openId: m, role: 'member' }), { rollback: true });
    const [added, one] = await beside(
      held,
      () => h.click(id('leaderC'), { action: 'team.memberAdd', teamId: team.id }, { members: [m] }),
      () => fast(id('leaderD'), '锁序壬班', m, '锁序壬公司'),
    );
    expect(added.toast).toMatchObject({ type: 'success' });
    expect(one).toMatchObject({ team: { name: '锁序壬班', contactOpenId: m } });
    expect(await db.select().from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.openId, m)))).toHaveLength(1);
  });

  it('a linking paused on its team and a one-statement 注册 naming the person linked: both are kept', async () => {
    const db = h.db.db;
    const person = id('linkedP');
    const placeholder = 'pending:m:13900000181';
    await db.insert(people).values([{ openId: placeholder, name: '导入班长' }, { openId: id('contactE') }]);
    const [org] = await db.insert(organizations).values({ name: '锁序癸公司' }).returning();
    const [team] = await db
      .insert(teams)
      .values({
        code: 'GDSZ-LOCK-0102', name: '锁序癸班', organizationId: org.id, department: '', type: 'project', leaderOpenId: placeholder, phone: '020-1234567',
        memberCount: 9, functions: '', goals: '', plan: '', contactOpenId: id('contactE'), registeredAt: '2027-01-10',
      })
      .returning();
    await db.insert(teamMembers).values({ teamId: team.id, openId: placeholder, role: 'leader' });
    // the linking waits on the team's row, locked elsewhere
    const held = await heldTransaction(db, (tx) => tx.execute(sql`select id from teams where id = ${team.id} for update`));
    const now = h.clock.now();
    const [linked, one] = await beside(
      held,
      () =>
        db.transaction((tx) => linkPendingPerson(tx, person, ['m:13900000181'], now, TODAY, { bootstrapAdmins: [ADMIN] })).then(
          (keys) => keys,
          (err: Error & { cause?: { code?: string }; code?: string }) => err.cause?.code ?? err.code ?? err.message,
        ),
      () => fast(id('leaderF'), '锁序子班', person, '锁序子公司'),
    );
    expect(linked).toEqual(['m:13900000181']);
    expect(one).toMatchObject({ team: { name: '锁序子班', contactOpenId: person } });
    expect((await db.select().from(teams).where(eq(teams.id, team.id)))[0].leaderOpenId).toBe(person);
  });

  it('添加专家 moving an expert into an organisation, paused on the expert, and a one-statement 注册 in that organisation: both are kept', async () => {
    const db = h.db.db;
    const e = id('expertE');
    const [former] = await db.insert(organizations).values({ name: '锁序专家原单位' }).returning();
    await db.insert(people).values({ openId: e, roles: ['expert'], expertActive: true, organizationId: former.id });
    // the addition waits on the expert's row, locked elsewhere, the organisation taken
    const held = await heldTransaction(db, (tx) => tx.execute(sql`select open_id from people where open_id = ${e} for update`));
    const [added, one] = await beside(
      held,
      () => h.click(ADMIN, { action: 'experts.add' }, { experts: [e], organization: '锁序辰公司' }),
      () => fast(id('leaderJ'), '锁序辰班', id('contactJ'), '锁序辰公司'),
    );
    expect(added.toast).toMatchObject({ type: 'success' });
    expect(one).toMatchObject({ team: { name: '锁序辰班' } });
    const [expert] = await db.select({ organizationId: people.organizationId }).from(people).where(eq(people.openId, e));
    expect(expert.organizationId).toBe((one as { team: { organizationId: number } }).team.organizationId);
  });

  it('two ordinary registrations that find a task given while they waited for the cycle: both register, the task is declined once', async () => {
    const db = h.db.db;
    const z = id('expertZ');
    const [cycle] = await db.select().from(cycles).where(eq(cycles.year, Number(YEAR)));
    const mine = await registered(id('leaderG'), '锁序丑班', id('contactG'), '锁序丑公司');
    await db.insert(people).values({ openId: z, roles: ['expert'], expertActive: true });
    const [app] = await db.insert(applications).values({ teamId: mine.id, cycleId: cycle.id, status: 'scoring', form: applicationForm(), submittedAt: new Date('2027-03-01T00:00:00Z') }).returning();
    // a 分配专家 batch holding the cycles, its task of Z not yet committed: both registrations read no task, then wait
    const batch = await heldTransaction(db, async (tx) => {
      await tx.execute(sql`select id from cycles where status in ('open', 'scoring') for update`);
      await tx.insert(assignments).values({ applicationId: app.id, expertOpenId: z, status: 'assigned' });
    });
    h.app.processor.fastPaths = false;
    let both: Promise<{ toast: { type: string; content: string } }[]>;
    try {
      both = Promise.all([
        h.click(id('leaderH'), { action: 'team.register' }, registrationForm('锁序寅班', z, { organization: '锁序丑公司' })),
        h.click(id('leaderI'), { action: 'team.register' }, registrationForm('锁序卯班', z, { organization: '锁序丑公司' })),
      ]);
      await until(async () => (await lockWaits(db)) >= 2);
    } finally {
      h.app.processor.fastPaths = true;
    }
    batch.release();
    await batch.ended;
    const bodies = await both!;
    expect(bodies.map((b) => b.toast)).toMatchObject([{ type: 'success' }, { type: 'success' }]);
    expect(await db.select({ name: teams.name }).from(teams).where(sql`${teams.name} in ('锁序寅班', '锁序卯班')`)).toHaveLength(2);
    const [task] = await db.select().from(assignments).where(and(eq(assignments.applicationId, app.id), eq(assignments.expertOpenId, z)));
    expect(task.status).toBe('declined');
  });
});
