// The benchmark's simulated callers, on their own thread (see scripts/loadDriver.ts): a small heap of their own,
// so their garbage collection never pauses the clock of a request in flight, and node:http with keep-alive
// connections that stay open from one run to the next, as a TLS terminator's upstream pool keeps them to the bot.
import http from 'node:http';
import { parentPort } from 'node:worker_threads';

const agents = new Map();
const agentFor = (origin) => {
  let agent = agents.get(origin);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 1000 });
    agents.set(origin, agent);
  }
  return agent;
};

function post(url, agent, request) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

async function run({ url, requests, concurrency, expect }) {
  const agent = agentFor(new URL(url).origin);
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
      while (next < requests.length) {
        const i = next++;
        const t0 = performance.now();
        starts[i] = t0 - started;
        const res = await post(url, agent, requests[i]);
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
    for (const agent of agents.values()) agent.destroy();
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
