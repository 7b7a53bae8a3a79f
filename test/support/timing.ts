/**
 * How long a test waits for a bot process it started (`npm start`, `node src/main.ts`, the compiled bundle) to say it
 * listens. Only a hang should reach it: on an idle machine a start takes a few seconds, on a starved CI machine (tsx
 * compiling, PGlite starting, other test files' processes on both cores) it took past 25 s. A test that waits for a
 * start has a timeout above this.
 */
export const START_MS = 120_000;
