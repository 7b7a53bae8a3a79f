import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/index.js';
import { people } from '../../db/schema.js';
import { claimDataDir, type CopyEntry, LOCK_FILE, MARKER_FILE, pgliteTemplateDir } from '../../src/local/dataDir.js';
import { startupProblem } from '../../src/startup.js';
import { parseConfig } from '../../src/config.js';

/**
 * A first start fills the new DATA_DIR by copying the template (about 40 MB). A disk that fills up half way used to
 * leave the half copy: the next start found a folder with the bot's marker and no PG_VERSION, copied nothing into it
 * (it is not empty) and handed PGlite the broken folder. The copy's failure now takes what it copied away again and
 * says in one Chinese line what failed and what to do. The disk filling up is an injected copy error: the copy fails
 * with ENOSPC once two entries have been copied.
 */

/** cpSync, failing with ENOSPC once `after` entries are copied, as a disk that fills up half way. */
function fillingDisk(after: number): CopyEntry {
  let left = after;
  return (src, dest, opts) => {
    if (left-- <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, copyfile '${src}' -> '${dest}'`), { code: 'ENOSPC', errno: -28, syscall: 'copyfile', path: src, dest });
    cpSync(src, dest, opts);
  };
}

const root = mkdtempSync(join(tmpdir(), 'template-copy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const template = pgliteTemplateDir();

describe.skipIf(!template || !existsSync(join(template, 'PG_VERSION')))('a first start whose copy of the template fails', () => {
  it.each([
    ['a new folder', false],
    ['an empty folder made beforehand (a mount point)', true],
  ])('in %s: leaves no half copy, says what failed in Chinese, and the next start makes a whole database', async (_what, madeBefore) => {
    const dataDir = join(root, madeBefore ? 'mounted' : 'new');
    if (madeBefore) mkdirSync(dataDir);
    let err: unknown;
    try {
      claimDataDir(dataDir, () => undefined, fillingDisk(2));
    } catch (e) {
      err = e;
    }
    expect(err).toBeDefined();
    // nothing of the copy is left: a new folder is gone, a folder made beforehand is as it was
    if (madeBefore) expect(readdirSync(dataDir)).toEqual([]);
    else expect(existsSync(dataDir)).toBe(false);

    const config = parseConfig({ DATA_DIR: dataDir });
    const line = startupProblem(err, config);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(new RegExp(`^数据目录 ${dataDir} 未能建成：复制空数据库模板时磁盘已满（ENOSPC`));
    expect(line).toContain('已删除复制了一半的文件');
    expect(line).toMatch(/请在该磁盘上腾出至少 \d+ MB 空间，或把 DATA_DIR 设到另一块磁盘，然后重新运行这条命令/);

    // the next start copies the whole template, and it opens as a migrated database
    const lock = claimDataDir(dataDir, () => undefined);
    try {
      expect(readdirSync(dataDir)).toEqual(expect.arrayContaining(['PG_VERSION', MARKER_FILE, LOCK_FILE]));
      const database = await openDatabase({ dataDir });
      try {
        expect(await database.db.select({ n: count() }).from(people)).toEqual([{ n: 0 }]);
      } finally {
        await database.close();
      }
    } finally {
      lock.release();
    }
  }, 60_000);
});
