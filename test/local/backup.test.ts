import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { asc, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { reapedAfterTest } from '../support/children.js';
import { migrationsFolder, openDatabase } from '../../db/index.js';
import { organizations, people } from '../../db/schema.js';
import { backupLocalData, defaultBackupName, restoreLocalData } from '../../src/local/backup.js';
import { rowsOf } from '../../src/outbox.js';
import { claimDataDir, LOCK_FILE, MARKER_FILE, wipeDataDir } from '../../src/local/dataDir.js';

/** npm run backup writes local mode's PGlite folder to one .tar.gz; npm run restore brings it back into an empty folder. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'backup-'));
  dirs.push(dir);
  return dir;
};

/** The number a newer version gave its next migration: 0011 after this version's 0000–0010. */
const nextNumber = () => String((JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length).padStart(4, '0');

function output() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines };
}

/** Opens a data folder as the bot does (its lock, PGlite, migrations) and reads what the test wrote. */
async function readRows(dataDir: string) {
  const lock = claimDataDir(dataDir);
  const database = await openDatabase({ dataDir });
  try {
    return {
      organizations: await database.db.select({ id: organizations.id, name: organizations.name }).from(organizations).orderBy(asc(organizations.id)),
      people: await database.db.select({ openId: people.openId, name: people.name, roles: people.roles, organizationId: people.organizationId }).from(people).orderBy(asc(people.openId)),
    };
  } finally {
    await database.close();
    lock.release();
  }
}

