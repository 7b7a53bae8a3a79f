import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadDriver, type PreparedRequest } from '../scripts/loadDriver.js';

/**
 * The bench's simulated callers read answers off plain sockets: whole bodies by Content-Length or by chunks, the
 * exact request body as sent, and a kept-alive connection the server closed while idle is replaced, not counted as
 * a failure.
 */
/**
 * How long the first answers of a /slowStart run take: far from the immediate ones, so a loaded machine's delays
 * (hundreds of ms at worst) do not blur the two.
 */
const SLOW_MS = 1000;

describe('the bench’s simulated callers', () => {
  const seen: { body: string; signature?: string; length?: string }[] = [];
  let server: http.Server;
  let url: string;
  const driver = new LoadDriver();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ body, signature: req.headers['x-lark-signature'] as string | undefined, length: req.headers['content-length'] });
        if (req.url === '/slowStart') {
          // the first answers of a run are slow, as the burst that opens a run is
          const slow = Number(body.slice(2)) < 8;
          setTimeout(() => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"toast":{}}');
          }, slow ? SLOW_MS : 0);
        } else if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"toast":');
          setTimeout(() => res.end(`{"content":"${body}"}}`), 2);
        } else {
          res.writeHead(req.url === '/refused' ? 401 : 200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ toast: { content: body } }));
        }
      });
    });
    // idle kept-alive connections are closed quickly, so the second run finds them gone
    server.keepAliveTimeout = 20;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await driver.close();
    await new Promise((r) => server.close(r));
  });

  const requests = (n: number): PreparedRequest[] =>
    Array.from({ length: n }, (_, i) => ({ headers: { 'content-type': 'application/json', 'x-lark-signature': `sig${i}` }, body: `评分${i}` }));

  it('sends each body exactly, with its headers, and reads answers by length and by chunks', async () => {
    const plain = await driver.run(`${url}/lark/cards`, requests(30), 5, '"toast"');
    expect(plain.ok).toBe(30);
    expect(seen.map((s) => s.body).sort()).toEqual(requests(30).map((r) => r.body).sort());
    expect(seen.every((s) => s.signature === `sig${s.body.slice(2)}` && Number(s.length) === Buffer.byteLength(s.body))).toBe(true);
    const chunked = await driver.run(`${url}/chunked`, requests(12), 4, '"content"');
    expect(chunked.ok).toBe(12);
    expect(chunked.bytes).toBeGreaterThan(20);
    // a status other than 200 is not counted
    expect((await driver.run(`${url}/refused`, requests(3), 3)).ok).toBe(0);
  });

  it('replaces connections the server closed while they were idle', async () => {
    await driver.run(`${url}/lark/cards`, requests(10), 5);
    await new Promise((r) => setTimeout(r, 200));
    const again = await driver.run(`${url}/lark/cards`, requests(10), 5, '"toast"');
    expect(again.ok).toBe(10);
  });

  it('gives the percentiles without the run’s first requests, those sent at once, beside those of every request', async () => {
    const run = await driver.run(`${url}/slowStart`, requests(100), 8, '"toast"');
    expect(run.ok).toBe(100);
    expect(run.p99).toBeGreaterThanOrEqual(SLOW_MS * 0.9);
    // the 92 sent as answers came back were answered at once
    expect(run.steady.p99).toBeLessThan(SLOW_MS / 2);
    expect(run.steady.p50).toBeLessThanOrEqual(run.p50);
  });
});
