import type { PgDialect } from 'drizzle-orm/pg-core';
import { PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js/session';
import type { ReservedSql, Sql } from 'postgres';
import type { Database, Db } from '../db/index.js';

/**
 * One transaction in one round trip: BEGIN, the statements and COMMIT are written to one reserved
 * connection without waiting between them (postgres.js pipelines them). Statements are prepared, so
 * a connection that has seen them once sends no Parse/Describe. A failed statement aborts the
 * transaction on the server, later ones fail with it and COMMIT answers ROLLBACK: nothing is kept.
 */

/** The postgres.js client under a Drizzle database; undefined on PGlite, which has no pipelining. */
export function postgresClient(database: Database): Sql | undefined {
  if (database.kind !== 'postgres') return undefined;
  return (database.db as unknown as { $client?: Sql }).$client;
}

/** A statement to issue inside the pipeline: it must send its query before returning (no await before it). */
export type Issue<T> = (conn: ReservedSql) => Promise<T>;

/**
 * `statements` run inside the transaction, `reads` after its COMMIT on the same connection and in the
 * same write: they see what was just committed, which is what an answer card shows.
 */
export async function pipelined<T extends unknown[], R extends unknown[]>(
  client: Sql,
  statements: { [K in keyof T]: Issue<T[K]> },
  reads: { [K in keyof R]: Issue<R[K]> },
): Promise<[T, R]> {
  const conn = await client.reserve();
  try {
    // each query is sent in the order it is issued; none waits for the answer of the one before
    const begin = conn.unsafe('begin').execute();
    const results = (statements as Issue<unknown>[]).map((issue) => issue(conn));
    const commit = conn.unsafe('commit').execute();
    // Drizzle hands its queries to the connection a few microtasks later than a raw execute(), so reads go last
    const after = (reads as Issue<unknown>[]).map((issue) => issue(conn));
    const settled = await Promise.allSettled([begin, ...results, commit]);
    const read = await Promise.allSettled(after);
    const failed = [...settled, ...read].find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const committed = (settled.at(-1) as PromiseFulfilledResult<{ command?: string }>).value;
    if (committed.command !== 'COMMIT') throw new Error(`pipelined transaction ended with ${committed.command}`);
    const values = (xs: PromiseSettledResult<unknown>[]) => xs.map((s) => (s as PromiseFulfilledResult<unknown>).value);
    return [values(settled.slice(1, -1)) as T, values(read) as R];
  } finally {
    conn.release();
  }
}

/** A Drizzle prepared query run on the pipeline's connection instead of the pool it was built on. */
export function onConnection<Q extends object>(prepared: Q, conn: ReservedSql): Q {
  // Drizzle's postgres.js prepared query reads its client from `this.client`; a shadowing copy keeps the built SQL and row mapping
  return Object.assign(Object.create(prepared) as Q, { client: conn });
}

/**
 * A transaction whose first statement goes out with its BEGIN (one round trip for both); `body` then
 * runs on a Drizzle transaction over the same connection, savepoints included, and COMMIT follows.
 */
export async function transactionWith<F, R>(database: Database, client: Sql, first: Issue<F>, body: (tx: Db, first: F) => Promise<R>): Promise<R> {
  const conn = await client.reserve();
  try {
    const begin = conn.unsafe('begin').execute();
    const head = first(conn);
    const [began, firstValue] = await Promise.allSettled([begin, head]);
    if (began.status === 'rejected') throw began.reason;
    try {
      if (firstValue.status === 'rejected') throw firstValue.reason;
      const result = await body(drizzleTransaction(database, conn), firstValue.value);
      const committed = await conn.unsafe('commit');
      if (committed.command !== 'COMMIT') throw new Error(`transaction ended with ${committed.command}`);
      return result;
    } catch (err) {
      await conn.unsafe('rollback').catch(() => undefined);
      throw err;
    }
  } finally {
    conn.release();
  }
}

/** What Drizzle's own postgres.js transaction builds, on a connection we began ourselves. */
function drizzleTransaction(database: Database, conn: ReservedSql): Db {
  // Drizzle keeps its dialect and relational schema on the database and session objects, not in its public API
  const inner = database.db as unknown as { dialect: PgDialect; session: { schema: never; options: never } };
  const session = new PostgresJsSession(preparing(conn) as never, inner.dialect, inner.session.schema, inner.session.options);
  return new PostgresJsTransaction(inner.dialect, session, inner.session.schema) as unknown as Db;
}

/** Statements with up to this many parameters are prepared; longer lists (bulk inserts, large `in`) vary too much to keep. */
const PREPARED_PARAMS_MAX = 16;

/**
 * The two things Drizzle's session asks of its client: `unsafe`, with statements prepared (an unnamed
 * statement with parameters costs postgres.js a Describe round trip every time, a prepared one only on
 * its first use per connection), and `savepoint(fn)` for nested transactions.
 */
interface SessionClient {
  unsafe(query: string, params?: unknown[], opts?: { prepare?: boolean }): ReturnType<ReservedSql['unsafe']>;
  savepoint<T>(fn: (c: SessionClient) => Promise<T>): Promise<T>;
}

function preparing(conn: ReservedSql): SessionClient {
  let n = 0;
  const client: SessionClient = {
    unsafe: (query: string, params?: unknown[], opts?: { prepare?: boolean }) =>
      conn.unsafe(query, params as never[], { ...opts, prepare: (params?.length ?? 0) <= PREPARED_PARAMS_MAX }),
    async savepoint<T>(fn: (c: SessionClient) => Promise<T>): Promise<T> {
      const name = `s${++n}`;
      await conn.unsafe(`savepoint ${name}`);
      try {
        const result = await fn(client);
        await conn.unsafe(`release savepoint ${name}`);
        return result;
      } catch (err) {
        await conn.unsafe(`rollback to savepoint ${name}`);
        throw err;
      }
    },
  };
  return client;
}
