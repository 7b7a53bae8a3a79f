import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { reapedAfterTest } from '../support/children.js';
import { DataDirRefused, LOCK_FILE, LOCK_STALE_MS, lockDataDir, lockHolderOf, MARKER_FILE } from '../../src/local/dataDir.js';
import { resetLocalData } from '../../src/local/reset.js';

/**
 * Two containers sharing one volume: each runs the bot as pid 1 under its own host name, so a pid from the lock
 * file cannot be checked from the other. A lock from another host counts while its holder keeps touching it.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-hosts-'));
  dirs.push(dir);
  return dir;
};

/** A lock as another host's bot writes it, last touched `ago` ms before now. */
function foreignLock(dir: string, ago: number, host = 'bot-container-b') {
  const path = join(dir, LOCK_FILE);
  const at = new Date(Date.now() - ago);
  writeFileSync(path, `1\n${host}\n${at.toISOString()}\n`);
  utimesSync(path, at, at);
  return path;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataDirRefused);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('a data folder shared between hosts', () => {
  it('refuses a fresh lock from another host, naming the host and pid and what to do, and leaves it in place', async () => {
    const dir = newDir();
    const path = foreignLock(dir, 5_000);
    const before = readFileSync(path, 'utf8');
    const message = refusal(() => lockDataDir(dir));
    expect(message).toBe(
      `数据目录 ${dir} 正被主机 bot-container-b 上的进程 1 使用（5 秒前还在更新它的锁；60 秒没有更新的锁会被接管）：请先停止 bot-container-b 上的机器人，或换一个 DATA_DIR（DATA_DIR ${dir} is in use by process 1 on host bot-container-b (${LOCK_FILE}, refreshed 5 s ago); stop the bot on bot-container-b first, or use another DATA_DIR (a lock not refreshed for 60 s is taken over)）`,
    );
    expect(message).not.toContain('\n');
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(lockHolderOf(dir)).toMatchObject({ pid: 1, host: 'bot-container-b' });

    // pid 2147483646 is no process here, yet another host's lock is not judged by a pid
    writeFileSync(path, `2147483646\nbot-container-b\n${new Date().toISOString()}\n`);
    expect(refusal(() => lockDataDir(dir))).toContain('in use by process 2147483646 on host bot-container-b');

    // npm run reset does not wipe it either
    writeFileSync(join(dir, MARKER_FILE), 'made by the bot\n');
    writeFileSync(join(dir, 'PG_VERSION'), '17\n');
    let said = '';
    const output = new Writable({ write: (c, _e, cb) => ((said += String(c)), cb()) });
    expect(await resetLocalData({ dataDir: dir, yes: true, output })).toBe(1);
    expect(said.trim()).toBe(
      `重置被拒绝：数据目录 ${dir} 正被使用（process 2147483646 on host bot-container-b，也许是正在运行的机器人）：请先停止它（reset refused: DATA_DIR ${dir} is in use by process 2147483646 on host bot-container-b; stop it first.）`,
    );
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
  });

  it('takes over a lock another host stopped refreshing', () => {
    const dir = newDir();
    foreignLock(dir, LOCK_STALE_MS + 5_000);
    expect(lockHolderOf(dir)).toBeUndefined();
    const lock = lockDataDir(dir);
    try {
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8').split('\n').slice(0, 2)).toEqual([String(process.pid), hostname()]);
    } finally {
      lock.release();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    // by the injected clock alike: a lock touched now is stale a minute and more later
    foreignLock(dir, 0);
    const later = lockDataDir(dir, { now: () => Date.now() + LOCK_STALE_MS + 1_000 });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').split('\n')[0]).toBe(String(process.pid));
    later.release();
  });

  it('a holder whose lock another process took over stops (paused past the stale time): it leaves that lock alone', async () => {
    const dir = newDir();
    const lost: ({ pid: number; host?: string } | undefined)[] = [];
    const held = lockDataDir(dir, { host: 'bot-container-a', refreshMs: 20, onLost: (_dir, holder) => lost.push(holder) });
    // as bot-container-b does on finding it stale: its own lock in its place
    const path = foreignLock(dir, 0);
    const deadline = Date.now() + 5_000;
    while (!lost.length) {
      expect(Date.now(), 'the takeover was not noticed').toBeLessThan(deadline);
      await sleep(10);
    }
    expect(lost).toEqual([expect.objectContaining({ pid: 1, host: 'bot-container-b' })]);
    held.release();
    expect(readFileSync(path, 'utf8').split('\n')[1]).toBe('bot-container-b');
  });

  it('a lock removed by hand while its holder runs is taken again at once', async () => {
    const dir = newDir();
    const path = join(dir, LOCK_FILE);
    const held = lockDataDir(dir, { refreshMs: 20, onLost: () => expect.fail('not lost: removed') });
    rmSync(path);
    const deadline = Date.now() + 5_000;
    while (!existsSync(path)) {
      expect(Date.now(), 'the lock was not taken again').toBeLessThan(deadline);
      await sleep(10);
    }
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(String(process.pid));
    held.release();
  });

  it('a lock of this host name from another pid namespace (a container of the same name) is judged by its age, not by its pid', () => {
    // pid 1 is alive in every namespace, and in ours it is not the holder: the lock's own namespace says so
    const dir = newDir();
    const path = join(dir, LOCK_FILE);
    const write = (ago: number) => {
      const at = new Date(Date.now() - ago);
      writeFileSync(path, `1\n${hostname()}\n${at.toISOString()}\n\npid:[1]\n`);
      utimesSync(path, at, at);
    };
    write(0);
    expect(refusal(() => lockDataDir(dir))).toContain(`in use by process 1 on host ${hostname()}`);
    write(2 * LOCK_STALE_MS);
    const taken = lockDataDir(dir);
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(String(process.pid));
    taken.release();
  });

  it('the holder keeps its lock fresh while it runs, so another host keeps out; after release it gets in', async () => {
    const dir = newDir();
    const path = join(dir, LOCK_FILE);
    const held = lockDataDir(dir, { host: 'bot-container-a', refreshMs: 20 });
    // as if the last touch were two minutes ago: the next refresh makes it fresh again
    const old = new Date(Date.now() - 2 * LOCK_STALE_MS);
    utimesSync(path, old, old);
    const deadline = Date.now() + 5_000;
    while (statSync(path).mtimeMs < Date.now() - 1_000) {
      expect(Date.now(), 'the lock was not refreshed').toBeLessThan(deadline);
      await sleep(10);
    }
    expect(refusal(() => lockDataDir(dir, { host: 'bot-container-b' }))).toContain('in use by process');
    expect(lockHolderOf(dir, { host: 'bot-container-b' })).toMatchObject({ pid: process.pid, host: 'bot-container-a' });
    expect(readFileSync(path, 'utf8').split('\n')[1]).toBe('bot-container-a');

    held.release();
    expect(existsSync(path)).toBe(false);
    const taken = lockDataDir(dir, { host: 'bot-container-b', refreshMs: 20 });
    await sleep(100);
    // the released holder's timer is stopped: it neither recreates nor touches the new holder's lock
    expect(readFileSync(path, 'utf8').split('\n')[1]).toBe('bot-container-b');
    taken.release();
    expect(existsSync(path)).toBe(false);
  });

  it('a lock of this host written by the earlier format (pid only, or pid, host, time) keeps the pid check', () => {
    const dir = newDir();
    const path = join(dir, LOCK_FILE);
    // pid 1 is alive on every machine and is never this test
    writeFileSync(path, '1\n');
    expect(refusal(() => lockDataDir(dir))).toBe(
      `数据目录 ${dir} 正被进程 1 使用（也许是已经在运行的机器人）：请先停止它，或换一个 DATA_DIR（DATA_DIR ${dir} is in use by process 1 (${LOCK_FILE}); stop that process first, or use another DATA_DIR）`,
    );
    writeFileSync(path, `1\n${hostname()}\n2026-01-01T00:00:00.000Z\n`);
    const old = new Date(Date.now() - 10 * LOCK_STALE_MS);
    utimesSync(path, old, old);
    expect(refusal(() => lockDataDir(dir))).toContain('in use by process 1 (');
    writeFileSync(path, `2147483646\n${hostname()}\n2026-01-01T00:00:00.000Z\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(String(process.pid));
    lock.release();
  });

  it.runIf(process.platform === 'linux')('a lock whose holder was killed and is not yet reaped (a zombie) is taken over at once', async () => {
    const dir = newDir();
    // the shell's child exits once the shell has become sleep, which never reaps it: a zombie until sleep ends (a
    // child that exits at once may be reaped by the shell before its exec)
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number((await new Promise<string>((resolve) => parent.stdout!.once('data', (c: Buffer) => resolve(String(c))))).trim());
      let state = '';
      for (let i = 0; i < 100 && state !== 'Z'; i++) {
        await sleep(20);
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      }
      expect(state).toBe('Z');
      writeFileSync(join(dir, LOCK_FILE), `${pid}\n${hostname()}\n${new Date().toISOString()}\n`);
      expect(lockHolderOf(dir)).toBeUndefined();
      const lock = lockDataDir(dir);
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8').split('\n')[0]).toBe(String(process.pid));
      lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('npm start on a folder another host holds is refused with that one line', async () => {
    const dir = newDir();
    writeFileSync(join(dir, MARKER_FILE), 'made by the bot\n');
    foreignLock(dir, 2_000);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL'));
    const child = reapedAfterTest(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env, DATA_DIR: dir, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^启动失败（start-up error）：数据目录 ${dir} 正被主机 bot-container-b 上的进程 1 使用.*：请先停止 bot-container-b 上的机器人，或换一个 DATA_DIR（DATA_DIR ${dir} is in use by process 1 on host bot-container-b .*; stop the bot on bot-container-b first`))]);
  }, 120_000);
});
