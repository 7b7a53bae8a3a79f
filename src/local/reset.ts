import { createInterface } from 'node:readline';
import { count } from 'drizzle-orm';
import { openDatabase } from '../../db/index.js';
import { applications, complaints, teams } from '../../db/schema.js';
import { DataDirRefused, describeHolder, hasMarker, isPgliteDataDir, lockDataDir, lockHolderOf, wipeDataDir } from './dataDir.js';

export interface ResetOptions {
  dataDir: string;
  databaseUrl?: string;
  /** --yes: no prompt */
  yes?: boolean;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** `npm run reset` and `npm start -- --reset`: wipes local mode's PGlite data after a y/N prompt. Returns the exit code. */
export async function resetLocalData(opts: ResetOptions): Promise<number> {
  const out = opts.output ?? process.stdout;
  const say = (line: string) => out.write(`${line}\n`);
  if (opts.databaseUrl) {
    say('reset refused: DATABASE_URL is set. Reset only wipes the embedded PGlite data in DATA_DIR, never a server database; unset DATABASE_URL to reset local data.');
    return 1;
  }
  const holder = lockHolderOf(opts.dataDir);
  if (holder) {
    say(`reset refused: DATA_DIR ${opts.dataDir} is in use by ${describeHolder(holder)}; stop it first.`);
    return 1;
  }
  if (!hasMarker(opts.dataDir)) {
    const outcome = wipeDataDir(opts.dataDir);
    if (!outcome.wiped && outcome.foreign) {
      say(`reset refused: ${outcome.reason}`);
      return 1;
    }
    say(`nothing wiped: ${outcome.wiped ? outcome.dir : outcome.reason}`);
    return 0;
  }
  if (!opts.yes) {
    const held = await heldData(opts.dataDir);
    if (held) say(`${opts.dataDir} holds ${held}. To keep a copy, answer N and run npm run backup first.`);
    out.write(`Wipe every team, application, score and message of local mode in ${opts.dataDir}? [y/N] `);
    const rl = createInterface({ input: opts.input ?? process.stdin, terminal: false });
    // no input at all (stdin closed) counts as No
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      say('not wiped.');
      return 0;
    }
  }
  try {
    const outcome = wipeDataDir(opts.dataDir);
    say(outcome.wiped ? `wiped ${outcome.dir}` : `nothing wiped: ${outcome.reason}`);
    return 0;
  } catch (err) {
    if (!(err instanceof DataDirRefused)) throw err;
    say(`reset refused: ${err.message}`);
    return 1;
  }
}

const counted = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * What the wipe would take, for the prompt ("5 teams, 12 applications and 2 complaints"); undefined when the folder
 * cannot be read as a database (a wipe cut short, another version's), which the prompt then goes without. Read
 * under the folder's lock, without migrating: the folder is left as it was.
 */
async function heldData(dataDir: string): Promise<string | undefined> {
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
      return `${counted(t.n, 'team')}, ${counted(a.n, 'application')} and ${counted(c.n, 'complaint')}`;
    } finally {
      await database.close();
    }
  } catch {
    return undefined;
  } finally {
    lock.release();
  }
}
