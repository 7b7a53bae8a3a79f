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
  // a backup writes in DATA_DIR too (its lock, PGlite's own files): one that cannot be written, as when rescuing the data
  // from a failing disk, is copied somewhere writable and backed up from there
  const dir = config.DATA_DIR;
  const unwritable = {
    zh: `备份时要在数据目录中写入（锁和数据库自己的文件）：请把整个文件夹复制到可写的地方，如 cp -a ${dir} /tmp/gdsz-data，再从那里备份：DATA_DIR=/tmp/gdsz-data npm run backup`,
    en: `a backup writes in DATA_DIR (its lock, the database's own files): copy the whole folder somewhere writable, as cp -a ${dir} /tmp/gdsz-data, and back up from there: DATA_DIR=/tmp/gdsz-data npm run backup`,
  };
  process.stderr.write(
    `${scriptFileFailure(err, dir, { failed: { zh: '备份失败，没有写出备份', en: 'backup failed, nothing was written as a backup' }, again: { run: 'npm run backup' }, otherwise: 'free space or make the folder writable', unwritable })}\n`,
  );
  process.exit(1);
}
