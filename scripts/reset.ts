/**
 * Wipes local mode's data (the embedded PGlite database in DATA_DIR) after a y/N prompt, the database moved whole to
 * `<DATA_DIR>.before-reset-<time>` beside it:
 *   npm run reset                (asks first)
 *   npm run reset -- --yes       (does not ask)
 *   npm run reset -- --no-copy   (keeps no copy)
 * Refuses when DATABASE_URL is set: a server database is never wiped from here.
 */
import { loadDotEnv } from '../src/config.js';
import { scriptFileFailure } from '../src/local/dataDirFailure.js';
import { resetLocalData } from '../src/local/reset.js';

loadDotEnv();
const blank = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
const dataDir = blank(process.env.DATA_DIR) ?? './data';
try {
  process.exit(
    await resetLocalData({
      dataDir,
      databaseUrl: blank(process.env.DATABASE_URL),
      yes: process.argv.includes('--yes') || process.argv.includes('-y'),
      noCopy: process.argv.includes('--no-copy'),
    }),
  );
} catch (err) {
  // a read-only DATA_DIR: one line, not a stack. A wipe cut short removed PG_VERSION first and the marker last, so the
  // next reset finishes it (wipeDataDir)
  process.stderr.write(`${scriptFileFailure(err, dataDir, { failed: { zh: '重置失败', en: 'reset failed' }, again: { run: 'npm run reset' }, otherwise: 'make DATA_DIR writable' })}\n`);
  process.exit(1);
}
