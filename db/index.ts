import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statfsSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Sql } from 'postgres';
import { pgliteCodeAhead } from './pgliteCode.js';
import * as schema from './schema.js';

export { schema };

/** One type for both drivers: every query function takes this, and a transaction is one too. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /**
   * PostgreSQL: the connections the one-statement calls go to (提交评分's `review_submit`), apart from the pool the
   * transactions reserve. A call there is its own transaction, so postgres.js pipelines concurrent calls on them;
   * undefined where the calls share `db`'s client (PGlite, and the tests' one counted connection).
   */
  statements?: Sql;
  /** Checks the database answers; used by /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface OpenOptions {
  databaseUrl?: string;
  dataDir?: string;
  /** Pool size for postgres.js. */
  max?: number;
  migrate?: boolean;
  /** PGlite only: start from this dumped data directory (`dumpDataDir`) instead of running initdb. */
  loadDataDir?: Blob;
  /**
   * PostgreSQL only: seconds a new connection may take to open before it fails; default 2 (`reconnecting`). The tests'
   * own pools wait longer: on a starved CI machine a new connection took more than 2 s.
   */
  connectTimeout?: number;
  /**
   * PGlite only: what follows a write the disk refused once it has reached its caller (stopOnStorageFailure); by default
   * the bot's one line and exit 1. A command-line script says its own line.
   */
  onStorageFailure?: (line: string, error: unknown) => void;
}

/** postgres.js when a URL is given, embedded PGlite in dataDir otherwise; migrations applied unless told not to. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const database = opts.databaseUrl ? await openPostgres(opts.databaseUrl, opts.max ?? 10, opts.connectTimeout) : await openPglite(opts.dataDir, opts.loadDataDir, opts.onStorageFailure);
  if (opts.migrate !== false) {
    // a refused start lets go of what it opened (PGlite's folder, the server's connections)
    await migrateDatabase(database).catch(async (err: unknown) => {
      await database.close().catch(() => {});
      // a damaged PGlite database may open and fail at its first statements (`pg_attribute catalog is missing 17
      // attribute(s)`, `could not open file "base/5/…"`): said as the damaged database it is
      throw (opts.dataDir && !opts.databaseUrl && damagedDatabaseError(err) && unreadableDatabase(opts.dataDir, (err as { cause?: unknown }).cause ?? err)) || err;
    });
  }
  return database;
}

/**
 * How postgres.js connects again after a failure. Its own backoff waits (0.5–1)·min(3^n/100, 20) s, n counting the
 * failures of the whole pool since it last connected: while the database is down the outbox and bulk-job loops fail
 * every second, n climbs, and a query after the outage waits up to 20 s for the next try, past Feishu's 3 s for a
 * callback. A short capped wait and connect timeout let a callback learn within about 2 s that the database is
 * unreachable (it answers with a toast) and take the database again as soon as it is back.
 */
const reconnecting = { backoff: (retries: number) => Math.min(0.05 * retries, 0.25), connect_timeout: 2 };

/**
 * postgres.js reads the array types (pg_type) as the first statement of every new connection and drops that query's
 * promise: a connection lost during it (a restart of PostgreSQL, a cut network) rejects it unhandled, which ends the
 * process (porsager/postgres#1192, #1223). What it reads is kept for the whole pool, so once one connection has read
 * it, later connections (those made again after an outage) skip it. A database unreachable now leaves it on.
 */
async function readTypesOnce(sql: Sql): Promise<void> {
  try {
    await sql`select 1`;
  } catch {
    return;
  }
  const options = sql.options as unknown as { fetch_types: boolean; shared: { typeArrayMap: Record<number, number> } };
  if (Object.keys(options.shared.typeArrayMap).length) options.fetch_types = false;
}

/** Seconds a close waits for the queries in flight before it ends their connections; inside the stop's deadline (src/main.ts). */
const CLOSE_TIMEOUT_S = 1;

/**
 * What each of the bot's connections sets as it starts (no round trip of its own). `jit: off`: PostgreSQL compiles a
 * statement its planner costs over `jit_above_cost` (100 000), which 截止申报's one statement is with 10 000
 * applications (an estimate, not its work): compiling took 230 of its 280 ms, and 1.6–1.9 s of the results
 * workbook's read, whose work is 0.1 s; none of the bot's statements runs long enough to gain from it.
 */
const botSession = { application_name: 'gdsz-bot', jit: 'off' };

