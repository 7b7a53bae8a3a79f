import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir, MARKER_FILE } from '../../src/local/dataDir.js';
import { runDemo } from '../../src/local/demo.js';
import { until } from '../support/waiting.js';

/**
 * Issue 14, acceptance 1 and 3: one process per DATA_DIR (a lock file with the holder's pid), and only folders
 * the bot made (its marker) are used or reset. Real processes, as `npm start`, `npm run job` and `npm run reset` run.
 */
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));

function run(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited, output: () => stdout + stderr };
}

/** `npm start` until it logs its URL. */
async function start(dataDir: string) {
  const bot = run('src/main.ts', [], { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(bot.output());
      if (m) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    void bot.exited.then((r) => {
      clearInterval(timer);
      reject(new Error(`exited with ${r.code}:\n${r.stdout}${r.stderr}`));
    });
  });
  return { ...bot, url };
}

/** A stop after SIGINT/SIGTERM exits 0; otherwise the signal and the last output say why. */
async function expectCleanStop(p: { exited: ReturnType<typeof run>['exited'] }) {
  const r = await p.exited;
  expect(r.code, `exit signal ${r.signal}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`).toBe(0);
}

const newDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

describe('one process per data folder', () => {
  it('refuses a second npm start on the same folder with one line naming it and the pid, and the first carries on', async () => {
    const dataDir = newDir('lock-');
    const first = await start(dataDir);
    expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').split('\n')[0]).toBe(String(first.child.pid));
    expect(existsSync(join(dataDir, MARKER_FILE))).toBe(true);

    const second = run('src/main.ts', [], { DATA_DIR: dataDir, PORT: '0' });
    const refused = await second.exited;
    expect(refused.code).toBe(1);
    // Chinese first, English in brackets, as npm start's other lines; npm run job and import say the same line
    const inUse = `数据目录 ${dataDir} 正被进程 ${first.child.pid} 使用（也许是已经在运行的机器人）：请先停止它，或换一个 DATA_DIR（DATA_DIR ${dataDir} is in use by process ${first.child.pid} (${LOCK_FILE}); stop that process first, or use another DATA_DIR）`;
    expect(refused.stderr.trim().split('\n')).toEqual([`启动失败（start-up error）：${inUse}`]);

    // npm run job and npm run demo are refused alike, and npm run reset does not wipe a folder in use
    const job = await run('scripts/job.ts', ['digest'], { DATA_DIR: dataDir }).exited;
    expect(job.code).toBe(1);
    expect(job.stderr.trim()).toBe(inUse);
    // npm run import too: two writers on one PGlite folder corrupt it
    const workbook = join(newDir('lock-import-'), '班组.xlsx');
    const template = await run('scripts/import.ts', ['--template', workbook], { DATA_DIR: dataDir }).exited;
    expect(template.code, template.stderr).toBe(0);
    const imported = await run('scripts/import.ts', [workbook, '--yes'], { DATA_DIR: dataDir }).exited;
    expect(imported.code).toBe(1);
    expect(imported.stderr.trim()).toBe(inUse);
    expect(imported.stdout).not.toContain('已导入');
    const demoLines: string[] = [];
    expect(await runDemo({ env: { DATA_DIR: dataDir }, out: (l) => demoLines.push(l) })).toBe(1);
    expect(demoLines).toEqual([expect.stringContaining(`is in use by process ${first.child.pid}`)]);
    const reset = await run('scripts/reset.ts', ['--yes'], { DATA_DIR: dataDir }).exited;
    expect(reset.code).toBe(1);
    expect(reset.stdout).toContain(`in use by process ${first.child.pid}`);
    expect(readdirSync(dataDir)).toContain('PG_VERSION');

    // the first still answers, and still writes: a person added in the console is there to read back
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    const added = await fetch(`${first.url}/dev/api/people`, { method: 'POST', headers: { 'content-type': 'application/json', origin: first.url }, body: JSON.stringify({ name: '林班长', roles: [] }) });
    expect(added.status, await added.clone().text()).toBe(200);
    const people = (await (await fetch(`${first.url}/dev/api/people`)).json()) as { people: { name: string }[] };
    expect(people.people.map((p) => p.name)).toContain('林班长');

    first.child.kill('SIGTERM');
    await expectCleanStop(first);
    // a clean stop leaves no lock; the next start opens the same data
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 240_000);

  it('a signal while it is still starting stops it cleanly once it is up: exit 0, the lock released', async () => {
    const dataDir = newDir('early-');
    const bot = run('src/main.ts', [], { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
    // the lock is taken first; the database is opened and migrated after it, so the signal comes mid-start
    const deadline = Date.now() + 60_000;
    while (!(existsSync(join(dataDir, LOCK_FILE)) && readFileSync(join(dataDir, LOCK_FILE), 'utf8').startsWith(String(bot.child.pid)))) {
      expect(Date.now(), `no lock taken:\n${bot.output()}`).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 5));
    }
    bot.child.kill('SIGTERM');
    await expectCleanStop(bot);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('takes over a lock whose process is gone', async () => {
    const dataDir = newDir('stale-');
    writeFileSync(join(dataDir, MARKER_FILE), 'made by the bot\n');
    // a pid no process has: the holder crashed
    writeFileSync(join(dataDir, LOCK_FILE), '2147483646\n');
    const bot = await start(dataDir);
    expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').split('\n')[0]).toBe(String(bot.child.pid));
    bot.child.kill('SIGINT');
    await expectCleanStop(bot);
  }, 120_000);
});

describe('only folders the bot made', () => {
  it('start and reset refuse a folder holding a foreign file; a bot-made folder is reset', async () => {
    const userDir = newDir('foreign-');
    writeFileSync(join(userDir, '论文终稿.docx'), 'a user file');
    const started = await run('src/main.ts', [], { DATA_DIR: userDir, PORT: '0' }).exited;
    expect(started.code).toBe(1);
    expect(started.stderr.trim().split('\n')).toEqual([
      `启动失败（start-up error）：数据目录 ${userDir} 中有不是机器人建立的文件（没有 ${MARKER_FILE}）：请把 DATA_DIR 设为一个空的或新的文件夹（DATA_DIR ${userDir} holds files the bot did not make (no ${MARKER_FILE}); point DATA_DIR at an empty or new folder）`,
    ]);
    const reset = await run('scripts/reset.ts', ['--yes'], { DATA_DIR: userDir }).exited;
    expect(reset.code).toBe(1);
    expect(reset.stdout.trim()).toMatch(/^重置被拒绝：.* 中没有 \.gdsz-bot-data，不是机器人建立的文件夹，不会动它：请检查 DATA_DIR（reset refused: .* has no \.gdsz-bot-data, so the bot did not make it; not touching it）$/);
    expect(readdirSync(userDir)).toEqual(['论文终稿.docx']);

    const botDir = newDir('made-');
    const bot = await start(botDir);
    bot.child.kill('SIGTERM');
    await expectCleanStop(bot);
    expect(readdirSync(botDir)).toEqual(expect.arrayContaining([MARKER_FILE, 'PG_VERSION']));
    const wiped = await run('scripts/reset.ts', ['--yes'], { DATA_DIR: botDir }).exited;
    expect(wiped.code).toBe(0);
    expect(wiped.stdout).toContain(`wiped ${botDir}`);
    expect(readdirSync(botDir)).toEqual([]);
    // what it held is kept beside it, whole, a folder the bot starts on again
    const kept = /moved whole to (\S+?): DATA_DIR=/.exec(wiped.stdout)?.[1];
    expect(kept?.startsWith(`${botDir}.before-reset-`)).toBe(true);
    dirs.push(kept!);
    expect(readdirSync(kept!)).toEqual(expect.arrayContaining([MARKER_FILE, 'PG_VERSION']));
    expect(readdirSync(kept!)).not.toContain(LOCK_FILE);
  }, 240_000);
});

describe('a lock from before a reboot', () => {
  it('is taken over though its pid is now another live process’s; one of this boot with that pid still counts', async (ctx) => {
    if (!existsSync('/proc/sys/kernel/random/boot_id')) return ctx.skip();
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const dataDir = newDir('reboot-');
    // a live process of this boot holds the pid the lock names (after a reboot pids are given out again)
    const other = spawn('sleep', ['30']);
    children.push(other);
    const lockOf = (bootId: string) => `${other.pid}\n${hostname()}\n2026-01-01T00:00:00.000Z\n${bootId}\n`;
    writeFileSync(join(dataDir, LOCK_FILE), lockOf(boot));
    expect(() => lockDataDir(dataDir)).toThrow(`is in use by process ${other.pid}`);
    writeFileSync(join(dataDir, LOCK_FILE), lockOf('00000000-0000-0000-0000-000000000000'));
    const lock = lockDataDir(dataDir);
    const written = readFileSync(join(dataDir, LOCK_FILE), 'utf8').split('\n');
    expect([written[0], written[3]]).toEqual([String(process.pid), boot]);
    lock.release();
    other.kill('SIGKILL');
  });
});

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot; undefined without /proc. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] || undefined;
  } catch {
    return undefined;
  }
}

