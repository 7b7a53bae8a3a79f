import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messages } from '@electric-sql/pglite';
import { asc, count } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, stopOnStorageFailure, storageFailure } from '../../db/index.js';
import { people, teams } from '../../db/schema.js';
import { backupLocalData, restoreLocalData } from '../../src/local/backup.js';
import { claimDataDir, LOCK_FILE, lockDataDir } from '../../src/local/dataDir.js';
import { dataDirFailure, scriptFileFailure } from '../../src/local/dataDirFailure.js';
import { reapedAfterTest } from '../support/children.js';

/**
 * Local mode's PGlite on a disk that fills up or turns read-only while the bot runs: after the first write the disk
 * refuses, PGlite's next statement never returns (the process spins, /healthz and signals unanswered). The bot says
 * why in one line naming DATA_DIR and exits instead, and what it answered before is still there after a restart.
 */
const dirs: string[] = [];
const mounts: string[] = [];
afterAll(() => {
  // lazily: a PGlite that failed to open on the disk (a restore stopped by it) may hold its files until the process ends
  for (const m of mounts) if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** PostgreSQL's error as PGlite's protocol parser makes it (pg-protocol's DatabaseError, its fields set one by one). */
function pgliteError(severity: string, code: string, message: string, routine: string) {
  const e = new messages.DatabaseError(message, message.length, 'error');
  Object.assign(e, { severity, code, file: severity === 'PANIC' ? 'xlog.c' : 'md.c', routine });
  return e;
}

const walReadOnly = () => pgliteError('PANIC', '42501', 'could not write to log file "000000010000000000000001" at offset 1146880, length 8192: Read-only file system', 'XLogWrite');
const walFull = () => pgliteError('PANIC', '53100', 'could not write to file "pg_wal/xlogtemp.42": No space left on device', 'XLogFileInitInternal');
const tableFull = () => pgliteError('ERROR', '53100', 'could not extend file "base/5/16384": No space left on device', 'mdzeroextend');

describe('a write the disk refuses', () => {
  it('is told from any other error by what PostgreSQL says', () => {
    expect(storageFailure(walReadOnly())).toBe('Read-only file system');
    expect(storageFailure(walFull())).toBe('No space left on device');
    expect(storageFailure(tableFull())).toBe('No space left on device');
    expect(storageFailure(pgliteError('ERROR', '58030', 'could not read block 0 in file "base/5/16384": Input/output error', 'mdreadv'))).toBe('Input/output error');
    expect(storageFailure(pgliteError('ERROR', '58030', 'could not fsync file "base/5/16384": some other word', 'register_dirty_segment'))).toBe(
      'could not fsync file "base/5/16384": some other word',
    );
    expect(storageFailure(pgliteError('PANIC', 'XX000', 'could not locate a valid checkpoint record', 'StartupXLOG'))).toBe('could not locate a valid checkpoint record');
    expect(storageFailure(pgliteError('ERROR', '23505', 'duplicate key value violates unique constraint "people_pkey"', '_bt_check_unique'))).toBeUndefined();
    expect(storageFailure(pgliteError('ERROR', '40001', 'could not serialize access due to concurrent update', 'ExecUpdate'))).toBeUndefined();
    expect(storageFailure(new Error('fetch failed'))).toBeUndefined();
    expect(storageFailure(undefined)).toBeUndefined();
  });

  it('reaches its caller, and every later call fails with it without reaching PGlite; then one line says why', async () => {
    const reached: string[] = [];
    const client = {
      execProtocol: async (m: string) => {
        reached.push(m);
        return { messages: [], data: new Uint8Array() };
      },
      execProtocolStream: async (m: string) => {
        reached.push(m);
        if (m === 'insert') throw walReadOnly();
        if (m === 'duplicate') throw pgliteError('ERROR', '23505', 'duplicate key value violates unique constraint "people_pkey"', '_bt_check_unique');
        return [];
      },
      execProtocolRaw: async (m: string) => {
        reached.push(m);
        return new Uint8Array();
      },
      execProtocolRawStream: async (m: string) => {
        reached.push(m);
      },
    };
    const lines: string[] = [];
    stopOnStorageFailure(client, '/srv/gdsz/data', (line) => lines.push(line));
    const call = client as unknown as Record<keyof typeof client, (m: string) => Promise<unknown>>;
    await call.execProtocolStream('select');
    // any other error leaves PGlite working
    await expect(call.execProtocolStream('duplicate')).rejects.toThrow('duplicate key');
    await call.execProtocol('select again');
    const failed = await call.execProtocolStream('insert').catch((e: unknown) => e);
    expect(storageFailure(failed)).toBe('Read-only file system');
    for (const name of ['execProtocol', 'execProtocolStream', 'execProtocolRaw', 'execProtocolRawStream'] as const) {
      expect(await call[name]('sync').catch((e: unknown) => e)).toBe(failed);
    }
    expect(reached).toEqual(['select', 'duplicate', 'select again', 'insert']);
    expect(lines).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      '数据目录 /srv/gdsz/data 已无法写入（Read-only file system），机器人停止运行；已答复的改动都已保存。请在磁盘上腾出空间，或把它重新挂载为可写，然后重新启动机器人（DATA_DIR /srv/gdsz/data can no longer be written (Read-only file system); the bot stops. Free space on its disk, or make it writable again (remount), then start the bot again: the data up to the last change answered is safe.）',
    ]);
  });

  it('is said by a command-line script in one line naming DATA_DIR, as is a folder that cannot hold the database; any other error is not', () => {
    expect(dataDirFailure(tableFull(), '/srv/gdsz/data', { run: 'npm run import' }, NOTHING_IMPORTED)).toBe(
      '数据目录 /srv/gdsz/data 已无法写入（No space left on device）；没有导入任何数据。请在磁盘上腾出空间，或把它重新挂载为可写，然后重新运行 npm run import（DATA_DIR /srv/gdsz/data can no longer be written (No space left on device); nothing was imported; free space on its disk, or make it writable again (remount), then run npm run import again）',
    );
    expect(dataDirFailure(walReadOnly(), '/srv/gdsz/data', { run: 'npm run job -- digest' })).toBe(
      '数据目录 /srv/gdsz/data 已无法写入（Read-only file system）；已答复的改动都已保存。请在磁盘上腾出空间，或把它重新挂载为可写，然后重新运行 npm run job -- digest（DATA_DIR /srv/gdsz/data can no longer be written (Read-only file system); the data up to the last change answered is safe; free space on its disk, or make it writable again (remount), then run npm run job -- digest again）',
    );
    const erofs = Object.assign(new Error("EROFS: read-only file system, open '/srv/gdsz/data/.gdsz-bot.lock.7.ab'"), { code: 'EROFS', syscall: 'open', path: '/srv/gdsz/data/.gdsz-bot.lock.7.ab' });
    expect(dataDirFailure(erofs, '/srv/gdsz/data', { run: 'npm run import' }, NOTHING_IMPORTED)).toBe(
      '数据目录 /srv/gdsz/data 无法存放数据库：所在的文件系统是只读的（EROFS）；没有导入任何数据。请把 DATA_DIR 设到可写的磁盘，或把它重新挂载为可写，然后重新运行 npm run import（DATA_DIR /srv/gdsz/data cannot hold the database: the file system it is on is read-only (EROFS); nothing was imported; choose a DATA_DIR on a writable disk, or remount it writable, then run npm run import again）',
    );
    expect(dataDirFailure(pgliteError('ERROR', '23505', 'duplicate key value violates unique constraint "people_pkey"', '_bt_check_unique'), '/srv/gdsz/data', { run: 'npm run import' })).toBeUndefined();
    expect(dataDirFailure(new TypeError("Cannot read properties of undefined (reading 'id')"), '/srv/gdsz/data', { run: 'npm run import' })).toBeUndefined();
  });

  it('is said by npm run backup, reset and restore Chinese first, English in brackets, for a read-only folder, one not this user\'s and a full disk', () => {
    const fsError = (code: string, message: string, path?: string) => Object.assign(new Error(`${code}: ${message}${path ? `, open '${path}'` : ''}`), { code, syscall: 'open', ...(path ? { path } : {}) });
    const reset = { failed: { zh: '重置失败', en: 'reset failed' }, again: { run: 'npm run reset' }, otherwise: 'make DATA_DIR writable' };
    expect(scriptFileFailure(fsError('EROFS', 'read-only file system', '/srv/gdsz/data/.gdsz-bot.lock.7.ab'), '/srv/gdsz/data', reset)).toBe(
      '重置失败：数据目录 /srv/gdsz/data 无法写入：所在的文件系统是只读的（EROFS，位于 /srv/gdsz/data/.gdsz-bot.lock.7.ab）。请把 DATA_DIR 设到可写的磁盘，或把它重新挂载为可写，然后重新运行 npm run reset（reset failed: DATA_DIR /srv/gdsz/data cannot be written: the file system it is on is read-only (EROFS at /srv/gdsz/data/.gdsz-bot.lock.7.ab); choose a DATA_DIR on a writable disk, or remount it writable, then run npm run reset again.）',
    );
    const restore = { failed: { zh: '恢复失败，备份没有恢复', en: 'restore failed, the backup was not restored' }, again: { run: 'npm run restore -- b.tar.gz' }, otherwise: 'make DATA_DIR writable' };
    expect(scriptFileFailure(fsError('EACCES', 'permission denied', '/srv/gdsz'), '/srv/gdsz/data', restore)).toBe(
      "恢复失败，备份没有恢复：数据目录 /srv/gdsz/data 无法写入：当前用户无权写入（EACCES，位于 /srv/gdsz）。请把 DATA_DIR 设到当前用户可写的文件夹，或以该文件夹的所有者运行，然后重新运行 npm run restore -- b.tar.gz（restore failed, the backup was not restored: DATA_DIR /srv/gdsz/data cannot be written: this user may not write there (EACCES at /srv/gdsz); choose a DATA_DIR this user can write, or run the bot as the folder's owner, then run npm run restore -- b.tar.gz again.）",
    );
    const backup = { failed: { zh: '备份失败，没有写出备份', en: 'backup failed, nothing was written as a backup' }, again: { run: 'npm run backup' }, otherwise: 'free space or make the folder writable' };
    // the archive's disk full: the archive is named, not DATA_DIR
    expect(scriptFileFailure(fsError('ENOSPC', 'no space left on device', '/mnt/usb/b.tar.gz'), '/srv/gdsz/data', backup)).toBe(
      "备份失败，没有写出备份：/mnt/usb/b.tar.gz 所在的磁盘已满（ENOSPC）。请在该磁盘上腾出空间，然后重新运行 npm run backup（backup failed, nothing was written as a backup: ENOSPC: no space left on device, open '/mnt/usb/b.tar.gz'; free space or make the folder writable, then run npm run backup again.）",
    );
    expect(scriptFileFailure(fsError('ENOSPC', 'no space left on device, write'), '/srv/gdsz/data', backup)).toMatch(/^备份失败，没有写出备份：所在的磁盘已满（ENOSPC）。请在该磁盘上腾出空间，然后重新运行 npm run backup（backup failed, nothing was written as a backup: ENOSPC: no space left on device, write; /);
    // anything else as it is said, in English
    expect(scriptFileFailure(fsError('EIO', 'i/o error', '/mnt/usb/b.tar.gz'), '/srv/gdsz/data', backup)).toBe(
      "backup failed, nothing was written as a backup: EIO: i/o error, open '/mnt/usb/b.tar.gz'; free space or make the folder writable, then run npm run backup again.",
    );
    // a script's full disk names the command to run again, in Chinese too
    const full = Object.assign(new Error("ENOSPC: no space left on device, open '/srv/gdsz/data/PG_VERSION'"), { code: 'ENOSPC', path: '/srv/gdsz/data/PG_VERSION' });
    expect(dataDirFailure(full, '/srv/gdsz/data', { run: 'npm run import' }, NOTHING_IMPORTED)).toMatch(
      /^数据目录 \/srv\/gdsz\/data 所在的磁盘已满（ENOSPC(，剩余 [\d.]+ [KM]B)?），没有导入任何数据：请在该磁盘上腾出空间，然后重新运行 npm run import（DATA_DIR \/srv\/gdsz\/data cannot hold the database: the disk it is on is full \((ENOSPC|[\d.]+ [KM]B left)\); nothing was imported; free space on it, then run npm run import again）$/,
    );
  });
});

const NOTHING_IMPORTED = { zh: '没有导入任何数据', en: 'nothing was imported' };
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const scriptEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));