/**
 * A pool whose server refused `jit` at start-up goes on without it. PgBouncer answers a startup parameter it does not
 * track with `unsupported startup parameter: jit` (08P01, https://www.pgbouncer.org/config.html#ignore_startup_parameters)
 * and closes: every connection would fail. postgres.js reads `connection` at each connect, so the next one leaves it out
 * (JIT as the server has it: turn it off there, `jit = off` in postgresql.conf or ALTER DATABASE … SET jit = off).
 */
async function withoutRefusedJit(sql: Sql): Promise<void> {
  try {
    await sql`select 1`;
  } catch (err) {
    if (!/unsupported startup parameter/i.test(err instanceof Error ? err.message : String(err))) return;
    (sql.options as unknown as { connection: Record<string, unknown> }).connection.jit = '';
  }
}

async function openPostgres(url: string, max: number, connectTimeout = reconnecting.connect_timeout): Promise<Database> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  // postgres.js is told of one server, as arrays it takes as they are (its types say a string): the sockets
  // (`serverSocket`) take the URL's list themselves
  const servers = urlServers(url);
  const server = (servers ? { host: [servers[0].host], port: [servers[0].port] } : {}) as object;
  const client = postgres(url, {
    max,
    ...reconnecting,
    connect_timeout: connectTimeout,
    ...server,
    ...({ socket: serverSocket(servers, false) } as object),
    onnotice: () => {},
    connection: { ...botSession },
  });
  // Two: measured with the bench on two cores, concurrent one-statement calls cost the server least when they share
  // few backends (1 600–1 800 score sheets a second on 2 connections, 1 200–1 400 over 10, that hour; 1 and 2
  // alike), and each call gives up on a lock it waits for after a moment (review_submit's lock_timeout), so a call
  // waiting holds up those behind it briefly. A connection with max_pipeline calls in flight takes no more until all have answered, so the
  // limit (100 by default, not in postgres.js's types) is above any number of callbacks answered at once.
  // Their sockets send what one turn of the event loop wrote in one system call (`coalescingSocket`): 10 % of the
  // CPU per score sheet at 200 concurrent, in three alternating pairs
  const statements = postgres(url, {
    max: 2,
    ...reconnecting,
    connect_timeout: connectTimeout,
    ...server,
    ...({ max_pipeline: 1000, socket: serverSocket(servers, true) } as object),
    onnotice: () => {},
    connection: { ...botSession },
  });
  await Promise.all([withoutRefusedJit(client), withoutRefusedJit(statements)]);
  await Promise.all([readTypesOnce(client), readTypesOnce(statements)]);
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    statements,
    ping: async () => {
      await client`select 1`;
    },
    close: async () => {
      await Promise.all([client.end({ timeout: CLOSE_TIMEOUT_S }), statements.end({ timeout: CLOSE_TIMEOUT_S })]);
    },
  };
}

/** A server of DATABASE_URL's host list. */
export interface Server {
  host: string;
  port: number;
}

/**
 * The servers DATABASE_URL names, in order: `host`, `host:port` or `[ipv6]:port`, comma-separated. Undefined where it
 * names no host or a Unix socket's folder, which postgres.js reads itself; it reads `[::1]` as the host `[` (it cuts a
 * host at its first colon), so a bracketed IPv6 address is read here.
 */
