import { chmodSync, closeSync, constants, cpSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fullDiskRoom, migrationsFolder, roomLeft } from '../../db/index.js';

/**
 * PGlite's initdb on an empty DATA_DIR takes 3–5 s on a 2-core machine, and the migrations another second: most of a
 * first start (and of every start after `npm run reset`). `npm ci` makes one initialised and migrated data directory
 * per PGlite version under node_modules/.cache, and a first start copies it: a fraction of a second. Migrations still
 * run on every start, as before: on a copy they find nothing to do, or only what was added since the install.
 */

const require = createRequire(import.meta.url);

function pgliteVersion(): string | undefined {
  try {
    const main = require.resolve('@electric-sql/pglite');
    for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg)) {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (json.name === '@electric-sql/pglite') return json.version;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** node_modules/.cache/gdsz-bot/pglite-<version>-migrated, next to the installed PGlite. */
export function pgliteTemplateDir(): string | undefined {
  const version = pgliteVersion();
  if (!version) return undefined;
  return join(templateCache(), `pglite-${version}-migrated`);
}

function templateCache(): string {
  const main = require.resolve('@electric-sql/pglite');
  const nodeModules = main.slice(0, main.lastIndexOf('node_modules') + 'node_modules'.length);
  return join(nodeModules, '.cache', 'gdsz-bot');
}

/** In the template: the migrations it holds, one tag a line (not copied into a DATA_DIR). */
export const TEMPLATE_MIGRATIONS = 'gdsz-template-migrations.txt';

/** The tags of the migrations this checkout has (db/migrations/meta/_journal.json), in order. */
function migrationTags(): string[] {
  return (JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((e) => e.tag);
}

/** The migrations a template holds; undefined when it records none (it is not one this version made). */
function templateMigrations(template: string): string[] | undefined {
  const file = join(template, TEMPLATE_MIGRATIONS);
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

/**
 * A template a new DATA_DIR may start from: it holds this checkout's first migrations, in order, and none it does not
 * know (a checkout older than the install: its code would meet columns it never made). The migrator applies the rest.
 */
export function usableTemplate(template: string): boolean {
  const held = templateMigrations(template);
  if (!isPgliteDataDir(template) || !held) return false;
  const tags = migrationTags();
  return held.length <= tags.length && held.every((tag, i) => tags[i] === tag);
}

/**
 * Local data is the association's, not for other users of the machine: DATA_DIR and every folder in it are the owner's
 * alone (0700), every file too (0600). Set on each folder and file rather than through process.umask: PGlite's initdb
 * gives its files 0666 itself and cpSync copies modes as they are, which no umask narrows, and a umask would change
 * every other file the process writes (npm run import's template, say).
 */
export const OWNER_DIR_MODE = 0o700;
export const OWNER_FILE_MODE = 0o600;

/** Makes a folder the owner's alone: a new one is created 0700 (its missing parents as the umask says), one that exists is left to narrowToOwner. */
function makeOwnerDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: OWNER_DIR_MODE });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * Narrows a folder and everything under it to the owner: folders 0700, files 0600, unless `modes` says otherwise
 * (symbolic links are left alone).
 * Returns what could not be narrowed (another user's file: EPERM), each as "path (code)".
 */
export function narrowToOwner(root: string, modes: { dir: number; file: number } = { dir: OWNER_DIR_MODE, file: OWNER_FILE_MODE }): string[] {
  // Windows keeps access in ACLs: a mode there is only the read-only flag
  if (process.platform === 'win32') return [];
  const failed: string[] = [];
  const visit = (path: string, isDir: boolean) => {
    const wanted = isDir ? modes.dir : modes.file;
    try {
      if ((lstatSync(path).mode & 0o777) !== wanted) chmodSync(path, wanted);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') failed.push(`${path} (${code ?? String(err)})`);
    }
    if (!isDir) return;
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') failed.push(`${path} (${code ?? String(err)})`);
      return;
    }
    for (const e of entries) if (e.isDirectory() || e.isFile()) visit(join(path, e.name), e.isDirectory());
  };
  visit(root, true);
  return failed;
}

/** narrowToOwner on DATA_DIR, and one line through warn when anything in it stays open to other users. */
export function narrowDataDir(dir: string, warn: (line: string) => void): void {
  const failed = narrowToOwner(dir);
  if (failed.length === 0) return;
  warn(
    `DATA_DIR ${dir}: ${failed.length} of its files and folders could not be made the owner's alone (chmod failed, first ${failed[0]}), so other users of this machine may read the association's data; run the bot as the folder's owner, or run chmod -R go-rwx ${dir}`,
  );
}

/** A PGlite (PostgreSQL) data directory: PG_VERSION is what PGlite itself looks for. */
export const isPgliteDataDir = (dir: string) => existsSync(join(dir, 'PG_VERSION'));

/** Nothing but the bot's own marker and lock. */
const isEmptyOrMissing = (dir: string) => !existsSync(dir) || readdirSync(dir).every((n) => OURS.has(n));

/**
 * Runs initdb and the migrations once into the template directory (install time); returns it, or undefined when there
 * is one holding every migration already.
 */
export async function buildPgliteTemplate(target = pgliteTemplateDir()): Promise<string | undefined> {
  if (!target) return undefined;
  const tags = migrationTags();
  const current = (dir: string) => isPgliteDataDir(dir) && templateMigrations(dir)?.join('\n') === tags.join('\n');
  if (current(target)) return undefined;
  // the unmigrated template earlier versions made beside it
  if (target === pgliteTemplateDir()) rmSync(target.replace(/-migrated$/, ''), { recursive: true, force: true });
  const building = `${target}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  makeOwnerDir(building);
  const { openDatabase } = await import('../../db/index.js');
  const database = await openDatabase({ dataDir: building });
  await database.close();
  writeFileSync(join(building, TEMPLATE_MIGRATIONS), `${tags.join('\n')}\n`);
  // initdb leaves its files 0666 (some 0600): the template is an empty database, no one's data, so it is made readable
  // by every user of the install (0755/0644: a bot run by another user than npm ci can copy it) and writable by none
  // but its maker; each copy is narrowed to its owner (copyPgliteTemplate)
  narrowToOwner(building, { dir: 0o755, file: 0o644 });
  if (current(target)) {
    // another install made it meanwhile: keep theirs
    rmSync(building, { recursive: true, force: true });
    return undefined;
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(building, target);
  return target;
}

/**
 * Fills an empty or missing DATA_DIR from the template; false (and PGlite runs initdb itself) when there is no
 * template or the directory holds anything. PG_VERSION is copied last, so an interrupted copy is not taken for a database.
 * cpSync keeps the template's modes, so each entry is narrowed to the owner before PG_VERSION makes the copy a database.
 * A copy that fails (a disk that fills up half way) takes what it copied away again, so the next start finds the folder
 * empty and copies it whole, not a half copy it would leave to PGlite; it throws TemplateCopyFailed, which says why.
 */
export function copyPgliteTemplate(dataDir: string, template = pgliteTemplateDir(), copy: CopyEntry = cpSync): boolean {
  if (!template || !usableTemplate(template) || !isEmptyOrMissing(dataDir)) return false;
  makeOwnerDir(dataDir);
  try {
    for (const name of readdirSync(template)) {
      if (name === 'PG_VERSION' || name === TEMPLATE_MIGRATIONS) continue;
      copy(join(template, name), join(dataDir, name), { recursive: true, mode: constants.COPYFILE_FICLONE });
      narrowToOwner(join(dataDir, name));
    }
    copy(join(template, 'PG_VERSION'), join(dataDir, 'PG_VERSION'));
    narrowToOwner(join(dataDir, 'PG_VERSION'));
  } catch (err) {
    for (const name of readdirSync(dataDir)) if (!OURS.has(name)) rmSync(join(dataDir, name), { recursive: true, force: true });
    throw new TemplateCopyFailed(dataDir, template, err);
  }
  return true;
}

/** How the template's entries are copied: cpSync, or in a test one that fails as a disk filling up does. */
export type CopyEntry = (src: string, dest: string, opts?: Parameters<typeof cpSync>[2]) => void;

/** The bytes of the files under `dir`. */
function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/**
 * A new DATA_DIR the template could not be copied into: one line, Chinese first, saying what failed, that the half copy
 * is gone, and what to do (for a full disk, how much room the copy needs); the English after it in brackets.
 */
export class TemplateCopyFailed extends Error {
  constructor(dataDir: string, template: string, cause: unknown) {
    const dir = resolve(dataDir);
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    const said = String((cause as Error | null)?.message ?? cause).split('\n')[0];
    let needMb: number | undefined;
    try {
      needMb = Math.ceil(sizeOf(template) / (1 << 20)) + 20;
    } catch {
      needMb = undefined;
    }
    const room = fullDiskRoom(dir);
    const left = room === undefined ? '' : `，剩余 ${roomLeft(room)}`;
    const need = needMb === undefined ? '足够的' : `至少 ${needMb} MB `;
    const [what, todo] =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? [`磁盘已满（${code}${left}）`, `请在该磁盘上腾出${need}空间，或把 DATA_DIR 设到另一块磁盘，然后重新运行这条命令`]
        : code === 'EROFS'
          ? [`磁盘是只读的（${code}）`, '请把 DATA_DIR 设到可写的磁盘，或把它重新挂载为可写，然后重新运行这条命令']
          : code === 'EACCES' || code === 'EPERM'
            ? [`当前用户无权写入（${code}）`, '请把 DATA_DIR 设到当前用户可写的文件夹，或以该文件夹的所有者运行，然后重新运行这条命令']
            : [`出错（${code ?? said}）`, '请按括号中的原因处理（磁盘、权限），然后重新运行这条命令'];
    super(`数据目录 ${dir} 未能建成：复制空数据库模板时${what}；已删除复制了一半的文件。${todo}（DATA_DIR ${dir} could not be filled from the empty database's template: ${said}; the partial copy was removed）`, { cause });
  }
}