describe('a lock whose pid was given to another process after a kill -9', () => {
  it('is taken over when the live process with that pid started at another time than the holder; the holder itself still counts', async (ctx) => {
    if (processStartTime(process.pid) === undefined) return ctx.skip();
    const dataDir = newDir('reused-');
    // the pid the lock names now belongs to another program (a busy machine hands out a dead process's pid again)
    const other = spawn('sleep', ['30']);
    children.push(other);
    await until(() => processStartTime(other.pid!) !== undefined);
    const started = processStartTime(other.pid!)!;
    const lockOf = (start: string) => `${other.pid}\n${hostname()}\n2026-01-01T00:00:00.000Z\n\n\n${start}\n`;
    // written by that very process: it holds the folder
    writeFileSync(join(dataDir, LOCK_FILE), lockOf(started));
    expect(() => lockDataDir(dataDir)).toThrow(`is in use by process ${other.pid}`);
    // an older lock without a start time: a live pid counts, as before
    writeFileSync(join(dataDir, LOCK_FILE), lockOf(''));
    expect(() => lockDataDir(dataDir)).toThrow(`is in use by process ${other.pid}`);
    // written by a process that started at another time with the same pid: gone, its lock stale
    writeFileSync(join(dataDir, LOCK_FILE), lockOf(String(Number(started) - 1)));
    const lock = lockDataDir(dataDir);
    const written = readFileSync(join(dataDir, LOCK_FILE), 'utf8').split('\n');
    expect([written[0], written[5]]).toEqual([String(process.pid), processStartTime(process.pid)]);
    lock.release();
    other.kill('SIGKILL');
  });
});

