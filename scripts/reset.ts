/**
 * Wipes local mode's data (the embedded PGlite database in DATA_DIR) after a y/N prompt:
 *   npm run reset            (asks first)
 *   npm run reset -- --yes   (does not ask)
 * Refuses when DATABASE_URL is set: a server database is never wiped from here.
 */
import { loadDotEnv } from '../src/config.js';
import { resetLocalData } from '../src/local/reset.js';

loadDotEnv();
const blank = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
const code = await resetLocalData({
  dataDir: blank(process.env.DATA_DIR) ?? './data',
  databaseUrl: blank(process.env.DATABASE_URL),
  yes: process.argv.includes('--yes') || process.argv.includes('-y'),
});
process.exit(code);
