import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, organizations, teamMembers } from '../../db/schema.js';
import type { Database, Db } from '../../db/index.js';
import { pipelined, postgresClient, ReadAfterCommit, readOn, transactionWith } from '../../src/pipeline.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';
import { countedDatabase, type Wire } from '../support/wire.js';

/**
 * The ordinary path's transaction on PostgreSQL: writes that return nothing are sent without waiting
 * for their answer. What must hold is that a failed one still fails the whole transaction, with its
 * own error, and that a savepoint still undoes only its part.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('a transaction whose quiet writes wait for no answer (PostgreSQL)', () => {
  let db: TestDatabase;
  const run = <R>(body: Parameters<typeof transactionWith<unknown, R>>[3]) =>
    transactionWith(db, postgresClient(db)!, (conn) => conn.unsafe('select 1 as one').execute(), body);
  const orgNamed = async (name: string) => db.db.select().from(organizations).where(eq(organizations.name, name));
  /** The error a transaction failed with; a transaction that committed fails the test. */
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      (v) => expect.fail(`committed, answering ${String(v)}`),
      (e: unknown) => e as { code?: string; message: string },
    );
  const audited = async (action: string) => db.db.select().from(auditLog).where(eq(auditLog.action, action));

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a write returning nothing answers at once; the next read sees it; both are kept', async () => {
    const seen = await run(async (tx) => {
      const answer = await tx.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.quiet', entity: 'test', entityId: '1' });
      expect(Array.from(answer as unknown as unknown[])).toEqual([]);
      return tx.select().from(auditLog).where(eq(auditLog.action, 'pipeline.quiet'));
    });
    expect(seen).toHaveLength(1);
    expect(await audited('pipeline.quiet')).toHaveLength(1);
  });

  it('a failed quiet write fails the next read with its own error, and nothing of the transaction is kept', async () => {
    let read: { code?: string } | undefined;
    const err = await failureOf(run(async (tx) => {
      await tx.insert(organizations).values({ name: '先写入的单位' });
      // no team 999999: the foreign key refuses it, but the handler is not told until its next statement
      await tx.insert(teamMembers).values({ teamId: 999_999, openId: 'ou_t', role: 'member' });
      // the read itself is told the write's error (not "current transaction is aborted"), for a handler that catches it
      read = await tx.select().from(organizations).then(
        () => undefined,
        (e: unknown) => (e as { cause?: { code?: string } }).cause ?? (e as { code?: string }),
      );
      throw read;
    }));
    expect(read?.code).toBe('23503');
    expect(err.code).toBe('23503');
    expect(err.message).toMatch(/foreign key/);
    expect(await orgNamed('先写入的单位')).toEqual([]);
  });

  it('a failed quiet write as the last statement fails the COMMIT with its own error', async () => {
    const err = await failureOf(run(async (tx) => {
      await tx.insert(organizations).values({ name: '最后失败前的单位' });
      await tx.insert(teamMembers).values({ teamId: 999_999, openId: 'ou_t', role: 'member' });
      return 'returned';
    }));
    expect(err.code).toBe('23503');
    expect(await orgNamed('最后失败前的单位')).toEqual([]);
  });

  it('a handler that throws after a failed quiet write is told the write’s error, not its own', async () => {
    const err = await failureOf(run(async (tx) => {
      await tx.insert(teamMembers).values({ teamId: 999_999, openId: 'ou_t', role: 'member' });
      throw new Error('a refusal decided on what the handler believed was written');
    }));
    expect(err.code).toBe('23503');
  });

  it('a savepoint whose quiet write fails is undone alone, with that error; the transaction goes on and commits', async () => {
    const inner = await run(async (tx) => {
      await tx.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.outer', entity: 'test', entityId: '2' });
      const caught = await tx
        .transaction(async (sp) => {
          await sp.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.inner', entity: 'test', entityId: '3' });
          await sp.insert(teamMembers).values({ teamId: 999_999, openId: 'ou_t', role: 'member' });
        })
        .then(
          () => undefined,
          (e: unknown) => e as { code?: string },
        );
      await tx.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.after', entity: 'test', entityId: '4' });
      return caught;
    });
    expect(inner?.code).toBe('23503');
    expect((await audited('pipeline.outer')).length).toBe(1);
    expect((await audited('pipeline.after')).length).toBe(1);
    expect(await audited('pipeline.inner')).toEqual([]);
  });

  it('a savepoint that throws after its quiet write failed is undone with the write’s error, not its own', async () => {
    const inner = await run(async (tx) =>
      tx
        .transaction(async (sp) => {
          await sp.insert(teamMembers).values({ teamId: 999_999, openId: 'ou_t', role: 'member' });
          throw new Error('a refusal decided on what the savepoint believed was written');
        })
        .then(
          () => undefined,
          (e: unknown) => e as { code?: string },
        ),
    );
    expect(inner?.code).toBe('23503');
  });

  it('a savepoint whose awaited statement fails is undone alone; the caller catches the error and the transaction commits', async () => {
    await db.db.insert(organizations).values({ name: '已有的单位' });
    const caught = await run(async (tx) => {
      await tx.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.beforeTaken', entity: 'test', entityId: '6' });
      // as 开启年度评审 does when another open wins the unique index: the savepoint's insert fails, the event goes on
      const err = await tx
        .transaction(async (sp) => sp.insert(organizations).values({ name: '已有的单位' }).returning())
        .then(
          () => undefined,
          // Drizzle wraps a failed awaited statement; the server's error is its cause
          (e: unknown) => (e as { cause?: { code?: string } }).cause,
        );
      await tx.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.afterTaken', entity: 'test', entityId: '7' });
      return err;
    });
    expect(caught?.code).toBe('23505');
    expect((await audited('pipeline.beforeTaken')).length).toBe(1);
    expect((await audited('pipeline.afterTaken')).length).toBe(1);
    expect(await orgNamed('已有的单位')).toHaveLength(1);
  });

  it('statements issued together reach the server in the order they were issued, a quiet write and a read alike', async () => {
    const [before, after] = await run(async (tx) => {
      const seen = () => tx.select().from(auditLog).where(eq(auditLog.action, 'pipeline.order'));
      const write = () => tx.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.order', entity: 'test', entityId: '8' });
      const [first] = await Promise.all([seen(), write()]);
      const [, second] = await Promise.all([write(), seen()]);
      return [first, second];
    });
    expect(before).toHaveLength(0);
    expect(after).toHaveLength(2);
  });

  it('a savepoint whose writes succeed keeps them', async () => {
    await run(async (tx) => {
      await tx.transaction(async (sp) => {
        await sp.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.kept', entity: 'test', entityId: '5' });
      });
    });
    expect((await audited('pipeline.kept')).length).toBe(1);
  });
});

