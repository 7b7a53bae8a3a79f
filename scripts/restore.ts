/**
 * Restores a backup written by npm run backup into DATA_DIR, which must be empty or absent:
 *   npm run restore -- <file>
 * Refused while a process holds DATA_DIR, when it holds data, and when DATABASE_URL is set.
 */
import { configOrExit } from '../src/config.js';
import { restoreLocalData } from '../src/local/backup.js';

const config = configOrExit();
const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('which backup?\nusage: npm run restore -- <file.tar.gz>\n');
  process.exit(2);
}
const code = await restoreLocalData({ dataDir: config.DATA_DIR, databaseUrl: config.DATABASE_URL, file });
process.exit(code);
