import { existsSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { type Database, DatabaseAhead, fullDiskRoom, openDatabase, roomLeft, storageFailure } from '../../db/index.js';
import { claimDataDir, type DataDirLock, DataDirRefused, TemplateCopyFailed } from './dataDir.js';
import { databaseUrlProblem } from '../log.js';

/**
 * The one line for a file error DATA_DIR is to blame for, undefined for any other: a path that is no folder (ENOTDIR,
 * EEXIST), a folder no one may write (EACCES, EROFS), a full disk, a mount gone from under it. `again` ends the advice
 * for a full disk: npm start's "start again", a script's "run npm run import again"; `outcome` follows the cause (a
 * script's "nothing was imported").
 */
export function dataDirProblem(err: unknown, dataDir: string, again = 'start again', outcome?: string): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null | undefined;
  const code = e?.code ?? e?.cause?.code;
  const then = outcome ? `; ${outcome}` : '';
  const at = (e as { path?: string })?.path ?? (e?.cause as { path?: string } | undefined)?.path;
  const why = code === undefined ? undefined : folderProblem(code, at ?? dataDir);
  if (why) return `DATA_DIR ${dataDir} cannot hold the database: ${why.meaning} (${code})${then}; ${why.todo}, then ${again}`;
  // a folder on a mount that is gone (a dangling link), a parent that is missing, a place no one may write (EPERM): the
  // data folder's when the path is in it or on the way to it
  const path = (e as { path?: string })?.path ?? (e?.cause as { path?: string } | undefined)?.path;
  // a full disk: the data folder's when the path is on the way to it (a copy's `dest` too), or when the error names no
  // path (a write to a file already open, the lock's) and the data folder's disk is (nearly) full
  if (code === 'ENOSPC') {
    const dest = (e as { dest?: string })?.dest ?? (e?.cause as { dest?: string } | undefined)?.dest;
    const room = fullDiskRoom(dataDir);
    if ([path, dest].some((p) => p !== undefined && onTheWay(p, dataDir)) || (path === undefined && room !== undefined)) {
      // Chinese first, English in brackets, as npm start's other lines (src/main.ts)
      const left = room === undefined ? '' : `，剩余 ${roomLeft(room)}`;
      return `数据目录 ${dataDir} 所在的磁盘已满（ENOSPC${left}）：请在该磁盘上腾出空间，${againZh(again)}（DATA_DIR ${dataDir} cannot hold the database: the disk it is on is full (${room === undefined ? 'ENOSPC' : `${roomLeft(room)} left`})${then}; free space on it, then ${again}）`;
    }
  }
  if ((code === 'ENOENT' || code === 'EPERM' || code === 'ELOOP') && path !== undefined && onTheWay(path, dataDir)) {
    return `DATA_DIR ${dataDir} cannot hold the database (${code} at ${path})${then}`;
  }
  return undefined;
}

/**
 * For a command-line script on local mode's PGlite (npm run import, job, demo): what DATA_DIR's folder or disk did to
 * it, in one line as npm start says it, rather than a stack: unusable when it was opened (read-only, under a file, a
 * full disk), or a write its disk refused while the script ran; `outcome` says what that left undone, by default that
 * what was answered before is safe. Undefined for any other error.
 */
export function dataDirFailure(err: unknown, dataDir: string, again: string, outcome?: string): string | undefined {
  const problem = dataDirProblem(err, dataDir, again, outcome);
  if (problem !== undefined) return problem;
  const stored = storageFailure(err);
  if (stored === undefined) return undefined;
  return `DATA_DIR ${dataDir} can no longer be written (${stored}); ${outcome ?? 'the data up to the last change answered is safe'}; free space on its disk, or make it writable again (remount), then ${again}`;
}

/** `again` in Chinese: npm start's "start again", any script's "run … again". */
const againZh = (again: string) => (again === 'start again' ? '然后重新启动' : '然后重新运行这条命令');

/** Whether `path` is the data folder, inside it, or one of the folders above it. */
function onTheWay(path: string, dataDir: string): boolean {
  const p = resolve(path);
  const d = resolve(dataDir);
  return p === d || p.startsWith(d + sep) || d.startsWith(p === sep ? p : p + sep);
}

export interface ScriptDatabase {
  database: Database;
  /** Ends the script with DATA_DIR's one line when `err` is DATA_DIR's failure (see openScriptDatabase); throws any other on. */
  failed(err: unknown): never;
  /** Closes the database, then lets DATA_DIR go. */
  close(): Promise<void>;
}