describe('npm run backup and npm run restore', () => {
  it('a backup of a folder with data restores into a new folder, and into the same folder after a reset, with the same rows', async () => {
    const parent = newDir();
    const dataDir = join(parent, 'data');
    const lock = claimDataDir(dataDir);
    const database = await openDatabase({ dataDir });
    const [org] = await database.db.insert(organizations).values([{ name: '广州市市政养护一公司' }, { name: '深圳市政工程检测中心' }]).returning();
    await database.db.insert(people).values([
      { openId: 'ou_leader', name: '张班长', organizationId: org.id },
      { openId: 'ou_expert', name: '陈专家', roles: ['expert'], specialities: ['管养'] },
    ]);
    await database.close();
    lock.release();
    const written = await readRows(dataDir);
    expect(written.people.map((p) => p.name)).toEqual(['陈专家', '张班长']);

    // while the bot holds the folder: refused in one line, nothing written
    writeFileSync(join(dataDir, LOCK_FILE), '1\n');
    const held = output();
    expect(await backupLocalData({ dataDir, now: new Date(), timezone: 'Asia/Shanghai', output: held.stream })).toBe(1);
    expect(held.lines).toEqual([`备份被拒绝：数据目录 ${dataDir} 正被使用（process 1）：请先停止机器人，再运行 npm run backup（backup refused: DATA_DIR ${dataDir} is in use by process 1; stop the bot first, then run npm run backup again.）`]);
    expect(readdirSync(parent)).toEqual(['data']);
    rmSync(join(dataDir, LOCK_FILE));

    // the default name is the time in BOT_TIMEZONE, beside DATA_DIR
    const backedUp = output();
    expect(await backupLocalData({ dataDir, now: new Date('2026-12-02T07:00:00Z'), timezone: 'Asia/Shanghai', output: backedUp.stream })).toBe(0);
    const archive = join(parent, 'gdsz-bot-backup-2026-12-02T150000.tar.gz');
    expect(backedUp.lines).toEqual([expect.stringMatching(new RegExp(`^备份已写出：${archive.replace(/[.]/g, '\\.')}（\\d+(\\.\\d)? (KB|MB)）（backup written: ${archive.replace(/[.]/g, '\\.')} \\(\\d+(\\.\\d)? (KB|MB)\\)）$`))]);
    expect(statSync(archive).size).toBeGreaterThan(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    // a second backup in the same minute has a name of its own; one in the same second never overwrites the first
    const later = output();
    expect(await backupLocalData({ dataDir, now: new Date('2026-12-02T07:00:30Z'), timezone: 'Asia/Shanghai', output: later.stream })).toBe(0);
    expect(later.lines).toEqual([expect.stringContaining(`backup written: ${join(parent, 'gdsz-bot-backup-2026-12-02T150030.tar.gz')} `)]);
    const again = output();
    expect(await backupLocalData({ dataDir, now: new Date('2026-12-02T07:00:30Z'), timezone: 'Asia/Shanghai', output: again.stream })).toBe(1);
    const taken = join(parent, 'gdsz-bot-backup-2026-12-02T150030.tar.gz');
    expect(again.lines).toEqual([`备份被拒绝：${taken} 已经存在，备份不会覆盖它：请换一个文件名（npm run backup -- <文件>）（backup refused: ${taken} exists already; name another file: npm run backup -- <file>）`]);
    rmSync(join(parent, 'gdsz-bot-backup-2026-12-02T150030.tar.gz'));

    // a folder holding data is never written over
    const over = output();
    expect(await restoreLocalData({ dataDir, file: archive, output: over.stream })).toBe(1);
    expect(over.lines).toEqual([
      `恢复被拒绝：数据目录 ${dataDir} 不是空的，恢复从不覆盖已有的数据：请把 DATA_DIR 设为一个新的文件夹，或先备份这个文件夹（npm run backup）再清空它（npm run reset）（restore refused: DATA_DIR ${dataDir} is not empty, and a restore never writes over data; point DATA_DIR at a new folder, or keep a copy of this one (npm run backup) and empty it (npm run reset) first.）`,
    ]);
    // nor while the bot runs on it: that is said first, not to back up and reset (both refused while it runs)
    writeFileSync(join(dataDir, LOCK_FILE), '1\n');
    const running = output();
    expect(await restoreLocalData({ dataDir, file: archive, output: running.stream })).toBe(1);
    expect(running.lines).toEqual([
      `恢复被拒绝：机器人正在数据目录 ${dataDir} 上运行（process 1），其中有数据，恢复从不覆盖已有的数据：请恢复到一个新的文件夹（DATA_DIR=<新文件夹> npm run restore -- ${archive}），再停止机器人，让它在那个文件夹上启动（restore refused: the bot is running on DATA_DIR ${dataDir} (process 1), and the folder holds data, which a restore never writes over; restore into a new folder instead (DATA_DIR=<new folder> npm run restore -- ${archive}), then stop the bot and start it on that folder.）`,
    ]);
    rmSync(join(dataDir, LOCK_FILE));

    // into a new folder
    const copy = join(parent, 'restored');
    const restored = output();
    expect(await restoreLocalData({ dataDir: copy, file: archive, output: restored.stream })).toBe(0);
    expect(restored.lines).toEqual([`已把 ${archive} 恢复到 ${copy}，运行 npm start 即可打开（restored ${archive} into ${copy}; npm start opens it.）`]);
    expect(readdirSync(copy)).toEqual(expect.arrayContaining([MARKER_FILE, 'PG_VERSION', 'base']));
    expect(readdirSync(copy)).not.toContain(LOCK_FILE);
    expect(readdirSync(copy)).not.toContain('.gdsz-bot-restoring');
    expect(await readRows(copy)).toEqual(written);

    // a restore cut short while it moved the files in (the process killed, the disk full): start refuses the folder with
    // what to do, and restore again finishes it with the same rows
    mkdirSync(join(copy, '.gdsz-bot-restoring'));
    for (const name of ['global', 'PG_VERSION']) renameSync(join(copy, name), join(copy, '.gdsz-bot-restoring', name));
    expect(() => claimDataDir(copy)).toThrow(`DATA_DIR ${copy} holds a restore that was cut short (.gdsz-bot-restoring, no PG_VERSION); run npm run restore -- <file> again to finish it, or npm run reset to empty the folder`);
    const finished = output();
    expect(await restoreLocalData({ dataDir: copy, file: archive, output: finished.stream })).toBe(0);
    expect(finished.lines).toEqual([`已把 ${archive} 恢复到 ${copy}，运行 npm start 即可打开（restored ${archive} into ${copy}; npm start opens it.）`]);
    expect(await readRows(copy)).toEqual(written);
    // or npm run reset empties it, even cut short before the marker was written
    rmSync(join(copy, MARKER_FILE));
    mkdirSync(join(copy, '.gdsz-bot-restoring'));
    renameSync(join(copy, 'PG_VERSION'), join(copy, '.gdsz-bot-restoring', 'PG_VERSION'));
    expect(wipeDataDir(copy).wiped).toBe(true);
    expect(readdirSync(copy)).toEqual([]);

    // into the same folder after npm run reset emptied it
    expect(wipeDataDir(dataDir).wiped).toBe(true);
    expect(await restoreLocalData({ dataDir, file: archive, output: output().stream })).toBe(0);
    expect(await readRows(dataDir)).toEqual(written);
  }, 120_000);

  it('a backup of a folder an earlier restore left its staging folder in restores, without that folder', async () => {
    const parent = newDir();
    const dataDir = join(parent, 'data');
    const lock = claimDataDir(dataDir);
    const database = await openDatabase({ dataDir });
    await database.db.insert(organizations).values([{ name: '广州市市政养护一公司' }]);
    await database.close();
    lock.release();
    const written = await readRows(dataDir);
    // a restore killed after it moved PG_VERSION in and before it removed its staging folder: the bot opens the folder
    mkdirSync(join(dataDir, '.gdsz-bot-restoring', 'base'), { recursive: true });
    writeFileSync(join(dataDir, '.gdsz-bot-restoring', 'base', 'left'), 'x');
    const archive = join(parent, 'with-staging.tar.gz');
    expect(await backupLocalData({ dataDir, file: archive, now: new Date(), timezone: 'Asia/Shanghai', output: output().stream })).toBe(0);
    const copy = join(parent, 'restored');
    const restored = output();
    // it failed with ENOTEMPTY, renaming the staging folder's copy onto itself, every time
    expect(await restoreLocalData({ dataDir: copy, file: archive, output: restored.stream })).toBe(0);
    expect(restored.lines).toEqual([`已把 ${archive} 恢复到 ${copy}，运行 npm start 即可打开（restored ${archive} into ${copy}; npm start opens it.）`]);
    expect(readdirSync(copy)).not.toContain('.gdsz-bot-restoring');
    expect(await readRows(copy)).toEqual(written);
  }, 120_000);

  it('a restore killed before it unpacked anything leaves a folder npm start refuses, naming the backup, and restore again finishes it', async () => {
    const parent = newDir();
    const source = join(parent, 'source');
    const lock = claimDataDir(source);
    const database = await openDatabase({ dataDir: source });
    await database.db.insert(organizations).values([{ name: '广州市市政养护一公司' }]);
    await database.close();
    lock.release();
    const written = await readRows(source);
    const archive = join(parent, 'full.tar.gz');
    expect(await backupLocalData({ dataDir: source, file: archive, now: new Date(), timezone: 'Asia/Shanghai', output: output().stream })).toBe(0);

    const dataDir = join(parent, 'data');
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL')), DATA_DIR: dataDir };
    const child = reapedAfterTest(spawn(process.execPath, ['--import', 'tsx', 'scripts/restore.ts', archive], { env, stdio: 'ignore' }));
    const exited = new Promise((r) => child.once('exit', r));
    // killed (kill -9) once it holds the folder, while PGlite unpacks the backup: it had made no staging folder then
    for (let waited = 0; !existsSync(join(dataDir, LOCK_FILE)); waited += 5) {
      if (waited > 60_000) throw new Error('the restore never took the folder');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
    // npm start refuses it, naming the backup to restore again, rather than starting on a new empty database
    expect(() => claimDataDir(dataDir)).toThrow(
      `数据目录 ${dataDir} 中的恢复没有完成（被中断，如进程被结束或磁盘已满），机器人不会打开它：请再运行一次 npm run restore -- ${archive} 完成恢复，或运行 npm run reset 清空这个文件夹（DATA_DIR ${dataDir} holds a restore that was cut short`,
    );
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
    const again = output();
    expect(await restoreLocalData({ dataDir, file: archive, output: again.stream })).toBe(0);
    expect(await readRows(dataDir)).toEqual(written);
  }, 120_000);

  it('a DATA_DIR that is a file is refused by npm start and by a restore, Chinese first with the English after', async () => {
    const parent = newDir();
    const file = join(parent, 'data');
    writeFileSync(file, 'not a folder');
    expect(() => claimDataDir(file)).toThrow(`数据目录 ${file} 是一个文件，不是文件夹：请把 DATA_DIR 设为存放机器人数据的文件夹（DATA_DIR ${file} is a file, not a folder; point DATA_DIR at a folder for the bot's data）`);
    writeFileSync(join(parent, 'b.tar.gz'), gzipSync(Buffer.from('x')));
    const onFile = output();
    expect(await restoreLocalData({ dataDir: file, file: join(parent, 'b.tar.gz'), output: onFile.stream })).toBe(1);
    expect(onFile.lines).toEqual([`恢复被拒绝：数据目录 ${file} 是一个文件，不是文件夹：请把 DATA_DIR 设为一个空的或新的文件夹（restore refused: DATA_DIR ${file} is a file, not a folder; point DATA_DIR at an empty or new folder.）`]);
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it('keeps backups out of git: the default name beside the default ./data is ignored (they hold members\' mobiles)', (ctx) => {
    const inRepo = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' });
    if (inRepo.status !== 0) return ctx.skip();
    const name = defaultBackupName(new Date('2026-12-02T07:00:30Z'), 'Asia/Shanghai');
    expect(name).toBe('gdsz-bot-backup-2026-12-02T150030.tar.gz');
    expect(spawnSync('git', ['check-ignore', '-q', '--no-index', name]).status).toBe(0);
  });

  it('refuses a file that is not a backup, and a server database', async () => {
    const parent = newDir();
    const notBackup = join(parent, 'notes.tar.gz');
    writeFileSync(notBackup, 'not an archive');
    const dataDir = join(parent, 'data');
    const bad = output();
    expect(await restoreLocalData({ dataDir, file: notBackup, output: bad.stream })).toBe(1);
    expect(bad.lines).toEqual([expect.stringMatching(new RegExp(`^恢复被拒绝：${notBackup.replace(/[.]/g, '\\.')} 不是 npm run backup 写出的备份：请指定备份文件（restore refused: ${notBackup.replace(/[.]/g, '\\.')} is not a backup written by npm run backup`))]);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
    expect(existsSync(join(dataDir, '.gdsz-bot-restoring'))).toBe(false);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    // the folder the refused restore made goes with it; one that was there before stays
    expect(existsSync(dataDir)).toBe(false);
    const there = join(parent, 'there');
    mkdirSync(there);
    expect(await restoreLocalData({ dataDir: there, file: notBackup, output: output().stream })).toBe(1);
    expect(readdirSync(there)).toEqual([]);

    const missing = output();
    expect(await restoreLocalData({ dataDir, file: join(parent, 'gone.tar.gz'), output: missing.stream })).toBe(1);
    expect(missing.lines).toEqual([`恢复被拒绝：读不了 ${join(parent, 'gone.tar.gz')}（ENOENT）：请指定一个 npm run backup 写出的备份文件（restore refused: cannot read ${join(parent, 'gone.tar.gz')} (ENOENT); name a file written by npm run backup.）`]);

    const server = output();
    expect(await backupLocalData({ dataDir, databaseUrl: 'postgres://db/gdsz', now: new Date(), timezone: 'Asia/Shanghai', output: server.stream })).toBe(1);
    expect(await restoreLocalData({ dataDir, databaseUrl: 'postgres://db/gdsz', file: notBackup, output: server.stream })).toBe(1);
    expect(server.lines).toEqual([expect.stringMatching(/^备份被拒绝：设置了 DATABASE_URL.*（backup refused: DATABASE_URL is set/), expect.stringMatching(/^恢复被拒绝：设置了 DATABASE_URL.*（restore refused: DATABASE_URL is set/)]);

    const empty = output();
    expect(await backupLocalData({ dataDir: join(parent, 'nothing'), now: new Date(), timezone: 'Asia/Shanghai', output: empty.stream })).toBe(1);
    expect(empty.lines).toEqual([expect.stringMatching(/^备份被拒绝：数据目录 .* 中没有数据库（没有 PG_VERSION），没有可备份的内容：请检查 DATA_DIR（backup refused: .* holds no database \(no PG_VERSION\), so there is nothing to back up/)]);

    // a file in a folder that is not there: one line before any dump, not a stack trace after it
    const holding = join(parent, 'holding');
    mkdirSync(holding);
    writeFileSync(join(holding, 'PG_VERSION'), '16\n');
    const nowhere = output();
    const target = join(parent, 'no-such-folder', 'x.tar.gz');
    expect(await backupLocalData({ dataDir: holding, file: target, now: new Date(), timezone: 'Asia/Shanghai', output: nowhere.stream })).toBe(1);
    const noFolder = join(parent, 'no-such-folder');
    expect(nowhere.lines).toEqual([`备份被拒绝：文件夹 ${noFolder} 不存在：请先建立它，或写到别的文件夹（npm run backup -- <文件>）（backup refused: the folder ${noFolder} does not exist; create it or name a file in another: npm run backup -- <file>）`]);
    expect(existsSync(join(holding, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('tells a backup cut short or garbled on the way from a file that is no backup, to be copied again, leaving the folder as any refusal does', async () => {
    const parent = newDir();
    const source = join(parent, 'source');
    await readRows(source);
    const archive = join(parent, 'whole.tar.gz');
    expect(await backupLocalData({ dataDir: source, file: archive, now: new Date(), timezone: 'Asia/Shanghai', output: output().stream })).toBe(0);
    const bytes = readFileSync(archive);
    // an interrupted copy, a partial download: the first part of the file
    const cut = join(parent, 'cut.tar.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    // a byte changed on the way: gzip's check of what it holds (its CRC, in the last 8 bytes) fails
    const garbled = join(parent, 'garbled.tar.gz');
    const changed = Buffer.from(bytes);
    changed[changed.length - 8] ^= 0xff;
    writeFileSync(garbled, changed);
    // the archive unpacked by hand (gunzip), then cut short
    const tar = join(parent, 'cut.tar');
    writeFileSync(tar, gunzipSync(bytes).subarray(0, 2_000_000));

    const said: string[] = [];
    for (const [file, dataDir] of [[cut, 'a'], [garbled, 'b'], [tar, 'c']].map(([f, d]) => [f, join(parent, d)])) {
      const refused = output();
      expect(await restoreLocalData({ dataDir, file, output: refused.stream })).toBe(1);
      said.push(...refused.lines);
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
      expect(existsSync(join(dataDir, '.gdsz-bot-restoring'))).toBe(false);
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    }
    const copyAgain = 'copy it again from where it is kept, then run the restore again.';
    const incomplete = (file: string) => `恢复被拒绝：${file} 不完整（备份文件被截断，如复制中断或没有下载完）：请从保存它的地方重新复制一份，再运行恢复`;
    expect(said).toEqual([
      `${incomplete(cut)}（restore refused: ${cut} is incomplete (unexpected end of file): the backup was cut short, as by a copy that was interrupted or a partial download; ${copyAgain}）`,
      `恢复被拒绝：${garbled} 已损坏（读出的内容与 npm run backup 写入的不一致，如复制出错）：请从保存它的地方重新复制一份，再运行恢复（restore refused: ${garbled} is damaged (incorrect data check): it does not read back as npm run backup wrote it, as after a copy gone wrong; copy the backup again from where it is kept, then run the restore again.）`,
      expect.stringMatching(new RegExp(`^${incomplete(tar).replace(/[./()（）]/g, '\\$&')}（restore refused: ${tar.replace(/[./]/g, '\\$&')} is incomplete \\(it ends inside .+\\): the backup was cut short`)),
    ]);
  }, 120_000);

  it('refuses a backup missing the file of a table, leaving the folder as any refusal does', async () => {
    const parent = newDir();
    const source = join(parent, 'source');
    const lock = claimDataDir(source);
    const database = await openDatabase({ dataDir: source });
    await database.db.insert(people).values({ openId: 'ou_leader', name: '张班长' });
    await database.close();
    lock.release();
    // the people table's file goes, as a disk error or a hand in the folder would leave it
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = new PGlite(source);
    const file = (await pg.query<{ path: string }>(`select pg_relation_filepath('public.people') as path`)).rows[0].path;
    await pg.query('CHECKPOINT');
    await pg.close();
    rmSync(join(source, file));
    const archive = join(parent, 'damaged.tar.gz');
    expect(await backupLocalData({ dataDir: source, file: archive, now: new Date(), timezone: 'Asia/Shanghai', output: output().stream })).toBe(0);

    const dataDir = join(parent, 'data');
    const refused = output();
    expect(await restoreLocalData({ dataDir, file: archive, output: refused.stream })).toBe(1);
    expect(refused.lines).toEqual([expect.stringMatching(new RegExp(`^恢复被拒绝：.*（restore refused: ${archive.replace(/[.]/g, '\\.')} is not a backup written by npm run backup \\(.*${file.replace(/[./]/g, '\\$&')}`))]);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
    expect(existsSync(join(dataDir, '.gdsz-bot-restoring'))).toBe(false);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('refuses a backup a newer version made (a migration this version does not have) before it replaces anything', async () => {
    const parent = newDir();
    const source = join(parent, 'source');
    const lock = claimDataDir(source);
    const database = await openDatabase({ dataDir: source });
    const [last] = rowsOf(await database.db.execute(sql`select max(created_at)::text as m from drizzle.__drizzle_migrations`)) as { m: string }[];
    const newer = Number(last.m) + 86_400_000;
    // what a newer version's migrator leaves: its next migration recorded
    await database.db.execute(sql.raw(`insert into drizzle.__drizzle_migrations (hash, created_at) values ('${'f'.repeat(64)}', ${newer})`));
    await database.close();
    lock.release();
    const archive = join(parent, 'newer.tar.gz');
    expect(await backupLocalData({ dataDir: source, file: archive, now: new Date(), timezone: 'Asia/Shanghai', output: output().stream })).toBe(0);

    const dataDir = join(parent, 'data');
    const refused = output();
    expect(await restoreLocalData({ dataDir, file: archive, output: refused.stream })).toBe(1);
    const day = new Date(newer).toISOString().slice(0, 10);
    expect(refused.lines).toEqual([
      `恢复被拒绝：${archive} 是更新版本的机器人做的备份（其中有这个版本没有的迁移）：请用那个版本恢复，或选一个用这个版本做的备份（restore refused: ${archive} was made by a newer version of the bot (migration ${nextNumber()} of ${day}, which this version does not have); restore it with that version, or name a backup made by this one.）`,
    ]);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
    expect(existsSync(join(dataDir, '.gdsz-bot-restoring'))).toBe(false);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('npm run backup -- <file> and npm run restore -- <file> run as commands', async () => {
    const parent = newDir();
    const dataDir = join(parent, 'data');
    // a folder the bot made, migrated and empty
    expect((await readRows(dataDir)).organizations).toEqual([]);
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL')), DATA_DIR: dataDir };
    const run = (script: string, args: string[], extra: Record<string, string> = {}) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = reapedAfterTest(spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] }));
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const file = join(parent, 'copy.tar.gz');
    const backup = await run('scripts/backup.ts', [file]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(`backup written: ${file}`);
    const usage = await run('scripts/restore.ts', []);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: npm run restore -- <file.tar.gz>');
    const restore = await run('scripts/restore.ts', [file], { DATA_DIR: join(parent, 'again') });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout.trim()).toBe(`已把 ${file} 恢复到 ${join(parent, 'again')}，运行 npm start 即可打开（restored ${file} into ${join(parent, 'again')}; npm start opens it.）`);
  }, 120_000);
});
