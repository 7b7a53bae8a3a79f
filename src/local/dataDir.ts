import { closeSync, constants, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/**
 * PGlite's initdb on an empty DATA_DIR takes 3–5 s on a 2-core machine, most of a first start. `npm ci` makes
 * one initialised (empty, unmigrated) data directory per PGlite version under node_modules/.cache, and a
 * first start copies it: a fraction of a second. Migrations still run on every start, as before.
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

/** node_modules/.cache/gdsz-bot/pglite-<version>, next to the installed PGlite. */
export function pgliteTemplateDir(): string | undefined {
  const version = pgliteVersion();
  if (!version) return undefined;
  const main = require.resolve('@electric-sql/pglite');
  const nodeModules = main.slice(0, main.lastIndexOf('node_modules') + 'node_modules'.length);
  return join(nodeModules, '.cache', 'gdsz-bot', `pglite-${version}`);
}

/** A PGlite (PostgreSQL) data directory: PG_VERSION is what PGlite itself looks for. */
export const isPgliteDataDir = (dir: string) => existsSync(join(dir, 'PG_VERSION'));

/** Nothing but the bot's own marker and lock. */
const isEmptyOrMissing = (dir: string) => !existsSync(dir) || readdirSync(dir).every((n) => OURS.has(n));

/** Runs initdb once into the template directory (install time); returns it, or undefined when there is one already. */
export async function buildPgliteTemplate(): Promise<string | undefined> {
  const target = pgliteTemplateDir();
  if (!target || isPgliteDataDir(target)) return undefined;
  const building = `${target}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = new PGlite(building);
  await pg.waitReady;
  await pg.close();
  if (isPgliteDataDir(target)) {
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
 */
export function copyPgliteTemplate(dataDir: string): boolean {
  const template = pgliteTemplateDir();
  if (!template || !isPgliteDataDir(template) || !isEmptyOrMissing(dataDir)) return false;
  mkdirSync(dataDir, { recursive: true });
  for (const name of readdirSync(template)) {
    if (name === 'PG_VERSION') continue;
    cpSync(join(template, name), join(dataDir, name), { recursive: true, mode: constants.COPYFILE_FICLONE });
  }
  cpSync(join(template, 'PG_VERSION'), join(dataDir, 'PG_VERSION'));
  return true;
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
  if (!hasMarker(dir)) return { wiped: false, dir, reason: `${dir} has no ${MARKER_FILE}, so the bot did not make it; not touching it`, foreign: true };
  const lock = lockDataDir(dir);
  try {
    // the marker goes last: a wipe cut short leaves a folder reset can still finish
    for (const name of readdirSync(dir)) if (!OURS.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
    rmSync(join(dir, MARKER_FILE), { force: true });
  } finally {
    lock.release();
  }
  return { wiped: true, dir };
}

/** Written by the bot into every DATA_DIR it made: reset empties only folders carrying it, start refuses others. */
export const MARKER_FILE = '.gdsz-bot-data';
/** Held while a process has the folder open: PGlite is one process per data directory. */
export const LOCK_FILE = '.gdsz-bot.lock';
const OURS = new Set([MARKER_FILE, LOCK_FILE]);

/** A DATA_DIR the bot may not use; the message is one line naming the folder and what to do. */
export class DataDirRefused extends Error {}

export const hasMarker = (dir: string) => existsSync(join(dir, MARKER_FILE));

/** The process holding the folder's lock, when that process is alive; a lock left by a dead process is stale. */
export function lockHolder(dir: string): number | undefined {
  const pid = lockPid(join(resolve(dir), LOCK_FILE));
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

function lockPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').split('\n')[0], 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  dir: string;
  release(): void;
}

/**
 * Takes the folder's lock file (created exclusively, holding our pid); a lock whose process is gone is stale and
 * taken over. Refuses with one line when a live process holds it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  const path = join(dir, LOCK_FILE);
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      const pid = lockPid(path);
      if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
        throw new DataDirRefused(`DATA_DIR ${dir} is in use by process ${pid} (${LOCK_FILE}); stop that process first, or use another DATA_DIR`);
      }
      // stale: its process is gone (or the file is unreadable half-written); re-read just before removing it
      if (lockPid(path) === pid) rmSync(path, { force: true });
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (lockPid(path) === process.pid) rmSync(path, { force: true });
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

/**
 * Makes DATA_DIR ready for PGlite in this process: refuses a folder holding files the bot did not make, takes the
 * lock, writes the marker into a new folder and fills it from the template. Returns the lock to release after close.
 */
export function claimDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new DataDirRefused(`DATA_DIR ${dir} is a file, not a folder; point DATA_DIR at a folder for the bot's data`);
  const foreign = () => existsSync(dir) && !hasMarker(dir) && !isEarlierLocalData(dir) && readdirSync(dir).some((n) => !OURS.has(n));
  if (foreign()) throw new DataDirRefused(`DATA_DIR ${dir} holds files the bot did not make (no ${MARKER_FILE}); point DATA_DIR at an empty or new folder`);
  const lock = lockDataDir(dir);
  try {
    if (foreign()) throw new DataDirRefused(`DATA_DIR ${dir} holds files the bot did not make (no ${MARKER_FILE}); point DATA_DIR at an empty or new folder`);
    if (!hasMarker(dir)) writeFileSync(join(dir, MARKER_FILE), `质量信得过班组助手 local data (PGlite), made ${new Date().toISOString()}; npm run reset empties it\n`);
    copyPgliteTemplate(dir);
    return lock;
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * For a command-line script (npm run job, npm run import): the data folder's lock when the database is PGlite's (one
 * process per folder: two writers corrupt it), none on PostgreSQL; a folder in use ends the script with its one line.
 */
export function claimDataDirOrExit(config: { DATABASE_URL?: string; DATA_DIR: string }): DataDirLock | undefined {
  if (config.DATABASE_URL) return undefined;
  try {
    return claimDataDir(config.DATA_DIR);
  } catch (err) {
    if (!(err instanceof DataDirRefused)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
