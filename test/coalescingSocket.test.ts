import { once } from 'node:events';
import net from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coalescingSocket } from '../db/index.js';
import { createTestDatabase, testDatabaseKind } from './support/db.js';

/**
 * The one-statement calls' connections (`Database.statements`) send what one turn of the event loop wrote in one
 * system call: the writes are corked until the turn ends, then leave as one `writev` (Node's `_writev`).
 */
describe('coalescingSocket', () => {
  let server: net.Server;
  let received = '';
  let port = 0;

  beforeAll(async () => {
    server = net.createServer((s) => s.on('data', (d) => (received += d.toString('utf8'))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('sends the writes of one turn in one writev, in order, and a lone write of a later turn on its own', async () => {
    const socket = coalescingSocket({ host: ['127.0.0.1'], port: [port] });
    await once(socket, 'connect');
    const calls: { kind: 'writev' | 'write'; chunks: number }[] = [];
    const raw = socket as unknown as { _writev: (chunks: unknown[], cb: unknown) => void; _write: (...args: unknown[]) => void };
    const writev = raw._writev.bind(socket);
    const write = raw._write.bind(socket);
    raw._writev = (chunks, cb) => {
      calls.push({ kind: 'writev', chunks: chunks.length });
      writev(chunks, cb);
    };
    raw._write = (...args) => {
      calls.push({ kind: 'write', chunks: 1 });
      write(...args);
    };
    // five calls issued by five callbacks of one turn, one of them over postgres.js's 1 KB flush size
    for (const s of ['a', 'b', 'c'.repeat(2000), 'd', 'e']) expect(socket.write(s)).toBe(true);
    expect(calls).toEqual([]);
    await turn();
    expect(calls).toEqual([{ kind: 'writev', chunks: 5 }]);
    socket.write('f');
    await turn();
    expect(calls).toEqual([{ kind: 'writev', chunks: 5 }, { kind: 'write', chunks: 1 }]);
    const expected = `ab${'c'.repeat(2000)}def`;
    const deadline = Date.now() + 5000;
    while (received.length < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe(expected);
    socket.destroy();
  });

  it('takes a turn’s writes as no back-pressure, up to 1 MB', async () => {
    const socket = coalescingSocket({ host: ['127.0.0.1'], port: [port] });
    await once(socket, 'connect');
    const chunk = 'x'.repeat(600);
    // 200 calls of one turn: over Node's default 16 KB, which postgres.js would read as a full connection
    for (let i = 0; i < 200; i++) expect(socket.write(chunk)).toBe(true);
    await turn();
    socket.destroy();
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('under postgres.js, a refused connection fails its call and the next call connects again', async () => {
    const database = await createTestDatabase();
    const target = new URL(database.url!);
    // a port nothing listens on yet; later a proxy to the test database listens there
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const proxyPort = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    target.hostname = '127.0.0.1';
    const upstream = Number(new URL(database.url!).port);
    target.port = String(proxyPort);
    const sql = postgres(target.toString(), { max: 1, connect_timeout: 5, onnotice: () => {}, ...({ socket: coalescingSocket } as object) });
    const proxy = net.createServer((c) => {
      const u = net.connect(upstream, '127.0.0.1');
      c.pipe(u).pipe(c);
      c.on('error', () => undefined);
      u.on('error', () => undefined);
    });
    try {
      await expect(sql`select 1 as x`).rejects.toThrow(/ECONNREFUSED/);
      await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
      const [row] = await sql`select 2 as x`;
      expect(row.x).toBe(2);
    } finally {
      await sql.end({ timeout: 1 });
      await new Promise((resolve) => proxy.close(resolve));
      await database.close();
    }
  });
});
