/**
 * `npm run build`: compiles the bot to dist/ (tsconfig.build.json) and copies the files it reads at run time
 * (migrations, the certificate template, the measures' text, the console's page and scripts) beside the output.
 * Plain JavaScript, so `npm start` can build a fresh clone before anything TypeScript runs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchedFiles } from './patchDependencies.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dist = join(root, 'dist');
/** Written last: its time says the build is complete and newer than every source it was made from. */
export const stamp = join(dist, '.build-stamp');
/** What `npm start` runs: dist/src/main.js and the modules it imports, bundled (see `bundle`; its chunks beside it). */
export const bundleFile = join(dist, 'bot.mjs');
const sourceDirs = ['src', 'bot', 'cards', 'db', 'jobs'];
// and this file: a change to how the bot is built builds it again
const configFiles = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build.mjs'];

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
  // a package fixed after the last build (scripts/patchDependencies.mjs) is bundled again
  return [...sources(), ...configFiles.map((f) => join(root, f)), ...patchedFiles, sdkMain()].some((f) => existsSync(f) && statSync(f).mtimeMs > built);
}

/**
 * `check: false` emits without type-checking (tsc --noCheck: the same JavaScript, as every file compiles on its own under
 * isolatedModules), in less than half the time; the incremental build info keeps the check pending, so the next checked
 * build does it. `npm ci` builds so (its postinstall), because `npm test` type-checks everything, tests included.
 */
export async function build({ check = true } = {}) {
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
  await bundle();
  await compactSdk();
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return { ms: Date.now() - started, assets };
}

/**
 * Packages left to Node to load at run time: those that read files of their own beside their code (PGlite's WebAssembly
 * and data, resvg's native module, pino's worker for transports, node-cron's background process), and the heavy ones the
 * bot loads only when a workbook, a certificate or the Feishu client is needed, or loads with `require` on purpose
 * (the Feishu SDK, src/lark/sdk.ts).
 */
const leftToNode = [
  '@larksuiteoapi/node-sdk', '@electric-sql/pglite', '@electric-sql/pglite/*', '@resvg/resvg-js', 'exceljs', 'pdfkit',
  'svg-to-pdfkit', 'fontkit', 'pino', 'pino/*', 'node-cron',
  // a 660 KB JSON file (koa's MIME types): Node's JSON.parse reads it faster than V8 compiles it as a literal
  'mime-db',
];

/**
 * dist/src/main.js and everything it imports but `leftToNode`, as one ES module of 2 MB and chunks (esbuild, tsx's own): Node
 * resolved, read and linked about 780 files at every start, a quarter of the CPU a start on PostgreSQL took to /healthz
 * (about 0.4 s of 1.6 s on a loaded 2-core machine). tsc's output stays the source of the bundle and
 * beside it. A module's `import.meta.url` (the files it reads beside itself: migrations, the measures' text, the
 * certificate template, the console's page) is rewritten to the URL its file has in dist/, so each still finds them.
 */
async function bundle() {
  const esbuild = createRequire(import.meta.url)('esbuild');
  const ownUrl = {
    name: 'import-meta-url-of-each-file',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(dist)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const own = `new URL(${JSON.stringify(`./${relative(dist, args.path).split('\\').join('/')}`)}, import.meta.url).href`;
        return { contents: text.replaceAll('import.meta.url', own), loader: 'js' };
      });
    },
  };
  const { metafile } = await esbuild.build({
    entryPoints: { bot: join(dist, 'src', 'main.js') },
    outdir: dist,
    outExtension: { '.js': '.mjs' },
    // what the bot imports only when needed (PGlite's driver in local mode, a workbook, a certificate) goes to chunks
    // of its own beside bot.mjs, loaded then: bundled into one file, the ESM imports of those parts (PGlite's module
    // among them) were loaded at every start on PostgreSQL too (idle RSS 2–4 MB more). Beside it, so the `./src/…`
    // URLs (`ownUrl`) hold in them.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: leftToNode,
    plugins: [ownUrl],
    sourcemap: true,
    // the sources' comments and layout are half the bundle: V8 compiles the module in proportion to its size
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    // the CommonJS packages bundled (koa's, prom-client's) call require for Node's own modules
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    metafile: true,
    // the metafile's paths are relative to it
    absWorkingDir: root,
  });
  // Chunk names change with their content. A bot started before this build loads its chunks when it first needs them
  // (a workbook, a certificate, PGlite), so the previous build's stay beside this one's; older ones go.
  const made = Object.keys(metafile.outputs).map((f) => relative(dist, join(root, f))).filter((f) => isChunk(f));
  const previous = builtChunks();
  for (const f of readdirSync(dist)) if (isChunk(f) && !made.includes(f) && !previous.includes(f)) rmSync(join(dist, f));
  writeFileSync(chunkList, `${JSON.stringify(made)}\n`);
}