/** foreign: the folder holds files the bot did not make */
export type WipeOutcome = { wiped: true; dir: string } | { wiped: false; dir: string; reason: string; foreign?: boolean };

/**
 * Empties a DATA_DIR the bot made (it carries the marker) and that no live process holds; anything else is left
 * untouched, so a mistyped path or a user's folder is never emptied.
 */
export function wipeDataDir(dataDir: string): WipeOutcome {
  const dir = resolve(dataDir);
  if (!existsSync(dir)) return { wiped: false, dir, reason: `${dir} does not exist: nothing to wipe` };
  if (readdirSync(dir).length === 0) return { wiped: false, dir, reason: `${dir} is already empty` };
  // a restore cut short before it marked the folder left only its staging folder, the bot's own
  if (!hasMarker(dir) && !isInterruptedRestore(dir)) return { wiped: false, dir, reason: `${dir} has no ${MARKER_FILE}, so the bot did not make it; not touching it`, foreign: true };
  const lock = lockDataDir(dir);
  try {
    // the marker says so first, then PG_VERSION goes: a wipe cut short must not leave what looks like a database with
    // parts of it gone (PGlite aborts on it), only a folder start clears and fills again (claimDataDir: unfinishedFill);
    // the marker goes last, so reset can still finish it
    writeMarker(dir, `${BEING_EMPTIED} since ${new Date().toISOString()}`);
    rmSync(join(dir, 'PG_VERSION'), { force: true });
    for (const name of readdirSync(dir)) if (!OURS.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
    rmSync(join(dir, MARKER_FILE), { force: true });
  } finally {
    lock.release();
  }
  return { wiped: true, dir };
}

/**
 * Where npm run reset keeps a folder's database: beside it, `<DATA_DIR>.before-reset-<UTC time>` (`data.before-reset-
 * 2026-12-06T221500Z`), with `-2`, `-3` … when that is taken.
 */
export function keptFolder(dataDir: string, now: Date = new Date()): string {
  const dir = resolve(dataDir);
  const base = `${dir}.before-reset-${now.toISOString().replace(/[-:]/g, '').replace(/^(\d{4})(\d\d)(\d\d)T(\d{6})\.\d+Z$/, '$1-$2-$3T$4Z')}`;
  let path = base;
  for (let n = 2; existsSync(path); n++) path = `${base}-${n}`;
  return path;
}

/**
 * Whether npm run reset keeps what the folder holds: a database, or a database's files without PG_VERSION (a partial
 * copy, the file deleted: npm start refuses it and says to keep a copy first); not what a template copy or a wipe
 * cut short left (their marker says so), nor a restore cut short (its backup is the copy).
 */
export function worthKeeping(dataDir: string): boolean {
  const dir = resolve(dataDir);
  if (isPgliteDataDir(dir)) return true;
  if (!existsSync(dir) || unfinishedFill(dir) || isInterruptedRestore(dir)) return false;
  return readdirSync(dir).some((n) => !OURS.has(n));
}

/**
 * npm run reset's copy: moves DATA_DIR's database aside, whole, to `kept` (one rename of the folder: nothing is ever
 * split between the two, as moving its files one by one could leave it when killed), then makes DATA_DIR again,
 * empty and the owner's alone. The kept folder is a data folder the bot starts on (`DATA_DIR=<kept> npm start`); the
 * lock this took is removed from it. Refuses (DataDirRefused) while another process holds the folder; throws the
 * rename's error when the folder cannot be moved (a mount point: EBUSY; a parent this user may not write: EACCES).
 */
export function setAsideDataDir(dataDir: string, kept: string): void {
  // a DATA_DIR that is a link (data -> /mnt/disk/gdsz): the folder it names is moved, beside itself, and made again,
  // so the link still leads to the data (renaming the link would leave the new data on the link's disk)
  const dir = realpathSync(resolve(dataDir));
  const lock = lockDataDir(dir);
  try {
    renameSync(dir, kept);
    makeOwnerDir(dir);
    rmSync(join(kept, LOCK_FILE), { force: true });
  } finally {
    lock.release();
  }
}

/** Written by the bot into every DATA_DIR it made: reset empties only folders carrying it, start refuses others. */
export const MARKER_FILE = '.gdsz-bot-data';
/** Held while a process has the folder open: PGlite is one process per data directory. */
export const LOCK_FILE = '.gdsz-bot.lock';
const OURS = new Set([MARKER_FILE, LOCK_FILE]);

/** A DATA_DIR the bot may not use; the message is one line naming the folder and what to do. */
export class DataDirRefused extends Error {}

export const hasMarker = (dir: string) => existsSync(join(dir, MARKER_FILE));

const BEING_EMPTIED = 'being emptied by npm run reset';
const BEING_FILLED = 'being filled from the template';

function writeMarker(dir: string, state: string): void {
  writeFileSync(join(dir, MARKER_FILE), `质量信得过班组助手 local data (PGlite), ${state}; npm run reset empties it\n`, { mode: OWNER_FILE_MODE });
}

/** The marker of a folder a template copy or a reset was cut short in: what it holds besides is the bot's to clear. */
function unfinishedFill(dir: string): boolean {
  try {
    const marker = readFileSync(join(dir, MARKER_FILE), 'utf8');
    return marker.includes(BEING_EMPTIED) || marker.includes(BEING_FILLED);
  } catch {
    return false;
  }
}

/** A folder of the bot's holding files but no PG_VERSION, and no cut-short copy, reset or restore to explain it. */
const incompleteDatabase = (dir: string) =>
  `数据目录 ${dir} 中的数据库不完整（缺少 PG_VERSION 文件，如文件夹只复制了一部分，或这个文件被删除），机器人不会打开它，以免在其上新建空数据库而覆盖其中的数据：请把 DATA_DIR 指向完整的数据文件夹；或先复制一份这个文件夹留存，再运行 npm run reset 清空它，然后用 npm run restore -- <备份文件> 恢复备份（DATA_DIR ${dir} holds database files but no PG_VERSION (a partial copy, or the file deleted); the bot will not start a new empty database over them: point DATA_DIR at the whole folder, or keep a copy of this one, empty it with npm run reset and restore a backup with npm run restore -- <file>）`;

/** Where `npm run restore` unpacks before the files move into DATA_DIR (src/local/backup.ts); PG_VERSION moves last. */
export const RESTORE_STAGING = '.gdsz-bot-restoring';

/** The backup a restore under way (or cut short) is restoring, as its marker records it (src/local/backup.ts). */
export function restoringFrom(dir: string): string | undefined {
  try {
    return /being restored from (.+) at \d{4}-\d\d-\d\dT[\d:.]+Z; npm run reset empties it/.exec(readFileSync(join(dir, MARKER_FILE), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** A restore cut short (killed, the disk full): its staging folder, made before anything slow, is there and PG_VERSION, moved in last, is not. */
export const isInterruptedRestore = (dir: string) => existsSync(join(dir, RESTORE_STAGING)) && !isPgliteDataDir(dir);

/** How often a holder touches its lock file, so a process on another host sharing the folder sees it is still there. */
export const LOCK_REFRESH_MS = 10_000;
/** Another host's lock not touched for this long is stale: its holder is gone (the pid means nothing here). */
export const LOCK_STALE_MS = 60_000;

/** Who holds a folder's lock. host is set only when the holder runs on another host (its pid cannot be checked from here). */
export interface LockHolder {
  pid: number;
  host?: string;
  /** another host's holder: milliseconds since it last touched the lock */
  refreshedAgo?: number;
}

/** For tests: another host name, another clock, other intervals. */
export interface LockOptions {
  host?: string;
  now?: () => number;
  refreshMs?: number;
  staleMs?: number;
  /** When another process took the lock over while this one held it; by default one line and exit 1 (`lockLost`). */
  onLost?: (dir: string, holder: { pid: number; host?: string } | undefined) => void;
}

/** The default of `LockOptions.onLost`: this process no longer holds the folder, and stops before it writes again. */
function lockLost(dir: string, holder: { pid: number; host?: string } | undefined): void {
  const by = holder ? ` by ${describeHolder(holder)}` : '';
  process.stderr.write(`DATA_DIR ${dir}: its lock (${LOCK_FILE}) was taken over${by}; this process stops so that two never write the folder at once. The data it answered before is in the folder.\n`);
  process.exit(1);
}

/** "process 12" on this host, "process 1 on host web-2" on another. */
export const describeHolder = (h: LockHolder) => (h.host ? `process ${h.pid} on host ${h.host}` : `process ${h.pid}`);

interface LockFileRead {
  text: string;
  pid: number;
  /** absent in a lock file holding only a pid */
  host?: string;
  /** the kernel's boot id when it was taken (Linux; absent in older lock files) */
  boot?: string;
  /** the holder's pid namespace (Linux; absent in older lock files): two containers of one host name each have a pid 1 */
  ns?: string;
  /** the holder's start time in clock ticks since boot (/proc/<pid>/stat; absent elsewhere and in older lock files) */
  started?: string;
  mtimeMs: number;
}

/** The lock file as written (pid, host, time, boot id, pid namespace, start time, one a line); undefined when missing or unreadable half-written. */
function readLock(path: string): LockFileRead | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const { mtimeMs } = statSync(path);
    const [pidLine, hostLine, , bootLine, nsLine, startedLine] = text.split('\n');
    const pid = Number.parseInt(pidLine, 10);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return { text, pid, host: hostLine?.trim() || undefined, boot: bootLine?.trim() || undefined, ns: nsLine?.trim() || undefined, started: startedLine?.trim() || undefined, mtimeMs };
  } catch {
    return undefined;
  }
}

/** This process's pid namespace (Linux: pid:[4026531836]); undefined elsewhere. */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid') || undefined;
  } catch {
    return undefined;
  }
}

/** This boot of the machine (Linux: /proc/sys/kernel/random/boot_id); undefined elsewhere. */
function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat): the same for as long as the process
 * lives, whatever the wall clock does. Undefined where there is no /proc (not Linux) or the process is gone.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state …": the command may hold spaces and parentheses, so the fields are counted from the last ')',
    // the state being field 3
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3] || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock's pid now names another process than its holder: taken in an earlier boot of this machine (after a
 * power cut and a reboot pids are given out again; the kernel's boot id), or given to a process started since (after a
 * kill -9 a busy machine reuses the pid: its start time in ticks since boot differs from the one the lock recorded).
 * Linux; elsewhere, and for a lock written without them, false: a live pid counts.
 */
