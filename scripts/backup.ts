/**
 * Writes local mode's data (the embedded PGlite database in DATA_DIR) to one .tar.gz:
 *   npm run backup                 (gdsz-bot-backup-<date>T<hhmmss>.tar.gz beside DATA_DIR)
 *   npm run backup -- <file>
 * Refused while the bot (or another command) holds DATA_DIR: stop it first. Refused when DATABASE_URL is set.
 */
import { configOrExit } from '../src/config.js';
import { backupLocalData } from '../src/local/backup.js';
import { scriptFileFailure } from '../src/local/dataDirFailure.js';

const config = configOrExit();
const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
try {
  process.exit(await backupLocalData({ dataDir: config.DATA_DIR, databaseUrl: config.DATABASE_URL, file, now: new Date(), timezone: config.BOT_TIMEZONE }));
} catch (err) {
  // a full disk, a read-only folder: one line naming the file and the cause, not a stack
  process.stderr.write(
    `${scriptFileFailure(err, config.DATA_DIR, { failed: { zh: '备份失败，没有写出备份', en: 'backup failed, nothing was written as a backup' }, again: { run: 'npm run backup' }, otherwise: 'free space or make the folder writable' })}\n`,
  );
  process.exit(1);
}