const isChunk = (f) => /^chunk-\w+\.mjs(\.map)?$/.test(f);
/** The chunks the last bundle made (`bundle`), beside bot.mjs. */
const chunkList = join(dist, '.chunks.json');
function builtChunks() {
  try {
    return JSON.parse(readFileSync(chunkList, 'utf8'));
  } catch {
    return [];
  }
}

/** The Feishu SDK's CommonJS file, as installed (its package.json's `main`). */
function sdkMain() {
  return createRequire(join(root, 'package.json')).resolve('@larksuiteoapi/node-sdk');
}

/** The files `npm start` runs: bot.mjs and the chunks it loads (`bundle`). */
export function bundleFiles() {
  return [bundleFile, ...builtChunks().filter((f) => f.endsWith('.mjs')).map((f) => join(dist, f))];
}

/** Where `compactSdk` writes: beside dist/src/lark/sdk.js, which requires it when it is there (src/lark/sdk.ts). */
export const compactSdkFile = join(dist, 'src', 'lark', 'node-sdk.cjs');

/**
 * The Feishu SDK as the bot runs it: the same code without its comments and layout, its few non-ASCII characters
 * (Chinese messages in string literals) written as escapes. V8 keeps a script's source in the heap for as long as the
 * process runs, and the SDK's 6 MB file, whose comments are partly Chinese, was held as a two-byte string of 12 MB:
 * the largest single thing in the bot's memory at rest. Compacted it is 1.9 MB of one-byte text; the process at rest
 * holds about 10 MB less and loads it about 60 ms sooner. Identifiers and syntax are left as they are (whitespace
 * only), and the licence the file opens with stays. The package's other files and dependencies are required from node_modules
 * as before.
 */
async function compactSdk() {
  const esbuild = createRequire(import.meta.url)('esbuild');
  const main = sdkMain();
  // its own dependencies are required from where the copy sits (the root node_modules): one nested under the package,
  // of another version, would be passed over without a word, so then there is no copy and the bot requires the package
  const nested = join(dirname(main), '..', 'node_modules');
  if (existsSync(nested)) {
    rmSync(compactSdkFile, { force: true });
    process.stderr.write(`${relative(root, nested)} exists: the Feishu SDK is required as installed, not compacted (about 10 MB more at rest)\n`);
    return;
  }
  const source = readFileSync(main, 'utf8');
  // `__dirname` is the package's lib/: the SDK reads its version from ../package.json for its User-Agent (getSdkVersion)
  const { code } = await esbuild.transform(source, {
    loader: 'js', format: 'cjs', platform: 'node', minifyWhitespace: true, charset: 'ascii', define: { __dirname: '__sdkLib' },
  });
  const strict = '"use strict";';
  if (!code.startsWith(strict)) throw new Error('the Feishu SDK no longer opens with "use strict": scripts/build.mjs compactSdk needs a look');
  const lib = `var __sdkLib=require("path").dirname(require.resolve(${JSON.stringify('@larksuiteoapi/node-sdk')}));`;
  // the file opens with its MIT licence, which a copy keeps
  const licence = /^\/\*[\s\S]*?\*\/\n/.exec(source)?.[0] ?? '';
  mkdirSync(dirname(compactSdkFile), { recursive: true });
  writeFileSync(compactSdkFile, licence + strict + lib + code.slice(strict.length));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { ms, assets } = await build({ check: !process.argv.includes('--no-check') });
    process.stdout.write(`built dist/ in ${ms} ms (${assets} run-time files copied)\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
