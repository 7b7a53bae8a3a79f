// The benchmark's simulated callers, on their own thread (see scripts/loadDriver.ts): a small heap of their own,
// so their garbage collection never pauses the clock of a request in flight, and keep-alive connections that stay
// open from one run to the next, as a TLS terminator's upstream pool keeps them to the bot.
//
// The callers share the machine's two cores with the bot and PostgreSQL, and Feishu's callers do not: every
// microsecond they spend is taken from what is measured. So they speak HTTP/1.1 over plain sockets, as load
// generators do (wrk, autocannon), not through node:http's client: each request's bytes are built before the clock
// starts, and an answer is read by its status line, Content-Length (or chunks) and body, nothing more. One request
// at a time on each connection, as before; node:http cost 0.13–0.22 ms of CPU a request.
import net from 'node:net';
import { parentPort } from 'node:worker_threads';

const CRLF2 = Buffer.from('\r\n\r\n');

/** One kept-alive connection: one request in flight at a time. */
class Connection {
  constructor(host, port) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.closed = false;
    this.used = false;
    this.pending = undefined;
    this.buffer = undefined;
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Sends `bytes`; resolves with the answer's status and body. `reused`: the connection had answered before. */
  request(bytes) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, reused: this.used, received: false };
      this.buffer = undefined;
      this.used = true;
      this.socket.write(bytes);
    });
  }

  fail(error) {
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    if (p) p.reject(Object.assign(error, { retryable: p.reused && !p.received }));
  }

  onData(chunk) {
    if (!this.pending) return;
    this.pending.received = true;
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
    const answer = parseAnswer(this.buffer);
    if (!answer) return;
    const p = this.pending;
    this.pending = undefined;
    this.buffer = undefined;
    if (answer.close) {
      this.closed = true;
      this.socket.destroy();
    }
    p.resolve(answer);
  }
}

/** A whole answer in `buf`, or undefined while more is to come. */
function parseAnswer(buf) {
  const end = buf.indexOf(CRLF2);
  if (end < 0) return undefined;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  let length = -1;
  let chunked = false;
  let close = false;
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') chunked = value.includes('chunked');
    else if (name === 'connection') close = value === 'close';
  }
  const start = end + 4;
  if (!chunked) {
    if (length < 0) length = 0;
    if (buf.length < start + length) return undefined;
    return { status, body: buf.subarray(start, start + length), close };
  }
  const parts = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return undefined;
    const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
    if (buf.length < lineEnd + 2 + size + 2) return undefined;
    if (size === 0) return { status, body: Buffer.concat(parts), close };
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** Idle connections by origin, kept between runs. */
const pools = new Map();

function poolFor(url) {
  let pool = pools.get(url.origin);
  if (!pool) {
    pool = { host: url.hostname, port: Number(url.port), idle: [], all: new Set() };
    pools.set(url.origin, pool);
  }
  return pool;
}

function take(pool) {
  while (pool.idle.length) {
    const c = pool.idle.pop();
    if (!c.closed) return c;
    pool.all.delete(c);
  }
  const c = new Connection(pool.host, pool.port);
  pool.all.add(c);
  return c;
}

function give(pool, c) {
  if (c.closed) pool.all.delete(c);
  else pool.idle.push(c);
}

/** The exact bytes of one POST: Feishu's headers, the body as signed. */
function requestBytes(url, request) {
  const body = Buffer.from(request.body);
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\nContent-Length: ${body.length}\r\n`;
  for (const [name, value] of Object.entries(request.headers)) if (name.toLowerCase() !== 'content-length') head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`), body]);
}

async function post(pool, bytes) {
  const c = take(pool);
  try {
    const answer = await c.request(bytes);
    give(pool, c);
    return answer;
  } catch (error) {
    pool.all.delete(c);
    // the server closed an idle kept-alive connection as the request left: once more on a new one
    if (error.retryable) return post(pool, bytes);
    throw error;
  }
}

async function run({ url, requests, concurrency, expect }) {
  const target = new URL(url);
  const pool = poolFor(target);
  const prepared = requests.map((r) => requestBytes(target, r));
  const latencies = new Float64Array(requests.length);
  const starts = new Float64Array(requests.length);
  const marker = expect ? Buffer.from(expect) : undefined;
  let next = 0;
  let ok = 0;
  let bytes = 0;
  const started = performance.now();
  const startedAt = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < prepared.length) {
        const i = next++;
        const t0 = performance.now();
        starts[i] = t0 - started;
        const res = await post(pool, prepared[i]);
        latencies[i] = performance.now() - t0;
        bytes += res.body.length;
        if (res.status === 200 && (!marker || res.body.includes(marker))) ok++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ok, seconds, bytes, latencies, starts, startedAt };
}

parentPort.on('message', async (message) => {
  if (message.close) {
    for (const pool of pools.values()) for (const c of pool.all) c.socket.destroy();
    parentPort.close();
    return;
  }
  try {
    const result = await run(message);
    parentPort.postMessage({ result }, [result.latencies.buffer, result.starts.buffer]);
  } catch (error) {
    parentPort.postMessage({ error: String(error?.stack ?? error) });
  }
});
