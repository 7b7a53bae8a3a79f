import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // files share a worker's module graph: importing the bot once per worker instead of once per file saves about a
    // third of the suite. Tests keep no state in modules or process.env; each opens its own database and bot.
    isolate: false,
  },
});