function pidReused(lock: LockFileRead): boolean {
  const boot = bootId();
  if (lock.boot && boot && lock.boot !== boot) return true;
  const started = lock.started && processStartTime(lock.pid);
  return Boolean(started && started !== lock.started);
}

/**
 * The holder of a lock that still counts. On this host: a live process other than this one. From another host
 * (two containers sharing one volume, each with its pid 1): a lock its holder touched within the stale time.
 */
function liveHolder(lock: LockFileRead | undefined, opts: LockOptions): LockHolder | undefined {
  if (!lock) return undefined;
  const here = opts.host ?? hostname();
  // another pid namespace (a container of the same host name: `docker run --network host`, or two machines of one
  // name sharing the folder) cannot be looked at by pid: its pid 1 is not ours, and ours is not it
  const ns = pidNamespace();
  const samePids = !lock.ns || !ns || lock.ns === ns;
  if ((!lock.host || lock.host === here) && samePids) return lock.pid !== process.pid && isAlive(lock.pid) && !pidReused(lock) ? { pid: lock.pid } : undefined;
  const refreshedAgo = (opts.now ?? Date.now)() - lock.mtimeMs;
  return refreshedAgo < (opts.staleMs ?? LOCK_STALE_MS) ? { pid: lock.pid, host: lock.host, refreshedAgo } : undefined;
}

