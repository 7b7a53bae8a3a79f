import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coalescingSocket } from '../db/index.js';

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
    const socket = await coalescingSocket({ host: ['127.0.0.1'], port: [port] });
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
    const socket = await coalescingSocket({ host: ['127.0.0.1'], port: [port] });
    const chunk = 'x'.repeat(600);
    // 200 calls of one turn: over Node's default 16 KB, which postgres.js would read as a full connection
    for (let i = 0; i < 200; i++) expect(socket.write(chunk)).toBe(true);
    await turn();
    socket.destroy();
  });

  it('refuses when nothing listens, as a connection postgres.js makes itself would', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const unused = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(coalescingSocket({ host: ['127.0.0.1'], port: [unused] })).rejects.toThrow(/ECONNREFUSED/);
  });
});
