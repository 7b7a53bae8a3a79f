import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatabaseUnreadable, fullDiskRoom, RECORDED_MIGRATIONS_SQL, type RecordedMigration, roomLeft, storageFailure, unknownMigrations, unreadableDatabase } from '../../db/index.js';
import { unreadableDatabaseLine } from './dataDirFailure.js';
import {
  type DataDirLock,
  DataDirRefused,
  describeHolder,
  isInterruptedRestore,
  isPgliteDataDir,
  LOCK_FILE,
  lockDataDir,
  lockHolderOf,
  MARKER_FILE,
  narrowDataDir,
  narrowToOwner,
  OWNER_DIR_MODE,
  OWNER_FILE_MODE,
  RESTORE_STAGING as STAGING,
} from './dataDir.js';

/**
 * `npm run backup` and `npm run restore`: local mode's PGlite folder as one .tar.gz (PGlite's own dumpDataDir, taken
 * while this process holds the folder, so the copy is consistent) and back into an empty folder.
 */

interface Output {
  output?: NodeJS.WritableStream;
}

export interface BackupOptions extends Output {
  dataDir: string;
  databaseUrl?: string;
  /** the archive to write; by default one named after the time, beside DATA_DIR */
  file?: string;
  /** the default name's time, read in BOT_TIMEZONE */
  now: Date;
  timezone: string;
}

export interface RestoreOptions extends Output {
  dataDir: string;
  databaseUrl?: string;
  file: string;
}

/** gdsz-bot-backup-2026-12-02T225230.tar.gz, the time as read in `timezone`; to the second, so a second backup in the same minute gets a name of its own. */
export function defaultBackupName(now: Date, timezone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(now).map((x) => [x.type, x.value]));
  return `gdsz-bot-backup-${p.year}-${p.month}-${p.day}T${p.hour}${p.minute}${p.second}.tar.gz`;
}

const sizeOf = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

const isInside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

