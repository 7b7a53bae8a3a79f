import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript script of the install, without declarations
import { applyPatches, patches } from '../scripts/patchDependencies.mjs';

describe('fixes of installed packages (scripts/patchDependencies.mjs)', () => {
  it('every fix is in place in node_modules, each once', () => {
    expect(() => applyPatches({ check: true })).not.toThrow();
    for (const { file, edits } of patches as { file: string; edits: { replace: string }[] }[]) {
      const text = readFileSync(file, 'utf8');
      for (const edit of edits) expect(text.split(edit.replace).length - 1, file).toBe(1);
    }
  });

  it('postgres.js refuses a query on a connection without a socket instead of throwing from a timer', () => {
    const text = readFileSync('node_modules/postgres/src/connection.js', 'utf8');
    expect(text).toMatch(/function nextWrite\(fn\) \{\n[^\n]*\n\s+if \(!socket\) \{/);
  });
});

describe('pino writing to a pipe nobody reads any more', () => {
  it('lets the process exit (sonic-boom retried the failed write for ever at exit)', async () => {
    const { spawn } = await import('node:child_process');
    // a log line pending as the process exits, its pipe's reader gone: `npm start | head`, a log shipper that died
    const script = `import pino from 'pino';
const log = pino();
log.info('first');
setTimeout(() => { for (let i = 0; i < 2000; i++) log.info({ i, pad: 'x'.repeat(200) }, 'line'); process.exit(0); }, 500);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.once('data', () => child.stdout.destroy());
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000).unref());
    const outcome = await Promise.race([exited, hung]);
    if (outcome === 'hung') child.kill('SIGKILL');
    expect(outcome).not.toBe('hung');
  }, 30_000);
});
