import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, terminalLine, terminalStream } from '../../src/log.js';
import { START_MS } from '../support/timing.js';

/**
 * `npm start` in a terminal: its lines are short ones a person reads, Chinese first (English in brackets), saying where
 * the console is, where the data is and how to stop; its log is not pino's JSON there. Anywhere else (a service, a
 * pipe, CI, the tests) the log stays JSON, one object a line.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const env = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LARK_') && k !== 'DATABASE_URL' && k !== 'ADMIN_OPEN_IDS')), PORT: '0', LOG_LEVEL: 'info' });
const ANSI = /\x1b\[[0-9;]*m/g;
const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

describe('a log line on a terminal', () => {
  it('is the time, the level in Chinese, the message and the other fields; an error with its stack below', () => {
    const out: string[] = [];
    const log = createLogger('info', terminalStream({ write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream, false) as unknown as NodeJS.WritableStream);
    log.info({ url: 'http://127.0.0.1:3000', note: 'two words' }, '机器人已启动');
    log.warn({ appSecret: 'never shown' }, '注意');
    log.error({ err: new Error('boom') }, '出错了');
    log.debug('not at info');
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d 信息 机器人已启动 {2}url=http:\/\/127\.0\.0\.1:3000 note="two words"\n$/);
    // redaction is pino's, before the line is drawn
    expect(out[1]).toMatch(/^\d\d:\d\d:\d\d 警告 注意 {2}appSecret=\[redacted\]\n$/);
    const [first, ...stack] = out[2].trimEnd().split('\n');
    expect(first).toMatch(/^\d\d:\d\d:\d\d 错误 出错了 {2}err=boom$/);
    expect(stack.length).toBeGreaterThan(0);
    for (const l of stack) expect(l).toMatch(/^ {4}at /);
  });

  it('is coloured when asked, and what is not pino\'s JSON passes as it is', () => {
    const line = terminalLine(JSON.stringify({ level: 40, time: '2026-03-01T01:02:03.000Z', msg: 'm' }), true);
    expect(line).toContain('\x1b[33m警告\x1b[0m');
    expect(line.replace(ANSI, '')).toMatch(/^\d\d:\d\d:\d\d 警告 m\n$/);
    expect(terminalLine('plain text')).toBe('plain text');
    const long = terminalLine(JSON.stringify({ level: 30, msg: 'm', big: 'x'.repeat(500) }));
    expect(long.length).toBeLessThan(200);
  });

  it('writes no control character as it is: an escape sequence typed by a user reaches the terminal escaped, in a field or in the message', () => {
    const typed = '\x1b]0;pwned\x07\x1b[2J投诉';
    const line = terminalLine(JSON.stringify({ level: 30, msg: `收到 ${typed}`, text: typed, plain: 'ok' }));
    expect(line.slice(0, -1)).not.toMatch(/\p{Cc}/u);
    expect(line).toContain('收到 \\u001b]0;pwned\\u0007\\u001b[2J投诉');
    expect(line).toContain('text="\\u001b]0;pwned\\u0007\\u001b[2J投诉"');
    expect(line).toContain('plain=ok');
  });

  it("shows an error's whole message and its causes, escaped, on one line: a failed query's cause is not cut off", () => {
    const out: string[] = [];
    const log = createLogger('info', terminalStream({ write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream, false) as unknown as NodeJS.WritableStream);
    const query = `insert into "console_entries" (${Array.from({ length: 12 }, (_, i) => `"column_${i}"`).join(', ')}) values ($1, $2) on conflict do update`;
    const refused = Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05', cause: Object.assign(new Error('\x1b[2Jdeeper reason'), { code: 'EIO' }) });
    log.warn({ err: new DrizzleQueryError(query, ['secret value'], refused), messageIds: ['om_1'] }, 'local console could not store a message');
    expect(out).toHaveLength(1);
    const line = out[0];
    // one entry, no control character as it is
    expect(line.slice(0, -1)).not.toMatch(/\p{Cc}/u);
    expect(line).toMatch(/^\d\d:\d\d:\d\d 警告 local console could not store a message {2}err="Failed query: insert into/);
    expect(line).toContain(query.replaceAll('"', '\\"'));
    expect(line).toContain('unsupported Unicode escape sequence');
    expect(line).toContain('22P05');
    expect(line).toContain('\\u001b[2Jdeeper reason');
    expect(line).toContain('EIO');
    expect(line).not.toContain('secret value');
    expect(line).toContain('messageIds=["om_1"]');
  });
});

describe('npm start', () => {
  it.skipIf(!hasScript)('in a terminal says in Chinese first where the console and the data are and how to stop, in short lines; Ctrl-C stops it', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'terminal-log-')), 'data');
    dirs.push(join(dataDir, '..'));
    // script(1) gives the bot a terminal of its own; what is written to its input is typed there (Ctrl-C included)
    const bot = spawn('script', ['-qfec', `exec ${JSON.stringify(process.execPath)} --import tsx src/main.ts`, '/dev/null'], {
      env: { ...env(), DATA_DIR: dataDir, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    bot.stdout.on('data', (c: Buffer) => (output += c.toString()));
    bot.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exit = new Promise<number | null>((resolve) => bot.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + START_MS;
    while (!output.includes('按 Ctrl-C') && Date.now() < deadline && bot.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    bot.stdin.write('\x03');
    const timer = setTimeout(() => bot.kill('SIGKILL'), 15_000);
    expect(await exit, output).toBe(0);
    clearTimeout(timer);

    const lines = output.replace(ANSI, '').split(/\r?\n/).filter((l) => l.trim() && l !== '^C');
    const url = /机器人已启动（trusted-team bot listening on (http:\/\/127\.0\.0\.1:\d+)）/.exec(output)?.[1];
    expect(url, output).toBeTruthy();
    for (const l of lines) expect(l, output).toMatch(/^(\^C)?\d\d:\d\d:\d\d 信息 [\u4e00-\u9fff]/);
    expect(lines.some((l) => l.includes(`本地控制台：在浏览器中打开 ${url}/dev（local console: ${url}/dev）`)), output).toBe(true);
    expect(lines.some((l) => l.includes(`数据目录：${dataDir}，`)), output).toBe(true);
    expect(lines.some((l) => l.includes('按 Ctrl-C 停止机器人')), output).toBe(true);
    expect(lines.some((l) => l.includes('正在停止（shutting down）  signal=SIGINT')), output).toBe(true);
  }, START_MS + 30_000);

  it('elsewhere logs pino\'s JSON, one object a line, its start-up lines Chinese first', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'json-log-')), 'data');
    dirs.push(join(dataDir, '..'));
    const bot = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env(), DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    bot.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exit = new Promise<number | null>((resolve) => bot.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + START_MS;
    while (!stdout.includes('数据目录') && Date.now() < deadline && bot.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    bot.kill('SIGINT');
    expect(await exit, stdout).toBe(0);
    const objects = stdout.trim().split('\n').map((l) => JSON.parse(l) as { level: number; time: string; msg: string });
    for (const o of objects) expect(o).toMatchObject({ level: 30, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), msg: expect.stringMatching(/^[\u4e00-\u9fff]/) });
    expect(objects.map((o) => o.msg.slice(0, o.msg.indexOf('（')))).toEqual(['机器人已启动', '本地模式：没有配置飞书应用', '本地控制台：在浏览器中打开 ' + /local console: (\S+)\/dev/.exec(stdout)![1] + '/dev', `数据目录：${dataDir}，要备份请先停止机器人再运行 npm run backup`, '正在停止']);
  }, START_MS + 30_000);
});