/** Who holds the folder's lock, when the lock still counts; a lock left by a process that is gone is stale. */
export function lockHolderOf(dir: string, opts: LockOptions = {}): LockHolder | undefined {
  return liveHolder(readLock(join(resolve(dir), LOCK_FILE)), opts);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, owned by someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A process that has ended but whose parent has not yet collected it (state Z in /proc/<pid>/stat): the signal check
 * still finds it, so a start right after the bot was killed would otherwise be refused until the parent reaps it.
 * Linux only; elsewhere, and when the file cannot be read, the process counts as alive.
 */
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state …": the command may hold spaces and parentheses, so the state follows the last ')'
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return false;
  }
}

function inUse(dir: string, holder: LockHolder, opts: LockOptions): DataDirRefused {
  // Chinese first, English in brackets, as npm start's other lines (src/main.ts)
  if (!holder.host) {
    return new DataDirRefused(
      `数据目录 ${dir} 正被进程 ${holder.pid} 使用（也许是已经在运行的机器人）：请先停止它，或换一个 DATA_DIR（DATA_DIR ${dir} is in use by process ${holder.pid} (${LOCK_FILE}); stop that process first, or use another DATA_DIR）`,
    );
  }
  const ago = Math.max(0, Math.round((holder.refreshedAgo ?? 0) / 1000));
  const stale = Math.round((opts.staleMs ?? LOCK_STALE_MS) / 1000);
  return new DataDirRefused(
    `数据目录 ${dir} 正被主机 ${holder.host} 上的进程 ${holder.pid} 使用（${ago} 秒前还在更新它的锁；${stale} 秒没有更新的锁会被接管）：请先停止 ${holder.host} 上的机器人，或换一个 DATA_DIR（DATA_DIR ${dir} is in use by ${describeHolder(holder)} (${LOCK_FILE}, refreshed ${ago} s ago); stop the bot on ${holder.host} first, or use another DATA_DIR (a lock not refreshed for ${stale} s is taken over)）`,
  );
}

