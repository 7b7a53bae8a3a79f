import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** One request as Feishu would send it: headers and the exact body. */
export interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

export interface RunStats {
  /** Answers with status 200 (and the expected text, when one was given). */
  ok: number;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  /** Mean size of an answer's body. */
  bytes: number;
  /**
   * The same percentiles without the first `concurrency` requests: a run begins with that many sent in the same
   * millisecond, and the last of them waits for all the others; the requests after them are sent as answers come
   * back, which is the load the concurrency stands for once it runs.
   */
  steady: { p50: number; p95: number; p99: number };
}

/**
 * The simulated callers of `npm run bench`, in a worker thread (scripts/loadDriver.worker.mjs). The bench's own
 * thread holds the fake platform, the prepared bodies and the seeded data (a heap of 100+ MB); a pause of its
 * garbage collector used to stop the clock of every request in flight at once and show as the bot's tail latency.
 * The worker's heap is small, and it keeps its connections open between runs: the untimed warm-up at the timed
 * concurrency opens them, so a timed run measures callbacks, not a burst of TCP accepts (Node accepts one new
 * connection per turn of a busy event loop; behind the TLS terminator Feishu's HTTPS callbacks need, the bot sees
 * the terminator's kept-alive upstream connections).
 */
export class LoadDriver {
  private readonly worker = new Worker(new URL('./loadDriver.worker.mjs', import.meta.url));

  /**
   * `concurrency` callers posting `requests` in order, each the next as soon as its answer is read. `trace`: a file
   * to write each request's start and latency to (ms from the run's start, one request a line, in order sent; the first
   * line says when the run started), to see when slow ones began.
   */
  run(url: string, requests: PreparedRequest[], concurrency: number, expect?: string, trace?: string): Promise<RunStats> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: { result?: { ok: number; seconds: number; bytes: number; latencies: Float64Array; starts: Float64Array; startedAt: number }; error?: string }) => {
        this.worker.off('error', onError);
        if (m.error || !m.result) return reject(new Error(m.error ?? 'load driver: no result'));
        const { ok, seconds, bytes, latencies, starts, startedAt } = m.result;
        if (trace) writeFileSync(trace, `# started ${new Date(startedAt).toISOString()} (${startedAt})\n${Array.from(starts, (s, i) => `${s.toFixed(1)} ${latencies[i].toFixed(1)}`).join('\n')}\n`);
        const percentiles = (values: number[]) => {
          const sorted = [...values].sort((a, b) => a - b);
          const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] * 10) / 10;
          return { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99) };
        };
        const all = Array.from(latencies);
        resolve({
          ok,
          ...percentiles(all),
          rps: Math.round(requests.length / seconds),
          bytes: Math.round(bytes / requests.length),
          steady: percentiles(all.length > concurrency ? all.slice(concurrency) : all),
        });
      };
      const onError = (error: Error) => {
        this.worker.off('message', onMessage);
        reject(error);
      };
      this.worker.once('message', onMessage);
      this.worker.once('error', onError);
      this.worker.postMessage({ url, requests, concurrency, expect });
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ close: true });
    await new Promise((r) => setTimeout(r, 50));
    await this.worker.terminate();
  }
}
