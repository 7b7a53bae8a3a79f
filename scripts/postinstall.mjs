/**
 * `npm ci` / `npm install` runs this (postinstall): first the fixes of installed packages (scripts/patchDependencies.mjs,
 * which the bundle must carry), then the empty, migrated PGlite database a first local `npm start` copies
 * (scripts/pglite-template.ts, which never fails the install) and dist/ (scripts/build.mjs --no-check), side by side:
 * each keeps one core busy for several seconds. Fails when the build fails.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const patched = await run(['scripts/patchDependencies.mjs']);
if (patched) process.exit(patched);
const [template, build] = await Promise.all([run(['--import', 'tsx', 'scripts/pglite-template.ts']), run(['scripts/build.mjs', '--no-check'])]);
process.exit(build || template);
