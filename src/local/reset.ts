import { createInterface } from 'node:readline';
import { DataDirRefused, describeHolder, hasMarker, lockHolderOf, wipeDataDir } from './dataDir.js';

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