/** A command-line script as npm runs it; what it wrote, as lines. */
function runScript(args: string[], env: Record<string, string>) {
  const child = reapedAfterTest(spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...scriptEnv(), PORT: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = (text: string) => text.split('\n').filter(Boolean);
  return new Promise<{ code: number | null; stdout: string[]; stderr: string[] }>((resolve) => child.once('exit', (code) => resolve({ code, stdout: lines(stdout), stderr: lines(stderr) })));
}

/** An import workbook of `count` teams of one organisation. */
async function teamsWorkbook(file: string, count: number) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('单位').addRows([['单位名称*'], ['广州市政公司']]);
  const rows: unknown[][] = [['班组编号', '班组名称*', '所属单位*', '班组类型*', '班组长手机或邮箱*', '班组长姓名', '单位联系人手机或邮箱*', '单位联系人姓名', '注册日期*', '成员人数*', '主管部门']];
  for (let i = 0; i < count; i++) rows.push(['', `养护${i}班`, '广州市政公司', '行政班组', `139${String(i).padStart(8, '0')}`, `张${i}`, 'li@example.com', '李四', '2024-01-10', 10, '']);
  wb.addWorksheet('班组').addRows(rows);
  writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
}

describe('the command-line scripts on a DATA_DIR that cannot hold the database', () => {
  it('npm run job, import, demo and restore say so in one line, not a stack, for a path under a file', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'scripts-data-dir-'));
    dirs.push(parent);
    writeFileSync(join(parent, 'file'), 'a file, not a folder\n');
    // a folder under a file cannot be made (ENOTDIR), as one on a read-only disk cannot be written (EROFS)
    const dataDir = join(parent, 'file', 'data');
    const workbook = join(parent, 'teams.xlsx');
    await teamsWorkbook(workbook, 1);
    const archive = join(parent, 'b.tar.gz');
    writeFileSync(archive, 'whatever: the folder is refused before the file is unpacked');
    const [job, imported, demo, restore] = await Promise.all([
      runScript(['scripts/job.ts', 'digest'], { DATA_DIR: dataDir }),
      runScript(['scripts/import.ts', workbook, '--yes'], { DATA_DIR: dataDir }),
      runScript(['scripts/demo.ts'], { DATA_DIR: dataDir }),
      runScript(['scripts/restore.ts', archive], { DATA_DIR: dataDir }),
    ]);
    expect([job, imported, demo, restore].map((r) => r.code)).toEqual([1, 1, 1, 1]);
    // Node's mkdir says EEXIST for a folder under a file (recursive), open says ENOTDIR
    const inTheWay = `a file named ${escaped(join(parent, 'file'))} is in the way \\(a folder is needed there\\)`;
    const inTheWayZh = `文件 ${escaped(join(parent, 'file'))} 挡在了需要文件夹的位置`;
    const cannotHold = (before: string, [afterZh, after]: [string, string], again: string) =>
      expect.stringMatching(
        new RegExp(
          `^${before}数据目录 ${escaped(dataDir)} 无法存放数据库：${inTheWayZh}（(ENOTDIR|EEXIST)）${afterZh}。请移走这个文件，或换一个 DATA_DIR，然后重新${escaped(again.replace(/^run (.*) again$/, '运行 $1'))}（DATA_DIR ${escaped(dataDir)} cannot hold the database: ${inTheWay} \\((ENOTDIR|EEXIST)\\)${after}; move that file, or choose another DATA_DIR, then ${escaped(again)}）$`,
        ),
      );
    expect(job.stderr).toEqual([cannotHold('', ['', ''], 'run npm run job -- digest again')]);
    expect(imported.stderr).toEqual([cannotHold('', ['；没有导入任何数据', '; nothing was imported'], 'run npm run import again')]);
    expect(demo.stdout.concat(demo.stderr)).toEqual([cannotHold('演示没有运行：', ['', ''], 'run npm run demo again')]);
    expect(restore.stderr).toEqual([
      expect.stringMatching(
        new RegExp(
          `^恢复失败，备份没有恢复：数据目录 ${escaped(dataDir)} 无法写入：文件 ${escaped(join(parent, 'file'))} 挡在了需要文件夹的位置（(ENOTDIR|EEXIST)，位于 .*）。请移走这个文件，或换一个 DATA_DIR，然后重新运行 npm run restore -- ${escaped(archive)}（restore failed, the backup was not restored: DATA_DIR ${escaped(dataDir)} cannot be written: ${inTheWay} \\((ENOTDIR|EEXIST) at .*\\); move that file, or choose another DATA_DIR, then run npm run restore -- ${escaped(archive)} again\\.）$`,
        ),
      ),
    ]);
  }, 120_000);
});

