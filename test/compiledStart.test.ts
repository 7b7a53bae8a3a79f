import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript without declarations (npm start runs it before anything TypeScript)
import { build, buildIsStale, bundleFile, bundleFiles } from '../scripts/build.mjs';
import { START_MS } from './support/timing.js';
import { exitOf, reapedAfterTest } from './support/children.js';

/**
 * `npm start` runs dist/bot.mjs, the compiled bot bundled (scripts/build.mjs) with the chunks it loads when needed: what the rest of the
 * suite runs through tsx, started as production starts it. `npm ci` built dist/ (its postinstall); a checkout whose
 * sources changed since builds it here.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

beforeAll(async () => {
  if (buildIsStale()) await build({ check: false });
}, 180_000);

/** What a started bot prints on stdout and stderr, as it comes. */
function captured(child: ChildProcessByStdio<null, Readable, Readable>): { text: string } {
  const output = { text: '' };
  const add = (chunk: Buffer) => {
    output.text += chunk.toString();
  };
  child.stdout.on('data', add);
  child.stderr.on('data', add);
  return output;
}

/** The bot's URL once it says it listens and its local console is up; rejected if it exits first or takes START_MS. */
function listening(child: ChildProcessByStdio<null, Readable, Readable>, output: { text: string }): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening within ${START_MS / 1000} s:\n${output.text}`)), START_MS);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.text);
      if (!m || !output.text.includes('local console')) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      resolve(m[1]);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output.text}`));
    });
  });
}

