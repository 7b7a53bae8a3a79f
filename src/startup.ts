import { DatabaseAhead, DatabaseUnreadable } from '../db/index.js';
import { CertificateSetupError } from './certificates/render.js';
import type { Config } from './config.js';
import { DataDirRefused, TemplateCopyFailed } from './local/dataDir.js';
import { databaseAheadLine, dataDirProblem, unreadableDatabaseLine } from './local/dataDirFailure.js';
import { databaseUrlProblem } from './log.js';

/** What begins the one line on stderr of a start that failed (npm start, scripts/start.mjs's build): Chinese first. */
export const STARTUP_ERROR = '启动失败（start-up error）：';

/** One line naming the variable behind a failed start, where one is to blame. */
export function startupProblem(err: unknown, c: Config): string {
  // the database is reachable and whole, only newer than the code: neither DATABASE_URL nor DATA_DIR is to blame
  // a new DATA_DIR the template could not be copied into says what failed and what to do itself, in Chinese
  if (err instanceof DatabaseAhead) return databaseAheadLine(err);
  // a database PGlite cannot open (damaged, another PostgreSQL version's): which, and what to do, not PGlite's `Aborted()`
  if (err instanceof DatabaseUnreadable) return unreadableDatabaseLine(err);
  if (err instanceof DataDirRefused || err instanceof TemplateCopyFailed) return err.message;
  // CERTIFICATE_TEMPLATE or CERTIFICATE_FONT, named by the message (not the database's fault though it is configured)
  if (err instanceof CertificateSetupError) return err.message;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = (e?.cause?.message ?? e?.message ?? String(err)).split('\n')[0];
  const syscall = (e as { syscall?: string })?.syscall ?? (e?.cause as { syscall?: string } | undefined)?.syscall;
  // EACCES is the port's only from listen(); from a file it is the data folder's
  const otherPort = c.PORT === 3001 ? 3002 : 3001;
  // the port's two lines, the ones a person starting the bot twice (or on port 80) meets: Chinese first
  if (code === 'EADDRINUSE') {
    return `端口 ${c.PORT} 已被另一个程序占用（也许是已经在运行的机器人）：请先停止它，或换一个端口，如 PORT=${otherPort}（PORT ${c.PORT} on HOST ${c.HOST} cannot be used: another program listens there (EADDRINUSE); stop it, or set another port (PORT=${otherPort})）`;
  }
  if (code === 'EACCES' && syscall === 'listen') {
    return `没有权限监听端口 ${c.PORT}（1024 以下的端口需要管理员权限）：请设 PORT=3000 或 1024 以上的其他端口（PORT ${c.PORT} on HOST ${c.HOST} cannot be used: this user may not listen there (EACCES; ports below 1024 need administrator rights); set PORT=3000 or another port from 1024 up）`;
  }
  // a name that does not resolve is HOST's when it is HOST's name (getaddrinfo's error carries it) and not the database's too
  const hostname = (e as { hostname?: string })?.hostname ?? (e?.cause as { hostname?: string } | undefined)?.hostname;
  const hostsName = hostname !== undefined && hostname === c.HOST && hostname !== databaseHost(c.DATABASE_URL);
  if (code === 'EADDRNOTAVAIL' || ((code === 'ENOTFOUND' || code === 'EAI_AGAIN') && (!c.DATABASE_URL || hostsName))) return `HOST ${c.HOST} is not an address of this machine (${code})`;
  if (c.DATABASE_URL) return databaseUrlProblem(err, c.DATABASE_URL);
  // the data folder's when it is the folder (or its disk) at fault; else what it says
  return dataDirProblem(err, c.DATA_DIR) ?? message;
}

function databaseHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