/** A tmpfs of `size` mounted on a new folder, or undefined where this process may not mount (not root, not Linux). */
function smallDisk(size: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'full-disk-'));
  dirs.push(dir);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status !== 0) return undefined;
  mounts.push(dir);
  return dir;
}

function runFixture(dataDir: string, kind: 'wal' | 'table') {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/local/storageFailure.ts', dataDir, kind], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // a process that spins in PGlite answers nothing: it is ended here, and the exit code says it did not stop itself
  const hung = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise<{ code: number | null; stdout: string[]; stderr: string[] }>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(hung);
      resolve({ code, stdout: stdout.trim().split('\n'), stderr: stderr.trim().split('\n') });
    }),
  );
}

describe.each([
  ['the write-ahead log needs a new segment', 'wal', 'could not write to file "pg_wal/xlogtemp.'],
  ['a table needs to grow', 'table', 'could not extend file "base/'],
] as const)('a full disk while the bot runs: %s', (_what, kind, failure) => {
  it('the failed write fails, nothing after it reaches PGlite, the process exits 1 with one line naming DATA_DIR; after space is freed the answered data is there', async (ctx) => {
    // 64 MB: the template's 40 MB and some room; a real ENOSPC needs a small disk of its own, which only root can mount
    const disk = smallDisk('64m');
    if (!disk) return ctx.skip();
    const dataDir = join(disk, 'data');
    mkdirSync(dataDir);
    const r = await runFixture(dataDir, kind);
    expect(r.code, r.stdout.concat(r.stderr).join('\n')).toBe(1);
    expect(r.stdout).toEqual(['before: answered', 'disk full', expect.stringContaining(`after: failed: ${failure}`), expect.stringMatching(/^ping: failed: .*No space left on device/)]);
    expect(r.stdout[2]).toMatch(/No space left on device$/);
    expect(r.stderr).toEqual([
      `数据目录 ${dataDir} 已无法写入（No space left on device），机器人停止运行；已答复的改动都已保存。请在磁盘上腾出空间，或把它重新挂载为可写，然后重新启动机器人（DATA_DIR ${dataDir} can no longer be written (No space left on device); the bot stops. Free space on its disk, or make it writable again (remount), then start the bot again: the data up to the last change answered is safe.）`,
    ]);

    rmSync(join(disk, 'filler'));
    const lock = claimDataDir(dataDir);
    const database = await openDatabase({ dataDir });
    try {
      expect(await database.db.select({ openId: people.openId }).from(people).orderBy(asc(people.openId))).toEqual([{ openId: 'ou_before' }]);
    } finally {
      await database.close();
      lock.release();
    }
  }, 120_000);
});

