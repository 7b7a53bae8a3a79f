// first: it starts work the rest of the start-up then finds done (src/earlyStart.ts)
import './earlyStart.js';
import { startBot } from './app.js';
import { configOrExit, wsAppIdProblem } from './config.js';
import { resetLocalData } from './local/reset.js';
import { resolve } from 'node:path';
import { createCliLogger, safeDatabaseUrl } from './log.js';
import { STARTUP_ERROR, startupProblem } from './startup.js';

const config = configOrExit();

if (process.argv.includes('--reset')) {
  const code = await resetLocalData({ dataDir: config.DATA_DIR, databaseUrl: config.DATABASE_URL, yes: process.argv.includes('--yes'), noCopy: process.argv.includes('--no-copy') });
  if (code !== 0) process.exit(code);
}

// on a terminal, short lines a person reads; elsewhere (a service, a pipe, CI) pino's JSON (src/log.ts)
const log = createCliLogger(config.LOG_LEVEL);
const appIdProblem = wsAppIdProblem(config);
if (appIdProblem) log.warn(appIdProblem);
/**
 * Whatever a client holds open, the process is gone this long after the signal. Above what a stop takes at most:
 * the callbacks being handled 3 s; then, while the notices of clicks cut short are queued (0.5 s at most), the
 * connections' close (0.1 s), the outbox's last sends 0.5 s and the hand-over of those unanswered 0.5 s; the database's
 * close 1 s: 5.1 s (src/app.ts, src/outbox.ts, db/index.ts; test/db/stopTime.test.ts).
 */
const STOP_DEADLINE_MS = 6000;
let app: Awaited<ReturnType<typeof startBot>> | undefined;
let stopping = false;

function stopApp(started: NonNullable<typeof app>) {
  started.stop().then(
    () => process.exit(0),
    (err) => {
      log.error({ err }, '停止时出错（shutdown failed）');
      process.exit(1);
    },
  );
}

// The handlers come before the start: a signal that arrives while the bot is starting, or the instant it says it
// listens, stops it cleanly once it is up (the data folder's lock released) instead of killing it by the default
// action. The deadline counts from the signal, so a start still waiting then (on another replica's migration) ends
// by it too. SIGHUP is the terminal the bot was started in being closed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, '正在停止（shutting down）');
    setTimeout(() => {
      log.error(`停止超过 ${STOP_DEADLINE_MS / 1000} 秒，强制退出（shutdown took longer than ${STOP_DEADLINE_MS} ms; exiting anyway）`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    // still starting: the start stops the bot as soon as it is up
    if (app) stopApp(app);
  });
}

try {
  app = await startBot({ config, log });
} catch (err) {
  process.stderr.write(`${STARTUP_ERROR}${startupProblem(err, config)}\n`);
  process.exit(1);
}
if (stopping) stopApp(app);
else {
  // Chinese first, English in brackets: where the bot listens, the console, where the data is, how to stop
  log.info(
    {
      url: app.url,
      mode: config.localMode ? 'local' : config.LARK_EVENT_MODE,
      database: config.DATABASE_URL ? safeDatabaseUrl(config.DATABASE_URL) : `pglite:${config.DATA_DIR}`,
    },
    `机器人已启动（trusted-team bot listening on ${app.url}）`,
  );
  if (config.localMode) log.info(`本地模式：没有配置飞书应用（LARK_APP_ID），飞书由本机模拟（local mode: no Feishu app configured; simulated Open Platform at ${app.platform?.url}）`);
  if (config.localMode) log.info(`本地控制台：在浏览器中打开 ${app.url}/dev（local console: ${app.url}/dev）`);
  log.info(
    config.DATABASE_URL
      ? `数据库：${safeDatabaseUrl(config.DATABASE_URL)}（data: PostgreSQL）`
      : `数据目录：${resolve(config.DATA_DIR)}，要备份请先停止机器人再运行 npm run backup（data: PGlite in ${resolve(config.DATA_DIR)}）`,
  );
  if (process.stdout.isTTY) log.info('按 Ctrl-C 停止机器人（press Ctrl-C to stop）');
}