async function openPglite(dir: string, loadDataDir?: Blob) {
  const { PGlite } = await import('@electric-sql/pglite');
  // as db/index.ts opens it: PostgreSQL's default 128 MB of shared buffers is more than this bot's data
  const pg = new PGlite(dir, { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'], ...(loadDataDir ? { loadDataDir } : {}) });
  // a database of DATA_DIR's PGlite cannot open, the disk not being full, is damaged or another PostgreSQL's: said as
  // such (unreadableDatabaseLine), not as PGlite's `Aborted()`
  await pg.waitReady.catch((err: unknown) => {
    throw (!loadDataDir && fullDiskRoom(dir) === undefined && unreadableDatabase(dir, err)) || err;
  });
  return pg;
}

/** Counts the rows of every table of the bot's schemas; throws what PGlite says about the first it cannot read. */
async function readEveryTable(pg: Awaited<ReturnType<typeof openPglite>>): Promise<void> {
  const tables = await pg.query<{ name: string }>(
    `select format('%I.%I', table_schema, table_name) as name from information_schema.tables where table_schema in ('public', 'drizzle') and table_type = 'BASE TABLE' order by 1`,
  );
  for (const { name } of tables.rows) await pg.query(`select count(*) from ${name}`);
}

/** The folder's lock, or undefined when another process holds it (said in one line). */
function takeLock(dir: string, what: 'backup' | 'restore', say: (line: string) => void): DataDirLock | undefined {
  try {
    return lockDataDir(dir);
  } catch (err) {
    if (!(err instanceof DataDirRefused)) throw err;
    say(what === 'backup' ? backupRefusal(err.message) : `恢复被拒绝：${err.message}`);
    return undefined;
  }
}

/** Writes DATA_DIR's database to one .tar.gz while no other process holds the folder. Returns the exit code. */
export async function backupLocalData(opts: BackupOptions): Promise<number> {
  const say = (line: string) => (opts.output ?? process.stdout).write(`${line}\n`);
  if (opts.databaseUrl) {
    say(backupRefusal('设置了 DATABASE_URL：npm run backup 只备份 DATA_DIR 中内置的 PGlite 数据；PostgreSQL 服务器请用它自己的工具备份（pg_dump）', 'DATABASE_URL is set. npm run backup copies the embedded PGlite data in DATA_DIR; back up a PostgreSQL server with its own tools (pg_dump).'));
    return 1;
  }
  const dir = resolve(opts.dataDir);
  if (!isPgliteDataDir(dir)) {
    say(backupRefusal(`数据目录 ${dir} 中没有数据库（没有 PG_VERSION），没有可备份的内容：请检查 DATA_DIR`, `DATA_DIR ${dir} holds no database (no PG_VERSION), so there is nothing to back up; check DATA_DIR.`));
    return 1;
  }
  const holder = lockHolderOf(dir);
  if (holder) {
    say(backupRefusal(`数据目录 ${dir} 正被使用（${describeHolder(holder)}）：请先停止机器人，再运行 npm run backup`, `DATA_DIR ${dir} is in use by ${describeHolder(holder)}; stop the bot first, then run npm run backup again.`));
    return 1;
  }
  const target = resolve(opts.file ?? join(dirname(dir), defaultBackupName(opts.now, opts.timezone)));
  if (isInside(dir, target)) {
    say(backupRefusal(`${target} 在数据目录里面：请把备份写到数据目录之外（npm run backup -- <文件>）`, `${target} is inside DATA_DIR; write the backup outside it: npm run backup -- <file>`));
    return 1;
  }
  if (existsSync(target)) {
    say(backupRefusal(`${target} 已经存在，备份不会覆盖它：请换一个文件名（npm run backup -- <文件>）`, `${target} exists already; name another file: npm run backup -- <file>`));
    return 1;
  }
  // checked before the dump, which takes a while: a folder that is not there would fail only at the write
  if (!isFolder(dirname(target))) {
    say(backupRefusal(`文件夹 ${dirname(target)} 不存在：请先建立它，或写到别的文件夹（npm run backup -- <文件>）`, `the folder ${dirname(target)} does not exist; create it or name a file in another: npm run backup -- <file>`));
    return 1;
  }
  const lock = takeLock(dir, 'backup', say);
  if (!lock) return 1;
  const partial = `${target}.part`;
  let writingArchive = false;
  try {
    const pg = await openPglite(dir);
    let archive: Blob;
    try {
      // everything committed goes into the table files, so the copy opens without replaying the log
      await pg.query('CHECKPOINT');
      archive = await pg.dumpDataDir('gzip');
    } finally {
      await pg.close();
    }
    const bytes = Buffer.from(await archive.arrayBuffer());
    // a cut-short write leaves a .part file, never one that looks like a whole backup; the archive is the association's
    // data, the owner's alone (0600): one left by an earlier attempt goes first, as a file's mode is set only when it is
    // made, and the rename keeps it
    rmSync(partial, { force: true });
    writingArchive = true;
    writeDurably(partial, bytes);
    renameSync(partial, target);
    // the rename itself on disk before it is reported: PGlite runs without fsync, so the backup is the copy that must last
    syncFolder(dirname(target));
    say(`备份已写出：${target}（${sizeOf(bytes.length)}）（backup written: ${target} (${sizeOf(bytes.length)})）`);
    return 0;
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof DatabaseUnreadable) {
      say(`备份失败，没有写出备份：${unreadableDatabaseLine(err)}`);
      return 1;
    }
    // a write to the open archive names no file: the disk it fills is the archive's, named for the line that says so
    const e = err as NodeJS.ErrnoException;
    if (writingArchive && (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') && e.path === undefined) throw Object.assign(new Error(`${e.code}: no space left on device, write '${target}'`, { cause: err }), { code: e.code, path: target });
    throw err;
  } finally {
    // what PGlite wrote while it had the folder open (pg_internal.init as the umask says) is the owner's alone too, as
    // after a start (claimDataDir's release)
    narrowToOwner(dir);
    lock.release();
  }
}

/**
 * Empty for a restore: nothing but the bot's marker and lock, and what an interrupted restore left (its staging folder,
 * and whatever it had moved in before PG_VERSION, which moves last).
 */
const isEmptyForRestore = (dir: string) =>
  !existsSync(dir) || readdirSync(dir).every((n) => n === MARKER_FILE || n === LOCK_FILE || n === STAGING) || isInterruptedRestore(dir);

/** Unpacks a backup into an empty or new DATA_DIR and marks it as the bot's folder. Returns the exit code. */
export async function restoreLocalData(opts: RestoreOptions): Promise<number> {
  const say = (line: string) => (opts.output ?? process.stdout).write(`${line}\n`);
  if (opts.databaseUrl) {
    say(refusal('设置了 DATABASE_URL：npm run restore 只恢复到内置 PGlite 的数据目录 DATA_DIR；要恢复本地数据，请去掉 DATABASE_URL', 'DATABASE_URL is set. npm run restore fills the embedded PGlite folder DATA_DIR; unset DATABASE_URL to restore local data.'));
    return 1;
  }
  const file = resolve(opts.file);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    say(refusal(`读不了 ${file}（${code}）：请指定一个 npm run backup 写出的备份文件`, `cannot read ${file} (${code}); name a file written by npm run backup.`));
    return 1;
  }
  // npm run backup writes gzip, whose end holds the length and CRC of what it packs: unpacked here, a copy cut short or
  // garbled on the way is told before anything in DATA_DIR is touched (PGlite would only say it cannot start, and
  // leaves its own unpacking's failure unhandled)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (err) {
      say(archiveRefusal(file, gzipFault(err)));
      return 1;
    }
  }
  const dir = resolve(opts.dataDir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    say(refusal(`数据目录 ${dir} 是一个文件，不是文件夹：请把 DATA_DIR 设为一个空的或新的文件夹`, `DATA_DIR ${dir} is a file, not a folder; point DATA_DIR at an empty or new folder.`));
    return 1;
  }
  const notEmpty = refusal(
    `数据目录 ${dir} 不是空的，恢复从不覆盖已有的数据：请把 DATA_DIR 设为一个新的文件夹，或先备份这个文件夹（npm run backup）再清空它（npm run reset）`,
    `DATA_DIR ${dir} is not empty, and a restore never writes over data; point DATA_DIR at a new folder, or keep a copy of this one (npm run backup) and empty it (npm run reset) first.`,
  );
  if (!isEmptyForRestore(dir)) {
    // backup and reset are both refused while the bot holds the folder: that comes first
    const holder = lockHolderOf(dir);
    say(
      holder
        ? refusal(
            `机器人正在数据目录 ${dir} 上运行（${describeHolder(holder)}），其中有数据，恢复从不覆盖已有的数据：请恢复到一个新的文件夹（DATA_DIR=<新文件夹> npm run restore -- ${opts.file}），再停止机器人，让它在那个文件夹上启动`,
            `the bot is running on DATA_DIR ${dir} (${describeHolder(holder)}), and the folder holds data, which a restore never writes over; restore into a new folder instead (DATA_DIR=<new folder> npm run restore -- ${opts.file}), then stop the bot and start it on that folder.`,
          )
        : notEmpty,
    );
    return 1;
  }
  // a folder this restore makes goes again when the restore fails: a refused file leaves nothing behind
  const madeHere = !existsSync(dir);
  const lock = takeLock(dir, 'restore', say);
  if (!lock) return 1;
  const staging = join(dir, STAGING);
  let restored = false;
  /** Puts the folder back as it was when the restore is refused before moving anything in. */
  let undo: (() => void) | undefined;
  try {
    if (!isEmptyForRestore(dir)) {
      say(notEmpty);
      return 1;
    }
    const markedBefore = readMarker(dir);
    const interrupted = isInterruptedRestore(dir);
    // a restore cut short: what it had moved in goes, the marker and this process's lock stay
    for (const name of readdirSync(dir)) if (name !== MARKER_FILE && name !== LOCK_FILE) rmSync(join(dir, name), { recursive: true, force: true });
    // before anything slow (unpacking takes seconds): the staging folder, then the marker naming the backup, so a restore
    // killed from here on leaves a folder npm start refuses saying so (isInterruptedRestore), not one it fills anew
    mkdirSync(staging, { mode: OWNER_DIR_MODE });
    writeFileSync(join(dir, MARKER_FILE), restoringMarker(file), { mode: OWNER_FILE_MODE });
    undo = () => {
      // refused before anything moved in: the folder as it was; one an earlier restore was cut short in stays one
      if (interrupted) {
        mkdirSync(staging, { recursive: true, mode: OWNER_DIR_MODE });
        return;
      }
      rmSync(staging, { recursive: true, force: true });
      if (markedBefore === undefined) rmSync(join(dir, MARKER_FILE), { force: true });
      else writeFileSync(join(dir, MARKER_FILE), markedBefore, { mode: OWNER_FILE_MODE });
    };
    let isBotDatabase: boolean;
    let newer: string | undefined;
    try {
      const pg = await openPglite(staging, new Blob([bytes], { type: 'application/x-tar' }));
      try {
        const found = await pg.query<{ migrations: string | null }>(`select to_regclass('drizzle.__drizzle_migrations')::text as migrations`);
        isBotDatabase = found.rows[0]?.migrations != null;
        // every table is read once, so a copy missing a table's file (or holding a damaged one) is refused here rather
        // than at the next npm start
        if (isBotDatabase) await readEveryTable(pg);
        // a newer version's backup: npm start would refuse it (db/index.ts migrateDatabase), so it is refused here
        if (isBotDatabase) newer = unknownMigrations((await pg.query<RecordedMigration>(RECORDED_MIGRATIONS_SQL)).rows);
      } finally {
        await pg.close();
      }
    } catch (err) {
      // unpacking on a full disk fails as a damaged file does (PGlite throws an errno): the disk is named first, so a good
      // backup is not given up; its room is read before what was unpacked goes
      const room = fullDiskRoom(dir);
      const stored = storageFailure(err);
      rmSync(staging, { recursive: true, force: true });
      if (room !== undefined || stored) {
        // Chinese first, English in brackets, as npm start's lines
        const zh = room !== undefined ? `所在的磁盘已满（剩余 ${roomLeft(room)}）` : `所在的磁盘拒绝写入（${stored}）`;
        say(
          `恢复中止：数据目录 ${dir} ${zh}，${file} 没有读完，没有恢复任何数据。请在该磁盘上腾出空间，然后重新运行恢复（restore stopped: the disk holding ${dir} ${room !== undefined ? `is full (${roomLeft(room)} left)` : `refused a write (${stored})`}; ${file} was not read to its end. Free space there, then run the restore again; nothing was restored.）`,
        );
        return 1;
      }
      // a backup unpacked by hand (gunzip) and cut short: a tar entry runs past the file's end
      const cutShort = tarCutShort(bytes);
      if (cutShort) {
        say(archiveRefusal(file, { kind: 'incomplete', cause: cutShort }));
        return 1;
      }
      say(refusal(`${file} 不是 npm run backup 写出的备份：请指定备份文件`, `${file} is not a backup written by npm run backup (${errorLine(err)}).`));
      return 1;
    }
    if (!isBotDatabase) {
      rmSync(staging, { recursive: true, force: true });
      say(refusal(`${file} 中的数据库不是这个机器人的（没有迁移记录）：请指定 npm run backup 写出的备份文件`, `${file} holds a database, but not this bot's (no migrations table); name a file written by npm run backup.`));
      return 1;
    }
    if (newer) {
      rmSync(staging, { recursive: true, force: true });
      say(
        refusal(
          `${file} 是更新版本的机器人做的备份（其中有这个版本没有的迁移）：请用那个版本恢复，或选一个用这个版本做的备份`,
          `${file} was made by a newer version of the bot (${newer}, which this version does not have); restore it with that version, or name a backup made by this one.`,
        ),
      );
      return 1;
    }
    // from here a restore cut short leaves files moved in: start refuses the folder, restore again or reset takes it;
    // the backup's own lock and marker stay behind
    undo = undefined;
    for (const name of readdirSync(staging)) {
      // a backup of a folder an earlier restore was cut short in holds that restore's staging folder: not data, and
      // moved out of the staging folder it would be moved onto itself (ENOTEMPTY, every time)
      if (name !== 'PG_VERSION' && name !== LOCK_FILE && name !== MARKER_FILE && name !== STAGING) renameSync(join(staging, name), join(dir, name));
    }
    renameSync(join(staging, 'PG_VERSION'), join(dir, 'PG_VERSION'));
    writeFileSync(join(dir, MARKER_FILE), `质量信得过班组助手 local data (PGlite), restored from ${file} at ${new Date().toISOString()}; npm run reset empties it\n`, { mode: OWNER_FILE_MODE });
    rmSync(staging, { recursive: true, force: true });
    // the archive's files come out as PGlite unpacks them (0666 and the like)
    narrowDataDir(dir, say);
    say(`已把 ${file} 恢复到 ${dir}，运行 npm start 即可打开（restored ${file} into ${dir}; npm start opens it.）`);
    restored = true;
    return 0;
  } finally {
    if (!restored) undo?.();
    lock.release();
    if (madeHere && !restored) removeIfOnlyOurs(dir);
  }
}

