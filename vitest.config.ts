import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // only a hang should reach it: on a starved 2-core CI machine a PGlite test that takes 10 s alone took 40–50 s
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // TEST_WORKERS: CI runs 3 on its 2 cores: the files wait on timers, child processes and (on PostgreSQL) the server, and
    // 2 workers kept the machine 70–85 % busy. Whole suite on PostgreSQL: 6 min 20 s with 2, 5 min 9 s with 3; the
    // database suite on PGlite: 5 min 2 s with 2, 4 min 8 s with 3 (same tree, back to back, nothing else running)
    maxWorkers: Number(process.env.TEST_WORKERS) || 2,
    // files share a worker's module graph: importing the bot once per worker instead of once per file saves about a
    // third of the suite. Tests keep no state in modules or process.env; each opens its own database and bot.
    isolate: false,
    // longest first, from the durations vitest cached or, on a fresh clone (CI), test/support/durations.json: the two
    // workers end together instead of one finishing a long file alone
    sequence: { sequencer: LongestFirst },
    // expect.poll waits on a server's round trip (the browser tests, the local console): its 1 s default is too short on a loaded machine
    expect: { poll: { timeout: 15_000 } },
  },
});
