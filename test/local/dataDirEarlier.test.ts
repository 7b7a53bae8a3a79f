import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimDataDir, MARKER_FILE } from '../../src/local/dataDir.js';

/** A DATA_DIR made before the bot wrote its marker holds a PGlite cluster only: it is kept and marked, not refused. */
const root = mkdtempSync(join(tmpdir(), 'gdsz-earlier-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The files initdb makes, as an earlier version of the bot left them in ./data. */
function earlierCluster(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const d of ['base', 'global', 'pg_wal', 'pg_xact', 'pg_tblspc']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'base', 'user-data'), 'rows');
  writeFileSync(join(dir, 'postgresql.conf'), '');
  writeFileSync(join(dir, 'PG_VERSION'), '17\n');
  return dir;
}

describe('a data folder from before the marker', () => {
  it('is taken as the bot’s own: marked, its data left as it was', () => {
    const dir = earlierCluster('old');
    const lock = claimDataDir(dir);
    lock.release();
    expect(existsSync(join(dir, MARKER_FILE))).toBe(true);
    expect(existsSync(join(dir, 'base', 'user-data'))).toBe(true);
  });

  it('is taken as the bot’s own after a run that did not stop cleanly (postmaster.pid left behind)', () => {
    const dir = earlierCluster('crashed');
    writeFileSync(join(dir, 'postmaster.pid'), '-42\n/pglite/data\n1796204626\n5432\n\n\n       20         1\n');
    writeFileSync(join(dir, 'postmaster.opts'), 'postgres\n');
    const lock = claimDataDir(dir);
    lock.release();
    expect(existsSync(join(dir, MARKER_FILE))).toBe(true);
  });

  it('is still refused when anything but the cluster is in it', () => {
    const dir = earlierCluster('mixed');
    writeFileSync(join(dir, 'thesis.docx'), 'a user file');
    expect(() => claimDataDir(dir)).toThrow(/holds files the bot did not make/);
    expect(existsSync(join(dir, MARKER_FILE))).toBe(false);
  });
});
