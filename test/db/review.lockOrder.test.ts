import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Db } from '../../db/index.js';
import { assignments, people } from '../../db/schema.js';
import { postgresClient, transactionWith } from '../../src/pipeline.js';
import { declineTask, reopenScore, swapExpert } from '../../src/review/scoring.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { countedDatabase, type Wire } from '../support/wire.js';
import { type Fixture, personas, seedFixture } from './securityFixture.js';

/**
 * 谢绝, 更换专家 and 重开评分 issue their locks together, in one round trip: the order they reach the server is
 * then the only thing that keeps the order 分配专家 takes them in (the cycle, then the application), so two of them
 * never deadlock. Checked on the wire, through the transaction the bot runs its handlers in.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')("a task's locks: the cycle's, then the application's, then the task read, in one round trip (PostgreSQL)", () => {
  const wire: Wire = { trips: 0, statements: [], tripOf: [] };
  const now = new Date('2027-03-10T02:00:00Z');
  const admin = { openId: personas.admin, name: '管理员', roles: ['admin' as const] };
  const expert = { openId: personas.expert, name: '专家', roles: ['expert' as const] };
  let base: TestDatabase;
  let counted: Database;
  let f: Fixture;

  beforeAll(async () => {
    base = await createTestDatabase();
    counted = countedDatabase(base.url!, wire);
    f = await seedFixture(counted.db);
    // the statements prepared on the connection first (a new one is described before it is sent): a swap of no task
    await expect(onWire((tx) => swapExpert(tx, admin, 999_999, now))).rejects.toThrow('找不到这项评分任务');
  });

  afterAll(async () => {
    await counted?.close();
    await base?.close();
  });

  /** `body` in the bot's handler transaction; the statements it sent, each with its round trip. */
  async function onWire<T>(body: (tx: Db) => Promise<T>) {
    wire.trips = 0;
    wire.statements = [];
    wire.tripOf = [];
    const result = await transactionWith(counted, postgresClient(counted)!, (conn) => conn.unsafe('select 1').execute(), body);
    return { result, statements: [...wire.statements], tripOf: [...wire.tripOf!] };
  }

  function expectLocksInOrder({ statements, tripOf }: { statements: string[]; tripOf: number[] }) {
    const cycle = statements.findIndex((s) => /^select "id" from "cycles" .* for update$/.test(s));
    const application = statements.findIndex((s) => /^select "id" from "applications" .* for update$/.test(s));
    const task = statements.findIndex((s) => /from "assignments" inner join "applications"/.test(s));
    expect(cycle, statements.join('\n')).toBeGreaterThan(-1);
    expect(application).toBe(cycle + 1);
    expect(task).toBe(cycle + 2);
    expect(new Set([tripOf[cycle], tripOf[application], tripOf[task]]).size).toBe(1);
  }

  it('更换专家', async () => {
    const r = await onWire((tx) => swapExpert(tx, admin, f.foreignTask, now));
    expect(r.result.task.assignment.id).toBe(f.foreignTask);
    expectLocksInOrder(r);
    expect((await counted.db.select().from(assignments).where(eq(assignments.id, f.foreignTask)))[0].status).toBe('replaced');
  });

  it('谢绝', async () => {
    const r = await onWire((tx) => declineTask(tx, expert, f.ownTask, { kind: 'unavailable', reason: '评审期间出差' }, now, 'Asia/Shanghai'));
    expect(r.result.declineReason).toBe('时间无法安排：评审期间出差');
    expectLocksInOrder(r);
    expect((await counted.db.select().from(assignments).where(eq(assignments.id, f.ownTask)))[0].declineReason).toBe('时间无法安排：评审期间出差');
  });

  it('重开评分', async () => {
    const third = 'ou_lockorderexpert0000000000000001';
    await counted.db.insert(people).values({ openId: third, name: '第三专家', roles: ['expert'] });
    const [sheet] = await counted.db
      .insert(assignments)
      .values({ applicationId: f.appD, expertOpenId: third, status: 'submitted', scores: {}, total: 90, submittedAt: now })
      .returning();
    const r = await onWire((tx) => reopenScore(tx, admin, sheet.id, now, 'evt_lock_order'));
    expectLocksInOrder(r);
    // the previous card's key is read behind the task, under the same locks
    const keys = r.statements.findIndex((s) => /from "audit_log"/.test(s));
    const task = r.statements.findIndex((s) => /from "assignments" inner join "applications"/.test(s));
    expect(keys).toBe(task + 1);
    expect(r.tripOf[keys]).toBe(r.tripOf[task]);
    expect((await counted.db.select().from(assignments).where(eq(assignments.id, sheet.id)))[0].status).toBe('assigned');
  });
});
