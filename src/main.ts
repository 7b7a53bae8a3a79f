import { startBot } from './app.js';
import { type Config, configOrExit, wsAppIdProblem } from './config.js';
import { DataDirRefused } from './local/dataDir.js';
import { resetLocalData } from './local/reset.js';
import { createLogger, safeDatabaseUrl } from './log.js';

const config = configOrExit();

if (process.argv.includes('--reset')) {
  const code = await resetLocalData({ dataDir: config.DATA_DIR, databaseUrl: config.DATABASE_URL, yes: process.argv.includes('--yes') });
  if (code !== 0) process.exit(code);
}

const log = createLogger(config.LOG_LEVEL);
const appIdProblem = wsAppIdProblem(config);
if (appIdProblem) log.warn(appIdProblem);
/** Whatever a client holds open, the process is gone this long after the signal. */
const STOP_DEADLINE_MS = 4500;
let app: Awaited<ReturnType<typeof startBot>> | undefined;
let stopping = false;

function stopApp(started: NonNullable<typeof app>) {
  setTimeout(() => {
    log.error(`shutdown took longer than ${STOP_DEADLINE_MS} ms; exiting anyway`);
    process.exit(1);
  }, STOP_DEADLINE_MS).unref();
  started.stop().then(
    () => process.exit(0),
    (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}

// The handlers come before the start: a signal that arrives while the bot is starting, or the instant it says it
// listens, stops it cleanly once it is up (the data folder's lock released) instead of killing it by the default
// action; the deadline counts from the stop.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    // still starting: the start stops the bot as soon as it is up
    if (app) stopApp(app);
  });
}

try {
  app = await startBot({ config, log });
} catch (err) {
  process.stderr.write(`start-up error: ${startupProblem(err, config)}\n`);
  process.exit(1);
}
if (stopping) stopApp(app);
else {
  log.info(
    {
      url: app.url,
      mode: config.localMode ? 'local' : config.LARK_EVENT_MODE,
      database: config.DATABASE_URL ? safeDatabaseUrl(config.DATABASE_URL) : `pglite:${config.DATA_DIR}`,
    },
    `trusted-team bot listening on ${app.url}`,
  );
  if (config.localMode) log.info(`local mode: no Feishu app configured; simulated Open Platform at ${app.platform?.url}`);
  if (config.localMode) log.info(`local console: ${app.url}/dev`);
}

/** One line naming the variable behind a failed start, where one is to blame. */
function startupProblem(err: unknown, c: Config): string {
  if (err instanceof DataDirRefused) return err.message;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = (e?.cause?.message ?? e?.message ?? String(err)).split('\n')[0];
  if (code === 'EADDRINUSE' || code === 'EACCES') return `PORT ${c.PORT} on HOST ${c.HOST} cannot be used (${code})`;
  if (code === 'EADDRNOTAVAIL' || (code === 'ENOTFOUND' && !c.DATABASE_URL)) return `HOST ${c.HOST} is not an address of this machine (${code})`;
  if (c.DATABASE_URL) return `DATABASE_URL ${safeDatabaseUrl(c.DATABASE_URL)} cannot be used: ${message}`;
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EACCES' || code === 'EROFS') return `DATA_DIR ${c.DATA_DIR} cannot hold the database (${code})`;
  return message;
}