/** A restore's refusal a person meets after an accident: Chinese first, the English in brackets, as npm start's lines. */
const refusal = (zh: string, en: string) => `恢复被拒绝：${zh}（restore refused: ${en}）`;

/**
 * A backup's refusal, as a restore's; with one argument, a refusal of the folder already Chinese first with the English
 * in brackets (DataDirRefused: its lock held by another host, say).
 */
function backupRefusal(zh: string, en?: string): string {
  return en === undefined ? `备份被拒绝：${zh}` : `备份被拒绝：${zh}（backup refused: ${en}）`;
}

/** The marker of a folder being restored: npm start names the backup from it (restoringFrom) when the restore was cut short. */
const restoringMarker = (file: string) => `质量信得过班组助手 local data (PGlite), being restored from ${file} at ${new Date().toISOString()}; npm run reset empties it\n`;

function readMarker(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, MARKER_FILE), 'utf8');
  } catch {
    return undefined;
  }
}

/** Removes a folder holding nothing but the bot's own marker, lock and staging folder (a failed restore's). */
function removeIfOnlyOurs(dir: string): void {
  try {
    if (readdirSync(dir).every((n) => n === MARKER_FILE || n === LOCK_FILE || n === STAGING)) rmSync(dir, { recursive: true, force: true });
  } catch {
    // gone already, or unreadable: left as it is
  }
}