/**
 * An answer read after the COMMIT (`ReadAfterCommit`, what `ctx.afterCommit` returns): its reads are written behind
 * the COMMIT on the same connection, so they cost no round trip of their own, see what was committed, and are
 * dropped when the COMMIT fails.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('reads after the COMMIT, in its round trip (PostgreSQL)', () => {
  let db: TestDatabase;
  let counted: Database;
  const wire: Wire = { trips: 0, statements: [] };
  const run = <R>(body: Parameters<typeof transactionWith<unknown, R>>[3]) =>
    transactionWith(counted, postgresClient(counted)!, (conn) => conn.unsafe('select 1 as one').execute(), body);
  const reset = () => Object.assign(wire, { trips: 0, statements: [] });

  beforeAll(async () => {
    db = await createTestDatabase();
    counted = countedDatabase(db.url!, wire);
  });
  afterAll(async () => {
    await counted?.close();
    await db?.close();
  });

  it('a quiet write, the COMMIT and the reads after it go in one round trip, and the reads see the write', async () => {
    // warmed: each statement prepared once on the connection
    const body = (n: number) => async (tx: Db) => {
      await tx.insert(auditLog).values({ actor: 'ou_t', action: 'pipeline.afterCommit', entity: 'test', entityId: String(n) });
      return new ReadAfterCommit((read) => read.select().from(auditLog).where(eq(auditLog.action, 'pipeline.afterCommit')));
    };
    await run(body(1));
    reset();
    const seen = await run(body(2));
    expect(seen.map((r) => r.entityId).sort()).toEqual(['1', '2']);
    expect(wire.statements.map((s) => s.split(' ')[0].toLowerCase())).toEqual(['begin', 'select', 'insert', 'commit', 'select']);
    // BEGIN and the first statement; then the write, COMMIT and the read together
    expect(wire.trips).toBe(2);
  });

  it('the reads run on the committed state, outside the transaction', async () => {
    const inTransaction = await run(async () => new ReadAfterCommit(async (read) => read.execute(sql`select txid_current_if_assigned() as xid`)));
    const [row] = Array.from(inTransaction as unknown as { xid: string | null }[]);
    // a statement of its own: no transaction is open around it, so it has none assigned
    expect(row.xid).toBeNull();
  });

  it('a COMMIT that fails (a quiet write refused) fails the whole with the write’s error; what was read is dropped', async () => {
    let reads = 0;
    const err = await run(async (tx) => {
      await tx.insert(organizations).values({ name: '提交失败前的单位' });
      await tx.insert(teamMembers).values({ teamId: 999_999, openId: 'ou_t', role: 'member' });
      return new ReadAfterCommit(async (read) => {
        reads++;
        return read.select().from(organizations);
      });
    }).then(
      (v) => expect.fail(`committed, answering ${JSON.stringify(v)}`),
      (e: unknown) => e as { code?: string },
    );
    expect(err.code).toBe('23503');
    expect(reads).toBe(1);
    expect(await db.db.select().from(organizations).where(eq(organizations.name, '提交失败前的单位'))).toEqual([]);
  });

  it('a read that fails after a COMMIT that succeeded fails the answer; what was committed stays', async () => {
    const err = await run(async (tx) => {
      await tx.insert(organizations).values({ name: '提交后读取失败的单位' });
      return new ReadAfterCommit(async (read) => read.execute(sql`select 1 / 0`));
    }).then(
      () => expect.fail('answered'),
      (e: unknown) => (e as { cause?: { code?: string } }).cause ?? (e as { code?: string }),
    );
    expect(err.code).toBe('22012');
    expect(await db.db.select().from(organizations).where(eq(organizations.name, '提交后读取失败的单位'))).toHaveLength(1);
  });

  it('a one-statement action reads its answer with Drizzle after the COMMIT, in the same round trip', async () => {
    const write = (n: number) => (conn: Parameters<Parameters<typeof pipelined>[1][0]>[0]) =>
      conn.unsafe(`insert into audit_log (actor, action, entity, entity_id) values ('ou_t', 'pipeline.readOn', 'test', $1)`, [String(n)], { prepare: true }).execute();
    const read = readOn(counted, (db) => db.select().from(auditLog).where(eq(auditLog.action, 'pipeline.readOn')));
    await pipelined(postgresClient(counted)!, [write(1)], [read]);
    reset();
    const [, [rows]] = await pipelined(postgresClient(counted)!, [write(2)], [read]);
    expect(rows.map((r) => r.entityId).sort()).toEqual(['1', '2']);
    expect(wire.statements.map((s) => s.split(' ')[0].toLowerCase())).toEqual(['begin', 'insert', 'commit', 'select']);
    expect(wire.trips).toBe(1);
  });
});
