import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { count } from 'drizzle-orm';
import { openDatabase } from '../../db/index.js';
import { applications, complaints, teams } from '../../db/schema.js';
import { DataDirRefused, describeHolder, hasMarker, keptFolder, MARKER_FILE, isPgliteDataDir, lockDataDir, lockHolderOf, setAsideDataDir, wipeDataDir, worthKeeping } from './dataDir.js';

export interface ResetOptions {
  dataDir: string;
  databaseUrl?: string;
  /** --yes: no prompt */
  yes?: boolean;
  /** --no-copy: the database is removed, not kept beside DATA_DIR */
  noCopy?: boolean;
  /** the kept folder's time */
  now?: Date;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/**
 * `npm run reset` and `npm start -- --reset`: wipes local mode's PGlite data after a y/N prompt, keeping the database
 * moved whole beside the folder (`--no-copy`: not kept). Returns the exit code.
 */
export async function resetLocalData(opts: ResetOptions): Promise<number> {
  const out = opts.output ?? process.stdout;
  const say = (line: string) => out.write(`${line}\n`);
  if (opts.databaseUrl) {
    say(
      refusal(
        '设置了 DATABASE_URL。重置只清空 DATA_DIR 中本地模式的数据，从不清空服务器上的数据库；要重置本地数据，请去掉 DATABASE_URL',
        'DATABASE_URL is set. Reset only wipes the embedded PGlite data in DATA_DIR, never a server database; unset DATABASE_URL to reset local data.',
      ),
    );
    return 1;
  }
  const holder = lockHolderOf(opts.dataDir);
  if (holder) {
    say(refusal(`数据目录 ${opts.dataDir} 正被使用（${describeHolder(holder)}，也许是正在运行的机器人）：请先停止它`, `DATA_DIR ${opts.dataDir} is in use by ${describeHolder(holder)}; stop it first.`));
    return 1;
  }
  if (!hasMarker(opts.dataDir)) {
    const outcome = wipeDataDir(opts.dataDir);
    if (!outcome.wiped && outcome.foreign) {
      say(refusal(`${outcome.dir} 中没有 ${MARKER_FILE}，不是机器人建立的文件夹，不会动它：请检查 DATA_DIR`, outcome.reason));
      return 1;
    }
    say(`没有可清空的数据（nothing wiped: ${outcome.wiped ? outcome.dir : outcome.reason}）`);
    return 0;
  }
  // a database is kept, moved whole beside the folder, unless told not to: a yes typed too quickly (or --yes in a
  // script run against the wrong DATA_DIR) loses nothing
  const kept = !opts.noCopy && worthKeeping(opts.dataDir) ? keptFolder(realpathSync(opts.dataDir), opts.now) : undefined;
  if (!opts.yes) {
    const held = await heldData(opts.dataDir);
    if (held && kept) say(`${opts.dataDir} 中有 ${held.zh}；清空前会把它们整个移到 ${kept} 留存（${opts.dataDir} holds ${held.en}; they are moved whole to ${kept} before it is emptied.）`);
    else if (held) say(`${opts.dataDir} 中有 ${held.zh}。要留一份，请回答 N，先运行 npm run backup（${opts.dataDir} holds ${held.en}. To keep a copy, answer N and run npm run backup first.）`);
    out.write(`清空 ${opts.dataDir} 中本地模式的所有班组、申报、评分和消息吗？（Wipe every team, application, score and message of local mode in ${opts.dataDir}?）[y/N] `);
    const rl = createInterface({ input: opts.input ?? process.stdin, terminal: false });
    // no input at all (stdin closed) counts as No
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      say('没有清空（not wiped.）');
      return 0;
    }
  }
  try {
    if (kept) {
      try {
        setAsideDataDir(opts.dataDir, kept);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // a folder that cannot be written at all is said as such by the script (scripts/reset.ts)
        if (err instanceof DataDirRefused || code === 'EROFS' || code === undefined) throw err;
        say(
          refusal(
            `没能把 ${opts.dataDir} 中的数据移到 ${kept} 留存（${code}，如 DATA_DIR 是挂载点，或上一级文件夹不可写），所以没有清空：要留一份，请先运行 npm run backup，再运行 npm run reset -- --no-copy 清空而不留存`,
            `the data in ${opts.dataDir} could not be moved to ${kept} to keep it (${code}: DATA_DIR a mount point, or its parent folder not writable), so nothing was wiped; to keep a copy run npm run backup first, then npm run reset -- --no-copy to wipe without keeping one.`,
          ),
        );
        return 1;
      }
      say(`已清空 ${opts.dataDir}；原来的数据整个移到了 ${kept}，要再用它：DATA_DIR="${kept}" npm start，不再需要时删除这个文件夹（wiped ${opts.dataDir}; the data it held was moved whole to ${kept}: DATA_DIR="${kept}" npm start runs on it again; delete that folder once it is not needed）`);
      return 0;
    }
    const outcome = wipeDataDir(opts.dataDir);
    say(outcome.wiped ? `已清空 ${outcome.dir}（wiped ${outcome.dir}）` : `没有可清空的数据（nothing wiped: ${outcome.reason}）`);
    return 0;
  } catch (err) {
    if (!(err instanceof DataDirRefused)) throw err;
    // the lock's refusal is Chinese first already
    say(`重置被拒绝：${err.message}`);
    return 1;
  }
}

const counted = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A refusal a person meets after an accident: Chinese first, the English in brackets, as npm start's lines. */
const refusal = (zh: string, en: string) => `重置被拒绝：${zh}（reset refused: ${en}）`;

/**
 * What the wipe would take, for the prompt ("5 teams, 12 applications and 2 complaints"); undefined when the folder
 * cannot be read as a database (a wipe cut short, another version's), which the prompt then goes without. Read
 * under the folder's lock, without migrating: the folder is left as it was.
 */
async function heldData(dataDir: string): Promise<{ zh: string; en: string } | undefined> {
  if (!isPgliteDataDir(dataDir)) return undefined;
  let lock;
  try {
    lock = lockDataDir(dataDir);
  } catch {
    return undefined;
  }
  try {
    const database = await openDatabase({ dataDir, migrate: false });
    try {
      const db = database.db;
      const [[t], [a], [c]] = [await db.select({ n: count() }).from(teams), await db.select({ n: count() }).from(applications), await db.select({ n: count() }).from(complaints)];
      return { zh: `${t.n} 个班组、${a.n} 份申报和 ${c.n} 条投诉`, en: `${counted(t.n, 'team')}, ${counted(a.n, 'application')} and ${counted(c.n, 'complaint')}` };
    } finally {
      await database.close();
    }
  } catch {
    return undefined;
  } finally {
    lock.release();
  }
}
