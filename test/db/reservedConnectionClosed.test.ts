import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CuttableProxy } from '../support/cuttableProxy.js';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/db.js';

/**
 * postgres.js under a connection that closes while it is reserved (src/pipeline.ts runs every pipelined transaction on
 * `sql.reserve()`) or inside `sql.begin`: what the holder does next must not reach the connection the pool has taken back
 * and is starting again (scripts/patchDependencies.mjs). Before the fix, the ROLLBACK after the error went to the starting
 * connection and `release()` counted it open: later queries waited without end, and so did `sql.end()`.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `p` settles within `ms`: 'resolved', 'rejected: CODE' or 'pending'. */
async function within(p: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    p.then(
      () => 'resolved',
      (e: { code?: string }) => `rejected: ${e?.code ?? e}`,
    ),
    sleep(ms).then(() => 'pending'),
  ]);
}

describe.skipIf(testDatabaseKind() !== 'postgres')('postgres.js: a reserved connection or a transaction whose connection closes', () => {
  let db: TestDatabase;
  let proxy: CuttableProxy;
  let url: string;
  /** Straight to the database, not through the proxy: to see what the server is running. */
  let watcher: postgres.Sql;

  /**
   * Waits until the server process `pid` runs the test's `pg_sleep`, so the cut falls on it. A fixed wait was not enough
   * on a loaded machine: the statement could still be on its way, and the cut then fell before it. (The server processes
   * of earlier cases go on sleeping after their cut, hence the pid.)
   */
  async function untilSleeping(pid: number) {
    for (let i = 0; i < 500; i++) {
      const [{ n }] = await watcher`select count(*)::int as n from pg_stat_activity where pid = ${pid} and query like 'select pg_sleep(5)%' and state = 'active'`;
      if (n > 0) return;
      await sleep(10);
    }
    throw new Error('the statement to cut never reached the server');
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url!);
    proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.open();
    const viaProxy = new URL(db.url!);
    viaProxy.port = String(proxy.port);
    url = viaProxy.toString();
    watcher = postgres(db.url!, { max: 1, onnotice: () => {} });
  }, 120_000);
  afterAll(async () => {
    await watcher?.end({ timeout: 5 });
    await proxy?.cut();
    await db?.close();
  });

  // the holder's next step comes before the pool starts the connection again (0), or while it is starting (1 ms and on):
  // before the fix the latter left the ROLLBACK and every later query waiting, or threw from the socket's data handler
  it.each([0, 1, 2, 5, 10])('reserved, the holder going on %i ms after the error: its ROLLBACK is refused, release() leaves the pool alone, every later query is answered', async (delay) => {
    const sql = postgres(url, { max: 1, onnotice: () => {}, backoff: () => 0 });
    try {
      const conn = await sql.reserve();
      const [{ pid }] = await conn<{ pid: number }[]>`select pg_backend_pid() as pid`;
      // a query of the pool waits for the only connection, held by the reservation
      const waiting = sql`select 2 as n`.execute();
      const inFlight = conn`select pg_sleep(5)`.execute();
      await untilSleeping(pid);
      await proxy.cut();
      await proxy.open();
      expect(await within(inFlight, 5000)).toMatch(/^rejected/);
      if (delay) await sleep(delay);
      // what the holder does after the error: its ROLLBACK, then release()
      const rollback = conn.unsafe('rollback').execute();
      conn.release();
      expect(await within(rollback, 5000)).toBe('rejected: CONNECTION_CLOSED');
      // the pool started the connection again for the query that waited; it and those after it are answered
      expect(await within(waiting, 5000)).toBe('resolved');
      const later = await Promise.all(Array.from({ length: 5 }, (_, i) => within(sql`select ${i}::int as n`.execute(), 5000)));
      expect(later).toEqual(Array(5).fill('resolved'));
      const again = await sql.reserve();
      expect(await within(again`select 3`.execute(), 5000)).toBe('resolved');
      again.release();
    } finally {
      expect(await within(sql.end({ timeout: 5 }), 8000)).toBe('resolved');
    }
  });

  it('reserved: statements it had queued behind a busy connection are refused with the close', async () => {
    // max_pipeline is an option postgres.js reads but its types do not list
    const sql = postgres(url, { max: 1, onnotice: () => {}, backoff: () => 0, ...({ max_pipeline: 1 } as object) });
    try {
      const conn = await sql.reserve();
      const [{ pid }] = await conn<{ pid: number }[]>`select pg_backend_pid() as pid`;
      // with a pipeline of one, the second statement waits in the reservation's own queue
      const first = conn`select pg_sleep(5)`.execute();
      const queued = conn`select 2`.execute();
      await untilSleeping(pid);
      await proxy.cut();
      await proxy.open();
      expect(await within(first, 5000)).toMatch(/^rejected/);
      expect(await within(queued, 5000)).toMatch(/^rejected: (CONNECTION_CLOSED|ECONNRESET)/);
      conn.release();
      expect(await within(sql`select 4`.execute(), 5000)).toBe('resolved');
    } finally {
      expect(await within(sql.end({ timeout: 5 }), 8000)).toBe('resolved');
    }
  });

  it.each([0, 1, 2, 5])('sql.begin, the body going on %i ms after the error: the transaction fails with the close, its next statement goes nowhere, and the pool answers the queries after it', async (delay) => {
    const sql = postgres(url, { max: 1, onnotice: () => {}, backoff: () => 0 });
    try {
      let statementAfter: Promise<unknown> | undefined;
      let gotPid!: (pid: number) => void;
      const txPid = new Promise<number>((resolve) => (gotPid = resolve));
      const tx = sql.begin(async (t) => {
        const [{ pid }] = await t<{ pid: number }[]>`select pg_backend_pid() as pid`;
        gotPid(pid);
        await t`select pg_sleep(5)`.catch(() => undefined);
        // the body goes on after the error, as code that catches does
        if (delay) await sleep(delay);
        statementAfter = t`select 2`.execute();
        await statementAfter;
      });
      const waiting = sql`select 3`.execute();
      await untilSleeping(await txPid);
      await proxy.cut();
      await proxy.open();
      expect(await within(tx, 5000)).toMatch(/^rejected/);
      await sleep(delay + 20);
      expect(statementAfter).toBeDefined();
      expect(await within(statementAfter!, 5000)).toBe('rejected: CONNECTION_CLOSED');
      expect(await within(waiting, 5000)).toBe('resolved');
      const later = await Promise.all(Array.from({ length: 5 }, (_, i) => within(sql`select ${i}::int`.execute(), 5000)));
      expect(later).toEqual(Array(5).fill('resolved'));
    } finally {
      expect(await within(sql.end({ timeout: 5 }), 8000)).toBe('resolved');
    }
  });

  // the bot's pools read the array types once and then connect without them (db/index.ts, readTypesOnce)
  it.each([true, false])('sql.reserve() that must open a connection is served (types read: %s): a cold pool, a second connection, one waiting while the first closes', async (fetchTypes) => {
    const sql = postgres(url, { max: 2, onnotice: () => {}, backoff: () => 0, fetch_types: fetchTypes });
    try {
      // a cold pool: the reserve starts the first connection (porsager/postgres#751, #1219)
      const first = await Promise.race([sql.reserve(), sleep(5000).then(() => undefined)]);
      expect(first).toBeDefined();
      const [{ pid }] = await first!<{ pid: number }[]>`select pg_backend_pid() as pid`;
      // a second: the pool opens another for it
      const second = await Promise.race([sql.reserve(), sleep(5000).then(() => undefined)]);
      expect(second).toBeDefined();
      // a third waits for one of them; the connection it waits on closes and is started again for it (#1195)
      const third = sql.reserve();
      const inFlight = first!`select pg_sleep(5)`.execute();
      second!.release();
      await untilSleeping(pid);
      // `third` took the released one; a fourth waits, and both connections are cut under it
      const thirdConn = await Promise.race([third, sleep(5000).then(() => undefined)]);
      expect(thirdConn).toBeDefined();
      const fourth = sql.reserve();
      await proxy.cut();
      await proxy.open();
      expect(await within(inFlight, 5000)).toMatch(/^rejected/);
      first!.release();
      thirdConn!.release();
      const fourthConn = await Promise.race([fourth, sleep(5000).then(() => undefined)]);
      expect(fourthConn).toBeDefined();
      expect(await within(fourthConn!`select 4`.execute(), 5000)).toBe('resolved');
      fourthConn!.release();
      // every connection is back in the pool: as many reserves as connections, then queries
      const both = await Promise.all([sql.reserve(), sql.reserve()].map((r) => Promise.race([r, sleep(5000).then(() => undefined)])));
      expect(both.every(Boolean)).toBe(true);
      for (const c of both) c!.release();
      const later = await Promise.all(Array.from({ length: 6 }, (_, i) => within(sql`select ${i}::int`.execute(), 5000)));
      expect(later).toEqual(Array(6).fill('resolved'));
    } finally {
      expect(await within(sql.end({ timeout: 5 }), 8000)).toBe('resolved');
    }
  });

  it('sql.reserve() while the database is away fails, and leaves nothing behind that takes a connection later', async () => {
    // the waiting reserve fails because the cut proxy refuses new connections at once, not by a connect timeout: 10 s
    // only keeps the connections made once it is open again from failing on a loaded machine (1 s did)
    const sql = postgres(url, { max: 2, onnotice: () => {}, backoff: () => 0, fetch_types: false, connect_timeout: 10 });
    try {
      await sql`select 1`;
      const held = await sql.reserve();
      const heldToo = await sql.reserve();
      // both connections held: a reserve waits; then both are cut, and the database refuses for a moment
      const waiting = sql.reserve();
      await proxy.cut();
      const outcome = await within(waiting, 5000);
      expect(outcome).toMatch(/^rejected/);
      held.release();
      heldToo.release();
      await proxy.open();
      // the refused reserve took nothing: both connections serve reserves and queries again
      const both = await Promise.all([sql.reserve(), sql.reserve()].map((r) => Promise.race([r, sleep(5000).then(() => undefined)])));
      expect(both.every(Boolean)).toBe(true);
      expect(await within(both[0]!`select 1`.execute(), 5000)).toBe('resolved');
      expect(await within(both[1]!`select 2`.execute(), 5000)).toBe('resolved');
      for (const c of both) c!.release();
      expect(await within(sql`select 3`.execute(), 5000)).toBe('resolved');
    } finally {
      expect(await within(sql.end({ timeout: 5 }), 8000)).toBe('resolved');
    }
  });
});
