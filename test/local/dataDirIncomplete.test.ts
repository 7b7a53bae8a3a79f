import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/index.js';
import { organizations } from '../../db/schema.js';
import { claimDataDir, MARKER_FILE } from '../../src/local/dataDir.js';

/**
 * A DATA_DIR of the bot's whose PG_VERSION is gone while the rest of the cluster is there (a partial copy, the file
 * deleted): PGlite would run initdb over it and the bot would start on an empty database, the rows gone for good.
 * Refused instead, the files left as they were. A template copy or a reset cut short there (the marker says so) is
 * the bot's own to clear: the start clears it and fills the folder again.
 */
const root = mkdtempSync(join(tmpdir(), 'gdsz-incomplete-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder the bot made and wrote a row into, closed. */
async function folderWithARow(name: string): Promise<string> {
  const dir = join(root, name);
  const lock = claimDataDir(dir);
  const database = await openDatabase({ dataDir: dir });
  await database.db.insert(organizations).values({ name: '肇庆市政养护中心' });
  await database.close();
  lock.release();
  return dir;
}

async function organizationsIn(dir: string): Promise<string[]> {
  const lock = claimDataDir(dir);
  const database = await openDatabase({ dataDir: dir });
  try {
    return (await database.db.select({ name: organizations.name }).from(organizations)).map((r) => r.name);
  } finally {
    await database.close();
    lock.release();
  }
}

describe('a data folder without PG_VERSION', () => {
  it('is refused when the rest of a database is there, and nothing in it is touched', async () => {
    const dir = await folderWithARow('lost-version');
    expect(readFileSync(join(dir, MARKER_FILE), 'utf8')).toMatch(/, made \d{4}-/);
    const version = readFileSync(join(dir, 'PG_VERSION'), 'utf8');
    rmSync(join(dir, 'PG_VERSION'));
    expect(() => claimDataDir(dir)).toThrow(`数据目录 ${dir} 中的数据库不完整（缺少 PG_VERSION 文件，如文件夹只复制了一部分，或这个文件被删除），机器人不会打开它`);
    expect(() => claimDataDir(dir)).toThrow(`DATA_DIR ${dir} holds database files but no PG_VERSION`);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(false);
    expect(existsSync(join(dir, 'base'))).toBe(true);
    // the file put back, the row is there: nothing was written over
    writeFileSync(join(dir, 'PG_VERSION'), version);
    expect(await organizationsIn(dir)).toEqual(['肇庆市政养护中心']);
  }, 60_000);

  it('after a reset cut short (PG_VERSION gone first, the rest still there) is cleared and filled again', async () => {
    const again = await folderWithARow('reset-cut');
    // where wipeDataDir leaves it when killed after its first removal: the marker rewritten, PG_VERSION gone
    writeFileSync(join(again, MARKER_FILE), '质量信得过班组助手 local data (PGlite), being emptied by npm run reset since 2026-12-06T10:00:00.000Z; npm run reset empties it\n');
    rmSync(join(again, 'PG_VERSION'));
    expect(await organizationsIn(again)).toEqual([]);
    expect(readFileSync(join(again, MARKER_FILE), 'utf8')).toMatch(/, made \d{4}-/);
  }, 60_000);

  it('after a template copy cut short is cleared and filled again', async () => {
    const dir = join(root, 'copy-cut');
    const lock = claimDataDir(dir);
    lock.release();
    rmSync(join(dir, 'PG_VERSION'));
    rmSync(join(dir, 'global'), { recursive: true });
    writeFileSync(join(dir, MARKER_FILE), '质量信得过班组助手 local data (PGlite), being filled from the template since 2026-12-06T10:00:00.000Z; npm run reset empties it\n');
    expect(await organizationsIn(dir)).toEqual([]);
    expect(existsSync(join(dir, 'global'))).toBe(true);
  }, 60_000);
});
