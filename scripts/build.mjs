/**
 * `npm run build`: compiles the bot to dist/ (tsconfig.build.json) and copies the files it reads at run time
 * (migrations, the certificate template, the measures' text, the console's page and scripts) beside the output.
 * Plain JavaScript, so `npm start` can build a fresh clone before anything TypeScript runs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dist = join(root, 'dist');
/** Written last: its time says the build is complete and newer than every source it was made from. */
export const stamp = join(dist, '.build-stamp');
const sourceDirs = ['src', 'bot', 'cards', 'db', 'jobs'];
const configFiles = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

function* filesUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

const sources = () => sourceDirs.flatMap((d) => [...filesUnder(join(root, d))]);

/** True when dist/ is missing, incomplete, or older than a source or config file. */
export function buildIsStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return [...sources(), ...configFiles.map((f) => join(root, f))].some((f) => existsSync(f) && statSync(f).mtimeMs > built);
}

/**
 * `check: false` emits without type-checking (tsc --noCheck: the same JavaScript, as every file compiles on its own under
 * isolatedModules), in less than half the time; the incremental build info keeps the check pending, so the next checked
 * build does it. `npm ci` builds so (its postinstall), because `npm test` type-checks everything, tests included.
 */
export function build({ check = true } = {}) {
  const started = Date.now();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), ...(check ? [] : ['--noCheck'])], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal})`);
  let assets = 0;
  for (const file of sources()) {
    if (file.endsWith('.ts')) continue;
    const to = join(dist, relative(root, file));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(file, to, { preserveTimestamps: true });
    assets++;
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return { ms: Date.now() - started, assets };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { ms, assets } = build({ check: !process.argv.includes('--no-check') });
    process.stdout.write(`built dist/ in ${ms} ms (${assets} run-time files copied)\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
