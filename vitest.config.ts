import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // only a hang should reach it: on a starved 2-core CI machine a PGlite test that takes 10 s alone took 40–50 s
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // TEST_WORKERS: CI runs the PostgreSQL stage with 3 on its 2 cores: there the files wait on the server, child processes
    // and timers, and 2 workers kept the machine about 70 % busy (vitest and PostgreSQL together); the whole suite took
    // 6 min 20 s with 2, 5 min 9 s with 3. On PGlite the database works inside the workers, 2 cores' worth already: 2
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
