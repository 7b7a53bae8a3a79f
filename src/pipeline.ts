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
    // started now: a query builder (a thenable) runs only once something subscribes, which must not wait for the COMMIT's answer
    const after = (reads as Issue<unknown>[]).map((issue) => Promise.resolve(issue(conn)));
    const settled = await Promise.allSettled([begin, ...results, commit]);
    const read = await Promise.allSettled(after);
    const failedInside = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    // a statement failed: the server rolled the whole transaction back (COMMIT answered ROLLBACK), nothing was kept
    if (failedInside) throw markRolledBack(failedInside.reason);
    const failed = read.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const committed = (settled.at(-1) as PromiseFulfilledResult<{ command?: string }>).value;
    if (committed.command !== 'COMMIT') throw new Error(`pipelined transaction ended with ${committed.command}`);
    const values = (xs: PromiseSettledResult<unknown>[]) => xs.map((s) => (s as PromiseFulfilledResult<unknown>).value);
    return [values(settled.slice(1, -1)) as T, values(read) as R];
  } finally {
    conn.release();
  }
}

/**
 * A read of `pipelined` written with Drizzle: `read` gets a database on the pipeline's connection, so an answer card's
 * existing read functions (which take a `Db`) run there, after the COMMIT and in its write. Reads only; statements
 * are prepared as on the ordinary path. A read that waits for another's answer costs that round trip.
 */
export function readOn<R>(database: Database, read: (db: Db) => Promise<R>): Issue<R> {
  return (conn) => read(drizzleTransaction(database, preparing(conn)));
}

/** A Drizzle prepared query run on the pipeline's connection instead of the pool it was built on. */
export function onConnection<Q extends object>(prepared: Q, conn: ReservedSql): Q {
  // Drizzle's postgres.js prepared query reads its client from `this.client`; a shadowing copy keeps the built SQL and row mapping
  return Object.assign(Object.create(prepared) as Q, { client: conn });
}

const ROLLED_BACK = Symbol('rolledBack');

function markRolledBack(reason: unknown): unknown {
  if (reason && typeof reason === 'object') Object.defineProperty(reason, ROLLED_BACK, { value: true });
  return reason;
}

/** Whether `err` came from a statement of `pipelined`'s transaction, which the server then rolled back whole (not from a read after its COMMIT). */
export function rolledBackWhole(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { [ROLLED_BACK]?: boolean })[ROLLED_BACK] === true;
}

/**
 * What a transaction's body answers when the rest of its answer is read after the COMMIT: `read` runs on the
 * committed state. On PostgreSQL its statements follow the COMMIT on the same connection, written before the
 * COMMIT's answer came (one round trip for both, as `pipelined`'s reads); elsewhere it runs once the
 * transaction has committed. Reads only: what it wrote would be outside the transaction. A COMMIT that fails
 * fails the whole as before, and what was read is dropped.
 */
export class ReadAfterCommit<R> {
  constructor(readonly read: (db: Db) => Promise<R>) {}
}

/** The body's answer, with its after-commit part read: `db` is where the reads go once committed. */
export async function answerOf<R>(result: R | ReadAfterCommit<R>, db: Db): Promise<R> {
  return result instanceof ReadAfterCommit ? result.read(db) : result;
}

/** COMMIT, then the body's after-commit reads (if any) on the same connection, without waiting between them. */
async function commitThenRead<R>(database: Database, conn: ReservedSql, session: ReturnType<typeof preparing>, result: R | ReadAfterCommit<R>): Promise<R> {
  if (!(result instanceof ReadAfterCommit)) {
    await commit(conn, session);
    return result;
  }
  // COMMIT is written by commit()'s first statement; the reads are handed over after it, so the server runs them on what it committed
  const committed = commit(conn, session);
  const read = result.read(drizzleTransaction(database, preparing(conn))).then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  await committed.catch(async (err: unknown) => {
    await read;
    throw err;
  });
  const answered = await read;
  if (!answered.ok) throw answered.err;
  return answered.value;
}

/**
 * A transaction whose first statement goes out with its BEGIN (one round trip for both); `body` then
 * runs on a Drizzle transaction over the same connection, savepoints included, and COMMIT follows.
 * Writes that return nothing do not wait for their answer (see `preparing`): they go out with the
 * next statement that does, or with the COMMIT.
 */
