/**
 * Restores a backup written by npm run backup into DATA_DIR, which must be empty or absent:
 *   npm run restore -- <file>
 * Refused while a process holds DATA_DIR, when it holds data, and when DATABASE_URL is set.
 */
import { configOrExit } from '../src/config.js';
import { restoreLocalData } from '../src/local/backup.js';
import { scriptFileFailure } from '../src/local/dataDirFailure.js';

const config = configOrExit();
const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('which backup?\nusage: npm run restore -- <file.tar.gz>\n');
  process.exit(2);
}
try {
  process.exit(await restoreLocalData({ dataDir: config.DATA_DIR, databaseUrl: config.DATABASE_URL, file }));
} catch (err) {
  // a read-only DATA_DIR, one under a file: one line, not a stack. A restore cut short (killed, the disk full) is
  // refused by npm start and finished by the next restore (isInterruptedRestore)
  process.stderr.write(
    `${scriptFileFailure(err, config.DATA_DIR, { failed: { zh: '恢复失败，备份没有恢复', en: 'restore failed, the backup was not restored' }, again: { run: `npm run restore -- ${file}` }, otherwise: 'make DATA_DIR writable' })}\n`,
  );
  process.exit(1);
}
