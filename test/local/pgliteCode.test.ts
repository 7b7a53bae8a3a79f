import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/index.js';
import { compilePgliteAhead, pgliteCodeAhead } from '../../db/pgliteCode.js';
import { rowsOf } from '../../src/outbox.js';

/**
 * The bot's start compiles PGlite's WebAssembly ahead (src/earlyStart.ts) and opens its data folder with that code:
 * the module and the file-system bundle found beside PGlite's own, and a database opened with them answers.
 */
describe('PGlite code compiled ahead', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pglite-code-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles the module and reads the bundle once, and a data folder opens and migrates with them', async () => {
    compilePgliteAhead();
    const code = await pgliteCodeAhead();
    expect(code?.pgliteWasmModule).toBeInstanceOf(WebAssembly.Module);
    expect(code?.fsBundle.size).toBeGreaterThan(1_000_000);
    compilePgliteAhead();
    expect(await pgliteCodeAhead()).toBe(code);
    const database = await openDatabase({ dataDir: join(dir, 'data') });
    try {
      const rows = rowsOf(await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as { n: number }[];
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  }, 120_000);
});