export async function transactionWith<F, R>(database: Database, client: Sql, first: Issue<F>, body: (tx: Db, first: F) => Promise<R | ReadAfterCommit<R>>): Promise<R> {
  const conn = await client.reserve();
  try {
    const begin = conn.unsafe('begin').execute();
    const head = first(conn);
    const [began, firstValue] = await Promise.allSettled([begin, head]);
    if (began.status === 'rejected') throw began.reason;
    const session = preparing(conn);
    try {
      if (firstValue.status === 'rejected') throw firstValue.reason;
      const result = await body(drizzleTransaction(database, session), firstValue.value);
      return await commitThenRead(database, conn, session, result);
    } catch (err) {
      throw await rollback(conn, session, err);
    }
  } finally {
    conn.release();
  }
}

/**
 * `transactionWith`, with `body` started at once on a guess of what the first statement will answer, so
 * its first statement shares the round trip of BEGIN and the first. The server still runs the first
 * statement before any of the body's. Nothing commits before the answer is known: when it does not bear
 * the guess out (`holds` is false), everything the body did is rolled back and the answer is undefined,
 * for the caller to start again without guessing. Whatever the body returned or threw on a wrong guess
 * is dropped with it.
 */
export async function transactionOnGuess<F, G, R>(
  database: Database,
  client: Sql,
  first: Issue<F>,
  guess: { value: G; holds: (first: F) => boolean },
  body: (tx: Db, guessed: G) => Promise<R | ReadAfterCommit<R>>,
): Promise<{ value: R } | undefined> {
  const conn = await client.reserve();
  try {
    const begin = conn.unsafe('begin').execute();
    const head = first(conn);
    const answered = Promise.allSettled([begin, head]);
    const session = preparing(conn);
    const outcome = await body(drizzleTransaction(database, session), guess.value).then(
      (value) => ({ ok: true as const, value }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    const [began, firstValue] = await answered;
    if (began.status === 'rejected' || firstValue.status === 'rejected') {
      throw await rollback(conn, session, began.status === 'rejected' ? began.reason : (firstValue as PromiseRejectedResult).reason, true);
    }
    if (!guess.holds(firstValue.value)) {
      await rollback(conn, session, undefined);
      return undefined;
    }
    if (!outcome.ok) throw await rollback(conn, session, outcome.err);
    return { value: await commitThenRead(database, conn, session, outcome.value) };
  } finally {
    conn.release();
  }
}

/** COMMIT after the body's quiet writes; a write that failed aborted the transaction (COMMIT then answers ROLLBACK) and its own error is told. */
async function commit(conn: ReservedSql, session: ReturnType<typeof preparing>): Promise<void> {
  const committed = conn.unsafe('commit').execute();
  await session.settled(0);
  const done = await committed;
  const failed = session.failure(0);
  if (failed) throw failed.error;
  if (done.command !== 'COMMIT') throw new Error(`transaction ended with ${done.command}`);
}

/** Rolls back; the error to tell is a failed quiet write's, which made the later ones fail, unless `own` says `err` came first. */
async function rollback(conn: ReservedSql, session: ReturnType<typeof preparing>, err: unknown, own = false): Promise<unknown> {
  await session.settled(0);
  await conn.unsafe('rollback').catch(() => undefined);
  return own ? err : (session.failure(0)?.error ?? err);
}

/** What Drizzle's own postgres.js transaction builds, on a connection we began ourselves. */
function drizzleTransaction(database: Database, client: SessionClient): Db {
  // Drizzle keeps its dialect and relational schema on the database and session objects, not in its public API
  const inner = database.db as unknown as { dialect: PgDialect; session: { schema: never; options: never } };
  const session = new PostgresJsSession(client as never, inner.dialect, inner.session.schema, inner.session.options);
  // `session as never`: checked as it is, tsc compares the two session types structurally, 3 s of every type check
  return new PostgresJsTransaction(inner.dialect, session as never, inner.session.schema) as unknown as Db;
}

/** Statements with up to this many parameters are prepared; longer lists (bulk inserts, large `in`) vary too much to keep. */
const PREPARED_PARAMS_MAX = 16;

/** An INSERT, UPDATE or DELETE with no RETURNING: its caller gets nothing from the answer but success. */
const quietWrite = /^\s*(?:insert|update|delete)\s/i;
const returning = /\breturning\b/i;

/** A statement's result as Drizzle takes it: awaited directly, or through `.values()` for rows as arrays. */
type Answer = PromiseLike<unknown> & { values(): PromiseLike<unknown> };

/**
 * The two things Drizzle's session asks of its client: `unsafe`, with statements prepared (an unnamed
 * statement with parameters costs postgres.js a Describe round trip every time, a prepared one only on
 * its first use per connection), and `savepoint(fn)` for nested transactions.
 */
interface SessionClient {
  unsafe(query: string, params?: unknown[], opts?: { prepare?: boolean }): Answer;
  savepoint<T>(fn: (c: SessionClient) => Promise<T>): Promise<T>;
}

/** A write sent without waiting: settled once its answer came, with the error if it failed. */
interface Sent {
  settled: Promise<void>;
  error?: unknown;
}

/**
 * The session client of one transaction. A write that returns nothing is sent and answered at once
 * with an empty result, so the handler goes on and its next statement shares the round trip (the
 * server runs them in order, so later reads see the write). Nothing in the bot reads such a write's
 * row count: a write whose result matters says RETURNING. When a write fails, the server aborts the
 * transaction and every later statement fails with "current transaction is aborted"; those report
 * the write's own error instead, and so do a savepoint's end and the COMMIT.
 */
function preparing(conn: ReservedSql): SessionClient & { settled(from: number): Promise<void>; failure(from: number): Sent | undefined } {
  let n = 0;
  let sent: Sent[] = [];
  const failure = (from: number) => sent.slice(from).find((w) => 'error' in w);
  const settled = async (from: number) => void (await Promise.all(sent.slice(from).map((w) => w.settled)));
  // the first failed write's error stands for any later statement's: that one failed only because the transaction was aborted
  const told = <T>(p: PromiseLike<T>): Promise<T> =>
    Promise.resolve(p).catch((err: unknown) => {
      throw failure(0)?.error ?? err;
    });
  /** Sends a statement whose answer nobody waits for; its failure is kept to be told later. */
  const quietly = (q: ReturnType<ReservedSql['unsafe']>) => {
    const w: Sent = { settled: Promise.resolve() };
    w.settled = q.execute().then(
      () => undefined,
      (err: unknown) => void (w.error = err),
    );
    sent.push(w);
  };
  const client = {
    settled,
    failure,
    unsafe(query: string, params?: unknown[], opts?: { prepare?: boolean }): Answer {
      // sent now, whether awaited at once or later: statements reach the server in the order Drizzle hands them
      // over here, a quiet write and a read alike (`.values()` only says how the answer's rows are read)
      const q = conn.unsafe(query, params as never[], { ...opts, prepare: (params?.length ?? 0) <= PREPARED_PARAMS_MAX }).execute();
      if (quietWrite.test(query) && !returning.test(query)) {
        quietly(q);
        const done = Promise.resolve(Object.assign([], { count: undefined, command: query.trimStart().slice(0, 6).toUpperCase() }));
        return Object.assign(done, { values: () => done });
      }
      return { then: (ok, fail) => told(q).then(ok, fail), values: () => told(q.values()) };
    },
    /**
     * SAVEPOINT and RELEASE wait for nothing either: they go out with the statements around them. Before the
     * release, the savepoint's own quiet writes must have answered (a failure among them is the savepoint's, to
     * be undone and told to its caller); when its last statement was awaited, they already have.
     */
    async savepoint<T>(fn: (c: SessionClient) => Promise<T>): Promise<T> {
      const name = `s${++n}`;
      quietly(conn.unsafe(`savepoint ${name}`));
      const mark = sent.length;
      try {
        const result = await fn(client);
        await settled(mark);
        const failed = failure(mark);
        if (failed) throw failed.error;
        quietly(conn.unsafe(`release savepoint ${name}`));
        return result;
      } catch (err) {
        await settled(mark);
        const inner = failure(mark);
        // the savepoint's writes are undone with it: a failure among them no longer stands for the transaction
        sent = sent.slice(0, mark);
        await told(conn.unsafe(`rollback to savepoint ${name}`));
        throw inner?.error ?? err;
      }
    },
  };
  return client;
}
