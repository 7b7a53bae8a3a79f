/**
 * Imports teams, experts and past honours from a workbook, or writes the template:
 *   npm run import -- file.xlsx [--yes]
 *   npm run import -- --template out.xlsx
 * Opens the database as the bot does (DATABASE_URL, else PGlite in DATA_DIR: stop the bot first). With
 * LARK_APP_ID/SECRET set, people are looked up by mobile or e-mail through Feishu; otherwise all are
 * kept pending and linked when they first message the bot. Prints the preview, then applies after y.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { basename } from 'node:path';
import { configOrExit } from '../src/config.js';
import { todayIn } from '../src/dates.js';
import { UserError } from '../src/errors.js';
import { applyImport, importCardData, importTemplate, notXlsxMessage, previewImport } from '../src/import/index.js';
import { type SheetKey, sheetLabels } from '../src/import/plan.js';
import { createLarkClient } from '../src/lark/client.js';
import { resolveUserIds } from '../src/lark/contact.js';
import { openScriptDatabase } from '../src/local/dataDirFailure.js';
import { createLogger } from '../src/log.js';

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: npm run import -- <file.xlsx> [--yes]   |   npm run import -- --template <out.xlsx>\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args[0] === '--template') {
  if (!args[1]) usage('--template needs a file name');
  writeFileSync(args[1], await importTemplate());
  process.stdout.write(`template written to ${args[1]}\n`);
  process.exit(0);
}
const yes = args.includes('--yes');
const file = args.find((a) => !a.startsWith('--'));
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
const log = createLogger(config.LOG_LEVEL);
// the command line acts as the first bootstrap administrator, or as the console's local one
const actor = { openId: config.ADMIN_OPEN_IDS[0] ?? 'system:import', name: null, roles: ['admin' as const] };
const client = config.localMode ? undefined : createLarkClient({ appId: config.LARK_APP_ID!, appSecret: config.LARK_APP_SECRET!, domain: config.LARK_DOMAIN, log });
let applied = false;
// a full disk or a read-only DATA_DIR ends the import with one line; until the import's transaction commits, nothing of it was written
const opened = await openScriptDatabase(config, { again: 'run npm run import again', outcome: () => (applied ? undefined : 'nothing was imported') });
const { database } = opened;
try {
  const now = new Date();
  const today = todayIn(config.BOT_TIMEZONE, now);
  const record = await database.db.transaction((tx) => previewImport(tx, actor, { name: basename(file), bytes }, client ? (q) => resolveUserIds(client, q) : undefined, today, now));
  const d = importCardData(record);
  const count = (rows: { sheet: string }[], sheet: string) => rows.filter((r) => r.sheet === sheet).length;
  process.stdout.write(`${d.fileName}\n表\t新增\t更新\t不变\t拒绝\n`);
  for (const [sheet, label] of Object.entries(sheetLabels) as [SheetKey, string][]) {
    process.stdout.write(`${label}\t${count(d.add, sheet)}\t${count(d.update, sheet)}\t${d.unchanged[sheet]}\t${count(d.refused, sheet)}\n`);
  }
  for (const n of d.notes ?? []) process.stdout.write(`注意：${n}\n`);
  for (const r of d.refused) process.stdout.write(`拒绝 ${sheetLabels[r.sheet]}第 ${r.row} 行 ${r.label}：${r.reason}\n`);
  for (const c of d.contactChanges ?? []) process.stdout.write(`更换单位联系人 班组第 ${c.row} 行 ${c.label}：改为 ${c.to}\n`);
  if (d.contactChanges?.length) process.stdout.write('导入后新的单位联系人会收到通知；待单位确认的申报改由其确认推荐，原联系人会收到说明（第十五条）。\n');
  for (const c of d.leaderChanges ?? [])
    process.stdout.write(
      `更换班组长 班组第 ${c.row} 行 ${c.label}：班组长 ${c.from} → ${c.to}${c.fromUnlinked ? '（原班组长尚未关联飞书，不会收到通知）' : ''}${c.toUnlinked ? '（新班组长尚未关联飞书，首次给机器人发消息时收到通知）' : ''}\n`,
    );
  if (d.leaderChanges?.length) process.stdout.write('导入后新班组长和原班组长会收到通知；原班组长留在班组成员中（同时改为单位联系人的除外），班组的资料、成员和本年度申报改由新班组长办理。\n');
  if (d.pending.length) process.stdout.write(`${d.pending.length} 人暂未找到，导入后保留，首次给机器人发消息时关联。\n`);
  if (!d.add.length && !d.update.length) {
    process.stdout.write('没有需要导入的变化。\n');
  } else {
    const go = yes || (await createInterface({ input: process.stdin, output: process.stdout }).question('确认导入？(y/N) ')).trim().toLowerCase() === 'y';
    if (go) {
      const { summary } = await database.db.transaction((tx) => applyImport(tx, actor, record.id, new Date(), today, { timezone: config.BOT_TIMEZONE, bootstrapAdmins: config.ADMIN_OPEN_IDS }));
      applied = true;
      process.stdout.write(`已导入：新增 ${summary.add.length} 行，更新 ${summary.update.length} 行。通知在机器人下次运行时发出。\n`);
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
