import { startBot } from './app.js';
import { configOrExit } from './config.js';
import { resetLocalData } from './local/reset.js';
import { createLogger, safeDatabaseUrl } from './log.js';

const config = configOrExit();

if (process.argv.includes('--reset')) {
  const code = await resetLocalData({ dataDir: config.DATA_DIR, databaseUrl: config.DATABASE_URL, yes: process.argv.includes('--yes') });
  if (code !== 0) process.exit(code);
}

const log = createLogger(config.LOG_LEVEL);
const app = await startBot({ config, log });
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

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
