import { spawn } from 'node:child_process';
import net from 'node:net';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/index.js';
import { exitOf, reapedAfterTest } from './support/children.js';
import { createTestDatabase, TEST_CONNECT_TIMEOUT_S, testDatabaseKind } from './support/db.js';
import { START_MS } from './support/timing.js';
import { lockWaits, until } from './support/waiting.js';

/**
 * `npm start` with a DATABASE_URL whose server never finishes PostgreSQL's start-up, or whose servers all fail: the bot
 * used to connect again and again, forever, saying nothing, and a SIGTERM meanwhile left it running.
 */

/** How long a test waits for the bot to exit: a start on a starved CI machine took past 25 s (support/timing.ts). */
const EXIT_WAIT_MS = 90_000;
/** What the bot may take from its first connection to its exit: the 2 s connect timeout, twice, on a loaded machine. */
const FAIL_WITHIN_MS = 20_000;

const servers: net.Server[] = [];
const connections = new Set<net.Socket>();
afterAll(async () => {
  for (const c of connections) c.destroy();
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
});

/** A TCP server doing `onConnection` with each connection; when the connections arrived (performance.now()). */
async function fakeServer(onConnection: (socket: net.Socket) => void, host = '127.0.0.1'): Promise<{ port: number; arrivals: number[] }> {
  const arrivals: number[] = [];
  const server = net.createServer((socket) => {
    arrivals.push(performance.now());
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  servers.push(server);
  return { port: (server.address() as net.AddressInfo).port, arrivals };
}

/** A port on 127.0.0.1 nothing listens on: a connection to it is refused. */
async function refusedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `npm start` in local mode on `databaseUrl`: its output, and its exit (code, when) once it has exited or EXIT_WAIT_MS has passed. */
function startBot(databaseUrl: string) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
  const child = reapedAfterTest(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...clean, DATABASE_URL: databaseUrl, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  let timer: NodeJS.Timeout | undefined;
  const exit = Promise.race([
    exitOf(child).then((code) => ({ code, at: performance.now() })),
    new Promise<{ code: 'still running'; at: number }>((resolve) => (timer = setTimeout(() => resolve({ code: 'still running', at: performance.now() }), EXIT_WAIT_MS))),
  ]).finally(() => clearTimeout(timer));
  return { child, out, exit };
}

describe('npm start on a database that does not finish answering', () => {
  const cases: [string, (socket: net.Socket) => void][] = [
    // what 10.255.255.1:5432 was where the defect was seen: a proxy took the connection, answered 400 and closed it
    ['a server answering as an HTTP proxy, then closing the connection', (s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'))],
    ['a server that reads the start-up message and closes the connection without a word', (s) => s.once('data', () => s.end())],
    ['a server that takes the connection and never answers', () => undefined],
  ];
  for (const [name, onConnection] of cases) {
    it(`${name}: stops within seconds with one line naming DATABASE_URL, its password masked`, { timeout: EXIT_WAIT_MS + 30_000 }, async () => {
      const server = await fakeServer(onConnection);
      const { out, exit } = startBot(`postgres://rev:PgSecretPw77xyz@127.0.0.1:${server.port}/x`);
      const { code, at } = await exit;
      expect(code, out.stderr + out.stdout).toBe(1);
      expect(at - server.arrivals[0]).toBeLessThan(FAIL_WITHIN_MS);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
      expect(out.stderr).toContain(`启动失败（start-up error）：DATABASE_URL postgres://rev:***@127.0.0.1:${server.port}/x cannot be used: `);
      expect(out.stderr).not.toContain('PgSecretPw77xyz');
    });
  }

  it('a host list whose servers all fail (one refuses, one resets): stops within seconds with one line', { timeout: EXIT_WAIT_MS + 30_000 }, async () => {
    const resetting = await fakeServer((s) => s.once('data', () => s.resetAndDestroy()));
    const refused = await refusedPort();
    const { out, exit } = startBot(`postgres://rev:PgSecretPw77xyz@127.0.0.1:${refused},127.0.0.1:${resetting.port}/x`);
    const { code, at } = await exit;
    expect(code, out.stderr + out.stdout).toBe(1);
    expect(at - resetting.arrivals[0]).toBeLessThan(FAIL_WITHIN_MS);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(new RegExp(`^启动失败（start-up error）：DATABASE_URL postgres://rev:\\*\\*\\*@127\\.0\\.0\\.1:${refused},127\\.0\\.0\\.1:${resetting.port}/x cannot be used: .*(ECONNREFUSED|ECONNRESET)`));
  });

  it('two refused servers: stops with one line naming DATABASE_URL and the refusal', { timeout: EXIT_WAIT_MS + 30_000 }, async () => {
    const [a, b] = [await refusedPort(), await refusedPort()];
    const { out, exit } = startBot(`postgres://rev:PgSecretPw77xyz@127.0.0.1:${a},127.0.0.1:${b}/x`);
    const { code } = await exit;
    expect(code, out.stderr + out.stdout).toBe(1);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/cannot be used: connect ECONNREFUSED 127\.0\.0\.1:\d+$/m);
  });

  it('a bracketed IPv6 address ([::1]) is connected to as that address, not looked up as the name "["', { timeout: EXIT_WAIT_MS + 30_000 }, async () => {
    const port = await refusedPort();
    const { out, exit } = startBot(`postgresql://rev:PgSecretPw77xyz@[::1]:${port}/x`);
    const { code } = await exit;
    expect(code, out.stderr + out.stdout).toBe(1);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    // refused, or no IPv6 on this machine: either way ::1 was tried
    expect(out.stderr).toMatch(new RegExp(`DATABASE_URL postgresql://rev:\\*\\*\\*@\\[::1\\]:${port}/x cannot be used: connect (ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH) ::1:${port}$`, 'm'));
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('npm start on PostgreSQL', () => {
  it('a SIGTERM while the start waits (on another replica’s migration lock) ends the bot within the 6 s stop deadline', { timeout: START_MS + 60_000 }, async () => {
    const database = await createTestDatabase();
    // db/index.ts's MIGRATION_LOCK, held as another replica migrating holds it
    const holder = postgres(database.url!, { max: 1, onnotice: () => {} });
    try {
      await holder`select pg_advisory_lock(72310002)`;
      const { child, out, exit } = startBot(database.url!);
      await until(async () => (await lockWaits(database.db)) > 0 || child.exitCode !== null, START_MS);
      expect(child.exitCode, out.stderr + out.stdout).toBe(null);
      const signalled = performance.now();
      child.kill('SIGTERM');
      const { code, at } = await exit;
      expect(code, out.stderr + out.stdout).not.toBe('still running');
      expect(at - signalled).toBeLessThan(15_000);
      expect(out.stdout + out.stderr).toContain('正在停止（shutting down）');
    } finally {
      await holder.end({ timeout: 1 });
      await database.close();
    }
  });

  it('a URL naming the server by a bracketed IPv6 address opens the database', async (ctx) => {
    const database = await createTestDatabase();
    const target = new URL(database.url!);
    try {
      // a proxy on ::1 to the test database, wherever that listens
      const proxy = await fakeServer((c) => {
        const u = net.connect(Number(target.port || 5432), target.hostname);
        u.on('error', () => c.destroy());
        c.pipe(u).pipe(c);
      }, '::1').catch(() => undefined);
      if (!proxy) return ctx.skip();
      const url = new URL(database.url!);
      url.host = `[::1]:${proxy.port}`;
      const opened = await openDatabase({ databaseUrl: url.toString(), max: 1, migrate: false, connectTimeout: TEST_CONNECT_TIMEOUT_S });
      try {
        await expect(opened.ping()).resolves.toBeUndefined();
      } finally {
        await opened.close();
      }
    } finally {
      await database.close();
    }
  });

  it('a host list whose first server refuses opens the database on the next one', async () => {
    const database = await createTestDatabase();
    try {
      // URL's host setter stops at the comma
      const { host } = new URL(database.url!);
      const url = database.url!.replace(`@${host}/`, `@127.0.0.1:${await refusedPort()},${host}/`);
      expect(url).toContain(`,${host}/`);
      const opened = await openDatabase({ databaseUrl: url, max: 2, connectTimeout: TEST_CONNECT_TIMEOUT_S });
      try {
        await expect(opened.ping()).resolves.toBeUndefined();
      } finally {
        await opened.close();
      }
    } finally {
      await database.close();
    }
  });
});