describe('a start on a full disk', () => {
  it('npm start says in one line that DATA_DIR is on a full disk, for a new folder and for one with data; so does opening PGlite there', async (ctx) => {
    const disk = smallDisk('64m');
    if (!disk) return ctx.skip();
    const withData = join(disk, 'data');
    const lock = claimDataDir(withData);
    await (await openDatabase({ dataDir: withData })).close();
    lock.release();
    const filler = spawnSync('dd', ['if=/dev/zero', `of=${join(disk, 'filler')}`, 'bs=4k']);
    expect(filler.status).not.toBe(0);
    const line = (dir: string) =>
      `数据目录 ${dir} 所在的磁盘已满（ENOSPC，剩余 0 KB）：请在该磁盘上腾出空间，然后重新启动（DATA_DIR ${dir} cannot hold the database: the disk it is on is full (0 KB left); free space on it, then start again）`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
    for (const dataDir of [join(disk, 'new'), withData]) {
      const started = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env, DATA_DIR: dataDir, PORT: '0' }, encoding: 'utf8', timeout: 60_000 });
      expect(started.status, started.stdout + started.stderr).toBe(1);
      expect(started.stderr.trim().split('\n')).toEqual([`启动失败（start-up error）：${line(dataDir)}`]);
      // nothing of the lock's left behind: its file written beside it came out empty, and was left, and the folder was
      // then refused as holding a file the bot did not make
      if (existsSync(dataDir)) expect(readdirSync(dataDir).filter((n) => n.startsWith(`${LOCK_FILE}.`))).toEqual([]);
    }
    // PGlite itself, when the folder's lock could still be written: its own words are `PGlite failed to initialize properly`
    const opened = await openDatabase({ dataDir: withData }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(opened).toMatchObject({ code: 'ENOSPC', path: withData, message: line(withData) });
  }, 120_000);
});