/** Tries at taking a lock found stale, LOCK_RETRY_MS apart while another process takes it over. */
const LOCK_ATTEMPTS = 40;
const LOCK_RETRY_MS = 25;
/** A takeover guard older than this was left by a process killed while it held it (it holds it a few milliseconds). */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Removes the stale lock `seen` when the lock file is still that one, holding `<lock>.takeover` (created exclusively) while
 * it compares and removes: two processes finding one stale lock could otherwise each remove it, the second removing the
 * lock the first had just written in its place, and both would hold the folder. A lock can only be written where none
 * is, and only the guard's holder removes one, so the lock compared is the lock removed. False when another process
 * holds the guard (the caller waits and looks again).
 */
function removeStaleLock(path: string, seen: LockFileRead | undefined): boolean {
  const guard = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx', OWNER_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(guard).mtimeMs > TAKEOVER_STALE_MS) rmSync(guard, { force: true });
    } catch {
      // gone meanwhile: the takeover ended
    }
    return false;
  }
  try {
    // no lock there: nothing to remove, and nothing may be, since another process can write its lock at any moment
    // (removing "whatever is there" then removed a lock just written: two holders). One that is there stays until the
    // guard's holder removes it, so the lock read below is the lock removed.
    if (!existsSync(path)) return true;
    const now = readLock(path);
    if (now?.text === seen?.text && now?.mtimeMs === seen?.mtimeMs) rmSync(path, { force: true });
    return true;
  } finally {
    closeSync(fd);
    rmSync(guard, { force: true });
  }
}

