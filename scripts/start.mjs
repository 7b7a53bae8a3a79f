/**
 * `npm start`: runs the compiled bot (dist/bot.mjs: dist/src/main.js bundled, scripts/build.mjs), building it first when dist/ is missing or older than
 * the sources (a fresh clone after `npm ci`, or a pull). The bot then runs in this process, without tsx.
 * package.json starts it with --max-semi-space-size=16 and --heap-growing-percent=50. At 200 callbacks in flight a
 * callback's objects live about 100 ms; with a 4 MB semi-space a young collection came every 25 ms, so nearly all of
 * them were copied twice and promoted, the old generation filled with them and was given 100 % room to grow (less made
 * mark-compacts too frequent). With 16 MB one comes every 50–80 ms (`--trace-gc`), most of a callback's objects die
 * young, and the old generation can be held to 50 % growth: in three alternating pairs of the bench's scoring runs
 * (`BENCH_SCORING_ONLY=1`) the bot's CPU per score sheet at 200 concurrent went from 0.54–0.57 ms to 0.40–0.43 ms,
 * 1 438–1 679 to 1 956–2 065 sheets a second, p99 184–216 ms to 142–172 ms, at 10 concurrent the same (14–19 ms),
 * peak RSS 167–170 MB to 171–174 MB and RSS at rest 109–111 MB to 113–114 MB. 16 MB alone (growth 100 %) left peak
 * RSS at 188–196 MB; 25 % growth cost CPU again (mark-compacts every few hundred callbacks).
 * And with --no-allocation-site-pretenuring: V8 otherwise learns, in a burst of 200 callbacks in flight, that what a
 * callback allocates outlives a young collection, and from then on allocates it straight into the old generation, where
 * only the slow collections free it. In six alternating runs of the bench's scoring (`BENCH_SCORING_ONLY=1`, with
 * --trace-gc) it took the p99 at 10 concurrent from 16–29.5 ms to 14–18 ms and at 200 from 198–212 ms to 185–192 ms,
 * for the same peak RSS.
 */
import { pathToFileURL } from 'node:url';
import { build, buildIsStale, bundleFile } from './build.mjs';

if (buildIsStale()) {
  process.stderr.write('dist/ 不存在或比源代码旧：先构建一次（dist/ is missing or older than the sources: building it once, npm run build）\n');
  try {
    const { ms } = await build();
    process.stderr.write(`已构建 dist/，用时 ${(ms / 1000).toFixed(1)} 秒（built dist/ in ${ms} ms）\n`);
  } catch (err) {
    // as src/startup.ts's STARTUP_ERROR
    process.stderr.write(`启动失败（start-up error）：${err.message}\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(bundleFile).href);
