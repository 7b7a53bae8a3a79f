import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { type Again, againSaid, type Database, DatabaseAhead, DatabaseUnreadable, fullDiskLine, fullDiskRoom, openDatabase, storageFailure } from '../../db/index.js';
import { claimDataDir, type DataDirLock, DataDirRefused, pgliteTemplateDir, TemplateCopyFailed } from './dataDir.js';
import { databaseUrlProblem } from '../log.js';

/**
 * A database a newer version of the bot migrated, refused at start and by the scripts: Chinese first, the English line
 * naming the migration in brackets, as npm start's other lines.
 */
export function databaseAheadLine(err: DatabaseAhead): string {
  return `数据库已被更新版本的机器人迁移过，这个版本不能打开它：请运行那个更新的版本，或恢复用这个版本做的备份（${err.message}）`;
}

/** The PostgreSQL major version a data folder's PG_VERSION names ("18"), undefined when it cannot be read. */
function pgVersionOf(dir: string | undefined): string | undefined {
  if (!dir) return undefined;
  try {
    return readFileSync(join(dir, 'PG_VERSION'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A database PGlite could not open (DatabaseUnreadable): one line, Chinese first, saying which folder, why it may be
 * (another PostgreSQL version's, by PG_VERSION against the installed template's; else damaged), that nothing in it was
 * removed, and what to do: keep a copy, then restore a backup into a new folder or reset. PGlite's own words (`Aborted()`)
 * follow in the English.
 */
export function unreadableDatabaseLine(err: DatabaseUnreadable): string {
  const dir = resolve(err.dataDir);
  const theirs = pgVersionOf(dir);
  const ours = pgVersionOf(pgliteTemplateDir());
  const keep = `cp -a "${dir}" "${dir}.copy"`;
  if (theirs && ours && theirs !== ours) {
    return `数据目录 ${dir} 中的数据库打不开：它是 PostgreSQL ${theirs} 的数据库（PG_VERSION），这个版本的机器人内置的 PGlite 是 PostgreSQL ${ours}；机器人没有删除其中的任何文件。请用建立它的那个版本的机器人运行它，或把 DATA_DIR 设为另一个文件夹（DATA_DIR ${dir}: the database could not be opened (${err.said}): it is a PostgreSQL ${theirs} database (PG_VERSION) and this version's PGlite is PostgreSQL ${ours}; nothing in it was removed. Open it with the version of the bot that made it, or point DATA_DIR at another folder）`;
  }
  return `数据目录 ${dir} 中的数据库打不开，可能已损坏（如断电、磁盘出错，或文件夹只复制了一部分）；机器人没有删除其中的任何文件。请先把这个文件夹复制一份留存（${keep}），再把最近的备份恢复到一个新的文件夹（DATA_DIR=<新文件夹> npm run restore -- <备份文件>），然后用这个 DATA_DIR 启动；没有备份时，npm run reset 清空它，从头开始（DATA_DIR ${dir}: the database could not be opened (PGlite: ${err.said}); it may be damaged (a power cut, a failing disk, a partial copy); nothing in it was removed. Keep a copy of the folder (${keep}), then restore your latest backup into a new folder (DATA_DIR=<new folder> npm run restore -- <file>) and start with that DATA_DIR; with no backup, npm run reset empties it to start over）`;
}

/** What a script's failure left undone, said in both languages ("nothing was imported"), for the end of its line. */
export interface Outcome {
  zh: string;
  en: string;
}

/** A script's outcome when it names none: what was answered before is safe. */
const SAFE: Outcome = { zh: '已答复的改动都已保存', en: 'the data up to the last change answered is safe' };

/**
 * The one line for a file error DATA_DIR is to blame for, undefined for any other: a path that is no folder (ENOTDIR,
 * EEXIST), a folder no one may write (EACCES, EROFS), a full disk, a mount gone from under it. Chinese first, English
 * in brackets, as npm start's other lines. `again` ends the advice: npm start's { start }, a script's
 * { run: 'npm run import' }; `outcome` follows the cause (a script's "nothing was imported").
 */
export function dataDirProblem(err: unknown, dataDir: string, again: Again = { start: true }, outcome?: Outcome): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null | undefined;
  const code = e?.code ?? e?.cause?.code;
  const then = outcome ? `; ${outcome.en}` : '';
  const thenZh = outcome ? `；${outcome.zh}` : '';
  const at = (e as { path?: string })?.path ?? (e?.cause as { path?: string } | undefined)?.path;
  const why = code === undefined ? undefined : folderProblem(code, at ?? dataDir);
  const said = againSaid(again);
  if (why) {
    return `数据目录 ${dataDir} 无法存放数据库：${why.zh.meaning}（${code}）${thenZh}。${why.zh.todo}，${said.zh}（DATA_DIR ${dataDir} cannot hold the database: ${why.meaning} (${code})${then}; ${why.todo}, then ${said.en}）`;
  }
  // a folder on a mount that is gone (a dangling link), a parent that is missing, a place no one may write (EPERM): the
  // data folder's when the path is in it or on the way to it
  const path = (e as { path?: string })?.path ?? (e?.cause as { path?: string } | undefined)?.path;
  // a full disk: the data folder's when the path is on the way to it (a copy's `dest` too), or when the error names no
  // path (a write to a file already open, the lock's) and the data folder's disk is (nearly) full
  if (code === 'ENOSPC') {
    const dest = (e as { dest?: string })?.dest ?? (e?.cause as { dest?: string } | undefined)?.dest;
    const room = fullDiskRoom(dataDir);
    if ([path, dest].some((p) => p !== undefined && onTheWay(p, dataDir)) || (path === undefined && room !== undefined)) return fullDiskLine(dataDir, room, again, outcome);
  }
  if ((code === 'ENOENT' || code === 'EPERM' || code === 'ELOOP') && path !== undefined && onTheWay(path, dataDir)) {
    return `数据目录 ${dataDir} 无法存放数据库：${code === 'EPERM' ? '无权访问' : '找不到'} ${path}（${code}）${thenZh}（DATA_DIR ${dataDir} cannot hold the database (${code} at ${path})${then}）`;
  }
  return undefined;
}

/**
 * For a command-line script on local mode's PGlite (npm run import, job, demo): what DATA_DIR's folder or disk did to
 * it, in one line as npm start says it, rather than a stack: unusable when it was opened (read-only, under a file, a
 * full disk), or a write its disk refused while the script ran; `outcome` says what that left undone, by default that
 * what was answered before is safe. Undefined for any other error.
 */
export function dataDirFailure(err: unknown, dataDir: string, again: Again, outcome?: Outcome): string | undefined {
  if (err instanceof DatabaseUnreadable) return unreadableDatabaseLine(err);
  const problem = dataDirProblem(err, dataDir, again, outcome);
  if (problem !== undefined) return problem;
  const stored = storageFailure(err);
  if (stored === undefined) return undefined;
  const left = outcome ?? SAFE;
  const said = againSaid(again);
  return `数据目录 ${dataDir} 已无法写入（${stored}）；${left.zh}。请在磁盘上腾出空间，或把它重新挂载为可写，${said.zh}（DATA_DIR ${dataDir} can no longer be written (${stored}); ${left.en}; free space on its disk, or make it writable again (remount), then ${said.en}）`;
}

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
  script: { again: Again; outcome?: () => Outcome | undefined },
): Promise<ScriptDatabase> {
  const failed = (err: unknown): never => {
    let line: string | undefined;
    if (err instanceof DatabaseAhead) line = databaseAheadLine(err);
    else if (err instanceof DatabaseUnreadable) line = unreadableDatabaseLine(err);
    else if (err instanceof DataDirRefused || err instanceof TemplateCopyFailed) line = err.message;
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
    if (config.DATABASE_URL && !(err instanceof DataDirRefused || err instanceof DatabaseAhead || err instanceof DatabaseUnreadable)) {
      process.stderr.write(`${databaseUrlProblem(err, config.DATABASE_URL)}; ${againSaid(script.again).en}\n`);
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
 * What a file error on the way to a folder means and what to do about it, for one line, in English and in Chinese
 * (`zh`): a read-only file system, a user who may not write there, a file where a folder should be. Undefined for any
 * other code.
 */
function folderProblem(code: string, path: string): { meaning: string; todo: string; zh: { meaning: string; todo: string } } | undefined {
  if (code === 'EROFS') {
    return {
      meaning: 'the file system it is on is read-only',
      todo: 'choose a DATA_DIR on a writable disk, or remount it writable',
      zh: { meaning: '所在的文件系统是只读的', todo: '请把 DATA_DIR 设到可写的磁盘，或把它重新挂载为可写' },
    };
  }
  if (code === 'EACCES') {
    return {
      meaning: 'this user may not write there',
      todo: "choose a DATA_DIR this user can write, or run the bot as the folder's owner",
      zh: { meaning: '当前用户无权写入', todo: '请把 DATA_DIR 设到当前用户可写的文件夹，或以该文件夹的所有者运行' },
    };
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    const file = fileInTheWay(path);
    return {
      meaning: file ? `a file named ${file} is in the way (a folder is needed there)` : 'a file is in the way where a folder is needed',
      todo: 'move that file, or choose another DATA_DIR',
      zh: { meaning: file ? `文件 ${file} 挡在了需要文件夹的位置` : '需要文件夹的位置有一个文件', todo: '请移走这个文件，或换一个 DATA_DIR' },
    };
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
 * For npm run backup, reset and restore: the one line of a script that failed on a file error, `failed` ("reset failed")
 * first. A folder on the way to DATA_DIR that cannot be written (read-only, not this user's, a file in the way) and a
 * full disk are said Chinese first, English in brackets, as npm start's lines: "重置失败：数据目录 … 无法写入：所在的
 * 文件系统是只读的（EROFS，位于 …/.gdsz-bot.lock…）。请把 DATA_DIR 设到可写的磁盘，或把它重新挂载为可写，然后重新运行
 * npm run reset（reset failed: DATA_DIR … cannot be written: the file system it is on is read-only (EROFS at …); choose
 * a DATA_DIR on a writable disk, or remount it writable, then run npm run reset again.）". Other errors as fileErrorLine
 * says them, then `otherwise`, in English.
 */
export function scriptFileFailure(
  err: unknown,
  dataDir: string,
  script: { failed: { zh: string; en: string }; again: Again; otherwise: string; unwritable?: { zh: string; en: string } },
): string {
  const e = err as NodeJS.ErrnoException | null | undefined;
  const path = e?.path;
  const code = e?.code;
  const again = againSaid(script.again);
  const inDataDir = path === undefined || onTheWay(path, dataDir);
  const why = code && inDataDir ? folderProblem(code, path ?? dataDir) : undefined;
  // what to do instead of moving DATA_DIR, for a script that only reads the data (a backup made to rescue it)
  if (why && script.unwritable && (code === 'EROFS' || code === 'EACCES')) {
    return `${script.failed.zh}：数据目录 ${dataDir} 无法写入：${why.zh.meaning}（${code}${path ? `，位于 ${path}` : ''}）。${script.unwritable.zh}（${script.failed.en}: DATA_DIR ${dataDir} cannot be written: ${why.meaning} (${code}${path ? ` at ${path}` : ''}); ${script.unwritable.en}.）`;
  }
  if (why) {
    return `${script.failed.zh}：数据目录 ${dataDir} 无法写入：${why.zh.meaning}（${code}${path ? `，位于 ${path}` : ''}）。${why.zh.todo}，${again.zh}（${script.failed.en}: DATA_DIR ${dataDir} cannot be written: ${why.meaning} (${code}${path ? ` at ${path}` : ''}); ${why.todo}, then ${again.en}.）`;
  }
  const english = `${script.failed.en}: ${fileErrorLine(err)}; ${script.otherwise}, then ${again.en}.`;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    // the data folder's disk, or the disk of the file written (a backup's archive); a write to an open file names none
    const where = path === undefined ? '' : inDataDir ? `数据目录 ${dataDir} ` : `${path} `;
    return `${script.failed.zh}：${where}所在的磁盘已满（${code}）。请在该磁盘上腾出空间，${again.zh}（${english}）`;
  }
  return english;
}
