import { resolve, sep } from 'node:path';
import { DatabaseAhead, fullDiskRoom, roomLeft } from '../db/index.js';
import { CertificateSetupError } from './certificates/render.js';
import type { Config } from './config.js';
import { DataDirRefused } from './local/dataDir.js';
import { safeDatabaseUrl, withoutDatabasePassword } from './log.js';

/** One line naming the variable behind a failed start, where one is to blame. */
export function startupProblem(err: unknown, c: Config): string {
  // the database is reachable and whole, only newer than the code: neither DATABASE_URL nor DATA_DIR is to blame
  if (err instanceof DataDirRefused || err instanceof DatabaseAhead) return err.message;
  // CERTIFICATE_TEMPLATE or CERTIFICATE_FONT, named by the message (not the database's fault though it is configured)
  if (err instanceof CertificateSetupError) return err.message;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = (e?.cause?.message ?? e?.message ?? String(err)).split('\n')[0];
  const syscall = (e as { syscall?: string })?.syscall ?? (e?.cause as { syscall?: string } | undefined)?.syscall;
  // EACCES is the port's only from listen(); from a file it is the data folder's
  if (code === 'EADDRINUSE' || (code === 'EACCES' && syscall === 'listen')) return `PORT ${c.PORT} on HOST ${c.HOST} cannot be used (${code})`;
  // a name that does not resolve is HOST's when it is HOST's name (getaddrinfo's error carries it) and not the database's too
  const hostname = (e as { hostname?: string })?.hostname ?? (e?.cause as { hostname?: string } | undefined)?.hostname;
  const hostsName = hostname !== undefined && hostname === c.HOST && hostname !== databaseHost(c.DATABASE_URL);
  if (code === 'EADDRNOTAVAIL' || ((code === 'ENOTFOUND' || code === 'EAI_AGAIN') && (!c.DATABASE_URL || hostsName))) return `HOST ${c.HOST} is not an address of this machine (${code})`;
  if (c.DATABASE_URL) return `DATABASE_URL ${safeDatabaseUrl(c.DATABASE_URL)} cannot be used: ${withoutDatabasePassword(message, c.DATABASE_URL)}`;
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EACCES' || code === 'EROFS') return `DATA_DIR ${c.DATA_DIR} cannot hold the database (${code})`;
  // a folder on a mount that is gone (a dangling link), a parent that is missing, a place no one may write (EPERM): the
  // data folder's when the path is in it or on the way to it, else what it says
  const path = (e as { path?: string })?.path ?? (e?.cause as { path?: string } | undefined)?.path;
  // a full disk: the data folder's when the path is on the way to it (a copy's `dest` too), or when the error names no
  // path (a write to a file already open, the lock's) and the data folder's disk is (nearly) full
  if (code === 'ENOSPC') {
    const dest = (e as { dest?: string })?.dest ?? (e?.cause as { dest?: string } | undefined)?.dest;
    const room = fullDiskRoom(c.DATA_DIR);
    if ([path, dest].some((p) => p !== undefined && onTheWay(p, c.DATA_DIR)) || (path === undefined && room !== undefined)) {
      return `DATA_DIR ${c.DATA_DIR} cannot hold the database: the disk it is on is full (${room === undefined ? 'ENOSPC' : `${roomLeft(room)} left`}); free space on it, then start again`;
    }
  }
  if ((code === 'ENOENT' || code === 'EPERM' || code === 'ELOOP') && path !== undefined && onTheWay(path, c.DATA_DIR)) {
    return `DATA_DIR ${c.DATA_DIR} cannot hold the database (${code} at ${path})`;
  }
  return message;
}

/** Whether `path` is the data folder, inside it, or one of the folders above it. */
function onTheWay(path: string, dataDir: string): boolean {
  const p = resolve(path);
  const d = resolve(dataDir);
  return p === d || p.startsWith(d + sep) || d.startsWith(p === sep ? p : p + sep);
}

function databaseHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
