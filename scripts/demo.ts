/**
 * `npm run demo`: a scripted annual cycle of the real bot in local mode (no Feishu app), printed as a
 * Chinese transcript that ends with the published results table and the time it took.
 *
 * It writes into the same DATA_DIR as `npm start` (default ./data), so that `npm start` afterwards shows
 * every chat of the demo in the /dev console. The story runs from 480 days ago to today (the bot's clock is
 * shifted, then moved forward), so what `npm start` finds is all in the past.
 *
 * It needs a DATA_DIR without teams, cycles or complaints (seeded people alone are fine): mixed with
 * earlier data, or run twice, a demo would not be what it shows. If the directory holds any (perhaps the
 * association's real data), it changes nothing and says to run the demo in a folder of its own
 * (`DATA_DIR=./demo-data npm run demo`, then `DATA_DIR=./demo-data npm start`).
 * It refuses LARK_* (a real Feishu app), DATABASE_URL (a server database), a DATA_DIR another process holds
 * (PGlite is one process per folder) and a folder holding files the bot did not make.
 */
import { loadDotEnv } from '../src/config.js';
import { runDemo } from '../src/local/demo.js';

loadDotEnv();
process.exitCode = await runDemo({ env: process.env });