describe('a stale lock found by several processes at once', () => {
  it('is taken over by exactly one of them, round after round', async () => {
    const ROUNDS = 8;
    const PROCESSES = 6;
    const dataDir = newDir('gdsz-lockrace-');
    const control = newDir('gdsz-lockrace-control-');
    // each process tries the lock at the same millisecond of each round, and holds what it got until the round is counted
    const script = join(control, 'locker.mts');
    writeFileSync(
      script,
      `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockDataDir } from ${JSON.stringify(join(process.cwd(), 'src/local/dataDir.ts'))};
const [dir, control, rounds] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let round = 0; round < rounds; round++) {
  const go = join(control, 'go-' + round);
  while (!existsSync(go)) await sleep(5);
  const at = Number(readFileSync(go, 'utf8'));
  while (Date.now() < at) {}
  let lock;
  try { lock = lockDataDir(dir); } catch {}
  writeFileSync(join(control, 'result-' + round + '-' + process.pid), lock ? 'GOT' : 'REFUSED');
  while (!existsSync(join(control, 'done-' + round))) await sleep(5);
  lock?.release();
}
`,
    );
    const lockers = Array.from({ length: PROCESSES }, () => run(script, [dataDir, control, String(ROUNDS)], {}));
    const stale = `999999\n${hostname()}\n2026-01-01T00:00:00.000Z\n`;
    const holders: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      writeFileSync(join(dataDir, LOCK_FILE), stale);
      writeFileSync(join(control, `go-${round}`), String(Date.now() + (round === 0 ? 3000 : 150)));
      const results = () => readdirSync(control).filter((f) => f.startsWith(`result-${round}-`));
      await until(() => results().length === PROCESSES, 30_000);
      holders.push(results().filter((f) => readFileSync(join(control, f), 'utf8') === 'GOT').length);
      writeFileSync(join(control, `done-${round}`), '');
      await until(() => !existsSync(join(dataDir, LOCK_FILE)), 10_000);
    }
    expect(holders).toEqual(Array(ROUNDS).fill(1));
    for (const l of lockers) expect((await l.exited).code, l.output()).toBe(0);
  }, 120_000);
});
