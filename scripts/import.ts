/**
 * Imports teams, experts and past honours from a workbook, or writes the template:
 *   npm run import -- file.xlsx [--yes]
 *   npm run import -- --template out.xlsx
 * --yes (-y) imports without asking; without it, no answer (stdin closed, as under cron) imports nothing.
 * Opens the database as the bot does (DATABASE_URL, else PGlite in DATA_DIR: stop the bot first). With
 * LARK_APP_ID/SECRET set, people are looked up by mobile or e-mail through Feishu; otherwise all are
 * kept pending and linked when they first message the bot. Prints the preview the chat's card shows, then applies after y.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { basename } from 'node:path';
import { configOrExit } from '../src/config.js';
import { todayIn } from '../src/dates.js';
import { UserError } from '../src/errors.js';
import { importPreviewText } from '../cards/import.js';
import { applyImport, importCardData, importTemplate, notXlsxMessage, previewImport } from '../src/import/index.js';
import { createLarkClient } from '../src/lark/client.js';
import { resolveUserIds } from '../src/lark/contact.js';
import { openScriptDatabase } from '../src/local/dataDirFailure.js';
import { createCliLogger } from '../src/log.js';

const USAGE = `usage: npm run import -- <file.xlsx> [--yes]   |   npm run import -- --template <out.xlsx>
  --yes, -y   import without asking 确认导入？(y/N) (needed where nobody answers: a script, cron)
`;

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}`);
  process.exit(2);
}

/** The answer to 确认导入？: y, anything else, or none at all (stdin closed before a line came: cron, `< /dev/null`). */
function confirmation(): Promise<'y' | 'n' | 'closed'> {
  return new Promise((resolve) => {
    process.stdout.write('确认导入？(y/N) ');
    const rl = createInterface({ input: process.stdin, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line.trim().toLowerCase() === 'y' ? 'y' : 'n');
    });
    rl.once('close', () => {
      if (!answered) resolve('closed');
    });
  });
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args[0] === '--template') {
  if (!args[1]) usage('--template needs a file name');
  writeFileSync(args[1], await importTemplate());
  process.stdout.write(`template written to ${args[1]}\n`);
  process.exit(0);
}
const yes = args.includes('--yes') || args.includes('-y');
const file = args.find((a) => !a.startsWith('-'));
if (!file) usage('which workbook?');
let bytes: Buffer;
try {
  bytes = readFileSync(file);
} catch {
  usage(`cannot read ${file}`);
}
// a .csv or .xls is told how to make the .xlsx, as in chat
const notXlsx = notXlsxMessage(basename(file), '再导入（npm run import -- 文件.xlsx）');
if (notXlsx) {
  process.stderr.write(`${notXlsx}\n`);
  process.exit(1);
}

const config = configOrExit();
// short lines on a terminal, JSON elsewhere (src/log.ts)
const log = createCliLogger(config.LOG_LEVEL);
// the command line acts as the first bootstrap administrator, or as the console's local one
const actor = { openId: config.ADMIN_OPEN_IDS[0] ?? 'system:import', name: null, roles: ['admin' as const] };
const client = config.localMode ? undefined : createLarkClient({ appId: config.LARK_APP_ID!, appSecret: config.LARK_APP_SECRET!, domain: config.LARK_DOMAIN, log });
let applied = false;
// a full disk or a read-only DATA_DIR ends the import with one line; until the import's transaction commits, nothing of it was written
const opened = await openScriptDatabase(config, { again: { run: 'npm run import' }, outcome: () => (applied ? undefined : { zh: '没有导入任何数据', en: 'nothing was imported' }) });
const { database } = opened;
try {
  const now = new Date();
  const today = todayIn(config.BOT_TIMEZONE, now);
  const record = await database.db.transaction((tx) => previewImport(tx, actor, { name: basename(file), bytes }, client ? (q) => resolveUserIds(client, q) : undefined, today, now, config.BOT_TIMEZONE));
  const d = importCardData(record);
  // the chat card's preview, as text: the rows to add and update with the fields that change, people kept or not yet found
  process.stdout.write(importPreviewText(d));
  if (d.add.length || d.update.length) {
    const answer = yes ? 'y' : await confirmation();
    if (answer === 'y') {
      const { summary } = await database.db.transaction((tx) => applyImport(tx, actor, record.id, new Date(), today, { timezone: config.BOT_TIMEZONE, bootstrapAdmins: config.ADMIN_OPEN_IDS }));
      applied = true;
      process.stdout.write(`已导入：新增 ${summary.add.length} 行，更新 ${summary.update.length} 行。通知在机器人下次运行时发出。\n`);
    } else if (answer === 'closed') {
      process.stdout.write('\n');
      process.stderr.write('未导入：没有确认（标准输入已关闭），如需在脚本中导入请加 --yes\n');
      process.exitCode = 1;
    } else process.stdout.write('未导入。\n');
  }
} catch (err) {
  // DATA_DIR's failure ends the import here (not closed: PGlite cannot be, after its disk refused a write); any other is thrown on
  if (!(err instanceof UserError)) opened.failed(err);
  else {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  }
} finally {
  await opened.close();
}