/**
 * Creates `path` holding `text`, or fails with EEXIST when it exists, never showing it half-written: written beside it,
 * then linked in place (a link fails where a file is). A lock seen empty between its creation and its write was taken
 * for a stale one by another process, which removed it, and both went on holding the folder. Where the file system
 * has no hard links, created exclusively and written.
 */
function createWhole(path: string, text: string): void {
  const beside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  // the write inside the try: on a full disk it fails having made the file empty, which the finally removes (left, the
  // folder held a file the bot did not make, and start, reset and restore all refused it)
  try {
    writeFileSync(beside, text, { mode: OWNER_FILE_MODE, flag: 'wx' });
    try {
      linkSync(beside, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      const fd = openSync(path, 'wx', OWNER_FILE_MODE);
      writeSync(fd, text);
      closeSync(fd);
    }
  } finally {
    rmSync(beside, { force: true });
  }
}

/** Waits without returning to the event loop: the lock is taken before anything else of the process runs. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface DataDirLock {
  dir: string;
  release(): void;
}

/**
 * Takes the folder's lock file (created exclusively, holding our pid, host and time) and touches it every
 * LOCK_REFRESH_MS while held. A stale lock is taken over: its process is gone (this host), or it was not touched
 * for LOCK_STALE_MS (another host). Refuses with one line when the lock still counts.
 */
export function lockDataDir(dataDir: string, opts: LockOptions = {}): DataDirLock {
  const dir = resolve(dataDir);
  const path = join(dir, LOCK_FILE);
  const now = opts.now ?? Date.now;
  const written = `${process.pid}\n${opts.host ?? hostname()}\n${new Date(now()).toISOString()}\n${bootId() ?? ''}\n${pidNamespace() ?? ''}\n${processStartTime(process.pid) ?? ''}\n`;
  makeOwnerDir(dir);
  for (let attempt = 0; ; attempt++) {
    try {
      createWhole(path, written);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const lock = readLock(path);
      const holder = liveHolder(lock, opts);
      if (holder) throw inUse(dir, holder, opts);
      if (attempt >= LOCK_ATTEMPTS) {
        throw new DataDirRefused(`数据目录 ${dir} 的锁未能取得，另一个进程同时在取：请再试一次（DATA_DIR ${dir}: its lock (${LOCK_FILE}) could not be taken, another process kept taking it at the same time; try again）`);
      }
      // stale (or unreadable half-written): removed under the takeover guard, or waited for while another process takes it over
      if (!removeStaleLock(path, lock)) sleepSync(LOCK_RETRY_MS);
    }
  }
  const ours = () => {
    try {
      return readFileSync(path, 'utf8') === written;
    } catch {
      return false;
    }
  };
  const refresh = setInterval(() => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      // removed (by hand, thought stale): taken again at once; another read error is left for the next touch
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
      try {
        createWhole(path, written);
        return;
      } catch {
        text = '';
      }
    }
    if (text === written) {
      try {
        const at = new Date(now());
        utimesSync(path, at, at);
      } catch {
        // a missed touch is made up by the next one; the stale time allows several
      }
      return;
    }
    // another process took the folder over (this one was paused past the stale time, or judged by another clock):
    // two writing one PGlite folder lose data, so this one stops
    clearInterval(refresh);
    (opts.onLost ?? lockLost)(dir, readLock(path));
  }, opts.refreshMs ?? LOCK_REFRESH_MS);
  refresh.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(refresh);
    process.off('exit', release);
    try {
      if (ours()) rmSync(path, { force: true });
    } catch {
      // a folder that turned read-only keeps the lock file; it is stale once this process is gone (its pid, or its age)
    }
  };
  // a process that exits without stopping (process.exit on a second signal) still leaves no lock behind
  process.on('exit', release);
  return { dir, release };
}