describe('a data folder that turned read-only', () => {
  it('lets its lock go without an error, at exit too (the lock file stays, stale once the process is gone)', async (ctx) => {
    const disk = smallDisk('1m');
    if (!disk) return ctx.skip();
    const lock = lockDataDir(disk);
    expect(spawnSync('mount', ['-o', 'remount,ro', disk]).status).toBe(0);
    try {
      expect(() => lock.release()).not.toThrow();
      expect(readFileSync(join(disk, LOCK_FILE), 'utf8').split('\n')[0]).toBe(String(process.pid));
    } finally {
      spawnSync('mount', ['-o', 'remount,rw', disk]);
    }
  });
});

describe('a restore on a full disk', () => {
  it('says the disk is full, not that the backup is no backup; the same file restores once there is room', async (ctx) => {
    // a 24 MB disk: the backup unpacks to the template's 40 MB, so PGlite's unpacking runs out of room
    const disk = smallDisk('24m');
    if (!disk) return ctx.skip();
    const parent = mkdtempSync(join(tmpdir(), 'restore-full-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    const lock = claimDataDir(dataDir);
    const database = await openDatabase({ dataDir });
    await database.db.insert(people).values({ openId: 'ou_restore_full', name: '林工' });
    await database.close();
    lock.release();
    const lines: string[] = [];
    const say = { write: (s: string) => lines.push(...s.split('\n').filter(Boolean)) } as unknown as NodeJS.WritableStream;
    const archive = join(parent, 'b.tar.gz');
    expect(await backupLocalData({ dataDir, file: archive, now: new Date(), timezone: 'Asia/Shanghai', output: say })).toBe(0);

    const target = join(disk, 'data');
    lines.length = 0;
    expect(await restoreLocalData({ dataDir: target, file: archive, output: say })).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^恢复中止：数据目录 ${escaped(target)} 所在的磁盘(已满|拒绝写入).*（restore stopped: the disk holding ${escaped(target)} (is full|refused a write)`)),
    ]);
    expect(lines[0]).toContain('没有恢复任何数据');
    expect(lines[0]).toContain('run the restore again');
    expect(lines[0]).not.toContain('not a backup');
    // the same file, where there is room: restored
    lines.length = 0;
    expect(await restoreLocalData({ dataDir: join(parent, 'restored'), file: archive, output: say })).toBe(0);

    // npm run backup onto a disk too small for the archive: one line, no archive nor part of one left
    const tiny = smallDisk('4k');
    if (!tiny) return;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/backup.ts', join(tiny, 'b.tar.gz')], { env: { ...env, DATA_DIR: dataDir }, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      // the archive's disk is named, not left to guess (the write to the open archive names no file)
      expect.stringMatching(
        new RegExp(`^备份失败，没有写出备份：${escaped(join(tiny, 'b.tar.gz'))} 所在的磁盘已满（ENOSPC）。请在该磁盘上腾出空间，然后重新运行 npm run backup（backup failed, nothing was written as a backup: ENOSPC: no space left on device, write '${escaped(join(tiny, 'b.tar.gz'))}'; free space or make the folder writable, then run npm run backup again\\.）$`),
      ),
    ]);
    expect(readdirSync(tiny)).toEqual([]);
  }, 120_000);
});

describe('the command-line scripts on a disk that is read-only or full', () => {
  /** A data folder of the bot's on `disk`, holding one person; and a backup of it beside the disk. */
  async function dataWithBackup(disk: string) {
    const dataDir = join(disk, 'data');
    const lock = claimDataDir(dataDir);
    const database = await openDatabase({ dataDir });
    await database.db.insert(people).values({ openId: 'ou_kept', name: '张班长' });
    await database.close();
    lock.release();
    const parent = mkdtempSync(join(tmpdir(), 'scripts-disk-'));
    dirs.push(parent);
    const archive = join(parent, 'b.tar.gz');
    expect(await backupLocalData({ dataDir, file: archive, now: new Date(), timezone: 'Asia/Shanghai', output: { write: () => true } as unknown as NodeJS.WritableStream })).toBe(0);
    return { dataDir, parent, archive };
  }

  /** What the folder holds, opened as the bot opens it. */
  async function holding(dataDir: string) {
    const lock = claimDataDir(dataDir);
    const database = await openDatabase({ dataDir });
    try {
      const [{ n }] = await database.db.select({ n: count() }).from(teams);
      return { people: (await database.db.select({ openId: people.openId }).from(people)).map((p) => p.openId), teams: n };
    } finally {
      await database.close();
      lock.release();
    }
  }

  it('read-only: npm run job, import, demo, reset and restore each say so in one line, not a stack; the data is as it was', async (ctx) => {
    const disk = smallDisk('64m');
    if (!disk) return ctx.skip();
    const { dataDir, parent, archive } = await dataWithBackup(disk);
    const workbook = join(parent, 'teams.xlsx');
    await teamsWorkbook(workbook, 1);
    const fresh = join(disk, 'new');
    expect(spawnSync('mount', ['-o', 'remount,ro', disk]).status).toBe(0);
    try {
      const [job, imported, demo, reset, restore, backup] = await Promise.all([
        runScript(['scripts/job.ts', 'digest'], { DATA_DIR: dataDir }),
        runScript(['scripts/import.ts', workbook, '--yes'], { DATA_DIR: dataDir }),
        runScript(['scripts/demo.ts'], { DATA_DIR: fresh }),
        runScript(['scripts/reset.ts', '--yes'], { DATA_DIR: dataDir }),
        runScript(['scripts/restore.ts', archive], { DATA_DIR: fresh }),
        runScript(['scripts/backup.ts', join(parent, 'again.tar.gz')], { DATA_DIR: dataDir }),
      ]);
      expect([job, imported, demo, reset, restore, backup].map((r) => r.code)).toEqual([1, 1, 1, 1, 1, 1]);
      const readOnly = 'the file system it is on is read-only';
      const todo = 'choose a DATA_DIR on a writable disk, or remount it writable';
      const readOnlyZh = '所在的文件系统是只读的';
      const todoZh = '请把 DATA_DIR 设到可写的磁盘，或把它重新挂载为可写';
      expect(job.stderr).toEqual([`数据目录 ${dataDir} 无法存放数据库：${readOnlyZh}（EROFS）。${todoZh}，然后重新运行 npm run job -- digest（DATA_DIR ${dataDir} cannot hold the database: ${readOnly} (EROFS); ${todo}, then run npm run job -- digest again）`]);
      expect(imported.stderr).toEqual([
        `数据目录 ${dataDir} 无法存放数据库：${readOnlyZh}（EROFS）；没有导入任何数据。${todoZh}，然后重新运行 npm run import（DATA_DIR ${dataDir} cannot hold the database: ${readOnly} (EROFS); nothing was imported; ${todo}, then run npm run import again）`,
      ]);
      expect(demo.stdout.concat(demo.stderr)).toEqual([`演示没有运行：数据目录 ${fresh} 无法存放数据库：${readOnlyZh}（EROFS）。${todoZh}，然后重新运行 npm run demo（DATA_DIR ${fresh} cannot hold the database: ${readOnly} (EROFS); ${todo}, then run npm run demo again）`]);
      // not a raw "EROFS: read-only file system, open '…/.gdsz-bot.lock…'"
      // Chinese first, English in brackets
      const cannotWrite = (failed: string, dir: string, at: string, run: string) =>
        expect.stringMatching(
          new RegExp(
            `^${failed}：数据目录 ${escaped(dir)} 无法写入：所在的文件系统是只读的（EROFS，位于 ${at}）。请把 DATA_DIR 设到可写的磁盘，或把它重新挂载为可写，然后重新运行 ${escaped(run)}（.*: DATA_DIR ${escaped(dir)} cannot be written: ${readOnly} \\(EROFS at ${at}\\); ${todo}, then run ${escaped(run)} again\\.）$`,
          ),
        );
      expect(reset.stderr).toEqual([cannotWrite('重置失败', dataDir, `${escaped(dataDir)}/\\.gdsz-bot\\.lock.*`, 'npm run reset')]);
      expect(reset.stderr[0]).toContain('（reset failed: ');
      expect(restore.stderr).toEqual([cannotWrite('恢复失败，备份没有恢复', fresh, escaped(fresh), `npm run restore -- ${archive}`)]);
      expect(restore.stderr[0]).toContain('（restore failed, the backup was not restored: ');
      // a backup made to rescue the data: not to move DATA_DIR, but to copy the folder somewhere writable and back up from there
      expect(backup.stderr).toEqual([
        expect.stringMatching(
          new RegExp(
            `^备份失败，没有写出备份：数据目录 ${escaped(dataDir)} 无法写入：所在的文件系统是只读的（EROFS，位于 ${escaped(dataDir)}/\\.gdsz-bot\\.lock.*）。备份时要在数据目录中写入（锁和数据库自己的文件）：请把整个文件夹复制到可写的地方，如 cp -a ${escaped(dataDir)} /tmp/gdsz-data，再从那里备份：DATA_DIR=/tmp/gdsz-data npm run backup（backup failed, nothing was written as a backup: DATA_DIR ${escaped(dataDir)} cannot be written: ${readOnly} \\(EROFS at .*\\); a backup writes in DATA_DIR \\(its lock, the database's own files\\): copy the whole folder somewhere writable, as cp -a ${escaped(dataDir)} /tmp/gdsz-data, and back up from there: DATA_DIR=/tmp/gdsz-data npm run backup\\.）$`,
          ),
        ),
      ]);
      expect(backup.stderr[0]).not.toContain('把 DATA_DIR 设到');
    } finally {
      spawnSync('mount', ['-o', 'remount,rw', disk]);
    }
    expect(await holding(dataDir)).toEqual({ people: expect.arrayContaining(['ou_kept']), teams: 0 });
  }, 120_000);

  it('full: npm run import that fills the disk says in one line that nothing was imported; on a full disk job, import and demo say so before they start', async (ctx) => {
    const disk = smallDisk('64m');
    if (!disk) return ctx.skip();
    const { dataDir, parent } = await dataWithBackup(disk);
    const workbook = join(parent, 'teams.xlsx');
    await teamsWorkbook(workbook, 5000);
    // 4 MB left: the database opens and the preview is shown; 5 000 teams do not fit
    const room = () => Number(spawnSync('df', ['-k', '--output=avail', disk], { encoding: 'utf8' }).stdout.trim().split('\n')[1]);
    expect(spawnSync('dd', ['if=/dev/zero', `of=${join(disk, 'filler')}`, 'bs=1k', `count=${room() - 4096}`]).status).toBe(0);
    const imported = await runScript(['scripts/import.ts', workbook, '--yes'], { DATA_DIR: dataDir });
    expect(imported.code, imported.stderr.join('\n')).toBe(1);
    expect(imported.stderr).toEqual([
      `数据目录 ${dataDir} 已无法写入（No space left on device）；没有导入任何数据。请在磁盘上腾出空间，或把它重新挂载为可写，然后重新运行 npm run import（DATA_DIR ${dataDir} can no longer be written (No space left on device); nothing was imported; free space on its disk, or make it writable again (remount), then run npm run import again）`,
    ]);

    // no room at all: refused at the start, one line each
    spawnSync('dd', ['if=/dev/zero', `of=${join(disk, 'filler-2')}`, 'bs=4k']);
    const full = (again: string, then = '', thenZh = '') =>
      expect.stringMatching(
        new RegExp(
          `^数据目录 ${escaped(dataDir)} 所在的磁盘已满（ENOSPC(，剩余 [\\d.]+ [KM]B)?）${thenZh}：请在该磁盘上腾出空间，然后重新${escaped(again.replace(/^run (.*) again$/, '运行 $1'))}（DATA_DIR ${escaped(dataDir)} cannot hold the database: the disk it is on is full \\((ENOSPC|[\\d.]+ [KM]B left)\\)${then}; free space on it, then ${escaped(again)}）$`,
        ),
      );
    // one after another: each holds the folder while it runs
    const job = await runScript(['scripts/job.ts', 'digest'], { DATA_DIR: dataDir });
    const again = await runScript(['scripts/import.ts', workbook, '--yes'], { DATA_DIR: dataDir });
    const demo = await runScript(['scripts/demo.ts'], { DATA_DIR: dataDir });
    expect([job.code, again.code, demo.code]).toEqual([1, 1, 1]);
    expect(job.stderr).toEqual([full('run npm run job -- digest again')]);
    expect(again.stderr).toEqual([full('run npm run import again', '; nothing was imported', '，没有导入任何数据')]);
    expect(demo.stdout.concat(demo.stderr)).toEqual([expect.stringMatching(/^演示没有运行：数据目录 /)]);
    expect(demo.stdout[0].slice('演示没有运行：'.length)).toEqual(full('run npm run demo again'));

    rmSync(join(disk, 'filler'));
    rmSync(join(disk, 'filler-2'));
    expect(await holding(dataDir)).toEqual({ people: expect.arrayContaining(['ou_kept']), teams: 0 });
  }, 180_000);
});
