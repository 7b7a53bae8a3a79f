import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript script of the install, without declarations
import { applyPatches, patches } from '../scripts/patchDependencies.mjs';

describe('fixes of installed packages (scripts/patchDependencies.mjs)', () => {
  it('every fix is in place in node_modules, each once', () => {
    expect(() => applyPatches({ check: true })).not.toThrow();
    for (const { file, edits } of patches as { file: string; edits: { replace: string }[] }[]) {
      const text = readFileSync(file, 'utf8');
      for (const edit of edits) expect(text.split(edit.replace).length - 1, file).toBe(1);
    }
  });

  it('postgres.js refuses a query on a connection without a socket instead of throwing from a timer', () => {
    const text = readFileSync('node_modules/postgres/src/connection.js', 'utf8');
    expect(text).toMatch(/function nextWrite\(fn\) \{\n[^\n]*\n\s+if \(!socket\) \{/);
  });
});
