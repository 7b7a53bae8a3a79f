import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../db/index.js';
import { organizations } from '../../db/schema.js';
import { parseConfig } from '../../src/config.js';
import { backupLocalData } from '../../src/local/backup.js';
import { claimDataDir, pgliteTemplateDir } from '../../src/local/dataDir.js';
import { rowsOf } from '../../src/outbox.js';
import { startupProblem } from '../../src/startup.js';

/**
 * A data folder whose database PGlite cannot open, the disk not being full: damaged (a power cut, a failing disk, a
 * copy missing a file) or made by another PostgreSQL major version. PGlite says only `Aborted(). Build with
 * -sASSERTIONS for more info.` or `PGlite failed to initialize properly`, which npm start printed as its whole
 * reason, and npm run backup added "free space or make the folder writable" to a folder on a disk with room to
 * spare. Now both say which folder, what it may be, that nothing was removed, and what to do.
 */
const root = mkdtempSync(join(tmpdir(), 'gdsz-unreadable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function folderWithARow(name: string): Promise<string> {
  const dir = join(root, name);
  const lock = claimDataDir(dir);
  const database = await openDatabase({ dataDir: dir });
  await database.db.insert(organizations).values({ name: '肇庆市政养护中心' });
  await database.close();
  lock.release();
  return dir;
}

/** What opening the folder as npm start does throws, as npm start's one line says it. */
async function startLine(dir: string): Promise<string> {
  const lock = claimDataDir(dir);
  try {
    await openDatabase({ dataDir: dir });
  } catch (err) {
    return startupProblem(err, parseConfig({ DATA_DIR: dir }));
  } finally {
    lock.release();
  }
  throw new Error('the database opened');
}

function output() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

describe('a database PGlite cannot open', () => {
  it('damaged: npm start and npm run backup say so and what to do, and leave every file where it was', async () => {
    const dir = await folderWithARow('damaged');
    // pg_control gone, as a copy that missed a file or a disk that lost it
    renameSync(join(dir, 'global', 'pg_control'), join(root, 'pg_control'));
    // PGlite leaves postmaster.pid behind a start it did not finish, as after a kill
    const entries = () => readdirSync(dir).filter((n) => n !== 'postmaster.pid').sort();
    const files = entries();

    const line = await startLine(dir);
    expect(line).toContain(`数据目录 ${dir} 中的数据库打不开，可能已损坏`);
    expect(line).toContain('机器人没有删除其中的任何文件');
    expect(line).toContain(`cp -a "${dir}" "${dir}.copy"`);
    expect(line).toContain('npm run restore -- <备份文件>');
    expect(line).not.toMatch(/^Aborted\(\)|^PGlite failed/);

    const said = output();
    const archive = join(root, 'damaged.tar.gz');
    expect(await backupLocalData({ dataDir: dir, file: archive, now: new Date(), timezone: 'Asia/Shanghai', output: said.stream })).toBe(1);
    expect(said.lines.join('\n')).toContain(`备份失败，没有写出备份：数据目录 ${dir} 中的数据库打不开，可能已损坏`);
    expect(said.lines.join('\n')).not.toContain('free space');
    expect(existsSync(archive)).toBe(false);

    // nothing was written over: the file put back, the row is there
    expect(entries()).toEqual(files);
    renameSync(join(root, 'pg_control'), join(dir, 'global', 'pg_control'));
    const lock = claimDataDir(dir);
    const database = await openDatabase({ dataDir: dir });
    try {
      expect((await database.db.select({ name: organizations.name }).from(organizations)).map((r) => r.name)).toEqual(['肇庆市政养护中心']);
    } finally {
      await database.close();
      lock.release();
    }
  }, 90_000);

  it("damaged past its opening (a table's file gone): npm start says so rather than what its first statement met", async () => {
    const dir = await folderWithARow('no-table-file');
    // the file of the migrator's table, which the start reads first: PGlite opens, the first statement fails
    const lock = claimDataDir(dir);
    const database = await openDatabase({ dataDir: dir, migrate: false });
    const [{ path }] = rowsOf(await database.db.execute(sql`select pg_relation_filepath('drizzle.__drizzle_migrations') as path`)) as { path: string }[];
    await database.close();
    lock.release();
    rmSync(join(dir, path));
    const line = await startLine(dir);
    expect(line).toContain(`数据目录 ${dir} 中的数据库打不开，可能已损坏`);
  }, 90_000);

  it("another PostgreSQL version's: npm start names both versions", async () => {
    const template = pgliteTemplateDir();
    const ours = template && existsSync(join(template, 'PG_VERSION')) ? readFileSync(join(template, 'PG_VERSION'), 'utf8').trim() : undefined;
    const dir = await folderWithARow('older-postgres');
    const theirs = String(Number(ours ?? '18') - 1);
    writeFileSync(join(dir, 'PG_VERSION'), `${theirs}\n`);
    const line = await startLine(dir);
    if (ours) expect(line).toContain(`数据目录 ${dir} 中的数据库打不开：它是 PostgreSQL ${theirs} 的数据库（PG_VERSION），这个版本的机器人内置的 PGlite 是 PostgreSQL ${ours}`);
    else expect(line).toContain(`数据目录 ${dir} 中的数据库打不开`);
    expect(line).toContain('机器人没有删除其中的任何文件');
  }, 90_000);
});