/**
 * For a command-line script (npm run import, npm run job): DATA_DIR's lock (PGlite is one process per folder: while a
 * bot holds it this is refused, two writers corrupt it) and the database, opened as the bot opens it. When DATA_DIR
 * fails the script, at the claim, the opening or a write while it runs, the script ends (code 1) with one line naming
 * the folder and what to do, then `outcome` when it says something ("nothing was imported"); a refusal (in use, not
 * the bot's, migrated by a newer version) is its own line alone. On PostgreSQL there is no lock.
 */
export async function openScriptDatabase(
  config: { DATABASE_URL?: string; DATA_DIR: string },
  script: { again: string; outcome?: () => string | undefined },
): Promise<ScriptDatabase> {
  const failed = (err: unknown): never => {
    let line: string | undefined;
    if (err instanceof DataDirRefused || err instanceof DatabaseAhead || err instanceof TemplateCopyFailed) line = err.message;
    else if (!config.DATABASE_URL) line = dataDirFailure(err, config.DATA_DIR, script.again, script.outcome?.());
    if (line === undefined) throw err;
    process.stderr.write(`${line}\n`);
    // not closed: after a write the disk refused, PGlite's next statement never returns (db/index.ts
    // stopOnStorageFailure); the lock goes at exit
    process.exit(1);
  };
  let lock: DataDirLock | undefined;
  try {
    if (!config.DATABASE_URL) lock = claimDataDir(config.DATA_DIR);
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, onStorageFailure: (_line, err) => failed(err) });
    return {
      database,
      failed,
      close: async () => {
        await database.close();
        lock?.release();
      },
    };
  } catch (err) {
    // PostgreSQL not reached or refusing (a wrong password, host or port): one line naming DATABASE_URL without its
    // password, as npm start says it (src/startup.ts), not a stack (getaddrinfo ENOTFOUND could name a piece of a
    // password with an @ in it)
    if (config.DATABASE_URL && !(err instanceof DataDirRefused || err instanceof DatabaseAhead)) {
      process.stderr.write(`${databaseUrlProblem(err, config.DATABASE_URL)}; ${script.again}\n`);
      process.exit(1);
    }
    return failed(err);
  }
}

/** A file error as one line, its code first ("EROFS: read-only file system, open '…'"): what npm run backup, reset and restore say in place of a stack. */
export function fileErrorLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException | null | undefined;
  const said = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err);
  return `${e?.code && !said.startsWith(e.code) ? `${e.code} ` : ''}${said}`;
}

/**
 * What a file error on the way to a folder means and what to do about it, for one line: a read-only file system, a user
 * who may not write there, a file where a folder should be. Undefined for any other code.
 */
function folderProblem(code: string, path: string): { meaning: string; todo: string } | undefined {
  if (code === 'EROFS') return { meaning: 'the file system it is on is read-only', todo: 'choose a DATA_DIR on a writable disk, or remount it writable' };
  if (code === 'EACCES') return { meaning: 'this user may not write there', todo: "choose a DATA_DIR this user can write, or run the bot as the folder's owner" };
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    const file = fileInTheWay(path);
    return { meaning: file ? `a file named ${file} is in the way (a folder is needed there)` : 'a file is in the way where a folder is needed', todo: 'move that file, or choose another DATA_DIR' };
  }
  return undefined;
}

/** The file (not a folder) nearest to `path` on the way to it: where a folder of the path should be. */
function fileInTheWay(path: string): string | undefined {
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      if (existsSync(p) && !statSync(p).isDirectory()) return p;
    } catch {
      return undefined;
    }
    if (p === dirname(p)) return undefined;
  }
}

/**
 * For npm run backup, reset and restore: a file error as one line saying what it means and what to do (a read-only
 * DATA_DIR: "DATA_DIR … cannot be written: the file system it is on is read-only (EROFS at …/.gdsz-bot.lock…); choose
 * a DATA_DIR on a writable disk, or remount it writable, then run npm run reset again"); other errors as fileErrorLine
 * says them, then `otherwise`.
 */
export function scriptFileFailure(err: unknown, dataDir: string, again: string, otherwise: string): string {
  const e = err as NodeJS.ErrnoException | null | undefined;
  const path = e?.path;
  const why = e?.code && (path === undefined || onTheWay(path, dataDir)) ? folderProblem(e.code, path ?? dataDir) : undefined;
  if (!why) return `${fileErrorLine(err)}; ${otherwise}, then ${again}`;
  return `DATA_DIR ${dataDir} cannot be written: ${why.meaning} (${e!.code}${path ? ` at ${path}` : ''}); ${why.todo}, then ${again}`;
}
