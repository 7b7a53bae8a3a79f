import { afterAll, beforeAll } from 'vitest';
import type { Harness } from './harness.js';

export type Mode = 'fast' | 'ordinary';
/** The fast world first, as every comparison runs it. */
export const MODES = ['fast', 'ordinary'] as const;

/**
 * Two bots alike for the describe block it is called in, the one-statement paths on in `fast` and off in `ordinary`:
 * `start` (called once for each, the fast one first) starts a harness and seeds it; both are closed in the block's
 * `afterAll`. Each world is the object `start` returned, filled in when the `beforeAll` has run (so
 * `const { fast, ordinary } = twoWorlds(…)` is fine at the top of the block; their fields are read in hooks and tests).
 */
export function twoWorlds<W extends { h: Harness }>(start: (mode: Mode) => Promise<W>): Record<Mode, W> {
  const worlds = { fast: {} as W, ordinary: {} as W };
  beforeAll(async () => {
    for (const mode of MODES) {
      const w = await start(mode);
      w.h.app.processor.fastPaths = mode === 'fast';
      Object.assign(worlds[mode], w);
    }
  });
  afterAll(async () => {
    for (const w of Object.values(worlds)) await w.h?.close();
  });
  return worlds;
}
