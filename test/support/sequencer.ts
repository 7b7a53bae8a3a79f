import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The suite's files longest first, so that the two workers end together: a long file started last kept one worker
 * busy alone at the end of the run while the other had nothing left. Vitest orders by the durations it cached on this
 * machine (node_modules/.vite), but a fresh clone, as CI runs, has none, and took the files in the order it found them.
 * A file's duration is vitest's cached one where there is one, else the one in test/support/durations.json (seconds,
 * measured on PostgreSQL: `node test/support/durations.mjs REPORT.json` writes it from a run with
 * `--reporter=json --outputFile=REPORT.json`); a file in neither goes first, as vitest puts an unknown file first.
 * Only the order changes: every file runs.
 */
export class LongestFirst extends BaseSequencer {
  private readonly measured: Record<string, number> = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8'));

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const seconds = (spec: TestSpecification): number => {
      const file = relative(root, spec.moduleId).split('\\').join('/');
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`);
      if (cached) return cached.duration / 1000;
      return this.measured[file] ?? Number.MAX_VALUE;
    };
    const known = new Map(files.map((spec) => [spec, seconds(spec)]));
    return [...files].sort((a, b) => known.get(b)! - known.get(a)!);
  }
}