export function urlServers(url: string): Server[] | undefined {
  const start = url.indexOf('://');
  if (start < 0) return undefined;
  const authority = url.slice(start + 3).split(/[/?#]/)[0];
  let hosts: string;
  try {
    hosts = decodeURIComponent(authority.slice(authority.lastIndexOf('@') + 1));
  } catch {
    return undefined;
  }
  const defaultPort = Number(process.env.PGPORT) || 5432;
  const servers: Server[] = [];
  for (const entry of hosts.split(',')) {
    const m = /^\[([^\]]+)\](?::(\d*))?$/.exec(entry) ?? /^([^:/[\]]+)(?::(\d*))?$/.exec(entry);
    if (!m) return undefined;
    servers.push({ host: m[1], port: m[2] ? Number(m[2]) : defaultPort });
  }
  return servers;
}

/** What postgres.js hands its `socket` option: the servers it read from the URL, or a Unix socket's path. */
interface SocketOptions {
  host: string[];
  port: number[];
  path?: string | false;
  ssl?: unknown;
}

/**
 * postgres.js's `socket` option for a pool: a connection to the pool's server, returned still connecting as
 * postgres.js's own socket is, so postgres.js keeps its connect timeout and its handling of a refused or lost
 * connection (it connects again on the next call); `host` is what its TLS sends as the server name.
 * postgres.js 3.4.9 never gives up on a connection that the other end closes before PostgreSQL's start-up is done
 * (a proxy or load balancer with no server behind it, an HTTP proxy that answers 400, a firewall that takes the
 * connection and closes it) nor on a list's servers while another is left to try (its count of them never moves,
 * porsager/postgres#1174, #1188): it connects again at once, forever, and the call that started the connection never
 * settles, the bot's start and a stop waiting on it too. So postgres.js is told of one server; a close before the
 * server said it was ready (`readyWatch`) is a failed connection (ECONNRESET); and the list's servers are taken here,
 * one per connection: the one that answered last, the next after one that failed, so a call whose connection met a
 * server down fails and those after it go to the next.
 * With `coalesce`, the writes of one turn of the event loop leave together: the first corks the socket and the turn's
 * end uncorks it, so the calls of every callback that turn read go out in one `writev`. postgres.js writes a message
 * of 1 KB or more at once, which under load was one system call per call or two, a sixth of the bot's CPU on these
 * machines. Its high-water mark is 1 MB, so a turn's calls never read as back-pressure (postgres.js would then send
 * nothing more on the connection until all it sent had answered). Under TLS the writes go through the TLS socket and
 * are not coalesced.
 */
export function serverSocket(servers: Server[] | undefined, coalesce: boolean): (options: SocketOptions) => net.Socket {
  let current = 0;
  return (options) => {
    if (options.path) return coalesce ? coalescing(net.connect({ path: options.path, ...highWater })) : net.connect({ path: options.path });
    const list = servers ?? options.host.map((host, i) => ({ host, port: options.port[i] ?? options.port[0] }));
    const i = current % Math.max(1, list.length);
    const { host, port } = list[i];
    const socket = net.connect({ host, port, ...(coalesce ? highWater : {}) });
    Object.assign(socket, { host, port });
    // under TLS (or its request: the server's first byte answers it) what passes on this socket is encrypted once the
    // server takes it: no ReadyForQuery can be read here, and a close before start-up stays postgres.js's, as before
    const ready = options.ssl ? () => true : readyWatch(socket);
    // A CancelRequest (postgres.js's query.cancel(), 16 bytes written and nothing else) is answered by the server
    // closing the connection
    const failed = () => !ready() && socket.bytesWritten !== CANCEL_REQUEST_BYTES;
    // before postgres.js's own listeners: its 'close' one removes every listener
    socket.once('end', () => {
      if (failed()) socket.destroy(Object.assign(new Error(`${host}:${port} closed the connection before PostgreSQL's start-up was done (is a PostgreSQL server there?)`), { code: 'ECONNRESET' }));
    });
    socket.once('close', () => {
      if (failed() && current % list.length === i) current = i + 1;
    });
    return coalesce ? coalescing(socket) : socket;
  };
}

/**
 * Whether the server has said it is ready for queries (its first ReadyForQuery, 'Z'), read from the messages it sent
 * (a type byte, then a length counting itself) as they pass to postgres.js. Bytes that are not PostgreSQL's (an HTTP
 * proxy's answer) never say so.
 */
function readyWatch(socket: net.Socket): () => boolean {
  let ready = false;
  let skip = 0;
  let header: number[] = [];
  const emit = socket.emit;
  socket.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]) {
    if (event === 'data' && !ready) {
      const chunk = args[0] as Buffer;
      for (let i = 0; i < chunk.length && !ready; ) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          continue;
        }
        header.push(chunk[i++]);
        if (header.length === 5) {
          ready = header[0] === 0x5a;
          const length = Buffer.from(header).readUInt32BE(1);
          skip = length >= 4 ? length - 4 : Infinity;
          header = [];
        }
      }
      // the rest of the connection's bytes pass as they did
      if (ready) socket.emit = emit;
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof socket.emit;
  return () => ready;
}

const CANCEL_REQUEST_BYTES = 16;

/** A socket's high-water mark, a stream option net.Socket takes which NetConnectOpts does not list. */
const highWater = { writableHighWaterMark: 1 << 20 } as object;

/** `serverSocket` with `coalesce`, to the servers postgres.js read from the URL. */
export const coalescingSocket = serverSocket(undefined, true);

function coalescing(socket: net.Socket): net.Socket {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write(...args);
  }) as typeof socket.write;
  return socket;
}

