import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, reapedAfterTest } from './support/children.js';
import { START_MS } from './support/timing.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Every folder and file under dir open to other users than its owner, as "path mode". */
function openToOthers(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isDirectory() || e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => (statSync(path).mode & 0o077) !== 0)
    .map((path) => `${path} ${modeOf(path)}`);
}

/** `npm start` as a newcomer runs it: no LARK_* and no DATABASE_URL. */
function startBot(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
  return reapedAfterTest(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('npm start', () => {
  it('starts in local mode, logs its URL and answers /healthz; the folder it made is the owner’s alone, and it says nothing about that', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'bot-start-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    const child = startBot({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
    let output = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL and local mode logged within ${START_MS / 1000} s:\n${output}`)), START_MS);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          // the local-mode line is written just after the listening one, possibly in a later chunk
          if (m && output.includes('local mode')) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', database: 'pglite' });
      expect(output).toContain('local mode');
      // while it runs: the folder it made and the write-ahead log in it (test/local/fileModes.test.ts has the rest)
      if (process.platform !== 'win32') {
        expect(modeOf(dataDir)).toBe('700');
        const wal = readdirSync(join(dataDir, 'pg_wal')).find((n) => /^[0-9A-F]{24}$/.test(n))!;
        expect(modeOf(join(dataDir, 'pg_wal', wal))).toBe('600');
      }
    } finally {
      child.kill('SIGTERM');
      await exitOf(child);
    }
    if (process.platform !== 'win32') expect(openToOthers(dataDir)).toEqual([]);
    expect(output).not.toContain('could not be made the owner');
  }, START_MS + 30_000);

  it('stops with one line naming a wrong variable', async () => {
    const child = startBot({ PORT: 'eighty' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await exitOf(child);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^configuration error: PORT /);
  }, START_MS);

  it('stops with one line naming CERTIFICATE_FONT when it names no font (it used to start, and fail at the first published result)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bot-start-font-'));
    dirs.push(dataDir);
    const child = startBot({ DATA_DIR: dataDir, PORT: '0', CERTIFICATE_FONT: '/etc/passwd' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await exitOf(child);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^启动失败（start-up error）：CERTIFICATE_FONT: \/etc\/passwd cannot be read as a font/);
  }, START_MS);

  it('stops with one line naming DATABASE_URL when the database cannot be reached', async () => {
    const child = startBot({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await exitOf(child);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^启动失败（start-up error）：DATABASE_URL postgres:\/\/nobody@127\.0\.0\.1:1\/none cannot be used/);
  }, START_MS);
});