interface ArchiveFault {
  kind: 'incomplete' | 'damaged';
  cause: string;
}

/** gzip's own check failed: its end missing ("unexpected end of file"), or what it packs not matching its length and CRC. */
function gzipFault(err: unknown): ArchiveFault {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  return { kind: e?.code === 'Z_BUF_ERROR' ? 'incomplete' : 'damaged', cause: typeof e?.message === 'string' ? e.message : String(err) };
}

/** A backup cut short or garbled on the way is npm run backup's all the same: it is to be copied again, not replaced. */
function archiveRefusal(file: string, fault: ArchiveFault): string {
  return fault.kind === 'incomplete'
    ? refusal(
        `${file} 不完整（备份文件被截断，如复制中断或没有下载完）：请从保存它的地方重新复制一份，再运行恢复`,
        `${file} is incomplete (${fault.cause}): the backup was cut short, as by a copy that was interrupted or a partial download; copy it again from where it is kept, then run the restore again.`,
      )
    : refusal(
        `${file} 已损坏（读出的内容与 npm run backup 写入的不一致，如复制出错）：请从保存它的地方重新复制一份，再运行恢复`,
        `${file} is damaged (${fault.cause}): it does not read back as npm run backup wrote it, as after a copy gone wrong; copy the backup again from where it is kept, then run the restore again.`,
      );
}