/** The processes whose parent is `pid` (Linux's /proc): the bot npm started, whatever ran in between. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // the field after the command's closing parenthesis: state, then the parent's pid
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

describe('the compiled bot (npm start)', () => {
  it('finds every file it reads beside its modules: each module’s own URL is its place in dist/', () => {
    // bot.mjs and its chunks (the parts loaded when needed), side by side in dist/
    const files = bundleFiles() as string[];
    expect(files.length).toBeGreaterThan(1);
    const dist = join(bundleFile as string, '..');
    const own: string[] = [];
    for (const file of files) {
      expect(join(file, '..')).toBe(dist);
      const text = readFileSync(file, 'utf8');
      const urls = [...text.matchAll(/new URL\("(\.\/[^"]+)", ?import\.meta\.url\)/g)].map((m) => m[1]);
      // no bare import.meta.url is left but the file's own require (the banner) and those rewritten URLs
      expect(text.match(/import\.meta\.url/g)?.length, file).toBe(urls.length + 1);
      own.push(...urls);
    }
    // the modules that read files beside themselves (db/index.ts's migrations, the measures, the console, the certificate template, the compacted SDK)
    expect(own).toEqual(expect.arrayContaining(['./db/index.js', './src/measures/index.js', './src/local/console.js', './src/certificates/render.js', './src/lark/sdk.js']));
    for (const path of own) expect(existsSync(fileURLToPath(new URL(path, new URL(`file://${bundleFile}`)))), path).toBe(true);
    for (const file of ['db/migrations', 'src/measures/measures.zh.txt', 'src/local/console.html', 'src/local/consoleApp.js', 'src/certificates/template.svg', 'src/lark/node-sdk.cjs']) {
      expect(existsSync(join(dist, file)), file).toBe(true);
    }
  });

  it('requires the compacted Feishu SDK, one-byte text of a third of the size, which works as the package does', () => {
    const dist = join(bundleFile as string, '..');
    const probe = `const m = await import(${JSON.stringify(join(dist, 'src/lark/sdk.js'))});
      const { createRequire } = await import('node:module');
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      const client = new m.Client({ appId: 'cli_probe', appSecret: 's', loggerLevel: m.LoggerLevel.error });
      console.log(JSON.stringify({ compact: loaded.filter((f) => f.endsWith('node-sdk.cjs')).length, package: loaded.filter((f) => f.includes('node-sdk/lib/index.js')).length, im: typeof client.im.message.create, userAgent: client.userAgent }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    // the SDK's User-Agent carries its version, read from its package.json beside its own lib/ (getSdkVersion)
    const { version } = JSON.parse(readFileSync('node_modules/@larksuiteoapi/node-sdk/package.json', 'utf8')) as { version: string };
    expect(JSON.parse(run.stdout.trim().split('\n').pop() as string)).toEqual({ compact: 1, package: 0, im: 'function', userAgent: `oapi-node-sdk/${version}` });
    const text = readFileSync(join(dist, 'src/lark/node-sdk.cjs'));
    expect(text.every((b) => b < 0x80)).toBe(true);
    expect(text.length).toBeLessThan(readFileSync(join('node_modules/@larksuiteoapi/node-sdk/lib/index.js')).length / 2);
    expect(text.toString('utf8', 0, 40)).toContain('MIT License');
  });

  it('starts in local mode from scripts/start.mjs, serves the console and answers a message', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'bot-compiled-'));
    dirs.push(parent);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS'));
    const child = reapedAfterTest(spawn(process.execPath, ['scripts/start.mjs'], { env: { ...clean, DATA_DIR: join(parent, 'data'), PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] }));
    const output = captured(child);
    try {
      const url = await listening(child, output);
      expect(output.text).not.toContain('building it once');
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'pglite' });
      for (const page of ['/dev', '/dev/consoleApp.js', '/dev/renderer.js']) {
        const res = await fetch(url + page);
        expect(res.status, page).toBe(200);
        expect((await res.text()).length, page).toBeGreaterThan(500);
      }

      const post = (path: string, body: unknown) =>
        fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => {
          expect(r.status, `${path}: ${await r.clone().text()}`).toBe(200);
          return r.json();
        });
      const { person } = (await post('/dev/api/people', { name: '编译测试' })) as { person: { openId: string } };
      const { chats } = (await (await fetch(`${url}/dev/api/chats?openId=${person.openId}`)).json()) as { chats: { chatId: string; kind?: string }[] };
      const chatId = chats[0].chatId;
      const said = (await post('/dev/api/say', { openId: person.openId, chatId, text: '第十五条' })) as { version: number };
      let answer: string | undefined;
      for (let after = said.version, i = 0; !answer && i < 20; i++) {
        const changes = (await (await fetch(`${url}/dev/api/messages?chatId=${chatId}&after=${after}&wait=1000`)).json()) as {
          version: number;
          entries: { from: string; content: unknown }[];
        };
        answer = changes.entries.filter((e) => e.from === 'bot').map((e) => JSON.stringify(e.content))[0];
        after = changes.version;
      }
      // the measures' text, read beside src/measures/index.js, answers the question
      expect(answer).toContain('推荐');
    } finally {
      child.kill('SIGTERM');
      await exitOf(child);
    }
  }, START_MS + 60_000);

  it('builds on a production install (npm ci --omit=dev): what npm start builds dist/ with is no dev dependency', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const build = readFileSync('scripts/build.mjs', 'utf8');
    // the packages scripts/build.mjs loads (tsc, esbuild) and the runner of scripts/pglite-template.ts (postinstall)
    const loaded = [...new Set([...build.matchAll(/(?:\.resolve|Require\(import\.meta\.url\))\('((?:@[^'/]+\/)?[^'/]+)/g)].map((m) => m[1]))];
    expect(loaded).toEqual(expect.arrayContaining(['typescript', 'esbuild']));
    for (const name of [...loaded, 'tsx']) {
      expect(lock.packages[`node_modules/${name}`], name).toBeDefined();
      expect(lock.packages[`node_modules/${name}`].dev, `${name} is left out by --omit=dev`).toBeUndefined();
    }
  });

  it('npm start: a SIGTERM sent to npm alone stops the bot as one sent to it does (docker stop with CMD npm start)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'bot-npm-start-'));
    dirs.push(parent);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS' && !k.startsWith('npm_')));
    const npm = reapedAfterTest(spawn('npm', ['start'], { env: { ...clean, DATA_DIR: join(parent, 'data'), PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] }));
    const output = captured(npm);
    let started: number[] = [];
    try {
      const url = await listening(npm, output);
      // npm's child and its own (a shell and node, were the script not to exec)
      started = childrenOf(npm.pid!);
      started.push(...started.flatMap(childrenOf));
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // npm's child is node itself (the script's exec), so the signal npm passes on is the bot's
      npm.kill('SIGTERM');
      await exitOf(npm);
      expect(output.text).toContain('"msg":"正在停止（shutting down）"');
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      // a bot left running by a shell that did not pass the signal on (npm's child then being the shell): not to outlive the test
      for (const pid of started) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      }
    }
  }, START_MS + 60_000);
});