/** What a PGlite cluster holds, and nothing else: the folders and files PostgreSQL's initdb makes. */
const PGLITE_ENTRIES = new Set([
  'PG_VERSION', 'base', 'global', 'pg_commit_ts', 'pg_dynshmem', 'pg_hba.conf', 'pg_ident.conf', 'pg_logical', 'pg_multixact', 'pg_notify',
  'pg_replslot', 'pg_serial', 'pg_snapshots', 'pg_stat', 'pg_stat_tmp', 'pg_subtrans', 'pg_tblspc', 'pg_twophase', 'pg_wal', 'pg_xact',
  'postgresql.auto.conf', 'postgresql.conf',
  // left behind by a run that did not stop cleanly (killed, the terminal closed, a failed start)
  'postmaster.pid', 'postmaster.opts',
]);

/** A folder made before the bot wrote its marker: a PGlite cluster and nothing else; it gets the marker at start. */
function isEarlierLocalData(dir: string): boolean {
  return isPgliteDataDir(dir) && readdirSync(dir).every((n) => PGLITE_ENTRIES.has(n) || OURS.has(n));
}

const warnOnStderr = (line: string) => {
  process.stderr.write(`${line}\n`);
};

/** A folder holding files the bot did not make: Chinese first, English in brackets. */
const notOurs = (dir: string) =>
  `数据目录 ${dir} 中有不是机器人建立的文件（没有 ${MARKER_FILE}）：请把 DATA_DIR 设为一个空的或新的文件夹（DATA_DIR ${dir} holds files the bot did not make (no ${MARKER_FILE}); point DATA_DIR at an empty or new folder）`;