/** Where a tar archive ends inside one of its entries (each a 512-byte header, then its data in 512-byte blocks); undefined for a whole one, or one that is no tar. */
function tarCutShort(tar: Uint8Array): string | undefined {
  const field = (from: number, length: number) => Buffer.from(tar.subarray(from, from + length)).toString('latin1').replace(/\0[\s\S]*$/, '');
  for (let at = 0; at < tar.length; ) {
    if (at + 512 > tar.length) return at === 0 ? undefined : 'it ends inside a header of its tar archive';
    if (tar.subarray(at, at + 512).every((b) => b === 0)) return undefined;
    // the header's "ustar" at 257, its size in octal at 124, its name at 0
    if (field(at + 257, 5) !== 'ustar') return undefined;
    const end = at + 512 + Math.ceil(parseInt(field(at + 124, 12).trim() || '0', 8) / 512) * 512;
    if (end > tar.length) return `it ends inside ${field(at, 100)}`;
    at = end;
  }
  return undefined;
}

/** Whether the path is a folder (false when missing, a file, or unreadable). */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The first line of what was thrown: PGlite throws objects that are no Error (an errno and a code), which String() makes "[object Object]". */
function errorLine(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; errno?: unknown } | null | undefined;
  if (typeof e?.message === 'string' && e.message) return e.message.split('\n')[0];
  if (e && typeof e === 'object') return [e.code, e.errno].filter((v) => v !== undefined).map(String).join(' ') || JSON.stringify(e).slice(0, 200);
  return String(err);
}

/** `bytes` in a new file (owner only), on disk before it returns: a power cut after "backup written" leaves the whole archive. */
function writeDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', OWNER_FILE_MODE);
  try {
    // a write may take part of the buffer (a disk nearly full takes what fits): the rest is written until all is, or the disk refuses
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A folder's entries (a rename into it) on disk; where a folder cannot be opened for it (not POSIX), skipped. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a folder; the file itself was synced
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
