import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `npm start` as a newcomer runs it: no LARK_* and no DATABASE_URL. */
function startBot(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('npm start', () => {
  it('starts in local mode, logs its URL and answers /healthz', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bot-start-'));
    dirs.push(dataDir);
    const child = startBot({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
    let output = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL and local mode logged within 25 s:\n${output}`)), 25_000);
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
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 40_000);

  it('stops with one line naming a wrong variable', async () => {
    const child = startBot({ PORT: 'eighty' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^configuration error: PORT /);
  }, 30_000);

  it('stops with one line naming DATABASE_URL when the database cannot be reached', async () => {
    const child = startBot({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^start-up error: DATABASE_URL postgres:\/\/nobody@127\.0\.0\.1:1\/none cannot be used/);
  }, 30_000);
});
