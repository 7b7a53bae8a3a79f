/**
 * `npm test`: the type check (tsc --noEmit) and the whole suite (vitest run) at the same time. tsc runs on one core
 * for half a minute; run first, it left the other core idle all that while. Each prints as it goes; the exit code is
 * the first failure's, and arguments go to vitest (`npm test -- test/db`).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const run = (bin, args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.once('error', () => resolve(1));
  });

const [typecheck, suite] = await Promise.all([
  run(require.resolve('typescript/bin/tsc'), ['--noEmit']).then((code) => {
    process.stderr.write(code === 0 ? 'type check: no errors\n' : `type check failed (tsc exit ${code})\n`);
    return code;
  }),
  run(join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs'), ['run', ...process.argv.slice(2)]),
]);
process.exit(typecheck || suite);
