/**
 * `npm start`: runs the compiled bot (dist/bot.mjs: dist/src/main.js bundled, scripts/build.mjs), building it first when dist/ is missing or older than
 * the sources (a fresh clone after `npm ci`, or a pull). The bot then runs in this process, without tsx.
 * package.json starts it with --max-semi-space-size=4: V8's young generation otherwise grows to 32 MB and
 * stays, a quarter of the bot's memory at rest; and with --heap-growing-percent=100: after a burst of
 * callbacks V8 otherwise lets the old generation grow far past what it kept (peak RSS 200–240 MB under
 * the bench). 100 % is the least that keeps full collections rare enough for the tail at 10 concurrent: each
 * stalls the callbacks in flight for 15–35 ms, and at 50 % (peak RSS about 150 MB) they came every 0.6 s and
 * held the p99 at 23–25 ms; at 100 % it is 16–20 ms, for a peak RSS of about 172 MB and 8 % less CPU.
 * And with --no-allocation-site-pretenuring: V8 otherwise learns, in a burst of 200 callbacks in flight, that what a
 * callback allocates outlives a young collection, and from then on allocates it straight into the old generation, where
 * only the slow collections free it. In six alternating runs of the bench's scoring (`BENCH_SCORING_ONLY=1`, with
 * --trace-gc) it took the p99 at 10 concurrent from 16–29.5 ms to 14–18 ms and at 200 from 198–212 ms to 185–192 ms,
 * for the same peak RSS.
 */
import { pathToFileURL } from 'node:url';
import { build, buildIsStale, bundleFile } from './build.mjs';

if (buildIsStale()) {
  process.stderr.write('dist/ is missing or older than the sources: building it once (npm run build)\n');
  try {
    const { ms } = await build();
    process.stderr.write(`built dist/ in ${ms} ms\n`);
  } catch (err) {
    process.stderr.write(`start-up error: ${err.message}\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(bundleFile).href);