async function openPglite(dataDir?: string, loadDataDir?: Blob, onStorageFailure?: (line: string, error: unknown) => void): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  // the association's data, the owner's alone (src/local/dataDir.ts narrows what is in it)
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // PostgreSQL's default 128 MB of shared buffers is touched at start inside PGlite's WASM memory; 16 MB holds this bot's working set
  const options = { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'], ...(loadDataDir ? { loadDataDir } : {}) };
  // the bot's own start compiled PGlite's code while it loaded (db/pgliteCode.ts); elsewhere PGlite reads its own
  Object.assign(options, await pgliteCodeAhead());
  const existing = dataDir !== undefined && existsSync(join(dataDir, 'PG_VERSION'));
  const client = dataDir ? new PGlite(dataDir, options) : new PGlite(options);
  // on a full disk PGlite fails to start with words of its own (`PGlite failed to initialize properly`, `Aborted()`);
  // so it does on a database it cannot read (damaged, another PostgreSQL's)
  await client.waitReady.catch((err: unknown) => {
    throw (dataDir && (fullDiskError(dataDir, err) ?? (existing ? unreadableDatabase(dataDir, err) : undefined))) || err;
  });
  if (dataDir) stopOnStorageFailure(client, dataDir, onStorageFailure);
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}

/** Below this much room a disk is full for PGlite: one new segment of the write-ahead log takes 16 MB. */
const NEARLY_FULL_BYTES = 16 << 20;

/** The room left on the disk holding `dir` (its nearest folder that exists) when that disk is (nearly) full, else undefined. */
export function fullDiskRoom(dir: string): number | undefined {
  let path = resolve(dir);
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  try {
    const disk = statfsSync(path);
    const room = disk.bavail * disk.bsize;
    return room < NEARLY_FULL_BYTES ? room : undefined;
  } catch {
    return undefined;
  }
}