/**
 * Makes DATA_DIR ready for PGlite in this process: refuses a folder holding files the bot did not make, takes the
 * lock, writes the marker into a new folder and fills it from the template, and narrows the folder and all in it to
 * its owner (a folder from an earlier version is 0755 with 0666 files); what cannot be narrowed goes to warn.
 * Returns the lock to release after close, which narrows the folder again.
 */
export function claimDataDir(dataDir: string, warn: (line: string) => void = warnOnStderr, copy?: CopyEntry): DataDirLock {
  const dir = resolve(dataDir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new DataDirRefused(`数据目录 ${dir} 是一个文件，不是文件夹：请把 DATA_DIR 设为存放机器人数据的文件夹（DATA_DIR ${dir} is a file, not a folder; point DATA_DIR at a folder for the bot's data）`);
  const foreign = () => {
    // the restore's staging folder is the bot's own; what it left is for restore or reset to finish, not for PGlite
    if (existsSync(dir) && isInterruptedRestore(dir)) {
      const file = restoringFrom(dir) ?? '<file>';
      throw new DataDirRefused(
        `数据目录 ${dir} 中的恢复没有完成（被中断，如进程被结束或磁盘已满），机器人不会打开它：请再运行一次 npm run restore -- ${file} 完成恢复，或运行 npm run reset 清空这个文件夹（DATA_DIR ${dir} holds a restore that was cut short (${RESTORE_STAGING}, no PG_VERSION); run npm run restore -- ${file} again to finish it, or npm run reset to empty the folder）`,
      );
    }
    return existsSync(dir) && !hasMarker(dir) && !isEarlierLocalData(dir) && readdirSync(dir).some((n) => !OURS.has(n));
  };
  if (foreign()) throw new DataDirRefused(notOurs(dir));
  const existed = existsSync(dir);
  const lock = lockDataDir(dir);
  let marked = false;
  try {
    if (foreign()) throw new DataDirRefused(notOurs(dir));
    const fill = !isPgliteDataDir(dir);
    if (fill && !isEmptyOrMissing(dir)) {
      // files without PG_VERSION: PGlite would run initdb over them, and what was a database would open empty. Ours to
      // clear only when the marker says a template copy or a reset was cut short there; anything else is refused
      if (!unfinishedFill(dir)) throw new DataDirRefused(incompleteDatabase(dir));
      for (const name of readdirSync(dir)) if (!OURS.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
    }
    marked = !hasMarker(dir);
    if (fill) writeMarker(dir, `being filled from the template since ${new Date().toISOString()}`);
    else if (marked) writeMarker(dir, `made ${new Date().toISOString()}`);
    try {
      copyPgliteTemplate(dir, undefined, copy);
      if (fill) writeMarker(dir, `made ${new Date().toISOString()}`);
    } catch (err) {
      // the half copy is gone (copyPgliteTemplate); the folder goes back to how it was: a new one removed, the
      // marker written now taken away from one made beforehand (a mount point). The lock is let go after that, below:
      // let go first, another start could take it and have its lock and marker removed with the folder
      if (!existed) rmSync(dir, { recursive: true, force: true });
      else if (marked) rmSync(join(dir, MARKER_FILE), { force: true });
      throw err;
    }
    narrowDataDir(dir, warn);
    // what PGlite made while it ran (pg_internal.init as the umask says, initdb's files 0666 when there was no
    // template) is narrowed at release too, after the database is closed; what fails was said at the claim
    return {
      dir: lock.dir,
      release: () => {
        narrowToOwner(dir);
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