/** "0 KB", "1.5 MB" */
export const roomLeft = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.floor(bytes / 1024)} KB`);

/** What a person does once the data folder's disk is dealt with: start the bot again, or run a command (`npm run import`) again. */
export type Again = { start: true } | { run: string };

/** `again` said in Chinese and in English, ending a line's advice: "然后重新启动" / "start again". */
export function againSaid(again: Again): { zh: string; en: string } {
  return 'start' in again ? { zh: '然后重新启动', en: 'start again' } : { zh: `然后重新运行 ${again.run}`, en: `run ${again.run} again` };
}

/**
 * The one line for a data folder on a full disk, Chinese first and English in brackets, as npm start's other lines:
 * how much room is left when known (`room`), what to do, then `again`; `outcome` (a script's "nothing was imported"),
 * in both. PGlite's failure to open (fullDiskError) and src/local/dataDirFailure.ts both say it so.
 */
export function fullDiskLine(dataDir: string, room: number | undefined, again: Again, outcome?: { zh: string; en: string }): string {
  const left = room === undefined ? '' : `，剩余 ${roomLeft(room)}`;
  const then = outcome ? `; ${outcome.en}` : '';
  const said = againSaid(again);
  return `数据目录 ${dataDir} 所在的磁盘已满（ENOSPC${left}）${outcome ? `，${outcome.zh}` : ''}：请在该磁盘上腾出空间，${said.zh}（DATA_DIR ${dataDir} cannot hold the database: the disk it is on is full (${room === undefined ? 'ENOSPC' : `${roomLeft(room)} left`})${then}; free space on it, then ${said.en}）`;
}

/** PGlite's failure to open DATA_DIR said as the full disk it is, when DATA_DIR's disk is (nearly) full. */
function fullDiskError(dataDir: string, err: unknown): Error | undefined {
  const room = fullDiskRoom(dataDir);
  if (room === undefined) return undefined;
  const line = fullDiskLine(dataDir, room, { start: true });
  return Object.assign(new Error(line), {
    code: 'ENOSPC',
    path: dataDir,
    cause: err,
  });
}

/**
 * What makes PGlite's database unusable: a write the disk refused (full, read-only, failing). PostgreSQL answers the
 * write-ahead log's with PANIC (`could not write to log file "…" at offset …: Read-only file system`, `could not write
 * to file "pg_wal/xlogtemp.…": No space left on device`), a table's with an error of class 53 or 58 (`could not extend
 * file "base/5/16384": No space left on device`). Returns the cause in a few words, undefined for any other error.
 */
export function storageFailure(err: unknown): string | undefined {
  const e = err as { severity?: unknown; code?: unknown; message?: unknown } | null | undefined;
  if (typeof e?.message !== 'string') return undefined;
  const cause = /No space left on device|Read-only file system|Disk quota exceeded|Input\/output error/.exec(e.message)?.[0];
  if (cause) return cause;
  // disk_full, io_error; a PANIC of any kind leaves PGlite's backend as dead as a server's
  if (e.severity === 'PANIC' || e.code === '53100' || e.code === '58030') return e.message.split('\n')[0];
  return undefined;
}

const exitOnStorageFailure = (line: string) => {
  process.stderr.write(`${line}\n`);
  process.exit(1);
};

/**
 * After a write the disk refused, the next statement PGlite runs never returns (its backend, dead as after a PANIC,
 * spins the event loop: no /healthz, no signal handled). Every statement goes through one of the protocol methods, so
 * the first failure there stops all that follow: its caller gets the error, every later call gets it too without
 * reaching PGlite, and once the failure has reached its caller the process says why in one line and exits (code 1).
 * A change PGlite answered is in the write-ahead log, so the data up to the last answered change is safe.
 */
export function stopOnStorageFailure(client: object, dataDir: string, stop: (line: string, error: unknown) => void = exitOnStorageFailure): void {
  let failed: { error: unknown } | undefined;
  const methods = client as Record<'execProtocol' | 'execProtocolStream' | 'execProtocolRaw' | 'execProtocolRawStream', (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['execProtocol', 'execProtocolStream', 'execProtocolRaw', 'execProtocolRawStream'] as const) {
    const original = methods[name].bind(client);
    const onFailure = (err: unknown) => {
      const cause = failed ? undefined : storageFailure(err);
      if (cause !== undefined) {
        failed = { error: err };
        setImmediate(() =>
          stop(
            // Chinese first, English in brackets, as npm start's other lines (src/main.ts)
            `数据目录 ${dataDir} 已无法写入（${cause}），机器人停止运行；已答复的改动都已保存。请在磁盘上腾出空间，或把它重新挂载为可写，然后重新启动机器人（DATA_DIR ${dataDir} can no longer be written (${cause}); the bot stops. Free space on its disk, or make it writable again (remount), then start the bot again: the data up to the last change answered is safe.）`,
            err,
          ),
        );
      }
      throw err;
    };
    methods[name] = (...args: unknown[]) => (failed ? Promise.reject(failed.error) : original(...args).then(undefined, onFailure));
  }
}

/**
 * A PGlite folder holding a database (PG_VERSION) that PGlite could not open, the disk not being full: damaged (a power
 * cut, a failing disk, files missing from a copy) or made by another PostgreSQL major version. PGlite says only
 * `Aborted()` or `PGlite failed to initialize properly`; `said` keeps its words. src/local/dataDirFailure.ts says what
 * it means and what to do.
 */
export class DatabaseUnreadable extends Error {
  constructor(
    readonly dataDir: string,
    readonly said: string,
    options?: ErrorOptions,
  ) {
    super(`the database in ${dataDir} could not be opened (${said})`, options);
  }
}

/** PostgreSQL's internal errors (XX000 internal_error, XX001 data_corrupted, XX002 index_corrupted) and a table's file missing (58P01). */
function damagedDatabaseError(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown }; code?: unknown } | null)?.cause?.code ?? (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (/^XX/.test(code) || code === '58P01');
}

/**
 * PGlite's failure to open an existing database as DatabaseUnreadable; undefined for a file error with a code (a folder
 * this user may not write, EACCES / EROFS: src/local/dataDirFailure.ts says those).
 */
export function unreadableDatabase(dataDir: string, err: unknown): DatabaseUnreadable | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return undefined;
  const said = String((err as Error | null)?.message ?? err).split('\n')[0];
  return new DatabaseUnreadable(dataDir, said, { cause: err });
}

/**
 * A database holding a migration this version's db/migrations does not: a newer version migrated it (the code rolled
 * back, or a newer version's backup restored). Drizzle's migrator applies only migrations later than the last recorded
 * and never looks for unknown ones, so this version would run on a schema it never made.
 */
export class DatabaseAhead extends Error {}

interface CodeMigration {
  /** journal's `when`, what the migrator records as created_at */
  when: number;
  /** sha256 of the file, as the migrator computes it (drizzle-orm/migrator.js readMigrationFiles) */
  hash: string;
}

let codeMigrationsRead: CodeMigration[] | undefined;

/** db/migrations as drizzle's migrator reads it, read once. */
function codeMigrations(): CodeMigration[] {
  codeMigrationsRead ??= (JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number; tag: string }[] }).entries.map((e) => ({
    when: e.when,
    hash: createHash('sha256').update(readFileSync(join(migrationsFolder, `${e.tag}.sql`), 'utf8')).digest('hex'),
  }));
  return codeMigrationsRead;
}

/** A row of drizzle.__drizzle_migrations; created_at read as text (a bigint). */
export interface RecordedMigration {
  hash: string;
  created_at: string | null;
}

/** Whether the migrator's table is there: not before the first migration. */
const MIGRATIONS_TABLE_SQL = `select to_regclass('drizzle.__drizzle_migrations') is not null as present`;

/** The migrator's table, oldest first. */
export const RECORDED_MIGRATIONS_SQL = 'select hash, created_at::text as created_at from drizzle.__drizzle_migrations order by created_at, id';

/**
 * The recorded migrations this version does not have, as "migration 0011 of 2026-12-04": numbered by their place among
 * the recorded ones, as the version that made them numbered them. Known is a file's hash or its journal time (a file
 * edited after it was applied keeps its time). Undefined when every one is known.
 */
export function unknownMigrations(recorded: RecordedMigration[]): string | undefined {
  const code = codeMigrations();
  const hashes = new Set(code.map((m) => m.hash));
  const whens = new Set(code.map((m) => m.when));
  const unknown = recorded.flatMap((r, i) => (hashes.has(r.hash) || (r.created_at !== null && whens.has(Number(r.created_at))) ? [] : [{ n: String(i).padStart(4, '0'), at: r.created_at }]));
  if (!unknown.length) return undefined;
  const day = (at: string | null) => (at !== null && Number.isFinite(Number(at)) ? ` of ${new Date(Number(at)).toISOString().slice(0, 10)}` : '');
  if (unknown.length === 1) return `migration ${unknown[0].n}${day(unknown[0].at)}`;
  return `migrations ${unknown.map((u) => u.n).join(', ')}, the last${day(unknown[unknown.length - 1].at)}`;
}

/** Throws DatabaseAhead for a recorded migration this version does not have; whether any of its own is still to apply. */
function checkRecorded(recorded: RecordedMigration[]): boolean {
  const unknown = unknownMigrations(recorded);
  if (unknown) throw new DatabaseAhead(`the database was migrated by a newer version of the bot (${unknown}, which this version does not have); run that version, or restore a backup made by this one`);
  const code = codeMigrations();
  // the migrator's own test: a migration applies when it is later than the last recorded
  const last = recorded.reduce((m, r) => Math.max(m, Number(r.created_at ?? 0)), -Infinity);
  return code.some((m) => m.when > last);
}

/** Any number for the advisory lock replicas take around the check and the migrations, so one migrates and the rest find it done. */
const MIGRATION_LOCK = 7231_0002;

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'postgres') {
    // The lock is the transaction's, on a connection of its own (the one-statement pool's, idle at start) while the
    // migrator uses the pool: PgBouncer in transaction mode (README, Deployment) keeps a transaction on one server
    // connection, where a session lock could be taken on one and left held on it, blocking every later start.
    const client = (database.statements ?? (database.db as unknown as { $client: Sql }).$client) as Sql;
    await client.begin(async (tx) => {
      // sent together: the connection runs them in order, so the table is looked for once the lock is held
      const [, [{ present }]] = await Promise.all([tx.unsafe(`select pg_advisory_xact_lock(${MIGRATION_LOCK})`), tx.unsafe<{ present: boolean }[]>(MIGRATIONS_TABLE_SQL)]);
      const recorded = present ? [...(await tx.unsafe<RecordedMigration[]>(RECORDED_MIGRATIONS_SQL))] : [];
      if (!checkRecorded(recorded)) return;
      const { migrate } = await import('drizzle-orm/postgres-js/migrator');
      await migrate(database.db as never, { migrationsFolder });
    });
  } else {
    const rows = async <T>(text: string) => ((await database.db.execute(sql.raw(text))) as unknown as { rows: T[] }).rows;
    const [{ present }] = await rows<{ present: boolean }>(MIGRATIONS_TABLE_SQL);
    const recorded = present ? await rows<RecordedMigration>(RECORDED_MIGRATIONS_SQL) : [];
    if (!checkRecorded(recorded)) return;
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(database.db as never, { migrationsFolder });
  }
}
